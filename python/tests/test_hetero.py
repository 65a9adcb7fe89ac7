"""The heterogeneous-chain bindings: chain A of the references (docs/heterogeneous.md)."""

import pytest

import memsched


def chain_a():
    S = memsched.HeteroStage
    return memsched.HeteroChain(
        [S(forward_time=1, backward_time=2, input_bytes=2, tape_bytes=3),
         S(forward_time=4, backward_time=8, input_bytes=1, tape_bytes=6),
         S(forward_time=2, backward_time=4, input_bytes=3, tape_bytes=2)],
        memsched.HeteroLoss(input_bytes=1))


def test_chain_a_plans_match_rotor():
    chain = chain_a()
    assert chain.store_all_peak() == 17 and chain.minimal_makespan() == 21
    assert memsched.plan_persistent(chain, 12, exact=True) is None
    expected = {13: (26, "CF_0 CF_1 Fe_2 L B_2 Fe_1 B_1 Fe_0 B_0"),
                15: (22, "CF_0 Fe_1 Fe_2 L B_2 B_1 Fe_0 B_0"),
                17: (21, "Fe_0 Fe_1 Fe_2 L B_2 B_1 B_0")}
    for budget, (makespan, text) in expected.items():
        plan = memsched.plan_persistent(chain, budget, exact=True)
        assert (plan.makespan, str(plan), plan.peak_bytes) == (makespan, text, budget)
        assert memsched.hetero_schedule_text(plan.schedule) == text
        report = memsched.simulate_hetero(plan.schedule, chain, budget)
        assert (report.makespan, report.peak_bytes) == (makespan, budget)
        assert len(memsched.hetero_timeline(plan.schedule, chain, budget)) == len(plan)
        optimum = memsched.plan_exhaustive(chain, budget, persistent_only=True)
        assert optimum.makespan == makespan and len(optimum.schedule) > 0
        assert optimum.peak_bytes <= budget and optimum.unit_bytes == 1
    curve = memsched.memory_time_curve(chain, exact=True)
    assert [(p.budget_bytes, p.makespan) for p in curve] == [(13, 26), (15, 22), (17, 21)]


def test_ops_values_and_reprs():
    op = memsched.HeteroOp.forward_enable(2)
    assert (op.kind, op.stage, str(op), repr(op)) == (
        memsched.HeteroOpKind.FORWARD_ENABLE, 2, "Fe_2", "HeteroOp(Fe_2)")
    assert op == memsched.HeteroOp.forward_enable(2) and hash(op) == hash(
        memsched.HeteroOp.forward_enable(2))
    assert str(memsched.HeteroOp.free_tape(3)) == "Del_xbar_3"
    assert "store_all_peak=17" in repr(chain_a())
    assert "tape_bytes=3" in repr(chain_a().stage(0))
    assert memsched.HeteroChain.from_json(chain_a().to_json()) == chain_a()


def test_errors():
    chain = chain_a()
    plan = memsched.plan_persistent(chain, 13, exact=True)
    with pytest.raises(memsched.ScheduleError) as error:
        memsched.simulate_hetero(plan.schedule, chain, 12)
    assert error.value.action_index == 6 and "above the budget" in error.value.reason
    with pytest.raises(ValueError):
        memsched.plan_persistent(chain, -1)
    with pytest.raises(ValueError):
        memsched.plan_persistent(chain, 10, num_units=0)
    with pytest.raises(ValueError):
        memsched.HeteroChain([memsched.HeteroStage(input_bytes=-1)], memsched.HeteroLoss())
    with pytest.raises(ValueError):  # a tape smaller than the output it contains
        memsched.HeteroChain([memsched.HeteroStage(input_bytes=1, tape_bytes=1)],
                             memsched.HeteroLoss(input_bytes=2))
    with pytest.raises(IndexError):
        chain.stage(3)
    with pytest.raises(TypeError):
        memsched.simulate_hetero("CF_0", chain, 13)


def test_recording_temporary():
    stage = memsched.HeteroStage(input_bytes=2, tape_bytes=4, forward_tmp_bytes=6,
                                 recording_tmp_bytes=1)
    assert stage.recording_tmp_bytes == 1 and "recording_tmp_bytes=1" in repr(stage)
    assert memsched.HeteroStage().recording_tmp_bytes is None
    loss = memsched.HeteroLoss(input_bytes=2)
    chain = memsched.HeteroChain([stage], loss)
    assert memsched.HeteroChain.from_json(chain.to_json()) == chain
    # Store-all: Fe_0 needs 2 + 4 + 1 (the recording temporary), not 2 + 4 + 6.
    assert chain.store_all_peak() == 10  # at B_0: x_0 2 + tape 4 + ybar_1 2 + ybar_0 2
    without = memsched.HeteroChain([memsched.HeteroStage(input_bytes=2, tape_bytes=4,
                                                         forward_tmp_bytes=6)], loss)
    assert without.store_all_peak() == 12


def test_on_a_uniform_chain_no_schedule_beats_the_persistent_optimum():
    # docs/benchmarks.md (PyTorch, MLP): checkpoint_sequential's equal segments are optimal on
    # a uniform chain, and the exhaustive search over all schedules, persistent or not, finds
    # nothing faster than the persistent dynamic program at any budget.
    stage = memsched.HeteroStage(forward_time=1, backward_time=2, input_bytes=2, tape_bytes=2,
                                 backward_tmp_bytes=3)
    chain = memsched.HeteroChain([stage] * 7, memsched.HeteroLoss(input_bytes=2))
    feasible = 0
    for budget in range(chain.store_all_peak() // 4, chain.store_all_peak() + 1):
        plan = memsched.plan_persistent(chain, budget, exact=True)
        optimum = memsched.plan_exhaustive(chain, budget, persistent_only=False)
        assert (plan is None) == (optimum is None)
        if plan is not None:
            assert plan.makespan == optimum.makespan
            feasible += 1
    assert feasible >= 10
