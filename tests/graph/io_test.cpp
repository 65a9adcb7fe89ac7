// Tests of graph JSON files: the format, round trips and hostile input.
#include "memsched/graph/io.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "memsched/errors.hpp"

namespace memsched::graph {
namespace {

// The JSON text the writer produces, for comparisons.
std::string json_text(const Graph& value) {
  std::ostringstream out;
  write_graph_json(out, value);
  return out.str();
}

using ::testing::HasSubstr;

TEST(GraphIo, ReadsTheContractFormat) {
  const Graph g = read_graph_json(
      R"({"nodes": [{"id": "a", "time": 1.5, "bytes": 100, "temp_bytes": 7},
                    {"id": "b", "bytes": 50}], "edges": [["a", "b"]]})");
  EXPECT_EQ(g.num_nodes(), 2);
  EXPECT_DOUBLE_EQ(g.time(0), 1.5);
  EXPECT_DOUBLE_EQ(g.time(1), 1.0);  // default
  EXPECT_EQ(g.temp_bytes(0), 7);
  EXPECT_EQ(g.temp_bytes(1), 0);  // default
  EXPECT_EQ(g.num_edges(), 1);
  EXPECT_EQ(read_graph_json(json_text(g)), g);
}

TEST(GraphIo, RoundTripsExactTimes) {
  const Graph g({{"x", 0.1, 3, 0}, {"y", 1e-300, 0, 5}}, std::vector<GraphEdge>{{0, 1}});
  EXPECT_EQ(read_graph_json(json_text(g)), g);
}

int line_of(const std::string& text) {
  try {
    (void)read_graph_json(text);
  } catch (const ParseError& e) {
    return static_cast<int>(e.line());
  }
  return -1;
}

std::string error_of(const std::string& text) {
  try {
    (void)read_graph_json(text);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "no error";
}

TEST(GraphIo, RejectsMalformedInput) {
  EXPECT_EQ(line_of("{\"nodes\": [\n{\"id\": \"a\", \"bytes\": 1},\n{oops}]}"), 3);
  EXPECT_THAT(error_of(""), HasSubstr("malformed JSON"));
  EXPECT_THAT(error_of("[]"), HasSubstr("must be an object"));
  EXPECT_THAT(error_of(R"({"nodes": [{"id": "a"}]})"), HasSubstr("missing \"bytes\""));
  EXPECT_THAT(error_of(R"({"nodes": [{"id": "a", "bytes": -1}]})"), HasSubstr(">= 0"));
  EXPECT_THAT(error_of(R"({"nodes": [{"id": "a", "bytes": 1.5}]})"), HasSubstr("whole number"));
  EXPECT_THAT(error_of(R"({"nodes": [{"id": "a", "bytes": 1, "time": -2}]})"), HasSubstr("time"));
  EXPECT_THAT(error_of(R"({"nodes": [{"id": "a", "bytes": 1, "colour": 2}]})"),
              HasSubstr("unknown key \"colour\""));
  EXPECT_THAT(error_of(R"({"nodes": [{"id": "a", "bytes": 1}], "edges": [["a"]]})"),
              HasSubstr("edge 0"));
  EXPECT_THAT(error_of(R"({"nodes": [{"id": "a", "bytes": 1}], "edges": [["a", "a"]]})"),
              HasSubstr("cycle"));
  EXPECT_THAT(error_of(R"({"nodes": [{"id": true, "bytes": 1}]})"), HasSubstr("id"));
  EXPECT_THAT(error_of(std::string(100, '[')), HasSubstr("nested deeper"));
  EXPECT_THAT(error_of(R"({"nodes": [{"id": "a", "bytes": 1e300}]})"), HasSubstr("2^50"));
}

TEST(GraphIo, MissingFile) {
  EXPECT_THROW((void)read_graph_file("/nonexistent/graph.json"), std::runtime_error);
}

}  // namespace
}  // namespace memsched::graph
