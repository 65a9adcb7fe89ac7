// Drawing schedules as SVG (see svg.hpp).
#include "memsched/chain/svg.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace memsched {

namespace {

constexpr std::size_t kExactActions = 20000;
constexpr std::size_t kColumns = 1024;
constexpr double kLeft = 70, kTop = 40, kWidth = 900, kHeight = 480, kGap = 50, kMemHeight = 120;
const char* const kLevelColors[] = {"#2ca02c", "#9467bd", "#8c564b", "#e377c2",
                                    "#7f7f7f", "#bcbd22", "#17becf", "#d62728"};

const char* level_color(std::size_t level) { return kLevelColors[level % 8]; }

struct Segment {
  double t0, t1;
  Step y0, y1;
  int kind;  // 0 forward, 1 recording forward, 2 reverse
};

struct Bar {
  double t0, t1;
  Step step;
  std::size_t level;
  bool tape;
};

// Per time column: the range of working positions and adjoint fronts it covers, and the peak
// occupancy of each level. Columns double in width when time runs past the last one.
class Columns {
 public:
  explicit Columns(std::size_t levels) : levels_(levels) {}

  void add_range(double t0, double t1, Step y0, Step y1, bool reverse) {
    grow(t1);
    const std::size_t c0 = column(t0), c1 = column(t1);
    for (std::size_t c = c0; c <= c1; ++c) {
      // The part of the segment inside column c, by linear interpolation.
      const double a = width_ > 0 ? std::max(t0, static_cast<double>(c) * width_) : t0;
      const double b = width_ > 0 ? std::min(t1, static_cast<double>(c + 1) * width_) : t1;
      const double span = t1 - t0;
      auto at = [&](double t) {
        return span <= 0
                   ? static_cast<double>(y1)
                   : static_cast<double>(y0) + (static_cast<double>(y1 - y0)) * (t - t0) / span;
      };
      Cell& cell = cells_[c];
      auto& lo = reverse ? cell.rev_lo : cell.fwd_lo;
      auto& hi = reverse ? cell.rev_hi : cell.fwd_hi;
      lo = std::min({lo, at(a), at(b)});
      hi = std::max({hi, at(a), at(b)});
    }
  }

  void add_occupancy(double t, std::size_t level, std::int64_t count) {
    grow(t);
    Cell& cell = cells_[column(t)];
    if (cell.occupancy.empty()) cell.occupancy.assign(levels_, 0);
    cell.occupancy[level] = std::max(cell.occupancy[level], count);
  }

  double width() const { return width_; }
  struct Cell {
    double fwd_lo = INFINITY, fwd_hi = -INFINITY, rev_lo = INFINITY, rev_hi = -INFINITY;
    std::vector<std::int64_t> occupancy;
  };
  const std::vector<Cell>& cells() const { return cells_; }

 private:
  std::size_t column(double t) const {
    if (width_ <= 0) return 0;
    return std::min(kColumns - 1, static_cast<std::size_t>(std::max(0.0, t) / width_));
  }
  void grow(double t) {
    // The scale adapts to the time unit: the first positive time spans all the columns, then
    // columns double in width whenever time runs past the last one.
    if (width_ <= 0) {
      if (t > 0) width_ = t / static_cast<double>(kColumns);
      return;
    }
    while (t > width_ * static_cast<double>(kColumns)) {
      // Merge pairs of columns: twice as wide.
      std::vector<Cell> merged(kColumns);
      for (std::size_t c = 0; c < kColumns; ++c) {
        Cell& m = merged[c / 2];
        const Cell& x = cells_[c];
        m.fwd_lo = std::min(m.fwd_lo, x.fwd_lo);
        m.fwd_hi = std::max(m.fwd_hi, x.fwd_hi);
        m.rev_lo = std::min(m.rev_lo, x.rev_lo);
        m.rev_hi = std::max(m.rev_hi, x.rev_hi);
        if (!x.occupancy.empty()) {
          if (m.occupancy.empty()) m.occupancy.assign(levels_, 0);
          for (std::size_t k = 0; k < levels_; ++k) {
            m.occupancy[k] = std::max(m.occupancy[k], x.occupancy[k]);
          }
        }
      }
      cells_ = std::move(merged);
      width_ *= 2;
    }
  }

  std::size_t levels_;
  double width_ = 0.0;  // unset until the first positive time
  std::vector<Cell> cells_ = std::vector<Cell>(kColumns);
};

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(6);
  s << v;
  return s.str();
}

}  // namespace

SimulationReport write_schedule_svg(std::ostream& out, ActionStream& stream, const Chain& chain,
                                    const Platform& platform) {
  const Step n = chain.num_steps();
  const bool use_cost = chain.forward_cost(0, n) + chain.adjoint_cost(0, n) > 0;
  const std::size_t levels = platform.num_levels();
  std::vector<Segment> segments;
  std::vector<Bar> bars;
  std::map<std::tuple<std::size_t, Step, bool>, double> open_bars;  // written, not yet released
  std::vector<std::vector<std::pair<double, std::int64_t>>> occupancy(levels);
  bool exact = true;
  Columns columns(levels);
  double previous = 0.0;
  std::int64_t index = 0;

  Simulator simulator(chain, platform);
  while (std::optional<Action> next = stream.next()) {
    const Action& a = *next;
    simulator.apply(a);
    ++index;
    const double now = use_cost ? simulator.time() : static_cast<double>(index);
    if (a.kind == ActionKind::kForward || a.kind == ActionKind::kReverse) {
      const bool reverse = a.kind == ActionKind::kReverse;
      const Step y0 = reverse ? a.end : a.begin;
      const Step y1 = reverse ? a.begin : a.end;
      columns.add_range(previous, now, y0, y1, reverse);
      if (exact) segments.push_back({previous, now, y0, y1, reverse ? 2 : (a.flag ? 1 : 0)});
    }
    auto touch_level = [&](Place place) {
      if (place < 0) return;
      const auto level = static_cast<std::size_t>(place);
      const std::int64_t count = simulator.occupancy(level);
      columns.add_occupancy(now, level, count);
      if (exact) occupancy[level].emplace_back(now, count);
    };
    if (a.kind == ActionKind::kCopy || a.kind == ActionKind::kMove || a.kind == ActionKind::kFree) {
      const bool tape = a.content == Content::kTape;
      if (a.kind != ActionKind::kCopy && a.from >= 0) {
        const auto key = std::make_tuple(static_cast<std::size_t>(a.from), a.step, tape);
        auto it = open_bars.find(key);
        if (it != open_bars.end()) {
          if (exact) bars.push_back({it->second, now, a.step, std::get<0>(key), tape});
          open_bars.erase(it);
        }
      }
      if (a.kind != ActionKind::kFree && a.to >= 0) {
        open_bars[std::make_tuple(static_cast<std::size_t>(a.to), a.step, tape)] = now;
      }
      touch_level(a.from);
      touch_level(a.to);
    }
    if (exact && static_cast<std::size_t>(index) > kExactActions) {
      exact = false;
      segments.clear();
      bars.clear();
      occupancy.assign(levels, {});
    }
    previous = now;
  }
  const SimulationReport report = simulator.finish();
  const double total = std::max(previous, 1e-12);

  std::int64_t max_slots = 1;
  for (const LevelUsage& use : report.levels) max_slots = std::max(max_slots, use.peak);
  const double mem_top = kTop + kHeight + kGap;
  const double height = mem_top + kMemHeight + 50;
  auto x = [&](double t) { return kLeft + kWidth * t / total; };
  auto y = [&](double step) { return kTop + kHeight * step / static_cast<double>(n); };
  auto ym = [&](double count) {
    return mem_top + kMemHeight - kMemHeight * count / static_cast<double>(max_slots);
  };

  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kLeft + kWidth + 160
      << "\" height=\"" << height << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  out << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  out << "<text x=\"" << kLeft << "\" y=\"20\" font-size=\"14\">" << n << " steps, "
      << report.forward_steps << " forward steps, cost " << fmt(report.cost) << "</text>\n";
  // Axes.
  out << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kWidth << "\" height=\""
      << kHeight << "\" fill=\"none\" stroke=\"#ccc\"/>\n";
  out << "<text x=\"10\" y=\"" << kTop + 4 << "\">step 0</text>\n";
  out << "<text x=\"10\" y=\"" << kTop + kHeight << "\">step " << n << "</text>\n";
  out << "<text x=\"" << kLeft + kWidth / 2 << "\" y=\"" << height - 10 << "\">"
      << (use_cost ? "time (cost units)" : "action index") << ", 0 to " << fmt(total)
      << "</text>\n";
  if (exact) {
    const double bar_width = std::max(1.0, std::min(6.0, kHeight / static_cast<double>(n) / 2));
    for (const Bar& b : bars) {
      out << "<line x1=\"" << fmt(x(b.t0)) << "\" y1=\"" << fmt(y(static_cast<double>(b.step)))
          << "\" x2=\"" << fmt(x(b.t1)) << "\" y2=\"" << fmt(y(static_cast<double>(b.step)))
          << "\" stroke=\"" << level_color(b.level) << "\" stroke-opacity=\"0.45\" stroke-width=\""
          << fmt(bar_width) << "\"" << (b.tape ? " stroke-dasharray=\"4 2\"" : "") << "/>\n";
    }
    for (const Segment& s : segments) {
      static const char* const colors[] = {"black", "#ff7f0e", "#1f77b4"};
      out << "<line x1=\"" << fmt(x(s.t0)) << "\" y1=\"" << fmt(y(static_cast<double>(s.y0)))
          << "\" x2=\"" << fmt(x(s.t1)) << "\" y2=\"" << fmt(y(static_cast<double>(s.y1)))
          << "\" stroke=\"" << colors[s.kind] << "\" stroke-width=\"" << (s.kind == 2 ? 2 : 1)
          << "\"/>\n";
    }
    for (std::size_t k = 0; k < levels; ++k) {
      out << "<polyline fill=\"none\" stroke=\"" << level_color(k) << "\" points=\"" << fmt(x(0))
          << "," << fmt(ym(0));
      std::int64_t last = 0;
      for (const auto& [t, count] : occupancy[k]) {
        out << " " << fmt(x(t)) << "," << fmt(ym(static_cast<double>(last))) << " " << fmt(x(t))
            << "," << fmt(ym(static_cast<double>(count)));
        last = count;
      }
      out << " " << fmt(x(total)) << "," << fmt(ym(static_cast<double>(last))) << "\"/>\n";
    }
  } else {
    const double w = columns.width();
    std::vector<std::int64_t> last(levels, 0);
    std::vector<std::string> lines(levels);
    for (std::size_t c = 0; c < columns.cells().size(); ++c) {
      const auto& cell = columns.cells()[c];
      const double cx = x((static_cast<double>(c) + 0.5) * w);
      if (cx > kLeft + kWidth) break;
      if (cell.fwd_lo <= cell.fwd_hi) {
        out << "<line x1=\"" << fmt(cx) << "\" y1=\"" << fmt(y(cell.fwd_lo)) << "\" x2=\""
            << fmt(cx) << "\" y2=\"" << fmt(y(cell.fwd_hi) + 0.5) << "\" stroke=\"black\"/>\n";
      }
      if (cell.rev_lo <= cell.rev_hi) {
        out << "<line x1=\"" << fmt(cx) << "\" y1=\"" << fmt(y(cell.rev_lo)) << "\" x2=\""
            << fmt(cx) << "\" y2=\"" << fmt(y(cell.rev_hi) + 0.5)
            << "\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n";
      }
      for (std::size_t k = 0; k < levels; ++k) {
        if (!cell.occupancy.empty()) last[k] = cell.occupancy[k];
        lines[k] += " " + fmt(cx) + "," + fmt(ym(static_cast<double>(last[k])));
      }
    }
    for (std::size_t k = 0; k < levels; ++k) {
      out << "<polyline fill=\"none\" stroke=\"" << level_color(k) << "\" points=\"" << lines[k]
          << "\"/>\n";
    }
    out << "<text x=\"" << kLeft << "\" y=\"" << kTop - 6
        << "\" fill=\"#666\">aggregated: each column shows the positions it covers</text>\n";
  }
  out << "<rect x=\"" << kLeft << "\" y=\"" << mem_top << "\" width=\"" << kWidth << "\" height=\""
      << kMemHeight << "\" fill=\"none\" stroke=\"#ccc\"/>\n";
  out << "<text x=\"10\" y=\"" << mem_top + 10 << "\">" << max_slots << "</text>\n";
  out << "<text x=\"10\" y=\"" << mem_top + kMemHeight << "\">0</text>\n";
  out << "<text x=\"10\" y=\"" << mem_top - 8 << "\">checkpoints held per level</text>\n";
  // Legend.
  double ly = kTop + 10;
  auto legend = [&](const std::string& color, const std::string& label) {
    out << "<line x1=\"" << kLeft + kWidth + 15 << "\" y1=\"" << ly << "\" x2=\""
        << kLeft + kWidth + 35 << "\" y2=\"" << ly << "\" stroke=\"" << color
        << "\" stroke-width=\"3\"/><text x=\"" << kLeft + kWidth + 40 << "\" y=\"" << ly + 4
        << "\">" << label << "</text>\n";
    ly += 18;
  };
  legend("black", "forward");
  legend("#ff7f0e", "recording");
  legend("#1f77b4", "adjoint");
  for (std::size_t k = 0; k < levels; ++k) legend(level_color(k), platform.level(k).name);
  out << "</svg>\n";
  return report;
}

}  // namespace memsched
