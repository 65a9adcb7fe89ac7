// Reading and writing chain schedules: our JSON, checkpoint_schedules' printed actions, and
// Revolve's action stream. Writers stream (O(1) memory); readers validate every field.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memsched/chain/schedule.hpp"

namespace memsched {

/// The schedule formats memsched reads and writes.
enum class ScheduleFormat {
  kJson,                 ///< {"format": "memsched-schedule", "version": 1, "actions": [...]}
  kCheckpointSchedules,  ///< one action per line, as checkpoint_schedules prints them
  kRevolve,              ///< advance/takeshot/restore/firsturn/youturn/terminate, one per line
};

/// Guesses the format of a schedule text from its first non-blank character and word:
/// '{' is JSON, a line starting with "Forward(", "Copy(", ... is checkpoint_schedules, one
/// starting with a Revolve verb is Revolve. Throws ParseError if it is none of them.
ScheduleFormat detect_schedule_format(std::string_view text);

/// A schedule read from text, with the chain length the file states (JSON's "steps"), if any.
struct ScheduleFile {
  std::optional<Step> num_steps;
  Schedule schedule;
  /// For each action, the line of the text it came from (a line may give several actions;
  /// JSON gives the action's index in "actions" plus 1).
  std::vector<std::int64_t> source_lines;
};

/// Reads a schedule in any of the formats (detected). `num_steps` is the chain length; it is
/// needed for checkpoint_schedules (to clamp the sys.maxsize of online schedules) and Revolve
/// (firsturn runs the last step) and optional for JSON, which may state it. Throws ParseError
/// (line, column, reason) on malformed text: unknown action, bad or missing field, number out
/// of range, more than 2^26 actions... Texts over kMaxScheduleTextBytes are refused.
ScheduleFile read_schedule(std::string_view text, std::optional<Step> num_steps);

inline constexpr std::size_t kMaxScheduleTextBytes = std::size_t{1} << 30;

/// Writes our JSON: one action per line inside "actions". `num_steps` is recorded as "steps".
void write_schedule_json(std::ostream& out, ActionStream& stream, Step num_steps);

/// Writes checkpoint_schedules' lines, e.g. "Forward(0, 2, True, False, StorageType.RAM)".
/// Level 0 prints as RAM and level 1 as DISK; a store of x_k followed by a plain Forward from k
/// becomes one Forward with write_ics, and a recording Forward followed by Moves of all its
/// tapes to a level one Forward with write_adj_deps on that level; Free prints as
/// Move(k, X, StorageType.NONE). Reading the output back gives the same actions.
/// Throws std::invalid_argument for a schedule using a third level.
void write_checkpoint_schedules(std::ostream& out, ActionStream& stream);

/// Writes Revolve's action stream: "advance <capo>", "takeshot <check>", "restore <check>",
/// "firsturn", "youturn", "terminate", where <check> is a snapshot slot (the lowest free one
/// is taken). Only single-level, state-only schedules with one-step turns are expressible;
/// throws std::invalid_argument on anything else.
void write_revolve(std::ostream& out, ActionStream& stream, Step num_steps);

}  // namespace memsched
