"""Stand-in for checkpoint_schedules.schedule: the actions, StorageType and the abstract
schedule base, with the fields consumers read."""

from abc import ABC, abstractmethod
from enum import Enum


class StorageType(Enum):
    RAM = 0
    DISK = 1
    WORK = -1
    NONE = None


class CheckpointAction:
    def __init__(self, *args):
        self.args = args

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(map(str, self.args))})"


class Forward(CheckpointAction):
    def __init__(self, n0, n1, write_ics, write_adj_deps, storage):
        super().__init__(n0, n1, write_ics, write_adj_deps, storage)
        self.n0, self.n1, self.write_ics = n0, n1, write_ics
        self.write_adj_deps, self.storage = write_adj_deps, storage


class Reverse(CheckpointAction):
    def __init__(self, n1, n0, clear_adj_deps):
        super().__init__(n1, n0, clear_adj_deps)
        self.n1, self.n0, self.clear_adj_deps = n1, n0, clear_adj_deps


class Copy(CheckpointAction):
    def __init__(self, n, from_storage, to_storage):
        super().__init__(n, from_storage, to_storage)
        self.n, self.from_storage, self.to_storage = n, from_storage, to_storage


class Move(CheckpointAction):
    def __init__(self, n, from_storage, to_storage):
        super().__init__(n, from_storage, to_storage)
        self.n, self.from_storage, self.to_storage = n, from_storage, to_storage


class EndForward(CheckpointAction):
    pass


class EndReverse(CheckpointAction):
    pass


class CheckpointSchedule(ABC):
    def __init_subclass__(cls, **kwargs):
        # As upstream's: every subclass's _iterator returns one generator per instance, made on
        # the first call and cached in `iter`.
        super().__init_subclass__(**kwargs)
        inner = cls._iterator

        def _iterator(self):
            if not hasattr(self, "iter"):
                self.iter = inner(self)
            return self.iter

        cls._iterator = _iterator

    @abstractmethod
    def _iterator(self):
        pass

    @property
    @abstractmethod
    def is_exhausted(self):
        pass

    @abstractmethod
    def uses_storage_type(self, storage_type):
        pass


class StandInSchedule(CheckpointSchedule):
    """Base of the stand-in schedule classes: they exist for isinstance checks only."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("stand-in class: only for isinstance checks")

    def _iterator(self):
        raise NotImplementedError

    @property
    def is_exhausted(self):
        raise NotImplementedError

    def uses_storage_type(self, storage_type):
        raise NotImplementedError


__all__ = ["StorageType", "CheckpointAction", "Forward", "Reverse", "Copy", "Move",
           "EndForward", "EndReverse", "CheckpointSchedule"]
