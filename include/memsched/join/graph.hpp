// Join ("pitchfork") graphs: k chains (branches, the teeth) whose final states feed one more
// chain (the handle) ending in the loss, as in siamese and multi-modal networks; and the
// vocabulary of their schedules: chain actions tagged with the chain they apply to.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "memsched/chain/action.hpp"
#include "memsched/chain/chain.hpp"

namespace memsched {

/// A join graph with uniform unit costs.
///
/// Branch b (0 <= b < k) has L_b steps x^b_0 -> ... -> x^b_{L_b}; its input x^b_0 cannot be
/// recomputed. The handle has H steps; its step 0 is the join: it reads every branch output
/// x^b_{L_b} and produces h_1; step i > 0 maps h_i to h_{i+1}; h_H is the loss. The adjoint of
/// the join yields the adjoint of every branch output at once. With k = 1 the graph is the
/// chain of L_0 + H steps. Throws std::invalid_argument if there is no branch, a length is
/// < 1, or a total exceeds kMaxSteps.
class JoinGraph {
 public:
  JoinGraph(std::vector<Step> branch_lengths, Step handle_length);

  std::int32_t num_branches() const noexcept {
    return static_cast<std::int32_t>(branch_lengths_.size());
  }
  /// The chain index that denotes the handle in a JoinAction: num_branches().
  std::int32_t handle() const noexcept { return num_branches(); }
  const std::vector<Step>& branch_lengths() const noexcept { return branch_lengths_; }
  Step branch_length(std::int32_t branch) const {
    return branch_lengths_.at(static_cast<std::size_t>(branch));
  }
  Step handle_length() const noexcept { return handle_length_; }
  /// Steps of chain `index` (a branch, or the handle).
  Step length(std::int32_t index) const;
  /// Every forward step of the graph once: sum of L_b, plus H.
  Step total_steps() const noexcept;

  friend bool operator==(const JoinGraph& a, const JoinGraph& b) noexcept {
    return a.branch_lengths_ == b.branch_lengths_ && a.handle_length_ == b.handle_length_;
  }

 private:
  std::vector<Step> branch_lengths_;
  Step handle_length_;
};

/// One action of a join schedule: a chain action (chain/action.hpp) applied to the chain
/// `chain` (a branch index, or graph.handle()). States are x^chain_step. Forward(0, e) on the
/// handle runs the join from the branch outputs. EndForward / EndReverse are tagged with the
/// handle. Tapes are never stored (joint reversal: a recorded step is reversed at once).
struct JoinAction {
  std::int32_t chain = 0;
  Action action;

  friend bool operator==(const JoinAction& a, const JoinAction& b) noexcept {
    return a.chain == b.chain && a.action == b.action;
  }
};

using JoinSchedule = std::vector<JoinAction>;

/// "branch 2: Forward(0, 3)", "handle: Reverse(4, 3)", "EndForward()".
std::string to_string(const JoinAction& action, const JoinGraph& graph);

}  // namespace memsched
