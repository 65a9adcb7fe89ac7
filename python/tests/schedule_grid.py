"""The grid of checkpoint_schedules schedules that memsched's drop-in is compared on against
upstream, and the counts compared: forward steps and checkpoint writes of the first forward and
reverse sweep. Shared by the suite (test_consumers.py) and by upstream_counts.py, which records
upstream's counts from an upstream checkout (nothing is fetched at test time).

``cs`` is a checkpoint_schedules module: upstream's, memsched's drop-in, or the stand-in.
"""

GRID_N = (1, 2, 3, 5, 10, 20, 50)
GRID_S = (1, 2, 3, 4, 6, 10, 25)

# name -> (constructor(cs, n, s) -> schedule or None, storage limits(n, s) -> {name: limit})
SCHEDULES = {
    "Revolve": (lambda cs, n, s: cs.Revolve(n, s),
                lambda n, s: {"RAM": s, "DISK": 0}),
    "Multistage-disk": (lambda cs, n, s: cs.MultistageCheckpointSchedule(n, 0, s),
                        lambda n, s: {"RAM": 0, "DISK": s}),
    "Multistage-mixed": (lambda cs, n, s: cs.MultistageCheckpointSchedule(n, s // 2, s - s // 2),
                         lambda n, s: {"RAM": s // 2, "DISK": s - s // 2}),
    "Multistage-revolve": (lambda cs, n, s: cs.MultistageCheckpointSchedule(
                               n, s, 0, trajectory="revolve"),
                           lambda n, s: {"RAM": s, "DISK": 0}),
    "HRevolve": (lambda cs, n, s: cs.HRevolve(n, s // 3, s - s // 3) if s >= 3 else None,
                 lambda n, s: {"RAM": s // 3, "DISK": s - s // 3}),
    "DiskRevolve": (lambda cs, n, s: cs.DiskRevolve(n, s),
                    lambda n, s: {"RAM": s, "DISK": None}),
    "PeriodicDiskRevolve": (lambda cs, n, s: cs.PeriodicDiskRevolve(n, s),
                            lambda n, s: {"RAM": s, "DISK": None}),
    "Mixed": (lambda cs, n, s: cs.MixedCheckpointSchedule(n, s),
              lambda n, s: {"RAM": 0, "DISK": s}),
    "TwoLevel-disk": (lambda cs, n, s: cs.TwoLevelCheckpointSchedule(3, s),
                      lambda n, s: {"RAM": 0, "DISK": s + 1 + (n - 1) // 3}),
    "TwoLevel-ram": (lambda cs, n, s: cs.TwoLevelCheckpointSchedule(
                         2, s, binomial_storage=cs.StorageType.RAM, binomial_trajectory="revolve"),
                     lambda n, s: {"RAM": s, "DISK": 1 + (n - 1) // 2}),
    "SingleDisk-copy": (lambda cs, n, s: cs.SingleDiskStorageSchedule(),
                        lambda n, s: {"RAM": 0, "DISK": n}),
    "SingleDisk-move": (lambda cs, n, s: cs.SingleDiskStorageSchedule(True),
                        lambda n, s: {"RAM": 0, "DISK": n}),
    "SingleMemory": (lambda cs, n, s: cs.SingleMemoryStorageSchedule(),
                     lambda n, s: {"RAM": 0, "DISK": 0}),
}


def grid():
    """(name, n, s) of every case: s < n (more slots than steps change nothing), plus n = 1."""
    for name in SCHEDULES:
        for n in GRID_N:
            for s in GRID_S:
                if s < n or (n == 1 and s == 1):
                    yield name, n, s


def first_sweep_counts(schedule, n):
    """[forward steps, checkpoint writes, disk writes, disk reads] up to the first EndReverse; a
    write is one datum put in RAM or on disk (a restart state, one step's adjoint dependencies,
    a Copy/Move there), a read a Copy/Move from disk. With upstream's default costs (uf = 1,
    wd = rd = 2, RAM free) H-Revolve's and Disk-Revolve's objective is
    forward + 2 (disk writes + disk reads)."""
    forward = writes = disk_writes = disk_reads = 0
    for action in schedule:
        name = type(action).__name__
        if name == "Forward":
            n1 = min(action.n1, n)
            forward += n1 - action.n0
            where = getattr(action.storage, "name", None)
            written = int(bool(action.write_ics)) + (n1 - action.n0 if action.write_adj_deps
                                                     else 0)
            if where in ("RAM", "DISK"):
                writes += written
                disk_writes += written if where == "DISK" else 0
            if schedule.max_n is None and n1 >= n:
                schedule.finalize(n)
        elif name in ("Copy", "Move"):
            to = getattr(action.to_storage, "name", None)
            if to in ("RAM", "DISK"):
                writes += 1
                disk_writes += int(to == "DISK")
            if getattr(action.from_storage, "name", None) == "DISK" and to != "NONE":
                disk_reads += 1
        elif name == "EndReverse":
            break
    return [forward, writes, disk_writes, disk_reads]
