"""Compatibility with the real checkpoint_schedules package, both ways.

With it importable, memsched.checkpoint_schedules emits its action classes (singledispatch
handlers registered on them match) and every schedule class is a (virtual) subclass of upstream's
same-named class, so consumers that test ``isinstance(schedule, SingleMemoryStorageSchedule)``
(pyadjoint's CheckpointManager) treat it as upstream's. The real package is not installable
here: a stand-in with upstream's module layout and class relations (python/tests/fake_upstream)
plays it, in a subprocess so that this test session keeps the plain import. Without it, the same
names work alone; the pyadjoint model (pyadjoint_model.py) checks gradients of re-evaluations
both ways.
"""

import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).parent

SCHEDULE_CLASSES = ["Revolve", "MultistageCheckpointSchedule", "HRevolve", "DiskRevolve",
                    "PeriodicDiskRevolve", "TwoLevelCheckpointSchedule",
                    "MixedCheckpointSchedule", "SingleMemoryStorageSchedule",
                    "SingleDiskStorageSchedule", "NoneCheckpointSchedule"]
ACTION_CLASSES = ["Forward", "Reverse", "Copy", "Move", "EndForward", "EndReverse"]

# One instance of each schedule class, built from the module `cs`.
INSTANCES = {
    "Revolve": "cs.Revolve(6, 2)",
    "MultistageCheckpointSchedule": "cs.MultistageCheckpointSchedule(6, 1, 1)",
    "HRevolve": "cs.HRevolve(6, 1, 1)",
    "DiskRevolve": "cs.DiskRevolve(6, 2)",
    "PeriodicDiskRevolve": "cs.PeriodicDiskRevolve(6, 2)",
    "TwoLevelCheckpointSchedule": "cs.TwoLevelCheckpointSchedule(2, 1)",
    "MixedCheckpointSchedule": "cs.MixedCheckpointSchedule(6, 2)",
    "SingleMemoryStorageSchedule": "cs.SingleMemoryStorageSchedule()",
    "SingleDiskStorageSchedule": "cs.SingleDiskStorageSchedule()",
    "NoneCheckpointSchedule": "cs.NoneCheckpointSchedule()",
}


def run_with_stand_in(script):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE / "fake_upstream"), str(HERE)]
        + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


DISPATCH = r"""
import functools
import checkpoint_schedules as upstream
assert upstream.FAKE
from memsched import checkpoint_schedules as ours
assert ours.USING_UPSTREAM_ACTIONS
assert ours.Forward is upstream.Forward and ours.StorageType is upstream.StorageType

@functools.singledispatch
def handle(action):
    raise TypeError(f"no handler for {type(action)}")

seen = []
for cls in (upstream.Forward, upstream.Reverse, upstream.Copy, upstream.Move,
            upstream.EndForward, upstream.EndReverse):
    handle.register(cls)(lambda action, name=cls.__name__: seen.append(name))

schedule = ours.Revolve(4, 2)
assert isinstance(schedule, upstream.CheckpointSchedule)
assert schedule.uses_storage_type(upstream.StorageType.DISK) is False
for action in schedule:
    handle(action)
assert seen == ["Forward", "Forward", "Forward", "EndForward", "Reverse", "Move", "Forward",
                "Reverse", "Copy", "Forward", "Forward", "Reverse", "Move", "Forward",
                "Reverse", "EndReverse"], seen
assert schedule.is_exhausted and schedule.r == 4
for action in ours.TwoLevelCheckpointSchedule(2, 1):
    handle(action)
    if isinstance(action, upstream.Forward) and action.n1 >= 5:
        break
print("upstream ok")
"""


def test_emits_upstream_classes_when_importable():
    assert "upstream ok" in run_with_stand_in(DISPATCH)


ISINSTANCE = r"""
import importlib
import checkpoint_schedules as upstream
assert upstream.FAKE
from memsched import checkpoint_schedules as cs
SCHEDULES = %r
ACTIONS = %r
INSTANCES = %r
checked = 0
for name in SCHEDULES:
    schedule = eval(INSTANCES[name])
    assert isinstance(schedule, upstream.CheckpointSchedule), name
    # Exactly upstream's relations: an instance of upstream's class X and of every upstream
    # schedule class X derives from, and of no other.
    for other in SCHEDULES:
        expected = issubclass(getattr(upstream, name), getattr(upstream, other))
        assert isinstance(schedule, getattr(upstream, other)) == expected, (name, other)
        checked += 1
    assert isinstance(schedule, importlib.import_module("checkpoint_schedules.hrevolve")
                      .RevolveCheckpointSchedule) == (name in (
                          "Revolve", "HRevolve", "DiskRevolve", "PeriodicDiskRevolve")), name
    # Every action it emits is an instance of upstream's action class of its name, of no other.
    for count, action in enumerate(schedule):
        assert isinstance(action, upstream.CheckpointAction)
        hits = [a for a in ACTIONS if isinstance(action, getattr(upstream, a))]
        assert hits == [type(action).__name__], (action, hits)
        if (isinstance(action, upstream.Forward) and schedule.max_n is None
                and action.n1 >= 6):
            schedule.finalize(6)
        if isinstance(action, upstream.EndReverse) or count > 200:
            break
    checked += 1
print("checked", checked)
""" % (SCHEDULE_CLASSES, ACTION_CLASSES, INSTANCES)


def test_every_schedule_is_an_instance_of_upstreams_class():
    out = run_with_stand_in(ISINSTANCE)
    assert f"checked {len(SCHEDULE_CLASSES) ** 2 + len(SCHEDULE_CLASSES)}" in out


def test_plain_import_uses_our_classes():
    from memsched import checkpoint_schedules as ours

    if "checkpoint_schedules" not in sys.modules:
        assert not ours.USING_UPSTREAM_ACTIONS
        assert ours.Forward.__module__ == "memsched.checkpoint_schedules.schedule"
    for name in INSTANCES:
        cls = getattr(ours, name)
        assert isinstance(eval(INSTANCES[name], {"cs": ours}), cls)
    assert not isinstance(ours.PeriodicDiskRevolve(6, 2), ours.DiskRevolve)


# The re-evaluation scenario: tape at 0.5, gradient, re-evaluate at 0.71 (then 0.3), gradient.
REEVALUATION = r"""
import checkpoint_schedules as upstream
from memsched import checkpoint_schedules as cs
import pyadjoint_model as model
n = 7
cases = %r
for text in cases:
    for got, m in zip(model.reevaluation_gradients(upstream, eval(text), n), (0.5, 0.71, 0.3)):
        ref = model.store_all_gradient(n, m)
        assert abs(got[0] - ref[0]) <= 1e-12 * ref[0], (text, m, got, ref)
        assert abs(got[1] - ref[1]) <= 1e-12 * ref[1], (text, m, got, ref)


class Hidden:
    # The same schedule, not recognised as SingleMemoryStorageSchedule: what pyadjoint saw
    # before the classes were registered. Shows the model detects the wrong gradient.
    def __init__(self, schedule):
        self._s = schedule
    def __iter__(self):
        return self
    def __next__(self):
        return next(self._s)
    def __getattr__(self, name):
        return getattr(self._s, name)

got = model.reevaluation_gradients(upstream, Hidden(cs.SingleMemoryStorageSchedule()), n)
assert abs(got[0][1] - model.store_all_gradient(n, 0.5)[1]) < 1e-12
assert abs(got[1][1] - model.store_all_gradient(n, 0.71)[1]) > 1e-3, got
print("gradients ok")
"""

CASES = ["cs.SingleMemoryStorageSchedule()", "cs.SingleDiskStorageSchedule()",
         "cs.Revolve(n, 3)", "cs.MultistageCheckpointSchedule(n, 1, 2)",
         "cs.HRevolve(n, 1, 2)", "cs.DiskRevolve(n, 2)", "cs.PeriodicDiskRevolve(n, 2)",
         "cs.MixedCheckpointSchedule(n, 3)", "cs.TwoLevelCheckpointSchedule(3, 1)",
         "cs.TwoLevelCheckpointSchedule(3, 2, binomial_storage=cs.StorageType.RAM)",
         "cs.OnlineBinomialCheckpointSchedule(2)", "cs.OnlineBinomialCheckpointSchedule(3)"]


def test_reevaluation_gradient_with_upstream_classes():
    assert "gradients ok" in run_with_stand_in(REEVALUATION % (CASES,))


@pytest.mark.parametrize("text", CASES)
def test_reevaluation_gradient_without_upstream(text):
    from memsched import checkpoint_schedules as cs
    import pyadjoint_model as model

    n = 7
    for got, m in zip(model.reevaluation_gradients(cs, eval(text), n), (0.5, 0.71, 0.3)):
        ref = model.store_all_gradient(n, m)
        assert got[0] == pytest.approx(ref[0], rel=1e-12)
        assert got[1] == pytest.approx(ref[1], rel=1e-12)


LARGE_MIXED = r"""
import checkpoint_schedules as upstream
assert upstream.FAKE
from memsched import checkpoint_schedules as cs
schedule = cs.MixedCheckpointSchedule(2000, 20)  # beyond the Python table: the C++ planner
assert not schedule._python_policy
for action in schedule:
    if isinstance(action, upstream.EndReverse):
        break
assert schedule.is_exhausted
print("mixed ok")
"""


def test_large_mixed_under_upstreams_base():
    # With upstream's base class, every _iterator is wrapped to return one cached generator;
    # the schedule must not re-enter it.
    assert "mixed ok" in run_with_stand_in(LARGE_MIXED)
