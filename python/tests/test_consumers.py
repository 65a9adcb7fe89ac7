"""memsched's checkpoint_schedules drop-in driven as pyadjoint's and tlm_adjoint's checkpoint
managers drive a schedule, over a grid of chain lengths and slot counts for every schedule, and
held to upstream's forward step and write counts (python/tests/data/upstream_counts.json,
recorded from upstream v1.0.4 by data/upstream_counts.py; nothing is fetched here).

The consumer (written from the managers' documented behaviour) dispatches on the action classes
of the checkpoint_schedules module it is given, checks every action against what it holds:
while taping only Forward and EndForward are processed (pyadjoint raises on anything else);
loads go to WORK only, and only when WORK holds no adjoint dependencies; restart data gives the
forward position; a Reverse needs its steps' adjoint dependencies; storage limits hold after
every action; a one-shot schedule ends with nothing stored; a reusable one is driven through a
second reverse sweep. WORK keeps the adjoint dependencies of more than one step only for a
schedule that is an instance of ``SingleMemoryStorageSchedule`` (pyadjoint's isinstance test).
"""

import functools
import json
import os
import pathlib
import subprocess
import sys

import pytest

from memsched import checkpoint_schedules as ours
from schedule_grid import SCHEDULES, first_sweep_counts, grid

HERE = pathlib.Path(__file__).parent
REFERENCE = json.loads((HERE / "data" / "upstream_counts.json").read_text())["counts"]

# Planners that minimise a cost (upstream's defaults: uf = 1, wd = rd = 2, RAM free) rather
# than forward steps: besides both counts, held to upstream's cost (their tie rules decide which
# of the equally cheap schedules is emitted: docs/multilevel.md, "Ties").
COST_PLANNERS = {"HRevolve", "DiskRevolve", "PeriodicDiskRevolve"}


class IllegalAction(AssertionError):
    pass


class Consumer:
    """Drives ``schedule`` (from module ``cs``) for n steps and ``sweeps`` reverse sweeps."""

    def __init__(self, cs, schedule, n, limits, sweeps=2):
        self.cs, self.schedule, self.n, self.sweeps = cs, schedule, n, sweeps
        self.limits = {getattr(cs.StorageType, k): v for k, v in limits.items()}
        self.taping = True
        self.model_n, self.model_r = 0, 0
        self.data = set()  # steps whose adjoint dependencies are in WORK
        self.stored = {cs.StorageType.RAM: {}, cs.StorageType.DISK: {}}
        self.single_memory = isinstance(schedule, cs.SingleMemoryStorageSchedule)
        self.sweeps_done = 0

        @functools.singledispatch
        def apply(action):
            raise IllegalAction(f"unexpected action {action!r}")

        for cls, method in ((cs.Forward, self.forward), (cs.Reverse, self.reverse),
                            (cs.Copy, self.load), (cs.Move, self.load),
                            (cs.EndForward, self.end_forward),
                            (cs.EndReverse, self.end_reverse)):
            apply.register(cls)(method)
        self.apply = apply

    def check(self, condition, action, why):
        if not condition:
            raise IllegalAction(f"{action!r}: {why} (n={self.model_n}, r={self.model_r}, "
                                f"data={sorted(self.data)}, stored={self.stored})")

    def run(self, max_actions=10**6):
        for count, action in enumerate(self.schedule):
            self.check(count < max_actions, action, "too many actions")
            if self.apply(action):
                break
            if self.model_n is not None:
                self.check(self.schedule.n == self.model_n, action, "schedule.n disagrees")
            self.check(self.schedule.r == self.model_r, action, "schedule.r disagrees")
            for storage, limit in self.limits.items():
                if limit is not None:
                    self.check(len(self.stored[storage]) <= limit, action, "storage limit")
        return self

    def forward(self, action):
        WORK, NONE = self.cs.StorageType.WORK, self.cs.StorageType.NONE
        n = self.n
        self.check(self.model_n == action.n0, action, "does not start at the forward position")
        if self.schedule.max_n is not None:
            self.check(action.n1 <= n - self.model_r, action, "runs past the adjoint")
        n1 = min(action.n1, n)
        self.check(n1 > action.n0, action, "advances no step")
        if action.write_ics or (action.write_adj_deps and action.storage != WORK):
            self.check(action.storage in self.stored, action, "stores outside RAM/DISK")
        if action.write_ics:
            self.check(action.n0 not in self.stored[action.storage], action, "overwrites")
            self.stored[action.storage][action.n0] = ("ics", action.n0)
        self.data.clear()
        if action.write_adj_deps:
            if action.storage == WORK:
                self.check(self.single_memory or n1 - action.n0 == 1 or not self.taping,
                           action, "WORK keeps several steps' adjoint dependencies")
                self.data.update(range(action.n0, n1))
            else:
                for step in range(action.n0, n1):
                    self.check(step not in self.stored[action.storage], action, "overwrites")
                    self.stored[action.storage][step] = ("data", step)
        elif not action.write_ics:
            self.check(action.storage in (WORK, NONE), action, "plain Forward with a storage")
        self.model_n = n1
        if self.schedule.max_n is None and n1 == n:
            self.schedule.finalize(n)

    def reverse(self, action):
        self.check(not self.taping, action, "Reverse while taping")
        self.check(action.n1 == self.n - self.model_r, action, "not at the adjoint position")
        self.check(action.n0 < action.n1, action, "reverses no step")
        self.check(self.data.issuperset(range(action.n0, action.n1)), action,
                   "adjoint dependencies missing")
        self.model_r += action.n1 - action.n0
        if action.clear_adj_deps:
            self.data.clear()

    def load(self, action):
        WORK, NONE = self.cs.StorageType.WORK, self.cs.StorageType.NONE
        is_move = isinstance(action, self.cs.Move)
        self.check(not self.taping, action, "Copy/Move while taping (pyadjoint raises)")
        self.check(action.from_storage in self.stored, action, "loads from outside RAM/DISK")
        self.check(action.n in self.stored[action.from_storage], action, "no such checkpoint")
        kind, step = self.stored[action.from_storage][action.n]
        if is_move:
            del self.stored[action.from_storage][action.n]
        if action.to_storage == NONE:
            self.check(is_move, action, "Copy to NONE")
            return
        self.check(action.to_storage == WORK, action, "copies between storages")
        self.check(action.n < self.n - self.model_r, action, "at or past the adjoint")
        if kind == "ics":
            self.data.clear()
            self.model_n = action.n
        else:
            self.check(not self.data, action, "loads over adjoint dependencies in WORK")
            self.data.add(step)
            self.model_n = None

    def end_forward(self, action):
        self.check(self.model_n == self.n, action, "forward incomplete")
        self.taping = False
        if self.schedule.is_exhausted:  # forward-only schedule
            return True

    def end_reverse(self, action):
        self.check(self.model_r == self.n, action, "adjoint incomplete")
        self.sweeps_done += 1
        if self.schedule.is_exhausted:
            self.check(not any(self.stored.values()), action, "checkpoints left stored")
            return True
        self.model_r = 0
        return self.sweeps_done >= self.sweeps


def consume(cs, name, n, s, schedules=ours):
    """Drives the ``schedules`` module's schedule of the grid case through a consumer
    dispatching on ``cs``'s classes; None where the case has no schedule."""
    make, limits = SCHEDULES[name]
    schedule = make(schedules, n, s)
    if schedule is None:
        return None
    consumer = Consumer(cs, schedule, n, limits(n, s)).run()
    assert consumer.sweeps_done >= 1
    return consumer


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_grid_legal_and_no_worse_than_upstream(name):
    checked = 0
    for case, n, s in grid():
        if case != name:
            continue
        if consume(ours, name, n, s) is None:
            continue
        counts = first_sweep_counts(SCHEDULES[name][0](ours, n, s), n)
        reference = REFERENCE[f"{name} {n} {s}"]
        if reference is None:
            continue
        assert counts[0] <= reference[0], ("forward steps", name, n, s, counts, reference)
        assert counts[1] <= reference[1], ("writes", name, n, s, counts, reference)
        if name in COST_PLANNERS:
            cost, upstream_cost = (c[0] + 2 * (c[2] + c[3]) for c in (counts, reference))
            assert cost <= upstream_cost, (name, n, s, counts, reference)
        checked += 1
    assert checked >= 10


def test_consumer_rejects_what_pyadjoint_rejects():
    # The driver can fail: a deletion while taping, a Copy into storage, a load over data.
    cs = ours

    class Scripted(cs.SingleDiskStorageSchedule):
        def __init__(self, actions):
            super().__init__()
            self._script = actions

        def _iterator(self):
            for action in self._script:
                yield self._track(action)

    RAM, WORK, NONE = cs.StorageType.RAM, cs.StorageType.WORK, cs.StorageType.NONE
    bad = [
        [cs.Forward(0, 1, True, False, RAM), cs.Move(0, RAM, NONE)],
        [cs.Forward(0, 2, True, False, RAM), cs.EndForward(), cs.Copy(0, RAM, RAM)],
        [cs.Forward(0, 1, False, True, RAM), cs.Forward(1, 2, False, True, WORK),
         cs.EndForward(), cs.Copy(0, RAM, WORK)],
    ]
    for script in bad:
        with pytest.raises(IllegalAction):
            Consumer(cs, Scripted(script), 2, {"RAM": 2, "DISK": 0}).run()


STAND_IN = r"""
import checkpoint_schedules as upstream
assert upstream.FAKE
from memsched import checkpoint_schedules as ours
import test_consumers as t
checked = 0
for name, n, s in t.grid():
    if n in (5, 20) and s in (2, 6):
        if t.consume(upstream, name, n, s, schedules=ours) is not None:
            checked += 1
print("consumed", checked)
"""


def test_grid_through_upstream_classes():
    # The same driver dispatching on the stand-in's classes (upstream importable): memsched's
    # schedules emit them and are instances of upstream's schedule classes.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE / "fake_upstream"), str(HERE)]
        + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    result = subprocess.run([sys.executable, "-c", STAND_IN], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "consumed" in result.stdout and int(result.stdout.split()[-1]) >= 30


@pytest.mark.parametrize("s", [1, 2, 3, 5, 8])
def test_online_binomial_is_consumable(s):
    # memsched's own online schedule, default release: only Forward while taping, never more
    # than s checkpoints stored (checked after every action, before EndForward included),
    # nothing else illegal, everything released; forward steps within 4/3 of offline Revolve's
    # from n = 5 on (n is unknown while taping).
    import memsched

    for n in (1, 2, 3, 5, 8, 13, 40, 64, 119):
        for storage in ("RAM", "DISK"):
            schedule = ours.OnlineBinomialCheckpointSchedule(
                s, storage=getattr(ours.StorageType, storage))
            limits = {"RAM": 0, "DISK": 0}
            limits[storage] = s
            consumer = Consumer(ours, schedule, n, limits).run()
            assert consumer.sweeps_done == 1 and not any(consumer.stored.values())
        forward = first_sweep_counts(ours.OnlineBinomialCheckpointSchedule(s), n)[0]
        offline = memsched.revolve_forward_steps(n, s)
        assert forward <= 2 * offline and (n < 5 or 3 * forward <= 4 * offline), (n, s)


def test_online_binomial_deferred_release_exceeds_snapshots():
    # The opt-in release="after_forward" keeps the online planner's choices and defers its
    # deletions to EndForward: the driver sees more than s checkpoints stored while taping
    # (documented), and the default does not.
    n, s = 119, 8
    with pytest.raises(IllegalAction, match="storage limit"):
        Consumer(ours, ours.OnlineBinomialCheckpointSchedule(s, release="after_forward"), n,
                 {"RAM": s, "DISK": 0}).run()
    Consumer(ours, ours.OnlineBinomialCheckpointSchedule(s), n, {"RAM": s, "DISK": 0}).run()
