// Revolve's control loop (Griewank & Walther, ACM TOMS 26(1), 2000, Algorithm 799) for C and
// Fortran drivers, translated from memsched's Revolve schedule (RevolveStream): the same
// optimal advance count t(n, c), with 64-bit counts and no limit on snapshots or repetitions.
#include "memsched/plan/revolve.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "last_error.hpp"
#include "memsched/chain/action.hpp"
#include "memsched/memsched.h"
#include "memsched/plan/binomial.hpp"

namespace {

// One reversal in progress. Revolve names snapshots by slot ("check"); memsched names
// checkpoints by step. Checkpoints of a binomial reversal are released in the reverse order
// of their creation, so slots handed out from a stack make `check` the index of the newest
// snapshot, as in Revolve.
struct RevolveLoop {
  std::unique_ptr<memsched::RevolveStream> stream;
  std::int64_t offset = 0;  // the caller's capo at the start (step 0 of the stream)
  std::int64_t snaps = 0;
  bool turned = false;  // FIRSTURN returned
  // The snapshots held, oldest first: (step, slot). Restores and releases concern the newest
  // ones, so lookups scan from the back and take O(1) time in practice.
  std::vector<std::pair<std::int64_t, std::int64_t>> held;
  std::vector<std::int64_t> free_slots;  // released slots, the lowest on top
  std::int64_t fresh_slot = 0;           // slots never used yet are fresh_slot, fresh_slot+1...
  // What this function left in check, capo, fine: anything else means the caller changed them.
  std::int64_t check = -1, capo = 0, fine = 0;

  std::int64_t allocate(std::int64_t step) {
    std::int64_t slot;
    if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
    } else {
      slot = fresh_slot++;
    }
    held.emplace_back(step, slot);
    return slot;
  }
  // Index in `held` of the snapshot of `step`, or -1.
  std::ptrdiff_t find(std::int64_t step) const {
    for (auto i = static_cast<std::ptrdiff_t>(held.size()) - 1; i >= 0; --i) {
      if (held[static_cast<std::size_t>(i)].first == step) return i;
    }
    return -1;
  }
  void release(std::int64_t step) {
    const std::ptrdiff_t i = find(step);
    if (i < 0) return;
    free_slots.push_back(held[static_cast<std::size_t>(i)].second);
    held.erase(held.begin() + i);
  }
  std::int64_t newest() const { return static_cast<std::int64_t>(held.size()) - 1; }
};

thread_local std::unique_ptr<RevolveLoop> loop;

memsched_revolve_action revolve_error(int* info, int code, const std::string& message) {
  loop.reset();
  if (info != nullptr) *info = code;
  memsched::detail::set_last_error("memsched_revolve: " + message);
  return MEMSCHED_REVOLVE_ERROR;
}

memsched_revolve_action next_action(RevolveLoop& l, std::int64_t* check, std::int64_t* capo,
                                    std::int64_t* fine) {
  using memsched::ActionKind;
  for (;;) {
    const std::optional<memsched::Action> a = l.stream->next();
    if (!a || a->kind == ActionKind::kEndReverse) {
      *check = -1;
      *fine = *capo = l.offset;
      loop.reset();
      return MEMSCHED_REVOLVE_TERMINATE;
    }
    switch (a->kind) {
      case ActionKind::kForward:
        if (!a->record()) {
          *capo = l.offset + a->end;
          return MEMSCHED_REVOLVE_ADVANCE;
        } else {
          // A turn: the taped step from `begin`, then (after EndForward the first time) its
          // Reverse, which the caller's turn includes.
          for (std::optional<memsched::Action> b = l.stream->next();
               b && b->kind != ActionKind::kReverse; b = l.stream->next()) {
            if (b->kind != ActionKind::kEndForward) {
              throw std::logic_error("unexpected " + memsched::to_string(*b) + " in a turn");
            }
          }
          *capo = *fine = l.offset + a->begin;
          *check = l.newest();
          const bool first = !l.turned;
          l.turned = true;
          return first ? MEMSCHED_REVOLVE_FIRSTURN : MEMSCHED_REVOLVE_YOUTURN;
        }
      case ActionKind::kCopy:
      case ActionKind::kMove:
        if (a->from == memsched::kWork) {  // a snapshot of the working state
          *check = l.allocate(a->step);
          *capo = l.offset + a->step;
          return MEMSCHED_REVOLVE_TAKESHOT;
        } else {  // a restore; a Move is the snapshot's last use, so its slot is free after
          const std::ptrdiff_t i = l.find(a->step);
          if (i < 0) {
            throw std::logic_error("restore of a state never stored: " + memsched::to_string(*a));
          }
          *check = l.held[static_cast<std::size_t>(i)].second;
          *capo = l.offset + a->step;
          if (a->kind == ActionKind::kMove) l.release(a->step);
          return MEMSCHED_REVOLVE_RESTORE;
        }
      case ActionKind::kFree:
        l.release(a->step);
        break;
      case ActionKind::kEndForward:
        break;
      default:
        throw std::logic_error("unexpected " + memsched::to_string(*a));
    }
  }
}

}  // namespace

extern "C" {

memsched_revolve_action memsched_revolve64(int64_t* check, int64_t* capo, int64_t* fine,
                                           int64_t snaps, int* info) {
  try {
    if (check == nullptr || capo == nullptr || fine == nullptr) {
      return revolve_error(info, 9, "check, capo or fine is NULL");
    }
    if (*check < -1 || *capo > *fine) {
      return revolve_error(
          info, 9,
          "check = " + std::to_string(*check) + ", capo = " + std::to_string(*capo) +
              ", fine = " + std::to_string(*fine) + ": need check >= -1 and capo <= fine");
    }
    if (*check == -1 && *capo < *fine) {  // a new reversal of steps capo..fine-1
      if (snaps < 1 && *fine - *capo > 1) {
        return revolve_error(info, 9,
                             "snaps = " + std::to_string(snaps) + " for " +
                                 std::to_string(*fine - *capo) + " steps");
      }
      auto fresh = std::make_unique<RevolveLoop>();
      fresh->offset = *capo;
      fresh->snaps = snaps;
      fresh->stream = std::make_unique<memsched::RevolveStream>(*fine - *capo, snaps);
      loop = std::move(fresh);
    } else if (!loop) {
      if (*capo == *fine) return MEMSCHED_REVOLVE_TERMINATE;  // done, called once more
      return revolve_error(info, 13, "no reversal in progress: start with check = -1");
    } else if (*check != loop->check || *capo != loop->capo || *fine != loop->fine ||
               snaps != loop->snaps) {
      return revolve_error(info, 13,
                           "check, capo, fine or snaps changed between calls (enlarging fine "
                           "is not supported: for an unknown length use the \"online\" "
                           "planner)");
    }
    RevolveLoop& l = *loop;
    const memsched_revolve_action action = next_action(l, check, capo, fine);
    if (loop) {
      loop->check = *check;
      loop->capo = *capo;
      loop->fine = *fine;
    }
    return action;
  } catch (const std::bad_alloc&) {
    return revolve_error(info, 9, "out of memory");
  } catch (const std::exception& e) {
    return revolve_error(info, 9, e.what());
  } catch (...) {
    return revolve_error(info, 9, "unknown error");
  }
}

memsched_revolve_action memsched_revolve32(int* check, int* capo, int* fine, int snaps, int* info) {
  if (check == nullptr || capo == nullptr || fine == nullptr) {
    return revolve_error(info, 9, "check, capo or fine is NULL");
  }
  int64_t check64 = *check, capo64 = *capo, fine64 = *fine;
  const memsched_revolve_action action =
      memsched_revolve64(&check64, &capo64, &fine64, snaps, info);
  // Every value lies between the caller's capo and fine, or is -1: it fits in an int.
  *check = static_cast<int>(check64);
  *capo = static_cast<int>(capo64);
  *fine = static_cast<int>(fine64);
  return action;
}

int64_t memsched_revolve_maxrange(int64_t snaps, int64_t reps) {
  return memsched::beta(snaps, reps);
}

int64_t memsched_revolve_adjust(int64_t steps) {
  // Revolve's adjust: grow snaps = reps together until beta(snaps, reps) covers the steps,
  // then lower the larger of the two while it still does; the last lowering is undone.
  if (steps <= 1) return 1;
  std::int64_t snaps = 1, reps = 1;
  while (memsched::beta(snaps, reps) < steps) {
    ++snaps;
    ++reps;
  }
  int last = -1;  // 0: snaps was lowered last, 1: reps
  while (memsched::beta(snaps, reps) >= steps) {
    if (snaps > reps) {
      --snaps;
      last = 0;
    } else {
      --reps;
      last = 1;
    }
  }
  if (last == 0) ++snaps;
  return snaps;
}

int64_t memsched_revolve_numforw(int64_t steps, int64_t snaps) {
  try {
    return memsched::revolve_advances(steps, snaps);
  } catch (const std::exception& e) {
    memsched::detail::set_last_error(std::string("memsched_revolve_numforw: ") + e.what());
    return -1;
  }
}

}  // extern "C"
