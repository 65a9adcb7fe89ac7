// `memsched hetero plan|curve CHAIN`: heterogeneous chains (neural networks) under a byte budget.
#include <CLI/CLI.hpp>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "memsched/hetero/io.hpp"
#include "memsched/hetero/persistent.hpp"
#include "memsched/hetero/svg.hpp"
#include "memsched/input.hpp"
#include "options.hpp"

namespace memsched::cli {

namespace {

struct HeteroFlags {
  std::string chain_file;
  std::string budget;
  std::string units = "500";
  std::string threads = "1";
  bool exact = false;
  bool rotor = false;
  bool verify = false;
  std::string format = "text";
};

HeteroChain read_chain(const std::string& path) {
  const std::string text = read_input_file(path, std::size_t{64} << 20, "chain file");
  const bool csv = path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
  try {
    return csv ? read_hetero_chain_csv(text) : read_hetero_chain_json(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

PersistentOptions make_options(const HeteroFlags& flags) {
  PersistentOptions o;
  o.exact = flags.exact;
  o.rotor_compatible = flags.rotor;
  o.num_units = parse_integer(flags.units, "--units", 1, 999999999);
  o.num_threads = static_cast<int>(parse_integer(flags.threads, "--threads", 1, 256));
  return o;
}

std::string number(double v) {
  std::ostringstream out;
  out << std::setprecision(10) << v;
  return out.str();
}

void run_plan(const HeteroFlags& flags) {
  const Bytes budget = parse_bytes(flags.budget, "--budget", kMaxBytes);
  const PersistentOptions options = make_options(flags);
  const HeteroChain chain = read_chain(flags.chain_file);
  const std::optional<HeteroPlan> plan = plan_persistent(chain, budget, options);
  if (!plan) {
    throw std::runtime_error("no persistent schedule fits in " + std::to_string(budget) +
                             " bytes (store-all needs " + std::to_string(chain.store_all_peak()) +
                             "; try more --units or --exact)");
  }
  std::vector<HeteroTimelineEntry> timeline;
  const HeteroReport report = simulate(plan->schedule, chain, budget, {}, &timeline);
  if (flags.verify && report.makespan != plan->makespan) {
    throw std::logic_error("the planner promised makespan " + number(plan->makespan) +
                           " but its schedule takes " + number(report.makespan));
  }
  if (flags.format == "svg") {
    write_hetero_schedule_svg(std::cout, plan->schedule, timeline, budget, report.makespan);
    return;
  }
  if (flags.format == "ops") {
    for (const HeteroOp& op : plan->schedule) std::cout << to_string(op) << "\n";
    return;
  }
  if (flags.format == "json") {
    nlohmann::json ops = nlohmann::json::array();
    for (const HeteroOp& op : plan->schedule) ops.push_back(to_string(op));
    const nlohmann::json doc = {{"stages", chain.num_stages()},
                                {"budget_bytes", budget},
                                {"unit_bytes", plan->unit_bytes},
                                {"makespan", report.makespan},
                                {"minimal_makespan", chain.minimal_makespan()},
                                {"peak_bytes", report.peak_bytes},
                                {"store_all_peak_bytes", chain.store_all_peak()},
                                {"forwards", report.forwards},
                                {"recording_forwards", report.recording_forwards},
                                {"schedule", ops}};
    std::cout << doc.dump(2) << "\n";
    return;
  }
  std::cout << "chain:     " << chain.num_stages() << " stages, store-all peak "
            << chain.store_all_peak() << " bytes, minimal makespan "
            << number(chain.minimal_makespan()) << "\n"
            << "budget:    " << budget << " bytes (unit " << plan->unit_bytes << " bytes"
            << (flags.exact ? ", exact" : "") << (flags.rotor ? ", rotor-compatible" : "") << ")\n"
            << "makespan:  " << number(report.makespan) << " ("
            << number(report.makespan / std::max(chain.minimal_makespan(), 1e-300))
            << " x minimal)\n"
            << "peak:      " << report.peak_bytes << " bytes\n"
            << "forwards:  " << report.forwards << " (" << report.recording_forwards
            << " recording)\n"
            << "schedule:  " << to_string(plan->schedule) << "\n";
  if (flags.verify) std::cout << "verified:  legal in exact bytes, makespan as planned\n";
}

void run_curve(const HeteroFlags& flags) {
  const PersistentOptions options = make_options(flags);
  const HeteroChain chain = read_chain(flags.chain_file);
  const std::vector<CurvePoint> curve = memory_time_curve(chain, options);
  if (flags.format == "svg") {
    write_memory_time_curve_svg(std::cout, curve);
    return;
  }
  if (flags.format == "text") {
    std::cout << "budget_bytes makespan\n";
    for (const CurvePoint& p : curve)
      std::cout << p.budget_bytes << " " << number(p.makespan) << "\n";
    return;
  }
  nlohmann::json points = nlohmann::json::array();
  for (const CurvePoint& p : curve) {
    points.push_back({{"budget_bytes", p.budget_bytes}, {"makespan", p.makespan}});
  }
  const nlohmann::json doc = {{"stages", chain.num_stages()},
                              {"minimal_makespan", chain.minimal_makespan()},
                              {"store_all_peak_bytes", chain.store_all_peak()},
                              {"exact", flags.exact},
                              {"points", points}};
  std::cout << doc.dump(2) << "\n";
}

void add_unit_flags(CLI::App& command, HeteroFlags& flags) {
  command.add_option("chain", flags.chain_file, "the chain: JSON, or CSV if the name ends in .csv")
      ->required();
  command.add_option("--units", flags.units,
                     "memory units M: sizes are rounded up to budget/M bytes (default 500)");
  command.add_flag("--exact", flags.exact, "byte-exact: the unit is the gcd of all sizes");
  command.add_option("--threads", flags.threads,
                     "threads computing the table (default 1; at most 4 are used)");
  command.add_flag("--rotor", flags.rotor,
                   "rotor v0.1's conservative recording-forward check (quirk Q2)");
}

}  // namespace

void add_hetero_command(CLI::App& app) {
  CLI::App* hetero = app.add_subcommand(
      "hetero", "heterogeneous chains (neural networks) under a memory budget in bytes");
  hetero->require_subcommand(1);

  auto plan_flags = std::make_shared<HeteroFlags>();
  CLI::App* plan = hetero->add_subcommand("plan", "the fastest persistent schedule in a budget");
  add_unit_flags(*plan, *plan_flags);
  plan->add_option("--budget", plan_flags->budget, "memory budget: bytes, or e.g. 512MiB")
      ->required();
  plan->add_flag("--verify", plan_flags->verify, "replay and check the planner's makespan");
  plan->add_option("--format", plan_flags->format,
                   "text | json | ops (one operation a line) | svg (memory over time)")
      ->check(CLI::IsMember({"text", "json", "ops", "svg"}));
  plan->callback([plan_flags] { run_plan(*plan_flags); });

  auto curve_flags = std::make_shared<HeteroFlags>();
  curve_flags->format = "json";
  CLI::App* curve =
      hetero->add_subcommand("curve", "optimal makespan for every budget (memory-time curve)");
  add_unit_flags(*curve, *curve_flags);
  curve->add_option("--format", curve_flags->format, "json | svg | text")
      ->check(CLI::IsMember({"json", "svg", "text"}));
  curve->callback([curve_flags] { run_curve(*curve_flags); });
}

}  // namespace memsched::cli
