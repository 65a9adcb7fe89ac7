# Type stubs of the package: the compiled names plus one function per registry planner
# (generated at import time in __init__.py; listed here for type checkers).
from typing import List, Optional

from memsched._memsched import *  # noqa: F401,F403
from memsched._memsched import ActionStream, Chain, Platform

planner_names: List[str]

def revolve(chain: Chain, platform: Platform, *,
            period: Optional[int] = None,
            sweeps: Optional[int] = None) -> Optional[ActionStream]: ...
def mixed(chain: Chain, platform: Platform, *,
          period: Optional[int] = None,
            sweeps: Optional[int] = None) -> Optional[ActionStream]: ...
def periodic(chain: Chain, platform: Platform, *,
             period: Optional[int] = None,
            sweeps: Optional[int] = None) -> Optional[ActionStream]: ...
def store_all(chain: Chain, platform: Platform, *,
              period: Optional[int] = None,
            sweeps: Optional[int] = None) -> Optional[ActionStream]: ...
def recompute_all(chain: Chain, platform: Platform, *,
                  period: Optional[int] = None,
            sweeps: Optional[int] = None) -> Optional[ActionStream]: ...
def hrevolve(chain: Chain, platform: Platform, *,
             period: Optional[int] = None,
            sweeps: Optional[int] = None) -> Optional[ActionStream]: ...
def disk_revolve(chain: Chain, platform: Platform, *,
                 period: Optional[int] = None,
            sweeps: Optional[int] = None) -> Optional[ActionStream]: ...
def periodic_disk_revolve(chain: Chain, platform: Platform, *,
                          period: Optional[int] = None,
            sweeps: Optional[int] = None) -> Optional[ActionStream]: ...
def multistage(chain: Chain, platform: Platform, *,
               period: Optional[int] = None,
            sweeps: Optional[int] = None) -> Optional[ActionStream]: ...
def two_level(chain: Chain, platform: Platform, *,
              period: Optional[int] = None,
            sweeps: Optional[int] = None) -> Optional[ActionStream]: ...
def online(chain: Chain, platform: Platform, *,
           period: Optional[int] = None,
            sweeps: Optional[int] = None) -> Optional[ActionStream]: ...
def online_two_level(chain: Chain, platform: Platform, *,
                     period: Optional[int] = None,
                     sweeps: Optional[int] = None) -> Optional[ActionStream]: ...
def repeated(chain: Chain, platform: Platform, *,
             period: Optional[int] = None,
            sweeps: Optional[int] = None) -> Optional[ActionStream]: ...

# run_adjoint with an mpi4py communicator (python/memsched/_spmd.py).
from typing import Any, Callable

class ScheduleMismatchError(RuntimeError): ...

def run_adjoint(x0: Any, num_steps: int, forward: Callable[[Any, int], Any],
                seed: Callable[[Any], Any], adjoint: Callable[[Any, Any, int], Any], *,
                comm: Optional[Any] = None, **options: Any) -> Any: ...
