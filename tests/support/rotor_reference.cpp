// rotor's persistent DP written out line by line from the recurrence of
// docs/theory/heterogeneous.md (Beaumont et al., RR-9302), deliberately unoptimised.
#include "support/rotor_reference.hpp"

#include <algorithm>
#include <limits>

namespace memsched::testing {

RotorReference::RotorReference(RotorArrays arrays, std::int64_t max_units, bool exact_chain_check)
    : a_(std::move(arrays)), n_(a_.num_stages) {
  const double inf = std::numeric_limits<double>::infinity();
  table_.assign(static_cast<std::size_t>((max_units + 1) * (n_ + 1) * (n_ + 1)), inf);
  auto u = [](std::int64_t i) { return static_cast<std::size_t>(i); };
  const auto& cw = a_.cw;
  const auto& cbw = a_.cbw;
  const auto& ft = a_.ft;
  const auto& bt = a_.bt;
  auto m_all = [&](std::int64_t i) {
    return std::max(cw[u(i + 1)] + cbw[u(i + 1)] + ft[u(i)],
                    cw[u(i)] + cw[u(i + 1)] + cbw[u(i + 1)] + bt[u(i)]);
  };
  for (std::int64_t m = 0; m <= max_units; ++m) {
    for (std::int64_t i = 0; i <= n_; ++i) {
      if (m >= m_all(i)) cell(m, i, i) = a_.fw[u(i)] + a_.bw[u(i)];
    }
  }
  for (std::int64_t m = 0; m <= max_units; ++m) {
    for (std::int64_t d = 1; d <= n_; ++d) {
      for (std::int64_t i = 0; i + d <= n_; ++i) {
        const std::int64_t l = i + d;
        std::int64_t m_null = cw[u(l + 1)] + cw[u(i + 1)] + ft[u(i)];
        for (std::int64_t j = i + 1; j < l; ++j) {
          m_null = std::max(m_null, cw[u(l + 1)] + cw[u(j)] + cw[u(j + 1)] + ft[u(j)]);
        }
        if (m < m_null) continue;
        double leaf = inf;
        for (std::int64_t j = i + 1; j <= l; ++j) {
          if (cw[u(j)] > m) continue;
          double sum = 0.0;
          for (std::int64_t k = i; k < j; ++k) sum += a_.fw[u(k)];
          leaf = std::min(leaf, sum + value(j, l, m - cw[u(j)]) + value(i, j - 1, m));
        }
        double chain = inf;
        const bool chain_ok =
            exact_chain_check ? m >= std::max(cw[u(l + 1)] + cbw[u(i + 1)] + ft[u(i)],
                                              cw[u(i)] + cw[u(i + 1)] + cbw[u(i + 1)] + bt[u(i)])
                              : value(i, i, m) < inf;
        if (chain_ok && m >= cbw[u(i + 1)]) {
          chain = (a_.fw[u(i)] + a_.bw[u(i)]) + value(i + 1, l, m - cbw[u(i + 1)]);
        }
        cell(m, i, l) = std::min(leaf, chain);
      }
    }
  }
}

}  // namespace memsched::testing
