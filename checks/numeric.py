"""Finite differences and error measures: the numeric side of every check in this project."""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["TOLERANCES", "COMPLEX_STEP", "central_step", "central_jacobian", "complex_jacobian",
           "normwise_relative_error"]

# Im f(x + ih) / h = f'(x) + O(h²) with no subtraction: any h far below sqrt(eps) gives f' to rounding, and
# 1e-20 keeps h·f' clear of underflow for derivatives down to 1e-280.
COMPLEX_STEP = 1e-20

# Tolerances with their reasons (float64 unless said otherwise).
TOLERANCES = {
    # A derived expression against central differences: the difference's truncation error is O(h²) and its
    # round-off O(eps/h); with h = eps^(1/3) both are about 1e-11 relative, so 1e-7 leaves four digits of
    # room for ill-conditioned points and still fails any wrong formula (they are off by O(1)).
    "derivation": 1e-7,
    # Above this, a derivation's error against central differences (used only when complex step is ruled out)
    # cannot come from the differences' own error (1e-8 at worst, K = 10,000), and any wrong formula is off by
    # O(1): between the two bounds the check cannot decide, and says "inconclusive".
    "derivation-undecided": 1e-4,
    # Complex step against central differences of the same quantity: they agree to the central stencil's accuracy
    # (7e-9 at worst, measured at K = 10,000) when the quantity is complex-analytic; one that drops or mangles
    # imaginary parts differs by O(1). 1e-6 separates the two.
    "complex-agrees": 1e-6,
    # BP1-BP4 on a whole network against complex-step derivatives in every parameter: both sides are exact to
    # a few ulps relative to each tensor's own gradient, at any depth or width (measured ~1e-14 on 784-30-10,
    # ten layers of 2 and 3-10000); 1e-8 leaves six orders of room and fails any wrong equation (off by O(1)).
    "backprop": 1e-8,
}


def central_step(x: np.ndarray) -> np.ndarray:
    """h = eps^(1/5) · max(1, |x|): balances the O(h⁴) truncation of the fourth-order stencil against O(eps/h).

    A second-order stencil (h = eps^(1/3)) is not enough for a cost of size ln K whose gradient entries are of
    size 1/K: at K = 10,000 its round-off alone is about 1e-6 relative.
    """
    return np.finfo(float).eps ** (1 / 5) * np.maximum(1.0, np.abs(x))


def central_jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, coordinates=None) -> np.ndarray:
    """[f(x − 2h e_m) − 8 f(x − h e_m) + 8 f(x + h e_m) − f(x + 2h e_m)] / 12h, stacked along a new first axis.

    The fourth-order central stencil, for m in `coordinates` (default: all).
    """
    x = np.asarray(x, dtype=float)
    coordinates = range(x.size) if coordinates is None else coordinates
    steps = central_step(x)
    rows = []
    for m in coordinates:
        values = []
        for multiple in (-2, -1, 1, 2):
            shifted = x.copy()
            shifted[m] += multiple * steps[m]
            values.append(np.asarray(f(shifted), dtype=float))
        rows.append((values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * steps[m]))
    return np.stack(rows)


def complex_jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, coordinates=None) -> np.ndarray | None:
    """Im f(x + ih e_m) / h with h = COMPLEX_STEP, stacked along a new first axis; None when f is not complex-safe
    (it raises, warns that it discards imaginary parts, or gives a non-finite value)."""
    import warnings

    x = np.asarray(x, dtype=float)
    coordinates = range(x.size) if coordinates is None else coordinates
    rows = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            for m in coordinates:
                shifted = x.astype(complex)
                shifted[m] += 1j * COMPLEX_STEP
                rows.append(np.imag(np.asarray(f(shifted))) / COMPLEX_STEP)
    except (ArithmeticError, TypeError, ValueError, np.exceptions.ComplexWarning):
        return None
    stacked = np.stack(rows)
    return stacked if np.all(np.isfinite(stacked)) else None


def normwise_relative_error(derived: np.ndarray, reference: np.ndarray) -> float:
    """||derived − reference|| / ||reference|| (Frobenius); the absolute error when the reference is zero."""
    derived, reference = np.asarray(derived, dtype=float), np.asarray(reference, dtype=float)
    scale = np.linalg.norm(reference)
    error = np.linalg.norm(derived - reference)
    return float(error / scale) if scale > 0 else float(error)
