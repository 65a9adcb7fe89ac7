"""A model of pyadjoint's CheckpointManager, driving a checkpoint_schedules schedule on a
scalar time-stepping problem, to test gradients end to end (tape, re-evaluate at a new control,
gradient) without pyadjoint installed.

The manager is written from the behaviour pyadjoint documents and implements (dolfin-adjoint
pyadjoint, ``pyadjoint/checkpointing.py``), not copied: it dispatches on the action classes of
the ``checkpoint_schedules`` module it is given, taping accepts only ``Forward`` and
``EndForward``, ``Copy`` and ``Move`` restore a stored step (``Move`` then deletes it), and on
re-evaluation the state entering each step is dropped from working memory unless the schedule is
an instance of ``SingleMemoryStorageSchedule``, in which case it is kept when it is an adjoint
dependency of the step before. A variable whose saved value was dropped reads the live value of
the shared state (what the forward computed last), as a Firedrake ``Function`` does: a schedule
that is not recognised where it must be gives a silently wrong gradient, not an error.

The problem: x_0 = 1, x_{k+1} = x_k exp(dt m), J = x_n^2. The adjoint of step k reads its
output x_{k+1} (dx_{k+1}/dm = dt x_{k+1}), like a nonlinear solve whose adjoint needs its
solution: x_{k+1} is the adjoint dependency of step k and the state entering step k+1.
"""

import functools
import math
import sys

DT = 0.1


class CheckpointError(RuntimeError):
    pass


class _Var:
    """A block variable: its saved value, or None when dropped from working memory."""

    __slots__ = ("saved",)

    def __init__(self):
        self.saved = None


def store_all_gradient(n, m):
    """dJ/dm with every state kept: the reference."""
    xs = [1.0]
    for _ in range(n):
        xs.append(xs[-1] * math.exp(DT * m))
    lam, grad = 2.0 * xs[n], 0.0
    for k in range(n - 1, -1, -1):
        grad += lam * DT * xs[k + 1]
        lam *= math.exp(DT * m)
    return xs[n] ** 2, grad


class Manager:
    """Tapes n steps with ``schedule``, re-evaluates at new controls and computes gradients,
    following the manager's modes: RECORD, EVALUATED, RECOMPUTE, EVALUATE_ADJOINT, EXHAUSTED."""

    def __init__(self, cs, schedule, n):
        self.cs, self.schedule, self.n = cs, schedule, n
        self.total = schedule.max_n if schedule.max_n else sys.maxsize
        self.x = [_Var() for _ in range(n + 1)]
        self.live = 1.0
        self.m = None
        self.stored = {}  # (storage, step) -> {index: value}
        self.step_checkpoint = {}  # step -> {index: value}: what the tape's step holds
        self.forward_schedule, self.reverse_schedule = [], []
        self.keep_init = False
        self.mode = "RECORD"
        self.eager = False
        self.functional_x = None

        @functools.singledispatch
        def taping(action, timestep):
            raise CheckpointError(f"Unable to process {action} while taping.")

        @functools.singledispatch
        def operation(action):
            raise CheckpointError(f"Unable to process {action}.")

        taping.register(cs.Forward)(self._tape_forward)
        taping.register(cs.EndForward)(self._tape_end_forward)
        operation.register(cs.Forward)(self._forward)
        operation.register(cs.Reverse)(self._reverse)
        operation.register(cs.Copy)(self._copy)
        operation.register(cs.Move)(self._move)
        operation.register(cs.EndForward)(self._end_forward)
        operation.register(cs.EndReverse)(self._end_reverse)
        self._taping, self._operation = taping, operation

    # Values --------------------------------------------------------------------------------

    def _value(self, k):
        saved = self.x[k].saved
        return self.live if saved is None else saved

    def _step(self, k):
        y = self._value(k) * math.exp(DT * self.m)
        self.live = y
        return y

    def _store(self, storage, step, indices):
        data = {i: self._value(i) for i in indices}
        self.stored[(storage, step)] = data
        self.step_checkpoint[step] = data

    def _restore(self, storage, step):
        if (storage, step) not in self.stored:
            raise CheckpointError(f"step {step} has no checkpoint in {storage}")
        for i, value in self.stored[(storage, step)].items():
            self.x[i].saved = value

    def _adj_deps(self, k):
        return {k + 1}

    # Taping --------------------------------------------------------------------------------

    def tape(self, m):
        """The first evaluation, recording each step as the user's time loop would."""
        self.m = m
        self.x[0].saved = 1.0
        self._current = next(self.schedule)
        self.forward_schedule.append(self._current)
        self._end_timestep(-1)
        for t in range(self.n):
            # Recording a step saves the state entering it when the action running it stores
            # restart data from it (pyadjoint checkpoints the inputs from latest_checkpoint on),
            # and its output when the action keeps adjoint dependencies (eager checkpointing).
            if self._current.write_ics and t == self._current.n0:
                self.x[t].saved = self._value(t)
            y = self._step(t)
            if self.eager:
                self.x[t + 1].saved = y
            self._end_timestep(t)
        self.functional_x = self._value(self.n)
        return self.functional_x ** 2

    def _end_timestep(self, timestep):
        if self.mode == "EVALUATED":
            raise CheckpointError("Not enough timesteps in schedule.")
        if self.mode != "RECORD":
            raise CheckpointError(f"Cannot end timestep in {self.mode}")
        while not self._taping(self._current, timestep + 1):
            self._current = next(self.schedule)
            self.forward_schedule.append(self._current)

    def _end_taping(self):
        timestep = self.n - 1
        if not self.schedule.max_n:
            self.schedule.finalize(self.n)
            self.total = self.schedule.max_n
        while self.mode != "EVALUATED":
            self._end_timestep(timestep)
            timestep += 1

    def _tape_forward(self, action, timestep):
        if timestep < action.n0:
            raise CheckpointError("Timestep is before start of Forward action.")
        self.eager = action.write_adj_deps
        if timestep > action.n0 and action.storage != self.cs.StorageType.WORK:
            # end_taping processes the last timestep again: its checkpoint is taken once.
            k = timestep - 1
            if (action.storage, k) in self.stored:
                return action.n0 <= timestep < action.n1 and timestep < self.total
            if action.write_ics and timestep == action.n0 + 1:
                self._store(action.storage, k, {k})
            if action.write_adj_deps:
                self._store(action.storage, k, self._adj_deps(k))
            self.x[k].saved = None
            self.x[k + 1].saved = None
        return action.n0 <= timestep < action.n1 and timestep < self.total

    def _tape_end_forward(self, action, timestep):
        if timestep != self.total:
            raise CheckpointError("The correct number of forward steps has not been taken.")
        self.mode = "EVALUATED"
        return True

    # Re-evaluation and adjoint -------------------------------------------------------------

    def recompute(self, m):
        """Re-evaluates J at a new control by replaying the forward actions."""
        if self.mode == "RECORD":
            self._end_taping()
        self.m = m
        self.mode = "RECOMPUTE"
        # The tape keeps the initial condition (its input data) for re-evaluations.
        self.x[0].saved = self.live = 1.0
        for action in self.forward_schedule:
            self._operation(action)
        self.functional_x = self._value(self.n)
        return self.functional_x ** 2

    def gradient(self):
        if self.mode == "RECORD":
            self._end_taping()
        if self.mode != "EVALUATED":
            raise CheckpointError("Evaluate Functional before calling gradient.")
        self.lam, self.grad = 2.0 * self.functional_x, 0.0
        if self.reverse_schedule:
            for action in self.reverse_schedule:
                self._operation(action)
        else:
            while not isinstance(self._current, self.cs.EndReverse):
                self._current = next(self.schedule)
                self.reverse_schedule.append(self._current)
                self._operation(self._current)
        self.mode = "EVALUATE_ADJOINT"
        return self.grad

    def _forward(self, action):
        WORK = self.cs.StorageType.WORK
        step = action.n0
        while action.n0 <= step < action.n1 and step < self.total:
            y = self._step(step)
            self.x[step + 1].saved = y
            if action.storage != WORK:
                if action.write_ics and step == action.n0:
                    self._store(action.storage, step, {step})
                if action.write_adj_deps:
                    self._store(action.storage, step, self._adj_deps(step))
            to_keep = {step + 1} if step < self.total - 1 else set()
            if step not in to_keep:
                if step == 0 and 0 not in self.step_checkpoint.get(0, {}):
                    self.keep_init = True
                elif isinstance(self.schedule, self.cs.SingleMemoryStorageSchedule):
                    if step > 1 and step not in self._adj_deps(step - 1):
                        self.x[step].saved = None
                elif not (step == 0 and self.keep_init):
                    self.x[step].saved = None
            if (action.write_adj_deps and action.storage != WORK) or not action.write_adj_deps:
                if step + 1 not in to_keep:
                    self.x[step + 1].saved = None
            elif step + 1 not in self._adj_deps(step) | to_keep:
                self.x[step + 1].saved = None
            step += 1

    def _reverse(self, action):
        for step in range(action.n1 - 1, action.n0 - 1, -1):
            y = self._value(step + 1)
            self.grad += self.lam * DT * y
            self.lam *= math.exp(DT * self.m)
            if action.clear_adj_deps:
                self.x[step + 1].saved = None

    def _copy(self, action):
        self._restore(action.from_storage, action.n)

    def _move(self, action):
        self._restore(action.from_storage, action.n)
        del self.stored[(action.from_storage, action.n)]
        self.step_checkpoint.pop(action.n, None)

    def _end_forward(self, action):
        self.mode = "EVALUATED"

    def _end_reverse(self, action):
        self.mode = "EXHAUSTED" if self.schedule.is_exhausted else "EVALUATED"


def reevaluation_gradients(cs, schedule, n, controls=(0.5, 0.71, 0.3)):
    """Tapes at controls[0], takes the gradient, then for each further control re-evaluates
    and takes the gradient again; returns [(J, dJ/dm)] per control."""
    manager = Manager(cs, schedule, n)
    results = [(manager.tape(controls[0]), manager.gradient())]
    for m in controls[1:]:
        value = manager.recompute(m)
        results.append((value, manager.gradient()))
    return results
