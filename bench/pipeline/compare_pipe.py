#!/usr/bin/env python3
"""Compares memsched's pipeline plans with PyTorch 1.13's Pipe settings at equal per-device
memory, on an nn.Sequential MLP and a transformer stack, one process per device (gloo, CPU).

    PYTHONPATH=build/default/python /usr/bin/python3 bench/pipeline/compare_pipe.py \
        [--models mlp,transformer] [--devices 2] [--steps 3] [--profile-repeats 5]
        [--json FILE] [--no-real-pipe]

Pipe's settings: the partition of its own time balancer (balance_by_time; balance_by_size
needs CUDA), chunks 1, 2, 4, 8 and each checkpoint mode ('always', 'except_last', 'never'),
run in Pipe's order (fill-drain, micro-batch k recomputed iff k < checkpoint_stop) by
memsched.torch.pipeline.run_pipeline, the runner that also executes memsched's plans. On CPU
Pipe itself puts every module in a partition of its own and runs all partitions on one worker
thread of one process (no per-device memory, no parallelism); it is run too, for reference.

Memory: the measured per-process peak above the resident memory at the start of a step
(PipelineRun.peak_bytes), the gradients (zero-filled at the step's start, as PyTorch 1.13's
zero_grad leaves them) included. Time: the critical path of the measured per-operation CPU times
(PipelineRun.critical_path_time; the wall time on a shared machine mostly measures the other
load). For each budget, Pipe's best setting (shortest time among those whose every process
stays within the budget) is set against memsched's plan (planned for budget − MARGIN,
executed with each recomputing device's persistent schedule, measured). The plan is made
from a profile of one micro-batch of each candidate
size (plan_for_model), as Pipe's settings are measured at their own micro-batch size.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import torch
from torch import nn

import memsched
from memsched.torch import pipeline

MiB = 1 << 20
# What the plan does not model, per process (python/tests/test_pipeline_torch.py bounds it).
MARGIN = pipeline.UNMODELLED_BYTES
CHUNKS = (1, 2, 4, 8)
MODES = ("always", "except_last", "never")


def build(name):
    """(model, inputs, targets): seeded, dropout off (recomputation must reproduce)."""
    torch.manual_seed(0)
    if name == "mlp":
        # One layer per [Linear, ReLU] block: the profile of a layer boundary between them
        # would count the Linear's output, which ReLU does not save, as kept (docs/pipeline.md).
        width = 512
        blocks = [nn.Sequential(nn.Linear(width, width), nn.ReLU()) for _ in range(6)]
        model = nn.Sequential(*blocks, nn.Linear(width, 16))
        return model, torch.randn(512, width), torch.randn(512, 16)
    if name == "transformer":
        d, seq, batch = 128, 64, 32
        blocks = [nn.TransformerEncoderLayer(d, 4, dim_feedforward=512, dropout=0.0,
                                             batch_first=True) for _ in range(6)]
        model = nn.Sequential(nn.Linear(32, d), *blocks, nn.Linear(d, 8))
        return model, torch.randn(batch, seq, 32), torch.randn(batch, seq, 8)
    raise ValueError(f"--models: unknown model {name!r}")


def pipe_balance(model, inputs, devices):
    from torch.distributed.pipeline.sync._balance import balance_by_time

    return balance_by_time(devices, model, inputs, timeout=1.0, device="cpu")


def cut(model, boundaries):
    layers = list(model)
    return [nn.Sequential(*layers[a:b]) for a, b in zip(boundaries, boundaries[1:])]


def measure(model, inputs, targets, boundaries, *, micro_batches, schedule, recompute, steps,
            schedules=None):
    run = pipeline.run_pipeline(cut(model, boundaries), inputs, targets, nn.MSELoss(),
                                micro_batches=micro_batches, schedule=schedule,
                                recompute=recompute, measure=True, steps=steps,
                                schedules=schedules)
    return {"peak_bytes": run.peak_bytes, "first_step_peak_bytes": run.first_step_peak_bytes,
            "critical_path_time": run.critical_path_time,
            "wall_time": statistics.median(run.wall_time)}


def real_pipe(name, chunks_list, steps):
    """Runs torch.distributed.pipeline.sync.Pipe itself on CPU in this process: per setting the
    median wall time of `steps` steps after one warm-up and the process's peak above its
    resident memory at the start of the step."""
    import torch.distributed.rpc as rpc
    from torch.distributed.pipeline.sync import Pipe

    from memsched.torch.meter import PeakMeter

    torch.set_num_threads(1)
    meter = PeakMeter()
    PeakMeter.tune_malloc()
    with tempfile.TemporaryDirectory() as tmp:
        rpc.init_rpc("bench", rank=0, world_size=1, rpc_backend_options=(
            rpc.TensorPipeRpcBackendOptions(init_method="file://" + os.path.join(tmp, "rpc"))))
        model, inputs, targets = build(name)
        expected = pipeline.sequential_gradients([model], inputs, targets, nn.MSELoss(),
                                                 micro_batches=1)[0]
        rows = []
        for chunks in chunks_list:
            for mode in MODES:
                pipe = Pipe(model, chunks=chunks, checkpoint=mode)
                walls, peaks = [], []
                for _ in range(steps):
                    model.zero_grad(set_to_none=True)
                    meter.reset()
                    base = meter.rss()
                    start = time.perf_counter()
                    nn.MSELoss()(pipe(inputs).local_value(), targets).backward()
                    walls.append(time.perf_counter() - start)
                    peaks.append(meter.peak() - base)
                diff = max(float((p.grad - expected[n]).abs().max())
                           for n, p in model.named_parameters())
                rows.append({"chunks": chunks, "checkpoint": mode,
                             "partitions": len(pipe.partitions),
                             "wall_time": statistics.median(walls[1:]),
                             "peak_bytes": max(peaks[1:]), "max_grad_diff": diff})
                del pipe
        rpc.shutdown()
    return rows


def bench_model(name, devices, steps, profile_repeats):
    model, inputs, targets = build(name)
    balance = pipe_balance(model, inputs, devices)
    boundaries = [0]
    for count in balance:
        boundaries.append(boundaries[-1] + count)
    pipe_rows = []
    for chunks in CHUNKS:
        for mode in MODES:
            if chunks == 1 and mode == "except_last":
                continue  # the same run as 'never' (checkpoint_stop = 0)
            row = measure(model, inputs, targets, boundaries, micro_batches=chunks,
                          schedule="gpipe", recompute=pipeline.pipe_recompute(mode, devices,
                                                                             chunks),
                          steps=steps)
            row.update(chunks=chunks, checkpoint=mode)
            pipe_rows.append(row)
            print(f"# {name} Pipe balance {balance} chunks {chunks} {mode}: "
                  f"{[round(p / MiB, 2) for p in row['peak_bytes']]} MiB, "
                  f"{row['critical_path_time']:.4f} s", file=sys.stderr)
    # Budgets: the largest per-process peaks of Pipe's settings, from the tightest to the
    # loosest, at five quantiles.
    peaks = sorted(max(r["peak_bytes"]) for r in pipe_rows)
    n = len(peaks) - 1
    budgets = sorted({peaks[0], peaks[n // 4], peaks[n // 2], peaks[3 * n // 4], peaks[-1]})
    chains = pipeline.micro_batch_chains(model, inputs, CHUNKS, repeats=profile_repeats,
                                         rounds=5)
    for m in CHUNKS:
        chain, parameter_bytes = chains[m]
        store = pipeline.predicted_run(chain, parameter_bytes, boundaries, [False] * devices,
                                       micro_batches=m, schedule="gpipe")
        print(f"# {name} profile m={m}: Pipe's partition storing, simulated "
              f"{store.iteration_time:.4f} s, peaks "
              f"{[round(p / MiB, 2) for p in store.device_peak_bytes]} MiB", file=sys.stderr)
    results = []
    for budget in budgets:
        fitting = [r for r in pipe_rows if max(r["peak_bytes"]) <= budget]
        best = min(fitting, key=lambda r: r["critical_path_time"])
        # The runner executes each recomputing device's persistent schedule (schedules=), so
        # plans that checkpoint inside a segment are offered too (whole_segment=False).
        found = pipeline.plan_for_model(model, inputs, [budget - MARGIN] * devices,
                                        micro_batches=CHUNKS, chains=chains,
                                        whole_segment=False)
        entry = {"budget_bytes": budget, "pipe_best": best, "plan": None}
        if found is not None:
            plan, chain, parameter_bytes = found
            bounds = [d.first_layer for d in plan.devices] + [plan.devices[-1].last_layer]
            recompute = [d.recompute for d in plan.devices]
            schedules = [d.backward_schedule if d.recompute else None for d in plan.devices]
            row = measure(model, inputs, targets, bounds, micro_batches=plan.micro_batches,
                          schedule=plan.schedule, recompute=recompute, steps=steps,
                          schedules=schedules)
            row.update(schedule=plan.schedule, micro_batches=plan.micro_batches,
                       boundaries=bounds, recompute=recompute,
                       plan_peak_bytes=[d.peak_bytes for d in plan.devices],
                       inner_schedules=[memsched.hetero_schedule_text(x) if x else None
                                        for x in schedules],
                       plan_time=plan.report.iteration_time)
            entry["plan"] = row
        results.append(entry)
    return {"model": name, "layers": len(model), "devices": devices, "balance": balance,
            "pipe": pipe_rows, "budgets": results}


def mib(b):
    return f"{b / MiB:.2f}"


def print_tables(report):
    for m in report["models"]:
        print(f"\n### {m['model']} ({m['layers']} layers, {m['devices']} processes), "
              f"Pipe's balance_by_time: {m['balance']}\n")
        print("| chunks | checkpoint | peak per process (MiB) | critical path (s) | wall (s) |")
        print("|---|---|---|---|---|")
        for r in m["pipe"]:
            print(f"| {r['chunks']} | {r['checkpoint']} | "
                  f"{', '.join(mib(p) for p in r['peak_bytes'])} | "
                  f"{r['critical_path_time']:.4f} | {r['wall_time']:.3f} |")
        print("\n| budget (MiB) | Pipe's best | its peak (MiB) | its time (s) | memsched plan | "
              "planned / measured peak (MiB) | simulated / measured time (s) | speed-up |")
        print("|---|---|---|---|---|---|---|---|")
        for b in m["budgets"]:
            p, q = b["pipe_best"], b["plan"]
            left = (f"| {mib(b['budget_bytes'])} | chunks {p['chunks']}, {p['checkpoint']} | "
                    f"{', '.join(mib(x) for x in p['peak_bytes'])} | "
                    f"{p['critical_path_time']:.4f} |")
            if q is None:
                print(left + " no plan | | | |")
                continue
            layers = ", ".join(f"{a}-{c - 1}{'r' if r else ''}"
                               for a, c, r in zip(q["boundaries"], q["boundaries"][1:],
                                                  q["recompute"]))
            print(left + f" {q['schedule']}, m={q['micro_batches']}, {layers} | "
                  f"{', '.join(mib(x) for x in q['plan_peak_bytes'])} / "
                  f"{', '.join(mib(x) for x in q['peak_bytes'])} | "
                  f"{q['plan_time']:.4f} / {q['critical_path_time']:.4f} | "
                  f"{p['critical_path_time'] / q['critical_path_time']:.2f} |")
        if m.get("real_pipe"):
            print("\nPipe itself (one process; every module a partition on one CPU thread):\n")
            print("| chunks | checkpoint | partitions | process peak (MiB) | wall (s) | "
                  "max gradient difference |")
            print("|---|---|---|---|---|---|")
            for r in m["real_pipe"]:
                print(f"| {r['chunks']} | {r['checkpoint']} | {r['partitions']} | "
                      f"{mib(r['peak_bytes'])} | {r['wall_time']:.3f} | "
                      f"{r['max_grad_diff']:.2e} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="mlp,transformer")
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--profile-repeats", type=int, default=5,
                        help="timed runs per layer and micro-batch size (median)")
    parser.add_argument("--json")
    parser.add_argument("--no-real-pipe", action="store_true")
    parser.add_argument("--tables", metavar="JSON",
                        help="print the tables of an earlier --json report and exit")
    args = parser.parse_args()
    if args.tables:
        with open(args.tables) as f:
            print_tables(json.load(f))
        return
    torch.set_num_threads(1)
    report = {"models": []}
    for name in args.models.split(","):
        build(name)  # rejects an unknown name before any run
        entry = bench_model(name, args.devices, args.steps, args.profile_repeats)
        if not args.no_real_pipe:
            entry["real_pipe"] = real_pipe(name, CHUNKS, args.steps)
        report["models"].append(entry)
    print_tables(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
