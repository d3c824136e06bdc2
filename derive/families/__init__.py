"""Families of derivations as objects: each says how its derivations are proven, checked, scheduled and scaled.

A derivation names its family (`Derivation.family`); everything that depends on the family asks the object here
instead of comparing the name. Provers and numeric checkers are named by module, imported on first use, so the
core never imports `checks` (the numeric side builds on the core, not the reverse).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

__all__ = ["Family", "FAMILIES", "family_of", "OUTPUT", "BACKPROP", "SCALAR", "UPDATE", "IDENTITY"]


def _classes_scale(derivation) -> str:
    return "symbolic K" if derivation.classes is None else f"K = {derivation.classes}"


def _sizes_scale(derivation) -> str:
    return "sizes " + ("-".join(map(str, derivation.sizes)) if derivation.sizes else "symbolic")


def _unit_scale(derivation) -> str:
    return "one unit"


@dataclass(frozen=True)
class Family:
    """How the derivations of one family are proven, checked numerically and printed at their scale."""

    name: str
    prover: str  # module defining prove(derivation) -> Proof
    checker: str  # module defining check_derivation(derivation, seed=...) -> NumericCheck
    generator: str | None  # module defining generate(found, classes, sizes, command, options) -> source and
    #                        check(module, found, classes, options) -> CodeChecks; None: no code is generated
    scale: Callable  # derivation -> how its scale prints ("K = 3", "sizes 784-30-10", "one unit")
    shares_lemmas: bool = False  # its derivations are proven in one worker (backprop re-uses bp1..bp4's proofs)
    by_classes: bool = False  # indexed by the K classes: the scale is named only where a sum over them appears
    layered: bool = False  # indexed by layers (superscripts are layers): the layout note says so, notes stay linear

    def prove(self, derivation):
        return importlib.import_module(self.prover).prove(derivation)

    def check(self, derivation, seed: int = 0, **options):
        return importlib.import_module(self.checker).check_derivation(derivation, seed=seed, **options)


# The seeds' K-class derivations are the default family: derive.verify and checks.derivation_check prove and check
# them directly (these two modules are where the others are dispatched from).
OUTPUT = Family("output", "derive.verify", "checks.derivation_check", "derive.codegen.module", _classes_scale,
                by_classes=True)
BACKPROP = Family("backprop", "derive.backprop.verify", "checks.backprop_check", "derive.codegen.network",
                  _sizes_scale, shares_lemmas=True, layered=True)
SCALAR = Family("scalar", "derive.pointwise", "checks.scalar_check", "derive.codegen.activation", _unit_scale)
# The seeds' side routes: the gradient-descent update in the Q&A's indices, and identities (Σ a = 1, C_x = −ln a_t).
UPDATE = Family("update", "derive.derivations.qa_update_proof", "checks.update_check", None, _classes_scale,
                by_classes=True)
IDENTITY = Family("identity", "derive.derivations.identity_proof", "checks.identity_check", None, _classes_scale,
                  by_classes=True)
FAMILIES = {f.name: f for f in (OUTPUT, BACKPROP, SCALAR, UPDATE, IDENTITY)}


def family_of(derivation_or_name) -> Family:
    """The family object of a derivation (or of a family name)."""
    name = getattr(derivation_or_name, "family", derivation_or_name)
    if name not in FAMILIES:
        raise KeyError(f"unknown family {name!r}; known: {', '.join(FAMILIES)}")
    return FAMILIES[name]
