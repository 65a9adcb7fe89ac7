// Measures the online planner against the offline optimum: forward steps of the online
// schedule (length revealed only after the last step) divided by n + t(n, c), for n up to
// 10^6. Prints a Markdown table and writes an SVG plot (docs/online.md shows both).
//
//     build/release/bench/online_ratio [max_n] [plot.svg]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "memsched/plan/binomial.hpp"
#include "memsched/plan/online.hpp"

namespace {

using memsched::OnlineCheckpointer;
using memsched::OnlinePolicy;
using memsched::Step;

struct Series {
  std::int64_t slots;
  OnlinePolicy policy;
  std::vector<std::pair<Step, double>> points;  // (n, ratio)
};

// Sample points: about 24 per decade, plus the bracket ends beta(c, r) of the repetition
// numbers, where the offline optimum changes slope.
std::vector<Step> samples(Step max_n, std::int64_t c) {
  std::vector<Step> n;
  for (double x = 0.0; x <= std::log10(static_cast<double>(max_n)) + 1e-9; x += 1.0 / 24) {
    n.push_back(static_cast<Step>(std::llround(std::pow(10.0, x))));
  }
  for (std::int64_t r = 1; memsched::beta(c, r) <= max_n; ++r) n.push_back(memsched::beta(c, r));
  std::sort(n.begin(), n.end());
  n.erase(std::unique(n.begin(), n.end()), n.end());
  return n;
}

// Online forward steps when the run ends after step n - 1: the n-step sweep, n recordings and
// the reversal's advances for the states held.
Series measure(Step max_n, std::int64_t c, OnlinePolicy policy) {
  Series series{c, policy, {}};
  OnlineCheckpointer planner(c, 0, policy);
  for (Step n : samples(max_n, c)) {
    while (planner.steps_begun() < n) planner.decide_step();
    const std::int64_t online =
        2 * n + memsched::online_reversal_advances(planner.checkpoints(), n, c);
    series.points.push_back({n, static_cast<double>(online) /
                                    static_cast<double>(memsched::revolve_forward_steps(n, c))});
  }
  return series;
}

double ratio_at(const Series& s, Step n) {
  for (const auto& [m, r] : s.points) {
    if (m == n) return r;
  }
  return NAN;
}

void write_svg(const std::vector<Series>& all, Step max_n, const std::string& path) {
  const double width = 720, height = 420, left = 60, right = 150, top = 20, bottom = 50;
  const double y_min = 1.0, y_max = 1.35;
  const double x_max = std::log10(static_cast<double>(max_n));
  auto px = [&](double n) { return left + (width - left - right) * std::log10(n) / x_max; };
  auto py = [&](double r) {
    return top + (height - top - bottom) * (1.0 - (std::min(r, y_max) - y_min) / (y_max - y_min));
  };
  const char* colours[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"};
  std::ofstream out(path);
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  out << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (int d = 0; d <= static_cast<int>(x_max); ++d) {
    const double x = px(std::pow(10.0, d));
    out << "<line x1=\"" << x << "\" y1=\"" << top << "\" x2=\"" << x << "\" y2=\""
        << height - bottom << "\" stroke=\"#ddd\"/>\n";
    out << "<text x=\"" << x << "\" y=\"" << height - bottom + 16 << "\" text-anchor=\"middle\">10^"
        << d << "</text>\n";
  }
  for (double r = y_min; r <= y_max + 1e-9; r += 0.05) {
    const double y = py(r);
    out << "<line x1=\"" << left << "\" y1=\"" << y << "\" x2=\"" << width - right << "\" y2=\""
        << y << "\" stroke=\"#ddd\"/>\n";
    char label[16];
    std::snprintf(label, sizeof label, "%.2f", r);
    out << "<text x=\"" << left - 6 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\">" << label
        << "</text>\n";
  }
  out << "<text x=\"" << (left + width - right) / 2 << "\" y=\"" << height - 12
      << "\" text-anchor=\"middle\">n (steps, log scale)</text>\n";
  out << "<text x=\"14\" y=\"" << (top + height - bottom) / 2 << "\" transform=\"rotate(-90 14 "
      << (top + height - bottom) / 2
      << ")\" text-anchor=\"middle\">online / offline forward steps</text>\n";
  std::size_t index = 0;
  std::vector<std::int64_t> slot_values;
  for (const Series& s : all) {
    std::size_t colour = 0;
    while (colour < slot_values.size() && slot_values[colour] != s.slots) ++colour;
    if (colour == slot_values.size()) slot_values.push_back(s.slots);
    const bool dashed = s.policy == OnlinePolicy::kWangMoinIaccarino;
    out << "<polyline fill=\"none\" stroke=\"" << colours[colour % 6] << "\" stroke-width=\"1.5\""
        << (dashed ? " stroke-dasharray=\"5,3\"" : "") << " points=\"";
    for (const auto& [n, r] : s.points) out << px(static_cast<double>(n)) << ',' << py(r) << ' ';
    out << "\"/>\n";
    const double y = top + 16.0 * static_cast<double>(index);
    out << "<line x1=\"" << width - right + 10 << "\" y1=\"" << y << "\" x2=\""
        << width - right + 34 << "\" y2=\"" << y << "\" stroke=\"" << colours[colour % 6]
        << "\" stroke-width=\"1.5\"" << (dashed ? " stroke-dasharray=\"5,3\"" : "") << "/>\n";
    out << "<text x=\"" << width - right + 40 << "\" y=\"" << y + 4 << "\">c = " << s.slots
        << (dashed ? " WMI" : " greedy") << "</text>\n";
    ++index;
  }
  out << "</svg>\n";
}

}  // namespace

int main(int argc, char** argv) {
  const Step max_n = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const std::string svg = argc > 2 ? argv[2] : "online_ratio.svg";
  const std::int64_t slot_grid[] = {2, 5, 10, 20, 50};
  std::vector<Series> all;
  for (OnlinePolicy policy : {OnlinePolicy::kRevolveGreedy, OnlinePolicy::kWangMoinIaccarino}) {
    for (std::int64_t c : slot_grid) all.push_back(measure(max_n, c, policy));
  }
  std::printf(
      "| policy | c | n = 10 | 10^2 | 10^3 | 10^4 | 10^5 | 10^6 | worst for n >= 100 (at n) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const Series& s : all) {
    std::printf("| %s | %lld |",
                s.policy == OnlinePolicy::kRevolveGreedy ? "revolve-greedy" : "Wang-Moin-Iaccarino",
                static_cast<long long>(s.slots));
    for (Step n = 10; n <= 1'000'000; n *= 10) {
      if (n <= max_n) {
        std::printf(" %.4f |", ratio_at(s, n));
      } else {
        std::printf(" |");
      }
    }
    double worst = 0;
    Step worst_n = 0;
    for (const auto& [n, r] : s.points) {
      if (n >= 100 && r > worst) {
        worst = r;
        worst_n = n;
      }
    }
    std::printf(" %.4f (%lld) |\n", worst, static_cast<long long>(worst_n));
  }
  write_svg(all, max_n, svg);
  return 0;
}
