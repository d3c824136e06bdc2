"""Directional derivatives of the loss along a direction on one forward value, by the stencils of checks.differences.

D_v L = d/dt L(x + t v) at t = 0, with x one named value and only the statements after it re-run. With `through`,
the value is changed in one consuming statement only: that is the part of the gradient flowing through it.
"""

from __future__ import annotations

import numpy as np

from checks.backward.run import Runner
from checks.differences import Probe, default_step, directional, tensor_scale

__all__ = ["derivative", "probe_value"]


def probe_value(value: object) -> np.ndarray:
    """The value as a float array that can be perturbed."""
    return np.asarray(value)


def derivative(runner: Runner, name: str, direction: np.ndarray, method: str, through: int | None = None) -> float:
    """D_v L for v = `direction` on the value of `name` (through one statement when `through` is its index)."""
    value = probe_value(runner.values[name])
    low = value.dtype in (np.float32, np.complex64)
    step = default_step(method, tensor_scale([value], 0), low_precision=low)
    probe = Probe(0, 0, value.size, np.ravel(direction))

    def loss(params):
        changed = params[0] if isinstance(runner.values[name], np.ndarray) else params[0].reshape(())[()]
        return runner.loss({name: changed}, only_in=through)

    return directional(loss, [value], probe, method, step)
