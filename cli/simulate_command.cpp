// `memsched simulate FILE`: check a schedule from a file and report what it does.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "memsched/chain/formats.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/chain/svg.hpp"
#include "memsched/errors.hpp"
#include "memsched/input.hpp"
#include "options.hpp"
#include "report.hpp"

namespace memsched::cli {

namespace {

struct SimulateFlags {
  std::string file;
  ProblemOptions problem;
  std::string format = "text";
};

std::string read_all(const std::string& path) {
  return read_input_file(path, kMaxScheduleTextBytes, "schedule");
}

void run_simulate(const SimulateFlags& flags) {
  std::optional<Step> steps;
  if (!flags.problem.steps.empty()) steps = parse_steps(flags.problem.steps, "--steps");
  const Platform platform = make_platform(flags.problem);
  const std::string text = read_all(flags.file);
  if (!steps && detect_schedule_format(text) != ScheduleFormat::kJson) {
    throw UsageError("--steps: this schedule format does not give the chain length; add --steps N");
  }
  const ScheduleFile file = read_schedule(text, steps);
  if (!file.num_steps) throw UsageError("--steps: the schedule file does not say; give --steps N");
  ProblemOptions problem = flags.problem;
  problem.steps = std::to_string(*file.num_steps);
  const Chain chain = make_chain(problem);
  ScheduleStream stream(file.schedule);
  SimulationReport report;
  std::vector<TimelinePoint> timeline;
  try {
    if (flags.format == "svg") {
      write_schedule_svg(std::cout, stream, chain, platform);
      return;
    }
    if (flags.format == "timeline") {
      timeline = record_timeline(stream, chain, platform, 10000, &report);
    } else {
      report = simulate(stream, chain, platform);
    }
  } catch (const ScheduleError& e) {
    // Point at the input: the action index is ours, the line is the user's.
    const auto index = static_cast<std::size_t>(e.action_index());
    if (index >= file.source_lines.size()) throw;
    const bool json = detect_schedule_format(text) == ScheduleFormat::kJson;
    throw ScheduleError(e.action_index(), to_string(file.schedule[index], platform),
                        e.reason() + (json ? " [entry " : " [line ") +
                            std::to_string(file.source_lines[index]) + " of " + flags.file + "]");
  }
  const ReportContext context{"file", chain, platform, report, std::nullopt, true};
  if (flags.format == "json" || flags.format == "timeline") {
    print_json_report(std::cout, context, flags.format == "timeline" ? &timeline : nullptr);
  } else {
    print_text_report(std::cout, context);
  }
}

}  // namespace

void add_simulate_command(CLI::App& app) {
  auto flags = std::make_shared<SimulateFlags>();
  CLI::App* command = app.add_subcommand(
      "simulate", "check a schedule (our JSON, checkpoint_schedules lines or a Revolve stream)");
  command->add_option("file", flags->file, "the schedule file, or - for standard input")
      ->required();
  add_problem_options(*command, flags->problem, false);
  command->add_option("--format", flags->format, "text | json | timeline | svg")
      ->check(CLI::IsMember({"text", "json", "timeline", "svg"}));
  command->callback([flags] { run_simulate(*flags); });
}

}  // namespace memsched::cli
