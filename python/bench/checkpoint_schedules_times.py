"""Time to construct each memsched.checkpoint_schedules schedule and drain all its actions
through a minimal consumer (docs/benchmarks.md; checkpoint_schedules_vs_upstream.py compares
with upstream).

Run: PYTHONPATH=build/<preset>/python python3 python/bench/checkpoint_schedules_times.py [N...]
"""

import sys
import time

from memsched.checkpoint_schedules import (DiskRevolve, EndForward, Forward, HRevolve,
                                           MultistageCheckpointSchedule, PeriodicDiskRevolve,
                                           Revolve, TwoLevelCheckpointSchedule)

CASES = [
    ("Multistage (10 RAM)", lambda n: MultistageCheckpointSchedule(n, 10, 0)),
    ("Multistage (5 RAM + 5 DISK)", lambda n: MultistageCheckpointSchedule(n, 5, 5)),
    ("Revolve (10 RAM)", lambda n: Revolve(n, 10)),
    ("DiskRevolve (10 RAM)", lambda n: DiskRevolve(n, 10)),
    ("PeriodicDiskRevolve (10 RAM)", lambda n: PeriodicDiskRevolve(n, 10)),
    ("TwoLevel (period 100, 10 RAM)", lambda n: TwoLevelCheckpointSchedule(100, 10)),
    ("HRevolve (2 RAM, 3 DISK)", lambda n: HRevolve(n, 2, 3)),
    ("HRevolve (5 RAM, 10 DISK)", lambda n: HRevolve(n, 5, 10)),
]


def drain(schedule, n):
    count = 0
    for action in schedule:
        count += 1
        if isinstance(action, Forward) and schedule.max_n is None and action.n1 >= n:
            schedule.finalize(n)
        if type(action).__name__ == "EndReverse":
            break
        if isinstance(action, EndForward):
            pass
    return count


def main(sizes):
    print(f"{'schedule':32}" + "".join(f"{'n = ' + str(n):>22}" for n in sizes))
    for name, make in CASES:
        row = f"{name:32}"
        for n in sizes:
            start = time.process_time()
            actions = drain(make(n), n)
            row += f"{time.process_time() - start:>12.3f} s {actions:>7}"
        print(row, flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000, 100000])
