// Schedule formats: our JSON, checkpoint_schedules' printed actions, Revolve's action stream.
#include "memsched/chain/formats.hpp"

#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "memsched/errors.hpp"

namespace memsched {

namespace {

constexpr std::int64_t kMaxActions = std::int64_t{1} << 26;
constexpr Step kSysMaxsize = INT64_MAX;  // what online checkpoint_schedules print as n1

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits text into lines, skipping blank ones and '#' comments; keeps 1-based line numbers.
std::vector<std::pair<std::int64_t, std::string_view>> significant_lines(std::string_view text) {
  std::vector<std::pair<std::int64_t, std::string_view>> lines;
  std::int64_t number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++number;
    const std::string_view line = trim(text.substr(start, end - start));
    if (!line.empty() && line.front() != '#') {
      if (static_cast<std::int64_t>(lines.size()) >= kMaxActions) {
        throw ParseError("more than 2^26 actions", number);
      }
      lines.emplace_back(number, line);
    }
    start = end + 1;
  }
  return lines;
}

// Parses a whole decimal integer in [lo, hi].
Step parse_integer(std::string_view token, std::int64_t line, Step lo, Step hi, const char* what) {
  token = trim(token);
  if (token.empty() || token.size() > 20) {
    throw ParseError(std::string("bad ") + what + " '" + std::string(token) + "'", line);
  }
  bool negative = false;
  std::size_t i = 0;
  if (token[0] == '-') {
    negative = true;
    i = 1;
  }
  if (i == token.size()) throw ParseError(std::string("bad ") + what, line);
  unsigned long long value = 0;
  for (; i < token.size(); ++i) {
    const char c = token[i];
    if (c < '0' || c > '9') {
      throw ParseError(std::string("bad ") + what + " '" + std::string(token) + "'", line);
    }
    const unsigned long long digit = static_cast<unsigned long long>(c - '0');
    if (value > (static_cast<unsigned long long>(INT64_MAX) - digit) / 10) {
      throw ParseError(std::string(what) + " '" + std::string(token) + "' is out of range", line);
    }
    value = value * 10 + digit;
  }
  const Step result = negative ? -static_cast<Step>(value) : static_cast<Step>(value);
  if (result < lo || result > hi) {
    throw ParseError(std::string(what) + " " + std::to_string(result) + " is out of range [" +
                         std::to_string(lo) + ", " + std::to_string(hi) + "]",
                     line);
  }
  return result;
}

// Tracks where checkpoints are while a schedule is read, to tell states from tapes in formats
// that do not say (checkpoint_schedules' Copy/Move, Revolve's slots).
class Tracker {
 public:
  void apply(const Action& a) {
    switch (a.kind) {
      case ActionKind::kForward:
        working_ = a.end;
        if (a.flag) {
          for (Step i = a.begin; i < a.end && tapes_.size() < kMaxTracked; ++i) tapes_.insert(i);
        }
        break;
      case ActionKind::kReverse:
        if (a.flag) {
          for (Step i = a.begin; i < a.end; ++i) tapes_.erase(i);
        }
        break;
      case ActionKind::kCopy:
      case ActionKind::kMove:
        if (a.kind == ActionKind::kMove) remove(a.from, a.step, a.content);
        add(a.to, a.step, a.content);
        break;
      case ActionKind::kFree:
        remove(a.from, a.step, a.content);
        break;
      default:
        break;
    }
  }

  // The content of checkpoint `step` at `place`: the one held there (state if neither).
  Content content_at(Place place, Step step, std::int64_t line) const {
    if (place == kWork) {
      return tapes_.count(step) != 0 && working_ != step ? Content::kTape : Content::kState;
    }
    const bool state = held_.count({place, step, Content::kState}) != 0;
    const bool tape = held_.count({place, step, Content::kTape}) != 0;
    if (state && tape) {
      throw ParseError("ambiguous: both x_" + std::to_string(step) + " and its tape are stored",
                       line);
    }
    return tape ? Content::kTape : Content::kState;
  }

 private:
  static constexpr std::size_t kMaxTracked = std::size_t{1} << 26;
  void add(Place place, Step step, Content content) {
    if (place == kWork) {
      if (content == Content::kState) {
        working_ = step;
      } else {
        tapes_.insert(step);
      }
    } else if (held_.size() < kMaxTracked) {
      held_.insert({place, step, content});
    }
  }
  void remove(Place place, Step step, Content content) {
    if (place == kWork) {
      if (content == Content::kState) {
        working_ = -1;
      } else {
        tapes_.erase(step);
      }
    } else {
      held_.erase({place, step, content});
    }
  }

  std::set<std::tuple<Place, Step, Content>> held_;
  std::set<Step> tapes_;
  Step working_ = 0;
};

// ---- checkpoint_schedules --------------------------------------------------------------

constexpr Place kNone = -2;  // StorageType.NONE, only as a destination (delete)

Place parse_storage(std::string_view token, std::int64_t line) {
  token = trim(token);
  if (token == "StorageType.RAM") return 0;
  if (token == "StorageType.DISK") return 1;
  if (token == "StorageType.WORK") return kWork;
  if (token == "StorageType.NONE") return kNone;
  throw ParseError("unknown storage '" + std::string(token) + "'", line);
}

bool parse_bool(std::string_view token, std::int64_t line) {
  token = trim(token);
  if (token == "True") return true;
  if (token == "False") return false;
  throw ParseError("expected True or False, got '" + std::string(token) + "'", line);
}

const char* storage_name(Place place) {
  switch (place) {
    case 0:
      return "StorageType.RAM";
    case 1:
      return "StorageType.DISK";
    case kWork:
      return "StorageType.WORK";
    case kNone:
      return "StorageType.NONE";
    default:
      throw std::invalid_argument("checkpoint_schedules format: level " + std::to_string(place) +
                                  " has no StorageType (only RAM and DISK)");
  }
}

Schedule read_checkpoint_schedules(std::string_view text, std::optional<Step> num_steps,
                                   std::vector<std::int64_t>& source_lines) {
  if (!num_steps) {
    throw std::invalid_argument("read_schedule: checkpoint_schedules lines need the chain length");
  }
  const Step n = *num_steps;
  Schedule schedule;
  Tracker tracker;
  std::int64_t current_line = 0;
  auto emit = [&](const Action& a) {
    tracker.apply(a);
    schedule.push_back(a);
    source_lines.push_back(current_line);
  };
  for (const auto& entry : significant_lines(text)) {
    // Named copies, not structured bindings: lambdas below capture them (C++17).
    const std::int64_t line = entry.first;
    const std::string_view text_line = entry.second;
    current_line = line;
    const std::size_t open = text_line.find('(');
    if (open == std::string_view::npos || text_line.back() != ')') {
      throw ParseError(
          "expected Name(arguments), got '" + std::string(text_line.substr(0, 60)) + "'", line);
    }
    const std::string_view name = trim(text_line.substr(0, open));
    std::vector<std::string_view> args;
    std::string_view inner = text_line.substr(open + 1, text_line.size() - open - 2);
    if (!trim(inner).empty()) {
      std::size_t start = 0;
      while (true) {
        const std::size_t comma = inner.find(',', start);
        args.push_back(trim(inner.substr(start, comma - start)));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
    }
    auto expect_args = [&](std::size_t count) {
      if (args.size() != count) {
        throw ParseError(std::string(name) + " takes " + std::to_string(count) +
                             " arguments, got " + std::to_string(args.size()),
                         line);
      }
    };
    if (static_cast<std::int64_t>(schedule.size()) >= kMaxActions) {
      throw ParseError("more than 2^26 actions", line);
    }
    if (name == "Forward") {
      expect_args(5);
      const Step n0 = parse_integer(args[0], line, 0, n - 1, "step");
      Step n1 = parse_integer(args[1], line, 0, kSysMaxsize, "step");
      if (n1 == kSysMaxsize) n1 = n;  // online schedules run "to the end"
      if (n1 <= n0 || n1 > n) {
        throw ParseError("bad step range " + std::to_string(n0) + ".." + std::to_string(n1), line);
      }
      const bool write_ics = parse_bool(args[2], line);
      const bool write_adj_deps = parse_bool(args[3], line);
      const Place storage = parse_storage(args[4], line);
      if (write_ics) {
        if (storage < 0) throw ParseError("write_ics needs RAM or DISK storage", line);
        emit(Action::copy(n0, Content::kState, kWork, storage));
      }
      emit(Action::forward(n0, n1, write_adj_deps));
      if (write_adj_deps && storage >= 0) {
        for (Step i = n0; i < n1; ++i) emit(Action::move(i, Content::kTape, kWork, storage));
      }
    } else if (name == "Reverse") {
      expect_args(3);
      const Step n1 = parse_integer(args[0], line, 1, n, "step");
      const Step n0 = parse_integer(args[1], line, 0, n - 1, "step");
      emit(Action::reverse(n1, n0, parse_bool(args[2], line)));
    } else if (name == "Copy" || name == "Move") {
      expect_args(3);
      const Step k = parse_integer(args[0], line, 0, n, "step");
      const Place from = parse_storage(args[1], line);
      const Place to = parse_storage(args[2], line);
      if (from == kNone) throw ParseError("cannot load from StorageType.NONE", line);
      const Content content = tracker.content_at(from, k, line);
      if (to == kNone) {
        if (name == "Copy") throw ParseError("Copy to StorageType.NONE", line);
        emit(Action::free(k, content, from));
      } else if (name == "Copy") {
        emit(Action::copy(k, content, from, to));
      } else {
        emit(Action::move(k, content, from, to));
      }
    } else if (name == "EndForward") {
      expect_args(0);
      emit(Action::end_forward());
    } else if (name == "EndReverse") {
      if (args.size() > 1) expect_args(0);
      emit(Action::end_reverse());
    } else {
      throw ParseError("unknown action '" + std::string(name.substr(0, 40)) + "'", line);
    }
  }
  return schedule;
}

// ---- Revolve ---------------------------------------------------------------------------

Schedule read_revolve(std::string_view text, std::optional<Step> num_steps,
                      std::vector<std::int64_t>& source_lines) {
  if (!num_steps)
    throw std::invalid_argument("read_schedule: Revolve streams need the chain length");
  const Step n = *num_steps;
  Schedule schedule;
  std::map<Step, Step> slots;  // slot -> step of the snapshot it holds
  Step capo = 0;
  Step front = n;
  bool terminated = false;
  std::int64_t current_line = 0;
  auto emit = [&](const Action& action) {
    schedule.push_back(action);
    source_lines.push_back(current_line);
  };
  for (const auto& entry : significant_lines(text)) {
    // Named copies, not structured bindings: lambdas below capture them (C++17).
    const std::int64_t line = entry.first;
    const std::string_view text_line = entry.second;
    current_line = line;
    if (terminated) throw ParseError("action after terminate", line);
    const std::size_t space = text_line.find_first_of(" \t");
    const std::string_view verb = text_line.substr(0, space);
    const std::string_view argument =
        space == std::string_view::npos ? std::string_view() : trim(text_line.substr(space));
    auto no_argument = [&]() {
      if (!argument.empty()) throw ParseError(std::string(verb) + " takes no argument", line);
    };
    if (static_cast<std::int64_t>(schedule.size()) >= kMaxActions) {
      throw ParseError("more than 2^26 actions", line);
    }
    if (verb == "advance") {
      const Step to = parse_integer(argument, line, capo + 1, n, "capo");
      emit(Action::forward(capo, to));
      capo = to;
    } else if (verb == "takeshot") {
      const Step slot = parse_integer(argument, line, 0, INT32_MAX, "check");
      if (slots.size() >= static_cast<std::size_t>(n) + 1 && slots.count(slot) == 0) {
        throw ParseError("more snapshots than steps", line);
      }
      auto it = slots.find(slot);
      if (it != slots.end()) {
        // Revolve overwrites a slot; we release its old snapshot explicitly.
        emit(Action::free(it->second, Content::kState, 0));
      }
      emit(Action::copy(capo, Content::kState, kWork, 0));
      slots[slot] = capo;
    } else if (verb == "restore") {
      const Step slot = parse_integer(argument, line, 0, INT32_MAX, "check");
      auto it = slots.find(slot);
      if (it == slots.end()) throw ParseError("restore of an empty slot", line);
      capo = it->second;
      if (capo == front - 1) {
        emit(Action::move(capo, Content::kState, 0, kWork));
        slots.erase(it);
      } else {
        emit(Action::copy(capo, Content::kState, 0, kWork));
      }
    } else if (verb == "firsturn") {
      no_argument();
      if (n < 1 || front != n) throw ParseError("firsturn out of place", line);
      emit(Action::forward(n - 1, n, true));
      emit(Action::end_forward());
      emit(Action::reverse(n, n - 1));
      front = n - 1;
      capo = n - 1;
    } else if (verb == "youturn") {
      no_argument();
      if (capo + 1 != front) {
        throw ParseError("youturn at capo " + std::to_string(capo) + " with the front at " +
                             std::to_string(front),
                         line);
      }
      emit(Action::forward(capo, capo + 1, true));
      emit(Action::reverse(capo + 1, capo));
      front = capo;
    } else if (verb == "terminate") {
      no_argument();
      for (const auto& [slot, step] : slots) {
        emit(Action::free(step, Content::kState, 0));
      }
      slots.clear();
      emit(Action::end_reverse());
      terminated = true;
    } else {
      throw ParseError("unknown Revolve action '" + std::string(verb.substr(0, 40)) + "'", line);
    }
  }
  return schedule;
}

// ---- JSON ------------------------------------------------------------------------------

Place json_place(const nlohmann::json& value, std::int64_t index, const char* field) {
  if (value.is_string() && value.get<std::string>() == "work") return kWork;
  if (value.is_number_integer()) {
    const std::int64_t level = value.get<std::int64_t>();
    if (level >= 0 && level < 64) return static_cast<Place>(level);
  }
  throw ParseError(std::string("action ") + std::to_string(index) + ": '" + field +
                       "' must be a level index (0..63) or \"work\"",
                   1);
}

Schedule read_json(std::string_view text, std::optional<Step>& num_steps) {
  nlohmann::json root;
  try {
    // Refuse deep nesting before it costs anything: a schedule is three levels deep.
    root =
        nlohmann::json::parse(text, [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
          if (depth > 8) throw std::length_error("nesting deeper than 8");
          return true;
        });
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for numbers beyond a double (1e400).
    throw ParseError(std::string("malformed JSON: ") + e.what(), 1);
  } catch (const std::length_error& e) {
    throw ParseError(std::string("malformed schedule: ") + e.what(), 1);
  }
  if (!root.is_object()) throw ParseError("a schedule is a JSON object", 1);
  if (root.contains("format") && root["format"] != "memsched-schedule") {
    throw ParseError("\"format\" is not \"memsched-schedule\"", 1);
  }
  if (root.contains("version") && root["version"] != 1) {
    throw ParseError("unsupported \"version\" (this reader knows version 1)", 1);
  }
  if (root.contains("steps")) {
    const nlohmann::json& steps = root["steps"];
    if (!steps.is_number_integer() || steps.get<std::int64_t>() < 1 ||
        steps.get<std::int64_t>() > kMaxSteps) {
      throw ParseError("\"steps\" must be an integer in [1, 2^62]", 1);
    }
    const Step stated = steps.get<Step>();
    if (num_steps && *num_steps != stated) {
      throw ParseError(
          "the file says " + std::to_string(stated) + " steps, not " + std::to_string(*num_steps),
          1);
    }
    num_steps = stated;
  }
  if (!root.contains("actions") || !root["actions"].is_array()) {
    throw ParseError("missing \"actions\" array", 1);
  }
  const nlohmann::json& actions = root["actions"];
  if (static_cast<std::int64_t>(actions.size()) > kMaxActions) {
    throw ParseError("more than 2^26 actions", 1);
  }
  Schedule schedule;
  schedule.reserve(actions.size());
  std::int64_t index = 0;
  for (const nlohmann::json& a : actions) {
    auto fail = [&](const std::string& reason) -> ParseError {
      return ParseError("action " + std::to_string(index) + ": " + reason, 1);
    };
    if (!a.is_object() || !a.contains("action") || !a["action"].is_string()) {
      throw fail("expected an object with an \"action\" name");
    }
    auto integer = [&](const char* field) {
      if (!a.contains(field) || !a[field].is_number_integer()) {
        throw fail(std::string("\"") + field + "\" must be an integer");
      }
      const std::int64_t v = a[field].get<std::int64_t>();
      if (v < 0 || v > kMaxSteps) throw fail(std::string("\"") + field + "\" is out of range");
      return v;
    };
    auto boolean = [&](const char* field, bool fallback) {
      if (!a.contains(field)) return fallback;
      if (!a[field].is_boolean()) throw fail(std::string("\"") + field + "\" must be true/false");
      return a[field].get<bool>();
    };
    auto content = [&]() {
      if (!a.contains("content") || !a["content"].is_string()) {
        throw fail("\"content\" must be \"state\" or \"tape\"");
      }
      const std::string c = a["content"].get<std::string>();
      if (c == "state") return Content::kState;
      if (c == "tape") return Content::kTape;
      throw fail("\"content\" must be \"state\" or \"tape\"");
    };
    auto place = [&](const char* field) {
      if (!a.contains(field)) throw fail(std::string("missing \"") + field + "\"");
      return json_place(a[field], index, field);
    };
    const std::string name = a["action"].get<std::string>();
    if (name == "forward") {
      schedule.push_back(
          Action::forward(integer("begin"), integer("end"), boolean("record", false)));
    } else if (name == "reverse") {
      schedule.push_back(Action::reverse(integer("end"), integer("begin"), boolean("clear", true)));
    } else if (name == "copy") {
      schedule.push_back(Action::copy(integer("step"), content(), place("from"), place("to")));
    } else if (name == "move") {
      schedule.push_back(Action::move(integer("step"), content(), place("from"), place("to")));
    } else if (name == "free") {
      schedule.push_back(Action::free(integer("step"), content(), place("at")));
    } else if (name == "end_forward") {
      schedule.push_back(Action::end_forward());
    } else if (name == "end_reverse") {
      schedule.push_back(Action::end_reverse());
    } else {
      throw fail("unknown action \"" + name.substr(0, 40) + "\"");
    }
    ++index;
  }
  return schedule;
}

std::string json_place_text(Place place) {
  return place == kWork ? std::string("\"work\"") : std::to_string(place);
}

}  // namespace

ScheduleFormat detect_schedule_format(std::string_view text) {
  const std::string_view t = trim(text);
  if (t.empty()) throw ParseError("empty schedule", 1);
  if (t.front() == '{') return ScheduleFormat::kJson;
  for (const char* prefix :
       {"Forward(", "Reverse(", "Copy(", "Move(", "EndForward(", "EndReverse(", "#"}) {
    if (t.rfind(prefix, 0) == 0) {
      if (std::string_view(prefix) != "#") return ScheduleFormat::kCheckpointSchedules;
    }
  }
  for (const char* prefix :
       {"advance", "takeshot", "restore", "firsturn", "youturn", "terminate"}) {
    if (t.rfind(prefix, 0) == 0) return ScheduleFormat::kRevolve;
  }
  // Skip leading comment lines and look again.
  if (t.front() == '#') {
    const std::size_t newline = t.find('\n');
    if (newline != std::string_view::npos) return detect_schedule_format(t.substr(newline + 1));
  }
  throw ParseError("not a schedule: expected JSON, checkpoint_schedules lines or Revolve actions",
                   1);
}

ScheduleFile read_schedule(std::string_view text, std::optional<Step> num_steps) {
  if (text.size() > kMaxScheduleTextBytes) {
    throw ParseError("schedule text larger than 1 GiB", 1);
  }
  if (num_steps && (*num_steps < 1 || *num_steps > kMaxSteps)) {
    throw std::invalid_argument("read_schedule: the chain length must be in [1, 2^62]");
  }
  ScheduleFile file;
  file.num_steps = num_steps;
  switch (detect_schedule_format(text)) {
    case ScheduleFormat::kJson:
      file.schedule = read_json(text, file.num_steps);
      for (std::size_t i = 0; i < file.schedule.size(); ++i) {
        file.source_lines.push_back(static_cast<std::int64_t>(i) + 1);
      }
      break;
    case ScheduleFormat::kCheckpointSchedules:
      file.schedule = read_checkpoint_schedules(text, num_steps, file.source_lines);
      break;
    case ScheduleFormat::kRevolve:
      file.schedule = read_revolve(text, num_steps, file.source_lines);
      break;
  }
  return file;
}

void write_schedule_json(std::ostream& out, ActionStream& stream, Step num_steps) {
  out << "{\"format\": \"memsched-schedule\", \"version\": 1, \"steps\": " << num_steps
      << ", \"actions\": [";
  bool first = true;
  while (std::optional<Action> next = stream.next()) {
    const Action& a = *next;
    out << (first ? "\n  " : ",\n  ");
    first = false;
    switch (a.kind) {
      case ActionKind::kForward:
        out << "{\"action\": \"forward\", \"begin\": " << a.begin << ", \"end\": " << a.end
            << ", \"record\": " << (a.flag ? "true" : "false") << "}";
        break;
      case ActionKind::kReverse:
        out << "{\"action\": \"reverse\", \"end\": " << a.end << ", \"begin\": " << a.begin
            << ", \"clear\": " << (a.flag ? "true" : "false") << "}";
        break;
      case ActionKind::kCopy:
      case ActionKind::kMove:
        out << "{\"action\": \"" << to_string(a.kind) << "\", \"step\": " << a.step
            << ", \"content\": \"" << to_string(a.content)
            << "\", \"from\": " << json_place_text(a.from) << ", \"to\": " << json_place_text(a.to)
            << "}";
        break;
      case ActionKind::kFree:
        out << "{\"action\": \"free\", \"step\": " << a.step << ", \"content\": \""
            << to_string(a.content) << "\", \"at\": " << json_place_text(a.from) << "}";
        break;
      case ActionKind::kEndForward:
        out << "{\"action\": \"end_forward\"}";
        break;
      case ActionKind::kEndReverse:
        out << "{\"action\": \"end_reverse\"}";
        break;
    }
  }
  out << "\n]}\n";
}

const Action* CheckpointSchedulesTranslator::peek(std::size_t i) {
  while (lookahead_.size() <= i) {
    std::optional<Action> a = stream_->next();
    if (!a) return nullptr;
    lookahead_.push_back(*a);
  }
  return &lookahead_[i];
}

Action CheckpointSchedulesTranslator::take() {
  const Action a = lookahead_.front();
  lookahead_.erase(lookahead_.begin());
  return a;
}

std::optional<CheckpointSchedulesAction> CheckpointSchedulesTranslator::next() {
  using Kind = CheckpointSchedulesAction::Kind;
  CheckpointSchedulesAction out;
  if (queued_ < queue_end_) {
    out.kind = Kind::kMove;
    out.n0 = queued_++;
    out.from = kWork;
    out.to = queue_level_;
    out.tape = true;
    return out;
  }
  while (true) {
    if (peek(0) == nullptr) return std::nullopt;
    const Action a = take();
    const Action* following = peek(0);
    const bool state_store =
        a.kind == ActionKind::kCopy && a.content == Content::kState && a.from == kWork && a.to >= 0;
    if (state_store && following != nullptr &&
        (following->kind == ActionKind::kCopy || following->kind == ActionKind::kMove) &&
        following->content == Content::kState && following->step == a.step &&
        following->from == a.to && following->to == kWork) {
      // Store then reload at once: WORK already holds x_k. A Move cancels the store; a Copy
      // keeps it (the store may merge with the next Forward below).
      const bool cancels = following->kind == ActionKind::kMove;
      take();
      if (cancels) continue;
      lookahead_.insert(lookahead_.begin(), a);
      continue;
    }
    switch (a.kind) {
      case ActionKind::kForward: {
        // A recording Forward followed by Moves of all its tapes, in order, to one level.
        Step moved = 0;
        Place level = kWork;
        while (a.flag && moved < a.end - a.begin) {
          const Action* m = peek(0);
          if (m == nullptr || m->kind != ActionKind::kMove || m->content != Content::kTape ||
              m->from != kWork || m->to < 0 || m->step != a.begin + moved ||
              (moved > 0 && m->to != level)) {
            break;
          }
          level = m->to;
          ++moved;
          take();
        }
        out.kind = Kind::kForward;
        out.n0 = a.begin;
        out.n1 = a.end;
        if (moved == a.end - a.begin) {
          out.write_adj_deps = true;
          out.storage = level;
        } else {
          out.write_adj_deps = a.flag;
          queued_ = a.begin;
          queue_end_ = a.begin + moved;
          queue_level_ = level;
        }
        return out;
      }
      case ActionKind::kReverse:
        out.kind = Kind::kReverse;
        out.n0 = a.begin;
        out.n1 = a.end;
        out.clear_adj_deps = a.flag;
        return out;
      case ActionKind::kCopy:
        if (state_store && following != nullptr && following->kind == ActionKind::kForward &&
            !following->flag && following->begin == a.step) {
          // Store then advance: one Forward with write_ics.
          const Action forward = take();
          out.kind = Kind::kForward;
          out.n0 = forward.begin;
          out.n1 = forward.end;
          out.write_ics = true;
          out.storage = a.to;
          return out;
        }
        out.kind = Kind::kCopy;
        out.n0 = a.step;
        out.from = a.from;
        out.to = a.to;
        out.tape = a.content == Content::kTape;
        return out;
      case ActionKind::kMove:
        out.kind = Kind::kMove;
        if (a.content == Content::kState && a.from >= 0 && a.to == kWork && following != nullptr &&
            following->kind == ActionKind::kCopy && following->content == Content::kState &&
            following->step == a.step && following->from == kWork && following->to == a.from) {
          // Load, then write the same checkpoint straight back: a Copy keeps it instead.
          take();
          out.kind = Kind::kCopy;
        }
        out.n0 = a.step;
        out.from = a.from;
        out.to = a.to;
        out.tape = a.content == Content::kTape;
        return out;
      case ActionKind::kFree:
        out.kind = Kind::kMove;
        out.n0 = a.step;
        out.from = a.from;
        out.to = CheckpointSchedulesAction::kNone;
        out.tape = a.content == Content::kTape;
        return out;
      case ActionKind::kEndForward:
        out.kind = Kind::kEndForward;
        return out;
      case ActionKind::kEndReverse:
        out.kind = Kind::kEndReverse;
        return out;
    }
    throw std::logic_error("CheckpointSchedulesTranslator: unknown action kind");
  }
}

void write_checkpoint_schedules(std::ostream& out, ActionStream& stream) {
  using Kind = CheckpointSchedulesAction::Kind;
  auto boolean = [](bool b) { return b ? "True" : "False"; };
  CheckpointSchedulesTranslator translator(stream);
  while (const std::optional<CheckpointSchedulesAction> a = translator.next()) {
    switch (a->kind) {
      case Kind::kForward:
        out << "Forward(" << a->n0 << ", " << a->n1 << ", " << boolean(a->write_ics) << ", "
            << boolean(a->write_adj_deps) << ", " << storage_name(a->storage) << ")\n";
        break;
      case Kind::kReverse:
        out << "Reverse(" << a->n1 << ", " << a->n0 << ", " << boolean(a->clear_adj_deps) << ")\n";
        break;
      case Kind::kCopy:
      case Kind::kMove:
        out << (a->kind == Kind::kCopy ? "Copy(" : "Move(") << a->n0 << ", "
            << storage_name(a->from) << ", " << storage_name(a->to) << ")\n";
        break;
      case Kind::kEndForward:
        out << "EndForward()\n";
        break;
      case Kind::kEndReverse:
        out << "EndReverse()\n";
        break;
    }
  }
}

void write_revolve(std::ostream& out, ActionStream& stream, Step num_steps) {
  std::map<Step, std::int64_t> slot_of;  // snapshot step -> slot
  std::set<std::int64_t> free_slots;
  std::int64_t next_slot = 0;
  auto unsupported = [](const Action& a) {
    return std::invalid_argument("Revolve's action stream cannot express " + to_string(a));
  };
  std::optional<Action> pending = stream.next();
  while (pending) {
    const Action a = *pending;
    pending = stream.next();
    switch (a.kind) {
      case ActionKind::kForward:
        if (!a.flag) {
          out << "advance " << a.end << "\n";
        } else if (a.end == a.begin + 1 && a.end == num_steps && pending &&
                   pending->kind == ActionKind::kEndForward) {
          pending = stream.next();
          if (!pending || pending->kind != ActionKind::kReverse || pending->end != a.end) {
            throw unsupported(a);
          }
          pending = stream.next();
          out << "firsturn\n";
        } else if (a.end == a.begin + 1 && pending && pending->kind == ActionKind::kReverse &&
                   pending->end == a.end && pending->begin == a.begin && pending->flag) {
          pending = stream.next();
          out << "youturn\n";
        } else {
          throw unsupported(a);
        }
        break;
      case ActionKind::kCopy:
      case ActionKind::kMove:
        if (a.content != Content::kState) throw unsupported(a);
        if (a.from == kWork && a.to == 0 && a.kind == ActionKind::kCopy) {
          std::int64_t slot = next_slot;
          if (!free_slots.empty()) {
            slot = *free_slots.begin();
            free_slots.erase(free_slots.begin());
          } else {
            ++next_slot;
          }
          slot_of[a.step] = slot;
          out << "takeshot " << slot << "\n";
        } else if (a.from == 0 && a.to == kWork) {
          const auto it = slot_of.find(a.step);
          if (it == slot_of.end()) throw unsupported(a);
          out << "restore " << it->second << "\n";
          if (a.kind == ActionKind::kMove) {
            free_slots.insert(it->second);
            slot_of.erase(it);
          }
        } else {
          throw unsupported(a);
        }
        break;
      case ActionKind::kFree: {
        const auto it = slot_of.find(a.step);
        if (a.from != 0 || a.content != Content::kState || it == slot_of.end()) {
          throw unsupported(a);
        }
        free_slots.insert(it->second);
        slot_of.erase(it);
        break;
      }
      case ActionKind::kEndReverse:
        out << "terminate\n";
        break;
      default:
        throw unsupported(a);
    }
  }
}

}  // namespace memsched
