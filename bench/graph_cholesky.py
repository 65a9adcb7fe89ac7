#!/usr/bin/env python3
"""Writes the task graph of a tiled Cholesky factorisation (right-looking, lower) as a graph file.

Usage: graph_cholesky.py TILES TILE_SIZE > FILE

Each task writes a new version of one tile of TILE_SIZE^2 doubles (the node-output model: the
version it reads stays until its last reader has run). Nodes: A_i_j (i >= j, the initial tiles,
time 0), then for k = 0 .. TILES-1: POTRF_k on tile (k, k); TRSM_i_k on (i, k) for i > k; SYRK_i_k
on (i, i) for i > k; GEMM_i_j_k on (i, j) for i > j > k. Times are flop counts in units of
TILE_SIZE^3 (POTRF 1/3, TRSM 1, SYRK 1, GEMM 2). The sinks are the tiles of the factor L.
"""
import json
import sys


def main(tiles, b):
    size = 8 * b * b
    nodes, edges = [], []
    current = {}

    def node(name, time, inputs):
        nodes.append({"id": name, "time": time, "bytes": size})
        edges.extend([u, name] for u in inputs)
        return name

    for i in range(tiles):
        for j in range(i + 1):
            current[i, j] = node(f"A_{i}_{j}", 0, [])
    for k in range(tiles):
        current[k, k] = node(f"POTRF_{k}", 1 / 3, [current[k, k]])
        for i in range(k + 1, tiles):
            current[i, k] = node(f"TRSM_{i}_{k}", 1, [current[k, k], current[i, k]])
        for i in range(k + 1, tiles):
            current[i, i] = node(f"SYRK_{i}_{k}", 1, [current[i, k], current[i, i]])
            for j in range(k + 1, i):
                current[i, j] = node(f"GEMM_{i}_{j}_{k}", 2,
                                     [current[i, k], current[j, k], current[i, j]])
    json.dump({"nodes": nodes, "edges": edges}, sys.stdout, indent=None)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(int(sys.argv[1]), int(sys.argv[2]))
