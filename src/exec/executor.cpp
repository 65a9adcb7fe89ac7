// The executor's engine: the state machine that interprets one action at a time, performs
// the storage actions, hands out user work and reads ahead; the replay check and the resume
// journal are units of their own (replay_check.hpp, journal.hpp).
#include "memsched/exec/executor.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <utility>

#include "exec/detail/schedule_identity.hpp"
#include "journal.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/errors.hpp"
#include "memsched/exec/codec.hpp"
#include "memsched/exec/online.hpp"
#include "replay_check.hpp"

namespace memsched {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

// The engine's state machine: the public AdjointExecutor forwards to it.
class AdjointExecutor::Impl {
 public:
  Impl(detail::StepBinding& binding, ActionStream& schedule, Step num_steps,
       std::vector<Storage*> levels, ExecutorOptions options);
  Impl(detail::StepBinding& binding, OnlinePlanner& planner, std::vector<Storage*> levels,
       ExecutorOptions options);

  std::optional<StepWork> next();
  void end_forward();
  bool online_forward() const noexcept { return online_forward_; }
  Step working_step() const noexcept { return logical_; }
  Step num_steps() const noexcept { return num_steps_; }
  ExecutionProfile profile() const;

 private:
  struct TapeBuffer {
    bool live = false;  // joint: the physical working state; split: the binding's tape
    std::vector<std::byte> bytes;
  };
  enum class Phase { kIdle, kForward, kReverse, kMaterialize, kSeed, kResume };

  void init();
  std::optional<Action> fetch();
  void start_prefetch();
  bool start_action(const Action& action);
  std::optional<StepWork> continue_action();
  std::optional<StepWork> bring_physical_to(Step target);
  void finish_work();
  void end_action();
  void store_state(const Action& a);
  void restore_state(const Action& a);
  void store_tape(const Action& a);
  void fetch_tape(const Action& a);
  void spill_live_tape();
  void protect_state();
  void protect_tape();
  void load_bytes_into_state(Step step, const std::byte* data, std::size_t size, bool verify);
  void save_state_bytes(std::vector<std::byte>& out);
  Storage& level(Place place, const Action& a);
  void write_journal();
  void write_hashes();
  void resume_from_journal();
  void recover_into_physical(Step target);

  detail::StepBinding* binding_;
  ActionStream* stream_ = nullptr;
  std::unique_ptr<OnlineSchedule> online_;  // online runs: the planner as an action stream
  Step num_steps_;
  std::vector<Storage*> levels_;
  ExecutorOptions options_;
  std::unique_ptr<Simulator> simulator_;
  std::unique_ptr<Chain> chain_;
  std::unique_ptr<Platform> platform_;
  std::unique_ptr<detail::ReplayChecker> checker_;
  std::optional<detail::ResumeJournal> journal_;

  std::deque<Action> lookahead_;
  bool stream_done_ = false;
  std::int64_t action_index_ = 0;  // actions executed so far
  std::uint64_t schedule_hash_ = 0;

  Action current_{};
  Phase phase_ = Phase::kIdle;
  Step cursor_ = 0;  // next step of the current Forward / Reverse

  Step physical_ = 0;  // step of the state physically in the working state object (-1: none)
  Step logical_ = 0;   // step of the working state as the schedule sees it (-1: none)
  std::map<Step, TapeBuffer> work_tapes_;
  Step live_tape_ = -1;
  bool seeded_ = false;
  bool reverse_phase_ = false;
  bool online_forward_ = false;
  std::vector<Step> resume_targets_;  // states to rebuild after a resume, largest first
  std::vector<std::set<std::pair<Step, int>>> resume_expected_;  // per level, after resume
  std::set<Step> resume_work_tapes_;
  std::vector<std::byte> x0_bytes_;  // resume only: x_0, to recompute lost checkpoints
  std::int64_t reverse_actions_ = 0;

  std::optional<StepWork> handed_out_;
  Clock::time_point handed_out_at_;
  Clock::time_point start_;
  std::vector<std::byte> buffer_;
  mutable ExecutionProfile profile_;
};

ReplayError::ReplayError(Step step, const std::string& detail)
    : std::runtime_error("replay check failed at x_" + std::to_string(step) + ": " + detail),
      step_(step) {}

AdjointExecutor::Impl::Impl(detail::StepBinding& binding, ActionStream& schedule, Step num_steps,
                            std::vector<Storage*> levels, ExecutorOptions options)
    : binding_(&binding),
      stream_(&schedule),
      num_steps_(num_steps),
      levels_(std::move(levels)),
      options_(std::move(options)) {
  if (num_steps < 1) {
    throw std::invalid_argument("AdjointExecutor: num_steps must be >= 1, got " +
                                std::to_string(num_steps));
  }
  init();
}

AdjointExecutor::Impl::Impl(detail::StepBinding& binding, OnlinePlanner& planner,
                            std::vector<Storage*> levels, ExecutorOptions options)
    : binding_(&binding),
      online_(std::make_unique<OnlineSchedule>(planner)),
      num_steps_(0),
      levels_(std::move(levels)),
      options_(std::move(options)) {
  if (options_.resume) {
    throw std::invalid_argument("AdjointExecutor: online runs cannot be resumed");
  }
  stream_ = online_.get();
  online_forward_ = true;
  init();
}

void AdjointExecutor::Impl::init() {
  for (std::size_t i = 0; i < levels_.size(); ++i) {
    if (levels_[i] == nullptr) {
      throw std::invalid_argument("AdjointExecutor: storage level " + std::to_string(i) +
                                  " is null");
    }
  }
  const Step stride = options_.replay_check_stride;
  if (stride < 1 || (stride & (stride - 1)) != 0) {
    throw std::invalid_argument(
        "AdjointExecutor: replay_check_stride must be a power of two >= 1, got " +
        std::to_string(stride));
  }
  if (!(options_.replay_check_budget >= 0)) {
    throw std::invalid_argument("AdjointExecutor: replay_check_budget must be >= 0");
  }
  if (options_.journal_every < 1) {
    throw std::invalid_argument("AdjointExecutor: journal_every must be >= 1, got " +
                                std::to_string(options_.journal_every));
  }
  if (options_.resume && options_.journal.empty()) {
    throw std::invalid_argument("AdjointExecutor: resume needs a journal path");
  }
  start_ = Clock::now();
  profile_.rss_start_bytes = current_rss_bytes();
  profile_.rss_peak_reset = reset_peak_rss();
  if (!online_ && (options_.validate || options_.resume)) {
    chain_ = std::make_unique<Chain>(num_steps_);
    platform_ = std::make_unique<Platform>(detail::validation_platform(levels_));
    simulator_ = std::make_unique<Simulator>(*chain_, *platform_);
  }
  profile_.num_steps = num_steps_;
  checker_ = std::make_unique<detail::ReplayChecker>(*binding_, profile_, options_.replay_check,
                                                     stride, options_.replay_check_budget,
                                                     online_ ? 0 : num_steps_);
  checker_->start();
  if (!options_.journal.empty()) journal_.emplace(options_.journal);
  if (options_.resume) resume_from_journal();
}

Storage& AdjointExecutor::Impl::level(Place place, const Action& a) {
  if (place < 0 || static_cast<std::size_t>(place) >= levels_.size()) {
    throw ScheduleError(action_index_, to_string(a),
                        "no storage level " + std::to_string(place) + " (the executor has " +
                            std::to_string(levels_.size()) + ")");
  }
  return *levels_[static_cast<std::size_t>(place)];
}

std::optional<Action> AdjointExecutor::Impl::fetch() {
  if (online_forward_) {
    // One action at a time: finish() must see every yielded action executed.
    if (lookahead_.empty()) {
      std::optional<Action> a = stream_->next();
      if (!a) return std::nullopt;
      return a;
    }
  }
  const std::size_t want = std::max<std::size_t>(1, options_.lookahead);
  while (!stream_done_ && lookahead_.size() < want) {
    std::optional<Action> a = stream_->next();
    if (!a) {
      stream_done_ = true;
      break;
    }
    lookahead_.push_back(*a);
  }
  if (lookahead_.empty()) return std::nullopt;
  const Action a = lookahead_.front();
  lookahead_.pop_front();
  start_prefetch();
  return a;
}

void AdjointExecutor::Impl::start_prefetch() {
  // The first read of each level in the look-ahead window: start it if the checkpoint exists.
  std::vector<bool> seen(levels_.size(), false);
  for (const Action& a : lookahead_) {
    if ((a.kind != ActionKind::kCopy && a.kind != ActionKind::kMove) || a.from < 0) continue;
    const auto index = static_cast<std::size_t>(a.from);
    if (index >= levels_.size() || seen[index]) continue;
    seen[index] = true;
    const CheckpointKey key{a.step, a.content};
    if (levels_[index]->contains(key)) levels_[index]->prefetch(key);
  }
}

std::optional<StepWork> AdjointExecutor::Impl::next() {
  finish_work();
  while (true) {
    if (phase_ != Phase::kIdle) {
      if (std::optional<StepWork> work = continue_action()) {
        handed_out_ = work;
        handed_out_at_ = Clock::now();
        return work;
      }
      if (phase_ == Phase::kResume) {
        phase_ = Phase::kIdle;
        continue;
      }
      end_action();
    }
    std::optional<Action> a = fetch();
    if (!a) {
      if (simulator_) profile_.plan = simulator_->finish();
      if (journal_) journal_->remove();
      profile_.total_seconds += seconds_since(start_);
      start_ = Clock::now();
      return std::nullopt;
    }
    current_ = *a;
    if (simulator_) simulator_->apply(current_);
    if (!start_action(current_)) end_action();
  }
}

bool AdjointExecutor::Impl::start_action(const Action& a) {
  auto fail = [&](const std::string& reason) {
    throw ScheduleError(action_index_, to_string(a), reason);
  };
  switch (a.kind) {
    case ActionKind::kForward:
      if (logical_ != a.begin) fail("the working state is not x_" + std::to_string(a.begin));
      if (a.flag && online_forward_) fail("an online forward sweep records no tapes");
      phase_ = Phase::kForward;
      cursor_ = a.begin;
      return true;
    case ActionKind::kReverse:
      if (!reverse_phase_) fail("a reverse step before EndForward");
      phase_ = Phase::kReverse;
      cursor_ = a.end - 1;
      return true;
    case ActionKind::kCopy:
    case ActionKind::kMove:
      if (a.from == kWork && a.content == Content::kState) {
        if (logical_ != a.step) fail("the working state is not x_" + std::to_string(a.step));
        phase_ = Phase::kMaterialize;
        return true;
      }
      if (a.to == kWork && a.content == Content::kState) {
        restore_state(a);
      } else if (a.from == kWork) {
        store_tape(a);
      } else if (a.to == kWork) {
        fetch_tape(a);
      } else {
        Storage& from = level(a.from, a);
        Storage& to = level(a.to, a);
        const CheckpointKey key{a.step, a.content};
        buffer_.resize(from.size(key));
        from.read(key, buffer_.data(), buffer_.size());
        to.write(key, buffer_.data(), buffer_.size());
        if (a.kind == ActionKind::kMove) from.release(key);
      }
      return false;
    case ActionKind::kFree:
      if (a.from == kWork) {
        if (a.content == Content::kState) {
          logical_ = -1;
        } else {
          if (live_tape_ == a.step) live_tape_ = -1;
          work_tapes_.erase(a.step);
        }
      } else {
        level(a.from, a).release({a.step, a.content});
      }
      return false;
    case ActionKind::kEndForward:
      if (online_forward_) fail("EndForward during an online forward sweep");
      reverse_phase_ = true;
      phase_ = Phase::kSeed;
      return true;
    case ActionKind::kEndReverse:
      return false;
  }
  return false;
}

std::optional<StepWork> AdjointExecutor::Impl::continue_action() {
  while (true) {
    switch (phase_) {
      case Phase::kIdle:
        return std::nullopt;
      case Phase::kMaterialize: {
        if (std::optional<StepWork> work = bring_physical_to(logical_)) return work;
        store_state(current_);
        phase_ = Phase::kIdle;
        return std::nullopt;
      }
      case Phase::kSeed: {
        if (!seeded_) {
          if (std::optional<StepWork> work = bring_physical_to(num_steps_)) return work;
          seeded_ = true;
          return StepWork{StepWork::Kind::kSeed, num_steps_};
        }
        phase_ = Phase::kIdle;
        return std::nullopt;
      }
      case Phase::kForward: {
        const Action& a = current_;
        if (cursor_ >= a.end) {
          phase_ = Phase::kIdle;
          return std::nullopt;
        }
        if (physical_ != cursor_) {
          if (std::optional<StepWork> work = bring_physical_to(cursor_)) return work;
        }
        const Step i = cursor_;
        cursor_ += 1;
        logical_ = i + 1;
        if (!a.flag) {
          protect_state();
          physical_ = i + 1;
          return StepWork{StepWork::Kind::kAdvance, i};
        }
        if (binding_->split()) {
          protect_tape();
          work_tapes_[i].live = true;
          live_tape_ = i;
          physical_ = i + 1;
          return StepWork{StepWork::Kind::kRecord, i};
        }
        protect_state();
        if (i + 1 < a.end) {
          // Joint mode: the tape of step i is x_i itself.
          save_state_bytes(work_tapes_[i].bytes);
          physical_ = i + 1;
          return StepWork{StepWork::Kind::kAdvance, i};
        }
        // The last recorded step is not run: its tape is the working state x_i, and x_{i+1}
        // is computed only if something needs it (bring_physical_to).
        work_tapes_[i].live = true;
        live_tape_ = i;
        continue;
      }
      case Phase::kReverse: {
        const Action& a = current_;
        if (cursor_ < a.begin) {
          phase_ = Phase::kIdle;
          return std::nullopt;
        }
        const Step i = cursor_;
        cursor_ -= 1;
        auto it = work_tapes_.find(i);
        if (it == work_tapes_.end()) {
          throw ScheduleError(action_index_, to_string(a),
                              "the tape of step " + std::to_string(i) + " is not in work");
        }
        if (binding_->split()) {
          if (live_tape_ != i) {
            protect_tape();
            const auto t = Clock::now();
            binding_->load_tape(it->second.bytes.data(), it->second.bytes.size());
            profile_.state_codec.add(seconds_since(t));
            it->second.live = true;
            live_tape_ = i;
          }
        } else if (live_tape_ != i && physical_ != i) {
          protect_state();
          load_bytes_into_state(i, it->second.bytes.data(), it->second.bytes.size(), true);
        }
        if (a.flag) {
          if (live_tape_ == i) live_tape_ = -1;
          work_tapes_.erase(it);
        }
        return StepWork{StepWork::Kind::kReverse, i};
      }
      case Phase::kResume: {
        if (resume_targets_.empty()) return std::nullopt;
        const Step target = resume_targets_.back();
        if (std::optional<StepWork> work = bring_physical_to(target)) return work;
        resume_targets_.pop_back();
        save_state_bytes(buffer_);
        // Every place that should hold x_target (or, joint, the tape of step target) gets it.
        for (std::size_t l = 0; l < levels_.size(); ++l) {
          for (Content content : {Content::kState, Content::kTape}) {
            const CheckpointKey key{target, content};
            auto& expected = resume_expected_[l];
            if (expected.count({target, static_cast<int>(content)}) != 0 &&
                !levels_[l]->contains(key)) {
              levels_[l]->write(key, buffer_.data(), buffer_.size());
            }
          }
        }
        if (resume_work_tapes_.count(target) != 0 && work_tapes_.count(target) == 0) {
          work_tapes_[target].bytes = buffer_;
        }
        continue;
      }
    }
  }
}

std::optional<StepWork> AdjointExecutor::Impl::bring_physical_to(Step target) {
  if (physical_ == target) return std::nullopt;
  protect_state();
  if (physical_ < 0 || physical_ > target) {
    recover_into_physical(target);
    if (physical_ == target) return std::nullopt;
  }
  const Step k = physical_;
  physical_ = k + 1;
  profile_.unplanned_forward_steps += 1;
  return StepWork{StepWork::Kind::kAdvance, k};
}

void AdjointExecutor::Impl::recover_into_physical(Step target) {
  // The latest state at or before `target` held anywhere: a level, a joint tape, or x_0.
  Step best = -1;
  Storage* source = nullptr;
  const std::vector<std::byte>* bytes = nullptr;
  for (Storage* storage : levels_) {
    for (const CheckpointKey& key : storage->keys()) {
      const bool usable =
          key.content == Content::kState || (!binding_->split() && key.content == Content::kTape);
      if (usable && key.step <= target && key.step > best) {
        best = key.step;
        source = storage;
        bytes = nullptr;
      }
    }
  }
  if (!binding_->split()) {
    for (const auto& [step, tape] : work_tapes_) {
      if (step <= target && step > best && !tape.live) {
        best = step;
        source = nullptr;
        bytes = &tape.bytes;
      }
    }
  }
  if (!x0_bytes_.empty() && best < 0) {
    best = 0;
    source = nullptr;
    bytes = &x0_bytes_;
  }
  if (best < 0) {
    throw std::logic_error("AdjointExecutor: no checkpoint at or before x_" +
                           std::to_string(target) + " to recompute it from");
  }
  if (source != nullptr) {
    CheckpointKey key{best, Content::kState};
    if (!source->contains(key)) key.content = Content::kTape;
    std::vector<std::byte> data(source->size(key));
    source->read(key, data.data(), data.size());
    load_bytes_into_state(best, data.data(), data.size(), true);
  } else {
    load_bytes_into_state(best, bytes->data(), bytes->size(), true);
  }
}

void AdjointExecutor::Impl::spill_live_tape() {
  if (live_tape_ < 0) return;
  auto it = work_tapes_.find(live_tape_);
  if (it != work_tapes_.end() && it->second.live) {
    const auto t = Clock::now();
    if (binding_->split()) {
      it->second.bytes.resize(binding_->tape_size());
      binding_->save_tape(it->second.bytes.data());
    } else {
      save_state_bytes(it->second.bytes);
    }
    profile_.state_codec.add(seconds_since(t));
    it->second.live = false;
  }
  live_tape_ = -1;
}

void AdjointExecutor::Impl::protect_state() {
  // Joint mode keeps the live tape in the working state: save it before the state changes.
  if (!binding_->split()) spill_live_tape();
}

void AdjointExecutor::Impl::protect_tape() {
  // Split mode keeps the live tape in the binding's one tape object.
  if (binding_->split()) spill_live_tape();
}

void AdjointExecutor::Impl::save_state_bytes(std::vector<std::byte>& out) {
  const auto t = Clock::now();
  out.resize(binding_->state_size());
  binding_->save_state(out.data());
  profile_.state_bytes = out.size();
  profile_.state_codec.add(seconds_since(t));
}

void AdjointExecutor::Impl::load_bytes_into_state(Step step, const std::byte* data,
                                                  std::size_t size, bool verify) {
  const auto t = Clock::now();
  physical_ = -1;  // unknown until the load succeeds
  binding_->load_state(data, size);
  profile_.state_codec.add(seconds_since(t));
  physical_ = step;
  if (verify) checker_->check(step, false);
}

void AdjointExecutor::Impl::finish_work() {
  if (!handed_out_) return;
  const StepWork work = *handed_out_;
  handed_out_.reset();
  const double seconds = seconds_since(handed_out_at_);
  if (work.kind == StepWork::Kind::kAdvance) checker_->add_step_sample(seconds);
  switch (work.kind) {
    case StepWork::Kind::kAdvance:
    case StepWork::Kind::kRecord: {
      const bool first = work.step + 1 > checker_->reached();
      if (work.kind == StepWork::Kind::kRecord) {
        profile_.record.add(seconds);
      } else if (first) {
        profile_.advance_first.add(seconds);
      } else {
        profile_.advance_recompute.add(seconds);
      }
      checker_->check(work.step + 1, true);
      break;
    }
    case StepWork::Kind::kSeed:
      profile_.seed.add(seconds);
      break;
    case StepWork::Kind::kReverse:
      profile_.reverse.add(seconds);
      break;
  }
}

void AdjointExecutor::Impl::end_action() {
  phase_ = Phase::kIdle;
  action_index_ += 1;
  profile_.num_actions = action_index_;
  schedule_hash_ = hash_combine(schedule_hash_, detail::action_hash(current_));
  if (current_.kind == ActionKind::kEndForward && journal_) {
    write_hashes();
    write_journal();
  }
  if (current_.kind == ActionKind::kReverse && journal_) {
    reverse_actions_ += 1;
    if (reverse_actions_ % options_.journal_every == 0) write_journal();
  }
  if (options_.on_action) options_.on_action(current_, action_index_ - 1);
}

void AdjointExecutor::Impl::end_forward() {
  if (!online_forward_) {
    throw std::logic_error("AdjointExecutor::end_forward: not in an online forward sweep");
  }
  finish_work();
  if (phase_ == Phase::kForward && cursor_ >= current_.end) end_action();
  if (phase_ != Phase::kIdle) {
    throw std::logic_error("AdjointExecutor::end_forward: an action is still running");
  }
  num_steps_ = logical_;
  profile_.num_steps = num_steps_;
  online_forward_ = false;
  online_->finish(num_steps_);
}

void AdjointExecutor::Impl::store_state(const Action& a) {
  Storage& to = level(a.to, a);
  const CheckpointKey key{a.step, Content::kState};
  const std::size_t size = binding_->state_size();
  if (std::byte* place = to.write_in_place(key, size)) {
    // Straight into the level's memory: one copy, like a hand-written store.
    const auto t = Clock::now();
    binding_->save_state(place);
    profile_.state_bytes = size;
    profile_.state_codec.add(seconds_since(t));
  } else {
    save_state_bytes(buffer_);
    to.write(key, buffer_.data(), buffer_.size());
  }
  if (a.kind == ActionKind::kMove) logical_ = -1;
}

void AdjointExecutor::Impl::restore_state(const Action& a) {
  Storage& from = level(a.from, a);
  const CheckpointKey key{a.step, Content::kState};
  const std::size_t size = from.size(key);
  if (const std::byte* place = from.read_in_place(key)) {
    protect_state();
    load_bytes_into_state(a.step, place, size, true);
  } else {
    buffer_.resize(size);
    from.read(key, buffer_.data(), buffer_.size());
    protect_state();
    load_bytes_into_state(a.step, buffer_.data(), buffer_.size(), true);
  }
  logical_ = a.step;
  if (a.kind == ActionKind::kMove) from.release(key);
}

void AdjointExecutor::Impl::store_tape(const Action& a) {
  Storage& to = level(a.to, a);
  auto it = work_tapes_.find(a.step);
  if (it == work_tapes_.end()) {
    throw ScheduleError(action_index_, to_string(a), "the tape is not in the working buffer");
  }
  if (it->second.live) {
    if (binding_->split()) {
      it->second.bytes.resize(binding_->tape_size());
      binding_->save_tape(it->second.bytes.data());
    } else {
      save_state_bytes(it->second.bytes);
    }
  }
  to.write({a.step, Content::kTape}, it->second.bytes.data(), it->second.bytes.size());
  if (a.kind == ActionKind::kMove) {
    if (live_tape_ == a.step) live_tape_ = -1;
    work_tapes_.erase(it);
  } else if (it->second.live && live_tape_ == a.step) {
    // Still live; the bytes are a valid copy too.
  }
}

void AdjointExecutor::Impl::fetch_tape(const Action& a) {
  Storage& from = level(a.from, a);
  const CheckpointKey key{a.step, Content::kTape};
  TapeBuffer& tape = work_tapes_[a.step];
  tape.live = false;
  tape.bytes.resize(from.size(key));
  from.read(key, tape.bytes.data(), tape.bytes.size());
  if (a.kind == ActionKind::kMove) from.release(key);
}

void AdjointExecutor::Impl::write_hashes() {
  journal_->write_hashes({num_steps_, checker_->reached(), checker_->stride(), checker_->hashes()});
}

void AdjointExecutor::Impl::write_journal() {
  detail::JournalEntry entry{num_steps_, action_index_, schedule_hash_, logical_, {}};
  entry.adjoint.resize(binding_->adjoint_size());
  binding_->save_adjoint(entry.adjoint.data());
  journal_->write(entry);
}

void AdjointExecutor::Impl::resume_from_journal() {
  const detail::JournalEntry journal = journal_->read();
  if (journal.num_steps != num_steps_) {
    throw ResumeError("resume: the journal is for " + std::to_string(journal.num_steps) +
                      " steps, not " + std::to_string(num_steps_));
  }
  detail::JournalHashes hashes = journal_->read_hashes(num_steps_);
  checker_->restore(hashes.reached, hashes.stride, std::move(hashes.hashes));

  // Replay the executed prefix of the schedule without running it.
  for (std::int64_t i = 0; i < journal.action_index; ++i) {
    std::optional<Action> a = stream_->next();
    if (!a) throw ResumeError("resume: the schedule is shorter than the interrupted run's");
    simulator_->apply(*a);
    schedule_hash_ = hash_combine(schedule_hash_, detail::action_hash(*a));
  }
  if (schedule_hash_ != journal.schedule_hash) {
    throw ResumeError("resume: the schedule differs from the interrupted run's");
  }
  action_index_ = journal.action_index;
  profile_.num_actions = journal.action_index;
  binding_->load_adjoint(journal.adjoint.data(), journal.adjoint.size());
  reverse_phase_ = true;
  seeded_ = true;
  logical_ = journal.working_step;
  // The working state object holds x_0 (the caller passed it again); keep its bytes, the
  // source of last resort for recomputing what the interrupted process held in memory.
  save_state_bytes(x0_bytes_);
  physical_ = 0;
  if (options_.replay_check && checker_->hashes()[0] != binding_->hash_state()) {
    throw ResumeError("resume: the initial state differs from the interrupted run's");
  }

  // Compare each level with what it should hold: drop leftovers written after the journal
  // entry, rebuild what is missing (RAM lost with the process, files released since).
  std::set<Step> targets;
  resume_expected_.assign(levels_.size(), {});
  for (std::size_t l = 0; l < levels_.size(); ++l) {
    for (const auto& [step, content] : simulator_->checkpoints(l)) {
      resume_expected_[l].insert({step, static_cast<int>(content)});
    }
  }
  for (std::size_t l = 0; l < levels_.size(); ++l) {
    for (const CheckpointKey& key : levels_[l]->keys()) {
      if (resume_expected_[l].count({key.step, static_cast<int>(key.content)}) == 0) {
        levels_[l]->release(key);
      }
    }
    for (const auto& [step, content] : resume_expected_[l]) {
      const CheckpointKey key{step, static_cast<Content>(content)};
      if (levels_[l]->contains(key)) continue;
      if (key.content == Content::kTape && binding_->split()) {
        throw ResumeError("resume: the tape of step " + std::to_string(step) +
                          " was lost and split-mode tapes cannot be rebuilt");
      }
      targets.insert(step);
    }
  }
  const std::vector<Step> work_tapes = simulator_->work_tapes();
  resume_work_tapes_ = std::set<Step>(work_tapes.begin(), work_tapes.end());
  if (!work_tapes.empty() && binding_->split()) {
    throw ResumeError("resume: split-mode tapes held in memory were lost");
  }
  for (Step step : work_tapes) targets.insert(step);
  resume_targets_.assign(targets.rbegin(), targets.rend());  // largest first; pop the back
  if (!resume_targets_.empty()) phase_ = Phase::kResume;
}

ExecutionProfile AdjointExecutor::Impl::profile() const {
  ExecutionProfile p = profile_;
  p.levels.clear();
  for (const Storage* storage : levels_) {
    p.levels.push_back(
        {storage->name(), storage->capacity_bytes(), storage->persistent(), storage->counters()});
  }
  if (handed_out_ || phase_ != Phase::kIdle) p.total_seconds += seconds_since(start_);
  p.rss_peak_bytes = peak_rss_bytes();
  std::int64_t tape_bytes = 0;
  for (const auto& entry : work_tapes_) {
    tape_bytes += static_cast<std::int64_t>(entry.second.bytes.capacity());
  }
  std::int64_t read_ahead = 0;
  for (const Storage* storage : levels_) {
    if (storage->persistent()) read_ahead += 2 * static_cast<std::int64_t>(p.state_bytes);
  }
  // Working state, its copy in run_adjoint, the I/O buffer, the adjoint, read-ahead.
  p.planned_extra_bytes = 4 * static_cast<std::int64_t>(p.state_bytes) + tape_bytes + read_ahead;
  return p;
}

AdjointExecutor::AdjointExecutor(detail::StepBinding& binding, ActionStream& schedule,
                                 Step num_steps, std::vector<Storage*> levels,
                                 ExecutorOptions options)
    : impl_(std::make_unique<Impl>(binding, schedule, num_steps, std::move(levels),
                                   std::move(options))) {}

AdjointExecutor::AdjointExecutor(detail::StepBinding& binding, OnlinePlanner& planner,
                                 std::vector<Storage*> levels, ExecutorOptions options)
    : impl_(std::make_unique<Impl>(binding, planner, std::move(levels), std::move(options))) {}

AdjointExecutor::~AdjointExecutor() = default;

std::optional<StepWork> AdjointExecutor::next() { return impl_->next(); }
void AdjointExecutor::end_forward() { impl_->end_forward(); }
bool AdjointExecutor::online_forward() const noexcept { return impl_->online_forward(); }
Step AdjointExecutor::working_step() const noexcept { return impl_->working_step(); }
Step AdjointExecutor::num_steps() const noexcept { return impl_->num_steps(); }
ExecutionProfile AdjointExecutor::profile() const { return impl_->profile(); }

namespace detail {

Platform validation_platform(const std::vector<Storage*>& levels) {
  std::vector<StorageLevel> list;
  std::set<std::string> names;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    std::string name = levels[i]->name();
    if (name.empty() || !names.insert(name).second) name += "#" + std::to_string(i);
    names.insert(name);
    // Capacities are enforced in bytes by the levels themselves.
    list.push_back({name, kUnlimitedSlots, 0.0, 0.0});
  }
  return Platform(std::move(list), std::int64_t{1} << 40);
}

}  // namespace detail

}  // namespace memsched
