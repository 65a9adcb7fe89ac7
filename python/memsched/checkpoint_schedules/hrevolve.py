"""Revolve, H-Revolve, Disk-Revolve and Periodic-Disk-Revolve, laid out as upstream's
``checkpoint_schedules.hrevolve``, planned by memsched's C++ planners."""

import memsched as _ms

from ._planned import _PlannedSchedule, _costs
from .schedule import StorageType, _count, _positive_max_n

__all__ = ["HRevolve", "DiskRevolve", "PeriodicDiskRevolve", "Revolve"]


# The planners' own limits (docs/cli.md, "Limits") keep a consumer from hanging in a
# constructor: H-Revolve's table is refused up front above 1 GiB, and its pruned split search
# stops past 2e10 operations (counted as it runs: its savings are measured, not proven; 10**6
# steps on 10 + 10 slots plan in about 13 s). Disk-Revolve's table is Theta(n J) for a proven
# bound J on its first disk segment (docs/multilevel.md): 10**6 steps plan in under a second.


class RevolveCheckpointSchedule(_PlannedSchedule):
    """Base of the Revolve family, as upstream's class of this name."""


class Revolve(RevolveCheckpointSchedule):
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


class HRevolve(RevolveCheckpointSchedule):
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
        # memsched's Chain takes (forward, adjoint): upstream 1.0.4 passes the two costs swapped
        # into its H-Revolve table (docs/python.md); not here.
        super().__init__(max_n, "hrevolve", _ms.Chain(max_n, fwd_cost, bwd_cost), platform,
                         [StorageType.RAM, StorageType.DISK])


class _DiskRevolveBase(RevolveCheckpointSchedule):
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
