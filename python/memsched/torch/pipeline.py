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
planner computes inside the stage is not executed here). With measure=True each process also
measures its peak resident memory and the CPU time of each operation (PipelineRun), to set
against the simulated peak of the plan (predicted_run; docs/pipeline.md, "Measured memory and
time of a run").
"""

import gc
import os
import statistics
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.utils.checkpoint import checkpoint

from memsched.torch.meter import PeakMeter


UNMODELLED_BYTES = 1 << 20
"""What a process of run_pipeline may hold above the simulated peak of what it executes
(predicted_run), in a step after the first: 1 MiB. The model counts tensors; a process also
holds memory the plan does not see: glibc's heap for blocks under the 64 KiB mmap threshold
(autograd nodes, shapes, small tensors), whole pages, gloo's send and receive bookkeeping, the
completed sends not yet released, and the kernel's RSS counters lag the pages touched
(PeakMeter). Measured: at most 0.71 MiB on the MLPs and transformer stacks of the tests and
of bench/pipeline/compare_pipe.py (docs/pipeline.md); the test on the comparison's MLP also
bounds the measured peak from below by the simulated one minus this constant. The first step of a process holds more, once: kernel code paged in and
gloo's and autograd's buffers created (6 to 11 MiB measured), so the bound is for later steps,
as in training, where every step after the first repeats the same allocations."""


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


def pipe_recompute(checkpoint_mode, num_stages, micro_batches):
    """The recomputation of torch.distributed.pipeline.sync.Pipe (PyTorch 1.13) as `recompute`
    flags for run_pipeline: every partition recomputes micro-batch k iff k < checkpoint_stop,
    where checkpoint_stop is m ('always'), m - 1 ('except_last') or 0 ('never')."""
    stops = {"always": micro_batches, "except_last": micro_batches - 1, "never": 0}
    if checkpoint_mode not in stops:
        raise ValueError(f"checkpoint_mode: expected 'always', 'except_last' or 'never', got "
                         f"{checkpoint_mode!r}")
    if num_stages < 1 or micro_batches < 1:
        raise ValueError(f"num_stages, micro_batches: expected >= 1, got {num_stages}, "
                         f"{micro_batches}")
    stop = stops[checkpoint_mode]
    return [[k < stop for k in range(micro_batches)] for _ in range(num_stages)]


def critical_path_time(schedule, op_times):
    """The iteration time of a schedule whose operations took `op_times` (per stage, a dict
    {(micro_batch, backward): seconds}): each device runs its operations in device_order, an
    operation starts when its device is free and its input has arrived (the forward of the
    previous stage, the backward of the next one), communication taking no time. This is
    memsched's simulator rule (simulate_pipeline) applied to measured durations."""
    world = len(op_times)
    m = len(op_times[0]) // 2
    orders = [device_order(schedule, world, s, m) for s in range(world)]
    done, position, free = {}, [0] * world, [0.0] * world
    while any(position[s] < len(orders[s]) for s in range(world)):
        progressed = False
        for s in range(world):
            while position[s] < len(orders[s]):
                k, backward = orders[s][position[s]]
                if backward:
                    dep = (s + 1, k, True) if s + 1 < world else (s, k, False)
                else:
                    dep = (s - 1, k, False) if s > 0 else None
                if dep is not None and dep not in done:
                    break
                start = max(free[s], done[dep] if dep is not None else 0.0)
                free[s] = done[(s, k, backward)] = start + op_times[s][(k, backward)]
                position[s] += 1
                progressed = True
        if not progressed:
            raise RuntimeError("critical_path_time: the schedule deadlocks")
    return max(free)


class PipelineRun:
    """What run_pipeline(..., measure=True) measured.

    gradients: per stage {name: tensor} (of the last step). peak_bytes: per process, the
    largest peak resident memory (VmHWM) of the timed steps above the resident memory at the
    start of the step (parameters and the process's own memory; gradients set to None, then
    allocated within the step: zero-filled at its start unless set_to_none).
    first_step_peak_bytes: the same for the first (untimed) step, above the resident memory
    after setup: it also holds what runs once (kernel code paged in, gloo's buffers).
    op_times: per stage {(micro_batch, backward): seconds}, the thread CPU time of each
    operation's computation (communication excluded), median over the timed steps.
    wall_time: per timed step, seconds between two barriers on process 0.
    critical_path_time: critical_path_time(schedule, op_times).
    """

    __slots__ = ("gradients", "peak_bytes", "first_step_peak_bytes", "op_times", "wall_time",
                 "critical_path_time")

    def __init__(self, **fields):
        for name in self.__slots__:
            setattr(self, name, fields[name])

    def __repr__(self):
        return (f"PipelineRun(peak_bytes={self.peak_bytes}, critical_path_time="
                f"{self.critical_path_time:.6f}, wall_time={self.wall_time})")


def chain_from_model(model, sample_input, *, repeats=3):
    """Profiles an nn.Sequential one module per layer on `sample_input` (the whole mini-batch)
    with memsched.torch.profile_sequence and returns (chain, parameter_bytes): the HeteroChain
    of plain autograd (what a pipeline stage runs) and the bytes of each layer's gradients, the
    model state a training step allocates (the parameters themselves exist before it)."""
    from memsched.torch.profile import profile_sequence

    if not isinstance(model, nn.Sequential):
        raise ValueError("model: expected an nn.Sequential")
    profile = profile_sequence(list(model), sample_input, stages="modules", repeats=repeats)
    seen, parameter_bytes = set(), []
    for layer in model:
        total = 0
        for p in layer.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                total += p.numel() * p.element_size()
        parameter_bytes.append(total)
    return profile.plain_chain, parameter_bytes


def _scaled_chain(chain, factor):
    from memsched import HeteroChain, HeteroLoss, HeteroStage

    stages = [HeteroStage(forward_time=s.forward_time * factor,
                          backward_time=s.backward_time * factor,
                          input_bytes=s.input_bytes * factor, tape_bytes=s.tape_bytes * factor,
                          forward_tmp_bytes=s.forward_tmp_bytes * factor,
                          backward_tmp_bytes=s.backward_tmp_bytes * factor,
                          recording_tmp_bytes=None if s.recording_tmp_bytes is None
                          else s.recording_tmp_bytes * factor) for s in chain.stages]
    loss = chain.loss
    return HeteroChain(stages, HeteroLoss(input_bytes=loss.input_bytes * factor,
                                          time=loss.time * factor,
                                          backward_tmp_bytes=loss.backward_tmp_bytes * factor))


def micro_batch_chains(model, inputs, micro_batches=(1, 2, 4, 8), *, repeats=3, rounds=1):
    """{m: (chain, parameter_bytes)} for each candidate micro-batch count m: the profile
    (chain_from_model) of one micro-batch of inputs cut into m, times m, so that
    plan_pipeline and predicted_run, which divide the whole mini-batch's chain by m, see the
    measured micro-batch. Small micro-batches run slower per sample on a CPU, which dividing
    one profile of the whole mini-batch by m does not show. torch.chunk's first chunk, the
    largest, is the one measured. rounds: profile every size that many times, the sizes in
    turn, and keep each layer's median time and largest sizes, so that a burst of load (or
    of quiet) on a shared machine does not favour one size."""
    from memsched import HeteroChain, HeteroStage

    for m in micro_batches:
        if m < 1 or m > inputs.shape[0]:
            raise ValueError(f"micro_batches: expected 1 to {inputs.shape[0]}, got {m}")
    if rounds < 1:
        raise ValueError(f"rounds: expected >= 1, got {rounds}")
    measured = {m: [] for m in micro_batches}
    for _ in range(rounds):
        for m in micro_batches:
            measured[m].append(chain_from_model(model, torch.chunk(inputs, m)[0],
                                                repeats=repeats))
    chains = {}
    for m, runs in measured.items():
        chain, parameter_bytes = runs[0]
        if len(runs) > 1:
            def pick(i, name, best):
                return best([getattr(c.stage(i), name) for c, _ in runs])

            stages = []
            for i in range(chain.num_stages):
                recording = [c.stage(i).recording_tmp_bytes for c, _ in runs]
                stages.append(HeteroStage(
                    forward_time=pick(i, "forward_time", statistics.median),
                    backward_time=pick(i, "backward_time", statistics.median),
                    input_bytes=pick(i, "input_bytes", max),
                    tape_bytes=pick(i, "tape_bytes", max),
                    forward_tmp_bytes=pick(i, "forward_tmp_bytes", max),
                    backward_tmp_bytes=pick(i, "backward_tmp_bytes", max),
                    recording_tmp_bytes=None if None in recording else max(recording)))
            chain = HeteroChain(stages, chain.loss)
        chains[m] = (_scaled_chain(chain, m), parameter_bytes)
    return chains


def _runs_within(plan, chain, parameter_bytes, budgets):
    """Whether what run_pipeline executes of `plan` (whole-segment recomputation,
    predicted_run) keeps every device within its budget."""
    bounds = [d.first_layer for d in plan.devices] + [plan.devices[-1].last_layer]
    executed = predicted_run(chain, parameter_bytes, bounds, [d.recompute for d in plan.devices],
                             micro_batches=plan.micro_batches, schedule=plan.schedule)
    return all(p <= b for p, b in zip(executed.device_peak_bytes, budgets))


def plan_for_model(model, inputs, device_budget_bytes, *, micro_batches=(1, 2, 4, 8),
                   schedules=("gpipe", "1f1b"), chains=None, whole_segment=True, **options):
    """Plans an nn.Sequential over len(device_budget_bytes) devices with memsched.plan_pipeline,
    one candidate micro-batch count at a time on its own measured profile
    (micro_batch_chains, or `chains` computed by it before). Returns (plan, chain,
    parameter_bytes) of the candidate with the smallest simulated iteration time, or None if
    none fits. `options` go to plan_pipeline (boundary_time, recompute, num_units, max_work).
    whole_segment: keep a candidate only if what run_pipeline executes of it (a recomputing
    device replays its whole segment, not the persistent schedule planned inside it) fits every
    budget, as predicted_run simulates it; else plan that candidate without recomputation."""
    from memsched import plan_pipeline

    if chains is None:
        chains = micro_batch_chains(model, inputs, micro_batches)
    budgets = list(device_budget_bytes)
    best = None
    for m in micro_batches:
        chain, parameter_bytes = chains[m]
        plan = plan_pipeline(chain, parameter_bytes, budgets,
                             micro_batches=[m], schedules=list(schedules), **options)
        if (whole_segment and plan is not None and
                not _runs_within(plan, chain, parameter_bytes, budgets)):
            plan = plan_pipeline(chain, parameter_bytes, budgets, micro_batches=[m],
                                 schedules=list(schedules), **dict(options, recompute=False))
        if plan is not None and (best is None or plan.report.iteration_time <
                                 best[0].report.iteration_time):
            best = (plan, chain, parameter_bytes)
    return best


def predicted_run(chain, parameter_bytes, boundaries, recompute, *, micro_batches, schedule):
    """The simulated iteration (memsched.simulate_pipeline) of what run_pipeline executes:
    devices over layers [boundaries[s], boundaries[s + 1]), device s storing everything or
    (recompute[s]) recomputing its whole segment, on `chain` (the whole mini-batch) cut into
    micro_batches. Its device_peak_bytes is the per-process peak to compare with
    PipelineRun.peak_bytes."""
    from memsched import micro_batch_chain, pipeline_stage_profile, simulate_pipeline

    if len(boundaries) != len(recompute) + 1:
        raise ValueError(f"boundaries: expected {len(recompute) + 1} entries, got "
                         f"{len(boundaries)}")
    micro = micro_batch_chain(chain, micro_batches)
    profiles = [pipeline_stage_profile(micro, parameter_bytes, boundaries[s], boundaries[s + 1],
                                       recompute=bool(recompute[s]))
                for s in range(len(recompute))]
    return simulate_pipeline(profiles, len(profiles), micro_batches, schedule=schedule)


def _tag(micro_batch, backward):
    return 2 * micro_batch + (1 if backward else 0)


def _step(module, rank, world, ops, recompute, xs, ts, loss_fn, shapes, times):
    """One training step of stage `rank`: its operations `ops` in order, sends and receives
    included. Appends ((micro_batch, backward), thread CPU seconds) to `times`."""
    held, forward_sends, pending = {}, {}, []
    last = rank == world - 1
    for micro_batch, backward in ops:
        if not backward:
            if rank == 0:
                x = xs[micro_batch]
            else:
                shape, dtype = shapes[rank - 1][micro_batch]
                x = torch.empty(shape, dtype=dtype)
                dist.recv(x, src=rank - 1, tag=_tag(micro_batch, False))
                x.requires_grad_()
            start = time.thread_time()
            if recompute[micro_batch]:
                y = checkpoint(module, x, use_reentrant=False)
            else:
                y = module(x)
            if last:
                y = loss_fn(y, ts[micro_batch])
            times.append(((micro_batch, False), time.thread_time() - start))
            if not last:
                out = y.detach().contiguous()
                forward_sends[micro_batch] = (
                    dist.isend(out, dst=rank + 1, tag=_tag(micro_batch, False)), out)
                del out
            held[micro_batch] = (x, y)
        else:
            x, y = held.pop(micro_batch)
            if last:
                start = time.thread_time()
                y.backward()
            else:
                grad = torch.empty(y.shape, dtype=y.dtype)
                dist.recv(grad, src=rank + 1, tag=_tag(micro_batch, True))
                # The next stage answered, so the output went out: release the send's buffer.
                forward_sends.pop(micro_batch)[0].wait()
                start = time.thread_time()
                y.backward(grad)
                del grad
            times.append(((micro_batch, True), time.thread_time() - start))
            del y
            if rank > 0:
                g = x.grad.contiguous()
                pending.append((dist.isend(g, dst=rank - 1, tag=_tag(micro_batch, True)), g))
                del g
            del x
        # Sends that completed release their tensor now, not at the end of the step.
        pending = [p for p in pending if not p[0].is_completed()]
    for work, _ in pending:
        work.wait()
    for work, _ in forward_sends.values():
        work.wait()


def _worker(rank, args_file, init_file, out_dir):
    # Arguments travel through a file: tensors passed to spawn directly would be shared through
    # file descriptors, which the spawn start method rejects ("bad value(s) in fds_to_keep").
    meter = PeakMeter()
    PeakMeter.tune_malloc()
    torch.set_num_threads(1)
    args = torch.load(args_file)
    stages, recompute, steps = args["stages"], args["recompute"], args["steps"]
    xs, ts, loss_fn = args["inputs"], args["targets"], args["loss_fn"]
    schedule, shapes = args["schedule"], args["shapes"]
    set_to_none = args["set_to_none"]
    world = len(stages)
    dist.init_process_group("gloo", init_method="file://" + init_file, rank=rank,
                            world_size=world)
    module = stages[rank]
    del stages, args
    ops = device_order(schedule, world, rank, len(xs))
    peaks, walls, all_times = [], [], []
    params = [p for p in module.parameters() if p.requires_grad]
    for _ in range(steps):
        for p in params:
            p.grad = None
        gc.collect()
        measured = meter.available
        if measured:
            meter.reset()
            base = meter.rss()
        if not set_to_none:
            # Zero-filled gradients in place before the backward (zero_grad(set_to_none=False)),
            # allocated above the base so that the peak counts them, as the plan's model state.
            for p in params:
                p.grad = torch.zeros_like(p)
        dist.barrier()
        start = time.perf_counter()
        times = []
        _step(module, rank, world, ops, recompute[rank], xs, ts, loss_fn, shapes, times)
        peaks.append(meter.peak() - base if measured else None)
        dist.barrier()
        walls.append(time.perf_counter() - start)
        all_times.append(dict(times))
    op_times = {key: statistics.median(t[key] for t in all_times[1:] or all_times)
                for key in all_times[0]}
    grads = {name: p.grad for name, p in module.named_parameters()}
    timed = peaks[1:] or peaks
    torch.save({"gradients": grads, "first_step_peak_bytes": peaks[0],
                "peak_bytes": None if None in timed else max(timed), "op_times": op_times,
                "wall_time": walls[1:] or walls}, os.path.join(out_dir, f"stage{rank}.pt"))
    dist.barrier()
    dist.destroy_process_group()


def _recompute_flags(recompute, num_stages, micro_batches):
    if recompute is None:
        recompute = [False] * num_stages
    if len(recompute) != num_stages:
        raise ValueError(f"recompute: expected {num_stages} entries, got {len(recompute)}")
    flags = []
    for s, r in enumerate(recompute):
        if isinstance(r, (bool, int)):
            flags.append([bool(r)] * micro_batches)
        elif len(r) == micro_batches:
            flags.append([bool(b) for b in r])
        else:
            raise ValueError(f"recompute[{s}]: expected a flag or {micro_batches} flags, got "
                             f"{len(r)}")
    return flags


def run_pipeline(stages, inputs, targets, loss_fn, *, micro_batches, schedule="1f1b",
                 recompute=None, measure=False, steps=3, set_to_none=False):
    """Runs a training step (forward and backward, no optimizer step) of `stages` (a list of
    modules, stage s on process s) over `inputs` and `targets` cut into `micro_batches` chunks
    (torch.chunk along dimension 0). recompute: per stage a flag (every micro-batch) or one flag
    per micro-batch (pipe_recompute gives Pipe's). Returns the parameter gradients of each stage
    as a list of {name: tensor}; with `measure`, runs `steps` steps (the first untimed, each
    from zero gradients, so each gives the same gradients) and returns a PipelineRun.
    set_to_none=False (PyTorch 1.13's zero_grad default): every step starts from gradients
    filled with zeros, resident from the step's start as the plan's model state assumes, and
    the backward adds into them (a parameter gradient is a transient, then added in place);
    True: from gradients set to None (PyTorch 2's default), which appear during the backward
    only, so the plan overstates a peak by up to the stage's gradient bytes.
    Every process sets glibc's mmap threshold to 64 KiB (MALLOC_MMAP_THRESHOLD_=65536, see
    memsched.torch.meter.PeakMeter) and one intra-op thread. The stages' own gradients in this
    process are not touched."""
    stages = list(stages)
    if not stages:
        raise ValueError("stages: need at least one stage")
    if micro_batches < 1 or micro_batches > inputs.shape[0]:
        raise ValueError(f"micro_batches: expected 1 to {inputs.shape[0]}, got {micro_batches}")
    device_order(schedule, len(stages), 0, micro_batches)  # checks the schedule
    flags = _recompute_flags(recompute, len(stages), micro_batches)
    if measure and steps < 2:
        raise ValueError(f"steps: expected >= 2 with measure (the first is untimed), got {steps}")
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
        torch.save({"stages": stages, "recompute": flags, "inputs": xs, "targets": ts,
                    "loss_fn": loss_fn, "schedule": schedule, "shapes": shapes,
                    "steps": steps if measure else 1, "set_to_none": bool(set_to_none)},
                   args_file)
        saved = os.environ.get("MALLOC_MMAP_THRESHOLD_")
        os.environ["MALLOC_MMAP_THRESHOLD_"] = "65536"  # inherited by the spawned processes
        try:
            mp.spawn(_worker, args=(args_file, init_file, tmp), nprocs=len(stages), join=True)
        finally:
            if saved is None:
                del os.environ["MALLOC_MMAP_THRESHOLD_"]
            else:
                os.environ["MALLOC_MMAP_THRESHOLD_"] = saved
        results = [torch.load(os.path.join(tmp, f"stage{s}.pt")) for s in range(len(stages))]
    grads = [r["gradients"] for r in results]
    if not measure:
        return grads
    op_times = [r["op_times"] for r in results]
    return PipelineRun(gradients=grads, peak_bytes=[r["peak_bytes"] for r in results],
                       first_step_peak_bytes=[r["first_step_peak_bytes"] for r in results],
                       op_times=op_times, wall_time=results[0]["wall_time"],
                       critical_path_time=critical_path_time(schedule, op_times))


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
