#!/usr/bin/env python3
"""Writes a seeded transformer-like pipeline model (memsched pipeline plan's JSON) to stdout.

Usage: make_model.py LAYERS [SEED]. Layer 0 is an embedding, the last a head; the blocks
between have times 8-12 ms and activations of a few MiB for the whole mini-batch.
"""
import json
import random
import sys

layers = int(sys.argv[1])
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
MiB = 1 << 20
hidden = 16 * MiB
stages = [{"forward_time": 0.002, "backward_time": 0.004, "input_bytes": MiB // 8,
           "tape_bytes": hidden}]
params = [50_000_000]
for _ in range(layers - 2):
    f = rng.uniform(0.008, 0.012)
    stages.append({"forward_time": f, "backward_time": 2 * f, "input_bytes": hidden,
                   "tape_bytes": hidden * rng.randint(4, 8), "forward_tmp_bytes": hidden,
                   "backward_tmp_bytes": 2 * hidden})
    params.append(rng.randint(10_000_000, 14_000_000))
stages.append({"forward_time": 0.006, "backward_time": 0.012, "input_bytes": hidden,
               "tape_bytes": 4 * hidden, "backward_tmp_bytes": 2 * hidden})
params.append(50_000_000)
json.dump({"chain": {"stages": stages, "loss": {"input_bytes": 4 * hidden, "time": 0.001}},
           "parameters": params}, sys.stdout, indent=1)
print()
