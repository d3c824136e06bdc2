"""The layout convention a document states once: numerator layout, the index ranges, what superscripts mean."""

from __future__ import annotations

__all__ = ["layout_note"]

_OUTPUT = "the Jacobian ∂a/∂z has entry (j, i) = ∂a_j/∂z_i; class indices run over 1..K"
_BACKPROP = ("∂C/∂W^l has the shape of W^l (n_l × n_(l−1)); the indices of layer l run over 1..n_l; "
             "superscripts are layers")


def layout_note(derivations) -> str:
    """One sentence per document, covering the families it holds (empty for a document with none)."""
    from derive.families import family_of

    families = {family_of(derivation) for derivation in derivations}
    if not families:
        return ""
    layered = any(family.layered for family in families)  # the others index classes 1..K
    clauses = ([_OUTPUT] if any(not family.layered for family in families) else ["∂a/∂z has entry (j, i) = ∂a_j/∂z_i"])
    clauses += [_BACKPROP] if layered else []
    return f"Layout convention: numerator layout, so {'; '.join(clauses)}; ∂ always denotes a partial derivative."
