"""The executor from Python: numpy time-stepping models with hand-written adjoints, run by
memsched.run_adjoint under every planner, against a store-all reference computed here."""

import os
import threading

import pytest

import memsched as ms

np = pytest.importorskip("numpy")


class Burgers:
    """u_t + (u^2/2)_x = nu u_xx on the periodic [0, 1), explicit Euler, central differences
    (the C++ test problem, docs/executor.md), with its discrete adjoint; controls u_0, nu."""

    def __init__(self, nx=32, nu=0.01):
        self.nx, self.nu = nx, nu
        x = np.arange(nx) / nx
        self.dx = 1.0 / nx
        self.u0 = 0.5 + 0.5 * np.sin(2 * np.pi * x)
        self.dt = min(0.4 * self.dx / np.abs(self.u0).max(), 0.25 * self.dx**2 / nu)
        self.observed = 0.5 + 0.3 * np.sin(2 * np.pi * x + 0.3)

    def forward(self, u, k):
        c, d = self.dt / (2 * self.dx), self.nu * self.dt / self.dx**2
        right, left = np.roll(u, -1), np.roll(u, 1)
        return u - c * (right * right / 2 - left * left / 2) + d * (right - 2 * u + left)

    def seed(self, u):
        return (self.dx * (u - self.observed), 0.0)

    def adjoint(self, u, y, k):
        # y_k = (dF/du)^T y_{k+1}; the viscosity adjoint sums (dF/dnu)^T y_{k+1}.
        ybar, nubar = y
        c, d = self.dt / (2 * self.dx), self.nu * self.dt / self.dx**2
        laplacian = np.roll(u, -1) - 2 * u + np.roll(u, 1)
        nubar = nubar + float(ybar @ laplacian) * self.dt / self.dx**2
        ybar = ((1 - 2 * d) * ybar + (d - c * u) * np.roll(ybar, 1)
                + (d + c * u) * np.roll(ybar, -1))
        return (ybar, nubar)

    def objective(self, u0, n, nu=None):
        model = self if nu is None else Burgers(self.nx, nu)
        model.dt = self.dt
        u = u0
        for k in range(n):
            u = model.forward(u, k)
        return self.dx / 2 * float(np.sum((u - self.observed) ** 2))

    def store_all(self, n):
        states = [self.u0]
        for k in range(n):
            states.append(self.forward(states[-1], k))
        y = self.seed(states[-1])
        for k in range(n - 1, -1, -1):
            y = self.adjoint(states[k], y, k)
        return y


def run(model, n, **kwargs):
    kwargs.setdefault("ram_slots", 4)
    return ms.run_adjoint(model.u0, n, model.forward, model.seed, model.adjoint, **kwargs)


def same(a, b):
    return np.array_equal(a[0], b[0]) and a[1] == b[1]


N = 40


@pytest.fixture(scope="module")
def model():
    return Burgers()


@pytest.fixture(scope="module")
def reference(model):
    return model.store_all(N)


def test_revolve_gradient_is_bitwise_store_all(model, reference):
    result = run(model, N, planner="revolve", ram_slots=4)
    assert same(result.adjoint, reference)
    profile = result.profile
    assert profile.forward_steps - profile.unplanned_forward_steps == (
        profile.plan.forward_steps - profile.plan.recorded_steps)
    assert profile.reverse.count == N and profile.advance_first.count == N
    assert profile.plan.forward_steps == ms.revolve_forward_steps(N, 4)
    assert profile.levels[0].counters.peak_checkpoints <= 4
    final = model.u0
    for k in range(N):
        final = model.forward(final, k)
    assert np.array_equal(result.final_state, final)
    assert "AdjointRun(planner='revolve'" in repr(result)
    assert "memsched profile" in profile.to_text() and profile.to_json().startswith("{")


@pytest.mark.parametrize("planner", ms.planner_names)
def test_every_planner_on_ram_and_disk_is_bitwise_store_all(planner, model, reference, tmp_path):
    chain = ms.Chain(N)
    platforms = [ms.Platform([ms.StorageLevel("ram", 3), ms.StorageLevel("disk", 6, 1.0, 1.0)]),
                 ms.Platform([ms.StorageLevel("ram", 3), ms.StorageLevel("disk", None, 1.0, 1.0)]),
                 ms.Platform([ms.StorageLevel("ram", 3)]),
                 ms.Platform([ms.StorageLevel("ram", N + 1)])]
    fitting = [p for p in platforms if ms.plan(planner, chain, p, period=8) is not None]
    if not fitting:
        pytest.skip("no schedule on these platforms")
    platform = fitting[0]
    result = run(model, N, planner=planner, ram_slots=None, platform=platform,
                 disk_dir=str(tmp_path), period=8)
    assert same(result.adjoint, reference), planner
    assert result.profile.reverse.count == N
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # every checkpoint file removed


@pytest.mark.parametrize("planner, ram", [("revolve", 2), ("revolve", 7), ("store-all", N + 1),
                                          ("auto", 5), ("mixed", 3)])
def test_ram_budgets(planner, ram, model, reference):
    assert same(run(model, N, planner=planner, ram_slots=ram).adjoint, reference)


def test_given_schedules(model, reference):
    # A stream of the caller's, a list of actions and a schedule read back from text.
    stream = ms.RevolveStream(N, 3)
    assert same(run(model, N, schedule=stream, ram_slots=3).adjoint, reference)
    actions = ms.collect(ms.RevolveStream(N, 3))
    result = run(model, N, schedule=actions, ram_slots=3)
    assert same(result.adjoint, reference) and result.planner == "schedule"
    text = ms.write_schedule(ms.RevolveStream(N, 3), format="json", num_steps=N)
    assert same(run(model, N, schedule=ms.read_schedule(text).actions).adjoint, reference)
    illegal = actions[:5] + actions[6:]
    with pytest.raises(ms.ScheduleError):
        run(model, N, schedule=illegal)


def test_ram_bytes_budget(model, reference):
    state_bytes = model.u0.nbytes  # 256 bytes: 64-byte aligned already
    result = run(model, N, ram_slots=None, ram_bytes=5 * state_bytes + 10)
    assert same(result.adjoint, reference)
    assert result.profile.plan.forward_steps == ms.revolve_forward_steps(N, 5)


@pytest.mark.parametrize("compression", ["zstd", "lz4"])
def test_disk_level_with_compression(compression, model, reference, tmp_path):
    result = run(model, N, planner="hrevolve", ram_slots=2, disk_dir=str(tmp_path),
                 disk_slots=5, disk_write_cost=0.5, disk_read_cost=0.5, compression=compression)
    assert same(result.adjoint, reference)
    disk = result.profile.levels[1]
    assert disk.counters.writes > 0 and disk.counters.reads > 0
    assert compression in disk.name
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_more_than_two_levels(model, reference, tmp_path):
    platform = ms.Platform([ms.StorageLevel("ram", 2), ms.StorageLevel("ssd", 2, 0.5, 0.5),
                            ms.StorageLevel("hdd", None, 2.0, 2.0)])
    result = run(model, N, planner="hrevolve", ram_slots=None, platform=platform,
                 disk_dir=str(tmp_path))
    assert same(result.adjoint, reference)
    assert [level.name for level in result.profile.levels] == ["ram", "ssd", "hdd"]


def test_in_place_steps_and_pickled_states(model, reference):
    def forward_in_place(u, k):
        u[:] = model.forward(u, k)

    result = ms.run_adjoint(model.u0, N, forward_in_place, model.seed, model.adjoint,
                            ram_slots=3)
    assert same(result.adjoint, reference)

    # A tuple state (the field and the time) goes through pickle; the time is checkpointed.
    def forward(state, k):
        u, t = state
        return (model.forward(u, k), t + model.dt)

    def seed(state):
        return model.seed(state[0])

    def adjoint(state, y, k):
        return model.adjoint(state[0], y, k)

    u0 = model.u0.copy()
    result = ms.run_adjoint((u0, 0.0), N, forward, seed, adjoint, ram_slots=3)
    assert same(result.adjoint, reference)
    assert result.final_state[1] == pytest.approx(N * model.dt)
    assert np.array_equal(u0, model.u0)  # x0 is never modified


def test_taylor_remainder_converges_at_second_order(model):
    n = 30
    rng = np.random.default_rng(7)
    du, dnu = rng.standard_normal(model.nx) * 0.1, 0.003
    y = run(model, n, ram_slots=3).adjoint
    j0 = model.objective(model.u0, n)
    slope = float(y[0] @ du) + y[1] * dnu
    remainders = []
    for h in (1e-2, 5e-3, 2.5e-3):
        j = model.objective(model.u0 + h * du, n, nu=model.nu + h * dnu)
        remainders.append(abs(j - j0 - h * slope))
    rates = [np.log2(remainders[i] / remainders[i + 1]) for i in range(2)]
    assert min(rates) > 1.9, rates


class Boom(Exception):
    pass


@pytest.mark.parametrize("where", ["forward", "recompute", "seed", "adjoint"])
def test_callback_exceptions_propagate_and_leave_no_files(where, model, tmp_path):
    calls = {"forward": 0}
    error = Boom(where)

    def forward(u, k):
        calls["forward"] += 1
        if where == "forward" and k == 7:
            raise error
        if where == "recompute" and calls["forward"] > N + 3:
            raise error
        return model.forward(u, k)

    def seed(u):
        if where == "seed":
            raise error
        return model.seed(u)

    def adjoint(u, y, k):
        if where == "adjoint" and k == N // 2:
            raise error
        return model.adjoint(u, y, k)

    with pytest.raises(Boom) as caught:
        ms.run_adjoint(model.u0, N, forward, seed, adjoint, planner="hrevolve", ram_slots=2,
                       disk_dir=str(tmp_path), disk_slots=4)
    assert caught.value is error
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_hidden_state_is_caught_by_the_replay_check(model):
    counter = {"calls": 0}

    def forward(u, k):  # reads a global counter: recomputed states differ
        counter["calls"] += 1
        return model.forward(u, k) + 1e-9 * counter["calls"]

    with pytest.raises(ms.ReplayError) as caught:
        ms.run_adjoint(model.u0, N, forward, model.seed, model.adjoint, ram_slots=3)
    assert caught.value.step >= 0 and isinstance(caught.value, RuntimeError)


def test_bad_arguments(model, tmp_path):
    args = (model.u0, N, model.forward, model.seed, model.adjoint)
    for kwargs in ({"ram_slots": 0}, {}, {"ram_slots": 2, "ram_bytes": 1000},
                   {"ram_bytes": 10}, {"ram_slots": 3, "planner": "no-such-planner"},
                   {"ram_slots": 3, "compression": "gzip"}, {"ram_slots": 3, "disk_slots": 4},
                   {"platform": ms.Platform.ram_disk(2, 4)},
                   {"platform": ms.Platform.ram(2), "ram_slots": 2},
                   {"ram_slots": 3, "disk_dir": str(tmp_path), "disk_slots": 0}):
        with pytest.raises(ValueError):
            ms.run_adjoint(*args, **kwargs)
    with pytest.raises(ValueError):
        ms.run_adjoint(model.u0, 0, model.forward, model.seed, model.adjoint, ram_slots=2)
    with pytest.raises(ValueError):  # the forward step changes the state's shape
        ms.run_adjoint(model.u0, N, lambda u, k: u[:-1], model.seed, model.adjoint, ram_slots=3)
    with pytest.raises(ValueError):  # seed returns nothing
        ms.run_adjoint(model.u0, N, model.forward, lambda u: None, model.adjoint, ram_slots=3)
    with pytest.raises(TypeError):
        ms.run_adjoint(model.u0, N, "forward", model.seed, model.adjoint, ram_slots=3)


@pytest.mark.parametrize("planner, kwargs", [("online", {}), ("online-revolve", {}),
                                             ("online-periodic", {"period": 5})])
def test_online_unknown_length(planner, kwargs, model):
    n = 37
    reference = model.store_all(n)
    asked = []

    def stop(u, k):
        asked.append(k)
        return k == n

    result = ms.run_adjoint_online(model.u0, model.forward, model.seed, model.adjoint, stop,
                                   planner=planner, ram_slots=4, **kwargs)
    assert same(result.adjoint, reference)
    assert asked == list(range(1, n + 1))
    assert result.profile.num_steps == n and result.profile.reverse.count == n


def test_online_bad_arguments(model):
    args = (model.u0, model.forward, model.seed, model.adjoint)
    with pytest.raises(ValueError):
        ms.run_adjoint_online(*args, lambda u, k: False, ram_slots=3, max_steps=20)
    with pytest.raises(ValueError):
        ms.run_adjoint_online(*args, lambda u, k: k == 5, ram_slots=3, planner="nope")
    with pytest.raises(ValueError):
        ms.run_adjoint_online(*args, lambda u, k: k == 5, ram_slots=3, planner="online-periodic")
    with pytest.raises(Boom):
        ms.run_adjoint_online(*args, lambda u, k: (_ for _ in ()).throw(Boom()), ram_slots=3)


def test_gil_is_released_between_callbacks(tmp_path):
    # Big states and cheap steps: between two callbacks the engine copies, hashes and writes
    # 2 MiB checkpoints to disk in C++. A Python thread counting meanwhile can only advance
    # between the end of one callback and the start of the next if the GIL was released.
    u0 = np.zeros(1 << 18)
    ticks, marks = [0], []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks[0] += 1
            os.sched_yield()

    def forward(u, k):
        marks.append(("start", ticks[0]))
        u = u + 1.0
        marks.append(("end", ticks[0]))
        return u

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        ms.run_adjoint(u0, 40, forward, lambda u: np.zeros(1), lambda u, y, k: y,
                       planner="hrevolve", ram_slots=2, disk_dir=str(tmp_path), disk_slots=8,
                       disk_write_cost=0.1, disk_read_cost=0.1)
    finally:
        done.set()
        thread.join()
    between = sum(b[1] - a[1] for a, b in zip(marks, marks[1:])
                  if a[0] == "end" and b[0] == "start")
    assert between > 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_two_dimensional_fortran_and_float32_states(dtype):
    # A 2-D heat step on a Fortran-ordered float32/float64 field: checkpoints are the C-order
    # bytes, restored arrays keep dtype and shape, the gradient is store-all's bit for bit.
    u0 = np.asfortranarray(np.random.default_rng(3).random((6, 9)).astype(dtype))

    def forward(u, k):
        return u + dtype(0.1) * (np.roll(u, 1, 0) + np.roll(u, -1, 0) + np.roll(u, 1, 1)
                                 + np.roll(u, -1, 1) - 4 * u)

    def adjoint(u, y, k):
        assert u.dtype == dtype and u.shape == (6, 9)
        return forward(y, k)  # the step is self-adjoint

    states = [u0]
    for k in range(25):
        states.append(forward(states[-1], k))
    y = states[-1].copy()
    for k in reversed(range(25)):
        y = adjoint(states[k], y, k)
    result = ms.run_adjoint(u0, 25, forward, lambda u: u.copy(), adjoint, ram_slots=3)
    assert result.adjoint.dtype == dtype and np.array_equal(result.adjoint, y)
    assert result.profile.state_bytes == u0.nbytes


@pytest.mark.parametrize("crash_at", [N - 3, N // 2, 2])
def test_resume_after_an_interrupted_reverse_sweep(crash_at, model, reference, tmp_path):
    # A callback exception plays the crash: with a journal the disk checkpoints and the
    # journal stay; a second call with resume=True finishes the adjoint, bitwise store-all.
    journal = tmp_path / "run.journal"
    armed = {"on": True}

    def adjoint(u, y, k):
        if armed["on"] and k == crash_at:
            raise Boom()
        return model.adjoint(u, y, k)

    kwargs = dict(planner="hrevolve", ram_slots=2, disk_dir=str(tmp_path / "disk"), disk_slots=6,
                  disk_write_cost=0.5, disk_read_cost=0.5, journal=str(journal))
    with pytest.raises(Boom):
        ms.run_adjoint(model.u0, N, model.forward, model.seed, adjoint, **kwargs)
    assert journal.exists()
    armed["on"] = False
    result = ms.run_adjoint(model.u0, N, model.forward, model.seed, adjoint, resume=True,
                            **kwargs)
    assert same(result.adjoint, reference)
    assert result.profile.reverse.count < N  # only what was left
    assert not journal.exists()
    assert not [p for p in (tmp_path / "disk").rglob("*") if p.is_file()]


def test_resume_refuses_another_run(model, tmp_path):
    kwargs = dict(ram_slots=3, disk_dir=str(tmp_path), disk_slots=4, planner="hrevolve",
                  journal=str(tmp_path / "journal"))
    with pytest.raises(ms.ResumeError):  # no journal yet
        ms.run_adjoint(model.u0, N, model.forward, model.seed, model.adjoint, resume=True,
                       **kwargs)

    def crash(u, y, k):
        raise Boom()

    with pytest.raises(Boom):
        ms.run_adjoint(model.u0, N, model.forward, model.seed, crash, **kwargs)
    with pytest.raises(ms.ResumeError):  # another x0
        ms.run_adjoint(model.u0 + 1.0, N, model.forward, model.seed, model.adjoint,
                       resume=True, **kwargs)
    with pytest.raises(ValueError):
        ms.run_adjoint(model.u0, N, model.forward, model.seed, model.adjoint, ram_slots=3,
                       resume=True)
    # A fresh run (no resume) over the interrupted run's files starts over cleanly.
    result = ms.run_adjoint(model.u0, N, model.forward, model.seed, model.adjoint, **kwargs)
    assert same(result.adjoint, model.store_all(N))
    assert not [p for p in tmp_path.rglob("*.ckpt")]
