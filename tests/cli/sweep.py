#!/usr/bin/env python3
"""Seeded random-argument sweep over every memsched subcommand.

Each run gets random, often hostile, arguments and runs under 10 s of wall time and 1 GiB of
address space (resource.setrlimit in the child). The sweep fails on a timeout, a signal, an
exit code other than 0/1/2, exit 0 with no output, or an unclear message: none, more than one
line, not starting with "memsched: ", or naming C++ internals ("std::", "basic_string",
"what():", "bad_alloc", "vector::", "terminate").

Usage: sweep.py MEMSCHED DATA_DIR [--runs N] [--seed S]

The table COMMANDS drives it: one entry per subcommand, its fixed words and, per flag, the pool
of values drawn from (None leaves the flag out; a flag written "!--x" is always given). Pools mix small valid values with values
beyond the documented limits and malformed ones; sizes that are valid but take minutes by
design (10^6 to 10^10 steps streamed) are left out: the limits refuse what cannot finish, not
what is merely long. A new subcommand is one new entry.
"""
import os
import random
import resource
import subprocess
import sys
import time

WALL_SECONDS = 10
MEMORY_BYTES = 1 << 30
UNCLEAR = ("std::", "basic_string", "what():", "bad_alloc", "vector::", "terminate")

STEPS = ["1", "2", "7", "100", "1000", "1000000000000", "4611686018427387904",
         "4611686018427387905", "9223372036854775808", "0", "-3", "ten", "1e5", "",
         "99999999999999999999999", " 5", "5x"]
SLOTS = [None, "0", "1", "2", "3", "10", "100", "inf", "-1", "x", "1e3",
         "4611686018427387904", "9223372036854775807"]
COSTS = [None, "0", "1", "2.5", "1e9", "-1", "nan", "inf", "1e999", "x"]
LEVELS = [None, "3:0:0", "1:0:0", "inf:2:2", "5:1:1", "3:1", "x:1:1", "-1:0:0", "2:nan:1",
          "4611686018427387904:0:0"]
PERIODS = [None, "1", "3", "10", "1000", "0", "-1", "x", "1000000000000"]


def planners(memsched):
    out = subprocess.run([memsched, "plan", "--help"], stdout=subprocess.PIPE, text=True).stdout
    names, listing = [], False
    for line in out.splitlines():
        if line.startswith("Planners"):
            listing = True
            continue
        if listing and line.startswith("  "):
            names.append(line.split()[0])
    return names


def commands(memsched, data):
    tree = [os.path.join(data, "tree_six_node.txt"), os.path.join(data, "tree_five_node.json"),
            os.path.join(data, "tree_harpoon_4_2.txt"), os.path.join(data, "garbage.bin"),
            os.path.join(data, "tree_cycle.txt"), "/dev/zero", data, "/nonexistent", "-"]
    chains = [os.path.join(data, "chain_a.json"), os.path.join(data, "chain_a.csv"),
              os.path.join(data, "hetero_bad.json"), os.path.join(data, "chain_3000.json"),
              "/dev/zero", data, "/nonexistent"]
    schedules = [os.path.join(data, "revolve_4_2.cs"), os.path.join(data, "revolve_4_2.json"),
                 os.path.join(data, "revolve_4_2.revolve"),
                 os.path.join(data, "revolve_4_2_corrupted.cs"),
                 os.path.join(data, "garbage.bin"), "/dev/zero", data, "/nonexistent"]
    bad = [os.path.join(data, "garbage.bin"), "/dev/zero", data, "/nonexistent"]
    graphs = [os.path.join(data, name) for name in
              ("graph_linear_4.json", "graph_two_branches.json", "graph_cycle.json",
               "chain_a.json")] + bad
    calltrees = [os.path.join(data, "calltree_example.json"),
                 os.path.join(data, "tree_five_node.json")] + bad
    pipelines = [os.path.join(data, "pipeline_small.json"),
                 os.path.join(data, "chain_a.json")] + bad
    chain_flags = {"--steps": STEPS, "--ram": SLOTS, "--disk": SLOTS, "--wd": COSTS,
                   "--rd": COSTS, "--uf": COSTS, "--ub": COSTS, "--level": LEVELS,
                   "--work-tapes": [None, "1", "2", "inf", "0", "x"]}
    return [
        # (words, positional pool, flag pools, boolean flags)
        (["plan"], planners(memsched) + ["auto", "magic", ""],
         dict(chain_flags, **{"--period": PERIODS, "--sweeps": PERIODS,
                              "--format": [None, "text", "json", "actions", "svg", "schedule",
                                           "checkpoint_schedules", "revolve", "pdf"]}),
         ["--verify"]),
        (["plan", "revolve"], [None],
         {"--steps": ["1000000000", "1000000000000", "4611686018427387904"],
          "--ram": ["1", "10", "1000", "inf"], "--format": [None, "json"]}, []),
        (["plan", "join"], [None],
         {"--branches": ["6,4", "30,20,10", "100000,100000", "3000,3000", "1,1,1,1,1,1,1,1,1",
                         "4,", "x", "0,3", "4611686018427387904,1"],
          "--handle": ["3", "1", "300", "0", "x", "4611686018427387904"],
          "--ram": ["6", "2", "12", "10000", "10001", "inf", "-1"],
          "--format": [None, "text", "json", "actions", "svg", "x"]}, []),
        (["simulate"], schedules + ["-"],
         dict(chain_flags, **{"--steps": [None, "4", "3", "1000000000000", "0", "x"],
                              "--format": [None, "text", "json", "timeline", "svg", "x"]}), []),
        (["run"], [None, "revolve", "auto", "store-all", "periodic", "magic"],
         {"!--steps": ["50", "300", "1000000000000", "0", "x"],
          "--cells": [None, "3", "16", "2", "100000000", "-5", "x"],
          "--ram": [None, "2", "5", "0", "inf", "x"], "--disk": [None, "0", "4", "inf", "x"],
          "--check-steps": [None, "10", "50", "0", "x"],
          "--compress": [None, "none", "zstd", "lz4", "gzip"],
          "--format": [None, "text", "json", "x"], "--resume": [None]}, ["--what-if"]),
        (["tree", "traverse"], tree,
         {"--algorithm": [None, "postorder", "optimal", "minmem", "magic"],
          "--format": [None, "text", "json", "svg", "x"]}, []),
        (["tree", "parallel"], tree,
         {"--procs": ["1", "2", "3", "1048576", "1048577", "0", "-1", "x"],
          "--memory": [None, "0", "4", "6", "100", "99999999999999999999", "x"],
          "--heuristic": [None, "memory-bounded", "inner-first", "deepest-first", "subtrees",
                          "proportional", "all-to-all", "memory-aware", "magic"],
          "--activation": [None, "optimal", "postorder", "x"],
          "--format": [None, "text", "json", "svg"]}, []),
        (["tree", "ooc"], tree,
         {"--memory": ["0", "2", "5", "52", "4611686018427387904", "x", None],
          "--order": [None, "optimal", "postorder", "io-postorder", "all", "x"],
          "--policy": [None, "furthest", "largest", "best-fit", "all", "x"],
          "--format": [None, "text", "json"]}, []),
        (["tree", "from-matrix"], [None, os.path.join(data, "garbage.bin"), "/dev/zero", data],
         {"--grid": [None, "2d5:4x4", "3d7:3x3x3", "2d9:10x10", "4d:3x3", "2d5:0x4",
                     "2d5:100000000x100000000", "3d27:100000x100000x100000", "x"],
          "--ordering": [None, "metis", "amd", "nesdis", "natural", "x"],
          "--amalgamation": [None, "none", "fundamental", "relaxed"],
          "--format": [None, "text", "json"]}, []),
        (["tree", "random"], [None],
         {"--nodes": ["1", "8", "1000", "100000000", "100000001", "0", "-1", "x"],
          "--seed": [None, "0", "3", "-1", "x", "99999999999999999999"],
          "--shape": [None, "recursive", "preferential", "deep", "x"],
          "--max-output": [None, "1", "10", "1073741824", "1073741825", "0"],
          "--max-exec": [None, "0", "2", "1073741825", "-1"],
          "--format": [None, "text", "json"]}, []),
        (["tree", "compare"], tree, {"--format": [None, "text", "json", "x"]}, []),
        (["hetero", "plan"], chains,
         {"--budget": ["13", "20", "100000", "0", "-5", "512MiB", "2GB", "x", "99999999999TB",
                       "1125899906842625"],
          "--units": [None, "1", "5", "100", "500", "0", "1000000000", "x"],
          "--format": [None, "text", "json", "ops", "svg", "x"]},
         ["--exact", "--rotor", "--verify"]),
        (["graph", "traverse"], graphs,
         {"--algorithm": [None, "optimal", "heuristic", "series-parallel", "x"],
          "--format": [None, "text", "json", "x"]}, []),
        (["graph", "remat"], graphs + [os.path.join(data, "graph_chain_a.json")],
         {"!--budget": ["1", "4", "100", "1000000", "0", "-1", "512MiB", "x",
                        "4611686018427387904"],
          "--algorithm": [None, "auto", "exact", "greedy", "decomposition", "milp", "x"],
          "--time-limit": [None, "0.5", "0", "-1", "nan", "x"],
          "--format": [None, "text", "json", "x"]}, []),
        (["graph", "curve"], graphs, {"--format": [None, "text", "json", "x"]}, []),
        (["graph", "ooc"], graphs + [os.path.join(data, "graph_cholesky_4.json")],
         {"!--memory": ["0", "5", "6", "9000", "12288", "1GB", "-1", "x",
                        "4611686018427387904"],
          "--order": [None, "auto", "exact", "heuristic", "topological", "x"],
          "--policy": [None, "furthest", "largest", "x"],
          "--order-file": [None, os.path.join(data, "graph_two_branches_order.json"),
                           os.path.join(data, "graph_two_branches_bad_order.json"),
                           os.path.join(data, "graph_linear_4.json")] + bad,
          "--store-time": [None, "0", "0.5", "-1", "nan", "x"],
          "--load-time": [None, "0", "1e9", "inf", "x"],
          "--format": [None, "text", "json", "x"]}, []),
        (["graph", "parallel"], graphs + [os.path.join(data, "graph_cholesky_4.json")],
         {"!--processors": ["1", "2", "4", "1048576", "1048577", "0", "-1", "x"],
          "!--memory": ["0", "8", "16384", "1GB", "-1", "x", "4611686018427387904"],
          "--activation": [None, "auto", "exact", "heuristic", "topological", "x"],
          "--priority": [None, "critical-path", "activation", "x"],
          "--order-file": [None, os.path.join(data, "graph_two_branches_order.json"),
                           os.path.join(data, "graph_two_branches_bad_order.json")] + bad,
          "--format": [None, "text", "json", "x"]}, []),
        (["calltree", "plan"], calltrees,
         {"!--budget": ["1", "70", "100", "1000000", "0", "-1", "1GB", "x",
                        "4611686018427387904"],
          "--max-work": [None, "1", "1000", "99999999999999999999", "-1", "x"],
          "--format": [None, "text", "json", "x"]}, ["--grid"]),
        (["calltree", "front"], calltrees, {"--format": [None, "text", "json", "x"]}, []),
        (["pipeline", "plan"], pipelines,
         {"!--devices": ["1", "2", "4", "8", "9", "0", "-1", "1000000", "x"],
          "!--budget": ["1", "60000", "1GB", "1,2", "0", "-1", "x", "4611686018427387904"],
          "--micro-batches": [None, "1-8", "1,2,4", "4-1", "1-1000000", "0", "x"],
          "--schedule": [None, "gpipe", "1f1b", "gpipe,1f1b", "zb"],
          "--units": [None, "1", "100", "0", "1000000000", "x"],
          "--format": [None, "text", "json", "x"]}, ["--no-recompute"]),
        (["hetero", "curve"], chains,
         {"--units": [None, "1", "5", "100", "0", "x"],
          "--format": [None, "json", "svg", "text", "x"]}, ["--exact", "--rotor"]),
    ]


def draw(rng, entry):
    words, positional, flags, booleans = entry
    args = list(words)
    value = rng.choice(positional)
    if value is not None:
        args.append(value)
    for flag, pool in flags.items():
        if flag.startswith("!"):
            flag = flag[1:]  # always given
        elif rng.random() < 0.35:
            continue
        value = rng.choice(pool)
        if value is None:
            if flag == "--resume" and rng.random() < 0.5:
                args.append(flag)
            continue
        args += [flag, value]
    for flag in booleans:
        if rng.random() < 0.3:
            args.append(flag)
    if rng.random() < 0.03:
        args.append(rng.choice(["--fast", "-", "--steps", "\u00e9", "%s"]))
    return args


def limit():
    # AddressSanitizer reserves terabytes of address space for its shadow: under it the memory
    # limit is ASan's own hard_rss_limit_mb (set in the environment by check()).
    if not os.environ.get("MEMSCHED_SWEEP_SANITIZED"):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (WALL_SECONDS + 1, WALL_SECONDS + 2))


def check(memsched, args, stdin_path):
    env = dict(os.environ, MEMSCHED_PROGRESS="0")
    if env.get("MEMSCHED_SWEEP_SANITIZED"):
        options = env.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = (options + ":" if options else "") + \
            "hard_rss_limit_mb=%d" % (MEMORY_BYTES >> 20)
    start = time.monotonic()
    with open(stdin_path, "rb") as stdin:
        try:
            r = subprocess.run([memsched] + args, stdin=stdin, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, preexec_fn=limit,
                               timeout=WALL_SECONDS)
        except subprocess.TimeoutExpired:
            return "timeout after %d s" % WALL_SECONDS, 0.0
    seconds = time.monotonic() - start
    err = r.stderr.decode("utf-8", "replace")
    if r.returncode < 0:
        return "killed by signal %d: %s" % (-r.returncode, err.strip()[:300]), seconds
    if r.returncode not in (0, 1, 2):
        return "exit %d: %s" % (r.returncode, err.strip()[:300]), seconds
    if r.returncode == 0:
        if not r.stdout.strip():
            return "exit 0 with no output", seconds
        return None, seconds
    lines = err.strip("\n").split("\n") if err.strip() else []
    if not lines:
        return "exit %d with no message" % r.returncode, seconds
    if len(lines) > 1 and not lines[0].startswith("memsched: auto chose"):
        return "more than one line: %r" % err[:300], seconds
    message = lines[-1]
    if not message.startswith("memsched: "):
        return "message not from memsched: %r" % message[:300], seconds
    for word in UNCLEAR:
        if word in message:
            return "unclear message (%s): %r" % (word, message[:300]), seconds
    return None, seconds


def main():
    memsched, data = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    runs, seed = 300, 20
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
    if "--seed" in sys.argv:
        seed = int(sys.argv[sys.argv.index("--seed") + 1])
    rng = random.Random(seed)
    table = commands(memsched, data)
    stdin_path = os.path.join(data, "tree_six_node.txt")
    failures, slowest = [], (0.0, None)
    start = time.monotonic()
    for i in range(runs):
        args = draw(rng, table[i % len(table)])
        problem, seconds = check(memsched, args, stdin_path)
        if seconds > slowest[0]:
            slowest = (seconds, args)
        if problem:
            failures.append((args, problem))
            print("FAIL memsched %s\n     %s" % (" ".join(repr(a) for a in args), problem))
    print("%d runs in %.1f s (seed %d); slowest %.2f s: memsched %s" %
          (runs, time.monotonic() - start, seed, slowest[0], " ".join(slowest[1] or [])))
    if failures:
        print("%d failures" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
