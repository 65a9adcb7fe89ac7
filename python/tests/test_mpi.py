"""memsched.run_adjoint(..., comm=comm) under mpirun with 2 ranks (mpi4py): bitwise store-all
gradients, one error on every rank for a schedule mismatch, a failing callback and a replay
mismatch on one rank, and a run stopped on one rank (journals one entry apart) resumed on all
to the same gradient."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("mpi4py")
MPIRUN = shutil.which("mpirun")
CHECKS = ["ok bitwise revolve", "ok bitwise hrevolve", "ok mismatch", "ok callback", "ok replay",
          "ok resume apart"]


@pytest.mark.skipif(MPIRUN is None, reason="mpirun not installed (Debian: openmpi-bin)")
def test_run_adjoint_with_comm_on_two_ranks(tmp_path):
    import memsched

    env = dict(os.environ)
    env["PYTHONPATH"] = str(pathlib.Path(memsched.__file__).parent.parent)
    env["OMPI_MCA_mpi_yield_when_idle"] = "1"  # idle ranks give the core back
    script = pathlib.Path(__file__).with_name("mpi_heat1d.py")
    result = subprocess.run(
        [MPIRUN, "-np", "2", "--oversubscribe", "--bind-to", "none", "--allow-run-as-root",
         sys.executable, str(script), str(tmp_path / "disk")],
        capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    for check in CHECKS:  # one line per rank (the ranks' lines may interleave)
        assert result.stdout.count(check) == 2, (check, result.stdout, result.stderr)
    assert "bad" not in result.stdout, result.stdout
