#!/usr/bin/env python3
"""Writes the graph files used in docs/benchmarks.md (section General graphs) into a folder.

lin{n}.json: Checkmate's linear training graph of n layers (2n + 1 unit nodes).
rand{n}.json: a seeded random DAG (edge i -> j with probability 0.25, bytes 1-10, time 1-5).
layered_100k.json: 10^5 nodes in layers of 100; node k reads node k of the previous layer and a
random one of it.
train{b}.json: a seeded random training graph of b blocks (each: 1-2 forward nodes from the
block input, the block output; a backward chain of 1-2 nodes reading random saved values), the
shape the block decomposition handles; sizes 1-8 MB, times 1-5.
With --real, also the forward-and-backward graphs of real networks (resnet50.json, vgg16.json,
mobilenet_v2.json, densenet121.json, unet.json, transformer.json), measured by
graph_torch_export.py (needs python3-torchvision; a few minutes on CPU).
"""
import json
import random
import sys


def write(path, nodes, edges):
    with open(path, "w") as out:
        json.dump({"nodes": nodes, "edges": edges}, out)


def training_graph(blocks, seed):
    rng = random.Random(seed)
    nodes, edges = [], set()

    def add(name):
        nodes.append({"id": name, "bytes": rng.randint(1, 8) << 20, "time": rng.randint(1, 5)})
        return name
    x = add("x0")
    saved = []
    for i in range(blocks):
        inner = []
        for j in range(rng.randint(1, 2)):
            v = add(f"f{i}.{j}")
            if not inner or rng.random() < 0.5:
                edges.add((x, v))
            if inner:
                edges.add((rng.choice(inner), v))
            inner.append(v)
        nxt = add(f"x{i + 1}")
        for v in inner:
            if not any(a == v for a, _ in edges) or rng.random() < 0.5:
                edges.add((v, nxt))
        if rng.random() < 0.5:
            edges.add((x, nxt))
        saved.append(inner + [x, nxt])
        x = nxt
    grad = add("loss")
    edges.add((x, grad))
    for i in reversed(range(blocks)):
        for j in range(rng.randint(1, 2)):
            v = add(f"b{i}.{j}")
            edges.add((grad, v))
            for r in saved[i]:
                if rng.random() < 0.5:
                    edges.add((r, v))
            grad = v
    return nodes, sorted(edges)


def main(folder):
    for n in (8, 12, 16, 20):
        t = 2 * n + 1
        nodes = [{"id": str(i), "bytes": 1} for i in range(t)]
        edges = [[str(i - 1), str(i)] for i in range(1, t)]
        edges += [[str(i), str(t - 1 - i)] for i in range(t) if t - 1 - i > i + 1]
        write(f"{folder}/lin{n}.json", nodes, edges)
    for n in (12, 16, 20, 24):
        random.seed(n)
        nodes = [{"id": str(i), "bytes": random.randint(1, 10), "time": random.randint(1, 5)}
                 for i in range(n)]
        edges = [[str(i), str(j)] for j in range(n) for i in range(j) if random.random() < 0.25]
        write(f"{folder}/rand{n}.json", nodes, edges)
    for blocks in (6, 8, 10):
        write(f"{folder}/train{blocks}.json", *training_graph(blocks, seed=blocks))
    random.seed(1)
    nodes, edges = [], []
    for v in range(100000):
        nodes.append({"id": str(v), "bytes": random.randint(1, 1000),
                      "temp_bytes": random.randint(1, 1000) // 4})
        layer = v // 100
        if layer == 0:
            continue
        a, b = v - 100, (layer - 1) * 100 + random.randrange(100)
        edges.append([str(a), str(v)])
        if b != a:
            edges.append([str(b), str(v)])
    write(f"{folder}/layered_100k.json", nodes, edges)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--real"]
    folder = args[0] if args else "."
    main(folder)
    if "--real" in sys.argv[1:]:
        import os
        import subprocess
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([sys.executable, os.path.join(here, "graph_torch_export.py"), folder],
                       check=True)
