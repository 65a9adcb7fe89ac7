"""With the real checkpoint_schedules importable, memsched.checkpoint_schedules emits its
classes, so singledispatch handlers registered on them (pyadjoint's CheckpointManager) match.
The real package is not installable here: a minimal stand-in on sys.path plays it, in a
subprocess so that this test session keeps the plain import."""

import os
import pathlib
import subprocess
import sys

SCRIPT = r"""
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
    fake = pathlib.Path(__file__).with_name("fake_upstream")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(fake)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "upstream ok" in result.stdout


def test_plain_import_uses_our_classes():
    from memsched import checkpoint_schedules as ours

    if "checkpoint_schedules" not in sys.modules:
        assert not ours.USING_UPSTREAM_ACTIONS
        assert ours.Forward.__module__ == "memsched.checkpoint_schedules"
