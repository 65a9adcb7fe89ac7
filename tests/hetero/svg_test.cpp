// Tests of the heterogeneous-chain SVG writers: well-formed documents with one bar per
// operation that takes time, and clear errors for inconsistent input.
#include "memsched/hetero/svg.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "hetero/random_chain.hpp"

namespace memsched {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    n += 1;
  }
  return n;
}

TEST(HeteroSvg, ScheduleHasOneBarPerTimedOperation) {
  const HeteroChain chain = testing::chain_a();
  const std::optional<HeteroPlan> plan = plan_persistent(chain, 13, {});
  ASSERT_TRUE(plan.has_value());
  std::vector<HeteroTimelineEntry> timeline;
  const HeteroReport report = simulate(plan->schedule, chain, 13, {}, &timeline);
  std::ostringstream out;
  write_hetero_schedule_svg(out, plan->schedule, timeline, 13, report.makespan);
  const std::string svg = out.str();
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>\n"), std::string::npos);
  std::size_t timed = 0;
  for (const HeteroTimelineEntry& e : timeline) timed += e.end > e.start ? 1 : 0;
  EXPECT_EQ(count(svg, "<rect"), timed + 1);  // the bars and the background
  EXPECT_EQ(count(svg, "<title>"), timed);

  timeline.pop_back();
  std::ostringstream ignored;
  EXPECT_THROW(write_hetero_schedule_svg(ignored, plan->schedule, timeline, 13, report.makespan),
               std::invalid_argument);
}

TEST(HeteroSvg, CurveIsAStepPlot) {
  const HeteroChain chain = testing::chain_a();
  const std::vector<CurvePoint> curve = memory_time_curve(chain, {});
  ASSERT_FALSE(curve.empty());
  std::ostringstream out;
  write_memory_time_curve_svg(out, curve);
  const std::string svg = out.str();
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(count(svg, "<polyline"), 1u);
  // Two points per curve point but the first, and one more for the flat end.
  const std::size_t begin = svg.find("points=\"") + 8;
  const std::string points = svg.substr(begin, svg.find('"', begin) - begin);
  EXPECT_EQ(count(points, ","), 2 * curve.size());
  std::ostringstream ignored;
  EXPECT_THROW(write_memory_time_curve_svg(ignored, {}), std::invalid_argument);
}

}  // namespace
}  // namespace memsched
