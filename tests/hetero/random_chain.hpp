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

/// L stages with integer times in [1, 9] and sizes in [0, max_size] (tapes at least the output),
/// temporaries in [0, max_tmp]. Integer times keep sums exact in doubles.
inline HeteroChain random_chain(std::mt19937_64& rng, std::int64_t num_stages, Bytes max_size,
                                Bytes max_tmp) {
  std::uniform_int_distribution<int> time(1, 9);
  std::uniform_int_distribution<Bytes> size(0, max_size);
  std::uniform_int_distribution<Bytes> tmp(0, max_tmp);
  std::vector<Bytes> x(static_cast<std::size_t>(num_stages + 1));
  for (auto& v : x) v = size(rng);
  std::vector<HeteroStage> stages;
  for (std::int64_t i = 0; i < num_stages; ++i) {
    HeteroStage s;
    s.forward_time = time(rng);
    s.backward_time = time(rng);
    s.input_bytes = x[static_cast<std::size_t>(i)];
    s.tape_bytes = x[static_cast<std::size_t>(i + 1)] + size(rng);
    s.forward_tmp_bytes = tmp(rng);
    s.backward_tmp_bytes = tmp(rng);
    stages.push_back(s);
  }
  HeteroLoss loss;
  loss.input_bytes = x.back();
  loss.time = 0.0;
  loss.backward_tmp_bytes = tmp(rng);
  return HeteroChain(std::move(stages), loss);
}

/// L stages whose tapes equal the next input (the graph conversion of docs/graphs.md is then
/// exact): integer times in [1, 9], sizes in [min_size, max_size], temporaries in [0, max_tmp].
inline HeteroChain tape_free_chain(std::mt19937_64& rng, std::int64_t num_stages, Bytes min_size,
                                   Bytes max_size, Bytes max_tmp, double loss_time) {
  std::uniform_int_distribution<int> time(1, 9);
  std::uniform_int_distribution<Bytes> size(min_size, max_size), tmp(0, max_tmp);
  std::vector<Bytes> x(static_cast<std::size_t>(num_stages + 1));
  for (auto& v : x) v = size(rng);
  std::vector<HeteroStage> stages;
  for (std::int64_t i = 0; i < num_stages; ++i) {
    HeteroStage s;
    s.forward_time = time(rng);
    s.backward_time = time(rng);
    s.input_bytes = x[static_cast<std::size_t>(i)];
    s.tape_bytes = x[static_cast<std::size_t>(i + 1)];
    s.forward_tmp_bytes = tmp(rng);
    s.backward_tmp_bytes = tmp(rng);
    stages.push_back(s);
  }
  return HeteroChain(std::move(stages), {x.back(), loss_time, tmp(rng)});
}

}  // namespace memsched::testing
