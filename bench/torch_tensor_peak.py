"""Where a CheckpointedModule plan's measured peak exceeds its tensors: one training step of a
plan of a bench/torch_models.py model, measured twice in this process, first as the benchmark
measures it (VmHWM - VmRSS before the step), then with torch.profiler's memory events (the
largest sum of the tensor bytes alive during the step, exact and page-free).

The difference is memory that is no tensor's bytes: page rounding of the tensors mmapped
above MALLOC_MMAP_THRESHOLD_, heap pages touched by small tensors, autograd nodes and Python
objects. CheckpointedModule's replay counts tensor bytes, plus a constant (`slack`) calibrated
on plain autograd's step. The VmHWM measurement comes first because the profiler's own buffers
shift later measurements.

  MALLOC_MMAP_THRESHOLD_=65536 PYTHONPATH=build/default/python /usr/bin/python3 \\
      bench/torch_tensor_peak.py --model vit_b_16 --plan 0     # 0: least memory, -1: store-all

--plan per-block measures torch.utils.checkpoint(use_reentrant=False) on each of the model's
blocks (the bench's "checkpoint per block", all blocks) instead of a plan; --plan block-segments
measures CheckpointedModule's runner on the same segmentation (one recomputed segment per block,
made of the fx nodes captured inside that block's module), so the two runners compare on one
schedule.
"""

import argparse
import gc
import pathlib
import sys

MIB = 1 << 20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vit_b_16")
    parser.add_argument("--plan", default="0",
                        help="index on the curve, per-block or block-segments")
    options = parser.parse_args()
    import torch
    from torch.profiler import ProfilerActivity, profile
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from torch_models import build, loss_of
    from memsched.torch import CheckpointedModule, PeakMeter
    torch.set_num_threads(1)
    from torch_models import Checkpointed
    from memsched.torch.module import MemoryTimePoint, _Segment
    model, args, kwargs, blocks, _ = build(options.model, 1)
    model.train()
    cm = CheckpointedModule(model, 1.0, *args, **kwargs)
    params = [p for p in model.parameters() if p.requires_grad]
    if options.plan == "per-block":
        Checkpointed.wrap(model, blocks)
        plan, label = None, "torch.utils.checkpoint per block"

        def step():
            loss_of(model(*args, **kwargs)).backward()
    else:
        if options.plan == "block-segments":
            program = cm.program

            def block_of(i):
                scope = program.nodes[i].meta.get("scope", "")
                return next((b for b in blocks if scope == b or scope.startswith(b + ".")), None)
            units, run = [], []
            for i in range(len(program.nodes)):
                b = block_of(i)
                if run and b != block_of(run[0]):
                    units.append(("segment", _Segment(run[0], run, program)))
                    run = []
                if b is None:
                    units.append(("node", i))
                else:
                    run.append(i)
            if run:
                units.append(("segment", _Segment(run[0], run, program)))
            plan = MemoryTimePoint(cm._estimator.peak(units) + cm.slack, 0.0, [], units)
            label = f"{sum(k == 'segment' for k, _ in units)} segments, one per block"
        else:
            k = int(options.plan)
            plan = cm.curve[k]
            label = f"curve {k % len(cm.curve)}/{len(cm.curve) - 1}"
        cm.plan = plan  # run this plan whatever it measured

        def step():
            loss_of(cm(*args, **kwargs)).backward()
    step()  # warm-up: allocates .grad
    for p in params:
        p.grad.zero_()
    meter = PeakMeter()
    gc.collect()
    meter.reset()
    before = meter.rss()
    step()
    vmhwm = meter.peak() - before
    for p in params:
        p.grad.zero_()
    gc.collect()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    events = sorted((e.start_us(), e.nbytes()) for e in prof.profiler.kineto_results.events()
                    if e.name() == "[memory]")
    alive = tensors = 0
    for _, nbytes in events:
        alive += nbytes
        tensors = max(tensors, alive)
    allocations = [n for _, n in events if n > 0]
    if plan is not None:
        segments = [(cm.program.nodes[s.nodes[0]].name, cm.program.nodes[s.nodes[-1]].name)
                    for kind, s in plan.segments if kind == "segment"]
        print("segments (first node, last node):", segments)
    predicted = "" if plan is None else (f"predicted {plan.peak_bytes / MIB:.2f} MiB "
                                         f"(slack {cm.slack / MIB:.2f}), ")
    print(f"{options.model} {label}: {predicted}"
          f"VmHWM {vmhwm / MIB:.2f}, tensor peak {tensors / MIB:.3f}, VmHWM - tensors "
          f"{(vmhwm - tensors) / MIB:+.2f}; {len(allocations)} allocations, "
          f"{sum(1 for n in allocations if n < 65536)} under 64 KiB")


if __name__ == "__main__":
    main()
