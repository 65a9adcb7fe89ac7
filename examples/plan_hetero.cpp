// Plan the fastest backpropagation of a small network under a memory budget in bytes, replay it
// in exact bytes, and print the memory-time curve.
#include <iostream>

#include "memsched/memsched.hpp"

int main() {
  using memsched::HeteroStage;
  // Per stage: forward and backward time (ms), input bytes, tape bytes (output + saved
  // tensors), forward and backward temporaries.
  const memsched::HeteroChain network({HeteroStage{1.0, 2.0, 4 << 20, 12 << 20, 0, 1 << 20},
                                       HeteroStage{3.0, 6.0, 8 << 20, 20 << 20, 2 << 20, 2 << 20},
                                       HeteroStage{2.0, 4.0, 8 << 20, 10 << 20, 0, 1 << 20},
                                       HeteroStage{0.5, 1.0, 4 << 20, 5 << 20, 0, 0}},
                                      {1 << 20, 0.1, 0});  // the loss reads 1 MiB and takes 0.1 ms
  const memsched::Bytes budget = 56 << 20;
  const auto plan = memsched::plan_persistent(network, budget);
  if (!plan) return 1;
  const memsched::HeteroReport report = memsched::simulate(plan->schedule, network, budget);
  std::cout << "schedule  " << to_string(plan->schedule) << "\n"
            << "makespan  " << report.makespan
            << " ms (no recomputation: " << network.minimal_makespan() << " ms, needs "
            << network.store_all_peak() << " bytes)\n"
            << "peak      " << report.peak_bytes << " of " << budget << " bytes\n";
  // Sizes are whole MiB, so the byte-exact mode (unit = gcd of the sizes) is cheap here.
  memsched::PersistentOptions exact;
  exact.exact = true;
  for (const memsched::CurvePoint& point : memsched::memory_time_curve(network, exact)) {
    std::cout << "from " << point.budget_bytes << " bytes: " << point.makespan << " ms\n";
  }
}
