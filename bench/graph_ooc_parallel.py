#!/usr/bin/env python3
"""Out-of-core I/O against its lower bounds, and memory-bounded parallel makespans against theirs.

Usage: graph_ooc_parallel.py MEMSCHED FOLDER

Writes the graph files into FOLDER (tiled Cholesky task graphs from graph_cholesky.py, seeded
random DAGs, a seeded layered DAG), adds the committed tests/cli/data/graph_cholesky_4.json, and
prints two Markdown tables (docs/benchmarks.md) from `memsched graph ooc` and `memsched graph
parallel` in JSON:
  * ooc: for memory bounds a quarter, half and three quarters of the way from the smallest
    feasible bound to the order's peak, the I/O bytes of furthest-next-use eviction on the
    reference order, over the order's lower bound and over the bound for every order;
  * parallel: for p = 2, 4, 8 and memory = 1, 1.5 and 4 times the activation order's peak, and
    no bound, the makespan over max(critical path, work / p, memory area), and the peak.
"""
import contextlib
import io
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graph_cholesky  # noqa: E402


def write(path, nodes, edges):
    with open(path, "w") as out:
        json.dump({"nodes": nodes, "edges": edges}, out)


def make_graphs(folder):
    paths = []
    for tiles in (6, 8, 12):
        path = f"{folder}/cholesky_{tiles}.json"
        text = io.StringIO()
        with contextlib.redirect_stdout(text):
            graph_cholesky.main(tiles, 64)
        with open(path, "w") as out:
            out.write(text.getvalue())
        paths.append(path)
    for n, p in ((200, 0.03), (1000, 0.005)):
        random.seed(n)
        nodes = [{"id": str(i), "bytes": random.randint(1, 1000),
                  "temp_bytes": random.randint(0, 250), "time": random.randint(1, 10)}
                 for i in range(n)]
        edges = [[str(i), str(j)] for j in range(n) for i in range(j) if random.random() < p]
        path = f"{folder}/random_{n}.json"
        write(path, nodes, edges)
        paths.append(path)
    random.seed(1)
    nodes, edges = [], []
    for v in range(10000):
        nodes.append({"id": str(v), "bytes": random.randint(1, 1000),
                      "temp_bytes": random.randint(1, 1000) // 4,
                      "time": random.randint(1, 10)})
        layer = v // 100
        if layer == 0:
            continue
        a, b = v - 100, (layer - 1) * 100 + random.randrange(100)
        edges.append([str(a), str(v)])
        if b != a:
            edges.append([str(b), str(v)])
    path = f"{folder}/layered_10k.json"
    write(path, nodes, edges)
    paths.append(path)
    return paths


def smallest_bound(path):
    """min_out_of_core_memory: the largest inputs + bytes + temp of a node, and the sinks."""
    with open(path) as f:
        graph = json.load(f)
    size = {str(n["id"]): n.get("bytes", 0) for n in graph["nodes"]}
    inputs = {k: 0 for k in size}
    has_successor = set()
    for a, b in graph["edges"]:
        inputs[str(b)] += size[str(a)]
        has_successor.add(str(a))
    own = max(inputs[str(n["id"])] + n.get("bytes", 0) + n.get("temp_bytes", 0)
              for n in graph["nodes"])
    return max(own, sum(v for k, v in size.items() if k not in has_successor)), len(size)


def run(memsched, *args):
    out = subprocess.run([memsched, "graph", *args, "--format", "json"], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def main(memsched, folder):
    os.makedirs(folder, exist_ok=True)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [os.path.join(root, "tests/cli/data/graph_cholesky_4.json")] + make_graphs(folder)
    print("| graph | n | order peak | M | I/O bytes | bound (order) | bound (any order) |"
          " I/O / bound |")
    print("|---|---|---|---|---|---|---|---|")
    for path in paths:
        low, n = smallest_bound(path)
        peak = run(memsched, "ooc", path, "--memory", str(10 ** 15))["order_peak"]
        for share in (0.25, 0.5, 0.75):
            memory = low + int(share * (peak - low))
            r = run(memsched, "ooc", path, "--memory", str(memory))
            ratio = r["io_bytes"] / r["lower_bound"] if r["lower_bound"] else float("nan")
            print(f"| {os.path.basename(path)} | {n} | {peak} | {memory} | {r['io_bytes']} |"
                  f" {r['lower_bound']} | {r['lower_bound_any_order']} | {ratio:.2f} |")
    print()
    print("| graph | p | M / order peak | makespan | lower bound | makespan / bound | peak / M |")
    print("|---|---|---|---|---|---|---|")
    for path in paths:
        peak = run(memsched, "parallel", path, "--processors", "1",
                   "--memory", str(10 ** 15))["activation_peak"]
        for p in (2, 4, 8):
            for factor in (1, 1.5, 4, None):
                memory = int(factor * peak) if factor else 10 ** 15  # None: no bound
                r = run(memsched, "parallel", path, "--processors", str(p), "--memory",
                        str(memory))
                bound = r["bounds"]["lower_bound"]
                share = f"{r['peak'] / memory:.2f}" if factor else f"peak {r['peak']}"
                print(f"| {os.path.basename(path)} | {p} | {factor or 'none'} |"
                      f" {r['makespan']:.6g} | {bound:.6g} | {r['makespan'] / bound:.2f} |"
                      f" {share} |")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
