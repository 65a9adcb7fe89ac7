// Disk-Revolve and Periodic-Disk-Revolve: the Opt_0 / Opt_1D / Opt_inf recurrences and the
// schedules rebuilt from them, with Revolve for the memory-only parts.
#include "memsched/plan/disk_revolve.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "detail/binomial_reversal.hpp"
#include "hrevolve_tables.hpp"
#include "memsched/plan/binomial.hpp"
#include "memsched/plan/limits.hpp"
#include "memsched/progress.hpp"

namespace memsched {

namespace {

using detail::kInfinity;

void check_model(Step length, const DiskModel& m) {
  const double costs[] = {m.forward_cost, m.adjoint_cost, m.write_cost, m.read_cost};
  for (double c : costs) {
    if (!(c >= 0) || !std::isfinite(c)) {
      throw std::invalid_argument("disk_revolve: costs must be finite and non-negative");
    }
  }
  if (length < 0 || m.ram_slots < 0) {
    throw std::invalid_argument("disk_revolve: negative length or slot count");
  }
}

// Opt_0(l, c_m) = uf t(l + 1, c_m) + ub (l + 1) (Aupy et al. 2016; docs/theory/chain.md).
double opt0_value(Step l, const DiskModel& m) {
  if (l == 0) return m.adjoint_cost;
  if (m.ram_slots == 0) return kInfinity;
  const Step n = l + 1;
  const auto t = revolve_advances(n, std::min<std::int64_t>(m.ram_slots, n));
  return m.forward_cost * static_cast<double>(t) + m.adjoint_cost * static_cast<double>(n);
}

// The second and third keys of a decision: disk reads, then forward steps (recording runs
// included) of the schedule it leads to.
struct Tie {
  std::int64_t reads = 0;
  std::int64_t forward = 0;
  bool operator<(const Tie& o) const {
    return reads != o.reads ? reads < o.reads : forward < o.forward;
  }
};

// The split j in [1, count] with (term + extra1) + extra2 <= target, added in the order the table
// added them so that the value found is bit-identical, whose schedule reads the disk least,
// then runs the fewest forward steps: among equally cheap schedules these trade forward steps
// against disk traffic, and the keys make the choice deterministic and frugal with both
// (docs/multilevel.md, "Ties"). Returns {0, {}} if no split reaches the target.
std::pair<Step, Tie> best_tied_split(const std::vector<double>& tail,
                                     const std::vector<Tie>& tail_keys,
                                     const std::vector<double>& head,
                                     const std::vector<Tie>& head_keys, Step l, Step count,
                                     double uf, double extra1, double extra2, double target) {
  Step best = 0;
  Tie best_keys;
  const double* tail_at = tail.data();
  const double* head_at = head.data();
  for (Step j = 1; j <= count; ++j) {
    // One split term, j uf + tail(l - j) + head(j - 1), as detail::split_min evaluates it.
    const double t_j =
        detail::split_term(static_cast<double>(j) * uf, tail_at[l - j], head_at[j - 1]);
    if (!((t_j + extra1) + extra2 <= target)) continue;
    const Tie& t = tail_keys[static_cast<std::size_t>(l - j)];
    const Tie& h = head_keys[static_cast<std::size_t>(j - 1)];
    const Tie keys{1 + t.reads + h.reads, j + t.forward + h.forward};
    if (best == 0 || keys < best_keys) {
      best = j;
      best_keys = keys;
    }
  }
  return {best, best_keys};
}

// A bound J on the first disk segment of Opt_inf: for every row l <= length and every split
// j > J, the split's term exceeds Opt_inf(l) by more than the rounding of the table can hide,
// so no split beyond J is ever the minimum or tied with it (docs/multilevel.md, "Disk-Revolve
// in O(n J)"). Uses the head costs g(x) = x uf + w_d + r_d + head[x - 1], x = 1..head_rows; a
// segment g(j) can be replaced by floor(j / m) segments of a length m and one of j mod m, which
// costs at most j g(m) / m + E; a lower bound of g(j), Revolve with c_m + 1 free slots
// (Griewank & Walther 2000), grows faster than linearly and overtakes that from some J on.
// Returns `length` when no bound is found (uf = 0, or rounding too coarse).
Step first_segment_bound(Step length, const DiskModel& m, const std::vector<double>& head,
                         Step head_rows) {
  const double uf = m.forward_cost;
  if (!(uf > 0) || length < 1 || head_rows < 1) return length;
  // Rounding: every table value is a sum of non-negative terms at most N = 8 (length + 2)
  // operations deep, so it lies within a factor 1 +- gamma of the exact optimum.
  const double gamma = 8.0 * static_cast<double>(length + 2) * std::ldexp(1.0, -53);
  if (!(gamma < 1e-3)) return length;
  const double inflate = 1.0 + 8.0 * gamma;  // an upper bound of an exact g from its table value
  const auto g_up = [&](Step x) {
    if (x == 0) return 0.0;
    return (static_cast<double>(x) * uf + m.write_cost + m.read_cost +
            head[static_cast<std::size_t>(x - 1)]) *
           inflate;
  };
  // The segment length with the lowest cost per step, smallest first.
  Step best = 0;
  double rho = kInfinity;
  for (Step x = 1; x <= head_rows; ++x) {
    const double ratio = g_up(x) / static_cast<double>(x);
    if (ratio < rho) {
      rho = ratio;
      best = x;
    }
  }
  if (best == 0 || !std::isfinite(rho)) return length;
  long double excess = 0;  // E = max over r < m of g(r) - r rho
  for (Step x = 1; x < best; ++x) {
    const double g = g_up(x);
    if (!std::isfinite(g)) return length;
    excess = std::max(excess, static_cast<long double>(g) - static_cast<long double>(x) * rho);
  }
  // T >= Opt_inf(l) for every l <= length: floor(l / m) segments of m, then single steps.
  const long double top = static_cast<long double>(length / best) * g_up(best) +
                          static_cast<long double>(best - 1) * g_up(1) + m.adjoint_cost;
  const long double margin = 2.0L * gamma * top / (1.0L - gamma);
  // phi(j) = LB(j) - j rho - E - margin with LB(j) = j (uf + ub) + w_d + r_d + uf t(j, c_m + 1)
  // is convex (t's increments, the repetition numbers, do not decrease): once phi(j) > 0 and its
  // next increment is >= 0, it stays positive.
  const long double low = 1.0L - std::ldexp(1.0L, -50);  // LB evaluated with a relative slack
  const long double step_cost = static_cast<long double>(uf) + m.adjoint_cost;
  const std::int64_t slots = m.ram_slots + 1;
  // The scan is capped (the bound found there, or none) so that an estimate stays cheap.
  // t(j + 1) = t(j) + r(j + 1), r the repetition number (from Griewank & Walther's closed form
  // t = r n - beta(c + 1, r - 1)), so t is built incrementally.
  const Step scan = std::min<Step>(length, Step{1} << 22);
  std::int64_t t = 0;  // t(j, c_m + 1)
  std::int64_t r = 0;  // r(j + 1, c_m + 1)
  for (Step j = 1; j < scan; ++j) {
    while (beta(slots, r) < j + 1) ++r;
    const long double lb =
        low * (static_cast<long double>(j) * step_cost + m.write_cost + m.read_cost +
               static_cast<long double>(uf) * static_cast<long double>(t));
    const long double rest = static_cast<long double>(j) * rho + excess + margin;
    const long double slack = 1e-12L * (lb + rest);
    const long double increment =
        low * (step_cost + static_cast<long double>(uf) * static_cast<long double>(r));
    if (lb - rest > slack && increment - rho > 1e-12L * (increment + rho)) return j - 1;
    t += r;
  }
  return length;
}

// Rows of Opt_1D solved before the first bound is computed.
constexpr Step kFirstHeads = 256;

}  // namespace

Step disk_revolve_segment_bound(Step length, const DiskModel& m) {
  check_model(length, m);
  if (length < 1) return length;
  const DiskRevolveTables heads(std::min(length, kFirstHeads), m, true);
  const Step rows = std::min(length, static_cast<Step>(heads.opt1d.size()));
  return first_segment_bound(length, m, m.one_read ? heads.opt0 : heads.opt1d, rows);
}

DiskRevolveTables::DiskRevolveTables(Step length, const DiskModel& m, bool every_split) : model(m) {
  check_model(length, m);
  const auto width = static_cast<std::size_t>(length + 1);
  const Step L = length;
  std::vector<double> advance(width), opt0_reversed(width), inf_reversed(width);
  opt0.resize(width);
  optinf.resize(width);
  for (Step l = 0; l <= L; ++l) {
    const auto i = static_cast<std::size_t>(l);
    advance[i] = static_cast<double>(l) * m.forward_cost;
    opt0[i] = opt0_value(l, m);
    opt0_reversed[static_cast<std::size_t>(L - l)] = opt0[i];
  }
  // Opt_1D(l) = min{Opt_0(l), min_{1<=j<=l} [j uf + Opt_0(l-j) + r_d + Opt_1D(j-1)]}
  // Opt_inf(l) = min{Opt_0(l), min_{1<=j<=l} [w_d + j uf + Opt_inf(l-j) + r_d + X(j-1)]},
  // X = Opt_1D (multi-read) or Opt_0 (one-read) (Aupy et al. 2016, Thm. 3-4; docs/theory/chain.md,
  // with j = l admitted as in the corrected H-Revolve so that c_m = 0 works too).
  optinf[0] = m.adjoint_cost;
  inf_reversed[static_cast<std::size_t>(L)] = optinf[0];
  splitinf.assign(width, 0);
  // Tie keys of every entry: Opt_0(l) reads nothing and runs t(l + 1, c_m) + l + 1 steps.
  std::vector<Tie> keys0(width), keys1d, keysinf(width);
  for (Step l = 0; l <= L; ++l) {
    const auto i = static_cast<std::size_t>(l);
    if (std::isfinite(opt0[i])) {
      const Step n = l + 1;
      keys0[i].forward =
          (l == 0 ? 0 : revolve_advances(n, std::min<std::int64_t>(m.ram_slots, n))) + n;
    }
  }
  keysinf[0] = keys0[0];
  // Opt_1D rows 0..upto (the heads); row l costs O(l).
  Step heads = -1;
  const auto solve_heads = [&](Step upto) {
    opt1d.resize(static_cast<std::size_t>(upto + 1));
    split1d.resize(static_cast<std::size_t>(upto + 1), 0);
    keys1d.resize(static_cast<std::size_t>(upto + 1));
    for (Step l = heads + 1; l <= upto; ++l) {
      // With every split the heads are all rows, half the work (row l costs O(l) here and in
      // Opt_inf below): the first half of the progress.
      if (every_split && (l & 1023) == 0) {
        const double fraction = static_cast<double>(l) / static_cast<double>(L);
        report_progress("disk-revolve table",
                        static_cast<std::int64_t>(0.5 * fraction * fraction * 1048576), 1048576);
      }
      const auto i = static_cast<std::size_t>(l);
      keys1d[i] = keys0[i];
      if (l == 0) {
        opt1d[0] = m.adjoint_cost;
        continue;
      }
      const std::size_t from = static_cast<std::size_t>(L - l + 1);
      const double one =
          detail::split_min(advance.data() + 1, opt0_reversed.data() + from, opt1d.data(), l) +
          m.read_cost;
      opt1d[i] = std::min(opt0[i], one);
      if (one < opt0[i]) {  // a tie goes to Opt_0, which reads nothing
        const auto [j, keys] = best_tied_split(opt0, keys0, opt1d, keys1d, l, l, m.forward_cost,
                                               m.read_cost, 0.0, opt1d[i]);
        split1d[i] = j;
        keys1d[i] = keys;
      }
    }
    heads = std::max(heads, upto);
  };
  // The first disk segment's bound J: computed from the heads of a short table, then again
  // from the heads up to that J (a better segment length m can only lower it); both are proven
  // bounds, so the smaller one is used.
  Step bound = L;
  if (every_split) {
    solve_heads(L);
  } else {
    const std::vector<double>& x = m.one_read ? opt0 : opt1d;
    solve_heads(std::min(L, kFirstHeads));
    bound = first_segment_bound(L, m, x, std::min(heads + 1, L));
    if (bound - 1 > heads) {
      solve_heads(std::min(L, bound - 1));
      bound = std::min(bound, first_segment_bound(L, m, x, std::min(heads + 1, L)));
    }
  }
  first_segment_limit = bound;
  const std::vector<double>& head = m.one_read ? opt0 : opt1d;
  const std::vector<Tie>& head_keys = m.one_read ? keys0 : keys1d;
  for (Step l = 1; l <= L; ++l) {
    const Step count = std::min(l, bound);
    // Row l costs O(min(l, J)).
    if ((l & 1023) == 0) {
      const double fraction = static_cast<double>(l) / static_cast<double>(L);
      const double done = bound < L     ? fraction
                          : every_split ? 0.5 + 0.5 * fraction * fraction
                                        : fraction * fraction;
      report_progress("disk-revolve table", static_cast<std::int64_t>(done * 1048576), 1048576);
    }
    const auto i = static_cast<std::size_t>(l);
    const std::size_t from = static_cast<std::size_t>(L - l + 1);
    const double inf =
        detail::split_min(advance.data() + 1, inf_reversed.data() + from, head.data(), count) +
        m.read_cost + m.write_cost;
    optinf[i] = std::min(opt0[i], inf);
    keysinf[i] = keys0[i];
    if (inf < opt0[i]) {
      const auto [j, keys] = best_tied_split(optinf, keysinf, head, head_keys, l, count,
                                             m.forward_cost, m.read_cost, m.write_cost, optinf[i]);
      splitinf[i] = j;
      keysinf[i] = keys;
    }
    inf_reversed[static_cast<std::size_t>(L - l)] = optinf[i];
  }
}

// The schedule: a stack of sub-problems over our steps [start, start + length + 1), x_start in
// the working buffer; memory-only ones are run by the binomial controller.
class DiskRevolveStream::Impl {
 public:
  enum class Kind : std::uint8_t { kInf, kOneD, kRevolve, kRead, kPeriod, kWrite };
  struct Task {
    Kind kind;
    Step start;
    Step length;
    bool released = false;  // kOneD: the disk copy was already released by a Move
  };

  Impl(std::shared_ptr<const DiskRevolveTables> tables, Step num_steps)
      : tables_(std::move(tables)), num_steps_(num_steps) {}
  Impl(DiskRevolveTables tables, Step num_steps)
      : Impl(std::make_shared<const DiskRevolveTables>(std::move(tables)), num_steps) {}

  std::vector<Task> tasks;
  std::vector<Action> pending;  // last first

  std::optional<Action> next() {
    while (pending.empty()) {
      if (reversal_) {
        if (std::optional<Action> a = reversal_->next()) return a;
        reversal_.reset();
      }
      if (done_) return std::nullopt;
      if (tasks.empty()) {
        done_ = true;
        return Action::end_reverse();
      }
      const Task task = tasks.back();
      tasks.pop_back();
      expand(task);
    }
    const Action a = pending.back();
    pending.pop_back();
    return a;
  }

  // The memory-only Revolve of our steps [start, start + length + 1) from the working buffer.
  void revolve(Step start, Step length) {
    const Step end = start + length + 1;
    const bool ends = !end_forward_done_ && end == num_steps_;
    if (ends) end_forward_done_ = true;
    reversal_ = std::make_unique<detail::BinomialReversal>(
        start, end, std::min<std::int64_t>(tables_->model.ram_slots, length + 1), 0, false, ends);
  }

  // Whether the 1D sub-problem of this length reads its disk checkpoint again.
  bool reads_again(Step length) const {
    if (length == 0 || tables_->model.one_read) return false;
    return tables_->opt1d[static_cast<std::size_t>(length)] <
           tables_->opt0[static_cast<std::size_t>(length)];
  }

 private:
  static constexpr Place kRam = 0;
  static constexpr Place kDisk = 1;

  void expand(const Task& task) {
    const DiskModel& m = tables_->model;
    const auto i = static_cast<std::size_t>(task.length);
    switch (task.kind) {
      case Kind::kRevolve:
        revolve(task.start, task.length);
        break;
      case Kind::kWrite:
        pending.push_back(Action::copy(task.start, Content::kState, kWork, kDisk));
        break;
      case Kind::kPeriod:
        // Forward sweep of Periodic-Disk-Revolve: store the period start on disk, advance.
        pending.push_back(Action::forward(task.start, task.start + task.length));
        pending.push_back(Action::copy(task.start, Content::kState, kWork, kDisk));
        break;
      case Kind::kInf: {
        if (task.length == 0 || tables_->optinf[i] >= tables_->opt0[i]) {
          revolve(task.start, task.length);
          break;
        }
        push_split(task, tables_->splitinf[i], Kind::kInf,
                   m.one_read ? Kind::kRevolve : Kind::kOneD);
        pending.push_back(Action::copy(task.start, Content::kState, kWork, kDisk));
        break;
      }
      case Kind::kOneD: {
        if (!reads_again(task.length)) {
          if (!task.released) pending.push_back(Action::free(task.start, Content::kState, kDisk));
          tasks.push_back({Kind::kRevolve, task.start, task.length});
          break;
        }
        push_split(task, tables_->split1d[i], Kind::kRevolve, Kind::kOneD);
        break;
      }
      case Kind::kRead: {
        Task& head = tasks.back();
        const bool last = head.kind != Kind::kOneD || !reads_again(head.length);
        head.released = last;
        pending.push_back(last ? Action::move(task.start, Content::kState, kDisk, kWork)
                               : Action::copy(task.start, Content::kState, kDisk, kWork));
        break;
      }
    }
  }

  // Advance j, reverse the tail, read x_start from disk, reverse the head.
  void push_split(const Task& task, Step j, Kind tail, Kind head) {
    if (j < 1) throw std::logic_error("disk_revolve: the table has no matching split");
    tasks.push_back({head, task.start, j - 1});
    tasks.push_back({Kind::kRead, task.start, 0});
    tasks.push_back({tail, task.start + j, task.length - j});
    pending.push_back(Action::forward(task.start, task.start + j));
  }

  std::shared_ptr<const DiskRevolveTables> tables_;
  Step num_steps_;
  std::unique_ptr<detail::BinomialReversal> reversal_;
  bool end_forward_done_ = false;
  bool done_ = false;
};

DiskRevolveStream::DiskRevolveStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DiskRevolveStream::~DiskRevolveStream() = default;
DiskRevolveStream::DiskRevolveStream(DiskRevolveStream&&) noexcept = default;
DiskRevolveStream& DiskRevolveStream::operator=(DiskRevolveStream&&) noexcept = default;
std::optional<Action> DiskRevolveStream::next() { return impl_->next(); }

std::optional<DiskModel> disk_model(const Chain& chain, const Platform& platform,
                                    std::int64_t disk_needed) {
  if (!chain.is_uniform() || platform.num_levels() < 2) return std::nullopt;
  const StorageLevel& ram = platform.level(0);
  const StorageLevel& disk = platform.level(1);
  if (ram.write_cost != 0 || ram.read_cost != 0 || disk.num_slots < disk_needed) {
    return std::nullopt;
  }
  DiskModel m;
  m.ram_slots = std::min<std::int64_t>(ram.num_slots, chain.num_steps());
  m.forward_cost = chain.forward_cost(0);
  m.adjoint_cost = chain.adjoint_cost(0);
  m.write_cost = disk.write_cost;
  m.read_cost = disk.read_cost;
  return m;
}

namespace {

struct PeriodicPlan {
  Step period;
  Step periods;    // k
  Step remainder;  // rho, the papers' length of the last part
  bool tail_on_disk;
  double makespan;  // papers' convention
};

PeriodicPlan periodic_plan(Step length, const DiskModel& m) {
  const Step period = periodic_disk_period(m);
  PeriodicPlan p{period, 0, length, false, 0.0};
  if (length > 0) {
    p.periods = (length + period - 1) / period - 1;
    p.remainder = length - p.periods * period;
  }
  const DiskRevolveTables t(std::max(p.remainder, period), m, true);
  const auto rho = static_cast<std::size_t>(p.remainder);
  // The last part: Revolve, or a disk checkpoint and 1D-Revolve if that is cheaper.
  double tail = t.opt0[rho];
  if (p.remainder > 0 && m.write_cost + t.opt1d[rho] < tail) {
    tail = m.write_cost + t.opt1d[rho];
    p.tail_on_disk = true;
  }
  const auto k = static_cast<double>(p.periods);
  p.makespan = k * (m.write_cost + static_cast<double>(period) * m.forward_cost) + tail +
               k * (m.read_cost + t.opt1d[static_cast<std::size_t>(period - 1)]);
  return p;
}

// The last table asked for, shared: disk_revolve_cost() and disk_revolve() (as `memsched plan
// --verify` asks for the promised cost, then the schedule), and periodic_disk_period() (the
// up-front estimate of a periodic planner needs the period, then the planner asks again).
std::shared_ptr<const DiskRevolveTables> solve_cached(Step length, const DiskModel& m,
                                                      bool every_split) {
  struct Key {
    Step length;
    DiskModel model;
    bool every_split;
  };
  static std::mutex mutex;
  static std::optional<Key> last_key;
  static std::shared_ptr<const DiskRevolveTables> last;
  const auto same = [&](const Key& k) {
    const DiskModel& o = k.model;
    return k.length == length && k.every_split == every_split && o.ram_slots == m.ram_slots &&
           o.forward_cost == m.forward_cost && o.adjoint_cost == m.adjoint_cost &&
           o.write_cost == m.write_cost && o.read_cost == m.read_cost && o.one_read == m.one_read;
  };
  const std::lock_guard<std::mutex> lock(mutex);
  if (last_key && same(*last_key)) return last;
  last.reset();  // frees the previous table before the next is built
  last = std::make_shared<const DiskRevolveTables>(length, m, every_split);
  last_key = Key{length, m, every_split};
  return last;
}

// m_max of periodic_disk_period (Aupy & Herrmann 2017).
Step periodic_search_length(const DiskModel& m) {
  check_model(0, m);
  if (m.ram_slots < 1 || !(m.forward_cost > 0)) {
    throw std::invalid_argument("periodic_disk_period: needs ram_slots >= 1 and uf > 0");
  }
  const auto smallest_t = [&](double bound) {
    std::int64_t t = 0;
    while (static_cast<double>(beta(m.ram_slots, t)) <= bound) ++t;
    return t;
  };
  const std::int64_t t1 = smallest_t((m.write_cost + m.read_cost) / m.forward_cost);
  const std::int64_t t2 = smallest_t(m.write_cost / m.forward_cost);
  return std::max(beta(m.ram_slots, t1 + 1), 2 * beta(m.ram_slots, t2) + 1);
}

}  // namespace

std::optional<DiskRevolveStream> disk_revolve(const Chain& chain, const Platform& platform,
                                              bool one_read) {
  std::optional<DiskModel> m = disk_model(chain, platform, chain.num_steps());
  if (!m) return std::nullopt;
  m->one_read = one_read;
  const Step length = chain.num_steps() - 1;
  std::shared_ptr<const DiskRevolveTables> tables = solve_cached(length, *m, false);
  if (!std::isfinite(tables->optinf.back())) return std::nullopt;
  auto impl = std::make_unique<DiskRevolveStream::Impl>(std::move(tables), chain.num_steps());
  impl->tasks.push_back({DiskRevolveStream::Impl::Kind::kInf, 0, length});
  return DiskRevolveStream(std::move(impl));
}

std::optional<double> disk_revolve_cost(const Chain& chain, const Platform& platform,
                                        bool one_read) {
  std::optional<DiskModel> m = disk_model(chain, platform, chain.num_steps());
  if (!m) return std::nullopt;
  m->one_read = one_read;
  const std::shared_ptr<const DiskRevolveTables> tables =
      solve_cached(chain.num_steps() - 1, *m, false);
  if (!std::isfinite(tables->optinf.back())) return std::nullopt;
  return tables->optinf.back() + static_cast<double>(chain.num_steps()) * m->forward_cost;
}

PeriodSearchCost periodic_disk_search_cost(const DiskModel& m) {
  const Step m_max = periodic_search_length(m);
  DiskModel multi = m;
  multi.one_read = false;
  // The table of DiskRevolveTables(m_max - 1, every split): every Opt_1D(l - 1) is a period's
  // cost, so all n rows of Opt_1D are solved, row l in O(l): n^2 / 2; then Opt_inf, Theta(n J)
  // for the first-segment bound J; about 80 bytes per step (docs/cli.md, "Limits").
  const double n = static_cast<double>(m_max);
  const double bound =
      std::min(n, static_cast<double>(disk_revolve_segment_bound(m_max - 1, multi)));
  return {m_max, 0.5 * n * n + 2.0 * n * bound, 80.0 * n};
}

Step periodic_disk_period(const DiskModel& m) {
  const PeriodSearchCost cost = periodic_disk_search_cost(m);
  if (cost.operations > kMaxPlanOperations || cost.bytes > kMaxPlanTableBytes) {
    char text[240];
    std::snprintf(text, sizeof text,
                  "periodic_disk_period: the period search needs Disk-Revolve's table for %lld "
                  "steps: about %.2g operations and %.0f MiB (limits %.2g, %.0f MiB)",
                  static_cast<long long>(cost.search_length - 1), cost.operations,
                  cost.bytes / 1048576.0, kMaxPlanOperations, kMaxPlanTableBytes / 1048576.0);
    throw std::length_error(text);
  }
  const Step m_max = cost.search_length;
  DiskModel multi = m;
  multi.one_read = false;
  const std::shared_ptr<const DiskRevolveTables> tables = solve_cached(m_max - 1, multi, true);
  const DiskRevolveTables& t = *tables;
  Step best = 1;
  double best_ratio = kInfinity;
  for (Step period = 1; period <= m_max; ++period) {
    const double ratio =
        (m.write_cost + m.read_cost + t.opt1d[static_cast<std::size_t>(period - 1)]) /
        static_cast<double>(period);
    if (ratio <= best_ratio) {  // ties to the larger period
      best_ratio = ratio;
      best = period;
    }
  }
  return best;
}

std::unique_ptr<ActionStream> disk_periods_reversal(Step period, Step periods,
                                                    const DiskModel& model) {
  if (period < 1 || periods < 0) {
    throw std::invalid_argument("disk_periods_reversal: needs period >= 1 and periods >= 0, got " +
                                std::to_string(period) + " and " + std::to_string(periods));
  }
  DiskModel multi = model;
  multi.one_read = false;
  // No sub-problem ends the forward sweep: num_steps -1 matches no step.
  auto impl =
      std::make_unique<DiskRevolveStream::Impl>(DiskRevolveTables(period - 1, multi, true), -1);
  using Kind = DiskRevolveStream::Impl::Kind;
  for (Step i = 0; i < periods; ++i) {  // pushed first-first: popped last-first
    impl->tasks.push_back({Kind::kOneD, i * period, period - 1});
    impl->tasks.push_back({Kind::kRead, i * period, 0});
  }
  return std::make_unique<DiskRevolveStream>(DiskRevolveStream(std::move(impl)));
}

std::optional<DiskRevolveStream> periodic_disk_revolve(const Chain& chain,
                                                       const Platform& platform) {
  std::optional<DiskModel> m = disk_model(chain, platform, 0);
  if (!m || m->ram_slots < 1 || !(m->forward_cost > 0)) return std::nullopt;
  const Step length = chain.num_steps() - 1;
  const PeriodicPlan p = periodic_plan(length, *m);
  if (platform.level(1).num_slots < p.periods + (p.tail_on_disk ? 1 : 0)) return std::nullopt;
  using Kind = DiskRevolveStream::Impl::Kind;
  auto impl = std::make_unique<DiskRevolveStream::Impl>(
      DiskRevolveTables(std::max(p.remainder, p.period), *m, true), chain.num_steps());
  // Pushed last-first: the periods backwards, the tail, then the forward sweep.
  for (Step i = 0; i < p.periods; ++i) {
    impl->tasks.push_back({Kind::kOneD, i * p.period, p.period - 1});
    impl->tasks.push_back({Kind::kRead, i * p.period, 0});
  }
  const Step tail_start = p.periods * p.period;
  if (p.tail_on_disk) {
    impl->tasks.push_back({Kind::kOneD, tail_start, p.remainder});
    impl->tasks.push_back({Kind::kWrite, tail_start, 0});
  } else {
    impl->tasks.push_back({Kind::kRevolve, tail_start, p.remainder});
  }
  for (Step i = p.periods - 1; i >= 0; --i) {
    impl->tasks.push_back({Kind::kPeriod, i * p.period, p.period});
  }
  return DiskRevolveStream(std::move(impl));
}

std::optional<double> periodic_disk_revolve_cost(const Chain& chain, const Platform& platform) {
  std::optional<DiskModel> m = disk_model(chain, platform, 0);
  if (!m || m->ram_slots < 1 || !(m->forward_cost > 0)) return std::nullopt;
  const PeriodicPlan p = periodic_plan(chain.num_steps() - 1, *m);
  if (platform.level(1).num_slots < p.periods + (p.tail_on_disk ? 1 : 0)) return std::nullopt;
  return p.makespan + static_cast<double>(chain.num_steps()) * m->forward_cost;
}

}  // namespace memsched
