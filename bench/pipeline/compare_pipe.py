#!/usr/bin/env python3
"""Compares memsched's pipeline plans with PyTorch 1.13's Pipe settings at equal per-device
memory, on an nn.Sequential MLP and a transformer stack, one process per device (gloo, CPU).

    PYTHONPATH=build/default/python /usr/bin/python3 bench/pipeline/compare_pipe.py \
        [--models mlp,transformer] [--devices 2] [--steps 3] [--profile-repeats 5]
        [--repeats 3] [--top 4] [--confirm 3] [--json FILE] [--no-real-pipe]

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
load). Every Pipe setting runs --repeats times, the settings in turn; its time is the median,
its peak the largest. For each budget, Pipe's best setting (shortest time among those whose
every process stays within the budget in every run) is set against memsched's plans, made on
the calibrated model (sizes from a profile of each micro-batch size, per-layer times measured
in the runner's conditions and scaled by the measured ratio of a pipeline's operations to
their layers alone: measure_layer_times, pipeline_factors, calibrated_chains; activation sizes
scaled per layer by the peaks measured in the same runs: memory_factors):
  * the model-only plan: the fastest simulated plan for budget − MARGIN, run and measured;
  * the measured selection: the --top candidates of smallest simulated time planned for the
    budget and for the budget less 0.25, 0.5, 1 MiB and MARGIN (plan_candidates), each run
    --repeats times in turn, the fastest median among those whose every process stayed within
    the budget (and its plan + MARGIN) in every run (select_by_run), as Pipe's best is the
    fastest of its settings measured.
Then Pipe's best setting and the selected plan run --confirm more times, in turn: the speed-up
is the ratio of those fresh medians.
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


def summarize(runs):
    """One setting's or plan's runs: the per-process peak (largest over runs), the median
    critical path and wall time, and every run's critical path."""
    return {"peak_bytes": [max(r.peak_bytes[s] for r in runs)
                           for s in range(len(runs[0].peak_bytes))],
            "first_step_peak_bytes": [max(r.first_step_peak_bytes[s] for r in runs)
                                      for s in range(len(runs[0].peak_bytes))],
            "critical_path_time": statistics.median(r.critical_path_time for r in runs),
            "critical_path_times": [r.critical_path_time for r in runs],
            "wall_time": statistics.median(statistics.median(r.wall_time) for r in runs)}


def plan_row(plan, runs):
    bounds = [d.first_layer for d in plan.devices] + [plan.devices[-1].last_layer]
    row = summarize(runs) if runs else {}
    row.update(schedule=plan.schedule, micro_batches=plan.micro_batches, boundaries=bounds,
               recompute=[d.recompute for d in plan.devices],
               plan_peak_bytes=[d.peak_bytes for d in plan.devices],
               inner_schedules=[memsched.hetero_schedule_text(d.backward_schedule)
                                if d.recompute else None for d in plan.devices],
               plan_time=plan.report.iteration_time)
    return row


def bench_model(name, devices, steps, profile_repeats, repeats, top, confirm):
    model, inputs, targets = build(name)
    loss_fn = nn.MSELoss()
    balance = pipe_balance(model, inputs, devices)
    boundaries = [0]
    for count in balance:
        boundaries.append(boundaries[-1] + count)
    settings = [(chunks, mode) for chunks in CHUNKS for mode in MODES
                if not (chunks == 1 and mode == "except_last")]  # = 'never' (checkpoint_stop 0)
    stages = cut(model, boundaries)

    def pipe_run(setting):
        chunks, mode = setting
        return pipeline.run_pipeline(stages, inputs, targets, loss_fn, micro_batches=chunks,
                                     schedule="gpipe",
                                     recompute=pipeline.pipe_recompute(mode, devices, chunks),
                                     measure=True, steps=steps)

    # Pipe's settings, `repeats` rounds with the settings in turn (a burst of load on the
    # shared machine then spreads over all of them).
    pipe_runs = {s: [] for s in settings}
    for _ in range(repeats):
        for setting in settings:
            pipe_runs[setting].append(pipe_run(setting))
    pipe_rows = []
    for (chunks, mode), runs in pipe_runs.items():
        row = summarize(runs)
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
    # Sizes from the profile of each micro-batch size; times measured in the runner's
    # conditions (measure_layer_times), the calibrated model.
    profiled = pipeline.micro_batch_chains(model, inputs, CHUNKS, repeats=profile_repeats,
                                           rounds=5)
    layer_times = pipeline.measure_layer_times(model, inputs, targets, loss_fn, CHUNKS,
                                               rounds=5)
    stored = {}
    factors = pipeline.pipeline_factors(model, inputs, targets, loss_fn, layer_times,
                                        num_devices=devices, repeats=2, steps=steps,
                                        runs=stored)
    memory = pipeline.memory_factors(profiled, stored, num_devices=devices)
    alone_chains = pipeline.calibrated_chains(profiled, layer_times)
    chains = pipeline.calibrated_chains(profiled, layer_times, factors, memory)
    link = pipeline.measure_link((4, 1 << 16, 1 << 20))
    # Agreement of both models with the measured runs of Pipe's settings that recompute all
    # micro-batches or none (predicted_run has one flag per device).
    agreement = []
    for row in pipe_rows:
        if row["checkpoint"] == "except_last" and row["chunks"] > 1:
            continue
        m, flags = row["chunks"], [row["checkpoint"] == "always"] * devices
        sim = {label: pipeline.predicted_run(*c[m], boundaries, flags, micro_batches=m,
                                             schedule="gpipe")
               for label, c in (("profile", profiled), ("layers", alone_chains),
                                ("calibrated", chains))}
        agreement.append({"chunks": m, "checkpoint": row["checkpoint"],
                          "measured": row["critical_path_time"],
                          "profile": sim["profile"].iteration_time,
                          "layers": sim["layers"].iteration_time,
                          "calibrated": sim["calibrated"].iteration_time,
                          "measured_peak_bytes": row["peak_bytes"],
                          "profile_peak_bytes": sim["profile"].device_peak_bytes,
                          "simulated_peak_bytes": sim["calibrated"].device_peak_bytes})
    results, runs, pairs = [], {}, {}
    for budget in budgets:
        fitting = [r for r in pipe_rows if max(r["peak_bytes"]) <= budget]
        best = min(fitting, key=lambda r: r["critical_path_time"])
        # The model alone: the fastest simulated plan for budget - MARGIN (the documented
        # allowance for what the model does not see), not run before it is chosen.
        alone = pipeline.plan_candidates(chains, [budget] * devices, margins=(MARGIN,), top=1)
        # Measured selection among the top candidates planned for the budget itself and with
        # slack; a candidate counts only if every process of every run stayed within budget.
        candidates = pipeline.plan_candidates(
            chains, [budget] * devices, margins=(0, MiB // 4, MiB // 2, MiB, MARGIN), top=top)
        if alone and pipeline.candidate_key(alone[0][0]) not in {
                pipeline.candidate_key(c[0]) for c in candidates}:
            candidates.append(alone[0])
        chosen, _ = pipeline.select_by_run(model, inputs, targets, loss_fn, candidates,
                                           [budget] * devices, repeats=repeats, steps=steps,
                                           runs=runs)
        entry = {"budget_bytes": budget, "pipe_best": best, "plan": None, "selected": None,
                 "candidates": [dict(plan_row(c[0], runs[pipeline.candidate_key(c[0])]),
                                     key=str(pipeline.candidate_key(c[0])))
                                for c in candidates]}
        if alone:
            entry["plan"] = plan_row(alone[0][0], runs[pipeline.candidate_key(alone[0][0])])
        if chosen is not None:
            plan = candidates[chosen][0]
            key = pipeline.candidate_key(plan)
            entry["selected"] = plan_row(plan, runs[key])
            # Confirmation: fresh runs of Pipe's best setting and of the selected plan in turn,
            # so that neither keeps the luck of the runs it was selected on.
            pair = ((best["chunks"], best["checkpoint"]), key)
            if pair not in pairs:
                fresh_pipe, fresh_plan = [], []
                for _ in range(confirm):
                    fresh_pipe.append(pipe_run(pair[0]))
                    fresh_plan.append(pipeline.run_plan(model, inputs, targets, loss_fn, plan,
                                                        steps=steps))
                pairs[pair] = (summarize(fresh_pipe), summarize(fresh_plan))
            entry["confirm_pipe"], entry["confirm_plan"] = pairs[pair]
        print(f"# {name} budget {budget / MiB:.2f} MiB: Pipe {best['chunks']} "
              f"{best['checkpoint']} {best['critical_path_time']:.4f} s; selected "
              f"{entry['selected'] and entry['selected']['critical_path_time']}", file=sys.stderr)
        results.append(entry)
    # Measured minus planned peak, per process, over every run of every candidate.
    excess = []
    for e in results:
        for c in e["candidates"]:
            for p, q in zip(c["peak_bytes"], c["plan_peak_bytes"]):
                excess.append(p - q)
    return {"model": name, "layers": len(model), "devices": devices, "balance": balance,
            "repeats": repeats, "confirm": confirm, "pipe": pipe_rows,
            "layer_times": {str(m): t for m, t in layer_times.items()},
            "factors": {str(m): f for m, f in factors.items()},
            "memory_factors": {str(m): f for m, f in memory.items()},
            "link": {"per_message": link[0], "per_byte": link[1],
                     "times": {str(n): t for n, t in link[2].items()}},
            "agreement": agreement, "budgets": results,
            "max_excess_bytes": max(excess) if excess else None}


def mib(b):
    return f"{b / MiB:.2f}"


def plan_text(q):
    layers = ", ".join(f"{a}-{c - 1}{'r' if r else ''}"
                       for a, c, r in zip(q["boundaries"], q["boundaries"][1:], q["recompute"]))
    return f"{q['schedule']}, m={q['micro_batches']}, {layers}"


def print_tables(report):
    for m in report["models"]:
        print(f"\n### {m['model']} ({m['layers']} layers, {m['devices']} processes), "
              f"Pipe's balance_by_time: {m['balance']}\n")
        print(f"Pipe's settings, {m['repeats']} runs each (median critical path, largest "
              "peak):\n")
        print("| chunks | checkpoint | peak per process (MiB) | critical path (s) | wall (s) |")
        print("|---|---|---|---|---|")
        for r in m["pipe"]:
            print(f"| {r['chunks']} | {r['checkpoint']} | "
                  f"{', '.join(mib(p) for p in r['peak_bytes'])} | "
                  f"{r['critical_path_time']:.4f} | {r['wall_time']:.3f} |")
        print("\nSimulated against measured (Pipe's partition, settings recomputing all or no "
              "micro-batches):\n")
        print("| chunks | checkpoint | measured (s) | profile (s) | layers timed alone (s) | "
              "calibrated (s) | profile / measured | calibrated / measured |")
        print("|---|---|---|---|---|---|---|---|")
        for a in m["agreement"]:
            print(f"| {a['chunks']} | {a['checkpoint']} | {a['measured']:.4f} | "
                  f"{a['profile']:.4f} | {a['layers']:.4f} | {a['calibrated']:.4f} | "
                  f"{a['profile'] / a['measured']:.2f} | "
                  f"{a['calibrated'] / a['measured']:.2f} |")
        print("\nPlanned against measured peaks (Pipe's partition, same settings; MiB per "
              "process):\n")
        print("| chunks | checkpoint | measured | profile | calibrated | calibrated − measured |")
        print("|---|---|---|---|---|---|")
        for a in m["agreement"]:
            if "profile_peak_bytes" not in a:
                continue
            meas, prof, cal = (a[k] for k in ("measured_peak_bytes", "profile_peak_bytes",
                                               "simulated_peak_bytes"))
            print(f"| {a['chunks']} | {a['checkpoint']} | {', '.join(mib(x) for x in meas)} | "
                  f"{', '.join(mib(x) for x in prof)} | {', '.join(mib(x) for x in cal)} | "
                  f"{', '.join(f'{(c - x) / MiB:+.2f}' for c, x in zip(cal, meas))} |")
        if m.get("memory_factors"):
            print("\nMemory factors (measured / modelled activation memory, per layer, GPipe "
                  "storing on an even split): " + "; ".join(
                      f"m={k}: " + ", ".join(f"{f:.3f}" for f in dict.fromkeys(v))
                      for k, v in m["memory_factors"].items()))
        print("\nPipeline factors (operation in the pipeline / its layers timed alone; forward, "
              "backward): " + ", ".join(f"m={k}: {f:.2f}, {b:.2f}"
                                        for k, (f, b) in m["factors"].items()))
        link = m["link"]
        print(f"gloo link, one way: {link['per_message'] * 1e6:.0f} us per message + "
              f"{link['per_byte'] * 1e9:.3f} ns per byte (" +
              ", ".join(f"{int(n)} B: {t * 1e6:.0f} us" for n, t in link["times"].items()) +
              ")")
        print("\n| budget (MiB) | Pipe's best | its peak (MiB) | its time (s) | model-only plan "
              f"(budget − {MARGIN / MiB:g} MiB): time (s) | measured selection | planned / measured peak (MiB) "
              "| simulated / measured time (s) | confirmation runs: Pipe / plan (s) | speed-up |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for b in m["budgets"]:
            p, q, a = b["pipe_best"], b["selected"], b["plan"]
            left = (f"| {mib(b['budget_bytes'])} | chunks {p['chunks']}, {p['checkpoint']} | "
                    f"{', '.join(mib(x) for x in p['peak_bytes'])} | "
                    f"{p['critical_path_time']:.4f} | ")
            left += ("none |" if a is None else
                     f"{plan_text(a)}: {a.get('critical_path_time', float('nan')):.4f} |")
            if q is None:
                print(left + " none within budget | | | | |")
                continue
            cp, cq = b["confirm_pipe"], b["confirm_plan"]
            print(left + f" {plan_text(q)} | "
                  f"{', '.join(mib(x) for x in q['plan_peak_bytes'])} / "
                  f"{', '.join(mib(x) for x in q['peak_bytes'])} | "
                  f"{q['plan_time']:.4f} / {q['critical_path_time']:.4f} | "
                  f"{cp['critical_path_time']:.4f} / {cq['critical_path_time']:.4f} | "
                  f"{cp['critical_path_time'] / cq['critical_path_time']:.2f} |")
        if m.get("max_excess_bytes") is not None:
            print(f"\nLargest measured peak above the plan's, over every candidate run: "
                  f"{m['max_excess_bytes'] / MiB:.2f} MiB")
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
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each Pipe setting and each candidate plan (median)")
    parser.add_argument("--top", type=int, default=4,
                        help="candidate plans run by the measured selection")
    parser.add_argument("--confirm", type=int, default=3,
                        help="fresh runs of Pipe's best and of the selected plan, in turn")
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
        entry = bench_model(name, args.devices, args.steps, args.profile_repeats,
                            args.repeats, args.top, args.confirm)
        if not args.no_real_pipe:
            entry["real_pipe"] = real_pipe(name, CHUNKS, args.steps)
        report["models"].append(entry)
    print_tables(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
