"""Runs a pipeline-parallel training step on real processes: one process per stage,
torch.distributed with the gloo backend on CPU, in the order of memsched's pipeline simulator.

    stages = stages_from_plan(model, plan)        # plan: `memsched pipeline plan --format json`
    grads = run_pipeline(stages, inputs, targets, nn.MSELoss(),
                         micro_batches=plan["micro_batches"], schedule=plan["schedule"],
                         recompute=[d["recompute"] for d in plan["devices"]])

Each micro-batch's forward on stage s receives its input from s - 1 and sends its output to
s + 1; its backward receives the output gradient from s + 1 and sends the input gradient to
s - 1. Gradients accumulate over micro-batches 0, 1, ..., m - 1 in that order on every stage,
as in single-process training that backpropagates the micro-batches one after the other, so
the two agree bit for bit on CPU (tests/test_pipeline_torch.py). A recomputing stage wraps its
segment in torch.utils.checkpoint (full-stage recomputation; the persistent schedule the
planner computes inside the stage is not executed here).
"""

import os
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.utils.checkpoint import checkpoint


def device_order(schedule, num_devices, device, micro_batches):
    """The (micro_batch, backward) operations of `device` in order: GPipe (every forward, then
    every backward) or 1F1B (min(P - d - 1, m) warm-up forwards, then alternate, then the
    remaining backwards), as memsched's simulate_pipeline orders them."""
    if schedule not in ("gpipe", "1f1b"):
        raise ValueError(f"schedule: expected 'gpipe' or '1f1b', got {schedule!r}")
    if not 0 <= device < num_devices or micro_batches < 1:
        raise ValueError(f"device: need 0 <= device < {num_devices} and micro_batches >= 1")
    m = micro_batches
    warmup = m if schedule == "gpipe" else min(num_devices - device - 1, m)
    ops = [(k, False) for k in range(warmup)]
    for k in range(m - warmup):
        ops += [(warmup + k, False), (k, True)]
    ops += [(k, True) for k in range(m - warmup, m)]
    return ops


def stages_from_plan(model, plan):
    """Cuts an nn.Sequential at the layer boundaries of a plan (the JSON of
    `memsched pipeline plan`, or a dict with "devices": [{"first_layer", "last_layer"}, ...])."""
    if not isinstance(model, nn.Sequential):
        raise ValueError("model: expected an nn.Sequential")
    layers = list(model)
    stages, expected = [], 0
    for device in plan["devices"]:
        first, last = int(device["first_layer"]), int(device["last_layer"])
        if first != expected or last <= first or last > len(layers):
            raise ValueError(f"plan: segment [{first}, {last}) does not continue at layer "
                             f"{expected} of {len(layers)}")
        stages.append(nn.Sequential(*layers[first:last]))
        expected = last
    if expected != len(layers):
        raise ValueError(f"plan: covers {expected} of {len(layers)} layers")
    return stages


def _tag(micro_batch, backward):
    return 2 * micro_batch + (1 if backward else 0)


def _worker(rank, args_file, init_file, out_dir):
    # Arguments travel through a file: tensors passed to spawn directly would be shared through
    # file descriptors, which the spawn start method rejects ("bad value(s) in fds_to_keep").
    args = torch.load(args_file)
    stages, recompute = args["stages"], args["recompute"]
    inputs, targets, loss_fn = args["inputs"], args["targets"], args["loss_fn"]
    schedule, shapes = args["schedule"], args["shapes"]
    torch.set_num_threads(1)
    world = len(stages)
    dist.init_process_group("gloo", init_method="file://" + init_file, rank=rank,
                            world_size=world)
    module = stages[rank]
    m = len(inputs)
    held, pending = {}, []
    for micro_batch, backward in device_order(schedule, world, rank, m):
        if not backward:
            if rank == 0:
                x = inputs[micro_batch]
            else:
                shape, dtype = shapes[rank - 1][micro_batch]
                x = torch.empty(shape, dtype=dtype)
                dist.recv(x, src=rank - 1, tag=_tag(micro_batch, False))
                x.requires_grad_()
            y = checkpoint(module, x, use_reentrant=False) if recompute[rank] else module(x)
            if rank == world - 1:
                y = loss_fn(y, targets[micro_batch])
            else:
                out = y.detach().contiguous()
                pending.append((dist.isend(out, dst=rank + 1, tag=_tag(micro_batch, False)),
                                out))
            held[micro_batch] = (x, y)
        else:
            x, y = held.pop(micro_batch)
            if rank == world - 1:
                y.backward()
            else:
                grad = torch.empty(y.shape, dtype=y.dtype)
                dist.recv(grad, src=rank + 1, tag=_tag(micro_batch, True))
                y.backward(grad)
            if rank > 0:
                g = x.grad.contiguous()
                pending.append((dist.isend(g, dst=rank - 1, tag=_tag(micro_batch, True)), g))
    for work, _ in pending:
        work.wait()
    grads = {name: p.grad for name, p in module.named_parameters()}
    torch.save(grads, os.path.join(out_dir, f"stage{rank}.pt"))
    dist.barrier()
    dist.destroy_process_group()


def run_pipeline(stages, inputs, targets, loss_fn, *, micro_batches, schedule="1f1b",
                 recompute=None):
    """Runs one training step (forward and backward, no optimizer step) of `stages` (a list of
    modules, stage s on process s) over `inputs` and `targets` cut into `micro_batches` chunks
    (torch.chunk along dimension 0), and returns the parameter gradients of each stage as a list
    of {name: tensor}. The stages' own gradients in this process are not touched."""
    stages = list(stages)
    if not stages:
        raise ValueError("stages: need at least one stage")
    if recompute is None:
        recompute = [False] * len(stages)
    if len(recompute) != len(stages):
        raise ValueError(f"recompute: expected {len(stages)} flags, got {len(recompute)}")
    if micro_batches < 1 or micro_batches > inputs.shape[0]:
        raise ValueError(f"micro_batches: expected 1 to {inputs.shape[0]}, got {micro_batches}")
    xs = list(torch.chunk(inputs, micro_batches))
    ts = list(torch.chunk(targets, micro_batches))
    if len(xs) != micro_batches:
        raise ValueError(f"micro_batches: {inputs.shape[0]} samples do not split into "
                         f"{micro_batches} chunks")
    # The boundary shapes, from a forward without autograd in this process.
    shapes = [[] for _ in stages[:-1]]
    with torch.no_grad():
        for x in xs:
            for s, stage in enumerate(stages[:-1]):
                x = stage(x)
                shapes[s].append((tuple(x.shape), x.dtype))
    with tempfile.TemporaryDirectory() as tmp:
        init_file, args_file = os.path.join(tmp, "init"), os.path.join(tmp, "args.pt")
        torch.save({"stages": stages, "recompute": list(recompute), "inputs": xs, "targets": ts,
                    "loss_fn": loss_fn, "schedule": schedule, "shapes": shapes}, args_file)
        mp.spawn(_worker, args=(args_file, init_file, tmp), nprocs=len(stages), join=True)
        return [torch.load(os.path.join(tmp, f"stage{s}.pt")) for s in range(len(stages))]


def sequential_gradients(stages, inputs, targets, loss_fn, *, micro_batches):
    """The reference: one process backpropagates the micro-batches one after the other through
    the stages (copies), accumulating gradients; returns them per stage like run_pipeline."""
    import copy

    torch.set_num_threads(1)
    copies = [copy.deepcopy(s) for s in stages]
    for c in copies:
        c.zero_grad(set_to_none=True)
    for x, t in zip(torch.chunk(inputs, micro_batches), torch.chunk(targets, micro_batches)):
        for c in copies:
            x = c(x)
        loss_fn(x, t).backward()
    return [{name: p.grad for name, p in c.named_parameters()} for c in copies]
