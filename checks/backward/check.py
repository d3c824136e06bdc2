"""check_backward: every intermediate gradient of a hand-written backward pass against directional derivatives.

For each name the learner gives a gradient g for, a seeded Gaussian direction v on that value gives p = <g, v> and
D = D_v L (only the statements after the name re-run); the name is right when |p - D| is within the tolerance of
checks.backward.tolerance. Wrong names get more probes, measured path by path, for the cause catalogue.
"""

from __future__ import annotations

import zlib
from typing import Callable, Mapping

import numpy as np

from checks.backward.causes import Evidence, diagnose
from checks.backward.probe import derivative, probe_value
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
    return value


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
        if not np.issubdtype(value.dtype, np.inexact):
            raise BackwardError(f"backward returns a gradient for {name!r}, whose value is not a float array")
        if not np.issubdtype(array.dtype, np.number) or not np.all(np.isfinite(array)):
            raise BackwardError(f"the gradient backward returns for {name!r} is not an array of finite numbers")
        gradients[name] = array
    return gradients


def _direction(seed: int, name: str, k: int, shape) -> np.ndarray:
    # Seeded by the name, so a name gets the same directions whichever other names are given.
    return np.random.default_rng([seed, zlib.crc32(name.encode()), k]).standard_normal(shape)


def _methods(method: str, runner: Runner, names) -> tuple[dict[str, str], tuple[str, ...]]:
    """name -> the method that probes it, and notes: complex step where every later statement is complex-safe."""
    if method not in _METHODS:
        raise BackwardError(f"unknown method {method!r} (choose from {', '.join(_METHODS)})")
    if method in ("central", "richardson"):
        return dict.fromkeys(names, method), ()
    verdicts = statement_safety(runner, seed=0)
    chosen, notes = {}, []
    for name in names:
        unsafe = unsafe_statement(runner.program, name, verdicts)
        chosen[name] = "central" if unsafe else "complex"
        if unsafe:
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
    gradients = _gradients(backward, program, runner.values)
    methods, notes = _methods(method, runner, gradients)
    family = dtype_family([probe_value(runner.values[name]).dtype for name in gradients])
    rtols = {name: rtol_for(family, methods[name]) for name in gradients}
    numeric = {name: derivative(runner, name, _direction(seed, name, 0, np.shape(runner.values[name])),
                                methods[name]) for name in gradients}
    largest = max([abs(d) for d in numeric.values()] + [0.0])
    floors = {name: ZERO_FLOOR[methods[name]].rtol * largest for name in gradients}
    judged = {name: _judge(name, gradients[name], numeric[name], runner, seed, rtols[name], floors[name])
              for name in gradients}
    right = {name: gradients[name] for name, (ok, _) in judged.items() if ok}
    first = _first_errors(program, judged)
    # Only a first error is diagnosed: the names below it are wrong because of it.
    causes = {name: _causes(program, runner, name, gradients[name], seed, methods[name], rtols[name],
                            floors[name], right) for name in first}
    nodes = _nodes(program, judged, causes, backward_lines(backward), first)
    cost = (runner.statements_run - forward_statements) / max(len(program.statements), 1)
    used = sorted(set(methods.values()))
    return BackwardReport(nodes, " and ".join(used) or method, max(rtols.values(), default=0.0),
                          ZERO_FLOOR[used[-1] if used else "central"].rtol * largest, round(cost, 1), first, notes)


def _judge(name, gradient, numeric, runner, seed, rtol, floor) -> tuple[bool, float | None]:
    """(right, error): error = |<g, v> - D| / max(||g||, |D|, floor); None when the shape is wrong."""
    if gradient.shape != np.shape(runner.values[name]):
        return False, None
    direction = _direction(seed, name, 0, gradient.shape)
    difference = abs(float(np.vdot(direction, gradient).real) - numeric)
    scale = max(float(np.linalg.norm(gradient)), abs(numeric), floor)
    error = difference / scale if scale else 0.0
    return bool(error <= rtol), error


def _causes(program, runner, name, gradient, seed, method, rtol, floor, right):
    value = probe_value(runner.values[name])
    consumers = program.consumers(name)
    directions = tuple(_direction(seed, name, k, value.shape) for k in range(1, _CAUSE_PROBES + 1))
    through = [s.index for s in consumers] or [None]
    paths = np.array([[derivative(runner, name, d, method, through=t) for t in through] for d in directions])
    evidence = Evidence(program, name, value, gradient, consumers, directions, paths, rtol, floor,
                        runner.values, right)
    return diagnose(evidence)


def _nodes(program, judged, causes, lines, first) -> tuple[NodeResult, ...]:
    nodes = []
    for name in reversed(program.names):
        ok, error = judged.get(name, (None, None))
        status = "unchecked" if ok is None else "right" if ok else "wrong"
        follows = tuple(f for f in first if f in _downstream(program, name)) if status == "wrong" else ()
        nodes.append(NodeResult(name, program.line_of(name), program.source_of(name), status, error,
                                causes.get(name, ()), lines.get(name, ()), follows))
    return tuple(nodes)


def _downstream(program: Program, name: str) -> set[str]:
    """Every name computed from `name`, directly or not."""
    found, frontier = set(), [name]
    while frontier:
        for statement in program.consumers(frontier.pop()):
            if statement.target not in found:
                found.add(statement.target)
                frontier.append(statement.target)
    return found


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
