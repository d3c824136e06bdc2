"""The numeric check of a derivation in one real variable: its result against central differences of f(z)."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from checks.derivation_check import NumericCheck
from checks.numeric import central_jacobian, central_step, normwise_relative_error
from derive.pointwise import KINK_DISTANCE, grounded, grounding_points, kink_functions, parameter_values
from derive.steps import Derivation

__all__ = ["check_derivation", "POINTS", "RANGE"]

POINTS = 8  # seeded random points away from every kink (see _points)
RANGE = 4.0  # points are drawn from [-RANGE, RANGE]
_CANDIDATES = 256
# Functions NumPy lacks, vectorized from math (only expressions built by derive reach here, never user text).
_MODULES = [{"erf": np.vectorize(math.erf, otypes=[float])}, "numpy"]


def check_derivation(derivation: Derivation, seed: int = 0) -> NumericCheck:
    """Max normwise relative error of the result (a = f(z) substituted) against 4th-order central differences of f."""
    z = derivation.wrt
    f = _function(derivation.quantity.xreplace(parameter_values(derivation)), z)
    derived = _function(grounded(derivation, derivation.result), z)
    with np.errstate(all="ignore"):  # float64 overflow (exp(z^1000)) leaves points out
        points = _points(derivation, seed, lambda x: np.isfinite(f(x)) & np.isfinite(derived(x)))
        reference, claimed = np.diag(central_jacobian(f, points)), derived(points)
    finite = np.isfinite(reference)
    points, reference, claimed = points[finite], reference[finite], claimed[finite]
    if len(points) < POINTS:
        return NumericCheck(float("inf"), len(points), f"too few points away from kinks where f and the result are "
                                                       f"finite in float64 ({len(points)} of {POINTS} needed)", "z")
    # A claimed derivative of 0 (a constant) has no scale of its own: the differences must vanish to 1e-7 absolutely.
    error = (float(np.linalg.norm(reference)) if not claimed.any() else normwise_relative_error(claimed, reference))
    where = f"{z} in [{0.05 if z.is_positive else -RANGE:g}, {RANGE:g}]"
    method = (f"4th-order central differences at {len(points)} points (the proof's and {POINTS} seeded in {where}), "
              "away from kinks")
    return NumericCheck(error, len(points), method, where)


def _function(expr: sp.Expr, z: sp.Symbol):
    """expr as an elementwise numpy function of z (a constant broadcast to z's shape)."""
    function = sp.lambdify([z], expr, modules=_MODULES)
    return lambda x: np.broadcast_to(np.asarray(function(x), dtype=float), np.shape(x))


def _points(derivation: Derivation, seed: int, finite) -> np.ndarray:
    """The proof's points (both sides of every kink) and POINTS seeded ones, each where `finite` holds and every kink
    function is at least KINK_DISTANCE from 0 and keeps its sign over the stencil."""
    z = derivation.wrt
    proof_points = np.array([float(p) for p in grounding_points(derivation)])
    low = 0.05 if z.is_positive else -RANGE  # a variable declared positive is checked where it lives
    random = np.random.default_rng(seed).uniform(low, RANGE, _CANDIDATES)
    candidates = np.concatenate([proof_points, random])
    keep = finite(candidates)
    reach = 3 * central_step(candidates)  # beyond the stencil's x ± 2h
    for kink in kink_functions(derivation):
        at = _function(kink, z)
        values = [at(x) for x in (candidates - reach, candidates, candidates + reach)]
        keep &= (np.abs(values[1]) >= float(KINK_DISTANCE)) & (np.sign(values[0]) == np.sign(values[2]))
    return np.concatenate([proof_points[keep[:len(proof_points)]], random[keep[len(proof_points):]][:POINTS]])
