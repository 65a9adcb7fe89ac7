// Tests of the Graph model: adjacency, topological order and validation errors.
#include "memsched/graph/graph.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace memsched::graph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Graph diamond() {
  return Graph({{"d", 1.0, 1, 0}, {"b", 2.0, 2, 1}, {"c", 1.0, 3, 0}, {"a", 1.0, 4, 0}},
               std::vector<std::pair<std::string, std::string>>{
                   {"a", "b"}, {"a", "c"}, {"b", "d"}, {"c", "d"}});
}

std::string error_of(std::vector<GraphNode> nodes,
                     std::vector<std::pair<std::string, std::string>> edges) {
  try {
    Graph g(std::move(nodes), edges);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(Graph, Adjacency) {
  const Graph g = diamond();
  EXPECT_EQ(g.num_nodes(), 4);
  EXPECT_EQ(g.num_edges(), 4);
  EXPECT_THAT(g.topological_order(), ElementsAre(3, 1, 2, 0));
  EXPECT_THAT(g.sinks(), ElementsAre(0));
  EXPECT_EQ(g.sink_bytes(), 1);
  EXPECT_EQ(g.input_bytes(0), 5);
  EXPECT_EQ(g.own_requirement(1), 4 + 2 + 1);
  EXPECT_EQ(g.index_of("c"), 2);
  EXPECT_FALSE(g.find("z").has_value());
  EXPECT_THROW((void)g.index_of("z"), std::out_of_range);
  EXPECT_EQ(g.successors(3).size(), 2U);
  EXPECT_DOUBLE_EQ(g.total_time(), 5.0);
  EXPECT_EQ(Graph(g.nodes(), g.edges()), g);
}

TEST(Graph, RejectsBadInput) {
  EXPECT_THAT(error_of({}, {}), HasSubstr("no node"));
  EXPECT_THAT(error_of({{"a", 1, 1, 0}, {"a", 1, 1, 0}}, {}), HasSubstr("repeats"));
  EXPECT_THAT(error_of({{"", 1, 1, 0}}, {}), HasSubstr("empty id"));
  EXPECT_THAT(error_of({{"a", -1, 1, 0}}, {}), HasSubstr("time"));
  EXPECT_THAT(error_of({{"a", std::nan(""), 1, 0}}, {}), HasSubstr("time"));
  EXPECT_THAT(error_of({{"a", 1, -1, 0}}, {}), HasSubstr("bytes -1"));
  EXPECT_THAT(error_of({{"a", 1, 0, Bytes{1} << 51}}, {}), HasSubstr("temp_bytes"));
  EXPECT_THAT(error_of({{"a", 1, 1, 0}}, {{"a", "b"}}), HasSubstr("unknown node 'b'"));
  EXPECT_THAT(error_of({{"a", 1, 1, 0}, {"b", 1, 1, 0}}, {{"a", "b"}, {"a", "b"}}),
              HasSubstr("given twice"));
  EXPECT_THAT(error_of({{"a", 1, 1, 0}}, {{"a", "a"}}), HasSubstr("cycle through node 'a'"));
  EXPECT_THAT(error_of({{"s", 1, 1, 0}, {"a", 1, 1, 0}, {"b", 1, 1, 0}, {"c", 1, 1, 0}},
                       {{"s", "a"}, {"a", "b"}, {"b", "c"}, {"c", "a"}}),
              HasSubstr("cycle through node"));
  EXPECT_THROW(Graph({{"a", 1, 1, 0}}, std::vector<GraphEdge>{{0, 1}}), std::invalid_argument);
}

}  // namespace
}  // namespace memsched::graph
