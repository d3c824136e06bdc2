"""The checker's shortcuts give the very numbers of what they replace (the check's verdicts and errors rest on it)."""

import numpy as np
import pytest

from checks import differences
from checks.backward import exercise
from checks.backward.check import _norm
from checks.backward.downstream import Downstream
from checks.backward.probe import scale_of
from checks.backward.program import parse_forward
from conftest import import_file

ARRAYS = [np.random.default_rng(0).standard_normal((32, 64)), np.random.default_rng(1).standard_normal(7) * 1e-200,
          np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32), np.zeros((2, 2)), np.array(3.0),
          np.full(4, 1e300), np.random.default_rng(3).standard_normal((64, 32)).T, np.empty((0, 3)),
          np.random.default_rng(4).standard_normal(9) + 1j * np.random.default_rng(5).standard_normal(9)]


@pytest.mark.parametrize("array", ARRAYS, ids=range(len(ARRAYS)))
def test_scale_of_one_array_is_tensor_scale(array):
    assert scale_of(array) == differences.tensor_scale([array], 0)


@pytest.mark.parametrize("array", [a for a in ARRAYS if a.dtype.kind == "f"], ids=range(8))
def test_norm_is_numpys_bit_for_bit(array):
    with np.errstate(over="ignore"):  # 1e300 squared: both overflow to inf
        assert _norm(array) == float(np.linalg.norm(array))


def _set_based(program, measured: dict, name: str) -> float:
    """What the floor took before: max |D| over the measured names downstream (0.0 for none)."""
    return max([abs(measured[m]) for m in program.downstream(name) if m in measured], default=0.0)


class _Dag:
    """A Program's downstream tables for a random DAG (only what Downstream reads)."""

    def __init__(self, rng: np.random.Generator, size: int):
        self.names = tuple(f"n{i}" for i in range(size))
        reads = {i: set(rng.choice(i, size=rng.integers(0, min(i, 3) + 1), replace=False)) if i else set()
                 for i in range(size)}
        self._consumers = {n: tuple(_Statement(self.names[j]) for j in range(size) if i in reads[j])
                           for i, n in enumerate(self.names)}
        self._downstream = {}
        for n in reversed(self.names):
            targets = [s.target for s in self._consumers[n]]
            self._downstream[n] = frozenset(targets).union(*(self._downstream[t] for t in targets))

    def consumers(self, name):
        return self._consumers[name]

    def downstream(self, name):
        return self._downstream[name]


class _Statement:
    def __init__(self, target):
        self.target = target


def _replay(program, order, rng):
    """Measure names in `order`, asking for S of random names between: the kept S equals the set-based one."""
    below, measured = Downstream(program), {}
    for name in order:
        for asked in rng.choice(program.names, size=3):
            assert below.largest(asked) == _set_based(program, measured, asked), asked
        measured[name] = float(rng.standard_normal() * 10.0 ** rng.integers(-5, 5))
        below.measured(name, measured[name])
    for name in program.names:
        assert below.largest(name) == _set_based(program, measured, name), name


@pytest.mark.parametrize("seed", range(20))
def test_the_kept_maximum_below_a_name_is_the_set_based_one_on_a_random_dag(seed):
    rng = np.random.default_rng(seed)
    program = _Dag(rng, int(rng.integers(2, 30)))
    # a walk from the last name down, with names measured out of order now and then (a consumer measured late)
    order = [n for n in reversed(program.names) if rng.random() < 0.8]
    for _ in range(3):
        order.insert(int(rng.integers(len(order) + 1)), program.names[int(rng.integers(len(program.names)))])
    _replay(program, order, rng)


def test_the_kept_maximum_below_a_name_is_the_set_based_one_on_the_exercise():
    program = parse_forward(exercise.forward)
    _replay(program, list(reversed(program.names)), np.random.default_rng(0))


def _ast_reads(program):
    """What the reads were before they came from the code: the Name nodes under each expression, known so far."""
    import ast

    known, reads = set(program.params), []
    for statement in program.statements:
        reads.append(frozenset({n.id for n in ast.walk(statement.node) if isinstance(n, ast.Name)} & known))
        known.add(statement.target)
    return reads


def test_reads_from_the_code_are_the_names_of_the_expression_on_the_exercise():
    program = parse_forward(exercise.forward)
    assert [s.reads for s in program.statements] == _ast_reads(program)


FORWARD = '''
import numpy as np

def forward(x, w):
    a = x * w
    b = sum(k * a for k in range(3))
    c = (lambda z: z + b)(a) + np.stack([b for _ in range(2)]).sum()
    d = np.sum([v for v in (a, c)], axis=0)
    loss = d.sum()
    return loss
'''


def test_reads_from_the_code_follow_comprehensions_and_nested_lambdas(tmp_path):
    module = import_file(tmp_path / "forward_reads.py", FORWARD)
    program = parse_forward(module.forward)
    assert [sorted(s.reads) for s in program.statements] == [["w", "x"], ["a"], ["a", "b"], ["a", "c"], ["d"]]
    assert [s.reads for s in program.statements] == _ast_reads(program)


def test_one_draw_cut_per_input_is_one_draw_per_input():
    """What _directions and the complex-safety inputs rest on: a Generator's normals do not depend on the calls."""
    shapes = [(32, 10), (), (1, 64), (0, 3), (5,)]
    one = np.random.default_rng([0, 1]).standard_normal(sum(int(np.prod(s)) for s in shapes))
    rng, start = np.random.default_rng([0, 1]), 0
    for shape in shapes:
        size = int(np.prod(shape))
        assert np.array_equal(rng.standard_normal(shape), one[start:start + size].reshape(shape))
        start += size


def test_the_complex_safety_inputs_are_those_drawn_input_by_input():
    from checks.backward.run import Runner
    from checks.backward.safety import _IMAGINARY, _complex_inputs

    inputs = exercise.inputs() | {"b2": np.array(-0.0)}  # a 0-d input (and a negative zero) among them
    runner = Runner(parse_forward(exercise.forward), inputs)
    got, rng = _complex_inputs(runner, 3), np.random.default_rng([3, 1])
    for name, value in inputs.items():  # each float input, in forward order, with its own call
        if value.dtype.kind == "f":
            value = value + 1j * _IMAGINARY * np.abs(value).max(initial=1.0) * rng.standard_normal(value.shape)
        assert type(got[name]) is type(value) and np.array_equal(got[name], value), name
        assert np.array_equal(np.signbit(np.real(got[name])), np.signbit(np.real(value))), name


def test_the_nonlocals_of_forward_are_inspects():
    import inspect

    from checks.backward.program import _nonlocals

    scale = np.ones(3)

    def forward(x):
        y = x * scale
        return y

    class Model:
        def forward(self, x):
            return x

    for function in (forward, exercise.forward, Model().forward):
        assert _nonlocals(function) == inspect.getclosurevars(function).nonlocals
    with pytest.raises(TypeError):
        _nonlocals(len)
