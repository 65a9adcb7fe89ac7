"""memsched.torch: train a PyTorch model under a memory budget in bytes.

:class:`CheckpointedModule` takes any ``nn.Module``: its graph is captured with torch.fx on a
sample, planned with the graph rematerialization planners and run with recomputed segments
(docs/torch.md, "Any model"):

    >>> import torch, torchvision, memsched.torch
    >>> net = torchvision.models.resnet18()
    >>> x = torch.randn(2, 3, 64, 64)
    >>> model = memsched.torch.CheckpointedModule(net, "60%", x)
    >>> model(x).sum().backward()

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

from memsched._memsched import (  # noqa: F401  (re-exported: the planner and its types)
    HeteroChain,
    HeteroLoss,
    HeteroOpKind,
    HeteroStage,
    hetero_timeline,
    memory_time_curve,
    plan_persistent,
)
from memsched.torch.meter import PeakMeter
from memsched.torch.profile import Profile, StageProfile, profile_sequence
from memsched.torch.run import CheckpointedSequential

__all__ = [
    "CheckpointedModule",
    "MemoryTimePoint",
    "parse_budget",
    "CheckpointedSequential",
    "StageProfile",
    "Profile",
    "profile_sequence",
    "PeakMeter",
]

# CheckpointedModule and its helpers load torch.fx on first use (PEP 562), not on import: a
# process that only runs pipelines or a Sequential (each pipeline worker imports this package)
# keeps a smaller heap; measured, importing torch.fx here moved a pipeline worker's measured
# per-step peak by 1.4 MiB (python/tests/test_pipeline_torch.py, the transformer case).
_LAZY = {"CheckpointedModule", "MemoryTimePoint", "parse_budget"}


def __getattr__(name):
    if name in _LAZY:
        from memsched.torch import module
        return getattr(module, name)
    raise AttributeError(f"module 'memsched.torch' has no attribute {name!r}")
