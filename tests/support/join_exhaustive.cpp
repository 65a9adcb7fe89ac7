// Dijkstra over join-graph search states (see join_exhaustive.hpp). Every move costs its
// forward steps; storing, loading and freeing are free, as in simulate_join.
#include "support/join_exhaustive.hpp"

#include <functional>
#include <queue>
#include <stdexcept>
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

}  // namespace

std::optional<std::int64_t> exhaustive_join_optimum(const join::JoinGraph& graph,
                                                    std::int64_t slots, std::int64_t max_states) {
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
  auto chain_of = [&](int state) {
    for (int c = 0; c < k; ++c) {
      if (state <= first[static_cast<std::size_t>(c)] + graph.branch_length(c)) return c;
    }
    return k;
  };
  const int handle = k;
  Search start;
  for (int b = 0; b <= k; ++b) start.fronts.push_back(graph.length(b));
  start.work = id(0, 0);
  for (int b = 1; b < k; ++b) start.stored |= 1u << id(b, 0);
  if (__builtin_popcount(start.stored) > slots) return std::nullopt;

  std::unordered_map<Search, std::int64_t, SearchHash> dist;
  using Entry = std::pair<std::int64_t, Search>;
  auto greater = [](const Entry& a, const Entry& b) { return a.first > b.first; };
  std::priority_queue<Entry, std::vector<Entry>, decltype(greater)> queue(greater);
  dist[start] = 0;
  queue.push({0, start});
  auto relax = [&](std::int64_t cost, const Search& s) {
    auto it = dist.find(s);
    if (it == dist.end()) {
      if (static_cast<std::int64_t>(dist.size()) >= max_states) {
        throw std::length_error("exhaustive_join_optimum: too many search states");
      }
      dist.emplace(s, cost);
      queue.push({cost, s});
    } else if (cost < it->second) {
      it->second = cost;
      queue.push({cost, s});
    }
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
    bool finished = s.stored == 0;
    for (std::int64_t f : s.fronts) finished = finished && f == 0;
    if (finished) return cost;
    const std::int64_t handle_front = s.fronts[static_cast<std::size_t>(handle)];
    const bool joined = handle_front == 0;
    // The chain and step of the working state.
    int wc = -1;
    std::int64_t ws = -1;
    if (s.work >= 0) {
      if (s.work >= first[static_cast<std::size_t>(k)] + 1) {
        wc = handle;
        ws = s.work - first[static_cast<std::size_t>(k)];
      } else {
        wc = chain_of(s.work);
        ws = s.work - first[static_cast<std::size_t>(wc)];
      }
    }
    // Advance one step (unrecorded) on the working state's chain.
    if (wc >= 0 && wc < k) {
      const std::int64_t front = s.fronts[static_cast<std::size_t>(wc)];
      const std::int64_t limit = joined ? front - 1 : front;
      if (ws + 1 <= limit) {
        Search t = s;
        t.work = id(wc, ws + 1);
        relax(cost + 1, t);
      }
    }
    if (wc == handle && ws + 1 < handle_front) {
      Search t = s;
      t.work = id(handle, ws + 1);
      relax(cost + 1, t);
    }
    // The join, unrecorded, from the outputs.
    if (!joined && handle_front > 1 && outputs_ready(s)) {
      Search t = s;
      t.work = id(handle, 1);
      relax(cost + 1, t);
    }
    // Record the step before a front and reverse it.
    if (wc == handle && ws == handle_front - 1 && ws >= 1) {
      Search t = s;
      t.fronts[static_cast<std::size_t>(handle)] -= 1;
      t.work = -1;
      relax(cost + 1, t);
    }
    if (handle_front == 1 && outputs_ready(s)) {
      Search t = s;
      t.fronts[static_cast<std::size_t>(handle)] = 0;
      t.work = -1;
      relax(cost + 1, t);
    }
    if (joined && wc >= 0 && wc < k && ws == s.fronts[static_cast<std::size_t>(wc)] - 1) {
      Search t = s;
      t.fronts[static_cast<std::size_t>(wc)] -= 1;
      t.work = -1;
      relax(cost + 1, t);
    }
    // Store the working state.
    if (s.work >= 0 && (s.stored >> s.work & 1u) == 0 && __builtin_popcount(s.stored) < slots) {
      Search t = s;
      t.stored |= 1u << s.work;
      relax(cost, t);
    }
    // Load or free a stored state.
    for (int x = 0; x < ids; ++x) {
      if ((s.stored >> x & 1u) == 0) continue;
      Search t = s;
      t.stored &= ~(1u << x);
      relax(cost, t);
      if (x != s.work) {
        Search u = s;
        u.work = x;
        relax(cost, u);
      }
    }
  }
  return std::nullopt;
}

}  // namespace memsched::testing
