"""Directional derivatives of the loss along a direction on one forward value, by the stencils of checks.differences.

D_v L = d/dt L(x + t v) at t = 0, with x one named value and only the statements after it re-run. With `through`,
the value is changed in one consuming statement only: that is the part of the gradient flowing through it.
"""

from __future__ import annotations

import math

import numpy as np

from checks import differences
from checks.backward.run import Runner

__all__ = ["derivative", "local_derivative", "local_probe", "probe_value", "scale_of"]


def probe_value(value: object) -> np.ndarray:
    """The value as a float array that can be perturbed."""
    return np.asarray(value)


def _step(runner: Runner, name: str, value: np.ndarray, method: str) -> float:
    step = runner.steps.get((name, method))
    if step is None:
        low = value.dtype in (np.float32, np.complex64)
        step = runner.steps[name, method] = differences.default_step(method, scale_of(value), low_precision=low)
    return step


def scale_of(value: np.ndarray) -> float:
    """sqrt(<x, x> / size), or 1 when that is 0 or not finite: checks.differences.tensor_scale([x], 0), whose
    generator sums and second pass cost more than the statement a local probe runs (a test holds them equal)."""
    square = abs(np.vdot(value, value)) / value.size if value.size else 0.0
    # np.sqrt of a float64 is IEEE sqrt, as math.sqrt; another dtype (float32) keeps numpy's own rounding.
    rms = math.sqrt(square) if type(square) is np.float64 else float(np.sqrt(square))
    return rms if rms > 0 and math.isfinite(rms) else 1.0


def _directional(loss, runner: Runner, name: str, direction: np.ndarray, method: str) -> float:
    """checks.differences.directional on a loss of the one value of `name`, along `direction`."""
    value = probe_value(runner.values[name])
    step = _step(runner, name, value, method)
    if method == "complex":  # most probes: see _complex_step
        return _complex_step(loss, runner, name, value, direction, step)
    flat = np.ravel(direction)
    # Merge note: the `gradcheck` branch gives checks.differences a Workspace (one working copy perturbed in place)
    # and tuple probes. Both forms are served here until one of them is in main; then this keeps one line.
    if hasattr(differences, "Workspace"):
        work = differences.Workspace([value], complex_step=method == "complex")
        return differences.directional(lambda params: loss(params[0]), work,
                                       differences.single(0, 0, value.size, flat), method, step)
    return differences.directional(lambda params: loss(params[0]), [value], differences.Probe(0, 0, value.size, flat),
                                   method, step)


def _complex_step(loss, runner: Runner, name: str, value: np.ndarray, direction: np.ndarray, step: float) -> float:
    """Im L(x + i h v) / h, the complex step of checks.differences on the one array x, with the same numbers,
    without building a Workspace and a Probe: they cost more than the one statement a local probe runs."""
    return differences.scalar(loss(_perturbed(value, direction, step))).imag / step


def _perturbed(value: np.ndarray, direction: np.ndarray, step: float) -> np.ndarray:
    """x + i h v as checks.differences' Workspace holds it: x in its complex dtype, imaginary part h v."""
    perturbed = value.astype(_COMPLEX.get(value.dtype) or np.result_type(value.dtype, np.complex64))
    perturbed.imag = step * direction
    return perturbed


_COMPLEX = {np.dtype(np.float64): np.dtype(np.complex128)}  # np.result_type costs ~0.5 µs at every probe


def _as_value(runner: Runner, name: str, array: np.ndarray):
    return array if isinstance(runner.values[name], np.ndarray) else array.reshape(())[()]


def local_derivative(runner: Runner, statement, name: str, direction: np.ndarray, method: str,
                     upstream: np.ndarray) -> float:
    """<dL/dt, J v>: the path through one statement t = f(name, ...), from t's gradient (already judged right).

    By the chain rule this is the part of D_v L that flows through the statement; only the statement itself runs.
    """
    return local_probe(runner, name, direction, method)(statement, upstream)


def local_probe(runner: Runner, name: str, direction: np.ndarray, method: str):
    """local_derivative for one name and direction, as a function of (statement, upstream): what does not depend
    on the statement (the value, its step) is looked up once for all the name's consumers."""
    if method == "complex":
        return _local_complex_step(runner, name, direction)

    def local(statement, upstream) -> float:
        weight = upstream if type(upstream) is np.ndarray else np.asarray(upstream)

        def weighted(array):
            return (weight * runner.value_of(statement, name, _as_value(runner, name, array))).sum()

        return _directional(weighted, runner, name, direction, method)

    return local


def _local_complex_step(runner: Runner, name: str, direction: np.ndarray):
    """Im <w, t(x + i h v)> / h = <w, Im t(x + i h v)> / h: complex step reads only the imaginary part of t, so
    for float64 one real dot product gives it (a complex product and sum cost more than the statement)."""
    given = runner.values[name]
    value = given if type(given) is np.ndarray else probe_value(given)
    step = _step(runner, name, value, "complex")
    whole = isinstance(given, np.ndarray)  # else a scalar: the statement gets a complex scalar, as _as_value gives
    value_of = runner.value_of

    def local(statement, upstream) -> float:
        weight = upstream if type(upstream) is np.ndarray else np.asarray(upstream)
        perturbed = _perturbed(value, direction, step)
        out = _imag(value_of(statement, name, perturbed if whole else perturbed.reshape(())[()]))
        if _is_float64(weight.dtype) and _is_float64(out.dtype) and weight.shape == out.shape:
            return float(np.vdot(weight, out)) / step
        return float((weight * out).sum()) / step  # float32 sums pairwise, as the complex sum does

    return local


_FLOAT64 = np.dtype(np.float64)


def _is_float64(dtype: np.dtype) -> bool:
    return dtype is _FLOAT64 or dtype == _FLOAT64  # identity first: it spares a dtype comparison, twice a probe


def _imag(value):
    """np.imag(value) without its dispatch (the same: it reads .imag, converting only what has none)."""
    try:
        return value.imag
    except AttributeError:
        return np.imag(value)


def derivative(runner: Runner, name: str, direction: np.ndarray, method: str, through: int | None = None) -> float:
    """D_v L for v = `direction` on the value of `name` (through one statement when `through` is its index)."""

    def loss(array):
        return runner.loss({name: _as_value(runner, name, array)}, only_in=through)

    return _directional(loss, runner, name, direction, method)
