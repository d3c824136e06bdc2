"""The numeric check of a derivation: its results against central differences of its definition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

from checks.numeric import TOLERANCES, central_jacobian, complex_jacobian, normwise_relative_error
from derive.families import OUTPUT, family_of
from derive.notation import C, E, K, a, cross_entropy, free_indices, softmax_of, t, y, z
from derive.numeric import numpy_function, padded
from derive.steps import Derivation

__all__ = ["NumericCheck", "check_derivation", "Problem", "problem", "problems", "SAMPLED_COORDINATES"]

POINTS = 3  # seeded random points per checked expression
# A general-K derivation is checked numerically at these K: the smallest, and one past the K = 2..6 at
# which its steps were grounded symbolically, so the numbers add evidence the proof did not already give.
GENERAL_NUMERIC_CLASSES = (2, 7)
SAMPLED_COORDINATES = 64  # above this many classes, differentiate along a seeded sample of the z_m


@dataclass(frozen=True)
class NumericCheck:
    """The largest normwise relative error of the derived expressions against central differences."""

    max_rel_error: float
    points: int
    method: str
    at: str = ""  # where it was checked, in a few characters: "K=3", "K=2,7", "784-30-10 ×16"
    undecided_above: float = 0.0  # errors from the bound up to this cannot be told from the method's own

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.max_rel_error) and self.max_rel_error <= TOLERANCES["derivation"])

    @property
    def verdict(self) -> str:
        """'passed', 'failed', or 'inconclusive' when the error is within what the differences themselves leave."""
        if self.passed:
            return "passed"
        return "inconclusive" if self.max_rel_error <= self.undecided_above else "failed"


# Families of derivations with a numeric checker of their own: family -> module defining check_derivation.


def check_derivation(derivation: Derivation, seed: int = 0, classes: int | None = None) -> NumericCheck:
    """Lambdify the result (and the general form before any assumption) and compare with central differences.

    A general-K derivation is checked at `classes` classes if given, else at each of GENERAL_NUMERIC_CLASSES.
    """
    if family_of(derivation) is not OUTPUT:  # the family's own numeric checker (derive.families)
        return family_of(derivation).check(derivation, seed=seed)
    sizes = _sizes(derivation, classes)
    compared = [_compare(item) for _, item in problems(derivation, seed, classes)]
    errors = [error for error, _ in compared]
    at = "K=" + ",".join(map(str, sizes))
    sampled = max(sizes) > SAMPLED_COORDINATES
    exact = all(complex_step for _, complex_step in compared)
    how = "complex step" if exact else "4th-order central differences"
    why = ("; agrees with 4th-order central differences" if exact else
           "; complex step is ruled out: the definition does not carry imaginary parts")
    method = (f"{how} at {POINTS} seeded points, {at}"
              + (f", {SAMPLED_COORDINATES} sampled coordinates" if sampled else "") + why)
    undecided = 0.0 if exact else TOLERANCES["derivation-undecided"]
    return NumericCheck(max(errors), len(errors), method, at, undecided)


def _compare(item: "Problem") -> tuple[float, bool]:
    """(error, by complex step): complex step when it agrees with central differences, else central differences.

    Complex step has no cancellation, so its error is the derivation's alone at any K.
    """
    central = central_jacobian(item.quantity, item.z0, item.coordinates)
    exact = complex_jacobian(item.quantity, item.z0, item.coordinates)
    if exact is not None and normwise_relative_error(exact, central) <= TOLERANCES["complex-agrees"]:
        return item.compare(exact), True
    return item.compare(central), False


def _checkpoints(derivation: Derivation):
    """(expression, kind of target): the general form with soft targets, and the result under its assumptions."""
    points, one_hot = [], False
    for position, step in enumerate(derivation.steps):
        if step.rule == "one-hot":
            points.append((derivation.previous(position), "soft"))
            one_hot = True
    points.append((derivation.result, "one-hot" if one_hot else "soft"))
    return points


@dataclass(frozen=True)
class Problem:
    """One numeric comparison: the quantity as a function of z, and the derived derivative on the index grid.

    `compare(differences)` takes derivatives of `quantity` along the sampled coordinates (axis 0) and
    returns the normwise relative error of the derived values against them.
    """

    z0: np.ndarray
    quantity: Callable[[np.ndarray], np.ndarray]
    coordinates: np.ndarray
    derived: np.ndarray
    select: Callable[[np.ndarray], np.ndarray]
    mask: np.ndarray

    def compare(self, differences: np.ndarray) -> float:
        reference = self.select(differences)
        return normwise_relative_error(np.broadcast_to(self.derived, reference.shape)[self.mask], reference[self.mask])


def problem(derivation: Derivation, expr: sp.Expr, n: int, targets: str, rng) -> Problem:
    """Set up the comparison of `expr` (a derivative of derivation.quantity) at a seeded random point."""
    z0 = rng.normal(size=n)
    y0 = _one_hot(n, rng) if targets == "one-hot" else _soft_targets(n, rng)
    index = derivation.wrt.indices[0]
    outer = sorted(free_indices(derivation.quantity), key=str)
    grid = sorted(set(free_indices(expr)) | set(outer) | {index}, key=str)
    define_a = derivation.definitions.get(a, _softmax)
    activation = numpy_function(define_a(_m).xreplace({K: n}), [z, _m])
    quantity = numpy_function(_unfold_cost(derivation.quantity, n), [a, y, *outer])
    derived = numpy_function(expr.xreplace({K: n}), [a, z, y, *grid])
    coordinates = _coordinates(n, rng)
    arrays = _grid_arrays(grid, n, index, coordinates)
    outer_arrays = [_all(n)[(...,) + (None,) * (len(outer) - 1 - p)] for p in range(len(outer))]

    def q(z_vector):
        values = quantity(padded(activation(padded(z_vector), _all(n))), padded(y0), *outer_arrays)
        return np.broadcast_to(values, (n,) * len(outer))

    value = derived(padded(activation(padded(z0), _all(n))), padded(z0), padded(y0), *[arrays[g] for g in grid])
    shape = np.broadcast_shapes(*[arrays[g].shape for g in grid])
    return Problem(z0, q, coordinates, np.broadcast_to(value, shape),
                   lambda differences: _select(differences, grid, outer, index, arrays, coordinates),
                   _mask(derivation, grid, arrays, shape))


def problems(derivation: Derivation, seed: int = 0, classes: int | None = None):
    """Every comparison the numeric check makes, in order: (K, Problem)."""
    sizes = _sizes(derivation, classes)
    rng = np.random.default_rng(seed)
    for n in sizes:
        for expr, targets in _checkpoints(derivation):
            for _ in range(POINTS):
                yield n, problem(derivation, expr, n, targets, rng)


def _sizes(derivation: Derivation, classes: int | None) -> tuple[int, ...]:
    chosen = derivation.classes or classes
    return (chosen,) if chosen else GENERAL_NUMERIC_CLASSES


_m = sp.Symbol("m", integer=True, positive=True)


def _one_hot(n: int, rng) -> np.ndarray:
    target = np.zeros(n)
    target[rng.integers(n)] = 1.0
    return target


def _soft_targets(n: int, rng) -> np.ndarray:
    """Positive targets whose total is drawn from [0.5, 2]: Σ y ≠ 1, so a − y alone would be wrong.

    The total stays O(1) like a real (smoothed) target's, which keeps the cost, and so the round-off of its
    differences, O(ln K) rather than O(K ln K).
    """
    weights = rng.uniform(0.05, 1.0, size=n)
    return weights / weights.sum() * rng.uniform(0.5, 2.0)


def _softmax(index):
    return softmax_of(index, None)


def _all(n):
    return np.arange(1, n + 1)


def _coordinates(n: int, rng) -> np.ndarray:
    if n <= SAMPLED_COORDINATES:
        return np.arange(n)
    return np.sort(rng.choice(n, size=SAMPLED_COORDINATES, replace=False))


def _grid_arrays(grid, n, index, coordinates) -> dict:
    """One broadcastable array of 1-based values per grid index; the differentiation index takes the sample."""
    arrays = {}
    for axis, name in enumerate(grid):
        values = coordinates + 1 if name == index else _all(n)
        shape = [1] * len(grid)
        shape[axis] = values.size
        arrays[name] = values.reshape(shape)
    return arrays


def _select(differences, grid, outer, index, arrays, coordinates):
    """The finite differences laid out on the grid: axis 0 of `differences` runs over the sampled coordinates."""
    sample_position = {int(c) + 1: p for p, c in enumerate(coordinates)}
    positions = np.vectorize(sample_position.get)(arrays[index]) if index in arrays else None
    selector = (positions,) + tuple(arrays[o] - 1 for o in outer)
    shape = np.broadcast_shapes(*[arrays[g].shape for g in grid])
    return np.broadcast_to(differences[selector], shape)


def _mask(derivation: Derivation, grid, arrays, shape) -> np.ndarray:
    mask = np.ones(shape, dtype=bool)
    for p, q in derivation.distinct:
        mask &= np.broadcast_to(arrays[p] != arrays[q], shape)
    return mask


def _unfold_cost(quantity: sp.Expr, n: int) -> sp.Expr:
    return quantity.xreplace({C: cross_entropy(None), E: -sp.log(a[t])}).xreplace({K: n})
