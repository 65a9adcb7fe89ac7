// Rematerialization of large training graphs by block decomposition (Rockmate's idea): cut the
// forward-and-backward graph into a chain of blocks at single-node separators, summarise each
// block as a stage of a heterogeneous chain, plan the chain with the persistent DP, and expand
// the chain's schedule back into graph steps.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/graph/graph.hpp"
#include "memsched/graph/remat.hpp"
#include "memsched/hetero/chain.hpp"

namespace memsched::graph {

/// The block structure of a forward-and-backward graph. Separators are the nodes comparable to
/// every other node (each is an ancestor or a descendant of all). Stage i reads x_i =
/// inputs[i] and computes forward[i] (its last node is x_{i+1}); the loss region computes
/// loss (from x_L to ȳ_L, its last node); stage i's backward computes backward[i] (its last
/// node is ȳ_i) from ȳ_{i+1}, x_i and what forward[i] computed. No other edge crosses a block:
/// exactly the dependencies of a heterogeneous chain (Beaumont et al., rotor).
struct BlockChain {
  NodeIndex input = 0;                           ///< x_0, the graph's only source
  std::vector<std::vector<NodeIndex>> forward;   ///< per stage, in topological order
  std::vector<NodeIndex> loss;                   ///< from x_L (excluded) to ȳ_L (its last node)
  std::vector<std::vector<NodeIndex>> backward;  ///< per stage, in topological order
  /// Per stage: forward nodes its backward recomputes first (not saved by its recording
  /// forward); empty in block_chain's answer, which saves everything the backward reads.
  std::vector<std::vector<NodeIndex>> recompute;
  /// The heterogeneous chain the blocks make (docs/graphs.md gives each field's measure).
  HeteroChain chain;
};

/// The largest graph block_chain accepts (it keeps n^2 / 4 bytes of reachability).
inline constexpr NodeIndex kMaxBlockChainNodes = 16384;

/// Cuts the graph into a chain of blocks, from the outside in: a stage is a pair of separators
/// (x_{i+1}, ȳ_{i+1}) that closes it (no edge from the stage's forward block into the rest but
/// from x_{i+1}, none from the rest into its backward block but from ȳ_{i+1}); for each
/// candidate x_{i+1} the latest closing ȳ_{i+1}, and among those the pair whose two blocks hold
/// the fewest nodes. Each block is summarised as a heterogeneous
/// stage: forward_time and backward_time are the sums of its nodes' times; input_bytes is the
/// larger of x_i and ȳ_i; tape_bytes the outputs of the forward that its backward reads (x_{i+1}
/// among them); the temporaries are the peaks of the block's steps above what the chain model
/// counts. nullopt if the graph has several sources or sinks, or no separator but its source
/// and sink (then there is one block: the loss region). Throws std::invalid_argument above
/// kMaxBlockChainNodes. O(E * n / 64) for the separators, then per stage at most O(m * (m + E
/// log E)) for m separators (far less when the first cut closes).
std::optional<BlockChain> block_chain(const Graph& graph);

/// Limits of the decomposition.
struct DecompositionOptions {
  /// Memory units of the persistent DP (PersistentOptions::num_units); sizes are rounded up.
  std::int64_t num_units = 500;
  /// The expanded schedule is replayed against the budget; the chain budget is bisected for the
  /// largest one whose replayed schedule fits (the graph frees outputs earlier than the chain
  /// model charges them), with at most this many chain plans.
  int max_replans = 40;
  /// Also try blocks that save only part of what their backward reads: the outputs whose time
  /// per byte reaches a threshold (quantiles of the forward nodes' ratios), the others being
  /// recomputed at the start of the backward; the fastest fitting schedule wins. Off: every
  /// block saves all it can (rotor's stage model).
  bool save_options = true;
};

/// What the decomposition did, next to its plan.
struct DecompositionResult {
  std::optional<RematPlan> plan;  ///< nullopt if the chain has no schedule within the budget
  std::int64_t num_stages = 0;    ///< blocks besides the loss region
  NodeIndex largest_block = 0;    ///< most nodes in one block (forward + backward, or the loss)
  std::int64_t replans = 0;       ///< chain plans besides the first
};

/// A schedule with peak <= budget_bytes by block decomposition: block_chain, then
/// plan_persistent on its chain (rotor's persistent DP, Beaumont et al. 2019, as Rockmate
/// combines its blocks: Zhao et al., ICML 2023), then every chain operation expanded into the
/// computes of its block (a forward with or without recording, the loss region, a backward),
/// each output freed right after its last use before its next computation, replayed by
/// simulate(); the chain budget is bisected so that the replayed peak fits (see
/// DecompositionOptions::max_replans), for each saving option (save_options), and the fastest
/// fitting schedule is kept. plan->optimal is
/// false (the decomposition restricts the schedules) and plan->lower_bound is total_time(). Throws
/// std::invalid_argument for a negative budget or a graph without block structure (see
/// block_chain), naming the reason.
DecompositionResult remat_decomposition(const Graph& graph, Bytes budget_bytes,
                                        const DecompositionOptions& options = {});

}  // namespace memsched::graph
