"""What memsched.run_adjoint adds per callback: trivial steps on a 16-double state (nothing
for Python to compute), against a plain Python store-all loop calling the same functions.
Best of 5 runs; includes GIL release/acquire, replay hashes and the lockstep simulator.

Run: PYTHONPATH=build/<preset>/python python3 python/bench/exec_overhead.py [N]
"""

import sys
import time

import numpy as np

import memsched as ms


def main(n):
    x0 = np.zeros(16)

    def forward(u, k):
        return u

    def seed(u):
        return 0.0

    def adjoint(u, y, k):
        return y

    best = {}
    for _ in range(5):
        start = time.perf_counter()
        states = [x0]
        for k in range(n):
            states.append(forward(states[-1], k))
        y = seed(states[-1])
        for k in reversed(range(n)):
            y = adjoint(states[k], y, k)
        best["plain loop"] = min(best.get("plain loop", (9.0, 2 * n + 1)),
                                 (time.perf_counter() - start, 2 * n + 1))
        for planner, slots in (("store-all", n + 1), ("revolve", 10)):
            start = time.perf_counter()
            run = ms.run_adjoint(x0, n, forward, seed, adjoint, planner=planner, ram_slots=slots)
            calls = run.profile.forward_steps + run.profile.reverse.count + 1
            best[planner] = min(best.get(planner, (9.0, calls)),
                                (time.perf_counter() - start, calls))
    for name, (seconds, calls) in best.items():
        print(f"{name:12s} {seconds:7.3f} s  {calls:7d} callbacks  "
              f"{seconds * 1e6 / calls:6.2f} us per callback")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
