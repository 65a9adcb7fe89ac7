"""Peak memory and CPU time of one training step on CPU: no checkpointing, PyTorch's
checkpoint_sequential at every segment count, and memsched.torch at a sweep of budgets.

Memory follows docs/theory/heterogeneous.md ('Measuring memory on a CPU'): one fresh process per configuration,
MALLOC_MMAP_THRESHOLD_=65536, VmHWM reset through /proc/self/clear_refs, peak = VmHWM - VmRSS
just before the step (after a warm-up step that allocates .grad). CPU time (time.process_time,
one thread): min over --rounds rounds run in one more process, where every configuration
(using no more memory than no checkpointing) takes one step per round in turn, so that slow
spells of a shared machine hit all alike; the fresh processes' own min over --steps steps is
kept as cpu_fresh. Every configuration hashes its gradients; the driver checks they are
bitwise equal to plain autograd's.

Run (writes <out>/torch_<model>.csv and .svg, prints a table):
  PYTHONPATH=build/default/python /usr/bin/python3 python/bench/torch_bench.py \
      --model mlp --out build/torch_bench
Options: --model mlp|resnet|resmlp|resmlp-dropout (build_model says what they are), --batch,
--steps, --segments 1,2,4 (default: every count; "none": memsched only), --budgets-mib 20,40
(default: a sweep between the smallest feasible budget and store-all), --no-match (by default
memsched also runs with its budget set to each checkpoint_sequential run's measured peak),
--cpu-only none,seq:2,memsched:58.9,staged:58.9 (just the interleaved CPU rounds of these;
staged = memsched with one autograd node per stage, fuse_segments=False).
"""

import argparse
import csv
import hashlib
import json
import math
import os
import pathlib
import resource
import subprocess
import sys
import time

MIB = 1 << 20


# ---- the models -----------------------------------------------------------------------------


MODELS = ("mlp", "resnet", "resmlp", "resmlp-dropout")
DEFAULT_BATCH = {"mlp": 1024, "resnet": 128, "resmlp": 1024, "resmlp-dropout": 1024}


def build_model(name, batch):
    """(nn.Sequential, input, target). mlp: 50 x [Linear(512, 512), ReLU].
    resnet: the CIFAR ResNet-20 (models.cifar_resnet: three stages of three basic blocks with
    16 / 32 / 64 channels on 32x32 / 16x16 / 8x8 maps), 3x32x32 inputs: activations halve from
    stage to stage while the work per block stays. resmlp(-dropout): residual MLP blocks of
    hidden widths repeating 256 / 1024 / 512 / 2048 (with Dropout 0.1)."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    if name == "mlp":
        layers = []
        for _ in range(50):
            layers += [nn.Linear(512, 512), nn.ReLU()]
        model, x = nn.Sequential(*layers), torch.randn(batch, 512)
    elif name == "resnet":
        from models import cifar_resnet

        model, x = cifar_resnet(), torch.randn(batch, 3, 32, 32)
    elif name in ("resmlp", "resmlp-dropout"):
        dropout = [nn.Dropout(0.1)] if name == "resmlp-dropout" else []

        class Residual(nn.Module):
            def __init__(self, width, hidden):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), *dropout,
                                          nn.Linear(hidden, width))

            def forward(self, x):
                return torch.relu(x + self.body(x))

        width = 256
        blocks = [nn.Linear(width, width)]
        for k in range(16):
            blocks.append(Residual(width, [256, 1024, 512, 2048][k % 4]))
        blocks.append(nn.Linear(width, 16))
        model, x = nn.Sequential(*blocks), torch.randn(batch, width)
    else:
        raise SystemExit(f"unknown model {name}")
    with torch.no_grad():
        target = torch.randn_like(model(x))
    return model, x, target


# ---- one configuration (worker process) -------------------------------------------------------


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def make_runner(config, model, x, profile=None):
    """(callable x -> output, info) for "none", "seq:<segments>", "memsched:<budget MiB>" or
    "staged:<budget MiB>" (memsched without segments, one node per stage)
    (measuring the stages unless a profile is given)."""
    from torch.utils.checkpoint import checkpoint_sequential

    kind, _, value = config.partition(":")
    if kind == "none":
        return model, {}
    if kind == "seq":
        segments = int(value)
        return (lambda inp: checkpoint_sequential(model, segments, inp)), {}
    if kind in ("memsched", "staged"):  # staged: one node per stage (fuse_segments=False)
        import memsched.torch as mt

        start = time.process_time()
        wrapped = mt.CheckpointedSequential(model, int(float(value) * MIB), x, profile=profile,
                                            fuse_segments=kind == "memsched")
        return wrapped, {"plan_s": time.process_time() - start,
                         "predicted_peak": wrapped.plan.peak_bytes,
                         "predicted_s": wrapped.plan.makespan,
                         "stages": len(wrapped.profile.stages),
                         "ops": len(wrapped.plan.schedule),
                         "forwards": wrapped.plan.forwards, "segments": len(wrapped.segments),
                         "store_all": wrapped.profile.plain_chain.store_all_peak()}
    raise SystemExit(f"unknown config {config}")


def sequential_in_model(model, profile):
    """checkpoint_sequential's schedule for every segment count, replayed in the measured
    chain (simulate_hetero; its last segment, plain autograd, with the direct backward
    temporaries), next to memsched's plan for its predicted peak: rows [segments,
    peak bytes, its makespan, memsched's makespan, minimal makespan, exact]; exact is False
    when a segment boundary falls inside a stage (modules grouped by stages="auto") and was
    moved to the stage's start: torch stores more there than this replay."""
    import memsched
    import memsched.torch as mt
    from memsched import HeteroOp

    chain = profile.chain
    num = len(profile.stages)
    stage_of = {m: k for k, st in enumerate(profile.stages) for m in range(st.begin, st.end)}
    rows = []
    begins = {st.begin for st in profile.stages}
    for segments in range(1, len(model) + 1):
        size = len(model) // segments  # torch's split: equal counts, the remainder last
        starts = sorted({stage_of[k * size] for k in range(segments)})
        exact = all(k * size in begins for k in range(segments))
        bounds = list(zip(starts, starts[1:] + [num]))
        ops = []
        for begin, end in bounds[:-1]:  # checkpointed segments: run without grad
            ops += [HeteroOp.forward_check(begin)]
            ops += [HeteroOp.forward_nograd(i) for i in range(begin + 1, end)]
        for begin, end in reversed(bounds):  # each segment recorded, then its backward
            ops += [HeteroOp.forward_enable(i) for i in range(begin, end)]
            if end == num:
                ops.append(HeteroOp.loss(num))
            ops += [HeteroOp.backward(i) for i in reversed(range(begin, end))]
        # its last segment is plain autograd: the direct backward temporaries there
        seq_chain = profile.chain_for(range(bounds[-1][0], num))
        report = memsched.simulate_hetero(ops, seq_chain, chain.store_all_peak() * 4)
        plan = mt.CheckpointedSequential(model, report.peak_bytes, profile=profile).plan
        rows.append([segments, report.peak_bytes, report.makespan, plan.makespan,
                     chain.minimal_makespan(), exact])
    return rows


def _median(values):
    values = sorted(values)
    return values[len(values) // 2]


def grads_digest(model, x):
    digest = hashlib.sha256()
    for p in list(model.parameters()) + [x]:
        digest.update(p.grad.numpy().tobytes())
    return digest.hexdigest()[:16]


def worker(args):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    model, x, target = build_model(args.model, args.batch)
    x.requires_grad_(True)  # checkpoint_sequential (re-entrant) needs it for parameter grads
    if args.config == "profile":  # the chain and its curve only
        import memsched.torch as mt

        profile = mt.profile_sequence(model, x)
        curve = mt.memory_time_curve(profile.chain)
        print(json.dumps({"store_all": profile.plain_chain.store_all_peak(),
                          "curve": [[p.budget_bytes, p.makespan] for p in curve],
                          "stages": len(profile.stages), "modules": len(model),
                          "model": sequential_in_model(model, profile)}))
        return
    if args.config.startswith("cpu:"):
        return cpu_worker(args, model, x, target, args.config[4:].split(","))
    run, info = make_runner(args.config, model, x)

    def step():
        torch.manual_seed(1)
        loss = F.mse_loss(run(x), target)
        loss.backward()
        return loss

    step()  # warm-up: allocates .grad
    peaks, times = [], []
    for _ in range(args.steps):
        for p in model.parameters():
            p.grad.zero_()
        x.grad = None
        before = status("VmRSS:")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        start = time.process_time()
        step()
        times.append(time.process_time() - start)
        peaks.append(status("VmHWM:") - before)
    print(json.dumps(dict(config=args.config, peak=max(peaks), cpu=min(times),
                          grads=grads_digest(model, x), **info)))


def cpu_worker(args, model, x, target, configs):
    """CPU time of several configurations in one process, interleaved: round r runs one step
    of each configuration in turn, so that a slow spell of the shared machine hits all of
    them alike (separate processes minutes apart differed by up to 10 %). Prints, per
    configuration, the min and median over the rounds after a warm-up round."""
    import torch
    import torch.nn.functional as F
    import memsched.torch as mt

    profile = mt.profile_sequence(model, x)
    runners, infos = {}, {}
    for config in configs:
        runners[config], infos[config] = make_runner(config, model, x, profile)
    times = {c: [] for c in configs}
    faults = {c: [] for c in configs}  # minor page faults: what the step allocates anew
    digests = {}
    for round_ in range(args.rounds + 1):
        for config, run in runners.items():
            for p in model.parameters():
                p.grad = None
            x.grad = None
            torch.manual_seed(1)
            faulted = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            start = time.process_time()
            F.mse_loss(run(x), target).backward()
            elapsed = time.process_time() - start
            if round_ > 0:
                times[config].append(elapsed)
                faults[config].append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt -
                                      faulted)
            digests[config] = grads_digest(model, x)
        print(f"cpu round {round_} of {args.rounds} done", file=sys.stderr, flush=True)
    for config in configs:
        print(json.dumps({"config": config, "cpu_min": min(times[config]),
                          "cpu_median": _median(times[config]),
                          "minor_faults": _median(faults[config]), "grads": digests[config],
                          **{k: v for k, v in infos[config].items() if k != "plan_s"}}))


# ---- the driver ----------------------------------------------------------------------------


def run_worker(args, config, **run_options):
    """This script as a worker process for `config`, with the allocator and thread settings of
    the measurement (docs/theory/heterogeneous.md)."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", OMP_NUM_THREADS="1")
    command = [sys.executable, __file__, "--worker", "--model", args.model, "--batch",
               str(args.batch), "--steps", str(args.steps), "--rounds", str(args.rounds),
               "--config", config]
    return subprocess.run(command, env=env, text=True, **run_options)


def run_config(args, config):
    result = run_worker(args, config, capture_output=True)
    if result.returncode != 0:
        return {"config": config, "error": result.stderr.strip().splitlines()[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def svg(rows, path, title):
    width, height, margin = 640, 420, 60
    points = [r for r in rows if "error" not in r]
    max_peak = max(r["peak"] for r in points) / MIB * 1.05
    # Up to 2.5x no checkpointing: the smallest budgets (up to 10x) would flatten the rest;
    # points beyond are drawn on the top edge.
    none = [r["cpu"] for r in points if r["config"] == "none"]
    max_cpu = max(r["cpu"] for r in points) * 1.05
    if none:
        max_cpu = min(max_cpu, 2.5 * none[0])
    min_cpu = min(r["cpu"] for r in points) * 0.95

    def xy(r):
        px = margin + (r["peak"] / MIB) / max_peak * (width - 2 * margin)
        cpu = min(r["cpu"], max_cpu)
        py = height - margin - (cpu - min_cpu) / (max_cpu - min_cpu) * (height - 2 * margin)
        return px, py

    colors = {"none": "black", "seq": "#d62728", "memsched": "#1f77b4"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle">{title}</text>',
           f'<line x1="{margin}" y1="{height - margin}" x2="{width - margin}" '
           f'y2="{height - margin}" stroke="black"/>',
           f'<line x1="{margin}" y1="{margin}" x2="{margin}" y2="{height - margin}" '
           f'stroke="black"/>',
           f'<text x="{width / 2}" y="{height - 20}" text-anchor="middle">measured peak '
           f'(MiB, 0 to {max_peak:.0f})</text>',
           f'<text x="15" y="{height / 2}" transform="rotate(-90 15 {height / 2})" '
           f'text-anchor="middle">CPU s/step ({min_cpu:.2f} to {max_cpu:.2f})</text>']
    for kind, color in colors.items():
        series = sorted((r for r in points if r["config"].split(":")[0] == kind),
                        key=lambda r: r["peak"])
        coords = [xy(r) for r in series]
        if len(coords) > 1 and kind == "memsched":
            out.append('<polyline fill="none" stroke="%s" points="%s"/>' % (
                color, " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)))
        for x, y in coords:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>')
    labels = [("no checkpointing", "black"), ("checkpoint_sequential", "#d62728"),
              ("memsched.torch", "#1f77b4")]
    for k, (label, color) in enumerate(labels):
        out.append(f'<circle cx="{width - 190}" cy="{margin + 15 * k}" r="4" fill="{color}"/>')
        out.append(f'<text x="{width - 180}" y="{margin + 4 + 15 * k}">{label}</text>')
    out.append("</svg>")
    pathlib.Path(path).write_text("\n".join(out) + "\n")


def interleaved_cpu(args, rows):
    """Replaces each row's CPU time by the min over args.rounds interleaved rounds in one
    process (cpu_worker), keeping the fresh-process one as cpu_fresh. Rows needing more memory
    than no checkpointing are left out (checkpoint_sequential with many segments)."""
    good = {r["config"]: r for r in rows if "error" not in r}
    limit = good["none"]["peak"] * 1.01
    configs = [c for c, r in good.items() if r["peak"] <= limit]
    result = run_worker(args, "cpu:" + ",".join(configs), stdout=subprocess.PIPE)
    if result.returncode != 0:
        raise SystemExit("the interleaved CPU run failed")
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            timing = json.loads(line)
            row = good[timing["config"]]
            row.update(cpu_fresh=row["cpu"], cpu=timing["cpu_min"],
                       cpu_median=timing["cpu_median"])
            if timing["grads"] != row["grads"]:
                row["grads"] = "interleaved run differs"
            print(json.dumps(row), flush=True)
    for config in set(good) - set(configs):
        rows.remove(good[config])


def driver(args):
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    profile = run_config(args, "profile")
    if "error" in profile:
        raise SystemExit(profile["error"])
    print(json.dumps(dict(profile, config="profile")), flush=True)
    store_all = profile["store_all"] / MIB
    smallest = profile["curve"][0][0] / MIB
    if args.segments == "none":  # memsched only (merge with an earlier run's log)
        segments = []
    elif args.segments:
        segments = [int(s) for s in args.segments.split(",")]
    else:
        segments = list(range(1, profile["modules"] + 1))
    if args.budgets_mib:
        budgets = [float(b) for b in args.budgets_mib.split(",")]
    else:  # geometric sweep from just above the smallest feasible budget to store-all
        count = args.num_budgets
        budgets = [round(smallest * 1.02 * (store_all * 1.01 / (smallest * 1.02)) ** (k / (
            count - 1)), 2) for k in range(count)]
    configs = ["none"] + [f"seq:{s}" for s in segments] + [f"memsched:{b}" for b in budgets]
    rows = []
    for config in configs:
        row = run_config(args, config)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.match:
        # memsched at each checkpoint_sequential run's measured peak. The budget counts what
        # the measurement leaves out (x_0, allocated before the step) and the model is a bound:
        # the sweep's median (predicted - measured) calibrates budget to measured memory.
        excess = sorted(r["predicted_peak"] - r["peak"] for r in rows
                        if r["config"].startswith("memsched") and "error" not in r)
        offset = excess[len(excess) // 2] if excess else 0
        print(f"match: budget = measured peak + {offset / MIB:.2f} MiB", flush=True)
        for q in [r for r in rows if r["config"].startswith("seq") and "error" not in r]:
            q["matched_budget"] = math.floor((q["peak"] + offset) / MIB * 100) / 100
            print(json.dumps(q), flush=True)
        for budget in sorted({q["matched_budget"] for q in rows if "matched_budget" in q}):
            if budget not in budgets and budget >= smallest:
                row = run_config(args, f"memsched:{budget}")
                rows.append(row)
                print(json.dumps(row), flush=True)
    if args.rounds > 0:
        interleaved_cpu(args, rows)
    report(args, rows, profile)


def report(args, rows, profile):
    store_all, smallest = profile["store_all"] / MIB, profile["curve"][0][0] / MIB
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    good = [r for r in rows if "error" not in r]
    base = next(r for r in good if r["config"] == "none")
    mismatched = [r["config"] for r in good if r["grads"] != base["grads"]]
    with open(out / f"torch_{args.model}.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["config", "budget_mib", "predicted_peak_mib", "peak_mib", "cpu_s",
                         "cpu_ratio", "cpu_median_s", "cpu_fresh_process_s",
                         "grads_bitwise_equal"])
        for r in good:
            budget = r["config"].split(":")[1] if r["config"].startswith("memsched") else ""
            predicted = f"{r['predicted_peak'] / MIB:.1f}" if "predicted_peak" in r else ""
            writer.writerow([r["config"], budget, predicted, f"{r['peak'] / MIB:.1f}",
                             f"{r['cpu']:.3f}", f"{r['cpu'] / base['cpu']:.3f}",
                             f"{r.get('cpu_median', r['cpu']):.3f}",
                             f"{r.get('cpu_fresh', r['cpu']):.3f}", r["grads"] == base["grads"]])
    svg(good, out / f"torch_{args.model}.svg",
        f"{args.model}, batch {args.batch}: one training step on CPU (1 thread)")
    print(f"\nmodel {args.model}, batch {args.batch}; store-all (model) {store_all:.1f} MiB, "
          f"smallest feasible budget {smallest:.1f} MiB, {profile['stages']} stages")
    print(f"{'config':>16} {'budget':>8} {'predicted':>9} {'peak MiB':>9} {'CPU s':>7} {'ratio':>6}")
    for r in good:
        budget = r["config"].split(":")[1] if r["config"].startswith("memsched") else ""
        predicted = f"{r['predicted_peak'] / MIB:.1f}" if "predicted_peak" in r else ""
        print(f"{r['config']:>16} {budget:>8} {predicted:>9} {r['peak'] / MIB:9.1f} "
              f"{r['cpu']:7.3f} {r['cpu'] / base['cpu']:6.2f}")
    # At equal measured memory: each checkpoint_sequential configuration against the fastest
    # memsched configuration whose measured peak is not above it.
    mine = [r for r in good if r["config"].startswith("memsched")]
    print("\ncheckpoint_sequential vs the fastest memsched.torch run using no more memory:")
    wins = total = 0
    for q in good:
        if not q["config"].startswith("seq"):
            continue
        fits = [r for r in mine if r["peak"] <= q["peak"]]
        if not fits:
            print(f"  {q['config']:>8}: {q['peak'] / MIB:6.1f} MiB {q['cpu']:.3f} s | none")
            continue
        best = min(fits, key=lambda r: r["cpu"])
        total += 1
        wins += best["cpu"] < q["cpu"]
        print(f"  {q['config']:>8}: {q['peak'] / MIB:6.1f} MiB {q['cpu']:.3f} s | "
              f"{best['config']}: {best['peak'] / MIB:6.1f} MiB {best['cpu']:.3f} s "
              f"(CPU x{best['cpu'] / q['cpu']:.3f})")
    print(f"memsched faster at no more memory for {wins} of {total} configurations")
    # Matched: memsched with the budget set to each checkpoint_sequential run's measured peak
    # (--match). Pareto: only the segment counts no other count beats in both peak and CPU.
    by_budget = {float(r["config"].split(":")[1]): r for r in mine}
    seqs = [q for q in good if q["config"].startswith("seq")]
    pareto = [q for q in seqs if not any(
        o["peak"] <= q["peak"] and o["cpu"] < q["cpu"] for o in seqs)]
    ratios = []
    print("\nmemsched.torch matched to checkpoint_sequential's measured peak (--match; "
          "* = Pareto-optimal segment count; 'over' = memsched measured more):")
    for q in seqs:
        r = by_budget.get(q.get("matched_budget"))
        if r is None:
            continue
        star = "*" if q in pareto else " "
        ratio = r["cpu"] / q["cpu"]
        over = r["peak"] > q["peak"]
        if q in pareto:
            ratios.append((ratio, over))
        print(f" {star}{q['config']:>8}: {q['peak'] / MIB:6.1f} MiB {q['cpu']:.3f} s | "
              f"memsched:{q['matched_budget']} {r['peak'] / MIB:6.1f} MiB {r['cpu']:.3f} s "
              f"(CPU x{ratio:.3f}){' over' if over else ''}")
    if ratios:
        values = [x for x, _ in ratios]
        print(f"Pareto-optimal segment counts: memsched CPU x{min(values):.3f} .. "
              f"x{max(values):.3f} (geometric mean x"
              f"{math.exp(sum(map(math.log, values)) / len(values)):.3f}), faster with no "
              f"more memory at {sum(x < 1 and not o for x, o in ratios)} of {len(ratios)}")
    excess = [(r["peak"] - float(r["config"].split(":")[1]) * MIB) / MIB for r in mine]
    if excess:
        print(f"measured peak - budget: max {max(excess):+.1f} MiB, min {min(excess):+.1f} MiB")
    if profile.get("model"):
        print("\nin the model (measured chain): checkpoint_sequential's schedule vs memsched's "
              "plan at its predicted peak (~ = boundaries moved to stage starts)")
        for segments, peak, theirs, mine_s, minimal, *exact in profile["model"]:
            mark = "~" if exact and not exact[0] else " "
            print(f" {mark}{segments:3d} segments: {peak / MIB:7.1f} MiB  x{theirs / minimal:.3f} "
                  f"vs x{mine_s / minimal:.3f} of the minimal time (gain "
                  f"{1 - mine_s / theirs:+.1%})")
    for r in rows:
        if "error" in r:
            print(f"{r['config']}: {r['error']}")
    print("gradients bitwise equal to plain autograd:",
          "all" if not mismatched else f"NOT for {mismatched}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mlp", choices=MODELS)
    parser.add_argument("--batch", type=int, default=0, help="default: 1024, resnet 128")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved CPU rounds in one process (0: fresh-process CPU)")
    parser.add_argument("--no-match", dest="match", action="store_false",
                        help="skip memsched at each checkpoint_sequential peak")
    parser.add_argument("--segments", default="")
    parser.add_argument("--budgets-mib", default="")
    parser.add_argument("--num-budgets", type=int, default=12)
    parser.add_argument("--out", default="build/torch_bench")
    parser.add_argument("--from-log", default="", help="report from a previous run's output")
    parser.add_argument("--cpu-only", default="",
                        help="only the interleaved CPU rounds of these configurations, e.g. "
                             "none,seq:2,memsched:58.9,staged:58.9")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--config", default="none", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.batch = args.batch or DEFAULT_BATCH[args.model]
    if args.worker:
        worker(args)
    elif args.cpu_only:
        result = run_worker(args, "cpu:" + args.cpu_only, stdout=subprocess.PIPE)
        if result.returncode != 0:
            raise SystemExit(result.returncode)
        print(result.stdout, end="")
    elif args.from_log:  # the table, CSV and SVG again from a driver's JSON lines
        rows = [json.loads(line) for line in open(args.from_log) if line.startswith("{")]
        rows = list({r["config"]: r for r in rows}.values())  # the interleaved CPU wins
        profile = next(r for r in rows if r["config"] == "profile")
        rows = [r for r in rows if r is not profile]
        if any("cpu_fresh" in r for r in rows):
            rows = [r for r in rows if "cpu_fresh" in r or "error" in r]
        report(args, rows, profile)
    else:
        driver(args)


if __name__ == "__main__":
    main()
