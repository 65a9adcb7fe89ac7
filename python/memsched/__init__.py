"""memsched: memory-aware scheduling for adjoints, backpropagation and task trees.

The chain model (:class:`Chain`, :class:`StorageLevel`, :class:`Platform`), the action
vocabulary (:class:`Action`), lazy schedules (:class:`ActionStream`), the replay simulator
(:func:`simulate`, :class:`Simulator`), every planner of the registry (:func:`plan`, and one
function per planner: :func:`revolve`, :func:`hrevolve`, ...), the schedule formats and SVG
pictures; the executor (:func:`run_adjoint`, :func:`run_adjoint_online`: Python callables as
forward and adjoint steps on real storage levels) and the task-tree algorithms (:class:`Tree`,
:func:`liu_optimal_traversal`, :func:`memory_bounded_schedule`, ...).
``memsched.checkpoint_schedules`` is a drop-in for checkpoint_schedules users.

    >>> import memsched
    >>> chain, platform = memsched.Chain(1000), memsched.Platform.ram(10)
    >>> memsched.simulate(memsched.revolve(chain, platform), chain, platform).forward_steps
    4636
"""

from memsched._memsched import *  # noqa: F401,F403  (the executor and tree bindings)
from memsched._memsched import (  # noqa: F401  (re-exported)
    MAX_STEPS,
    UNLIMITED_SLOTS,
    WORK,
    Action,
    ActionKind,
    ActionStream,
    Chain,
    Content,
    DiskRevolveStream,
    HRevolveStream,
    LevelUsage,
    MultistageStream,
    ParseError,
    PeriodicStream,
    Platform,
    PlannerChoice,
    PlannerInfo,
    RevolveStream,
    ScheduleError,
    ScheduleFile,
    SimulationReport,
    Timeline,
    Simulator,
    StorageLevel,
    TwoLevelStream,
    __version__,
    choose_chain_planner,
    collect,
    detect_schedule_format,
    plan,
    planners,
    predicted_cost,
    read_schedule,
    record_timeline,
    repetition_number,
    revolve_advances,
    revolve_forward_steps,
    schedule_svg,
    simulate,
    write_schedule,
)

from memsched._memsched import (  # noqa: F401  (heterogeneous chains: hetero_bindings.cpp)
    MAX_BYTES,
    CurvePoint,
    HeteroChain,
    HeteroLoss,
    HeteroOp,
    HeteroOpKind,
    HeteroPlan,
    HeteroReport,
    HeteroStage,
    HeteroTimelineEntry,
    hetero_schedule_text,
    hetero_timeline,
    memory_time_curve,
    plan_exhaustive,
    plan_persistent,
    simulate_hetero,
)

from memsched._memsched import (  # noqa: F401  (pipelines: pipeline_bindings.cpp)
    DevicePlan,
    ModelStateBytes,
    PipelinePlan,
    PipelineReport,
    StageProfile,
    micro_batch_chain,
    model_state_bytes,
    pipeline_stage_profile,
    plan_pipeline,
    simulate_pipeline,
)


def _planner_function(name, summary):
    def planner(chain, platform, *, period=None, sweeps=None):
        return plan(name, chain, platform, period=period, sweeps=sweeps)

    planner.__name__ = planner.__qualname__ = name.replace("-", "_")
    planner.__doc__ = (
        f"The '{name}' planner: {summary}.\n\n"
        f"Same as ``memsched.plan({name!r}, chain, platform, period=period, sweeps=sweeps)``: a lazy "
        "ActionStream, or None if no schedule fits the platform."
    )
    return planner


def _add_planner_functions():
    # One function per registry entry, so a planner added to src/plan/registry.cpp appears
    # here without Python code ("store-all" becomes store_all).
    names = []
    for info in planners():
        function = _planner_function(info.name, info.summary)
        if function.__name__ in globals():
            continue  # never shadow a binding
        globals()[function.__name__] = function
        names.append(function.__name__)
    return names


planner_names = [info.name for info in planners()]
__all__ = [name for name in dir() if not name.startswith("_") and name != "annotations"]
__all__ += _add_planner_functions()


# run_adjoint(..., comm=comm): the same run on every rank of an mpi4py communicator
# (memsched/_spmd.py); without comm it is the compiled run_adjoint itself.
from memsched._spmd import ScheduleMismatchError  # noqa: E402

_run_adjoint_local = run_adjoint  # noqa: F405
__all__.append("ScheduleMismatchError")


def run_adjoint(x0, num_steps, forward, seed, adjoint, *, comm=None, **options):
    if comm is None:
        return _run_adjoint_local(x0, num_steps, forward, seed, adjoint, **options)
    from memsched._spmd import run_adjoint_spmd

    return run_adjoint_spmd(comm, _run_adjoint_local, x0, num_steps, forward, seed, adjoint,
                            **options)


run_adjoint.__doc__ = (_run_adjoint_local.__doc__ or "") + """

With ``comm`` (an mpi4py communicator), every rank of it calls run_adjoint with its own part
of the state: the ranks plan one schedule from the smallest ram_slots/disk_slots and the
largest costs, compare its fingerprint (ScheduleMismatchError on every rank), keep disk
checkpoints in ``<disk_dir>/rank<r>``, and agree before every callback, so that an error on
one rank is raised as the same error on every rank. ram_slots is required. With journal, each
rank journals to ``<journal>.rank<r>``; resume=True resumes every rank from the latest entry
they all hold."""
