"""Generated code against the derivation it came from: equal values at moderate logits, finite at extreme ones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from derive.codegen.module import Function, plan
from derive.notation import K, t, y, z
from derive.numeric import numpy_function, padded
from derive.steps import Derivation

__all__ = ["CodeCheck", "check_generated", "AGREEMENT", "EXTREME_LOGITS"]

# A generated function and the derived expression lambdified as SymPy writes it compute the same closed form in
# float64, only in a different order (the shift m, the hoisted sums); at logits of size 1 they agree to a few ulps.
# 1e-12 normwise leaves two orders of room for K = 10,000 sums and still fails any wrong formula by ten orders.
AGREEMENT = 1e-12
EXTREME_LOGITS = 1000.0  # |z| at which every generated function must still be finite
CHECK_CLASSES = 5  # the class count at which a general-K module is checked


@dataclass(frozen=True)
class CodeCheck:
    """One generated function: its normwise relative error against the derived expression, and finiteness."""

    function: str
    max_rel_error: float
    finite_at_extremes: bool

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.max_rel_error) and self.max_rel_error <= AGREEMENT and self.finite_at_extremes)


def check_generated(module, derivation: Derivation, seed: int = 0, classes: int | None = None) -> tuple[CodeCheck, ...]:
    """Run every function of the generated module at a seeded point and compare with its derived expression."""
    n = derivation.classes or classes or CHECK_CLASSES
    rng = np.random.default_rng(seed)
    return tuple(_check(module, derivation, f, n, rng) for f in plan(derivation))


def _check(module, derivation, f: Function, n: int, rng) -> CodeCheck:
    inputs = _inputs(f, n, rng)
    generated = np.asarray(getattr(module, f.name)(*[inputs[x] for x in f.args]))
    reference = _reference(derivation, f, n, inputs)
    error = np.linalg.norm(generated - reference) / max(np.linalg.norm(reference), np.finfo(float).tiny)
    extreme = {**inputs, "z": inputs["z"] / np.max(np.abs(inputs["z"])) * EXTREME_LOGITS}
    finite = all(np.all(np.isfinite(getattr(module, f.name)(*[point[x] for x in f.args])))
                 for point in (extreme, {**extreme, "z": extreme["z"] - EXTREME_LOGITS}))
    return CodeCheck(f.name, float(error), bool(finite))


def _inputs(f: Function, n: int, rng) -> dict:
    one_hot = any(name == "one-hot" for name, _ in f.assumptions)
    targets = np.eye(n)[rng.integers(n)] if one_hot else rng.uniform(0.05, 1.0, n) * rng.uniform(0.5, 2.0) / n * 2
    return {"z": rng.normal(size=n), "y": targets, "t": int(rng.integers(n))}


def _reference(derivation, f: Function, n: int, inputs: dict) -> np.ndarray:
    """The derived expression (definitions unfolded) lambdified as SymPy writes it, on the grid of its layout."""
    expr = _unfold(f.expr, derivation.definitions).xreplace({K: n})
    function = numpy_function(expr, [z, y, t, *f.layout])
    axes = len(f.layout)
    grid = [np.arange(1, n + 1).reshape([-1 if q == p else 1 for q in range(axes)]) for p in range(axes)]
    value = function(padded(inputs["z"]), padded(inputs["y"]), inputs["t"] + 1, *grid)
    return np.broadcast_to(value, (n,) * len(f.layout))


def _unfold(expr, definitions):
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base in definitions,
                        lambda e: definitions[e.base](e.indices[0]))
