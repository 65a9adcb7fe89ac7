// What identifies a schedule to the executor, shared with the MPI layer (which compares
// schedules across ranks and replays them on the same platform to agree on a resume point): the
// platform a schedule is checked against and the hash of one action.
#pragma once

#include <cstdint>
#include <vector>

#include "memsched/chain/action.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/exec/storage.hpp"

namespace memsched::detail {

/// One level per storage level, in order, with unlimited slots and no costs (capacities are
/// enforced in bytes by the levels themselves); names made unique ("#i" appended to an empty
/// or repeated name).
Platform validation_platform(const std::vector<Storage*>& levels);

/// One action's contribution to a schedule's fingerprint (a hash of its every field): the
/// journal's schedule_hash is hash_combine over the executed actions, so a resume with another
/// schedule is refused, and the MPI layer compares these fingerprints across ranks.
std::uint64_t action_hash(const Action& action);

}  // namespace memsched::detail
