"""Builds the memsched Python package for pip: CMake configures the project with only the
Python extension on, builds the _memsched target (pybind11), and setuptools packs the module
with the pure-Python files of python/memsched (pyproject.toml has the metadata).

Environment: MEMSCHED_PIP_BUILD_DIR (the CMake build folder, default build/pip in the
checkout: kept between builds, so a second `pip install` only relinks), MEMSCHED_PIP_CMAKE_ARGS
(extra CMake arguments, e.g. "-DCMAKE_BUILD_TYPE=Debug"), CMAKE_BUILD_PARALLEL_LEVEL (jobs).
"""

import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


def project_version():
    """The one version source: project(memsched VERSION x.y.z) in CMakeLists.txt."""
    text = (ROOT / "CMakeLists.txt").read_text()
    match = re.search(r"project\(memsched\s+VERSION\s+([0-9.]+)", text)
    if not match:
        raise RuntimeError("setup.py: no project(memsched VERSION ...) in CMakeLists.txt")
    return match.group(1)


class CMakeExtension(Extension):
    """An extension built by CMake's target of the same name, not by setuptools."""

    def __init__(self, name, target):
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = pathlib.Path(os.environ.get("MEMSCHED_PIP_BUILD_DIR", ROOT / "build" / "pip"))
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            "-DMEMSCHED_BUILD_PYTHON=ON",
            "-DMEMSCHED_BUILD_TESTS=OFF",
            "-DMEMSCHED_BUILD_CLI=OFF",
            "-DMEMSCHED_BUILD_EXAMPLES=OFF",
            "-DMEMSCHED_BUILD_FORTRAN=OFF",
            f"-DPython3_EXECUTABLE={sys.executable}",
        ] + shlex.split(os.environ.get("MEMSCHED_PIP_CMAKE_ARGS", ""))
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", ext.target, "-j", jobs],
                       check=True)
        built = sorted((build_dir / "python" / "memsched").glob("_memsched*.so"))
        if len(built) != 1:
            raise RuntimeError(f"setup.py: expected one _memsched*.so in {build_dir}, found {built}")
        destination = pathlib.Path(self.get_ext_fullpath(ext.name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], destination)


setup(
    version=project_version(),
    ext_modules=[CMakeExtension("memsched._memsched", "_memsched")],
    cmdclass={"build_ext": CMakeBuild},
)
