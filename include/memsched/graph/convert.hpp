// Conversions into the graph model from the specialised ones (chains with their adjoint steps,
// heterogeneous chains, join graphs, task trees), so that one simulator checks them all.
#pragma once

#include "memsched/chain/chain.hpp"
#include "memsched/graph/graph.hpp"
#include "memsched/hetero/chain.hpp"
#include "memsched/join/graph.hpp"
#include "memsched/tree/tree.hpp"

namespace memsched::graph {

/// The in-tree as a graph: node i has id "i", bytes f_i, temp_bytes m_i, time w_i, and an edge
/// to its parent. Both models charge sum of children's f + m_i + f_i while i runs and keep the
/// root's output, so every order has the same peak in both (docs/graphs.md).
Graph graph_from_tree(const Tree& tree);

/// How a chain's states become graph nodes.
struct ChainGraphOptions {
  Bytes state_bytes = 1;    ///< size of a forward state x_i
  Bytes adjoint_bytes = 0;  ///< size of an adjoint state y_i
  /// Time of the input node x_0. Its computation stands for having the input: give it a time
  /// above any schedule's total to forbid recomputing it, as the chain model does.
  double input_time = 0.0;
};

/// The joint forward-and-adjoint graph of a chain of n steps with joint reversal (each adjoint
/// step re-runs its forward step with recording, then reverses it): nodes "x0" ... "x{n-1}"
/// (x_{i+1} from x_i, time uf_i) and "y{n-1}" ... "y0" (y_i from x_i and y_{i+1}, time uf_i +
/// ub_i; y_{n-1} from x_{n-1} alone); the sink is y0. x_n is never needed: the adjoint of step
/// n-1 records it. A graph schedule costs exactly what the same steps cost in the chain model
/// (forward_steps counting recording runs), so Revolve with s slots lies between the graph
/// optimum at budget s + 2 (below) and at s + 1 (above) with unit states and free adjoints
/// (docs/graphs.md). Throws std::invalid_argument if the chain has more than 2^23 steps or an
/// option is negative.
Graph graph_from_chain(const Chain& chain, const ChainGraphOptions& options = {});

/// The backpropagation graph of a heterogeneous chain: "x0" (the input, time input_time),
/// "x{i+1}" (stage i recorded: bytes = its tape, temp = its recording temporary, time
/// forward_time), "loss" (ȳ_L from x_L), "g{i}" (ȳ_i from ȳ_{i+1}, x̄_{i+1} and x_i: bytes x_i,
/// temp backward_tmp_bytes, time backward_time). Every graph schedule is a legal schedule of the
/// heterogeneous model without its pin rule (every forward recorded), with the same time and
/// peak; when every tape equals the next input and recording_tmp() equals forward_tmp_bytes, the
/// converse holds too, so the optima coincide (docs/graphs.md). Throws std::invalid_argument if
/// input_time is negative or not finite.
Graph graph_from_hetero(const HeteroChain& chain, double input_time = 0.0);

/// The joint forward-and-adjoint graph of a join graph with unit costs, built like
/// graph_from_chain: branch b has states "b{b}.x{j}" (j = 0 .. L_b, the input x^b_0 with time
/// input_time) and adjoints "b{b}.y{j}"; the handle has states "h.x{i}" (i = 1 .. H-1; the join
/// computes h.x1 from every branch output) and adjoints "h.y{i}" (h.y0, the join's adjoint, reads
/// every branch output). Each state has `state_bytes`, adjoints are free; the sinks are the
/// branches' b{b}.y0. Throws std::invalid_argument above 2^23 nodes.
Graph graph_from_join(const JoinGraph& graph, Bytes state_bytes = 1, double input_time = 0.0);

}  // namespace memsched::graph
