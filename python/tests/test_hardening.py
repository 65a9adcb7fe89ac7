"""The Python API enforces the limits of the command-line tool (docs/cli.md, Limits): a request
beyond them is a ValueError naming the argument or the estimate, never std::bad_alloc,
vector::_M_range_check or a hang."""
import time

import pytest

import memsched as m


def tree():
    return m.parse_tree("0 -1 1 0 1\n1 0 2 0 1\n2 0 3 0 1\n")


def disk_platform(ram=10):
    return m.Platform([m.StorageLevel("ram", ram, 0, 0), m.StorageLevel("disk", None, 2, 1)])


@pytest.mark.parametrize("name, steps, what", [
    ("hrevolve", 10**8, "MiB"),
    ("disk-revolve", 10**8, "MiB"),
    ("store-all", 10**12, "forward and adjoint steps"),
    ("recompute-all", 10**6, "forward and adjoint steps"),
    ("two-level", 2**62, "forward and adjoint steps"),
    ("online-two-level", 2**62, "forward and adjoint steps"),
])
def test_planners_refuse_up_front_with_their_estimate(name, steps, what):
    start = time.monotonic()
    with pytest.raises(ValueError, match=name + ": refused before planning .*" + what):
        m.plan(name, m.Chain(steps), disk_platform())
    assert time.monotonic() - start < 1


def test_mixed_refuses_its_documented_maximum():
    with pytest.raises(ValueError, match="mixed: refused .*operations"):
        m.plan("mixed", m.Chain(100000), m.Platform([m.StorageLevel("ram", 10, 0, 0)]))


def test_hrevolve_refuses_the_general_recurrence_up_front():
    # Costs that fall from one level to the next need the general recurrence: Theta(n^2 K
    # prod (c_k + 1)) operations, refused from the estimate. (The monotone recurrence's pruned
    # search is counted as it runs instead: tests/plan/hrevolve_pruned_test.cpp.)
    levels = [m.StorageLevel("ram", 10, 0, 0), m.StorageLevel("ssd", 10, 3, 3),
              m.StorageLevel("disk", 10, 2, 2)]
    with pytest.raises(ValueError, match="hrevolve: refused .*operations"):
        m.plan("hrevolve", m.Chain(10**4), m.Platform(levels))


def test_periodic_planners_refuse_their_period_search_up_front():
    # 1000 RAM slots: the period search would solve Disk-Revolve for 501,500 steps.
    start = time.monotonic()
    for name in ("periodic-disk-revolve", "online-two-level"):
        with pytest.raises(ValueError, match=name + ": refused .*1.3e\\+11 operations"):
            m.plan(name, m.Chain(200000), disk_platform(ram=1000))
    assert time.monotonic() - start < 1


def test_predicted_cost_refuses_tables_too():
    with pytest.raises(ValueError, match="hrevolve: refused"):
        m.predicted_cost("hrevolve", m.Chain(10**8), disk_platform())


def test_auto_leaves_refused_planners_out():
    # 1000 RAM slots: H-Revolve's table would take 3 GiB, the periodic planners' period search
    # 1.3e11 operations; Disk-Revolve plans.
    choice = m.choose_chain_planner(m.Chain(200000), disk_platform(ram=1000))
    names = [name for name, _ in choice.costs]
    for refused in ("hrevolve", "periodic-disk-revolve", "online-two-level"):
        assert refused not in names
    assert "disk-revolve" in names


def test_auto_lists_every_refusal_when_all_refuse():
    with pytest.raises(ValueError, match="auto: every planner refused 1000000000000 steps: "
                                         "revolve: refused .*hrevolve: refused .*MiB"):
        m.choose_chain_planner(m.Chain(10**12), disk_platform())


@pytest.mark.parametrize("function", [
    lambda t, p: m.par_inner_first(t, p),
    lambda t, p: m.par_deepest_first(t, p),
    lambda t, p: m.par_subtrees(t, p),
    lambda t, p: m.proportional_mapping(t, p),
    lambda t, p: m.all_to_all_mapping(t, p),
    lambda t, p: m.memory_bounded_schedule(t, p, 100),
    lambda t, p: m.memory_aware_mapping(t, p, 100),
    lambda t, p: m.proportional_intervals(t, p),
    lambda t, p: m.memory_aware_intervals(t, p, 100),
    lambda t, p: m.makespan_lower_bound(t, p),
    lambda t, p: m.simulate_parallel(t, m.par_inner_first(t, 2), p),
])
def test_processors_are_limited_as_on_the_command_line(function):
    for processors in (2**40, 2**20 + 1, 0, -3):
        with pytest.raises(ValueError, match="processors must be in \\[1, 1048576\\]"):
            function(tree(), processors)
    function(tree(), 2**20)  # the limit itself is served


def test_random_tree_size_is_limited():
    with pytest.raises(ValueError, match="random_tree: num_nodes 1000000000 is above the limit"):
        m.random_tree(10**9, 1)
    assert len(m.random_tree(1000, 1)) == 1000


def test_bad_indices_are_clear():
    t = tree()
    with pytest.raises(IndexError) as error:
        t.children(99)
    assert "_M_range_check" not in str(error.value) and "no node 99" in str(error.value)
    with pytest.raises(ValueError, match="out of range"):
        m.memory_profile(t, [9, 9, 9])


def test_readers_refuse_directories_and_devices(tmp_path):
    with pytest.raises(RuntimeError, match="it is a directory"):
        m.read_tree(str(tmp_path))
    with pytest.raises(RuntimeError, match="not a regular file"):
        m.read_tree("/dev/zero")


def test_persistent_planner_refuses_huge_tables():
    stage = m.HeteroStage(forward_time=1.0, backward_time=2.0, input_bytes=2, tape_bytes=200)
    chain = m.HeteroChain([stage] * 3000, m.HeteroLoss(input_bytes=1))
    start = time.monotonic()
    with pytest.raises(ValueError, match="plan_persistent: the table for 3000 stages"):
        m.plan_persistent(chain, 100000, num_units=100)
    assert time.monotonic() - start < 1


def test_chain_length_is_limited():
    with pytest.raises(ValueError, match="Chain: number of steps must be in \\[1, 2\\^62\\]"):
        m.Chain(2**62 + 1)
