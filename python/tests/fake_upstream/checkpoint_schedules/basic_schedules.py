"""Stand-in for checkpoint_schedules.basic_schedules (class names only)."""

from .schedule import StandInSchedule

__all__ = ["SingleMemoryStorageSchedule", "SingleDiskStorageSchedule", "NoneCheckpointSchedule"]


class SingleMemoryStorageSchedule(StandInSchedule):
    pass


class SingleDiskStorageSchedule(StandInSchedule):
    pass


class NoneCheckpointSchedule(StandInSchedule):
    pass
