// Printing a simulation report for people (text) or programs (JSON).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/simulate.hpp"

namespace memsched::cli {

struct ReportContext {
  std::string algorithm;  ///< planner name, or "file" for a schedule read from a file
  const Chain& chain;
  const Platform& platform;
  const SimulationReport& report;
  std::optional<double> predicted_cost;  ///< the planner's promise, when it makes one
  bool verified = false;                 ///< --verify ran (and passed: failures throw)
};

void print_text_report(std::ostream& out, const ReportContext& context);
/// The JSON report; with `timeline`, also a "timeline" array of {action, time, working, front,
/// occupancy}.
void print_json_report(std::ostream& out, const ReportContext& context,
                       const std::vector<TimelinePoint>* timeline = nullptr);

}  // namespace memsched::cli
