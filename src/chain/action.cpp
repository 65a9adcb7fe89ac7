// Action factories, equality and the readable text form.
#include "memsched/chain/action.hpp"

#include "memsched/chain/platform.hpp"

namespace memsched {

Action Action::forward(Step begin, Step end, bool record) noexcept {
  Action a;
  a.kind = ActionKind::kForward;
  a.begin = begin;
  a.end = end;
  a.flag = record;
  return a;
}

Action Action::reverse(Step end, Step begin, bool clear) noexcept {
  Action a;
  a.kind = ActionKind::kReverse;
  a.begin = begin;
  a.end = end;
  a.flag = clear;
  return a;
}

Action Action::copy(Step step, Content content, Place from, Place to) noexcept {
  Action a;
  a.kind = ActionKind::kCopy;
  a.step = step;
  a.content = content;
  a.from = from;
  a.to = to;
  return a;
}

Action Action::move(Step step, Content content, Place from, Place to) noexcept {
  Action a = copy(step, content, from, to);
  a.kind = ActionKind::kMove;
  return a;
}

Action shifted(const Action& action, Step offset) noexcept {
  Action a = action;
  if (a.kind == ActionKind::kForward || a.kind == ActionKind::kReverse) {
    a.begin += offset;
    a.end += offset;
  } else if (a.kind != ActionKind::kEndForward && a.kind != ActionKind::kEndReverse) {
    a.step += offset;
  }
  return a;
}

Action Action::free(Step step, Content content, Place at) noexcept {
  Action a;
  a.kind = ActionKind::kFree;
  a.step = step;
  a.content = content;
  a.from = at;
  return a;
}

Action Action::end_forward() noexcept {
  Action a;
  a.kind = ActionKind::kEndForward;
  return a;
}

Action Action::end_reverse() noexcept {
  Action a;
  a.kind = ActionKind::kEndReverse;
  return a;
}

bool operator==(const Action& a, const Action& b) noexcept {
  return a.kind == b.kind && a.content == b.content && a.flag == b.flag && a.from == b.from &&
         a.to == b.to && a.begin == b.begin && a.end == b.end && a.step == b.step;
}

const char* to_string(ActionKind kind) noexcept {
  switch (kind) {
    case ActionKind::kForward:
      return "forward";
    case ActionKind::kReverse:
      return "reverse";
    case ActionKind::kCopy:
      return "copy";
    case ActionKind::kMove:
      return "move";
    case ActionKind::kFree:
      return "free";
    case ActionKind::kEndForward:
      return "end_forward";
    case ActionKind::kEndReverse:
      return "end_reverse";
  }
  return "?";
}

const char* to_string(Content content) noexcept {
  return content == Content::kState ? "state" : "tape";
}

namespace {

template <typename PlaceName>
std::string format(const Action& a, PlaceName place_name) {
  const std::string checkpoint = std::string(to_string(a.content)) + " " + std::to_string(a.step);
  switch (a.kind) {
    case ActionKind::kForward:
      return "Forward(" + std::to_string(a.begin) + ", " + std::to_string(a.end) +
             (a.flag ? ", record)" : ")");
    case ActionKind::kReverse:
      return "Reverse(" + std::to_string(a.end) + ", " + std::to_string(a.begin) +
             (a.flag ? ")" : ", keep)");
    case ActionKind::kCopy:
    case ActionKind::kMove:
      return std::string(a.kind == ActionKind::kCopy ? "Copy(" : "Move(") + checkpoint + ", " +
             place_name(a.from) + " -> " + place_name(a.to) + ")";
    case ActionKind::kFree:
      return "Free(" + checkpoint + ", " + place_name(a.from) + ")";
    case ActionKind::kEndForward:
      return "EndForward()";
    case ActionKind::kEndReverse:
      return "EndReverse()";
  }
  return "?";
}

}  // namespace

std::string to_string(const Action& action) {
  return format(action,
                [](Place p) { return p == kWork ? std::string("work") : "L" + std::to_string(p); });
}

std::string to_string(const Action& action, const Platform& platform) {
  return format(action, [&](Place p) {
    if (p == kWork) return std::string("work");
    if (p >= 0 && static_cast<std::size_t>(p) < platform.num_levels()) {
      return platform.level(static_cast<std::size_t>(p)).name;
    }
    return "L" + std::to_string(p);
  });
}

}  // namespace memsched
