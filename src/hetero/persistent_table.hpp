// The persistent dynamic program over discretised memory: tables, kernels, reconstruction.
#pragma once

#include <cstdint>
#include <vector>

#include "memsched/hetero/chain.hpp"
#include "memsched/hetero/schedule.hpp"

namespace memsched::detail {

/// One split j of an interval (i, l) in the split loop of the table: the candidate
/// C_j(m) = (sweep + A(m - shift)) + B(m), A = Opt(j, l) and B = Opt(i, j-1) as windows (values
/// a[m - a_lo] for a_lo <= m <= a_hi, a_last beyond), finite from m = from on.
struct SplitRef {
  const double* a = nullptr;
  const double* b = nullptr;
  std::int64_t a_lo = 0, a_hi = 0, b_lo = 0, b_hi = 0, shift = 0, from = 0;
  double a_last = 0.0, b_last = 0.0, sweep = 0.0;
};

/// A chain with every size in memory units, in rotor's padded arrays (RR-9302 notation):
/// cw[i] = x_i (0..L, cw[L+1] = 0), cbw[i] = x̄_i (cbw[i+1] = tape of stage i, cbw[L+1] = 0),
/// ft[i] / bt[i] = temporaries (ft[L] = 0, bt[L] = the loss's), rt[i] = temporary of the
/// recording forward Fe_i (= ft[i] unless the stage says otherwise), fw[i] / bw[i] = times
/// (fw[L] = 0, bw[L] = the loss time).
struct UnitChain {
  std::int64_t num_stages = 0;
  std::vector<std::int64_t> cw, cbw, ft, rt, bt;
  std::vector<double> fw, bw;
};

/// Rounds every size of `chain` up to whole units of `unit` bytes.
UnitChain to_units(const HeteroChain& chain, Bytes unit);

/// Opt[m][i][l] for 0 <= i <= l <= L, 0 <= m <= max_units: the least time to run forwards
/// i..l and backwards l..i with x_i stored (not counted in m) and the gradient ȳ_{l+1} held
/// (counted), with m units free; +inf if impossible. Each interval keeps only the memory range
/// [lo, hi] where its value is finite and still changing.
class PersistentTable {
 public:
  /// Memory values per pruning block of the split loop (see compute_interval).
  static constexpr std::int64_t kBlock = 32;

  /// `num_threads` > 1 computes the columns of each tile in a pipeline of up to kTile threads.
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
  // Scratch of one thread: the interval's values r[m] and, per memory value, the split that
  // last improved it (-1: the chain decision).
  struct Scratch {
    std::vector<double> r;
    std::vector<std::int32_t> arg;
    std::vector<SplitRef> splits;          // the splits of one interval, for the block loop
    std::vector<std::int32_t> pass;        // splits that passed the tests of two memory blocks
    std::vector<std::int32_t> candidates;  // splits that passed test 2 in one memory block
    std::vector<float> sweep;  // lower bounds of sweep(i, j) for the splits j of one interval
    std::vector<std::uint8_t> flags;  // split tests of one memory block
  };
  // `left` and `down`: the best splits of (i, l-1) and (i+1, l) at the end of each memory block
  // (null if none), used as first guesses; `mine` receives those of (i, l).
  void compute_interval(std::int64_t i, std::int64_t l, Scratch& scratch, Arena& arena,
                        const std::int32_t* left, const std::int32_t* down, std::int32_t* mine);
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
  // max_{i<k<l} (cw[k] + cw[k+1] + ft[k]) for m_null, as a sparse-table-free running max.
  std::vector<std::int64_t> step_need_;
  std::vector<Window> windows_;
  std::vector<Window> columns_;
  std::vector<Arena> arenas_;
  // Columns per tile of the one-thread order (see compute).
  static constexpr std::int64_t kTile = 4;
  std::int64_t num_blocks_ = 0;
  // Per interval (i, l), a lower bound of its value at the end of each memory block k, rounded
  // down to float: Opt(i, l)(end(k)) with end(k) = min(k kBlock + kBlock - 1, M). Stored per row
  // i block by block, ((i, i), (i, i+1), ..., (i, L)) for block 0, then block 1, ...: for one
  // interval (i, l) and one block, the left parts (i, j-1) of all splits j are contiguous.
  std::vector<float> row_bounds_;
  std::vector<std::size_t> row_start_;
  float* row_bound(std::int64_t i, std::int64_t k) {
    return row_bounds_.data() + row_start_[static_cast<std::size_t>(i)] +
           static_cast<std::size_t>(k * (chain_.num_stages - i + 1));
  }
  // The same at the middle of each block, mid(k) = min(k kBlock + kBlock / 2 - 1, M): test 3
  // bounds the left part of the block's first half by it.
  std::vector<float> row_mid_bounds_;
  float* row_mid_bound(std::int64_t i, std::int64_t k) {
    return row_mid_bounds_.data() + row_start_[static_cast<std::size_t>(i)] +
           static_cast<std::size_t>(k * (chain_.num_stages - i + 1));
  }
  // Per interval (j, l), a lower bound (float) of Opt(j, l)(end(k) - cw[j]): the right part of
  // the split j at the end of block k. Stored per column l block by block, j contiguous; only
  // the current tile's columns are kept (see compute).
  std::vector<float> column_bounds_;
  std::vector<std::size_t> column_start_;
  float* column_bound(std::int64_t l, std::int64_t k) {
    return column_bounds_.data() + column_start_[static_cast<std::size_t>(l)] +
           static_cast<std::size_t>(k * (l + 1));
  }
  // Per interval (j, l) of the current tile's columns, float lower bounds of its value as the
  // right part of split j at every memory value m of block k, Opt(j, l)(m - cw[j]) (+inf
  // where m - cw[j] is outside 0..M): kBlock floats per (l, k, j), contiguous in j for one
  // (l, k), so test 3 reads two cache lines per split from a region the next row reads again.
  std::vector<float> right_copy_;
  float* right_copy(std::int64_t l, std::int64_t k) {
    return right_copy_.data() +
           (static_cast<std::size_t>(l % kTile) * static_cast<std::size_t>(num_blocks_) +
            static_cast<std::size_t>(k)) *
               static_cast<std::size_t>(chain_.num_stages + 1) * kBlock;
  }
};

}  // namespace memsched::detail
