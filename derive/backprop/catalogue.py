"""Registers bp1..bp4 and backprop in the catalogue of derivations (imported at the end of derive.derivations)."""

from __future__ import annotations

from derive.backprop.derivations import backprop, bp1, bp2, bp3, bp4
from derive.derivations import Entry, register

__all__: list[str] = []

for _entry in (
    Entry("bp1", "BP1: the output error δ^L = a^L − y, from δ^L = J^T ∇_a C", bp1, ("sizes", "output", "cost"), "backprop"),
    Entry("bp2", "BP2: δ^l = ((W^(l+1))^T δ^(l+1)) ⊙ σ'(z^l)", bp2, ("sizes",), "backprop"),
    Entry("bp3", "BP3: ∂C/∂b^l = δ^l", bp3, ("sizes",), "backprop"),
    Entry("bp4", "BP4: ∂C/∂W^l = δ^l (a^(l−1))^T", bp4, ("sizes",), "backprop"),
    Entry("backprop", "Backpropagation: BP1–BP4 for any depth and layer sizes", backprop, ("sizes", "output", "cost"), "backprop"),
):
    register(_entry)
