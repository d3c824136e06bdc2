"""Directional derivatives of a scalar loss by complex step, central differences and Richardson extrapolation.

A direction is sparse: it lives in one parameter tensor, on a contiguous range of that tensor's flat (C-order) entries.
That is all the checker needs (per-tensor probes, bisection, single coordinates) and it keeps every probe one copy of
one tensor.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

__all__ = ["Probe", "METHODS", "directional", "default_step", "tensor_scale", "complex_safety", "scalar"]

Array = np.ndarray
Loss = Callable[[list[Array]], object]

METHODS = ("complex", "central", "richardson")

# Base steps relative to the parameter scale, with the reason for each.
_BASE_STEP = {
    "complex": 1e-20,  # no cancellation: any tiny h works; 1e-20 puts the O(h^2) error far below eps
    "central": float(np.finfo(np.float64).eps) ** (1 / 3),  # balances h^2 truncation against eps/h rounding
    "richardson": 1e-3,  # first level of the tableau; later levels halve it
}
_BASE_STEP_32 = {"complex": 1e-20, "central": float(np.finfo(np.float32).eps) ** (1 / 3), "richardson": 2e-2}
_RICHARDSON_LEVELS = 4


@dataclass(frozen=True)
class Probe:
    """A direction: `values` on the flat entries [start, stop) of parameter tensor `tensor`, zero elsewhere."""

    tensor: int
    start: int
    stop: int
    values: Array


def scalar(value: object) -> complex:
    """The loss value as a Python complex; a size-1 array is accepted, anything else is an error."""
    array = np.asarray(value)
    if array.size != 1:
        raise ValueError(f"loss(params) must return a scalar, got an array of shape {array.shape}")
    return complex(array.reshape(()))


def tensor_scale(params: Sequence[Array], tensor: int) -> float:
    """The typical size of the entries of one tensor (root mean square), falling back to all parameters, then 1."""
    for array in (params[tensor], np.concatenate([np.ravel(p) for p in params])):
        rms = float(np.sqrt(np.mean(np.abs(array) ** 2))) if np.size(array) else 0.0
        if rms > 0 and np.isfinite(rms):
            return rms
    return 1.0


def default_step(method: str, scale: float, low_precision: bool = False) -> float:
    """The step for a unit-RMS direction: the method's base step times the parameter scale (never below it)."""
    base = (_BASE_STEP_32 if low_precision else _BASE_STEP)[method]
    return base * max(scale, 1e-3) if method == "complex" else base * max(scale, 1e-8)


def _perturbed(params: Sequence[Array], probe: Probe, amount: complex) -> list[Array]:
    """params with `amount * values` added to the probed entries of the probed tensor (one tensor copied)."""
    original = params[probe.tensor]
    dtype = original.dtype
    if amount.imag:
        dtype = np.complex64 if original.dtype in (np.float32, np.complex64) else np.complex128
    changed = np.array(original, dtype=dtype, copy=True)
    flat = changed.reshape(-1)
    flat[probe.start:probe.stop] += (amount * probe.values) if amount.imag else amount.real * probe.values
    out = list(params)
    out[probe.tensor] = changed
    return out


def _complex_step(loss: Loss, params: Sequence[Array], probe: Probe, h: float) -> float:
    """Im L(p + i h v) / h: the directional derivative without subtraction, exact to rounding."""
    return scalar(loss(_perturbed(params, probe, 1j * h))).imag / h


def _central(loss: Loss, params: Sequence[Array], probe: Probe, h: float) -> float:
    """(L(p + h v) - L(p - h v)) / 2h: error O(h^2) plus rounding eps |L| / h."""
    plus = scalar(loss(_perturbed(params, probe, complex(h)))).real
    minus = scalar(loss(_perturbed(params, probe, complex(-h)))).real
    return (plus - minus) / (2 * h)


def _richardson(loss: Loss, params: Sequence[Array], probe: Probe, h: float) -> float:
    """Central differences at h, h/2, h/4, h/8 extrapolated to h -> 0 (the h^2, h^4, h^6 terms cancel)."""
    column = [_central(loss, params, probe, h / 2**k) for k in range(_RICHARDSON_LEVELS)]
    for level in range(1, _RICHARDSON_LEVELS):
        factor = 4.0**level
        column = [(factor * fine - coarse) / (factor - 1) for coarse, fine in zip(column, column[1:])]
    return column[0]


_METHOD_FUNCTIONS = {"complex": _complex_step, "central": _central, "richardson": _richardson}
EVALUATIONS = {"complex": 1, "central": 2, "richardson": 2 * _RICHARDSON_LEVELS}


def directional(loss: Loss, params: Sequence[Array], probe: Probe, method: str, step: float) -> float:
    """D_v L(p) for the probe's direction v by `method` with step `step` (per unit of v)."""
    return _METHOD_FUNCTIONS[method](loss, params, probe, step)


def complex_safety(loss: Loss, params: Sequence[Array], rng: np.random.Generator,
                   low_precision: bool = False) -> tuple[bool, str]:
    """Whether complex step works on this loss: try it along a random direction and compare with central differences.

    The loss is complex-safe when L(p + i h v) returns a finite complex value, raises no error and no ComplexWarning
    (the imaginary part silently dropped), and its derivative agrees with a central difference to a loose 1e-4
    (1e-2 for float32 parameters, where the central difference itself is only that good).
    """
    loose = 1e-2 if low_precision else 1e-4
    for tensor, array in enumerate(params):
        if not np.size(array):
            continue
        probe = Probe(tensor, 0, np.size(array), rng.standard_normal(np.size(array)))
        scale = tensor_scale(params, tensor)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", np.exceptions.ComplexWarning)
                value = _complex_step(loss, params, probe, default_step("complex", scale, low_precision))
        except (TypeError, ValueError, ArithmeticError, np.exceptions.ComplexWarning) as error:
            first = str(error).splitlines()[0] if str(error) else ""
            return False, f"L(p + ih v) failed: {type(error).__name__}: {first}"
        reference = _central(loss, params, probe, default_step("central", scale, low_precision))
        if not np.isfinite(value):
            return False, "L(p + ih v) has a non-finite imaginary part"
        if abs(value - reference) > loose * max(abs(value), abs(reference)) + loose * 1e-3 * scale:
            return False, f"complex step gives {value:.6g} but central differences give {reference:.6g}"
    return True, "L(p + ih v) is finite and agrees with central differences"
