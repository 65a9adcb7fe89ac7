// The join-graph schedule picture (see join/svg.hpp).
#include "memsched/join/svg.hpp"

#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace memsched {

JoinReport write_join_svg(std::ostream& out, const JoinSchedule& schedule, const JoinGraph& graph,
                          std::int64_t slots) {
  const JoinReport report = simulate_join(schedule, graph, slots);
  const std::int32_t k = graph.num_branches();
  // Row of state i of chain c: bands stacked, one empty row between them.
  std::vector<double> offset(static_cast<std::size_t>(k) + 1);
  double rows = 0;
  for (std::int32_t c = 0; c <= k; ++c) {
    offset[static_cast<std::size_t>(c)] = rows;
    rows += static_cast<double>(graph.length(c)) + 2;
  }
  const double time_total = static_cast<double>(report.forward_steps + report.adjoint_steps) + 1;
  const double left = 90, top = 20, width = 900, height = 14 * rows + 40;
  const double dx = width / time_total;
  const double dy = 14;
  auto x = [&](double t) { return left + t * dx; };
  auto y = [&](std::int32_t c, double step) {
    return top + (offset[static_cast<std::size_t>(c)] + step) * dy;
  };
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << left + width + 20 << "\" height=\""
      << top + height << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  out << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (std::int32_t c = 0; c <= k; ++c) {
    const std::string name = c == k ? "handle" : "branch " + std::to_string(c);
    out << "<text x=\"6\" y=\"" << y(c, static_cast<double>(graph.length(c)) / 2) + 4 << "\">"
        << name << "</text>\n";
    out << "<rect x=\"" << left << "\" y=\"" << y(c, 0) << "\" width=\"" << width << "\" height=\""
        << static_cast<double>(graph.length(c)) * dy << "\" fill=\"#f4f4f4\"/>\n";
  }
  double now = 0;
  std::map<std::pair<std::int32_t, Step>, double> stored_since;
  auto bar = [&](std::int32_t c, Step step, double from, double to) {
    out << "<line x1=\"" << x(from) << "\" y1=\"" << y(c, static_cast<double>(step)) << "\" x2=\""
        << x(to) << "\" y2=\"" << y(c, static_cast<double>(step))
        << "\" stroke=\"#1b9e77\" stroke-width=\"4\" stroke-opacity=\"0.5\"/>\n";
  };
  for (const JoinAction& ja : schedule) {
    const Action& a = ja.action;
    const std::int32_t c = ja.chain;
    switch (a.kind) {
      case ActionKind::kForward: {
        const double length = static_cast<double>(a.end - a.begin);
        out << "<line x1=\"" << x(now) << "\" y1=\"" << y(c, static_cast<double>(a.begin))
            << "\" x2=\"" << x(now + length) << "\" y2=\"" << y(c, static_cast<double>(a.end))
            << "\" stroke=\"" << (a.flag ? "#e66101" : "black") << "\" stroke-width=\"1.5\"/>\n";
        now += length;
        break;
      }
      case ActionKind::kReverse:
        out << "<line x1=\"" << x(now) << "\" y1=\"" << y(c, static_cast<double>(a.end))
            << "\" x2=\"" << x(now + 1) << "\" y2=\"" << y(c, static_cast<double>(a.begin))
            << "\" stroke=\"#2c7bb6\" stroke-width=\"3\"/>\n";
        now += 1;
        break;
      case ActionKind::kCopy:
      case ActionKind::kMove:
      case ActionKind::kFree: {
        const std::pair<std::int32_t, Step> key{c, a.step};
        if (a.kind != ActionKind::kFree && a.from == kWork) {
          stored_since[key] = now;
        } else if (a.kind != ActionKind::kCopy) {
          const auto it = stored_since.find(key);
          bar(c, a.step, it == stored_since.end() ? 0.0 : it->second, now);
          if (it != stored_since.end()) stored_since.erase(it);
        }
        break;
      }
      case ActionKind::kEndForward:
      case ActionKind::kEndReverse:
        break;
    }
  }
  // Inputs stored from the start and released by the schedule were drawn from 0; anything
  // still open would be a simulator error, so the map is empty here.
  out << "</svg>\n";
  return report;
}

}  // namespace memsched
