"""Run under mpirun by test_mpi.py: a 1D heat equation split over the ranks (halo exchange with
mpi4py), its hand-written adjoint, and memsched.run_adjoint(..., comm=comm) on every rank.
Prints one 'ok <check>' line per check that held on this rank."""

import sys

import numpy as np
from mpi4py import MPI

import memsched

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
CELLS, STEPS, R = 24, 40, 0.2
left = rank - 1 if rank > 0 else MPI.PROC_NULL
right = rank + 1 if rank < size - 1 else MPI.PROC_NULL
mine = np.array_split(np.arange(CELLS), size)[rank]
x = (mine + 1.0) / (CELLS + 1)
u0 = np.sin(np.pi * x) + 0.2 * np.sin(5 * np.pi * x)


def halo(v):
    """The neighbours' edge values (0 at the domain's ends)."""
    below, above = np.zeros(1), np.zeros(1)
    comm.Sendrecv(v[-1:].copy(), dest=right, recvbuf=below, source=left)
    comm.Sendrecv(v[:1].copy(), dest=left, recvbuf=above, source=right)
    return below[0], above[0]


def forward(u, k):
    west, east = halo(u)
    padded = np.concatenate(([west], u, [east]))
    return u + R * (padded[:-2] - 2 * u + padded[2:]) - 0.01 * u**3


def seed(u):
    return u.copy()


def adjoint(u, y, k):
    # Transpose of the step, the halo exchange reversed: the parts of y that fed the
    # neighbours' ghost cells go back to them.
    out = (1 - 2 * R - 0.03 * u**2) * y
    out[1:] += R * y[:-1]
    out[:-1] += R * y[1:]
    from_left, from_right = np.zeros(1), np.zeros(1)
    comm.Sendrecv(np.array([R * y[0]]), dest=left, recvbuf=from_right, source=right)
    comm.Sendrecv(np.array([R * y[-1]]), dest=right, recvbuf=from_left, source=left)
    if left != MPI.PROC_NULL:
        out[0] += from_left[0]
    if right != MPI.PROC_NULL:
        out[-1] += from_right[0]
    return out


def store_all():
    states = [u0]
    for k in range(STEPS):
        states.append(forward(states[-1], k))
    y = seed(states[-1])
    for k in reversed(range(STEPS)):
        y = adjoint(states[k], y, k)
    return y


reference = store_all()
disk = sys.argv[1]

# The same schedule on every rank; gradients bitwise equal to store-all.
for planner, options in (("revolve", {"ram_slots": 3 + rank}),
                         ("hrevolve", {"ram_slots": 2, "disk_dir": disk, "disk_slots": 3})):
    run = memsched.run_adjoint(u0, STEPS, forward, seed, adjoint, comm=comm, planner=planner,
                               **options)
    if np.array_equal(run.adjoint, reference) and run.adjoint.tobytes() == reference.tobytes():
        print(f"ok bitwise {planner}", flush=True)

# Ranks holding other schedules: one error on every rank, before any step.
try:
    memsched.run_adjoint(u0, STEPS, forward, seed, adjoint, comm=comm, ram_slots=4,
                         schedule=memsched.collect(memsched.RevolveStream(STEPS, 3 + rank)))
except memsched.ScheduleMismatchError as error:
    print("ok mismatch" if "rank 1 has" in str(error) else f"bad mismatch {error}", flush=True)

# A callback failing on the last rank (after its communication): the same error everywhere.
calls = [0]


def failing_adjoint(u, y, k):
    out = adjoint(u, y, k)
    if rank == size - 1 and k == STEPS // 2:
        raise ValueError("the adjoint step diverged")
    return out


try:
    memsched.run_adjoint(u0, STEPS, forward, seed, failing_adjoint, comm=comm, ram_slots=4)
except ValueError as error:
    expected = f"rank {size - 1} of {size}: the adjoint step diverged"
    print("ok callback" if str(error) == expected else f"bad callback {error}", flush=True)

# Hidden state on the last rank: the replay check fails there, and everywhere.
hidden = [0]


def leaky_forward(u, k):
    hidden[0] += 1
    out = forward(u, k)
    if rank == size - 1:
        out[0] += 1e-12 * hidden[0]
    return out


try:
    memsched.run_adjoint(u0, STEPS, leaky_forward, seed, adjoint, comm=comm, ram_slots=3)
except memsched.ReplayError as error:
    print("ok replay" if f"rank {size - 1} of {size}" in str(error) else f"bad replay {error}",
          flush=True)

# A run stopped on the last rank in the reverse sweep (after its adjoint step's communication:
# the other ranks journal one entry further), then resumed on every rank from the journals.
journal = f"{disk}/journal"
resumable = {"planner": "hrevolve", "ram_slots": 2, "disk_dir": f"{disk}/resumable",
             "disk_slots": 3, "journal": journal}


def dying_adjoint(u, y, k):
    out = adjoint(u, y, k)
    if rank == size - 1 and k == STEPS // 3:
        raise RuntimeError("simulated crash")
    return out


try:
    memsched.run_adjoint(u0, STEPS, forward, seed, dying_adjoint, comm=comm, **resumable)
except RuntimeError as error:
    if "simulated crash" not in str(error):
        print(f"bad crash {error}", flush=True)
progress = memsched.journal_progress(f"{journal}.rank{rank:05d}")
spread = (comm.allreduce(progress, op=MPI.MIN), comm.allreduce(progress, op=MPI.MAX))
run = memsched.run_adjoint(u0, STEPS, forward, seed, adjoint, comm=comm, resume=True, **resumable)
if run.adjoint.tobytes() == reference.tobytes() and spread[0] is not None:
    print("ok resume" + (" apart" if spread[0] != spread[1] else ""), flush=True)
