"""Tests of memsched.torch.CheckpointedModule: any model, outputs, gradients, RNG state and
BatchNorm statistics bitwise equal to plain autograd under every plan of its curve."""

import pytest

torch = pytest.importorskip("torch")
from memsched.torch import CheckpointedModule, CheckpointedSequential, parse_budget  # noqa: E402
from memsched.torch.module import BUDGET_CONSTANT_BYTES  # noqa: E402

torch.set_num_threads(1)


class UNet(torch.nn.Module):
    """A small U-Net: the encoder hands (features, skip) tuples down, the decoder
    concatenates the skips."""

    def __init__(self, c=4):
        super().__init__()

        def conv(i, o):
            return torch.nn.Sequential(torch.nn.Conv2d(i, o, 3, padding=1),
                                       torch.nn.BatchNorm2d(o), torch.nn.ReLU(inplace=True))
        self.enc1, self.enc2, self.mid = conv(3, c), conv(c, 2 * c), conv(2 * c, 2 * c)
        self.up2, self.dec2 = torch.nn.Upsample(scale_factor=2), conv(4 * c, c)
        self.up1, self.dec1 = torch.nn.Upsample(scale_factor=2), conv(2 * c, c)
        self.drop = torch.nn.Dropout2d(0.2)
        self.head = torch.nn.Conv2d(c, 2, 1)

    def down(self, block, x):
        skip = block(x)
        return torch.nn.functional.max_pool2d(skip, 2), skip

    def forward(self, x):
        x, s1 = self.down(self.enc1, x)
        x, s2 = self.down(self.enc2, x)
        x = self.drop(self.mid(x))
        x = self.dec2(torch.cat([self.up2(x), s2], dim=1))
        x = self.dec1(torch.cat([self.up1(x), s1], dim=1))
        return {"logits": self.head(x), "features": (x, s2)}


def _loss(out):
    if isinstance(out, dict):
        return out["logits"].square().sum() + out["features"][0].sum()
    if isinstance(out, (tuple, list)):
        return sum(o.float().square().sum() for o in out)
    return out.square().sum()


def _step(module, model, args, kwargs, use_grad, seed=3):
    torch.manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.grad = None
    out = module(*args, **kwargs)
    loss = _loss(out)
    inputs = [t for t in torch.utils._pytree.tree_flatten((args, kwargs))[0]
              if isinstance(t, torch.Tensor) and t.requires_grad]
    for t in inputs:
        t.grad = None
    if use_grad:
        grads = torch.autograd.grad(loss, params + inputs)
    else:
        loss.backward()
        grads = [p.grad.clone() for p in params + inputs]
    flat = torch.utils._pytree.tree_flatten(out)[0]
    return ([t.detach().clone() for t in flat], [g.clone() for g in grads],
            [b.clone() for b in model.buffers()], torch.get_rng_state())


def _equal(a, b):
    return all(len(x) == len(y) and all(torch.equal(u, v) for u, v in zip(x, y))
               for x, y in zip(a[:3], b[:3])) and torch.equal(a[3], b[3])


def _plans(cm, most=5):
    """Up to `most` plans spread over the curve (its ends included), and every block
    recomputed (merged, and one segment each)."""
    everything = set(range(len(cm.blocks)))
    curve = cm.curve
    picks = sorted({round(k * (len(curve) - 1) / max(1, most - 1)) for k in range(most)})
    return [curve[k] for k in picks] + [cm.plan_with(everything, True),
                                        cm.plan_with(everything, False)]


def _check_every_plan(model, args, kwargs=None, use_grad=(False, True)):
    kwargs = kwargs or {}
    model.train()
    # exactness does not depend on the measured sizes: skip the memory measurements
    cm = CheckpointedModule(model, 1.0, *args, blocks=6, repeats=1, measure_temporaries=False,
                            **kwargs)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    recomputed = 0
    for point in _plans(cm, 3 if len(cm.program.nodes) > 50 else 5):
        cm.plan = point
        recomputed = max(recomputed, len(point.recomputed))
        for g in use_grad:
            model.load_state_dict(state)
            ref = _step(model, model, args, kwargs, g)
            model.load_state_dict(state)
            got = _step(cm, model, args, kwargs, g)
            assert _equal(ref, got), (point, g)
    assert recomputed > 0
    return cm


def test_resnet18_every_plan_bitwise():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=5)
    cm = _check_every_plan(model, (torch.randn(2, 3, 32, 32),), use_grad=(False,))
    assert len(cm.program.nodes) > 60  # traced to its layers, not one node


def test_transformer_encoder_with_padding_mask_keyword():
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.1, batch_first=True)
    model = torch.nn.TransformerEncoder(layer, 3)
    x = torch.randn(3, 5, 16, requires_grad=True)
    mask = torch.zeros(3, 5, dtype=torch.bool)
    mask[0, 3:] = True
    cm = _check_every_plan(model, (x,), {"src_key_padding_mask": mask})
    assert any(n.op == "call_module" and "layers.2" in n.target for n in cm.program.nodes)


def test_unet_with_tuples_and_dict_outputs():
    torch.manual_seed(0)
    _check_every_plan(UNet(), (torch.randn(2, 3, 16, 16),))


def test_sequential_of_batch_first_encoder_layers():
    torch.manual_seed(0)
    model = torch.nn.Sequential(*[torch.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.2,
                                                                   batch_first=True)
                                  for _ in range(3)])
    cm = _check_every_plan(model, (torch.randn(2, 4, 16),))
    assert len(cm.blocks) > 1


class Shared(torch.nn.Module):
    """A weight used twice, a buffer, several inputs and outputs, a keyword argument."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(8, 8)
        self.b = torch.nn.Linear(8, 8)
        self.register_buffer("shift", torch.linspace(0, 1, 8))

    def forward(self, x, pair, scale=1.0, extra=None):
        y, z = pair
        h = torch.tanh(self.a(x) + self.shift) * scale
        h = torch.relu(self.b(h) + y)
        h = torch.tanh(self.a(h)) + z  # self.a again
        if extra is not None:
            h = h * extra
        return h, h.sum(dim=1)


def test_shared_parameters_several_inputs_constants():
    torch.manual_seed(0)
    model = Shared()
    x, y, z = (torch.randn(4, 8) for _ in range(3))
    _check_every_plan(model, (x, (y, z)), {"scale": 0.5, "extra": torch.randn(4, 8)})


def test_eval_and_no_grad_just_run_the_model():
    torch.manual_seed(0)
    model = UNet()
    x = torch.randn(2, 3, 16, 16)
    cm = CheckpointedModule(model, 1.0, x, blocks=4, repeats=1)
    cm.plan = cm.plan_with(set(range(len(cm.blocks))), False)
    with torch.no_grad():
        torch.manual_seed(1)
        first = cm(x)["logits"]
        torch.manual_seed(1)
        assert torch.equal(first, model(x)["logits"]) and first.grad_fn is None
    cm.eval()
    running = model.enc1[1].running_mean.clone()
    out = cm(x)
    assert torch.equal(out["logits"], model(x)["logits"])
    assert out["logits"].grad_fn is not None  # plain autograd, not segments
    assert torch.equal(model.enc1[1].running_mean, running)  # eval: no statistics update


def test_batchnorm_statistics_updated_once():
    torch.manual_seed(0)
    model = UNet()
    x = torch.randn(2, 3, 16, 16)
    cm = CheckpointedModule(model, 1.0, x, blocks=4, repeats=1)
    cm.plan = cm.plan_with(set(range(len(cm.blocks))), True)
    tracked = model.enc1[1].num_batches_tracked.item()
    _loss(cm(x)).backward()
    assert model.enc1[1].num_batches_tracked.item() == tracked + 1


def test_budgets_and_errors():
    torch.manual_seed(0)
    model = torch.nn.Sequential(*[torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Tanh())
                                  for _ in range(16)])
    x = torch.randn(1024, 64)
    # predictions only (no memory measured, so no plan is verified by measuring it): the
    # choice on the curve is deterministic
    cm = CheckpointedModule(model, "100%", x, blocks=8, repeats=1, measure_temporaries=False)
    full = cm.store_all_bytes
    assert cm.budget_bytes == full and cm.plan.recomputed == []
    curve = cm.memory_time_curve()
    assert curve[0][0] < full and curve[0][1] > curve[-1][1]  # less memory, more time
    assert all(a[0] < b[0] and a[1] > b[1] for a, b in zip(curve, curve[1:]))
    cm.set_budget(0.8)
    assert cm.budget_bytes == int(0.8 * full) and cm.predicted_peak <= cm.budget_bytes
    assert cm.predicted_time > curve[-1][1]
    with pytest.raises(ValueError, match="smallest feasible budget is"):
        cm.set_budget(1000)
    assert cm.budget_bytes == int(0.8 * full)  # unchanged
    with pytest.raises(ValueError, match="smallest feasible budget is"):
        CheckpointedModule(model, 1000, x, blocks=8, repeats=1, measure_temporaries=False)
    for bad in ("lots", -5, 0, 1.5, "0%", True, [1]):
        with pytest.raises(ValueError, match="budget"):
            CheckpointedModule(model, bad, x)
    with pytest.raises(ValueError, match="model"):
        CheckpointedModule([model], 1.0, x)
    with pytest.raises(ValueError, match="do not match"):
        CheckpointedModule(model, 1.0, x, x)


def test_parse_budget():
    assert parse_budget("8GB") == 8 * 10**9
    assert parse_budget("512MiB") == 512 << 20
    assert parse_budget(" 1.5 kb") == 1500
    assert parse_budget(4096) == 4096
    assert parse_budget("50%", 1000) == 500
    assert parse_budget(0.25, 1000) == 250
    with pytest.raises(ValueError, match="fraction"):
        parse_budget(0.5)


def test_new_input_shape_plans_again():
    torch.manual_seed(0)
    model = UNet()
    cm = CheckpointedModule(model, 1.0, torch.randn(2, 3, 16, 16), blocks=4, repeats=1)
    small = cm.store_all_bytes
    x = torch.randn(4, 3, 32, 32)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    got = _step(cm, model, (x,), {}, False)
    assert cm.store_all_bytes > small
    model.load_state_dict(state)
    assert _equal(_step(model, model, (x,), {}, False), got)


def test_untraceable_submodule_becomes_one_node():
    class Branchy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(8, 8)

        def forward(self, x):
            if float(x.abs().sum()) > 0:  # data-dependent: fx cannot trace through float()
                return self.lin(x)
            return x

    class Outer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.pre = torch.nn.Linear(8, 8)
            self.branchy = Branchy()
            self.post = torch.nn.Linear(8, 8)

        def forward(self, x):
            return self.post(torch.relu(self.branchy(torch.tanh(self.pre(x)))))

    torch.manual_seed(0)
    model = Outer()
    cm = _check_every_plan(model, (torch.randn(4, 8),))
    targets = [n.target for n in cm.program.nodes if n.op == "call_module"]
    assert "branchy" in targets and "pre" in targets


def test_sequential_api_still_works():
    torch.manual_seed(0)
    net = torch.nn.Sequential(*[torch.nn.Linear(32, 32), torch.nn.ReLU()] * 4)
    x = torch.randn(16, 32)
    model = CheckpointedSequential(net, budget_bytes=10**8, sample_input=x, repeats=1)
    model(x).sum().backward()
    assert all(p.grad is not None for p in net.parameters())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_every_plan_bitwise_and_planned_in_device_bytes():
    torch.manual_seed(0)
    model = UNet().cuda()
    x = torch.randn(2, 3, 16, 16, device="cuda")
    cm = _check_every_plan(model, (x,))
    assert cm.slack >= 0 and cm.store_all_bytes > 0


def test_chosen_plan_measures_within_the_budget():
    """The plan chosen was measured on the sample within the budget (plus the tolerance);
    a budget refused leaves the previous one. Measured in a process of its own: measured
    peaks depend on the process's heap (after earlier tests freed large blocks into it, a
    step reuses them without new pages and measures 0). (How far measured peaks stay from
    predictions: the benchmark reports it.)"""
    import os
    import pathlib
    import subprocess
    import sys
    from memsched.torch import PeakMeter
    if not PeakMeter().available:
        pytest.skip("no /proc/self/clear_refs")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(pathlib.Path(__file__).parent)] + sys.path)
    code = "import test_torch_module as t; t._chosen_plan_checks(); print('ok')"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), (
        result.stdout + result.stderr)


def _measured_step(cm, x):
    """The measured peak of a training step of `cm` on `x` after a warm-up step (as
    bench/torch_models.py measures: VmHWM - VmRSS before it, .grad allocated; the output's
    gradient is ones, as in the verification step: no loss function's memory)."""
    import gc
    from memsched.torch import PeakMeter
    meter = PeakMeter()
    params = [p for p in cm.parameters() if p.requires_grad]
    for p in params:
        p.grad = None

    def step():
        out = cm(x)
        out.backward(torch.ones_like(out))
    step()  # warm-up: allocates .grad
    for p in params:
        p.grad.zero_()
    gc.collect()
    meter.reset()
    before = meter.rss()
    step()
    return meter.peak() - before


def _chosen_plan_checks():
    torch.manual_seed(0)
    model = torch.nn.Sequential(*[torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.Tanh())
                                  for _ in range(8)])
    x = torch.randn(1024, 256)  # 1 MiB activations: above the meter's 0.3 MiB blur
    cm = CheckpointedModule(model, 1.0, x, blocks=8, repeats=1)
    assert cm.plan.recomputed == []
    measured = 0
    for fraction in (0.95, 0.9, 0.85, 0.8):
        budget = int(fraction * cm.store_all_bytes)
        try:
            plan = cm.set_budget(budget)
        except ValueError as e:
            assert "smallest feasible budget is" in str(e)
            assert cm.budget_bytes != budget  # the previous budget and plan stay
            continue
        # predicted within the budget, or predicted above it but measured within it
        assert plan.peak_bytes <= budget or plan.measured_bytes <= budget
        assert plan.measured_bytes is not None
        assert plan.measured_bytes <= budget + cm.tolerance
        # a training step under it, measured as the benchmark does, within the budget plus
        # the documented constant
        assert _measured_step(cm, x) <= budget + BUDGET_CONSTANT_BYTES
        measured += 1
    # a budget refused names the smallest feasible one; where that is a measured peak, a
    # budget of exactly that is accepted
    with pytest.raises(ValueError) as refused:
        cm.set_budget(1 << 16)
    least = int(str(refused.value).split("smallest feasible budget is ")[1].split()[0])
    if any(q.measured_bytes == least for q in cm.curve):
        plan = cm.set_budget(least)
        assert plan.measured_bytes is not None and plan.measured_bytes <= least + cm.tolerance
    cm.set_budget(1.0)  # plain autograd's predicted peak: plain autograd, not verified
    assert cm.plan.recomputed == []


class DenseConcat(torch.nn.Module):
    """DenseNet's pattern: each layer reads the concatenation of every earlier output, so
    early outputs get four or more gradient contributions."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(4, 4)
        self.layers = torch.nn.ModuleList(torch.nn.Linear(4 * (k + 1), 4) for k in range(3))
        self.head = torch.nn.Linear(16, 4)

    def forward(self, x):
        features = [torch.tanh(self.a(x))]
        for layer in self.layers:
            features.append(torch.tanh(layer(torch.cat(features, 1))))
        return self.head(torch.cat(features, 1))


def test_values_read_many_times_sum_their_gradients_in_autograds_order():
    import itertools
    torch.manual_seed(0)
    model = DenseConcat()
    x = torch.randn(3, 4)
    cm = CheckpointedModule(model, 1.0, x, blocks=6, repeats=1, measure_temporaries=False)
    ref = _step(model, model, (x,), {}, False)
    num = len(cm.blocks)
    for r in range(1, num + 1):
        for chosen in itertools.combinations(range(num), r):
            for merge in (True, False):
                cm.plan = cm.plan_with(set(chosen), merge)
                assert _equal(ref, _step(cm, model, (x,), {}, False)), (chosen, merge)


class _Probe(torch.autograd.Function):
    """Identity whose backward records whether a parameter's .grad is set by then."""

    @staticmethod
    def forward(ctx, x, probe):
        ctx.probe = probe
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        ctx.probe.seen.append(ctx.probe.watched.grad is not None)
        return g, None


class Probe(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.seen, self.watched = [], None

    def forward(self, x):
        return _Probe.apply(x, self)


def test_parameter_gradients_go_into_grad_node_by_node():
    """A recomputed segment adds its parameters' gradients to .grad as its backward produces
    them (not all at once when it returns), bitwise as plain autograd over two accumulating
    steps, with backward(inputs=...) and with torch.autograd.grad (which leaves .grad alone)."""
    torch.manual_seed(0)
    probe = Probe()
    model = torch.nn.Sequential(probe, *[torch.nn.Sequential(torch.nn.Linear(16, 16),
                                                             torch.nn.Tanh())
                                         for _ in range(4)])
    x = torch.randn(8, 16, requires_grad=True)
    first, last = model[1][0].weight, model[4][0].weight
    probe.watched = last
    cm = CheckpointedModule(model, 1.0, x, blocks=5, repeats=1, measure_temporaries=False)
    cm.plan = cm.plan_with(set(range(len(cm.blocks))), True)  # one segment: all recomputed
    assert [kind for kind, _ in cm.plan.segments if kind == "segment"] == ["segment"]

    def steps(module):
        torch.manual_seed(1)
        for p in model.parameters():
            p.grad = None
        x.grad = None
        probe.seen.clear()
        for _ in range(2):  # the second step adds to gradients already there
            module(x).square().sum().backward()
        # the probe's backward runs after last's: its gradient is in .grad by then (in a
        # segment's backward too; returning all gradients at once would leave it None)
        assert probe.seen[0] is True
        grads = [p.grad.clone() for p in model.parameters()] + [x.grad.clone()]
        for p in model.parameters():
            p.grad = None
        module(x).square().sum().backward(inputs=[first])  # only first's .grad
        assert all(p.grad is None for p in model.parameters() if p is not first)
        grads.append(first.grad.clone())
        grads += torch.autograd.grad(module(x).square().sum(), list(model.parameters()))
        assert all(p.grad is None for p in model.parameters() if p is not first)
        return grads

    ref = steps(model)
    got = steps(cm)
    assert len(ref) == len(got) and all(torch.equal(a, b) for a, b in zip(ref, got))


class ViewsOfParameters(torch.nn.Module):
    """Values crossing segments that alias a parameter (a transposed weight read by several
    nodes, the weight itself as an output) or an input (a reshape): a segment's backward frees
    its recomputed outputs' storages, never these."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(8, 8)
        self.w = torch.nn.Parameter(torch.randn(8, 8))

    def forward(self, x):
        flat = x.reshape(4, 8)
        wt = self.w.t()
        h = torch.tanh(self.lin(flat) @ wt)
        h = torch.sigmoid(h @ wt) + flat
        h = torch.relu(self.lin(h)) @ wt
        return h, self.w, flat


def test_segments_free_outputs_but_not_aliases_of_parameters_or_inputs():
    torch.manual_seed(0)
    x = torch.randn(2, 2, 8, requires_grad=True)
    _check_every_plan(ViewsOfParameters(), (x,))
