// An exhaustive optimal search over join-graph schedules (Dijkstra over what is stored where),
// the oracle the join planner is compared with on tiny graphs.
#pragma once

#include <cstdint>
#include <optional>

#include "memsched/join/graph.hpp"

namespace memsched::testing {

/// The fewest forward steps over every schedule simulate_join accepts for `graph` with
/// `slots` slots (unit moves: advance, record and reverse, store, load, free); nullopt if none
/// exists. Requires at most 24 states in all (sum of L_b + 1, plus H - 1); throws
/// std::invalid_argument otherwise, std::length_error beyond `max_states` search states.
std::optional<std::int64_t> exhaustive_join_optimum(const JoinGraph& graph, std::int64_t slots,
                                                    std::int64_t max_states = 20'000'000);

/// One optimal schedule found by the same search (what simulate_join replays with
/// exhaustive_join_optimum forward steps); nullopt if none exists. Same limits and throws.
std::optional<JoinSchedule> exhaustive_join_schedule(const JoinGraph& graph, std::int64_t slots,
                                                     std::int64_t max_states = 20'000'000);

}  // namespace memsched::testing
