// Join graphs and the text form of their actions.
#include "memsched/join/graph.hpp"

#include <stdexcept>

namespace memsched {

JoinGraph::JoinGraph(std::vector<Step> branch_lengths, Step handle_length)
    : branch_lengths_(std::move(branch_lengths)), handle_length_(handle_length) {
  if (branch_lengths_.empty()) throw std::invalid_argument("JoinGraph: needs at least one branch");
  if (branch_lengths_.size() > 64) {
    throw std::invalid_argument("JoinGraph: more than 64 branches (" +
                                std::to_string(branch_lengths_.size()) + ")");
  }
  Step total = handle_length;
  if (handle_length < 1 || handle_length > kMaxSteps) {
    throw std::invalid_argument("JoinGraph: bad handle length " + std::to_string(handle_length));
  }
  for (Step length : branch_lengths_) {
    if (length < 1 || length > kMaxSteps - total) {
      throw std::invalid_argument("JoinGraph: bad branch length " + std::to_string(length));
    }
    total += length;
  }
}

Step JoinGraph::length(std::int32_t index) const {
  if (index == handle()) return handle_length_;
  return branch_length(index);
}

Step JoinGraph::total_steps() const noexcept {
  Step total = handle_length_;
  for (Step length : branch_lengths_) total += length;
  return total;
}

std::string to_string(const JoinAction& action, const JoinGraph& graph) {
  const ActionKind kind = action.action.kind;
  if (kind == ActionKind::kEndForward || kind == ActionKind::kEndReverse) {
    return memsched::to_string(action.action);
  }
  const std::string chain =
      action.chain == graph.handle() ? "handle" : "branch " + std::to_string(action.chain);
  return chain + ": " + memsched::to_string(action.action);
}

}  // namespace memsched
