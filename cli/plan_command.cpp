// `memsched plan ALGORITHM`: plan a chain schedule, replay it, and show it.
#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "memsched/chain/formats.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/chain/svg.hpp"
#include "memsched/plan/limits.hpp"
#include "memsched/plan/registry.hpp"
#include "memsched/plan/revolve.hpp"
#include "options.hpp"
#include "progress.hpp"
#include "report.hpp"

namespace memsched::cli {

namespace {

struct PlanFlags {
  std::string algorithm;
  ProblemOptions problem;
  std::optional<std::string> period;
  std::optional<std::string> sweeps;
  bool verify = false;
  std::string format = "text";
};

// Passes actions through while replaying them, so that written schedules can be verified.
class CheckedStream final : public ActionStream {
 public:
  CheckedStream(ActionStream& inner, const Chain& chain, const Platform& platform)
      : inner_(inner), simulator_(chain, platform) {}
  std::optional<Action> next() override {
    std::optional<Action> action = inner_.next();
    if (action) simulator_.apply(*action);
    return action;
  }
  SimulationReport finish() { return simulator_.finish(); }

 private:
  ActionStream& inner_;
  Simulator simulator_;
};

void check_promise(const PlannerInfo& planner, const SimulationReport& report,
                   std::optional<double> promise) {
  if (promise && std::abs(report.cost - *promise) > 1e-9 * std::max(1.0, std::abs(*promise))) {
    throw std::logic_error("planner '" + planner.name + "' promised cost " +
                           std::to_string(*promise) + " but its schedule costs " +
                           std::to_string(report.cost));
  }
}

void run_plan(const PlanFlags& flags) {
  const PlannerInfo* planner = nullptr;
  if (flags.algorithm != "auto") {
    try {
      planner = &find_chain_planner(flags.algorithm);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string(e.what()) + " or auto");
    }
  }
  const Chain chain = make_chain(flags.problem);
  const Platform platform = make_platform(flags.problem);
  PlanOptions options;
  if (flags.period) options.period = parse_steps(*flags.period, "--period");
  if (flags.sweeps) options.sweeps = parse_steps(*flags.sweeps, "--sweeps");
  if (options.period && *options.period > chain.num_steps()) {
    throw UsageError("--period: " + *flags.period + " is longer than the chain");
  }
  std::string label = flags.algorithm;
  if (!planner) {
    const std::optional<PlannerChoice> choice = choose_chain_planner(chain, platform, options);
    if (!choice) {
      throw std::runtime_error("no planner has a schedule for " +
                               std::to_string(chain.num_steps()) + " steps on these levels");
    }
    planner = choice->planner;
    label = "auto: " + planner->name;
    std::cerr << "memsched: auto chose " << planner->name << " (cost " << choice->cost << ");";
    for (const auto& [name, cost] : choice->costs) std::cerr << " " << name << " " << cost;
    std::cerr << "\n";
  }
  const std::string& format = flags.format;
  if (planner->name == "revolve" && !flags.verify && (format == "text" || format == "json")) {
    // The summary from the closed form and a short recursion: no stream to wait for.
    check_plan_limits(planner->name, chain, platform, options, false);
    if (const std::optional<SimulationReport> report = revolve_summary(chain, platform)) {
      const ReportContext context{
          label, chain, platform, *report, planner->predicted_cost(chain, platform, options),
          false};
      if (format == "text") {
        print_text_report(std::cout, context);
      } else {
        print_json_report(std::cout, context);
      }
      return;
    }
  }
  std::unique_ptr<ActionStream> stream = planner->plan(chain, platform, options);
  if (!stream) {
    throw std::runtime_error("no " + planner->name + " schedule fits: too few slots for " +
                             std::to_string(chain.num_steps()) + " steps");
  }
  std::optional<double> promise;
  if (planner->predicted_cost) promise = planner->predicted_cost(chain, platform, options);
  ProgressStream progress(*stream);

  if (format == "text" || format == "json" || format == "timeline") {
    SimulationReport report;
    std::vector<TimelinePoint> timeline;
    if (format == "timeline") {
      timeline = record_timeline(progress, chain, platform, 10000, &report);
    } else {
      report = simulate(progress, chain, platform);
    }
    if (flags.verify) check_promise(*planner, report, promise);
    const ReportContext context{label, chain, platform, report, promise, flags.verify};
    if (format == "text") {
      print_text_report(std::cout, context);
    } else {
      print_json_report(std::cout, context, format == "timeline" ? &timeline : nullptr);
    }
    return;
  }
  if (format == "svg") {
    const SimulationReport report = write_schedule_svg(std::cout, progress, chain, platform);
    if (flags.verify) check_promise(*planner, report, promise);
    return;
  }
  CheckedStream checked(progress, chain, platform);
  ActionStream& source = flags.verify ? static_cast<ActionStream&>(checked) : progress;
  if (format == "actions") {
    while (std::optional<Action> action = source.next()) {
      std::cout << to_string(*action, platform) << "\n";
    }
  } else if (format == "schedule") {
    write_schedule_json(std::cout, source, chain.num_steps());
  } else if (format == "checkpoint_schedules") {
    write_checkpoint_schedules(std::cout, source);
  } else if (format == "revolve") {
    write_revolve(std::cout, source, chain.num_steps());
  }
  if (flags.verify) {
    const SimulationReport report = checked.finish();
    check_promise(*planner, report, promise);
    std::cerr << "memsched: verified: legal schedule, " << report.forward_steps
              << " forward steps, cost " << report.cost << "\n";
  }
}

}  // namespace

void add_plan_command(CLI::App& app) {
  auto flags = std::make_shared<PlanFlags>();
  CLI::App* command = app.add_subcommand("plan", "plan a checkpointing schedule for a chain");
  command->add_option("algorithm", flags->algorithm, "the planner (see the list below)");
  add_problem_options(*command, flags->problem, false);  // not for `plan join`
  command->add_option("--period", flags->period, "steps between checkpoints (periodic planners)");
  command->add_option("--sweeps", flags->sweeps, "reverse sweeps after one forward run (repeated)");
  command->add_flag("--verify", flags->verify,
                    "replay the schedule through the simulator and check the planner's promise");
  command
      ->add_option("--format", flags->format,
                   "text | json | actions | svg | schedule (our JSON) | checkpoint_schedules "
                   "| revolve")
      ->check(CLI::IsMember(
          {"text", "json", "actions", "svg", "schedule", "checkpoint_schedules", "revolve"}));
  std::string footer =
      "Planners (auto: evaluate them all and take the cheapest, saying which on stderr):\n";
  for (const PlannerInfo& planner : chain_planners()) {
    footer += "  " + planner.name +
              std::string(planner.name.size() < 22 ? 22 - planner.name.size() : 1, ' ') +
              planner.summary + "\n";
  }
  footer +=
      "  join" + std::string(18, ' ') + "join (pitchfork) graphs: memsched plan join --help\n";
  command->footer(footer);
  // `plan join` is a subcommand of its own (different flags); the chain planners need a name.
  add_join_command(*command);
  command->callback([flags, command] {
    if (command->got_subcommand("join")) return;
    if (flags->algorithm.empty()) throw UsageError("plan: name a planner (see --help)");
    if (flags->problem.steps.empty()) throw UsageError("--steps is required");
    run_plan(*flags);
  });
}

}  // namespace memsched::cli
