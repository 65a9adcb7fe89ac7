// The umbrella header: everything memsched offers.
#pragma once

#include "memsched/chain/action.hpp"
#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/errors.hpp"
#include "memsched/version.hpp"
