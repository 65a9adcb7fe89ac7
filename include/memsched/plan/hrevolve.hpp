// H-Revolve: optimal checkpointing on a hierarchy of storage levels (RAM, disk, ...), each with
// a capacity, a write cost and a read cost (Herrmann & Pallez, ACM TOMS 46(2), 2020), with the
// recurrence corrected so that it stays optimal when the fastest level has costs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"

namespace memsched {

/// Which H-Revolve recurrence to solve (docs/multilevel.md).
enum class HRevolveVariant : std::uint8_t {
  /// The optimum for any costs: kCorrected when write and read costs are non-decreasing from
  /// the fastest level to the slowest, kGeneral otherwise.
  kAuto,
  /// The hierarchical recurrence of the paper (the checkpoint on the slowest level in use is
  /// the earliest), with every split j = 1..l, including j = l ("read the checkpoint and
  /// recompute the whole rest"), on every level. Optimal for any non-negative costs that do not
  /// decrease from level to level (fastest level with costs included). Θ(n^2 Σ c_k).
  kCorrected,
  /// Any checkpoint on any level: the state is the vector of free slots per level. Optimal for
  /// any non-negative costs, non-monotone ones included. Θ(n^2 K Π(c_k + 1)).
  kGeneral,
  /// The recurrence as published and implemented by the authors (splits j = 1..l-1, the
  /// closed-form border for one level-0 slot). Not optimal when level 0 has costs; equal to
  /// kCorrected when w_0 = r_0 = 0. For comparisons only.
  kPublished,
};

namespace detail {
struct HRevolveTables;
struct GeneralTables;
}  // namespace detail

/// The H-Revolve dynamic programme for a chain of `num_steps` uniform steps on a platform.
///
/// Solves, for every level k, slot count m <= c_k and length l <= n - 1 (the papers' l forward
/// steps), H_k(l, m) (x_0 only in the working buffer; at most m slots of level k, all slots of
/// the faster levels, nothing slower) and Hbar_k(l, m) (x_0 also stored on level k). Values are
/// in the papers' convention; cost() converts to ours (+ n * uf). Θ(n^2 Σ_k c_k) time,
/// Θ(n Σ_k c_k) memory for kCorrected/kPublished (see HRevolveVariant for kGeneral), with c_k
/// capped at n (more slots are never used); a level with at least n slots needs one row
/// (H_k(l, m) = H_k(l, inf) for m >= l), so e.g. RAM plus an unlimited disk costs Θ(n^2 c_0)
/// at most (kCorrected, kGeneral). Throws std::invalid_argument if n < 1, the
/// platform has no level or a step cost is negative, std::length_error if the table would
/// exceed 2^27 entries (kCorrected, kPublished) or 2^28 (kGeneral).
class HRevolveSolution {
 public:
  HRevolveSolution(Step num_steps, const Platform& platform, double forward_cost,
                   double adjoint_cost, HRevolveVariant variant = HRevolveVariant::kAuto);
  ~HRevolveSolution();
  HRevolveSolution(const HRevolveSolution&);
  HRevolveSolution& operator=(const HRevolveSolution&);
  HRevolveSolution(HRevolveSolution&&) noexcept;
  HRevolveSolution& operator=(HRevolveSolution&&) noexcept;

  Step num_steps() const noexcept;
  /// Whether some schedule fits the capacities (false only when n >= 2 and every level has no
  /// slot).
  bool feasible() const noexcept;
  /// The optimal cost in the project's convention (cost of simulate()); +inf if not feasible.
  double cost() const noexcept;
  /// The optimal makespan in the papers' convention (cost() - n * uf).
  double paper_makespan() const noexcept;
  /// H_k(l, m) and Hbar_k(l, m) (papers' convention); requires k < levels, l <= n - 1,
  /// m <= min(c_k, n), and m >= l on a level with at least n slots (std::out_of_range
  /// otherwise).
  double table(std::size_t level, Step length, std::int64_t slots, bool start_stored) const;
  /// The recurrence actually solved (kAuto resolved).
  HRevolveVariant variant() const noexcept;

 private:
  friend class HRevolveStream;
  std::shared_ptr<const detail::HRevolveTables> tables_;  // kCorrected, kPublished
  std::shared_ptr<const detail::GeneralTables> general_;  // kGeneral
};

/// The optimal H-Revolve schedule as a lazy stream over a solved table: each decision costs
/// O(l) (one argmin is recomputed instead of stored), O(depth) extra memory.
///
/// Every checkpoint is written with Copy(work -> level) and read with Copy, or with Move at its
/// last read; a checkpoint never read again is released with Free. No level ever holds more
/// than its capacity. The stream's cost under simulate() equals HRevolveSolution::cost().
class HRevolveStream final : public ActionStream {
 public:
  /// Throws std::invalid_argument if the solution is not feasible.
  explicit HRevolveStream(const HRevolveSolution& solution);
  ~HRevolveStream() override;
  HRevolveStream(HRevolveStream&&) noexcept;
  HRevolveStream& operator=(HRevolveStream&&) noexcept;

  std::optional<Action> next() override;

 private:
  std::unique_ptr<ActionStream> impl_;
};

/// H-Revolve on a platform for a uniform chain (uf = chain.forward_cost(0), ub likewise).
/// nullopt if the chain has per-step costs (the recurrence assumes uniform steps) or no
/// schedule fits. Example, the paper's Listing 2:
///
///     Platform p({{"l0", 1, 0, 0}, {"l1", 2, 2, 2}, {"l2", 10, 3, 3}});
///     auto s = hrevolve(Chain(21), p);   // l = 20 forward steps, n = 21
///     simulate(*s, Chain(21), p).cost;   // 89 + 21 = 110 (papers' makespan 89)
std::optional<HRevolveStream> hrevolve(const Chain& chain, const Platform& platform,
                                       HRevolveVariant variant = HRevolveVariant::kAuto);

/// The optimal cost hrevolve() promises (our convention), nullopt as for hrevolve().
/// hrevolve() and hrevolve_cost() keep the last solved table (one per process, guarded by a
/// mutex), so asking for the cost and then the schedule of the same instance solves it once.
std::optional<double> hrevolve_cost(const Chain& chain, const Platform& platform,
                                    HRevolveVariant variant = HRevolveVariant::kAuto);

}  // namespace memsched
