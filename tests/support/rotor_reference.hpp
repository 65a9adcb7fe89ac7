// A plain transcription of rotor's persistent recurrence (dense table, no pruning), the
// reference the optimised planner is compared with in tests and benchmarks.
#pragma once

#include <cstdint>
#include <vector>

namespace memsched::testing {

/// rotor's padded arrays in memory units (docs/theory/heterogeneous.md).
struct RotorArrays {
  std::int64_t num_stages = 0;                // L
  std::vector<std::int64_t> cw, cbw, ft, bt;  // sizes L+2, L+2, L+1, L+1
  std::vector<double> fw, bw;                 // sizes L+1
};

/// Opt[m][i][l] as a dense (M+1)(L+1)^2 table, d-ordered loops. `exact_chain_check` replaces
/// rotor's m_all check of the chain decision by the exact one (quirk Q2).
class RotorReference {
 public:
  RotorReference(RotorArrays arrays, std::int64_t max_units, bool exact_chain_check);
  double value(std::int64_t i, std::int64_t l, std::int64_t m) const {
    return table_[static_cast<std::size_t>((m * (n_ + 1) + i) * (n_ + 1) + l)];
  }

 private:
  double& cell(std::int64_t m, std::int64_t i, std::int64_t l) {
    return table_[static_cast<std::size_t>((m * (n_ + 1) + i) * (n_ + 1) + l)];
  }
  RotorArrays a_;
  std::int64_t n_;
  std::vector<double> table_;
};

}  // namespace memsched::testing
