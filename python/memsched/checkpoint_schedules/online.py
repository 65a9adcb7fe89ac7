"""Online binomial checkpointing (memsched's own; upstream has no such schedule)."""

import memsched as _ms

from ._planned import _K
from .multistage import _binomial_reversal
from .schedule import (CheckpointSchedule, EndForward, EndReverse, Forward, Move, Reverse,
                       StorageType)

__all__ = ["OnlineBinomialCheckpointSchedule"]


class OnlineBinomialCheckpointSchedule(CheckpointSchedule):
    """Online binomial checkpointing, which checkpoint_schedules lacks (docs/online.md): the
    length is unknown until the consumer calls ``finalize(n)``; ``snapshots`` slots in
    ``storage`` (x_0's included). memsched's online planner decides at each step whether to
    keep the state; after ``finalize`` each stretch between the checkpoints held is reversed
    by the binomial reversal with the slots left free, releasing every checkpoint (one adjoint
    sweep, then exhausted).

    Consumers tape the forward with Forward actions only (pyadjoint raises on anything else),
    so by default (``release="after_forward"``) the checkpoints the planner drops during the
    forward are deleted, ``Move(k, storage, NONE)``, right after EndForward: ``snapshots`` then
    bounds the checkpoints in use, not the ones stored, until EndForward. ``release="immediate"``
    deletes them when dropped, for consumers that process deletions while taping (the storage
    then never holds more than ``snapshots``). The online planner runs 1 to 3 forward steps more
    than offline Revolve for n <= beta(snapshots, 2) (it cannot know which step is the last)."""

    def __init__(self, snapshots, *, storage=StorageType.RAM, release="after_forward"):
        super().__init__(None)
        if not isinstance(snapshots, int) or isinstance(snapshots, bool) or snapshots < 1:
            raise ValueError(f"snapshots must be a positive integer, got {snapshots!r}")
        if storage not in (StorageType.RAM, StorageType.DISK):
            raise ValueError(f"storage must be RAM or DISK, got {storage!r}")
        if release not in ("after_forward", "immediate"):
            raise ValueError(f"release must be 'after_forward' or 'immediate', got {release!r}")
        self._snapshots, self._storage, self._release = snapshots, storage, release

    def _storages_used(self):
        return {StorageType.WORK, self._storage}

    def _iterator(self):
        planner = _ms.OnlineCheckpointer(self._snapshots)
        held, dropped = set(), []
        recorded = []  # per step begun: whether its Forward kept its adjoint dependencies
        frees = []  # the checkpoints dropped when the last step was begun
        while self._max_n is None:
            step = planner.steps_begun
            store, frees = False, []
            for action in planner.begin_step():
                if action.kind == _K.FREE:
                    held.discard(action.step)
                    frees.append(action.step)
                    if self._release == "immediate":
                        yield self._track(Move(action.step, self._storage, StorageType.NONE))
                    else:
                        dropped.append(action.step)
                else:  # the store of x_step, written by the Forward below
                    store = True
                    held.add(step)
            # A step not stored keeps its adjoint dependencies in WORK: if it is the last one,
            # the adjoint starts without running it again.
            yield self._track(Forward(step, step + 1, store, not store,
                                      self._storage if store else StorageType.WORK))
            recorded.append(not store)
        if planner.steps_begun == self._max_n + 1:
            # pyadjoint asks for the action after the last step before it calls finalize: the
            # Forward of step n was never run. Its store did not happen; the checkpoints dropped
            # for it are still there unless already deleted.
            held.discard(self._max_n)
            recorded.pop()
            if self._release != "immediate":
                for step in frees:
                    held.add(step)
                    dropped.remove(step)
        elif planner.steps_begun != self._max_n:
            raise RuntimeError("Invalid checkpointing state: finalize(n) must follow the "
                               "Forward that reached n")
        yield self._track(EndForward())
        for step in dropped:
            yield self._track(Move(step, self._storage, StorageType.NONE))
        # The reversal from the checkpoints held: the binomial reversal of each stretch between
        # them with the slots left free (GW2000), every store a Forward with write_ics.
        storage, end = self._storage, self._max_n
        if recorded[-1]:
            yield self._track(Reverse(end, end - 1, True))
            end -= 1
        if end > 0:
            for action, tape in _binomial_reversal(sorted(held), lambda position: storage, end,
                                                   self._snapshots, "maximum", False):
                yield self._track(action, tape)
        yield self._track(EndReverse())

    def __repr__(self):
        return f"OnlineBinomialCheckpointSchedule(snapshots={self._snapshots})"
