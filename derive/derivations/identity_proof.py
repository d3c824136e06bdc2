"""The prover of the family "identity" (equalities of values, not derivatives): each rule replayed, both sides
grounded at K = 2..6 (a concrete derivation at its own K) for every true class t, and compared exactly; after the
one-hot assumption both sides are taken at y_m = δ_mt. The independent route evaluates the definition itself at
each K with a concrete one-hot vector, no rule of the table involved."""

from __future__ import annotations

import sympy as sp

from derive.notation import C, K, a, cross_entropy, softmax_of, t, y, z
from derive.rules import ASSUMPTION, REWRITE, rule
from derive.verify import Proof, StepCheck, expand_sums

__all__ = ["prove", "ground"]

GENERAL_SIZES = (2, 3, 4, 5, 6)


def prove(derivation) -> Proof:
    sizes = GENERAL_SIZES if derivation.classes is None else (derivation.classes,)
    checks, assumed = [], set()
    for position, step in enumerate(derivation.steps):
        kind = rule(step.rule).kind
        if kind == ASSUMPTION:
            assumed.add(step.rule)
        previous = derivation.previous(position)
        if kind not in (REWRITE, ASSUMPTION):
            checks.append(StepCheck(False, f"no verifier for rule kind {kind!r} in this family"))
        elif rule(step.rule).apply(previous, derivation.classes) != step.expr:
            checks.append(StepCheck(False, f"replaying {step.rule} does not give this expression"))
        else:
            checks.append(_grounded(previous, step.expr, sizes, "one-hot-target" in assumed, step.rule))
    return Proof(derivation, tuple(checks), _independent(derivation, sizes))


def ground(expr, n: int, true_class: int, one_hot: bool) -> sp.Expr:
    """expr at K = n, t = true_class: sums written out, a unfolded, y_m = δ_mt after the one-hot step."""
    expr = expr.xreplace({K: n, C: cross_entropy(n)})
    if one_hot:
        expr = expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == y,
                            lambda e: sp.KroneckerDelta(e.indices[0], t))
    expr = expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == a, lambda e: softmax_of(e.indices[0], n))
    return expand_sums(expr).xreplace({t: true_class})


def _grounded(left, right, sizes, one_hot: bool, name: str) -> StepCheck:
    for n in sizes:
        for true_class in range(1, n + 1):
            if not _equal(ground(left, n, true_class, one_hot), ground(right, n, true_class, one_hot)):
                return StepCheck(False, f"{name} replayed, but the sides differ at K={n}, t={true_class}")
    return StepCheck(True, f"{name} replayed; equal when grounded at K={','.join(map(str, sizes))} for every t")


def _independent(derivation, sizes) -> StepCheck:
    for n in sizes:
        for true_class in range(1, n + 1):
            vector = {y[m]: int(m == true_class) for m in range(1, n + 1)}  # the one-hot target as numbers
            definition = ground(derivation.quantity, n, true_class, False).xreplace(vector)
            if not _equal(definition, ground(derivation.result, n, true_class, False).xreplace(vector)):
                return StepCheck(False, f"the definition evaluated at K={n}, t={true_class} differs from the result")
    return StepCheck(True, f"the definition evaluated directly (one-hot target as a vector of numbers) equals the "
                           f"result at K={','.join(map(str, sizes))}")


def _equal(left, right) -> bool:
    if left == right:
        return True
    exponentials = {sp.exp(z[m]): sp.Symbol(f"e{m}", positive=True) for m in range(1, 11)}
    difference = sp.expand_log(sp.together((left - right).xreplace(exponentials)), force=True)
    return sp.simplify(difference) == 0

