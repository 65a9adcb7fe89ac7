// SVG step plot of a graph schedule's memory over time (plain text, no dependencies).
#include "memsched/graph/memory_svg.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace memsched::graph {

namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<GraphMemorySample> memory_samples(const std::vector<GraphTimelinePoint>& timeline) {
  std::vector<GraphMemorySample> out;
  out.reserve(timeline.size());
  for (const GraphTimelinePoint& p : timeline) {
    // Steps of no duration (frees, stores, a node of time 0) at one time: keep the largest, so
    // that the picture shows the peak.
    if (!out.empty() && out.back().time == p.start) {
      out.back().memory = std::max(out.back().memory, p.memory);
    } else {
      out.push_back({p.start, p.memory});
    }
  }
  return out;
}

void write_memory_svg(std::ostream& out, const std::vector<GraphMemorySample>& samples,
                      double end_time, Bytes memory_bound, const std::string& title) {
  if (samples.empty()) throw std::invalid_argument("graph::write_memory_svg: no samples");
  if (!std::isfinite(end_time) || end_time < samples.back().time) {
    throw std::invalid_argument("graph::write_memory_svg: end time before the last sample");
  }
  constexpr double kWidth = 900, kHeight = 320, kMargin = 50;
  const double w = kWidth - 2 * kMargin, h = kHeight - 2 * kMargin;
  Bytes peak = 0;
  for (const GraphMemorySample& s : samples) peak = std::max(peak, s.memory);
  const double top = static_cast<double>(std::max<Bytes>({peak, memory_bound, 1}));
  const double right = std::max(end_time, 1e-12);
  auto sx = [&](double x) { return kMargin + w * x / right; };
  auto sy = [&](double y) { return kMargin + h - h * y / top; };
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kWidth << "' height='" << kHeight
      << "' font-family='sans-serif' font-size='11'>\n"
      << "<text x='" << kMargin << "' y='20'>" << escape(title) << "</text>\n"
      << "<rect x='" << kMargin << "' y='" << kMargin << "' width='" << w << "' height='" << h
      << "' fill='none' stroke='#999'/>\n"
      << "<text x='" << kMargin << "' y='" << kHeight - 15 << "'>0</text>\n"
      << "<text x='" << kMargin + w << "' y='" << kHeight - 15 << "' text-anchor='end'>time "
      << end_time << "</text>\n"
      << "<text x='" << kMargin - 4 << "' y='" << kMargin + 4 << "' text-anchor='end'>"
      << static_cast<Bytes>(top) << "</text>\n"
      << "<polyline fill='none' stroke='#1f77b4' stroke-width='1.5' points='";
  double last = 0.0;
  for (const GraphMemorySample& s : samples) {
    const double y = static_cast<double>(s.memory);
    out << sx(s.time) << ',' << sy(last) << ' ' << sx(s.time) << ',' << sy(y) << ' ';
    last = y;
  }
  out << sx(right) << ',' << sy(last) << "'/>\n";
  if (memory_bound > 0) {
    const double y = sy(static_cast<double>(memory_bound));
    out << "<line x1='" << kMargin << "' x2='" << kMargin + w << "' y1='" << y << "' y2='" << y
        << "' stroke='#d62728' stroke-dasharray='6,4'/>\n"
        << "<text x='" << kMargin + w - 4 << "' y='" << y - 4
        << "' text-anchor='end' fill='#d62728'>bound " << memory_bound << "</text>\n";
  }
  const double y = sy(static_cast<double>(peak));
  out << "<text x='" << kMargin + 4 << "' y='" << y + 12 << "' fill='#2ca02c'>peak " << peak
      << "</text>\n</svg>\n";
}

}  // namespace memsched::graph
