"""Schedules that store every step or none, laid out as upstream's
``checkpoint_schedules.basic_schedules``."""

import sys

from .schedule import (CheckpointSchedule, Copy, EndForward, EndReverse, Forward, Move, Reverse,
                       StorageType)

__all__ = ["SingleMemoryStorageSchedule", "SingleDiskStorageSchedule", "NoneCheckpointSchedule"]


class SingleMemoryStorageSchedule(CheckpointSchedule):
    """Online: keep the adjoint dependencies of every step in WORK; unlimited reverse sweeps."""

    def __init__(self):
        super().__init__(None)

    def _one_shot(self):
        return False

    def _iterator(self):
        yield self._track(Forward(0, sys.maxsize, False, True, StorageType.WORK))
        if self._max_n is None:
            raise RuntimeError("Invalid checkpointing state: call finalize(n) after the forward")
        yield self._track(EndForward())
        while True:
            yield self._track(Reverse(self._max_n, 0, False))
            yield self._track(EndReverse())


class SingleDiskStorageSchedule(CheckpointSchedule):
    """Online: the adjoint dependencies of every step on disk, loaded with Copy (unlimited
    reverse sweeps) or, with ``move_data=True``, with Move (one sweep, disk released)."""

    def __init__(self, move_data=False):
        super().__init__(None)
        self._move_data = bool(move_data)

    def _one_shot(self):
        return self._move_data

    def _storages_used(self):
        return {StorageType.WORK, StorageType.DISK}

    def _loads_tape(self, action):
        return True

    def _iterator(self):
        n0 = 0
        while self._max_n is None or n0 < self._max_n:
            yield self._track(Forward(n0, n0 + 1, False, True, StorageType.DISK))
            n0 += 1
        yield self._track(EndForward())
        load = Move if self._move_data else Copy
        while True:
            for step in range(self._max_n - 1, -1, -1):
                yield self._track(load(step, StorageType.DISK, StorageType.WORK))
                yield self._track(Reverse(step + 1, step, True))
            yield self._track(EndReverse())
            if self._move_data:
                return


class NoneCheckpointSchedule(CheckpointSchedule):
    """Online, forward only: no checkpoint, no adjoint."""

    def __init__(self):
        super().__init__(None)

    def _storages_used(self):
        return set()

    def _iterator(self):
        yield self._track(Forward(0, sys.maxsize, False, False, StorageType.NONE))
        if self._max_n is None:
            raise RuntimeError("Invalid checkpointing state: call finalize(n) after the forward")
        self._exhausted = True
        yield self._track(EndForward())
