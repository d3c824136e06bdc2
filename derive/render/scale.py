"""The scale a derivation is shown at, named only where it enters the math: "K = 3", "symbolic K", "sizes 4-3-2"."""

from __future__ import annotations

import sympy as sp

__all__ = ["scale_label", "depends_on_classes"]


def scale_label(derivation) -> str | None:
    """The family's scale ("K = 3", "symbolic K", "sizes 4-3-2", "one unit"); None for a derivation indexed by the
    classes whose math has no sum over them (K does not enter it)."""
    from derive.families import family_of

    family = family_of(derivation)
    if family.by_classes and not depends_on_classes(derivation):
        return None
    return family.scale(derivation)


def depends_on_classes(derivation) -> bool:
    """Whether K shows in the math: a sum over the classes somewhere in the quantity or the steps."""
    expressions = [derivation.lhs, derivation.quantity, *(step.expr for step in derivation.steps)]
    return any(expr is not None and expr.has(sp.Sum) for expr in expressions)
