"""memsched.checkpoint_schedules against upstream checkpoint_schedules: CPU time to construct a
schedule and drain its actions in-process at one n, and the forward steps and checkpoint writes
summed over the test grid (python/tests/schedule_grid.py; upstream's from
python/tests/data/upstream_counts.json).

Run (an upstream v1.0.4 checkout in UPSTREAM, e.g. from git archive; optional):

    PYTHONPATH=build/default/python python3 python/bench/checkpoint_schedules_vs_upstream.py \
        --n 10000 [--upstream UPSTREAM] [--timeout 300]

Each timing runs in its own process (one import of either package), CPU time of that process's
construct-and-drain only.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
TESTS = ROOT / "python" / "tests"

CASES = [
    ("Revolve(n, 10)", "cs.Revolve(n, 10)"),
    ("Multistage(n, 10, 0)", "cs.MultistageCheckpointSchedule(n, 10, 0)"),
    ("Multistage(n, 5, 5)", "cs.MultistageCheckpointSchedule(n, 5, 5)"),
    ("Mixed(n, 10)", "cs.MixedCheckpointSchedule(n, 10)"),
    ("TwoLevel(100, 10)", "cs.TwoLevelCheckpointSchedule(100, 10)"),
    ("HRevolve(n, 2, 3)", "cs.HRevolve(n, 2, 3)"),
    ("DiskRevolve(n, 10)", "cs.DiskRevolve(n, 10)"),
]

TIMER = r"""
import contextlib, io, sys, time
n = int(sys.argv[1])
import checkpoint_schedules as cs
start = time.process_time()
with contextlib.redirect_stdout(io.StringIO()):
    schedule = %s
    count = 0
    for action in schedule:
        count += 1
        name = type(action).__name__
        if name == "Forward" and schedule.max_n is None and action.n1 >= n:
            schedule.finalize(n)
        if name == "EndReverse":
            break
print(time.process_time() - start, count)
"""

SHIM = """import memsched.checkpoint_schedules as cs, sys
sys.modules["checkpoint_schedules"] = cs
"""


def timed(expression, n, upstream, timeout):
    env = dict(os.environ)
    if upstream:
        env["PYTHONPATH"] = os.pathsep.join([upstream, env.get("PYTHONPATH", "")])
        code = TIMER % expression
    else:
        code = SHIM + TIMER % expression
    try:
        result = subprocess.run([sys.executable, "-c", code, str(n)], env=env, timeout=timeout,
                                capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return f"> {timeout} s"
    if result.returncode != 0:
        return "error: " + result.stderr.strip().splitlines()[-1][:40]
    seconds, count = result.stdout.split()
    return f"{float(seconds):.3f} s ({count} actions)"


def grid_totals():
    sys.path.insert(0, str(TESTS))
    import memsched.checkpoint_schedules as ours
    from schedule_grid import SCHEDULES, first_sweep_counts, grid

    reference = json.loads((TESTS / "data" / "upstream_counts.json").read_text())["counts"]
    totals = {}
    for name, n, s in grid():
        theirs = reference[f"{name} {n} {s}"]
        schedule = SCHEDULES[name][0](ours, n, s)
        if theirs is None or schedule is None:
            continue
        mine = first_sweep_counts(schedule, n)
        row = totals.setdefault(name, [0, 0, 0, 0, 0])
        row[0] += mine[0]
        row[1] += theirs[0]
        row[2] += mine[1]
        row[3] += theirs[1]
        row[4] += 1
    print(f"{'schedule (grid)':22}{'cases':>6}{'forward':>10}{'upstream':>10}{'writes':>9}"
          f"{'upstream':>10}")
    for name, (f_ours, f_up, w_ours, w_up, cases) in totals.items():
        print(f"{name:22}{cases:>6}{f_ours:>10}{f_up:>10}{w_ours:>9}{w_up:>10}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--upstream", default=None, help="path holding upstream's package")
    parser.add_argument("--timeout", type=int, default=300)
    args = parser.parse_args()
    print(f"in-process construct + drain, n = {args.n}")
    for name, expression in CASES:
        row = f"{name:24}memsched {timed(expression, args.n, None, args.timeout):>28}"
        if args.upstream:
            row += f"   upstream {timed(expression, args.n, args.upstream, args.timeout):>28}"
        print(row, flush=True)
    print()
    grid_totals()


if __name__ == "__main__":
    main()
