"""Records upstream checkpoint_schedules' forward steps and checkpoint writes over the grid of
python/tests/schedule_grid.py into upstream_counts.json, the reference test_consumers.py holds
memsched's drop-in to. Run with an upstream checkout (v1.0.4) on the path, never at test time:

    git -C <mirror of firedrakeproject/checkpoint_schedules> archive v1.0.4 checkpoint_schedules \
        | tar -x -C /tmp/cs_up
    PYTHONPATH=/tmp/cs_up python3 python/tests/data/upstream_counts.py \
        > python/tests/data/upstream_counts.json

Cases where upstream raises are recorded as null (memsched then has no reference to meet).
"""

import contextlib
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import checkpoint_schedules as upstream  # noqa: E402

from schedule_grid import SCHEDULES, first_sweep_counts, grid  # noqa: E402

assert not hasattr(upstream, "MEMSCHED_DROP_IN"), "run with upstream's package, not memsched's"

counts = {}
for name, n, s in grid():
    try:
        with contextlib.redirect_stdout(sys.stderr):  # upstream's Periodic-Disk-Revolve prints
            schedule = SCHEDULES[name][0](upstream, n, s)
            counts[f"{name} {n} {s}"] = (None if schedule is None
                                         else first_sweep_counts(schedule, n))
    except Exception as error:  # upstream's own failures (IndexError, ...) have no reference
        print(f"{name} {n} {s}: {type(error).__name__}: {error}", file=sys.stderr)
        counts[f"{name} {n} {s}"] = None
json.dump({"source": "checkpoint_schedules v1.0.4", "counts": counts}, sys.stdout, indent=0,
          sort_keys=True)
print()
