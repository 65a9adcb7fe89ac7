// Online checkpointing: the chain length is unknown until the forward run ends, so the planner
// decides what to keep as steps arrive and plans the reversal once the end is announced.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <vector>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"
#include "memsched/plan/online_planner.hpp"

namespace memsched {

/// What to do with the working state x_i before running step i: optionally release one held
/// checkpoint, then optionally store x_i. Both on the planner's level.
struct OnlineDecision {
  Step step = 0;              ///< i: the working state is x_i
  std::optional<Step> evict;  ///< release the checkpoint of this state first (Free)
  bool store = false;         ///< then store x_i (Copy work -> level)
  Place level = 0;

  /// The decision as actions: [Free(evict, level)] [Copy(step, work -> level)].
  Schedule actions() const;
  friend bool operator==(const OnlineDecision& a, const OnlineDecision& b) noexcept;
};

/// The fewest advances (forward steps not counting the recording runs) that reverse steps
/// [0, end) with `slots` slots when the states `held` (ascending, held[0] == 0, all < end) are
/// stored and the working buffer holds nothing useful: Revolve with checkpoints pre-placed.
/// Some held states are kept, the others released at once; a kept state h may also be
/// restored, advanced to a later start p (before the next held state), released and replaced
/// by x_p; then the q-th kept interval is reversed by Revolve with the slots - q snapshots its
/// predecessors leave (Griewank & Walther 2000 per interval):
///   min sum_q (p_q - h_q) + sum_q t(p_{q+1} - p_q, slots - q).
/// Exact (equal to the exhaustive search on every held set with end <= 9, slots <= 4) while
/// end * min(k, slots) <= 2^16 for k held states: a DP over (kept count, start) with
/// monotone row minima, O(min(k, slots) * end * log(end)) time, O(min(k, slots) * end)
/// memory (times in docs/benchmarks.md). Beyond, online_keep_drop_advances (no shifted
/// starts), an upper bound that can miss a few percent of the forward steps for few slots
/// (docs/online.md, "The reversal of what is held").
/// Throws std::invalid_argument if `held` is empty, unsorted, does not start at 0, holds more
/// than `slots` states or a state >= end.
std::int64_t online_reversal_advances(const std::vector<Step>& held, Step end, std::int64_t slots);

/// What online_reversal does for a held set: the held states kept (the others are released
/// first), where each kept state's interval starts (a start after its state: restore the
/// state, advance to the start, release the state, store the start), and the advances.
/// Interval q = [starts[q], starts[q + 1]) (the last one ends at `end`) is then reversed by
/// Revolve with slots - q snapshots, its start's included, last interval first.
struct OnlineReversalPlan {
  std::int64_t advances = 0;
  std::vector<Step> kept;    ///< ascending, kept[0] == 0
  std::vector<Step> starts;  ///< starts[q] >= kept[q], ascending, starts[0] == 0
};

/// The plan of online_reversal(held, end, slots). Throws as online_reversal_advances.
OnlineReversalPlan online_reversal_plan(const std::vector<Step>& held, Step end,
                                        std::int64_t slots);

/// The keep/drop part of online_reversal_advances alone (every kept interval starts at its
/// held state): min over the kept subsets (x_0 always) of sum_q t(len_q, slots - q), a DP over
/// (held state, states kept before it), O(k^3) closed forms for k held states (beyond 24 held
/// states at most 12 may be dropped: O(k) evaluations). An upper bound on
/// online_reversal_advances; larger by up to 3 on 9 of the 298 held sets with end <= 8,
/// slots <= 4. Throws as online_reversal_advances.
std::int64_t online_keep_drop_advances(const std::vector<Step>& held, Step end, std::int64_t slots);

/// The reversal of `held` (as in online_reversal_advances) as a lazy stream, for a caller
/// whose forward sweep stored those states on `level` and reached x_end: EndForward, the
/// release of the dropped states, the shifted starts, Revolve on each kept interval (last
/// first), EndReverse. Advances as online_reversal_advances; never more than `slots` slots.
/// Throws as online_reversal_advances, and std::invalid_argument if level < 0.
std::unique_ptr<ActionStream> online_reversal(const std::vector<Step>& held, Step end,
                                              std::int64_t slots, Place level = 0);

namespace detail {
/// online_reversal from a plan already computed (online_reversal_plan(held, end, slots), or
/// an empty plan if end == 0), as OnlineCheckpointer::finish() builds it; with
/// `last_step_recorded` the chain ends at x_{end + 1}, whose step was run with recording, and
/// the stream starts with its adjoint. For tools that check the stream against its plan
/// (bench/online_legality.cpp). No validation beyond online_reversal_plan's.
std::unique_ptr<ActionStream> online_reversal(const std::vector<Step>& held,
                                              const OnlineReversalPlan& plan, Step end,
                                              std::int64_t slots, Place level,
                                              bool last_step_recorded);
}  // namespace detail

/// How the online planner chooses the states it keeps.
enum class OnlinePolicy : std::uint8_t {
  /// Two phases. While n <= beta(c, 2): store every state and release the checkpoint whose
  /// interval merges into the first interval j with room, keeping interval j no longer than
  /// beta(c - j, 1) = c - j + 1 steps, the repetition-1 bound of Revolve with the c - j slots
  /// it will have. This is Stumm & Walther's guarantee (SIAM J. Sci. Comput. 32(2), 2010):
  /// n + t(n, c) forward steps, as offline Revolve, for every n <= beta(c, 2) when the end is
  /// announced before the last step, at most 3 more after it (tested). Beyond, with no
  /// limit on n: at each step keep the held set or replace one checkpoint by the new state,
  /// whichever makes the reversal cheapest if the run ended after the next step (a one-step
  /// look-ahead on sum_j t(len_j, c - j): O(1) closed forms per step, plus O(c - r) when
  /// the r-th checkpoint is released, which the greedy does near the end of the held set).
  kRevolveGreedy,
  /// Wang, Moin & Iaccarino's minimal-repetition dynamic checkpointing (SIAM J. Sci. Comput.
  /// 31(4), 2009), Algorithm 1: every state is stored; when the slots are full, the latest
  /// "dispensable" checkpoint (one with a later checkpoint of higher level) is released, or,
  /// if none is, the latest checkpoint is replaced by the new state one level higher. Kept
  /// for comparison (docs/online.md): it bounds repetitions, not forward steps.
  kWangMoinIaccarino,
};

/// An online checkpointing planner for a time loop whose length is not known in advance:
/// chooses the states to keep as steps arrive (OnlinePolicy), and once the end is announced
/// reverses the states held (online_reversal, optimal below its size limit),
/// with Revolve on every kept interval, last first, each with the slots its predecessors
/// leave. Handles every n >= 1 and c >= 1 (c = 1 keeps x_0 only).
///
/// The OnlinePlanner protocol, with x_0 in the working buffer:
///
///     OnlineCheckpointer planner(slots);
///     while (true) {
///       for (const Action& a : planner.begin_step()) execute(a);  // x_i kept?
///       run step i;                                          // x_i -> x_{i+1}, not recorded
///       if (converged) break;
///     }
///     std::unique_ptr<ActionStream> reversal = planner.finish();  // EndForward, ..., EndReverse
///
/// If the caller knows before running it that step i is the last (a fixed final time), it
/// calls begin_last_step() instead and runs step i with recording: the reversal then starts
/// with that step's adjoint, saving the re-run of the last step. decide_step() is begin_step()
/// with the decision as a value.
///
/// Throws std::invalid_argument if slots < 1 or level < 0; std::logic_error when called out
/// of protocol. kRevolveGreedy: O(1) amortised time per step, plus O(slots - r) closed forms
/// when its second phase releases the r-th checkpoint (near the end of the held set in
/// practice; O(slots) per step in the worst case); kWangMoinIaccarino: O(slots) per step.
/// finish() costs one online_reversal_plan (docs/benchmarks.md).
class OnlineCheckpointer final : public OnlinePlanner {
 public:
  explicit OnlineCheckpointer(std::int64_t slots, Place level = 0,
                              OnlinePolicy policy = OnlinePolicy::kRevolveGreedy);

  /// The caller holds x_i (i = steps_begun()) and is about to run step i without recording:
  /// what to release and store first.
  OnlineDecision decide_step();
  /// decide_step() as actions.
  Schedule begin_step() override { return decide_step().actions(); }
  /// The caller holds x_i and step i is the last: it will run it with recording. Nothing is
  /// stored (an empty Schedule).
  Schedule begin_last_step() override;
  /// The forward run ended with the last step begun: returns the reversal (starting with
  /// EndForward, ending with EndReverse), which releases every checkpoint. Once only.
  std::unique_ptr<ActionStream> finish() override;

  /// Steps begun so far (= the chain length once the run has ended).
  Step steps_begun() const noexcept override { return steps_; }
  /// The states held now, ascending.
  std::vector<Step> checkpoints() const;
  std::int64_t slots() const noexcept { return slots_; }
  OnlinePolicy policy() const noexcept { return policy_; }

 private:
  struct Held {
    Step step;
    std::int64_t level;  // Wang-Moin-Iaccarino level; unused by kRevolveGreedy
  };
  using HeldList = std::list<Held>;  // erasing a middle checkpoint is O(1)
  /// Revolve's advances t(length, snapshots) for a length that grows one step at a time:
  /// t(x, d) = t(x - 1, d) + r(x, d) (Griewank & Walther 2000), O(1) amortised per step.
  struct GrowingAdvances {
    bool valid = false;
    Step length = 0;
    std::int64_t snapshots = 1;
    std::int64_t repetition = 0;
    std::int64_t bound = 1;  // beta(snapshots, repetition) >= length
    std::int64_t value = 0;  // saturated at INT64_MAX (n + t beyond 64 bits)
    std::int64_t at(Step new_length, std::int64_t new_snapshots);
  };
  void decide_wang_moin_iaccarino(OnlineDecision& decision);
  void decide_revolve_greedy(OnlineDecision& decision);
  void update_greedy_costs();
  void decide_greedy_saturated(OnlineDecision& decision, Step last_length);
  void replace(HeldList::iterator position, OnlineDecision& decision, std::int64_t level);

  std::int64_t slots_;
  Place level_;
  OnlinePolicy policy_;
  Step steps_ = 0;
  bool first_phase_ = true;  // kRevolveGreedy: still in the n <= beta(c, 2) phase
  bool last_step_recorded_ = false;
  bool finished_ = false;
  HeldList held_;  // ascending steps
  // kRevolveGreedy's incremental state. A copy (or move) starts it afresh: its iterators point
  // into the list it was made for.
  struct GreedyState {
    GreedyState() = default;
    GreedyState(const GreedyState& /*other*/) noexcept {}
    GreedyState& operator=(const GreedyState& /*other*/) noexcept {
      fill_valid = false;
      built = false;
      exact = true;
      return *this;
    }
    ~GreedyState() = default;
    // First phase: the pairs of intervals (j - 1, j) before fill_index (at `fill` in held_)
    // have no room, and keep none while held_ changes only after them.
    bool fill_valid = false;
    std::size_t fill_index = 1;
    HeldList::iterator fill;
    // Second phase (update_greedy_costs): for the held set h_0 < ... < h_{k-1} and the fixed
    // intervals len_i = h_{i+1} - h_i (i < k - 1), the sums the one-step look-ahead needs,
    // brought up to date from the first interval a release changed (`dirty`).
    bool built = false;
    bool exact = true;  // the sums stay far below 2^63: no saturation, differences are exact
    std::size_t dirty = 0;
    std::vector<HeldList::iterator> at;   // at[i] -> h_i
    std::vector<Step> len;                // len_i, i < k - 1
    std::vector<std::int64_t> pre_sum;    // pre_sum[j] = sum_{i < j} t(len_i, c - i)
    std::vector<std::int64_t> suf_sum;    // suf_sum[j] = sum_{1 <= i < j} t(len_i, c - i + 1)
    std::vector<std::int64_t> min_value;  // min_{1 <= i <= j} B_i (see update_greedy_costs)
    std::vector<std::size_t> min_index;   // its first minimiser
    GrowingAdvances keep_advances, inner_advances, last_advances;
  };
  GreedyState greedy_;
};

/// Simulated online arrival as a lazy stream (OnlinePlannerStream): runs OnlineCheckpointer over
/// `num_steps` steps, revealing the length only when the forward run ends, and emits the whole
/// schedule (forward sweep with the planner's stores and releases, then its reversal). Consecutive
/// forward steps without a decision between them are merged into one Forward action. Throws
/// std::invalid_argument if num_steps < 1 or slots < 1.
class OnlineStream final : public ActionStream {
 public:
  OnlineStream(Step num_steps, std::int64_t slots, Place level = 0,
               OnlineEnd end = OnlineEnd::kAfterLastStep,
               OnlinePolicy policy = OnlinePolicy::kRevolveGreedy);
  ~OnlineStream() override;
  OnlineStream(OnlineStream&&) noexcept;
  OnlineStream& operator=(OnlineStream&&) noexcept;

  std::optional<Action> next() override { return inner_.next(); }

 private:
  OnlinePlannerStream inner_;  // driving an OnlineCheckpointer
};

/// The online planner on a platform, with the slots of level 0. nullopt
/// if level 0 is missing or has no slot.
std::optional<OnlineStream> online(const Chain& chain, const Platform& platform,
                                   OnlineEnd end = OnlineEnd::kAfterLastStep,
                                   OnlinePolicy policy = OnlinePolicy::kRevolveGreedy);

}  // namespace memsched
