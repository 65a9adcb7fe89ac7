// The persistent heterogeneous table as it was before split pruning by block bounds, kept
// unchanged (only renamed) as the oracle the pruned table must equal bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include "../../src/hetero/persistent_table.hpp"
#include "memsched/hetero/chain.hpp"
#include "memsched/hetero/schedule.hpp"

namespace memsched::testing::legacy {

using memsched::detail::UnitChain;

/// Opt[m][i][l] for 0 <= i <= l <= L, 0 <= m <= max_units: the least time to run forwards
/// i..l and backwards l..i with x_i stored (not counted in m) and the gradient ȳ_{l+1} held
/// (counted), with m units free; +inf if impossible. Each interval keeps only the memory range
/// [lo, hi] where its value is finite and still changing.
class PersistentTable {
 public:
  /// `num_threads` > 1 computes the intervals of one length in parallel (they are independent).
  PersistentTable(UnitChain chain, std::int64_t max_units, bool rotor_compatible,
                  int num_threads = 1);

  double value(std::int64_t i, std::int64_t l, std::int64_t m) const;
  /// The optimal schedule of the whole chain with `m` free units besides x_0 (rotor's
  /// persistent_rec; leaf wins ties, smallest j first).
  HeteroSchedule schedule(std::int64_t m) const;
  const UnitChain& chain() const noexcept { return chain_; }
  std::int64_t max_units() const noexcept { return max_units_; }
  /// Doubles stored in the table.
  std::int64_t stored_values() const noexcept {
    std::int64_t total = 0;
    for (const Arena& a : arenas_) total += a.stored;
    return total;
  }

  /// Upper bound on the bytes a table for L stages and M units may take.
  static double worst_case_bytes(std::int64_t num_stages, std::int64_t max_units);

 private:
  static constexpr double kInf = __builtin_huge_val();

  struct Window {
    std::int64_t lo = 0;             // first finite m (max_units + 1 if none)
    std::int64_t hi = 0;             // from hi on the value is constant
    const double* values = nullptr;  // values[m - lo] for lo <= m <= hi
    double last = kInf;              // values[hi - lo]: kept here to spare a cache miss
  };

  const Window& window(std::int64_t i, std::int64_t l) const {
    return windows_[static_cast<std::size_t>(i * (chain_.num_stages + 1) + l)];
  }
  // The same windows stored column by column: the leaf loop walks (j, l) for j = i+1..l, which
  // is contiguous here, and (i, j-1), contiguous in windows_.
  const Window& column_window(std::int64_t i, std::int64_t l) const {
    return columns_[static_cast<std::size_t>(l * (chain_.num_stages + 1) + i)];
  }
  double lookup(const Window& w, std::int64_t m) const {
    if (m < w.lo) return kInf;
    return w.values[(m < w.hi ? m : w.hi) - w.lo];
  }
  void compute(int num_threads);
  // Storage of the windows' values; one per thread, so that threads never share one.
  struct Arena {
    std::vector<std::vector<double>> blocks;
    std::int64_t stored = 0;
  };
  void compute_interval(std::int64_t i, std::int64_t l, std::vector<double>& r, Arena& arena);
  void store(std::int64_t i, std::int64_t l, const std::vector<double>& r, Arena& arena);
  std::int64_t m_all(std::int64_t i) const;
  std::int64_t m_null(std::int64_t i, std::int64_t l) const;
  std::int64_t chain_need(std::int64_t i, std::int64_t l) const;
  double forward_sum(std::int64_t i, std::int64_t j) const {
    return fw_prefix_[static_cast<std::size_t>(j)] - fw_prefix_[static_cast<std::size_t>(i)];
  }

  UnitChain chain_;
  std::int64_t max_units_;
  bool rotor_;
  std::vector<double> fw_prefix_;
  std::vector<double> base_prefix_;  // sums of fw + bw: the time of i..l without recomputation
  // max_{i<k<l} (cw[k] + cw[k+1] + ft[k]) for m_null, as a sparse-table-free running max.
  std::vector<std::int64_t> step_need_;
  std::vector<Window> windows_;
  std::vector<Window> columns_;
  std::vector<Arena> arenas_;
};

}  // namespace memsched::testing::legacy
