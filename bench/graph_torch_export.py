#!/usr/bin/env python3
"""Exports the forward-and-backward graphs of real networks to memsched's graph JSON format.

Each network is traced with torch.fx and run once on CPU at a small batch. Every forward
operation becomes a node whose `bytes` is the size of the tensor it produces (measured on the
run) and whose `time` is its measured time in milliseconds (the least of a few runs). Every
operation that has a gradient gets a backward node: it reads the gradient contributions of
the consumers' backward nodes and the tensors autograd saves for it (the inputs of a
convolution, linear layer or normalisation, the output of a ReLU or softmax: `SAVES` below),
produces the gradients of its inputs (`bytes`: their sizes), and its `time` is the measured
time of torch.autograd.grad for that operation alone (weight gradients included). The loss
(`loss`: the sum of the output) turns the forward into the backward; the last node `end`
(0 bytes, time 0) reads the gradients nobody else reads, so the graph has one source (the
input) and one sink. Views (flatten, reshape, ...) are aliases of their input, not nodes.
Weights, their gradients and optimizer state are not in the graph: they stay allocated for
the whole step whatever the schedule. In-place activations are made out-of-place first.

Usage: graph_torch_export.py FOLDER [--batch N] [--size S] [--models a,b,...]
Networks: resnet50 vgg16 mobilenet_v2 densenet121 (torchvision), unet, transformer (defined
here). Needs Debian's python3-torch and python3-torchvision (run with /usr/bin/python3).
"""
import argparse
import json
import operator
import os
import time

import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F
import torchvision


# ---- two networks torchvision does not have ---------------------------------------------------

class UNet(nn.Module):
    """A small U-Net (Ronneberger et al., MICCAI 2015): 3 levels, skip connections by concatenation."""

    def __init__(self, channels=16):
        super().__init__()
        c = channels

        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(),
                                 nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU())
        self.down1, self.down2, self.down3 = block(3, c), block(c, 2 * c), block(2 * c, 4 * c)
        self.bottom = block(4 * c, 8 * c)
        self.up3 = nn.ConvTranspose2d(8 * c, 4 * c, 2, stride=2)
        self.dec3 = block(8 * c, 4 * c)
        self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
        self.dec2 = block(4 * c, 2 * c)
        self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        self.dec1 = block(2 * c, c)
        self.head = nn.Conv2d(c, 2, 1)

    def forward(self, x):
        d1 = self.down1(x)
        d2 = self.down2(F.max_pool2d(d1, 2))
        d3 = self.down3(F.max_pool2d(d2, 2))
        b = self.bottom(F.max_pool2d(d3, 2))
        u3 = self.dec3(torch.cat([self.up3(b), d3], 1))
        u2 = self.dec2(torch.cat([self.up2(u3), d2], 1))
        u1 = self.dec1(torch.cat([self.up1(u2), d1], 1))
        return self.head(u1)


class EncoderLayer(nn.Module):
    """One post-norm transformer encoder layer (Vaswani et al., NeurIPS 2017), traceable."""

    def __init__(self, dim, heads, hidden, length):
        super().__init__()
        self.dim, self.heads, self.length = dim, heads, length
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        t, d, h = self.length, self.dim, self.heads
        qkv = self.qkv(x).reshape(-1, t, 3, h, d // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * (d // h) ** -0.5, dim=-1)
        y = torch.matmul(a, v).transpose(1, 2).reshape(-1, t, d)
        x = self.norm1(x + self.proj(y))
        return self.norm2(x + self.fc2(F.gelu(self.fc1(x))))


class Transformer(nn.Module):
    def __init__(self, layers=4, dim=256, heads=4, hidden=1024, length=128):
        super().__init__()
        self.layers = nn.ModuleList([EncoderLayer(dim, heads, hidden, length)
                                     for _ in range(layers)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def model_and_input(name, batch, size):
    if name == "unet":
        return UNet(), torch.randn(batch, 3, size // 2, size // 2)
    if name == "transformer":
        return Transformer(), torch.randn(batch, 128, 256)
    return getattr(torchvision.models, name)(), torch.randn(batch, 3, size, size)


# ---- tracing and measuring --------------------------------------------------------------------

VIEWS = {"flatten", "view", "reshape", "permute", "transpose", "contiguous", "unbind",
         "expand", "squeeze", "unsqueeze", "size", "dim"}
# What autograd keeps for the backward of an operation: its inputs, its output, both, or none.
SAVES = {
    nn.Conv2d: "inputs", nn.ConvTranspose2d: "inputs", nn.Linear: "inputs",
    nn.BatchNorm2d: "inputs", nn.LayerNorm: "inputs", nn.MaxPool2d: "both",
    nn.ReLU: "output", nn.ReLU6: "inputs", nn.Hardtanh: "inputs", nn.Sigmoid: "output",
    nn.AdaptiveAvgPool2d: "none", nn.AvgPool2d: "none", nn.Dropout: "none",
    torch.relu: "output", F.relu: "output", F.gelu: "inputs", torch.softmax: "output",
    F.max_pool2d: "both", F.adaptive_avg_pool2d: "none", F.avg_pool2d: "none",
    torch.cat: "none", operator.add: "none", torch.add: "none", operator.mul: "inputs",
    torch.mul: "inputs", torch.matmul: "inputs", torch.flatten: "none",
}


def is_view(node):
    if node.op == "call_function":
        name = getattr(node.target, "__name__", "")
        return name in VIEWS or node.target is operator.getitem
    if node.op == "call_method":
        return node.target in VIEWS
    return False


def saves_of(node, module):
    key = type(module) if node.op == "call_module" else node.target
    if node.op == "call_method":
        return "inputs"
    return SAVES.get(key, "inputs")


def best_time(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000.0  # milliseconds


def nbytes(value):
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, (tuple, list)):
        return sum(nbytes(v) for v in value)
    return 0


def export(name, batch, size, repeats=3):
    torch.manual_seed(0)
    model, x = model_and_input(name, batch, size)
    for m in model.modules():  # out-of-place activations: autograd timing needs them
        if hasattr(m, "inplace"):
            m.inplace = False
    model.train()
    gm = torch.fx.symbolic_trace(model)
    env = {}
    alias = {}  # view node -> the node whose output it aliases
    nodes, edges = [], []
    fwd = {}  # fx node -> forward graph node id
    info = {}  # graph id -> (fx node, tensor inputs as fx nodes, saves)
    for node in gm.graph.nodes:
        args = torch.fx.node.map_arg(node.args, lambda n: env[n])
        kwargs = torch.fx.node.map_arg(node.kwargs, lambda n: env[n])
        if kwargs.get("inplace"):  # F.relu(x, inplace=True) and the like
            kwargs = dict(kwargs, inplace=False)
        if node.op == "placeholder":
            env[node] = x
            fwd[node] = "input"
            nodes.append({"id": "input", "bytes": nbytes(x), "time": 0.0})
            continue
        if node.op == "output":
            out = node.args[0]
            env[node] = env[out]
            fwd[node] = fwd[alias.get(out, out)]
            continue
        if node.op == "get_attr":
            value = gm
            for part in node.target.split("."):
                value = getattr(value, part)
            env[node] = value
            continue
        if node.op == "call_module":
            module = gm.get_submodule(node.target)
            fn = lambda *a, module=module, **k: module(*a, **k)
        elif node.op == "call_method":
            module = None
            fn = lambda obj, *a, method=node.target, **k: getattr(obj, method)(*a, **k)
        else:
            module = None
            fn = node.target
        with torch.no_grad():
            env[node] = fn(*args, **kwargs)
        inputs = [alias.get(a, a) for a in node.all_input_nodes]
        inputs = [a for a in inputs if a in fwd]
        if is_view(node) or not isinstance(env[node], torch.Tensor):
            alias[node] = inputs[0] if inputs else node
            continue
        gid = node.name
        fwd[node] = gid
        with torch.no_grad():
            ms = best_time(lambda: fn(*args, **kwargs), repeats)
        nodes.append({"id": gid, "bytes": nbytes(env[node]), "time": round(ms, 4)})
        for a in dict.fromkeys(inputs):
            edges.append([fwd[a], gid])
        # Backward time: autograd.grad of this operation alone, w.r.t. its tensor inputs and
        # its parameters.
        leaves = []

        def prepare(v):
            if isinstance(v, torch.Tensor) and v.is_floating_point():
                leaf = v.detach().requires_grad_()
                leaves.append(leaf)
                return leaf
            return v
        gargs = [torch.fx.node.map_aggregate(a, prepare) for a in args]
        gkwargs = {k: torch.fx.node.map_aggregate(v, prepare) for k, v in kwargs.items()}
        params = list(module.parameters()) if module is not None else []
        out = fn(*gargs, **gkwargs)
        wrt = [t for t in leaves + params if t.requires_grad]
        bms, grad_bytes = 0.0, 0
        if out.requires_grad and wrt:
            g = torch.randn_like(out)
            bms = best_time(lambda: torch.autograd.grad(out, wrt, g, retain_graph=True,
                                                        allow_unused=True), repeats)
            grad_bytes = sum(nbytes(env[a]) for a in dict.fromkeys(inputs) if a.op != "placeholder")
        info[gid] = (node, list(dict.fromkeys(inputs)), saves_of(node, module), bms, grad_bytes)
    output_id = fwd[[n for n in gm.graph.nodes if n.op == "output"][0]]
    out_bytes = next(n["bytes"] for n in nodes if n["id"] == output_id)
    nodes.append({"id": "loss", "bytes": out_bytes, "time": 0.0})
    edges.append([output_id, "loss"])
    # Backward nodes, in reverse forward order: g(v) reads the gradient of v's output (from
    # the backward nodes of v's consumers, or the loss) and what autograd saved for v.
    consumers = {}
    for a, b in edges:
        consumers.setdefault(a, []).append(b)
    read = set()
    for gid in reversed([n["id"] for n in nodes if n["id"] in info]):
        node, inputs, saves, bms, grad_bytes = info[gid]
        bid = gid + "~b"
        nodes.append({"id": bid, "bytes": grad_bytes, "time": round(bms, 4)})
        sources = []
        for c in consumers.get(gid, []):
            if c == "loss":
                sources.append("loss")
            elif c in info:
                sources.append(c + "~b")
        if saves in ("inputs", "both"):
            sources += [fwd[a] for a in inputs]
        if saves in ("output", "both"):
            sources.append(gid)
        for s in dict.fromkeys(sources):
            edges.append([s, bid])
            read.add(s)
    ends = [n["id"] for n in nodes if n["id"].endswith("~b") and n["id"] not in read]
    nodes.append({"id": "end", "bytes": 0, "time": 0.0})
    edges += [[e, "end"] for e in ends]
    return {"nodes": nodes, "edges": edges}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--models", default="resnet50,vgg16,mobilenet_v2,densenet121,unet,"
                                             "transformer")
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.folder, exist_ok=True)
    for name in args.models.split(","):
        start = time.perf_counter()
        graph = export(name, args.batch, args.size)
        path = os.path.join(args.folder, f"{name}.json")
        with open(path, "w") as out:
            json.dump(graph, out, separators=(",", ":"))
        print(f"{path}: {len(graph['nodes'])} nodes, {len(graph['edges'])} edges, "
              f"{os.path.getsize(path)} bytes, {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
