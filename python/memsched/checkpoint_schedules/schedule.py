"""Actions, storage types and the schedule base of the checkpoint_schedules drop-in, laid out as
upstream's ``checkpoint_schedules.schedule``. Where the real package is importable its action
classes, ``StorageType`` and ``StepType`` are used, so consumers that dispatch on them
(pyadjoint's ``CheckpointManager``, tlm_adjoint) keep working; otherwise memsched's own classes
with the same names, fields and printed form (and value equality) stand in."""

import enum

__all__ = ["CheckpointAction", "Forward", "Reverse", "Copy", "Move", "EndForward", "EndReverse",
           "CheckpointSchedule", "StorageType"]


def _real_upstream():
    """The real checkpoint_schedules package, or None (absent, or this package under its name:
    a shim that aliases memsched's drop-in as ``checkpoint_schedules``)."""
    try:
        import checkpoint_schedules as upstream
    except ImportError:
        return None
    if getattr(upstream, "__name__", "").startswith("memsched") or getattr(
            upstream, "MEMSCHED_DROP_IN", False):
        return None
    return upstream


_upstream = _real_upstream()

if _upstream is not None:  # emit its classes so singledispatch handlers match
    StorageType = _upstream.StorageType
    CheckpointAction = _upstream.CheckpointAction
    Forward = _upstream.Forward
    Reverse = _upstream.Reverse
    Copy = _upstream.Copy
    Move = _upstream.Move
    EndForward = _upstream.EndForward
    EndReverse = _upstream.EndReverse
    StepType = getattr(_upstream, "StepType", None) or getattr(
        getattr(_upstream, "schedule", None), "StepType", None)
    _UpstreamSchedule = getattr(_upstream, "CheckpointSchedule", object)
    USING_UPSTREAM_ACTIONS = True
else:
    _UpstreamSchedule = object
    StepType = None
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


if StepType is None:
    class StepType(enum.IntEnum):
        """What a schedule's dynamic programme decides next (upstream's names and values):
        advance, advance then reverse one step, store adjoint dependencies, store restart data,
        load either."""

        NONE = 0
        FORWARD = 1
        FORWARD_REVERSE = 2
        WRITE_ADJ_DEPS = 3
        WRITE_ICS = 4
        READ_ADJ_DEPS = 5
        READ_ICS = 6


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
