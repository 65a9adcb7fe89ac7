// `memsched tree ...`: traversals, parallel and out-of-core schedules of task trees, tree
// export from sparse matrices, random trees, and post-order-versus-optimal statistics.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "memsched/input.hpp"
#include "memsched/tree/assembly_tree.hpp"
#include "memsched/tree/generate.hpp"
#include "memsched/tree/io.hpp"
#include "memsched/tree/list_scheduling.hpp"
#include "memsched/tree/memory_bounded.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/out_of_core.hpp"
#include "memsched/tree/postorder.hpp"
#include "memsched/tree/registry.hpp"
#include "memsched/tree/starpu_runtime.hpp"
#include "memsched/tree/svg.hpp"
#include "options.hpp"

namespace memsched::cli {

namespace {

Traversal traverse_with(const Tree& tree, const std::string& algorithm) {
  if (algorithm == "postorder") return best_postorder(tree);
  if (algorithm == "minmem") return minmem_traversal(tree);
  return liu_optimal_traversal(tree);
}

// Matrix files: 1 GiB at most (the pattern takes about as much again).
std::string read_text(const std::string& path) {
  return read_input_file(path, std::size_t{1} << 30, "matrix");
}

// ---- traverse ----------------------------------------------------------------------------

struct TraverseFlags {
  std::string file;
  std::string algorithm = "optimal";
  std::string format = "text";
};

void run_traverse(const TraverseFlags& flags) {
  const Tree tree = read_tree_file(flags.file);
  const Traversal t = traverse_with(tree, flags.algorithm);
  if (flags.format == "svg") {
    write_traversal_svg(std::cout, tree, t);
  } else if (flags.format == "json") {
    nlohmann::json out{{"algorithm", flags.algorithm},
                       {"nodes", tree.num_nodes()},
                       {"peak", t.peak},
                       {"order", t.order}};
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "algorithm: " << flags.algorithm << "\nnodes: " << tree.num_nodes()
              << "\npeak: " << t.peak << "\norder:";
    for (NodeId v : t.order) std::cout << ' ' << v;
    std::cout << "\n";
  }
}

// ---- parallel ----------------------------------------------------------------------------

struct ParallelFlags {
  std::string file;
  std::string procs;
  std::string memory;
  std::string heuristic = "memory-bounded";
  std::string activation = "optimal";
  std::string format = "text";
};

void run_parallel(const ParallelFlags& flags) {
  const std::int64_t p = parse_integer(flags.procs, "--procs", 1, 1 << 20);
  const Tree tree = read_tree_file(flags.file);
  const Memory optimum = liu_optimal_traversal(tree).peak;
  Memory bound = 0;
  if (!flags.memory.empty()) bound = parse_integer(flags.memory, "--memory", 0, kMaxTotalMemory);
  const TreeSchedulerInfo& scheduler = find_tree_scheduler(flags.heuristic);
  const bool bounded = scheduler.memory_bounded;
  if (!bounded && !flags.memory.empty()) {
    throw UsageError("--memory: only memory-bounded and memory-aware take a bound");
  }
  TreeSchedulerOptions options;
  if (flags.activation == "postorder") options.activation_order = best_postorder(tree).order;
  const Memory needed = bounded ? scheduler.default_memory(tree, options) : 0;
  if (bounded) {
    if (flags.memory.empty()) bound = needed;
    options.memory = bound;
  }
  const std::optional<ParallelSchedule> found = scheduler.schedule(tree, p, options);
  if (!found) {
    throw std::runtime_error("no schedule within memory " + std::to_string(bound) + " (" +
                             scheduler.default_memory_name + " needs " + std::to_string(needed) +
                             ")");
  }
  const ParallelSchedule& schedule = *found;
  const double lower =
      bounded && bound > 0 ? makespan_lower_bound(tree, p, bound) : makespan_lower_bound(tree, p);
  if (flags.format == "svg") {
    write_parallel_svg(std::cout, tree, schedule, p, bound);
    return;
  }
  if (flags.format == "json") {
    nlohmann::json tasks = nlohmann::json::array();
    for (NodeId v = 0; v < tree.num_nodes(); ++v) {
      const TaskRun& r = schedule.runs[static_cast<std::size_t>(v)];
      tasks.push_back({{"id", v}, {"start", r.start}, {"end", r.end}, {"proc", r.processor}});
    }
    nlohmann::json out{{"heuristic", flags.heuristic},
                       {"procs", p},
                       {"makespan", schedule.makespan},
                       {"peak", schedule.peak},
                       {"makespan_lower_bound", lower},
                       {"sequential_optimal_peak", optimum},
                       {"tasks", tasks}};
    if (bounded) out["memory"] = bound;
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "heuristic: " << flags.heuristic << "\nprocs: " << p << "\n";
  if (bounded) std::cout << "memory bound: " << bound << "\n";
  std::cout << "makespan: " << schedule.makespan << " (lower bound " << lower << ", ratio "
            << schedule.makespan / lower << ")\npeak: " << schedule.peak << " (sequential optimum "
            << optimum << ", ratio "
            << static_cast<double>(schedule.peak) /
                   static_cast<double>(std::max<Memory>(optimum, 1))
            << ")\n";
}

// ---- ooc ---------------------------------------------------------------------------------

struct OocFlags {
  std::string file;
  std::string memory;
  std::string order = "all";
  std::string policy = "all";
  std::string format = "text";
};

void run_ooc(const OocFlags& flags) {
  const Memory bound = parse_integer(flags.memory, "--memory", 0, kMaxTotalMemory);
  const Tree tree = read_tree_file(flags.file);
  std::vector<std::pair<std::string, std::vector<NodeId>>> orders;
  if (flags.order == "all" || flags.order == "optimal") {
    orders.emplace_back("optimal", liu_optimal_traversal(tree).order);
  }
  if (flags.order == "all" || flags.order == "postorder") {
    orders.emplace_back("postorder", best_postorder(tree).order);
  }
  if (flags.order == "all" || flags.order == "io-postorder") {
    orders.emplace_back("io-postorder", io_postorder(tree, bound).order);
  }
  std::vector<std::pair<std::string, EvictionPolicy>> policies;
  if (flags.policy == "all" || flags.policy == "furthest") {
    policies.emplace_back("furthest", EvictionPolicy::kFurthestInFuture);
  }
  if (flags.policy == "all" || flags.policy == "largest") {
    policies.emplace_back("largest", EvictionPolicy::kLargestFirst);
  }
  if (flags.policy == "all" || flags.policy == "best-fit") {
    policies.emplace_back("best-fit", EvictionPolicy::kBestFit);
  }
  const Memory lower = io_lower_bound(tree, bound);
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& [order_name, order] : orders) {
    for (const auto& [policy_name, policy] : policies) {
      const auto run = simulate_out_of_core(tree, order, bound, policy);
      if (!run) {
        Memory need = 0;
        for (NodeId v = 0; v < tree.num_nodes(); ++v) need = std::max(need, tree.mem_req(v));
        throw std::runtime_error("memory " + std::to_string(bound) +
                                 " is below the largest task footprint " + std::to_string(need));
      }
      runs.push_back({{"order", order_name},
                      {"policy", policy_name},
                      {"io_volume", run->io_volume},
                      {"writes", run->num_writes},
                      {"peak", run->peak}});
    }
  }
  if (flags.format == "json") {
    std::cout << nlohmann::json{{"memory", bound}, {"io_lower_bound", lower}, {"runs", runs}}.dump()
              << "\n";
    return;
  }
  std::cout << "memory bound: " << bound << "\nI/O lower bound: " << lower << "\n"
            << "order         policy     I/O volume  writes\n";
  for (const auto& r : runs) {
    std::string order = r["order"];
    std::string policy = r["policy"];
    order.resize(13, ' ');
    policy.resize(10, ' ');
    std::cout << order << ' ' << policy << ' ' << r["io_volume"].get<Memory>() << "  "
              << r["writes"].get<std::int64_t>() << "\n";
  }
}

// ---- from-matrix -------------------------------------------------------------------------

struct FromMatrixFlags {
  std::string matrix;
  std::string grid;
  std::string ordering = "metis";
  std::string amalgamation = "fundamental";
  std::string weights = "triangular";
  std::string output;
  std::string format = "text";
};

// --grid DIMS:NXxNY[xNZ], e.g. 2d5:100x100 or 3d27:20x20x20.
SparsePattern parse_grid(const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string dims = colon == std::string::npos ? "" : spec.substr(colon + 1);
  int dimensions = 0;
  int points = 0;
  if (kind == "2d5") dimensions = 2, points = 5;
  if (kind == "2d9") dimensions = 2, points = 9;
  if (kind == "3d7") dimensions = 3, points = 7;
  if (kind == "3d27") dimensions = 3, points = 27;
  std::vector<std::int64_t> sizes;
  std::size_t start = 0;
  while (dimensions != 0 && start <= dims.size()) {
    const auto x = dims.find('x', start);
    const std::string part = dims.substr(start, x == std::string::npos ? x : x - start);
    sizes.push_back(parse_integer(part, "--grid", 1, 100000000));
    if (x == std::string::npos) break;
    start = x + 1;
  }
  if (dimensions == 0 || static_cast<int>(sizes.size()) != dimensions) {
    throw UsageError("--grid: '" + spec.substr(0, 40) +
                     "' is not 2d5|2d9:NXxNY or 3d7|3d27:NXxNYxNZ");
  }
  try {
    return grid_laplacian(dimensions, sizes[0], sizes[1], dimensions == 3 ? sizes[2] : 1, points);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--grid: ") + e.what());
  }
}

void run_from_matrix(const FromMatrixFlags& flags) {
  if (flags.matrix.empty() == flags.grid.empty()) {
    throw UsageError("give either a MATRIX.mtx file or --grid");
  }
  if (!have_cholmod()) {
    throw std::runtime_error("this memsched was built without CHOLMOD (libsuitesparse-dev)");
  }
  const SparsePattern pattern =
      flags.grid.empty() ? read_sparse_pattern(read_text(flags.matrix)) : parse_grid(flags.grid);
  AssemblyTreeOptions options;
  if (flags.ordering == "natural") options.ordering = Ordering::kNatural;
  if (flags.ordering == "amd") options.ordering = Ordering::kAmd;
  if (flags.ordering == "metis") options.ordering = Ordering::kMetis;
  if (flags.ordering == "nesdis") options.ordering = Ordering::kNestedDissection;
  if (flags.amalgamation == "none") options.amalgamation = Amalgamation::kNone;
  if (flags.amalgamation == "fundamental") options.amalgamation = Amalgamation::kFundamental;
  if (flags.amalgamation == "relaxed") options.amalgamation = Amalgamation::kRelaxed;
  options.weights = flags.weights == "square" ? FrontWeights::kSquare : FrontWeights::kTriangular;
  const Tree tree = assembly_tree(pattern, options);
  auto write = [&](std::ostream& out) {
    if (flags.format == "json") {
      write_tree_json(out, tree);
    } else {
      write_tree_text(out, tree);
    }
  };
  if (flags.output.empty() || flags.output == "-") {
    write(std::cout);
    return;
  }
  std::ofstream out(flags.output, std::ios::binary);
  if (!out) throw std::runtime_error("cannot open '" + flags.output + "' for writing");
  write(out);
  out.close();  // the last block is written here: check after it
  if (!out) throw std::runtime_error("cannot write '" + flags.output + "' (device full?)");
}

// ---- random ------------------------------------------------------------------------------

struct RandomFlags {
  std::string nodes;
  std::string seed = "1";
  std::string shape = "recursive";
  std::string max_output = "10";
  std::string max_exec = "0";
  std::string format = "text";
};

void run_random(const RandomFlags& flags) {
  RandomTreeOptions options;
  if (flags.shape == "preferential") options.shape = RandomTreeShape::kPreferential;
  if (flags.shape == "deep") options.shape = RandomTreeShape::kDeep;
  options.max_output = parse_integer(flags.max_output, "--max-output", 1, Memory{1} << 30);
  options.max_exec = parse_integer(flags.max_exec, "--max-exec", 0, Memory{1} << 30);
  const std::int64_t nodes = parse_integer(flags.nodes, "--nodes", 1, 100000000);
  // The tree and its text take about 130 bytes a node, its JSON about 1400 (measured with
  // /usr/bin/time -v on 10^6 nodes): refused up front beyond 1 GiB.
  const double bytes = static_cast<double>(nodes) * (flags.format == "json" ? 1400.0 : 130.0);
  if (bytes > 1024.0 * 1024.0 * 1024.0) {
    throw std::runtime_error("tree random: refused: " + std::to_string(nodes) + " nodes in " +
                             flags.format + " need about " +
                             std::to_string(static_cast<std::int64_t>(bytes / 1048576.0)) +
                             " MiB (limit 1024 MiB)");
  }
  const Tree tree =
      random_tree(nodes,
                  static_cast<std::uint64_t>(parse_integer(
                      flags.seed, "--seed", 0, std::numeric_limits<std::int64_t>::max())),
                  options);
  if (flags.format == "json") {
    write_tree_json(std::cout, tree);
  } else {
    write_tree_text(std::cout, tree);
  }
}

// ---- compare -----------------------------------------------------------------------------

struct CompareFlags {
  std::vector<std::string> files;
  std::string format = "text";
};

// The statistic of Jacquelin et al. (IPDPS 2011, Table I): on how many trees the best
// post-order is not optimal, and by how much it exceeds the optimum (max and mean).
void run_compare(const CompareFlags& flags) {
  nlohmann::json rows = nlohmann::json::array();
  std::int64_t suboptimal = 0;
  double max_increase = 0.0;
  double sum_increase = 0.0;
  for (const std::string& file : flags.files) {
    const Tree tree = read_tree_file(file);
    const Memory post = best_postorder(tree).peak;
    const Memory opt = liu_optimal_traversal(tree).peak;
    const double increase =
        opt > 0 ? 100.0 * static_cast<double>(post - opt) / static_cast<double>(opt) : 0.0;
    suboptimal += post > opt;
    max_increase = std::max(max_increase, increase);
    sum_increase += increase;
    rows.push_back({{"file", file},
                    {"nodes", tree.num_nodes()},
                    {"postorder_peak", post},
                    {"optimal_peak", opt},
                    {"increase_percent", increase}});
  }
  const auto count = static_cast<double>(flags.files.size());
  nlohmann::json summary{{"trees", flags.files.size()},
                         {"postorder_not_optimal", suboptimal},
                         {"percent_not_optimal", 100.0 * static_cast<double>(suboptimal) / count},
                         {"max_increase_percent", max_increase},
                         {"mean_increase_percent", sum_increase / count}};
  if (flags.format == "json") {
    std::cout << nlohmann::json{{"trees", rows}, {"summary", summary}}.dump() << "\n";
    return;
  }
  std::cout << "file\tnodes\tpostorder\toptimal\tincrease%\n";
  for (const auto& r : rows) {
    std::cout << r["file"].get<std::string>() << '\t' << r["nodes"].get<std::int64_t>() << '\t'
              << r["postorder_peak"].get<Memory>() << '\t' << r["optimal_peak"].get<Memory>()
              << '\t' << r["increase_percent"].get<double>() << "\n";
  }
  std::cout << "trees: " << flags.files.size() << ", post-order not optimal: " << suboptimal << " ("
            << summary["percent_not_optimal"].get<double>() << "%), max increase " << max_increase
            << "%, mean increase " << summary["mean_increase_percent"].get<double>() << "%\n";
}

// ---- run ---------------------------------------------------------------------------------

struct RunFlags {
  std::string file;
  std::string workers = "2";
  std::string memory;
  bool no_gate = false;
  std::string activation = "optimal";
  std::string unit_bytes = "4096";
  std::string microseconds_per_work = "1";
  std::string format = "text";
};

void run_run(const RunFlags& flags) {
  StarpuOptions options;
  options.workers = parse_integer(flags.workers, "--workers", 1, 4096);
  options.unit_bytes = parse_integer(flags.unit_bytes, "--unit-bytes", 1, Memory{1} << 30);
  options.seconds_per_work = 1e-6 * parse_number(flags.microseconds_per_work, "--us-per-work", 0.0,
                                                 1e6, "a number in [0, 1e6]");
  options.gate = !flags.no_gate;
  if (flags.no_gate && !flags.memory.empty()) throw UsageError("--memory: not with --no-gate");
  if (!have_starpu()) throw std::runtime_error("this memsched was built without StarPU");
  const Tree tree = read_tree_file(flags.file);
  options.activation_order = flags.activation == "postorder" ? best_postorder(tree).order
                                                             : liu_optimal_traversal(tree).order;
  const Memory order_peak = sequential_peak(tree, options.activation_order);
  options.memory_bound = flags.memory.empty()
                             ? order_peak
                             : parse_integer(flags.memory, "--memory", 0, kMaxTotalMemory);
  const StarpuReport report = execute_with_starpu(tree, options);
  if (!report.completed) {
    throw std::runtime_error("StarPU run stopped after " + std::to_string(report.tasks_run) +
                             " tasks: memory " + std::to_string(options.memory_bound) +
                             " is below what the activation order needs (" +
                             std::to_string(order_peak) + ")");
  }
  if (flags.format == "json") {
    nlohmann::json out{{"workers", options.workers},
                       {"gate", options.gate},
                       {"tasks", report.tasks_run},
                       {"peak", report.peak},
                       {"seconds", report.seconds},
                       {"sequential_optimal_peak", liu_optimal_traversal(tree).peak}};
    if (options.gate) out["memory"] = options.memory_bound;
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "StarPU, " << options.workers << " workers, "
            << (options.gate ? "gated at memory " + std::to_string(options.memory_bound)
                             : std::string("no gate"))
            << "\ntasks: " << report.tasks_run << "\nmeasured peak: " << report.peak
            << " (sequential optimum " << liu_optimal_traversal(tree).peak
            << ")\nseconds: " << report.seconds << "\n";
}

}  // namespace

void add_tree_command(CLI::App& app) {
  CLI::App* tree = app.add_subcommand(
      "tree", "task trees: minimum-memory traversals, parallel and out-of-core schedules");
  tree->require_subcommand(1);
  const std::string file_help = "tree file (plain `id parent f m w` lines or JSON), - for stdin";

  auto traverse = std::make_shared<TraverseFlags>();
  CLI::App* t = tree->add_subcommand("traverse", "sequential traversal of minimum peak memory");
  t->add_option("file", traverse->file, file_help)->required();
  t->add_option("--algorithm", traverse->algorithm, "postorder | optimal | minmem")
      ->check(CLI::IsMember({"postorder", "optimal", "minmem"}));
  t->add_option("--format", traverse->format, "text | json | svg")
      ->check(CLI::IsMember({"text", "json", "svg"}));
  t->callback([traverse] { run_traverse(*traverse); });

  auto parallel = std::make_shared<ParallelFlags>();
  CLI::App* p = tree->add_subcommand("parallel", "parallel schedule on P processors");
  p->add_option("file", parallel->file, file_help)->required();
  p->add_option("--procs", parallel->procs, "number of processors")->required();
  p->add_option("--memory", parallel->memory,
                "total memory bound for memory-bounded (default: peak of the activation order) "
                "and memory-aware (default: sequential optimum)");
  std::vector<std::string> heuristics;
  std::string heuristics_help;
  for (const TreeSchedulerInfo& scheduler : tree_schedulers()) {
    heuristics.push_back(scheduler.name);
    heuristics_help += (heuristics_help.empty() ? "" : " | ") + scheduler.name;
  }
  p->add_option("--heuristic", parallel->heuristic, heuristics_help)
      ->check(CLI::IsMember(heuristics));
  p->add_option("--activation", parallel->activation,
                "activation order of memory-bounded: optimal | postorder")
      ->check(CLI::IsMember({"optimal", "postorder"}));
  p->add_option("--format", parallel->format, "text | json | svg")
      ->check(CLI::IsMember({"text", "json", "svg"}));
  p->callback([parallel] { run_parallel(*parallel); });

  auto ooc = std::make_shared<OocFlags>();
  CLI::App* o = tree->add_subcommand("ooc", "out-of-core run: I/O volume under a memory bound");
  o->add_option("file", ooc->file, file_help)->required();
  o->add_option("--memory", ooc->memory, "memory bound")->required();
  o->add_option("--order", ooc->order, "optimal | postorder | io-postorder | all")
      ->check(CLI::IsMember({"optimal", "postorder", "io-postorder", "all"}));
  o->add_option("--policy", ooc->policy, "furthest | largest | best-fit | all")
      ->check(CLI::IsMember({"furthest", "largest", "best-fit", "all"}));
  o->add_option("--format", ooc->format, "text | json")->check(CLI::IsMember({"text", "json"}));
  o->callback([ooc] { run_ooc(*ooc); });

  auto matrix = std::make_shared<FromMatrixFlags>();
  CLI::App* m = tree->add_subcommand("from-matrix",
                                     "assembly tree of a sparse matrix (Matrix Market) or grid");
  m->add_option("matrix", matrix->matrix,
                "matrix file: Matrix Market (.mtx) or Harwell-Boeing (.rua, .rsa)");
  m->add_option("--grid", matrix->grid,
                "grid Laplacian instead: 2d5|2d9:NXxNY or 3d7|3d27:NXxNYxNZ");
  m->add_option("--ordering", matrix->ordering, "metis | amd | nesdis | natural")
      ->check(CLI::IsMember({"metis", "amd", "nesdis", "natural"}));
  m->add_option("--amalgamation", matrix->amalgamation, "none | fundamental | relaxed")
      ->check(CLI::IsMember({"none", "fundamental", "relaxed"}));
  m->add_option("--weights", matrix->weights, "triangular | square (TOPC'15 fronts)")
      ->check(CLI::IsMember({"triangular", "square"}));
  m->add_option("--output,-o", matrix->output, "output file (default: standard output)");
  m->add_option("--format", matrix->format, "text | json")->check(CLI::IsMember({"text", "json"}));
  m->callback([matrix] { run_from_matrix(*matrix); });

  auto random = std::make_shared<RandomFlags>();
  CLI::App* r = tree->add_subcommand("random", "seeded random tree");
  r->add_option("--nodes", random->nodes, "number of nodes")->required();
  r->add_option("--seed", random->seed, "seed (default 1)");
  r->add_option("--shape", random->shape, "recursive | preferential | deep")
      ->check(CLI::IsMember({"recursive", "preferential", "deep"}));
  r->add_option("--max-output", random->max_output, "outputs uniform in [1, F] (default 10)");
  r->add_option("--max-exec", random->max_exec, "temporaries uniform in [0, M] (default 0)");
  r->add_option("--format", random->format, "text | json")->check(CLI::IsMember({"text", "json"}));
  r->callback([random] { run_random(*random); });

  auto run = std::make_shared<RunFlags>();
  CLI::App* x = tree->add_subcommand("run", "execute the tree with StarPU under a memory bound");
  x->add_option("file", run->file, file_help)->required();
  x->add_option("--workers", run->workers, "StarPU CPU workers (default 2)");
  x->add_option("--memory", run->memory, "memory bound (default: peak of the activation order)");
  x->add_flag("--no-gate", run->no_gate, "submit every task at once (StarPU alone)");
  x->add_option("--activation", run->activation, "optimal | postorder")
      ->check(CLI::IsMember({"optimal", "postorder"}));
  x->add_option("--unit-bytes", run->unit_bytes, "bytes per memory unit (default 4096)");
  x->add_option("--us-per-work", run->microseconds_per_work,
                "microseconds of busy work per unit of work (default 1)");
  x->add_option("--format", run->format, "text | json")->check(CLI::IsMember({"text", "json"}));
  x->callback([run] { run_run(*run); });

  auto compare = std::make_shared<CompareFlags>();
  CLI::App* c = tree->add_subcommand("compare", "best post-order versus optimal peak, per tree");
  c->add_option("files", compare->files, "tree files")->required();
  c->add_option("--format", compare->format, "text | json")->check(CLI::IsMember({"text", "json"}));
  c->callback([compare] { run_compare(*compare); });
}

}  // namespace memsched::cli
