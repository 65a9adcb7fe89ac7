// The persistent table before split pruning by block bounds (oracle of the tests). The
// persistent dynamic program of rotor (Beaumont, Eyraud-Dubois, Herrmann, Joly, Shilova,
// RR-9302, 2019; persistent.py / dynamic_programs.c of rotor v0.1), evaluated one interval at a
// time for every memory value at once. See docs/heterogeneous.md for the recurrence.
#include "support/legacy_persistent_table.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include "memsched/progress.hpp"

namespace memsched::testing::legacy {

namespace {

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

double PersistentTable::worst_case_bytes(std::int64_t num_stages, std::int64_t max_units) {
  const double pairs =
      0.5 * static_cast<double>(num_stages + 1) * static_cast<double>(num_stages + 2);
  return pairs * static_cast<double>(max_units + 1) * sizeof(double) +
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
  std::vector<std::vector<double>> r(static_cast<std::size_t>(num_threads),
                                     std::vector<double>(ix(max_units_ + 1)));
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
      for (std::int64_t i = l; i >= 0; --i) compute_interval(i, l, r[0], arenas_[0]);
    }
    return;
  }
  for (std::int64_t d = 0; d <= n; ++d) {
    const double x = static_cast<double>(d) / total;
    report(3 * x * x - 2 * x * x * x);
    const std::int64_t count = n - d + 1;
    // Threads only pay off on lengths with enough work (about L * M element updates).
    const bool parallel =
        num_threads > 1 && count >= num_threads && (d + 1) * (max_units_ + 1) * count >= (1 << 20);
    if (!parallel) {
      for (std::int64_t i = 0; i < count; ++i) compute_interval(i, i + d, r[0], arenas_[0]);
      continue;
    }
    auto work = [&, d, count](int t) {
      for (std::int64_t i = t; i < count; i += num_threads) {
        compute_interval(i, i + d, r[ix(t)], arenas_[ix(t)]);
      }
    };
    std::vector<std::thread> threads;
    for (int t = 1; t < num_threads; ++t) threads.emplace_back(work, t);
    work(0);
    for (std::thread& thread : threads) thread.join();
  }
}

void PersistentTable::compute_interval(std::int64_t i, std::int64_t l, std::vector<double>& r,
                                       Arena& arena) {
  const auto& c = chain_;
  const std::int64_t top = max_units_;
  std::fill(r.begin(), r.end(), kInf);
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
  // Leaf: store x_j, solve j..l with cw[j] fewer units, then i..j-1 with ȳ_j held. A leaf
  // costs at least its forward sweep plus every forward and backward of i..l once, so it can
  // only improve r where r is above that bound: r is non-increasing, so that is a prefix of
  // the memory range, found by binary search. This prunes most of the work wherever memory
  // is ample. (The bound is lowered by 1e-12 relative so rounding can never hide a candidate.)
  const double base = base_prefix_[ix(l + 1)] - base_prefix_[ix(i)];
  for (std::int64_t j = i + 1; j <= l; ++j) {
    const Window& a = column_window(j, l);
    const Window& b = window(i, j - 1);
    if (a.lo > top || b.lo > top) continue;
    const double sweep = forward_sum(i, j);
    // Both parts are at least their value with the most memory (>= their time without
    // recomputation, `base`).
    const double bound = std::max((sweep + a.last) + b.last, sweep + base) * (1.0 - 1e-12);
    const std::int64_t from = std::max({mnull, a.lo + c.cw[ix(j)], b.lo});
    if (from > top || out[from] <= bound) continue;
    const std::int64_t stop =
        std::partition_point(out + from, out + top + 1, [&](double v) { return v > bound; }) - out;
    add(sweep, a, c.cw[ix(j)], &b, from, stop);
  }
  store(i, l, r, arena);
}

void PersistentTable::store(std::int64_t i, std::int64_t l, const std::vector<double>& r,
                            Arena& arena) {
  Window& w = windows_[ix(i * (chain_.num_stages + 1) + l)];
  const std::int64_t top = max_units_;
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
  constexpr std::int64_t kBlock = std::int64_t{1} << 21;
  auto& blocks = arena.blocks;
  if (blocks.empty() ||
      static_cast<std::int64_t>(blocks.back().capacity() - blocks.back().size()) < count) {
    blocks.emplace_back();
    blocks.back().reserve(ix(std::max(kBlock, count)));
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

}  // namespace memsched::testing::legacy
