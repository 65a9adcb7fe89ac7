"""Measuring the stages of a sequence of modules: times, sizes and temporaries."""

import time

import torch
from torch.autograd.graph import saved_tensors_hooks

from memsched._memsched import HeteroChain, HeteroLoss, HeteroStage
from memsched.torch.meter import PeakMeter, _storage_key, _tensor_bytes


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
    model count memory autograd frees: docs/theory/heterogeneous.md, Linear + ReLU) and it
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
