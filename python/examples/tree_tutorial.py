"""Tutorial: memory-aware traversals and parallel schedules of task trees.

A task tree (a multifrontal assembly tree, say) runs children before parents; each task's
output stays in memory until its parent has run, so the order decides the peak memory.

Run: PYTHONPATH=build/default/python python3 python/examples/tree_tutorial.py
"""

import numpy as np

import memsched

# The six-node example of docs/trees.md: parents and output sizes, one array each.
tree = memsched.Tree(parents=[-1, 0, 0, 1, 2, 3], output_sizes=[1, 2, 2, 1, 2, 3])
postorder = memsched.best_postorder(tree)
optimal = memsched.liu_optimal_traversal(tree)
print(f"best post-order peak {postorder.peak}, optimal peak {optimal.peak}, "
      f"order {optimal.order.tolist()}")
assert (postorder.peak, optimal.peak) == (6, 5)
assert memsched.sequential_peak(tree, optimal.order) == optimal.peak

# Harpoon trees: post-orders can be arbitrarily worse than the optimum.
harpoon = memsched.harpoon_tree(branches=4, levels=2, big=48, epsilon=1)
print(f"harpoon: post-order {memsched.best_postorder(harpoon).peak}, "
      f"optimal {memsched.liu_optimal_traversal(harpoon).peak}")

# Less memory than the optimum: write outputs to disk (MinIO).
run = memsched.simulate_out_of_core(harpoon, memsched.liu_optimal_traversal(harpoon).order,
                                    memory_bound=52)
print(f"out-of-core at M = 52: I/O volume {run.io_volume} "
      f"(lower bound {memsched.io_lower_bound(harpoon, 52)})")

# A random tree of 2000 tasks on 8 processors: unbounded heuristics against the memory gate.
tree = memsched.random_tree(2000, seed=1, max_exec=20)
opt = memsched.liu_optimal_traversal(tree).peak
fast = memsched.par_inner_first(tree, 8)
print(f"inner-first: makespan {fast.makespan:g}, peak {fast.peak / opt:.2f} x optimum")
for factor in (1, 2, 4):
    bounded = memsched.memory_bounded_schedule(tree, 8, factor * opt)
    bound = memsched.makespan_lower_bound(tree, 8, factor * opt)
    print(f"memory-bounded M = {factor} x OPT: makespan {bounded.makespan / bound:.3f} x lower "
          f"bound, peak {bounded.peak / opt:.2f} x optimum")
    assert bounded.peak <= factor * opt
    report = memsched.simulate_parallel(tree, bounded, 8)  # the simulator agrees
    assert report.peak == bounded.peak and np.isclose(report.makespan, bounded.makespan)
