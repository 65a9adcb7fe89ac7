// Tests of the schedule formats: exact round trips, checkpoint_schedules' tutorial output,
// and hostile input (random bytes, truncations, huge numbers) that must fail cleanly.
#include "memsched/chain/formats.hpp"

#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "memsched/chain/simulate.hpp"
#include "memsched/errors.hpp"
#include "memsched/plan/periodic.hpp"
#include "memsched/plan/revolve.hpp"

namespace memsched {
namespace {

// checkpoint_schedules' Revolve(4, 2), as its tutorial notebook (docs/notebooks) prints it.
const char* const kRevolve42 = R"(Forward(0, 2, True, False, StorageType.RAM)
Forward(2, 3, True, False, StorageType.RAM)
Forward(3, 4, False, True, StorageType.WORK)
EndForward()
Reverse(4, 3, True)
Move(2, StorageType.RAM, StorageType.WORK)
Forward(2, 3, False, True, StorageType.WORK)
Reverse(3, 2, True)
Copy(0, StorageType.RAM, StorageType.WORK)
Forward(0, 1, False, False, StorageType.WORK)
Forward(1, 2, False, True, StorageType.WORK)
Reverse(2, 1, True)
Move(0, StorageType.RAM, StorageType.WORK)
Forward(0, 1, False, True, StorageType.WORK)
Reverse(1, 0, True)
EndReverse()
)";

template <typename Writer>
std::string write(const Schedule& schedule, Writer writer) {
  std::ostringstream out;
  ScheduleStream stream(schedule);
  writer(out, stream);
  return out.str();
}

TEST(Formats, ReadsCheckpointSchedulesTutorial) {
  const ScheduleFile file = read_schedule(kRevolve42, 4);
  const SimulationReport report = simulate(file.schedule, Chain(4), Platform::ram(2));
  EXPECT_EQ(report.forward_steps, 8);
  EXPECT_EQ(write(file.schedule,
                  [](std::ostream& o, ActionStream& s) { write_checkpoint_schedules(o, s); }),
            kRevolve42);
  RevolveStream revolve(4, 2);
  EXPECT_EQ(file.schedule, collect(revolve));
}

TEST(Formats, CorruptedTutorialIsRejected) {
  std::string text = kRevolve42;
  text.replace(text.find("Move(2"), 6, "Move(1");
  const ScheduleFile file = read_schedule(text, 4);
  EXPECT_THROW(simulate(file.schedule, Chain(4), Platform::ram(2)), ScheduleError);
}

// Every format reads back exactly what it wrote, for every planner's output on a grid.
TEST(Formats, RoundTripsAreExact) {
  for (Step n = 1; n <= 40; ++n) {
    for (std::int64_t c = 1; c <= 5; ++c) {
      RevolveStream revolve(n, c);
      std::vector<Schedule> schedules = {collect(revolve)};
      if (c >= periodic_min_slots(n, 3 < n ? 3 : n)) {
        PeriodicStream periodic(n, 3 < n ? 3 : n, c);
        schedules.push_back(collect(periodic));
      }
      for (const Schedule& schedule : schedules) {
        const std::string json = write(
            schedule, [n](std::ostream& o, ActionStream& s) { write_schedule_json(o, s, n); });
        const ScheduleFile from_json = read_schedule(json, std::nullopt);
        ASSERT_EQ(from_json.schedule, schedule) << json;
        ASSERT_EQ(from_json.num_steps, n);
        const std::string lines = write(
            schedule, [](std::ostream& o, ActionStream& s) { write_checkpoint_schedules(o, s); });
        ASSERT_EQ(read_schedule(lines, n).schedule, schedule) << lines;
        const std::string revolve_text =
            write(schedule, [n](std::ostream& o, ActionStream& s) { write_revolve(o, s, n); });
        ASSERT_EQ(read_schedule(revolve_text, n).schedule, schedule) << revolve_text;
        // Text -> ours -> text is the identity too.
        ASSERT_EQ(write(read_schedule(lines, n).schedule,
                        [](std::ostream& o, ActionStream& s) { write_checkpoint_schedules(o, s); }),
                  lines);
      }
    }
  }
}

// The translator rewrites the two round trips checkpoint_schedules' consumers cannot run or
// pay for needlessly: a store of x_k reloaded at once, a load written straight back.
TEST(Formats, TranslatorRewritesRoundTrips) {
  auto lines = [](const Schedule& schedule) {
    return write(schedule,
                 [](std::ostream& o, ActionStream& s) { write_checkpoint_schedules(o, s); });
  };
  const Schedule reloaded = {Action::copy(0, Content::kState, kWork, 0),
                             Action::copy(0, Content::kState, 0, kWork), Action::forward(0, 2)};
  EXPECT_EQ(lines(reloaded), "Forward(0, 2, True, False, StorageType.RAM)\n");
  const Schedule cancelled = {Action::copy(3, Content::kState, kWork, 1),
                              Action::move(3, Content::kState, 1, kWork), Action::forward(3, 4)};
  EXPECT_EQ(lines(cancelled), "Forward(3, 4, False, False, StorageType.WORK)\n");
  const Schedule written_back = {Action::move(6, Content::kState, 1, kWork),
                                 Action::copy(6, Content::kState, kWork, 1), Action::forward(6, 8)};
  EXPECT_EQ(lines(written_back),
            "Copy(6, StorageType.DISK, StorageType.WORK)\n"
            "Forward(6, 8, False, False, StorageType.WORK)\n");
}

TEST(Formats, TapesOnDiskRoundTrip) {
  // checkpoint_schedules' SingleDiskStorageSchedule-like lines: tapes stored on DISK.
  const std::string text =
      "Forward(0, 1, False, True, StorageType.DISK)\n"
      "Forward(1, 2, False, True, StorageType.DISK)\n"
      "EndForward()\n"
      "Move(1, StorageType.DISK, StorageType.WORK)\n"
      "Reverse(2, 1, True)\n"
      "Move(0, StorageType.DISK, StorageType.WORK)\n"
      "Reverse(1, 0, True)\n"
      "EndReverse()\n";
  const ScheduleFile file = read_schedule(text, 2);
  EXPECT_EQ(file.schedule[1], Action::move(0, Content::kTape, kWork, 1));
  const Platform platform = Platform::ram_disk(0, 2, 1.0, 1.0);
  EXPECT_EQ(simulate(file.schedule, Chain(2), platform).forward_steps, 2);
  EXPECT_EQ(write(file.schedule,
                  [](std::ostream& o, ActionStream& s) { write_checkpoint_schedules(o, s); }),
            text);
}

TEST(Formats, OnlineSysMaxsizeIsClamped) {
  const ScheduleFile file = read_schedule(
      "Forward(0, 9223372036854775807, False, True, StorageType.WORK)\nEndForward()\n"
      "Reverse(3, 0, True)\nEndReverse()\n",
      3);
  EXPECT_EQ(file.schedule[0], Action::forward(0, 3, true));
  const Platform big_work({}, 3);
  EXPECT_EQ(simulate(file.schedule, Chain(3), big_work).forward_steps, 3);
}

TEST(Formats, RejectsMalformedInput) {
  const char* bad[] = {
      "",
      "   \n\n",
      "Forward(0, 2, True, False)",
      "Forward(0, 2, Maybe, False, StorageType.RAM)",
      "Forward(0, 99999999999999999999, False, False, StorageType.WORK)",
      "Forward(-1, 2, False, False, StorageType.WORK)",
      "Forward(0, 2, False, False, StorageType.TAPE)",
      "Fly(0, 2)",
      "Reverse(4, 3",
      "advance",
      "advance x",
      "restore 3",
      "youturn",
      "takeshot 99999999999",
      "{",
      "{\"actions\": 3}",
      "{\"actions\": [{\"action\": \"forward\", \"begin\": 0}]}",
      "{\"actions\": [{\"action\": \"forward\", \"begin\": 0, \"end\": 1e400}]}",
      "{\"actions\": [{\"action\": \"copy\", \"step\": 0, \"content\": \"soup\", \"from\": 0, "
      "\"to\": \"work\"}]}",
      "{\"steps\": -3, \"actions\": []}",
      "{\"steps\": 18446744073709551615, \"actions\": []}",
      "{\"format\": \"other\", \"actions\": []}",
      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
      "{\"actions\": [[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
      "\x01\x02\xff\xfe",
  };
  for (const char* text : bad) {
    EXPECT_THROW(read_schedule(text, 4), ParseError) << text;
  }
  EXPECT_THROW(read_schedule(kRevolve42, std::nullopt), std::invalid_argument);
  EXPECT_THROW(read_schedule(kRevolve42, 0), std::invalid_argument);
  EXPECT_THROW(read_schedule("{\"steps\": 5, \"actions\": []}", 4), ParseError);
}

// Fuzz-style: random bytes, random token soup and every truncation of valid files must give a
// schedule or a clean exception, never a crash, hang or huge allocation (run under ASan too).
TEST(Formats, SurvivesRandomAndTruncatedInput) {
  std::mt19937_64 random(20261122);
  const std::string tokens[] = {"Forward(",
                                "Reverse(",
                                "Copy(",
                                "Move(",
                                "EndForward()",
                                "EndReverse()",
                                "StorageType.RAM",
                                "StorageType.DISK",
                                "StorageType.WORK",
                                "StorageType.NONE",
                                "True",
                                "False",
                                ", ",
                                ")",
                                "\n",
                                "0",
                                "1",
                                "4",
                                "-1",
                                "9223372036854775807",
                                "advance ",
                                "takeshot ",
                                "restore ",
                                "youturn",
                                "firsturn",
                                "terminate",
                                "{",
                                "}",
                                "[",
                                "]",
                                "\"actions\"",
                                ":",
                                "\"action\"",
                                "\"forward\"",
                                "\"begin\"",
                                "\"end\"",
                                "1e308"};
  auto check = [](const std::string& text) {
    try {
      const ScheduleFile file = read_schedule(text, 4);
      try {
        simulate(file.schedule, Chain(4), Platform::ram_disk(2, 2, 1, 1));
      } catch (const ScheduleError&) {
      }
    } catch (const ParseError&) {
    } catch (const std::invalid_argument&) {
    }
  };
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    const int length = static_cast<int>(random() % 40);
    for (int k = 0; k < length; ++k) text += tokens[random() % std::size(tokens)];
    check(text);
    std::string bytes(random() % 200, '\0');
    for (char& b : bytes) b = static_cast<char>(random() % 256);
    check(bytes);
  }
  std::ostringstream json;
  RevolveStream revolve(4, 2);
  write_schedule_json(json, revolve, 4);
  for (const std::string& valid : {std::string(kRevolve42), json.str()}) {
    for (std::size_t cut = 0; cut < valid.size(); ++cut) check(valid.substr(0, cut));
  }
}

}  // namespace
}  // namespace memsched
