// Text and JSON reports of a simulated schedule.
#include "report.hpp"

#include <nlohmann/json.hpp>
#include <ostream>

#include "memsched/chain/platform.hpp"

namespace memsched::cli {

namespace {

std::string slots_text(std::int64_t slots) {
  return slots == kUnlimitedSlots ? std::string("inf") : std::to_string(slots);
}

std::string number_text(double value) {
  nlohmann::json j = value;
  return j.dump();
}

}  // namespace

void print_text_report(std::ostream& out, const ReportContext& c) {
  const SimulationReport& r = c.report;
  out << c.algorithm << ": " << c.chain.num_steps() << " steps\n";
  out << "  forward steps  " << r.forward_steps << " (" << r.advances() << " advances + "
      << r.recorded_steps << " recording)\n";
  out << "  adjoint steps  " << r.adjoint_steps << "\n";
  out << "  cost           " << number_text(r.cost) << " (papers' makespan "
      << number_text(r.paper_makespan(c.chain)) << ")\n";
  for (std::size_t k = 0; k < c.platform.num_levels(); ++k) {
    const StorageLevel& level = c.platform.level(k);
    const LevelUsage& use = r.levels[k];
    out << "  level " << level.name << ": peak " << use.peak << " of "
        << slots_text(level.num_slots) << " slots, " << use.writes << " writes, " << use.reads
        << " reads\n";
  }
  out << "  actions        " << r.num_actions << "\n";
  if (c.verified) {
    out << "  verified       legal schedule"
        << (c.predicted_cost ? ", cost equals the planner's promise" : "") << "\n";
  }
}

void print_json_report(std::ostream& out, const ReportContext& c,
                       const std::vector<TimelinePoint>* timeline) {
  const SimulationReport& r = c.report;
  nlohmann::ordered_json j;
  j["algorithm"] = c.algorithm;
  j["steps"] = c.chain.num_steps();
  j["forward_steps"] = r.forward_steps;
  j["advances"] = r.advances();
  j["adjoint_steps"] = r.adjoint_steps;
  j["cost"] = r.cost;
  j["paper_makespan"] = r.paper_makespan(c.chain);
  j["actions"] = r.num_actions;
  j["reverse_sweeps"] = r.reverse_sweeps;
  j["peak_work_tapes"] = r.peak_work_tapes;
  nlohmann::ordered_json levels = nlohmann::ordered_json::array();
  for (std::size_t k = 0; k < c.platform.num_levels(); ++k) {
    const StorageLevel& level = c.platform.level(k);
    nlohmann::ordered_json l;
    l["name"] = level.name;
    if (level.num_slots == kUnlimitedSlots) {
      l["slots"] = "inf";
    } else {
      l["slots"] = level.num_slots;
    }
    l["write_cost"] = level.write_cost;
    l["read_cost"] = level.read_cost;
    l["writes"] = r.levels[k].writes;
    l["reads"] = r.levels[k].reads;
    l["peak"] = r.levels[k].peak;
    levels.push_back(l);
  }
  j["levels"] = levels;
  if (c.predicted_cost) j["predicted_cost"] = *c.predicted_cost;
  if (c.verified) j["verified"] = true;
  if (timeline) {
    nlohmann::ordered_json points = nlohmann::ordered_json::array();
    for (const TimelinePoint& p : *timeline) {
      points.push_back({{"action", p.action_index},
                        {"time", p.time},
                        {"working", p.working_step},
                        {"front", p.front},
                        {"occupancy", p.occupancy}});
    }
    j["timeline"] = std::move(points);
  }
  out << j.dump(2) << "\n";
}

}  // namespace memsched::cli
