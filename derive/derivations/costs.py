"""The output error of softmax with cross-entropy, by two routes: δ = a Σy − y, and ∂E/∂z = a − e_t."""

from __future__ import annotations

import sympy as sp

from derive.derivations._chain import Chain
from derive.notation import E, a, cross_entropy, i, j, k, softmax_denominator, softmax_of, t, y, z
from derive.rules import delta
from derive.steps import Derivation

__all__ = ["cross_entropy_delta", "negative_log_likelihood", "general_delta"]

_ASSUMPTIONS = ("a_j = e^{z_j} / Σ_k e^{z_k} (softmax over K classes)", "indices run over 1..K")


def _softmax(index):
    return softmax_of(index, None)


def _general_chain(classes: int | None) -> Chain:
    return (Chain(delta[i], classes)
            .apply("delta-definition", "the error of output unit i is the cost's rate of change in z_i")
            .apply("cross-entropy-definition", "C = −Σ_j y_j ln a_j")
            .apply("sum-rule", "differentiate term by term; y_j does not depend on z")
            .apply("log-rule", "∂ ln a_j/∂z_i = (1/a_j) ∂a_j/∂z_i")
            .apply("softmax-jacobian", "every a_j depends on every z_i: use the whole Jacobian; a_j cancels")
            .apply("sum-linearity", "split the sum: Σ_j y_j δ_ij and a_i Σ_j y_j")
            .apply("kronecker-contraction", "only the j = i term of Σ_j y_j δ_ij survives: y_i"))


def general_delta(classes: int | None = None) -> sp.Expr:
    """δ_i = a_i Σ_j y_j − y_i: what holds for any target, soft labels and label smoothing included."""
    return _general_chain(classes).expr


def cross_entropy_delta(classes: int | None = None) -> Derivation:
    """δ_i = ∂C/∂z_i = a_i Σ_j y_j − y_i, and a_i − y_i for a one-hot target."""
    chain = _general_chain(classes)
    chain.apply("one-hot", "a one-hot target (and any target summing to 1) has Σ_j y_j = 1")
    return Derivation("cross-entropy-delta", "Cross-entropy with softmax: δ = a Σ_j y_j − y, = a − y for one-hot y",
                      delta[i], chain.steps, assumptions=_ASSUMPTIONS + ("C = −Σ_j y_j ln a_j (cross-entropy)",),
                      classes=classes, definitions={a: _softmax}, wrt=z[i], quantity=cross_entropy(classes))


def negative_log_likelihood(classes: int | None = None) -> Derivation:
    """∂E/∂z_j = a_j − δ_jt for E = −ln a_t: the other classic route, which lands on the same result."""
    S = softmax_denominator(classes)
    chain = (Chain(sp.Derivative(E, z[j]), classes)
             .apply("nll-definition", "E = −ln a_t, t the true class")
             .apply("sum-rule", "take out the constant −1")
             .apply("log-rule", "∂ ln a_t/∂z_j = (1/a_t) ∂a_t/∂z_j")
             .apply("softmax-definition", "a_t = e^{z_t} / Σ_k e^{z_k}")
             .apply("quotient-rule", "u = e^{z_t}, v = Σ_k e^{z_k}")
             .apply("sum-rule", "differentiate the denominator term by term")
             .apply("exp-rule", "∂e^{z_k}/∂z_j = e^{z_k} ∂z_k/∂z_j")
             .apply("kronecker-delta", "∂z_t/∂z_j = δ_jt and ∂z_k/∂z_j = δ_jk")
             .apply("kronecker-contraction", "only the k = j term of Σ_k e^{z_k} δ_jk survives: e^{z_j}"))
    split = sp.Mul(-1 / a[t], sp.KroneckerDelta(j, t) * sp.exp(z[t]) / S - sp.exp(z[t]) / S * sp.exp(z[j]) / S,
                   evaluate=False)
    chain.write("expand", split, "divide through by (Σ_k e^{z_k})²")
    chain.apply("softmax-fold", "e^{z_t}/Σ_k e^{z_k} = a_t, e^{z_j}/Σ_k e^{z_k} = a_j")
    chain.write("cancel", a[j] - sp.KroneckerDelta(j, t), "a_t cancels")
    chain.aside("kronecker-contraction", _cross_entropy_route(classes), reverse=True,
                note="cross-entropy-delta's a_j Σ_k y_k − y_j at the one-hot target y_k = δ_kt: the routes agree")
    return Derivation("negative-log-likelihood", "Negative log-likelihood: ∂E/∂z_j = a_j − δ_jt (the same result)",
                      sp.Derivative(E, z[j]), chain.steps, assumptions=_ASSUMPTIONS + ("E = −ln a_t, t the true class",),
                      classes=classes, definitions={a: _softmax}, wrt=z[j], quantity=-sp.log(a[t]))


def _cross_entropy_route(classes):
    """The general delta of cross_entropy_delta, renamed to unit j and taken at y_k = δ_kt."""
    general = general_delta(classes)  # a_i Σ_j y_j − y_i
    general = general.replace(lambda e: isinstance(e, sp.Sum), lambda s: sp.Sum(s.function.xreplace({j: k}), (k, *s.limits[0][1:])))
    general = general.xreplace({i: j})
    return general.replace(lambda e: isinstance(e, sp.Indexed) and e.base == y,
                           lambda e: sp.KroneckerDelta(e.indices[0], t))
