// SVG pictures of heterogeneous chains (see svg.hpp).
#include "memsched/hetero/svg.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <string>

namespace memsched {

namespace {

// Ten significant digits, as the command-line tool prints numbers.
std::string number(double v) {
  std::ostringstream out;
  out << std::setprecision(10) << v;
  return out.str();
}

}  // namespace

void write_hetero_schedule_svg(std::ostream& out, const HeteroSchedule& schedule,
                               const std::vector<HeteroTimelineEntry>& timeline, Bytes budget,
                               double makespan) {
  if (timeline.size() != schedule.size()) {
    throw std::invalid_argument("write_hetero_schedule_svg: " + std::to_string(timeline.size()) +
                                " timeline entries for " + std::to_string(schedule.size()) +
                                " operations");
  }
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

void write_memory_time_curve_svg(std::ostream& out, const std::vector<CurvePoint>& curve) {
  if (curve.empty()) throw std::invalid_argument("write_memory_time_curve_svg: empty curve");
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

}  // namespace memsched
