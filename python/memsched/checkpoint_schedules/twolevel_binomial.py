"""The two-level schedule, laid out as upstream's ``checkpoint_schedules.twolevel_binomial``."""

from .multistage import _TRAJECTORIES, _binomial_reversal
from .schedule import (CheckpointSchedule, EndForward, EndReverse, Forward, StorageType, _count)

__all__ = ["TwoLevelCheckpointSchedule"]


class TwoLevelCheckpointSchedule(CheckpointSchedule):
    """Online two-level schedule (Pringle et al. 2016): the forward writes x_0, x_P, x_2P, ...
    to disk; each reverse sweep reverses the periods, last first, by the binomial reversal with
    ``binomial_snapshots`` restart checkpoints in ``binomial_storage`` besides the period's disk
    checkpoint (loaded with Copy: kept for the next sweep; unlimited sweeps, never exhausted).
    ``binomial_trajectory`` as MultistageCheckpointSchedule's ``trajectory``."""

    def __init__(self, period, binomial_snapshots, *, binomial_storage=StorageType.DISK,
                 binomial_trajectory="maximum"):
        super().__init__(None)
        if not isinstance(period, int) or isinstance(period, bool) or period < 1:
            raise ValueError(f"period must be a positive integer, got {period!r}")
        _count(binomial_snapshots, "binomial_snapshots")
        if binomial_storage not in (StorageType.RAM, StorageType.DISK):
            raise ValueError(f"binomial_storage must be RAM or DISK, got {binomial_storage!r}")
        if binomial_trajectory not in _TRAJECTORIES:
            raise ValueError("binomial_trajectory must be 'maximum' or 'revolve', got "
                             f"{binomial_trajectory!r}")
        self._period, self._snapshots = period, binomial_snapshots
        self._binomial_storage, self._trajectory = binomial_storage, binomial_trajectory

    def _one_shot(self):
        return False

    def _storages_used(self):
        used = {StorageType.WORK, StorageType.DISK}
        if self._snapshots > 0:
            used.add(self._binomial_storage)
        return used

    def _storage_at(self, position):
        return StorageType.DISK if position == 0 else self._binomial_storage

    def _iterator(self):
        n0 = 0
        while self._max_n is None or n0 < self._max_n:
            yield self._track(Forward(n0, n0 + self._period, True, False, StorageType.DISK))
            n0 += self._period
        yield self._track(EndForward())
        while True:
            n = self._max_n
            for begin in range(((n - 1) // self._period) * self._period, -1, -self._period):
                end = min(begin + self._period, n)
                for action, tape in _binomial_reversal([begin], self._storage_at, end,
                                                       self._snapshots + 1, self._trajectory,
                                                       True):
                    yield self._track(action, tape)
            yield self._track(EndReverse())

    def __repr__(self):
        return (f"TwoLevelCheckpointSchedule(period={self._period}, "
                f"binomial_snapshots={self._snapshots})")
