"""The type stubs name exactly what the package offers, so they cannot silently go stale."""

import ast
import pathlib

import memsched
import memsched._memsched as compiled

PACKAGE = pathlib.Path(memsched.__file__).parent


def _stub_names(path):
    tree = ast.parse(path.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def test_compiled_stub_matches_module():
    stub = _stub_names(PACKAGE / "_memsched.pyi") - {"Schedule", "IntArray"}  # stub-only aliases
    public = {name for name in dir(compiled) if not name.startswith("_")} | {"__version__"}
    assert stub == public


def test_package_stub_lists_every_planner_function():
    stub = _stub_names(PACKAGE / "__init__.pyi")
    functions = {info.name.replace("-", "_") for info in memsched.planners()}
    assert functions | {"planner_names"} == stub
