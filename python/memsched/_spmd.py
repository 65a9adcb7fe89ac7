"""SPMD adjoints over MPI from mpi4py: ``memsched.run_adjoint(..., comm=comm)`` on every rank.

Every rank calls run_adjoint with its own part of the state and the same arguments otherwise;
the ranks plan one schedule collectively (the smallest slot counts, the largest costs), compare
its fingerprint, keep their disk checkpoints in their own folders (``<disk_dir>/rank<r>``), and
agree before every forward or adjoint callback, so that an error on one rank (a replay check,
a corrupted or unwritable checkpoint, an exception from a callback) is raised as the same
error on every rank instead of leaving the others waiting in a halo exchange.
"""

import hashlib
import os
import shutil

import memsched._memsched as _core


class ScheduleMismatchError(RuntimeError):
    """The ranks do not hold the same schedule (raised on every rank, before any step)."""


# Exceptions rebuilt with their own type on every rank: builtins and memsched's own.
_BUILTIN_ERRORS = {
    cls.__name__: cls
    for cls in (ValueError, TypeError, IndexError, KeyError, RuntimeError, OSError,
                ArithmeticError, ZeroDivisionError, FloatingPointError, MemoryError,
                NotImplementedError, AssertionError)
}


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as error:  # pragma: no cover - mpi4py is a dependency of comm= only
        raise ValueError("run_adjoint: comm needs mpi4py (Debian: python3-mpi4py)") from error
    return MPI


def _rebuild(module, name, message):
    cls = None
    if module == "builtins":
        cls = _BUILTIN_ERRORS.get(name)
    elif module.startswith("memsched"):
        if name == "ScheduleMismatchError":
            cls = ScheduleMismatchError
        else:
            candidate = getattr(_core, name, None)
            if isinstance(candidate, type) and issubclass(candidate, Exception):
                cls = candidate
    if cls is None:
        return RuntimeError(f"{module}.{name}: {message}")
    return cls(message)


class _Agreement:
    """One reduction per call: the lowest failing rank's error, raised on every rank."""

    def __init__(self, comm):
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.op_min = _mpi().MIN

    def __call__(self, error=None):
        failed = self.comm.allreduce(self.size if error is None else self.rank, op=self.op_min)
        if failed == self.size:
            return
        payload = None
        if self.rank == failed:
            payload = (type(error).__module__, type(error).__qualname__, str(error))
        module, name, message = self.comm.bcast(payload, root=failed)
        agreed = _rebuild(module, name, f"rank {failed} of {self.size}: {message}")
        agreed._memsched_agreed = True
        raise agreed

    def run(self, phase):
        """Runs phase() on every rank and agrees on its outcome; returns its value."""
        try:
            value = phase()
        except Exception as error:  # noqa: BLE001 - every error is agreed on, then re-raised
            self(error)
            raise  # unreachable: agreement raised
        self()
        return value


def _fingerprint(actions):
    digest = hashlib.sha256()
    for a in actions:
        digest.update(repr((int(a.kind), int(a.content), a.record or a.clear, a.from_, a.to,
                            a.begin, a.end, a.step)).encode())
    return (len(actions), digest.hexdigest())


def _check_same_schedule(comm, agree, actions):
    mine = _fingerprint(actions)
    root = comm.bcast(mine, root=0)
    first = comm.allreduce(agree.rank if mine != root else agree.size, op=agree.op_min)
    if first == agree.size:
        return
    other = comm.bcast(mine, root=first)
    raise ScheduleMismatchError(
        f"run_adjoint: the ranks hold different schedules: rank 0 has {root[0]} actions "
        f"(sha256 {root[1][:16]}), rank {first} has {other[0]} actions (sha256 {other[1][:16]})")


class _JournalGenerations:
    """Keeps the journal entry before the last one (``<journal>.prev``, a hard link), so that
    ranks killed one agreement apart still share an entry to resume from."""

    def __init__(self, journal):
        self.journal = journal
        self.previous = journal + ".prev"
        self.seen = None

    def keep(self):
        # Called after a successful agreement: every rank holds this entry or a later one.
        try:
            status = os.stat(self.journal)
        except FileNotFoundError:
            return
        identity = (status.st_ino, status.st_mtime_ns)
        if identity == self.seen:
            return
        temporary = self.previous + ".tmp"
        if os.path.exists(temporary):
            os.remove(temporary)
        try:
            os.link(self.journal, temporary)
        except OSError:
            shutil.copyfile(self.journal, temporary)
        os.replace(temporary, self.previous)
        self.seen = identity

    def forget(self):
        for path in (self.previous, self.previous + ".tmp"):
            if os.path.exists(path):
                os.remove(path)


def _agree_on_resume_point(comm, agree, journal, actions, chain, platform, disk_folder, level):
    """The latest journal entry every rank holds, and the disk checkpoints every rank still has
    there (one missing anywhere is removed everywhere, so all ranks recompute the same steps)."""
    MPI = _mpi()
    last = _core.journal_progress(journal)
    before = _core.journal_progress(journal + ".prev")

    def have_journal():
        if last is None:
            raise _core.ResumeError(f"resume: no readable journal {journal}")

    agree.run(have_journal)
    point = comm.allreduce(last, op=agree.op_min)

    def take_point():
        if last == point:
            return
        if before != point:
            raise _core.ResumeError(
                f"resume: this rank's journal is at action {last}, another rank's at {point}, "
                "and the entry before is gone: the ranks cannot agree on a point")
        shutil.copyfile(journal + ".prev", journal)

    agree.run(take_point)
    if disk_folder is None:
        return

    def expected_files():
        simulator = _core.Simulator(chain, platform)
        for action in actions[:point]:
            simulator.apply(action)
        files = []
        for step in range(chain.num_steps + 1):
            for content, prefix in ((_core.Content.STATE, "state"), (_core.Content.TAPE, "tape")):
                if simulator.holds(1, step, content):
                    files.append(os.path.join(disk_folder, level, f"{prefix}_{step}.ckpt"))
        return files

    files = agree.run(expected_files)
    import numpy

    held = numpy.array([1 if os.path.exists(f) else 0 for f in files], dtype="i")
    everywhere = numpy.zeros_like(held)
    comm.Allreduce(held, everywhere, op=MPI.MIN)

    def release():
        for path, mine, all_ranks in zip(files, held, everywhere):
            if mine and not all_ranks:
                os.remove(path)

    agree.run(release)


def run_adjoint_spmd(comm, local_run_adjoint, x0, num_steps, forward, seed, adjoint, *,
                     planner="revolve", ram_slots=None, disk_dir=None, disk_slots=None,
                     disk_write_cost=1.0, disk_read_cost=1.0, forward_cost=1.0,
                     adjoint_cost=1.0, schedule=None, **options):
    """memsched.run_adjoint on every rank of ``comm`` (see the module's docstring)."""
    agree = _Agreement(comm)
    op_max = _mpi().MAX

    def validate():
        if options.get("ram_bytes") is not None or options.get("platform") is not None:
            raise ValueError("run_adjoint: with comm, give ram_slots (and disk_slots), not "
                             "ram_bytes or platform: the slots are agreed across ranks")
        if options.get("resume") and options.get("journal") is None:
            raise ValueError("run_adjoint: resume needs journal")
        if ram_slots is None:
            raise ValueError("run_adjoint: with comm, ram_slots is required")
        if disk_dir is not None and disk_slots is None:
            raise ValueError("run_adjoint: with comm and disk_dir, disk_slots is required")

    agree.run(validate)

    # Collective planning: the smallest budget, the slowest costs, one schedule everywhere.
    slots = comm.allreduce(int(ram_slots), op=agree.op_min)
    costs = tuple(comm.allreduce(float(value), op=op_max)
                  for value in (forward_cost, adjoint_cost, disk_write_cost, disk_read_cost))
    levels = [_core.StorageLevel("ram", slots, 0.0, 0.0)]
    local_disk = None
    if disk_dir is not None:
        on_disk = comm.allreduce(int(disk_slots), op=agree.op_min)
        levels.append(_core.StorageLevel("disk", on_disk, costs[2], costs[3]))
        local_disk = f"{disk_dir}/rank{agree.rank:05d}"
    platform = _core.Platform(levels)
    chain = _core.Chain(int(num_steps), costs[0], costs[1])

    def make_actions():
        if schedule is not None:
            return list(schedule)
        stream = _core.plan(planner, chain, platform, period=options.get("period"),
                            sweeps=options.get("sweeps"))
        if stream is None:
            raise ValueError(f"run_adjoint: planner '{planner}' has no schedule for "
                             f"{num_steps} steps with {platform}")
        return _core.collect(stream)

    actions = agree.run(make_actions)
    _check_same_schedule(comm, agree, actions)

    journal = options.pop("journal", None)
    resume = bool(options.pop("resume", False))
    generations = None
    if journal is not None:
        journal = f"{journal}.rank{agree.rank:05d}"
        generations = _JournalGenerations(journal)
        if resume:
            _agree_on_resume_point(comm, agree, journal, actions, chain, platform, local_disk,
                                   "disk" if local_disk is not None else None)
        else:
            generations.forget()

    # Agree before every callback: a rank whose engine failed since its last callback (or
    # whose callback raised after its communication) reports at its next agreement instead.
    def agreed(callback):
        def call(*args):
            agree()
            if generations is not None:
                generations.keep()
            return callback(*args)
        return call

    for name in ("period", "sweeps"):
        options.pop(name, None)
    try:
        result = local_run_adjoint(
            x0, num_steps, agreed(forward), agreed(seed), agreed(adjoint), planner=planner,
            ram_slots=slots, disk_dir=local_disk,
            disk_slots=None if local_disk is None else levels[1].num_slots,
            disk_write_cost=costs[2], disk_read_cost=costs[3], forward_cost=costs[0],
            adjoint_cost=costs[1], schedule=actions, journal=journal, resume=resume, **options)
    except Exception as error:  # noqa: BLE001
        if getattr(error, "_memsched_agreed", False):
            raise
        agree(error)
        raise  # unreachable
    agree()
    if generations is not None:
        generations.forget()
    return result
