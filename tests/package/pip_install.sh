#!/usr/bin/env bash
# `pip install` of the checkout as a new user would: a fresh venv (Debian's Python, system site
# packages for numpy/torch/pytest/setuptools), `pip install --no-build-isolation` and `pip
# wheel` of the checkout, then `import memsched` without PYTHONPATH and the drop-in's tests.
# Usage: pip_install.sh SOURCE_DIR PIP_BUILD_DIR [CMAKE_ARGS]. Offline: --no-index.
set -euo pipefail
source_dir=$1
export MEMSCHED_PIP_BUILD_DIR=$2
export MEMSCHED_PIP_CMAKE_ARGS=${3:-}
python=${MEMSCHED_TEST_PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset PYTHONPATH
# ccache (if the caller uses it) may then reuse objects across build folders despite -g.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}

"$python" -m venv --system-site-packages "$work/venv"
venv_python=$work/venv/bin/python
"$venv_python" -m pip install --no-build-isolation --no-index --no-deps "$source_dir"

# The package imports from the venv, outside the checkout, with no PYTHONPATH.
cd "$work"
location=$("$venv_python" -c 'import memsched, memsched._memsched; print(memsched._memsched.__file__)')
case $location in
  "$work"/venv/*) echo "pip_install: memsched imported from $location" ;;
  *) echo "pip_install: memsched imported from $location, not from the venv" >&2; exit 1 ;;
esac
"$venv_python" -m pytest -q -p no:cacheprovider "$source_dir/python/tests/test_checkpoint_schedules.py"

# A wheel of the same checkout, installable into a second venv.
"$venv_python" -m pip wheel --no-build-isolation --no-index --no-deps -w "$work/wheels" "$source_dir"
wheel=$(ls "$work"/wheels/memsched-*.whl)
"$python" -m venv --system-site-packages "$work/venv2"
"$work/venv2/bin/python" -m pip install --no-index --no-deps "$wheel"
"$work/venv2/bin/python" -c 'import memsched.checkpoint_schedules as cs, memsched.torch; print("wheel:", cs.Revolve(10, 3))'
echo "pip_install: install, tests and wheel passed"
