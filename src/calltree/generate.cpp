// Seeded random call trees whose shape mimics a real adjoint's call tree.
#include "memsched/calltree/generate.hpp"

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace memsched {

CallTree random_calltree(const RandomCallTreeOptions& options) {
  if (options.num_calls < 1 || options.num_calls > kMaxCalls) {
    throw std::invalid_argument("random_calltree: num_calls " + std::to_string(options.num_calls) +
                                " is not in [1, 2^24]");
  }
  if (options.max_time < 1 || options.max_time > (std::int64_t{1} << 20)) {
    throw std::invalid_argument("random_calltree: max_time " + std::to_string(options.max_time) +
                                " is not in [1, 2^20]");
  }
  if (options.bytes_per_time < 0 || options.bytes_per_time > (Bytes{1} << 20)) {
    throw std::invalid_argument("random_calltree: bytes_per_time " +
                                std::to_string(options.bytes_per_time) + " is not in [0, 2^20]");
  }
  if (options.pin_percent < 0 || options.pin_percent > 100) {
    throw std::invalid_argument("random_calltree: pin_percent " +
                                std::to_string(options.pin_percent) + " is not in [0, 100]");
  }
  std::mt19937_64 rng(options.seed);
  auto uniform = [&rng](std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
  };
  const auto n = static_cast<std::size_t>(options.num_calls);
  // Parents: a call is made by one of the last few calls still open on a stack, so the tree
  // has depth (chains of nested calls) and breadth (several calls from one body).
  std::vector<CallIndex> parent(n, -1);
  std::vector<CallIndex> open{0};
  for (std::size_t i = 1; i < n; ++i) {
    const auto pops =
        uniform(0, 2) == 0 ? uniform(0, static_cast<std::int64_t>(open.size()) - 1) : 0;
    for (std::int64_t p = 0; p < pops && open.size() > 1; ++p) open.pop_back();
    parent[i] = open.back();
    open.push_back(static_cast<CallIndex>(i));
  }
  // Renumber in pre-order (children in creation order) so the file order is the call order.
  std::vector<std::vector<CallIndex>> kids(n);
  for (std::size_t i = 1; i < n; ++i)
    kids[static_cast<std::size_t>(parent[i])].push_back(static_cast<CallIndex>(i));
  std::vector<CallIndex> order;
  order.reserve(n);
  std::vector<CallIndex> todo{0};
  while (!todo.empty()) {
    const CallIndex v = todo.back();
    todo.pop_back();
    order.push_back(v);
    const auto& k = kids[static_cast<std::size_t>(v)];
    for (auto it = k.rbegin(); it != k.rend(); ++it) todo.push_back(*it);
  }
  std::vector<CallIndex> position(n);
  for (std::size_t p = 0; p < n; ++p)
    position[static_cast<std::size_t>(order[p])] = static_cast<CallIndex>(p);
  std::vector<CallNode> calls(n);
  for (std::size_t p = 0; p < n; ++p) {
    const auto v = static_cast<std::size_t>(order[p]);
    CallNode& c = calls[p];
    c.name = "c" + std::to_string(p);
    c.parent = v == 0 ? -1 : position[static_cast<std::size_t>(parent[v])];
    const std::int64_t t = uniform(1, options.max_time);
    c.time = static_cast<double>(t);
    c.record_time = c.time;
    c.adjoint_time = 2 * c.time;
    const Bytes base = t * options.bytes_per_time;
    c.tape_bytes = base / 2 + uniform(0, base);
    c.snapshot_bytes = c.tape_bytes / 10 + uniform(0, 2 * c.tape_bytes);
    if (p > 0 && uniform(0, 99) < options.pin_percent) {
      c.pin = uniform(0, 1) == 0 ? CallPin::kJoint : CallPin::kSplit;
    }
    const std::size_t k = kids[v].size();
    if (k > 0 && uniform(0, 1) == 0) {
      Bytes previous = 0;
      for (std::size_t j = 0; j < k; ++j) {
        previous = uniform(previous, c.tape_bytes);
        c.tape_before_calls.push_back(previous);
      }
    }
  }
  return CallTree(std::move(calls));
}

}  // namespace memsched
