// Tests of the SVG pictures: exact and aggregated drawings of legal schedules only.
#include "memsched/chain/svg.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "memsched/errors.hpp"
#include "memsched/plan/revolve.hpp"

namespace memsched {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

TEST(Svg, DrawsEveryActionOfSmallSchedules) {
  std::ostringstream out;
  RevolveStream stream(60, 4);
  const SimulationReport report = write_schedule_svg(out, stream, Chain(60), Platform::ram(4));
  const std::string svg = out.str();
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(report.forward_steps, 60 + 184);
  // One line per Forward and Reverse action and one bar per checkpoint, plus the legend.
  EXPECT_GT(count(svg, "<line"), static_cast<std::size_t>(report.num_actions) / 2);
  EXPECT_EQ(svg.find("aggregated"), std::string::npos);
}

TEST(Svg, AggregatesLargeSchedules) {
  std::ostringstream out;
  RevolveStream stream(100000, 10);
  write_schedule_svg(out, stream, Chain(100000), Platform::ram(10));
  const std::string svg = out.str();
  EXPECT_NE(svg.find("aggregated"), std::string::npos);
  EXPECT_LT(svg.size(), 1000000u);  // bounded whatever n
}

TEST(Svg, AggregatesAtAnyTimeScale) {
  // Costs in seconds of microsecond steps: the columns must follow the time unit.
  for (double unit : {1e-6, 1.0, 1e6}) {
    std::ostringstream out;
    RevolveStream stream(30000, 8);
    write_schedule_svg(out, stream, Chain(30000, unit, unit), Platform::ram(8));
    EXPECT_GT(count(out.str(), "<line"), 500u) << unit;
  }
}

TEST(Svg, RefusesIllegalSchedules) {
  std::ostringstream out;
  const Schedule bad = {Action::forward(1, 2)};
  ScheduleStream stream(bad);
  EXPECT_THROW(write_schedule_svg(out, stream, Chain(2), Platform::ram(1)), ScheduleError);
}

}  // namespace
}  // namespace memsched
