// The umbrella header: everything memsched offers.
#pragma once

#include "memsched/chain/action.hpp"
#include "memsched/chain/chain.hpp"
#include "memsched/chain/formats.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/chain/svg.hpp"
#include "memsched/errors.hpp"
#include "memsched/plan/binomial.hpp"
#include "memsched/plan/periodic.hpp"
#include "memsched/plan/registry.hpp"
#include "memsched/plan/revolve.hpp"
#include "memsched/version.hpp"
