// The solved H-Revolve tables and the decision rules shared by the table and the schedule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "memsched/chain/chain.hpp"
#include "memsched/plan/hrevolve.hpp"
#include "memsched/plan/limits.hpp"

namespace memsched::detail {

inline constexpr double kInfinity = std::numeric_limits<double>::infinity();

/// min_{i < count} (a[i] + b[i]) + c[i], the inner loop of every split recurrence here. Written
/// as a plain reduction so that the compiler vectorises it (OpenMP SIMD, no fast-math: every
/// term is evaluated exactly as the scalar expression, so the schedule builder recomputing one
/// term finds the very same double).
double split_min(const double* a, const double* b, const double* c, std::int64_t count) noexcept;

/// One split term exactly as split_min evaluates it.
inline double split_term(double a, double b, double c) noexcept { return (a + b) + c; }

/// What an optimal schedule does first in a sub-problem.
enum class Choice : std::uint8_t {
  kLeaf,   // l = 0: record the only step and reverse it
  kDown,   // do not use this level: solve the sub-problem one level faster
  kStore,  // H only: write x_0 to this level, then Hbar
  kSplit,  // Hbar only: advance j steps, tail, read x_0, head
};

struct Decision {
  Choice choice = Choice::kLeaf;
  Step split = 0;          // j for kSplit
  std::int64_t slots = 0;  // the slot count the decision applies to (published: may drop to 1)
};

struct HRevolveTables {
  Step length = 0;  // L = n - 1, the papers' l
  std::size_t num_levels = 0;
  std::vector<std::int64_t> slots;  // capped c_k; 1 for an unlimited level
  // A level with at least n slots (kCorrected only): a sub-problem of length l never holds more
  // than l checkpoints, so H_k(l, m) = H_k(l, inf) for every m the recursion reaches and the
  // level needs one row, row 1, whose tail H_k(l - j, m - 1) is itself: Θ(n^2), not Θ(n^3).
  std::vector<bool> unlimited;
  std::vector<double> write;
  std::vector<double> read;
  double forward = 1.0;
  double adjoint = 1.0;
  HRevolveVariant variant = HRevolveVariant::kCorrected;
  // Terms and bounds the split searches evaluated, and the most solve() may evaluate before it
  // stops with std::length_error: the pruned search's savings are measured, not proven, so its
  // work is counted as it runs (docs/cli.md, "Limits").
  double operations = 0;
  double max_operations = kMaxPlanOperations;
  std::vector<double> advance;  // advance[j] = j * uf, j = 0..L
  // Level k's rows: h[k][m * (L + 1) + l] = H_k(l, m) and hbar[k][...] = Hbar_k(l, m),
  // m = 0..slots[k] (Hbar's row 0 is unused).
  std::vector<std::vector<double>> h;
  std::vector<std::vector<double>> hbar;

  const double* h_row(std::size_t k, std::int64_t m) const {
    return h[k].data() + static_cast<std::size_t>(m) * static_cast<std::size_t>(length + 1);
  }
  const double* hbar_row(std::size_t k, std::int64_t m) const {
    return hbar[k].data() + static_cast<std::size_t>(m) * static_cast<std::size_t>(length + 1);
  }
  /// The slot count of the tail H_k(l - j, m - 1) of a split.
  std::int64_t tail_slots(std::size_t k, std::int64_t m) const { return unlimited[k] ? m : m - 1; }
  /// U_k(l): the best schedule that leaves level k (and slower ones) unused.
  double down(std::size_t k, Step l) const {
    return k == 0 ? kInfinity : h_row(k - 1, slots[k - 1])[l];
  }
  /// Largest split j allowed in Hbar_k(l, m) by the variant (docs/theory/chain.md, 'H-Revolve').
  Step max_split(std::size_t k, Step l, std::int64_t m) const {
    if (variant == HRevolveVariant::kPublished && !(k == 0 && m == 1)) return l - 1;
    return l;
  }

  /// Level 0 is free and the variant is kCorrected: its rows are Revolve's closed form
  /// uf t(l + 1, m) + ub (l + 1) (Griewank & Walther 2000; Opt_0 in docs/theory/chain.md), and its
  /// sub-schedules are run by the binomial controller.
  bool closed_form_level0() const {
    return variant == HRevolveVariant::kCorrected && write[0] == 0 && read[0] == 0;
  }

  void solve();
  Decision decide_h(std::size_t k, Step l, std::int64_t m) const;
  Decision decide_hbar(std::size_t k, Step l, std::int64_t m) const;
};

}  // namespace memsched::detail

namespace memsched::detail {

/// The exact recurrence for arbitrary (non-monotone) level costs: any checkpoint may go to any
/// level with a free slot, so the state is the vector s of free slots per level
/// (docs/multilevel.md, "general recurrence"):
///   T(0, s) = Tbar(0, s, k) = ub;
///   T(l, s) = min_{k: s_k >= 1} [ w_k + Tsplit(l, s, k) ];
///   Tsplit(l, s, k) = min_{1<=j<=l} [ j uf + T(l-j, s - e_k) + r_k + Tbar(j-1, s, k) ];
///   Tbar(l, s, k) = min{ Tsplit(l, s, k), T(l, s) }   (drop the stored x_0, store it elsewhere).
/// Θ(L^2 K Π(c_k + 1)) time, Θ(L K Π(c_k + 1)) memory.
struct GeneralTables {
  Step length = 0;
  std::size_t num_levels = 0;
  std::vector<std::int64_t> slots;  // capped c_k; 1 for an unlimited level
  std::vector<bool> unlimited;      // at least n slots: s_k stays "infinite", stride 0
  std::vector<std::size_t> stride;  // index of s = Σ s_k stride_k
  std::size_t num_vectors = 1;
  std::vector<double> write;
  std::vector<double> read;
  double forward = 1.0;
  double adjoint = 1.0;
  std::vector<double> advance;
  std::vector<double> t_reversed;  // [idx][L - l] = T(l, s)
  std::vector<double> tbar;        // [(idx * K + k)][l] = Tbar(l, s, k)

  std::size_t width() const { return static_cast<std::size_t>(length + 1); }
  std::int64_t free_slots(std::size_t idx, std::size_t k) const {
    if (unlimited[k]) return 1;
    return static_cast<std::int64_t>((idx / stride[k]) % static_cast<std::size_t>(slots[k] + 1));
  }
  double t(std::size_t idx, Step l) const {
    return t_reversed[idx * width() + static_cast<std::size_t>(length - l)];
  }
  const double* tbar_row(std::size_t idx, std::size_t k) const {
    return tbar.data() + (idx * num_levels + k) * width();
  }
  /// Tsplit(l, s, k) and its first minimising j (0 if none is finite).
  std::pair<double, Step> best_split(std::size_t idx, std::size_t k, Step l) const;

  void solve();
};

}  // namespace memsched::detail
