"""Online binomial checkpointing (memsched's own; upstream has no such schedule)."""

import memsched as _ms

from ._planned import _K, _translated
from .schedule import CheckpointSchedule, Forward, Move, StorageType

__all__ = ["OnlineBinomialCheckpointSchedule"]


class OnlineBinomialCheckpointSchedule(CheckpointSchedule):
    """Online binomial checkpointing, which checkpoint_schedules lacks (docs/online.md): the
    length is unknown until the consumer calls ``finalize(n)``; ``snapshots`` slots in
    ``storage`` (x_0's included). memsched's online planner (docs/online.md) decides at each
    step whether to keep the state, releasing a checkpoint with ``Move(k, storage, NONE)``;
    within beta(snapshots, 2) steps it runs as many forward steps as offline Revolve. The
    reversal after ``finalize`` is optimal for the checkpoints held and releases all of them
    (one adjoint sweep, then exhausted)."""

    def __init__(self, snapshots, *, storage=StorageType.RAM):
        super().__init__(None)
        if not isinstance(snapshots, int) or isinstance(snapshots, bool) or snapshots < 1:
            raise ValueError(f"snapshots must be a positive integer, got {snapshots!r}")
        if storage not in (StorageType.RAM, StorageType.DISK):
            raise ValueError(f"storage must be RAM or DISK, got {storage!r}")
        self._snapshots, self._storage = snapshots, storage

    def _storages_used(self):
        return {StorageType.WORK, self._storage}

    def _iterator(self):
        planner = _ms.OnlineCheckpointer(self._snapshots)
        while self._max_n is None:
            step = planner.steps_begun
            store = False
            for action in planner.begin_step():
                if action.kind == _K.FREE:
                    yield self._track(Move(action.step, self._storage, StorageType.NONE))
                else:  # the store of x_step, written by the Forward below
                    store = True
            yield self._track(Forward(step, step + 1, store, False,
                                      self._storage if store else StorageType.WORK))
        if planner.steps_begun != self._max_n:
            raise RuntimeError("Invalid checkpointing state: finalize(n) must follow the "
                               "Forward that reached n")
        for action, tape in _translated(planner.finish(), [self._storage]):
            yield self._track(action, tape)

    def __repr__(self):
        return f"OnlineBinomialCheckpointSchedule(snapshots={self._snapshots})"
