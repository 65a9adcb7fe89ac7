"""Stand-in for checkpoint_schedules.twolevel_binomial (class name only)."""

from .schedule import StandInSchedule

__all__ = ["TwoLevelCheckpointSchedule"]


class TwoLevelCheckpointSchedule(StandInSchedule):
    pass
