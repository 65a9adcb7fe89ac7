// The replay simulator: checks that a schedule is legal on a chain and platform and measures it.
#pragma once

#include <algorithm>
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

/// total += amount unless that overflows 64 bits; returns whether it does.
inline bool add_overflows(std::int64_t& total, std::int64_t amount) noexcept {
  return __builtin_add_overflow(total, amount, &total);
}

/// A set of non-negative integers in one flat array, the simulator's per-level occupancy,
/// queried and updated on every action without a node allocation per insertion as
/// std::unordered_set has. Up to kSorted members it is a sorted array whose last member is
/// tried first, so that checkpoints used last-in first-out (Revolve's snapshots, a recorded
/// tape used at once) cost O(1) and any other order O(log k) to find and a short move to insert
/// or erase; beyond, open addressing (linear probing, deletion by backward shift, load at most
/// 1/8 up to 2^15 slots and 1/2 beyond). The value std::numeric_limits<T>::max() marks an
/// empty slot and cannot be stored.
template <class T>
class FlatSet {
 public:
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t count(T key) const noexcept {
    if (sorted()) {
      if (size_ == 0) return 0;
      if (slots_[size_ - 1] == key) return 1;
      return std::binary_search(slots_.begin(), slots_.begin() + end(size_ - 1), key) ? 1 : 0;
    }
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      if (slots_[i] == key) return 1;
      if (slots_[i] == kEmpty) return 0;
    }
  }
  /// Adds `key`; returns false (and changes nothing) if it is already a member.
  bool insert(T key) {
    if (sorted()) {
      if (size_ == 0 || slots_[size_ - 1] < key) {
        if (size_ == capacity_) return insert_growing(key);
        slots_[size_++] = key;
        return true;
      }
      const auto at = std::lower_bound(slots_.begin(), slots_.begin() + end(size_), key);
      if (*at == key) return false;
      if (size_ == capacity_) return insert_growing(key);
      std::move_backward(at, slots_.begin() + end(size_), slots_.begin() + end(size_ + 1));
      *at = key;
      ++size_;
      return true;
    }
    if ((size_ + 1) * (capacity_ < kSparse ? 8 : 2) > capacity_) return insert_growing(key);
    return insert_hashed(key);
  }
  /// Removes `key`; returns false (and changes nothing) if it is not a member.
  bool erase(T key) noexcept {
    if (sorted()) {
      if (size_ == 0) return false;
      if (slots_[size_ - 1] != key) {
        const auto last = slots_.begin() + end(size_ - 1);
        const auto at = std::lower_bound(slots_.begin(), last, key);
        if (at == last || *at != key) return false;
        std::move(at + 1, slots_.begin() + end(size_), at);
      }
      slots_[--size_] = kEmpty;
      return true;
    }
    std::size_t i = home(key);
    for (; slots_[i] != key; i = (i + 1) & mask_) {
      if (slots_[i] == kEmpty) return false;
    }
    // Backward shift: move later members of the probe run into the hole when their home
    // position allows it, so that lookups never need tombstones.
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (slots_[j] == kEmpty) break;
      const std::size_t h = home(slots_[j]);
      if (((j - h) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = kEmpty;
    --size_;
    return true;
  }

  /// Iterates the members in storage order.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = T;
    const_iterator(const T* at, const T* last) : at_(at), end_(last) { skip(); }
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
  static constexpr std::size_t kSorted = 256;
  // Up to kSparse slots the load stays at most 1/8, so that nearly every probe ends at the
  // home slot (a predictable branch on the hot path); beyond it 1/2, to bound the memory.
  static constexpr std::size_t kSparse = std::size_t{1} << 15;
  static std::ptrdiff_t end(std::size_t count) noexcept {
    return static_cast<std::ptrdiff_t>(count);
  }
  // Sorted mode: the members at the front in increasing order, then empty slots.
  bool sorted() const noexcept { return capacity_ <= kSorted; }
  // Fibonacci hashing (Knuth, TAOCP vol. 3, 6.4): the top bits of key * 2^64/phi.
  std::size_t home(T key) const noexcept {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ULL) >>
                                    shift_);
  }
  bool insert_hashed(T key) noexcept {
    std::size_t i = home(key);
    for (; slots_[i] != kEmpty; i = (i + 1) & mask_) {
      if (slots_[i] == key) return false;
    }
    slots_[i] = key;
    ++size_;
    return true;
  }
  // An insertion of a non-member that needs more room: a larger sorted array, or the switch to
  // (or a larger table of) open addressing.
  bool insert_growing(T key) {
    if (capacity_ < kSorted) {
      capacity_ = capacity_ == 0 ? 8 : 2 * capacity_;
      slots_.resize(capacity_, kEmpty);
      return insert(key);
    }
    std::vector<T> old(capacity_ == kSorted ? 16 * kSorted : 2 * capacity_, kEmpty);
    old.swap(slots_);
    capacity_ = slots_.size();
    mask_ = capacity_ - 1;
    shift_ = 64;
    for (std::size_t size = capacity_; size > 1; size >>= 1) --shift_;
    size_ = 0;
    for (T member : old) {
      if (member != kEmpty) insert_hashed(member);
    }
    return insert_hashed(key);
  }

  std::vector<T> slots_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;  // slots_.size()
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
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

  /// Applies one action; throws ScheduleError (nothing changes) if it is illegal. Inline: the
  /// common legal cases (Forward; Reverse of one step; a state copied or moved between the
  /// working buffer and a level) are checked and applied here, everything else, illegal
  /// actions included, by the full rule set, which names the rule broken.
  void apply(const Action& action) {
    if (!apply_common(action)) apply_checked(action);
  }
  /// Applies Forward(step, step + 1, record) then Reverse(step + 1, step), the joint reversal
  /// of one step: exactly apply() of the two, checked together where both are legal.
  void apply_joint_step(Step step) {
    if (!apply_joint_common(step)) {
      apply(Action::forward(step, step + 1, true));
      apply(Action::reverse(step + 1, step));
    }
  }
  /// Applies one action by the full rule set alone, without the inline cases: the same result
  /// as apply() (the reference that apply() is tested against), only slower.
  void apply_checked(const Action& action);
  /// Applies `count` actions in order, exactly as `count` calls of apply() would (on an
  /// illegal one, the actions before it stay applied).
  void apply_batch(const Action* actions, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) apply(actions[i]);
  }
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
  static std::uint64_t key(Step step, Content content) noexcept {
    return (static_cast<std::uint64_t>(step) << 1) | (content == Content::kTape ? 1u : 0u);
  }
  inline bool apply_common(const Action& action);
  inline bool apply_joint_common(Step step);

  // What the inline path reads on every action, copied from the chain and platform.
  struct LevelFacts {
    std::int64_t slots;
    double read_cost;
    double write_cost;
  };
  std::vector<LevelFacts> facts_;
  bool uniform_ = false;
  double uniform_forward_ = 0.0;
  double uniform_adjoint_ = 0.0;
  std::int64_t work_capacity_ = 0;
  Step num_steps_ = 0;

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

// The legal common cases, checked and applied with the same rules as apply(action): returns
// false without changing anything when the action is not one of them or breaks a rule, and
// apply(action) then decides (and names the broken rule). Every test below is one of
// apply(action)'s, so both accept exactly the same actions and leave the same state.
inline bool Simulator::apply_common(const Action& a) {
  const Step n = num_steps_;
  switch (a.kind) {
    case ActionKind::kForward: {
      if (a.begin != working_ || a.begin < 0 || a.end <= a.begin || a.end > front_ || a.end > n) {
        return false;
      }
      const Step length = a.end - a.begin;
      std::int64_t forward_steps = report_.forward_steps;
      std::int64_t recorded = report_.recorded_steps;
      if (detail::add_overflows(forward_steps, length)) return false;
      if (a.flag) {
        // With no tape held, none of the steps is recorded twice.
        if (!work_tapes_.empty() || length > work_capacity_) return false;
        if (detail::add_overflows(recorded, length)) return false;
        for (Step i = a.begin; i < a.end; ++i) work_tapes_.insert(i);
        report_.peak_work_tapes =
            std::max(report_.peak_work_tapes, static_cast<std::int64_t>(work_tapes_.size()));
      }
      report_.forward_steps = forward_steps;
      report_.recorded_steps = recorded;
      report_.cost += uniform_ ? uniform_forward_ * static_cast<double>(length)
                               : chain_->forward_cost(a.begin, a.end);
      working_ = a.end;
      if (a.end == n) reached_end_ = true;
      break;
    }
    case ActionKind::kReverse: {
      // One step, the common case; longer ranges go through apply(action).
      if (!reverse_phase_ || a.end != front_ || a.begin != a.end - 1 || a.begin < 0) return false;
      std::int64_t adjoint_steps = report_.adjoint_steps;
      if (detail::add_overflows(adjoint_steps, 1)) return false;
      if (a.flag) {
        if (!work_tapes_.erase(a.begin)) return false;
      } else if (work_tapes_.count(a.begin) == 0) {
        return false;
      }
      report_.adjoint_steps = adjoint_steps;
      report_.cost += uniform_ ? uniform_adjoint_ : chain_->adjoint_cost(a.begin, a.end);
      front_ = a.begin;
      break;
    }
    case ActionKind::kCopy:
    case ActionKind::kMove: {
      if (a.content != Content::kState || a.step < 0 || a.step > n) return false;
      const auto levels = static_cast<Place>(held_.size());
      if (a.to == kWork && a.from >= 0 && a.from < levels) {
        // Restore a state from a level: held there, and before the adjoint front.
        if (a.step >= front_) return false;
        auto& held = held_[static_cast<std::size_t>(a.from)];
        if (a.kind == ActionKind::kMove ? !held.erase(key(a.step, a.content))
                                        : held.count(key(a.step, a.content)) == 0) {
          return false;
        }
        const auto level = static_cast<std::size_t>(a.from);
        report_.levels[level].reads += 1;
        // Adding 0.0 changes no cost (they start at +0.0): skipped, as free levels are common.
        if (facts_[level].read_cost != 0.0) report_.cost += facts_[level].read_cost;
        working_ = a.step;
      } else if (a.from == kWork && a.to >= 0 && a.to < levels) {
        // Store the working state: not yet on the level, and a slot free.
        if (working_ != a.step) return false;
        const auto level = static_cast<std::size_t>(a.to);
        auto& held = held_[level];
        if (static_cast<std::int64_t>(held.size()) >= facts_[level].slots ||
            !held.insert(key(a.step, a.content))) {
          return false;
        }
        if (a.kind == ActionKind::kMove) working_ = -1;
        report_.levels[level].writes += 1;
        report_.levels[level].peak =
            std::max(report_.levels[level].peak, static_cast<std::int64_t>(held.size()));
        if (facts_[level].write_cost != 0.0) report_.cost += facts_[level].write_cost;
      } else {
        return false;
      }
      break;
    }
    default:
      return false;
  }
  finished_sweep_ = false;
  report_.num_actions += 1;
  return true;
}

// Forward(i, i + 1, record) then Reverse(i + 1, i) in one: the tests of apply_common() for the
// two, where the Reverse's follow from the Forward's (its tape is the one just recorded) or
// are checked here (the reverse phase, the front just after the step).
inline bool Simulator::apply_joint_common(Step i) {
  const Step n = num_steps_;
  if (i != working_ || i < 0 || i + 1 > front_ || i + 1 > n || !reverse_phase_ || i + 1 != front_ ||
      !work_tapes_.empty() || work_capacity_ < 1) {
    return false;
  }
  std::int64_t forward_steps = report_.forward_steps;
  std::int64_t recorded = report_.recorded_steps;
  std::int64_t adjoint_steps = report_.adjoint_steps;
  if (detail::add_overflows(forward_steps, 1) || detail::add_overflows(recorded, 1) ||
      detail::add_overflows(adjoint_steps, 1)) {
    return false;
  }
  // The tape is recorded and used up again: the working buffer holds one tape in between.
  report_.peak_work_tapes = std::max<std::int64_t>(report_.peak_work_tapes, 1);
  report_.forward_steps = forward_steps;
  report_.recorded_steps = recorded;
  report_.cost += uniform_ ? uniform_forward_ * 1.0 : chain_->forward_cost(i, i + 1);
  if (i + 1 == n) reached_end_ = true;
  report_.adjoint_steps = adjoint_steps;
  report_.cost += uniform_ ? uniform_adjoint_ : chain_->adjoint_cost(i, i + 1);
  working_ = i + 1;
  front_ = i;
  finished_sweep_ = false;
  report_.num_actions += 2;
  return true;
}

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
