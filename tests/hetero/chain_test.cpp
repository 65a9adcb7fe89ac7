// Tests of the heterogeneous chain model and its JSON/CSV files, hostile input included.
#include "memsched/hetero/chain.hpp"

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>

#include "hetero/random_chain.hpp"
#include "memsched/errors.hpp"
#include "memsched/hetero/io.hpp"

namespace memsched {
namespace {

std::string json_of(const HeteroChain& chain) {
  std::ostringstream out;
  write_hetero_chain_json(out, chain);
  return out.str();
}

TEST(HeteroChain, Validates) {
  EXPECT_THROW(HeteroChain({}, {1, 0, 0}), std::invalid_argument);
  EXPECT_THROW(HeteroChain({{-1, 1, 1, 1, 0, 0}}, {1, 0, 0}), std::invalid_argument);
  EXPECT_THROW(HeteroChain({{1, 1, -1, 1, 0, 0}}, {1, 0, 0}), std::invalid_argument);
  EXPECT_THROW(HeteroChain({{1, 1, 1, kMaxBytes + 1, 0, 0}}, {1, 0, 0}), std::invalid_argument);
  EXPECT_THROW(HeteroChain({{1, 1, 1, 1, 0, 0}}, {2, 0, 0}), std::invalid_argument);  // tape < out
  EXPECT_THROW(HeteroChain({{1, 1, 1, 1, 0, 0}}, {1, -1.0, 0}), std::invalid_argument);
  const HeteroChain a = testing::chain_a();
  EXPECT_EQ(a.num_stages(), 3);
  EXPECT_EQ(a.x(3), 1);
  EXPECT_EQ(a.tape(1), 6);
  EXPECT_THROW(a.stage(3), std::out_of_range);
}

const char* kChainAJson = R"({
  "stages": [
    {"forward_time": 1, "backward_time": 2, "input_bytes": 2, "tape_bytes": 3},
    {"forward_time": 4, "backward_time": 8, "input_bytes": 1, "tape_bytes": 6},
    {"forward_time": 2, "backward_time": 4, "input_bytes": 3, "tape_bytes": 2,
     "forward_tmp_bytes": 0, "backward_tmp_bytes": 0}
  ],
  "loss": {"input_bytes": 1}
})";

TEST(HeteroIo, JsonRoundTrip) {
  EXPECT_EQ(read_hetero_chain_json(kChainAJson), testing::chain_a());
  std::mt19937_64 rng(21);
  for (int c = 0; c < 50; ++c) {
    const HeteroChain chain = testing::random_chain(rng, 1 + c % 7, 1 << 30, 1 << 20);
    EXPECT_EQ(read_hetero_chain_json(json_of(chain)), chain);
  }
}

TEST(HeteroIo, RecordingTemporaryIsOptionalAndRoundTrips) {
  HeteroChain chain = testing::chain_a();
  std::vector<HeteroStage> stages = chain.stages();
  stages[1].recording_tmp_bytes = 0;
  stages[2].forward_tmp_bytes = 5;
  stages[2].recording_tmp_bytes = 2;
  const HeteroChain with(stages, chain.loss());
  EXPECT_FALSE(with == chain);
  EXPECT_EQ(with.stage(2).recording_tmp(), 2);
  EXPECT_EQ(with.stage(0).recording_tmp(), 0);
  EXPECT_EQ(read_hetero_chain_json(json_of(with)), with);
  const char* csv =
      "stage,forward_time,backward_time,input_bytes,tape_bytes,forward_tmp_bytes,"
      "recording_tmp_bytes\n"
      "0,1,2,2,3,0,\n1,4,8,1,6,0,0\n2,2,4,3,2,5,2\nloss,,0,1,,,\n";
  EXPECT_EQ(read_hetero_chain_csv(csv), with);
  stages[0].recording_tmp_bytes = -1;
  EXPECT_THROW(HeteroChain(stages, chain.loss()), std::invalid_argument);
}

TEST(HeteroIo, Csv) {
  const char* csv =
      "# chain A\n"
      "stage,forward_time,backward_time,input_bytes,tape_bytes\n"
      "0,1,2,2,3\n1,4,8,1,6\r\n2,2,4,3,2\n\nloss,,0,1,\n";
  EXPECT_EQ(read_hetero_chain_csv(csv), testing::chain_a());
  EXPECT_THROW(read_hetero_chain_csv(""), ParseError);
  EXPECT_THROW(read_hetero_chain_csv("stage,forward_time\n"), ParseError);
  EXPECT_THROW(read_hetero_chain_csv("stage,forward_time,backward_time,input_bytes,tape_bytes\n"
                                     "0,1,2,2,3\n"),
               ParseError);  // no loss line
  EXPECT_THROW(read_hetero_chain_csv("stage,forward_time,backward_time,input_bytes,tape_bytes\n"
                                     "0,nan,2,2,3\nloss,,0,1,\n"),
               ParseError);
  EXPECT_THROW(read_hetero_chain_csv("stage,forward_time,backward_time,input_bytes,tape_bytes\n"
                                     "0,1,2,-2,3\nloss,,0,1,\n"),
               ParseError);
  EXPECT_THROW(read_hetero_chain_csv("stage,forward_time,backward_time,input_bytes,tape_bytes\n"
                                     "0,1,2,2,3,9\nloss,,0,1,\n"),
               ParseError);
}

// Every malformed file gives ParseError or std::invalid_argument with a message: never a
// crash, a hang or a huge allocation.
void expect_clean_error(const std::string& text) {
  for (int format = 0; format < 2; ++format) {
    try {
      if (format == 0) {
        read_hetero_chain_json(text);
      } else {
        read_hetero_chain_csv(text);
      }
    } catch (const ParseError& e) {
      EXPECT_GT(std::string(e.what()).size(), 5u);
    } catch (const std::invalid_argument& e) {
      EXPECT_GT(std::string(e.what()).size(), 5u);
    }
  }
}

TEST(HeteroIo, HostileInput) {
  const std::string good = kChainAJson;
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_THROW(read_hetero_chain_json(good.substr(0, cut)), ParseError) << cut;
  }
  std::mt19937_64 rng(22);
  for (int k = 0; k < 2000; ++k) {
    std::string text(static_cast<std::size_t>(rng() % 200), '\0');
    for (char& ch : text) ch = static_cast<char>(rng() % 256);
    expect_clean_error(text);
    std::string mutated = good;
    for (int e = 0; e < 3; ++e) {
      mutated[rng() % mutated.size()] = "{}[]\",:0-9.eE \n\\"[rng() % 17];
    }
    expect_clean_error(mutated);
  }
  const std::string bad_values[] = {
      R"({"stages":[{"forward_time":NaN,"backward_time":1,"input_bytes":1,"tape_bytes":1}],"loss":{"input_bytes":1}})",
      R"({"stages":[{"forward_time":1e999,"backward_time":1,"input_bytes":1,"tape_bytes":1}],"loss":{"input_bytes":1}})",
      R"({"stages":[{"forward_time":1,"backward_time":1,"input_bytes":-1,"tape_bytes":1}],"loss":{"input_bytes":1}})",
      R"({"stages":[{"forward_time":1,"backward_time":1,"input_bytes":1e300,"tape_bytes":1}],"loss":{"input_bytes":1}})",
      R"({"stages":[{"forward_time":1,"backward_time":1,"input_bytes":99999999999999999999999,"tape_bytes":1}],"loss":{"input_bytes":1}})",
      R"({"stages":[{"forward_time":1,"backward_time":1,"input_bytes":1.5,"tape_bytes":2}],"loss":{"input_bytes":1}})",
      R"({"stages":[{"forward_time":"1","backward_time":1,"input_bytes":1,"tape_bytes":1}],"loss":{"input_bytes":1}})",
      R"({"stages":[{"forward_tim":1,"backward_time":1,"input_bytes":1,"tape_bytes":1}],"loss":{"input_bytes":1}})",
      R"({"stages":[],"loss":{"input_bytes":1}})",
      R"({"stages":{},"loss":{"input_bytes":1}})",
      R"([1,2,3])",
      R"({"stages":[{"forward_time":1,"backward_time":1,"input_bytes":1,"tape_bytes":1}]})",
  };
  for (const std::string& text : bad_values) {
    EXPECT_ANY_THROW(read_hetero_chain_json(text)) << text;
    expect_clean_error(text);
  }
  EXPECT_THROW(read_hetero_chain_json(std::string(100000, '[')), ParseError);
  EXPECT_THROW(read_hetero_chain_json(std::string(65 << 20, ' ')), ParseError);
  try {
    read_hetero_chain_json("{\n  \"stages\": [1,\n  ]}");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_EQ(e.line(), 3);
  }
}

}  // namespace
}  // namespace memsched
