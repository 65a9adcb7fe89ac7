// Binomial checkpointing arithmetic with exact, saturating 128-bit intermediate values, so that
// no count silently wraps (the 32-bit C/C++ Revolves fail near n = 10^8: docs/theory/chain.md).
#include "memsched/plan/binomial.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "util/int128.hpp"

namespace memsched {

std::int64_t beta(std::int64_t s, std::int64_t t) noexcept {
  if (s < 0 || t < 0) return 0;
  // C(s+t, k) with k = min(s, t): the product (s+t-k+1)...(s+t-k+i) / i! is an integer at every
  // i, and it grows with i, so once it passes the saturation it stays there.
  const std::int64_t k = std::min(s, t);
  const std::int64_t top = std::max(s, t);
  detail::UInt128 value = 1;
  for (std::int64_t i = 1; i <= k; ++i) {
    value = value * static_cast<detail::UInt128>(top + i) / static_cast<detail::UInt128>(i);
    if (value >= static_cast<detail::UInt128>(kBinomialSaturation)) return kBinomialSaturation;
  }
  return static_cast<std::int64_t>(value);
}

std::int64_t repetition_number(Step n, std::int64_t c) {
  if (n < 1 || c < 1) {
    throw std::invalid_argument("repetition_number: needs n >= 1 and c >= 1, got n = " +
                                std::to_string(n) + ", c = " + std::to_string(c));
  }
  if (n == 1) return 0;
  // beta(c, r) is increasing in r and beta(c, n - 1) >= beta(1, n - 1) = n.
  std::int64_t lo = 1;
  std::int64_t hi = n - 1;
  // Most calls have a small r: try a short linear scan before bisecting.
  for (std::int64_t r = 1; r <= std::min<std::int64_t>(hi, 64); ++r) {
    if (beta(c, r) >= n) return r;
    lo = r + 1;
  }
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (beta(c, mid) >= n) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

std::int64_t revolve_advances(Step n, std::int64_t c) {
  if (n < 1 || c < 0) {
    throw std::invalid_argument("revolve_advances: needs n >= 1 and c >= 0, got n = " +
                                std::to_string(n) + ", c = " + std::to_string(c));
  }
  if (n == 1) return 0;
  if (c == 0) {
    throw std::invalid_argument("revolve_advances: " + std::to_string(n) +
                                " steps cannot be reversed without a snapshot");
  }
  const std::int64_t r = repetition_number(n, c);
  // t = r*n - beta(c+1, r-1); beta(c+1, r-1) < r*n (Griewank & Walther), and it saturates only if
  // r*n is beyond the saturation bound too, which the check below rejects.
  const detail::Int128 rn = static_cast<detail::Int128>(r) * n;
  const detail::Int128 total = rn - beta(c + 1, r - 1) + n;
  if (rn >= kBinomialSaturation || total > INT64_MAX) {
    throw std::overflow_error("revolve: reversing " + std::to_string(n) + " steps with " +
                              std::to_string(c) + " snapshots needs more than 2^63 forward steps");
  }
  return static_cast<std::int64_t>(total) - n;
}

std::int64_t revolve_forward_steps(Step n, std::int64_t c) { return n + revolve_advances(n, c); }

AdvanceInterval optimal_advances(Step m, std::int64_t d) {
  if (m < 2 || d < 2) {
    throw std::invalid_argument("optimal_advances: needs m >= 2 and d >= 2");
  }
  const std::int64_t r = repetition_number(m, d);
  const std::int64_t lo = std::max({std::int64_t{1}, beta(d, r - 2), m - beta(d - 1, r)});
  const std::int64_t hi = std::min(beta(d, r - 1), m - beta(d - 1, r - 1));
  return {lo, hi};
}

}  // namespace memsched
