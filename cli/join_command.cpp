// `memsched plan join`: plan the backpropagation of a join (pitchfork) graph, replay it, and
// compare it with the naive plan.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "memsched/join/plan.hpp"
#include "memsched/join/simulate.hpp"
#include "memsched/join/svg.hpp"
#include "options.hpp"

namespace memsched::cli {

namespace {

struct JoinFlags {
  std::string branches;
  std::string handle;
  std::string ram;
  std::string format = "text";
};

std::vector<Step> parse_branches(const std::string& text) {
  std::vector<Step> lengths;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) lengths.push_back(parse_steps(item, "--branches"));
  if (lengths.empty() || text.back() == ',') {
    throw UsageError("--branches: '" + text.substr(0, 80) + "' is not a list L1,L2,...");
  }
  if (lengths.size() > 8) throw UsageError("--branches: at most 8 branches");
  return lengths;
}

std::string list(const std::vector<Step>& values) {
  std::string out;
  for (Step v : values) out += (out.empty() ? "" : ",") + std::to_string(v);
  return out.empty() ? "-" : out;
}

void run_join(const JoinFlags& flags) {
  const std::vector<Step> branches = parse_branches(flags.branches);
  const Step handle = parse_steps(flags.handle, "--handle");
  const std::int64_t slots = parse_slots(flags.ram, "--ram");
  if (slots > 10'000) throw UsageError("--ram: at most 10000 slots for join graphs");
  const JoinGraph graph(branches, handle);
  const std::optional<JoinPlan> plan = plan_join(graph, slots);
  if (!plan) {
    throw std::runtime_error("no join schedule fits in " + std::to_string(slots) +
                             " slots (about 2k - 1 are needed for k branches)");
  }
  const JoinReport report = simulate_join(plan->schedule, graph, slots);
  if (report.forward_steps != plan->forward_steps) {
    throw std::logic_error("join planner promised " + std::to_string(plan->forward_steps) +
                           " forward steps, its schedule runs " +
                           std::to_string(report.forward_steps));
  }
  const std::optional<JoinPlan> naive = plan_join_naive(graph, slots);
  std::optional<JoinReport> naive_report;
  if (naive) naive_report = simulate_join(naive->schedule, graph, slots);

  if (flags.format == "svg") {
    write_join_svg(std::cout, plan->schedule, graph, slots);
    return;
  }
  if (flags.format == "actions") {
    for (const JoinAction& action : plan->schedule) {
      std::cout << to_string(action, graph) << "\n";
    }
    return;
  }
  if (flags.format == "json") {
    nlohmann::json out;
    out["branches"] = branches;
    out["handle"] = handle;
    out["slots"] = slots;
    out["forward_steps"] = report.forward_steps;
    out["adjoint_steps"] = report.adjoint_steps;
    out["peak_slots"] = report.peak_slots;
    out["actions"] = report.num_actions;
    out["checkpoints"] = plan->checkpoints;
    out["reverse_order"] = plan->reverse_order;
    out["turn_branch"] = plan->turn_branch;
    out["turn_start"] = plan->turn_start;
    out["turn_slots"] = plan->turn_slots;
    out["recomputations"] = plan->recomputations;
    out["naive_forward_steps"] =
        naive_report ? nlohmann::json(naive_report->forward_steps) : nlohmann::json(nullptr);
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << "join graph: branches " << list(branches) << ", handle " << handle << ", " << slots
            << " slots\n";
  std::cout << "forward steps: " << report.forward_steps
            << " (each step once: " << graph.total_steps() << ")\n";
  std::cout << "adjoint steps: " << report.adjoint_steps << "\n";
  std::cout << "peak slots:    " << report.peak_slots << "\n";
  for (std::int32_t b = 0; b < graph.num_branches(); ++b) {
    std::cout << "branch " << b << ": checkpoints "
              << list(plan->checkpoints[static_cast<std::size_t>(b)]) << "\n";
  }
  std::cout << "turn:          branch " << plan->turn_branch << " from step " << plan->turn_start
            << ", the join and the handle, " << plan->turn_slots << " slots, other outputs ";
  if (plan->recomputations == 0) {
    std::cout << "kept\n";
  } else {
    std::cout << "recomputed " << plan->recomputations << "x\n";
  }
  std::cout << "reverse order: "
            << list(std::vector<Step>(plan->reverse_order.begin(), plan->reverse_order.end()))
            << "\n";
  if (naive_report) {
    const double gain = 100.0 *
                        static_cast<double>(naive_report->forward_steps - report.forward_steps) /
                        static_cast<double>(naive_report->forward_steps);
    std::cout << "naive plan:    " << naive_report->forward_steps << " forward steps (gain "
              << static_cast<double>(static_cast<long long>(gain * 10 + 0.5)) / 10 << "%)\n";
  } else {
    std::cout << "naive plan:    does not fit\n";
  }
}

}  // namespace

void add_join_command(CLI::App& app) {
  auto flags = std::make_shared<JoinFlags>();
  CLI::App* command = app.add_subcommand(
      "join", "plan the backpropagation of a join (pitchfork) graph under a slot budget");
  command->add_option("--branches", flags->branches, "branch lengths L1,L2,... (steps)")
      ->required();
  command->add_option("--handle", flags->handle, "handle length (steps, the join included)")
      ->required();
  command->add_option("--ram", flags->ram, "slots, branch inputs included")->required();
  command->add_option("--format", flags->format, "text | json | actions | svg")
      ->check(CLI::IsMember({"text", "json", "actions", "svg"}));
  command->callback([flags] { run_join(*flags); });
}

}  // namespace memsched::cli
