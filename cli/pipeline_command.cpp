// `memsched pipeline plan|zero`: pipeline-parallel training plans and data-parallel memory.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "memsched/hetero/io.hpp"
#include "memsched/pipeline/pipeline_plan.hpp"
#include "memsched/pipeline/zero.hpp"
#include "options.hpp"

namespace memsched::cli {

namespace {

struct PlanFlags {
  std::string model_file;
  std::string devices;
  std::string budget;
  std::string micro_batches = "1,2,4,8";
  std::string schedules = "gpipe,1f1b";
  std::string boundary_time = "0";
  std::string units = "100";
  std::string data_parallel = "1";
  std::string sharding = "none";
  bool no_recompute = false;
  std::string format = "text";
  std::string svg;
};

struct ZeroFlags {
  std::string parameters;
  std::string degree = "1";
  std::string activation_bytes = "0";
  std::string budget;
  std::string format = "text";
};

// The byte flags of pipelines: at most kMaxBytes.
Bytes parse_bytes(const std::string& text, const char* flag) {
  return cli::parse_bytes(text, flag, kMaxBytes);
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  if (out.empty()) out.push_back("");
  return out;
}

std::string number(double v) {
  std::ostringstream out;
  out << std::setprecision(10) << v;
  return out.str();
}

// The model file: {"chain": <a heterogeneous chain, docs/heterogeneous.md>, "parameters":
// [parameter count per layer]}.
struct ModelFile {
  HeteroChain chain;
  std::vector<std::int64_t> parameters;
};

ModelFile read_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open model file '" + path + "'");
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > (std::size_t{64} << 20)) {
      throw std::runtime_error("model file '" + path + "' is larger than 64 MiB");
    }
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": not JSON: " + e.what());
  }
  if (!doc.is_object() || !doc.contains("chain") || !doc.contains("parameters") ||
      doc.size() != 2 || !doc["parameters"].is_array()) {
    throw std::runtime_error(path +
                             ": expected an object with exactly \"chain\" and \"parameters\" "
                             "(an array of parameter counts, one per layer)");
  }
  try {
    ModelFile model{read_hetero_chain_json(doc["chain"].dump()), {}};
    for (const nlohmann::json& p : doc["parameters"]) {
      if (!p.is_number_integer() || p.get<std::int64_t>() < 0) {
        throw std::invalid_argument("parameters: expected integers >= 0, got " + p.dump());
      }
      model.parameters.push_back(p.get<std::int64_t>());
    }
    if (static_cast<std::int64_t>(model.parameters.size()) != model.chain.num_stages()) {
      throw std::invalid_argument("parameters: expected " +
                                  std::to_string(model.chain.num_stages()) + " counts, got " +
                                  std::to_string(model.parameters.size()));
    }
    return model;
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

// Timeline lanes (one per device, forwards blue, backwards orange, recomputing devices'
// backwards red) above per-device peak bars against the budgets.
void write_svg(std::ostream& out, const PipelinePlan& plan, const std::vector<PipelineEvent>& ev,
               const std::vector<Bytes>& budgets) {
  const double w = 900, left = 90, right = 20, lane = 34, top = 30;
  const auto P = static_cast<double>(plan.devices.size());
  const double bars_top = top + P * lane + 40, bar_h = 18;
  const double h = bars_top + P * (bar_h + 8) + 40;
  const double t1 = std::max(plan.report.iteration_time, 1e-300);
  Bytes b1 = 1;
  for (std::size_t d = 0; d < budgets.size(); ++d) b1 = std::max({b1, budgets[d]});
  auto px = [&](double t) { return left + t / t1 * (w - left - right); };
  auto bx = [&](Bytes b) {
    return left + static_cast<double>(b) / static_cast<double>(b1) * (w - left - right);
  };
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << left << "\" y=\"18\">" << to_string(plan.kind) << ", "
      << plan.micro_batches << " micro-batches, iteration " << number(plan.report.iteration_time)
      << ", bubble " << number(plan.report.bubble_fraction)
      << " (blue: forward, orange: backward, red: backward with recomputation)</text>\n";
  for (const PipelineEvent& e : ev) {
    const auto d = static_cast<std::size_t>(e.device);
    const double y = top + static_cast<double>(e.device) * lane;
    const char* fill = !e.backward ? "#1f77b4" : plan.devices[d].recompute ? "#d62728" : "#ff7f0e";
    out << "<rect x=\"" << px(e.start) << "\" y=\"" << y << "\" width=\""
        << std::max(px(e.end) - px(e.start), 0.5) << "\" height=\"" << lane - 6 << "\" fill=\""
        << fill << "\" stroke=\"white\" stroke-width=\"0.5\"><title>" << (e.backward ? "B" : "F")
        << " micro-batch " << e.micro_batch << ": " << e.peak_bytes << " bytes</title></rect>\n";
  }
  for (std::size_t d = 0; d < plan.devices.size(); ++d) {
    const double y = top + static_cast<double>(d) * lane;
    out << "<text x=\"" << left - 6 << "\" y=\"" << y + lane / 2 << "\" text-anchor=\"end\">device "
        << d << "</text>\n";
    const double by = bars_top + static_cast<double>(d) * (bar_h + 8);
    const Bytes peak = plan.report.device_peak_bytes[d];
    out << "<rect x=\"" << left << "\" y=\"" << by << "\" width=\"" << bx(peak) - left
        << "\" height=\"" << bar_h << "\" fill=\"#9467bd\"><title>peak " << peak
        << " bytes</title></rect>\n"
        << "<line x1=\"" << bx(budgets[d]) << "\" y1=\"" << by - 2 << "\" x2=\"" << bx(budgets[d])
        << "\" y2=\"" << by + bar_h + 2 << "\" stroke=\"red\" stroke-width=\"2\"/>\n"
        << "<text x=\"" << left - 6 << "\" y=\"" << by + 13 << "\" text-anchor=\"end\">" << peak
        << "</text>\n";
  }
  out << "<text x=\"" << left << "\" y=\"" << bars_top - 10
      << "\">peak memory per device in bytes (red mark: its budget)</text>\n</svg>\n";
}

void run_plan(const PlanFlags& flags) {
  const std::int64_t P = parse_integer(flags.devices, "--devices", 1, kMaxPipelineDevices);
  PipelinePlanOptions o;
  const std::vector<std::string> budgets = split(flags.budget);
  if (budgets.size() != 1 && static_cast<std::int64_t>(budgets.size()) != P) {
    throw UsageError("--budget: expected one value or " + std::to_string(P) + ", got '" +
                     flags.budget + "'");
  }
  for (std::int64_t d = 0; d < P; ++d) {
    o.device_budget_bytes.push_back(
        parse_bytes(budgets[budgets.size() == 1 ? 0 : static_cast<std::size_t>(d)], "--budget"));
  }
  o.micro_batches.clear();
  for (const std::string& item : split(flags.micro_batches)) {
    const std::size_t dash = item.find('-');
    if (dash == std::string::npos) {
      o.micro_batches.push_back(parse_integer(item, "--micro-batches", 1, kMaxMicroBatches));
      continue;
    }
    const std::int64_t lo =
        parse_integer(item.substr(0, dash), "--micro-batches", 1, kMaxMicroBatches);
    const std::int64_t hi = parse_integer(item.substr(dash + 1), "--micro-batches", lo, lo + 255);
    for (std::int64_t m = lo; m <= hi; ++m) o.micro_batches.push_back(m);
  }
  o.kinds.clear();
  for (const std::string& item : split(flags.schedules)) {
    if (item != "gpipe" && item != "1f1b") {
      throw UsageError("--schedule: expected gpipe and/or 1f1b, got '" + item + "'");
    }
    o.kinds.push_back(parse_pipeline_schedule_kind(item));
  }
  o.num_units = parse_integer(flags.units, "--units", 1, 100000);
  o.recompute = !flags.no_recompute;
  const std::int64_t dp = parse_integer(flags.data_parallel, "--data-parallel", 1, 1 << 20);
  DataParallelSharding sharding;
  try {
    sharding = parse_data_parallel_sharding(flags.sharding);
  } catch (const std::invalid_argument&) {
    throw UsageError("--sharding: expected none, zero1, zero2, zero3 or fsdp, got '" +
                     flags.sharding + "'");
  }
  char* end = nullptr;
  const double bt = std::strtod(flags.boundary_time.c_str(), &end);
  if (flags.boundary_time.empty() || *end != '\0' || !std::isfinite(bt) || bt < 0) {
    throw UsageError("--boundary-time: expected a finite time >= 0, got '" + flags.boundary_time +
                     "'");
  }
  const ModelFile file = read_model(flags.model_file);
  std::vector<Bytes> state;
  for (std::int64_t n : file.parameters) state.push_back(model_state_bytes(n, dp, sharding).total);
  const PipelineModel model(file.chain, state);
  if (bt > 0) o.boundary_time.assign(static_cast<std::size_t>(model.num_layers() - 1), bt);
  const std::optional<PipelinePlan> plan = plan_pipeline(model, o);
  if (!plan) {
    throw std::runtime_error("no partition of " + std::to_string(model.num_layers()) +
                             " layers over " + std::to_string(P) +
                             " devices fits the budgets (try more micro-batches, more devices, "
                             "sharding, or recomputation)");
  }
  if (!flags.svg.empty()) {
    std::vector<StageProfile> profiles;
    for (const DevicePlan& d : plan->devices) profiles.push_back(d.profile);
    std::vector<PipelineEvent> events;
    simulate_pipeline(profiles, {P, plan->micro_batches, plan->kind, 1}, &events);
    std::ofstream svg(flags.svg);
    write_svg(svg, *plan, events, o.device_budget_bytes);
    if (!svg) throw std::runtime_error("cannot write '" + flags.svg + "'");
  }
  if (flags.format == "json") {
    nlohmann::json devices = nlohmann::json::array();
    for (std::size_t d = 0; d < plan->devices.size(); ++d) {
      const DevicePlan& dev = plan->devices[d];
      devices.push_back({{"first_layer", dev.first_layer},
                         {"last_layer", dev.last_layer},
                         {"recompute", dev.recompute},
                         {"backward_schedule", to_string(dev.backward_schedule)},
                         {"forward_time", dev.profile.forward_time},
                         {"backward_time", dev.profile.backward_time},
                         {"kept_bytes", dev.profile.kept_bytes},
                         {"model_bytes", dev.profile.model_bytes},
                         {"in_flight", dev.in_flight},
                         {"peak_bytes", plan->report.device_peak_bytes[d]},
                         {"budget_bytes", o.device_budget_bytes[d]},
                         {"busy_time", plan->report.device_busy_time[d]}});
    }
    const nlohmann::json doc = {{"layers", model.num_layers()},
                                {"schedule", to_string(plan->kind)},
                                {"micro_batches", plan->micro_batches},
                                {"data_parallel", dp},
                                {"sharding", to_string(sharding)},
                                {"iteration_time", plan->report.iteration_time},
                                {"bottleneck_time", plan->bottleneck_time},
                                {"bubble_fraction", plan->report.bubble_fraction},
                                {"devices", devices}};
    std::cout << doc.dump(2) << "\n";
    return;
  }
  std::cout << "model:      " << model.num_layers() << " layers, " << P << " devices"
            << (dp > 1 ? ", data-parallel " + std::to_string(dp) + " (" + to_string(sharding) + ")"
                       : std::string())
            << "\n"
            << "schedule:   " << to_string(plan->kind) << ", " << plan->micro_batches
            << " micro-batches\n"
            << "iteration:  " << number(plan->report.iteration_time) << " (bottleneck stage "
            << number(plan->bottleneck_time) << ", bubble " << number(plan->report.bubble_fraction)
            << ")\n"
            << "device  layers    recompute  in-flight  peak_bytes  budget_bytes\n";
  for (std::size_t d = 0; d < plan->devices.size(); ++d) {
    const DevicePlan& dev = plan->devices[d];
    std::ostringstream layers;
    layers << dev.first_layer << "-" << dev.last_layer - 1;
    std::cout << std::left << std::setw(8) << d << std::setw(10) << layers.str() << std::setw(11)
              << (dev.recompute ? "yes" : "no") << std::setw(11) << dev.in_flight << std::setw(12)
              << plan->report.device_peak_bytes[d] << o.device_budget_bytes[d] << "\n";
  }
}

void run_zero(const ZeroFlags& flags) {
  const std::int64_t psi = parse_integer(flags.parameters, "--parameters", 0, kMaxBytes / 192);
  const std::int64_t d = parse_integer(flags.degree, "--degree", 1, 1 << 20);
  const Bytes act = parse_bytes(flags.activation_bytes, "--activation-bytes");
  // A flag and a value rather than std::optional: GCC 12's -O2 flow analysis reports the
  // optional's value as maybe-uninitialized below (a false positive that breaks -Werror).
  const bool has_budget = !flags.budget.empty();
  const Bytes budget_bytes = has_budget ? parse_bytes(flags.budget, "--budget") : 0;
  nlohmann::json rows = nlohmann::json::array();
  if (flags.format == "text") {
    std::cout << "sharding  parameters    gradients     optimizer     total_bytes"
              << (has_budget ? "  fits" : "") << "\n";
  }
  for (DataParallelSharding s : {DataParallelSharding::kNone, DataParallelSharding::kZero1,
                                 DataParallelSharding::kZero2, DataParallelSharding::kZero3}) {
    const ModelStateBytes m = model_state_bytes(psi, d, s);
    const Bytes total = m.total + act;
    const bool fits = has_budget && total <= budget_bytes;
    if (flags.format == "text") {
      std::cout << std::left << std::setw(10) << to_string(s) << std::setw(14) << m.parameters
                << std::setw(14) << m.gradients << std::setw(14) << m.optimizer << total
                << (has_budget ? (fits ? "  yes" : "  no") : "") << "\n";
    } else {
      nlohmann::json row = {{"sharding", to_string(s)},       {"parameters_bytes", m.parameters},
                            {"gradients_bytes", m.gradients}, {"optimizer_bytes", m.optimizer},
                            {"activation_bytes", act},        {"total_bytes", total}};
      if (has_budget) row["fits"] = fits;
      rows.push_back(row);
    }
  }
  if (flags.format == "json") {
    std::cout << nlohmann::json({{"parameters", psi}, {"degree", d}, {"rows", rows}}).dump(2)
              << "\n";
  }
}

}  // namespace

void add_pipeline_command(CLI::App& app) {
  CLI::App* pipeline = app.add_subcommand(
      "pipeline", "pipeline-parallel training under per-device budgets; data-parallel memory");
  pipeline->require_subcommand(1);

  auto pf = std::make_shared<PlanFlags>();
  CLI::App* plan = pipeline->add_subcommand(
      "plan", "partition, schedule, micro-batches and recomputation minimising iteration time");
  plan->add_option("model", pf->model_file,
                   "JSON: {\"chain\": heterogeneous chain of the mini-batch, \"parameters\": "
                   "[count per layer]}")
      ->required();
  plan->add_option("--devices", pf->devices, "number of pipeline devices P")->required();
  plan->add_option("--budget", pf->budget, "bytes per device (one value, or P comma-separated)")
      ->required();
  plan->add_option("--micro-batches", pf->micro_batches,
                   "candidate counts: list and ranges, e.g. 1,2,4 or 1-16 (default 1,2,4,8)");
  plan->add_option("--schedule", pf->schedules, "candidate schedules: gpipe,1f1b (default both)");
  plan->add_option("--boundary-time", pf->boundary_time,
                   "time to send one boundary tensor of the whole mini-batch (default 0)");
  plan->add_option("--units", pf->units, "memory units of the persistent planner (default 100)");
  plan->add_flag("--no-recompute", pf->no_recompute, "store every activation on every device");
  plan->add_option("--data-parallel", pf->data_parallel, "replicas of each stage (default 1)");
  plan->add_option("--sharding", pf->sharding, "none | zero1 | zero2 | zero3 | fsdp");
  plan->add_option("--format", pf->format, "text | json")->check(CLI::IsMember({"text", "json"}));
  plan->add_option("--svg", pf->svg, "write the timeline and per-device memory to this SVG file");
  plan->callback([pf] { run_plan(*pf); });

  auto zf = std::make_shared<ZeroFlags>();
  CLI::App* zero = pipeline->add_subcommand(
      "zero", "per-device model state under DDP, ZeRO-1/2/3 (FSDP) with mixed-precision Adam");
  zero->add_option("--parameters", zf->parameters, "parameter count")->required();
  zero->add_option("--degree", zf->degree, "data-parallel degree d (default 1)");
  zero->add_option("--activation-bytes", zf->activation_bytes,
                   "activation bytes per device to add (not sharded)");
  zero->add_option("--budget", zf->budget, "device memory: adds a fits column");
  zero->add_option("--format", zf->format, "text | json")->check(CLI::IsMember({"text", "json"}));
  zero->callback([zf] { run_zero(*zf); });
}

}  // namespace memsched::cli
