"""Online binomial checkpointing (memsched's own; upstream has no such schedule)."""

import functools

import memsched as _ms

from ._planned import _K
from .multistage import _binomial_reversal
from .schedule import (CheckpointSchedule, EndForward, EndReverse, Forward, Move, Reverse,
                       StorageType)

__all__ = ["OnlineBinomialCheckpointSchedule"]


def _best_subset(positions, end, slots):
    """The checkpoints to keep among ``positions`` (ascending, positions[0] kept) for reversing
    steps positions[0] .. end - 1 stretch by stretch, last first, the i-th kept stretch with
    ``slots - i`` slots (its own and the free ones): the subset with the fewest forward steps,
    each stretch costing Revolve's n + t(n, c) (Griewank & Walther 2000). O(h^2 slots) for h
    positions."""
    positions = [p for p in positions if p < end]
    h = len(positions)
    steps = functools.lru_cache(maxsize=None)(_ms.revolve_forward_steps)
    # best[j][i]: fewest forward steps from kept position j, the i-th kept, to the end.
    best = [[None] * slots for _ in range(h)]
    after = [[None] * slots for _ in range(h)]
    for j in range(h - 1, -1, -1):
        for i in range(min(j, slots - 1), -1, -1):
            value, choice = steps(end - positions[j], slots - i), None
            for k in range(j + 1, h):
                if i + 1 < slots and best[k][i + 1] is not None:
                    candidate = steps(positions[k] - positions[j], slots - i) + best[k][i + 1]
                    if candidate < value:
                        value, choice = candidate, k
            best[j][i], after[j][i] = value, choice
    kept, j, i = [], 0, 0
    while j is not None:
        kept.append(positions[j])
        j, i = after[j][i], i + 1
    return kept


class OnlineBinomialCheckpointSchedule(CheckpointSchedule):
    """Online binomial checkpointing, which checkpoint_schedules lacks (docs/online.md): the
    length is unknown until the consumer calls ``finalize(n)``; ``snapshots`` slots in
    ``storage`` (x_0's included), never more checkpoints stored than that. After ``finalize``
    each stretch between the checkpoints held is reversed by the binomial reversal with the
    slots left free, releasing every checkpoint (one adjoint sweep, then exhausted).

    Consumers that tape the forward (pyadjoint) process only Forward and EndForward until
    EndForward: no checkpoint can be deleted while taping. ``release`` says what the consumer
    can do (all three release every checkpoint by EndReverse):

    - ``"at_reverse"`` (default, for taping consumers): each checkpoint is written once
      during the forward and kept until EndForward: x_0 and x_(2^k - 1), k = 1, 2, ..., up to
      ``snapshots`` of them (stretches doubling in length, n being unknown). Once n is known,
      the subset of them whose stretch-by-stretch binomial reversal runs the fewest forward
      steps is kept (the others are deleted right after EndForward, freeing slots for the
      stretches after them). Measured: at most 4/3 of offline Revolve's forward steps for
      5 <= n <= 300 and n in {1000, 3000}, snapshots <= 10 (at most 2x for n <= 4).
    - ``"immediate"``: memsched's online planner (docs/online.md) decides at each step whether
      to keep the state and deletes dropped checkpoints with ``Move(k, storage, NONE)`` at
      once; for consumers that process deletions during the forward. For n <= beta(snapshots,
      2) it runs at most 2 forward steps more than offline Revolve.
    - ``"after_forward"``: the online planner's choices, its deletions deferred to just after
      EndForward. Until then the storage holds every checkpoint the planner kept at some point
      (measured: up to 54 beyond ``snapshots`` at n = 119, snapshots = 8), so ``snapshots``
      bounds only the checkpoints in use; opt in only when that memory is available."""

    def __init__(self, snapshots, *, storage=StorageType.RAM, release="at_reverse"):
        super().__init__(None)
        if not isinstance(snapshots, int) or isinstance(snapshots, bool) or snapshots < 1:
            raise ValueError(f"snapshots must be a positive integer, got {snapshots!r}")
        if storage not in (StorageType.RAM, StorageType.DISK):
            raise ValueError(f"storage must be RAM or DISK, got {storage!r}")
        if release not in ("at_reverse", "immediate", "after_forward"):
            raise ValueError("release must be 'at_reverse', 'immediate' or 'after_forward', "
                             f"got {release!r}")
        self._snapshots, self._storage, self._release = snapshots, storage, release

    def _storages_used(self):
        return {StorageType.WORK, self._storage}

    def _decisions(self):
        """Per step begun: (store x_step?, checkpoints the step drops)."""
        if self._release == "at_reverse":
            # Write-once: x_0, x_1, x_3, x_7, ... while fewer than snapshots are held. With n
            # unknown and no deletion before EndForward, doubling stretches suit every n: at
            # EndForward _best_subset keeps the ones worth keeping for the n reached.
            capacity, written, next_store, gap = self._snapshots, 0, 0, 1
            step = 0
            while True:
                store = written < capacity and step == next_store
                if store:
                    written += 1
                    next_store, gap = next_store + gap, 2 * gap
                yield store, []
                step += 1
        planner = _ms.OnlineCheckpointer(self._snapshots)
        while True:
            store, frees = False, []
            for action in planner.begin_step():
                if action.kind == _K.FREE:
                    frees.append(action.step)
                else:  # the store of x_step, written by the Forward of that step
                    store = True
            yield store, frees

    def _iterator(self):
        decisions = self._decisions()
        held, dropped = set(), []
        recorded = []  # per step begun: whether its Forward kept its adjoint dependencies
        frees = []  # the checkpoints dropped when the last step was begun
        begun = 0
        while self._max_n is None:
            step = begun
            store, frees = next(decisions)
            begun += 1
            for k in frees:
                held.discard(k)
                if self._release == "immediate":
                    yield self._track(Move(k, self._storage, StorageType.NONE))
                else:
                    dropped.append(k)
            if store:
                held.add(step)
            # A step not stored keeps its adjoint dependencies in WORK: if it is the last one,
            # the adjoint starts without running it again.
            yield self._track(Forward(step, step + 1, store, not store,
                                      self._storage if store else StorageType.WORK))
            recorded.append(not store)
        if begun == self._max_n + 1:
            # pyadjoint asks for the action after the last step before it calls finalize: the
            # Forward of step n was never run. Its store did not happen; the checkpoints dropped
            # for it are still there unless already deleted.
            held.discard(self._max_n)
            recorded.pop()
            if self._release != "immediate":
                for k in frees:
                    held.add(k)
                    dropped.remove(k)
        elif begun != self._max_n:
            raise RuntimeError("Invalid checkpointing state: finalize(n) must follow the "
                               "Forward that reached n")
        yield self._track(EndForward())
        storage, end = self._storage, self._max_n
        if recorded[-1]:
            end -= 1  # the last step's adjoint dependencies are in WORK
        if self._release == "at_reverse" and end > 0:
            # n is known now: keep the subset of the write-once checkpoints whose reversal runs
            # the fewest forward steps (deleting one frees a slot for the stretches after it).
            kept = _best_subset(sorted(held), end, self._snapshots)
            dropped.extend(sorted(held - set(kept)))
            held = set(kept)
        for k in dropped:
            yield self._track(Move(k, self._storage, StorageType.NONE))
        # The reversal from the checkpoints held: the binomial reversal of each stretch between
        # them with the slots left free (GW2000), every store a Forward with write_ics.
        if recorded[-1]:
            yield self._track(Reverse(end + 1, end, True))
        if end > 0:
            for action, tape in _binomial_reversal(sorted(held), lambda position: storage, end,
                                                   self._snapshots, "maximum", False):
                yield self._track(action, tape)
        yield self._track(EndReverse())

    def __repr__(self):
        return f"OnlineBinomialCheckpointSchedule(snapshots={self._snapshots})"
