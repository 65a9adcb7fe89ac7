// `memsched calltree ...`: joint/split choices for the calls of a source-transformation
// adjoint: the fastest assignment under a byte budget, the whole (time, peak) front, and the
// cost of a given assignment.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "memsched/calltree/evaluate.hpp"
#include "memsched/calltree/generate.hpp"
#include "memsched/calltree/io.hpp"
#include "memsched/calltree/plan.hpp"
#include "memsched/calltree/site_profile.hpp"
#include "options.hpp"

namespace memsched::cli {

namespace {

// Shortest text that reads back as the same double (times print as 36, not 36.000000).
std::string number(double x) {
  std::ostringstream out;
  out.precision(15);
  out << x;
  if (std::stod(out.str()) != x) {
    out.str("");
    out.precision(17);
    out << x;
  }
  return out.str();
}

// Six significant digits, for measured times in tables.
std::string short_number(double x) {
  std::ostringstream out;
  out.precision(6);
  out << x;
  return out.str();
}

nlohmann::json names(const CallTree& tree, const std::vector<CallIndex>& joint) {
  nlohmann::json out = nlohmann::json::array();
  for (CallIndex v : joint) out.push_back(tree.call(v).name);
  return out;
}

std::string name_list(const CallTree& tree, const std::vector<CallIndex>& joint) {
  if (joint.empty()) return "(none)";
  std::string out;
  for (CallIndex v : joint) out += (out.empty() ? "" : " ") + tree.call(v).name;
  return out;
}

// The snapshot counts chosen for loops with a range: {"id": S, ...} and "id=S id=S".
nlohmann::json snapshot_json(const CallTree& tree, const std::vector<LoopChoice>& choices) {
  nlohmann::json out = nlohmann::json::object();
  for (const LoopChoice& c : choices) out[tree.call(c.call).name] = c.snapshots;
  return out;
}

std::string snapshot_list(const CallTree& tree, const std::vector<LoopChoice>& choices) {
  std::string out;
  for (const LoopChoice& c : choices) {
    out += (out.empty() ? "" : " ") + tree.call(c.call).name + "=" + std::to_string(c.snapshots);
  }
  return out;
}

// The tree drawn with indentation, each call marked joint or split (pins shown).
constexpr CallIndex kMaxPictureCalls = 400;

void draw(std::ostream& out, const CallTree& tree, const JointSet& joint) {
  if (tree.num_calls() > kMaxPictureCalls) {
    out << "(tree picture omitted: " << tree.num_calls() << " calls, more than " << kMaxPictureCalls
        << ")\n";
    return;
  }
  struct Item {
    CallIndex call;
    std::string prefix;
    bool last;
  };
  std::vector<Item> todo{{0, "", true}};
  while (!todo.empty()) {
    const Item item = todo.back();
    todo.pop_back();
    const CallNode& c = tree.call(item.call);
    std::string line = item.call == 0 ? "" : item.prefix + "+- ";
    line += c.name;
    if (line.size() < 28) line.resize(28, ' ');
    out << line << ' '
        << (item.call == 0 ? "root"
                           : (joint[static_cast<std::size_t>(item.call)] ? "joint" : "split"));
    if (c.pin == CallPin::kJoint && item.call != 0) out << " (pinned)";
    if (c.pin == CallPin::kSplit && item.call != 0) out << " (pinned)";
    if (c.loop) {
      out << " (loop: " << c.loop->iterations << " iterations, Revolve with " << c.loop->snapshots
          << " snapshots)";
    }
    out << '\n';
    const std::string below = item.call == 0 ? "" : item.prefix + (item.last ? "   " : "|  ");
    const CallIndex k = tree.num_children(item.call);
    for (CallIndex j = k - 1; j >= 0; --j)
      todo.push_back({tree.child(item.call, j), below, j == k - 1});
  }
}

CallTreePlanOptions plan_options(const std::string& max_work, const std::string& grid_cells) {
  CallTreePlanOptions options;
  options.max_work = parse_integer(max_work, "--max-work", 1, std::int64_t{1} << 40);
  options.grid_cells = parse_integer(grid_cells, "--grid-cells", 1, std::int64_t{1} << 20);
  return options;
}

// ---- plan ---------------------------------------------------------------------------------

struct PlanFlags {
  std::string file;
  std::string budget;
  std::string format = "text";
  std::string max_work = "20000000";
  std::string grid_cells = "64";
  bool grid = false;
};

void run_plan(const PlanFlags& flags) {
  const Bytes budget = parse_integer(flags.budget, "--budget", 0, kMaxCallTreeBytes);
  const CallTreePlanOptions options = plan_options(flags.max_work, flags.grid_cells);
  const CallTree tree = read_calltree_file(flags.file);
  const CallTreePlan plan =
      flags.grid ? plan_calltree_grid(tree, budget, options) : plan_calltree(tree, budget, options);
  if (!plan.feasible) {
    std::string smallest =
        plan.min_peak_exact
            ? "the smallest feasible budget is " + std::to_string(plan.min_peak) + " bytes"
            : "the smallest feasible budget is between " + std::to_string(plan.min_peak) + " and " +
                  std::to_string(plan.min_peak_upper) + " bytes";
    throw std::runtime_error("calltree plan: no joint/split assignment fits in " +
                             std::to_string(budget) + " bytes; " + smallest);
  }
  const CallTreePoint& best = plan.best;
  if (flags.format == "json") {
    nlohmann::json out{{"calls", tree.num_calls()},
                       {"budget", budget},
                       {"method", plan.method},
                       {"optimal", plan.optimal},
                       {"time", best.time},
                       {"peak", best.peak},
                       {"extra_time", best.time - tree.base_time()},
                       {"time_lower_bound", plan.time_lower_bound},
                       {"store_all_time", tree.base_time()},
                       {"store_all_peak", tree.total_tape()},
                       {"joint", names(tree, best.joint)}};
    if (!best.snapshots.empty()) out["snapshots"] = snapshot_json(tree, best.snapshots);
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "calls: " << tree.num_calls() << "\nbudget: " << budget
            << "\nmethod: " << plan.method << "\noptimal: " << (plan.optimal ? "yes" : "no")
            << "\ntime: " << number(best.time) << " (store-all " << number(tree.base_time())
            << ", extra " << number(best.time - tree.base_time()) << ")\n";
  if (!plan.optimal) std::cout << "time lower bound: " << number(plan.time_lower_bound) << "\n";
  std::cout << "peak: " << best.peak << " (store-all " << tree.total_tape() << ")\n"
            << "joint: " << name_list(tree, best.joint) << "\n";
  if (!best.snapshots.empty()) {
    std::cout << "loop snapshots: " << snapshot_list(tree, best.snapshots) << "\n";
  }
  std::cout << "\n";
  draw(std::cout, with_loop_snapshots(tree, best.snapshots), joint_set(tree, best.joint));
}

// ---- front --------------------------------------------------------------------------------

struct FrontFlags {
  std::string file;
  std::string format = "text";
  std::string max_work = "20000000";
};

void run_front(const FrontFlags& flags) {
  CallTreePlanOptions options = plan_options(flags.max_work, "64");
  const CallTree tree = read_calltree_file(flags.file);
  const std::vector<CallTreePoint> front = calltree_front(tree, options);
  if (flags.format == "json") {
    nlohmann::json points = nlohmann::json::array();
    for (const CallTreePoint& p : front) {
      nlohmann::json point{{"time", p.time}, {"peak", p.peak}, {"joint", names(tree, p.joint)}};
      if (!p.snapshots.empty()) point["snapshots"] = snapshot_json(tree, p.snapshots);
      points.push_back(std::move(point));
    }
    nlohmann::json out{{"calls", tree.num_calls()},
                       {"store_all_time", tree.base_time()},
                       {"store_all_peak", tree.total_tape()},
                       {"front", points}};
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "calls: " << tree.num_calls() << "\nstore-all: time " << number(tree.base_time())
            << ", peak " << tree.total_tape() << "\npoints: " << front.size() << "\n\n"
            << std::setw(14) << "time" << std::setw(14) << "extra" << std::setw(16) << "peak"
            << "  joint\n";
  for (const CallTreePoint& p : front) {
    std::cout << std::setw(14) << number(p.time) << std::setw(14)
              << number(p.time - tree.base_time()) << std::setw(16) << p.peak << "  "
              << name_list(tree, p.joint);
    if (!p.snapshots.empty()) std::cout << "  [" << snapshot_list(tree, p.snapshots) << "]";
    std::cout << "\n";
  }
}

// ---- evaluate -----------------------------------------------------------------------------

struct EvaluateFlags {
  std::string file;
  std::string joint;
  bool all_joint = false;
  std::string format = "text";
};

void run_evaluate(const EvaluateFlags& flags) {
  const CallTree tree = read_calltree_file(flags.file);
  std::vector<CallIndex> joint;
  if (flags.all_joint) {
    if (!flags.joint.empty()) throw UsageError("--joint and --all-joint exclude each other");
    joint = joint_calls(all_joint(tree));
  }
  std::stringstream list(flags.joint);
  for (std::string name; std::getline(list, name, ',');) {
    if (name.empty()) continue;
    const auto v = tree.find(name);
    if (!v)
      throw std::runtime_error("calltree evaluate: no call named '" + name.substr(0, 60) + "'");
    joint.push_back(*v);
  }
  std::sort(joint.begin(), joint.end());
  joint.erase(std::unique(joint.begin(), joint.end()), joint.end());
  const JointSet set = joint_set(tree, joint);
  const CallTreeCost cost = evaluate_calltree(tree, set);
  if (flags.format == "json") {
    nlohmann::json out{{"calls", tree.num_calls()},
                       {"time", cost.time},
                       {"peak", cost.peak},
                       {"joint", names(tree, joint)}};
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "time: " << number(cost.time) << " (store-all " << number(tree.base_time())
            << ")\npeak: " << cost.peak << " (store-all " << tree.total_tape()
            << ")\njoint: " << name_list(tree, joint) << "\n\n";
  draw(std::cout, tree, set);
}

// ---- random -------------------------------------------------------------------------------

struct RandomFlags {
  std::string calls;
  std::string seed = "1";
  std::string pin_percent = "0";
};

void run_random(const RandomFlags& flags) {
  RandomCallTreeOptions options;
  options.num_calls = parse_integer(flags.calls, "--calls", 1, kMaxCalls);
  options.seed = static_cast<std::uint64_t>(
      parse_integer(flags.seed, "--seed", 0, std::numeric_limits<std::int64_t>::max()));
  options.pin_percent = static_cast<int>(parse_integer(flags.pin_percent, "--pin-percent", 0, 100));
  write_calltree_json(std::cout, random_calltree(options));
}

// ---- profile ------------------------------------------------------------------------------

struct ProfileFlags {
  std::string file;
  std::string budget;
  std::string format = "text";
};

const char* group(Bytes peak_change) {
  return peak_change < 0 ? "gain" : (peak_change == 0 ? "neutral" : "cost");
}

void run_profile(const ProfileFlags& flags) {
  std::optional<Bytes> budget_flag;
  if (!flags.budget.empty()) {
    budget_flag = parse_integer(flags.budget, "--budget", 0, kMaxCallTreeBytes);
  }
  const CallTree tree = read_calltree_file(flags.file);
  const JointSet base = all_joint(tree);
  const SiteProfile profile = profile_sites(tree, base);
  const Bytes budget = budget_flag.value_or(profile.peak);
  const SiteRecommendation advice = recommend_splits(tree, base, budget);
  if (flags.format == "json") {
    nlohmann::json rows = nlohmann::json::array();
    for (const SiteProfileRow& r : profile.rows) {
      rows.push_back({{"site", r.site},
                      {"calls", r.calls},
                      {"joint_calls", r.joint_calls},
                      {"time_saved", r.time_saved},
                      {"peak_change", r.peak_change},
                      {"snapshot_bytes", r.snapshot_bytes},
                      {"effect", group(r.peak_change)}});
    }
    nlohmann::json out{{"calls", tree.num_calls()},
                       {"time", profile.time},
                       {"peak", profile.peak},
                       {"sites", rows},
                       {"budget", budget},
                       {"recommendation",
                        {{"split_sites", advice.split_sites},
                         {"time", advice.time},
                         {"peak", advice.peak},
                         {"joint", names(tree, joint_calls(advice.joint))}}}};
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "calls: " << tree.num_calls() << "\nall joint: time " << short_number(profile.time)
            << ", peak " << profile.peak << "\n\nif every call of the site were split:\n"
            << std::left << std::setw(36) << "site" << std::right << std::setw(7) << "calls"
            << std::setw(7) << "joint" << std::setw(14) << "time saved" << std::setw(14)
            << "peak change" << std::setw(12) << "snapshot"
            << "  effect\n";
  for (const SiteProfileRow& r : profile.rows) {
    std::cout << std::left << std::setw(36) << r.site.substr(0, 35) << std::right << std::setw(7)
              << r.calls << std::setw(7) << r.joint_calls << std::setw(14)
              << short_number(r.time_saved) << std::setw(14) << r.peak_change << std::setw(12)
              << r.snapshot_bytes << "  " << group(r.peak_change) << "\n";
  }
  std::cout << "\nrecommendation within " << budget << " bytes: split";
  for (const std::string& s : advice.split_sites) std::cout << ' ' << s;
  if (advice.split_sites.empty()) std::cout << " nothing";
  std::cout << "\npredicted: time " << short_number(advice.time) << ", peak " << advice.peak
            << "\n";
}

}  // namespace

void add_calltree_command(CLI::App& app) {
  CLI::App* calltree = app.add_subcommand(
      "calltree", "call trees of adjoints: joint (checkpointed) or split reversal per call");
  calltree->require_subcommand(1);
  const std::string file_help = "call-tree JSON file (docs/calltree.md), - for stdin";

  auto plan = std::make_shared<PlanFlags>();
  CLI::App* p = calltree->add_subcommand("plan", "fastest joint/split assignment under a budget");
  p->add_option("file", plan->file, file_help)->required();
  p->add_option("--budget", plan->budget, "bytes of tape and snapshots")->required();
  p->add_option("--format", plan->format, "text | json")->check(CLI::IsMember({"text", "json"}));
  p->add_option("--max-work", plan->max_work,
                "state pairs the exact programme may examine before the grid heuristic takes over");
  p->add_option("--grid-cells", plan->grid_cells, "cells per byte axis of the grid heuristic");
  p->add_flag("--grid", plan->grid, "use the grid heuristic (with its lower bound) directly");
  p->callback([plan] { run_plan(*plan); });

  auto front = std::make_shared<FrontFlags>();
  CLI::App* f = calltree->add_subcommand("front", "Pareto front of (time, peak), by time");
  f->add_option("file", front->file, file_help)->required();
  f->add_option("--format", front->format, "text | json")->check(CLI::IsMember({"text", "json"}));
  f->add_option("--max-work", front->max_work, "state pairs the programme may examine");
  f->callback([front] { run_front(*front); });

  auto evaluate = std::make_shared<EvaluateFlags>();
  CLI::App* e = calltree->add_subcommand("evaluate", "time and peak of a given assignment");
  e->add_option("file", evaluate->file, file_help)->required();
  e->add_option("--joint", evaluate->joint, "comma-separated ids of the joint calls");
  e->add_flag("--all-joint", evaluate->all_joint, "every call joint (except pinned split)");
  e->add_option("--format", evaluate->format, "text | json")
      ->check(CLI::IsMember({"text", "json"}));
  e->callback([evaluate] { run_evaluate(*evaluate); });

  auto profile = std::make_shared<ProfileFlags>();
  CLI::App* pr = calltree->add_subcommand(
      "profile", "per-site table of a recorded profile (all joint) and split advice");
  pr->add_option("file", profile->file, "recorded call tree (CallRecorder, JSON), - for stdin")
      ->required();
  pr->add_option("--budget", profile->budget, "bytes (default: the all-joint peak)");
  pr->add_option("--format", profile->format, "text | json")
      ->check(CLI::IsMember({"text", "json"}));
  pr->callback([profile] { run_profile(*profile); });

  auto random = std::make_shared<RandomFlags>();
  CLI::App* r = calltree->add_subcommand("random", "a seeded random call tree, as JSON");
  r->add_option("--calls", random->calls, "number of calls, root included")->required();
  r->add_option("--seed", random->seed, "random seed");
  r->add_option("--pin-percent", random->pin_percent, "share of calls pinned joint or split");
  r->callback([random] { run_random(*random); });
}

}  // namespace memsched::cli
