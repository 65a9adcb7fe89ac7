"""memsched.torch: train an ``nn.Sequential`` under a memory budget in bytes.

:class:`CheckpointedSequential` measures each stage of a sequence of modules on a sample input
(CPU time of the forward and the backward, input size, what a recording forward leaves
allocated, temporaries), plans with the optimal persistent planner of the heterogeneous model
(:func:`memsched.plan_persistent`, rotor's dynamic program, docs/heterogeneous.md), and runs the
plan through autograd: the forward keeps only the planned checkpoints, the backward recomputes
the rest, with the CPU random-number state of every stage restored so that Dropout draws the
same masks. Gradients are bitwise those of plain autograd; ``loss.backward()`` and
``torch.autograd.grad`` both work, also when the input does not require grad.

    >>> import torch, memsched.torch
    >>> net = torch.nn.Sequential(*[torch.nn.Linear(64, 64), torch.nn.ReLU()] * 8)
    >>> x = torch.randn(32, 64)
    >>> model = memsched.torch.CheckpointedSequential(net, budget_bytes=60_000, sample_input=x)
    >>> model(x).sum().backward()

The budget bounds what the training step adds to memory while the sequence runs: the input,
the activations and autograd's saved tensors, the gradients flowing back and the stages'
temporaries; not the parameters, their ``.grad`` buffers, nor the loss (docs/torch.md).
"""

import ctypes
import math
import os
import time

import torch
from torch.autograd.graph import saved_tensors_hooks

from memsched._memsched import (
    HeteroChain,
    HeteroLoss,
    HeteroOpKind,
    HeteroStage,
    hetero_timeline,
    memory_time_curve,
    plan_persistent,
)

__all__ = [
    "CheckpointedSequential",
    "StageProfile",
    "Profile",
    "profile_sequence",
    "PeakMeter",
]

# ---- memory measurement --------------------------------------------------------------------


def _tensor_bytes(tensor):
    return tensor.numel() * tensor.element_size()


def _storage_key(tensor):
    storage = tensor.storage()
    return storage.data_ptr(), storage.nbytes()


class PeakMeter:
    """The process's peak resident memory (Linux VmHWM), resettable from inside the process.

    ``reset()`` writes 5 to /proc/self/clear_refs; ``peak()`` and ``rss()`` read VmHWM and
    VmRSS from /proc/self/status, in bytes. ``available`` is False elsewhere (then temporaries
    are not measured). Reliable only if glibc returns large blocks to the system at once:
    ``tune_malloc()`` sets M_MMAP_THRESHOLD to 64 KiB (what MALLOC_MMAP_THRESHOLD_=65536
    does), process-wide and for good (references/heterogeneous.md §12).

    Blocks freed before that (glibc raises its threshold after freeing a large mapped block,
    so later ones of that size come from the heap and stay resident when freed) are reused
    without new pages, so ``reset()`` first hands free heap pages back (malloc_trim): reusing
    them then shows in RSS as new memory does. Without it, 1 MiB activations measured 0 bytes
    of temporary in a process that had freed an 8 MiB block, then 1 MiB ones. The trim walks
    the heap's free chunks, so it takes longer the more fragmented the heap (four resets per
    stage profiled).

    The kernel's RSS counters (per CPU since Linux 6.2, read without summing them) leave a
    slack: here peak deltas were up to 304 KiB under the pages touched
    (python/bench/rss_slack.py), so temporaries much smaller than a MiB blur.
    """

    def __init__(self):
        self.available = os.access("/proc/self/clear_refs", os.W_OK) and os.path.exists(
            "/proc/self/status")
        try:
            self._trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            self._trim = None

    @staticmethod
    def tune_malloc(threshold=65536):
        try:
            libc = ctypes.CDLL("libc.so.6")
        except OSError:
            return False
        return bool(libc.mallopt(-3, threshold))  # -3 = M_MMAP_THRESHOLD

    def reset(self):
        if self._trim is not None:
            self._trim(0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")

    @staticmethod
    def _status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
        raise RuntimeError(f"PeakMeter: no {field} in /proc/self/status")

    def peak(self):
        return self._status("VmHWM:")

    def rss(self):
        return self._status("VmRSS:")


# ---- profiling -----------------------------------------------------------------------------


class StageProfile:
    """What was measured of one stage: modules[begin:end], times in seconds, sizes in bytes."""

    __slots__ = ("begin", "end", "forward_time", "backward_time", "input_bytes", "tape_bytes",
                 "forward_tmp_bytes", "backward_tmp_bytes", "recording_tmp_bytes",
                 "direct_backward_tmp_bytes")

    def __init__(self, begin, end, **fields):
        self.begin, self.end = begin, end
        for name in self.__slots__[2:]:
            setattr(self, name, fields.get(name, 0))
        if "direct_backward_tmp_bytes" not in fields:  # unknown: as inside a node
            self.direct_backward_tmp_bytes = self.backward_tmp_bytes

    def hetero_stage(self, direct=False):
        """The stage in the model; direct: with the backward temporary of a stage run as
        plain autograd (direct_backward_tmp_bytes), else as inside a node."""
        tmp = self.direct_backward_tmp_bytes if direct else self.backward_tmp_bytes
        return HeteroStage(forward_time=self.forward_time, backward_time=self.backward_time,
                           input_bytes=self.input_bytes, tape_bytes=self.tape_bytes,
                           forward_tmp_bytes=self.forward_tmp_bytes, backward_tmp_bytes=tmp,
                           recording_tmp_bytes=self.recording_tmp_bytes)

    def __repr__(self):
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__[2:])
        return f"StageProfile(modules[{self.begin}:{self.end}], {fields})"


class Profile:
    """The stages of a sequence (module ranges) and the HeteroChain measured for them."""

    def __init__(self, stages, output_bytes, input_shape, input_dtype):
        self.stages = stages
        self.output_bytes = output_bytes
        self.input_shape = tuple(input_shape)
        self.input_dtype = input_dtype
        self.chain = self.chain_for(())
        # plain autograd's: every stage run directly (what a store-all plan runs)
        self.plain_chain = self.chain_for(range(len(stages)))

    def chain_for(self, direct_stages):
        """The HeteroChain with the backward temporaries of `direct_stages` (indices) as plain
        autograd needs them (StageProfile.direct_backward_tmp_bytes); `chain` has none."""
        direct_stages = set(direct_stages)
        return HeteroChain([s.hetero_stage(k in direct_stages) for k, s in enumerate(self.stages)],
                           HeteroLoss(input_bytes=self.output_bytes))

    def __repr__(self):
        return (f"Profile(stages={len(self.stages)}, input_shape={self.input_shape}, "
                f"store_all_peak={self.chain.store_all_peak()})")


class _SavedRecorder:
    """Storages autograd saves during a recording forward (saved_tensors_hooks)."""

    def __init__(self, excluded):
        self.excluded = excluded  # data pointers never counted (parameters, buffers)
        self.storages = {}

    def pack(self, tensor):
        ptr, nbytes = _storage_key(tensor)
        if ptr not in self.excluded:
            self.storages[ptr] = nbytes
        return tensor

    @staticmethod
    def unpack(tensor):
        return tensor

    def hooks(self):
        return saved_tensors_hooks(self.pack, self.unpack)


def _run(modules, x):
    """The modules in order on x. Given as [x], a list nothing else refers to, the input is
    freed as soon as the first module has run, as a plain loop over the modules frees it."""
    if isinstance(x, list):
        x = x.pop()
    for module in modules:
        x = module(x)
    return x


def _leaf(x):
    leaf = x.detach()
    if leaf.is_floating_point() or leaf.is_complex():
        leaf.requires_grad_(True)
    return leaf


def _persistent_pointers(modules):
    pointers = set()
    for module in modules:
        for tensor in list(module.parameters()) + list(module.buffers()):
            pointers.add(tensor.storage().data_ptr())
    return pointers


def _auto_stages(modules, sample, persistent):
    """Module ranges: a module starts a new stage only if autograd keeps its input (else that
    input is dead once the module ran, and storing it as a checkpoint boundary would make the
    model count memory autograd frees: references/heterogeneous.md §9, Linear + ReLU) and it
    can run on a leaf that requires grad (modules working in place cannot)."""
    starts = [0]
    x = sample
    for j, module in enumerate(modules):
        leaf = _leaf(x)
        recorder = _SavedRecorder(persistent)
        try:
            with torch.enable_grad(), recorder.hooks():
                out = module(leaf)
            keeps_input = leaf.storage().data_ptr() in recorder.storages
        except RuntimeError:
            keeps_input = False
            with torch.no_grad():
                out = module(x.clone())
        if j > 0 and keeps_input:
            starts.append(j)
        x = out.detach()
        del out, leaf
    return [(b, e) for b, e in zip(starts, starts[1:] + [len(modules)])]


def _unique_parameters(modules):
    """The parameters of modules that require grad, each once."""
    unique = {}
    for module in modules:
        for p in module.parameters():
            if p.requires_grad:
                unique.setdefault(id(p), p)
    return list(unique.values())


def _median(values):
    values = sorted(values)
    return values[len(values) // 2]


def _measure_stage(modules, x, persistent, meter, repeats):
    """Times and sizes of one stage (modules run in order) on input x."""
    params = [p for m in modules for p in m.parameters() if p.requires_grad]
    fields = {"input_bytes": _tensor_bytes(x)}
    forward_times, backward_times = [], []
    fwd_tmp = rec_tmp = bwd_tmp = direct_tmp = 0
    for attempt in range(repeats + 1):  # attempt 0 warms up (first-touch allocations)
        leaf = _leaf(x)
        recorder = _SavedRecorder(persistent | {x.storage().data_ptr()})
        measure = meter is not None and attempt == 1
        if measure:
            meter.reset()
            before = meter.rss()
        start = time.process_time()
        with torch.enable_grad(), recorder.hooks():
            out = _run(modules, leaf)
        forward_times.append(time.process_time() - start)
        out_key = out.storage().data_ptr()
        tape = _tensor_bytes(out) + sum(n for p, n in recorder.storages.items() if p != out_key)
        if measure:
            rec_tmp = max(rec_tmp, meter.peak() - before - tape)
        inputs = ([leaf] if leaf.requires_grad else []) + params
        grad_out = torch.ones_like(out)
        if measure:
            meter.reset()
            before = meter.rss()
        start = time.process_time()
        if out.requires_grad and inputs:
            grads = torch.autograd.grad(out, inputs, grad_out, allow_unused=True)
        else:
            grads = ()
        backward_times.append(time.process_time() - start)
        if measure:
            # B_i produces ybar_i (input-sized); the rest of the peak is its temporary,
            # parameter gradients included (autograd adds them to .grad at once).
            bwd_tmp = max(0, meter.peak() - before - fields["input_bytes"])
        del grads, out, leaf, grad_out
        if measure:
            meter.reset()
            before = meter.rss()
            with torch.no_grad():
                out = _run(modules, x)
            fwd_tmp = max(fwd_tmp, meter.peak() - before - _tensor_bytes(out))
            del out
            direct_tmp = _direct_backward_tmp(modules, x, params, meter)
    fields.update(forward_time=_median(forward_times[1:]),
                  backward_time=_median(backward_times[1:]), tape_bytes=tape,
                  forward_tmp_bytes=max(0, fwd_tmp), recording_tmp_bytes=max(0, rec_tmp),
                  backward_tmp_bytes=bwd_tmp,
                  direct_backward_tmp_bytes=min(bwd_tmp, direct_tmp))
    return fields


class _EngineGradient(torch.autograd.Function):
    """A scalar root whose backward creates the gradient of its input inside the autograd
    engine, as a loss does: nothing else holds it, so the engine frees it once the first
    backward function consumed it."""

    @staticmethod
    def forward(ctx, out):
        ctx.shape, ctx.dtype = out.shape, out.dtype
        return out.new_zeros(())

    @staticmethod
    def backward(ctx, _):
        return torch.ones(ctx.shape, dtype=ctx.dtype)


def _direct_backward_tmp(modules, x, params, meter):
    """The backward temporary of a stage run as plain autograd. In the model B_i holds
    ybar_{i+1} until it ends; plain autograd frees it after the stage's first backward function
    (the caller's graph: a direct segment), while a node's backward holds the gradient it was
    given until it returns (what backward_tmp_bytes measures). On the 50-block MLP's stages
    that is 0.8-1.0 MiB against 2.8-3.0 MiB."""
    leaf = _leaf(x)
    with torch.enable_grad():
        out = _run(modules, leaf)
    inputs = ([leaf] if leaf.requires_grad else []) + params
    if not (out.requires_grad and inputs):
        return 0
    root = _EngineGradient.apply(out)
    meter.reset()
    before = meter.rss()
    grads = torch.autograd.grad(root, inputs, allow_unused=True)
    # ybar_{i+1} (allocated by the root's backward) and ybar_i are the model's own
    peak = meter.peak() - before - _tensor_bytes(out) - _tensor_bytes(x)
    del grads
    return max(0, peak)


def profile_sequence(modules, sample_input, *, stages="auto", repeats=3,
                     measure_temporaries=True, tune_malloc=True, pool_times=True):
    """Measures a sequence of modules on `sample_input` and returns a :class:`Profile`.

    stages: "auto" (a module starts a stage when autograd keeps its input), "modules" (one
    stage per module), or a list of (begin, end) module ranges covering the sequence in order.
    repeats: timed runs per stage (median of process_time). measure_temporaries: peak memory
    during each forward and backward from /proc/self (Linux), after `tune_malloc` sets glibc's
    mmap threshold to 64 KiB (process-wide, see PeakMeter); elsewhere temporaries count 0.
    pool_times: stages of the same modules (repr, training mode, which parameters require
    grad) on inputs of the same shape and dtype get one forward and one backward time, the
    median of theirs. The global RNG state, parameters' .grad and module buffers (BatchNorm
    statistics) are left as they were. ValueError on an empty sequence, bad ranges or
    non-tensor outputs.
    """
    modules = list(modules)
    if not modules:
        raise ValueError("profile_sequence: the sequence has no module")
    if not isinstance(sample_input, torch.Tensor):
        raise ValueError("profile_sequence: sample_input must be a tensor")
    if repeats < 1:
        raise ValueError(f"profile_sequence: repeats must be >= 1, got {repeats}")
    meter = None
    if measure_temporaries:
        meter = PeakMeter()
        if not meter.available:
            meter = None
        elif tune_malloc:
            PeakMeter.tune_malloc()
    persistent = _persistent_pointers(modules)
    buffers = [(b, b.detach().clone()) for m in modules for b in m.buffers()]
    sample = sample_input.detach()
    with torch.random.fork_rng(devices=[]):
        if stages == "auto":
            ranges = _auto_stages(modules, sample, persistent)
        elif stages == "modules":
            ranges = [(j, j + 1) for j in range(len(modules))]
        else:
            ranges = [(int(b), int(e)) for b, e in stages]
            if (not ranges or ranges[0][0] != 0 or ranges[-1][1] != len(modules) or
                    any(b >= e for b, e in ranges) or
                    any(e != b2 for (_, e), (b2, _) in zip(ranges, ranges[1:]))):
                raise ValueError(f"profile_sequence: stages {stages!r} do not cover the "
                                 f"{len(modules)} modules in order")
        profiles, alike = [], {}
        x = sample
        for begin, end in ranges:
            fields = _measure_stage(modules[begin:end], x, persistent, meter, repeats)
            profiles.append(StageProfile(begin, end, **fields))
            signature = (tuple((repr(m), m.training, tuple(p.requires_grad for p in m.parameters()))
                               for m in modules[begin:end]), tuple(x.shape), x.dtype)
            alike.setdefault(signature, []).append(profiles[-1])
            with torch.no_grad():
                x = _run(modules[begin:end], x)
            if not isinstance(x, torch.Tensor):
                raise ValueError(f"profile_sequence: modules[{begin}:{end}] return "
                                 f"{type(x).__name__}, not a tensor")
    with torch.no_grad():
        for buffer, saved in buffers:
            buffer.copy_(saved)
    if pool_times:
        # Stages made of the same modules on inputs of the same shape run the same kernels:
        # give them one time, the median, or the planner would recompute whichever measured
        # cheap by chance (the 50-block MLP's stage times spread by 6 % standard deviation).
        for group in alike.values():
            forward, backward = (_median([getattr(s, name) for s in group])
                                 for name in ("forward_time", "backward_time"))
            for s in group:
                s.forward_time, s.backward_time = forward, backward
    return Profile(profiles, _tensor_bytes(x), sample.shape, sample.dtype)


# ---- execution -----------------------------------------------------------------------------

_CF, _FN, _FE = HeteroOpKind.FORWARD_CHECK, HeteroOpKind.FORWARD_NOGRAD, HeteroOpKind.FORWARD_ENABLE
_LOSS, _BACKWARD, _FREE = HeteroOpKind.LOSS, HeteroOpKind.BACKWARD, HeteroOpKind.FREE


class _Run:
    """One forward + backward of the sequence executing a plan; the state rotor's operations
    act on: x_i stored alone (`inputs`), tapes x̄_{i+1} (the input and output of a recording
    forward of stage i, whose autograd graph holds the saved tensors), RNG states.

    Stages run in the owner's segments (see CheckpointedSequential._fuse): the recording
    forwards of a segment's stages form one autograd graph, differentiated by one
    torch.autograd.grad call, and the segment is one node of the caller's graph; a direct
    segment runs in the caller's graph itself."""

    def __init__(self, owner, x0):
        self.owner = owner
        self.ops = owner._ops
        self.pos = 0
        self.inputs = {0: x0.detach()}
        self.tapes = {}
        self.rng = {}
        self.input_requires_grad = x0.requires_grad
        # Recomputations run in the backward, outside the caller's autocast region: they
        # enter the one the forward ran in, so that they record the same casts.
        self.autocast = dict(device_type="cpu", enabled=torch.is_autocast_cpu_enabled(),
                             dtype=torch.get_autocast_cpu_dtype(),
                             cache_enabled=torch.is_autocast_cache_enabled())
        num = len(owner._stage_modules)
        # The first stage whose backward node exists: the input or a parameter before it
        # requires grad. Below it nothing is differentiated.
        self.first_grad_stage = num
        for i in range(num):
            if (i == 0 and x0.requires_grad) or owner._stage_params[i]:
                self.first_grad_stage = i
                break
        self.differentiated = set()  # segments whose backward ran

    def _stage_input(self, i):
        if i in self.inputs:
            return self.inputs[i]
        return self.tapes[i][1].detach()

    def _forward(self, i, x):
        modules = self.owner._stage_modules[i]
        if not self.owner.preserve_rng_state:
            return _run(modules, x)
        state = self.rng.get(i)
        if state is None:  # the first run of stage i: remember the state it starts from
            self.rng[i] = torch.get_rng_state()
            return _run(modules, x)
        current = torch.get_rng_state()
        torch.set_rng_state(state)
        try:
            return _run(modules, x)
        finally:
            torch.set_rng_state(current)

    def _execute(self, index):
        kind, i = self.ops[index]
        if kind == _FE:
            if index in self.owner._chained:
                # continues the graph of stage i-1, recorded by the operation just before
                leaf = self.tapes[i][1]
            else:
                leaf = self._stage_input(i).detach()
                # ybar_i is needed only if a backward node exists below stage i.
                if i > self.first_grad_stage or (i == 0 and self.input_requires_grad):
                    leaf.requires_grad_(True)
            with torch.enable_grad():
                out = self._forward(i, leaf)
            self.tapes[i + 1] = (leaf, out)
        elif kind in (_CF, _FN):
            # Fn_i hands x_i over: freed once the stage's first module ran, as a plain loop
            # over the modules frees it (keeping it through the stage made a 50-block MLP
            # step about 1 % slower than checkpoint_sequential's on the same schedule).
            x = [self.inputs.pop(i)] if kind == _FN else self._stage_input(i)
            with torch.no_grad():
                self.inputs[i + 1] = self._forward(i, x)
        elif kind == _LOSS:
            self.inputs.pop(i, None)  # the caller holds x_L
        elif kind == _FREE:
            raise RuntimeError("memsched.torch: non-persistent plans are not executed")

    def forward_segment(self, s):
        """Runs the first pass's operations on the stages of segment s; returns its output."""
        begin, end = self.owner._segments[s]
        for i in range(begin, end):
            kind, stage = self.ops[self.pos]
            assert stage == i and kind in (_CF, _FN, _FE), "plan out of step with the forward"
            self.pos += 1
            self._execute(self.pos - 1)
        output = self._stage_input(end)
        self._loss_if_next()
        return output.detach()

    def forward_direct(self, s, x):
        """Runs direct segment s (its recording forwards) on x in the caller's graph."""
        begin, end = self.owner._segments[s]
        for i in range(begin, end):
            assert self.ops[self.pos] == (_FE, i), "plan out of step with the forward"
            self.pos += 1
            x = _run(self.owner._stage_modules[i], x)  # never run again: no RNG state kept
        if end in self.owner._keep:  # a later recomputation starts from x_end
            self.tapes[end] = (None, x.detach())
        self._loss_if_next()
        return x

    def _loss_if_next(self):
        """After the first sweep's last stage: the loss operation (the caller computes it)."""
        if self.pos < len(self.ops) and self.ops[self.pos][0] == _LOSS:
            self.pos += 1
            self._execute(self.pos - 1)

    def backward_segment(self, s, grad_output):
        """Runs the plan up to B_{end-1}, then B_{end-1}..B_begin of segment s = [begin, end)
        (consecutive in the plan) as one torch.autograd.grad call; returns the gradients of
        x_begin and of the segment's parameters."""
        begin, end = self.owner._segments[s]
        params = self.owner._segment_params[s]
        if s in self.differentiated:
            raise RuntimeError("memsched.torch: the backward of a CheckpointedSequential call "
                               "can run only once (retain_graph is not supported)")
        self.differentiated.add(s)
        while self.ops[self.pos][0] == _BACKWARD and self.ops[self.pos][1] >= end:
            # a direct segment above, differentiated by the caller's autograd already
            i = self.ops[self.pos][1]
            self.pos += 1
            self.inputs.pop(i, None)
            self.tapes.pop(i + 1, None)
        with torch.autocast(**self.autocast):
            while self.ops[self.pos][0] != _BACKWARD:
                self.pos += 1
                self._execute(self.pos - 1)
        expected = [(_BACKWARD, i) for i in reversed(range(begin, end))]
        assert self.ops[self.pos:self.pos + end - begin] == expected, \
            "plan out of step with the backward"
        self.pos += end - begin
        leaf, out = self.tapes[begin + 1][0], self.tapes[end][1]
        for i in range(begin + 1, end + 1):  # the graph alone holds the segment's tensors now
            del self.tapes[i]
        inputs = ([leaf] if leaf.requires_grad else []) + params
        if out.requires_grad and inputs:
            with torch.enable_grad():
                grads = torch.autograd.grad(out, inputs, grad_output, allow_unused=True)
        else:
            grads = (None,) * len(inputs)
        del out
        for i in range(begin, end):
            self.inputs.pop(i, None)
        grad_input = grads[0] if leaf.requires_grad else None
        param_grads = grads[1:] if leaf.requires_grad else grads
        if begin <= self.first_grad_stage:  # no backward node below: release everything
            self.inputs.clear()
            self.tapes.clear()
            self.rng.clear()
        return grad_input, tuple(param_grads)


class _SegmentFunction(torch.autograd.Function):
    """Segment s of one run as an autograd node: inputs x_begin and the segment's parameters,
    so that autograd returns parameter gradients to torch.autograd.grad or adds them to .grad
    as soon as the segment's backward is done."""

    @staticmethod
    def forward(ctx, run, s, x, *params):
        ctx.run, ctx.s = run, s
        return run.forward_segment(s)

    @staticmethod
    def backward(ctx, grad_output):
        grad_input, param_grads = ctx.run.backward_segment(ctx.s, grad_output)
        return (None, None, grad_input) + param_grads


class CheckpointedSequential(torch.nn.Module):
    """A sequence of modules trained under a memory budget (bytes) with an optimal schedule.

    modules: an ``nn.Sequential`` or any iterable of modules, each taking and returning one
    tensor. budget_bytes: the bound on memory the call adds (docs/torch.md says what it counts
    and the constant the measured peak may exceed it by). sample_input: a tensor shaped like
    the training inputs, to measure the stages on now; without it the first call measures.
    profile: a :class:`Profile` of these modules measured before (no measuring then).
    A call with an input of another shape or dtype measures and plans again.
    stages, repeats, measure_temporaries, tune_malloc, pool_times: see :func:`profile_sequence`;
    num_units: memory units of the planner (sizes are rounded up to units, see plan_persistent);
    None: byte-exact when that table is small, else as many units as plan in about a second.
    preserve_rng_state: restore the CPU RNG state before every recomputation (Dropout).
    fuse_segments: run the stages the plan never separates as one autograd graph and node
    (see _fuse); False: one node and one autograd.grad call per stage, for comparison.

    Raises ValueError when no schedule fits the budget (the message gives the smallest budget
    that does). Without grad (eval, torch.no_grad, nothing requires grad) the modules just run.
    Attributes after planning: ``profile`` (stages and HeteroChain), ``plan`` (HeteroPlan:
    schedule, makespan in seconds, peak_bytes predicted), ``segments``.
    """

    def __init__(self, modules, budget_bytes, sample_input=None, *, profile=None, stages="auto",
                 repeats=3, measure_temporaries=True, tune_malloc=True, pool_times=True,
                 num_units=None, preserve_rng_state=True, fuse_segments=True):
        super().__init__()
        modules = list(modules.children()) if isinstance(modules, torch.nn.Sequential) else list(
            modules)
        if not modules or not all(isinstance(m, torch.nn.Module) for m in modules):
            raise ValueError("CheckpointedSequential: expected a non-empty sequence of modules")
        if not isinstance(budget_bytes, int) or budget_bytes <= 0:
            raise ValueError(f"CheckpointedSequential: budget_bytes must be a positive int, "
                             f"got {budget_bytes!r}")
        self.layers = torch.nn.ModuleList(modules)
        self.budget_bytes = budget_bytes
        self.preserve_rng_state = preserve_rng_state
        self.fuse_segments = fuse_segments
        self._profile_options = dict(stages=stages, repeats=repeats,
                                     measure_temporaries=measure_temporaries,
                                     tune_malloc=tune_malloc, pool_times=pool_times)
        self.num_units = num_units
        self.profile = None
        self.plan = None
        self.chain = None
        if profile is not None:
            if not isinstance(profile, Profile) or profile.stages[-1].end != len(modules):
                raise ValueError("CheckpointedSequential: profile is not a Profile of these "
                                 "modules")
            self.profile = profile
            self._plan()
        elif sample_input is not None:
            self.replan(sample_input)

    def replan(self, sample_input, budget_bytes=None):
        """Measures the stages on sample_input (again) and plans for budget_bytes (default:
        the current budget). Returns the HeteroPlan."""
        if budget_bytes is not None:
            self.budget_bytes = budget_bytes
        self.profile = profile_sequence(self.layers, sample_input, **self._profile_options)
        self._plan()
        return self.plan

    def set_budget(self, budget_bytes):
        """Plans again for a new budget with the stages already measured."""
        if self.profile is None:
            raise ValueError("CheckpointedSequential.set_budget: no profile yet")
        # A budget that cannot be planned (too small, malformed) leaves the old one and its
        # plan: _plan() assigns the plan's state only once planning succeeded.
        previous = self.budget_bytes
        self.budget_bytes = budget_bytes
        try:
            self._plan()
        except BaseException:
            self.budget_bytes = previous
            raise
        return self.plan

    @property
    def segments(self):
        """The plan's segments as (begin, end) stage ranges (None before planning): each runs
        as one autograd graph, in the caller's graph if the plan never recomputes it, else as
        one node of it."""
        return None if self.plan is None else list(self._segments)

    def _units(self):
        """The planner's discretisation. Rounding sizes up to units of budget / M costs
        optimality (on the 50-block MLP, 500 units plan 0.7-1.5 % slower than byte-exact), so
        plan byte-exact (unit = gcd of all sizes, often a page) when that needs at most `most`
        units, the M for which planning takes about a second and its table at most 512 MiB:
        time grows about as M·L³ (L = 100 stages, M = 8000: 0.4 s; L = 400, M = 2000: 6 s),
        the table as M·L² doubles at worst (the 50-block MLP, M = 27,800: 82 MiB). Returns the
        options for plan_persistent and `most`."""
        stages = self.profile.stages
        num = len(stages)
        most = max(500, min(int(8e9 / num ** 3), (512 << 20) // (8 * num ** 2)))
        if self.num_units is not None:
            return {"num_units": self.num_units}, self.num_units
        unit = self.profile.output_bytes
        for s in stages:
            for size in (s.input_bytes, s.tape_bytes, s.forward_tmp_bytes, s.backward_tmp_bytes,
                         s.direct_backward_tmp_bytes, s.recording_tmp_bytes or 0):
                unit = math.gcd(unit, size)
        if self.budget_bytes // max(unit, 1) <= most:
            return {"exact": True}, most
        return {"num_units": most}, most

    def _plan(self):
        """Plans for the budget. A stage run as plain autograd (in a direct segment) needs a
        smaller backward temporary than one run inside a node (StageProfile), but which stages
        run directly depends on the plan. So plan with the node temporaries, then again with the
        direct ones for the stages that plan runs directly, keeping the new plan only if it
        still runs every one of them directly (then the model it was made in is the one that
        runs), and again while that set grows (a few rounds at most). A kept plan is never
        slower (the previous one is feasible in its model); on the 50-block MLP the top
        segment holds one stage more at the same budget (docs/torch.md, "Planning")."""
        units, most = self._units()
        self._stage_modules = [list(self.layers[s.begin:s.end]) for s in self.profile.stages]
        self._stage_params = [_unique_parameters(modules) for modules in self._stage_modules]
        plain = self.profile.plain_chain
        if self.fuse_segments and self.budget_bytes >= plain.store_all_peak():
            # store-all: plain autograd, one direct segment
            chain, assumed = plain, set(range(len(self._stage_modules)))
        else:
            chain, assumed = self.profile.chain, set()
        plan = self._plan_in(chain, units)
        if plan is None:
            curve = memory_time_curve(chain, num_units=most)
            smallest = curve[0].budget_bytes if curve else chain.store_all_peak()
            rounding = ("" if self.num_units is None else
                        f" with sizes rounded up to num_units={self.num_units} units (more units "
                        f"round less)")
            raise ValueError(f"CheckpointedSequential: no schedule fits {self.budget_bytes} "
                             f"bytes{rounding}; the smallest feasible budget is about {smallest} "
                             f"bytes (storing everything needs {chain.store_all_peak()})")
        layout = self._fuse(plan, chain)
        for _ in range(4 if self.fuse_segments else 0):
            direct = self._direct_stages(layout)
            if direct <= assumed:
                break
            candidate_chain = self.profile.chain_for(direct)
            candidate = self._plan_in(candidate_chain, units)
            if candidate is None:  # (rounding: the units follow the chain's store-all peak)
                break
            candidate_layout = self._fuse(candidate, candidate_chain)
            if not direct <= self._direct_stages(candidate_layout):
                break
            plan, chain, layout, assumed = candidate, candidate_chain, candidate_layout, direct
        self.plan, self.chain = plan, chain
        self._ops = [(op.kind, op.stage) for op in plan.schedule]
        self._segments, self._direct, self._chained, self._keep = layout
        self._segment_params = [_unique_parameters(m for i in range(b, e)
                                                   for m in self._stage_modules[i])
                                for b, e in self._segments]

    def _plan_in(self, chain, units):
        plan = plan_persistent(chain, self.budget_bytes, **units)
        if plan is None and "num_units" in units:
            # memory_time_curve's rounding: its budgets are guaranteed to fit
            unit = max(1, chain.store_all_peak() // units["num_units"])
            plan = plan_persistent(chain, self.budget_bytes, unit_bytes=unit)
        return plan

    @staticmethod
    def _direct_stages(layout):
        segments, direct = layout[0], layout[1]
        return {i for (begin, end), d in zip(segments, direct) if d for i in range(begin, end)}

    def _fuse(self, plan, chain):
        """Segments of stages the plan never separates, each run as one autograd graph (one
        call and one node per stage cost the 50-block MLP about 1 % of its step, docs/torch.md).
        Stages i-1 and i join when the plan records them one right after the other for the
        tapes their backwards use, and runs B_i, B_{i-1} one right after the other, with x_i
        not stored alone.

        A segment recorded in the first sweep, never run again, whose backwards follow the
        loss or the backwards above it at once, is *direct*: its modules run in the caller's
        graph, as plain autograd (the whole chain when nothing is recomputed). The others are
        one node each, differentiated by one torch.autograd.grad call; that call hands back
        the parameter gradients of all their stages at its end, where plain autograd adds
        each to .grad after its own stage. When .grad already holds a tensor (gradient
        accumulation) those wait in memory, so in such a segment a stage joins the one above
        it only while the plan's peak during its backward (hetero_timeline) plus the
        gradients waiting stays within the budget.

        Returns the segments as (begin, end) stage ranges, whether each is direct, the
        indices of the recording forwards that continue the graph of the stage before, and
        the stages i whose input x_i a direct segment must keep for later operations."""
        ops, num = [(op.kind, op.stage) for op in plan.schedule], len(self._stage_modules)
        if not self.fuse_segments:
            return [(i, i + 1) for i in range(num)], [False] * num, set(), set()
        backward, recording, alone = {}, {}, {}
        loss, rerun, from_tape = len(ops), set(), set()
        stored = {0}  # the x_i stored alone, as _Run.inputs holds them
        for index, (kind, i) in enumerate(ops):
            if kind in (_CF, _FN, _FE) and index > loss:
                rerun.add(i)
                if i not in stored:
                    from_tape.add(i)
            if kind == _FE:  # B_i uses the tape of the last one
                recording[i], alone[i] = index, i in stored
            elif kind in (_CF, _FN):
                stored.add(i + 1)
                if kind == _FN:
                    stored.discard(i)
            elif kind == _LOSS:
                loss = index
                stored.discard(i)
            elif kind == _BACKWARD:
                backward[i] = index
                stored.discard(i)
        starts = [0] + [i for i in range(1, num)
                        if not (recording[i - 1] + 1 == recording[i] and not alone[i] and
                                backward[i] + 1 == backward[i - 1])]
        grad_bytes = [sum(_tensor_bytes(p) for p in params) for params in self._stage_params]
        timeline = None
        segments, direct = [], []
        for begin, end in zip(starts, starts[1:] + [num]):
            if (all(recording[i] < loss and i not in rerun for i in range(begin, end)) and
                    ops[backward[end - 1] - 1][0] in (_LOSS, _BACKWARD)):
                segments.append((begin, end))
                direct.append(True)
                continue
            if timeline is None:
                timeline = hetero_timeline(plan.schedule, chain, self.budget_bytes)
            cuts, waiting = [], 0
            for i in range(end - 2, begin - 1, -1):  # does stage i join the segment above it?
                waiting += grad_bytes[i + 1]
                if timeline[backward[i]].peak_bytes + waiting > self.budget_bytes:
                    cuts.append(i + 1)
                    waiting = 0
            bounds = [begin] + cuts[::-1] + [end]
            segments += zip(bounds, bounds[1:])
            direct += [False] * (len(bounds) - 1)
        chained = {recording[i] for (begin, end), d in zip(segments, direct) if not d
                   for i in range(begin + 1, end)}
        keep = {end for (_, end), d in zip(segments, direct) if d and end in from_tape}
        return segments, direct, chained, keep

    def forward(self, x):
        if not isinstance(x, torch.Tensor):
            raise ValueError("CheckpointedSequential: the input must be a tensor")
        needs_grad = torch.is_grad_enabled() and (
            x.requires_grad or any(p.requires_grad for p in self.layers.parameters()))
        if not needs_grad:
            return _run(self.layers, x)
        if (self.profile is None or tuple(x.shape) != self.profile.input_shape or
                x.dtype != self.profile.input_dtype):
            self.replan(x)
        run = _Run(self, x)
        for s, (direct, params) in enumerate(zip(self._direct, self._segment_params)):
            x = run.forward_direct(s, x) if direct else _SegmentFunction.apply(run, s, x, *params)
        return x

    def extra_repr(self):
        planned = "not planned" if self.plan is None else repr(self.plan)
        return f"budget_bytes={self.budget_bytes}, {planned}"
