"""Running a plan through autograd: CheckpointedSequential and the state of one call."""

import torch

from memsched.torch.plan import _BACKWARD, _CF, _FE, _FN, _FREE, _LOSS, _Planning
from memsched.torch.profile import Profile, _run, profile_sequence


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


class CheckpointedSequential(_Planning, torch.nn.Module):
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
