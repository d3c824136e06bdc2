"""Directional derivatives of the loss along a direction on one forward value, by the stencils of checks.differences.

D_v L = d/dt L(x + t v) at t = 0, with x one named value and only the statements after it re-run. With `through`,
the value is changed in one consuming statement only: that is the part of the gradient flowing through it.
"""

from __future__ import annotations

import numpy as np

from checks.backward.run import Runner
from checks.differences import Probe, default_step, directional, tensor_scale

__all__ = ["derivative", "local_derivative", "probe_value"]


def probe_value(value: object) -> np.ndarray:
    """The value as a float array that can be perturbed."""
    return np.asarray(value)


def _probe(runner: Runner, name: str, direction: np.ndarray, method: str):
    value = probe_value(runner.values[name])
    if (name, method) not in runner.steps:
        low = value.dtype in (np.float32, np.complex64)
        runner.steps[name, method] = default_step(method, tensor_scale([value], 0), low_precision=low)
    return value, Probe(0, 0, value.size, np.ravel(direction)), runner.steps[name, method]


def _as_value(runner: Runner, name: str, array: np.ndarray):
    return array if isinstance(runner.values[name], np.ndarray) else array.reshape(())[()]


def local_derivative(runner: Runner, statement, name: str, direction: np.ndarray, method: str,
                     upstream: np.ndarray) -> float:
    """<dL/dt, J v>: the path through one statement t = f(name, ...), from t's gradient (already judged right).

    By the chain rule this is the part of D_v L that flows through the statement; only the statement itself runs.
    """
    value, probe, step = _probe(runner, name, direction, method)
    weight = np.asarray(upstream)

    def weighted(params):
        return np.sum(weight * runner.value_of(statement, {name: _as_value(runner, name, params[0])}))

    return directional(weighted, [value], probe, method, step)


def derivative(runner: Runner, name: str, direction: np.ndarray, method: str, through: int | None = None) -> float:
    """D_v L for v = `direction` on the value of `name` (through one statement when `through` is its index)."""
    value, probe, step = _probe(runner, name, direction, method)

    def loss(params):
        return runner.loss({name: _as_value(runner, name, params[0])}, only_in=through)

    return directional(loss, [value], probe, method, step)
