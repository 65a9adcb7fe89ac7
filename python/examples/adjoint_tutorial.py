"""Tutorial: the gradient of a numpy time-stepping model with checkpointing.

An explicit 1D heat equation u_t = kappa u_xx on a periodic grid, J = sum(u_n^2) / 2. We
write the forward step, the objective's seed and the step's adjoint as plain Python
functions; memsched plans where to keep checkpoints and runs them (RAM, then RAM + a disk
folder), and the gradient is bit for bit the one of keeping every state.

Run: PYTHONPATH=build/default/python python3 python/examples/adjoint_tutorial.py
"""

import tempfile

import numpy as np

import memsched

nx, kappa, steps = 64, 0.2, 500
u0 = np.exp(-100 * (np.linspace(0, 1, nx, endpoint=False) - 0.5) ** 2)


def forward(u, k):
    """x_k -> x_{k+1}: return the new state (or update u in place and return None)."""
    return u + kappa * (np.roll(u, -1) - 2 * u + np.roll(u, 1))


def seed(u):
    """y_n = dJ/dx_n."""
    return u.copy()


def adjoint(u, y, k):
    """y_{k+1} -> y_k = (dF/du)^T y_{k+1}, with u = x_k (do not modify it)."""
    return y + kappa * (np.roll(y, -1) - 2 * y + np.roll(y, 1))


# 1. Revolve with 10 checkpoints in RAM (x_0's slot included).
run = memsched.run_adjoint(u0, steps, forward, seed, adjoint, planner="revolve", ram_slots=10)
profile = run.profile
print(f"revolve: {profile.forward_steps} forward steps for {steps} adjoint steps, "
      f"{profile.levels[0].counters.peak_checkpoints} checkpoints at most")
assert profile.plan.forward_steps == memsched.revolve_forward_steps(steps, 10)

# 2. The reference: keep every state.
states = [u0]
for k in range(steps):
    states.append(forward(states[-1], k))
y = seed(states[-1])
for k in reversed(range(steps)):
    y = adjoint(states[k], y, k)
assert np.array_equal(run.adjoint, y)
print("gradient bitwise equal to store-all:", np.array_equal(run.adjoint, y))

# 3. A RAM budget in bytes plus a disk folder, the cheapest planner for those costs, and
#    zstd-compressed disk checkpoints. The folder is emptied when the run ends.
with tempfile.TemporaryDirectory() as folder:
    run = memsched.run_adjoint(u0, steps, forward, seed, adjoint, planner="auto",
                               ram_bytes=4 * u0.nbytes, disk_dir=folder, disk_slots=20,
                               disk_write_cost=2.0, disk_read_cost=1.0, compression="zstd")
    disk = run.profile.levels[1]
    print(f"{run.planner}: {run.profile.forward_steps} forward steps, disk ({disk.name}) "
          f"{disk.counters.writes} writes, {disk.counters.reads} reads")
    assert np.array_equal(run.adjoint, y)

# 4. Unknown length: stop when the peak has decayed below 0.5.
run = memsched.run_adjoint_online(u0, forward, seed, adjoint,
                                  stop=lambda u, k: u.max() < 0.5, ram_slots=10)
print(f"online: stopped after {run.profile.num_steps} steps, "
      f"{run.profile.forward_steps} forward steps")

# The profile's report (times are this machine's).
print(profile.to_text().splitlines()[0])
