// Chain: validation and O(1) range costs through prefix sums.
#include "memsched/chain/chain.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace memsched {

namespace {

void check_cost(double cost, const char* what) {
  if (!std::isfinite(cost) || cost < 0.0) {
    throw std::invalid_argument(std::string("Chain: ") + what +
                                " must be finite and non-negative, got " + std::to_string(cost));
  }
}

std::vector<double> prefix_sums(const std::vector<double>& costs, const char* what) {
  std::vector<double> prefix(costs.size() + 1, 0.0);
  for (std::size_t i = 0; i < costs.size(); ++i) {
    check_cost(costs[i], what);
    prefix[i + 1] = prefix[i] + costs[i];
  }
  return prefix;
}

}  // namespace

Chain::Chain(Step num_steps, double forward_cost, double adjoint_cost)
    : num_steps_(num_steps), uniform_forward_(forward_cost), uniform_adjoint_(adjoint_cost) {
  if (num_steps < 1 || num_steps > kMaxSteps) {
    throw std::invalid_argument("Chain: number of steps must be in [1, 2^62], got " +
                                std::to_string(num_steps));
  }
  check_cost(forward_cost, "forward cost");
  check_cost(adjoint_cost, "adjoint cost");
}

Chain::Chain(std::vector<double> forward_costs, std::vector<double> adjoint_costs)
    : num_steps_(static_cast<Step>(forward_costs.size())) {
  if (forward_costs.empty()) throw std::invalid_argument("Chain: no steps given");
  if (forward_costs.size() != adjoint_costs.size()) {
    throw std::invalid_argument("Chain: " + std::to_string(forward_costs.size()) +
                                " forward costs but " + std::to_string(adjoint_costs.size()) +
                                " adjoint costs");
  }
  forward_prefix_ = prefix_sums(forward_costs, "forward cost");
  adjoint_prefix_ = prefix_sums(adjoint_costs, "adjoint cost");
}

double Chain::forward_cost(Step i) const { return forward_cost(i, i + 1); }
double Chain::adjoint_cost(Step i) const { return adjoint_cost(i, i + 1); }

double Chain::forward_cost(Step begin, Step end) const {
  if (begin < 0 || begin > end || end > num_steps_) {
    throw std::out_of_range("Chain::forward_cost: bad step range [" + std::to_string(begin) + ", " +
                            std::to_string(end) + ")");
  }
  if (is_uniform()) return uniform_forward_ * static_cast<double>(end - begin);
  return forward_prefix_[static_cast<std::size_t>(end)] -
         forward_prefix_[static_cast<std::size_t>(begin)];
}

double Chain::adjoint_cost(Step begin, Step end) const {
  if (begin < 0 || begin > end || end > num_steps_) {
    throw std::out_of_range("Chain::adjoint_cost: bad step range [" + std::to_string(begin) + ", " +
                            std::to_string(end) + ")");
  }
  if (is_uniform()) return uniform_adjoint_ * static_cast<double>(end - begin);
  return adjoint_prefix_[static_cast<std::size_t>(end)] -
         adjoint_prefix_[static_cast<std::size_t>(begin)];
}

bool operator==(const Chain& a, const Chain& b) noexcept {
  return a.num_steps_ == b.num_steps_ && a.uniform_forward_ == b.uniform_forward_ &&
         a.uniform_adjoint_ == b.uniform_adjoint_ && a.forward_prefix_ == b.forward_prefix_ &&
         a.adjoint_prefix_ == b.adjoint_prefix_;
}

}  // namespace memsched
