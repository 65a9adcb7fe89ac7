// Tests of the graph simulator: costs of legal schedules, index and reason of illegal steps.
#include "memsched/graph/simulate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "memsched/errors.hpp"

namespace memsched::graph {
namespace {

using ::testing::HasSubstr;

// a -> b -> c, a -> c.
Graph small() {
  return Graph({{"a", 1.0, 4, 0}, {"b", 2.0, 2, 3}, {"c", 0.5, 1, 0}},
               std::vector<GraphEdge>{{0, 1}, {1, 2}, {0, 2}});
}

using Op = GraphOp;

TEST(GraphSimulate, CostsALegalScheduleWithRecomputation) {
  const Graph g = small();
  // a, b, free a, load-free dance, recompute a, c.
  const GraphSchedule s{Op::compute(0), Op::compute(1), Op::free(0), Op::compute(0),
                        Op::compute(2), Op::free(0),    Op::free(1)};
  GraphSimulateOptions options;
  options.record_timeline = true;
  const GraphSimulation r = simulate(g, s, options);
  EXPECT_DOUBLE_EQ(r.compute_time, 1 + 2 + 1 + 0.5);
  EXPECT_EQ(r.peak, 4 + 2 + 3);  // b runs with a resident
  EXPECT_EQ(r.num_computes, 4);
  EXPECT_EQ(r.num_recomputes, 1);
  ASSERT_EQ(r.timeline.size(), s.size());
  EXPECT_EQ(r.timeline[4].memory, 2 + 4 + 1);
  EXPECT_DOUBLE_EQ(r.timeline[4].start, 4.0);
}

TEST(GraphSimulate, StoreAndLoad) {
  const Graph g = small();
  const GraphSchedule s{Op::compute(0), Op::store(0),   Op::free(0),
                        Op::load(0),    Op::compute(1), Op::compute(2)};
  GraphSimulateOptions options;
  options.store_time_per_byte = 0.5;
  options.load_time_per_byte = 0.25;
  const GraphSimulation r = simulate(g, s, options);
  EXPECT_EQ(r.io_bytes, 8);
  EXPECT_DOUBLE_EQ(r.time, 3.5 + 2.0 + 1.0);
}

int failing_step(const Graph& g, const GraphSchedule& s, std::string* reason) {
  try {
    (void)simulate(g, s);
  } catch (const ScheduleError& e) {
    *reason = e.what();
    return static_cast<int>(e.action_index());
  }
  return -1;
}

TEST(GraphSimulate, RejectsIllegalSteps) {
  const Graph g = small();
  std::string reason;
  EXPECT_EQ(failing_step(g, {Op::compute(1)}, &reason), 0);
  EXPECT_THAT(reason, HasSubstr("predecessor 'a' is not resident"));
  EXPECT_EQ(failing_step(g, {Op::compute(0), Op::compute(0)}, &reason), 1);
  EXPECT_THAT(reason, HasSubstr("already resident"));
  EXPECT_EQ(failing_step(g, {Op::compute(0), Op::free(1)}, &reason), 1);
  EXPECT_THAT(reason, HasSubstr("'b' is not resident"));
  EXPECT_EQ(failing_step(g, {Op::compute(0), Op::compute(1), Op::compute(2), Op::free(2)}, &reason),
            4);
  EXPECT_THAT(reason, HasSubstr("sink 'c' is not resident at the end"));
  EXPECT_EQ(failing_step(g, {Op::load(0)}, &reason), 0);
  EXPECT_THAT(reason, HasSubstr("not on the slow level"));
  EXPECT_EQ(failing_step(g, {Op::compute(7)}, &reason), 0);
  EXPECT_THAT(reason, HasSubstr("out of range"));
}

TEST(GraphSimulate, TraversalScheduleFreesAfterLastConsumer) {
  const Graph g = small();
  const GraphSchedule s = traversal_schedule(g, {0, 1, 2});
  EXPECT_EQ(
      s, (GraphSchedule{Op::compute(0), Op::compute(1), Op::compute(2), Op::free(1), Op::free(0)}));
  EXPECT_EQ(simulate(g, s).peak, order_peak(g, {0, 1, 2}));
  EXPECT_THROW((void)order_peak(g, {1, 0, 2}), std::invalid_argument);
  EXPECT_THROW((void)order_peak(g, {0, 1}), std::invalid_argument);
  EXPECT_THROW((void)order_peak(g, {0, 0, 2}), std::invalid_argument);
}

}  // namespace
}  // namespace memsched::graph
