"""The task-tree bindings against the C++ library's documented values and the CLI's golden
outputs (tests/cli/golden), on the same data files and seeds."""

import json
import pathlib

import pytest

import memsched as ms

np = pytest.importorskip("numpy")

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "cli" / "data"
GOLDEN = REPO / "tests" / "cli" / "golden"


@pytest.fixture(scope="module")
def six():
    return ms.read_tree(str(DATA / "tree_six_node.txt"))


def test_tree_from_arrays_equals_the_parsed_file(six):
    tree = ms.Tree([-1, 0, 0, 1, 2, 3], [1, 2, 2, 1, 2, 3])
    assert tree == six and len(tree) == tree.num_nodes == 6 and tree.root == 0
    assert repr(tree) == "Tree(num_nodes=6, root=0)"
    assert list(tree.parents) == [-1, 0, 0, 1, 2, 3] and tree.parents.dtype == np.int64
    assert list(tree.output_sizes) == [1, 2, 2, 1, 2, 3]
    assert list(tree.exec_memory) == [0] * 6 and list(tree.work) == [1.0] * 6
    assert list(tree.children(0)) == [1, 2] and list(tree.children(-1)) == []
    assert tree.mem_req(0) == 5 and tree.total_work == 6.0
    assert ms.parse_tree(tree.to_text()) == tree == ms.parse_tree(tree.to_json())
    numpy_built = ms.Tree(np.array([-1, 0, 0, 1, 2, 3]), np.array([1, 2, 2, 1, 2, 3]),
                          exec_memory=np.zeros(6, dtype=np.int32), work=np.ones(6))
    assert numpy_built == tree


def test_bad_trees():
    for parents, sizes in (([-1, -1], [1, 1]), ([1, 0], [1, 1]), ([-1, 5], [1, 1]),
                           ([-1, 0], [1, -1]), ([-1, 0], [1.5, 1]), ([-1, 0], [1])):
        with pytest.raises(ValueError):
            ms.Tree(parents, sizes)
    with pytest.raises(ValueError):
        ms.Tree([-1, 0], [1, 1], work=[1.0, float("nan")])
    with pytest.raises(IndexError):
        ms.Tree([-1, 0], [1, 1]).children(2)
    with pytest.raises(ms.ParseError):
        ms.parse_tree("0 -1 1 0 x\n")


def test_six_node_traversals_match_the_cli_goldens(six):
    optimal = json.loads((GOLDEN / "tree_traverse_six_optimal.json").read_text())
    postorder = json.loads((GOLDEN / "tree_traverse_six_postorder.json").read_text())
    best = ms.best_postorder(six)
    liu = ms.liu_optimal_traversal(six)
    assert (list(best.order), best.peak) == (postorder["order"], postorder["peak"]) == (
        [5, 3, 1, 4, 2, 0], 6)
    assert (list(liu.order), liu.peak) == (optimal["order"], optimal["peak"])
    assert ms.minmem_traversal(six).peak == 5
    assert repr(liu) == "Traversal(nodes=6, peak=5)" and len(liu) == 6
    assert ms.sequential_peak(six, liu.order) == 5
    assert ms.memory_profile(six, liu.order).max() == 5
    with pytest.raises(ValueError):
        ms.sequential_peak(six, [0, 1, 2, 3, 4, 5])  # the root first: not a traversal
    assert ms.traversal_svg(six, liu).lstrip().startswith("<")


def test_five_node_minmem_with_temporaries():
    tree = ms.read_tree(str(DATA / "tree_five_node.json"))
    minmem = ms.minmem_traversal(tree)
    assert (minmem.peak, list(minmem.order)) == (4, [4, 3, 2, 1, 0])
    assert ms.liu_optimal_traversal(tree).peak == 4 and ms.best_postorder(tree).peak == 5


@pytest.mark.parametrize("b", [2, 3, 4])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_harpoon_formulas(b, k):
    big, eps = 12, 1  # eps < big / b
    tree = ms.harpoon_tree(b, k, big, eps)
    assert ms.best_postorder(tree).peak == big + eps + k * (b - 1) * big // b
    assert ms.liu_optimal_traversal(tree).peak == big + eps + k * (b - 1) * eps
    assert ms.minmem_traversal(tree).peak == ms.liu_optimal_traversal(tree).peak


def test_random_tree_matches_the_cli_golden():
    tree = ms.random_tree(8, 3, max_exec=2)
    assert tree.to_text() == (GOLDEN / "tree_random_8_3.txt").read_text()
    assert ms.random_tree(8, 3, max_exec=2) == tree and ms.random_tree(8, 4, max_exec=2) != tree


@pytest.mark.parametrize("shape", [ms.RandomTreeShape.RECURSIVE, ms.RandomTreeShape.PREFERENTIAL,
                                   ms.RandomTreeShape.DEEP])
@pytest.mark.parametrize("seed", range(5))
def test_random_trees_identities(shape, seed):
    tree = ms.random_tree(300, seed, shape=shape, max_exec=5)
    best, liu = ms.best_postorder(tree), ms.liu_optimal_traversal(tree)
    assert liu.peak <= best.peak
    for traversal in (best, liu):
        assert ms.sequential_peak(tree, traversal.order) == traversal.peak
        assert ms.memory_profile(tree, traversal.order).max() == traversal.peak
    assert ms.postorder_subtree_peaks(tree)[tree.root] == best.peak
    assert ms.io_postorder(tree, best.peak).peak == best.peak
    for p in (1, 3, 8):
        bounded = ms.memory_bounded_schedule(tree, p, liu.peak)
        assert bounded is not None and bounded.peak <= liu.peak
        report = ms.simulate_parallel(tree, bounded, p)
        assert (report.makespan, report.peak) == (bounded.makespan, bounded.peak)
        assert bounded.makespan >= ms.makespan_lower_bound(tree, p, liu.peak) - 1e-9
        subtrees = ms.par_subtrees(tree, p)
        assert subtrees.peak <= p * liu.peak
        for heuristic in (ms.par_inner_first, ms.par_deepest_first, ms.proportional_mapping):
            schedule = heuristic(tree, p)
            assert schedule.makespan >= ms.makespan_lower_bound(tree, p) - 1e-9
        assert ms.all_to_all_mapping(tree, p).peak == liu.peak
        aware = ms.memory_aware_mapping(tree, p, 2 * liu.peak)
        assert aware is not None and aware.peak <= 2 * liu.peak


def test_out_of_core_matches_the_cli_goldens(six):
    # tree_ooc_six_memory5.txt: the post-order at M = 5 writes one output of size 2.
    best = ms.best_postorder(six)
    for policy in ms.EvictionPolicy.__members__.values():
        run = ms.simulate_out_of_core(six, best.order, 5, policy)
        assert (run.io_volume, run.num_writes) == (2, 1) and run.peak <= 5
    assert ms.io_lower_bound(six, 5) == 0
    assert ms.simulate_out_of_core(six, best.order, 2) is None  # MemReq(0) = 5 > 2

    # tree_ooc_harpoon_52.txt
    harpoon = ms.read_tree(str(DATA / "tree_harpoon_4_2.txt"))
    optimal = ms.liu_optimal_traversal(harpoon)
    assert ms.io_lower_bound(harpoon, 52) == 3
    assert ms.io_lower_bound(harpoon, 52, order=optimal.order) == optimal.peak - 52
    expected = {ms.EvictionPolicy.FURTHEST_IN_FUTURE: (3, 3),
                ms.EvictionPolicy.LARGEST_FIRST: (3, 3), ms.EvictionPolicy.BEST_FIT: (6, 6)}
    for policy, (volume, writes) in expected.items():
        run = ms.simulate_out_of_core(harpoon, optimal.order, 52, policy)
        assert (run.io_volume, run.num_writes) == (volume, writes)
        assert len(run.written) == writes
    post = ms.simulate_out_of_core(harpoon, ms.best_postorder(harpoon).order, 52)
    assert (post.io_volume, post.num_writes) == (180, 15)
    assert "OutOfCoreRun(io_volume=180" in repr(post)


def _golden_tasks(name):
    golden = json.loads((GOLDEN / name).read_text())
    tasks = sorted(golden["tasks"], key=lambda t: t["id"])
    return (golden, [t["start"] for t in tasks], [t["end"] for t in tasks],
            [t["proc"] for t in tasks])


def test_parallel_schedules_match_the_cli_goldens(six):
    golden, starts, ends, procs = _golden_tasks("tree_parallel_six_memory6.json")
    bounded = ms.memory_bounded_schedule(six, 2, 6)
    assert (bounded.makespan, bounded.peak) == (golden["makespan"], golden["peak"])
    assert list(bounded.starts) == starts and list(bounded.ends) == ends
    assert list(bounded.processors) == procs
    assert ms.makespan_lower_bound(six, 2) == golden["makespan_lower_bound"]
    assert ms.memory_bounded_schedule(six, 2, 4) is None  # below every order's peak

    golden, starts, ends, procs = _golden_tasks("tree_parallel_six_memory_aware6.json")
    aware = ms.memory_aware_mapping(six, 2, 6)
    assert (aware.makespan, aware.peak, list(aware.starts), list(aware.processors)) == (
        golden["makespan"], golden["peak"], starts, procs)

    golden, starts, ends, procs = _golden_tasks("tree_parallel_six_all_to_all.json")
    all_to_all = ms.all_to_all_mapping(six, 2)
    assert (all_to_all.makespan, all_to_all.peak, list(all_to_all.starts)) == (
        golden["makespan"], golden["peak"], starts)
    assert ms.parallel_svg(six, all_to_all, 2).lstrip().startswith("<")
    assert ms.proportional_intervals(six, 2).shape == (6, 2)
    assert ms.memory_aware_intervals(six, 2, 6).shape == (6, 2)
    assert ms.critical_path(six) == 4.0


def test_parallel_schedules_from_arrays_are_checked(six):
    order = [5, 3, 4, 2, 1, 0]
    starts = np.zeros(6)
    for t, node in enumerate(order):
        starts[node] = t
    schedule = ms.ParallelSchedule(starts, starts + 1, np.zeros(6, dtype=np.int64))
    report = ms.simulate_parallel(six, schedule, 1)
    assert (report.makespan, report.peak) == (6.0, 5)
    assert report.timeline_memory.max() == 5 and len(report.timeline_time) > 0
    starts[0] = 0  # the root before its children
    with pytest.raises(ValueError):
        ms.simulate_parallel(six, ms.ParallelSchedule(starts, starts + 1, np.zeros(6, int)), 1)
    with pytest.raises(ValueError):
        ms.memory_bounded_schedule(six, 0, 6)


def test_large_trees_return_numpy_orders():
    tree = ms.random_tree(100_000, 1)
    liu = ms.liu_optimal_traversal(tree)
    assert liu.order.dtype == np.int64 and liu.order.shape == (100_000,)
    assert np.array_equal(np.sort(liu.order), np.arange(100_000))
    assert liu.peak <= ms.best_postorder(tree).peak
