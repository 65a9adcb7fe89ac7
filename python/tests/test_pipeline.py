"""The pipeline simulator, planner and ZeRO calculator from Python."""

import pytest

import memsched


def test_simulate_uniform_one_f_one_b():
    stages = [memsched.StageProfile(forward_time=1, backward_time=2, kept_bytes=10,
                                    forward_peak_bytes=10, backward_peak_bytes=10)] * 4
    r = memsched.simulate_pipeline(stages, 4, 8, schedule="1f1b")
    assert r.iteration_time == (8 + 4 - 1) * 3
    assert r.device_peak_bytes == [40, 30, 20, 10]
    assert r.device_max_in_flight == [4, 3, 2, 1]
    g = memsched.simulate_pipeline(stages, 4, 8, schedule="gpipe")
    assert g.device_peak_bytes == [80] * 4
    with pytest.raises(ValueError, match="schedule"):
        memsched.simulate_pipeline(stages, 4, 8, schedule="zb")
    with pytest.raises(ValueError, match="micro_batches"):
        memsched.simulate_pipeline(stages, 4, 0)


def test_plan_within_budgets():
    stages = [memsched.HeteroStage(forward_time=1, backward_time=2, input_bytes=64,
                                   tape_bytes=128) for _ in range(8)]
    chain = memsched.HeteroChain(stages, memsched.HeteroLoss(input_bytes=64))
    plan = memsched.plan_pipeline(chain, [10] * 8, [200, 200])
    assert plan is not None
    assert [d.first_layer for d in plan.devices] == [0, plan.devices[1].first_layer]
    assert plan.devices[-1].last_layer == 8
    assert all(p <= 200 for p in plan.report.device_peak_bytes)
    assert plan.schedule in ("gpipe", "1f1b")
    assert memsched.plan_pipeline(chain, [10] * 8, [50, 50]) is None
    with pytest.raises(ValueError, match="parameter_bytes"):
        memsched.plan_pipeline(chain, [10] * 7, [200, 200])


def test_model_state_bytes():
    assert memsched.model_state_bytes(7_500_000_000, 64, "zero3").total == 1_875_000_000
    assert memsched.model_state_bytes(10, 2, "zero2", parameter=4, gradient=4,
                                      optimizer=0).total == 60
    with pytest.raises(ValueError, match="zero4"):
        memsched.model_state_bytes(10, 2, "zero4")


def test_stage_profiles_store_and_full_recompute():
    stages = [memsched.HeteroStage(forward_time=1, backward_time=2, input_bytes=64,
                                   tape_bytes=128) for _ in range(4)]
    chain = memsched.HeteroChain(stages, memsched.HeteroLoss(input_bytes=64))
    micro = memsched.micro_batch_chain(chain, 4)
    assert micro.stage(0).forward_time == 0.25 and micro.stage(0).tape_bytes == 32
    store = memsched.pipeline_stage_profile(chain, [10] * 4, 0, 2)
    full = memsched.pipeline_stage_profile(chain, [10] * 4, 0, 2, recompute=True)
    assert (store.forward_time, store.backward_time, store.model_bytes) == (2, 4, 20)
    # Recomputing replays both forwards in the backward and keeps input and output only.
    assert (full.forward_time, full.backward_time) == (2, 6)
    assert full.kept_bytes == 64 + 64 < store.kept_bytes
    # With a budget that does not bind, the planner's recomputing device is the same profile.
    plan = memsched.plan_pipeline(chain, [10] * 4, [10**6, 10**6], micro_batches=[1],
                                  schedules=["1f1b"])
    assert plan.devices[0].profile == memsched.pipeline_stage_profile(
        chain, [10] * 4, 0, plan.devices[0].last_layer)
    with pytest.raises(ValueError, match="micro_batches"):
        memsched.micro_batch_chain(chain, 0)
    with pytest.raises(IndexError, match="segment_chain"):
        memsched.pipeline_stage_profile(chain, [10] * 4, 2, 2)
