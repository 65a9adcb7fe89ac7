// Multistage checkpointing: Revolve's stack positions placed on RAM or disk by access counts.
#include "memsched/plan/multistage.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace memsched {

MultistageStream::MultistageStream(Step num_steps, std::int64_t ram_slots, std::int64_t disk_slots)
    : revolve_(num_steps, [&] {
        if (ram_slots < 0 || disk_slots < 0) {
          throw std::invalid_argument("multistage: negative slot count");
        }
        return std::min<std::int64_t>(ram_slots + std::min(disk_slots, num_steps), num_steps);
      }()) {
  const std::int64_t total =
      std::min<std::int64_t>(ram_slots + std::min(disk_slots, num_steps), num_steps);
  // Dry run: the Revolve controller is a stack, so every snapshot is identified by its stack
  // position (a write pushes, a Move pops, a Copy reads the top).
  std::vector<std::int64_t> accesses(static_cast<std::size_t>(std::max<std::int64_t>(total, 1)), 0);
  std::int64_t depth = 0;
  RevolveStream dry(num_steps, total);
  while (std::optional<Action> a = dry.next()) {
    if (a->kind == ActionKind::kCopy && a->to != kWork) {
      accesses[static_cast<std::size_t>(depth++)] += 1;
    } else if (a->kind == ActionKind::kCopy) {
      accesses[static_cast<std::size_t>(depth - 1)] += 1;
    } else if (a->kind == ActionKind::kMove) {
      accesses[static_cast<std::size_t>(--depth)] += 1;
    }
  }
  // The ram_slots most used positions go to RAM (ties: the deeper, longer-lived position).
  std::vector<std::size_t> order(accesses.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return accesses[a] > accesses[b]; });
  placement_.assign(accesses.size(), 1);
  for (std::size_t i = 0; i < order.size() && static_cast<std::int64_t>(i) < ram_slots; ++i) {
    placement_[order[i]] = 0;
  }
}

std::optional<Action> MultistageStream::next() {
  std::optional<Action> a = revolve_.next();
  if (!a) return a;
  if (a->kind == ActionKind::kCopy && a->to != kWork) {
    a->to = placement_[static_cast<std::size_t>(depth_++)];
  } else if (a->kind == ActionKind::kCopy) {
    a->from = placement_[static_cast<std::size_t>(depth_ - 1)];
  } else if (a->kind == ActionKind::kMove) {
    a->from = placement_[static_cast<std::size_t>(--depth_)];
  }
  return a;
}

std::optional<MultistageStream> multistage(const Chain& chain, const Platform& platform) {
  if (platform.num_levels() < 2) return std::nullopt;
  const std::int64_t ram = std::min(platform.level(0).num_slots, chain.num_steps());
  const std::int64_t disk = std::min(platform.level(1).num_slots, chain.num_steps());
  if (chain.num_steps() > 1 && ram + disk == 0) return std::nullopt;
  return MultistageStream(chain.num_steps(), ram, disk);
}

}  // namespace memsched
