// Seeded random heterogeneous chains and test chain A (docs/theory/heterogeneous.md).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "memsched/hetero/chain.hpp"

namespace memsched::testing {

/// Chain A: (fw, bw, x, x̄) = (1,2,2,·), (4,8,1,3), (2,4,3,6), loss x_3 = 1 with x̄_3 = 2.
inline HeteroChain chain_a() {
  return HeteroChain({{1, 2, 2, 3, 0, 0}, {4, 8, 1, 6, 0, 0}, {2, 4, 3, 2, 0, 0}}, {1, 0, 0});
}

/// The shape of a seeded random chain: sizes in [min_size, max_size], temporaries in
/// [0, max_tmp], tapes the next input plus a random size (extra_tape) or exactly it (then the
/// graph conversion of docs/graphs.md is exact), the loss's time.
struct RandomChainShape {
  Bytes min_size = 0, max_size = 0, max_tmp = 0;
  bool extra_tape = true;
  double loss_time = 0.0;
};

/// L stages with integer times in [1, 9] (integer times keep sums exact in doubles).
inline HeteroChain random_chain(std::mt19937_64& rng, std::int64_t num_stages,
                                const RandomChainShape& shape) {
  std::uniform_int_distribution<int> time(1, 9);
  std::uniform_int_distribution<Bytes> size(shape.min_size, shape.max_size);
  std::uniform_int_distribution<Bytes> tmp(0, shape.max_tmp);
  std::vector<Bytes> x(static_cast<std::size_t>(num_stages + 1));
  for (auto& v : x) v = size(rng);
  std::vector<HeteroStage> stages;
  for (std::int64_t i = 0; i < num_stages; ++i) {
    HeteroStage s;
    s.forward_time = time(rng);
    s.backward_time = time(rng);
    s.input_bytes = x[static_cast<std::size_t>(i)];
    s.tape_bytes = x[static_cast<std::size_t>(i + 1)] + (shape.extra_tape ? size(rng) : 0);
    s.forward_tmp_bytes = tmp(rng);
    s.backward_tmp_bytes = tmp(rng);
    stages.push_back(s);
  }
  HeteroLoss loss;
  loss.input_bytes = x.back();
  loss.time = shape.loss_time;
  loss.backward_tmp_bytes = tmp(rng);
  return HeteroChain(std::move(stages), loss);
}

/// Sizes in [0, max_size], tapes at least the output, temporaries in [0, max_tmp].
inline HeteroChain random_chain(std::mt19937_64& rng, std::int64_t num_stages, Bytes max_size,
                                Bytes max_tmp) {
  return random_chain(rng, num_stages, RandomChainShape{0, max_size, max_tmp, true, 0.0});
}

/// Tapes equal to the next input (the graph conversion is then exact).
inline HeteroChain tape_free_chain(std::mt19937_64& rng, std::int64_t num_stages, Bytes min_size,
                                   Bytes max_size, Bytes max_tmp, double loss_time) {
  return random_chain(rng, num_stages,
                      RandomChainShape{min_size, max_size, max_tmp, false, loss_time});
}

}  // namespace memsched::testing
