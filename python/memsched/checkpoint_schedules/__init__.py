"""A drop-in for users of firedrakeproject/checkpoint_schedules, backed by memsched's planners.

Switch with one import::

    from memsched.checkpoint_schedules import Revolve, StorageType, Forward, Reverse, ...

Upstream's module layout (``schedule``, ``basic_schedules``, ``hrevolve``, ``multistage``,
``mixed``, ``twolevel_binomial``), class names, constructor signatures and defaults, schedule
attributes (``max_n``, ``n``, ``r``, ``is_exhausted``, ``uses_storage_type``, ``finalize``,
iteration), actions (``Forward``, ``Reverse``, ``Copy``, ``Move``, ``EndForward``,
``EndReverse`` with their fields and printed form) and public functions
(``optimal_steps_binomial``, ``optimal_steps_mixed``, ``n_advance``, ...). Where the real
``checkpoint_schedules`` package is importable, its action classes, ``StorageType`` and
``CheckpointSchedule`` base are used and every schedule class here is registered as a (virtual)
subclass of upstream's class of the same name, so consumers that dispatch on upstream's classes
(pyadjoint's ``CheckpointManager``, tlm_adjoint) treat memsched's schedules as upstream's.

docs/python.md lists every remaining difference from upstream with its reason. memsched's own
additions: ``MemschedSchedule`` (any memsched planner through this interface),
``OnlineBinomialCheckpointSchedule``, ``ExtraStorage``, ``checkpoint_schedules_actions``.
"""

MEMSCHED_DROP_IN = True

from .schedule import (USING_UPSTREAM_ACTIONS, CheckpointAction, CheckpointSchedule,  # noqa: E402
                       Copy, EndForward, EndReverse, Forward, Move, Reverse, StepType,
                       StorageType, _upstream)
from .basic_schedules import (NoneCheckpointSchedule, SingleDiskStorageSchedule,  # noqa: E402
                              SingleMemoryStorageSchedule)
from .hrevolve import DiskRevolve, HRevolve, PeriodicDiskRevolve, Revolve  # noqa: E402
from .multistage import MultistageCheckpointSchedule, optimal_steps_binomial  # noqa: E402
from .mixed import MixedCheckpointSchedule  # noqa: E402
from .twolevel_binomial import TwoLevelCheckpointSchedule  # noqa: E402
from .online import OnlineBinomialCheckpointSchedule  # noqa: E402
from ._planned import ExtraStorage, MemschedSchedule, checkpoint_schedules_actions  # noqa: E402

__all__ = [
    "StorageType", "CheckpointAction", "Forward", "Reverse", "Copy", "Move", "EndForward",
    "EndReverse", "CheckpointSchedule", "Revolve", "MultistageCheckpointSchedule", "HRevolve",
    "DiskRevolve", "PeriodicDiskRevolve", "TwoLevelCheckpointSchedule", "MixedCheckpointSchedule",
    "SingleMemoryStorageSchedule", "SingleDiskStorageSchedule", "NoneCheckpointSchedule",
    "optimal_steps_binomial", "MemschedSchedule", "ExtraStorage",
    "OnlineBinomialCheckpointSchedule", "checkpoint_schedules_actions",
]

# Upstream's class of the same name for each of ours: with upstream importable, ours become
# (virtual) subclasses of it through ABCMeta.register, which adds the relation without
# inheriting upstream's behaviour. pyadjoint's CheckpointManager keeps the adjoint dependencies
# of a SingleMemoryStorageSchedule in working memory only when isinstance says so: without the
# relation a re-evaluation's gradient is silently wrong.
_UPSTREAM_NAMES = {
    "Revolve": Revolve, "MultistageCheckpointSchedule": MultistageCheckpointSchedule,
    "HRevolve": HRevolve, "DiskRevolve": DiskRevolve, "PeriodicDiskRevolve": PeriodicDiskRevolve,
    "TwoLevelCheckpointSchedule": TwoLevelCheckpointSchedule,
    "MixedCheckpointSchedule": MixedCheckpointSchedule,
    "SingleMemoryStorageSchedule": SingleMemoryStorageSchedule,
    "SingleDiskStorageSchedule": SingleDiskStorageSchedule,
    "NoneCheckpointSchedule": NoneCheckpointSchedule,
}


def _register_with_upstream():
    if _upstream is None:
        return
    for name, ours in _UPSTREAM_NAMES.items():
        theirs = getattr(_upstream, name, None)
        if isinstance(theirs, type) and hasattr(theirs, "register"):
            theirs.register(ours)


_register_with_upstream()
