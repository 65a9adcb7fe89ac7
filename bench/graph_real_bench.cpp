// The rematerialization planners on real forward-and-backward graphs (a measurement tool, not a
// benchmark): per graph and budget, the time overhead and solve time of the block
// decomposition, the greedy, and Checkmate's MILP solved by CBC in the same run, once with the
// order of first computations from our minimum-peak search and once with the network's own
// order as Checkmate uses it. Prints Markdown tables (docs/benchmarks.md, docs/graphs.md).
//
// Usage: graph_real_bench [--time-limit S] [--alphas 0.25,0.5] [--max-variables N] FILE.json...
// MILPs above N variables (default 150000) are refused up front: CBC spends minutes in the root
// LP alone on them.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "memsched/graph/decompose.hpp"
#include "memsched/graph/io.hpp"
#include "memsched/graph/milp.hpp"
#include "memsched/graph/remat.hpp"
#include "memsched/graph/series_parallel.hpp"
#include "memsched/graph/simulate.hpp"
#include "memsched/graph/traversal.hpp"

namespace {

using namespace memsched::graph;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string overhead(const Graph& g, const RematPlan& plan) {
  char text[64];
  std::snprintf(text, sizeof text, "%.2f%%", 100.0 * (plan.time / g.total_time() - 1.0));
  return text;
}

std::string mib(Bytes b) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", static_cast<double>(b) / (1 << 20));
  return text;
}

// One MILP column: overhead, solve time, proven gap; or why there is none.
std::int64_t max_variables = 150000;

std::string milp_cell(const Graph& g, Bytes budget, double limit,
                      const std::vector<NodeIndex>& order) {
  MilpOptions options;
  options.time_limit_seconds = limit;
  options.max_variables = max_variables;
  options.order = order;
  char text[160];
  try {
    const auto start = Clock::now();
    const MilpResult r = remat_milp(g, budget, options);
    const double s = seconds_since(start);
    if (!r.plan) {
      std::snprintf(text, sizeof text, "%s, %.1f s, %lld binaries",
                    r.infeasible ? "infeasible" : "no solution", s,
                    static_cast<long long>(r.num_binaries));
      return text;
    }
    // The judge: the plan's schedule replays within the budget.
    const GraphSimulation sim = simulate(g, r.plan->schedule);
    if (sim.peak > budget) return "schedule above budget (bug)";
    std::snprintf(text, sizeof text, "%s, %.1f s, gap %.1f%%%s", overhead(g, *r.plan).c_str(), s,
                  100.0 * r.gap, r.proven_optimal ? " (optimal)" : "");
    return text;
  } catch (const std::invalid_argument& e) {
    std::string what = e.what();
    const auto pos = what.find("more than");
    return "refused (" + (pos == std::string::npos ? what.substr(0, 60) : what.substr(pos, 40)) +
           ")";
  }
}

}  // namespace

int main(int argc, char** argv) {
  double limit = 30.0;
  std::vector<double> alphas{0.25, 0.5};
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--time-limit" && i + 1 < argc) {
      limit = std::atof(argv[++i]);
    } else if (arg == "--max-variables" && i + 1 < argc) {
      max_variables = std::atoll(argv[++i]);
    } else if (arg == "--alphas" && i + 1 < argc) {
      alphas.clear();
      std::stringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');)
        alphas.push_back(std::atof(item.c_str()));
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: graph_real_bench [--time-limit S] [--alphas a,b] FILE.json...\n");
    return 2;
  }
  std::printf(
      "| graph | nodes | edges | order peak (MiB) | lower bound (MiB) | blocks | budget (MiB) |"
      " decomposition | greedy | MILP, min-peak order | Checkmate MILP, network order |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const std::string& file : files) {
    Graph g = read_graph_file(file);
    auto start = Clock::now();
    GraphTraversal order = min_peak_heuristic(g);
    if (is_series_parallel(g)) {
      const GraphTraversal sp = min_peak_series_parallel(g);
      if (sp.peak < order.peak) order = sp;
    }
    const double order_seconds = seconds_since(start);
    const Bytes lower = peak_lower_bound(g);
    std::int64_t blocks = 0;
    try {
      const auto chain = block_chain(g);
      blocks = chain ? chain->chain.num_stages() : 0;
    } catch (const std::exception&) {
      blocks = -1;
    }
    std::string name = file.substr(file.find_last_of('/') + 1);
    std::fprintf(stderr, "%s: min-peak order in %.2f s\n", name.c_str(), order_seconds);
    for (double alpha : alphas) {
      const Bytes budget =
          lower + static_cast<Bytes>(alpha * static_cast<double>(order.peak - lower));
      std::string decomposition = "no structure";
      if (blocks > 0) {
        start = Clock::now();
        const DecompositionResult d = remat_decomposition(g, budget);
        const double s = seconds_since(start);
        char text[96];
        if (d.plan) {
          std::snprintf(text, sizeof text, "%s, %.2f s", overhead(g, *d.plan).c_str(), s);
        } else {
          std::snprintf(text, sizeof text, "none, %.2f s", s);
        }
        decomposition = text;
      }
      start = Clock::now();
      const auto greedy_plan = remat_greedy(g, budget);
      const double greedy_seconds = seconds_since(start);
      char greedy[96];
      if (greedy_plan) {
        std::snprintf(greedy, sizeof greedy, "%s, %.2f s", overhead(g, *greedy_plan).c_str(),
                      greedy_seconds);
      } else {
        std::snprintf(greedy, sizeof greedy, "none, %.2f s", greedy_seconds);
      }
      const std::string ours = milp_cell(g, budget, limit, order.order);
      const std::string checkmate = milp_cell(g, budget, limit, g.topological_order());
      std::printf("| %s | %d | %lld | %s | %s | %lld | %s (α %.2f) | %s | %s | %s | %s |\n",
                  name.c_str(), g.num_nodes(), static_cast<long long>(g.num_edges()),
                  mib(order.peak).c_str(), mib(lower).c_str(), static_cast<long long>(blocks),
                  mib(budget).c_str(), alpha, decomposition.c_str(), greedy, ours.c_str(),
                  checkmate.c_str());
      std::fflush(stdout);
    }
  }
  return 0;
}
