// Checkmate's rematerialization MILP built with CBC's C interface, and the schedule rebuilt from
// its solution.
#include "memsched/graph/milp.hpp"

#include <coin/Cbc_C_Interface.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "memsched/graph/simulate.hpp"
#include "memsched/graph/traversal.hpp"

namespace memsched::graph {

namespace {

std::size_t at(std::int64_t v) { return static_cast<std::size_t>(v); }

struct ModelDeleter {
  void operator()(Cbc_Model* model) const noexcept { Cbc_deleteModel(model); }
};

// Column and row builder over Cbc_addCol / Cbc_addRow.
class Builder {
 public:
  explicit Builder(Cbc_Model* model) : model_(model) {}
  int column(double lb, double ub, double objective, bool integer) {
    Cbc_addCol(model_, "", lb, ub, objective, integer ? 1 : 0, 0, nullptr, nullptr);
    if (integer) ++binaries_;
    return columns_++;
  }
  void row(const std::vector<int>& cols, const std::vector<double>& coefs, char sense, double rhs) {
    Cbc_addRow(model_, "", static_cast<int>(cols.size()), cols.data(), coefs.data(), sense, rhs);
    ++rows_;
  }
  int columns() const { return columns_; }
  int binaries() const { return binaries_; }
  int rows() const { return rows_; }

 private:
  Cbc_Model* model_;
  int columns_ = 0, binaries_ = 0, rows_ = 0;
};

}  // namespace

MilpResult remat_milp(const Graph& graph, Bytes budget_bytes, const MilpOptions& options) {
  if (budget_bytes < 0) throw std::invalid_argument("graph::remat_milp: negative budget");
  if (!(options.time_limit_seconds > 0) || !std::isfinite(options.time_limit_seconds)) {
    throw std::invalid_argument("graph::remat_milp: time_limit_seconds must be > 0");
  }
  if (options.threads < 1) throw std::invalid_argument("graph::remat_milp: threads must be >= 1");
  // Checkmate pins the order of first computations, so start from the best order known: the
  // exact minimum-peak order when the DP finishes quickly, the heuristic's otherwise.
  std::vector<NodeIndex> order = options.order;
  if (order.empty()) {
    ExactTraversalOptions quick;
    quick.max_states = 200'000;
    try {
      order = min_peak_exact(graph, quick).order;
    } catch (const std::invalid_argument&) {
      order = min_peak_heuristic(graph).order;
    }
  }
  check_order(graph, order, "graph::remat_milp");
  const auto T = static_cast<std::int64_t>(order.size());
  std::vector<std::int64_t> pos(at(T));
  for (std::int64_t t = 0; t < T; ++t) pos[at(order[at(t)])] = t;
  // Positions of predecessors and successors.
  std::vector<std::vector<std::int64_t>> preds(at(T)), succs(at(T));
  for (std::int64_t k = 0; k < T; ++k) {
    for (NodeIndex u : graph.predecessors(order[at(k)])) {
      preds[at(k)].push_back(pos[at(u)]);
      succs[at(pos[at(u)])].push_back(k);
    }
  }
  const std::int64_t estimate = 2 * T * (T + 1) / 2 + T * (T + 1) / 2 + T * graph.num_edges();
  if (estimate > options.max_variables) {
    throw std::invalid_argument(
        "graph::remat_milp: about " + std::to_string(estimate) +
        " variables, more than max_variables = " + std::to_string(options.max_variables));
  }
  std::unique_ptr<Cbc_Model, ModelDeleter> model(Cbc_newModel());
  Builder b(model.get());
  const double budget = static_cast<double>(budget_bytes);
  auto mem = [&](std::int64_t k) { return static_cast<double>(graph.bytes(order[at(k)])); };
  // Variables; -1 where a variable does not exist (k > t for R and U, i >= t for S).
  std::vector<std::vector<int>> R(at(T)), S(at(T)), U(at(T));
  // FREE[t][k][j]: the j-th predecessor of k is freed after k in stage t.
  std::vector<std::vector<std::vector<int>>> F(at(T));
  for (std::int64_t t = 0; t < T; ++t) {
    R[at(t)].assign(at(T), -1);
    S[at(t)].assign(at(T), -1);
    U[at(t)].assign(at(T), -1);
    F[at(t)].resize(at(T));
    for (std::int64_t i = 0; i <= t; ++i) {
      const double lb = i == t ? 1.0 : 0.0;
      R[at(t)][at(i)] = b.column(lb, 1.0, graph.time(order[at(i)]), true);
      if (i < t) S[at(t)][at(i)] = b.column(0.0, 1.0, 0.0, true);
      U[at(t)][at(i)] = b.column(0.0, budget, 0.0, false);
      for (std::size_t j = 0; j < preds[at(i)].size(); ++j) {
        F[at(t)][at(i)].push_back(b.column(0.0, 1.0, 0.0, true));
      }
    }
  }
  for (std::int64_t t = 0; t < T; ++t) {
    const auto& r = R[at(t)];
    const auto& s = S[at(t)];
    // Keep only what was kept or computed: S[t+1][i] <= S[t][i] + R[t][i].
    if (t + 1 < T) {
      for (std::int64_t i = 0; i <= t; ++i) {
        std::vector<int> cols{S[at(t + 1)][at(i)], r[at(i)]};
        std::vector<double> coefs{1.0, -1.0};
        if (s[at(i)] >= 0) {
          cols.push_back(s[at(i)]);
          coefs.push_back(-1.0);
        }
        b.row(cols, coefs, 'L', 0.0);
      }
    }
    // Inputs present: R[t][k] <= R[t][u] + S[t][u].
    for (std::int64_t k = 0; k <= t; ++k) {
      for (std::int64_t u : preds[at(k)]) {
        std::vector<int> cols{r[at(k)], r[at(u)]};
        std::vector<double> coefs{1.0, -1.0};
        if (s[at(u)] >= 0) {
          cols.push_back(s[at(u)]);
          coefs.push_back(-1.0);
        }
        b.row(cols, coefs, 'L', 0.0);
      }
    }
    // FREE[t][(i,k)] = 1 iff k runs in stage t, i is not kept into t+1 and no later consumer of
    // i runs in stage t (Checkmate's linearisation with the hazard count kappa).
    for (std::int64_t k = 0; k <= t; ++k) {
      for (std::size_t j = 0; j < preds[at(k)].size(); ++j) {
        const std::int64_t i = preds[at(k)][j];
        std::vector<int> hazard_cols{r[at(k)]};
        std::vector<double> hazard_coefs{-1.0};  // the hazard (1 - R[t][k])
        double kappa = 1.0;
        if (t + 1 < T) {
          hazard_cols.push_back(S[at(t + 1)][at(i)]);
          hazard_coefs.push_back(1.0);
          kappa += 1.0;
        }
        for (std::int64_t later : succs[at(i)]) {
          if (later > k && later <= t) {
            hazard_cols.push_back(r[at(later)]);
            hazard_coefs.push_back(1.0);
            kappa += 1.0;
          }
        }
        const int free_col = F[at(t)][at(k)][j];
        // 1 - FREE <= hazards:  FREE + (hazards - 1) >= 0, hazards - 1 = -R + S + sum R.
        std::vector<int> cols = hazard_cols;
        std::vector<double> coefs = hazard_coefs;
        cols.push_back(free_col);
        coefs.push_back(1.0);
        b.row(cols, coefs, 'G', 0.0);
        // kappa (1 - FREE) >= hazards:  kappa FREE + (hazards - 1) <= kappa - 1.
        coefs = hazard_coefs;
        coefs.push_back(kappa);
        b.row(cols, coefs, 'L', kappa - 1.0);
      }
    }
    // Memory: U[t][0] = R[t][0] M_0 + sum S[t][i] M_i; U[t][k] = U[t][k-1] + R[t][k] M_k -
    // sum over inputs i of k-1 of M_i FREE[t][(i,k-1)]; U[t][k] + temp_k R[t][k] <= budget.
    for (std::int64_t k = 0; k <= t; ++k) {
      std::vector<int> cols{U[at(t)][at(k)], r[at(k)]};
      std::vector<double> coefs{1.0, -mem(k)};
      if (k == 0) {
        for (std::int64_t i = 0; i < t; ++i) {
          cols.push_back(s[at(i)]);
          coefs.push_back(-mem(i));
        }
      } else {
        cols.push_back(U[at(t)][at(k - 1)]);
        coefs.push_back(-1.0);
        for (std::size_t j = 0; j < preds[at(k - 1)].size(); ++j) {
          cols.push_back(F[at(t)][at(k - 1)][j]);
          coefs.push_back(mem(preds[at(k - 1)][j]));
        }
      }
      b.row(cols, coefs, 'E', 0.0);
      const double temp = static_cast<double>(graph.temp_bytes(order[at(k)]));
      if (temp > 0) b.row({U[at(t)][at(k)], r[at(k)]}, {1.0, temp}, 'L', budget);
    }
  }
  // Sinks stay resident: each is computed or kept in the last stage.
  for (NodeIndex sink : graph.sinks()) {
    const std::int64_t p = pos[at(sink)];
    if (p == T - 1) continue;
    b.row({R[at(T - 1)][at(p)], S[at(T - 1)][at(p)]}, {1.0, 1.0}, 'G', 1.0);
  }

  MilpResult result;
  result.num_variables = b.columns();
  result.num_binaries = b.binaries();
  result.num_rows = b.rows();
  Cbc_setObjSense(model.get(), 1.0);
  Cbc_setLogLevel(model.get(), 0);
  Cbc_setMaximumSeconds(model.get(), options.time_limit_seconds);
  const std::string threads = std::to_string(options.threads);
  Cbc_setParameter(model.get(), "threads", threads.c_str());
  // The limit is on wall-clock time (CBC counts CPU seconds by default).
  Cbc_setParameter(model.get(), "timeMode", "elapsed");
  const auto start = std::chrono::steady_clock::now();
  Cbc_solve(model.get());
  result.solve_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.status = Cbc_status(model.get());
  result.secondary_status = Cbc_secondaryStatus(model.get());
  // Secondary status 1: the linear relaxation is infeasible, so the MILP is too.
  result.infeasible = Cbc_isProvenInfeasible(model.get()) != 0 || result.secondary_status == 1;
  result.bound = Cbc_getBestPossibleObjValue(model.get());
  if (result.infeasible || Cbc_numberSavedSolutions(model.get()) < 1) return result;
  result.proven_optimal = Cbc_isProvenOptimal(model.get()) != 0;
  result.objective = Cbc_getObjValue(model.get());
  result.gap = result.proven_optimal || result.objective <= 0
                   ? 0.0
                   : std::max(0.0, (result.objective - result.bound) / result.objective);
  const double* x = Cbc_getColSolution(model.get());
  auto on = [&](int col) { return col >= 0 && x[col] > 0.5; };

  // Rebuild the schedule: stage by stage, compute what R says, free every non-sink output the
  // rest of the stage does not read and the next stage does not keep.
  GraphSchedule schedule;
  std::vector<char> resident(at(T), 0);
  for (std::int64_t t = 0; t < T; ++t) {
    auto release = [&](std::int64_t after) {
      for (std::int64_t i = 0; i < T; ++i) {
        if (!resident[at(i)] || graph.is_sink(order[at(i)])) continue;
        if (t + 1 < T && on(S[at(t + 1)][at(i)])) continue;
        bool needed = false;
        for (std::int64_t later : succs[at(i)]) {
          needed = needed || (later > after && later <= t && on(R[at(t)][at(later)]));
        }
        if (needed) continue;
        resident[at(i)] = 0;
        schedule.push_back(GraphOp::free(order[at(i)]));
      }
    };
    release(-1);
    for (std::int64_t k = 0; k <= t; ++k) {
      if (on(R[at(t)][at(k)]) && !resident[at(k)]) {
        schedule.push_back(GraphOp::compute(order[at(k)]));
        resident[at(k)] = 1;
      }
      release(k);
    }
  }
  try {
    const GraphSimulation sim = simulate(graph, schedule);
    if (sim.peak > budget_bytes) return result;
    RematPlan plan;
    plan.schedule = std::move(schedule);
    plan.time = sim.compute_time;
    plan.peak = sim.peak;
    plan.optimal = false;
    plan.lower_bound = graph.total_time();
    result.plan = std::move(plan);
  } catch (const std::invalid_argument&) {
    // A solution that does not replay (tolerances) is reported as no schedule.
  }
  return result;
}

}  // namespace memsched::graph
