"""Stand-in for checkpoint_schedules.mixed (class name only)."""

from .schedule import StandInSchedule

__all__ = ["MixedCheckpointSchedule"]


class MixedCheckpointSchedule(StandInSchedule):
    pass
