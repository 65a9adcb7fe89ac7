"""memsched.torch: gradients bitwise equal to plain autograd under every plan, RNG preserved."""

import json
import os
import pathlib
import random
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
memsched = pytest.importorskip("memsched")
mt = pytest.importorskip("memsched.torch")
nn = torch.nn
sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "bench"))
from models import cifar_resnet  # noqa: E402  (python/bench/models.py, shared with the bench)


class Residual(nn.Module):
    def __init__(self, width, hidden):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(0.2),
                                  nn.Linear(hidden, width))

    def forward(self, x):
        return torch.relu(x + self.body(x))


def mlp(depth=6, width=32, dropout=0.25):
    torch.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.ReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)


def resnet():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(16, 32), *[Residual(32, h) for h in (16, 64, 32, 128, 16)],
                         nn.Linear(32, 8))


def convnet():
    torch.manual_seed(0)
    return cifar_resnet(widths=(4, 8), blocks=2, classes=5)


def sample(net):
    first = net[0]
    if isinstance(first, nn.Conv2d):
        return torch.randn(6, first.in_channels, 8, 8)
    return torch.randn(8, first.in_features)


def reference(net, x, input_grad):
    """Output, parameter grads and input grad of plain autograd, and the RNG state after."""
    torch.manual_seed(1)
    xi = x.clone().requires_grad_(input_grad)
    net.zero_grad(set_to_none=True)
    out = net(xi)
    out.pow(2).sum().backward()
    return (out.detach(), [p.grad.clone() for p in net.parameters() if p.requires_grad],
            xi.grad.clone() if input_grad else None, torch.get_rng_state())


def check_bitwise(net, model, x, input_grad, use_grad_api):
    out_ref, grads_ref, xgrad_ref, rng_ref = reference(net, x, input_grad)
    torch.manual_seed(1)
    xi = x.clone().requires_grad_(input_grad)
    net.zero_grad(set_to_none=True)
    out = model(xi)
    loss = out.pow(2).sum()
    params = [p for p in net.parameters() if p.requires_grad]
    if use_grad_api:
        grads = torch.autograd.grad(loss, params + ([xi] if input_grad else []))
        xgrad = grads[-1] if input_grad else None
        grads = grads[:len(params)]
        assert all(p.grad is None for p in params)  # autograd.grad leaves .grad alone
    else:
        loss.backward()
        grads, xgrad = [p.grad for p in params], xi.grad
    assert torch.equal(out, out_ref)
    assert all(torch.equal(a, b) for a, b in zip(grads, grads_ref))
    if input_grad:
        assert torch.equal(xgrad, xgrad_ref)
    assert torch.equal(torch.get_rng_state(), rng_ref)


def segment_nodes(output):
    """The memsched segment nodes on the autograd graph of output."""
    nodes, seen, stack = [], set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if type(node).__name__ == "_SegmentFunctionBackward":
            nodes.append(node)
        stack += [f for f, _ in node.next_functions]
    return nodes


def tensor_profile(net, x, **options):
    """A profile whose sizes are the tensors' alone, the same on every machine. Temporaries
    measured from RSS vary from machine to machine (on one CI machine the 6-stage mlp's
    store-all peak measured 124 KiB, against 21 KiB of tensors here), more than these small
    networks' activations, so the tests of plan structure use this profile; the tests of
    measuring use wide_mlp's 2 MiB tensors, and noisy() stands in for any measurement."""
    return mt.profile_sequence(net, x, measure_temporaries=False, **options)


def noisy(profile, seed, scale=2):
    """The profile with random temporaries, as a noisy meter could measure them: forward,
    recording and backward ones up to `scale` times a stage's input, the direct backward one at
    most the node one (as profile_sequence clamps it)."""
    rng = random.Random(seed)
    stages = []
    for s in profile.stages:
        fields = {n: getattr(s, n) for n in mt.StageProfile.__slots__[2:]}
        for name in ("forward_tmp_bytes", "recording_tmp_bytes", "backward_tmp_bytes"):
            fields[name] += rng.randrange(0, scale * s.input_bytes + 1, 512)
        fields["direct_backward_tmp_bytes"] = rng.randrange(0, fields["backward_tmp_bytes"] + 1)
        stages.append(mt.StageProfile(s.begin, s.end, **fields))
    return mt.Profile(stages, profile.output_bytes, profile.input_shape, profile.input_dtype)


def budgets(profile, count=4):
    """Budgets from the smallest feasible one to store-all (so plans recompute a lot, some,
    nothing). Store-all runs as plain autograd, so its peak is that of the chain with every
    stage's direct backward temporary."""
    store_all = profile.plain_chain.store_all_peak()
    curve = [p for p in mt.memory_time_curve(profile.chain) if p.budget_bytes < store_all]
    picks = [curve[round(k * (len(curve) - 1) / (count - 2))] for k in range(count - 1)
             if curve]
    return sorted({p.budget_bytes for p in picks} | {store_all})


@pytest.mark.parametrize("build", [mlp, resnet, convnet], ids=["mlp", "resnet", "convnet"])
def test_gradients_bitwise_equal_for_every_budget(build):
    net = build()
    x = sample(net)
    profile = tensor_profile(net, x)
    recomputing = stores_all = 0
    for budget in budgets(profile):
        model = mt.CheckpointedSequential(net, budget, profile=profile)
        assert model.plan.peak_bytes <= budget
        recomputing += model.plan.forwards > len(model.profile.stages)
        # A plan that stores everything is plain autograd: no segment nodes in the graph.
        # Otherwise the segments recorded once whose backwards follow the loss at once (the
        # top one) run in the caller's graph too, the others are one node each.
        plain = model.plan.forwards == len(model.profile.stages)
        nodes = segment_nodes(model(x))
        assert (len(nodes) == 0) == plain
        assert len(nodes) == model._direct.count(False)
        assert model._direct[-1]
        stores_all += plain
        for input_grad in (False, True):
            for use_grad_api in (False, True):
                check_bitwise(net, model, x, input_grad, use_grad_api)
    assert recomputing >= 2  # the small budgets really recompute
    assert stores_all >= 1  # the largest (the store-all peak) does not


def test_auto_stages_group_modules_that_do_not_keep_their_input():
    net = mlp(depth=3)
    profile = mt.profile_sequence(net, torch.randn(4, 32))
    # Linear keeps its input; ReLU and Dropout do not: one stage per Linear.
    assert [(s.begin, s.end) for s in profile.stages] == [(0, 3), (3, 6), (6, 9)]
    # Linear(32) output 4x32 float32 = 512 bytes; ReLU output + Dropout mask + output.
    assert [s.input_bytes for s in profile.stages] == [512] * 3
    assert all(s.tape_bytes == 3 * 512 for s in profile.stages)
    assert profile.chain.loss.input_bytes == 512
    per_module = mt.profile_sequence(net, torch.randn(4, 32), stages="modules")
    assert len(per_module.stages) == 9
    with pytest.raises(ValueError):
        mt.profile_sequence(net, torch.randn(4, 32), stages=[(0, 4), (5, 9)])


def test_first_stages_without_parameters_and_frozen_parameters():
    torch.manual_seed(0)
    net = nn.Sequential(nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 16), nn.Sigmoid(),
                        nn.Linear(16, 16))
    net[3].weight.requires_grad_(False)
    x = torch.randn(4, 16)
    profile = tensor_profile(net, x, stages="modules")
    for budget in budgets(profile, 3):
        model = mt.CheckpointedSequential(net, budget, profile=profile)
        for input_grad in (False, True):
            check_bitwise(net, model, x, input_grad, use_grad_api=False)


def test_without_grad_the_modules_just_run():
    net = mlp(dropout=0.0)
    x = torch.randn(4, 32)
    model = mt.CheckpointedSequential(net, 10**6, x)
    with torch.no_grad():
        assert torch.equal(model(x), net(x))


def test_errors():
    net = mlp()
    x = torch.randn(4, 32)
    with pytest.raises(ValueError, match="smallest feasible budget"):
        mt.CheckpointedSequential(net, 100, x)
    with pytest.raises(ValueError):
        mt.CheckpointedSequential([], 1000)
    with pytest.raises(ValueError):
        mt.CheckpointedSequential(net, -5)
    profile = tensor_profile(net, x)
    model = mt.CheckpointedSequential(net, budgets(profile)[0], profile=profile)
    loss = model(x.clone().requires_grad_()).sum()
    loss.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="only once"):
        loss.backward()


def test_a_failed_set_budget_keeps_the_old_budget_and_plan():
    net = mlp(dropout=0.0)
    x = sample(net)
    profile = tensor_profile(net, x)
    small, larger = budgets(profile)[0], budgets(profile)[1]
    model = mt.CheckpointedSequential(net, larger, profile=profile)
    plan = model.plan
    for bad in (100, -5, 2**70):  # below the smallest feasible budget, negative, beyond int64
        with pytest.raises(ValueError):
            model.set_budget(bad)
        assert model.budget_bytes == larger
        assert model.plan is plan
    with pytest.raises((ValueError, TypeError)):
        model.set_budget("a lot")
    assert model.budget_bytes == larger and model.plan is plan
    # The model still runs on its old plan, and a feasible budget still plans again.
    y = x.clone().requires_grad_()
    model(y).sum().backward()
    assert y.grad is not None
    assert model.set_budget(small) is model.plan and model.budget_bytes == small
    assert model.plan is not plan


def test_new_input_shape_plans_again():
    net = mlp(dropout=0.0)
    model = mt.CheckpointedSequential(net, 10**6)
    assert model.plan is None
    model(torch.randn(4, 32, requires_grad=True)).sum().backward()
    assert model.profile.input_shape == (4, 32)
    model(torch.randn(6, 32)).sum().backward()
    assert model.profile.input_shape == (6, 32)


def test_plans_byte_exact_when_the_table_is_small():
    net = mlp()
    x = sample(net)
    profile = tensor_profile(net, x)
    budget = budgets(profile)[1]
    exact = mt.CheckpointedSequential(net, budget, profile=profile)
    reference = mt.plan_persistent(profile.chain, budget, exact=True)
    assert exact.plan.unit_bytes == reference.unit_bytes
    assert exact.plan.makespan == reference.makespan
    rounded = mt.CheckpointedSequential(net, budget, profile=profile, num_units=20)
    # budget / 20, or the curve's unit if that rounding leaves no plan
    assert rounded.plan.unit_bytes in (budget // 20, profile.chain.store_all_peak() // 20)
    assert rounded.plan.makespan >= exact.plan.makespan
    with pytest.raises(ValueError, match="num_units=2 units"):
        mt.CheckpointedSequential(net, budget, profile=profile, num_units=2)


def test_stages_the_plan_never_separates_run_as_one_segment():
    net = mlp(depth=12, dropout=0.0)
    x = sample(net)
    profile = tensor_profile(net, x)
    segment_counts = {}
    for budget in budgets(profile, 6)[:-1]:
        model = mt.CheckpointedSequential(net, budget, profile=profile)
        segments = model.segments
        assert segments[0][0] == 0 and segments[-1][1] == len(profile.stages)
        assert all(e == b for (_, e), (b, _) in zip(segments, segments[1:]))
        ops = [(op.kind, op.stage) for op in model.plan.schedule]
        segment_counts[budget] = len(segments)
        for begin, end in segments:  # B_{end-1} .. B_begin are consecutive in the plan
            first = ops.index((mt.HeteroOpKind.BACKWARD, end - 1))
            assert ops[first:first + end - begin] == [
                (mt.HeteroOpKind.BACKWARD, i) for i in reversed(range(begin, end))]
        assert len(segment_nodes(model(x))) == model._direct.count(False)
    # Some plans cut the 12 stages into fewer segments (the larger budgets: long runs of
    # recording forwards).
    assert min(segment_counts.values()) < len(profile.stages)


def test_segments_leave_room_for_accumulated_parameter_gradients():
    # Parameters far larger than the activations: the gradients a segment's autograd.grad
    # call hands back at its end would overflow the budget, so the segments stay short.
    torch.manual_seed(0)
    net = nn.Sequential(*[m for _ in range(8) for m in (nn.Linear(64, 64), nn.Tanh())])
    x = torch.randn(2, 64)
    profile = tensor_profile(net, x)
    grad_bytes = 64 * 65 * 4
    cut_for_gradients = 0
    for budget in budgets(profile, 4):
        model = mt.CheckpointedSequential(net, budget, profile=profile)
        timeline = mt.hetero_timeline(model.plan.schedule, model.chain, budget)
        ops = [(op.kind, op.stage) for op in model.plan.schedule]
        for (begin, end), direct in zip(model.segments, model._direct):
            for i in range(begin if not direct else end, end):  # direct: plain autograd
                at = ops.index((mt.HeteroOpKind.BACKWARD, i))
                assert timeline[at].peak_bytes + (end - 1 - i) * grad_bytes <= budget
        # Accumulating into existing .grad gives what plain autograd accumulates.
        torch.manual_seed(1)
        net.zero_grad(set_to_none=True)
        for _ in range(2):
            net(x).pow(2).sum().backward()
        expected = [p.grad.clone() for p in net.parameters()]
        net.zero_grad(set_to_none=True)
        for _ in range(2):
            model(x).pow(2).sum().backward()
        assert all(torch.equal(p.grad, e) for p, e in zip(net.parameters(), expected))
        cut_for_gradients += len(model.segments)
        for p in net.parameters():
            p.requires_grad_(False)
        frozen = mt.CheckpointedSequential(net, budget, profile=profile)
        cut_for_gradients -= len(frozen.segments)
        for p in net.parameters():
            p.requires_grad_(True)
    assert cut_for_gradients > 0  # without gradients to hand back, segments are longer


@pytest.mark.parametrize("build", [mlp, convnet], ids=["mlp", "convnet"])
def test_recomputations_run_in_the_forwards_autocast_region(build):
    net = build()
    x = sample(net)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        profile = tensor_profile(net, x)  # what autocast saves: bfloat16 copies
    for budget in budgets(profile, 3)[:-1]:
        model = mt.CheckpointedSequential(net, budget, profile=profile)
        assert model.plan.forwards > len(profile.stages)
        results = []
        for run in (net, model):
            torch.manual_seed(1)
            net.zero_grad(set_to_none=True)
            xi = x.clone().requires_grad_(True)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                out = run(xi)
            assert out.dtype == torch.bfloat16
            out.float().pow(2).sum().backward()
            results.append([out] + [p.grad for p in net.parameters()] + [xi.grad])
        assert all(torch.equal(a, b) for a, b in zip(*results))


def test_stages_of_the_same_modules_share_one_time():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                        nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                        nn.Linear(64, 64), nn.Tanh())
    x = torch.randn(8, 32)
    pooled = mt.profile_sequence(net, x)
    times = [(s.forward_time, s.backward_time) for s in pooled.stages]
    # Linear(32, 32) + ReLU twice on 8x32, Linear(64, 64) + ReLU once; the others differ.
    assert times[0] == times[1]
    assert len({times[0], times[2], times[3], times[4]}) == 4
    raw = mt.profile_sequence(net, x, pool_times=False)
    # unpooled, each stage keeps its own measurement (nanosecond clocks never agree)
    assert raw.stages[0].forward_time != raw.stages[1].forward_time


def wide_mlp():
    """Activations of 2 MiB (wide_input), above the 64 KiB mmap threshold and well above the
    slack of the kernel's RSS counters (PeakMeter: up to 32 pages per CPU either way)."""
    torch.manual_seed(0)
    return nn.Sequential(*[m for _ in range(10) for m in (nn.Linear(512, 512), nn.ReLU())])


def wide_input():
    return torch.randn(1024, 512)


def fresh_wide_mlp_profile():
    """profile_sequence(wide_mlp(), wide_input()) measured in a new process. Measured
    temporaries depend on the heap the process left: after other tests (any-model training in
    the same pytest process) freed blocks stay on the heap, are reused by the stages and no
    longer show in RSS, so measuring tests measure in a process of their own."""
    code = (
        "import json, torch, memsched.torch as mt\n"
        "torch.manual_seed(0)\n"
        "net = torch.nn.Sequential(*[m for _ in range(10)\n"
        "                            for m in (torch.nn.Linear(512, 512), torch.nn.ReLU())])\n"
        "x = torch.randn(1024, 512)\n"
        "p = mt.profile_sequence(net, x)\n"
        "print(json.dumps({'output_bytes': p.output_bytes, 'stages': [\n"
        "    dict(begin=s.begin, end=s.end, **{n: getattr(s, n)\n"
        "                                      for n in mt.StageProfile.__slots__[2:]})\n"
        "    for s in p.stages]}))\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    stages = [mt.StageProfile(s.pop("begin"), s.pop("end"), **s) for s in data["stages"]]
    x = wide_input()
    return mt.Profile(stages, data["output_bytes"], x.shape, x.dtype)


def test_plain_autograd_frees_the_incoming_gradient_early():
    # A node's backward holds the gradient it was given until it returns; plain autograd
    # frees it once Linear + ReLU's first backward function (ReLU's) consumed it.
    if not mt.PeakMeter().available:
        pytest.skip("no /proc/self/clear_refs: temporaries are not measured")
    x = wide_input()
    profile = fresh_wide_mlp_profile()
    activation = x.numel() * 4
    # (RSS counters' slack, and heap reuse of the smaller blocks, blur single stages.)
    saved = [s.backward_tmp_bytes - s.direct_backward_tmp_bytes for s in profile.stages]
    assert sum(d >= activation * 3 // 4 for d in saved) >= len(saved) // 2
    for s in profile.stages:
        assert s.hetero_stage(True).backward_tmp_bytes == s.direct_backward_tmp_bytes
        assert s.hetero_stage(False).backward_tmp_bytes == s.backward_tmp_bytes


def test_temporaries_measure_after_the_heap_kept_freed_blocks():
    # A fresh process that freed a large mapped block (glibc then raises its mmap threshold)
    # and then 1 MiB blocks (kept on the heap, resident): the stages' activations reuse those
    # pages, and only PeakMeter.reset's malloc_trim makes the reuse show in RSS (it measured 0).
    if not mt.PeakMeter().available:
        pytest.skip("no /proc/self/clear_refs: temporaries are not measured")
    code = (
        "import torch, memsched.torch as mt\n"
        "big = torch.empty(8 << 20, dtype=torch.uint8); big.fill_(1); del big\n"
        "kept = [torch.ones(512, 512) for _ in range(16)]; del kept\n"
        "torch.manual_seed(0)\n"
        "net = torch.nn.Sequential(*[m for _ in range(4)\n"
        "                            for m in (torch.nn.Linear(512, 512), torch.nn.ReLU())])\n"
        "profile = mt.profile_sequence(net, torch.randn(512, 512))\n"
        "print(*(s.forward_tmp_bytes for s in profile.stages))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # no grad, Linear's output is the temporary while ReLU writes its own (1 MiB each); the
    # RSS counters' slack blurs single stages
    measured = [int(n) for n in result.stdout.split()]
    assert sum(n >= 512 * 512 * 4 // 2 for n in measured) >= len(measured) // 2, measured


@pytest.mark.parametrize("build, noise", [(wide_mlp, None), (mlp, None), (resnet, None),
                                          (convnet, None), (mlp, (1, 2)), (mlp, (2, 2)),
                                          (resnet, (3, 2)), (resnet, (4, 2)), (convnet, (5, 2)),
                                          (convnet, (5, 32))],
                         ids=["wide_mlp", "mlp", "resnet", "convnet", "mlp-noisy1",
                              "mlp-noisy2", "resnet-noisy3", "resnet-noisy4", "convnet-noisy5",
                              "convnet-very-noisy5"])
def test_direct_temporaries_only_for_stages_run_directly(build, noise):
    # measured temporaries (noise None), or random ones (seed, scale) in their place
    net = build()
    x = wide_input() if build is wide_mlp else sample(net)
    if build is wide_mlp and noise is None and mt.PeakMeter().available:
        profile = fresh_wide_mlp_profile()  # measured temporaries: in a process of its own
    else:
        profile = mt.profile_sequence(net, x, measure_temporaries=noise is None)
    if noise is not None:
        profile = noisy(profile, *noise)
    only_store_all = 0
    gained = 0
    for budget in budgets(profile, 8):
        model = mt.CheckpointedSequential(net, budget, profile=profile)
        direct = {i for (b, e), d in zip(model.segments, model._direct) if d for i in range(b, e)}
        planned = [st.backward_tmp_bytes for st in model.chain.stages]
        # The plan was made in a model that gives the smaller temporary only to stages it runs
        # as plain autograd ...
        for k, st in enumerate(profile.stages):
            if k in direct:
                assert planned[k] in (st.backward_tmp_bytes, st.direct_backward_tmp_bytes)
            else:
                assert planned[k] == st.backward_tmp_bytes
        # ... replays there within the budget, and is never slower than the plan made with
        # every stage as in a node.
        report = memsched.simulate_hetero(model.plan.schedule, model.chain, budget)
        assert report.peak_bytes <= budget and report.makespan == model.plan.makespan
        if budget < profile.chain.store_all_peak() and not memsched.plan_persistent(
                profile.chain, budget, exact=True):
            # Only store-all, as plain autograd, fits: no plan with every stage in a node.
            assert budget >= profile.plain_chain.store_all_peak()
            with pytest.raises(ValueError, match="no schedule fits"):
                mt.CheckpointedSequential(net, budget, profile=profile, fuse_segments=False)
            check_bitwise(net, model, x, True, False)
            only_store_all += 1
            continue
        nodes_only = mt.CheckpointedSequential(net, budget, profile=profile,
                                               fuse_segments=False)
        assert [st.backward_tmp_bytes for st in nodes_only.chain.stages] == [
            st.backward_tmp_bytes for st in profile.stages]
        assert model.plan.makespan <= nodes_only.plan.makespan
        gained += model.plan.makespan < nodes_only.plan.makespan
        check_bitwise(net, model, x, True, False)
    if build is wide_mlp and noise is None and mt.PeakMeter().available:
        assert gained > 0  # the top segments grow where the freed gradient makes room
    if noise == (5, 32):
        assert only_store_all > 0  # these temporaries leave no plan in nodes below store-all
