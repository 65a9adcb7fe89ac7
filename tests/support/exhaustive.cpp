// Dijkstra over the states of the chain model (see exhaustive.hpp). The moves are unit-step
// versions of the actions, so the search covers every schedule the simulator accepts, up to
// useless detours (storing states past the adjoint front, holding two copies of a state on
// one level), which never lower the cost.
#include "support/exhaustive.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace memsched::testing {

namespace {

constexpr int kMaxSteps = 16;
constexpr std::size_t kMaxLevels = 3;

// A search state. `working` is -1 when the working state can no longer be used (it is at or
// past the adjoint front, or there is none).
struct State {
  int front = 0;
  int working = 0;
  std::uint32_t work_tapes = 0;                    // bit i: tape of step i in work
  std::array<std::uint32_t, kMaxLevels> states{};  // bit i: x_i stored on the level
  std::array<std::uint32_t, kMaxLevels> tapes{};   // bit i: tape of step i stored

  bool operator==(const State& o) const {
    return front == o.front && working == o.working && work_tapes == o.work_tapes &&
           states == o.states && tapes == o.tapes;
  }
};

struct StateHash {
  std::size_t operator()(const State& s) const noexcept {
    std::uint64_t h =
        static_cast<std::uint64_t>(s.front) * 131 + static_cast<std::uint64_t>(s.working + 1);
    h = h * 0x9E3779B97F4A7C15ull ^ s.work_tapes;
    for (std::size_t k = 0; k < kMaxLevels; ++k) {
      h = (h ^ s.states[k]) * 0x100000001B3ull;
      h = (h ^ s.tapes[k]) * 0x100000001B3ull;
    }
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

struct Node {
  double cost;
  State parent;
  Action first;   // the move that reached this state from its parent
  Action second;  // kind kEndForward as a placeholder when the move is one action
  bool two_actions;
  bool settled;
};

int popcount(std::uint32_t x) { return __builtin_popcount(x); }

}  // namespace

std::optional<ExhaustiveResult> exhaustive_optimum(const Chain& chain, const Platform& platform,
                                                   const ExhaustiveOptions& options) {
  const Step n64 = chain.num_steps();
  if (n64 > kMaxSteps || platform.num_levels() > kMaxLevels) {
    throw std::invalid_argument("exhaustive_optimum: needs n <= 16 and at most 3 levels");
  }
  const int n = static_cast<int>(n64);
  const std::size_t levels = platform.num_levels();
  const std::int64_t work_capacity = std::min<std::int64_t>(platform.work_tapes(), n);
  std::vector<std::int64_t> capacity(levels);
  for (std::size_t k = 0; k < levels; ++k) {
    capacity[k] = std::min<std::int64_t>(platform.level(k).num_slots, 2 * n);
  }

  std::unordered_map<State, Node, StateHash> nodes;
  using Entry = std::pair<double, State>;
  auto greater = [](const Entry& a, const Entry& b) { return a.first > b.first; };
  std::priority_queue<Entry, std::vector<Entry>, decltype(greater)> queue(greater);

  State start;
  start.front = n;
  start.working = options.working_state >= n ? -1 : static_cast<int>(options.working_state);
  for (Step i : options.stored_states) start.states[0] |= 1u << i;
  nodes.emplace(start, Node{0.0, start, Action{}, Action{}, false, false});
  queue.push({0.0, start});

  auto relax = [&](const State& from, double cost, State to, const Action& first,
                   const Action* second) {
    if (to.working >= to.front) to.working = -1;
    auto it = nodes.find(to);
    if (it == nodes.end()) {
      if (static_cast<std::int64_t>(nodes.size()) >= options.max_states) {
        throw std::length_error("exhaustive_optimum: more than max_states search states");
      }
      nodes.emplace(to,
                    Node{cost, from, first, second ? *second : Action{}, second != nullptr, false});
      queue.push({cost, to});
    } else if (!it->second.settled && cost < it->second.cost) {
      it->second = Node{cost, from, first, second ? *second : Action{}, second != nullptr, false};
      queue.push({cost, to});
    }
  };

  std::optional<State> goal;
  while (!queue.empty()) {
    const auto [cost, s] = queue.top();
    queue.pop();
    Node& node = nodes.at(s);
    if (node.settled || cost > node.cost) continue;
    node.settled = true;
    bool empty = s.work_tapes == 0;
    for (std::size_t k = 0; k < levels; ++k) empty = empty && s.states[k] == 0 && s.tapes[k] == 0;
    if (s.front == 0 && empty) {
      goal = s;
      break;
    }
    const int f = s.front;
    const int w = s.working;
    const std::uint32_t tape_bit = f > 0 ? 1u << (f - 1) : 0u;
    // Adjoint of the step before the front, from its tape in work.
    if (f > 0 && (s.work_tapes & tape_bit) != 0) {
      State t = s;
      t.work_tapes &= ~tape_bit;
      t.front = f - 1;
      const Action a = Action::reverse(f, f - 1);
      relax(s, cost + chain.adjoint_cost(f - 1), t, a, nullptr);
    }
    if (w >= 0) {
      // Advance one step without recording (only useful strictly before the step f - 1).
      if (w + 1 < f) {
        State t = s;
        t.working = w + 1;
        relax(s, cost + chain.forward_cost(w), t, Action::forward(w, w + 1), nullptr);
      }
      if (!options.store_tapes) {
        // Record the step before the front and run its adjoint right away.
        if (w == f - 1 && s.work_tapes == 0) {
          State t = s;
          t.front = f - 1;
          t.working = -1;
          const Action rec = Action::forward(w, w + 1, true);
          const Action rev = Action::reverse(f, f - 1);
          relax(s, cost + chain.forward_cost(w) + chain.adjoint_cost(w), t, rec, &rev);
        }
      } else if (w < f && popcount(s.work_tapes) < work_capacity) {
        State t = s;
        t.working = w + 1;
        t.work_tapes |= 1u << w;
        relax(s, cost + chain.forward_cost(w), t, Action::forward(w, w + 1, true), nullptr);
      }
      // Store the working state.
      for (std::size_t k = 0; k < levels; ++k) {
        const std::uint32_t bit = 1u << w;
        if ((s.states[k] & bit) == 0 &&
            popcount(s.states[k]) + popcount(s.tapes[k]) < capacity[k]) {
          State t = s;
          t.states[k] |= bit;
          relax(s, cost + platform.level(k).write_cost, t,
                Action::copy(w, Content::kState, kWork, static_cast<Place>(k)), nullptr);
        }
      }
    }
    for (std::size_t k = 0; k < levels; ++k) {
      const Place level = static_cast<Place>(k);
      for (int i = 0; i < n; ++i) {
        const std::uint32_t bit = 1u << i;
        if ((s.states[k] & bit) != 0) {
          State t = s;
          t.states[k] &= ~bit;
          relax(s, cost, t, Action::free(i, Content::kState, level), nullptr);
          if (i < f && i != w) {
            // Restore (Copy keeps the snapshot; a Copy then Free costs the same as a Move).
            State u = s;
            u.working = i;
            relax(s, cost + platform.level(k).read_cost, u,
                  Action::copy(i, Content::kState, level, kWork), nullptr);
          }
        }
        if ((s.tapes[k] & bit) != 0) {
          State t = s;
          t.tapes[k] &= ~bit;
          relax(s, cost, t, Action::free(i, Content::kTape, level), nullptr);
          if (i < f && (s.work_tapes & bit) == 0 && popcount(s.work_tapes) < work_capacity) {
            State u = s;
            u.work_tapes |= bit;
            relax(s, cost + platform.level(k).read_cost, u,
                  Action::copy(i, Content::kTape, level, kWork), nullptr);
          }
        }
        if ((s.work_tapes & bit) != 0 && (s.tapes[k] & bit) == 0 &&
            popcount(s.states[k]) + popcount(s.tapes[k]) < capacity[k]) {
          State t = s;
          t.work_tapes &= ~bit;
          t.tapes[k] |= bit;
          relax(s, cost + platform.level(k).write_cost, t,
                Action::move(i, Content::kTape, kWork, level), nullptr);
        }
      }
    }
    // Drop a useless tape from work.
    for (int i = 0; i < n; ++i) {
      if ((s.work_tapes & (1u << i)) != 0 && i != f - 1) {
        State t = s;
        t.work_tapes &= ~(1u << i);
        relax(s, cost, t, Action::free(i, Content::kTape, kWork), nullptr);
      }
    }
  }
  if (!goal) return std::nullopt;

  ExhaustiveResult result;
  result.cost = nodes.at(*goal).cost;
  std::vector<Action> reversed;
  for (State s = *goal; !(s == start);) {
    const Node& node = nodes.at(s);
    if (node.two_actions) reversed.push_back(node.second);
    reversed.push_back(node.first);
    s = node.parent;
  }
  bool ended_forward = options.working_state >= n;
  if (ended_forward) result.schedule.push_back(Action::end_forward());
  for (auto it = reversed.rbegin(); it != reversed.rend(); ++it) {
    result.schedule.push_back(*it);
    if (!ended_forward && it->kind == ActionKind::kForward && it->end == n) {
      result.schedule.push_back(Action::end_forward());
      ended_forward = true;
    }
  }
  result.schedule.push_back(Action::end_reverse());
  return result;
}

}  // namespace memsched::testing
