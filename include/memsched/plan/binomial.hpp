// Binomial checkpointing arithmetic (Griewank & Walther, ACM TOMS 26(1), 2000): beta, the
// repetition number, the minimal number of advances t(n, c) and the optimal first advances.
#pragma once

#include <cstdint>

#include "memsched/chain/chain.hpp"

namespace memsched {

/// Largest value the binomial functions return: larger results saturate to it.
inline constexpr std::int64_t kBinomialSaturation = std::int64_t{1} << 62;

/// beta(s, t) = C(s + t, s): the most steps a reversal with s snapshots can handle when no
/// step is advanced more than t times. 0 if s < 0 or t < 0; saturates at kBinomialSaturation.
/// O(min(s, t, 64)).
std::int64_t beta(std::int64_t s, std::int64_t t) noexcept;

/// Repetition number r(n, c) = min{r >= 0 : beta(c, r) >= n}. Requires n >= 1, c >= 1
/// (throws std::invalid_argument otherwise). O(log n) beta evaluations.
std::int64_t repetition_number(Step n, std::int64_t c);

/// t(n, c): the fewest advances (forward steps not counting the n recording runs) that reverse
/// n steps with c snapshots, x_0's included; closed form t = r*n - beta(c+1, r-1)
/// (Griewank & Walther 2000, Prop. 1). With c = 0 only n = 1 is possible (t = 0).
/// Throws std::invalid_argument if n < 1, c < 0 or (c = 0 and n > 1), and
/// std::overflow_error if n + t(n, c) does not fit in 64 bits.
std::int64_t revolve_advances(Step n, std::int64_t c);

/// n + t(n, c): the optimal forward_steps in the project's convention (docs/concepts.md).
std::int64_t revolve_forward_steps(Step n, std::int64_t c);

/// The optimal first advances for reversing m steps with d snapshots (the one holding the
/// start included): every i in [lo, hi] minimises i + t(m - i, d - 1) + t(i, d), with
/// lo = max(1, beta(d, r-2), m - beta(d-1, r)), hi = min(beta(d, r-1), m - beta(d-1, r-1)),
/// r = r(m, d) (docs/theory/chain.md). Requires m >= 2, d >= 2.
struct AdvanceInterval {
  std::int64_t lo;
  std::int64_t hi;
};
AdvanceInterval optimal_advances(Step m, std::int64_t d);

}  // namespace memsched
