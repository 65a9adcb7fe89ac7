"""Switching from checkpoint_schedules: change one import, keep the consumer code.

Run: PYTHONPATH=build/default/python python3 python/examples/checkpoint_schedules_switch.py
"""

from functools import singledispatch

# Before: from checkpoint_schedules import HRevolve, Forward, Reverse, Copy, Move, ...
from memsched.checkpoint_schedules import (Copy, EndForward, EndReverse, Forward, HRevolve,
                                           Move, Reverse, StorageType)

steps = 50
schedule = HRevolve(steps, 3, 5, fwd_cost=1.0, bwd_cost=3.0, w_cost=(0.0, 2.0),
                    r_cost=(0.0, 1.0))
print("uses disk:", schedule.uses_storage_type(StorageType.DISK))

stored = {StorageType.RAM: set(), StorageType.DISK: set()}
counts = {"forward": 0, "adjoint": 0}


@singledispatch
def run(action):
    raise TypeError(action)


@run.register
def _(action: Forward):
    if action.write_ics:
        stored[action.storage].add(action.n0)
    counts["forward"] += len(action)


@run.register
def _(action: Reverse):
    counts["adjoint"] += len(action)


@run.register(Copy)
@run.register(Move)
def _(action):
    if isinstance(action, Move):
        stored[action.from_storage].discard(action.n)


@run.register(EndForward)
@run.register(EndReverse)
def _(action):
    pass


for action in schedule:
    run(action)
print(f"{counts['forward']} forward steps, {counts['adjoint']} adjoint steps")
# Unlike upstream, every disk checkpoint has been released by the end.
assert not stored[StorageType.RAM] and not stored[StorageType.DISK]
assert schedule.is_exhausted and counts["adjoint"] == steps
