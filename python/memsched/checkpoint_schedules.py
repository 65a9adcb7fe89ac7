"""A drop-in for users of firedrakeproject/checkpoint_schedules, backed by memsched's planners.

Switch with one import::

    from memsched.checkpoint_schedules import Revolve, StorageType, Forward, Reverse, ...

Same class names, constructor arguments, schedule attributes (``max_n``, ``n``, ``r``,
``is_exhausted``, ``uses_storage_type``, ``finalize``, iteration) and actions (``Forward``,
``Reverse``, ``Copy``, ``Move``, ``EndForward``, ``EndReverse`` with their fields and printed
form). Where the real ``checkpoint_schedules`` package is importable, its own action classes,
``StorageType`` and ``CheckpointSchedule`` base are used, so code that dispatches on them
(pyadjoint's ``CheckpointManager``) keeps working.

Differences, all deliberate (docs/python.md lists them with the upstream bugs they fix):

* ``HRevolve`` uses ``fwd_cost``/``bwd_cost`` the right way round and is optimal for any
  write/read costs; ``DiskRevolve``/``PeriodicDiskRevolve`` are the multi-read optimum.
* Every stored checkpoint of a one-shot schedule is released: loaded with ``Move`` at its last
  use, or deleted with ``Move(n, storage, StorageType.NONE)``; storage limits hold literally.
* ``uses_storage_type`` never raises and answers for every storage type.
* Actions compare by value (``==``, ``hash``) when the real package is not installed.
* Bad arguments raise ``ValueError`` at construction (``Revolve(5, 0)``), ``n = 1`` works.
* ``MemschedSchedule(chain, platform, planner="auto")`` exposes any memsched planner (per-step
  costs, per-level costs) through this interface.
"""

import enum
import sys

import memsched as _ms

try:  # The real package, when installed: emit its classes so singledispatch handlers match.
    import checkpoint_schedules as _upstream

    StorageType = _upstream.StorageType
    CheckpointAction = _upstream.CheckpointAction
    Forward = _upstream.Forward
    Reverse = _upstream.Reverse
    Copy = _upstream.Copy
    Move = _upstream.Move
    EndForward = _upstream.EndForward
    EndReverse = _upstream.EndReverse
    _UpstreamSchedule = getattr(_upstream, "CheckpointSchedule", object)
    USING_UPSTREAM_ACTIONS = True
except ImportError:
    _upstream = None
    _UpstreamSchedule = object
    USING_UPSTREAM_ACTIONS = False

    class StorageType(enum.Enum):
        """Where a checkpoint lives: RAM, DISK, WORK (the working buffer) or NONE (deleted)."""

        RAM = 0
        DISK = 1
        WORK = -1
        NONE = None

    class CheckpointAction:
        """Base of the actions: positional ``args``, printed as ``Name(arg, ...)``, compared
        by type and value."""

        def __init__(self, *args):
            self._args = tuple(args)

        @property
        def args(self):
            return self._args

        def __repr__(self):
            return f"{type(self).__name__}({', '.join(map(str, self._args))})"

        def __eq__(self, other):
            if not isinstance(other, CheckpointAction):
                return NotImplemented
            return type(self) is type(other) and self._args == other._args

        def __ne__(self, other):
            equal = self.__eq__(other)
            return equal if equal is NotImplemented else not equal

        def __hash__(self):
            return hash((type(self).__name__, self._args))

    class Forward(CheckpointAction):
        """Run forward steps n0..n1-1; ``write_ics``: store x_n0 in ``storage``;
        ``write_adj_deps``: keep the adjoint dependencies of the steps in ``storage``."""

        def __init__(self, n0, n1, write_ics, write_adj_deps, storage):
            super().__init__(n0, n1, write_ics, write_adj_deps, storage)

        n0 = property(lambda self: self._args[0])
        n1 = property(lambda self: self._args[1])
        write_ics = property(lambda self: self._args[2])
        write_adj_deps = property(lambda self: self._args[3])
        storage = property(lambda self: self._args[4])

        def __iter__(self):
            yield from range(self.n0, self.n1)

        def __len__(self):
            return self.n1 - self.n0

        def __contains__(self, step):
            return self.n0 <= step < self.n1

    class Reverse(CheckpointAction):
        """Run the adjoint of steps n1-1 down to n0 (note the argument order)."""

        def __init__(self, n1, n0, clear_adj_deps):
            super().__init__(n1, n0, clear_adj_deps)

        n1 = property(lambda self: self._args[0])
        n0 = property(lambda self: self._args[1])
        clear_adj_deps = property(lambda self: self._args[2])

        def __iter__(self):
            yield from range(self.n1 - 1, self.n0 - 1, -1)

        def __len__(self):
            return self.n1 - self.n0

        def __contains__(self, step):
            return self.n0 <= step < self.n1

    class Copy(CheckpointAction):
        """Copy the checkpoint of step n from one storage to another; the source keeps it."""

        def __init__(self, n, from_storage, to_storage):
            super().__init__(n, from_storage, to_storage)

        n = property(lambda self: self._args[0])
        from_storage = property(lambda self: self._args[1])
        to_storage = property(lambda self: self._args[2])

    class Move(CheckpointAction):
        """Move the checkpoint of step n: the source releases it (to NONE: delete it)."""

        def __init__(self, n, from_storage, to_storage):
            super().__init__(n, from_storage, to_storage)

        n = property(lambda self: self._args[0])
        from_storage = property(lambda self: self._args[1])
        to_storage = property(lambda self: self._args[2])

    class EndForward(CheckpointAction):
        """The forward sweep reached max_n."""

    class EndReverse(CheckpointAction):
        """The adjoint reached step 0."""


__all__ = [
    "StorageType", "CheckpointAction", "Forward", "Reverse", "Copy", "Move", "EndForward",
    "EndReverse", "CheckpointSchedule", "Revolve", "MultistageCheckpointSchedule", "HRevolve",
    "DiskRevolve", "PeriodicDiskRevolve", "TwoLevelCheckpointSchedule", "MixedCheckpointSchedule",
    "SingleMemoryStorageSchedule", "SingleDiskStorageSchedule", "NoneCheckpointSchedule",
    "MemschedSchedule", "ExtraStorage", "OnlineBinomialCheckpointSchedule",
    "checkpoint_schedules_actions",
]

_K = _ms.ActionKind


def _place(place, storages):
    return StorageType.WORK if place == _ms.WORK else storages[place]


def checkpoint_schedules_actions(actions, storages=None):
    """Translates memsched actions (any iterable, e.g. a lazy ActionStream) into
    checkpoint_schedules actions, lazily, with the mapping of ``write_checkpoint_schedules``
    (include/memsched/chain/formats.hpp): a store of x_k followed by a plain Forward from k is
    one ``Forward(write_ics=True)``; a recording Forward followed by Moves of all its tapes to
    one level is one ``Forward(write_adj_deps=True)`` on that level; ``Free`` is
    ``Move(k, storage, StorageType.NONE)``. ``storages[i]`` is the StorageType of level i
    (default RAM, DISK); a schedule using a further level raises ValueError."""
    storages = list(storages) if storages is not None else [StorageType.RAM, StorageType.DISK]

    def storage(place):
        if place != _ms.WORK and not 0 <= place < len(storages):
            raise ValueError(f"checkpoint_schedules actions: level {place} has no StorageType")
        return _place(place, storages)

    iterator = iter(actions)
    pending = next(iterator, None)
    while pending is not None:
        a, pending = pending, next(iterator, None)
        kind = a.kind
        if kind == _K.FORWARD:
            moved, level, count = 0, None, a.end - a.begin
            while (a.record and pending is not None and pending.kind == _K.MOVE
                   and pending.content == _ms.Content.TAPE and pending.from_ == _ms.WORK
                   and pending.to >= 0 and pending.step == a.begin + moved and moved < count
                   and (moved == 0 or pending.to == level)):
                level, moved = pending.to, moved + 1
                pending = next(iterator, None)
            if moved == count:
                yield Forward(a.begin, a.end, False, True, storage(level))
            else:
                yield Forward(a.begin, a.end, False, a.record, StorageType.WORK)
                for i in range(moved):
                    yield Move(a.begin + i, StorageType.WORK, storage(level))
        elif kind == _K.REVERSE:
            yield Reverse(a.end, a.begin, a.clear)
        elif kind == _K.COPY:
            if (a.content == _ms.Content.STATE and a.from_ == _ms.WORK and a.to >= 0
                    and pending is not None and pending.kind == _K.FORWARD and not pending.record
                    and pending.begin == a.step):
                yield Forward(pending.begin, pending.end, True, False, storage(a.to))
                pending = next(iterator, None)
            else:
                yield Copy(a.step, storage(a.from_), storage(a.to))
        elif kind == _K.MOVE:
            yield Move(a.step, storage(a.from_), storage(a.to))
        elif kind == _K.FREE:
            yield Move(a.step, storage(a.from_), StorageType.NONE)
        elif kind == _K.END_FORWARD:
            yield EndForward()
        elif kind == _K.END_REVERSE:
            yield EndReverse()


def _positive_max_n(max_n):
    if max_n is not None and (not isinstance(max_n, int) or max_n < 1):
        raise ValueError(f"max_n must be a positive integer, got {max_n!r}")
    return max_n


def _count(value, what):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {value!r}")
    return value


class CheckpointSchedule(_UpstreamSchedule):
    """Base of the schedules: an iterator of actions with the state checkpoint_schedules
    exposes. ``n`` is the forward position, ``r`` the number of adjoint steps done."""

    def __init__(self, max_n=None):
        # The upstream base constructor is not called: every attribute it would set is
        # re-implemented here.
        self._max_n = _positive_max_n(max_n)
        self._n = 0
        self._r = 0
        self._exhausted = False
        self._iter = None

    def __iter__(self):
        return self

    def __next__(self):
        if self._iter is None:
            self._iter = self._iterator()
        return next(self._iter)

    def _iterator(self):
        raise NotImplementedError

    @property
    def is_running(self):
        return self._iter is not None

    @property
    def n(self):
        return self._n

    @property
    def r(self):
        return self._r

    @property
    def max_n(self):
        return self._max_n

    @property
    def is_exhausted(self):
        return self._exhausted

    def uses_storage_type(self, storage_type):
        """Whether the schedule may store checkpoints in ``storage_type`` (never raises)."""
        return storage_type in self._storages_used()

    def _storages_used(self):
        return {StorageType.WORK}

    def finalize(self, n):
        """Tells the schedule the chain length (online schedules); checks it otherwise."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        if self._max_n is None:
            if self._n < n:
                raise RuntimeError("Invalid checkpointing state")
            self._n = n
            self._max_n = n
        elif self._n != n or self._max_n != n:
            raise RuntimeError("Invalid checkpointing state")

    def _track(self, action, tape=False):
        """Updates n, r and is_exhausted for an action about to be yielded (``tape``: a Copy
        or Move of adjoint dependencies)."""
        if isinstance(action, Forward):
            self._n = action.n1 if self._max_n is None else min(action.n1, self._max_n)
        elif isinstance(action, Reverse):
            self._r += action.n1 - action.n0
        elif isinstance(action, (Copy, Move)) and action.to_storage == StorageType.WORK:
            # Restart data puts the forward at its step; adjoint dependencies (a stored tape)
            # let the adjoint of that one step run.
            self._n = action.n + 1 if tape or self._loads_tape(action) else action.n
        elif isinstance(action, EndReverse):
            if self._one_shot():
                self._exhausted = True
            else:
                self._r = 0
        return action

    def _loads_tape(self, action):
        return False

    def _one_shot(self):
        return True

    def __repr__(self):
        return f"{type(self).__name__}(max_n={self._max_n})"


def _translated(stream, storages):
    """(action, is_tape) pairs of a C++ stream, translated in C++ (CheckpointSchedulesActions,
    the same mapping as checkpoint_schedules_actions) and built into action objects here."""
    places = {_ms.WORK: StorageType.WORK, -2: StorageType.NONE}
    places.update(enumerate(storages))

    def place(index):
        try:
            return places[index]
        except KeyError:
            raise ValueError(f"checkpoint_schedules actions: level {index} has no StorageType")

    for t in _ms._memsched.CheckpointSchedulesActions(stream):
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


def _without_round_trips(pairs):
    """Removes what upstream consumers cannot run: a store of the working state that the plan
    reloads at once (Copy(k, WORK, X) then Copy/Move(k, X, WORK), as the repeated planner
    emits at the start of a sweep). The reload is a no-op (WORK holds x_k); the store then
    merges with a following plain Forward from k into Forward(write_ics=True), and a Move
    cancels the store. Anything else passes unchanged."""
    iterator = iter(pairs)
    head = next(iterator, None)
    while head is not None:
        (action, tape), head = head, next(iterator, None)
        if (isinstance(action, Copy) and not tape and action.from_storage == StorageType.WORK
                and head is not None and isinstance(head[0], (Copy, Move)) and not head[1]
                and head[0].n == action.n and head[0].from_storage == action.to_storage
                and head[0].to_storage == StorageType.WORK):
            reload, head = head[0], next(iterator, None)
            if isinstance(reload, Move):
                continue
            if (head is not None and isinstance(head[0], Forward) and head[0].n0 == action.n
                    and not head[0].write_ics and not head[0].write_adj_deps):
                forward, head = head[0], next(iterator, None)
                yield Forward(forward.n0, forward.n1, True, False, action.to_storage), False
                continue
        yield action, tape


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
        for action, tape in _without_round_trips(_translated(self._stream, self._storages)):
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


class Revolve(_PlannedSchedule):
    """Griewank & Walther's binomial schedule: ``snapshots_in_ram`` slots (x_0's included),
    fewest forward steps."""

    def __init__(self, max_n, snapshots_in_ram, uf=1, ub=1, wd=2, rd=2):
        # uf, ub, wd, rd: accepted as upstream 1.0.4 does; the binomial schedule ignores them.
        _positive_max_n(max_n)
        _count(snapshots_in_ram, "snapshots_in_ram")
        if max_n is None:
            raise ValueError("Revolve: max_n must be a positive integer, got None")
        if snapshots_in_ram == 0 and max_n > 1:
            raise ValueError(f"Revolve: {max_n} steps need at least one snapshot, got 0")
        self.snapshots_in_ram = snapshots_in_ram
        super().__init__(max_n, "revolve", _ms.Chain(max_n), _ms.Platform.ram(snapshots_in_ram),
                         [StorageType.RAM])


class MultistageCheckpointSchedule(_PlannedSchedule):
    """Binomial schedule with RAM and disk snapshots, the most used in RAM (Stumm & Walther
    2009). ``trajectory`` ("maximum" or "revolve") is accepted; memsched's binomial controller
    has one trajectory (the forward step count is the same)."""

    def __init__(self, max_n, snapshots_in_ram, snapshots_on_disk, *, trajectory="maximum"):
        _positive_max_n(max_n)
        _count(snapshots_in_ram, "snapshots_in_ram")
        _count(snapshots_on_disk, "snapshots_on_disk")
        if trajectory not in ("maximum", "revolve"):
            raise ValueError(f"trajectory must be 'maximum' or 'revolve', got {trajectory!r}")
        if max_n is None:
            raise ValueError("MultistageCheckpointSchedule: max_n must be a positive integer")
        if snapshots_in_ram + snapshots_on_disk == 0 and max_n > 1:
            raise ValueError(f"MultistageCheckpointSchedule: {max_n} steps need a snapshot")
        self.snapshots_in_ram, self.snapshots_on_disk = snapshots_in_ram, snapshots_on_disk
        platform = _ms.Platform.ram_disk(snapshots_in_ram, snapshots_on_disk, 0.0, 0.0)
        super().__init__(max_n, "multistage", _ms.Chain(max_n), platform,
                         [StorageType.RAM, StorageType.DISK])


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


class HRevolve(_PlannedSchedule):
    """Optimal schedule on RAM + disk with write/read costs (corrected H-Revolve DP).

    Upstream 1.0.4's signature and defaults: ``HRevolve(max_n, snapshots_in_ram,
    snapshots_on_disk, uf=1, ub=1, wd=2, rd=2)``, RAM free, the disk costing ``wd`` per write
    and ``rd`` per read. ``fwd_cost``, ``bwd_cost``, ``w_cost``, ``r_cost`` (keywords; costs
    as a number for the disk or a (RAM, disk) pair) are accepted too."""

    def __init__(self, max_n, snapshots_in_ram, snapshots_on_disk, uf=None, ub=None, wd=None,
                 rd=None, *, fwd_cost=None, bwd_cost=None, w_cost=None, r_cost=None):
        _positive_max_n(max_n)
        _count(snapshots_in_ram, "snapshots_in_ram")
        _count(snapshots_on_disk, "snapshots_on_disk")
        if max_n is None:
            raise ValueError("HRevolve: max_n must be a positive integer")
        fwd_cost, bwd_cost, w, r = _costs(uf, ub, wd, rd, fwd_cost, bwd_cost, w_cost, r_cost)
        self.uf, self.ub, self.wd, self.rd = fwd_cost, bwd_cost, w[1], r[1]
        self.snapshots_in_ram, self.snapshots_on_disk = snapshots_in_ram, snapshots_on_disk
        platform = _ms.Platform([_ms.StorageLevel("ram", snapshots_in_ram, w[0], r[0]),
                                 _ms.StorageLevel("disk", snapshots_on_disk, w[1], r[1])])
        # memsched's Chain takes (forward, adjoint): the upstream swap is gone.
        super().__init__(max_n, "hrevolve", _ms.Chain(max_n, fwd_cost, bwd_cost), platform,
                         [StorageType.RAM, StorageType.DISK])


class _DiskRevolveBase(_PlannedSchedule):
    """Free RAM with ``snapshots_in_ram`` slots and an unlimited disk (Disk-Revolve and its
    periodic variant; separate classes, as upstream's are, so isinstance tells them apart)."""

    _planner_name = None

    def __init__(self, max_n, snapshots_in_ram, uf=None, ub=None, wd=None, rd=None, *,
                 fwd_cost=None, bwd_cost=None, w_cost=None, r_cost=None):
        _positive_max_n(max_n)
        _count(snapshots_in_ram, "snapshots_in_ram")
        if max_n is None:
            raise ValueError(f"{type(self).__name__}: max_n must be a positive integer")
        if snapshots_in_ram == 0 and max_n > 1:
            raise ValueError(f"{type(self).__name__}: needs at least one RAM snapshot, got 0")
        fwd_cost, bwd_cost, w, r = _costs(uf, ub, wd, rd, fwd_cost, bwd_cost, w_cost, r_cost)
        if w[0] != 0.0 or r[0] != 0.0:
            raise ValueError(f"{type(self).__name__}: RAM is free in Disk-Revolve; give the "
                             "disk's costs as numbers")
        self.snapshots_in_ram = snapshots_in_ram
        self.uf, self.ub, self.wd, self.rd = fwd_cost, bwd_cost, w[1], r[1]
        platform = _ms.Platform.ram_disk(snapshots_in_ram, None, w[1], r[1])
        super().__init__(max_n, self._planner_name, _ms.Chain(max_n, fwd_cost, bwd_cost),
                         platform, [StorageType.RAM, StorageType.DISK])


class DiskRevolve(_DiskRevolveBase):
    """Disk-Revolve: free RAM with ``snapshots_in_ram`` slots and an unlimited disk; the
    multi-read optimum (upstream hard-wires the one-read value)."""

    _planner_name = "disk-revolve"


class PeriodicDiskRevolve(_DiskRevolveBase):
    """Periodic-Disk-Revolve (Aupy & Herrmann 2017): a disk checkpoint every m_X steps,
    1D-Revolve inside each period. Prints nothing."""

    _planner_name = "periodic-disk-revolve"


class MixedCheckpointSchedule(_PlannedSchedule):
    """Maddison's mixed schedule (J. Comput. Sci. 82:102405, 2024): each of ``snapshots``
    slots in ``storage`` holds a state or one step's adjoint dependencies; fewest forward
    steps. Every stored item is loaded with Move at its only use."""

    def __init__(self, max_n, snapshots, *, storage=StorageType.DISK):
        _positive_max_n(max_n)
        _count(snapshots, "snapshots")
        if max_n is None:
            raise ValueError("MixedCheckpointSchedule: max_n must be a positive integer")
        if storage not in (StorageType.RAM, StorageType.DISK):
            raise ValueError(f"storage must be RAM or DISK, got {storage!r}")
        if snapshots == 0 and max_n > 1:
            raise ValueError(f"MixedCheckpointSchedule: {max_n} steps need a snapshot, got 0")
        self.snapshots = snapshots
        name = "ram" if storage == StorageType.RAM else "disk"
        super().__init__(max_n, "mixed", _ms.Chain(max_n),
                         _ms.Platform([_ms.StorageLevel(name, snapshots)]), [storage])


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


class OnlineBinomialCheckpointSchedule(CheckpointSchedule):
    """Online binomial checkpointing, which checkpoint_schedules lacks: the
    length is unknown until the consumer calls ``finalize(n)``; ``snapshots`` slots in
    ``storage`` (x_0's included). memsched's online planner (docs/online.md) decides at each
    step whether to keep the state, releasing a checkpoint with ``Move(k, storage, NONE)``;
    within beta(snapshots, 2) steps it runs as many forward steps as offline Revolve. The
    reversal after ``finalize`` is optimal for the checkpoints held and releases all of them
    (one adjoint sweep, then exhausted)."""

    def __init__(self, snapshots, *, storage=StorageType.RAM):
        super().__init__(None)
        if not isinstance(snapshots, int) or isinstance(snapshots, bool) or snapshots < 1:
            raise ValueError(f"snapshots must be a positive integer, got {snapshots!r}")
        if storage not in (StorageType.RAM, StorageType.DISK):
            raise ValueError(f"storage must be RAM or DISK, got {storage!r}")
        self._snapshots, self._storage = snapshots, storage

    def _storages_used(self):
        return {StorageType.WORK, self._storage}

    def _iterator(self):
        planner = _ms.OnlineCheckpointer(self._snapshots)
        while self._max_n is None:
            step = planner.steps_begun
            store = False
            for action in planner.begin_step():
                if action.kind == _K.FREE:
                    yield self._track(Move(action.step, self._storage, StorageType.NONE))
                else:  # the store of x_step, written by the Forward below
                    store = True
            yield self._track(Forward(step, step + 1, store, False,
                                      self._storage if store else StorageType.WORK))
        if planner.steps_begun != self._max_n:
            raise RuntimeError("Invalid checkpointing state: finalize(n) must follow the "
                               "Forward that reached n")
        for action, tape in _translated(planner.finish(), [self._storage]):
            yield self._track(action, tape)

    def __repr__(self):
        return f"OnlineBinomialCheckpointSchedule(snapshots={self._snapshots})"


class TwoLevelCheckpointSchedule(CheckpointSchedule):
    """Online two-level schedule (Pringle et al. 2016): the forward writes x_0, x_P, x_2P, ...
    to disk; each reverse sweep reverses every period, last first, by Revolve with
    ``binomial_snapshots`` slots in ``binomial_storage`` plus the period's disk checkpoint
    (Copied, kept: unlimited reverse sweeps, never exhausted, like upstream)."""

    def __init__(self, period, binomial_snapshots, *, binomial_storage=StorageType.DISK,
                 binomial_trajectory="maximum"):
        super().__init__(None)
        if not isinstance(period, int) or period < 1:
            raise ValueError(f"period must be a positive integer, got {period!r}")
        _count(binomial_snapshots, "binomial_snapshots")
        if binomial_storage not in (StorageType.RAM, StorageType.DISK):
            raise ValueError(f"binomial_storage must be RAM or DISK, got {binomial_storage!r}")
        if binomial_trajectory not in ("maximum", "revolve"):
            raise ValueError("binomial_trajectory must be 'maximum' or 'revolve', got "
                             f"{binomial_trajectory!r}")
        self._period, self._snapshots = period, binomial_snapshots
        self._binomial_storage = binomial_storage

    def _one_shot(self):
        return False

    def _storages_used(self):
        used = {StorageType.WORK, StorageType.DISK}
        if self._snapshots > 0:
            used.add(self._binomial_storage)
        return used

    def _period_actions(self, begin, end):
        # Revolve over the period in local steps (translated in C++), its x_0 being the disk
        # checkpoint at `begin`: the store of local x_0 is dropped and its loads read the disk
        # copy (Copy: kept for the next reverse sweep).
        yield Copy(begin, StorageType.DISK, StorageType.WORK), False
        storages = [self._binomial_storage]
        for action, tape in _translated(_ms.RevolveStream(end - begin, self._snapshots + 1),
                                        storages):
            if isinstance(action, Forward):
                if action.n0 == 0 and action.write_ics:
                    yield Forward(begin, action.n1 + begin, False, False, StorageType.WORK), False
                else:
                    yield Forward(action.n0 + begin, action.n1 + begin, action.write_ics,
                                  action.write_adj_deps, action.storage), False
            elif isinstance(action, Reverse):
                yield Reverse(action.n1 + begin, action.n0 + begin, action.clear_adj_deps), False
            elif isinstance(action, (Copy, Move)):
                if action.n == 0:
                    yield Copy(begin, StorageType.DISK, StorageType.WORK), tape
                else:
                    yield type(action)(action.n + begin, action.from_storage,
                                       action.to_storage), tape

    def _iterator(self):
        n0 = 0
        while self._max_n is None or n0 < self._max_n:
            n1 = n0 + self._period
            if self._max_n is not None:
                n1 = min(n1, self._max_n)
            yield self._track(Forward(n0, n1, True, False, StorageType.DISK))
            n0 = n1
        yield self._track(EndForward())
        while True:
            n = self._max_n
            starts = range(((n - 1) // self._period) * self._period, -1, -self._period)
            for begin in starts:
                end = min(begin + self._period, n)
                for action, tape in self._period_actions(begin, end):
                    yield self._track(action, tape)
            yield self._track(EndReverse())

    def __repr__(self):
        return (f"TwoLevelCheckpointSchedule(period={self._period}, "
                f"binomial_snapshots={self._snapshots})")


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

    def __init__(self, *, move_data=False):
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


def _register_with_upstream():
    """Makes each schedule class a virtual subclass of upstream's same-named class, so that
    consumers which dispatch on upstream's classes (pyadjoint's ``CheckpointManager`` tests
    ``isinstance(schedule, SingleMemoryStorageSchedule)`` and keeps the adjoint dependencies in
    working memory only then) treat memsched's schedules as upstream's. ``ABCMeta.register``
    adds the relation without inheriting upstream's behaviour; without upstream the names are
    memsched's own."""
    if _upstream is None:
        return
    for name in ("Revolve", "MultistageCheckpointSchedule", "HRevolve", "DiskRevolve",
                 "PeriodicDiskRevolve", "TwoLevelCheckpointSchedule", "MixedCheckpointSchedule",
                 "SingleMemoryStorageSchedule", "SingleDiskStorageSchedule",
                 "NoneCheckpointSchedule"):
        theirs = getattr(_upstream, name, None)
        if isinstance(theirs, type) and hasattr(theirs, "register"):
            theirs.register(globals()[name])


_register_with_upstream()
