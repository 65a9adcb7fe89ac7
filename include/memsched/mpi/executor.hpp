// Checkpointed adjoints of SPMD programs over MPI: every rank runs the same schedule on its own
// part of the state, planned collectively, with per-rank storage and errors agreed by all ranks.
#pragma once

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"
#include "memsched/exec/model.hpp"
#include "memsched/plan/registry.hpp"

namespace memsched::mpi {

/// The ranks do not all hold the same schedule (different planner inputs, a rank configured
/// differently). Thrown on every rank, before any step runs.
class ScheduleMismatchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Makes a fresh stream of the schedule each time it is called (the same actions every time):
/// the MPI layer reads the schedule once to fingerprint it, again to agree on a resume point,
/// and once to run it.
using ScheduleFactory = std::function<std::unique_ptr<ActionStream>()>;

/// A schedule's fingerprint: its number of actions and the hash of the action sequence.
struct ScheduleFingerprint {
  std::int64_t num_actions = 0;
  std::uint64_t hash = 0;

  friend bool operator==(ScheduleFingerprint a, ScheduleFingerprint b) noexcept {
    return a.num_actions == b.num_actions && a.hash == b.hash;
  }
};

/// Drains `stream` and fingerprints it. O(actions) time, O(1) memory.
ScheduleFingerprint fingerprint(ActionStream& stream);

/// Collective: returns normally on every rank if every rank passed the same fingerprint,
/// otherwise throws the same ScheduleMismatchError on every rank (naming rank 0's fingerprint
/// and the lowest rank that differs). Two broadcasts and two reductions of a few bytes.
void check_same_schedule(MPI_Comm comm, ScheduleFingerprint local);

/// Collective agreement after a fallible phase: `local` is this rank's failure (null when it
/// succeeded). Returns normally on every rank if no rank failed; otherwise every rank throws
/// the same exception, rebuilt from the lowest failing rank's: the same type for the
/// memsched errors (ReplayError, ChecksumError, StorageError, ResumeError, ScheduleError,
/// ScheduleMismatchError), std::invalid_argument, std::out_of_range, std::logic_error and
/// std::bad_alloc, std::runtime_error otherwise; what() starts with "rank R of P: ". One
/// reduction of an int when no rank failed; a broadcast of the message otherwise.
void agree(MPI_Comm comm, std::exception_ptr local);

/// As agree(), running `phase` first and catching what it throws.
template <typename Phase>
void agree_on(MPI_Comm comm, Phase&& phase) {
  std::exception_ptr error;
  try {
    phase();
  } catch (...) {
    error = std::current_exception();
  }
  agree(comm, error);
}

/// This rank's own path under `base`: `<base>/rank<r>` with r zero-padded to five digits, so
/// ranks sharing a folder (a parallel file system) or a node-local disk never share a file.
std::filesystem::path rank_path(MPI_Comm comm, const std::filesystem::path& base);

/// Collective: a file level in rank_path(comm, base) on every rank (make_file_storage); a
/// folder that cannot be created on any rank is the same StorageError on every rank.
std::unique_ptr<Storage> make_rank_file_storage(MPI_Comm comm, const std::filesystem::path& base,
                                                std::uint64_t capacity_bytes,
                                                FileStorageOptions options = {},
                                                std::string name = "disk");

/// Costs measured on one rank, in seconds and bytes; reduce_costs() takes the maximum of each
/// over the ranks (the slowest rank's step, the largest part of the state, the slowest disk).
struct StepCosts {
  double forward_seconds = 1.0;       ///< one forward step
  double adjoint_seconds = 1.0;       ///< one adjoint step
  std::uint64_t state_bytes = 0;      ///< one checkpoint of this rank's state
  std::vector<double> write_seconds;  ///< per storage level: writing one checkpoint
  std::vector<double> read_seconds;   ///< per storage level: reading one checkpoint
};

/// Collective: every field's maximum over the ranks (the same result on every rank). Throws
/// std::invalid_argument (on every rank) if the ranks give different numbers of levels.
StepCosts reduce_costs(MPI_Comm comm, const StepCosts& local);

/// Collective: measures this rank's costs on `model` from `x0` (`samples` forward steps from
/// x0 on a copy, one seed and one adjoint step; each level's write and read of x0 by
/// measure_storage_cost) and reduces them (reduce_costs). Joint models only (advance, seed,
/// reverse); the steps may communicate (halo exchanges), as every rank runs the same ones.
template <typename Model>
StepCosts measure_costs(MPI_Comm comm, Model& model, const typename Model::State& x0,
                        const std::vector<Storage*>& levels, int samples = 3);

/// A collectively planned schedule: the same on every rank.
struct CollectivePlan {
  std::string planner;  ///< the registry planner's name
  Step num_steps = 0;
  StepCosts costs;                ///< reduced over the ranks
  Chain chain{1};                 ///< num_steps steps with the reduced step costs
  Platform platform{{}};          ///< one level per storage level, slots from the smallest budget
  ScheduleFactory make_schedule;  ///< a fresh stream of the schedule per call
  ScheduleFingerprint fingerprint;
};

/// Collective planning: reduces `local` over the ranks (reduce_costs), gives level l the
/// slots min over ranks of capacity_bytes / footprint_bytes(max state bytes), plans with the
/// registry planner `planner` (find_chain_planner) and checks that every rank holds the same
/// schedule (check_same_schedule). nullopt on every rank when the planner has no schedule for
/// these budgets. Throws on every rank: std::invalid_argument (unknown planner, no level, bad
/// step count, costs for another number of levels), ScheduleMismatchError. Costs: one
/// planning, one pass over the schedule (fingerprint), a few reductions of O(levels) values.
std::optional<CollectivePlan> plan_collective(MPI_Comm comm, const std::string& planner,
                                              Step num_steps, const StepCosts& local,
                                              const std::vector<Storage*>& levels,
                                              const PlanOptions& options = {});

/// One rank's run, as the profile of every rank reports it.
struct RankSummary {
  int rank = 0;
  double total_seconds = 0;      ///< the executor's wall time on this rank
  double forward_seconds = 0;    ///< in forward steps (first sweep, recomputation, recording),
                                 ///< each with the agreement that follows it
  double reverse_seconds = 0;    ///< in adjoint steps and the seed, with their agreements
  double storage_seconds = 0;    ///< in storage writes and reads
  double agreement_seconds = 0;  ///< in the agreements (waiting for the slowest rank; a part
                                 ///< of forward_seconds and reverse_seconds)
  std::int64_t forward_steps = 0;
  std::int64_t bytes_written = 0;  ///< over all levels
  std::int64_t bytes_read = 0;
  std::int64_t peak_stored_bytes = 0;  ///< sum over levels of each level's peak use
};

/// The profile of an MPI run: this rank's full profile and every rank's summary.
struct MpiProfile {
  ExecutionProfile local;          ///< this rank's executor profile
  std::vector<RankSummary> ranks;  ///< every rank's summary, by rank (the same on every rank)

  /// The rank with the largest total time.
  const RankSummary& slowest() const;
  /// The largest peak_stored_bytes over the ranks.
  std::int64_t max_peak_stored_bytes() const noexcept;
};

/// One line per rank and one for the slowest rank: times and bytes, and the executor's own
/// time ("own s": total minus forward and reverse, i.e. storage, copies, hashing, bookkeeping).
std::string to_text(const MpiProfile& profile);

namespace detail {

/// The MPI layer's side of a run, outside the template: journal generations, the resume
/// agreement, the final gather.
class RunSupport {
 public:
  /// Collective. Fingerprints the schedule and checks it across ranks; for journaled runs
  /// gives this rank its journal path (`<journal>.rank<r>`); for resumed runs agrees on the
  /// resume point and on the checkpoints every rank still holds (see run_adjoint).
  RunSupport(MPI_Comm comm, const ScheduleFactory& make_schedule, Step num_steps,
             const std::vector<Storage*>& levels, ExecutorOptions& options);
  /// Wraps options.on_action to notice journal writes.
  void watch(ExecutorOptions& options);
  /// After each successful agreement: keeps the previous journal entry (a hard link, or a copy
  /// where links are refused) when the executor wrote a new one since.
  void keep_journal_generation();
  /// Collective: agree(), timed.
  void agree(std::exception_ptr error);
  /// Collective, after a successful run: removes the kept journal generation, gathers the
  /// summaries.
  MpiProfile finish(ExecutionProfile local);

 private:
  MPI_Comm comm_;
  std::filesystem::path journal_;
  std::shared_ptr<bool> journal_written_;
  double agreement_seconds_ = 0;
};

}  // namespace detail

/// Runs the adjoint of an SPMD program: every rank calls it with its own part of the state
/// (`x0`, `adjoint`), the same model type and the same schedule (make a fresh stream per call
/// of `make_schedule`, e.g. CollectivePlan::make_schedule), and its own storage `levels`.
///
/// Collective; the guarantees:
///  * the schedule is fingerprinted and compared before any step runs
///    (ScheduleMismatchError on every rank);
///  * every unit of work (a forward or adjoint step, with the storage actions before it) ends
///    with an agreement: an error on one rank (a ReplayError, a ChecksumError from a corrupted
///    file, a StorageError from a full disk, an exception from the user's step) is thrown as
///    the same error on every rank at the same point, so no rank is left waiting in a halo
///    exchange. The user's step must finish its own communication before it throws;
///  * journaled runs (options.journal, one file per rank `<journal>.rank<r>`) keep the
///    previous journal entry too, so that ranks killed one step apart still share an entry;
///    a resumed run (options.resume) takes the latest entry held by every rank, releases on
///    every rank the checkpoints missing on any rank (so all ranks recompute the same steps)
///    and continues to the same gradient as an uninterrupted run.
/// Returns this rank's profile and every rank's summary. Throws what the executor throws,
/// agreed as above; a rank without a journal (or too far behind the others) is a ResumeError
/// on every rank.
template <typename Model>
MpiProfile run_adjoint(MPI_Comm comm, Model& model, const typename Model::State& x0,
                       typename Model::Adjoint& adjoint, const ScheduleFactory& make_schedule,
                       Step num_steps, const std::vector<Storage*>& levels,
                       ExecutorOptions options = {}) {
  std::unique_ptr<detail::RunSupport> support;
  agree_on(comm, [&] {
    if (!make_schedule) throw std::invalid_argument("mpi::run_adjoint: no schedule factory");
  });
  support = std::make_unique<detail::RunSupport>(comm, make_schedule, num_steps, levels, options);
  support->watch(options);

  typename Model::State state = x0;
  memsched::detail::ModelBinding<Model> binding(model, state, adjoint);
  std::unique_ptr<ActionStream> schedule;
  std::unique_ptr<AdjointExecutor> executor;
  std::exception_ptr error;
  try {
    schedule = make_schedule();
    executor = std::make_unique<AdjointExecutor>(binding, *schedule, num_steps, levels,
                                                 std::move(options));
  } catch (...) {
    error = std::current_exception();
  }
  support->agree(error);

  // One agreement per unit of work: the user's step, then the storage actions up to the next
  // step. A failing rank skips the rest of its unit and reports at the agreement.
  std::optional<StepWork> work;
  for (;;) {
    error = nullptr;
    try {
      support->keep_journal_generation();
      if (work) binding.perform(*work);
      work = executor->next();
    } catch (...) {
      error = std::current_exception();
    }
    support->agree(error);
    if (!work) break;
  }
  return support->finish(executor->profile());
}

/// As run_adjoint, with a collectively planned schedule.
template <typename Model>
MpiProfile run_adjoint(MPI_Comm comm, Model& model, const typename Model::State& x0,
                       typename Model::Adjoint& adjoint, const CollectivePlan& plan,
                       const std::vector<Storage*>& levels, ExecutorOptions options = {}) {
  MpiProfile profile = run_adjoint(comm, model, x0, adjoint, plan.make_schedule, plan.num_steps,
                                   levels, std::move(options));
  profile.local.planner = plan.planner;
  return profile;
}

template <typename Model>
StepCosts measure_costs(MPI_Comm comm, Model& model, const typename Model::State& x0,
                        const std::vector<Storage*>& levels, int samples) {
  using Clock = std::chrono::steady_clock;
  StepCosts local;
  agree_on(comm, [&] {
    if (samples < 1) {
      throw std::invalid_argument("mpi::measure_costs: samples must be >= 1, got " +
                                  std::to_string(samples));
    }
    local.state_bytes = StateCodec<typename Model::State>::size(x0);
  });
  typename Model::State x = x0;
  typename Model::State before = x0;
  std::exception_ptr error;
  try {
    const auto start = Clock::now();
    for (int k = 0; k < samples; ++k) {
      before = x;
      model.advance(x, Step{k});
    }
    local.forward_seconds = std::chrono::duration<double>(Clock::now() - start).count() / samples;
    typename Model::Adjoint y{};
    model.seed(static_cast<const typename Model::State&>(x), y);
    const auto reverse_start = Clock::now();
    model.reverse(static_cast<const typename Model::State&>(before), y, Step{samples - 1});
    local.adjoint_seconds = std::chrono::duration<double>(Clock::now() - reverse_start).count();
  } catch (...) {
    error = std::current_exception();
  }
  agree(comm, error);
  agree_on(comm, [&] {
    std::vector<std::byte> sample(StateCodec<typename Model::State>::size(x0));
    StateCodec<typename Model::State>::save(x0, sample.data());
    for (Storage* level : levels) {
      if (level == nullptr) throw std::invalid_argument("mpi::measure_costs: a level is null");
      const LevelCost cost = measure_storage_cost(*level, sample, 3);
      local.write_seconds.push_back(cost.write_seconds);
      local.read_seconds.push_back(cost.read_seconds);
    }
  });
  return reduce_costs(comm, local);
}

}  // namespace memsched::mpi
