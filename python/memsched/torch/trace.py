"""Capturing the graph of any nn.Module with torch.fx, specialised on a sample input."""

import inspect

import torch
import torch.fx as fx
from torch.fx.node import map_aggregate

# Modules run as one node even though they have children: their forward is one fused kernel
# path (nn.MultiheadAttention calls F.multi_head_attention_forward) that gains nothing from
# being split.
_OPAQUE = (torch.nn.MultiheadAttention,)


class _ConcreteProxy(fx.Proxy):
    """A proxy that also carries the value its node has on the sample input, so that Python
    control flow on it (``if mask is not None and mask.dtype != torch.bool``, ``len``,
    iteration) follows the sample instead of failing: the graph is specialised on it."""

    def __iter__(self):
        value = self.node.meta.get("concrete")
        if value is None or isinstance(value, torch.Tensor) and value.dim() == 0:
            return super().__iter__()
        return iter([self[i] for i in range(len(value))])

    def __len__(self):
        return len(self.node.meta["concrete"])


class _ConcreteTracer(fx.Tracer):
    """An fx tracer that runs every node on the sample while it records it (see
    _ConcreteProxy). Leaf modules: those without children, those of _OPAQUE, and those in
    `leaves` (modules found untraceable on an earlier attempt)."""

    def __init__(self, leaves, inputs, constants):
        super().__init__()
        self.leaves = leaves
        self.inputs = inputs  # placeholder name -> sample value
        self.constants = constants  # argument name -> the constant it is specialised on
        self.stack = []
        self.failed = None
        self.running = 0  # > 0 while a node runs on the sample: attribute reads are plain

    def getattr(self, attr, attr_val, parameter_proxy_cache):
        if self.running:
            return attr_val
        return super().getattr(attr, attr_val, parameter_proxy_cache)

    def is_leaf_module(self, m, qualname):
        return (id(m) in self.leaves or isinstance(m, _OPAQUE) or
                next(iter(m.children()), None) is None)

    def call_module(self, m, forward, args, kwargs):
        proxies = []
        map_aggregate((args, kwargs), lambda a: proxies.append(a) if isinstance(a, fx.Proxy)
                      else None)
        if not proxies:  # a leaf run on the sample by create_proxy (Module.__call__ is patched)
            return forward(*args, **kwargs)
        self.stack.append(m)
        try:
            return super().call_module(m, forward, args, kwargs)
        except Exception:
            if self.failed is None and not self.is_leaf_module(m, ""):
                self.failed = m  # the innermost non-leaf module whose forward raised
            raise
        finally:
            self.stack.pop()

    def proxy(self, node):
        return _ConcreteProxy(node, self)

    def to_bool(self, obj):
        return bool(obj.node.meta["concrete"])

    def iter(self, obj):
        # obj may be an fx Attribute proxy (x.shape), not a _ConcreteProxy: read its node
        value = obj.node.meta["concrete"]
        return iter([obj[i] for i in range(len(value))])

    def keys(self, obj):
        return obj.node.meta["concrete"].keys()

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None,
                     proxy_factory_fn=None):
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr,
                                     proxy_factory_fn)
        # the module path the node belongs to: a leaf module's own, else the innermost module
        # whose forward is being traced (block cuts prefer the boundaries of outer modules)
        if kind == "call_module":
            proxy.node.meta["scope"] = target
        elif self.stack:
            proxy.node.meta["scope"] = (self.submodule_paths or {}).get(self.stack[-1], "")
        else:
            proxy.node.meta["scope"] = ""

        def concrete(a):
            return a.node.meta["concrete"] if isinstance(a, fx.Proxy) else a

        a = map_aggregate(args, concrete)
        k = map_aggregate(kwargs, concrete)
        self.running += 1
        try:
            proxy.node.meta["concrete"] = self._run(kind, target, a, k)
        finally:
            self.running -= 1
        return proxy

    def _run(self, kind, target, a, k):
        if kind == "placeholder":
            # fx names the placeholder of a constant argument NAME_1
            value = (self.inputs[target] if target in self.inputs
                     else self.constants[target.rsplit("_", 1)[0]])
        elif kind == "get_attr":
            value = self.root
            for part in target.split("."):
                value = getattr(value, part)
        elif kind == "call_function":
            value = target(*a, **k)
        elif kind == "call_method":
            value = getattr(a[0], target)(*a[1:], **k)
        elif kind == "call_module":
            value = self.root.get_submodule(target)(*a, **k)
        else:
            value = None
        return value


def bind_inputs(model, args, kwargs):
    """The model's forward arguments by name: (tensor-like inputs, constants). Arguments that
    hold a tensor (possibly inside tuples, lists, dicts) become graph inputs; the others
    (None, numbers, flags) and the defaults not given are constants the graph is specialised
    on. ValueError when the arguments do not match the signature."""
    try:
        bound = inspect.signature(model.forward).bind(*args, **kwargs)
    except TypeError as e:
        raise ValueError(f"CheckpointedModule: the sample arguments do not match "
                         f"{type(model).__name__}.forward: {e}") from None
    inputs, constants = {}, {}
    for name, param in inspect.signature(model.forward).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            if name in bound.arguments and bound.arguments[name]:
                raise ValueError(f"CheckpointedModule: {type(model).__name__}.forward takes "
                                 f"*{name}; pass its arguments by name")
            continue
        value = bound.arguments.get(name, param.default)
        if value is inspect.Parameter.empty:
            raise ValueError(f"CheckpointedModule: missing argument {name!r}")
        leaves, _ = torch.utils._pytree.tree_flatten(value)
        if any(isinstance(v, torch.Tensor) for v in leaves):
            inputs[name] = value
        else:
            constants[name] = value
    return inputs, constants


class _Whole(torch.nn.Module):
    """Holds a model that cannot be traced at all, so that it becomes one opaque node."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *args, **kwargs):  # pragma: no cover (traced, never called)
        return self.model(*args, **kwargs)


def capture(model, inputs, constants, max_attempts=64):
    """The fx graph of model on the sample (names -> values from bind_inputs), and the ids of
    the modules made opaque. Runs the model on the sample (no grad; the RNG state and buffers
    are restored by the caller). A submodule whose forward cannot be traced becomes a leaf and
    tracing starts again; when the model's own forward cannot be traced, the graph is one node
    calling the whole model."""
    leaves = set()
    for _ in range(max_attempts):
        tracer = _ConcreteTracer(leaves, inputs, constants)
        try:
            with torch.no_grad():
                graph = tracer.trace(model, concrete_args=dict(constants))
            return fx.GraphModule(model, graph), leaves, graph
        except Exception:
            if tracer.failed is None or tracer.failed is model:
                break
            leaves.add(id(tracer.failed))
    # the whole model as one node
    whole = _Whole(model)
    graph = fx.Graph()
    placeholders = {name: graph.placeholder(name) for name in inputs}
    kw = dict(placeholders)
    kw.update(constants)
    out = graph.call_module("model", (), kw)
    graph.output(out)
    return fx.GraphModule(whole, graph), leaves | {id(model)}, graph
