// Dijkstra over join-graph search states (see join_exhaustive.hpp). Every move costs its
// forward steps; storing, loading and freeing are free, as in simulate_join.
#include "support/join_exhaustive.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace memsched::testing {

namespace {

struct Search {
  std::vector<std::int64_t> fronts;  // per chain, the handle last
  int work = -1;                     // state id in the working buffer, -1: none useful
  std::uint32_t stored = 0;          // bit per state id

  bool operator==(const Search& o) const {
    return fronts == o.fronts && work == o.work && stored == o.stored;
  }
};

struct SearchHash {
  std::size_t operator()(const Search& s) const noexcept {
    std::uint64_t h = s.stored * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(s.work + 1);
    for (std::int64_t f : s.fronts) h = (h ^ static_cast<std::uint64_t>(f)) * 0x100000001B3ull;
    return static_cast<std::size_t>(h ^ (h >> 31));
  }
};

// A move of the search, enough to write its actions: kind, chain, step (the working state's
// step for advances and reversals, the state's step for store / load / free).
enum class MoveKind : std::uint8_t { kAdvance, kJoin, kReverse, kStore, kLoad, kFree };
struct Move {
  MoveKind kind = MoveKind::kAdvance;
  std::int32_t chain = 0;
  Step step = 0;
};

struct Found {
  std::int64_t cost = 0;
  JoinSchedule schedule;  // only when asked for
};

std::optional<Found> search(const JoinGraph& graph, std::int64_t slots, std::int64_t max_states,
                            bool want_schedule) {
  const int k = graph.num_branches();
  // State ids: branch b's x^b_i, then the handle's h_1..h_{H-1}.
  std::vector<int> first(static_cast<std::size_t>(k) + 1);
  int ids = 0;
  for (int b = 0; b < k; ++b) {
    first[static_cast<std::size_t>(b)] = ids;
    ids += static_cast<int>(graph.branch_length(b)) + 1;
  }
  first[static_cast<std::size_t>(k)] = ids - 1;  // handle state i has id first + i, i >= 1
  ids += static_cast<int>(graph.handle_length()) - 1;
  if (ids > 24) throw std::invalid_argument("exhaustive_join_optimum: graph too large");
  auto id = [&](int chain, std::int64_t step) {
    return first[static_cast<std::size_t>(chain)] + static_cast<int>(step);
  };
  const int handle = k;
  // The chain and step of a state id.
  auto locate = [&](int state) -> std::pair<int, std::int64_t> {
    if (state >= first[static_cast<std::size_t>(k)] + 1) {
      return {handle, state - first[static_cast<std::size_t>(k)]};
    }
    for (int c = 0; c < k; ++c) {
      if (state <= first[static_cast<std::size_t>(c)] + graph.branch_length(c)) {
        return {c, state - first[static_cast<std::size_t>(c)]};
      }
    }
    return {handle, 0};
  };
  Search start;
  for (int b = 0; b <= k; ++b) start.fronts.push_back(graph.length(b));
  start.work = id(0, 0);
  for (int b = 1; b < k; ++b) start.stored |= 1u << id(b, 0);
  if (__builtin_popcount(start.stored) > slots) return std::nullopt;

  std::unordered_map<Search, std::int64_t, SearchHash> dist;
  std::unordered_map<Search, std::pair<Search, Move>, SearchHash> parent;
  using Entry = std::pair<std::int64_t, Search>;
  auto greater = [](const Entry& a, const Entry& b) { return a.first > b.first; };
  std::priority_queue<Entry, std::vector<Entry>, decltype(greater)> queue(greater);
  dist[start] = 0;
  queue.push({0, start});
  const Search* from = nullptr;
  auto relax = [&](std::int64_t cost, const Search& s, Move move) {
    auto it = dist.find(s);
    bool improved = false;
    if (it == dist.end()) {
      if (static_cast<std::int64_t>(dist.size()) >= max_states) {
        throw std::length_error("exhaustive_join_optimum: too many search states");
      }
      dist.emplace(s, cost);
      improved = true;
    } else if (cost < it->second) {
      it->second = cost;
      improved = true;
    }
    if (!improved) return;
    queue.push({cost, s});
    if (want_schedule) parent.insert_or_assign(s, std::make_pair(*from, move));
  };
  auto outputs_ready = [&](const Search& s) {
    for (int b = 0; b < k; ++b) {
      const int out = id(b, graph.branch_length(b));
      if ((s.stored >> out & 1u) == 0 && s.work != out) return false;
    }
    return true;
  };
  while (!queue.empty()) {
    const auto [cost, s] = queue.top();
    queue.pop();
    if (cost > dist.at(s)) continue;
    from = &s;
    bool finished = s.stored == 0;
    for (std::int64_t f : s.fronts) finished = finished && f == 0;
    if (finished) {
      Found found{cost, {}};
      if (!want_schedule) return found;
      std::vector<Move> moves;
      for (Search at = s; !(at == start);) {
        const auto& [before, move] = parent.at(at);
        moves.push_back(move);
        at = before;
      }
      std::reverse(moves.begin(), moves.end());
      bool ended_forward = false;
      for (const Move& m : moves) {
        auto emit = [&](const Action& a) { found.schedule.push_back({m.chain, a}); };
        switch (m.kind) {
          case MoveKind::kAdvance:
            emit(Action::forward(m.step, m.step + 1));
            break;
          case MoveKind::kJoin:
            emit(Action::forward(0, 1));
            break;
          case MoveKind::kReverse:
            emit(Action::forward(m.step, m.step + 1, true));
            if (!ended_forward) found.schedule.push_back({handle, Action::end_forward()});
            ended_forward = true;
            emit(Action::reverse(m.step + 1, m.step));
            break;
          case MoveKind::kStore:
            emit(Action::copy(m.step, Content::kState, kWork, 0));
            break;
          case MoveKind::kLoad:
            emit(Action::copy(m.step, Content::kState, 0, kWork));
            break;
          case MoveKind::kFree:
            emit(Action::free(m.step, Content::kState, 0));
            break;
        }
      }
      found.schedule.push_back({handle, Action::end_reverse()});
      return found;
    }
    const std::int64_t handle_front = s.fronts[static_cast<std::size_t>(handle)];
    const bool joined = handle_front == 0;
    int wc = -1;
    std::int64_t ws = -1;
    if (s.work >= 0) std::tie(wc, ws) = locate(s.work);
    // Advance one step (unrecorded) on the working state's chain.
    if (wc >= 0 && wc < k) {
      const std::int64_t front = s.fronts[static_cast<std::size_t>(wc)];
      const std::int64_t limit = joined ? front - 1 : front;
      if (ws + 1 <= limit) {
        Search t = s;
        t.work = id(wc, ws + 1);
        relax(cost + 1, t, {MoveKind::kAdvance, wc, ws});
      }
    }
    if (wc == handle && ws + 1 < handle_front) {
      Search t = s;
      t.work = id(handle, ws + 1);
      relax(cost + 1, t, {MoveKind::kAdvance, handle, ws});
    }
    // The join, unrecorded, from the outputs.
    if (!joined && handle_front > 1 && outputs_ready(s)) {
      Search t = s;
      t.work = id(handle, 1);
      relax(cost + 1, t, {MoveKind::kJoin, handle, 0});
    }
    // Record the step before a front and reverse it.
    if (wc == handle && ws == handle_front - 1 && ws >= 1) {
      Search t = s;
      t.fronts[static_cast<std::size_t>(handle)] -= 1;
      t.work = -1;
      relax(cost + 1, t, {MoveKind::kReverse, handle, ws});
    }
    if (handle_front == 1 && outputs_ready(s)) {
      Search t = s;
      t.fronts[static_cast<std::size_t>(handle)] = 0;
      t.work = -1;
      relax(cost + 1, t, {MoveKind::kReverse, handle, 0});
    }
    if (joined && wc >= 0 && wc < k && ws == s.fronts[static_cast<std::size_t>(wc)] - 1) {
      Search t = s;
      t.fronts[static_cast<std::size_t>(wc)] -= 1;
      t.work = -1;
      relax(cost + 1, t, {MoveKind::kReverse, wc, ws});
    }
    // Store the working state.
    if (s.work >= 0 && (s.stored >> s.work & 1u) == 0 && __builtin_popcount(s.stored) < slots) {
      Search t = s;
      t.stored |= 1u << s.work;
      relax(cost, t, {MoveKind::kStore, wc, ws});
    }
    // Free a stored state, or load one the simulator lets us restore (before its chain's
    // front, or a branch output before the join is reversed).
    for (int x = 0; x < ids; ++x) {
      if ((s.stored >> x & 1u) == 0) continue;
      const auto [xc, xs] = locate(x);
      Search t = s;
      t.stored &= ~(1u << x);
      relax(cost, t, {MoveKind::kFree, xc, xs});
      const bool output = xc < k && xs == graph.branch_length(xc) && !joined;
      if (x != s.work && (xs < s.fronts[static_cast<std::size_t>(xc)] || output)) {
        Search u = s;
        u.work = x;
        relax(cost, u, {MoveKind::kLoad, xc, xs});
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> exhaustive_join_optimum(const JoinGraph& graph, std::int64_t slots,
                                                    std::int64_t max_states) {
  const auto found = search(graph, slots, max_states, false);
  if (!found) return std::nullopt;
  return found->cost;
}

std::optional<JoinSchedule> exhaustive_join_schedule(const JoinGraph& graph, std::int64_t slots,
                                                     std::int64_t max_states) {
  auto found = search(graph, slots, max_states, true);
  if (!found) return std::nullopt;
  return std::move(found->schedule);
}

}  // namespace memsched::testing
