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
    # run_adjoint is redeclared there: the package's takes comm= (mpi4py) too.
    assert functions | {"planner_names", "run_adjoint", "ScheduleMismatchError"} == stub


def _parameters(signature):
    """Parameter names of a pybind11 signature line 'name(a: int, *, b: str = ...) -> T'."""
    inside = signature[signature.index("(") + 1:signature.rindex(")")]
    names, depth, start, quote = [], 0, 0, None
    for i, ch in enumerate(inside + ","):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == "," and depth == 0:
            part = inside[start:i].strip()
            if part:
                names.append(part.split(":")[0].split("=")[0].strip())
            start = i + 1
    return names


def _stub_functions(path):
    tree = ast.parse(path.read_text())
    functions = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            args = node.args
            names = [a.arg for a in args.posonlyargs + args.args]
            if args.kwonlyargs:
                names += ["*"] + [a.arg for a in args.kwonlyargs]
            functions[node.name] = names
    return functions


def test_compiled_function_signatures_match_the_stub():
    # Keyword names are API: a renamed or added argument must reach the stub.
    checked = 0
    for name, stub in _stub_functions(PACKAGE / "_memsched.pyi").items():
        doc = (getattr(compiled, name).__doc__ or "").lstrip()
        first = doc.splitlines()[0] if doc else ""
        if not first.startswith(name + "(") or "Overloaded function" in doc:
            continue
        assert _parameters(first) == stub, name
        checked += 1
    assert checked >= 40
