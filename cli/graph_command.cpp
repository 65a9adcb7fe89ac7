// `memsched graph ...`: minimum-peak orders, rematerialization under a byte budget, memory-time
// curves, replay of schedules, and conversion of chains, join graphs and trees into graph files.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "memsched/errors.hpp"
#include "memsched/graph/convert.hpp"
#include "memsched/graph/decompose.hpp"
#include "memsched/graph/io.hpp"
#include "memsched/graph/memory_svg.hpp"
#include "options.hpp"
#ifdef MEMSCHED_HAVE_CBC
#include "memsched/graph/milp.hpp"
#endif
#include "memsched/graph/out_of_core.hpp"
#include "memsched/graph/parallel.hpp"
#include "memsched/graph/remat.hpp"
#include "memsched/graph/series_parallel.hpp"
#include "memsched/graph/simulate.hpp"
#include "memsched/graph/starpu_run.hpp"
#include "memsched/graph/traversal.hpp"
#include "memsched/hetero/io.hpp"
#include "memsched/tree/io.hpp"

namespace memsched::cli {

namespace {

using graph::Bytes;
using graph::Graph;
using Json = nlohmann::json;

// The byte flags of graph files: at most the model's total (2^62).
Bytes parse_budget(const std::string& text, const char* flag) {
  return parse_bytes(text, flag, graph::kMaxTotalBytes);
}

Graph read_graph(const std::string& path) {
  try {
    return graph::read_graph_file(path);
  } catch (const ParseError& e) {  // what() already gives the line and column
    throw std::runtime_error(path + ": " + e.what());
  }
}

std::string number(double v) {
  std::ostringstream out;
  out << std::setprecision(12) << v;
  return out.str();
}

Json schedule_json(const Graph& g, const graph::GraphSchedule& schedule) {
  Json ops = Json::array();
  for (const graph::GraphOp& op : schedule) {
    ops.push_back({{"op", graph::to_string(op.kind)}, {"node", g.id(op.node)}});
  }
  return ops;
}

// Writes the memory over time of a sequential schedule to `path` as SVG (--svg).
void write_schedule_svg(const std::string& path, const Graph& g,
                        const graph::GraphSchedule& schedule, Bytes bound, const std::string& title,
                        const graph::GraphSimulateOptions& costs = {}) {
  if (path.empty()) return;
  graph::GraphSimulateOptions options = costs;
  options.record_timeline = true;
  const graph::GraphSimulation sim = graph::simulate(g, schedule, options);
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
  graph::write_memory_svg(out, graph::memory_samples(sim.timeline), sim.time, bound, title);
}

// ---- traverse ----------------------------------------------------------------------------

struct TraverseFlags {
  std::string file;
  std::string algorithm = "optimal";
  std::string format = "text";
  std::string max_states = "2000000";
  std::string svg;
};

// --algorithm optimal: the series-parallel algorithm when the graph is series-parallel and its
// answer is certified optimal, else the exact DP. heuristic: the better of the greedy orders
// and, on a series-parallel graph, the series-parallel algorithm. series-parallel: that
// algorithm alone (bad input unless the graph is series-parallel).
void run_traverse(const TraverseFlags& flags) {
  const Graph g = read_graph(flags.file);
  graph::GraphTraversal t;
  std::string method;
  const bool series_parallel = graph::is_series_parallel(g);
  if (flags.algorithm == "series-parallel") {
    if (!series_parallel) {
      throw std::runtime_error(flags.file +
                               ": the graph is not series-parallel (with one source joined to "
                               "its sources and one target joined from its sinks)");
    }
    t = graph::min_peak_series_parallel(g);
    method = "series-parallel";
  } else if (flags.algorithm == "heuristic") {
    t = graph::min_peak_heuristic(g);
    method = "greedy";
    if (series_parallel && !t.optimal) {
      const graph::GraphTraversal sp = graph::min_peak_series_parallel(g);
      const Bytes bound = std::max(t.lower_bound, sp.lower_bound);
      if (sp.peak <= t.peak) {
        t = sp;
        method = "series-parallel";
      }
      t.lower_bound = bound;
      t.optimal = t.peak == bound;
    }
  } else {
    if (series_parallel) {
      t = graph::min_peak_series_parallel(g);
      method = "series-parallel";
    }
    if (!t.optimal) {
      graph::ExactTraversalOptions options;
      options.max_states = parse_integer(flags.max_states, "--max-states", 1, 1'000'000'000);
      try {
        t = graph::min_peak_exact(g, options);
      } catch (const std::invalid_argument& e) {
        if (!series_parallel) throw;
        throw std::invalid_argument(
            std::string(e.what()) + "; the series-parallel algorithm found peak " +
            std::to_string(t.peak) + " (lower bound " + std::to_string(t.lower_bound) +
            "): --algorithm series-parallel");
      }
      method = "downset-dp";
    }
  }
  write_schedule_svg(flags.svg, g, graph::traversal_schedule(g, t.order), 0,
                     "min-peak order (" + flags.algorithm + "), peak " + std::to_string(t.peak));
  if (flags.format == "json") {
    Json order = Json::array();
    for (graph::NodeIndex v : t.order) order.push_back(g.id(v));
    const Json out{{"algorithm", flags.algorithm},
                   {"method", method},
                   {"series_parallel", series_parallel},
                   {"nodes", g.num_nodes()},
                   {"edges", g.num_edges()},
                   {"peak", t.peak},
                   {"lower_bound", t.lower_bound},
                   {"optimal", t.optimal},
                   {"order", order}};
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "algorithm: " << flags.algorithm << " (" << method << ")"
            << "\nseries-parallel: " << (series_parallel ? "yes" : "no")
            << "\nnodes: " << g.num_nodes() << "\nedges: " << g.num_edges() << "\npeak: " << t.peak
            << "\nlower bound: " << t.lower_bound << "\noptimal: " << (t.optimal ? "yes" : "no")
            << "\norder:";
  for (graph::NodeIndex v : t.order) std::cout << ' ' << g.id(v);
  std::cout << "\n";
}

// ---- remat -------------------------------------------------------------------------------

struct RematFlags {
  std::string file;
  std::string budget;
  std::string algorithm = "auto";
  std::string format = "text";
  double time_limit = 60.0;
  std::string svg;
};

// The exact search is used up to this many nodes by --algorithm auto.
constexpr graph::NodeIndex kAutoExactNodes = 24;

// Checkmate's MILP with CBC (when built with it): the schedule, and what CBC proved.
void run_milp(const Graph& g, Bytes budget, const RematFlags& flags) {
#ifdef MEMSCHED_HAVE_CBC
  if (!(flags.time_limit > 0)) throw UsageError("--time-limit: must be > 0");
  graph::MilpOptions options;
  options.time_limit_seconds = flags.time_limit;
  const graph::MilpResult r = graph::remat_milp(g, budget, options);
  if (!r.plan) {
    throw std::runtime_error(std::string("the MILP found no schedule within a budget of ") +
                             std::to_string(budget) + " bytes (" +
                             (r.infeasible
                                  ? std::string("infeasible for its order of first computations")
                                  : "no integer solution, CBC status " + std::to_string(r.status) +
                                        "/" + std::to_string(r.secondary_status)) +
                             "); the smallest feasible budget is at least " +
                             std::to_string(graph::peak_lower_bound(g)) + " bytes");
  }
  const Json milp{{"proven_optimal", r.proven_optimal},
                  {"objective", r.objective},
                  {"bound", r.bound},
                  {"gap", r.gap},
                  {"binaries", r.num_binaries},
                  {"rows", r.num_rows},
                  {"solve_seconds", r.solve_seconds}};
  if (flags.format == "json") {
    const Json out{{"algorithm", "milp"},
                   {"budget", budget},
                   {"time", r.plan->time},
                   {"peak", r.plan->peak},
                   {"optimal", false},
                   {"milp", milp},
                   {"schedule", schedule_json(g, r.plan->schedule)}};
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "algorithm: milp\nbudget: " << budget << "\ntime: " << number(r.plan->time)
            << "\npeak: " << r.plan->peak << "\nmilp: " << milp.dump() << "\nschedule:";
  for (const graph::GraphOp& op : r.plan->schedule) std::cout << ' ' << graph::to_string(op, g);
  std::cout << "\n";
#else
  (void)g;
  (void)budget;
  (void)flags;
  throw UsageError("--algorithm milp: this memsched was built without CBC (coinor-libcbc-dev)");
#endif
}

void run_remat(const RematFlags& flags) {
  const Bytes budget = parse_budget(flags.budget, "--budget");
  const Graph g = read_graph(flags.file);
  if (flags.algorithm == "milp") {
    run_milp(g, budget, flags);
    return;
  }
  const bool exact =
      flags.algorithm == "exact" || (flags.algorithm == "auto" && g.num_nodes() <= kAutoExactNodes);
  std::string algorithm = exact ? "exact" : "greedy";
  std::optional<graph::RematPlan> plan;
  if (flags.algorithm == "decomposition") {
    algorithm = "decomposition";
    plan = graph::remat_decomposition(g, budget).plan;
    if (!plan) {
      throw std::runtime_error("the block decomposition found no schedule within a budget of " +
                               std::to_string(budget) + " bytes (no schedule fits below " +
                               std::to_string(graph::peak_lower_bound(g)) + " bytes)");
    }
  } else {
    plan = exact ? graph::remat_exact(g, budget) : graph::remat_greedy(g, budget);
  }
  // auto on a large graph: the block decomposition too, when the graph has block structure;
  // the faster schedule wins.
  if (flags.algorithm == "auto" && !exact && g.num_nodes() <= graph::kMaxBlockChainNodes &&
      graph::block_chain(g)) {
    auto blocks = graph::remat_decomposition(g, budget).plan;
    if (blocks && (!plan || blocks->time < plan->time)) {
      plan = std::move(blocks);
      algorithm = "decomposition";
    }
  }
  if (!plan) {
    if (exact) {
      throw std::runtime_error("no schedule within a budget of " + std::to_string(budget) +
                               " bytes; the smallest feasible budget is " +
                               std::to_string(graph::min_feasible_budget(g)) + " bytes");
    }
    // The greedy schedule always fits the heuristic order's peak; bisect down from there.
    Bytes lo = budget, hi = graph::min_peak_heuristic(g).peak;
    while (hi - lo > 1) {
      const Bytes mid = lo + (hi - lo) / 2;
      (graph::remat_greedy(g, mid) ? hi : lo) = mid;
    }
    throw std::runtime_error("the greedy planner found no schedule within a budget of " +
                             std::to_string(budget) +
                             " bytes; the smallest feasible budget it "
                             "found is " +
                             std::to_string(hi) + " bytes (no schedule fits below " +
                             std::to_string(graph::peak_lower_bound(g)) + " bytes)");
  }
  const graph::GraphSimulation sim = graph::simulate(g, plan->schedule);
  write_schedule_svg(flags.svg, g, plan->schedule, budget,
                     "rematerialization (" + algorithm + "), time " + number(plan->time));
  if (flags.format == "json") {
    const Json out{{"algorithm", algorithm},
                   {"budget", budget},
                   {"time", plan->time},
                   {"peak", plan->peak},
                   {"optimal", plan->optimal},
                   {"lower_bound_time", plan->lower_bound},
                   {"computes", sim.num_computes},
                   {"recomputes", sim.num_recomputes},
                   {"schedule", schedule_json(g, plan->schedule)}};
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "algorithm: " << algorithm << "\nbudget: " << budget
            << "\ntime: " << number(plan->time) << "\npeak: " << plan->peak
            << "\noptimal: " << (plan->optimal ? "yes" : "no")
            << "\nlower bound on time: " << number(plan->lower_bound)
            << "\nrecomputes: " << sim.num_recomputes << "\nschedule:";
  for (const graph::GraphOp& op : plan->schedule) std::cout << ' ' << graph::to_string(op, g);
  std::cout << "\n";
}

// ---- curve -------------------------------------------------------------------------------

struct CurveFlags {
  std::string file;
  std::string algorithm = "auto";
  std::string points = "32";
  std::string format = "text";
};

void run_curve(const CurveFlags& flags) {
  const std::int64_t points = parse_integer(flags.points, "--points", 2, 10000);
  const Graph g = read_graph(flags.file);
  const bool exact =
      flags.algorithm == "exact" || (flags.algorithm == "auto" && g.num_nodes() <= kAutoExactNodes);
  const std::vector<graph::RematCurvePoint> curve =
      exact ? graph::remat_curve_exact(g) : graph::remat_curve_greedy(g, points);
  if (flags.format == "json") {
    Json out = Json::array();
    for (const auto& p : curve) {
      out.push_back({{"budget", p.budget_bytes}, {"time", p.time}, {"optimal", p.optimal}});
    }
    std::cout << Json{{"algorithm", exact ? "exact" : "greedy"},
                      {"total_time", g.total_time()},
                      {"points", out}}
                     .dump()
              << "\n";
    return;
  }
  std::cout << "algorithm: " << (exact ? "exact" : "greedy")
            << "\ntotal time: " << number(g.total_time()) << "\nbudget time\n";
  for (const auto& p : curve) std::cout << p.budget_bytes << ' ' << number(p.time) << "\n";
}

// ---- simulate ----------------------------------------------------------------------------

struct SimulateFlags {
  std::string file;
  std::string schedule;
  std::string format = "text";
};

void run_simulate(const SimulateFlags& flags) {
  const Graph g = read_graph(flags.file);
  std::ifstream in(flags.schedule, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open '" + flags.schedule + "'");
  if (static_cast<std::uint64_t>(in.tellg()) > graph::kMaxGraphFileBytes) {
    throw std::runtime_error("'" + flags.schedule + "': larger than 256 MiB");
  }
  in.seekg(0);
  Json doc;
  try {
    doc = Json::parse(in);
  } catch (const Json::exception& e) {
    throw std::runtime_error(flags.schedule + ": malformed JSON: " + e.what());
  }
  const Json& ops = doc.is_object() && doc.contains("schedule") ? doc["schedule"] : doc;
  if (!ops.is_array()) throw std::runtime_error(flags.schedule + ": expected a list of steps");
  graph::GraphSchedule schedule;
  for (std::size_t k = 0; k < ops.size(); ++k) {
    const Json& op = ops[k];
    const std::string where = flags.schedule + ": step " + std::to_string(k);
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string() || !op.contains("node") ||
        !op["node"].is_string()) {
      throw std::runtime_error(where + ": expected {\"op\": ..., \"node\": ...}");
    }
    const std::string kind = op["op"].get<std::string>();
    const auto node = g.find(op["node"].get<std::string>());
    if (!node)
      throw std::runtime_error(where + ": unknown node '" + op["node"].get<std::string>() + "'");
    if (kind == "compute") {
      schedule.push_back(graph::GraphOp::compute(*node));
    } else if (kind == "free") {
      schedule.push_back(graph::GraphOp::free(*node));
    } else if (kind == "store") {
      schedule.push_back(graph::GraphOp::store(*node));
    } else if (kind == "load") {
      schedule.push_back(graph::GraphOp::load(*node));
    } else {
      throw std::runtime_error(where + ": unknown op '" + kind.substr(0, 40) + "'");
    }
  }
  const graph::GraphSimulation sim = graph::simulate(g, schedule);
  if (flags.format == "json") {
    std::cout << Json{{"time", sim.time},
                      {"compute_time", sim.compute_time},
                      {"peak", sim.peak},
                      {"io_bytes", sim.io_bytes},
                      {"computes", sim.num_computes},
                      {"recomputes", sim.num_recomputes}}
                     .dump()
              << "\n";
    return;
  }
  std::cout << "time: " << number(sim.time) << "\npeak: " << sim.peak
            << "\nio bytes: " << sim.io_bytes << "\ncomputes: " << sim.num_computes
            << "\nrecomputes: " << sim.num_recomputes << "\n";
}

// ---- ooc ---------------------------------------------------------------------------------

// The min-peak traversal the ooc, parallel and run commands start from: auto (exact within
// 2*10^5 downsets, else the heuristic), exact, heuristic, or "topological", the file's own
// topological order.
graph::GraphTraversal reference_traversal(const Graph& g, const std::string& which) {
  if (which == "topological") {
    graph::GraphTraversal t;
    t.order = g.topological_order();
    t.peak = graph::order_peak(g, t.order);
    t.lower_bound = graph::peak_lower_bound(g);
    t.optimal = t.peak == t.lower_bound;
    return t;
  }
  if (which == "exact") return graph::min_peak_exact(g);
  if (which == "auto") return graph::default_traversal(g);
  return graph::min_peak_heuristic(g);
}

// An order from a JSON file: a list of node ids, or an object with "order" (traverse's JSON
// output). Every node once, each after its predecessors (checked by the planners).
std::vector<graph::NodeIndex> read_order_file(const Graph& g, const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open '" + path + "'");
  if (static_cast<std::uint64_t>(in.tellg()) > graph::kMaxGraphFileBytes) {
    throw std::runtime_error("'" + path + "': larger than 256 MiB");
  }
  in.seekg(0);
  Json doc;
  try {
    doc = Json::parse(in);
  } catch (const Json::exception& e) {
    throw std::runtime_error(path + ": malformed JSON: " + e.what());
  }
  const Json& list = doc.is_object() && doc.contains("order") ? doc["order"] : doc;
  if (!list.is_array()) throw std::runtime_error(path + ": expected a list of node ids");
  std::vector<graph::NodeIndex> order;
  for (const Json& id : list) {
    if (!id.is_string()) throw std::runtime_error(path + ": expected node ids (strings)");
    const auto v = g.find(id.get<std::string>());
    if (!v) {
      throw std::runtime_error(path + ": unknown node '" + id.get<std::string>().substr(0, 60) +
                               "'");
    }
    order.push_back(*v);
  }
  graph::check_order(g, order, path.c_str());
  return order;
}

// The reference traversal, or the order of `order_file` when one is given.
graph::GraphTraversal chosen_traversal(const Graph& g, const std::string& which,
                                       const std::string& order_file) {
  if (order_file.empty()) return reference_traversal(g, which);
  graph::GraphTraversal t;
  t.order = read_order_file(g, order_file);
  t.peak = graph::order_peak(g, t.order);
  t.lower_bound = graph::peak_lower_bound(g);
  t.optimal = t.peak == t.lower_bound;
  return t;
}

struct OocFlags {
  std::string file;
  std::string memory;
  std::string order = "auto";
  std::string order_file;
  std::string policy = "furthest";
  std::string format = "text";
  std::string svg;
  double store_time = 0.0, load_time = 0.0;
};

void run_ooc(const OocFlags& flags) {
  const Bytes bound = parse_budget(flags.memory, "--memory");
  if (!flags.order_file.empty() && flags.order != "auto") {
    throw UsageError("--order-file: not with --order");
  }

  if (!std::isfinite(flags.store_time) || !std::isfinite(flags.load_time)) {
    throw UsageError("--store-time, --load-time: must be finite");
  }
  const Graph g = read_graph(flags.file);
  const graph::GraphTraversal t = chosen_traversal(g, flags.order, flags.order_file);
  const auto policy = flags.policy == "largest" ? graph::GraphEvictionPolicy::kLargestFirst
                                                : graph::GraphEvictionPolicy::kFurthestNextUse;
  const auto plan = graph::out_of_core_schedule(g, t.order, bound, policy);
  if (!plan) {
    throw std::runtime_error("no out-of-core schedule fits in " + std::to_string(bound) +
                             " bytes; the smallest bound is " +
                             std::to_string(graph::min_out_of_core_memory(g)) + " bytes");
  }
  graph::GraphSimulateOptions costs;
  costs.store_time_per_byte = flags.store_time;
  costs.load_time_per_byte = flags.load_time;
  const graph::GraphSimulation sim = graph::simulate(g, plan->schedule, costs);
  write_schedule_svg(flags.svg, g, plan->schedule, bound,
                     "out-of-core, I/O " + std::to_string(plan->io_bytes) + " bytes", costs);
  const Bytes any_order =
      graph::io_lower_bound_any_order(t.optimal ? t.peak : t.lower_bound, bound);
  if (flags.format == "json") {
    Json order = Json::array();
    for (graph::NodeIndex v : plan->order) order.push_back(g.id(v));
    const Json out{{"memory", bound},
                   {"order_algorithm", flags.order_file.empty() ? flags.order : "file"},
                   {"policy", flags.policy},
                   {"order_peak", plan->order_peak},
                   {"peak", plan->peak},
                   {"io_bytes", plan->io_bytes},
                   {"stored_bytes", plan->stored_bytes},
                   {"loaded_bytes", plan->loaded_bytes},
                   {"stores", plan->num_stores},
                   {"loads", plan->num_loads},
                   {"lower_bound", plan->lower_bound},
                   {"lower_bound_any_order", any_order},
                   {"time", sim.time},
                   {"compute_time", sim.compute_time},
                   {"order", order},
                   {"schedule", schedule_json(g, plan->schedule)}};
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "memory: " << bound
            << "\norder: " << (flags.order_file.empty() ? flags.order : "file") << " (peak "
            << plan->order_peak << ")\npolicy: " << flags.policy << "\npeak: " << plan->peak
            << "\nio bytes: " << plan->io_bytes << " (stored " << plan->stored_bytes << ", loaded "
            << plan->loaded_bytes << ")\nlower bound, this order: " << plan->lower_bound
            << "\nlower bound, any order: " << any_order << "\ntime: " << number(sim.time)
            << "\nschedule:";
  for (const graph::GraphOp& op : plan->schedule) std::cout << ' ' << graph::to_string(op, g);
  std::cout << "\n";
}

// ---- parallel ----------------------------------------------------------------------------

struct ParallelFlags {
  std::string file;
  std::string processors;
  std::string memory;
  std::string activation = "auto";
  std::string order_file;
  std::string priority = "critical-path";
  std::string format = "text";
  std::string svg;
};

void run_parallel(const ParallelFlags& flags) {
  const std::int64_t p = parse_integer(flags.processors, "--processors", 1, 1 << 20);
  const Bytes bound = parse_budget(flags.memory, "--memory");
  if (!flags.order_file.empty() && flags.activation != "auto") {
    throw UsageError("--order-file: not with --activation");
  }
  const Graph g = read_graph(flags.file);
  graph::GraphParallelOptions options;
  options.activation_order = chosen_traversal(g, flags.activation, flags.order_file).order;
  options.priority = flags.priority == "activation" ? graph::GraphPriority::kActivationOrder
                                                    : graph::GraphPriority::kCriticalPath;
  const auto s = graph::memory_bounded_parallel(g, p, bound, options);
  if (!s) {
    throw std::runtime_error("the memory gate cannot finish within " + std::to_string(bound) +
                             " bytes; the activation order needs " +
                             std::to_string(graph::order_peak(g, options.activation_order)) +
                             " bytes");
  }
  const graph::MakespanBounds b = graph::makespan_bounds(g, p, bound);
  if (!flags.svg.empty()) {
    const graph::GraphParallelReport r = graph::simulate_parallel(g, s->runs, p, s->start_order);
    std::ofstream out(flags.svg);
    if (!out) throw std::runtime_error("cannot write '" + flags.svg + "'");
    graph::write_memory_svg(out, r.timeline, r.makespan, bound,
                            std::to_string(p) + " processors, makespan " + number(r.makespan));
  }
  const Json bounds{{"critical_path", b.critical_path},
                    {"work", b.work},
                    {"memory_area", b.memory_area},
                    {"lower_bound", b.lower_bound}};
  if (flags.format == "json") {
    Json runs = Json::array();
    for (graph::NodeIndex v : s->start_order) {
      const graph::GraphTaskRun& r = s->runs[static_cast<std::size_t>(v)];
      runs.push_back({{"node", g.id(v)},
                      {"start", r.start},
                      {"end", r.start + g.time(v)},
                      {"processor", r.processor}});
    }
    const Json out{{"processors", p},
                   {"memory", bound},
                   {"activation", flags.order_file.empty() ? flags.activation : "file"},
                   {"priority", flags.priority},
                   {"activation_peak", s->activation_peak},
                   {"peak", s->peak},
                   {"makespan", s->makespan},
                   {"bounds", bounds},
                   {"runs", runs}};
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "processors: " << p << "\nmemory: " << bound
            << "\nactivation: " << (flags.order_file.empty() ? flags.activation : "file")
            << " (sequential peak " << s->activation_peak << ")\npriority: " << flags.priority
            << "\npeak: " << s->peak << "\nmakespan: " << number(s->makespan)
            << "\nlower bound: " << number(b.lower_bound) << " (critical path "
            << number(b.critical_path) << ", work/p " << number(b.work) << ", memory area "
            << number(b.memory_area) << ")\nruns (node start processor):\n";
  for (graph::NodeIndex v : s->start_order) {
    const graph::GraphTaskRun& r = s->runs[static_cast<std::size_t>(v)];
    std::cout << "  " << g.id(v) << ' ' << number(r.start) << ' ' << r.processor << "\n";
  }
}

// ---- run (StarPU) ------------------------------------------------------------------------

struct RunFlags {
  std::string file;
  std::string workers = "2";
  std::string memory;
  bool no_gate = false;
  std::string activation = "auto";
  double bytes_scale = 1.0;
  double us_per_time = 1000.0;
  std::string format = "text";
};

void run_starpu(const RunFlags& flags) {
  graph::GraphStarpuOptions options;
  options.workers = parse_integer(flags.workers, "--workers", 1, 4096);
  if (!std::isfinite(flags.bytes_scale) || flags.bytes_scale > 1e6) {
    throw UsageError("--bytes-scale: must be finite, in [0, 1e6]");
  }
  if (!std::isfinite(flags.us_per_time) || flags.us_per_time > 1e9) {
    throw UsageError("--us-per-time: must be finite, in [0, 1e9]");
  }
  options.bytes_scale = flags.bytes_scale;
  options.seconds_per_time = 1e-6 * flags.us_per_time;
  options.gate = !flags.no_gate;
  if (flags.no_gate && !flags.memory.empty()) throw UsageError("--memory: not with --no-gate");
  if (!graph::have_starpu_graphs()) {
    throw std::runtime_error("this memsched was built without StarPU");
  }
  const Graph g = read_graph(flags.file);
  options.activation_order = reference_traversal(g, flags.activation).order;
  const Bytes order_peak = graph::order_peak(g, options.activation_order);
  options.memory_bound = flags.memory.empty() ? order_peak : parse_budget(flags.memory, "--memory");
  const graph::GraphStarpuReport report = graph::execute_graph_with_starpu(g, options);
  if (!report.completed) {
    throw std::runtime_error("StarPU run stopped after " + std::to_string(report.tasks_run) +
                             " nodes: memory " + std::to_string(options.memory_bound) +
                             " is below what the activation order needs (" +
                             std::to_string(order_peak) + ")");
  }
  if (flags.format == "json") {
    Json out{{"workers", options.workers},    {"gate", options.gate},
             {"tasks", report.tasks_run},     {"peak", report.peak},
             {"activation_peak", order_peak}, {"seconds", report.seconds}};
    if (options.gate) out["memory"] = options.memory_bound;
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "StarPU, " << options.workers << " workers, "
            << (options.gate ? "gated at memory " + std::to_string(options.memory_bound)
                             : std::string("no gate"))
            << "\nnodes: " << report.tasks_run << "\nmeasured peak: " << report.peak
            << " (activation order's sequential peak " << order_peak
            << ")\nseconds: " << report.seconds << "\n";
}

// ---- convert -----------------------------------------------------------------------------

struct ConvertFlags {
  std::string from;
  std::string file;
  std::string steps;
  double uf = 1.0, ub = 1.0;
  std::string branches;
  std::string handle;
  std::string state_bytes = "1";
};

void run_convert(const ConvertFlags& flags) {
  const auto need_file = [&]() {
    if (flags.file.empty()) throw UsageError("--from " + flags.from + " needs a FILE");
  };
  if (flags.from == "chain") {
    if (flags.steps.empty()) throw UsageError("--from chain needs --steps");
    graph::ChainGraphOptions options;
    options.state_bytes = parse_budget(flags.state_bytes, "--state-bytes");
    const Chain chain(parse_integer(flags.steps, "--steps", 1, std::int64_t{1} << 22), flags.uf,
                      flags.ub);
    graph::write_graph_json(std::cout, graph::graph_from_chain(chain, options));
  } else if (flags.from == "hetero") {
    need_file();
    std::ifstream in(flags.file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open '" + flags.file + "'");
    std::ostringstream text;
    text << in.rdbuf();
    const bool csv =
        flags.file.size() >= 4 && flags.file.compare(flags.file.size() - 4, 4, ".csv") == 0;
    const HeteroChain chain =
        csv ? read_hetero_chain_csv(text.str()) : read_hetero_chain_json(text.str());
    graph::write_graph_json(std::cout, graph::graph_from_hetero(chain));
  } else if (flags.from == "tree") {
    need_file();
    graph::write_graph_json(std::cout, graph::graph_from_tree(read_tree_file(flags.file)));
  } else {
    if (flags.branches.empty() || flags.handle.empty()) {
      throw UsageError("--from join needs --branches and --handle");
    }
    std::vector<Step> lengths;
    std::stringstream list(flags.branches);
    for (std::string item; std::getline(list, item, ',');) {
      lengths.push_back(parse_integer(item, "--branches", 1, std::int64_t{1} << 20));
    }
    const JoinGraph jg(lengths, parse_integer(flags.handle, "--handle", 1, std::int64_t{1} << 20));
    graph::write_graph_json(
        std::cout, graph::graph_from_join(jg, parse_budget(flags.state_bytes, "--state-bytes")));
  }
}

}  // namespace

void add_graph_command(CLI::App& app) {
  CLI::App* top = app.add_subcommand(
      "graph",
      "general computation graphs: minimum-peak orders, rematerialization, out-of-core and "
      "memory-bounded parallel schedules");
  top->require_subcommand(1);

  auto traverse_flags = std::make_shared<TraverseFlags>();
  CLI::App* traverse = top->add_subcommand("traverse", "an order of minimum peak memory");
  traverse->add_option("file", traverse_flags->file, "graph JSON file ('-': standard input)")
      ->required();
  traverse
      ->add_option("--algorithm", traverse_flags->algorithm,
                   "optimal (exact: series-parallel graphs of any size when certified, "
                   "else small graphs) | heuristic (any size, with a gap) | series-parallel")
      ->check(CLI::IsMember({"optimal", "heuristic", "series-parallel"}));
  traverse->add_option("--format", traverse_flags->format, "text | json")
      ->check(CLI::IsMember({"text", "json"}));
  traverse->add_option("--max-states", traverse_flags->max_states,
                       "largest number of downsets the exact search may store");
  traverse->add_option("--svg", traverse_flags->svg, "also write memory over time to this SVG");
  traverse->callback([traverse_flags] { run_traverse(*traverse_flags); });

  auto remat_flags = std::make_shared<RematFlags>();
  CLI::App* remat =
      top->add_subcommand("remat", "the fastest schedule within a byte budget (recomputation)");
  remat->add_option("file", remat_flags->file, "graph JSON file ('-': standard input)")->required();
  remat->add_option("--budget", remat_flags->budget, "memory budget: bytes, or e.g. 512MiB")
      ->required();
  remat
      ->add_option("--algorithm", remat_flags->algorithm,
                   "auto (exact up to 24 nodes, else the faster of greedy and decomposition) | "
                   "exact | greedy | decomposition (blocks + persistent chain DP) | milp "
                   "(Checkmate's, CBC)")
      ->check(CLI::IsMember({"auto", "exact", "greedy", "decomposition", "milp"}));
  remat->add_option("--time-limit", remat_flags->time_limit, "milp: CBC's time limit, seconds");
  remat->add_option("--format", remat_flags->format, "text | json")
      ->check(CLI::IsMember({"text", "json"}));
  remat->add_option("--svg", remat_flags->svg, "also write memory over time to this SVG");
  remat->callback([remat_flags] { run_remat(*remat_flags); });

  auto ooc_flags = std::make_shared<OocFlags>();
  CLI::App* ooc = top->add_subcommand(
      "ooc", "out-of-core: an order within a memory bound, spilling to a slower level");
  ooc->add_option("file", ooc_flags->file, "graph JSON file ('-': standard input)")->required();
  ooc->add_option("--memory", ooc_flags->memory, "memory bound: bytes, or e.g. 512MiB")->required();
  ooc->add_option("--order", ooc_flags->order,
                  "auto (exact min-peak if small, else heuristic) | exact | heuristic | "
                  "topological")
      ->check(CLI::IsMember({"auto", "exact", "heuristic", "topological"}));
  ooc->add_option("--order-file", ooc_flags->order_file,
                  "the order from a JSON file: a list of ids, or traverse's JSON output");
  ooc->add_option("--policy", ooc_flags->policy,
                  "furthest (next use, Belady) | largest (largest output first)")
      ->check(CLI::IsMember({"furthest", "largest"}));
  ooc->add_option("--store-time", ooc_flags->store_time, "time per byte stored (default 0)")
      ->check(CLI::NonNegativeNumber);
  ooc->add_option("--load-time", ooc_flags->load_time, "time per byte loaded (default 0)")
      ->check(CLI::NonNegativeNumber);
  ooc->add_option("--format", ooc_flags->format, "text | json")
      ->check(CLI::IsMember({"text", "json"}));
  ooc->add_option("--svg", ooc_flags->svg, "also write memory over time to this SVG");
  ooc->callback([ooc_flags] { run_ooc(*ooc_flags); });

  auto parallel_flags = std::make_shared<ParallelFlags>();
  CLI::App* parallel = top->add_subcommand(
      "parallel", "list schedule on p processors that never exceeds a shared memory bound");
  parallel->add_option("file", parallel_flags->file, "graph JSON file ('-': standard input)")
      ->required();
  parallel->add_option("--processors", parallel_flags->processors, "number of processors")
      ->required();
  parallel->add_option("--memory", parallel_flags->memory, "memory bound: bytes, or e.g. 512MiB")
      ->required();
  parallel
      ->add_option("--activation", parallel_flags->activation,
                   "activation order: auto | exact | heuristic | topological")
      ->check(CLI::IsMember({"auto", "exact", "heuristic", "topological"}));
  parallel->add_option("--order-file", parallel_flags->order_file,
                       "the activation order from a JSON file: a list of ids, or traverse's "
                       "JSON output");
  parallel
      ->add_option("--priority", parallel_flags->priority,
                   "critical-path (longest path first) | activation")
      ->check(CLI::IsMember({"critical-path", "activation"}));
  parallel->add_option("--format", parallel_flags->format, "text | json")
      ->check(CLI::IsMember({"text", "json"}));
  parallel->add_option("--svg", parallel_flags->svg, "also write memory over time to this SVG");
  parallel->callback([parallel_flags] { run_parallel(*parallel_flags); });

  auto run_flags = std::make_shared<RunFlags>();
  CLI::App* run = top->add_subcommand("run", "execute the graph with StarPU under a memory bound");
  run->add_option("file", run_flags->file, "graph JSON file ('-': standard input)")->required();
  run->add_option("--workers", run_flags->workers, "StarPU CPU workers (default 2)");
  run->add_option("--memory", run_flags->memory,
                  "memory bound (default: peak of the activation order)");
  run->add_flag("--no-gate", run_flags->no_gate, "submit every node at once (StarPU alone)");
  run->add_option("--activation", run_flags->activation,
                  "activation order: auto | exact | heuristic | topological")
      ->check(CLI::IsMember({"auto", "exact", "heuristic", "topological"}));
  run->add_option("--bytes-scale", run_flags->bytes_scale,
                  "bytes StarPU allocates per model byte (default 1)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--us-per-time", run_flags->us_per_time,
                  "microseconds each node busy-waits per unit of time (default 1000)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--format", run_flags->format, "text | json")
      ->check(CLI::IsMember({"text", "json"}));
  run->callback([run_flags] { run_starpu(*run_flags); });

  auto curve_flags = std::make_shared<CurveFlags>();
  CLI::App* curve = top->add_subcommand("curve", "least time for every budget (memory-time curve)");
  curve->add_option("file", curve_flags->file, "graph JSON file ('-': standard input)")->required();
  curve
      ->add_option("--algorithm", curve_flags->algorithm,
                   "auto (exact up to 24 nodes) | exact | greedy")
      ->check(CLI::IsMember({"auto", "exact", "greedy"}));
  curve->add_option("--points", curve_flags->points, "budgets tried by the greedy curve");
  curve->add_option("--format", curve_flags->format, "text | json")
      ->check(CLI::IsMember({"text", "json"}));
  curve->callback([curve_flags] { run_curve(*curve_flags); });

  auto simulate_flags = std::make_shared<SimulateFlags>();
  CLI::App* simulate = top->add_subcommand("simulate", "replay a schedule and report its cost");
  simulate->add_option("file", simulate_flags->file, "graph JSON file")->required();
  simulate
      ->add_option("schedule", simulate_flags->schedule,
                   "schedule JSON: a list of {\"op\", \"node\"}, or remat's JSON output")
      ->required();
  simulate->add_option("--format", simulate_flags->format, "text | json")
      ->check(CLI::IsMember({"text", "json"}));
  simulate->callback([simulate_flags] { run_simulate(*simulate_flags); });

  auto convert_flags = std::make_shared<ConvertFlags>();
  CLI::App* convert = top->add_subcommand(
      "convert", "write a chain, heterogeneous chain, join graph or tree as a graph file");
  convert->add_option("--from", convert_flags->from, "chain | hetero | join | tree")
      ->required()
      ->check(CLI::IsMember({"chain", "hetero", "join", "tree"}));
  convert->add_option("file", convert_flags->file, "input file (hetero: JSON or CSV; tree)");
  convert->add_option("--steps", convert_flags->steps, "chain: number of steps");
  convert->add_option("--uf", convert_flags->uf, "chain: forward step time")
      ->check(CLI::NonNegativeNumber);
  convert->add_option("--ub", convert_flags->ub, "chain: adjoint step time")
      ->check(CLI::NonNegativeNumber);
  convert->add_option("--branches", convert_flags->branches, "join: branch lengths, e.g. 3,2");
  convert->add_option("--handle", convert_flags->handle, "join: handle length");
  convert->add_option("--state-bytes", convert_flags->state_bytes,
                      "chain and join: bytes of one state (default 1)");
  convert->callback([convert_flags] { run_convert(*convert_flags); });
}

}  // namespace memsched::cli
