"""CheckpointedModule: any nn.Module trained under a memory budget, its graph captured with
torch.fx, planned with the graph rematerialization planners and run with recomputation."""

import contextlib
import gc
import math
import os
import pickle
import re
import time
import weakref

import torch
import torch.fx as fx
from torch.autograd.graph import saved_tensors_hooks
from torch.utils._pytree import tree_flatten, tree_unflatten

from memsched._memsched import (Graph, ScheduleError, graph_min_feasible_budget, graph_min_peak,
                                graph_remat)
from memsched.torch.meter import PeakMeter
from memsched.torch.trace import bind_inputs, capture

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_budget(budget, store_all_bytes=None):
    """A budget in bytes from an int, a string such as "8GB", "512MiB" or "50%", or a float in
    (0, 1] (a fraction of `store_all_bytes`, the predicted peak of plain autograd). ValueError
    naming the argument on anything else."""
    if isinstance(budget, bool):
        raise ValueError(f"budget: expected bytes, a size string or a fraction, got {budget!r}")
    fraction = None
    if isinstance(budget, int):
        if budget <= 0:
            raise ValueError(f"budget: must be positive, got {budget}")
        return budget
    if isinstance(budget, float):
        fraction = budget
    elif isinstance(budget, str):
        text = budget.strip().lower().replace(" ", "")
        match = re.fullmatch(r"([0-9]*\.?[0-9]+)(%|[kmgt]i?b|b|)", text)
        if not match:
            raise ValueError(f"budget: cannot read {budget!r} (examples: 8GB, 512MiB, 50%)")
        number, unit = float(match.group(1)), match.group(2)
        if unit == "%":
            fraction = number / 100
        else:
            value = int(number * _UNITS[unit])
            if value <= 0:
                raise ValueError(f"budget: must be positive, got {budget!r}")
            return value
    else:
        raise ValueError(f"budget: expected bytes, a size string or a fraction, got {budget!r}")
    if not (math.isfinite(fraction) and 0 < fraction <= 1):
        raise ValueError(f"budget: a fraction must lie in (0, 1], got {budget!r}")
    if store_all_bytes is None:
        raise ValueError("budget: a fraction needs a sample input to measure store-all's peak")
    return max(1, int(fraction * store_all_bytes))


def _remat(graph, budget, algorithm):
    """graph_remat, or None where the planner's schedule fails its own replay (ScheduleError:
    the greedy planner returned a schedule computing a node whose predecessor was evicted, on
    a 24-block graph of six transformer encoder layers): that budget then seeds nothing, and
    the descent judged by the replay of the run covers the curve."""
    try:
        return graph_remat(graph, budget, algorithm)
    except ScheduleError:
        return None


def _fetch(root, target):
    value = root
    for part in target.split("."):
        value = getattr(value, part)
    return value


def _mutated_argument(node, root):
    """The argument node an in-place node writes to, or None."""
    if not node.args or not isinstance(node.args[0], fx.Node):
        return None
    if node.op == "call_module":
        inplace = getattr(root.get_submodule(node.target), "inplace", False)
    elif node.op == "call_method":
        inplace = node.target.endswith("_") and not node.target.endswith("__")
    elif node.op == "call_function":
        name = getattr(node.target, "__name__", "")
        inplace = (node.kwargs.get("inplace", False) is True or
                   (name.endswith("_") and not name.endswith("__")) or
                   (name.startswith("i") and getattr(node.target, "__module__", "") in
                    ("_operator", "operator")))
    else:
        inplace = False
    return node.args[0] if inplace else None


def _tensors(value):
    return [t for t in tree_flatten(value)[0] if isinstance(t, torch.Tensor)]


def _storages(value, persistent):
    out = {}
    for t in _tensors(value):
        storage = t.storage()
        if storage.data_ptr() not in persistent and storage.nbytes() > 0:
            out[storage.data_ptr()] = storage.nbytes()
    return out


class _Program:
    """The captured graph as a list of nodes run in order, with the users of each node."""

    def __init__(self, gm, graph, inputs, constants):
        self.gm = gm
        nodes = [n for n in graph.nodes]
        # drop values nothing reads that are not tensors (fx records the tests of Python
        # control flow it was specialised on, e.g. src.dim() == 3)
        for n in reversed(nodes):
            if (not n.users and n.op in ("call_function", "call_method") and
                    not isinstance(n.meta.get("concrete"), torch.Tensor) and
                    n.meta.get("concrete") is not None and _mutated_argument(n, gm) is None):
                graph.erase_node(n)
        self.nodes = [n for n in graph.nodes if n.op != "output"]
        self.output = next(n for n in graph.nodes if n.op == "output")
        self.index = {n: i for i, n in enumerate(self.nodes)}
        for n in graph.nodes:
            n.meta.pop("concrete", None)  # the sample's values: not kept alive
        self.sources = {}
        for n in self.nodes:
            if n.op == "placeholder":
                if n.target in inputs:
                    self.sources[n] = ("input", n.target)
                else:
                    self.sources[n] = ("constant", constants[n.target.rsplit("_", 1)[0]])
        count = len(self.nodes)
        self.args = [[self.index[a] for a in n.all_input_nodes] for n in self.nodes]
        self.users = [sorted({self.index[u] if u.op != "output" else count for u in n.users})
                      for n in self.nodes]
        self.outputs = {self.index[a] for a in self.output.all_input_nodes}
        self.mutated = {}  # node index -> index of the node whose value it writes in place
        for i, n in enumerate(self.nodes):
            target = _mutated_argument(n, gm)
            if target is not None:
                self.mutated[i] = self.index[target]
        self.modules = [gm.get_submodule(n.target) if n.op == "call_module" else None
                        for n in self.nodes]
        # the nodes that read each trainable parameter (through their module or get_attr)
        self.param_users = {}
        for i, n in enumerate(self.nodes):
            if self.modules[i] is not None:
                params = list(self.modules[i].parameters())
            elif n.op == "get_attr":
                t = _fetch(gm, n.target)
                params = [t] if isinstance(t, torch.nn.Parameter) else []
            else:
                params = []
            for t in params:
                if t.requires_grad:
                    self.param_users.setdefault(id(t), set()).add(i)

    def run_node(self, i, env):
        n = self.nodes[i]

        def value(a):
            return env[a]
        args = fx.node.map_arg(n.args, value)
        kwargs = fx.node.map_arg(n.kwargs, value)
        if n.op == "call_module":
            return self.modules[i](*args, **kwargs)
        if n.op == "call_function":
            return n.target(*args, **kwargs)
        if n.op == "call_method":
            return getattr(args[0], n.target)(*args[1:], **kwargs)
        if n.op == "get_attr":
            return _fetch(self.gm, n.target)
        raise RuntimeError(f"CheckpointedModule: cannot run node {n.name} ({n.op})")

    def placeholder_value(self, n, inputs):
        kind, what = self.sources[n]
        return inputs[what] if kind == "input" else what


class _CudaMeter:
    """PeakMeter's interface over the CUDA caching allocator's statistics of one device:
    what a step on the GPU adds is planned and measured in device bytes."""

    available = True

    def __init__(self, device):
        self.device = device

    def reset(self):
        torch.cuda.synchronize(self.device)
        torch.cuda.reset_peak_memory_stats(self.device)

    def rss(self):
        return torch.cuda.memory_allocated(self.device)

    def peak(self):
        torch.cuda.synchronize(self.device)
        return torch.cuda.max_memory_allocated(self.device)


def meter_for(tensors):
    """The meter for a step on these tensors: CUDA allocator statistics when one is on a GPU,
    else PeakMeter (VmHWM; None where /proc is missing)."""
    for t in tensors:
        if t.is_cuda:
            return _CudaMeter(t.device)
    meter = PeakMeter()
    return meter if meter.available else None


class _NodeProfile:
    __slots__ = ("time", "out", "saved", "tmp", "grad_bytes", "needs_grad")


def _profile(program, inputs, persistent, meter, repeats):
    """Per node: forward CPU time (median of `repeats`), the storages of its output and those
    autograd saves for it (data pointer -> bytes, parameters and buffers excluded), the
    temporary its forward needs beyond them (VmHWM), its output's gradient bytes. Also the
    total backward time. All values stay alive during the run, so data pointers identify
    storages."""
    count = len(program.nodes)
    cuda = any(t.is_cuda for t in _tensors(inputs))
    # CPU time on a CPU (other processes do not count); wall time around synchronisations
    # on a GPU
    clock = time.perf_counter if cuda else time.process_time
    profiles = [_NodeProfile() for _ in range(count)]
    times = [[] for _ in range(count)]
    backward_times = []
    for attempt in range(repeats + 1):  # attempt 0 warms up
        env = {}
        record = attempt == (1 if meter is not None else 0)  # storages of one run only
        seen = set()
        for i, n in enumerate(program.nodes):
            if n.op == "placeholder":
                env[n] = program.placeholder_value(n, inputs)
                p = profiles[i]
                p.time, p.saved, p.tmp = 0.0, {}, 0
                p.out = _storages(env[n], persistent)
                seen.update(p.out)
                continue
            saved = {}

            def pack(t, saved=saved):
                storage = t.storage()
                if storage.data_ptr() not in persistent:
                    saved[storage.data_ptr()] = storage.nbytes()
                return t
            if record and meter is not None:
                meter.reset()
                before = meter.rss()
            if cuda:
                torch.cuda.synchronize()
            start = clock()
            with torch.enable_grad(), saved_tensors_hooks(pack, lambda t: t):
                env[n] = program.run_node(i, env)
            if cuda:
                torch.cuda.synchronize()
            times[i].append(clock() - start)
            if record:
                p = profiles[i]
                p.out = _storages(env[n], persistent)
                p.saved = saved
                p.tmp = 0
                if meter is not None:
                    new = sum(b for ptr, b in {**p.out, **p.saved}.items() if ptr not in seen)
                    p.tmp = max(0, meter.peak() - before - new)
                seen.update(p.out)
                seen.update(p.saved)
        outs = [t for j in program.outputs for t in _tensors(env[program.nodes[j]])
                if t.requires_grad]
        start = clock()
        if outs:
            torch.autograd.backward(outs, [torch.ones_like(t) for t in outs])
        if cuda:
            torch.cuda.synchronize()
        backward_times.append(clock() - start)
        if attempt == 0:
            for i, n in enumerate(program.nodes):
                floats = [t for t in _tensors(env[n]) if t.requires_grad]
                profiles[i].needs_grad = bool(floats)
                profiles[i].grad_bytes = sum(t.numel() * t.element_size() for t in floats)
        del env, outs
    for i in range(count):
        if times[i]:
            profiles[i].time = sorted(times[i][1:])[len(times[i][1:]) // 2]
    return profiles, sorted(backward_times[1:])[len(backward_times[1:]) // 2]


class _Estimate:
    """Peak memory of one training step run with a given set of recomputed segments: replays
    the forward and the backward over storages, each held while a node's output is still to be
    read, while autograd keeps it for a backward, while a segment keeps its inputs, while a
    gradient waits (docs/torch.md, "The model of the run")."""

    def __init__(self, program, profiles, backward_tmp):
        self.program, self.p = program, profiles
        self.backward_tmp = backward_tmp  # per node: its block's backward temporary
        count = len(program.nodes)
        # the parameter gradients a node's backward creates before adding them to .grad
        self.param_bytes = []
        for i, n in enumerate(program.nodes):
            if program.modules[i] is not None:
                params = [t for t in program.modules[i].parameters() if t.requires_grad]
            elif n.op == "get_attr":
                t = _fetch(program.gm, n.target)
                params = [t] if isinstance(t, torch.nn.Parameter) and t.requires_grad else []
            else:
                params = []
            self.param_bytes.append(sum(t.numel() * t.element_size() for t in params))
        self.last_use = [max([u for u in program.users[i]], default=i) for i in range(count)]
        # the inputs' storages: allocated by the caller before the step, not by it
        self.given = {ptr for i, n in enumerate(program.nodes) if n.op == "placeholder"
                      for ptr in profiles[i].out}

    def peak(self, units):
        alive, holders = {}, {}
        state = {"mem": 0, "peak": 0}
        p, program = self.p, self.program

        def hold(key, nbytes, who):
            if key not in holders:
                holders[key] = set()
                nbytes = 0 if key in self.given else nbytes
                alive[key] = nbytes
                state["mem"] += nbytes
            holders[key].add(who)

        def release(key, who):
            h = holders.get(key)
            if h is None:
                return
            h.discard(who)
            if not h:
                del holders[key]
                state["mem"] -= alive.pop(key)

        def top(extra=0):
            state["peak"] = max(state["peak"], state["mem"] + extra)

        def forward_node(i, tape, ctx=None):
            for ptr, b in p[i].out.items():
                hold(ptr, b, ("env", i))
            if tape:
                for ptr, b in p[i].saved.items():
                    hold(ptr, b, ("tape", i))
            top(p[i].tmp)
            for j in program.args[i]:
                if self.last_use[j] == i and j not in program.outputs:
                    for ptr in p[j].out:
                        release(ptr, ("env", j))

        for kind, what in units:
            if kind == "node":
                forward_node(what, tape=True)
            else:
                seg = what
                for j in seg.inputs:
                    for ptr, b in p[j].out.items():
                        hold(ptr, b, ("ctx", seg.id))
                for i in seg.nodes:
                    forward_node(i, tape=False)
        for j in program.outputs:
            for ptr, b in p[j].out.items():
                hold(ptr, b, ("out",))
                release(ptr, ("env", j))
        # backward
        for j in program.outputs:
            if p[j].needs_grad:
                hold(("g", j), p[j].grad_bytes, "g")

        def backward_node(i, tape_who):
            for j in program.args[i]:
                if p[j].needs_grad and program.nodes[j].op != "placeholder":
                    hold(("g", j), p[j].grad_bytes, "g")
            top(self.param_bytes[i] + self.backward_tmp[i])
            for ptr in list(p[i].saved) + list(p[i].out):
                release(ptr, tape_who(i))
            release(("g", i), "g")

        for kind, what in reversed(units):
            if kind == "node":
                backward_node(what, lambda i: ("tape", i))
                continue
            seg = what
            external = set()
            for j in seg.inputs:
                external.update(p[j].out)
            inside = set(seg.nodes)
            outputs = set(seg.outputs)
            for i in seg.nodes:  # the recomputation: new storages for all but the inputs
                for ptr, b in p[i].out.items():
                    if ptr not in external:
                        hold(("re", ptr), b, ("re-out", i))
                for ptr, b in p[i].saved.items():
                    if ptr not in external:
                        hold(("re", ptr), b, ("re", i))
                top(p[i].tmp)
                for j in program.args[i]:
                    # an output read for the last time is freed unless autograd saved it;
                    # the segment's outputs stay referenced until its backward ends
                    if (j in inside and j not in outputs and
                            max(u for u in program.users[j]) <= i):
                        for ptr in p[j].out:
                            release(("re", ptr), ("re-out", j))
            # the recomputed outputs are freed before the backward, unless autograd saved them
            for i in seg.outputs:
                for ptr in p[i].out:
                    release(("re", ptr), ("re-out", i))
            # the inputs stay alive only where a node saved them, until that node's backward
            for i in seg.nodes:
                for ptr, b in p[i].saved.items():
                    if ptr in external:
                        hold(ptr, b, ("re", i))
            for j in seg.inputs:
                for ptr in p[j].out:
                    release(ptr, ("ctx", seg.id))
            # the backward of the first run's graph: node by node, as plain autograd
            for i in reversed(seg.nodes):
                for j in program.args[i]:
                    if p[j].needs_grad and program.nodes[j].op != "placeholder":
                        hold(("g", j), p[j].grad_bytes, "g")
                top(self.backward_tmp[i] + self.param_bytes[i])
                for ptr in p[i].saved:
                    release(("re", ptr), ("re", i))
                    release(ptr, ("re", i))
                release(("g", i), "g")
        return state["peak"]


class _Segment:
    """Consecutive nodes whose forward saves nothing for the backward: the backward recomputes
    them when it first needs what they would have saved."""

    def __init__(self, ident, nodes, program):
        self.id = ident
        self.nodes = list(nodes)
        inside = set(self.nodes)
        self.inputs = sorted({j for i in self.nodes for j in program.args[i] if j not in inside})
        self.outputs = [i for i in self.nodes
                        if any(u not in inside for u in program.users[i])]
        buffers = {}
        for i in self.nodes:
            m = program.modules[i]
            if m is not None:
                for t in m.buffers():
                    buffers.setdefault(id(t), t)
            elif program.nodes[i].op == "get_attr":
                t = _fetch(program.gm, program.nodes[i].target)
                if isinstance(t, torch.Tensor) and not isinstance(t, torch.nn.Parameter):
                    buffers.setdefault(id(t), t)
        self.buffers = list(buffers.values())
        # the last node reading each value inside the segment (values are freed after it)
        self.last = {}
        for i in self.nodes:
            for j in program.args[i]:
                self.last[j] = i


def _devices(tensors):
    return sorted({t.device.index or 0 for t in tensors if t.is_cuda})


class _Saved:
    """Stands for a tensor a segment's forward did not keep (weakly referenced: autograd drops
    it with the node that saved it, and the recomputed value with it)."""

    __slots__ = ("__weakref__",)


class _SegmentRun:
    """One segment in one step. Its forward runs with autograd, so its nodes are nodes of the
    caller's autograd graph, but under saved_tensors_hooks that keep, of what autograd saves,
    only parameters, buffers and the segment's inputs (and views of them); the rest is
    replaced by a _Saved. The first unpack of a _Saved in the backward runs the segment again
    (same RNG states, autocast region and inputs; buffers put back afterwards) and keeps what
    autograd saves there in place of each _Saved still alive. The backward itself is then
    plain autograd's on the first run's graph: each node frees its gradient and saved tensors
    as it runs, adds its parameters' gradients to .grad (or returns them to
    torch.autograd.grad), and sums the contributions to a value in plain autograd's order.
    This is what torch.utils.checkpoint(use_reentrant=False) does for one function."""

    def __init__(self, seg, program, external, persistent):
        self.seg, self.program = seg, program
        self.external = external  # node index -> value, dropped once recomputed
        self.kept = set(persistent)
        for value in external.values():
            for t in _tensors(value):
                if t.layout == torch.strided:
                    self.kept.add(t.storage().data_ptr())
        self.slots = []  # per pack in order: a weakref to its _Saved, or None (kept as is)
        self.storage = weakref.WeakKeyDictionary()
        self.recomputed = False
        tensors = [t for v in external.values() for t in _tensors(v)]
        self.versions = [(t, t._version) for t in tensors]
        self.devices = _devices(tensors)
        self.cpu_rng = torch.get_rng_state()
        self.cuda_rng = [torch.cuda.get_rng_state(d) for d in self.devices]
        self.autocast = dict(device_type="cpu", enabled=torch.is_autocast_cpu_enabled(),
                             dtype=torch.get_autocast_cpu_dtype())

    def _nodes(self, external):
        program, seg = self.program, self.seg
        env = {program.nodes[j]: v for j, v in external.items()}
        outputs = set(seg.outputs)
        for i in seg.nodes:
            env[program.nodes[i]] = program.run_node(i, env)
            for j in program.args[i]:
                if seg.last[j] == i and j not in outputs:
                    env.pop(program.nodes[j], None)
        return {i: env[program.nodes[i]] for i in seg.outputs}

    def pack(self, t):
        if t.layout == torch.strided and t.storage().data_ptr() in self.kept:
            self.slots.append(None)
            return t.detach()
        saved = _Saved()
        self.slots.append(weakref.ref(saved))
        return saved

    def unpack(self, packed):
        if isinstance(packed, torch.Tensor):
            return packed
        if not self.recomputed:
            self._recompute()
        return self.storage[packed]

    def forward(self):
        with torch.enable_grad(), saved_tensors_hooks(self.pack, self.unpack):
            return self._nodes(self.external)

    def _recompute(self):
        for t, version in self.versions:
            if t._version != version:
                raise RuntimeError("CheckpointedModule: an input of a recomputed segment was "
                                   "modified in place after the segment ran")
        position = 0

        def inner_pack(t):
            nonlocal position
            slot = self.slots[position] if position < len(self.slots) else None
            position += 1
            saved = slot() if slot is not None else None
            if saved is not None:
                self.storage[saved] = t.detach()

        def inner_unpack(_):
            raise RuntimeError("CheckpointedModule: a recomputation's graph was differentiated")
        snapshot = [(b, b.detach().clone()) for b in self.seg.buffers]
        with torch.random.fork_rng(devices=self.devices):
            torch.set_rng_state(self.cpu_rng)
            for d, state in zip(self.devices, self.cuda_rng):
                torch.cuda.set_rng_state(state, d)
            with torch.enable_grad(), torch.autocast(**self.autocast), \
                    saved_tensors_hooks(inner_pack, inner_unpack):
                self._nodes(self.external)
        for b, value in snapshot:
            b.data.copy_(value)  # .data: no version bump on tensors autograd saved
        self.recomputed = True
        # the inputs stay alive only where autograd saved them
        self.external = self.versions = None


class MemoryTimePoint:
    """One point of the memory-time curve: the predicted peak (bytes) and step time (seconds)
    of a plan, the fx nodes it recomputes and its segments."""

    __slots__ = ("peak_bytes", "time", "recomputed", "segments", "measured_bytes", "state")

    def __init__(self, peak_bytes, time_, recomputed, segments):
        self.peak_bytes, self.time = peak_bytes, time_
        self.recomputed, self.segments = recomputed, segments
        self.state = None  # per block: 0 autograd, 1 starts a segment, 2 continues one
        self.measured_bytes = None  # the peak of a step on the sample, once measured

    def __repr__(self):
        return (f"MemoryTimePoint(peak_bytes={self.peak_bytes}, time={self.time:.6f}, "
                f"segments={len(self.segments)}, recomputed_nodes={len(self.recomputed)}, "
                f"measured_bytes={self.measured_bytes})")


@contextlib.contextmanager
def _trial_state(model, params, inputs):
    """Runs a measuring step in train mode and forked RNG, then puts back what it changes: each
    module's training flag, the buffers' values (BatchNorm statistics) and the .grad of
    `params` (the caller sets them inside)."""
    modes = [(m, m.training) for m in model.modules()]
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    grads = [(p, p.grad) for p in params]
    try:
        model.train()
        with torch.random.fork_rng(devices=_devices(_tensors(inputs))):
            yield
    finally:
        with torch.no_grad():
            for b, value in buffers:
                b.data.copy_(value)
        for p, g in grads:
            p.grad = g
        for m, mode in modes:
            m.training = mode


#: The documented constant of CheckpointedModule (docs/torch.md, "Any model", "Limits"): a
#: training step under the chosen plan measures at most the budget plus this much. It covers
#: the verification's tolerance (`tolerance`, 0.5 MiB by default: what the replay misses, such
#: as allocator granularity, within the one step verification measures) and how far a later
#: step of the same plan measures from that verified step. Measured, not proven: in two full runs
#: of bench/torch_models.py the largest excess over the budget was 0.64 MiB.
BUDGET_CONSTANT_BYTES = 1 << 20


class CheckpointedModule(torch.nn.Module):
    """Any nn.Module trained under a memory budget, with recomputation planned on its graph.

    ``CheckpointedModule(model, budget, *sample_args, **sample_kwargs)``: budget in bytes, a
    string ("8GB", "512MiB", "50%") or a float in (0, 1] (a fraction of plain autograd's
    predicted peak). The sample arguments are those of ``model.forward``; tensors (also inside
    tuples, lists, dicts) are inputs, other values are constants the graph is specialised on.

    The model's graph is captured with torch.fx on the sample (control flow follows the
    sample; submodules that cannot be traced are single nodes; a model that cannot be traced at
    all is one node and cannot be checkpointed). Each node is measured (time, output, what
    autograd saves, temporaries); consecutive nodes are grouped into `blocks` blocks, the
    forward and backward of the blocks form a memsched Graph, and the graph rematerialization
    planner (exact A* up to `exact_nodes` graph nodes, greedy beyond) chooses at a range of
    budgets which blocks to recompute. Each choice runs as segments of recomputed nodes
    (run with autograd under saved-tensor hooks that keep only their inputs, recomputed when
    the backward first needs what they saved); its peak
    is predicted by replaying the step over storages, plus a constant calibrated on a measured
    plain step. The fastest plan predicted within the budget whose step on the sample also
    measures within it runs (failing those, the fastest plan measured within it).

    Calls in training mode with grad enabled run the plan; otherwise the model just runs.
    An input of another shape, dtype, structure or constant captures and plans again.
    Raises ValueError when no plan fits (naming the smallest feasible budget).
    Attributes: ``plan`` (the MemoryTimePoint chosen), ``curve`` (all of them),
    ``store_all_bytes``, ``budget_bytes``, ``graph`` (the block Graph), ``program``.
    """

    def __init__(self, model, budget, *sample_args, blocks=24, exact_nodes=14, repeats=2,
                 measure_temporaries=True, tune_malloc=True, verify=4, tolerance=1 << 19,
                 **sample_kwargs):
        super().__init__()
        if not isinstance(model, torch.nn.Module):
            raise ValueError(f"CheckpointedModule: model must be an nn.Module, got "
                             f"{type(model).__name__}")
        if not isinstance(blocks, int) or blocks < 1:
            raise ValueError(f"CheckpointedModule: blocks must be a positive int, got {blocks!r}")
        self.model = model
        self.budget = budget
        parse_budget(budget, 1)  # reject malformed budgets at once
        self.num_blocks, self.exact_nodes, self.repeats = blocks, exact_nodes, repeats
        self.measure_temporaries, self.tune_malloc = measure_temporaries, tune_malloc
        if not isinstance(verify, int) or verify < 0:
            raise ValueError(f"CheckpointedModule: verify must be an int >= 0, got {verify!r}")
        self.verify = verify
        self.tolerance = int(tolerance)  # measured peaks may exceed the budget by this much
        self._key = None
        self._sample = self._meter = None
        self.plan = self.curve = self.program = self.graph = None
        self.store_all_bytes = self.budget_bytes = None
        if sample_args or sample_kwargs:
            self.prepare(*sample_args, **sample_kwargs)

    # ---- capture, measure, plan --------------------------------------------------------------
    @staticmethod
    def _signature(inputs, constants):
        def describe(v):
            if isinstance(v, torch.Tensor):
                return ("T", tuple(v.shape), v.dtype, str(v.device), v.requires_grad)
            return ("C", type(v).__name__, repr(v))
        parts = []
        for name, value in sorted(inputs.items()):
            leaves, spec = tree_flatten(value)
            parts.append((name, str(spec), tuple(describe(v) for v in leaves)))
        for name, value in sorted(constants.items()):
            parts.append((name, repr(value)))
        return tuple(parts)

    def prepare(self, *args, **kwargs):
        """Captures, measures and plans on these arguments (what the first call with a new
        input signature does). Returns the chosen MemoryTimePoint."""
        inputs, constants = bind_inputs(self.model, args, kwargs)
        self._prepare(inputs, constants)
        return self.plan

    def _prepare(self, inputs, constants):
        model = self.model
        self.__dict__["_segment_cache"] = {}  # segments of the previous capture
        with _trial_state(model, list(model.parameters()), inputs):
            for p in model.parameters():
                p.grad = None  # the measured backwards must not add to the caller's gradients
            gm, self.opaque, graph = capture(model, inputs, constants)
            program = _Program(gm, graph, inputs, constants)
            persistent = {t.storage().data_ptr() for t in
                          list(model.parameters()) + list(model.buffers())}
            meter = None
            if self.measure_temporaries:
                tensors = _tensors(inputs)
                if self.tune_malloc and not any(t.is_cuda for t in tensors):
                    PeakMeter.tune_malloc()
                meter = meter_for(tensors)
            profiles, backward_time = _profile(program, inputs, persistent, meter,
                                               self.repeats)
            self.program, self.profiles = program, profiles
            self._build_blocks()
            block_tmp = (self._measure_block_backwards(program, inputs, meter) if meter
                         else [0] * len(self.blocks))
            measured = self._measure_plain(program, inputs, meter) if meter else None
        self.program, self.profiles, self.backward_time = program, profiles, backward_time
        self.block_backward_tmp = block_tmp
        backward_tmp = [0] * len(program.nodes)
        for nodes, tmp in zip(self.blocks, block_tmp):
            for i in nodes:
                backward_tmp[i] = tmp
        self._meter_kind = meter
        self._estimator = _Estimate(program, profiles, backward_tmp)
        plain_units = [("node", i) for i in range(len(program.nodes))]
        estimate = self._estimator.peak(plain_units)
        self.slack = 0 if measured is None else max(0, measured - estimate)
        self.store_all_bytes = estimate + self.slack
        self._build_curve()
        self._key = self._signature(inputs, constants)
        self._sample = inputs
        self._meter = meter
        self._choose()

    def _measure_block_backwards(self, program, inputs, meter):
        """Per block, the temporary of its backward (VmHWM or CUDA allocator): the peak of
        differentiating its nodes from their inputs, less the gradients that returns (inputs'
        and parameters'). The inputs' values on the sample come from one run without grad."""
        env = {}
        with torch.no_grad():
            for i, n in enumerate(program.nodes):
                if n.op == "placeholder":
                    env[n] = program.placeholder_value(n, inputs)
                else:
                    env[n] = program.run_node(i, env)
        result = []
        for nodes in self.blocks:
            inside = set(nodes)
            needed = {j for i in nodes for j in program.args[i] if j not in inside}
            local = {}
            for j in needed:
                leaves, spec = tree_flatten(env[program.nodes[j]])
                grad = self.profiles[j].needs_grad
                leaves = [t.detach().requires_grad_(grad and (t.is_floating_point() or
                                                              t.is_complex()))
                          if isinstance(t, torch.Tensor) else t for t in leaves]
                local[program.nodes[j]] = tree_unflatten(leaves, spec)
            with torch.enable_grad():
                for i in nodes:
                    local[program.nodes[i]] = program.run_node(i, local)
            outs = [t for i in nodes if any(u not in inside for u in program.users[i])
                    for t in _tensors(local[program.nodes[i]]) if t.requires_grad]
            wanted = [t for j in needed for t in _tensors(local[program.nodes[j]])
                      if t.requires_grad]
            wanted += list({id(t): t for i in nodes if program.modules[i] is not None
                            for t in program.modules[i].parameters() if t.requires_grad}.values())
            if not outs or not wanted:
                result.append(0)
                continue
            grad_outs = [torch.ones_like(t) for t in outs]
            meter.reset()
            before = meter.rss()
            grads = torch.autograd.grad(outs, wanted, grad_outs, allow_unused=True)
            peak = meter.peak() - before
            returned = sum(g.numel() * g.element_size() for g in grads if g is not None)
            result.append(max(0, peak - returned))
            del grads, outs, wanted, grad_outs, local
        return result

    def _measure_plain(self, program, inputs, meter):
        """The measured peak of one plain step (VmHWM or CUDA allocator) in the steady state
        of training: .grad already allocated (zeros here), so each parameter's gradient is a
        transient added to it, as from the second step on."""
        params = [p for p in self.model.parameters() if p.requires_grad]
        for p in params:
            p.grad = torch.zeros_like(p)
        gc.collect()  # garbage freed during the step would hide what it allocates
        meter.reset()
        before = meter.rss()
        outputs = self._run_units(program, inputs, [("node", i) for i in range(len(program.nodes))])
        outs = [t for t in _tensors(outputs) if t.requires_grad]
        if outs:
            torch.autograd.backward(outs, [torch.ones_like(t) for t in outs])
        peak = meter.peak() - before
        del outputs, outs
        return max(0, peak)

    def _build_blocks(self):
        """Groups consecutive nodes into blocks, cut where few bytes cross and no value
        crossing is later written in place; placeholders and get_attr nodes stay outside."""
        program, p = self.program, self.profiles
        count = len(program.nodes)
        movable = [i for i, n in enumerate(program.nodes) if n.op not in ("placeholder",
                                                                            "get_attr")]
        last_use = [max(program.users[j], default=j) for j in range(count)]
        last_write = {}
        for i, j in program.mutated.items():
            last_write[j] = max(last_write.get(j, -1), i)
        cross, valid, depth = {}, set(), {}
        active = set()  # nodes j < pos read at pos or later
        given = {ptr for i, n in enumerate(program.nodes) if n.op == "placeholder"
                 for ptr in p[i].out}  # the inputs: alive anyway, crossing for free

        def scope(i):
            text = program.nodes[i].meta.get("scope", "")
            return text.split(".") if text else []
        k = 0
        for pos in range(count):
            if k < len(movable) and movable[k] == pos:
                if k > 0 and not any(last_write.get(j, -1) >= pos for j in active):
                    storages = {}
                    for j in active:
                        storages.update(p[j].out)
                    cross[k] = sum(b for ptr, b in storages.items() if ptr not in given)
                    # how deep inside modules the cut lies: the common module path of the
                    # nodes either side (0 between top-level modules)
                    a, b = scope(movable[k - 1]), scope(pos)
                    common = 0
                    while common < min(len(a), len(b)) and a[common] == b[common]:
                        common += 1
                    depth[k] = common
                    valid.add(k)
                k += 1
            active = {j for j in active if last_use[j] > pos}
            if last_use[pos] > pos:
                active.add(pos)
        # block weights: half time, half output bytes, so that blocks split both the
        # recomputation cost and the activations
        total_time = sum(p[i].time for i in movable) or 1.0
        total_bytes = sum(sum(p[i].out.values()) for i in movable) or 1
        times = [0.5 * p[i].time / total_time + 0.5 * sum(p[i].out.values()) / total_bytes
                 for i in movable]
        cuts = self._choose_cuts(times, cross, sorted(valid), depth)
        k0 = 0
        bounds = [k0] + cuts + [len(movable)]
        self.blocks = [[movable[m] for m in range(a, b)] for a, b in zip(bounds, bounds[1:])
                       if b > a]

    def _choose_cuts(self, weights, cross, valid, depth):
        """blocks - 1 cut positions (indices into the movable nodes) of least total crossing
        bytes such that no block weighs more than twice the average nor less than a quarter of
        it (a dynamic program over the valid positions; the cap doubles and the floor halves
        until one exists). Cuts where a single value crosses (between ResNet blocks,
        transformer layers) cost least; among cuts of equal bytes, those between outer modules
        (fewer enclosing modules in common, `depth`) win, so that segments built of whole
        blocks can follow the model's own blocks (every layer of a ViT or a transformer one
        segment, as checkpointing each layer does), and the floor keeps a few cheap cuts
        among small nodes (a ViT's patch embedding) from taking the blocks."""
        count = len(weights)
        cum = [0.0]
        for w in weights:
            cum.append(cum[-1] + w)
        cuts_wanted = min(self.num_blocks - 1, len(valid))
        if cuts_wanted <= 0:
            return []
        positions = [0] + list(valid)  # 0: the start (no cost)
        cap, floor = 2.0 / self.num_blocks, 0.25 / self.num_blocks
        while True:
            # best[c][k]: least cost of c cuts, the last at positions[k]
            inf = float("inf")
            best = [[inf] * len(positions) for _ in range(cuts_wanted + 1)]
            back = [[-1] * len(positions) for _ in range(cuts_wanted + 1)]
            best[0][0] = 0.0
            for c in range(1, cuts_wanted + 1):
                for k in range(1, len(positions)):
                    pos = positions[k]
                    for j in range(k - 1, -1, -1):
                        if cum[pos] - cum[positions[j]] > cap + 1e-12:
                            break
                        if best[c - 1][j] == inf or cum[pos] - cum[positions[j]] < floor:
                            continue
                        # ties: outer module boundaries (a hundredth of a byte per level),
                        # then blocks near the average weight (the weights sum to 1)
                        balance = (cum[pos] - cum[positions[j]] - 1.0 / self.num_blocks) ** 2
                        cost = best[c - 1][j] + cross[pos] + 1e-2 * depth[pos] + 1e-3 * balance
                        if cost < best[c][k]:
                            best[c][k], back[c][k] = cost, j
            ends = [k for k in range(1, len(positions))
                    if best[cuts_wanted][k] < inf and
                    floor <= cum[count] - cum[positions[k]] <= cap + 1e-12]
            if ends:
                k = min(ends, key=lambda e: best[cuts_wanted][e])
                cuts, c = [], cuts_wanted
                while c > 0:
                    cuts.append(positions[k])
                    k, c = back[c][k], c - 1
                return cuts[::-1]
            cap, floor = cap * 2, floor / 2

    def _block_graph(self):
        program, p = self.program, self.profiles
        block_of = {}
        for b, nodes in enumerate(self.blocks):
            for i in nodes:
                block_of[i] = b
        produced = {}
        for i in range(len(program.nodes)):
            for ptr in p[i].out:
                produced.setdefault(ptr, i)
        nodes, edges = [], set()
        fraction = self.backward_time / max(sum(q.time for q in p), 1e-9)
        for b, members in enumerate(self.blocks):
            inside = set(members)
            storages = {}
            for i in members:
                if any(u not in inside for u in program.users[i]):
                    storages.update(p[i].out)
                for ptr, size in p[i].saved.items():
                    if produced.get(ptr, i) in inside:
                        storages[ptr] = size
            ftime = sum(p[i].time for i in members)
            gbytes = 0
            for i in members:
                for j in program.args[i]:
                    if j in inside:
                        continue
                    if block_of.get(j) is not None:
                        edges.add((f"f{block_of[j]}", f"f{b}"))
                        if p[j].needs_grad:
                            edges.add((f"g{b}", f"g{block_of[j]}"))
                    if p[j].needs_grad and program.nodes[j].op != "placeholder":
                        gbytes += p[j].grad_bytes
                for ptr in p[i].saved:
                    j = produced.get(ptr)
                    if j is not None and block_of.get(j) not in (None, b):
                        edges.add((f"f{block_of[j]}", f"g{b}"))
            nodes.append((f"f{b}", ftime, max(1, sum(storages.values())), 0))
            nodes.append((f"g{b}", ftime * fraction, max(1, gbytes), 0))
            edges.add((f"f{b}", f"g{b}"))
            if any(i in program.outputs for i in members):
                edges.add((f"f{b}", "loss"))
                edges.add(("loss", f"g{b}"))
        nodes.append(("loss", 0.0, 1, 0))
        return Graph(nodes, sorted(edges))

    def _units(self, state):
        """The execution units of a plan given per block: 0 = run with autograd, 1 = starts a
        recomputed segment, 2 = continues the segment of the block before (a start after a
        block run with autograd)."""
        run = []
        program = self.program
        in_block = {i for nodes in self.blocks for i in nodes}
        # placeholders and get_attr nodes (no inputs) first, then the blocks in order
        units = [("node", i) for i in range(len(program.nodes)) if i not in in_block]

        cache = self.__dict__.setdefault("_segment_cache", {})

        def flush():
            nonlocal run
            if run:
                key = (id(program), tuple(run))
                if key not in cache:  # ident: its first node, unique within a plan
                    cache[key] = _Segment(run[0], run, program)
                units.append(("segment", cache[key]))
                run = []
        for b, nodes in enumerate(self.blocks):
            if state[b] != 2:
                flush()
            if state[b] == 0:
                units.extend(("node", i) for i in nodes)
            else:
                run.extend(nodes)
        flush()
        return units

    def _point(self, state):
        units = self._units(state)
        peak = self._estimator.peak(units) + self.slack
        recomputed = [i for kind, seg in units if kind == "segment" for i in seg.nodes]
        step = (sum(q.time for q in self.profiles) + self.backward_time +
                sum(self.profiles[i].time for i in recomputed))
        point = MemoryTimePoint(peak, step, recomputed, units)
        point.state = tuple(state)
        return point

    def plan_with(self, recomputed_blocks, merge=True):
        """The MemoryTimePoint of recomputing these blocks (indices into ``blocks``), each run
        of consecutive ones as one segment (merge) or each block as its own; not chosen."""
        state, previous = [], False
        for b in range(len(self.blocks)):
            inside = b in recomputed_blocks
            state.append(0 if not inside else (2 if merge and previous else 1))
            previous = inside
        return self._point(tuple(state))

    def _build_curve(self):
        """_plan_curve, run in a forked child process on a CPU: planning evaluates thousands of
        plans, and the heap it leaves fragmented shifted later VmHWM measurements (a trimmed
        heap's scattered free pages are faulted in again by a step's small allocations: up to
        12 MiB more on a ViT-B/16 step). The child sends back the curve's block states, which
        the parent evaluates again (the replay is deterministic)."""
        fork = getattr(os, "fork", None)
        if fork is None or not isinstance(self._meter_kind, PeakMeter):
            self._plan_curve()
            return
        read, write = os.pipe()
        try:
            pid = fork()
        except OSError:
            os.close(read)
            os.close(write)
            self._plan_curve()
            return
        if pid == 0:  # the child: plan, send the states, exit without cleanup
            status = 1
            try:
                os.close(read)
                self._plan_curve()
                data = pickle.dumps([q.state for q in self.curve])
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        with os.fdopen(read, "rb") as source:
            data = source.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            self._plan_curve()  # the child failed: plan here
            return
        self.graph = self._block_graph()
        self.curve = [self._point(state) for state in pickle.loads(data)]

    def _plan_curve(self):
        """Plans the block graph with the graph rematerialization planner at evenly spaced
        budgets from its smallest feasible one to its store-all peak. The block graph only
        approximates the run (a segment keeps its inputs; a plan of the graph may recompute a
        block from other recomputed blocks), so each plan's recomputed blocks seed a descent
        judged by the replay (_Estimate): make one range of blocks one recomputed segment,
        the range that lowers the predicted peak most per second it adds, while the peak
        drops. The curve keeps every evaluated plan no other beats in both peak and time."""
        self.graph = g = self._block_graph()
        num = len(self.blocks)
        algorithm = "exact" if g.num_nodes <= self.exact_nodes else "greedy"
        high = graph_min_peak(g, exact=False)["peak"]
        if algorithm == "exact":
            low = graph_min_feasible_budget(g)
        else:
            low = high
            step = max(1, high // 64)
            while low - step > 0 and _remat(g, low - step, "greedy") is not None:
                low -= step
        memo = {}

        def point(state):
            state = tuple(state)
            if state not in memo:
                memo[state] = self._point(state)
            return memo[state]

        seeds = [tuple([0] * num)]
        for budget in sorted({int(low + (high - low) * k / 15) for k in range(16)}):
            plan = _remat(g, budget, algorithm)
            if plan is None:
                continue
            counts = {}
            for op, node in plan["schedule"]:
                if op == "compute" and node.startswith("f"):
                    counts[node] = counts.get(node, 0) + 1
            chosen = {int(n[1:]) for n, c in counts.items() if c > 1}
            for merge in (True, False):
                state, previous = [], False
                for b in range(num):
                    inside = b in chosen
                    state.append(0 if not inside else (2 if merge and previous else 1))
                    previous = inside
                if tuple(state) not in seeds:
                    seeds.append(tuple(state))
        # descents from plain autograd and from the plans at the smallest, middle and
        # largest budgets (each descent evaluates up to blocks² / 2 plans per step)
        starts = list(dict.fromkeys([seeds[0]] + [seeds[k] for k in
                                                  (1, (len(seeds) + 1) // 2, len(seeds) - 1)
                                                  if 0 < k < len(seeds)]))
        for seed in starts:
            current = point(seed)
            state = list(seed)
            for _ in range(2 * num):
                best, best_score = None, 0.0
                for first in range(num):
                    for last in range(first, num):
                        trial = list(state)
                        trial[first] = 1
                        for b in range(first + 1, last + 1):
                            trial[b] = 2
                        if last + 1 < num and trial[last + 1] == 2:
                            trial[last + 1] = 1
                        if trial == state:
                            continue
                        q = point(trial)
                        gain = current.peak_bytes - q.peak_bytes
                        if gain > 0:
                            score = gain / max(q.time - current.time, 1e-9)
                            if score > best_score:
                                best, best_score = (trial, q), score
                if best is None:
                    break
                state, current = best
        # checkpoint_sequential's plans over the blocks: everything recomputed, in k
        # segments of about equal numbers of blocks, the last run with autograd or not
        for k in range(2, num + 1):
            starts = {round(j * num / k) for j in range(k)}
            state = [1 if b in starts else 2 for b in range(num)]
            point(state)
            point(state[:-1] + [0])
        points = sorted(memo.values(), key=lambda q: (q.peak_bytes, q.time))
        front = []
        for q in points:
            if not front or q.time < front[-1].time:
                front.append(q)
        self.curve = front

    def _choose(self):
        """The fastest plan predicted within the budget whose step on the sample also
        measures within it: the replay misses some of what the run allocates, so up to
        `verify` plans are measured, fastest first, each next one predicted lower by what the
        last one measured above its prediction."""
        budget = parse_budget(self.budget, self.store_all_bytes)
        if budget >= self.store_all_bytes:
            # plain autograd (what its calibration measured): nothing to recompute or verify
            self.budget_bytes = budget
            self.plan = min(self.curve, key=lambda q: (q.time, q.peak_bytes))
            return
        fitting = sorted((q for q in self.curve if q.peak_bytes <= budget),
                         key=lambda q: (q.time, q.peak_bytes))
        chosen, error = None, 0
        for _ in range(self.verify if self._sample is not None else 0):
            fitting = [q for q in fitting if q.peak_bytes + error <= budget]
            if not fitting:
                break
            q = fitting.pop(0)
            measured = self._measure_point(q)
            if measured is None:  # nothing to measure with: trust the prediction
                chosen = q
                break
            if measured <= budget + self.tolerance:
                chosen = q
                break
            error = max(error, measured - q.peak_bytes)
        else:
            if self._sample is None or not self.verify:
                chosen = fitting[0] if fitting else None
        if chosen is None and self._sample is not None and self.verify:
            # the least memory the curve has, if it measures within the budget
            smallest = self.curve[0]
            measured = self._measure_point(smallest)
            if smallest.peak_bytes <= budget and (measured is None or
                                                  measured <= budget + self.tolerance):
                chosen = smallest
        if chosen is None:
            # a plan predicted above the budget whose step measured within it (the measured
            # peak is what the error below names as feasible): the fastest such one
            measured_within = [q for q in self.curve
                               if q.measured_bytes is not None and q.measured_bytes <= budget]
            if measured_within:
                chosen = min(measured_within, key=lambda q: (q.time, q.measured_bytes))
        if chosen is None:
            # measured peaks where plans were verified, else predictions raised by the largest
            # excess seen
            least = min(q.measured_bytes if q.measured_bytes is not None else
                        q.peak_bytes + error for q in self.curve)
            raise ValueError(f"CheckpointedModule: no plan fits the budget of {budget} bytes; "
                             f"the smallest feasible budget is {least} bytes "
                             f"(plain autograd needs {self.store_all_bytes})")
        self.budget_bytes = budget
        self.plan = self._faster_measured_within(chosen, budget)

    def _faster_measured_within(self, chosen, budget):
        """A faster plan than `chosen` whose step also measures within the budget (not
        counting the tolerance), where `chosen` measured below its prediction: the replay
        over-predicts some models (by 2 MiB on the transformers of docs/torch.md's benchmark),
        which left faster plans unused. Candidates are the faster plans predicted within the
        budget plus that margin, fastest first; up to `verify` are measured."""
        if chosen.measured_bytes is None or chosen.measured_bytes >= chosen.peak_bytes:
            return chosen
        margin = chosen.peak_bytes - chosen.measured_bytes
        candidates = sorted((q for q in self.curve if q.time < chosen.time and
                             q.peak_bytes - margin <= budget),
                            key=lambda q: (q.time, q.peak_bytes))
        for q in candidates[:self.verify]:
            measured = self._measure_point(q)
            if measured is not None and measured <= budget:
                return q
        return chosen

    def _measure_point(self, point):
        """The measured peak of one step of this plan on the sample (cached on the point),
        in the steady state of training; RNG state, buffers and .grad are left as they were.
        None without a meter."""
        if point.measured_bytes is not None:
            return point.measured_bytes
        inputs, meter = self._sample, self._meter
        if meter is None:
            return None
        model = self.model
        params = [p for p in model.parameters() if p.requires_grad]
        with _trial_state(model, params, inputs):
            for p in params:
                p.grad = torch.zeros_like(p)
            for attempt in range(2):  # the first warms up (first-touch allocations)
                gc.collect()  # garbage freed during the step would hide what it allocates
                meter.reset()
                before = meter.rss()
                outputs = self._run_units(self.program, inputs, point.segments)
                outs = [t for t in _tensors(outputs) if t.requires_grad]
                if outs:
                    torch.autograd.backward(outs, [torch.ones_like(t) for t in outs])
                point.measured_bytes = max(0, meter.peak() - before)
                del outputs, outs
        return point.measured_bytes

    def set_budget(self, budget):
        """Chooses the plan for a new budget from the curve already computed."""
        previous = self.budget
        self.budget = budget
        try:
            parse_budget(budget, 1 if self.store_all_bytes is None else self.store_all_bytes)
            if self.curve is not None:
                self._choose()
        except BaseException:
            self.budget = previous
            raise
        return self.plan

    @property
    def predicted_peak(self):
        return None if self.plan is None else self.plan.peak_bytes

    @property
    def predicted_time(self):
        return None if self.plan is None else self.plan.time

    def memory_time_curve(self):
        """[(predicted peak bytes, predicted step seconds)] of the curve's plans."""
        return [(q.peak_bytes, q.time) for q in self.curve or []]

    # ---- running -----------------------------------------------------------------------------
    def _run_units(self, program, inputs, units):
        env = {}
        persistent = {t.storage().data_ptr() for t in (*program.gm.parameters(),
                                                        *program.gm.buffers())
                      if t.layout == torch.strided}
        for n in program.nodes:
            if n.op == "placeholder":
                env[n] = program.placeholder_value(n, inputs)
        last = {}
        for position, (kind, what) in enumerate(units):
            used = program.args[what] if kind == "node" else what.inputs
            for j in used:
                last[j] = position
        for position, (kind, what) in enumerate(units):
            if kind == "node":
                if program.nodes[what].op != "placeholder":
                    env[program.nodes[what]] = program.run_node(what, env)
                used = program.args[what]
            else:
                seg = what
                run = _SegmentRun(seg, program, {j: env[program.nodes[j]] for j in seg.inputs},
                                  persistent)
                for i, value in run.forward().items():
                    env[program.nodes[i]] = value
                used = seg.inputs
                del run
            for j in used:
                if last.get(j) == position and j not in program.outputs:
                    env.pop(program.nodes[j], None)
        return fx.node.map_arg(program.output.args[0], lambda n: env[n])

    def forward(self, *args, **kwargs):
        if not (torch.is_grad_enabled() and self.model.training):
            return self.model(*args, **kwargs)
        inputs, constants = bind_inputs(self.model, args, kwargs)
        if self._signature(inputs, constants) != self._key:
            self._prepare(inputs, constants)
        return self._run_units(self.program, inputs, self.plan.segments)

    def extra_repr(self):
        if self.plan is None:
            return f"budget={self.budget!r}, not planned"
        return (f"budget_bytes={self.budget_bytes}, predicted_peak={self.plan.peak_bytes}, "
                f"store_all_bytes={self.store_all_bytes}, blocks={len(self.blocks)}")
