"""Stand-in for checkpoint_schedules.multistage (class name only)."""

from .schedule import StandInSchedule

__all__ = ["MultistageCheckpointSchedule"]


class MultistageCheckpointSchedule(StandInSchedule):
    pass
