// The C interface (include/memsched/memsched.h): handles over the C++ types, exceptions turned
// into status codes and a per-thread message.
#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "last_error.hpp"
#include "memsched/chain/action.hpp"
#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/errors.hpp"
#include "memsched/memsched.h"
#include "memsched/plan/registry.hpp"
#include "memsched/version.hpp"

struct memsched_chain {
  std::shared_ptr<const memsched::Chain> chain;
};

struct memsched_platform {
  std::shared_ptr<const memsched::Platform> platform;
};

struct memsched_schedule {
  // The planner's stream may refer to the chain and platform: the schedule shares them.
  std::shared_ptr<const memsched::Chain> chain;
  std::shared_ptr<const memsched::Platform> platform;
  std::unique_ptr<memsched::ActionStream> stream;
  bool done = false;
};

struct memsched_simulator {
  std::shared_ptr<const memsched::Chain> chain;
  std::shared_ptr<const memsched::Platform> platform;
  memsched::Simulator simulator;
  bool finished = false;
};

// The C enums mirror the C++ ones value for value; the structs have fixed layouts (Fortran's
// bind(c) types repeat them).
static_assert(static_cast<int>(memsched::ActionKind::kForward) == MEMSCHED_FORWARD &&
                  static_cast<int>(memsched::ActionKind::kReverse) == MEMSCHED_REVERSE &&
                  static_cast<int>(memsched::ActionKind::kCopy) == MEMSCHED_COPY &&
                  static_cast<int>(memsched::ActionKind::kMove) == MEMSCHED_MOVE &&
                  static_cast<int>(memsched::ActionKind::kFree) == MEMSCHED_FREE &&
                  static_cast<int>(memsched::ActionKind::kEndForward) == MEMSCHED_END_FORWARD &&
                  static_cast<int>(memsched::ActionKind::kEndReverse) == MEMSCHED_END_REVERSE,
              "memsched_action_kind out of step with memsched::ActionKind");
static_assert(static_cast<int>(memsched::Content::kState) == MEMSCHED_STATE &&
                  static_cast<int>(memsched::Content::kTape) == MEMSCHED_TAPE,
              "memsched_content out of step with memsched::Content");
static_assert(memsched::kWork == MEMSCHED_WORK, "MEMSCHED_WORK out of step with kWork");
static_assert(sizeof(memsched_action) == 48 && sizeof(memsched_report) == 64,
              "the C structs' layout changed");

namespace {

thread_local std::string last_error;

}  // namespace

void memsched::detail::set_last_error(std::string message) noexcept {
  try {
    last_error = std::move(message);
  } catch (...) {
    // Out of memory for the message itself: the caller's status still says what failed.
  }
}

namespace {

memsched_status fail(memsched_status status, std::string message) noexcept {
  memsched::detail::set_last_error(std::move(message));
  return status;
}

// Runs `body` and maps every exception to a status: the only way C++ errors leave this file.
template <typename Body>
memsched_status guarded(const char* function, Body&& body) noexcept {
  const std::string prefix = std::string(function) + ": ";
  try {
    body();
    return MEMSCHED_OK;
  } catch (const memsched::ScheduleError& e) {
    return fail(MEMSCHED_ILLEGAL_SCHEDULE, prefix + e.what());
  } catch (const memsched::ParseError& e) {
    return fail(MEMSCHED_INVALID_ARGUMENT, prefix + e.what());
  } catch (const std::out_of_range& e) {
    return fail(MEMSCHED_OUT_OF_RANGE, prefix + e.what());
  } catch (const std::invalid_argument& e) {
    return fail(MEMSCHED_INVALID_ARGUMENT, prefix + e.what());
  } catch (const std::length_error& e) {
    return fail(MEMSCHED_TOO_LARGE, prefix + e.what());
  } catch (const std::overflow_error& e) {
    return fail(MEMSCHED_TOO_LARGE, prefix + e.what());
  } catch (const std::bad_alloc&) {
    return fail(MEMSCHED_TOO_LARGE, prefix + "out of memory");
  } catch (const std::exception& e) {
    return fail(MEMSCHED_INTERNAL_ERROR, prefix + e.what());
  } catch (...) {
    return fail(MEMSCHED_INTERNAL_ERROR, prefix + "unknown error");
  }
}

void require(bool condition, const char* what) {
  if (!condition) throw std::invalid_argument(what);
}

memsched_action to_c(const memsched::Action& a) noexcept {
  memsched_action c{};
  c.kind = static_cast<int32_t>(a.kind);
  c.content = static_cast<int32_t>(a.content);
  c.flag = a.flag ? 1 : 0;
  c.from = a.from;
  c.to = a.to;
  c.begin = a.begin;
  c.end = a.end;
  c.step = a.step;
  return c;
}

memsched::Action from_c(const memsched_action& c) {
  if (c.kind < MEMSCHED_FORWARD || c.kind > MEMSCHED_END_REVERSE) {
    throw std::invalid_argument("action kind " + std::to_string(c.kind) + " is not 0..6");
  }
  if (c.content != MEMSCHED_STATE && c.content != MEMSCHED_TAPE) {
    throw std::invalid_argument("action content " + std::to_string(c.content) + " is not 0 or 1");
  }
  memsched::Action a;
  a.kind = static_cast<memsched::ActionKind>(c.kind);
  a.content = static_cast<memsched::Content>(c.content);
  a.flag = c.flag != 0;
  a.from = c.from;
  a.to = c.to;
  a.begin = c.begin;
  a.end = c.end;
  a.step = c.step;
  return a;
}

memsched_report to_c(const memsched::SimulationReport& r) noexcept {
  memsched_report c{};
  c.num_actions = r.num_actions;
  c.forward_steps = r.forward_steps;
  c.recorded_steps = r.recorded_steps;
  c.adjoint_steps = r.adjoint_steps;
  c.reverse_sweeps = r.reverse_sweeps;
  c.peak_work_tapes = r.peak_work_tapes;
  c.advances = r.advances();
  c.cost = r.cost;
  return c;
}

memsched::PlanOptions plan_options(const memsched_plan_options* options) {
  memsched::PlanOptions o;
  if (options == nullptr) return o;
  if (options->period < 0) {
    throw std::invalid_argument("period " + std::to_string(options->period) + " is negative");
  }
  if (options->sweeps < 0) {
    throw std::invalid_argument("sweeps " + std::to_string(options->sweeps) + " is negative");
  }
  if (options->period > 0) o.period = options->period;
  if (options->sweeps > 0) o.sweeps = options->sweeps;
  return o;
}

std::unique_ptr<memsched_schedule> make_schedule(const memsched_chain* chain,
                                                 const memsched_platform* platform,
                                                 const char* planner,
                                                 const memsched_plan_options* options) {
  require(chain != nullptr, "chain is NULL");
  require(platform != nullptr, "platform is NULL");
  require(planner != nullptr, "planner is NULL");
  const memsched::PlannerInfo& info = memsched::find_chain_planner(planner);
  auto schedule = std::make_unique<memsched_schedule>();
  schedule->chain = chain->chain;
  schedule->platform = platform->platform;
  schedule->stream = info.plan(*schedule->chain, *schedule->platform, plan_options(options));
  return schedule;
}

}  // namespace

extern "C" {

const char* memsched_last_error(void) { return last_error.c_str(); }

const char* memsched_version(void) { return MEMSCHED_VERSION_STRING; }

memsched_status memsched_chain_create(int64_t num_steps, double forward_cost, double adjoint_cost,
                                      memsched_chain** chain) {
  return guarded("memsched_chain_create", [&] {
    require(chain != nullptr, "chain is NULL");
    *chain = nullptr;
    auto handle = std::make_unique<memsched_chain>();
    handle->chain = std::make_shared<const memsched::Chain>(num_steps, forward_cost, adjoint_cost);
    *chain = handle.release();
  });
}

memsched_status memsched_chain_create_costs(int64_t num_steps, const double* forward_costs,
                                            const double* adjoint_costs, memsched_chain** chain) {
  return guarded("memsched_chain_create_costs", [&] {
    require(chain != nullptr, "chain is NULL");
    *chain = nullptr;
    require(forward_costs != nullptr && adjoint_costs != nullptr, "a cost array is NULL");
    if (num_steps < 1 || num_steps > (std::int64_t{1} << 40)) {
      throw std::invalid_argument("num_steps " + std::to_string(num_steps) +
                                  " is not in 1..2^40 (per-step costs are held in memory)");
    }
    const auto count = static_cast<std::size_t>(num_steps);
    auto handle = std::make_unique<memsched_chain>();
    handle->chain = std::make_shared<const memsched::Chain>(
        std::vector<double>(forward_costs, forward_costs + count),
        std::vector<double>(adjoint_costs, adjoint_costs + count));
    *chain = handle.release();
  });
}

int64_t memsched_chain_num_steps(const memsched_chain* chain) {
  return chain == nullptr ? 0 : chain->chain->num_steps();
}

void memsched_chain_free(memsched_chain* chain) { delete chain; }

memsched_status memsched_platform_create(const memsched_level* levels, size_t num_levels,
                                         int64_t work_tapes, memsched_platform** platform) {
  return guarded("memsched_platform_create", [&] {
    require(platform != nullptr, "platform is NULL");
    *platform = nullptr;
    require(levels != nullptr || num_levels == 0, "levels is NULL");
    if (num_levels > memsched::Platform::kMaxLevels) {
      throw std::invalid_argument("num_levels " + std::to_string(num_levels) + " exceeds " +
                                  std::to_string(memsched::Platform::kMaxLevels));
    }
    std::vector<memsched::StorageLevel> copies;
    for (std::size_t i = 0; i < num_levels; ++i) {
      if (levels[i].name == nullptr) {
        throw std::invalid_argument("levels[" + std::to_string(i) + "].name is NULL");
      }
      copies.push_back(
          {levels[i].name, levels[i].num_slots, levels[i].write_cost, levels[i].read_cost});
    }
    auto handle = std::make_unique<memsched_platform>();
    handle->platform = std::make_shared<const memsched::Platform>(std::move(copies), work_tapes);
    *platform = handle.release();
  });
}

memsched_status memsched_platform_create_ram(int64_t num_slots, memsched_platform** platform) {
  return guarded("memsched_platform_create_ram", [&] {
    require(platform != nullptr, "platform is NULL");
    *platform = nullptr;
    auto handle = std::make_unique<memsched_platform>();
    handle->platform =
        std::make_shared<const memsched::Platform>(memsched::Platform::ram(num_slots));
    *platform = handle.release();
  });
}

void memsched_platform_free(memsched_platform* platform) { delete platform; }

size_t memsched_planner_count(void) {
  try {
    return memsched::chain_planners().size();
  } catch (...) {
    return 0;
  }
}

const char* memsched_planner_name(size_t index) {
  try {
    const auto& planners = memsched::chain_planners();
    return index < planners.size() ? planners[index].name.c_str() : nullptr;
  } catch (...) {
    return nullptr;
  }
}

const char* memsched_planner_summary(size_t index) {
  try {
    const auto& planners = memsched::chain_planners();
    return index < planners.size() ? planners[index].summary.c_str() : nullptr;
  } catch (...) {
    return nullptr;
  }
}

memsched_status memsched_plan(const memsched_chain* chain, const memsched_platform* platform,
                              const char* planner, const memsched_plan_options* options,
                              memsched_schedule** schedule) {
  bool none = false;
  const memsched_status status = guarded("memsched_plan", [&] {
    require(schedule != nullptr, "schedule is NULL");
    *schedule = nullptr;
    auto handle = make_schedule(chain, platform, planner, options);
    if (!handle->stream) {
      none = true;
      return;
    }
    *schedule = handle.release();
  });
  if (status == MEMSCHED_OK && none) {
    return fail(MEMSCHED_NO_SCHEDULE, std::string("memsched_plan: planner ") + planner +
                                          " has no schedule for this chain and platform");
  }
  return status;
}

memsched_status memsched_schedule_next(memsched_schedule* schedule, memsched_action* action,
                                       int* has_action) {
  return guarded("memsched_schedule_next", [&] {
    require(schedule != nullptr && action != nullptr && has_action != nullptr,
            "an argument is NULL");
    *has_action = 0;
    if (schedule->done) return;
    const std::optional<memsched::Action> next = schedule->stream->next();
    if (!next) {
      schedule->done = true;
      return;
    }
    *action = to_c(*next);
    *has_action = 1;
  });
}

void memsched_schedule_free(memsched_schedule* schedule) { delete schedule; }

size_t memsched_action_format(const memsched_action* action, char* buffer, size_t size) {
  std::string text;
  try {
    text = action == nullptr ? std::string("(null)") : memsched::to_string(from_c(*action));
  } catch (const std::exception& e) {
    text = std::string("(invalid action: ") + e.what() + ")";
  } catch (...) {
    text = "(invalid action)";
  }
  if (buffer != nullptr && size > 0) {
    const std::size_t copied = std::min(size - 1, text.size());
    std::memcpy(buffer, text.data(), copied);
    buffer[copied] = '\0';
  }
  return text.size();
}

memsched_status memsched_simulator_create(const memsched_chain* chain,
                                          const memsched_platform* platform,
                                          memsched_simulator** simulator) {
  return guarded("memsched_simulator_create", [&] {
    require(simulator != nullptr, "simulator is NULL");
    *simulator = nullptr;
    require(chain != nullptr, "chain is NULL");
    require(platform != nullptr, "platform is NULL");
    *simulator =
        new memsched_simulator{chain->chain, platform->platform,
                               memsched::Simulator(*chain->chain, *platform->platform), false};
  });
}

memsched_status memsched_simulator_apply(memsched_simulator* simulator,
                                         const memsched_action* action) {
  return guarded("memsched_simulator_apply", [&] {
    require(simulator != nullptr && action != nullptr, "an argument is NULL");
    require(!simulator->finished, "the simulator has finished");
    simulator->simulator.apply(from_c(*action));
  });
}

memsched_status memsched_simulator_finish(memsched_simulator* simulator, memsched_report* report) {
  return guarded("memsched_simulator_finish", [&] {
    require(simulator != nullptr && report != nullptr, "an argument is NULL");
    require(!simulator->finished, "the simulator has finished already");
    const memsched::SimulationReport r = simulator->simulator.finish();
    simulator->finished = true;
    *report = to_c(r);
  });
}

memsched_status memsched_simulator_level(const memsched_simulator* simulator, size_t level,
                                         memsched_level_usage* usage) {
  return guarded("memsched_simulator_level", [&] {
    require(simulator != nullptr && usage != nullptr, "an argument is NULL");
    const auto& levels = simulator->simulator.report().levels;
    if (level >= levels.size()) {
      throw std::out_of_range("level " + std::to_string(level) + " of a platform with " +
                              std::to_string(levels.size()) + " levels");
    }
    usage->writes = levels[level].writes;
    usage->reads = levels[level].reads;
    usage->peak = levels[level].peak;
  });
}

void memsched_simulator_free(memsched_simulator* simulator) { delete simulator; }

memsched_status memsched_simulate_plan(const memsched_chain* chain,
                                       const memsched_platform* platform, const char* planner,
                                       const memsched_plan_options* options,
                                       memsched_report* report) {
  bool none = false;
  const memsched_status status = guarded("memsched_simulate_plan", [&] {
    require(report != nullptr, "report is NULL");
    auto schedule = make_schedule(chain, platform, planner, options);
    if (!schedule->stream) {
      none = true;
      return;
    }
    *report = to_c(memsched::simulate(*schedule->stream, *schedule->chain, *schedule->platform));
  });
  if (status == MEMSCHED_OK && none) {
    return fail(MEMSCHED_NO_SCHEDULE, std::string("memsched_simulate_plan: planner ") + planner +
                                          " has no schedule for this chain and platform");
  }
  return status;
}

}  // extern "C"
