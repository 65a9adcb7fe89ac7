"""Call trees from Python: the worked example's front, planning, evaluation and the profile."""

import json

import pytest

import memsched

EXAMPLE = json.dumps({
    "id": "R", "time": 1, "tape_bytes": 10, "calls": [
        {"id": "A", "time": 4, "tape_bytes": 40, "snapshot_bytes": 8,
         "calls": [{"id": "A1", "time": 2, "tape_bytes": 20, "snapshot_bytes": 6}]},
        {"id": "B", "time": 3, "tape_bytes": 30, "snapshot_bytes": 5}]})


def test_front_of_the_worked_example():
    tree = memsched.parse_calltree(EXAMPLE)
    assert tree.num_calls == 4 and len(tree) == 4
    assert tree.names == ["R", "A", "A1", "B"]
    assert tree.base_time == 30 and tree.total_tape == 100
    front = memsched.calltree_front(tree)
    assert [(p["time"] - 30, p["peak"]) for p in front] == [(0, 100), (2, 86), (6, 70)]
    assert [p["joint"] for p in front] == [[], ["A1"], ["A"]]


def test_plan_evaluate_and_profile():
    tree = memsched.parse_calltree(EXAMPLE)
    plan = memsched.calltree_plan(tree, 80)
    assert plan["feasible"] and plan["optimal"] and plan["method"] == "exact"
    assert (plan["time"], plan["peak"], plan["joint"]) == (36, 70, ["A"])
    infeasible = memsched.calltree_plan(tree, 69)
    assert not infeasible["feasible"] and infeasible["min_peak"] == 70
    assert memsched.calltree_evaluate(tree, ["A", "A1", "B"]) == {"time": 41, "peak": 70}
    profile = memsched.calltree_profile(tree, 80)
    assert [r["site"] for r in profile["sites"]] == ["B", "A1", "A"]
    assert profile["sites"][2]["peak_change"] == 16
    assert profile["split_sites"] == ["B", "A1"]
    assert (profile["recommended_time"], profile["recommended_peak"]) == (36, 70)
    assert memsched.parse_calltree(tree.to_json()).names == tree.names


def test_bad_input_is_a_value_error():
    with pytest.raises(ValueError, match="time"):
        memsched.parse_calltree('{"id": "R"}')
    tree = memsched.parse_calltree(EXAMPLE)
    with pytest.raises(ValueError, match="no call named 'Z'"):
        memsched.calltree_evaluate(tree, ["Z"])
    with pytest.raises(ValueError, match="budget"):
        memsched.calltree_plan(tree, -1)
    with pytest.raises(ValueError, match="over the limit"):
        memsched.calltree_front(tree, max_work=1)


LOOP = json.dumps({
    "id": "R", "time": 1, "tape_bytes": 10, "calls": [
        {"id": "L", "time": 2, "tape_bytes": 20, "snapshot_bytes": 5,
         "loop": {"iterations": 4, "snapshots": 2},
         "calls": [{"id": "C", "time": 1, "tape_bytes": 6, "snapshot_bytes": 3}]}]})


def test_loop_node():
    tree = memsched.parse_calltree(LOOP)
    assert tree.loops == {"L": {"iterations": 4, "snapshots": 2, "advances": 4,
                                "live_snapshots": 2, "occurrences": 1}}
    # All split: 3 + 4 x 6 + 4 x 3 + Revolve's 4 advances x 3; peak 10 + 2 x 5 + 20 + 6.
    assert (tree.base_time, tree.total_tape) == (51, 46)
    assert memsched.calltree_evaluate(tree, ["C"]) == {"time": 55, "peak": 46}
    assert memsched.calltree_evaluate(tree, ["L"]) == {"time": 63, "peak": 46}
    assert [(p["time"], p["peak"]) for p in memsched.calltree_front(tree)] == [(51, 46)]
    assert memsched.parse_calltree(tree.to_json()).loops == tree.loops
    with pytest.raises(ValueError, match="loop.snapshots 0"):
        memsched.parse_calltree(json.dumps(
            {"id": "R", "time": 1, "loop": {"iterations": 3, "snapshots": 0}}))
    with pytest.raises(ValueError, match="loop node 'L'"):
        memsched.calltree_profile(tree, 100)


def test_loop_snapshot_range():
    tree = memsched.parse_calltree(json.dumps({
        "id": "R", "time": 0, "calls": [
            {"id": "T", "time": 1, "record_time": 1, "adjoint_time": 1, "tape_bytes": 10,
             "snapshot_bytes": 100,
             "loop": {"iterations": 10, "snapshots": 4, "min_snapshots": 1}}]}))
    front = memsched.calltree_front(tree)
    # 20 + t(10, S) with t(10, S) = 14, 15, 20, 45 for S = 4, 3, 2, 1.
    assert [(p["time"], p["peak"], p["snapshots"]) for p in front] == [
        (34, 410, {"T": 4}), (35, 310, {"T": 3}), (40, 210, {"T": 2}), (65, 110, {"T": 1})]
    plan = memsched.calltree_plan(tree, 250)
    assert (plan["time"], plan["snapshots"]) == (40, {"T": 2})
