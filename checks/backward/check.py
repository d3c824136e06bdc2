"""check_backward: every intermediate gradient of a hand-written backward pass against directional derivatives.

For each name the learner gives a gradient g for, a seeded Gaussian direction v on that value gives p = <g, v> and
D = D_v L, walking from the loss down: the path through a consumer whose gradient is already judged right runs that
statement alone (the chain rule), any other path re-runs the statements after the name. The name is right when
|p - D| is within the tolerance of checks.backward.tolerance. A first error gets three more directions, measured
path by path, for the cause catalogue (checks.backward.causes).
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np

from checks.backward.causes import Evidence, diagnose
from checks.backward.downstream import Downstream
from checks.backward.probe import derivative, local_probe, probe_value
from checks.backward.program import BackwardError, Program, backward_lines, parse_forward
from checks.backward.report import BackwardReport, NodeResult
from checks.backward.run import Runner
from checks.backward.safety import statement_safety, unsafe_statement
from checks.backward.tolerance import ZERO_FLOOR, rtol_for
from checks.tolerances import dtype_family

__all__ = ["check_backward"]

_METHODS = ("auto", "complex", "central", "richardson")
_CAUSE_PROBES = 3  # a constant factor or a dropped path agrees on 3 independent directions only if it is the cause


def _inputs(inputs) -> Mapping[str, object]:
    value = inputs() if callable(inputs) else inputs
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise BackwardError(f"inputs must be a dict of name -> array (or a function returning one), "
                            f"got {type(value).__name__}")
    for name, array in value.items():  # complex data would make the complex-step probe meaningless
        if array.dtype.kind == "c":
            raise BackwardError(f"inputs[{name!r}] is complex ({np.asarray(array).dtype}): the check needs real arrays")
    return value


def _check_loss(program: Program, values: dict) -> None:
    """The loss at the inputs is one finite real number; anything else has no gradient to check."""
    loss = values[program.loss]
    array = np.asarray(loss) if isinstance(loss, (np.ndarray, np.generic, int, float, complex)) else None
    if array is None or array.size != 1 or not np.issubdtype(array.dtype, np.number):
        shape = f" with shape {array.shape}" if array is not None and array.shape else ""
        raise BackwardError(f"forward must return one real number, but {program.loss} is of type "
                            f"{type(loss).__name__}{shape}")
    if np.iscomplexobj(array) or not np.isfinite(array).all():
        raise BackwardError(f"forward must return a finite real number, but {program.loss} is {array.item()}")


def _copy(value):
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def _gradients(backward: Callable, program: Program, values: dict) -> dict[str, np.ndarray]:
    """The learner's gradients by name, checked against the convention (None means: not given)."""
    returned = backward({name: _copy(value) for name, value in values.items()})  # copies: backward may edit them
    if not isinstance(returned, Mapping):
        raise BackwardError(f"backward must return a dict of name -> gradient, got {type(returned).__name__}")
    gradients = {}
    for name, gradient in returned.items():
        if name not in values:
            raise BackwardError(f"backward returns a gradient for {name!r}, which is not a name of forward "
                                f"(its names: {', '.join(program.names)})")
        if gradient is None:
            continue
        array, value = np.asarray(gradient), np.asarray(values[name])
        if not _is(value, np.inexact):
            raise BackwardError(f"backward returns a gradient for {name!r}, whose value is not a float array")
        if not _is(array, np.number):
            raise BackwardError(f"the gradient backward returns for {name!r} is not an array of numbers")
        if array.dtype.kind == "c":
            raise BackwardError(f"the gradient backward returns for {name!r} is complex ({array.dtype}): "
                                f"return the real gradient")
        gradients[name] = array
    if not gradients:  # a verdict on nothing would read as a pass
        raise BackwardError("backward returns no gradient (an empty dict, or only None): nothing to check")
    return gradients


def _is(array: np.ndarray, kind: type) -> bool:
    """np.issubdtype(array.dtype, kind), without its dtype conversions (it runs for every name)."""
    return issubclass(array.dtype.type, kind)


def _methods(method: str, runner: Runner, names, noted, seed: int) -> tuple[dict[str, str], tuple[str, ...]]:
    """name -> the method that probes it, and notes: complex step where every later statement is complex-safe."""
    if method not in _METHODS:
        raise BackwardError(f"unknown method {method!r} (choose from {', '.join(_METHODS)})")
    if method in ("central", "richardson"):
        return dict.fromkeys(names, method), ()
    verdicts = statement_safety(runner, seed)
    if all(verdict.safe for verdict in verdicts.values()):
        return dict.fromkeys(names, "complex"), ()
    chosen, notes = {}, []
    for name in names:
        unsafe = unsafe_statement(runner.program, name, verdicts)
        chosen[name] = "central" if unsafe else "complex"
        if unsafe and name in noted:
            statement, safety = unsafe
            notes.append(f"{name}: central differences, complex step is not exact at line {statement.line} "
                         f"(`{statement.source}`): {safety.reason}")
    return chosen, tuple(notes)


def check_backward(forward: Callable, backward: Callable, inputs, *, method: str = "auto",
                   seed: int = 0) -> BackwardReport:
    """Check backward(v)'s gradient of every name against forward's loss; the report names the first wrong line."""
    program = parse_forward(forward)
    runner = Runner(program, _inputs(inputs))
    forward_statements = runner.statements_run
    _check_loss(program, runner.values)
    gradients = _gradients(backward, program, runner.values)
    floats = [n for n in program.names if _is(probe_value(runner.values[n]), np.inexact)]
    methods, notes = _methods(method, runner, floats, gradients, seed)
    walk = _Walk(program, runner, gradients, methods, _directions(seed, runner, floats))
    for name in reversed(program.names):  # from the loss down: every consumer is judged before the name it reads
        if name in gradients:
            walk.judge(name)
    first = _first_errors(program, walk.judged)
    # Only a first error is diagnosed: the names below it are wrong because of it.
    causes = {name: walk.causes(name, np.random.default_rng([seed, 1, i])) for i, name in enumerate(first)}
    nodes = _nodes(program, walk.judged, causes, backward_lines(backward) if first else {}, first)
    cost = (runner.statements_run - forward_statements) / max(len(program.statements), 1)
    used = sorted({methods[name] for name in gradients})
    return BackwardReport(nodes, " and ".join(used) or "none", max(walk.rtols.values(), default=0.0),
                          round(cost, 1), first, notes)


def _directions(seed: int, runner: Runner, names: list[str]) -> dict[str, np.ndarray]:
    """One seeded Gaussian direction per float value, drawn in forward order.

    Drawn in one call and cut: the Generator draws normals one by one, so these are the numbers of one call per name.
    """
    shapes = [np.shape(runner.values[name]) for name in names]
    sizes = [math.prod(shape) for shape in shapes]
    drawn = np.random.default_rng(seed).standard_normal(sum(sizes))
    directions, start = {}, 0
    for name, shape, size in zip(names, shapes, sizes):
        directions[name] = drawn[start:start + size].reshape(shape)
        start += size
    return directions


class _Walk:
    """The numbers of one check: D_v L per name, from the paths through its consumers, and the verdicts.

    The path through a consumer t = f(x, ...) whose gradient was judged right is <dL/dt, J v> (one statement runs,
    the chain rule does the rest); through any other consumer the statements after it re-run.
    """

    def __init__(self, program: Program, runner: Runner, gradients: dict, methods: dict, directions: dict):
        self.program, self.runner, self.gradients = program, runner, gradients
        self.methods, self.directions = methods, directions
        family = dtype_family([probe_value(runner.values[name]).dtype for name in gradients])
        rtols = {m: rtol_for(family, m) for m in set(methods.values())}
        self.rtols = {name: rtols[methods[name]] for name in gradients}
        self.numeric: dict[str, float] = {}
        self._below = Downstream(program)
        self.judged: dict[str, tuple[bool, float | None]] = {}

    def right(self, name: str) -> bool:
        judged = self.judged.get(name)
        return judged is not None and judged[0]

    def paths(self, name: str, direction: np.ndarray) -> list[float]:
        """The parts of D_v L flowing through each consumer statement of `name` (one part when it has none)."""
        consumers, method, runner = self.program.consumers(name), self.methods[name], self.runner
        if not consumers:  # the loss itself, or a value nothing reads
            return [derivative(runner, name, direction, method)]
        judged, gradients, local, found = self.judged, self.gradients, None, []
        for statement in consumers:
            verdict = judged.get(statement.target)
            if verdict is not None and verdict[0]:  # right: the chain rule from its gradient, the statement alone
                local = local or local_probe(runner, name, direction, method)
                found.append(local(statement, gradients[statement.target]))
            else:  # the statements after it re-run
                found.append(derivative(runner, name, direction, method, through=statement.index))
        return found

    def derivative(self, name: str) -> float:
        numeric = self.numeric.get(name)
        if numeric is None:
            numeric = self.numeric[name] = float(sum(self.paths(name, self.directions[name])))
            self._below.measured(name, numeric)
        return numeric

    def floor(self, name: str) -> float:
        """ZERO_FLOOR x S, S the largest |D| of the name and of the values computed from it (whose gradients it
        gathers): those already measured, and its direct consumers, measured now if need be."""
        largest = abs(self.derivative(name))
        for statement in self.program.consumers(name):
            if statement.target in self.directions:
                self.derivative(statement.target)
        largest = max(largest, self._below.largest(name))
        return ZERO_FLOOR[self.methods[name]].rtol * largest

    def judge(self, name: str) -> None:
        """(right, error): error = |<g, v> - D| / max(||g||, |D|, floor); None for a wrong shape or inf / nan."""
        gradient = self.gradients[name]
        norm = _norm(gradient) if gradient.shape == _shape(self.runner.values[name]) else None
        # A finite norm means finite entries; an inf norm may still be an overflow of finite ones, so look.
        if norm is None or not (math.isfinite(norm) or np.isfinite(gradient).all()):
            self.judged[name] = (False, None)  # no error can be measured: wrong shape, or inf / nan
            return
        numeric = self.derivative(name)
        difference = abs(float(np.vdot(self.directions[name], gradient).real) - numeric)
        scale = max(norm, abs(numeric), self.floor(name))
        error = difference / scale if scale else 0.0
        self.judged[name] = (bool(error <= self.rtols[name]), error)

    def causes(self, name: str, rng: np.random.Generator):
        """The catalogued causes of a first error, from fresh directions measured path by path."""
        value = probe_value(self.runner.values[name])
        directions = tuple(rng.standard_normal(value.shape) for _ in range(_CAUSE_PROBES))
        paths = np.array([self.paths(name, d) for d in directions])
        right = {n: self.gradients[n] for n in self.judged if self.right(n)}
        evidence = Evidence(self.program, name, value, self.gradients[name], self.program.consumers(name),
                            directions, paths, self.rtols[name], self.floor(name), self.runner.values, right)
        return diagnose(evidence)


def _shape(value) -> tuple[int, ...]:
    """np.shape(value), without its dispatch for an array."""
    return value.shape if type(value) is np.ndarray else np.shape(value)


def _norm(gradient: np.ndarray) -> float:
    """float(np.linalg.norm(gradient)): for float64 its own steps (sqrt of the dot product of the K-order ravel),
    without its checks of the arguments, which cost more than the dot product."""
    if gradient.dtype is not _FLOAT64:
        return float(np.linalg.norm(gradient))
    flat = gradient.ravel(order="K")
    return math.sqrt(flat.dot(flat))


_FLOAT64 = np.dtype(np.float64)


def _nodes(program, judged, causes, lines, first) -> tuple[NodeResult, ...]:
    nodes = []
    for name in reversed(program.names):
        ok, error = judged.get(name, (None, None))
        status = "unchecked" if ok is None else "right" if ok else "wrong"
        follows = tuple(f for f in first if f in program.downstream(name)) if status == "wrong" else ()
        nodes.append(NodeResult(name, program.line_of(name), program.source_of(name), status, error,
                                causes.get(name, ()), lines.get(name, ()), follows))
    return tuple(nodes)


def _first_errors(program: Program, judged: dict) -> tuple[str, ...]:
    """Wrong names whose nearest checked consumers downstream are all right, closest to the loss first."""
    status = {name: "unchecked" if name not in judged else "right" if judged[name][0] else "wrong"
              for name in program.names}

    def checked_below(name: str) -> set[str]:  # the nearest checked names that consume `name`
        found: set[str] = set()
        for statement in program.consumers(name):
            t = statement.target
            found |= {t} if status[t] != "unchecked" else checked_below(t)
        return found

    return tuple(name for name in reversed(program.names)
                 if status[name] == "wrong" and all(status[t] == "right" for t in checked_below(name)))
