"""A stand-in for the real checkpoint_schedules package (not installable here): its module
layout and public class names (actions with their fields, StorageType, the abstract schedule
base and every schedule class, related as upstream relates them), so tests can check that
memsched.checkpoint_schedules emits upstream's action classes and that its schedules are
instances of upstream's same-named classes when upstream is importable. The schedule classes
cannot run: only isinstance/issubclass and singledispatch are exercised through them."""

from .schedule import *  # noqa: F401, F403
from .hrevolve import *  # noqa: F401, F403
from .multistage import *  # noqa: F401, F403
from .basic_schedules import *  # noqa: F401, F403
from .mixed import *  # noqa: F401, F403
from .twolevel_binomial import *  # noqa: F401, F403

FAKE = True
