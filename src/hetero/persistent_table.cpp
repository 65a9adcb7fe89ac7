// The persistent dynamic program of rotor (Beaumont, Eyraud-Dubois, Herrmann, Joly, Shilova,
// RR-9302, 2019; persistent.py / dynamic_programs.c of rotor v0.1), evaluated one interval at a
// time for every memory value at once. See docs/heterogeneous.md for the recurrence.
#include "persistent_table.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <thread>
#include <utility>

#include "memsched/progress.hpp"

namespace memsched::detail {

namespace {

std::int64_t units(Bytes bytes, Bytes unit) { return (bytes + unit - 1) / unit; }

std::size_t ix(std::int64_t i) { return static_cast<std::size_t>(i); }

constexpr float kFloatInf = __builtin_huge_valf();

// The neighbouring float of a positive finite f (std::nextafter without the library call):
// positive floats are ordered like their bit patterns.
float float_step(float f, int direction) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  bits = direction > 0 ? bits + 1 : bits - 1;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// A float lower bound of v >= 0 in half the room of a double: the largest float <= v, capped
// at FLT_MAX / 4 for finite v so that a sum of three bounds never overflows to infinity (which
// would pass for an impossible candidate); +inf stays +inf.
constexpr float kBoundCap = __FLT_MAX__ / 4;
float down32(double v) {
  if (!(v <= static_cast<double>(kBoundCap)))
    return v == __builtin_huge_val() ? kFloatInf : kBoundCap;
  float f = static_cast<float>(v);
  if (static_cast<double>(f) > v) f = float_step(f, -1);
  return f;
}

// down32 without branches, for loops the compiler vectorises: the same value for v >= 0.
inline float down32_select(double v) {
  const float nearest = static_cast<float>(v);
  std::uint32_t bits;
  std::memcpy(&bits, &nearest, sizeof bits);
  bits -= static_cast<double>(nearest) > v ? 1u : 0u;
  float below;
  std::memcpy(&below, &bits, sizeof below);
  return v == __builtin_huge_val() ? kFloatInf : (below < kBoundCap ? below : kBoundCap);
}

// Compiled for AVX-512, AVX2 and plain x86-64, chosen at load time (GCC function
// multiversioning), so the library stays portable and still uses the machine's vector width.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define MEMSCHED_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MEMSCHED_VECTOR_CLONES
#endif

// The inner loops. They run over contiguous memory values with no dependence between
// iterations, so the compiler vectorises them; the expression order ((s + a) + b) is the one
// schedule() re-evaluates, so the two agree to the last bit.
MEMSCHED_VECTOR_CLONES void min_add2(double* r, const double* a, const double* b, double s,
                                     std::int64_t count) {
  for (std::int64_t k = 0; k < count; ++k) {
    const double v = (s + a[k]) + b[k];
    r[k] = v < r[k] ? v : r[k];
  }
}

MEMSCHED_VECTOR_CLONES void min_add_left(double* r, const double* a, double s, double c,
                                         std::int64_t count) {
  for (std::int64_t k = 0; k < count; ++k) {
    const double v = (s + a[k]) + c;
    r[k] = v < r[k] ? v : r[k];
  }
}

// min_add2 that also records which split `j` improved each value.
MEMSCHED_VECTOR_CLONES void min_add2_arg(double* r, std::int32_t* arg, const double* a,
                                         const double* b, double s, std::int32_t j,
                                         std::int64_t count) {
  for (std::int64_t k = 0; k < count; ++k) {
    const double v = (s + a[k]) + b[k];
    const bool better = v < r[k];
    r[k] = better ? v : r[k];
    arg[k] = better ? j : arg[k];
  }
}

MEMSCHED_VECTOR_CLONES void fill_min(double* r, double v, std::int64_t count) {
  for (std::int64_t k = 0; k < count; ++k) r[k] = v < r[k] ? v : r[k];
}

MEMSCHED_VECTOR_CLONES void min_add_right(double* r, double sa, const double* b,
                                          std::int64_t count) {
  for (std::int64_t k = 0; k < count; ++k) {
    const double v = sa + b[k];
    r[k] = v < r[k] ? v : r[k];
  }
}

// What leaf_blocks needs to know about the interval (i, l) and its bounds.
struct LeafBlocks {
  const SplitRef* splits;  // splits[t]: j = first_split + t
  const float* sweeps;     // lower bounds of the sweeps, as floats
  std::int32_t* pass;      // room for 2 `width` + 16 indices
  const float* right;      // right-part bounds of block 0 (column l, from j = first_split)
  std::int64_t right_stride;
  const float* left;      // left-part bounds of block 0 (row i, from (i, first_split - 1))
  const float* left_mid;  // the same at the middle of each block (row_mid_bounds_)
  std::int64_t left_stride;
  // Float lower bounds of the right parts at every memory value of block 0, kBlock per split
  // (the column's right_copy_), and the distance between two blocks there.
  const float* right_values;
  std::int64_t right_values_stride;
  std::int32_t* candidates;  // room for `width` + 8 indices
  std::int64_t width;        // number of splits
  std::int32_t first_split;
  std::int64_t first_block, num_blocks, block, top, mnull;
  double floor_all;  // no split is below this at any memory value
};

// The values of a window at memory values from, ..., from + count - 1: a pointer into the
// window where it covers them all, otherwise a copy in `buf` whose entries past the window's
// stored range take its saturated value `last` (the value no longer changes there).
inline const double* window_run(const double* values, std::int64_t lo, std::int64_t hi, double last,
                                std::int64_t from, std::int64_t count, double* buf) {
  if (from + count - 1 <= hi) return values + (from - lo);
  for (std::int64_t k = 0; k < count; ++k) {
    const std::int64_t m = from + k;
    buf[k] = m < hi ? values[m - lo] : last;
  }
  return buf;
}

// The exhaustive part of the split loop of compute_interval (see there for the three tests),
// one function compiled per instruction set so that the loops over a block inline and
// vectorise. Blocks are kBlock memory values.
MEMSCHED_VECTOR_CLONES void leaf_blocks(const LeafBlocks& p, double* out, std::int32_t* arg,
                                        std::uint8_t* flags) {
  constexpr std::int64_t kBlock = PersistentTable::kBlock;
  static_assert(kBlock % 2 == 0 && kBlock <= 64, "two halves; the buffers hold 64 values");
  constexpr std::int64_t kHalf = kBlock / 2;
  double abuf[kBlock], bbuf[kBlock];
  const std::int64_t width = p.width;
  const std::int64_t padded = (width + 7) & ~std::int64_t{7};
  for (std::int64_t t = width; t < padded; ++t) flags[t] = 0;
  // The exact updates of one block's survivors run after the next block's tests, so that the
  // lines of their far windows, requested when they pass, have arrived by then (Opt's values at
  // different memory values do not depend on each other within one interval).
  std::int32_t* pass = p.pass;
  std::int32_t* pending = p.pass + width + 8;
  std::int64_t num_pending = 0, pending_s = 0, pending_e = 0;
  auto update = [&](const std::int32_t* list, std::int64_t num, std::int64_t s, std::int64_t e) {
    for (std::int64_t q = 0; q < num; ++q) {
      const std::int64_t t = list[q];
      const SplitRef& sp = p.splits[t];
      const std::int64_t from = std::max(s, sp.from);
      if (from >= e) continue;
      const std::int64_t count = e - from;
      const double* pa =
          window_run(sp.a, sp.a_lo, sp.a_hi, sp.a_last, from - sp.shift, count, abuf);
      const double* pb = window_run(sp.b, sp.b_lo, sp.b_hi, sp.b_last, from, count, bbuf);
      const std::int32_t j = p.first_split + static_cast<std::int32_t>(t);
      const double sweep = sp.sweep;
      double* __restrict r = out + from;
      std::int32_t* __restrict g = arg + from;
      const double* __restrict ra = pa;
      const double* __restrict rb = pb;
      for (std::int64_t k = 0; k < count; ++k) {
        const double v = (sweep + ra[k]) + rb[k];
        const bool better = v < r[k];
        r[k] = better ? v : r[k];
        g[k] = better ? j : g[k];
      }
    }
  };
  auto request = [](const double* values, std::int64_t lo, std::int64_t hi, std::int64_t from) {
    if (from < lo || from > hi) return;
    const double* x = values + (from - lo);
    for (std::int64_t k = 0; k < kBlock; k += 8) __builtin_prefetch(x + k);
    __builtin_prefetch(x + kBlock - 1);
  };
  for (std::int64_t blk = p.first_block; blk < p.num_blocks; ++blk) {
    const std::int64_t b0 = blk * kBlock;
    const std::int64_t s = std::max(b0, p.mnull);
    const std::int64_t e = std::min(b0 + kBlock, p.top + 1);
    if (out[s] <= p.floor_all) break;
    // Test 2 in float: with u = 2^-24, (sweep' + A') + B' computed in float is at most
    // (1 + u)^2 times the exact sum of the rounded-down bounds (plus 2^-150 for a subnormal
    // partial sum, negligible next to a total >= 2^-100), so below (1 + 2^-21) C_j(e-1) as
    // computed in double; a threshold of r(s) (1 + 2^-20), rounded up, therefore only skips
    // splits with C_j(e-1) > r(s). Below 2^-100, or above the float range, the threshold is
    // +inf: nothing finite is skipped (bounds are capped, so their sums stay finite).
    float threshold = kFloatInf;
    if (out[s] >= 0x1p-100) {
      const double t = out[s] * (1.0 + 0x1p-20);
      if (t <= static_cast<double>(__FLT_MAX__)) {
        threshold = static_cast<float>(t);
        if (static_cast<double>(threshold) < t) threshold = float_step(threshold, 1);
      }
    }
    const float* __restrict right = p.right + blk * p.right_stride;
    const float* __restrict left = p.left + blk * p.left_stride;
    const float* __restrict left_mid = p.left_mid + blk * p.left_stride;
    const float* __restrict sweeps = p.sweeps;
    std::uint8_t* __restrict f = flags;
    for (std::int64_t t = 0; t < width; ++t) {
      f[t] = static_cast<std::uint8_t>((sweeps[t] + right[t]) + left[t] < threshold);
    }
    // The splits that passed, listed without a branch per split (one that depends on the
    // test mispredicts at about every other survivor).
    std::int32_t* candidates = p.candidates;
    std::int64_t num_candidates = 0;
    for (std::int64_t t0 = 0; t0 < padded; t0 += 8) {
      std::uint64_t word;
      std::memcpy(&word, flags + t0, sizeof word);
      while (word != 0) {
        candidates[num_candidates++] = static_cast<std::int32_t>(t0 + (__builtin_ctzll(word) >> 3));
        word &= word - 1;
      }
    }
    // Test 3, value by value in float: the right part's lower bound at every m (the column's
    // shifted float copy: two cache lines per split, contiguous in j, instead of the far
    // window's five), the left part's at the end of the block's half that holds m (Opt is
    // non-increasing in m), against thresholds of r(m) with the margin of test 2, here
    // r(m) (1 + 2^-19) rounded to nearest: at least r(m) (1 + 2^-20) as test 2 requires; -inf
    // outside [s, e). Test 3 of later splits uses r before the updates of earlier ones: a
    // larger r, still a sound test.
    alignas(64) float thresholds[kBlock];
    for (std::int64_t k = 0; k < kBlock; ++k) {
      const double rm = out[std::min(b0 + k, p.top)];
      const float above = static_cast<float>(rm * (1.0 + 0x1p-19));
      const bool inside = b0 + k >= s && b0 + k < e;
      thresholds[k] = !inside ? -kFloatInf : rm >= 0x1p-100 ? above : kFloatInf;
    }
    const float* __restrict values = p.right_values + blk * p.right_values_stride;
    std::int64_t num_pass = 0;
    for (std::int64_t q = 0; q < num_candidates; ++q) {
      if (q + 8 < num_candidates) {
        const float* x = values + candidates[q + 8] * kBlock;
        for (std::int64_t k = 0; k < kBlock; k += 16) __builtin_prefetch(x + k);
      }
      const std::int64_t t = candidates[q];
      const float* __restrict a = values + t * kBlock;
      const float sweep = sweeps[t], b_mid = left_mid[t], b_end = left[t];
      int hits = 0;  // (an integer sum vectorises; a boolean or does not)
      for (std::int64_t k = 0; k < kBlock; ++k) {
        const float b = k < kHalf ? b_mid : b_end;
        hits += (sweep + a[k]) + b < thresholds[k] ? 1 : 0;
      }
      pass[num_pass] = static_cast<std::int32_t>(t);
      num_pass += hits != 0 ? 1 : 0;
    }
    for (std::int64_t q = 0; q < num_pass; ++q) {
      const SplitRef& sp = p.splits[pass[q]];
      const std::int64_t from = std::max(s, sp.from);
      request(sp.b, sp.b_lo, sp.b_hi, from);
      request(sp.a, sp.a_lo, sp.a_hi, from - sp.shift);
    }
    update(pending, num_pending, pending_s, pending_e);
    std::swap(pending, pass);
    num_pending = num_pass;
    pending_s = s;
    pending_e = e;
  }
  update(pending, num_pending, pending_s, pending_e);
}

}  // namespace

UnitChain to_units(const HeteroChain& chain, Bytes unit) {
  const std::int64_t n = chain.num_stages();
  UnitChain u;
  u.num_stages = n;
  u.cw.assign(ix(n + 2), 0);
  u.cbw.assign(ix(n + 2), 0);
  u.ft.assign(ix(n + 1), 0);
  u.rt.assign(ix(n + 1), 0);
  u.bt.assign(ix(n + 1), 0);
  u.fw.assign(ix(n + 1), 0.0);
  u.bw.assign(ix(n + 1), 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    const HeteroStage& s = chain.stage(i);
    u.cw[ix(i)] = units(s.input_bytes, unit);
    u.cbw[ix(i + 1)] = units(s.tape_bytes, unit);
    u.ft[ix(i)] = units(s.forward_tmp_bytes, unit);
    u.rt[ix(i)] = units(s.recording_tmp(), unit);
    u.bt[ix(i)] = units(s.backward_tmp_bytes, unit);
    u.fw[ix(i)] = s.forward_time;
    u.bw[ix(i)] = s.backward_time;
  }
  u.cw[ix(n)] = units(chain.loss().input_bytes, unit);
  u.bt[ix(n)] = units(chain.loss().backward_tmp_bytes, unit);
  u.bw[ix(n)] = chain.loss().time;
  u.cbw[0] = u.cw[0];
  return u;
}

double PersistentTable::worst_case_bytes(std::int64_t num_stages, std::int64_t max_units) {
  const double pairs =
      0.5 * static_cast<double>(num_stages + 1) * static_cast<double>(num_stages + 2);
  const double blocks = static_cast<double>(max_units / kBlock + 1);
  return pairs * static_cast<double>(max_units + 1) * sizeof(double) +
         3 * pairs * blocks * sizeof(float) +
         static_cast<double>(kTile) * static_cast<double>(num_stages + 1) * blocks * kBlock *
             sizeof(float) +
         static_cast<double>(num_stages + 1) * static_cast<double>(num_stages + 1) *
             (2 * sizeof(Window));
}

PersistentTable::PersistentTable(UnitChain chain, std::int64_t max_units, bool rotor_compatible,
                                 int num_threads)
    : chain_(std::move(chain)), max_units_(max_units), rotor_(rotor_compatible) {
  const std::int64_t n = chain_.num_stages;
  fw_prefix_.assign(ix(n + 2), 0.0);
  for (std::int64_t i = 0; i <= n; ++i)
    fw_prefix_[ix(i + 1)] = fw_prefix_[ix(i)] + chain_.fw[ix(i)];
  step_need_.assign(ix(n + 1), 0);
  for (std::int64_t k = 0; k < n; ++k) {
    step_need_[ix(k)] = chain_.cw[ix(k)] + chain_.cw[ix(k + 1)] + chain_.ft[ix(k)];
  }
  windows_.resize(ix((n + 1) * (n + 1)));
  columns_.resize(ix((n + 1) * (n + 1)));
  compute(std::max(1, num_threads));
}

std::int64_t PersistentTable::m_all(std::int64_t i) const {
  const auto& c = chain_;
  return std::max(c.cw[ix(i + 1)] + c.cbw[ix(i + 1)] + c.rt[ix(i)],
                  c.cw[ix(i)] + c.cw[ix(i + 1)] + c.cbw[ix(i + 1)] + c.bt[ix(i)]);
}

// Memory the "chain" decision (run Fe_i, solve i+1..l, run B_i) needs for its own two steps.
// rotor charges the gradient ȳ_{i+1} during Fe_i (m_all); the gradient actually held then is
// ȳ_{l+1} (quirk Q2 of docs/heterogeneous.md).
std::int64_t PersistentTable::chain_need(std::int64_t i, std::int64_t l) const {
  if (rotor_) return m_all(i);
  const auto& c = chain_;
  return std::max(c.cw[ix(l + 1)] + c.cbw[ix(i + 1)] + c.rt[ix(i)],
                  c.cw[ix(i)] + c.cw[ix(i + 1)] + c.cbw[ix(i + 1)] + c.bt[ix(i)]);
}

double PersistentTable::value(std::int64_t i, std::int64_t l, std::int64_t m) const {
  if (m < 0) return kInf;
  return lookup(window(i, l), std::min(m, max_units_));
}

void PersistentTable::compute(int num_threads) {
  const std::int64_t n = chain_.num_stages;
  // One thread per column of a tile at most (see below).
  num_threads = static_cast<int>(std::min<std::int64_t>({num_threads, kTile, n + 1}));
  arenas_.resize(static_cast<std::size_t>(num_threads));
  std::vector<Scratch> scratch(static_cast<std::size_t>(num_threads));
  num_blocks_ = max_units_ / kBlock + 1;
  const std::size_t stride = ix(num_blocks_);
  for (Scratch& s : scratch) {
    s.r.assign(ix(max_units_ + 1), kInf);
    s.arg.assign(ix(max_units_ + 1), -1);
    s.sweep.assign(ix(n + 1), 0.0f);
    s.pass.assign(ix(2 * n + 18), 0);
    s.candidates.assign(ix(n + 9), 0);
    s.splits.assign(ix(n + 1), SplitRef{});
    s.flags.assign(ix(n + 8), 0);
  }
  row_start_.assign(ix(n + 2), 0);
  for (std::int64_t i = 0; i <= n; ++i)
    row_start_[ix(i + 1)] = row_start_[ix(i)] + ix(n - i + 1) * stride;
  row_bounds_.assign(row_start_[ix(n + 1)], 0.0f);
  row_mid_bounds_.assign(row_start_[ix(n + 1)], 0.0f);
  // Only the current tile's columns need their bounds.
  column_start_.assign(ix(n + 2), 0);
  for (std::int64_t l = 0; l <= n; ++l) column_start_[ix(l)] = ix(l % kTile) * ix(n + 1) * stride;
  column_start_[ix(n + 1)] = ix(kTile) * ix(n + 1) * stride;
  column_bounds_.assign(column_start_[ix(n + 1)], 0.0f);
  right_copy_.assign(ix(kTile) * stride * ix(n + 1) * ix(kBlock), kFloatInf);
  // Tiles of kTile columns (quirk Q1: rotor's C loop order reads uncomputed cells when a size
  // rounds to 0 units; here every cell read is computed), each row by row (i descending) and,
  // within a row, column by column: (i, l) needs (i, l') for l' < l (the left parts; (i, l-1)
  // just computed) and (j, l) for j > i (the right parts and the chain's (i+1, l), computed for
  // an earlier row of the tile). The consecutive intervals (i, l0), ..., (i, l0 + kTile - 1)
  // read the same left parts (i, j-1), which stay in the cache between them. The guesses of a
  // column live in slot l mod (kTile + 1): the tile's columns and the one before it.
  std::vector<std::int32_t> guesses(ix(kTile + 1) * ix(n + 2) * stride, -1);
  auto guess = [&](std::int64_t l, std::int64_t i) {
    return guesses.data() + (ix(l % (kTile + 1)) * ix(n + 2) + ix(i)) * stride;
  };
  // Progress: column l costs about l^2; the fraction done is its integral, in units of 2^-20.
  const double total = static_cast<double>(n + 1);
  auto one = [&](std::int64_t i, std::int64_t l, int t) {
    // Guesses: the best splits of (i, l-1) and (i+1, l).
    compute_interval(i, l, scratch[ix(t)], arenas_[ix(t)], i < l ? guess(l - 1, i) : nullptr,
                     i < l ? guess(l, i + 1) : nullptr, guess(l, i));
  };
  // With T threads (one: the calling thread alone, every wait already met), thread t computes
  // the columns l0 + [t kTile / T, (t + 1) kTile / T) of each tile, row by row, starting (i, l)
  // once (i, l-1) is done (column l-1's `done` is <= i):
  // everything else (i, l) reads is then done too, since (i, l-1) itself waited for (i, l-2), and
  // so on, and rows j > i of its own columns came earlier on its own thread. Each interval writes
  // only its own window, bounds and guesses, and each thread its own arena and scratch; the tile
  // ends when every thread has joined (the next tile reuses the column slots).
  std::array<std::atomic<std::int64_t>, kTile> done{};
  std::atomic<bool> failed{false};
  for (std::int64_t l0 = 0; l0 <= n; l0 += kTile) {
    const double x = static_cast<double>(l0) / total;
    report_progress("heterogeneous table", static_cast<std::int64_t>(x * x * x * 1048576), 1048576);
    const std::int64_t l1 = std::min(l0 + kTile - 1, n);
    for (std::int64_t c = 0; c < kTile; ++c) done[ix(c)].store(l0 + c + 1);
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(num_threads));
    auto work = [&](int t) {
      // Thread t's columns: l0 + [begin, end), contiguous, so that the threads form a pipeline
      // (thread t + 1 starts row i once thread t has finished its last column there).
      const std::int64_t begin = t * kTile / num_threads, end = (t + 1) * kTile / num_threads;
      try {
        for (std::int64_t i = l1; i >= 0; --i) {
          for (std::int64_t l = std::max(l0 + begin, i); l <= std::min(l0 + end - 1, l1); ++l) {
            if (l > l0 && l - 1 >= i) {
              const auto& previous = done[ix(l - 1 - l0)];
              while (previous.load(std::memory_order_acquire) > i) {
                if (failed.load(std::memory_order_relaxed)) return;
                std::this_thread::yield();
              }
            }
            one(i, l, t);
            done[ix(l - l0)].store(i, std::memory_order_release);
          }
        }
      } catch (...) {
        errors[static_cast<std::size_t>(t)] = std::current_exception();
        failed.store(true);
      }
    };
    std::vector<std::thread> threads;
    for (int t = 1; t < num_threads; ++t) threads.emplace_back(work, t);
    work(0);
    for (std::thread& thread : threads) thread.join();
    for (const std::exception_ptr& e : errors) {
      if (e) std::rethrow_exception(e);
    }
  }
}

void PersistentTable::compute_interval(std::int64_t i, std::int64_t l, Scratch& scratch,
                                       Arena& arena, const std::int32_t* left,
                                       const std::int32_t* down, std::int32_t* mine) {
  const auto& c = chain_;
  const std::int64_t top = max_units_;
  std::vector<double>& r = scratch.r;
  std::int32_t* arg = scratch.arg.data();
  std::fill(r.begin(), r.end(), kInf);
  std::fill(mine, mine + num_blocks_, -1);
  if (i == l) {
    // Opt[m][i][i] = fw[i] + bw[i] if m >= m_all(i) (for i = L: the loss).
    const std::int64_t need = i < c.num_stages ? m_all(i) : c.cw[ix(i)] + c.bt[ix(i)];
    for (std::int64_t m = need; m <= top; ++m) r[ix(m)] = c.fw[ix(i)] + c.bw[ix(i)];
    store(i, l, r, arena);
    return;
  }
  // m_null(i, l): the forward sweep CF_i Fn_{i+1} ... with ȳ_{l+1} held.
  std::int64_t inner = 0;
  for (std::int64_t k = i + 1; k < l; ++k) inner = std::max(inner, step_need_[ix(k)]);
  const std::int64_t mnull = c.cw[ix(l + 1)] + std::max(c.cw[ix(i + 1)] + c.ft[ix(i)], inner);
  if (mnull > top) {
    store(i, l, r, arena);
    return;
  }
  double* out = r.data();
  // Adds the candidate (s + A(m - shift)) + B(m) on [from, stop), A and B windows (B may be
  // null: a constant 0). Each candidate is non-increasing in m, so r stays non-increasing.
  auto add = [&](double s, const Window& a, std::int64_t shift, const Window* b, std::int64_t from,
                 std::int64_t stop) {
    std::int64_t start = std::max(from, a.lo + shift);
    if (b != nullptr) start = std::max(start, b->lo);
    if (start >= stop) return;
    const std::int64_t pa = a.hi + shift;
    const std::int64_t pb = b != nullptr ? b->hi : start;
    const std::int64_t sat = std::max(pa, pb);  // both saturated from here on
    const double aconst = a.last;
    const double bconst = b != nullptr ? b->last : 0.0;
    const std::int64_t end = std::min(sat, stop);
    if (start < end) {
      const std::int64_t both = std::min(std::min(pa, pb), end);
      if (start < both) {
        if (b != nullptr) {
          min_add2(out + start, a.values + (start - shift - a.lo), b->values + (start - b->lo), s,
                   both - start);
        } else {
          min_add_left(out + start, a.values + (start - shift - a.lo), s, 0.0, both - start);
        }
      }
      const std::int64_t from2 = std::max(start, both);
      if (from2 < end) {
        if (pa <= pb) {  // A saturated, B still varying
          min_add_right(out + from2, s + aconst, b->values + (from2 - b->lo), end - from2);
        } else {  // B saturated (or absent), A still varying
          min_add_left(out + from2, a.values + (from2 - shift - a.lo), s, bconst, end - from2);
        }
      }
    }
    const std::int64_t flat = std::max(sat, start);
    if (flat < stop) fill_min(out + flat, (s + aconst) + bconst, stop - flat);
  };
  // Chain first: Fe_i, solve i+1..l with x̄_{i+1} held, B_i.
  {
    const Window& a = window(i + 1, l);
    if (a.lo <= top) {
      add(c.fw[ix(i)] + c.bw[ix(i)], a, c.cbw[ix(i + 1)], nullptr,
          std::max(mnull, chain_need(i, l)), top + 1);
    }
  }
  // Leaf: store x_j, solve j..l with cw[j] fewer units, then i..j-1 with ȳ_j held: the
  // candidate C_j(m) = (sweep(i, j) + Opt[m - cw[j]][j][l]) + Opt[m][i][j-1] of rotor's
  // recurrence (Beaumont, Eyraud-Dubois, Herrmann, Joly, Shilova, "Optimal checkpointing for
  // heterogeneous chains", RR-9302 2019 / ACM TOMS, the persistent Opt equation). Only the
  // minimum matters, and a minimum of doubles does not depend on the order in which the
  // candidates are seen, so the candidates may be skipped wherever they provably cannot be
  // strictly smaller than the current r, and visited in any order: the table is bit-identical
  // to the full evaluation. Three exact tests skip candidates:
  //  1. Global bound: C_j(m) >= its value with the most memory, (sweep + A(M)) + B(M); r is
  //     non-increasing in m, so once r is at or below the least of these over all j (lowered
  //     by 1e-12 relative against rounding), no larger m can improve.
  //  2. Block bound: Opt is non-increasing in m (more memory never forbids a schedule, by
  //     induction on the recurrence: every threshold is of the form m >= need and every
  //     sub-problem gets m or m minus a constant), and IEEE addition rounds monotonically, so
  //     for m in a block [s, e): C_j(m) >= C_j(e-1), while r(m) <= r(s). If a lower bound of
  //     C_j(e-1) is >= r(s), no value of the block can improve: skip it. The bound is a float
  //     sum of float lower bounds of sweep(i, j), A(e-1-cw[j]) (the column bounds of (j, l))
  //     and B(e-1) (the row bounds of (i, j-1)), contiguous in j for a given block, so one
  //     vectorised pass tests every split of the block; the margin that makes float rounding
  //     safe is in leaf_blocks.
  //  3. Element bound: in a block that survives, (sweep + A(m - cw[j])) + B(e-1) <= C_j(m) is
  //     compared with r(m) value by value (exact A, B(e-1) from the row bounds); only if one
  //     value may improve is the far window (i, j-1) read and the exact candidate evaluated.
  // Tests 2 and 3 prune better once r is close to its final value, so the splits that were
  // best for the neighbouring intervals (i, l-1) and (i+1, l) at the end of each memory block
  // are tried first. On the network-like chain of the benchmarks (L = 500, M = 1000) 17 % of
  // the (split, block) pairs pass test 2 and 2.7 % test 3. The result does not depend on
  // the guesses or the order, only the speed.
  const std::int64_t n_blocks = num_blocks_;
  std::fill(arg, arg + top + 1, -1);
  auto leaf_from = [&](std::int64_t j) {
    const Window& a = column_window(j, l);
    const Window& b = window(i, j - 1);
    return std::max({mnull, a.lo + c.cw[ix(j)], b.lo});
  };
  // Exact update of r on [s, e) (within one block) by split j, within both windows' finite
  // ranges.
  double abuf[kBlock], bbuf[kBlock];
  auto update = [&](std::int64_t j, std::int64_t s, std::int64_t e) {
    const Window& a = column_window(j, l);
    const Window& b = window(i, j - 1);
    const std::int64_t shift = c.cw[ix(j)];
    const double sweep = forward_sum(i, j);
    const double* pa;
    if (e - 1 - shift <= a.hi) {
      pa = a.values + (s - shift - a.lo);
    } else {
      for (std::int64_t m = s; m < e; ++m) abuf[m - s] = lookup(a, m - shift);
      pa = abuf;
    }
    const double* pb;
    if (e - 1 <= b.hi) {
      pb = b.values + (s - b.lo);
    } else {
      for (std::int64_t m = s; m < e; ++m) bbuf[m - s] = lookup(b, m);
      pb = bbuf;
    }
    min_add2_arg(out + s, arg + s, pa, pb, sweep, static_cast<std::int32_t>(j), e - s);
  };
  // Guesses first.
  if (left != nullptr || down != nullptr) {
    for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
      const std::int32_t guesses[2] = {left != nullptr ? left[blk] : -1,
                                       down != nullptr ? down[blk] : -1};
      for (int g = 0; g < 2; ++g) {
        const std::int64_t j = guesses[g];
        if (j <= i || j > l || (g == 1 && j == guesses[0])) continue;
        const std::int64_t s = std::max(blk * kBlock, leaf_from(j));
        const std::int64_t e = std::min(blk * kBlock + kBlock, top + 1);
        if (s < e) update(j, s, e);
      }
    }
  }
  // Then every memory block, from the first feasible one up: all splits are tested at once
  // against r at the block's start (test 2, vectorised over j), and the survivors go through
  // test 3 and the exact update. The bounds of the right parts (j, l) sit in this column's
  // bounds, those of the left parts (i, j-1) in row i's, both contiguous in j.
  const std::int64_t width = l - i;
  float* sweeps = scratch.sweep.data();
  for (std::int64_t t = 0; t < width; ++t) sweeps[t] = down32(forward_sum(i, i + 1 + t));
  std::uint8_t* flags = scratch.flags.data();
  // No split can beat r(m) <= min_j (sweep(i, j) + Opt(j, l)(M)) + Opt(i, j-1)(M): from the
  // first such m on, no block is tested.
  double floor_all = kInf;
  for (std::int64_t j = i + 1; j <= l; ++j) {
    const Window& a = column_window(j, l);
    const Window& b = window(i, j - 1);
    floor_all = std::min(floor_all, (forward_sum(i, j) + a.last) + b.last);
  }
  floor_all *= 1.0 - 1e-12;
  SplitRef* splits = scratch.splits.data();
  for (std::int64_t t = 0; t < width; ++t) {
    const std::int64_t j = i + 1 + t;
    const Window& a = column_window(j, l);
    const Window& b = window(i, j - 1);
    splits[t] = {a.values,
                 b.values,
                 a.lo,
                 a.hi,
                 b.lo,
                 b.hi,
                 c.cw[ix(j)],
                 std::max({mnull, a.lo + c.cw[ix(j)], b.lo}),
                 a.last,
                 b.last,
                 forward_sum(i, j)};
  }
  LeafBlocks p;
  p.splits = splits;
  p.sweeps = sweeps;
  p.pass = scratch.pass.data();
  p.right = column_bound(l, 0) + (i + 1);
  p.right_stride = l + 1;
  p.left = row_bound(i, 0);
  p.left_mid = row_mid_bound(i, 0);
  p.left_stride = c.num_stages - i + 1;
  p.right_values = right_copy(l, 0) + (i + 1) * kBlock;
  p.right_values_stride = (c.num_stages + 1) * kBlock;
  p.candidates = scratch.candidates.data();
  p.width = width;
  p.first_split = static_cast<std::int32_t>(i + 1);
  p.first_block = mnull / kBlock;
  p.num_blocks = n_blocks;
  p.top = top;
  p.mnull = mnull;
  p.floor_all = floor_all;
  leaf_blocks(p, out, arg, flags);
  for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
    mine[blk] = arg[std::min(blk * kBlock + kBlock - 1, top)];
  }
  store(i, l, r, arena);
}

void PersistentTable::store(std::int64_t i, std::int64_t l, const std::vector<double>& r,
                            Arena& arena) {
  Window& w = windows_[ix(i * (chain_.num_stages + 1) + l)];
  const std::int64_t top = max_units_;
  const std::int64_t shift = chain_.cw[ix(i)];
  for (std::int64_t k = 0; k < num_blocks_; ++k) {
    const std::int64_t end = std::min(k * kBlock + kBlock - 1, top);
    row_bound(i, k)[l - i] = down32(r[ix(end)]);
    row_mid_bound(i, k)[l - i] = down32(r[ix(std::min(k * kBlock + kBlock / 2 - 1, top))]);
    column_bound(l, k)[i] = end >= shift ? down32(r[ix(end - shift)]) : kFloatInf;
    // As a right part (split i of an interval (i', l)), (i, l) is read at m - cw[i]: the copy
    // is shifted so that its block k holds m = k kBlock, ..., k kBlock + kBlock - 1.
    float* copy = right_copy(l, k) + i * kBlock;
    const std::int64_t m0 = k * kBlock - shift;
    if (m0 >= 0 && m0 + kBlock - 1 <= top) {
      const double* v = r.data() + m0;
      for (std::int64_t q = 0; q < kBlock; ++q) copy[q] = down32_select(v[q]);
    } else {
      for (std::int64_t q = 0; q < kBlock; ++q) {
        const std::int64_t m = m0 + q;
        copy[q] = m >= 0 && m <= top ? down32(r[ix(m)]) : kFloatInf;
      }
    }
  }
  std::int64_t lo = 0;
  while (lo <= top && r[ix(lo)] == kInf) ++lo;
  static const double kInfinite = kInf;
  if (lo > top) {
    w.lo = top + 1;
    w.hi = top + 1;
    w.values = &kInfinite;
    w.last = kInf;
    columns_[ix(l * (chain_.num_stages + 1) + i)] = w;
    return;
  }
  std::int64_t hi = top;
  while (hi > lo && r[ix(hi - 1)] == r[ix(top)]) --hi;
  const std::int64_t count = hi - lo + 1;
  constexpr std::int64_t kArenaBlock = std::int64_t{1} << 21;
  auto& blocks = arena.blocks;
  if (blocks.empty() ||
      static_cast<std::int64_t>(blocks.back().capacity() - blocks.back().size()) < count) {
    blocks.emplace_back();
    blocks.back().reserve(ix(std::max(kArenaBlock, count)));
  }
  std::vector<double>& block = blocks.back();
  const std::size_t offset = block.size();
  block.insert(block.end(), r.begin() + static_cast<std::ptrdiff_t>(lo),
               r.begin() + static_cast<std::ptrdiff_t>(hi + 1));
  w.lo = lo;
  w.hi = hi;
  w.values = block.data() + offset;
  w.last = r[ix(hi)];
  columns_[ix(l * (chain_.num_stages + 1) + i)] = w;
  arena.stored += count;
}

HeteroSchedule PersistentTable::schedule(std::int64_t m0) const {
  const auto& c = chain_;
  const std::int64_t n = c.num_stages;
  HeteroSchedule ops;
  // An explicit stack instead of recursion: chains of 10^5 stages would overflow the call stack.
  struct Task {
    std::int64_t i, l, m;
    bool emit;  // emit `op` instead of solving (i, l, m)
    HeteroOp op;
  };
  std::vector<Task> stack{{0, n, m0, false, {}}};
  while (!stack.empty()) {
    const Task t = stack.back();
    stack.pop_back();
    if (t.emit) {
      ops.push_back(t.op);
      continue;
    }
    const std::int64_t i = t.i, l = t.l, m = t.m;
    if (i == l) {
      if (i == n) {
        ops.push_back(HeteroOp::loss(n));
      } else {
        ops.push_back(HeteroOp::forward_enable(i));
        ops.push_back(HeteroOp::backward(i));
      }
      continue;
    }
    std::int64_t inner = 0;
    for (std::int64_t k = i + 1; k < l; ++k) inner = std::max(inner, step_need_[ix(k)]);
    const std::int64_t mnull = c.cw[ix(l + 1)] + std::max(c.cw[ix(i + 1)] + c.ft[ix(i)], inner);
    double best_leaf = kInf;
    std::int64_t best_j = -1;
    if (m >= mnull) {
      for (std::int64_t j = i + 1; j <= l; ++j) {
        const double v = (forward_sum(i, j) + value(j, l, m - c.cw[ix(j)])) + value(i, j - 1, m);
        if (v < best_leaf) {
          best_leaf = v;
          best_j = j;
        }
      }
    }
    double chain = kInf;
    if (m >= std::max(mnull, chain_need(i, l))) {
      chain = (c.fw[ix(i)] + c.bw[ix(i)]) + value(i + 1, l, m - c.cbw[ix(i + 1)]);
    }
    if (best_j >= 0 && best_leaf <= chain) {
      ops.push_back(HeteroOp::forward_check(i));
      for (std::int64_t k = i + 1; k < best_j; ++k) ops.push_back(HeteroOp::forward_nograd(k));
      stack.push_back({i, best_j - 1, m, false, {}});
      stack.push_back({best_j, l, m - c.cw[ix(best_j)], false, {}});
    } else {
      ops.push_back(HeteroOp::forward_enable(i));
      stack.push_back({0, 0, 0, true, HeteroOp::backward(i)});
      stack.push_back({i + 1, l, m - c.cbw[ix(i + 1)], false, {}});
    }
  }
  return ops;
}

}  // namespace memsched::detail
