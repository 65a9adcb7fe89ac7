// H-Revolve (Herrmann & Pallez, ACM TOMS 46(2), 2020): the table, corrected for costly fast
// levels (docs/multilevel.md), and the lazy schedule rebuilt from it.
#include "memsched/plan/hrevolve.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "detail/binomial_reversal.hpp"
#include "hrevolve_tables.hpp"
#include "memsched/plan/binomial.hpp"
#include "memsched/progress.hpp"

namespace memsched {

namespace detail {

// One clone per vector width, picked at load time: the reduction is the whole cost of the DP.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
double
split_min(const double* a, const double* b, const double* c, std::int64_t count) noexcept {
  double best = kInfinity;
#pragma omp simd reduction(min : best)
  for (std::int64_t i = 0; i < count; ++i) {
    best = std::min(best, split_term(a[i], b[i], c[i]));
  }
  return best;
}

namespace {

// The pruned search of the split minimum (docs/multilevel.md, "Speed"). When the tail terms
// b[i] = H_k(l - 1 - i, m - 1) do not increase with i and the head terms c[i] = Hbar_k(i, m) do
// not decrease (checked on the rows, see solve()), every term of a block [i0, i1) is at least
// split_term(a[i0], b[i1 - 1], c[i0]): floating-point addition and multiplication round
// monotonically, so this holds for the computed doubles, not only for exact values. A block
// whose bound is not below the best term found cannot lower the minimum and is skipped; the
// minimum returned is the very double split_min() returns over all terms.
constexpr std::int64_t kLeaf = 64;  // terms evaluated by split_min() at once
constexpr std::int64_t kFan = 32;   // sub-blocks per block

// With integer costs the bound above can also use how fast the two sides change across a block
// (the exact mode below). Write term(i) = (a_i + c_i) + b_i: over a block [s, e), a_i + c_i
// grows by at least delta = uf + (the least step of the head row c in the block) per index and
// b_i falls by at least eta = (the least step of the tail row in the block), so for s <= i < e
//   term(i) >= (a_s + c_s + b_{e-1}) + (i - s) delta + (e - 1 - i) eta
//           >= split_term(a_s, b_{e-1}, c_s) + (e - 1 - s) min(delta, eta).
// Where the terms tie over long ranges (with costly levels thousands of splits are equally
// cheap) both rows rise by the same steps, and this bound equals the tied value, so such
// blocks are skipped instead of evaluated. It is used only when every value involved is a
// non-negative integer below 2^50, where every sum and product here is exact in doubles.
struct SlopeBounds {
  // For each block size sizes[q]: tail_step[q][p] = least H_k(p', m - 1) - H_k(p' - 1, m - 1)
  // over p' in [p, p + sizes[q]) (clipped at the row's end), and head_step[q][b] = least
  // Hbar_k(i + 1, m) - Hbar_k(i, m) over the known i of the aligned block b.
  std::vector<std::int64_t> sizes;
  std::vector<std::vector<double>> tail_step, head_step;
  Step l = 0;  // the entry being computed: b_i = H_k(l - 1 - i, m - 1)
};

struct PrunedSearch {
  const double* a;
  const double* b;
  const double* c;
  const SlopeBounds* slopes = nullptr;  // the exact mode, or none
  double best = kInfinity;
  std::int64_t best_leaf = 0;
  double terms = 0;  // terms and bounds evaluated

  void leaf(std::int64_t i0, std::int64_t i1) {
    terms += static_cast<double>(i1 - i0);
    const double v = split_min(a + i0, b + i0, c + i0, i1 - i0);
    if (v < best) {
      best = v;
      best_leaf = i0;
    }
  }
  double bound(std::int64_t s, std::int64_t e, std::int64_t size) const {
    const double base = split_term(a[s], b[e - 1], c[s]);
    if (slopes == nullptr || e - s < 2) return base;
    std::size_t q = 0;
    while (slopes->sizes[q] != size) ++q;
    const double delta = a[1] - a[0] + slopes->head_step[q][static_cast<std::size_t>(s / size)];
    // b_i - b_{i+1} = H_k(l - 1 - i) - H_k(l - 2 - i): steps at p in [l - e + 1, l - 1 - s].
    const double eta = slopes->tail_step[q][static_cast<std::size_t>(slopes->l - e + 1)];
    return base + static_cast<double>(e - 1 - s) * std::min(delta, eta);
  }
  void visit(std::int64_t i0, std::int64_t i1, std::int64_t size) {
    if (i1 - i0 <= kLeaf) {
      leaf(i0, i1);
      return;
    }
    const std::int64_t sub = size / kFan;
    for (std::int64_t s = i0; s < i1; s += sub) {
      const std::int64_t e = std::min(s + sub, i1);
      terms += 1;
      if (bound(s, e, sub) < best) visit(s, e, sub);
    }
  }
};

// min_{i < count} split_term(a[i], b[i], c[i]) for monotone rows as above; `hint` is the start
// of a block to evaluate first (the previous row's best: the minimum moves slowly with l) and
// is updated to this row's. Adds the terms and bounds it evaluates to `terms`.
double pruned_split_min(const double* a, const double* b, const double* c, std::int64_t count,
                        std::int64_t& hint, const SlopeBounds* slopes, double& terms) {
  if (count <= 4 * kLeaf) {
    terms += static_cast<double>(count);
    return split_min(a, b, c, count);
  }
  PrunedSearch search{a, b, c, slopes};
  const std::int64_t first = std::clamp<std::int64_t>(hint, 0, count - kLeaf);
  search.leaf(first, first + kLeaf);
  std::int64_t size = kLeaf;
  while (size < count) size *= kFan;
  search.visit(0, count, size);
  hint = search.best_leaf;
  terms += search.terms;
  return search.best;
}

// True for a non-negative integer below 2^50 (the exact mode of SlopeBounds).
bool small_integer(double x) { return x >= 0 && x < 0x1p50 && std::floor(x) == x; }

// The block sizes the search visits below the top (kLeaf kFan^p below the first one >= L + 1),
// tail_step for the tail row `prev` (entries 0..L), and head_step cleared.
void prepare_slopes(SlopeBounds& sb, const double* prev, Step L) {
  sb.sizes.clear();
  for (std::int64_t size = kLeaf; size < L + 1; size *= kFan) sb.sizes.push_back(size);
  const auto width = static_cast<std::size_t>(L + 1);
  sb.tail_step.assign(sb.sizes.size(), std::vector<double>(width, kInfinity));
  sb.head_step.assign(sb.sizes.size(), {});
  std::vector<double> step(width, kInfinity);  // step[p] = prev[p] - prev[p - 1], p >= 1
  for (std::size_t p = 1; p < width; ++p) step[p] = prev[p] - prev[p - 1];
  for (std::size_t q = 0; q < sb.sizes.size(); ++q) {
    // Minimum over [p, p + size) clipped: prefix and suffix minima within aligned blocks
    // (van Herk / Gil & Werman), O(L) per size.
    const auto size = static_cast<std::size_t>(sb.sizes[q]);
    std::vector<double> prefix(width), suffix(width);
    for (std::size_t p = 0; p < width; ++p) {
      prefix[p] = p % size == 0 ? step[p] : std::min(prefix[p - 1], step[p]);
    }
    for (std::size_t p = width; p-- > 0;) {
      suffix[p] =
          (p + 1) % size == 0 || p + 1 == width ? step[p] : std::min(suffix[p + 1], step[p]);
    }
    auto& out = sb.tail_step[q];
    for (std::size_t p = 0; p < width; ++p) {
      const std::size_t last = std::min(p + size - 1, width - 1);
      out[p] = std::min(suffix[p], prefix[last]);
    }
    sb.head_step[q].assign(width / size + 1, kInfinity);
  }
}

// Progress within a table of `rows` rows of L + 1 entries, entry l costing O(l): reported every
// 4096 entries, as a fraction in units of 2^-20.
void report_row(std::int64_t row, Step l, Step L, std::int64_t rows) {
  if ((l & 4095) != 0) return;
  const double x = static_cast<double>(l) / static_cast<double>(L);
  const double fraction = (static_cast<double>(row) + x * x) / static_cast<double>(rows);
  report_progress("hrevolve table", static_cast<std::int64_t>(fraction * 1048576), 1048576);
}

}  // namespace

void HRevolveTables::solve() {
  const Step L = length;
  const auto width = static_cast<std::size_t>(L + 1);
  advance.resize(width);
  for (Step j = 0; j <= L; ++j)
    advance[static_cast<std::size_t>(j)] = static_cast<double>(j) * forward;
  h.assign(num_levels, {});
  hbar.assign(num_levels, {});
  // H_k(l, m - 1) read backwards (index l - j for j = 1, 2, ...): a reversed copy makes the
  // inner loop three forward streams, which vectorise.
  std::vector<double> reversed(width);
  SlopeBounds slopes;
  std::int64_t rows = 0, rows_done = 0;
  auto refuse = [&](std::int64_t row, Step l) {
    char text[320];
    std::snprintf(
        text, sizeof text,
        "hrevolve: the split search passed %.3g operations (limit %.3g) at entry %lld "
        "of row %lld of %lld (n = %lld); the search without pruning would take %.3g",
        operations, max_operations, static_cast<long long>(l), static_cast<long long>(row + 1),
        static_cast<long long>(rows), static_cast<long long>(L + 1),
        static_cast<double>(L) * static_cast<double>(L) * 0.5 * static_cast<double>(rows));
    throw std::length_error(text);
  };
  for (std::size_t k = 0; k < num_levels; ++k) rows += slots[k];
  for (std::size_t k = 0; k < num_levels; ++k) {
    const std::int64_t c = slots[k];
    h[k].assign(static_cast<std::size_t>(c + 1) * width, kInfinity);
    hbar[k].assign(static_cast<std::size_t>(c + 1) * width, kInfinity);
    // m = 0: H_k(0, 0) = ub; H_k(l, 0) = U_k(l) (infinite on level 0).
    double* h0 = h[k].data();
    h0[0] = adjoint;
    for (Step l = 1; l <= L; ++l) h0[l] = down(k, l);
    if (k == 0 && closed_form_level0()) {
      // A free level 0 is Revolve: H_0(l, m) = Hbar_0(l, m) = uf t(l+1, m) + ub (l+1), the
      // exact value of the recurrence (docs/theory/chain.md, checked against the DP in the tests).
      for (std::int64_t m = 1; m <= c; ++m) {
        double* hm = h[k].data() + static_cast<std::size_t>(m) * width;
        double* hbm = hbar[k].data() + static_cast<std::size_t>(m) * width;
        const std::int64_t snapshots = unlimited[0] ? L + 1 : m;
        for (Step l = 0; l <= L; ++l) {
          const Step n = l + 1;
          const auto t = revolve_advances(n, std::min<std::int64_t>(snapshots, n));
          hm[l] = hbm[l] = forward * static_cast<double>(t) + adjoint * static_cast<double>(n);
        }
      }
      rows_done += c;
      continue;
    }
    for (std::int64_t m = 1; m <= c; ++m) {
      // An unlimited level's tail row is the row being built: reversed[L - l] is filled as
      // soon as H_k(l, inf) is known, before any later l reads it.
      const double* prev = h_row(k, tail_slots(k, m));
      for (Step i = 0; i <= L; ++i) reversed[static_cast<std::size_t>(i)] = prev[L - i];
      double* hm = h[k].data() + static_cast<std::size_t>(m) * width;
      double* hbm = hbar[k].data() + static_cast<std::size_t>(m) * width;
      const double* hb1 = hbar_row(k, 1);
      hm[0] = adjoint;
      hbm[0] = adjoint;
      if (unlimited[k]) reversed[static_cast<std::size_t>(L)] = adjoint;
      // The pruned search needs H_k(., m - 1) non-decreasing on [0, l - 1] and Hbar_k(., m) on
      // [0, l - 1] (both hold for exact values, by induction on l; checked on the doubles as
      // the rows are built). Once either fails the row falls back to the full search.
      bool tail_monotone = true;
      if (!unlimited[k]) {
        for (Step i = 1; i <= L && tail_monotone; ++i) tail_monotone = prev[i] >= prev[i - 1];
      }
      bool head_monotone = true;
      std::int64_t hint = 0;
      // The exact mode of the pruned search (SlopeBounds): integer costs and rows, a fixed tail.
      bool exact = !unlimited[k] && tail_monotone && small_integer(forward) &&
                   small_integer(adjoint) && small_integer(read[k]) && small_integer(write[k]);
      for (Step i = 0; i <= L && exact; ++i) exact = small_integer(prev[i]);
      if (exact) prepare_slopes(slopes, prev, L);
      const std::int64_t row = rows_done++;
      report_row(row, 0, L, rows);
      for (Step l = 1; l <= L; ++l) {
        report_row(row, l, L, rows);
        // Hbar_k(l, m) = min{ U_k(l), min_{1<=j<=l} [j uf + H_k(l-j, m-1) + r_k + Hbar_k(j-1, m)] }
        // (Herrmann & Pallez 2020, Thm. 2, with the split j = l added on every level and the
        // level-0 border dropped: docs/theory/chain.md). The published variant stops at j = l - 1
        // except on level 0 with one slot, where its closed form is the chain of j = l splits.
        const Step jmax = max_split(k, l, m);
        double value = kInfinity;
        if (jmax >= 1) {
          const double* tail = reversed.data() + (L - l + 1);
          slopes.l = l;
          if (tail_monotone && head_monotone) {
            value = pruned_split_min(advance.data() + 1, tail, hbm, jmax, hint,
                                     exact ? &slopes : nullptr, operations);
          } else {
            operations += static_cast<double>(jmax);
            value = split_min(advance.data() + 1, tail, hbm, jmax);
          }
          value += read[k];
          if (operations > max_operations) refuse(row, l);
        }
        value = std::min(value, down(k, l));
        if (variant == HRevolveVariant::kPublished && k == 0 && m >= 2) {
          value = std::min(value, hb1[l]);  // published: min{Hbar_0(l, 1), ...}
        }
        hbm[l] = value;
        // H_k(l, m) = min{ U_k(l), w_k + Hbar_k(l, m) }.
        hm[l] = std::min(down(k, l), write[k] + value);
        head_monotone = head_monotone && hbm[l] >= hbm[l - 1];
        exact = exact && small_integer(hbm[l]);
        if (exact) {
          const double step = hbm[l] - hbm[l - 1];
          for (std::size_t q = 0; q < slopes.sizes.size(); ++q) {
            double& least =
                slopes.head_step[q][static_cast<std::size_t>((l - 1) / slopes.sizes[q])];
            least = std::min(least, step);
          }
        }
        if (unlimited[k]) {
          reversed[static_cast<std::size_t>(L - l)] = hm[l];
          tail_monotone = tail_monotone && hm[l] >= hm[l - 1];
        }
      }
    }
  }
}

Decision HRevolveTables::decide_h(std::size_t k, Step l, std::int64_t m) const {
  if (l == 0) return {Choice::kLeaf, 0, m};
  if (m == 0) return {Choice::kDown, 0, m};
  const double store = write[k] + hbar_row(k, m)[l];
  if (down(k, l) <= store) return {Choice::kDown, 0, m};
  return {Choice::kStore, 0, m};
}

Decision HRevolveTables::decide_hbar(std::size_t k, Step l, std::int64_t m) const {
  if (l == 0) return {Choice::kLeaf, 0, m};
  const double target = hbar_row(k, m)[l];
  if (down(k, l) <= target) return {Choice::kDown, 0, m};
  if (variant == HRevolveVariant::kPublished && k == 0 && m >= 2 && hbar_row(k, 1)[l] <= target) {
    return decide_hbar(k, l, 1);
  }
  // A split whose term reproduces the table value. Among equally cheap splits the published
  // variant takes the first (fewest steps advanced, as the authors' argmin); the corrected one
  // takes the last (most steps advanced before the next checkpoint): with costly disk I/O the
  // tied splits trade forward steps against checkpoint writes, and the largest j writes fewer
  // checkpoints (docs/multilevel.md, "Ties").
  const double* prev = h_row(k, tail_slots(k, m));
  const double* head = hbar_row(k, m);
  const Step jmax = max_split(k, l, m);
  const auto matches = [&](Step j) {
    const double term =
        split_term(advance[static_cast<std::size_t>(j)], prev[l - j], head[j - 1]) + read[k];
    return term <= target;
  };
  if (variant == HRevolveVariant::kPublished) {
    for (Step j = 1; j <= jmax; ++j) {
      if (matches(j)) return {Choice::kSplit, j, m};
    }
  } else {
    for (Step j = jmax; j >= 1; --j) {
      if (matches(j)) return {Choice::kSplit, j, m};
    }
  }
  throw std::logic_error("hrevolve: the table has no matching decision");
}

std::pair<double, Step> GeneralTables::best_split(std::size_t idx, std::size_t k, Step l) const {
  const std::size_t tail = idx - stride[k];
  const double* head = tbar_row(idx, k);
  double best = kInfinity;
  Step arg = 0;
  for (Step j = 1; j <= l; ++j) {
    const double term =
        split_term(advance[static_cast<std::size_t>(j)], t(tail, l - j), head[j - 1]) + read[k];
    if (term < best) {
      best = term;
      arg = j;
    }
  }
  return {best, arg};
}

void GeneralTables::solve() {
  const Step L = length;
  const std::size_t w = width();
  advance.resize(w);
  for (Step j = 0; j <= L; ++j)
    advance[static_cast<std::size_t>(j)] = static_cast<double>(j) * forward;
  t_reversed.assign(num_vectors * w, kInfinity);
  tbar.assign(num_vectors * num_levels * w, kInfinity);
  std::vector<double> split(num_levels);
  // s - e_k has a smaller index than s, so increasing indices respect every dependency.
  for (std::size_t idx = 0; idx < num_vectors; ++idx) {
    report_row(static_cast<std::int64_t>(idx), 0, L, static_cast<std::int64_t>(num_vectors));
    double* t_row = t_reversed.data() + idx * w;  // t_row[L - l] = T(l, s)
    t_row[L] = adjoint;
    for (std::size_t k = 0; k < num_levels; ++k) {
      if (free_slots(idx, k) >= 1) tbar[(idx * num_levels + k) * w] = adjoint;
    }
    for (Step l = 1; l <= L; ++l) {
      report_row(static_cast<std::int64_t>(idx), l, L, static_cast<std::int64_t>(num_vectors));
      double best = kInfinity;
      for (std::size_t k = 0; k < num_levels; ++k) {
        split[k] = kInfinity;
        if (free_slots(idx, k) == 0) continue;
        const double* tail = t_reversed.data() + (idx - stride[k]) * w + (L - l + 1);
        split[k] = split_min(advance.data() + 1, tail, tbar_row(idx, k), l) + read[k];
        best = std::min(best, write[k] + split[k]);
      }
      t_row[L - l] = best;
      for (std::size_t k = 0; k < num_levels; ++k) {
        if (free_slots(idx, k) >= 1) {
          tbar[(idx * num_levels + k) * w + static_cast<std::size_t>(l)] = std::min(split[k], best);
        }
      }
    }
  }
}

}  // namespace detail

namespace {

void check_arguments(Step n, const Platform& platform, double uf, double ub) {
  if (n < 1) throw std::invalid_argument("hrevolve: needs n >= 1, got " + std::to_string(n));
  if (platform.num_levels() == 0)
    throw std::invalid_argument("hrevolve: the platform has no level");
  if (!(uf >= 0) || !(ub >= 0) || !std::isfinite(uf) || !std::isfinite(ub)) {
    throw std::invalid_argument("hrevolve: step costs must be finite and non-negative");
  }
}

bool monotone_costs(const Platform& platform) {
  for (std::size_t k = 1; k < platform.num_levels(); ++k) {
    if (platform.level(k).write_cost < platform.level(k - 1).write_cost ||
        platform.level(k).read_cost < platform.level(k - 1).read_cost) {
      return false;
    }
  }
  return true;
}

std::shared_ptr<detail::HRevolveTables> make_tables(Step n, const Platform& platform, double uf,
                                                    double ub, HRevolveVariant variant) {
  auto t = std::make_shared<detail::HRevolveTables>();
  t->length = n - 1;
  t->num_levels = platform.num_levels();
  for (const StorageLevel& level : platform.levels()) {
    // More slots than states x_0..x_{n-1} are never used; with that many, one row suffices.
    const bool unlimited = variant == HRevolveVariant::kCorrected && level.num_slots >= n;
    t->unlimited.push_back(unlimited);
    t->slots.push_back(unlimited ? 1 : std::min<std::int64_t>(level.num_slots, n));
    t->write.push_back(level.write_cost);
    t->read.push_back(level.read_cost);
  }
  constexpr double kMaxEntries = double(std::int64_t{1} << 27);
  double rows = 0;
  for (std::int64_t c : t->slots) rows += 2.0 * static_cast<double>(c + 1);
  if (rows * static_cast<double>(n) > kMaxEntries) {
    throw std::length_error("hrevolve: the table for n = " + std::to_string(n) +
                            " on this platform exceeds 2^27 entries");
  }
  t->forward = uf;
  t->adjoint = ub;
  t->variant = variant;
  t->solve();
  return t;
}

std::shared_ptr<detail::GeneralTables> make_general(Step n, const Platform& platform, double uf,
                                                    double ub) {
  auto t = std::make_shared<detail::GeneralTables>();
  t->length = n - 1;
  t->num_levels = platform.num_levels();
  constexpr double kMaxEntries = double(std::int64_t{1} << 28);
  double entries = static_cast<double>(n) * static_cast<double>(t->num_levels + 1);
  for (const StorageLevel& level : platform.levels()) {
    // A level with at least n slots never runs out: its count stays "infinite" (stride 0).
    const bool unlimited = level.num_slots >= n;
    const std::int64_t c = unlimited ? 0 : std::min<std::int64_t>(level.num_slots, n);
    t->unlimited.push_back(unlimited);
    t->slots.push_back(unlimited ? 1 : c);
    t->stride.push_back(unlimited ? 0 : t->num_vectors);
    entries *= static_cast<double>(c + 1);
    if (entries > kMaxEntries) {
      throw std::length_error("hrevolve: the general table for n = " + std::to_string(n) +
                              " on this platform exceeds 2^28 entries");
    }
    t->num_vectors *= static_cast<std::size_t>(c + 1);
    t->write.push_back(level.write_cost);
    t->read.push_back(level.read_cost);
  }
  t->forward = uf;
  t->adjoint = ub;
  t->solve();
  return t;
}

// The joint reversal of one step: record it, then run its adjoint, pushed last-first; the first
// one of the schedule (step n - 1) ends the forward sweep.
void push_leaf(std::vector<Action>& pending, Step start, bool& end_forward_pending) {
  pending.push_back(Action::reverse(start + 1, start));
  if (end_forward_pending) {
    pending.push_back(Action::end_forward());
    end_forward_pending = false;
  }
  pending.push_back(Action::forward(start, start + 1, true));
}

// A pending sub-problem of the schedule: reverse our steps [start, start + length + 1) with the
// working buffer holding x_start (and, for kStored, x_start also stored on `level`). `slots` is
// m (hierarchical) or the index of the free-slot vector s (general).
struct Task {
  enum class Kind : std::uint8_t { kUnstored, kStored, kRead } kind;
  std::uint32_t level;
  Step start;
  Step length;
  std::int64_t slots;
  bool decided = false;   // kStored: `decision` already computed
  bool released = false;  // kStored: the stored x_start was already released by a Move
  detail::Decision decision{};
};

// Shared driver: a stack of tasks; `expand` turns the top task into actions and sub-tasks.
class TaskStream : public ActionStream {
 public:
  std::optional<Action> next() override {
    while (pending_.empty()) {
      if (reversal_) {
        if (std::optional<Action> a = reversal_->next()) return a;
        reversal_.reset();
      }
      if (done_) return std::nullopt;
      if (tasks_.empty()) {
        done_ = true;
        return Action::end_reverse();
      }
      Task task = tasks_.back();
      tasks_.pop_back();
      expand(task);
    }
    const Action action = pending_.back();
    pending_.pop_back();
    return action;
  }

 protected:
  virtual void expand(const Task& task) = 0;
  // Emits a split of a stored sub-problem: advance j, tail (one slot less), read, head.
  void split(const Task& task, Step j, std::int64_t head_slots, std::int64_t tail_slots,
             std::uint32_t tail_level) {
    tasks_.push_back({Task::Kind::kStored, task.level, task.start, j - 1, head_slots});
    tasks_.push_back({Task::Kind::kRead, task.level, task.start, 0, 0});
    tasks_.push_back(
        {Task::Kind::kUnstored, tail_level, task.start + j, task.length - j, tail_slots});
    pending_.push_back(Action::forward(task.start, task.start + j));
  }
  // A read of x_start from `level`: a Move when the head that follows never reads it again.
  void read(const Task& task, bool last) {
    const auto level = static_cast<Place>(task.level);
    pending_.push_back(last ? Action::move(task.start, Content::kState, level, kWork)
                            : Action::copy(task.start, Content::kState, level, kWork));
  }
  // The stored x_start is of no further use.
  void release(const Task& task) {
    if (!task.released) {
      pending_.push_back(Action::free(task.start, Content::kState, static_cast<Place>(task.level)));
    }
  }

  // Revolve on level 0 for our steps [start, start + length + 1), from the working buffer.
  void revolve(Step start, Step length, std::int64_t slots, Step num_steps) {
    const Step end = start + length + 1;
    const bool ends = end_forward_pending_ && end == num_steps;
    if (ends) end_forward_pending_ = false;
    reversal_ = std::make_unique<detail::BinomialReversal>(
        start, end, std::min<std::int64_t>(slots, length + 1), 0, false, ends);
  }

  std::vector<Task> tasks_;
  std::vector<Action> pending_;  // actions of the current decision, last first
  std::unique_ptr<detail::BinomialReversal> reversal_;
  bool end_forward_pending_ = true;
  bool done_ = false;
};

class HierarchicalStream final : public TaskStream {
 public:
  explicit HierarchicalStream(std::shared_ptr<const detail::HRevolveTables> tables)
      : tables_(std::move(tables)) {
    const std::size_t top = tables_->num_levels - 1;
    tasks_.push_back({Task::Kind::kUnstored, static_cast<std::uint32_t>(top), 0, tables_->length,
                      tables_->slots[top]});
  }

 private:
  void expand(const Task& task) override {
    using detail::Choice;
    const detail::HRevolveTables& t = *tables_;
    switch (task.kind) {
      case Task::Kind::kUnstored: {
        if (task.level == 0 && t.closed_form_level0()) {
          revolve(task.start, task.length, t.unlimited[0] ? task.length + 1 : task.slots,
                  t.length + 1);
          break;
        }
        const detail::Decision d = t.decide_h(task.level, task.length, task.slots);
        if (d.choice == Choice::kLeaf) {
          push_leaf(pending_, task.start, end_forward_pending_);
        } else if (d.choice == Choice::kDown) {
          tasks_.push_back({Task::Kind::kUnstored, task.level - 1, task.start, task.length,
                            t.slots[task.level - 1]});
        } else {
          pending_.push_back(
              Action::copy(task.start, Content::kState, kWork, static_cast<Place>(task.level)));
          tasks_.push_back({Task::Kind::kStored, task.level, task.start, task.length, task.slots});
        }
        break;
      }
      case Task::Kind::kStored: {
        const detail::Decision d =
            task.decided ? task.decision : t.decide_hbar(task.level, task.length, task.slots);
        if (d.choice == Choice::kSplit) {
          split(task, d.split, d.slots, t.tail_slots(task.level, d.slots), task.level);
          break;
        }
        if (d.choice == Choice::kLeaf) push_leaf(pending_, task.start, end_forward_pending_);
        if (d.choice == Choice::kDown) {
          tasks_.push_back({Task::Kind::kUnstored, task.level - 1, task.start, task.length,
                            t.slots[task.level - 1]});
        }
        release(task);
        break;
      }
      case Task::Kind::kRead: {
        Task& head = tasks_.back();
        head.decision = t.decide_hbar(head.level, head.length, head.slots);
        head.decided = true;
        head.released = head.decision.choice != Choice::kSplit;
        read(task, head.released);
        break;
      }
    }
  }

  std::shared_ptr<const detail::HRevolveTables> tables_;
};

class GeneralStream final : public TaskStream {
 public:
  explicit GeneralStream(std::shared_ptr<const detail::GeneralTables> tables)
      : tables_(std::move(tables)) {
    tasks_.push_back({Task::Kind::kUnstored, 0, 0, tables_->length,
                      static_cast<std::int64_t>(tables_->num_vectors - 1)});
  }

 private:
  // Tbar's decision: split if a split reaches the table value, else drop the stored copy.
  detail::Decision decide_stored(const Task& task) const {
    const detail::GeneralTables& t = *tables_;
    const auto idx = static_cast<std::size_t>(task.slots);
    if (task.length == 0) return {detail::Choice::kLeaf, 0, task.slots};
    const double target = t.tbar_row(idx, task.level)[task.length];
    const auto [value, j] = t.best_split(idx, task.level, task.length);
    if (j > 0 && value <= target) return {detail::Choice::kSplit, j, task.slots};
    return {detail::Choice::kDown, 0, task.slots};
  }

  void expand(const Task& task) override {
    using detail::Choice;
    const detail::GeneralTables& t = *tables_;
    const auto idx = static_cast<std::size_t>(task.slots);
    switch (task.kind) {
      case Task::Kind::kUnstored: {
        if (task.length == 0) {
          push_leaf(pending_, task.start, end_forward_pending_);
          break;
        }
        // T(l, s) = min_k [w_k + Tsplit(l, s, k)]: store x_start on the best level, then split.
        double best = detail::kInfinity;
        std::uint32_t level = 0;
        Step j = 0;
        for (std::size_t k = 0; k < t.num_levels; ++k) {
          if (t.free_slots(idx, k) == 0) continue;
          const auto [value, arg] = t.best_split(idx, k, task.length);
          if (t.write[k] + value < best) {
            best = t.write[k] + value;
            level = static_cast<std::uint32_t>(k);
            j = arg;
          }
        }
        pending_.push_back(
            Action::copy(task.start, Content::kState, kWork, static_cast<Place>(level)));
        Task stored{Task::Kind::kStored, level, task.start, task.length, task.slots};
        stored.decided = true;
        stored.decision = {Choice::kSplit, j, task.slots};
        tasks_.push_back(stored);
        break;
      }
      case Task::Kind::kStored: {
        const detail::Decision d = task.decided ? task.decision : decide_stored(task);
        if (d.choice == Choice::kSplit) {
          split(task, d.split, task.slots,
                task.slots - static_cast<std::int64_t>(t.stride[task.level]), task.level);
          break;
        }
        if (d.choice == Choice::kLeaf) push_leaf(pending_, task.start, end_forward_pending_);
        if (d.choice == Choice::kDown) {
          tasks_.push_back({Task::Kind::kUnstored, 0, task.start, task.length, task.slots});
        }
        release(task);
        break;
      }
      case Task::Kind::kRead: {
        Task& head = tasks_.back();
        head.decision = decide_stored(head);
        head.decided = true;
        head.released = head.decision.choice != Choice::kSplit;
        read(task, head.released);
        break;
      }
    }
  }

  std::shared_ptr<const detail::GeneralTables> tables_;
};

}  // namespace

HRevolveSolution::HRevolveSolution(Step num_steps, const Platform& platform, double forward_cost,
                                   double adjoint_cost, HRevolveVariant variant) {
  check_arguments(num_steps, platform, forward_cost, adjoint_cost);
  if (variant == HRevolveVariant::kAuto) {
    variant = monotone_costs(platform) ? HRevolveVariant::kCorrected : HRevolveVariant::kGeneral;
  }
  if (variant == HRevolveVariant::kGeneral) {
    general_ = make_general(num_steps, platform, forward_cost, adjoint_cost);
  } else {
    tables_ = make_tables(num_steps, platform, forward_cost, adjoint_cost, variant);
  }
}

HRevolveSolution::~HRevolveSolution() = default;
HRevolveSolution::HRevolveSolution(const HRevolveSolution&) = default;
HRevolveSolution& HRevolveSolution::operator=(const HRevolveSolution&) = default;
HRevolveSolution::HRevolveSolution(HRevolveSolution&&) noexcept = default;
HRevolveSolution& HRevolveSolution::operator=(HRevolveSolution&&) noexcept = default;

HRevolveVariant HRevolveSolution::variant() const noexcept {
  return general_ ? HRevolveVariant::kGeneral : tables_->variant;
}

Step HRevolveSolution::num_steps() const noexcept {
  return (general_ ? general_->length : tables_->length) + 1;
}

double HRevolveSolution::paper_makespan() const noexcept {
  if (general_) return general_->t(general_->num_vectors - 1, general_->length);
  const auto& t = *tables_;
  const std::size_t top = t.num_levels - 1;
  return t.h_row(top, t.slots[top])[t.length];
}

bool HRevolveSolution::feasible() const noexcept { return paper_makespan() < detail::kInfinity; }

double HRevolveSolution::cost() const noexcept {
  // Our cost counts the recording run of each of the n adjoint steps as a forward step.
  const double uf = general_ ? general_->forward : tables_->forward;
  return paper_makespan() + static_cast<double>(num_steps()) * uf;
}

double HRevolveSolution::table(std::size_t level, Step length, std::int64_t slots,
                               bool start_stored) const {
  const std::vector<std::int64_t>& caps = general_ ? general_->slots : tables_->slots;
  const Step max_length = num_steps() - 1;
  if (level >= caps.size() || length < 0 || length > max_length || slots < 0 ||
      (start_stored && slots == 0)) {
    throw std::out_of_range("HRevolveSolution::table: no entry (" + std::to_string(level) + ", " +
                            std::to_string(length) + ", " + std::to_string(slots) + ")");
  }
  const bool unlimited = general_ ? general_->unlimited[level] : tables_->unlimited[level];
  if (unlimited && slots >= 1) {
    // One row holds H_k(l, inf), equal to H_k(l, m) for m >= l only.
    if (slots < length) {
      throw std::out_of_range("HRevolveSolution::table: level " + std::to_string(level) +
                              " is unlimited; only m >= l is stored");
    }
    slots = 1;
  }
  if (slots > caps[level]) {
    throw std::out_of_range("HRevolveSolution::table: level " + std::to_string(level) + " has " +
                            std::to_string(caps[level]) + " slots");
  }
  if (general_) {
    // H_k(l, m) is T(l, s) with s = (c_0, ..., c_{k-1}, m, 0, ...).
    std::size_t idx = static_cast<std::size_t>(slots) * general_->stride[level];
    for (std::size_t k = 0; k < level; ++k) {
      idx += static_cast<std::size_t>(caps[k]) * general_->stride[k];
    }
    return start_stored ? general_->tbar_row(idx, level)[length] : general_->t(idx, length);
  }
  return (start_stored ? tables_->hbar_row(level, slots) : tables_->h_row(level, slots))[length];
}

HRevolveStream::HRevolveStream(const HRevolveSolution& solution) {
  if (!solution.feasible()) throw std::invalid_argument("hrevolve: no schedule fits the platform");
  if (solution.general_) {
    impl_ = std::make_unique<GeneralStream>(solution.general_);
  } else {
    impl_ = std::make_unique<HierarchicalStream>(solution.tables_);
  }
}

HRevolveStream::~HRevolveStream() = default;
HRevolveStream::HRevolveStream(HRevolveStream&&) noexcept = default;
HRevolveStream& HRevolveStream::operator=(HRevolveStream&&) noexcept = default;

std::optional<Action> HRevolveStream::next() { return impl_->next(); }

namespace {

// The last solution, shared by hrevolve() and hrevolve_cost(): asking for the promised cost and
// then for the schedule (as `memsched plan --verify` does) solves the table once.
std::optional<HRevolveSolution> solve_cached(const Chain& chain, const Platform& platform,
                                             HRevolveVariant variant) {
  struct Key {
    Step n;
    Platform platform;
    double uf;
    double ub;
    HRevolveVariant variant;
  };
  static std::mutex mutex;
  static std::optional<Key> last_key;
  static std::optional<HRevolveSolution> last;
  const Key key{chain.num_steps(), platform, chain.forward_cost(0), chain.adjoint_cost(0), variant};
  std::lock_guard<std::mutex> lock(mutex);
  if (last_key && last_key->n == key.n && last_key->platform == key.platform &&
      last_key->uf == key.uf && last_key->ub == key.ub && last_key->variant == key.variant) {
    return last;
  }
  last.emplace(key.n, platform, key.uf, key.ub, variant);
  last_key = key;
  return last;
}

}  // namespace

std::optional<HRevolveStream> hrevolve(const Chain& chain, const Platform& platform,
                                       HRevolveVariant variant) {
  if (!chain.is_uniform() || platform.num_levels() == 0) return std::nullopt;
  const std::optional<HRevolveSolution> solution = solve_cached(chain, platform, variant);
  if (!solution->feasible()) return std::nullopt;
  return HRevolveStream(*solution);
}

std::optional<double> hrevolve_cost(const Chain& chain, const Platform& platform,
                                    HRevolveVariant variant) {
  if (!chain.is_uniform() || platform.num_levels() == 0) return std::nullopt;
  const std::optional<HRevolveSolution> solution = solve_cached(chain, platform, variant);
  if (!solution->feasible()) return std::nullopt;
  return solution->cost();
}

}  // namespace memsched
