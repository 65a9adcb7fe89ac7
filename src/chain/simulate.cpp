// The replay simulator: the single definition of what each action means (docs/concepts.md).
#include "memsched/chain/simulate.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "memsched/errors.hpp"

namespace memsched {

bool operator==(const LevelUsage& a, const LevelUsage& b) noexcept {
  return a.writes == b.writes && a.reads == b.reads && a.peak == b.peak;
}

double SimulationReport::paper_makespan(const Chain& chain) const {
  // The papers' backward step includes its recording run; ours counts that run as a forward
  // step (docs/theory/chain.md). One reverse sweep re-records every step once.
  return cost - static_cast<double>(reverse_sweeps) * chain.forward_cost(0, chain.num_steps());
}

Simulator::Simulator(const Chain& chain, const Platform& platform)
    : chain_(&chain),
      platform_(&platform),
      held_(platform.num_levels()),
      front_(chain.num_steps()) {
  report_.levels.resize(platform.num_levels());
  for (const StorageLevel& level : platform.levels()) {
    facts_.push_back({level.num_slots, level.read_cost, level.write_cost});
  }
  uniform_ = chain.is_uniform();
  if (uniform_) {
    // Chain::forward_cost(begin, end) is this times (end - begin) for a uniform chain.
    uniform_forward_ = chain.forward_cost(0, 1);
    uniform_adjoint_ = chain.adjoint_cost(0, 1);
  }
  work_capacity_ = platform.work_tapes();
  num_steps_ = chain.num_steps();
}

void Simulator::fail(const Action& action, const std::string& reason) const {
  throw ScheduleError(report_.num_actions, to_string(action, *platform_), reason);
}

bool Simulator::holds(Place place, Step step, Content content) const {
  if (place == kWork) {
    return content == Content::kState ? working_ == step && step >= 0
                                      : work_tapes_.count(step) != 0;
  }
  if (place < 0 || static_cast<std::size_t>(place) >= held_.size()) return false;
  return held_[static_cast<std::size_t>(place)].count(key(step, content)) != 0;
}

std::vector<std::pair<Step, Content>> Simulator::checkpoints(std::size_t level) const {
  std::vector<std::pair<Step, Content>> list;
  for (std::uint64_t k : held_.at(level)) {
    list.emplace_back(static_cast<Step>(k >> 1), (k & 1u) != 0 ? Content::kTape : Content::kState);
  }
  std::sort(list.begin(), list.end());
  return list;
}

std::vector<Step> Simulator::work_tapes() const {
  std::vector<Step> list(work_tapes_.begin(), work_tapes_.end());
  std::sort(list.begin(), list.end());
  return list;
}

namespace {

std::string checkpoint_name(Step step, Content content) {
  return content == Content::kState ? "state x_" + std::to_string(step)
                                    : "tape of step " + std::to_string(step);
}

std::string place_name(const Platform& platform, Place place) {
  if (place == kWork) return "the working buffer";
  return "level '" + platform.level(static_cast<std::size_t>(place)).name + "'";
}

}  // namespace

void Simulator::release(Place place, Step step, Content content) {
  if (place != kWork) {
    held_[static_cast<std::size_t>(place)].erase(key(step, content));
  } else if (content == Content::kState) {
    working_ = -1;
  } else {
    work_tapes_.erase(step);
  }
}

void Simulator::check_source(const Action& a) const {
  const Step n = chain_->num_steps();
  const Step last = a.content == Content::kState ? n : n - 1;
  if (a.step < 0 || a.step > last) {
    fail(a, "step " + std::to_string(a.step) + " is outside the chain [0, " + std::to_string(last) +
                "]");
  }
  if (a.from != kWork && (a.from < 0 || static_cast<std::size_t>(a.from) >= held_.size())) {
    fail(a, "no storage level " + std::to_string(a.from) + " (the platform has " +
                std::to_string(held_.size()) + ")");
  }
  if (!holds(a.from, a.step, a.content)) {
    fail(a,
         checkpoint_name(a.step, a.content) + " is not held by " + place_name(*platform_, a.from));
  }
}

void Simulator::check_destination(const Action& a) const {
  if (a.to == a.from) fail(a, "source and destination are the same place");
  if (a.to == kWork) {
    if (a.content == Content::kState && a.step >= front_) {
      fail(a, "restores x_" + std::to_string(a.step) + " at or past the adjoint front " +
                  std::to_string(front_));
    }
    if (a.content == Content::kTape) {
      if (work_tapes_.count(a.step) != 0) fail(a, "the working buffer already holds this tape");
      if (static_cast<std::int64_t>(work_tapes_.size()) >= platform_->work_tapes()) {
        fail(a, "the working buffer already holds " + std::to_string(work_tapes_.size()) +
                    " tape(s), its capacity");
      }
    }
    return;
  }
  if (a.to < 0 || static_cast<std::size_t>(a.to) >= held_.size()) {
    fail(a, "no storage level " + std::to_string(a.to) + " (the platform has " +
                std::to_string(held_.size()) + ")");
  }
  const auto& held = held_[static_cast<std::size_t>(a.to)];
  const StorageLevel& level = platform_->level(static_cast<std::size_t>(a.to));
  if (held.count(key(a.step, a.content)) != 0) {
    fail(a,
         checkpoint_name(a.step, a.content) + " is already stored on level '" + level.name + "'");
  }
  if (static_cast<std::int64_t>(held.size()) >= level.num_slots) {
    fail(a, "exceeds the capacity of level '" + level.name + "' (" +
                std::to_string(level.num_slots) + " slots, all in use)");
  }
}

void Simulator::apply_checked(const Action& a) {
  const Step n = chain_->num_steps();
  switch (a.kind) {
    case ActionKind::kForward: {
      if (a.begin < 0 || a.end <= a.begin || a.end > n) {
        fail(a, "bad step range: needs 0 <= begin < end <= " + std::to_string(n));
      }
      if (working_ != a.begin) {
        fail(a, working_ < 0 ? "the working buffer holds no state"
                             : "the working state is x_" + std::to_string(working_) + ", not x_" +
                                   std::to_string(a.begin));
      }
      if (a.end > front_) {
        fail(a, "advances past the adjoint front " + std::to_string(front_));
      }
      if (a.flag) {
        const std::int64_t tapes = static_cast<std::int64_t>(work_tapes_.size());
        if (a.end - a.begin > platform_->work_tapes() - tapes) {
          fail(a, "records " + std::to_string(a.end - a.begin) + " tape(s) but the working " +
                      "buffer holds " + std::to_string(tapes) + " of at most " +
                      std::to_string(platform_->work_tapes()));
        }
        for (Step i = a.begin; i < a.end; ++i) {
          if (work_tapes_.count(i) != 0) {
            fail(a, "the tape of step " + std::to_string(i) + " is already recorded");
          }
        }
      }
      std::int64_t forward_steps = report_.forward_steps;
      std::int64_t recorded = report_.recorded_steps;
      if (detail::add_overflows(forward_steps, a.end - a.begin) ||
          (a.flag && detail::add_overflows(recorded, a.end - a.begin))) {
        fail(a, "the forward step count overflows 64 bits");
      }
      if (a.flag) {
        for (Step i = a.begin; i < a.end; ++i) work_tapes_.insert(i);
        report_.peak_work_tapes =
            std::max(report_.peak_work_tapes, static_cast<std::int64_t>(work_tapes_.size()));
      }
      report_.forward_steps = forward_steps;
      report_.recorded_steps = recorded;
      report_.cost += chain_->forward_cost(a.begin, a.end);
      working_ = a.end;
      if (a.end == n) reached_end_ = true;
      break;
    }
    case ActionKind::kReverse: {
      if (!reverse_phase_) fail(a, "a reverse step before EndForward");
      if (a.end != front_) {
        fail(a, "the adjoint front is at " + std::to_string(front_) + ", not " +
                    std::to_string(a.end));
      }
      if (a.begin < 0 || a.begin >= a.end) fail(a, "bad step range: needs 0 <= begin < end");
      for (Step i = a.begin; i < a.end; ++i) {
        if (work_tapes_.count(i) == 0) {
          fail(a, "the tape of step " + std::to_string(i) +
                      " is not in the working buffer (run Forward with record first)");
        }
      }
      std::int64_t adjoint_steps = report_.adjoint_steps;
      if (detail::add_overflows(adjoint_steps, a.end - a.begin)) {
        fail(a, "the adjoint step count overflows 64 bits");
      }
      report_.adjoint_steps = adjoint_steps;
      if (a.flag) {
        for (Step i = a.begin; i < a.end; ++i) work_tapes_.erase(i);
      }
      report_.cost += chain_->adjoint_cost(a.begin, a.end);
      front_ = a.begin;
      break;
    }
    case ActionKind::kCopy:
    case ActionKind::kMove: {
      check_source(a);
      check_destination(a);
      if (a.kind == ActionKind::kMove) release(a.from, a.step, a.content);
      if (a.from != kWork) {
        const auto level = static_cast<std::size_t>(a.from);
        report_.levels[level].reads += 1;
        report_.cost += platform_->level(level).read_cost;
      }
      if (a.to == kWork) {
        if (a.content == Content::kState) {
          working_ = a.step;
        } else {
          work_tapes_.insert(a.step);
          report_.peak_work_tapes =
              std::max(report_.peak_work_tapes, static_cast<std::int64_t>(work_tapes_.size()));
        }
      } else {
        const auto level = static_cast<std::size_t>(a.to);
        auto& held = held_[level];
        held.insert(key(a.step, a.content));
        report_.levels[level].writes += 1;
        report_.levels[level].peak =
            std::max(report_.levels[level].peak, static_cast<std::int64_t>(held.size()));
        report_.cost += platform_->level(level).write_cost;
      }
      break;
    }
    case ActionKind::kFree: {
      check_source(a);
      release(a.from, a.step, a.content);
      break;
    }
    case ActionKind::kEndForward:
      if (reverse_phase_) fail(a, "EndForward after the forward phase ended");
      if (!reached_end_) fail(a, "the forward sweep has not reached x_" + std::to_string(n));
      reverse_phase_ = true;
      break;
    case ActionKind::kEndReverse:
      if (!reverse_phase_) fail(a, "EndReverse before EndForward");
      if (front_ != 0) {
        fail(a, "the adjoint front is at " + std::to_string(front_) + ", not 0");
      }
      report_.reverse_sweeps += 1;
      front_ = n;  // a further reverse sweep may follow (repeated adjoints)
      break;
  }
  finished_sweep_ = a.kind == ActionKind::kEndReverse;
  report_.num_actions += 1;
}

SimulationReport Simulator::finish() {
  auto fail_end = [&](const std::string& reason) {
    throw ScheduleError(report_.num_actions, "end of schedule", reason);
  };
  if (!finished_sweep_) {
    fail_end(report_.reverse_sweeps == 0 && front_ == chain_->num_steps() && !reverse_phase_
                 ? "the schedule ends before the adjoint (no EndForward/EndReverse)"
                 : "the schedule does not end with EndReverse");
  }
  for (std::size_t level = 0; level < held_.size(); ++level) {
    if (!held_[level].empty()) {
      const std::uint64_t k = *held_[level].begin();
      fail_end("ends with " + std::to_string(held_[level].size()) +
               " checkpoint(s) still held on level '" + platform_->level(level).name + "' (e.g. " +
               checkpoint_name(static_cast<Step>(k >> 1),
                               (k & 1u) != 0 ? Content::kTape : Content::kState) +
               ")");
    }
  }
  if (!work_tapes_.empty()) {
    fail_end("ends with " + std::to_string(work_tapes_.size()) +
             " tape(s) still held in the working buffer");
  }
  return report_;
}

std::int64_t ActionStream::replay(Simulator& simulator, std::int64_t max_actions) {
  std::array<Action, 256> batch;
  std::int64_t done = 0;
  while (done < max_actions) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::int64_t>(max_actions - done, batch.size()));
    const std::size_t count = next_batch(batch.data(), want);
    if (count == 0) break;
    simulator.apply_batch(batch.data(), count);
    done += static_cast<std::int64_t>(count);
  }
  return done;
}

SimulationReport simulate(ActionStream& stream, const Chain& chain, const Platform& platform,
                          const SimulationObserver& observer) {
  Simulator simulator(chain, platform);
  if (observer) {
    while (std::optional<Action> action = stream.next()) {
      simulator.apply(*action);
      observer(simulator, *action);
    }
    return simulator.finish();
  }
  // Runs of actions: streams that know their actions apply them without a call per action.
  while (stream.replay(simulator, std::int64_t{1} << 16) > 0) {
  }
  return simulator.finish();
}

std::vector<TimelinePoint> record_timeline(ActionStream& stream, const Chain& chain,
                                           const Platform& platform, std::int64_t max_points,
                                           SimulationReport* report) {
  if (max_points < 2) {
    throw std::invalid_argument("record_timeline: max_points must be at least 2, got " +
                                std::to_string(max_points));
  }
  std::vector<TimelinePoint> points;
  std::int64_t stride = 1;  // keep the actions whose index is a multiple of stride
  Simulator simulator(chain, platform);
  auto snapshot = [&]() {
    TimelinePoint point;
    point.action_index = simulator.report().num_actions - 1;
    point.time = simulator.time();
    point.working_step = simulator.working_step();
    point.front = simulator.front();
    for (std::size_t k = 0; k < platform.num_levels(); ++k) {
      point.occupancy.push_back(simulator.occupancy(k));
    }
    return point;
  };
  std::int64_t index = -1;
  while (std::optional<Action> action = stream.next()) {
    simulator.apply(*action);
    ++index;
    if (index % stride != 0) continue;
    if (static_cast<std::int64_t>(points.size()) >= max_points) {
      // Thin out: keep every second point, and from now on every 2*stride-th action.
      std::vector<TimelinePoint> kept;
      for (std::size_t i = 0; i < points.size(); i += 2) kept.push_back(std::move(points[i]));
      points = std::move(kept);
      stride *= 2;
      if (index % stride != 0) continue;
    }
    points.push_back(snapshot());
  }
  if (index >= 0 && (points.empty() || points.back().action_index != index)) {
    points.push_back(snapshot());
  }
  const SimulationReport result = simulator.finish();
  if (report) *report = result;
  return points;
}

SimulationReport simulate(const Schedule& schedule, const Chain& chain, const Platform& platform,
                          const SimulationObserver& observer) {
  ScheduleStream stream(schedule);
  return simulate(stream, chain, platform, observer);
}

}  // namespace memsched
