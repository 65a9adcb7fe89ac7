"""Stand-in for checkpoint_schedules.hrevolve (class names and their relations only)."""

from .schedule import StandInSchedule

__all__ = ["HRevolve", "DiskRevolve", "PeriodicDiskRevolve", "Revolve"]


class RevolveCheckpointSchedule(StandInSchedule):
    pass


class HRevolve(RevolveCheckpointSchedule):
    pass


class DiskRevolve(RevolveCheckpointSchedule):
    pass


class PeriodicDiskRevolve(RevolveCheckpointSchedule):
    pass


class Revolve(RevolveCheckpointSchedule):
    pass
