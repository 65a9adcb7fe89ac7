// Dijkstra over the states of the heterogeneous model (the oracle of
// docs/theory/heterogeneous.md, written independently of the dynamic program).
#include "memsched/hetero/exhaustive.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace memsched {

namespace {

// State: bit j of `x` = x_j stored alone (0..L); bit j of `xbar` = x̄_j stored (1..L); `front`
// = next backward (L = the loss, ..., 0, -1 = done); `fresh` = index of the x produced by the
// previous operation when that was a no-grad forward (persistent mode), -1 otherwise. The held
// gradient is ȳ_{front+1} once the loss is done.
struct State {
  std::uint32_t x = 0;
  std::uint32_t xbar = 0;
  std::int32_t front = 0;
  std::int32_t fresh = -1;

  std::uint64_t key() const {
    return (static_cast<std::uint64_t>(x) << 32) | (static_cast<std::uint64_t>(xbar) << 12) |
           (static_cast<std::uint64_t>(front + 1) << 6) | static_cast<std::uint64_t>(fresh + 1);
  }
};

struct Node {
  double dist;
  std::uint64_t parent;
  HeteroOp op;
  State state;
  bool done;
};

}  // namespace

std::optional<HeteroPlan> plan_exhaustive(const HeteroChain& chain, Bytes budget,
                                          const HeteroExhaustiveOptions& options) {
  const std::int64_t n = chain.num_stages();
  if (n > 12) {
    throw std::invalid_argument("plan_exhaustive: at most 12 stages, got " + std::to_string(n));
  }
  const auto L = static_cast<std::int32_t>(n);
  auto bit = [](std::int64_t j) { return std::uint32_t{1} << j; };
  auto has_input = [&](const State& s, std::int64_t i) {
    return (s.x & bit(i)) != 0 || (i > 0 && (s.xbar & bit(i)) != 0);
  };
  auto pinned = [&](const State& s, std::int64_t i) {
    return options.rules.pin_inputs && i < n && (s.xbar & bit(i + 1)) != 0;
  };
  auto used = [&](const State& s) {
    Bytes total = 0;
    for (std::int64_t j = 0; j <= n; ++j) {
      if ((s.x & bit(j)) != 0) total += chain.x(j);
      if (j >= 1 && (s.xbar & bit(j)) != 0) total += chain.tape(j - 1);
    }
    if (s.front < L) total += chain.x(s.front + 1);  // the gradient ȳ_{front+1}
    return total;
  };

  State start;
  start.x = 1;
  start.front = L;
  if (chain.x(0) > budget) return std::nullopt;

  std::unordered_map<std::uint64_t, Node> nodes;
  using Entry = std::pair<double, std::uint64_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue;
  nodes[start.key()] = {0.0, 0, HeteroOp{}, start, false};
  queue.push({0.0, start.key()});

  auto relax = [&](std::uint64_t from, double dist, const State& next, const HeteroOp& op) {
    const std::uint64_t k = next.key();
    auto it = nodes.find(k);
    if (it == nodes.end()) {
      if (static_cast<std::int64_t>(nodes.size()) >= options.max_states) {
        throw std::length_error("plan_exhaustive: more than " + std::to_string(options.max_states) +
                                " states");
      }
      nodes.emplace(k, Node{dist, from, op, next, false});
      queue.push({dist, k});
    } else if (!it->second.done && dist < it->second.dist) {
      it->second = Node{dist, from, op, next, false};
      queue.push({dist, k});
    }
  };

  while (!queue.empty()) {
    const auto [dist, k] = queue.top();
    queue.pop();
    Node& node = nodes.at(k);
    if (node.done || dist > node.dist) continue;
    node.done = true;
    const State s = node.state;
    if (s.front == -1) {
      HeteroSchedule ops;
      for (std::uint64_t at = k; at != start.key();) {
        const Node& v = nodes.at(at);
        ops.push_back(v.op);
        at = v.parent;
      }
      std::reverse(ops.begin(), ops.end());
      HeteroPlan plan;
      plan.schedule = std::move(ops);
      plan.makespan = dist;
      plan.unit_bytes = 1;
      plan.num_units = budget;
      return plan;
    }
    const Bytes mem = used(s);
    // Forwards of stages i <= front.
    for (std::int32_t i = 0; i < L && i <= s.front; ++i) {
      if (!has_input(s, i)) continue;
      const HeteroStage& st = chain.stage(i);
      const double t = dist + st.forward_time;
      if ((s.xbar & bit(i + 1)) == 0 && mem + st.tape_bytes + st.recording_tmp() <= budget) {
        State next = s;
        next.xbar |= bit(i + 1);
        next.fresh = -1;
        relax(k, t, next, HeteroOp::forward_enable(i));
      }
      if ((s.x & bit(i + 1)) == 0 && mem + chain.x(i + 1) + st.forward_tmp_bytes <= budget) {
        State next = s;
        next.x |= bit(i + 1);
        next.fresh = i + 1;
        relax(k, t, next, HeteroOp::forward_check(i));
        const bool may_drop =
            (s.x & bit(i)) != 0 && !pinned(s, i) && (!options.persistent_only || s.fresh == i);
        if (may_drop) {
          next.x &= ~bit(i);
          relax(k, t, next, HeteroOp::forward_nograd(i));
        }
      }
    }
    if (s.front == L && has_input(s, L) &&
        mem + chain.loss().input_bytes + chain.loss().backward_tmp_bytes <= budget) {
      State next = s;
      next.x &= ~bit(L);
      next.front = L - 1;
      next.fresh = -1;
      relax(k, dist + chain.loss().time, next, HeteroOp::loss(n));
    }
    if (s.front >= 0 && s.front < L) {
      const std::int32_t i = s.front;
      const HeteroStage& st = chain.stage(i);
      if ((s.xbar & bit(i + 1)) != 0 && has_input(s, i) &&
          mem + st.input_bytes + st.backward_tmp_bytes <= budget) {
        State next = s;
        next.xbar &= ~bit(i + 1);
        next.x &= ~bit(i);
        next.front = i - 1;
        next.fresh = -1;
        relax(k, dist + st.backward_time, next, HeteroOp::backward(i));
      }
    }
    if (!options.persistent_only) {
      for (std::int32_t j = 0; j <= L; ++j) {
        if ((s.x & bit(j)) != 0 && !pinned(s, j)) {
          State next = s;
          next.x &= ~bit(j);
          next.fresh = -1;
          relax(k, dist, next, HeteroOp::free_input(j));
        }
        if (j >= 1 && (s.xbar & bit(j)) != 0 && !pinned(s, j)) {
          State next = s;
          next.xbar &= ~bit(j);
          next.fresh = -1;
          relax(k, dist, next, HeteroOp::free_tape(j));
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace memsched
