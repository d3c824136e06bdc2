"""The blog's own route to BP1: split Σ_j at j = i, apply the two softmax lemmas, expand and regroup.

The sum without its j = i term, Σ_{j≠i} f_j, is written Σ_j (1 − δ_ij) f_j, so the provers ground it like any
sum; the printers write it Σ_{j≠i} (derive.printing.excluded_term). The rules this route needs beyond the table
are registered here, each with its formula as its docstring.
"""

from __future__ import annotations

import sympy as sp

from derive.derivations._chain import Chain
from derive.notation import a, class_count, cross_entropy, i, j, softmax_of, total, y, z
from derive.printing import excluded_term
from derive.rules import REWRITE, Rule, bottom_up, delta, register
from derive.steps import Derivation, Step

__all__ = ["cross_entropy_split", "split_sum", "softmax_diagonal_lemma", "softmax_off_diagonal_lemma",
           "sum_factor_out"]

_ASSUMPTIONS = ("a_j = e^{z_j} / Σ_k e^{z_k} (softmax over K classes)", "indices run over 1..K",
                "C = −Σ_j y_j ln a_j (cross-entropy)")


def split_sum(expr, classes):
    """Σ_j f(j) = f(i) + Σ_{j≠i} f(j)   (the sum over the classes split at j = i)"""

    def visit(node):
        if not isinstance(node, sp.Sum) or node.limits[0][0] != j or excluded_term(node) is not None:
            return node
        return node.function.xreplace({j: i}) + sp.Sum(node.function * (1 - sp.KroneckerDelta(i, j)), node.limits)

    return bottom_up(expr, visit)


def softmax_diagonal_lemma(expr, classes):
    """∂a_i/∂z_i = a_i(1 − a_i)   (derivation softmax-diagonal)"""
    return expr.replace(lambda e: isinstance(e, sp.Derivative) and e.expr == a[i] and e.variables == (z[i],),
                        lambda e: a[i] * (1 - a[i]))


def softmax_off_diagonal_lemma(expr, classes):
    """∂a_j/∂z_i = −a_j a_i   for j ≠ i, inside Σ_{j≠i} (derivation softmax-off-diagonal)"""

    def visit(node):
        if not isinstance(node, sp.Sum) or excluded_term(node) is None:
            return node
        lemma = node.function.replace(lambda e: isinstance(e, sp.Derivative) and e.expr == a[j]
                                      and e.variables == (z[i],), lambda e: -a[j] * a[i])
        return sp.Sum(lemma, node.limits)

    return bottom_up(expr, visit)


def sum_factor_out(expr, classes):
    """Σ_{j≠i} c·f(j) = c·Σ_{j≠i} f(j)   for c free of j"""

    def visit(node):
        if not isinstance(node, sp.Sum):
            return node
        index = node.limits[0][0]
        constant, rest = [], []
        for factor in sp.Mul.make_args(node.function):
            (rest if factor.has(index) else constant).append(factor)
        if not constant:
            return node
        return sp.Mul(*constant) * sp.Sum(sp.Mul(*rest), node.limits)

    return bottom_up(expr, visit)


for _rule in (Rule("split-sum", "split the sum at j = i", REWRITE, split_sum),
              Rule("softmax-diagonal-lemma", "softmax, diagonal (derivation softmax-diagonal)", REWRITE,
                   softmax_diagonal_lemma),
              Rule("softmax-off-diagonal-lemma", "softmax, off the diagonal (derivation softmax-off-diagonal)",
                   REWRITE, softmax_off_diagonal_lemma),
              Rule("join-sum", "make the sum whole again (the split at j = i, read backwards)", REWRITE, split_sum),
              Rule("sum-factor-out", "take constants out of the sum", REWRITE, sum_factor_out)):
    register(_rule)


def cross_entropy_split(classes: int | None = None) -> Derivation:
    """δ_i = a_i − y_i by the blog's route: the sum split at j = i, each part by its own softmax lemma."""
    chain = (Chain(delta[i], classes)
             .apply("delta-definition", "the error of output unit i is the cost's rate of change in z_i")
             .apply("cross-entropy-definition", "C = −Σ_j y_j ln a_j")
             .apply("sum-rule", "differentiate term by term; y_j does not depend on z")
             .apply("log-rule", "∂ ln a_j/∂z_i = (1/a_j) ∂a_j/∂z_i")
             .apply("split-sum", "the j = i term apart from the others: z_i moves a_i one way, every other a_j "
                                 "the other way")
             .apply("softmax-diagonal-lemma", "∂a_i/∂z_i = a_i(1 − a_i); a_i cancels")
             .apply("softmax-off-diagonal-lemma", "∂a_j/∂z_i = −a_j a_i for j ≠ i; a_j cancels")
             .apply("sum-factor-out", "a_i and the sign do not depend on j"))
    others = sp.Sum(y[j] * (1 - sp.KroneckerDelta(i, j)), (j, 1, class_count(classes)))
    chain.write("expand", -y[i] + a[i] * y[i] + a[i] * others, "multiply out −y_i(1 − a_i)")
    chain.write("factor", a[i] * (y[i] + others) - y[i], "collect the terms in a_i")
    rejoined = a[i] * total(y[j], j, classes) - y[i]
    steps = chain.steps + (Step("join-sum", rejoined, "y_i + Σ_{j≠i} y_j = Σ_j y_j, the sum made whole again: "
                                "cross-entropy-delta's δ_i = a_i Σ_j y_j − y_i, for any target", reverse=True),)
    rest = Chain(steps[-1].expr, classes).apply("one-hot", "a one-hot target has Σ_j y_j = 1")
    return Derivation("cross-entropy-split", "Cross-entropy with softmax, the blog's route: δ_i = a_i − y_i",
                      delta[i], steps + rest.steps, assumptions=_ASSUMPTIONS, classes=classes,
                      definitions={a: _softmax}, wrt=z[i], quantity=cross_entropy(classes))


def _softmax(index):
    return softmax_of(index, None)
