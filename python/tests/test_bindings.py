"""The compiled bindings: native feel (names, keywords, reprs, values), laziness, exceptions,
and agreement with the C++ library's known values (docs/theory/chain.md, test values)."""

import copy
import pickle
import threading
import time

import pytest

import memsched as ms


def test_chain_platform_values_and_reprs():
    chain = ms.Chain(10, forward_cost=2.0, adjoint_cost=3.0)
    assert chain.num_steps == len(chain) == 10 and chain.is_uniform
    assert chain.forward_cost(0, 10) == 20.0 and chain.adjoint_cost(4) == 3.0
    assert repr(chain) == "Chain(num_steps=10, forward_cost=2.0, adjoint_cost=3.0)"
    assert chain == ms.Chain(10, 2.0, 3.0) and chain != ms.Chain(10)
    per_step = ms.Chain(forward_costs=[1.0, 2.0, 3.0], adjoint_costs=[1.0, 1.0, 4.0])
    assert not per_step.is_uniform and per_step.forward_cost(1, 3) == 5.0

    level = ms.StorageLevel("disk", None, write_cost=2.0, read_cost=1.0)
    assert level.num_slots is None
    assert repr(level) == ("StorageLevel(name='disk', num_slots=None, write_cost=2.0, "
                           "read_cost=1.0)")
    platform = ms.Platform([ms.StorageLevel("ram", 3), level], work_tapes=2)
    assert platform.num_levels == len(platform) == 2 and platform.work_tapes == 2
    assert platform[1] == level and platform[-1] == level and platform.level(0).num_slots == 3
    assert platform == ms.Platform([ms.StorageLevel("ram", 3), level], 2)
    assert platform.total_slots == ms.UNLIMITED_SLOTS
    assert ms.Platform.ram_disk(2, None, 1.0, 1.0).levels[1].num_slots is None
    assert "work_tapes=2" in repr(platform)


def test_numpy_costs():
    np = pytest.importorskip("numpy")
    costs = np.linspace(1.0, 2.0, 1000)
    chain = ms.Chain(costs, costs * 2)
    assert chain.num_steps == 1000
    assert chain.adjoint_cost(0, 1000) == pytest.approx(2 * costs.sum())


def test_exceptions_map_to_python_ones():
    with pytest.raises(ValueError, match="number of steps"):
        ms.Chain(0)
    with pytest.raises(ValueError):
        ms.Platform([ms.StorageLevel("ram", -1)])
    with pytest.raises(IndexError):
        ms.Platform.ram(2).level(5)
    with pytest.raises(IndexError):
        ms.Platform.ram(2)[1]
    with pytest.raises(ValueError, match="unknown planner"):
        ms.plan("nope", ms.Chain(5), ms.Platform.ram(2))
    with pytest.raises(ms.ParseError) as parse:
        ms.read_schedule("Forward(0, 1, False, True, StorageType.WORK)\nBogus(1)\n", 3)
    assert isinstance(parse.value, ValueError) and parse.value.line == 2
    chain, platform = ms.Chain(3), ms.Platform.ram(1)
    with pytest.raises(ms.ScheduleError) as illegal:
        ms.simulate([ms.Action.forward(0, 2), ms.Action.reverse(3, 2)], chain, platform)
    assert isinstance(illegal.value, ValueError) and illegal.value.action_index == 1
    assert illegal.value.reason and "action 1" in str(illegal.value)
    with pytest.raises(TypeError):
        ms.simulate("Forward(0, 1)", chain, platform)


def test_actions_are_values():
    a = ms.Action.forward(0, 2, record=True)
    assert a == ms.Action.forward(begin=0, end=2, record=True) and a != ms.Action.forward(0, 2)
    assert a.kind == ms.ActionKind.FORWARD and a.record and (a.begin, a.end) == (0, 2)
    assert repr(a) == "Forward(0, 2, record)"
    move = ms.Action.move(3, ms.Content.TAPE, from_=1, to=ms.WORK)
    assert (move.step, move.content, move.from_, move.to) == (3, ms.Content.TAPE, 1, ms.WORK)
    assert repr(move) == "Move(tape 3, L1 -> work)"
    assert move.to_str(ms.Platform.ram_disk(1, 1)) == "Move(tape 3, disk -> work)"
    assert len({a, ms.Action.forward(0, 2, True), move, ms.Action.end_reverse()}) == 3
    assert copy.deepcopy(move) == move
    assert pickle.loads(pickle.dumps([a, move])) == [a, move]
    assert ms.Action.reverse(4, 3).clear and not ms.Action.reverse(4, 3, clear=False).clear


def test_streams_are_lazy_iterators():
    stream = ms.RevolveStream(10**9, 20)  # would not fit in memory as a list
    first = [next(stream) for _ in range(3)]
    assert first[0] == ms.Action.copy(0, ms.Content.STATE, ms.WORK, 0)
    assert all(isinstance(a, ms.Action) for a in first)
    assert iter(stream) is stream
    small = ms.RevolveStream(4, 2)
    assert len(list(small)) == 18 and list(small) == []  # consumed, like a generator
    assert ms.collect(ms.RevolveStream(4, 2)) == list(ms.RevolveStream(4, 2))
    with pytest.raises(ValueError):
        ms.collect(ms.RevolveStream(1000, 2), max_actions=10)


@pytest.mark.parametrize("n, c, t", [(1, 1, 0), (5, 2, 6), (10, 3, 15), (11, 3, 18),
                                     (50, 7, 105), (1000, 10, 3636), (10000, 100, 24747)])
def test_revolve_golden_values(n, c, t):
    chain, platform = ms.Chain(n), ms.Platform.ram(c)
    report = ms.simulate(ms.revolve(chain, platform), chain, platform)
    assert report.advances == t == ms.revolve_advances(n, c)
    assert report.forward_steps == n + t == ms.revolve_forward_steps(n, c)
    assert report.adjoint_steps == n and report.reverse_sweeps == 1
    assert report.cost == n + t + n and report.paper_makespan(chain) == t + n
    assert report.levels[0].peak <= c


def test_every_planner_through_the_registry():
    chain, platform = ms.Chain(40), ms.Platform.ram_disk(3, 40, write_cost=1.0, read_cost=1.0)
    assert set(ms.planner_names) >= {"revolve", "hrevolve", "disk-revolve", "two-level"}
    for info in ms.planners():
        assert info.summary and repr(info) == f"PlannerInfo(name='{info.name}')"
        function = getattr(ms, info.name.replace("-", "_"))
        stream = function(chain, platform)
        if stream is None:
            continue
        assert isinstance(stream, ms.ActionStream)
        report = ms.simulate(stream, chain, platform)
        predicted = ms.predicted_cost(info.name, chain, platform)
        if predicted is not None:
            assert report.cost == pytest.approx(predicted), info.name
    choice = ms.choose_chain_planner(chain, platform)
    assert choice.cost == min(cost for _, cost in choice.costs)
    assert choice.planner == choice.costs[0][0]
    assert ms.plan("revolve", ms.Chain(5), ms.Platform.ram(0)) is None
    assert ms.plan("periodic", ms.Chain(16), ms.Platform.ram(8), period=4) is not None


def test_simulator_step_by_step():
    chain, platform = ms.Chain(4), ms.Platform.ram(2)
    sim = ms.Simulator(chain, platform)
    for action in ms.RevolveStream(4, 2):
        sim.apply(action)
        assert sim.occupancy(0) <= 2
    report = sim.finish()
    assert report.forward_steps == 8 and sim.front == 4  # reset for a next sweep
    sim = ms.Simulator(ms.Chain(4), ms.Platform.ram(2))  # temporaries kept alive
    sim.apply(ms.Action.copy(0, ms.Content.STATE, ms.WORK, 0))
    assert sim.holds(0, 0, ms.Content.STATE) and sim.working_step == 0
    with pytest.raises(ms.ScheduleError):
        sim.apply(ms.Action.reverse(4, 3))
    assert sim.report.num_actions == 1


def test_formats_round_trip_and_svg():
    chain, platform = ms.Chain(12), ms.Platform.ram(3)
    actions = ms.collect(ms.revolve(chain, platform))
    for fmt in ("json", "checkpoint_schedules", "revolve"):
        text = ms.write_schedule(actions, format=fmt, num_steps=12)
        assert ms.detect_schedule_format(text) == fmt
        parsed = ms.read_schedule(text, num_steps=12)
        assert ms.simulate(parsed.actions, chain, platform).forward_steps == \
            ms.revolve_forward_steps(12, 3)
        assert len(parsed.source_lines) == len(parsed.actions)
    assert ms.read_schedule(ms.write_schedule(actions, num_steps=12)).actions == actions
    svg = ms.schedule_svg(ms.RevolveStream(12, 3), chain, platform)
    assert svg.startswith("<svg") or svg.startswith("<?xml")
    with pytest.raises(ValueError, match="num_steps"):
        ms.write_schedule(actions, format="json")


def test_long_work_releases_the_gil():
    # A Python thread keeps running while simulate() replays millions of steps in C++.
    chain, platform = ms.Chain(10**6), ms.Platform.ram(3)
    ticks, done = [], threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        start = time.perf_counter()
        report = ms.simulate(ms.revolve(chain, platform), chain, platform)
        elapsed = time.perf_counter() - start
    finally:
        done.set()
        thread.join()
    assert report.adjoint_steps == 10**6
    during = [t for t in ticks if start <= t <= start + elapsed]
    assert elapsed < 0.05 or len(during) >= 5, (elapsed, len(during))


def test_package_metadata():
    assert ms.__version__.count(".") == 2
    assert "simulate" in ms.__all__ and "two_level" in ms.__all__


def test_observer_and_timeline():
    chain, platform = ms.Chain(30), ms.Platform.ram_disk(2, 3, 1.0, 1.0)
    seen = []
    report = ms.simulate(ms.hrevolve(chain, platform), chain, platform,
                         observer=lambda sim, action: seen.append((action, sim.occupancy(1))))
    assert len(seen) == report.num_actions and max(o for _, o in seen) <= 3
    with pytest.raises(ZeroDivisionError):
        ms.simulate(ms.RevolveStream(5, 2), ms.Chain(5), ms.Platform.ram(2),
                    observer=lambda sim, action: 1 / 0)

    timeline = ms.record_timeline(ms.hrevolve(chain, platform), chain, platform)
    assert len(timeline) == report.num_actions and timeline.report.cost == report.cost
    assert timeline.occupancy.shape == (len(timeline), 2)
    assert timeline.occupancy[:, 1].max() == report.levels[1].peak
    assert timeline.time[-1] == report.cost and timeline.front[-1] == 30
    assert list(timeline.action_index[:3]) == [0, 1, 2]
    big = ms.record_timeline(ms.RevolveStream(10**5, 5), ms.Chain(10**5), ms.Platform.ram(5),
                             max_points=100)
    assert len(big) <= 200 and big.action_index[-1] == big.report.num_actions - 1


def test_plan_options_reach_the_planners():
    chain, platform = ms.Chain(20), ms.Platform.ram(4)
    once = ms.simulate(ms.plan("repeated", chain, platform), chain, platform)
    twice = ms.simulate(ms.repeated(chain, platform, sweeps=2), chain, platform)
    assert (once.reverse_sweeps, twice.reverse_sweeps) == (1, 2)
    assert twice.adjoint_steps == 2 * 20


def test_ctrl_c_cancels_a_long_planner_table():
    # hrevolve on 30,000 steps and two costly levels (the split search of 20 rows of 30,000
    # entries; 2e10 terms unpruned) takes seconds in a Debug build;
    # a simulated Ctrl-C after 0.3 s must stop it with KeyboardInterrupt, and the next call
    # must plan normally (no partial table was kept).
    import _thread

    chain = ms.Chain(30_000)
    platform = ms.Platform([ms.StorageLevel("ram", 10, 1.0, 1.0), ms.StorageLevel("disk", 10, 5.0, 5.0)])
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            ms.predicted_cost("hrevolve", chain, platform)
    finally:
        timer.cancel()
    small = ms.Chain(50)
    cost = ms.predicted_cost("hrevolve", small, platform)
    assert cost == ms.simulate(ms.plan("hrevolve", small, platform), small, platform).cost
