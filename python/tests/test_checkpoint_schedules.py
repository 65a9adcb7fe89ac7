"""The checkpoint_schedules front against a model consumer.

The consumer follows the invariants the upstream package's tests check (its test_validity.py,
written from that description, not copied): it keeps the forward position, the adjoint steps
done, the restart data and adjoint dependencies held in WORK and the checkpoints of each
storage, asserts every action is legal and that the schedule's n and r agree after every
action, then adds our stricter rules: storage limits hold literally (checkpoints are counted
until released) and a one-shot schedule ends with nothing stored.
"""

import collections
import sys

import pytest

import memsched
from memsched.checkpoint_schedules import (
    Copy,
    DiskRevolve,
    EndForward,
    EndReverse,
    Forward,
    HRevolve,
    MemschedSchedule,
    MixedCheckpointSchedule,
    Move,
    MultistageCheckpointSchedule,
    NoneCheckpointSchedule,
    PeriodicDiskRevolve,
    Reverse,
    Revolve,
    SingleDiskStorageSchedule,
    SingleMemoryStorageSchedule,
    StorageType,
    TwoLevelCheckpointSchedule,
)

RAM, DISK, WORK, NONE = StorageType.RAM, StorageType.DISK, StorageType.WORK, StorageType.NONE


class Consumer:
    """Drives a schedule for a chain of n steps, checking every action."""

    def __init__(self, schedule, n, limits, data_limit=1, sweeps=2):
        self.schedule, self.n, self.limits = schedule, n, limits
        self.data_limit, self.sweeps = data_limit, sweeps
        self.model_n, self.model_r = 0, 0
        self.ics = False  # restart data for model_n in WORK
        self.data = set()  # steps whose adjoint dependencies are in WORK
        self.stored = collections.defaultdict(dict)  # storage -> {step: "ics" or "data"}
        self.forward_steps = 0
        self.reverse_sweeps = 0
        self.ended_forward = False

    def run(self, max_actions=10**7):
        for count, action in enumerate(self.schedule):
            assert count < max_actions
            self.apply(action)
            assert self.schedule.n == self.model_n, action
            assert self.schedule.r == self.model_r, action
            for storage, limit in self.limits.items():
                if limit is not None:
                    assert len(self.stored[storage]) <= limit, (action, self.stored)
            assert int(self.ics) + len(self.data) <= max(self.data_limit, 1) + 1, action
            if isinstance(action, EndReverse) and not self.schedule.is_exhausted:
                if self.reverse_sweeps >= self.sweeps:
                    return self
            if isinstance(action, EndForward) and self.schedule.is_exhausted:
                break  # forward-only schedule
        if self.schedule.is_exhausted:
            # Stricter than upstream: a one-shot schedule releases every checkpoint.
            assert not any(self.stored.values()), self.stored
            with pytest.raises(StopIteration):
                next(self.schedule)
        return self

    def apply(self, action):
        n = self.n
        if isinstance(action, Forward):
            assert action.n0 == self.model_n, action
            assert action.n0 < action.n1
            n1 = min(action.n1, n)
            if self.schedule.max_n is not None:
                assert action.n1 <= n and action.n1 <= n - self.model_r, action
            if action.write_ics:
                assert action.storage not in (WORK, NONE)
                assert action.n0 not in self.stored[action.storage], action
                self.stored[action.storage][action.n0] = "ics"
            self.data = set()  # a Forward replaces what WORK held (upstream's model too)
            if action.write_adj_deps:
                steps = set(range(action.n0, n1))
                if action.storage == WORK:
                    self.data |= steps
                else:
                    for step in steps:
                        assert step not in self.stored[action.storage]
                        self.stored[action.storage][step] = "data"
            self.forward_steps += n1 - action.n0
            self.model_n = n1
            self.ics = True
            if n1 == n and self.schedule.max_n is None:
                self.schedule.finalize(n)
        elif isinstance(action, Reverse):
            assert action.n1 == n - self.model_r, action
            assert action.n0 < action.n1
            assert self.data.issuperset(range(action.n0, action.n1)), (action, self.data)
            self.model_r += action.n1 - action.n0
            if action.clear_adj_deps:
                self.data.clear()
        elif isinstance(action, (Copy, Move)):
            if action.from_storage == WORK:  # a store of the working state
                assert action.to_storage not in (WORK, NONE) and self.ics
                assert action.n == self.model_n
                assert action.n not in self.stored[action.to_storage]
                self.stored[action.to_storage][action.n] = "ics"
                return
            held = self.stored[action.from_storage]
            assert action.n in held, (action, held)
            assert action.n < n - self.model_r, action
            content = held[action.n]
            if isinstance(action, Move):
                del held[action.n]
            if action.to_storage == NONE:
                assert isinstance(action, Move)
                return
            if action.to_storage != WORK:
                self.stored[action.to_storage][action.n] = content
                return
            assert action.to_storage == WORK
            assert not self.data, (action, self.data)
            if content == "ics":
                self.model_n, self.ics = action.n, True
            else:
                assert action.n == n - self.model_r - 1, action
                self.data = {action.n}
                self.model_n, self.ics = action.n + 1, False
        elif isinstance(action, EndForward):
            assert self.model_n == n
            assert not self.ended_forward
            self.ended_forward = True
        elif isinstance(action, EndReverse):
            assert self.model_r == n
            self.reverse_sweeps += 1
            if not self.schedule.is_exhausted:
                self.model_r = 0
        else:
            raise AssertionError(f"unknown action {action!r}")


# The upstream grid (its test_validity.py), thinned for n = 100 to keep the suite fast.
GRID = ([(1, 0), (2, 1), (3, 1), (3, 2), (5, 2)] + [(10, s) for s in range(2, 10)]
        + [(100, s) for s in (1, 2, 3, 5, 10, 20, 33, 50, 75, 99)]
        + [(250, s) for s in range(25, 226, 50)])


def _offline(make, n, s):
    schedule, limits = make(n, s)
    consumer = Consumer(schedule, n, limits).run()
    assert consumer.reverse_sweeps == 1 and schedule.is_exhausted
    assert schedule.max_n == n
    return consumer


@pytest.mark.parametrize("n, s", GRID)
def test_revolve(n, s):
    consumer = _offline(lambda n, s: (Revolve(n, s), {RAM: s, DISK: 0}), n, s)
    # The binomial forward step count (Griewank & Walther 2000, eq. (3)): n + t(n, s).
    assert consumer.forward_steps == memsched.revolve_forward_steps(n, max(s, 1))


@pytest.mark.parametrize("n, s", GRID)
def test_multistage(n, s):
    ram, disk = s // 2, s - s // 2
    consumer = _offline(
        lambda n, s: (MultistageCheckpointSchedule(n, ram, disk), {RAM: ram, DISK: disk}), n, s)
    assert consumer.forward_steps == memsched.revolve_forward_steps(n, max(s, 1))


@pytest.mark.parametrize("n, s", GRID)
def test_multistage_disk_only(n, s):
    consumer = _offline(
        lambda n, s: (MultistageCheckpointSchedule(n, 0, s), {RAM: 0, DISK: s}), n, s)
    assert consumer.forward_steps == memsched.revolve_forward_steps(n, max(s, 1))


@pytest.mark.parametrize("n, s", [g for g in GRID if g[0] <= 100])
def test_hrevolve(n, s):
    ram, disk = max(s - s // 3, 1), s // 3
    _offline(lambda n, s: (HRevolve(n, ram, disk), {RAM: ram, DISK: disk}), n, s)


def test_hrevolve_storage_limits_hold_where_upstream_failed():
    # Upstream's own storage-limit assertion fails here (docs/python.md, differences).
    _offline(lambda n, s: (HRevolve(100, 2, 3), {RAM: 2, DISK: 3}), 100, 5)


@pytest.mark.parametrize("n, s", [g for g in GRID if g[0] <= 100 and g[1] >= 1])
def test_disk_revolve(n, s):
    _offline(lambda n, s: (DiskRevolve(n, s), {RAM: s, DISK: None}), n, s)


@pytest.mark.parametrize("n, s", [g for g in GRID if g[0] <= 100 and g[1] >= 1])
def test_periodic_disk_revolve(n, s):
    _offline(lambda n, s: (PeriodicDiskRevolve(n, s), {RAM: s, DISK: None}), n, s)


# Maddison's published and small values (J. Comput. Sci. 82:102405, 2024).
MIXED_STEPS = {(2, 1): 2, (3, 1): 5, (3, 2): 3, (4, 1): 9, (5, 2): 8, (10, 2): 26, (10, 3): 19,
               (10, 5): 15, (10, 9): 10}


@pytest.mark.parametrize("n, s", [g for g in GRID if g[0] <= 100])
@pytest.mark.parametrize("storage", [RAM, DISK])
def test_mixed(n, s, storage):
    if s == 0 and n > 1:
        return
    schedule = MixedCheckpointSchedule(n, s, storage=storage)
    limits = {RAM: s if storage == RAM else 0, DISK: s if storage == DISK else 0}
    consumer = Consumer(schedule, n, limits).run()
    assert consumer.reverse_sweeps == 1 and schedule.is_exhausted
    if (n, s) in MIXED_STEPS:
        assert consumer.forward_steps == MIXED_STEPS[(n, s)]


def test_mixed_published_value():
    # Maddison 2024: n = 1000, s = 10 runs 3921 forward steps (Revolve: 4636).
    steps = sum(len(a) for a in MixedCheckpointSchedule(1000, 10) if isinstance(a, Forward))
    assert steps == 3921


@pytest.mark.parametrize("n, s", [g for g in GRID if g[0] <= 100])
def test_memsched_schedule_auto(n, s):
    chain, platform = memsched.Chain(n), memsched.Platform.ram_disk(max(s, 1), 2, 0.5, 0.5)
    schedule = MemschedSchedule(chain, platform)
    consumer = Consumer(schedule, n, {RAM: max(s, 1), DISK: 2}).run()
    assert consumer.reverse_sweeps == 1


@pytest.mark.parametrize("n, s", [g for g in GRID if g[0] <= 100])
@pytest.mark.parametrize("storage", [RAM, DISK])
def test_two_level(n, s, storage):
    period = max(1, n // 4)
    schedule = TwoLevelCheckpointSchedule(period, s, binomial_storage=storage)
    periodic = -(-n // period)
    limits = {RAM: s if storage == RAM else 0, DISK: periodic + (s if storage == DISK else 0)}
    consumer = Consumer(schedule, n, limits, sweeps=2).run()
    assert consumer.reverse_sweeps == 2 and not schedule.is_exhausted
    # One forward sweep plus, per reverse sweep, each period reversed by Revolve with s + 1
    # slots, the disk checkpoint playing x_0 (Pringle et al. 2016).
    per_sweep = sum(memsched.revolve_forward_steps(min(period, n - b), s + 1)
                    for b in range(0, n, period))
    assert consumer.forward_steps == n + 2 * per_sweep


@pytest.mark.parametrize("n", [1, 2, 10, 100])
def test_single_memory(n):
    schedule = SingleMemoryStorageSchedule()
    consumer = Consumer(schedule, n, {RAM: 0, DISK: 0}, data_limit=n).run()
    assert consumer.forward_steps == n and consumer.reverse_sweeps == 2
    assert schedule.uses_storage_type(WORK) and not schedule.uses_storage_type(DISK)


@pytest.mark.parametrize("n", [1, 2, 10, 100])
@pytest.mark.parametrize("move_data", [False, True])
def test_single_disk(n, move_data):
    schedule = SingleDiskStorageSchedule(move_data=move_data)
    consumer = Consumer(schedule, n, {RAM: 0, DISK: n}).run()
    assert consumer.forward_steps == n
    assert consumer.reverse_sweeps == (1 if move_data else 2)
    assert schedule.is_exhausted == move_data


@pytest.mark.parametrize("n", [1, 7])
def test_none(n):
    schedule = NoneCheckpointSchedule()
    consumer = Consumer(schedule, n, {RAM: 0, DISK: 0}).run()
    assert consumer.forward_steps == n and consumer.ended_forward and schedule.is_exhausted
    assert not schedule.uses_storage_type(DISK) and not schedule.uses_storage_type(RAM)


def test_revolve_4_2_is_upstream_tutorial_listing():
    # As printed by the upstream tutorial notebook.
    expected = [
        "Forward(0, 2, True, False, StorageType.RAM)",
        "Forward(2, 3, True, False, StorageType.RAM)",
        "Forward(3, 4, False, True, StorageType.WORK)", "EndForward()",
        "Reverse(4, 3, True)", "Move(2, StorageType.RAM, StorageType.WORK)",
        "Forward(2, 3, False, True, StorageType.WORK)", "Reverse(3, 2, True)",
        "Copy(0, StorageType.RAM, StorageType.WORK)",
        "Forward(0, 1, False, False, StorageType.WORK)",
        "Forward(1, 2, False, True, StorageType.WORK)", "Reverse(2, 1, True)",
        "Move(0, StorageType.RAM, StorageType.WORK)",
        "Forward(0, 1, False, True, StorageType.WORK)", "Reverse(1, 0, True)", "EndReverse()",
    ]
    assert [repr(a) for a in Revolve(4, 2)] == expected


def test_actions_are_values():
    assert Forward(0, 2, True, False, RAM) == Forward(0, 2, True, False, RAM)
    assert Forward(0, 2, True, False, RAM) != Forward(0, 2, True, False, DISK)
    assert Copy(1, RAM, WORK) != Move(1, RAM, WORK)
    assert Forward(0, 2, True, False, RAM) != "Forward"
    assert len({Reverse(3, 2, True), Reverse(3, 2, True), EndForward(), EndForward()}) == 2
    assert list(Forward(2, 5, False, False, WORK)) == [2, 3, 4]
    assert list(Reverse(5, 2, True)) == [4, 3, 2]
    assert 3 in Forward(2, 5, False, False, WORK) and len(Reverse(5, 2, True)) == 3
    forward = Forward(0, 2, True, False, RAM)
    assert (forward.n0, forward.n1, forward.write_ics, forward.write_adj_deps,
            forward.storage) == (0, 2, True, False, RAM)
    assert str(forward) == "Forward(0, 2, True, False, StorageType.RAM)"


def test_uses_storage_type_never_raises():
    # Upstream raises TypeError for DiskRevolve/PeriodicDiskRevolve (docs/python.md, differences).
    for schedule in (DiskRevolve(10, 2), PeriodicDiskRevolve(10, 2)):
        assert schedule.uses_storage_type(DISK) and schedule.uses_storage_type(RAM)
    two_level = TwoLevelCheckpointSchedule(3, 2, binomial_storage=RAM)
    assert two_level.uses_storage_type(DISK) and two_level.uses_storage_type(RAM)
    assert MultistageCheckpointSchedule(10, 2, 2).uses_storage_type(WORK) is True
    assert Revolve(10, 3).uses_storage_type(DISK) is False


def test_small_and_bad_arguments():
    # n = 1 works everywhere (upstream: HRevolve(1, 1, 1) raises IndexError).
    for schedule in (HRevolve(1, 1, 1), Revolve(1, 1), DiskRevolve(1, 1),
                     MultistageCheckpointSchedule(1, 0, 1), PeriodicDiskRevolve(1, 1)):
        assert [type(a).__name__ for a in schedule] == [
            "Forward", "EndForward", "Reverse", "EndReverse"]
    for bad in (lambda: Revolve(5, 0), lambda: Revolve(0, 3), lambda: Revolve(5, -1),
                lambda: HRevolve(10, 0, 0), lambda: MultistageCheckpointSchedule(5, 1, 1,
                                                                              trajectory="x"),
                lambda: TwoLevelCheckpointSchedule(0, 1), lambda: DiskRevolve(5, 0)):
        with pytest.raises(ValueError):
            bad()


def test_hrevolve_costs_are_not_swapped():
    # Upstream passes (uf, ub) where (ub, uf) is expected (docs/python.md, differences). Our
    # schedule's simulated cost with uf != ub equals the optimum memsched predicts for that chain.
    n, fwd, bwd = 30, 1.0, 5.0
    schedule = HRevolve(n, 2, 3, fwd_cost=fwd, bwd_cost=bwd, w_cost=(0.0, 2.0),
                        r_cost=(0.0, 1.0))
    chain = memsched.Chain(n, fwd, bwd)
    assert schedule.chain == chain
    predicted = memsched.predicted_cost("hrevolve", chain, schedule.platform)
    report = memsched.simulate(memsched.hrevolve(chain, schedule.platform), chain,
                               schedule.platform)
    assert report.cost == pytest.approx(predicted)
    Consumer(schedule, n, {RAM: 2, DISK: 3}).run()


def test_finalize_rules():
    schedule = Revolve(5, 2)
    with pytest.raises(RuntimeError):
        schedule.finalize(5)  # n is 0: the forward has not reached 5
    online = SingleMemoryStorageSchedule()
    assert online.max_n is None
    first = next(online)
    assert first == Forward(0, sys.maxsize, False, True, WORK)
    online.finalize(4)
    assert online.max_n == 4 and online.n == 4
    assert next(online) == EndForward()


@pytest.mark.parametrize("planner", memsched.planner_names)
def test_translations_agree_with_the_cpp_writer(planner):
    # One translation (CheckpointSchedulesTranslator, formats.hpp): the schedule classes'
    # lazy path, checkpoint_schedules_actions on a list and write_checkpoint_schedules give the
    # same lines for every planner, and the lines read back replay on the platform.
    from memsched.checkpoint_schedules._planned import _translated, checkpoint_schedules_actions

    chain = memsched.Chain(23)
    platform = memsched.Platform([memsched.StorageLevel("ram", 3),
                                  memsched.StorageLevel("disk", 6, 1.0, 0.5)], work_tapes=2)
    # Planners with no schedule here: 3 RAM slots are too few for store-all and periodic's
    # default period, 6 disk slots too few for disk-revolve's 23. Asserted, not skipped, so
    # that a planner losing its schedule fails.
    if planner in {"periodic", "store-all", "disk-revolve"}:
        assert memsched.plan(planner, chain, platform) is None
        return
    text = memsched.write_schedule(memsched.plan(planner, chain, platform),
                                   format="checkpoint_schedules").splitlines()
    storages = [RAM, DISK]
    cpp = [repr(a) for a, _ in _translated(memsched.plan(planner, chain, platform), storages)]
    python = [repr(a) for a in checkpoint_schedules_actions(
        list(memsched.plan(planner, chain, platform)), storages)]
    assert cpp == python == text
    read = memsched.read_schedule("\n".join(text), 23)
    assert memsched.simulate(read.actions, chain, platform).forward_steps >= 23


# ---- what upstream lacks or gets wrong: its 1.0.4 signatures, more than two levels, online
# binomial checkpointing, per-step costs ----

def test_hrevolve_family_signatures_and_defaults_are_upstream_1_0_4():
    # Upstream 1.0.4: HRevolve(max_n, snapshots_in_ram, snapshots_on_disk, uf=1, ub=1, wd=2,
    # rd=2), DiskRevolve(max_n, snapshots_in_ram, uf=1, ub=1, wd=2, rd=2); RAM is free.
    default = HRevolve(30, 2, 3)
    assert default.chain == memsched.Chain(30, 1.0, 1.0)
    assert default.platform == memsched.Platform([memsched.StorageLevel("ram", 2),
                                                  memsched.StorageLevel("disk", 3, 2.0, 2.0)])
    assert (default.uf, default.ub, default.wd, default.rd) == (1.0, 1.0, 2.0, 2.0)
    assert list(default) == list(HRevolve(30, 2, 3, 1, 1, 2, 2))
    spelled = HRevolve(30, 2, 3, fwd_cost=1.0, bwd_cost=3.0, w_cost=(0.0, 5.0), r_cost=1.0)
    assert spelled.chain == memsched.Chain(30, 1.0, 3.0) and spelled.platform[1].write_cost == 5.0
    assert list(HRevolve(30, 2, 3, 1, 3, 5, 1)) == list(spelled)
    disk = DiskRevolve(20, 2, 1, 1, 3, 1)
    assert (disk.platform[1].write_cost, disk.platform[1].read_cost) == (3.0, 1.0)
    assert DiskRevolve(20, 2).platform[1].write_cost == 2.0
    assert PeriodicDiskRevolve(20, 2, ub=0.5).chain == memsched.Chain(20, 1.0, 0.5)
    assert list(Revolve(10, 3, 1, 1, 2, 2)) == list(Revolve(10, 3))
    for bad in (lambda: HRevolve(10, 2, 2, 1, fwd_cost=1), lambda: DiskRevolve(10, 2, wd=(1, 2))):
        with pytest.raises(ValueError):
            bad()
    Consumer(default, 30, {RAM: 2, DISK: 3}).run()


THREE_LEVELS = [(n, ram, ssd, hdd) for n in (5, 20, 60) for ram, ssd, hdd in
                ((1, 1, 2), (2, 1, 3), (3, 2, None), (1, 0, 4))]


@pytest.mark.parametrize("n, ram, ssd, hdd", THREE_LEVELS)
@pytest.mark.parametrize("planner", ["hrevolve", "auto"])
def test_more_than_two_levels(n, ram, ssd, hdd, planner):
    from memsched.checkpoint_schedules import ExtraStorage

    platform = memsched.Platform([memsched.StorageLevel("ram", ram),
                                  memsched.StorageLevel("ssd", ssd, 0.5, 0.5),
                                  memsched.StorageLevel("hdd", hdd, 2.0, 1.0)])
    hdd_label = ExtraStorage(2, "hdd")
    schedule = MemschedSchedule(memsched.Chain(n), platform, planner)
    consumer = Consumer(schedule, n, {RAM: ram, DISK: ssd, hdd_label: hdd}).run()
    assert consumer.reverse_sweeps == 1 and schedule.is_exhausted
    assert schedule.uses_storage_type(hdd_label) == (n > 1)
    # The cost of what the consumer ran equals the simulator's for the same plan.
    report = memsched.simulate(memsched.plan(schedule.planner, schedule.chain, platform),
                               schedule.chain, platform)
    assert consumer.forward_steps == report.forward_steps


def test_more_than_two_levels_reach_the_third_level_and_take_labels():
    from memsched.checkpoint_schedules import ExtraStorage

    platform = memsched.Platform([memsched.StorageLevel("ram", 1),
                                  memsched.StorageLevel("ssd", 1, 0.5, 0.5),
                                  memsched.StorageLevel("hdd", None, 1.0, 1.0)])
    actions = list(MemschedSchedule(memsched.Chain(40), platform, "hrevolve"))
    assert any(getattr(a, "storage", None) == ExtraStorage(2, "hdd") for a in actions)
    assert repr(ExtraStorage(2, "hdd")) == "ExtraStorage(2, 'hdd')"
    labelled = MemschedSchedule(memsched.Chain(40), platform, "hrevolve",
                                storages=["fast", "medium", "slow"])
    assert {getattr(a, "storage", None) for a in labelled} >= {"slow"}
    assert labelled.uses_storage_type("slow") and not labelled.uses_storage_type(DISK)
    for storages in (["a", "b"], ["a", "a", "b"], [RAM, DISK, WORK]):
        with pytest.raises(ValueError):
            MemschedSchedule(memsched.Chain(40), platform, "hrevolve", storages=storages)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 37, 100])
@pytest.mark.parametrize("s", [1, 2, 3, 5, 10])
@pytest.mark.parametrize("storage", [RAM, DISK])
def test_online_binomial(n, s, storage):
    from memsched.checkpoint_schedules import OnlineBinomialCheckpointSchedule

    # release="immediate": deletions while taping, storage limits literal throughout.
    schedule = OnlineBinomialCheckpointSchedule(s, storage=storage, release="immediate")
    assert schedule.max_n is None and schedule.uses_storage_type(storage)
    limits = {RAM: s if storage == RAM else 0, DISK: s if storage == DISK else 0}
    consumer = Consumer(schedule, n, limits).run()
    assert consumer.reverse_sweeps == 1 and schedule.is_exhausted and schedule.max_n == n
    # release="after_forward" defers them to EndForward (taping consumers process only
    # Forward): same forward steps, the limit holding from EndForward on.
    deferred = OnlineBinomialCheckpointSchedule(s, storage=storage, release="after_forward")
    actions = []
    for action in deferred:
        actions.append(action)
        if isinstance(action, Forward) and deferred.max_n is None and action.n1 >= n:
            deferred.finalize(n)
    end = next(i for i, a in enumerate(actions) if isinstance(a, EndForward))
    assert all(isinstance(a, Forward) for a in actions[:end])
    assert sum(len(a) for a in actions if isinstance(a, Forward)) == consumer.forward_steps
    # Within one step of memsched's online planner reversing by itself (optimal for the
    # checkpoints held; the drop-in's greedy binomial reversal stores only with Forward), and
    # within 2 of offline Revolve in Stumm & Walther's range n <= beta(s, 2): the last step is
    # not known to be the last while it is taped (docs/online.md).
    chain, platform = memsched.Chain(n), memsched.Platform.ram(s)
    report = memsched.simulate(memsched.online(chain, platform), chain, platform)
    assert consumer.forward_steps <= report.forward_steps + 1
    if n <= (s + 1) * (s + 2) // 2:
        assert consumer.forward_steps <= memsched.revolve_forward_steps(n, s) + 2
    # The default (write-once while taping): only Forward before EndForward and the storage
    # limit literal throughout.
    write_once = OnlineBinomialCheckpointSchedule(s, storage=storage)
    consumer = Consumer(write_once, n, limits).run()
    assert consumer.reverse_sweeps == 1 and write_once.is_exhausted
    taped = []
    for action in OnlineBinomialCheckpointSchedule(s, storage=storage):
        if isinstance(action, EndForward):
            break
        assert isinstance(action, Forward)
        taped.append(action)
        if action.n1 >= n:
            break


def test_online_binomial_bad_arguments():
    from memsched.checkpoint_schedules import OnlineBinomialCheckpointSchedule

    for bad in (lambda: OnlineBinomialCheckpointSchedule(0),
                lambda: OnlineBinomialCheckpointSchedule(2, storage=WORK)):
        with pytest.raises(ValueError):
            bad()


@pytest.mark.parametrize("planner", memsched.planner_names)
def test_per_step_costs(planner):
    # Heterogeneous steps: every planner that accepts per-step costs gives a valid schedule
    # whose forward cost, summed by the consumer step by step, is the simulator's.
    n = 30
    forward = [1.0 + (k % 7) for k in range(n)]
    adjoint = [2.0 + (k % 3) for k in range(n)]
    chain = memsched.Chain(forward, adjoint)
    platform = memsched.Platform.ram_disk(3, 4, 0.5, 0.25)
    # Planners that need uniform costs (their tables and closed forms), or more slots.
    if planner in {"periodic", "store-all", "hrevolve", "disk-revolve", "periodic-disk-revolve",
                   "online-two-level"}:
        assert memsched.plan(planner, chain, platform) is None
        return
    schedule = MemschedSchedule(chain, platform, planner)
    steps = []

    class Counting(Consumer):
        def apply(self, action):
            if isinstance(action, Forward):
                steps.extend(range(action.n0, min(action.n1, n)))
            super().apply(action)

    Counting(schedule, n, {RAM: 3, DISK: 4}).run()
    report = memsched.simulate(memsched.plan(planner, chain, platform), chain, platform)
    io = sum(level.writes * platform[i].write_cost + level.reads * platform[i].read_cost
             for i, level in enumerate(report.levels))
    assert sum(forward[k] for k in steps) + sum(adjoint) + io == pytest.approx(report.cost)


class BinomialConsumer:
    """The stricter rules upstream's tests/test_multistage.py checks for binomial schedules
    (written from that description): restart data is written only while
    advancing at least one step short of the adjoint, adjoint dependencies for exactly the
    step before the adjoint, one-step reverses, and a checkpoint is Moved (deleted) exactly
    when it is one step from the adjoint and Copied otherwise; never a deletion to NONE."""

    def __init__(self, schedule, n):
        self.schedule, self.n = schedule, n
        self.model_n = self.model_r = self.steps = 0
        self.ics, self.data, self.snapshots = False, set(), {}

    def run(self):
        n = self.n
        for action in self.schedule:
            r = self.model_r
            if isinstance(action, Forward):
                assert action.n0 == self.model_n and action.n1 <= n - r, action
                if action.write_ics:
                    assert action.n0 < action.n1 < n - r, action
                    assert action.storage in (RAM, DISK) and action.n0 not in self.snapshots
                    assert self.schedule.uses_storage_type(action.storage)
                    self.snapshots[action.n0] = action.storage
                if action.write_adj_deps:
                    assert action.n1 == action.n0 + 1 == n - r and action.storage == WORK, action
                    self.data = {action.n0}
                else:
                    self.data = set()
                assert not (action.write_ics and action.write_adj_deps)
                self.steps += action.n1 - action.n0
                self.model_n, self.ics = action.n1, not action.write_adj_deps
            elif isinstance(action, Reverse):
                assert action.n1 == n - r and action.n0 == action.n1 - 1, action
                assert action.n0 in self.data, action
                self.data, self.model_r = set(), r + 1
            elif isinstance(action, (Copy, Move)):
                assert action.to_storage == WORK, action  # loads only, no deletions
                assert self.snapshots.get(action.n) == action.from_storage, action
                assert action.n < n - r
                last_use = action.n == n - r - 1
                assert isinstance(action, Move) == last_use, action
                if last_use:
                    del self.snapshots[action.n]
                self.model_n, self.data = action.n, set()
            elif isinstance(action, EndForward):
                assert self.model_n == n
            else:
                assert isinstance(action, EndReverse) and self.model_r == n
                assert self.schedule.is_exhausted
            assert (self.schedule.n, self.schedule.r) == (self.model_n, self.model_r), action
            assert len(self.data) <= 1
        assert not self.snapshots and self.schedule.is_exhausted
        return self


BINOMIAL_GRID = ([(1, 0), (2, 1), (3, 1), (3, 2), (5, 2)] + [(10, s) for s in range(2, 10)]
                 + [(100, s) for s in (1, 2, 3, 5, 10, 20, 50, 99)]
                 + [(250, s) for s in range(25, 250, 75)])


@pytest.mark.parametrize("n, s", BINOMIAL_GRID)
@pytest.mark.parametrize("trajectory", ["maximum", "revolve"])
def test_multistage_binomial_invariants(n, s, trajectory):
    for ram in sorted({0, s // 2, s}):
        schedule = MultistageCheckpointSchedule(n, ram, s - ram, trajectory=trajectory)
        consumer = BinomialConsumer(schedule, n).run()
        assert consumer.steps == memsched.revolve_forward_steps(n, max(s, 1))
        if ram == 0 and n > 1:
            assert schedule.uses_storage_type(DISK)


@pytest.mark.parametrize("n, s", [g for g in BINOMIAL_GRID if g[1] >= 1])
def test_revolve_binomial_invariants(n, s):
    consumer = BinomialConsumer(Revolve(n, s), n).run()
    assert consumer.steps == memsched.revolve_forward_steps(n, s)


def test_quadratic_planners_refuse_up_front_or_answer_within_a_second():
    import time

    start = time.process_time()
    with pytest.raises(ValueError, match="hrevolve: refused before planning .*MiB"):
        HRevolve(10**8, 10, 10)  # its table would exceed 1 GiB
    with pytest.raises(ValueError, match="disk-revolve: refused before planning"):
        DiskRevolve(10**8, 10)  # Theta(n J), but its table would exceed 1 GiB
    schedule = PeriodicDiskRevolve(10**6, 10)
    assert isinstance(next(schedule), Forward)
    assert isinstance(next(HRevolve(2000, 10, 10)), Forward)
    assert time.process_time() - start < 5.0


def test_disk_revolve_plans_a_million_steps():
    # Theta(n J) for the proven first-segment bound J (docs/multilevel.md): no longer refused.
    schedule = DiskRevolve(10**6, 10)
    assert isinstance(next(schedule), Forward)


def test_upstream_layout_and_functions():
    import importlib

    for module, names in {
            "schedule": ["Forward", "Reverse", "Copy", "Move", "EndForward", "EndReverse",
                         "StorageType", "StepType", "CheckpointSchedule"],
            "basic_schedules": ["SingleMemoryStorageSchedule", "SingleDiskStorageSchedule",
                                "NoneCheckpointSchedule"],
            "hrevolve": ["HRevolve", "DiskRevolve", "PeriodicDiskRevolve", "Revolve",
                         "RevolveCheckpointSchedule"],
            "multistage": ["MultistageCheckpointSchedule", "optimal_steps_binomial",
                           "optimal_extra_steps", "n_advance", "allocate_snapshots"],
            "mixed": ["MixedCheckpointSchedule", "optimal_steps_mixed", "mixed_step_memoization"],
            "twolevel_binomial": ["TwoLevelCheckpointSchedule"]}.items():
        loaded = importlib.import_module("memsched.checkpoint_schedules." + module)
        for name in names:
            assert hasattr(loaded, name), (module, name)
    # Positional move_data, as upstream.
    assert SingleDiskStorageSchedule(True).uses_storage_type(DISK)
    schedule = SingleDiskStorageSchedule(True)
    Consumer(schedule, 3, {DISK: 3}).run()
    assert schedule.is_exhausted


def test_binomial_step_rules_are_optimal():
    # Both trajectories' advances are optimal: m + extra(m, s) + extra(n - m, s - 1) equals
    # extra(n, s), checked against the recurrence by brute force.
    from functools import lru_cache

    from memsched.checkpoint_schedules.multistage import n_advance, optimal_extra_steps

    @lru_cache(maxsize=None)
    def extra(n, s):
        if n == 1:
            return 0
        if s == 1:
            return n * (n - 1) // 2
        return min(i + extra(i, s) + extra(n - i, s - 1) for i in range(1, n))

    for n in range(2, 60):
        for s in range(1, n):
            assert optimal_extra_steps(n, s) == extra(n, s), (n, s)
            for trajectory in ("maximum", "revolve"):
                m = n_advance(n, s, trajectory=trajectory)
                assert 1 <= m < n
                if 1 < s < n - 1:
                    assert m + extra(m, s) + extra(n - m, s - 1) == extra(n, s), (n, s, m)
    with pytest.raises(ValueError):
        n_advance(5, 2, trajectory="fastest")
