"""Peak memory and CPU time of one training step of real models under memsched.torch's
CheckpointedModule, against plain autograd, checkpoint_sequential, torch.utils.checkpoint per
block and functorch's min-cut rematerialization partitioner.

One process per model (torch on one thread), and functorch's min-cut run in a child process of
its own (the heap its large step leaves shifted the later measurements),
MALLOC_MMAP_THRESHOLD_=65536 (the script sets it and runs itself again when it is missing).
Every configuration takes a warm-up step (which allocates .grad, excluded from the peak like
the parameters), then one step whose peak is VmHWM - VmRSS just before it (PeakMeter.reset:
malloc_trim, then /proc/self/clear_refs), then --steps timed steps (process_time, min). Loss:
the sum of squares of the outputs. The gradients of every configuration are compared with plain
autograd's (bitwise, same seed).

memsched runs at --points budgets spread over its predicted curve, from the smallest feasible
to store-all (when the least is refused after verification, also at the smallest feasible
budget its error names: "least feasible"), and at the measured peak of every baseline run
("matched": the budget is that measured peak, so the two compare at equal memory). For each
memsched run the CSV also has the peak CheckpointedModule's verification measured for the plan
("verified", empty where the plan was not verified: plain autograd's).

Run (prints one line per configuration, appends to <out>/torch_models.csv, writes
<out>/torch_models_<model>.svg; --plot CSV redraws the SVGs of a CSV):
  PYTHONPATH=build/default/python /usr/bin/python3 bench/torch_models.py \\
      --models resnet18,transformer --points 4 --out build/torch_models
"""

import argparse
import csv
import gc
import os
import pathlib
import re
import subprocess
import sys
import time

MIB = 1 << 20
MODELS = ("resnet18", "resnet50", "densenet121", "mobilenet_v2", "vit_b_16", "transformer",
          "unet", "encoder_seq")


def build(name, scale):
    """(model, args, kwargs, blocks, sequential): blocks are the module paths a per-block
    torch.utils.checkpoint wraps; sequential an nn.Sequential equal to the model (or None)."""
    import torch
    import torchvision
    from torch import nn

    torch.manual_seed(0)
    img = 64 * scale
    if name in ("resnet18", "resnet50"):
        model = getattr(torchvision.models, name)(num_classes=10)
        args = (torch.randn(8 if name == "resnet18" else 4, 3, img, img),)
        blocks = [f"layer{k}.{j}" for k in range(1, 5)
                  for j in range(len(getattr(model, f"layer{k}")))]
        children = list(model.children())
        sequential = nn.Sequential(*children[:-1], nn.Flatten(1), children[-1])
        return model, args, {}, blocks, sequential
    if name == "densenet121":
        model = torchvision.models.densenet121(num_classes=10)
        blocks = [f"features.{n}" for n, _ in model.features.named_children()]
        return model, (torch.randn(4, 3, img, img),), {}, blocks, None
    if name == "mobilenet_v2":
        model = torchvision.models.mobilenet_v2(num_classes=10)
        blocks = [f"features.{k}" for k in range(len(model.features))]
        return model, (torch.randn(8, 3, img, img),), {}, blocks, None
    if name == "vit_b_16":
        model = torchvision.models.vit_b_16(image_size=img, num_classes=10)
        blocks = [f"encoder.layers.{n}" for n, _ in model.encoder.layers.named_children()]
        return model, (torch.randn(2, 3, img, img),), {}, blocks, None
    if name in ("transformer", "encoder_seq"):
        def layer():
            return nn.TransformerEncoderLayer(256, 8, 1024, dropout=0.1, batch_first=True)
        x = torch.randn(8, 64 * scale, 256)
        if name == "encoder_seq":
            model = nn.Sequential(*[layer() for _ in range(6)])
            return model, (x,), {}, [str(k) for k in range(6)], model
        model = nn.TransformerEncoder(layer(), 6)
        mask = torch.zeros(8, 64 * scale, dtype=torch.bool)
        mask[::2, -16:] = True
        blocks = [f"layers.{k}" for k in range(6)]
        return model, (x,), {"src_key_padding_mask": mask}, blocks, None
    if name == "unet":
        model = UNet(16)
        blocks = ["enc1", "enc2", "enc3", "mid", "dec3", "dec2", "dec1"]
        return model, (torch.randn(4, 3, 2 * img, 2 * img),), {}, blocks, None
    raise ValueError(f"unknown model {name!r}")


def _unet_class():
    import torch
    from torch import nn

    class UNetModel(nn.Module):
        """A U-Net with three levels: conv-BN-ReLU pairs, max-pool down, upsample and
        concatenated skips up."""

        def __init__(self, c):
            super().__init__()

            def conv(i, o):
                return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o),
                                     nn.ReLU(inplace=True), nn.Conv2d(o, o, 3, padding=1),
                                     nn.BatchNorm2d(o), nn.ReLU(inplace=True))
            self.enc1, self.enc2, self.enc3 = conv(3, c), conv(c, 2 * c), conv(2 * c, 4 * c)
            self.mid = conv(4 * c, 4 * c)
            self.dec3, self.dec2, self.dec1 = conv(8 * c, 2 * c), conv(4 * c, c), conv(2 * c, c)
            self.head = nn.Conv2d(c, 2, 1)

        def forward(self, x):
            s1 = self.enc1(x)
            s2 = self.enc2(nn.functional.max_pool2d(s1, 2))
            s3 = self.enc3(nn.functional.max_pool2d(s2, 2))
            x = self.mid(nn.functional.max_pool2d(s3, 2))
            up = nn.functional.interpolate
            x = self.dec3(torch.cat([up(x, scale_factor=2.0), s3], 1))
            x = self.dec2(torch.cat([up(x, scale_factor=2.0), s2], 1))
            x = self.dec1(torch.cat([up(x, scale_factor=2.0), s1], 1))
            return self.head(x)
    return UNetModel


def UNet(c):
    return _unet_class()(c)


class Checkpointed:
    """Wraps a module so that its forward runs under torch.utils.checkpoint."""

    @staticmethod
    def wrap(model, paths):
        import torch
        import torch.utils.checkpoint as tc

        class Wrapper(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, *args, **kwargs):
                return tc.checkpoint(self.inner, *args, use_reentrant=False, **kwargs)

        for path in paths:
            parent_path, _, leaf = path.rpartition(".")
            parent = model.get_submodule(parent_path) if parent_path else model
            parent._modules[leaf] = Wrapper(parent._modules[leaf])

    @staticmethod
    def unwrap(model, paths):
        for path in paths:
            parent_path, _, leaf = path.rpartition(".")
            parent = model.get_submodule(parent_path) if parent_path else model
            parent._modules[leaf] = parent._modules[leaf].inner


def loss_of(out):
    import torch
    leaves = [t for t in torch.utils._pytree.tree_flatten(out)[0]
              if isinstance(t, torch.Tensor) and t.is_floating_point()]
    return sum(t.square().sum() for t in leaves)


def measure(step, model, steps):
    """(peak bytes, min CPU seconds, gradients) of step() (a training step)."""
    import torch
    from memsched.torch import PeakMeter

    meter = PeakMeter()
    params = [p for p in model.parameters() if p.requires_grad]
    state = {k: v.clone() for k, v in model.state_dict().items()}

    def once():
        for p in params:
            if p.grad is not None:
                p.grad.zero_()
        torch.manual_seed(7)
        step()

    once()  # warm-up: allocates .grad
    model.load_state_dict(state)
    gc.collect()  # garbage freed during the step would hide what it allocates
    meter.reset()
    before = meter.rss()
    once()
    peak = meter.peak() - before
    grads = [p.grad.clone() for p in params]
    times = []
    for _ in range(steps):
        model.load_state_dict(state)
        start = time.process_time()
        once()
        times.append(time.process_time() - start)
    model.load_state_dict(state)
    return peak, min(times), grads


def run_model(name, options, writer):
    import torch
    import torch.utils.checkpoint as tc
    from memsched.torch import CheckpointedModule

    model, args, kwargs, blocks, sequential = build(name, options.scale)
    model.train()
    rows = []

    def record(method, setting, budget, peak, cpu, grads, reference, predicted="", same=None,
               verified=None):
        if same is None:
            same = reference is None or all(torch.equal(a, b) for a, b in zip(grads, reference))
        row = dict(model=name, method=method, setting=setting,
                   budget_mib="" if budget is None else f"{budget / MIB:.2f}",
                   predicted_mib="" if predicted == "" else f"{predicted / MIB:.2f}",
                   verified_mib="" if verified is None else f"{verified / MIB:.2f}",
                   peak_mib=f"{peak / MIB:.2f}", cpu_s=f"{cpu:.4f}", grads_equal=same)
        rows.append(row)
        writer.writerow(row)
        print(f"  {method:<14} {setting:<22} budget {row['budget_mib']:>8} "
              f"predicted {row['predicted_mib']:>8} verified {row['verified_mib']:>8} "
              f"peak {row['peak_mib']:>8} MiB  "
              f"cpu {cpu:.4f} s  grads_equal={same}", flush=True)

    def plain():
        loss_of(model(*args, **kwargs)).backward()
    peak, cpu, reference = measure(plain, model, options.steps)
    record("plain", "-", None, peak, cpu, None, None)

    start = time.process_time()
    cm = CheckpointedModule(model, 1.0, *args, **kwargs)
    print(f"  memsched: {len(cm.program.nodes)} nodes, {len(cm.blocks)} blocks, curve of "
          f"{len(cm.curve)} plans, prepared in {time.process_time() - start:.1f} s CPU",
          flush=True)

    def with_memsched():
        loss_of(cm(*args, **kwargs)).backward()

    def run_budget(setting, budget):
        try:
            cm.set_budget(int(budget))
        except ValueError as e:
            print(f"  memsched       {setting:<22} infeasible: {e}")
            least = re.search(r"smallest feasible budget is ([0-9]+) bytes", str(e))
            return int(least.group(1)) if least else None
        peak, cpu, grads = measure(with_memsched, model, options.steps)
        record("memsched", setting, int(budget), peak, cpu, grads, reference,
               cm.predicted_peak, verified=cm.plan.measured_bytes)

    curve = cm.curve
    picks = sorted({round(k * (len(curve) - 1) / max(1, options.points - 1))
                    for k in range(options.points)})
    for k in picks:
        least = run_budget(f"curve {k}/{len(curve) - 1}", curve[k].peak_bytes)
        if least is not None and k == 0:
            # the least predicted peak measured above it: run at the smallest feasible budget
            # the error names
            run_budget("least feasible", least)

    baselines = []
    if sequential is not None:
        for segments in (2, 3, 4, 6):
            if segments > len(sequential):
                continue

            def seq_step(segments=segments):
                x = args[0].detach().requires_grad_(True)
                loss_of(tc.checkpoint_sequential(sequential, segments, x)).backward()
            try:
                peak, cpu, grads = measure(seq_step, model, options.steps)
            except RuntimeError as e:  # reported, not hidden
                print(f"  ckpt_sequential {segments} segments failed: {str(e)[:120]}")
                continue
            record("ckpt_sequential", f"{segments} segments", None, peak, cpu, grads, reference)
            baselines.append(peak)
    n = len(blocks)
    for count in sorted({max(1, n // 4), max(1, n // 2), n}):
        chosen = blocks[:count]
        Checkpointed.wrap(model, chosen)
        try:
            peak, cpu, grads = measure(plain, model, options.steps)
        except RuntimeError as e:  # reported, not hidden
            print(f"  ckpt_per_block first {count}/{n} failed: {str(e)[:120]}")
            continue
        finally:
            Checkpointed.unwrap(model, chosen)
        record("ckpt_per_block", f"first {count}/{n} blocks", None, peak, cpu, grads, reference)
        baselines.append(peak)
    # functorch's partitioned graph runs in a child process: its step leaves hundreds of MiB
    # freed in the heap (ViT-B/16: 350 MiB), and the memsched runs after it in the same
    # process measured up to 3 MiB more (the heap's state shifts VmHWM)
    mincut = mincut_in_child(name, options)
    if isinstance(mincut, str):
        print(f"  functorch_mincut failed: {mincut}")
    else:
        peak, cpu, same = mincut
        record("functorch_mincut", "-", None, peak, cpu, None, None, same=same)
        baselines.append(peak)
    for peak in baselines:
        run_budget(f"matched {peak / MIB:.1f} MiB", peak)
    return rows


def mincut_in_child(name, options):
    """(peak bytes, min CPU seconds, gradients bitwise equal to plain autograd's) of
    functorch's min-cut partitioned step, measured in a fresh process; or the error text."""
    argv = [sys.executable, sys.argv[0], "--mincut-child", "--models", name,
            "--scale", str(options.scale), "--steps", str(options.steps)]
    result = subprocess.run(argv, capture_output=True, text=True)
    for line in result.stdout.splitlines():
        if line.startswith("MINCUT "):
            _, peak, cpu, same = line.split()
            return int(peak), float(cpu), same == "True"
        if line.startswith("MINCUT-FAILED "):
            return line[len("MINCUT-FAILED "):]
    return f"child exited {result.returncode}: {result.stderr.strip()[-300:]}"


def mincut_child(name, options):
    """The child of mincut_in_child: plain autograd's gradients (the reference), then the
    measured partitioned step; prints one MINCUT line."""
    import torch
    model, args, kwargs, _, _ = build(name, options.scale)
    model.train()

    def plain():
        loss_of(model(*args, **kwargs)).backward()
    _, _, reference = measure(plain, model, 1)
    try:
        from functorch.compile import aot_module, min_cut_rematerialization_partition, nop
        compiled = aot_module(model, fw_compiler=nop, bw_compiler=nop,
                              partition_fn=min_cut_rematerialization_partition)

        def mincut():
            loss_of(compiled(*args, **kwargs)).backward()
        peak, cpu, grads = measure(mincut, model, options.steps)
    except Exception as e:  # reported, not hidden
        print(f"MINCUT-FAILED {type(e).__name__}: {str(e)[:200]}".replace("\n", " "))
        return
    same = all(torch.equal(a, b) for a, b in zip(grads, reference))
    print(f"MINCUT {peak} {cpu} {same}", flush=True)


def write_svg(path, name, rows):
    """Measured peak (x) against CPU time per step (y), one colour per method."""
    colours = {"plain": "#000000", "memsched": "#d62728", "ckpt_sequential": "#1f77b4",
               "ckpt_per_block": "#2ca02c", "functorch_mincut": "#9467bd"}
    points = [(float(r["peak_mib"]), float(r["cpu_s"]), r["method"]) for r in rows]
    if not points:
        return
    x0, x1 = 0.0, max(p[0] for p in points) * 1.05
    y0, y1 = min(p[1] for p in points) * 0.95, max(p[1] for p in points) * 1.05
    width, height, pad = 640, 400, 60

    def sx(v):
        return pad + (v - x0) / (x1 - x0) * (width - 2 * pad)

    def sy(v):
        return height - pad - (v - y0) / max(y1 - y0, 1e-12) * (height - 2 * pad)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle">{name}: measured peak vs CPU '
           f'time per step</text>',
           f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
           f'stroke="black"/>',
           f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>',
           f'<text x="{width / 2}" y="{height - 20}" text-anchor="middle">peak (MiB)</text>',
           f'<text x="15" y="{height / 2}" transform="rotate(-90 15 {height / 2})" '
           f'text-anchor="middle">CPU s / step</text>']
    for k in range(5):
        xv, yv = x0 + (x1 - x0) * k / 4, y0 + (y1 - y0) * k / 4
        out.append(f'<text x="{sx(xv):.1f}" y="{height - pad + 15}" '
                   f'text-anchor="middle">{xv:.0f}</text>')
        out.append(f'<text x="{pad - 5}" y="{sy(yv) + 4:.1f}" text-anchor="end">{yv:.3f}</text>')
    for k, (method, colour) in enumerate(colours.items()):
        mine = sorted(p for p in points if p[2] == method)
        if not mine:
            continue
        if method == "memsched":
            path_d = " ".join(f"{'M' if j == 0 else 'L'}{sx(a):.1f},{sy(b):.1f}"
                              for j, (a, b, _) in enumerate(mine))
            out.append(f'<path d="{path_d}" fill="none" stroke="{colour}" stroke-width="1"/>')
        for a, b, _ in mine:
            out.append(f'<circle cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="3.5" fill="{colour}"/>')
        out.append(f'<circle cx="{width - pad - 110}" cy="{pad + 14 * k}" r="4" '
                   f'fill="{colour}"/>')
        out.append(f'<text x="{width - pad - 100}" y="{pad + 14 * k + 4}">{method}</text>')
    out.append("</svg>")
    pathlib.Path(path).write_text("\n".join(out) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--points", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--scale", type=int, default=1, help="image / sequence size factor")
    parser.add_argument("--out", default="build/torch_models")
    parser.add_argument("--mincut-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--plot", metavar="CSV",
                        help="only write the SVGs of the models in this CSV into --out")
    options = parser.parse_args()
    if options.plot:
        with open(options.plot) as f:
            rows = list(csv.DictReader(f))
        for name in dict.fromkeys(r["model"] for r in rows):
            write_svg(pathlib.Path(options.out) / f"torch_models_{name}.svg", name,
                      [r for r in rows if r["model"] == name])
        return
    if os.environ.get("MALLOC_MMAP_THRESHOLD_") != "65536":
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    names = options.models.split(",")
    if len(names) > 1:
        # one fresh process per model: the heap a model's runs leave behind shifts the VmHWM
        # measurements of the next (ViT-B/16's plain step measured 35.7 MiB after six other
        # models, 29.5 alone)
        for name in names:
            argv = [a for a in sys.argv[1:]]
            k = argv.index("--models") if "--models" in argv else None
            if k is None:
                argv += ["--models", name]
            else:
                argv[k + 1] = name
            subprocess.run([sys.executable, sys.argv[0]] + argv, check=True)
        return
    import torch
    torch.set_num_threads(1)
    if options.mincut_child:
        mincut_child(names[0], options)
        return
    out = pathlib.Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    fields = ["model", "method", "setting", "budget_mib", "predicted_mib", "verified_mib",
              "peak_mib", "cpu_s", "grads_equal"]
    with open(out / "torch_models.csv", "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        if f.tell() == 0:
            writer.writeheader()
        for name in names:
            print(f"{name}:", flush=True)
            rows = run_model(name, options, writer)
            f.flush()
            write_svg(out / f"torch_models_{name}.svg", name, rows)


if __name__ == "__main__":
    main()
