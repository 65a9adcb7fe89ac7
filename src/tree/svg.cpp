// SVG output for tree traversals and parallel schedules (plain text, no dependencies).
#include "memsched/tree/svg.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

namespace memsched {

namespace {

constexpr double kWidth = 900.0;
constexpr double kMargin = 40.0;

// A step plot of (x, y) samples scaled into the box [x0, x0 + w] x [y0, y0 + h].
void step_plot(std::ostream& out, const std::vector<std::pair<double, double>>& samples,
               double x_max, double y_max, double x0, double y0, double w, double h, double bound) {
  const double top = std::max({y_max, bound, 1.0});
  const double right = std::max(x_max, 1e-12);
  auto sx = [&](double x) { return x0 + w * x / right; };
  auto sy = [&](double y) { return y0 + h - h * y / top; };
  out << "<rect x='" << x0 << "' y='" << y0 << "' width='" << w << "' height='" << h
      << "' fill='none' stroke='#999'/>\n";
  out << "<polyline fill='none' stroke='#1f77b4' stroke-width='1.5' points='";
  double last_y = 0.0;
  for (const auto& [x, y] : samples) {
    out << sx(x) << ',' << sy(last_y) << ' ' << sx(x) << ',' << sy(y) << ' ';
    last_y = y;
  }
  out << sx(right) << ',' << sy(last_y) << "'/>\n";
  if (bound > 0) {
    out << "<line x1='" << x0 << "' x2='" << x0 + w << "' y1='" << sy(bound) << "' y2='"
        << sy(bound) << "' stroke='#d62728' stroke-dasharray='6,4'/>\n"
        << "<text x='" << x0 + w - 4 << "' y='" << sy(bound) - 4
        << "' text-anchor='end' fill='#d62728'>bound " << bound << "</text>\n";
  }
  out << "<line x1='" << x0 << "' x2='" << x0 + w << "' y1='" << sy(y_max) << "' y2='" << sy(y_max)
      << "' stroke='#2ca02c' stroke-dasharray='2,3'/>\n"
      << "<text x='" << x0 + 4 << "' y='" << sy(y_max) + 12 << "' fill='#2ca02c'>peak " << y_max
      << "</text>\n";
}

}  // namespace

void write_traversal_svg(std::ostream& out, const Tree& tree, const Traversal& traversal) {
  const std::vector<Memory> profile = memory_profile(tree, traversal.order);
  const auto n = static_cast<std::size_t>(tree.num_nodes());
  const bool draw_tree = tree.num_nodes() <= kMaxSvgTreeNodes;
  std::vector<double> x(n, 0.0), depth(n, 0.0);
  double max_depth = 0.0;
  double leaves = 0.0;
  if (draw_tree) {
    for (auto it = tree.postorder().rbegin(); it != tree.postorder().rend(); ++it) {
      const NodeId p = tree.parent(*it);
      depth[static_cast<std::size_t>(*it)] = p < 0 ? 0.0 : depth[static_cast<std::size_t>(p)] + 1;
      max_depth = std::max(max_depth, depth[static_cast<std::size_t>(*it)]);
    }
    for (NodeId v : tree.postorder()) {
      const auto vi = static_cast<std::size_t>(v);
      if (tree.num_children(v) == 0) {
        x[vi] = leaves++;
      } else {
        double sum = 0.0;
        for (const NodeId* c = tree.children_begin(v); c != tree.children_end(v); ++c) {
          sum += x[static_cast<std::size_t>(*c)];
        }
        x[vi] = sum / static_cast<double>(tree.num_children(v));
      }
    }
  }
  const double tree_height = draw_tree ? 60.0 * (max_depth + 1) : 0.0;
  const double plot_top = kMargin + tree_height + 20;
  const double height = plot_top + 220 + kMargin;
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kWidth << "' height='" << height
      << "' font-family='sans-serif' font-size='11'>\n"
      << "<text x='" << kMargin << "' y='20'>traversal of " << n << " nodes, peak "
      << traversal.peak << "</text>\n";
  if (draw_tree) {
    std::vector<std::int64_t> step(n);
    for (std::size_t k = 0; k < n; ++k)
      step[static_cast<std::size_t>(traversal.order[k])] = static_cast<std::int64_t>(k) + 1;
    const double span = std::max(leaves - 1, 1.0);
    auto px = [&](std::size_t v) { return kMargin + (kWidth - 2 * kMargin) * x[v] / span; };
    auto py = [&](std::size_t v) { return kMargin + 60.0 * depth[v] + 10; };
    for (std::size_t v = 0; v < n; ++v) {
      const NodeId p = tree.parent(static_cast<NodeId>(v));
      if (p < 0) continue;
      out << "<line x1='" << px(v) << "' y1='" << py(v) << "' x2='"
          << px(static_cast<std::size_t>(p)) << "' y2='" << py(static_cast<std::size_t>(p))
          << "' stroke='#888'/>\n";
    }
    for (std::size_t v = 0; v < n; ++v) {
      out << "<circle cx='" << px(v) << "' cy='" << py(v) << "' r='11' fill='#fff' stroke='#333'>"
          << "<title>node " << v << ": f=" << tree.output_size(static_cast<NodeId>(v))
          << " m=" << tree.exec_memory(static_cast<NodeId>(v))
          << " w=" << tree.work(static_cast<NodeId>(v)) << "</title></circle>\n"
          << "<text x='" << px(v) << "' y='" << py(v) + 4 << "' text-anchor='middle' "
          << "font-weight='bold'>" << step[v] << "</text>\n"
          << "<text x='" << px(v) + 13 << "' y='" << py(v) - 8 << "' fill='#666'>" << v
          << "</text>\n";
    }
  }
  std::vector<std::pair<double, double>> samples;
  for (std::size_t k = 0; k < profile.size(); ++k) {
    samples.emplace_back(static_cast<double>(k), static_cast<double>(profile[k]));
  }
  out << "<text x='" << kMargin << "' y='" << plot_top - 6
      << "'>memory during each step (bold numbers above)</text>\n";
  step_plot(out, samples, static_cast<double>(profile.size()), static_cast<double>(traversal.peak),
            kMargin, plot_top, kWidth - 2 * kMargin, 200, 0);
  out << "</svg>\n";
}

void write_parallel_svg(std::ostream& out, const Tree& tree, const ParallelSchedule& schedule,
                        std::int64_t processors, Memory memory_bound) {
  const ParallelReport report =
      simulate_parallel(tree, schedule.runs, processors, schedule.start_order);
  const double row = std::clamp(300.0 / static_cast<double>(processors), 3.0, 24.0);
  const double gantt_height = row * static_cast<double>(processors);
  const double plot_top = kMargin + gantt_height + 30;
  const double height = plot_top + 220 + kMargin;
  const double w = kWidth - 2 * kMargin;
  const double span = std::max(report.makespan, 1e-12);
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kWidth << "' height='" << height
      << "' font-family='sans-serif' font-size='11'>\n"
      << "<text x='" << kMargin << "' y='20'>" << processors << " processors, makespan "
      << report.makespan << ", peak " << report.peak << "</text>\n";
  for (NodeId v = 0; v < tree.num_nodes(); ++v) {
    const TaskRun& r = schedule.runs[static_cast<std::size_t>(v)];
    const double x0 = kMargin + w * r.start / span;
    const double width = std::max(w * (r.end - r.start) / span, 0.5);
    out << "<rect x='" << x0 << "' y='" << kMargin + row * static_cast<double>(r.processor)
        << "' width='" << width << "' height='" << row * 0.9 << "' fill='hsl(" << (v * 47) % 360
        << ",55%,65%)' stroke='#333' stroke-width='0.3'><title>node " << v << " [" << r.start
        << ", " << r.end << ")</title></rect>\n";
  }
  std::vector<std::pair<double, double>> samples;
  for (const MemorySample& s : report.timeline) {
    samples.emplace_back(s.time, static_cast<double>(s.memory));
  }
  out << "<text x='" << kMargin << "' y='" << plot_top - 6 << "'>memory over time</text>\n";
  step_plot(out, samples, report.makespan, static_cast<double>(report.peak), kMargin, plot_top, w,
            200, static_cast<double>(memory_bound));
  out << "</svg>\n";
}

}  // namespace memsched
