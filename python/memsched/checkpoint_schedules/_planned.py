"""Schedules planned by memsched's C++ planners, translated lazily into checkpoint_schedules
actions, and the translation itself (public as ``checkpoint_schedules_actions``)."""

import memsched as _ms

from .schedule import CheckpointSchedule, Copy, EndForward, EndReverse, Forward, Move, Reverse
from .schedule import StorageType

_K = _ms.ActionKind


def _translated(schedule, storages):
    """(action, is_tape) pairs of a schedule (an ActionStream, translated lazily, or an
    iterable of Action), translated in C++ by CheckpointSchedulesTranslator (formats.hpp), the
    one translation (write_checkpoint_schedules prints the same), and built into action objects
    here. ``storages[i]`` labels level i; a level without a label raises ValueError."""
    places = {_ms.WORK: StorageType.WORK, -2: StorageType.NONE}
    places.update(enumerate(storages))

    def place(index):
        try:
            return places[index]
        except KeyError:
            raise ValueError(f"checkpoint_schedules actions: level {index} has no StorageType")

    for t in _ms._memsched.CheckpointSchedulesActions(schedule):
        tag = t[0]
        if tag == 0:
            yield Forward(t[1], t[2], t[3], t[4], place(t[5])), False
        elif tag == 1:
            yield Reverse(t[1], t[2], t[3]), False
        elif tag == 2:
            yield Copy(t[1], place(t[2]), place(t[3])), t[4]
        elif tag == 3:
            yield Move(t[1], place(t[2]), place(t[3])), t[4]
        elif tag == 4:
            yield EndForward(), False
        else:
            yield EndReverse(), False


def checkpoint_schedules_actions(actions, storages=None):
    """Translates memsched actions (an ActionStream, lazily, or any iterable of Action) into
    checkpoint_schedules actions with the mapping of ``write_checkpoint_schedules``
    (include/memsched/chain/formats.hpp): a store of x_k followed by a plain Forward from k is
    one ``Forward(write_ics=True)``; a recording Forward followed by Moves of all its tapes to
    one level is one ``Forward(write_adj_deps=True)`` on that level; ``Free`` is
    ``Move(k, storage, StorageType.NONE)``; a store reloaded at once and a load written straight
    back are rewritten (see ``CheckpointSchedulesTranslator``). ``storages[i]`` is the
    StorageType of level i (default RAM, DISK); a schedule using a further level raises
    ValueError."""
    storages = list(storages) if storages is not None else [StorageType.RAM, StorageType.DISK]
    for action, _ in _translated(actions, storages):
        yield action


class _PlannedSchedule(CheckpointSchedule):
    """A schedule from a memsched planner, translated lazily."""

    def __init__(self, max_n, planner, chain, platform, storages, period=None):
        super().__init__(max_n)
        self._chain, self._platform, self._storages = chain, platform, storages
        self._planner = planner
        self._stream = _ms.plan(planner, chain, platform, period=period)
        if self._stream is None:
            raise ValueError(f"{type(self).__name__}: no schedule fits {chain!r} on {platform!r}")

    def _iterator(self):
        yield from self._planned_actions()

    def _planned_actions(self):
        # Not reached through _iterator by subclasses: upstream's base (when it is ours)
        # wraps every _iterator to return one cached generator.
        for action, tape in _translated(self._stream, self._storages):
            yield self._track(action, tape)

    def _storages_used(self):
        used = {StorageType.WORK}
        for index, level in enumerate(self._platform.levels[: len(self._storages)]):
            if level.num_slots is None or level.num_slots > 0:
                if self._chain.num_steps > 1:
                    used.add(self._storages[index])
        return used

    @property
    def chain(self):
        return self._chain

    @property
    def platform(self):
        return self._platform


def _two_costs(value, what):
    if isinstance(value, (int, float)):
        return 0.0, float(value)
    costs = tuple(float(v) for v in value)
    if len(costs) != 2:
        raise ValueError(f"{what} must be a number or a pair (RAM, disk), got {value!r}")
    return costs


def _costs(uf, ub, wd, rd, fwd_cost, bwd_cost, w_cost, r_cost):
    """Upstream 1.0.4's (uf, ub, wd, rd), defaults (1, 1, 2, 2), or the keyword spelling of its
    development branch (fwd_cost, bwd_cost, w_cost, r_cost); giving both spellings of one cost
    is an error. Returns uf, ub and the (RAM, disk) write and read costs."""
    def pick(positional, keyword, default, name):
        if positional is not None and keyword is not None:
            raise ValueError(f"{name} given twice")
        value = keyword if positional is None else positional
        return default if value is None else value

    return (float(pick(uf, fwd_cost, 1.0, "uf / fwd_cost")),
            float(pick(ub, bwd_cost, 1.0, "ub / bwd_cost")),
            _two_costs(pick(wd, w_cost, 2.0, "wd / w_cost"), "w_cost"),
            _two_costs(pick(rd, r_cost, 2.0, "rd / r_cost"), "r_cost"))


class ExtraStorage:
    """A storage place beyond checkpoint_schedules' two (``StorageType.RAM`` is level 0,
    ``StorageType.DISK`` level 1): level ``level`` of a memsched platform, named ``name``.
    A value type (``==``, ``hash``) for the actions of schedules with more than two levels."""

    __slots__ = ("level", "name")

    def __init__(self, level, name):
        if not isinstance(level, int) or level < 0:
            raise ValueError(f"level must be a non-negative integer, got {level!r}")
        self.level, self.name = level, str(name)

    def __eq__(self, other):
        if not isinstance(other, ExtraStorage):
            return NotImplemented
        return (self.level, self.name) == (other.level, other.name)

    def __hash__(self):
        return hash(("ExtraStorage", self.level, self.name))

    def __repr__(self):
        return f"ExtraStorage({self.level}, {self.name!r})"


class MemschedSchedule(_PlannedSchedule):
    """Any memsched planner through this interface: ``planner`` is a registry name
    (``memsched.planner_names``) or "auto" (the cheapest applicable). The chain may have
    per-step costs and the platform any number of levels with their own costs. Level 0 is
    ``StorageType.RAM``, level 1 ``StorageType.DISK``, level i >= 2 ``ExtraStorage(i, name)``,
    unless ``storages`` (one label per level) says otherwise."""

    def __init__(self, chain, platform, planner="auto", *, period=None, storages=None):
        if storages is None:
            storages = [StorageType.RAM, StorageType.DISK][: platform.num_levels] + [
                ExtraStorage(i, platform.level(i).name) for i in range(2, platform.num_levels)]
        storages = list(storages)
        if len(storages) != platform.num_levels or len(set(storages)) != len(storages):
            raise ValueError(f"storages must be {platform.num_levels} distinct labels, one per "
                             f"level, got {storages!r}")
        if any(label in (StorageType.WORK, StorageType.NONE) for label in storages):
            raise ValueError("storages cannot be StorageType.WORK or StorageType.NONE")
        if planner == "auto":
            choice = _ms.choose_chain_planner(chain, platform, period=period)
            if choice is None:
                raise ValueError(f"no planner has a schedule for {chain!r} on {platform!r}")
            planner = choice.planner
        self.planner = planner
        super().__init__(chain.num_steps, planner, chain, platform, storages, period=period)
