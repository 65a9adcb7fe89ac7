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
"""

import argparse
import gc
import pathlib
import sys

MIB = 1 << 20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vit_b_16")
    parser.add_argument("--plan", type=int, default=0, help="index on the curve")
    options = parser.parse_args()
    import torch
    from torch.profiler import ProfilerActivity, profile
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from torch_models import build, loss_of
    from memsched.torch import CheckpointedModule, PeakMeter
    torch.set_num_threads(1)
    model, args, kwargs, _, _ = build(options.model, 1)
    model.train()
    cm = CheckpointedModule(model, 1.0, *args, **kwargs)
    plan = cm.curve[options.plan]
    cm.plan = plan  # run this plan whatever it measured
    params = [p for p in model.parameters() if p.requires_grad]

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
    print(f"{options.model} curve {options.plan % len(cm.curve)}/{len(cm.curve) - 1}: "
          f"predicted {plan.peak_bytes / MIB:.2f} MiB (slack {cm.slack / MIB:.2f}), "
          f"VmHWM {vmhwm / MIB:.2f}, tensor peak {tensors / MIB:.2f}, VmHWM - tensors "
          f"{(vmhwm - tensors) / MIB:+.2f}; {len(allocations)} allocations, "
          f"{sum(1 for n in allocations if n < 65536)} under 64 KiB")


if __name__ == "__main__":
    main()
