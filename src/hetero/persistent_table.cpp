// The persistent dynamic program of rotor (Beaumont, Eyraud-Dubois, Herrmann, Joly, Shilova,
// RR-9302, 2019; persistent.py / dynamic_programs.c of rotor v0.1), evaluated one interval at a
// time for every memory value at once. See docs/heterogeneous.md for the recurrence.
#include "persistent_table.hpp"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

#include "memsched/progress.hpp"

namespace memsched::detail {

namespace {

std::int64_t units(Bytes bytes, Bytes unit) { return (bytes + unit - 1) / unit; }

std::size_t ix(std::int64_t i) { return static_cast<std::size_t>(i); }

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

// Whether (s + a[k]) + b < r[k] for some k: a candidate with b a lower bound of its second
// part can improve r there.
MEMSCHED_VECTOR_CLONES bool any_below(const double* r, const double* a, double s, double b,
                                      std::int64_t count) {
  bool any = false;
  for (std::int64_t k = 0; k < count; ++k) any |= (s + a[k]) + b < r[k];
  return any;
}

// flags[k - k0] = whether the full block k (memory values [k W, k W + W), W = `width`) may be
// improved by a candidate (sweep + A(m - shift)) + B(m): its lower bound
// (sweep + A(kW + W - 1 - shift)) + summary[k] is below r at the block's start. `a` is indexed
// holds A(a_lo..a_hi), constant beyond `a_hi`; every point read is >= a_lo.
MEMSCHED_VECTOR_CLONES void block_tests(std::uint8_t* flags, const double* r, const double* a,
                                        std::int64_t a_lo, std::int64_t a_hi, std::int64_t shift,
                                        const float* summary, double sweep, std::int64_t k0,
                                        std::int64_t k1, std::int64_t width) {
  for (std::int64_t k = k0; k < k1; ++k) {
    std::int64_t q = k * width + width - 1 - shift;
    q = q < a_hi ? q : a_hi;
    const double low = (sweep + a[q - a_lo]) + static_cast<double>(summary[k]);
    flags[k - k0] = static_cast<std::uint8_t>(!(low >= r[k * width]));
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
  return pairs * static_cast<double>(max_units + 1) * sizeof(double) +
         pairs * static_cast<double>(max_units / kBlock + 1) * sizeof(float) +
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
  base_prefix_.assign(ix(n + 2), 0.0);
  for (std::int64_t i = 0; i <= n; ++i) {
    base_prefix_[ix(i + 1)] = base_prefix_[ix(i)] + (chain_.fw[ix(i)] + chain_.bw[ix(i)]);
  }
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
  arenas_.resize(static_cast<std::size_t>(num_threads));
  std::vector<Scratch> scratch(static_cast<std::size_t>(num_threads));
  for (Scratch& s : scratch) {
    s.r.assign(ix(max_units_ + 1), kInf);
    s.arg.assign(ix(max_units_ + 1), -1);
    s.flags.assign(ix(max_units_ / kBlock + 2), 0);
  }
  // Best splits per memory block of the previous and the current column (or length), indexed
  // by i: O(L M / kBlock) integers.
  num_blocks_ = max_units_ / kBlock + 1;
  const std::size_t stride = ix(num_blocks_);
  row_start_.assign(ix(n + 2), 0);
  for (std::int64_t i = 0; i <= n; ++i)
    row_start_[ix(i + 1)] = row_start_[ix(i)] + ix(n - i + 1) * stride;
  summaries_.assign(row_start_[ix(n + 1)], 0.0f);
  std::vector<std::int32_t> previous(ix(n + 2) * stride, -1), current(ix(n + 2) * stride, -1);
  auto at = [stride](std::vector<std::int32_t>& v, std::int64_t i) {
    return v.data() + ix(i) * stride;
  };
  // Intervals by increasing length, so every sub-interval is ready (quirk Q1: rotor's C loop
  // order reads uncomputed cells when a size rounds to 0 units). Intervals of one length are
  // independent: with threads, thread t takes every num_threads-th of them, and each writes
  // only its own windows and arena.
  // One thread: column by column (l ascending, i descending) is also a valid order, and the
  // windows (j, l) every interval of column l reads were just computed: about 10 % faster.
  // Progress: column l costs about l^2, length d about d (n - d); the fractions done are their
  // integrals, reported in units of 2^-20.
  auto report = [](double fraction) {
    report_progress("heterogeneous table", static_cast<std::int64_t>(fraction * 1048576), 1048576);
  };
  const double total = static_cast<double>(n + 1);
  if (num_threads == 1) {
    for (std::int64_t l = 0; l <= n; ++l) {
      const double x = static_cast<double>(l) / total;
      report(x * x * x);
      std::swap(previous, current);
      for (std::int64_t i = l; i >= 0; --i) {
        // Guesses: the best splits of (i, l-1) (previous column) and (i+1, l) (this column).
        compute_interval(i, l, scratch[0], arenas_[0], i < l ? at(previous, i) : nullptr,
                         i < l ? at(current, i + 1) : nullptr, at(current, i));
      }
    }
    return;
  }
  for (std::int64_t d = 0; d <= n; ++d) {
    const double x = static_cast<double>(d) / total;
    report(3 * x * x - 2 * x * x * x);
    std::swap(previous, current);
    const std::int64_t count = n - d + 1;
    // (i, i+d-1) and (i+1, i+d) both have length d-1: the previous length's entries i, i+1.
    auto one = [&](std::int64_t i, Scratch& sc, Arena& arena) {
      compute_interval(i, i + d, sc, arena, d > 0 ? at(previous, i) : nullptr,
                       d > 0 ? at(previous, i + 1) : nullptr, at(current, i));
    };
    // Threads only pay off on lengths with enough work (about L * M element updates).
    const bool parallel =
        num_threads > 1 && count >= num_threads && (d + 1) * (max_units_ + 1) * count >= (1 << 20);
    if (!parallel) {
      for (std::int64_t i = 0; i < count; ++i) one(i, scratch[0], arenas_[0]);
      continue;
    }
    auto work = [&, count](int t) {
      for (std::int64_t i = t; i < count; i += num_threads) one(i, scratch[ix(t)], arenas_[ix(t)]);
    };
    std::vector<std::thread> threads;
    for (int t = 1; t < num_threads; ++t) threads.emplace_back(work, t);
    work(0);
    for (std::thread& thread : threads) thread.join();
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
  // to the full evaluation. Two exact tests skip candidates:
  //  1. Global bound: C_j(m) >= sweep + (time of i..l without recomputation), and >= its value
  //     with the most memory; r is non-increasing in m, so only a prefix [from, stop) of the
  //     memory range can improve (binary search; lowered by 1e-12 relative against rounding).
  //  2. Block bound: Opt is non-increasing in m (more memory never forbids a schedule, by
  //     induction on the recurrence: every threshold is of the form m >= need and every
  //     sub-problem gets m or m minus a constant), and IEEE addition rounds monotonically, so
  //     for m in a block [s, e): C_j(m) >= C_j(e-1), while r(m) <= r(s). If a lower bound of
  //     C_j(e-1) is >= r(s), no value of the block can improve: skip it. The bound uses the
  //     exact A = Opt(j, l) (this column, just computed, in cache) and, for B = Opt(i, j-1), a
  //     float summary rounded down (a lower bound), so the far window (i, j-1) is not read.
  //  3. Element bound: in a block that survives, (sweep + A(m - cw[j])) + B(e-1) <= C_j(m) is
  //     compared with r(m) value by value (B(e-1) again from the summary); only if one value
  //     may improve is the far window read and the exact candidate evaluated.
  // Tests 2 and 3 prune well only once r is close to its final value, so the splits that were
  // best for the neighbouring intervals (i, l-1) and (i+1, l) at the same memory block are
  // tried first: the best split moves little between neighbours. On the network-like chain of
  // the benchmarks (L = 300, M = 1000) 22 % of the tested blocks pass test 2 and 2.8 % test 3.
  // The result does not depend on these guesses, only the speed.
  const double base = base_prefix_[ix(l + 1)] - base_prefix_[ix(i)];
  const std::int64_t n_blocks = num_blocks_;
  std::fill(arg, arg + top + 1, -1);
  auto leaf_from = [&](std::int64_t j) {
    const Window& a = column_window(j, l);
    const Window& b = window(i, j - 1);
    return std::max({mnull, a.lo + c.cw[ix(j)], b.lo});
  };
  // Exact update of r on [s, e) by split j, within both windows' finite ranges.
  double abuf[kBlock], bbuf[kBlock];
  // Exact update of r on [s, e) by split j. With `test`, first a lower bound per value that
  // reads only A (the window (j, l), just computed, in cache) and the summary of B: the far
  // window (i, j-1) is read only if some value of the block may improve.
  auto update = [&](std::int64_t j, std::int64_t s, std::int64_t e, bool test) {
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
    if (test) {
      const double bmin = static_cast<double>(summary(i, j - 1)[(e - 1) / kBlock]);
      if (!any_below(out + s, pa, sweep, bmin, e - s)) return;
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
        if (s < e) update(j, s, e, false);
      }
    }
  }
  for (std::int64_t j = i + 1; j <= l; ++j) {
    const Window& a = column_window(j, l);
    const Window& b = window(i, j - 1);
    if (a.lo > top || b.lo > top) continue;
    const double sweep = forward_sum(i, j);
    const double bound = std::max((sweep + a.last) + b.last, sweep + base) * (1.0 - 1e-12);
    const std::int64_t from = leaf_from(j);
    if (from > top || out[from] <= bound) continue;
    const std::int64_t stop =
        std::partition_point(out + from, out + top + 1, [&](double v) { return v > bound; }) - out;
    const float* sb = summary(i, j - 1);
    const std::int64_t shift = c.cw[ix(j)];
    // Block test: C_j on [s, e) >= (sweep + A(e-1-shift)) + summary of B at e-1 (B's summary
    // sample sits exactly at the end of a full block). A partial first or last block uses the
    // same bound at its own end. No read of the far window (i, j-1) here.
    auto test_one = [&](std::int64_t s, std::int64_t e) {
      const double low =
          (sweep + lookup(a, e - 1 - shift)) + static_cast<double>(sb[(e - 1) / kBlock]);
      if (!(low >= out[s])) update(j, s, e, true);
    };
    const std::int64_t k0 = from / kBlock;
    const std::int64_t k1 = (stop - 1) / kBlock;
    if (k0 == k1) {
      test_one(from, stop);
      continue;
    }
    test_one(from, (k0 + 1) * kBlock);
    if (k1 > k0 + 1) {
      // The full blocks in between, all tested in one vectorised pass; e-1-shift >= a.lo since
      // e-1 >= from.
      std::uint8_t* flags = scratch.flags.data();
      block_tests(flags, out, a.values, a.lo, a.hi, shift, sb, sweep, k0 + 1, k1, kBlock);
      for (std::int64_t k = k0 + 1; k < k1; ++k) {
        if (flags[k - k0 - 1] != 0) update(j, k * kBlock, (k + 1) * kBlock, true);
      }
    }
    test_one(k1 * kBlock, stop);
  }
  for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
    mine[blk] = arg[std::min(blk * kBlock + kBlock - 1, top)];
  }
  store(i, l, r, arena);
}

void PersistentTable::store(std::int64_t i, std::int64_t l, const std::vector<double>& r,
                            Arena& arena) {
  Window& w = windows_[ix(i * (chain_.num_stages + 1) + l)];
  const std::int64_t top = max_units_;
  float* sum = summaries_.data() + row_start_[ix(i)] + ix((l - i) * num_blocks_);
  for (std::int64_t k = 0; k < num_blocks_; ++k) {
    const double v = r[ix(std::min(k * kBlock + kBlock - 1, top))];
    float f = static_cast<float>(v);
    if (static_cast<double>(f) > v) f = std::nextafter(f, -__builtin_huge_valf());
    sum[k] = f;
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
