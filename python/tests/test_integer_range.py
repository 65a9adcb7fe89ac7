"""Integer arguments beyond their C++ type: every function of the compiled module that takes an
integer (steps, slots, bytes, budgets, processors, indices...) answers a Python int out of range
with a ValueError naming the argument and the range, never pybind11's TypeError
(python/src/checked_int.hpp). The table is built from the module's own signatures, so a new
binding is covered without editing this file."""
import re

import pytest

import memsched as m
from memsched import _memsched as core

HUGE = 2**70
SIGNATURE = re.compile(r"^\s*(?:\d+\.\s+)?(\w+)\((.*)\)\s*->", re.M)


def split_parameters(text):
    """'a: int, b: List[Tuple[int, int]] = None' -> ['a: int', 'b: List[...] = None']."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def parameters(signature):
    """[(name, annotation, keyword_only)] of one pybind11 signature; None if it has *args."""
    out, keyword_only = [], False
    for part in split_parameters(signature):
        if part == "*":
            keyword_only = True
            continue
        if part.startswith("*"):
            return None
        name, _, rest = part.partition(":")
        annotation = rest.split("=")[0].strip()
        out.append((name.strip(), annotation, keyword_only))
    return out


def functions():
    """(label, callable, drops self) for every pybind11 function, method, constructor, static
    method and property setter of the compiled module."""
    for name in sorted(dir(core)):
        value = getattr(core, name)
        if isinstance(value, type):
            if hasattr(value, "__members__"):  # enums: their constructor takes the value
                yield name, value, True, value.__init__.__doc__
                continue
            for attribute, member in sorted(vars(value).items()):
                if attribute == "__init__":
                    yield name, value, True, member.__doc__
                elif isinstance(member, staticmethod):
                    yield name + "." + attribute, member.__func__, False, member.__func__.__doc__
                elif isinstance(member, property):
                    if member.fset is not None:
                        yield name + "." + attribute + ".fset", member.fset, False, \
                            member.fset.__doc__
                elif callable(member) and not attribute.startswith("__"):
                    function = getattr(value, attribute)
                    yield name + "." + attribute, function, False, function.__doc__
        elif callable(value) and type(value).__name__ == "builtin_function_or_method":
            yield name, value, False, value.__doc__


def cases():
    table = []
    for label, function, drops_self, doc in functions():
        for number, (_, signature) in enumerate(SIGNATURE.findall(doc or "")):
            params = parameters(signature)
            if params is None:
                continue
            if drops_self and params and params[0][0] == "self":
                params = params[1:]
            for index, (name, annotation, _) in enumerate(params):
                if annotation in ("int", "Optional[int]", "List[int]"):
                    table.append(pytest.param(function, params, index,
                                              id=f"{label}#{number}:{name}"))
    return table


CASES = cases()


def sample_tree():
    return m.parse_tree("0 -1 1 0 1\n1 0 2 0 1\n")


# pybind11 loads the arguments left to right and stops at the first that does not load: the
# ones before the integer under test get a value of their type.
SAMPLES = {
    "Chain": lambda: m.Chain(3),
    "Platform": lambda: m.Platform.ram(2),
    "Tree": sample_tree,
    "ParallelSchedule": lambda: m.par_inner_first(sample_tree(), 2),
    "Simulator": lambda: m.Simulator(m.Chain(3), m.Platform.ram(2)),
    "ActionStream": lambda: m.plan("revolve", m.Chain(3), m.Platform.ram(2)),
    "HeteroChain": lambda: m.HeteroChain(
        [m.HeteroStage(forward_time=1, backward_time=2, input_bytes=2, tape_bytes=3)],
        m.HeteroLoss(input_bytes=1)),
    "CallTree": lambda: m.parse_calltree(
        '{"id": "R", "time": 1, "tape_bytes": 10, "calls": []}'),
    "Graph": lambda: m.Graph([("s", 1.0, 1, 0), ("t", 1.0, 1, 0)], [("s", "t")]),
}


def sample(annotation):
    if annotation == "int":
        return 1
    if annotation == "float":
        return 1.0
    if annotation == "bool":
        return False
    if annotation == "str":
        return "x"
    if annotation.startswith("Optional[") or annotation in ("object", "handle"):
        return None
    if annotation.startswith("List["):
        return []
    name = annotation.rsplit(".", 1)[-1]
    kind = getattr(core, name)
    if hasattr(kind, "__members__"):  # an enum
        return next(iter(kind.__members__.values()))
    return SAMPLES[name]()  # a KeyError here: add a sample for the new class


def call(function, params, index, value):
    positional, keywords = [], {}
    for position, (name, annotation, keyword_only) in enumerate(params):
        if position < index:
            argument = sample(annotation)
        elif position == index:
            argument = [value] if annotation == "List[int]" else value
        else:
            argument = None
        if keyword_only:
            keywords[name] = argument
        else:
            positional.append(argument)
    return function(*positional, **keywords)


def test_the_table_covers_the_bindings():
    # Every part of the package binds integers somewhere: a parser regression would empty it.
    assert len(CASES) > 80
    labels = " ".join(case.id for case in CASES)
    for expected in ("Chain#0:num_steps", "revolve_advances#0:slots", "StorageLevel#0:num_slots",
                     "par_inner_first#0:processors", "Platform.ram#0:num_slots"):
        assert expected in labels


@pytest.mark.parametrize("function, params, index", CASES)
@pytest.mark.parametrize("value", [HUGE, -HUGE])
def test_out_of_range_integers_are_value_errors_naming_the_argument(function, params, index,
                                                                    value):
    name, annotation, _ = params[index]
    where = ("an element of " if annotation == "List[int]" else "") + name
    with pytest.raises(ValueError, match=re.escape(where) + r" = -?\d+ is out of range \[-?\d+, \d+\]"):
        call(function, params, index, value)


@pytest.mark.parametrize("make", [
    lambda: m.Chain(2**70),
    lambda: m.Chain(10, 1.0, 1.0).forward_cost(2**64),
    lambda: m.Platform.ram(2**63),
    lambda: m.StorageLevel("disk", -(2**63) - 1),
    lambda: m.revolve_forward_steps(2**62, 2**80),
    lambda: m.random_tree(2**64, 1),
    lambda: m.par_inner_first(m.parse_tree("0 -1 1 0 1\n"), 2**64),
])
def test_realistic_calls(make):
    with pytest.raises(ValueError, match="is out of range"):
        make()


def test_huge_values_are_described_by_their_size():
    with pytest.raises(ValueError, match="num_steps = an integer of 33220 bits"):
        m.Chain(10**10000)


def test_in_range_values_still_convert():
    assert m.Chain(2**62).num_steps == 2**62
    assert m.revolve_advances(10, 3) == m.revolve_advances(num_steps=10, slots=3)
    with pytest.raises(TypeError):  # not an integer at all: pybind11's message, as before
        m.Chain("ten")
