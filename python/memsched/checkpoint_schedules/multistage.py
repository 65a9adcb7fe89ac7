"""Binomial checkpointing with RAM and disk snapshots, laid out as upstream's
``checkpoint_schedules.multistage``: the schedule, the optimal step counts and the step size
rule it uses.

The schedule is Griewank & Walther's binomial reversal (ACM TOMS 26(1), 2000) on a stack of
restart checkpoints; the ``trajectory`` picks the first advance among the optimal ones: "revolve"
the rule of Revolve (GW2000, p. 34), "maximum" the largest optimal advance. The stack positions
used most (writes plus reads) go to RAM, the rest to disk, the multistage distribution of Stumm &
Walther (SIAM J. Sci. Comput. 31(3), 2009). Every checkpoint is loaded with ``Move`` at its last
use, so the schedule ends with nothing stored. docs/python.md derives the step size rules.
"""

from math import comb

from .schedule import (CheckpointSchedule, Copy, EndForward, EndReverse, Forward, Move, Reverse,
                       StorageType, _count, _positive_max_n)

__all__ = ["MultistageCheckpointSchedule", "optimal_steps_binomial"]

_TRAJECTORIES = ("maximum", "revolve")


def _beta(s, t):
    """beta(s, t) = C(s + t, s): the most steps s snapshots reverse with t repetitions
    (GW2000, eq. (1)); 0 for t < 0."""
    return comb(s + t, s) if t >= 0 else 0


def _repetitions(n, s):
    """The repetition number t of n steps with s snapshots: beta(s, t-1) < n <= beta(s, t)."""
    t, b = 0, 1
    while b < n:
        t += 1
        b = b * (s + t) // t
    return t


def _check_steps(n, s):
    if not isinstance(n, int) or n <= 0:
        raise ValueError("Invalid number of steps")
    s = min(s, n - 1)
    if not isinstance(s, int) or s < min(1, n - 1):
        raise ValueError("Invalid number of snapshots")
    return s


def optimal_extra_steps(n, s):
    """Forward steps beyond n of the optimal binomial reversal of n steps with s snapshots
    (x_0's included): t n - beta(s + 1, t - 1), t the repetition number (GW2000, eq. (3))."""
    s = _check_steps(n, s)
    if n == 1:
        return 0
    t = _repetitions(n, s)
    return t * n - _beta(s + 1, t - 1)


def optimal_steps_binomial(n, s):
    """The fewest forward steps that reverse n steps with s snapshots (x_0's included)."""
    return n + optimal_extra_steps(n, s)


def n_advance(n, snapshots, *, trajectory="maximum"):
    """How far to advance before the next restart checkpoint when n steps remain to be reversed
    with ``snapshots`` free slots (the one for the current state included).

    Every advance m minimising m + extra(m, s) + extra(n - m, s - 1) is optimal; with t the
    repetition number, GW2000's Fig. 4 bounds a region of them by sums of beta(s', t') with
    s' in {s, s-1, s-2}, t' in {t-1, t-2}. "revolve" returns Revolve's choice (GW2000, p. 34);
    "maximum" the largest advance of that region, piecewise in n (docs/python.md). Larger
    optimal advances exist but store restart checkpoints later and rewrite more of them in the
    reverse sweep (35 % more writes over the test grid, measured).
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError("Require at least one block")
    if not isinstance(snapshots, int) or snapshots <= 0:
        raise ValueError("Require at least one snapshot")
    if trajectory not in _TRAJECTORIES:
        raise ValueError(f"Unexpected trajectory: {trajectory!r}")
    s = max(min(snapshots, n - 1), 1)
    if s == 1:
        return n - 1
    if s == n - 1:
        return 1
    if trajectory == "revolve":
        t = _repetitions(n, s)
        b1, c1, d1 = _beta(s, t - 1), _beta(s - 1, t - 1), _beta(s - 2, t - 1)
        if n <= b1 + d1:
            return _beta(s, t - 2)
        if n < b1 + c1 + d1:
            return n - c1 - d1
        return b1
    t = _repetitions(n, s)
    b1, c1, d1 = _beta(s, t - 1), _beta(s - 1, t - 1), _beta(s - 2, t - 1)
    b2, c2 = _beta(s, t - 2), _beta(s - 1, t - 2)
    if n <= b1 + c2:
        return n - b1 + b2
    if n <= b1 + d1 + c2:
        return b2 + c2
    if n <= b1 + c1 + d1:
        return n - c1 - d1
    return b1


def _binomial_reversal(stack, storage_at, end, slots, trajectory, keep_first):
    """Actions that reverse steps stack[0] .. end - 1, the adjoint standing at ``end`` and the
    restart checkpoints of ``stack`` (ascending) held. ``storage_at(i)`` is the storage of stack
    position i (called once per write or read of it); ``slots`` the stack's capacity;
    ``keep_first``: stack[0] is loaded with Copy even at its last use (kept for later sweeps).
    Yields (action, is_tape) pairs; leaves the stack empty."""
    WORK = StorageType.WORK
    start = stack[0]
    while end > start:
        target = end - 1
        top, position = stack[-1], len(stack) - 1
        if top == target:
            stack.pop()
            if position == 0 and keep_first:
                yield Copy(top, storage_at(0), WORK), False
            else:
                yield Move(top, storage_at(position), WORK), False
        else:
            yield Copy(top, storage_at(position), WORK), False
            n = top + n_advance(end - top, slots - len(stack) + 1, trajectory=trajectory)
            yield Forward(top, n, False, False, WORK), False
            while n < target:
                m = n_advance(end - n, slots - len(stack), trajectory=trajectory)
                stack.append(n)
                yield Forward(n, n + m, True, False, storage_at(len(stack) - 1)), False
                n += m
        yield Forward(target, end, False, True, WORK), False
        yield Reverse(end, target, True), False
        end = target


def _multistage_actions(max_n, slots, storage_at, trajectory):
    stack, n = [], 0
    while n < max_n - 1:
        m = n_advance(max_n - n, slots - len(stack), trajectory=trajectory)
        stack.append(n)
        yield Forward(n, n + m, True, False, storage_at(len(stack) - 1)), False
        n += m
    yield Forward(max_n - 1, max_n, False, True, StorageType.WORK), False
    yield EndForward(), False
    yield Reverse(max_n, max_n - 1, True), False
    if stack:
        yield from _binomial_reversal(stack, storage_at, max_n - 1, slots, trajectory, False)
    yield EndReverse(), False


def allocate_snapshots(max_n, snapshots_in_ram, snapshots_on_disk, *, write_weight=1.0,
                       read_weight=1.0, delete_weight=0.0, trajectory="maximum"):
    """(weights, allocation): each stack position's writes and reads (weighted; a Move also
    counts ``delete_weight``) over the binomial schedule of max_n steps with all snapshots, and
    the StorageType of each position: the ``snapshots_in_ram`` heaviest in RAM (ties: lower
    positions first), the others on disk (Stumm & Walther 2009)."""
    snapshots_in_ram = min(snapshots_in_ram, max_n - 1)
    snapshots = min(snapshots_in_ram + min(snapshots_on_disk, max_n - 1), max_n - 1)
    weights = [0.0] * snapshots
    last = []

    def count(position):
        last.append(position)
        return StorageType.RAM

    for action, _ in _multistage_actions(max_n, snapshots, count, trajectory):
        if isinstance(action, Forward) and action.write_ics:
            weights[last[-1]] += write_weight
        elif isinstance(action, (Copy, Move)):
            weights[last[-1]] += read_weight + (delete_weight if isinstance(action, Move) else 0)
    ranked = sorted(range(snapshots), key=lambda i: weights[i], reverse=True)
    allocation = [StorageType.DISK] * snapshots
    for i in ranked[:snapshots_in_ram]:
        allocation[i] = StorageType.RAM
    return tuple(weights), tuple(allocation)


class MultistageCheckpointSchedule(CheckpointSchedule):
    """Binomial schedule with ``snapshots_in_ram`` + ``snapshots_on_disk`` restart checkpoints
    (x_0's included), fewest forward steps; ``trajectory`` "maximum" (default) or "revolve"
    chooses among the optimal advances, as upstream's. Offline, one adjoint sweep; every
    checkpoint is loaded with Move at its last use."""

    def __init__(self, max_n, snapshots_in_ram, snapshots_on_disk, *, trajectory="maximum"):
        super().__init__(_positive_max_n(max_n))
        _count(snapshots_in_ram, "snapshots_in_ram")
        _count(snapshots_on_disk, "snapshots_on_disk")
        if trajectory not in _TRAJECTORIES:
            raise ValueError(f"trajectory must be 'maximum' or 'revolve', got {trajectory!r}")
        if max_n is None:
            raise ValueError("MultistageCheckpointSchedule: max_n must be a positive integer")
        if snapshots_in_ram + snapshots_on_disk == 0 and max_n > 1:
            raise ValueError(f"MultistageCheckpointSchedule: {max_n} steps need a snapshot")
        ram, disk = min(snapshots_in_ram, max_n - 1), min(snapshots_on_disk, max_n - 1)
        if ram == 0:
            storage = (StorageType.DISK,) * disk
        elif disk == 0:
            storage = (StorageType.RAM,) * ram
        else:
            _, storage = allocate_snapshots(max_n, ram, disk, trajectory=trajectory)
        self.snapshots_in_ram, self.snapshots_on_disk = snapshots_in_ram, snapshots_on_disk
        self._storage, self._trajectory = storage, trajectory

    @property
    def trajectory(self):
        return self._trajectory

    def _storages_used(self):
        return {StorageType.WORK} | set(self._storage)

    def _iterator(self):
        storage = self._storage
        for action, tape in _multistage_actions(self._max_n, len(storage), storage.__getitem__,
                                                self._trajectory):
            yield self._track(action, tape)

    def __repr__(self):
        return (f"MultistageCheckpointSchedule({self._max_n}, {self.snapshots_in_ram}, "
                f"{self.snapshots_on_disk}, trajectory={self._trajectory!r})")

