"""The derivatives of the activations: sigmoid, and the softmax Jacobian on and off its diagonal."""

from __future__ import annotations

import sympy as sp

from derive.derivations._chain import Chain
from derive.notation import a, i, j, sigmoid_of, softmax_denominator, softmax_of, z
from derive.steps import Derivation

__all__ = ["sigmoid", "softmax_diagonal", "softmax_off_diagonal", "softmax_jacobian"]

_SOFTMAX_ASSUMPTIONS = ("a_j = e^{z_j} / Σ_k e^{z_k} (softmax over K classes)", "indices run over 1..K")


def sigmoid(classes: int | None = None) -> Derivation:
    """da_i/dz_i = a_i (1 − a_i) for a_i = 1 / (1 + e^{−z_i})."""
    e = sp.exp(-z[i])
    chain = (Chain(sp.Derivative(a[i], z[i]), classes)
             .apply("sigmoid-definition", "a_i = 1/(1 + e^{−z_i}) depends on z_i alone")
             .apply("reciprocal-rule", "the derivative of 1/v is −v'/v²")
             .apply("sum-rule", "the constant 1 has derivative 0")
             .apply("exp-rule", "chain rule through e^{−z_i}")
             .apply("kronecker-delta", "∂(−z_i)/∂z_i = −1")
             .write("factor", sp.Mul(1 / (1 + e), e / (1 + e), evaluate=False), "split the square of the denominator")
             .write("add-subtract", sp.Mul(1 / (1 + e), sp.Add(1, e, -1, evaluate=False) / (1 + e), evaluate=False),
                    "write e^{−z_i} as 1 + e^{−z_i} − 1")
             .write("expand", sp.Mul(1 / (1 + e), 1 - 1 / (1 + e), evaluate=False), "divide through")
             .apply("sigmoid-fold", "1/(1 + e^{−z_i}) is a_i"))
    return Derivation("sigmoid", "Sigmoid: da/dz = a(1 − a)", chain.steps[0].expr.func(a[i], z[i]), chain.steps,
                      assumptions=("a_i = 1 / (1 + e^{−z_i}) (sigmoid, elementwise)",), classes=classes,
                      definitions={a: sigmoid_of}, wrt=z[i], quantity=a[i])


def _softmax_chain(lhs, classes, delta_note: str) -> Chain:
    """The shared start: definition, quotient rule, sum rule, exp rule, Kronecker delta, contraction."""
    return (Chain(lhs, classes)
            .apply("softmax-definition", "a_j = e^{z_j} / Σ_k e^{z_k}")
            .apply("quotient-rule", "u = e^{z_j}, v = Σ_k e^{z_k}")
            .apply("sum-rule", "differentiate the denominator term by term")
            .apply("exp-rule", "∂e^{z_k}/∂z_i = e^{z_k} ∂z_k/∂z_i")
            .apply("kronecker-delta", delta_note)
            .apply("kronecker-contraction", "only the k = i term of Σ_k e^{z_k} δ_ik survives: e^{z_i}"))


def softmax_jacobian(classes: int | None = None) -> Derivation:
    """∂a_j/∂z_i = a_j (δ_ij − a_i): both cases at once, the split carried by the Kronecker delta."""
    S = softmax_denominator(classes)
    chain = _softmax_chain(sp.Derivative(a[j], z[i]), classes,
                           "∂z_j/∂z_i = δ_ij: 1 when i = j, 0 when i ≠ j — the split into the two cases")
    chain.write("factor", sp.exp(z[j]) * (sp.KroneckerDelta(i, j) * S - sp.exp(z[i])) / S**2, "take out e^{z_j}")
    chain.write("expand", sp.exp(z[j]) / S * (sp.KroneckerDelta(i, j) - sp.exp(z[i]) / S), "divide through by Σ_k e^{z_k}")
    chain.apply("softmax-fold", "e^{z_j}/Σ_k e^{z_k} = a_j and e^{z_i}/Σ_k e^{z_k} = a_i")
    return _softmax_derivation("softmax-jacobian", "Softmax Jacobian: ∂a_j/∂z_i = a_j(δ_ij − a_i)", j, i, chain, classes)


def softmax_diagonal(classes: int | None = None) -> Derivation:
    """∂a_i/∂z_i = a_i (1 − a_i), by the quotient rule."""
    S = softmax_denominator(classes)
    chain = _softmax_chain(sp.Derivative(a[i], z[i]), classes, "∂z_i/∂z_i = 1 and ∂z_k/∂z_i = δ_ik")
    chain.write("factor", sp.exp(z[i]) * (S - sp.exp(z[i])) / S**2, "take out e^{z_i}")
    chain.write("expand", sp.exp(z[i]) / S * (1 - sp.exp(z[i]) / S), "divide through by Σ_k e^{z_k}")
    chain.apply("softmax-fold", "e^{z_i}/Σ_k e^{z_k} = a_i")
    return _softmax_derivation("softmax-diagonal", "Softmax, diagonal: ∂a_i/∂z_i = a_i(1 − a_i)", i, i, chain, classes)


def softmax_off_diagonal(classes: int | None = None) -> Derivation:
    """∂a_j/∂z_i = −a_j a_i for j ≠ i."""
    chain = _softmax_chain(sp.Derivative(a[j], z[i]), classes, "∂z_j/∂z_i = δ_ij and ∂z_k/∂z_i = δ_ik")
    chain.apply("distinct-indices", "j ≠ i, so δ_ij = 0: e^{z_j} does not depend on z_i")
    chain.apply("softmax-fold", "e^{z_j}/Σ_k e^{z_k} = a_j and e^{z_i}/Σ_k e^{z_k} = a_i")
    derivation = _softmax_derivation("softmax-off-diagonal", "Softmax, off the diagonal: ∂a_j/∂z_i = −a_j a_i (j ≠ i)",
                                     j, i, chain, classes)
    return Derivation(**{**derivation.__dict__, "assumptions": derivation.assumptions + ("j ≠ i",),
                         "distinct": ((i, j),)})


def _softmax_derivation(id_, title, out, wrt, chain, classes) -> Derivation:
    return Derivation(id_, title, sp.Derivative(a[out], z[wrt]), chain.steps, assumptions=_SOFTMAX_ASSUMPTIONS,
                      classes=classes, definitions={a: _softmax}, wrt=z[wrt], quantity=a[out])


def _softmax(index):
    return softmax_of(index, None)
