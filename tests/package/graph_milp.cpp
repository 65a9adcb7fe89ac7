// Uses the installed graph MILP component: Checkmate's MILP with CBC on a three-node chain.
#include <cstdio>
#include <memsched/graph/milp.hpp>

int main() {
  using namespace memsched::graph;
  const Graph g({{"a", 1.0, 1, 0}, {"b", 1.0, 1, 0}, {"c", 1.0, 1, 0}},
                std::vector<std::pair<std::string, std::string>>{{"a", "b"}, {"b", "c"}});
  const MilpResult r = remat_milp(g, 2);
  if (!r.plan || r.plan->time != 3.0) {
    std::printf("unexpected MILP result\n");
    return 1;
  }
  std::printf("graph MILP: time %g, peak %lld\n", r.plan->time,
              static_cast<long long>(r.plan->peak));
  return 0;
}
