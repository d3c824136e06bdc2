"""The numeric check of the family "identity": both sides of Σ_i a_i = 1 and C_x = −ln a_t evaluated at seeded
random logits and every true class, K = 2 and 7 (or the derivation's own K)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from checks.derivation_check import NumericCheck
from derive.notation import y, z

__all__ = ["check_derivation"]

POINTS, GENERAL = 3, (2, 7)


def check_derivation(derivation, seed: int = 0) -> NumericCheck:
    from derive.derivations.identity_proof import ground

    rng = np.random.default_rng(seed)
    sizes = GENERAL if derivation.classes is None else (derivation.classes,)
    worst = 0.0
    for n in sizes:
        for _ in range(POINTS):
            values = {z[m]: float(v) for m, v in enumerate(rng.normal(size=n), start=1)}
            true_class = int(rng.integers(1, n + 1))
            values.update({y[m]: float(m == true_class) for m in range(1, n + 1)})
            left = float(sp.N(ground(derivation.quantity, n, true_class, False).xreplace(values)))
            right = float(sp.N(ground(derivation.result, n, true_class, False).xreplace(values)))
            worst = max(worst, abs(left - right) / max(abs(left), 1e-300))
    at = "K=" + ",".join(map(str, sizes))
    return NumericCheck(worst, POINTS * len(sizes), f"both sides evaluated at {POINTS} seeded points, {at}", at)
