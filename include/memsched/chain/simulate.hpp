// The replay simulator: checks that a schedule is legal on a chain and platform and measures it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "memsched/chain/action.hpp"
#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"

namespace memsched {

/// Use of one storage level over a whole schedule.
struct LevelUsage {
  std::int64_t writes = 0;  ///< checkpoints copied or moved into the level
  std::int64_t reads = 0;   ///< checkpoints copied or moved out of the level
  std::int64_t peak = 0;    ///< largest number of checkpoints held at once

  friend bool operator==(const LevelUsage& a, const LevelUsage& b) noexcept;
};

/// What a legal schedule did, in the project's counting convention (docs/concepts.md):
/// forward_steps counts every forward step run, the recording run before each adjoint step
/// included, so Revolve gives n + t(n, c) and store-all 2n - 1.
struct SimulationReport {
  std::int64_t num_actions = 0;
  std::int64_t forward_steps = 0;    ///< every forward step run, recording ones included
  std::int64_t recorded_steps = 0;   ///< forward steps run with recording
  std::int64_t adjoint_steps = 0;    ///< adjoint steps run (n per reverse sweep)
  std::int64_t reverse_sweeps = 0;   ///< completed reverse sweeps (EndReverse actions)
  std::int64_t peak_work_tapes = 0;  ///< most tapes held in the working buffer at once
  /// uf*forward_steps + ub*adjoint_steps + sum over levels (write_cost*writes +
  /// read_cost*reads), with per-step costs where the chain has them.
  double cost = 0.0;
  std::vector<LevelUsage> levels;  ///< one per platform level

  /// Griewank's "advances": forward steps not counting the recording runs, i.e.
  /// forward_steps - n per reverse sweep for joint reversal (t(n, c) for Revolve).
  std::int64_t advances() const noexcept { return forward_steps - recorded_steps; }
  /// The papers' makespan convention (Aupy et al., Herrmann & Pallez): cost minus the forward
  /// cost of the recording runs (n * uf for one sweep of a uniform chain).
  double paper_makespan(const Chain& chain) const;
};

namespace detail {

/// A set of non-negative integers in one flat array (open addressing, linear probing, deletion
/// by backward shift, load at most 1/2): the simulator's per-level occupancy, queried and
/// updated on every action, without a node allocation per insertion as std::unordered_set has.
/// The value std::numeric_limits<T>::max() marks an empty slot and cannot be stored.
template <class T>
class FlatSet {
 public:
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t count(T key) const noexcept {
    if (slots_.empty()) return 0;
    for (std::size_t i = home(key);; i = (i + 1) & mask()) {
      if (slots_[i] == key) return 1;
      if (slots_[i] == kEmpty) return 0;
    }
  }
  void insert(T key) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    std::size_t i = home(key);
    for (; slots_[i] != kEmpty; i = (i + 1) & mask()) {
      if (slots_[i] == key) return;
    }
    slots_[i] = key;
    ++size_;
  }
  void erase(T key) noexcept {
    if (slots_.empty()) return;
    std::size_t i = home(key);
    for (; slots_[i] != key; i = (i + 1) & mask()) {
      if (slots_[i] == kEmpty) return;
    }
    // Backward shift: move later members of the probe run into the hole when their home
    // position allows it, so that lookups never need tombstones.
    for (std::size_t j = (i + 1) & mask();; j = (j + 1) & mask()) {
      if (slots_[j] == kEmpty) break;
      const std::size_t h = home(slots_[j]);
      if (((j - h) & mask()) >= ((j - i) & mask())) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = kEmpty;
    --size_;
  }

  /// Iterates the members in storage order.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = T;
    const_iterator(const T* at, const T* end) : at_(at), end_(end) { skip(); }
    T operator*() const noexcept { return *at_; }
    const_iterator& operator++() noexcept {
      ++at_;
      skip();
      return *this;
    }
    bool operator!=(const const_iterator& other) const noexcept { return at_ != other.at_; }
    bool operator==(const const_iterator& other) const noexcept { return at_ == other.at_; }

   private:
    void skip() noexcept {
      while (at_ != end_ && *at_ == kEmpty) ++at_;
    }
    const T* at_;
    const T* end_;
  };
  const_iterator begin() const noexcept { return {slots_.data(), slots_.data() + slots_.size()}; }
  const_iterator end() const noexcept {
    return {slots_.data() + slots_.size(), slots_.data() + slots_.size()};
  }

 private:
  static constexpr T kEmpty = std::numeric_limits<T>::max();
  std::size_t mask() const noexcept { return slots_.size() - 1; }
  std::size_t home(T key) const noexcept {
    auto x = static_cast<std::uint64_t>(key);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return static_cast<std::size_t>(x) & mask();
  }
  void grow() {
    std::vector<T> old(slots_.empty() ? 16 : 2 * slots_.size(), kEmpty);
    old.swap(slots_);
    size_ = 0;
    for (T key : old) {
      if (key != kEmpty) insert(key);
    }
  }
  std::vector<T> slots_;
  std::size_t size_ = 0;
};

}  // namespace detail

/// Replays actions one at a time, rejecting the first illegal one with a ScheduleError that
/// names its index and the reason. Memory is O(checkpoints held), never O(actions), so a
/// stream of 10^8 actions is checked in O(slots) memory.
///
/// Rules (docs/concepts.md has the full list): Forward starts from the working state, never
/// passes the adjoint front, and records within the working buffer's tape capacity; Reverse
/// needs the front at its end and the tapes of its steps; Copy/Move/Free need the checkpoint
/// where they say; no level ever holds more than its slots; a state restored into work lies
/// before the adjoint front; Reverse only after EndForward; the schedule ends with EndReverse
/// and with every checkpoint and tape released.
class Simulator {
 public:
  /// The chain and platform must outlive the simulator.
  Simulator(const Chain& chain, const Platform& platform);
  // A temporary would dangle: rejected at compile time.
  Simulator(Chain&&, const Platform&) = delete;
  Simulator(const Chain&, Platform&&) = delete;

  /// Applies one action; throws ScheduleError (nothing changes) if it is illegal.
  void apply(const Action& action);
  /// Checks the end-of-schedule rules and returns the report; throws ScheduleError if the
  /// schedule is incomplete. Call once, after the last action.
  SimulationReport finish();

  const SimulationReport& report() const noexcept { return report_; }
  /// The working state's step, or -1 if the working buffer holds no state.
  Step working_step() const noexcept { return working_; }
  /// Adjoint front: adjoint steps >= front are done (n before the first Reverse).
  Step front() const noexcept { return front_; }
  /// Time so far: the cost of the actions applied.
  double time() const noexcept { return report_.cost; }
  /// Checkpoints held now by level `level`.
  std::int64_t occupancy(std::size_t level) const {
    return static_cast<std::int64_t>(held_.at(level).size());
  }
  /// Whether `place` holds the checkpoint (step, content) now.
  bool holds(Place place, Step step, Content content) const;
  /// The checkpoints level `level` holds now, by step then content (states first). O(k log k).
  std::vector<std::pair<Step, Content>> checkpoints(std::size_t level) const;
  /// The steps whose tapes the working buffer holds now, ascending.
  std::vector<Step> work_tapes() const;
  const Chain& chain() const noexcept { return *chain_; }
  const Platform& platform() const noexcept { return *platform_; }

 private:
  [[noreturn]] void fail(const Action& action, const std::string& reason) const;
  void check_source(const Action& action) const;
  void check_destination(const Action& action) const;
  void release(Place place, Step step, Content content);
  static std::uint64_t key(Step step, Content content) noexcept;

  const Chain* chain_;
  const Platform* platform_;
  SimulationReport report_;
  std::vector<detail::FlatSet<std::uint64_t>> held_;  // per level: key(step, content)
  detail::FlatSet<Step> work_tapes_;
  Step working_ = 0;  // x_0 starts in the working buffer
  Step front_;
  bool reverse_phase_ = false;
  bool reached_end_ = false;
  bool finished_sweep_ = false;
};

/// Called after each legal action with the simulator's state after it.
using SimulationObserver = std::function<void(const Simulator&, const Action&)>;

/// The state after one action, for plotting (see record_timeline).
struct TimelinePoint {
  std::int64_t action_index = 0;        ///< from 0
  double time = 0.0;                    ///< cost of the actions up to and including this one
  Step working_step = 0;                ///< -1 if the working buffer holds no state
  Step front = 0;                       ///< adjoint front
  std::vector<std::int64_t> occupancy;  ///< checkpoints held per level
};

/// Replays a stream and records the state after its actions: every action while there are at
/// most `max_points`, then every second one of those kept, and so on (the last action is always
/// kept), so memory stays O(max_points * levels) for any length. Throws ScheduleError like
/// simulate(), and std::invalid_argument if max_points < 2. The report goes to `report` if
/// given.
std::vector<TimelinePoint> record_timeline(ActionStream& stream, const Chain& chain,
                                           const Platform& platform,
                                           std::int64_t max_points = 10000,
                                           SimulationReport* report = nullptr);

/// Replays a whole schedule; throws ScheduleError at the first illegal action.
SimulationReport simulate(const Schedule& schedule, const Chain& chain, const Platform& platform,
                          const SimulationObserver& observer = {});
/// Replays a stream to its end in O(checkpoints held) memory.
SimulationReport simulate(ActionStream& stream, const Chain& chain, const Platform& platform,
                          const SimulationObserver& observer = {});

}  // namespace memsched
