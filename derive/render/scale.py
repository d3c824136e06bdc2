"""The scale a derivation is shown at, named only where it enters the math: "K = 3", "symbolic K", "sizes 4-3-2"."""

from __future__ import annotations

import sympy as sp

__all__ = ["scale_label", "depends_on_classes"]


def scale_label(derivation) -> str | None:
    """"K = 3" or "symbolic K" when a sum over the classes appears, the sizes for a network, else None."""
    if derivation.sizes is not None or derivation.family == "backprop":
        return "sizes " + ("-".join(map(str, derivation.sizes)) if derivation.sizes else "symbolic")
    if not depends_on_classes(derivation):
        return None
    return "symbolic K" if derivation.classes is None else f"K = {derivation.classes}"


def depends_on_classes(derivation) -> bool:
    """Whether K shows in the math: a sum over the classes somewhere in the quantity or the steps."""
    expressions = [derivation.lhs, derivation.quantity, *(step.expr for step in derivation.steps)]
    return any(expr is not None and expr.has(sp.Sum) for expr in expressions)
