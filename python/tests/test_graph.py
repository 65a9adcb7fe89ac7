"""The graph layer from Python: model, minimum-peak orders, rematerialization under a budget."""

import pytest

import memsched

# Two branches joining: s -> a1 -> a2 -> t and s -> b1 -> b2 -> t.
NODES = [("s", 1.0, 1, 0), ("a1", 2.0, 4, 0), ("a2", 1.0, 1, 0),
         ("b1", 1.0, 2, 0), ("b2", 1.0, 2, 0), ("t", 1.0, 1, 0)]
EDGES = [("s", "a1"), ("a1", "a2"), ("a2", "t"), ("s", "b1"), ("b1", "b2"), ("b2", "t")]


def test_min_peak_and_remat():
    g = memsched.Graph(NODES, EDGES)
    assert (g.num_nodes, g.num_edges) == (6, 6)
    best = memsched.graph_min_peak(g)
    assert best["peak"] == 6 and best["optimal"]
    assert best["order"] == ["s", "a1", "a2", "b1", "b2", "t"]
    assert memsched.graph_min_peak(g, exact=False)["peak"] >= 6
    assert memsched.graph_min_feasible_budget(g) == 5
    plan = memsched.graph_remat(g, 5)
    assert plan["time"] == 8.0 and plan["peak"] <= 5 and plan["optimal"]
    assert plan["schedule"][0] == ("compute", "s")
    assert memsched.graph_remat(g, 4) is None
    assert memsched.graph_remat(g, 6, algorithm="greedy")["time"] == 7.0


def test_json_round_trip():
    g = memsched.Graph(NODES, EDGES)
    again = memsched.parse_graph(g.to_json())
    assert again.ids == g.ids and again.total_time == g.total_time


def test_bad_input_is_a_value_error():
    with pytest.raises(ValueError, match="cycle"):
        memsched.Graph([("a", 1.0, 1, 0), ("b", 1.0, 1, 0)], [("a", "b"), ("b", "a")])
    with pytest.raises(ValueError):
        memsched.parse_graph("{not json")
    with pytest.raises(ValueError, match="algorithm"):
        memsched.graph_remat(memsched.Graph(NODES, EDGES), 6, algorithm="magic")
    with pytest.raises(ValueError):
        memsched.graph_remat(memsched.Graph(NODES, EDGES), -1)


def test_series_parallel():
    g = memsched.Graph(NODES, EDGES)
    assert memsched.graph_is_series_parallel(g)
    sp = memsched.graph_min_peak_series_parallel(g)
    assert sp["peak"] == 6 and sp["optimal"] and sp["lower_bound"] == 6
    n = memsched.Graph([("a", 1.0, 3, 0), ("b", 1.0, 2, 0), ("c", 1.0, 1, 0),
                        ("d", 1.0, 4, 0), ("e", 1.0, 1, 0)],
                       [("a", "c"), ("a", "d"), ("b", "d"), ("c", "e"), ("d", "e")])
    assert not memsched.graph_is_series_parallel(n)
    with pytest.raises(ValueError, match="series-parallel"):
        memsched.graph_min_peak_series_parallel(n)


def test_decomposition():
    # A two-stage chain converted to a graph: x0 -> x1 -> x2 -> loss -> g1 -> g0.
    nodes = [("x0", 0.0, 2, 0), ("x1", 1.0, 3, 0), ("x2", 2.0, 3, 0), ("loss", 0.0, 3, 0),
             ("g1", 2.0, 3, 0), ("g0", 1.0, 2, 0)]
    edges = [("x0", "x1"), ("x1", "x2"), ("x2", "loss"), ("loss", "g1"), ("x2", "g1"),
             ("x1", "g1"), ("g1", "g0"), ("x1", "g0"), ("x0", "g0")]
    g = memsched.Graph(nodes, edges)
    plan = memsched.graph_remat(g, 100, algorithm="decomposition")
    assert plan["time"] == g.total_time and not plan["optimal"]
    tight = memsched.graph_remat(g, 11, algorithm="decomposition")
    assert tight is None or tight["peak"] <= 11
    with pytest.raises(ValueError, match="block structure"):
        memsched.graph_remat(memsched.Graph(NODES, EDGES), 100,
                             algorithm="decomposition")


def test_out_of_core_and_parallel():
    g = memsched.Graph(NODES, EDGES)
    order = ["s", "a1", "a2", "b1", "b2", "t"]
    plan = memsched.graph_out_of_core(g, 5, order=order)
    # s (next read by b1) goes to the slow level before a2 and comes back before b1.
    assert (plan["io_bytes"], plan["lower_bound"], plan["order_peak"]) == (2, 2, 6)
    assert plan["peak"] <= 5 and plan["order"] == order
    assert ("store", "s") in plan["schedule"] and ("load", "s") in plan["schedule"]
    assert memsched.graph_out_of_core(g, 6, order=order)["io_bytes"] == 0
    assert memsched.graph_out_of_core(g, 4) is None
    par = memsched.graph_parallel(g, 2, 8)
    assert par["peak"] <= 8 and par["makespan"] >= par["lower_bound"] > 0
    assert sorted(run[0] for run in par["runs"]) == sorted(order)
    assert par["activation_peak"] == 6
    assert memsched.graph_parallel(g, 2, 3) is None
    with pytest.raises(ValueError, match="policy"):
        memsched.graph_out_of_core(g, 5, policy="magic")
    with pytest.raises(ValueError, match="order"):
        memsched.graph_out_of_core(g, 5, order=["zz"])
    with pytest.raises(ValueError, match="processors"):
        memsched.graph_parallel(g, 0, 8)
    with pytest.raises(ValueError):
        memsched.graph_parallel(g, 2, 8, order=["t", "s", "a1", "a2", "b1", "b2"])
