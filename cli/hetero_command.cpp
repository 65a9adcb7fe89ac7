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
#include "memsched/hetero/hetero_io.hpp"
#include "memsched/hetero/persistent.hpp"
#include "memsched/input.hpp"

namespace memsched::cli {

namespace {

struct HeteroFlags {
  std::string chain_file;
  std::string budget;
  std::string units = "500";
  bool exact = false;
  bool rotor = false;
  bool verify = false;
  std::string format = "text";
};

HeteroChain read_chain(const std::string& path) {
  const std::string text = read_input_file(path, std::size_t{64} << 20, "chain file");
  const bool csv = path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
  try {
    return csv ? parse_hetero_chain_csv(text) : parse_hetero_chain_json(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

// Bytes with an optional suffix: B, kB, MB, GB (powers of 1000) or KiB, MiB, GiB (of 1024).
Bytes parse_bytes(const std::string& text, const char* flag) {
  std::size_t end = 0;
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  const std::string digits = text.substr(0, end), suffix = text.substr(end);
  const std::pair<const char*, Bytes> units[] = {
      {"", 1},       {"B", 1},         {"kB", 1000},           {"MB", 1000000}, {"GB", 1000000000},
      {"KiB", 1024}, {"MiB", 1 << 20}, {"GiB", Bytes{1} << 30}};
  for (const auto& [name, scale] : units) {
    if (suffix != name || digits.empty() || digits.size() > 16) continue;
    const Bytes value = std::stoll(digits);
    if (value > kMaxBytes / scale) break;
    return value * scale;
  }
  throw UsageError(std::string(flag) + ": expected bytes such as 1000000, 512MiB or 2GB, got '" +
                   text + "'");
}

PersistentOptions make_options(const HeteroFlags& flags) {
  PersistentOptions o;
  o.exact = flags.exact;
  o.rotor_compatible = flags.rotor;
  const std::string& u = flags.units;
  if (u.empty() || u.size() > 9 || u.find_first_not_of("0123456789") != std::string::npos ||
      std::stoll(u) < 1) {
    throw UsageError("--units: expected an integer in [1, 999999999], got '" + u + "'");
  }
  o.num_units = std::stoll(u);
  return o;
}

std::string number(double v) {
  std::ostringstream out;
  out << std::setprecision(10) << v;
  return out.str();
}

// Memory in use over time: one bar per operation (its peak, with its temporary), the budget as
// a dashed line.
void write_plan_svg(std::ostream& out, const HeteroSchedule& schedule,
                    const std::vector<HeteroTimelineEntry>& timeline, Bytes budget,
                    double makespan) {
  const double w = 800, h = 360, left = 80, right = 20, top = 30, bottom = 50;
  const double t1 = std::max(makespan, 1e-300);
  const double b1 = std::max(static_cast<double>(budget), 1.0);
  auto px = [&](double t) { return left + t / t1 * (w - left - right); };
  auto py = [&](double b) { return top + (1.0 - b / b1) * (h - top - bottom); };
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (std::size_t k = 0; k < timeline.size(); ++k) {
    const HeteroTimelineEntry& e = timeline[k];
    if (e.end <= e.start) continue;
    const bool backward =
        schedule[k].kind == HeteroOpKind::kBackward || schedule[k].kind == HeteroOpKind::kLoss;
    const bool recording = schedule[k].kind == HeteroOpKind::kForwardEnable;
    out << "<rect x=\"" << px(e.start) << "\" y=\"" << py(static_cast<double>(e.peak_bytes))
        << "\" width=\"" << px(e.end) - px(e.start) << "\" height=\""
        << py(0) - py(static_cast<double>(e.peak_bytes)) << "\" fill=\""
        << (backward    ? "#ff7f0e"
            : recording ? "#1f77b4"
                        : "#aec7e8")
        << "\" stroke=\"white\" stroke-width=\"0.5\"><title>" << to_string(schedule[k]) << ": "
        << e.peak_bytes << " bytes</title></rect>\n";
  }
  out << "<line x1=\"" << left << "\" y1=\"" << py(b1) << "\" x2=\"" << w - right << "\" y2=\""
      << py(b1) << "\" stroke=\"red\" stroke-dasharray=\"6,4\"/>\n"
      << "<line x1=\"" << left << "\" y1=\"" << py(0) << "\" x2=\"" << w - right << "\" y2=\""
      << py(0) << "\" stroke=\"black\"/>\n"
      << "<text x=\"" << left - 6 << "\" y=\"" << py(b1) + 4 << "\" text-anchor=\"end\">" << budget
      << "</text>\n<text x=\"" << left - 6 << "\" y=\"" << py(0)
      << "\" text-anchor=\"end\">0</text>\n"
      << "<text x=\"" << w - right << "\" y=\"" << h - bottom + 18 << "\" text-anchor=\"end\">"
      << number(makespan) << "</text>\n"
      << "<text x=\"" << (left + w - right) / 2 << "\" y=\"" << h - 10
      << "\" text-anchor=\"middle\">time (light: forward, dark: recording forward, orange: "
         "backward; dashed: budget in bytes)</text>\n"
      << "<text x=\"" << left << "\" y=\"18\">memory in use (bytes)</text>\n</svg>\n";
}

void run_plan(const HeteroFlags& flags) {
  const Bytes budget = parse_bytes(flags.budget, "--budget");
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
    write_plan_svg(std::cout, plan->schedule, timeline, budget, report.makespan);
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

void write_curve_svg(std::ostream& out, const std::vector<CurvePoint>& curve) {
  const double w = 640, h = 400, left = 80, right = 20, top = 20, bottom = 50;
  const double x0 = static_cast<double>(curve.front().budget_bytes);
  // A tenth more on the right shows the flat part beyond the store-all peak.
  const double last = static_cast<double>(curve.back().budget_bytes);
  const double x1 = last + std::max(1.0, 0.1 * (last - x0));
  const double y1 = curve.front().makespan;
  const double y0 = std::min(curve.back().makespan, y1 - 1e-12);
  auto px = [&](double b) { return left + (b - x0) / (x1 - x0) * (w - left - right); };
  auto py = [&](double t) { return top + (y1 - t) / (y1 - y0) * (h - top - bottom); };
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<line x1=\"" << left << "\" y1=\"" << h - bottom << "\" x2=\"" << w - right << "\" y2=\""
      << h - bottom << "\" stroke=\"black\"/>\n"
      << "<line x1=\"" << left << "\" y1=\"" << top << "\" x2=\"" << left << "\" y2=\""
      << h - bottom << "\" stroke=\"black\"/>\n";
  out << "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"";
  for (std::size_t k = 0; k < curve.size(); ++k) {
    const double b = static_cast<double>(curve[k].budget_bytes);
    if (k > 0) out << px(b) << "," << py(curve[k - 1].makespan) << " ";
    out << px(b) << "," << py(curve[k].makespan) << " ";
  }
  out << px(x1) << "," << py(curve.back().makespan) << "\"/>\n";
  out << "<text x=\"" << left << "\" y=\"" << h - bottom + 18 << "\">" << number(x0)
      << "</text>\n<text x=\"" << w - right << "\" y=\"" << h - bottom + 18
      << "\" text-anchor=\"end\">" << number(x1) << "</text>\n"
      << "<text x=\"" << (left + w - right) / 2 << "\" y=\"" << h - 10
      << "\" text-anchor=\"middle\">memory budget (bytes)</text>\n"
      << "<text x=\"" << left - 6 << "\" y=\"" << top + 10 << "\" text-anchor=\"end\">"
      << number(y1) << "</text>\n<text x=\"" << left - 6 << "\" y=\"" << h - bottom
      << "\" text-anchor=\"end\">" << number(y0) << "</text>\n"
      << "<text transform=\"translate(16," << (top + h - bottom) / 2
      << ") rotate(-90)\" text-anchor=\"middle\">optimal persistent makespan</text>\n"
      << "</svg>\n";
}

void run_curve(const HeteroFlags& flags) {
  const PersistentOptions options = make_options(flags);
  const HeteroChain chain = read_chain(flags.chain_file);
  const std::vector<CurvePoint> curve = memory_time_curve(chain, options);
  if (flags.format == "svg") {
    write_curve_svg(std::cout, curve);
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
