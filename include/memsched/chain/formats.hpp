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

/// One action in checkpoint_schedules' vocabulary (see CheckpointSchedulesTranslator).
struct CheckpointSchedulesAction {
  enum class Kind { kForward, kReverse, kCopy, kMove, kEndForward, kEndReverse };
  /// StorageType.NONE: the destination of a deletion, Move(n, X, NONE).
  static constexpr Place kNone = -2;

  Kind kind = Kind::kEndForward;
  Step n0 = 0;                  ///< Forward/Reverse: first step; Copy/Move: the step n
  Step n1 = 0;                  ///< Forward/Reverse: one past the last step
  bool write_ics = false;       ///< Forward: store x_n0 in `storage`
  bool write_adj_deps = false;  ///< Forward: keep the steps' adjoint dependencies in `storage`
  bool clear_adj_deps = false;  ///< Reverse
  bool tape = false;            ///< Copy/Move: the data moved are adjoint dependencies
  Place storage = kWork;        ///< Forward: a level or kWork
  Place from = kWork;           ///< Copy/Move: a level or kWork
  Place to = kWork;             ///< Copy/Move: a level, kWork or kNone
};

/// Translates a stream lazily into checkpoint_schedules' actions, the one translation behind
/// write_checkpoint_schedules and memsched.checkpoint_schedules: a store of x_k followed by a
/// plain Forward from k is one Forward with write_ics; a recording Forward followed by Moves of
/// all its tapes to one level is one Forward with write_adj_deps on that level (otherwise a
/// Forward in WORK, then the Moves); Free is Move(k, X, NONE). Two round trips that
/// checkpoint_schedules' consumers cannot run, or run at a needless cost, are rewritten: a store
/// of x_k reloaded at once (Copy(k, WORK, X) then Copy/Move(k, X, WORK): the reload is dropped,
/// WORK holding x_k, and a Move cancels the store) and a load that writes the checkpoint straight
/// back (Move(k, X, WORK) then Copy(k, WORK, X): one Copy(k, X, WORK), the checkpoint kept).
/// Holds at most three actions of lookahead.
class CheckpointSchedulesTranslator {
 public:
  explicit CheckpointSchedulesTranslator(ActionStream& stream) : stream_(&stream) {}
  /// The next action, or nullopt at the end of the stream.
  std::optional<CheckpointSchedulesAction> next();

 private:
  const Action* peek(std::size_t i);  // the i-th pending action of the stream, or nullptr
  Action take();

  ActionStream* stream_;
  std::vector<Action> lookahead_;
  Step queued_ = 0;  // tape Moves still to emit after a partly stored recording Forward
  Step queue_end_ = 0;
  Place queue_level_ = kWork;
};

/// Writes checkpoint_schedules' lines, e.g. "Forward(0, 2, True, False, StorageType.RAM)",
/// translated by CheckpointSchedulesTranslator. Level 0 prints as RAM and level 1 as DISK.
/// Reading the output back gives the same actions, but for the round trips the translator
/// rewrites. Throws std::invalid_argument for a schedule using a third level.
void write_checkpoint_schedules(std::ostream& out, ActionStream& stream);

/// Writes Revolve's action stream: "advance <capo>", "takeshot <check>", "restore <check>",
/// "firsturn", "youturn", "terminate", where <check> is a snapshot slot (the lowest free one
/// is taken). Only single-level, state-only schedules with one-step turns are expressible;
/// throws std::invalid_argument on anything else.
void write_revolve(std::ostream& out, ActionStream& stream, Step num_steps);

}  // namespace memsched
