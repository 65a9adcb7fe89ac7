// The platform the executor checks a schedule against, shared with the MPI layer (whose resume
// agreement replays the schedule on the same platform).
#pragma once

#include <vector>

#include "memsched/chain/platform.hpp"
#include "memsched/exec/storage.hpp"

namespace memsched::detail {

/// One level per storage level, in order, with unlimited slots and no costs (capacities are
/// enforced in bytes by the levels themselves); names made unique ("#i" appended to an empty
/// or repeated name).
Platform validation_platform(const std::vector<Storage*>& levels);

}  // namespace memsched::detail
