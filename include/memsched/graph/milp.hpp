// Checkmate's MILP for rematerialization under a byte budget, solved with COIN-OR CBC. Lives in
// its own library, memsched_graph_milp, so that programs without graphs do not link CBC.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/graph/graph.hpp"
#include "memsched/graph/remat.hpp"

namespace memsched::graph {

/// How the MILP is built and solved.
struct MilpOptions {
  /// Order of first computations (stage t computes order[t] for the first time); empty:
  /// min_peak_exact's order if it finishes within 2·10^5 downsets, else min_peak_heuristic's.
  /// Must be a topological order of every node.
  std::vector<NodeIndex> order;
  double time_limit_seconds = 60.0;  ///< CBC's wall-clock limit (checked only at some points)
  int threads = 1;                   ///< CBC threads
  /// Largest number of variables built; std::invalid_argument beyond it (with the count).
  std::int64_t max_variables = 300'000;
};

/// What CBC proved about the MILP.
struct MilpResult {
  /// The schedule rebuilt from the best integer solution, replayed by simulate(); nullopt if CBC
  /// found none (infeasible, or none within the time limit). plan->optimal is false: the MILP
  /// fixes the order of first computations, so its optimum can exceed remat_exact's.
  std::optional<RematPlan> plan;
  bool infeasible = false;      ///< CBC proved that no schedule of this class fits the budget
  bool proven_optimal = false;  ///< CBC proved the objective optimal within the MILP
  double objective = 0.0;       ///< best integer objective (total compute time)
  double bound = 0.0;           ///< CBC's best bound on the MILP's optimum
  double gap = 0.0;             ///< (objective - bound) / objective, 0 when proven optimal
  std::int64_t num_variables = 0;
  std::int64_t num_binaries = 0;
  std::int64_t num_rows = 0;
  double solve_seconds = 0.0;  ///< wall time of Cbc_solve
  int status = -1;             ///< Cbc_status: 0 finished, 1 stopped on a limit, 2 abandoned
  int secondary_status = -1;   ///< Cbc_secondaryStatus: 1 LP infeasible, 4 stopped on time, ...
};

/// Checkmate's MILP (Jain et al., "Checkmate: breaking the memory wall with optimal tensor
/// rematerialization", MLSys 2020): binaries R[t][i] (i computed in stage t), S[t][i] (i kept
/// from stage t-1 into t), FREE[t][(i,k)] (i freed after its consumer k in stage t), continuous
/// U[t][k] (memory after computing k in stage t); stage t computes order[t] for the first time.
/// Our node-output model adds temp_bytes(k) * R[t][k] to the memory checked against the budget,
/// and keeps every sink resident in the last stage (docs/graphs.md). The solution's schedule
/// frees each output as soon as the stage no longer needs it, so its peak is at most U's.
///
/// Throws std::invalid_argument for a negative budget, a bad order, non-positive time limit or
/// threads, or more than max_variables variables.
MilpResult remat_milp(const Graph& graph, Bytes budget_bytes, const MilpOptions& options = {});

}  // namespace memsched::graph
