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
segment in torch.utils.checkpoint (full-stage recomputation), or, given the plan's persistent
schedule for it (`schedules`), runs its forward without autograd and that schedule in its
backward, one layer per autograd graph. With measure=True each process also
measures its peak resident memory and the CPU time of each operation (PipelineRun), to set
against the simulated peak of the plan (predicted_run; docs/pipeline.md, "Measured memory and
time of a run").

The cost model is calibrated in the runner's conditions (measure_layer_times per micro-batch
size, pipeline_factors, memory_factors from the peaks of the same runs, calibrated_chains;
measure_link for gloo), and the measured planner
mode (plan_candidates, select_by_run, or plan_by_runs in one call) runs the planner's best few
feasible plans and keeps the fastest one measured within budget.
"""

import gc
import math
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


UNMODELLED_BYTES = 3 << 19
"""What a process of run_pipeline may hold above the simulated peak of what it executes
(predicted_run), in a step after the first: 1.5 MiB, above the largest excess measured. The
model counts tensors; a process also holds memory the plan does not see: glibc's heap for
blocks under the 64 KiB mmap threshold (autograd nodes, shapes, small tensors), whole pages,
gloo's send and receive bookkeeping, sends not yet received by the other stage (the runner
sends input gradients without waiting), and the kernel's RSS counters lag the pages touched
(PeakMeter). Measured over every candidate plan run by bench/pipeline/compare_pipe.py, on the
calibrated memory (memory_factors): at most 1.33 MiB, on the last process under 1F1B at m = 8
(the transformer stack; 1.27 MiB on the MLP), below 1 MiB elsewhere (docs/pipeline.md); the tests assert this bound. The first step of a
process holds more, once: kernel code paged in and gloo's and autograd's buffers created (6 to
11 MiB measured), so the bound is for later steps, as in training, where every step after the
first repeats the same allocations."""


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
    turn, and keep each layer's median time, median temporaries (measured from the resident
    set, which a page fault elsewhere can inflate) and largest tensor sizes, so that a burst
    of load (or of quiet) on a shared machine does not favour one size."""
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
                    forward_tmp_bytes=pick(i, "forward_tmp_bytes", _median_bytes),
                    backward_tmp_bytes=pick(i, "backward_tmp_bytes", _median_bytes),
                    recording_tmp_bytes=(None if None in recording
                                         else _median_bytes(recording))))
            chain = HeteroChain(stages, chain.loss)
        chains[m] = (_scaled_chain(chain, m), parameter_bytes)
    return chains


def _median_bytes(values):
    # The upper median: a whole number of bytes that one of the rounds measured.
    return sorted(values)[len(values) // 2]


def _calibration_worker(rank, args_file, out_file):
    # In the runner's conditions (_worker): glibc's mmap threshold (inherited), one intra-op
    # thread, zero-filled gradients resident and accumulated into, thread CPU time.
    PeakMeter.tune_malloc()
    torch.set_num_threads(1)
    args = torch.load(args_file)
    layers, loss_fn = list(args["model"]), args["loss_fn"]
    inputs, targets = args["inputs"], args["targets"]
    sizes, rounds = args["sizes"], args["rounds"]
    for p in args["model"].parameters():
        if p.requires_grad:
            p.grad = torch.zeros_like(p)
    samples = {m: [[[], []] for _ in layers] for m in sizes}
    for r in range(rounds + 1):  # round 0 warms up every size and is not kept
        order = sizes[r % len(sizes):] + sizes[:r % len(sizes)]
        for m in order:
            x, t = torch.chunk(inputs, m)[0], torch.chunk(targets, m)[0]
            graphs = []
            for i, layer in enumerate(layers):
                leaf = x.detach()
                leaf.requires_grad_(i > 0 and leaf.is_floating_point())
                start = time.thread_time()
                y = layer(leaf)
                if i == len(layers) - 1:
                    y = loss_fn(y, t)
                elapsed = time.thread_time() - start
                graphs.append((leaf, y))
                x = y
                if r:
                    samples[m][i][0].append(elapsed)
            grad = None
            for i in reversed(range(len(layers))):
                leaf, y = graphs.pop()
                start = time.thread_time()
                y.backward(grad)
                elapsed = time.thread_time() - start
                grad = leaf.grad
                del leaf, y
                if r:
                    samples[m][i][1].append(elapsed)
            del graphs, grad, x
    torch.save({m: [(statistics.median(f), statistics.median(b)) for f, b in per]
                for m, per in samples.items()}, out_file)


def measure_layer_times(model, inputs, targets, loss_fn, micro_batches=(1, 2, 4, 8), *,
                        rounds=5):
    """{m: [(forward, backward) seconds per layer]}: each layer of an nn.Sequential timed on one
    micro-batch of inputs cut into m (torch.chunk's first chunk), in a spawned process set up as
    run_pipeline's workers are (glibc's mmap threshold at 64 KiB, one intra-op thread,
    zero-filled gradients accumulated into, thread CPU time), the forward as a stage runs it
    (autograd recording; the last layer includes loss_fn) and the backward as one autograd
    backward per layer. rounds: every size that many times, the sizes in turn (each round
    starting at the next size), after one untimed round; the median per layer is kept."""
    if not isinstance(model, nn.Sequential):
        raise ValueError("model: expected an nn.Sequential")
    if rounds < 1:
        raise ValueError(f"rounds: expected >= 1, got {rounds}")
    sizes = list(micro_batches)
    for m in sizes:
        if m < 1 or m > inputs.shape[0]:
            raise ValueError(f"micro_batches: expected 1 to {inputs.shape[0]}, got {m}")
    with tempfile.TemporaryDirectory() as tmp:
        args_file, out_file = os.path.join(tmp, "args.pt"), os.path.join(tmp, "times.pt")
        torch.save({"model": model, "inputs": inputs, "targets": targets, "loss_fn": loss_fn,
                    "sizes": sizes, "rounds": rounds}, args_file)
        saved = os.environ.get("MALLOC_MMAP_THRESHOLD_")
        os.environ["MALLOC_MMAP_THRESHOLD_"] = "65536"
        try:
            mp.spawn(_calibration_worker, args=(args_file, out_file), nprocs=1, join=True)
        finally:
            if saved is None:
                del os.environ["MALLOC_MMAP_THRESHOLD_"]
            else:
                os.environ["MALLOC_MMAP_THRESHOLD_"] = saved
        return torch.load(out_file)


def calibrated_chains(chains, layer_times, factors=None, memory=None):
    """{m: (chain, parameter_bytes)}: the chains of micro_batch_chains (sizes as profiled) with
    each layer's forward and backward time replaced by measure_layer_times' (times m, as the
    chain describes the whole mini-batch) and the loss time set to 0, the loss being timed
    within the last layer as run_pipeline's last stage runs it. factors: None, or {m: (forward,
    backward)} of pipeline_factors, multiplying the times of micro-batch count m. memory: None,
    or {m: factor, or a factor per layer} (memory_factors), multiplying the activation sizes
    of micro-batch count m (each layer's input, tape and temporaries, rounded up; the loss's
    by the last layer's factor), the parameter bytes unchanged."""
    from memsched import HeteroChain, HeteroLoss, HeteroStage

    out = {}
    for m, (chain, parameter_bytes) in chains.items():
        times = layer_times[m]
        if len(times) != chain.num_stages:
            raise ValueError(f"layer_times[{m}]: expected {chain.num_stages} layers, got "
                             f"{len(times)}")
        scale_f, scale_b = (1.0, 1.0) if factors is None else factors[m]
        scale = [1.0] * chain.num_stages if memory is None else memory[m]
        if isinstance(scale, (int, float)):
            scale = [float(scale)] * chain.num_stages
        if len(scale) != chain.num_stages or not all(k > 0 for k in scale):
            raise ValueError(f"memory[{m}]: expected a factor > 0 or {chain.num_stages} of "
                             f"them, got {scale!r}")
        k = 1.0

        def size(n):
            return n if k == 1.0 else math.ceil(n * k)

        # Layer i's input is layer i - 1's output, held by the devices on both sides of a
        # boundary between them: it takes the larger of their two factors.
        inputs = [math.ceil(chain.stage(i).input_bytes *
                            float(max(scale[max(i - 1, 0)], scale[i])))
                  for i in range(chain.num_stages)] + [
                      math.ceil(chain.loss.input_bytes * float(scale[-1]))]
        stages = []
        for i, (f, b) in enumerate(times):
            s, k = chain.stage(i), float(scale[i])
            # A tape contains the layer's output, the next layer's input.
            stages.append(HeteroStage(forward_time=f * scale_f * m,
                                      backward_time=b * scale_b * m,
                                      input_bytes=inputs[i],
                                      tape_bytes=max(size(s.tape_bytes), inputs[i + 1]),
                                      forward_tmp_bytes=size(s.forward_tmp_bytes),
                                      backward_tmp_bytes=size(s.backward_tmp_bytes),
                                      recording_tmp_bytes=None if s.recording_tmp_bytes is None
                                      else size(s.recording_tmp_bytes)))
        loss, k = chain.loss, float(scale[-1])
        out[m] = (HeteroChain(stages, HeteroLoss(
            input_bytes=inputs[-1], time=0.0,
            backward_tmp_bytes=size(loss.backward_tmp_bytes))), parameter_bytes)
    return out


def memory_factors(chains, runs, *, num_devices=2, resolution=1 << 20):
    """{m: [factor per layer]}: how the activation memory measured in run_pipeline compares
    with the model, from the runs of pipeline_factors (its `runs`: {m: [PipelineRun]}, GPipe
    storing everything over num_devices processes with the layers split as evenly as possible).
    For device s of each run: (measured peak - the device's parameter bytes) / (predicted_run's
    peak - the same) on the chain of m (micro_batch_chains); every layer of that device gets
    the largest ratio over the runs. Scaled by these (calibrated_chains' `memory`), the model
    meets every peak measured in those runs, per process, or exceeds it. The profile counts
    each tensor autograd saves and measures temporaries with the resident set of the planning
    process; a stage of the runner holds what its own autograd graph, sends and receives keep,
    which differs from the profile's one-layer graphs by a part that depends on the layer and
    its position (docs/pipeline.md, "Calibrated memory"). resolution: a device modelled with
    less activation memory than this many bytes (default 1 MiB, about the slack of the
    kernel's resident-set counters, PeakMeter) keeps factor 1 on its layers."""
    out = {}
    for m, measured in runs.items():
        if m not in chains:
            raise ValueError(f"runs: micro-batch count {m} has no chain")
        if not measured:
            raise ValueError(f"runs[{m}]: no run")
        chain, parameter_bytes = chains[m]
        layers = chain.num_stages
        if not 1 <= num_devices <= layers:
            raise ValueError(f"num_devices: expected 1 to {layers}, got {num_devices}")
        bounds = [layers * s // num_devices for s in range(num_devices + 1)]
        predicted = predicted_run(chain, parameter_bytes, bounds, [False] * num_devices,
                                  micro_batches=m, schedule="gpipe").device_peak_bytes
        factors = []
        for s, (a, b) in enumerate(zip(bounds, bounds[1:])):
            model = sum(parameter_bytes[a:b])
            ratios = []
            for run in measured:
                if len(run.peak_bytes) != num_devices:
                    raise ValueError(f"runs[{m}]: expected {num_devices} processes, got "
                                     f"{len(run.peak_bytes)}")
                ratios.append((run.peak_bytes[s] - model) / max(predicted[s] - model, 1))
            # Below the meter's resolution a ratio measures the slack of the resident set, not
            # the activations: such a device keeps the profile's sizes (factor 1), as does one
            # whose measured ratio is not positive.
            calibrate = predicted[s] - model >= resolution and max(ratios) > 0
            factors += [max(ratios) if calibrate else 1.0] * (b - a)
        out[m] = factors
    return out


def pipeline_factors(model, inputs, targets, loss_fn, layer_times, *, num_devices=2,
                     repeats=1, steps=3, runs=None):
    """{m: (forward, backward)}: how much slower a layer runs inside a pipeline than alone. For
    each micro-batch count m of layer_times (measure_layer_times), run_pipeline runs the model
    storing everything (GPipe) over num_devices processes with layers split as evenly as
    possible, `repeats` times, the counts in turn; each operation's measured time is divided by
    the sum of its layers' times measured alone, and the median of these ratios is kept per
    direction. Inside a pipeline a process shares the cores and caches with the other stages
    and with gloo's threads, and each operation pays the per-micro-batch costs of a stage (the
    received tensor read the first time, the stage's own call and autograd graph). runs: a
    dict that receives {m: [PipelineRun]}, the runs measured (memory_factors reads their
    peaks)."""
    layers, sizes = list(model), sorted(layer_times)
    if not 1 <= num_devices <= len(layers):
        raise ValueError(f"num_devices: expected 1 to {len(layers)}, got {num_devices}")
    if repeats < 1:
        raise ValueError(f"repeats: expected >= 1, got {repeats}")
    bounds = [len(layers) * s // num_devices for s in range(num_devices + 1)]
    stages = [nn.Sequential(*layers[a:b]) for a, b in zip(bounds, bounds[1:])]
    ratios = {m: ([], []) for m in sizes}
    for _ in range(repeats):
        for m in sizes:
            run = run_pipeline(stages, inputs, targets, loss_fn, micro_batches=m,
                               schedule="gpipe", measure=True, steps=steps)
            if runs is not None:
                runs.setdefault(m, []).append(run)
            for s, (a, b) in enumerate(zip(bounds, bounds[1:])):
                alone = [sum(layer_times[m][i][d] for i in range(a, b)) for d in (0, 1)]
                for (k, backward), seconds in run.op_times[s].items():
                    ratios[m][int(backward)].append(seconds / alone[int(backward)])
    return {m: (statistics.median(f), statistics.median(b)) for m, (f, b) in ratios.items()}


def _link_worker(rank, init_file, out_file, sizes, repeats):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="file://" + init_file, rank=rank, world_size=2)
    result = {}
    for n in sizes:
        buffer = torch.zeros(max(n // 4, 1))
        times = []
        for r in range(repeats + 1):
            dist.barrier()
            start = time.perf_counter()
            if rank == 0:
                dist.send(buffer, dst=1)
                dist.recv(buffer, src=1)
            else:
                dist.recv(buffer, src=0)
                dist.send(buffer, dst=0)
            if r:
                times.append((time.perf_counter() - start) / 2)
        result[n] = statistics.median(times)
    if rank == 0:
        torch.save(result, out_file)
    dist.barrier()
    dist.destroy_process_group()


def measure_link(sizes=(4, 1 << 20), *, repeats=20):
    """(per_message, per_byte, {bytes: seconds}): the one-way time of a gloo send and receive
    between two processes of this machine, median over `repeats` round trips per size, and the
    line through the smallest and the largest size. This is the cost a boundary tensor adds to
    the wall time; run_pipeline's critical_path_time excludes it (it counts computation)."""
    sizes = sorted(int(n) for n in sizes)
    if len(sizes) < 2 or sizes[0] < 4 or sizes[0] == sizes[-1]:
        raise ValueError(f"sizes: expected two or more distinct sizes >= 4 bytes, got {sizes}")
    if repeats < 1:
        raise ValueError(f"repeats: expected >= 1, got {repeats}")
    with tempfile.TemporaryDirectory() as tmp:
        out_file = os.path.join(tmp, "link.pt")
        mp.spawn(_link_worker, args=(os.path.join(tmp, "init"), out_file, sizes, repeats),
                 nprocs=2, join=True)
        times = torch.load(out_file)
    per_byte = max((times[sizes[-1]] - times[sizes[0]]) / (sizes[-1] - sizes[0]), 0.0)
    return times[sizes[0]] - per_byte * sizes[0], per_byte, times


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


def plan_candidates(chains, device_budget_bytes, *, margins=(0,), schedules=("gpipe", "1f1b"),
                    recompute=(True, False), top=4, **options):
    """The `top` distinct feasible plans of smallest simulated iteration time, as
    [(plan, chain, parameter_bytes)] sorted by it: memsched.plan_pipeline for every micro-batch
    count of `chains` (micro_batch_chains or calibrated_chains), every schedule, with and
    without recomputation (`recompute`), and every budget minus each of `margins` (bytes; a
    smaller budget gives plans with more slack). Every plan's simulated per-device peak is
    within device_budget_bytes minus its margin. options go to plan_pipeline."""
    from memsched import plan_pipeline

    if top < 1:
        raise ValueError(f"top: expected >= 1, got {top}")
    found = {}
    for m, (chain, parameter_bytes) in chains.items():
        for kind in schedules:
            for allow in recompute:
                for margin in margins:
                    budgets = [b - margin for b in device_budget_bytes]
                    if min(budgets) < 1:
                        continue
                    plan = plan_pipeline(chain, parameter_bytes, budgets, micro_batches=[m],
                                         schedules=[kind], **dict(options, recompute=allow))
                    if plan is None:
                        continue
                    key = candidate_key(plan)
                    if key not in found:
                        found[key] = (plan, chain, parameter_bytes)
    ranked = sorted(found.values(), key=lambda c: c[0].report.iteration_time)
    return ranked[:top]


def candidate_key(plan):
    """What run_pipeline executes of a plan, hashable: schedule, m, boundaries, recomputation
    and each recomputing device's persistent schedule."""
    from memsched import hetero_schedule_text

    return (plan.schedule, plan.micro_batches,
            tuple((d.first_layer, d.last_layer, d.recompute,
                   hetero_schedule_text(d.backward_schedule) if d.recompute else "")
                  for d in plan.devices))


def run_plan(model, inputs, targets, loss_fn, plan, *, steps=3):
    """run_pipeline(measure=True) of a plan on an nn.Sequential, each recomputing device
    executing its persistent schedule."""
    layers = list(model)
    bounds = [d.first_layer for d in plan.devices] + [plan.devices[-1].last_layer]
    return run_pipeline([nn.Sequential(*layers[a:b]) for a, b in zip(bounds, bounds[1:])],
                        inputs, targets, loss_fn, micro_batches=plan.micro_batches,
                        schedule=plan.schedule, recompute=[d.recompute for d in plan.devices],
                        schedules=[d.backward_schedule if d.recompute else None
                                   for d in plan.devices],
                        measure=True, steps=steps)


def select_by_run(model, inputs, targets, loss_fn, candidates, device_budget_bytes, *,
                  repeats=3, steps=3, runs=None, allowance=UNMODELLED_BYTES):
    """The measured planner mode: runs every candidate (plan_candidates) `repeats` times, the
    candidates in turn, and returns (index, {index: [PipelineRun]}) of the one with the
    smallest median critical_path_time among those whose every run kept every process within
    its budget (measured peak_bytes <= device_budget_bytes) and within its plan's peak plus
    `allowance`, or (None, runs) if none did.
    The simulator cannot rank candidates closer than its error (per-layer times measured
    apart, a loaded machine); this ranks them by the measurement that the result is judged
    by. runs: a dict {candidate_key: [PipelineRun]} of earlier runs, reused and extended."""
    if repeats < 1:
        raise ValueError(f"repeats: expected >= 1, got {repeats}")
    runs = {} if runs is None else runs
    keys = [candidate_key(plan) for plan, _, _ in candidates]
    for r in range(repeats):
        for key, (plan, _, _) in zip(keys, candidates):
            done = runs.setdefault(key, [])
            if len(done) <= r:
                done.append(run_plan(model, inputs, targets, loss_fn, plan, steps=steps))
    best = None
    for i, key in enumerate(keys):
        measured = runs[key][:max(repeats, len(runs[key]))]
        limits = [min(b, d.peak_bytes + allowance)
                  for b, d in zip(device_budget_bytes, candidates[i][0].devices)]
        if any(p > q for run in measured for p, q in zip(run.peak_bytes, limits)):
            continue
        time_ = statistics.median(run.critical_path_time for run in measured)
        if best is None or time_ < best[1]:
            best = (i, time_)
    return (None if best is None else best[0]), runs


def plan_by_runs(model, inputs, targets, loss_fn, device_budget_bytes, *,
                 micro_batches=(1, 2, 4, 8), top=4, repeats=3, steps=3,
                 margins=(0, 1 << 18, 1 << 19, UNMODELLED_BYTES), rounds=5, **options):
    """The measured planner mode in one call: profiles the sizes (micro_batch_chains), times the
    layers in the runner's conditions (measure_layer_times, pipeline_factors) and scales the
    activation sizes by the memory measured in the same runs (memory_factors), plans the `top`
    candidates of smallest simulated time (plan_candidates, for each budget less each margin)
    and runs them (select_by_run). Returns (plan, chain, parameter_bytes, runs) of the fastest
    measured candidate whose every process stayed within its budget in every run, or None."""
    layer_times = measure_layer_times(model, inputs, targets, loss_fn, micro_batches,
                                      rounds=rounds)
    stored = {}
    factors = pipeline_factors(model, inputs, targets, loss_fn, layer_times,
                               num_devices=len(device_budget_bytes), steps=steps, runs=stored)
    profiled = micro_batch_chains(model, inputs, micro_batches, rounds=rounds)
    chains = calibrated_chains(profiled, layer_times, factors,
                               memory_factors(profiled, stored,
                                              num_devices=len(device_budget_bytes)))
    candidates = plan_candidates(chains, list(device_budget_bytes), margins=margins, top=top,
                                 **options)
    chosen, runs = select_by_run(model, inputs, targets, loss_fn, candidates,
                                 list(device_budget_bytes), repeats=repeats, steps=steps)
    if chosen is None:
        return None
    plan, chain, parameter_bytes = candidates[chosen]
    return plan, chain, parameter_bytes, runs[candidate_key(plan)]


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


def _accumulate(param, grad):
    # As autograd's AccumulateGrad outside grad mode: the first gradient is kept, later ones
    # are added in place, so the sums equal those of one backward through the whole stage.
    if param.grad is None:
        param.grad = grad
    else:
        param.grad += grad


def _run_inner(layers, x, grad, inner, loss, need_input_grad, rng_states):
    """The backward operation of a stage that recomputes with the persistent schedule `inner`
    (("CF"|"Fn"|"Fe"|"L"|"B"|"Del", stage, tape) tuples; the planner's backward_schedule, rules
    in docs/heterogeneous.md) over `layers` from its checkpointed input x: x_i stored alone
    (`alone`), tapes x̄_{i+1} as (recorded input, output) autograd graphs of one layer.
    grad: ȳ_k received from the next stage, or None on the last stage, where L differentiates
    loss(x_k). rng_states: the CPU random-number state before each layer's first forward, set
    again before each recomputation (as torch.utils.checkpoint does, so that dropout draws the
    same masks); the caller's state is restored at the end. Adds the parameter gradients and
    returns ȳ_0 (None unless need_input_grad)."""
    alone, tapes, ybar = {0: x.detach()}, {}, grad
    outer = torch.get_rng_state()

    def read(i):  # x_i stored alone or inside x̄_i
        return alone[i] if i in alone else tapes[i][1].detach()

    for kind, i, tape in inner:
        if kind in ("CF", "Fn", "Fe"):
            torch.set_rng_state(rng_states[i])
        if kind in ("CF", "Fn"):
            with torch.no_grad():
                alone[i + 1] = layers[i](read(i))
            if kind == "Fn":
                alone.pop(i, None)
        elif kind == "Fe":
            leaf = read(i).detach()
            leaf.requires_grad_(leaf.is_floating_point() and (i > 0 or need_input_grad))
            with torch.enable_grad():
                tapes[i + 1] = (leaf, layers[i](leaf))
        elif kind == "L":
            if ybar is None:
                out = read(i).detach().requires_grad_()
                with torch.enable_grad():
                    (ybar,) = torch.autograd.grad(loss(out), [out])
                del out
            alone.pop(i, None)
        elif kind == "B":
            leaf, out = tapes.pop(i + 1)
            params = [p for p in layers[i].parameters() if p.requires_grad]
            inputs = ([leaf] if leaf.requires_grad else []) + params
            grads = (torch.autograd.grad(out, inputs, ybar, allow_unused=True)
                     if out.requires_grad and inputs else ())
            del out
            if leaf.requires_grad:
                ybar, grads = grads[0], grads[1:]
            else:
                ybar = None
            for p, g in zip(params, grads):
                if g is not None:
                    _accumulate(p, g)
            del grads, leaf
            alone.pop(i, None)
        elif tape:
            tapes.pop(i, None)
        else:
            alone.pop(i, None)
    torch.set_rng_state(outer)
    return ybar if need_input_grad else None


def _step(module, rank, world, ops, recompute, xs, ts, loss_fn, shapes, times, inner=None):
    """One training step of stage `rank`: its operations `ops` in order, sends and receives
    included. Appends ((micro_batch, backward), thread CPU seconds) to `times`. inner: the
    persistent schedule a recomputing micro-batch runs in its backward (_run_inner), or None
    for torch.utils.checkpoint of the whole stage."""
    held, forward_sends, pending, rng_states = {}, {}, [], {}
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
            if recompute[micro_batch] and inner is not None:
                rng_states[micro_batch] = []
                with torch.no_grad():
                    y = x
                    for layer in module:
                        rng_states[micro_batch].append(torch.get_rng_state())
                        y = layer(y)
            elif recompute[micro_batch]:
                y = checkpoint(module, x, use_reentrant=False)
            else:
                y = module(x)
            if last and not (recompute[micro_batch] and inner is not None):
                y = loss_fn(y, ts[micro_batch])
            times.append(((micro_batch, False), time.thread_time() - start))
            if not last:
                out = y.detach().contiguous()
                forward_sends[micro_batch] = (
                    dist.isend(out, dst=rank + 1, tag=_tag(micro_batch, False)), out)
                del out
            held[micro_batch] = (x, y)
        elif recompute[micro_batch] and inner is not None:
            x, y = held.pop(micro_batch)
            grad = None
            if not last:
                grad = torch.empty(y.shape, dtype=y.dtype)
                dist.recv(grad, src=rank + 1, tag=_tag(micro_batch, True))
                forward_sends.pop(micro_batch)[0].wait()
            del y
            start = time.thread_time()
            target = ts[micro_batch]
            g = _run_inner(list(module), x, grad, inner, lambda out: loss_fn(out, target),
                           rank > 0, rng_states.pop(micro_batch))
            times.append(((micro_batch, True), time.thread_time() - start))
            del grad, x
            if rank > 0:
                g = g.contiguous()
                pending.append((dist.isend(g, dst=rank - 1, tag=_tag(micro_batch, True)), g))
            del g
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
    set_to_none, inner = args["set_to_none"], args["inner"]
    if args["seed"] is not None:
        torch.manual_seed(args["seed"] + rank)
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
        _step(module, rank, world, ops, recompute[rank], xs, ts, loss_fn, shapes, times,
              inner[rank])
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


_OP_NAMES = {"FORWARD_CHECK": "CF", "FORWARD_NOGRAD": "Fn", "FORWARD_ENABLE": "Fe",
             "LOSS": "L", "BACKWARD": "B", "FREE": "Del"}


def _inner_schedules(schedules, stages):
    """Per stage None or its persistent schedule as (name, stage, tape) tuples, checked."""
    if schedules is None:
        return [None] * len(stages)
    if len(schedules) != len(stages):
        raise ValueError(f"schedules: expected {len(stages)} entries, got {len(schedules)}")
    inner = []
    for s, (schedule, stage) in enumerate(zip(schedules, stages)):
        if not schedule:
            inner.append(None)
            continue
        if not isinstance(stage, nn.Sequential):
            raise ValueError(f"schedules[{s}]: stage {s} must be an nn.Sequential of its layers")
        ops = [(_OP_NAMES[op.kind.name], int(op.stage), bool(op.tape)) for op in schedule]
        if any(not 0 <= i <= len(stage) for _, i, _ in ops) or not any(k == "L" for k, _, _ in ops):
            raise ValueError(f"schedules[{s}]: not a schedule of the {len(stage)} layers of "
                             f"stage {s}")
        inner.append(ops)
    return inner


def run_pipeline(stages, inputs, targets, loss_fn, *, micro_batches, schedule="1f1b",
                 recompute=None, measure=False, steps=3, set_to_none=False, schedules=None,
                 seed=None):
    """Runs a training step (forward and backward, no optimizer step) of `stages` (a list of
    modules, stage s on process s) over `inputs` and `targets` cut into `micro_batches` chunks
    (torch.chunk along dimension 0). recompute: per stage a flag (every micro-batch) or one flag
    per micro-batch (pipe_recompute gives Pipe's). schedules: per stage None (a recomputing
    micro-batch runs torch.utils.checkpoint over the whole stage) or the persistent schedule
    its backward runs instead (a plan's devices[s].backward_schedule; the stage an
    nn.Sequential of the plan's layers), after a forward without autograd. seed: process s
    seeds its random-number generator with seed + s (dropout masks reproducible). Returns the parameter gradients of each stage
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
    inner = _inner_schedules(schedules, stages)
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
                    "steps": steps if measure else 1, "set_to_none": bool(set_to_none),
                    "inner": inner, "seed": seed},
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
