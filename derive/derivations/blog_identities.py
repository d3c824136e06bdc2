"""Two facts the blog uses, each its own derivation: Σ_i a_i = 1 (its Σ/Σ step), and C_x = −ln a_t from the
one-hot target (taken as a step, not assumed). Family "identity": they equate values, not derivatives, so their
prover (derive.derivations.identity_proof) grounds both sides at K = 2..6, and checks.identity_check evaluates
them at seeded random logits.
"""

from __future__ import annotations

import sympy as sp

from derive.derivations import blog_route  # noqa: F401  registers sum-factor-out, a step of Σ_i a_i = 1
from derive.notation import C, a, cross_entropy, i, k, softmax_of, t, total, y
from derive.rules import ASSUMPTION, REWRITE, Rule, bottom_up, register
from derive.steps import Derivation, Step

__all__ = ["softmax_sums_to_one", "cross_entropy_one_hot"]


def softmax_unfold(expr, classes):
    """a_m = e^{z_m} / Σ_k e^{z_k}   (anywhere, not only inside a derivative)"""
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == a,
                        lambda e: softmax_of(e.indices[0], classes))


def rename_index(expr, classes):
    """Σ_i f(i) = Σ_k f(k)   (a summation index is a dummy: renamed, the sum is the same)"""

    def visit(node):
        if not isinstance(node, sp.Sum) or node.limits[0][0] != i:
            return node
        (_, low, high), = node.limits
        return sp.Sum(node.function.xreplace({i: k}), (k, low, high))

    return bottom_up(expr, visit)


def cost_definition(expr, classes):
    """C = −Σ_j y_j ln a_j   (cross-entropy)"""
    return expr.xreplace({C: cross_entropy(classes)})


def one_hot_target(expr, classes):
    """y_j = δ_jt   (the one-hot target of the true class t)"""
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == y,
                        lambda e: sp.KroneckerDelta(e.indices[0], t))


for _rule in (Rule("softmax-unfold", "definition of a (softmax)", REWRITE, softmax_unfold),
              Rule("rename-index", "rename the summation index", REWRITE, rename_index),
              Rule("cost-definition", "definition of C (cross-entropy)", REWRITE, cost_definition),
              Rule("one-hot-target", "assumption: y is the one-hot target of class t", ASSUMPTION, one_hot_target)):
    register(_rule)


def _steps(lhs, classes, *moves) -> tuple[Step, ...]:
    from derive.rules import rule

    steps, expr = [], lhs
    for name, note in moves:
        expr = rule(name).apply(expr, classes)
        steps.append(Step(name, expr, note))
    return tuple(steps)


def softmax_sums_to_one(classes: int | None = None) -> Derivation:
    """Σ_i a_i = Σ_i e^{z_i} / Σ_k e^{z_k} = 1: the softmax outputs are a probability distribution."""
    lhs = total(a[i], i, classes)
    steps = _steps(lhs, classes,
                   ("softmax-unfold", "a_i = e^{z_i} / Σ_k e^{z_k}"),
                   ("sum-factor-out", "the denominator does not depend on i: Σ_i e^{z_i} / Σ_k e^{z_k}"),
                   ("rename-index", "Σ_i e^{z_i} is Σ_k e^{z_k}: numerator and denominator are the same sum"))
    return Derivation("softmax-sums-to-one", "Softmax outputs sum to 1: Σ_i a_i = 1", lhs, steps,
                      assumptions=("a_j = e^{z_j} / Σ_k e^{z_k} (softmax over K classes)", "indices run over 1..K"),
                      classes=classes, family="identity", quantity=lhs)


def cross_entropy_one_hot(classes: int | None = None) -> Derivation:
    """C_x = −Σ_j y_j ln a_j = −ln a_t for the one-hot target y_j = δ_jt."""
    steps = _steps(C, classes,
                   ("cost-definition", "the cross-entropy of one example x"),
                   ("one-hot-target", "y_j = δ_jt: 1 for the true class t, 0 for every other class"),
                   ("kronecker-contraction", "only the j = t term survives"))
    return Derivation("cross-entropy-one-hot", "Cross-entropy of a one-hot target: C_x = −ln a_t", C, steps,
                      assumptions=("C = −Σ_j y_j ln a_j (cross-entropy)", "y_j = δ_jt, t the true class"),
                      classes=classes, family="identity", quantity=C)
