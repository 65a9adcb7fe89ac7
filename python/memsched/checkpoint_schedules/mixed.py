"""Maddison's mixed schedule, laid out as upstream's ``checkpoint_schedules.mixed``: the schedule
(planned by memsched's C++ planner) and the optimal forward step count."""

import memsched as _ms

from ._planned import _PlannedSchedule
from .schedule import (Copy, EndForward, EndReverse, Forward, Move, Reverse, StepType, StorageType,
                       _count, _positive_max_n)

__all__ = ["MixedCheckpointSchedule"]


# The dynamic programme below costs about n^2 s / 2 Python operations; beyond this the schedule
# comes from memsched's C++ mixed planner (same optimal forward step count, its own choice
# among equally cheap decisions; docs/python.md).
_PYTHON_POLICY_LIMIT = 2 * 10**7


class MixedCheckpointSchedule(_PlannedSchedule):
    """Maddison's mixed schedule (J. Comput. Sci. 82:102405, 2024): each of ``snapshots``
    slots in ``storage`` holds a state or one step's adjoint dependencies; fewest forward
    steps. A loaded checkpoint is kept (Copy) while the next decision of its subproblem reuses
    it and released (Move) otherwise, as upstream's; every checkpoint is released by the end."""

    def __init__(self, max_n, snapshots, *, storage=StorageType.DISK):
        _positive_max_n(max_n)
        _count(snapshots, "snapshots")
        if max_n is None:
            raise ValueError("MixedCheckpointSchedule: max_n must be a positive integer")
        if storage not in (StorageType.RAM, StorageType.DISK):
            raise ValueError(f"storage must be RAM or DISK, got {storage!r}")
        if snapshots == 0 and max_n > 1:
            raise ValueError(f"MixedCheckpointSchedule: {max_n} steps need a snapshot, got 0")
        self.snapshots = snapshots
        self._slots, self._storage = min(snapshots, max_n - 1), storage
        self._python_policy = max_n * max_n * max(self._slots, 1) // 2 <= _PYTHON_POLICY_LIMIT
        name = "ram" if storage == StorageType.RAM else "disk"
        super().__init__(max_n, "mixed", _ms.Chain(max_n),
                         _ms.Platform([_ms.StorageLevel(name, snapshots)]), [storage])

    def _iterator(self):
        if not self._python_policy:
            yield from self._planned_actions()
            return
        for action, tape in _mixed_actions(self._max_n, self._slots, self._storage):
            yield self._track(action, tape)


def _decision(n, s):
    return _entry(n, min(s, n - 1))


def _mixed_actions(max_n, slots, storage):
    """(action, is_tape) pairs of the mixed schedule: at the forward position n with the adjoint
    at max_n - r, the decision for the remaining steps and free slots (a checkpoint at n being
    reused counts as free); after each adjoint step, the last stored item is loaded, kept if the
    decision for its subproblem stores it again, released otherwise."""
    WORK = StorageType.WORK
    stack, held = [], set()
    n = r = 0
    while True:
        while n < max_n - r:
            reuse = n in held
            kind, advance, _ = _decision(max_n - r - n, slots - len(stack) + int(reuse))
            n1 = n + advance
            if kind == StepType.FORWARD_REVERSE:
                if n1 > n + 1:
                    yield Forward(n, n1 - 1, False, False, WORK), False
                yield Forward(n1 - 1, n1, False, True, WORK), False
            elif kind == StepType.WRITE_ADJ_DEPS:
                yield Forward(n, n1, False, True, storage), False
                held.add(n)
                stack.append((kind, n))
            elif reuse:
                yield Forward(n, n1, False, False, WORK), False
            else:
                yield Forward(n, n1, True, False, storage), False
                held.add(n)
                stack.append((kind, n))
            n = n1
        if r == 0:
            yield EndForward(), False
        r += 1
        yield Reverse(max_n - r + 1, max_n - r, True), False
        if r == max_n:
            break
        kind, checkpoint = stack[-1]
        again = _decision(max_n - r - checkpoint, slots - len(stack) + 1)[0] == kind
        if not again:
            stack.pop()
            held.discard(checkpoint)
        tape = kind == StepType.WRITE_ADJ_DEPS
        n = checkpoint + 1 if tape else checkpoint
        yield (Copy if again else Move)(checkpoint, storage, WORK), tape
    yield EndReverse(), False


# Maddison's recurrence (J. Comput. Sci. 82:102405, 2024, eq. (4)): with s slots, n steps cost
# n if every step's adjoint dependencies fit (n <= s + 1), n(n+1)/2 - 1 with one slot, else the
# cheaper of storing the first step's adjoint dependencies (1 + cost(n - 1, s - 1)) and storing
# x_0 then advancing i steps (i + cost(i, s) + cost(n - i, s - 1)). Rows are filled bottom-up
# per s (no recursion over n), cached for the process.
_ROWS = {}


def _check(n, s):
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise ValueError("Invalid number of steps")
    if not isinstance(s, int) or isinstance(s, bool):
        raise ValueError("Invalid number of snapshots")
    s = min(s, n - 1)
    if s < min(1, n - 1):
        raise ValueError("Invalid number of snapshots")
    return s


def _entry(n, s):
    """(StepType, steps, cost) of the first decision for n steps and s slots (s <= n - 1)."""
    if n == 1:
        return StepType.FORWARD_REVERSE, 1, 1
    if n <= s + 1:
        return StepType.WRITE_ADJ_DEPS, 1, n
    if s == 1:
        return StepType.WRITE_ICS, n - 1, n * (n + 1) // 2 - 1
    row = _ROWS.setdefault(s, [None, None])
    while len(row) <= n:
        k = len(row)
        if k <= s + 1:
            row.append((StepType.WRITE_ADJ_DEPS, 1, k))
            continue
        below = _costs_up_to(k - 1, s - 1)
        same = [_cost(i, s) for i in range(k)]
        best, choice = None, None
        for i in range(2, k):
            m1 = i + same[i] + below[k - i]
            if best is None or m1 <= best:
                best, choice = m1, i
        entry = (StepType.WRITE_ICS, choice, best)
        if 1 + below[k - 1] < best:
            entry = (StepType.WRITE_ADJ_DEPS, 1, 1 + below[k - 1])
        row.append(entry)
    return row[n]


def _cost(n, s):
    return 0 if n == 0 else _entry(n, min(s, n - 1))[2]


def _costs_up_to(n, s):
    return [_cost(k, s) for k in range(n + 1)]


def optimal_steps_mixed(n, s):
    """The fewest forward steps of the mixed schedule for n steps and s slots (Maddison 2024)."""
    return _entry(n, _check(n, s))[2]


def mixed_step_memoization(n, s):
    """(StepType, steps, cost): the mixed schedule's first decision for n steps and s slots
    (WRITE_ICS: store x_0 and advance ``steps``; WRITE_ADJ_DEPS: store step 0's adjoint
    dependencies; FORWARD_REVERSE: n = 1) and its total forward steps. Ties go to the largest
    advance; storing adjoint dependencies wins only when strictly cheaper, as upstream's."""
    return _entry(n, _check(n, s))
