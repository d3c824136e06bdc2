"""BP1-BP4: what each derivation shows, its results for every output/cost pair, and the options it refuses."""

import pytest
import sympy as sp

from derive.backprop import backprop, bp1, bp2, bp3, bp4, equations
from derive.backprop.notation import EQUIVALENT, NEW_CLAIM, C, L, a, b, delta, i, j, k, l, n, w, y
from derive.derivations import build
from derive.errors import UsageError
from derive.printing import to_latex, to_text
from derive.steps import NOT_EQUAL
from derive.verify import prove

PAIRS = [("softmax", "cross-entropy"), ("softmax", "quadratic"), ("sigmoid", "cross-entropy"), ("sigmoid", "quadratic")]
S_AA = sp.Sum(a[L, j] ** 2, (j, 1, n[L]))
S_AY = sp.Sum(a[L, j] * y[j], (j, 1, n[L]))
BP1_RESULTS = {
    ("softmax", "cross-entropy"): a[L, i] - y[i],
    ("softmax", "quadratic"): a[L, i] * (a[L, i] - y[i] - S_AA + S_AY),
    ("sigmoid", "cross-entropy"): a[L, i] - y[i],
    ("sigmoid", "quadratic"): a[L, i] * (1 - a[L, i]) * (a[L, i] - y[i]),
}


def _rules(derivation):
    return [step.rule for step in derivation.steps]


# ---------------------------------------------------------------------------------------- one per derivation
def test_bp1_softmax_cross_entropy_is_a_minus_y_through_the_general_form():
    derivation = bp1()
    assert derivation.lhs == delta[L, i] and derivation.result == a[L, i] - y[i]
    assert _rules(derivation)[:2] == ["layer-delta-definition", "activation-chain-rule"]
    general = derivation.steps[2]
    assert general.relation == EQUIVALENT and to_text(general.expr) == "δ^L = J^T·∇_a C"
    assert "one-hot" in _rules(derivation)
    assert prove(derivation).passed


def test_bp1_explains_the_element_wise_mistake_with_two_verified_counterexamples():
    derivation, proof = bp1(), prove(bp1())
    wrong = [(step, check) for step, check in zip(derivation.steps, proof.steps) if step.relation == NOT_EQUAL]
    assert [to_text(step.expr) for step, _ in wrong] == ["∂C/∂a^L_i·∂a^L_i/∂z^L_i", "−y_i·(1 − a^L_i)"]
    assert all(step.aside and check.verified and "counterexample confirmed" in check.method for step, check in wrong)
    assert "element-wise form above" in wrong[1][1].method
    assert "always predicts the last label" in wrong[1][0].note


def test_bp2_carries_delta_back_through_z_of_the_next_layer():
    derivation = bp2()
    assert derivation.lhs == delta[l, j]
    assert derivation.result == (sp.Sum(w[l + 1, k, j] * delta[l + 1, k], (k, 1, n[l + 1])) * a[l, j] * (1 - a[l, j]))
    assert "next-layer-chain-rule" in _rules(derivation) and "sigmoid-derivative" in _rules(derivation)
    texts = [to_text(step.expr) for step in derivation.steps if step.relation == EQUIVALENT]
    assert texts == ["δ^l = ((W^(l+1))^T·δ^(l+1)) ⊙ σ'(z^l)", "δ^l = ((W^(l+1))^T·δ^(l+1)) ⊙ a^l ⊙ (1 − a^l)",
                     "Δ^l = ((W^(l+1))^T·Δ^(l+1)) ⊙ A^l ⊙ (1 − A^l)"]
    assert prove(derivation).passed


def test_bp3_the_bias_gradient_is_delta():
    derivation = bp3()
    assert derivation.lhs == sp.Derivative(C, b[l, j]) and derivation.result == delta[l, j]
    texts = [to_text(step.expr) for step in derivation.steps if step.relation == EQUIVALENT]
    assert texts == ["∂C/∂b^l = δ^l", "∂C/∂b^l = 1/m·Δ^l·1_m"]
    assert prove(derivation).passed


def test_bp4_the_weight_gradient_is_a_outer_delta():
    derivation = bp4()
    assert derivation.lhs == sp.Derivative(C, w[l, j, k]) and derivation.result == a[l - 1, k] * delta[l, j]
    texts = [to_text(step.expr) for step in derivation.steps if step.relation == EQUIVALENT]
    assert texts == ["∂C/∂W^l = δ^l·(a^(l−1))^T", "∂C/∂W^l = 1/m·Δ^l·(A^(l−1))^T"]
    assert to_latex(derivation.steps[-1].expr) == (r"\frac{\partial C}{\partial W^{l}} = \frac{1}{m} \Delta^{l} "
                                                   r"\left(A^{l-1}\right)^{T}")
    assert prove(derivation).passed


def test_backprop_is_the_four_chains_each_from_its_own_left_hand_side():
    derivation = backprop()
    claims = [step for step in derivation.steps if step.relation == NEW_CLAIM]
    assert [step.rule for step in claims] == ["bp1", "bp2", "bp3", "bp4"]
    found = equations(derivation)
    assert [e.name for e in found] == ["bp1", "bp2", "bp3", "bp4"]
    assert [e.result for e in found] == [bp1().result, bp2().result, bp3().result, bp4().result]
    assert derivation.lhs == sp.Tuple(*(e.lhs for e in found))
    assert derivation.steps[-1].rule == "collect" and derivation.result == sp.Tuple(*(e.result for e in found))
    proof = prove(derivation)
    assert proof.passed and all(check.verified for check in proof.steps)


# ------------------------------------------------------------------------------------------------ the grid
@pytest.mark.parametrize("output, cost", PAIRS)
def test_every_output_cost_pair_derives_and_proves(output, cost):
    derivation = bp1(output=output, cost=cost)
    assert derivation.result == BP1_RESULTS[(output, cost)]
    assert derivation.definitions["output"] == output
    proof = prove(derivation)
    assert proof.passed, [c.method for c in proof.steps if not c.verified]
    has_counterexample = any(step.relation == NOT_EQUAL for step in derivation.steps)
    assert has_counterexample == (output == "softmax")  # for a sigmoid output the element-wise form is right


def test_sigmoid_cross_entropy_means_the_binary_cross_entropy_and_needs_no_one_hot_target():
    derivation = bp1(output="sigmoid")
    assert derivation.definitions["cost"] == "binary-cross-entropy"
    assert "binary-cross-entropy-gradient" in _rules(derivation) and "one-hot" not in _rules(derivation)
    assert derivation.quantity == -sp.Sum(y[j] * sp.log(a[L, j]) + (1 - y[j]) * sp.log(1 - a[L, j]), (j, 1, n[L]))


def test_sigma_prime_cancels_for_cross_entropy_and_stays_for_the_quadratic_cost():
    assert not bp1(output="sigmoid").result.has(1 - a[L, i])
    assert bp1(output="sigmoid", cost="quadratic").result.has(1 - a[L, i])


@pytest.mark.parametrize("sizes", [None, (784, 30, 10), (2, 3, 3, 2)])
def test_scale_is_K_for_symbolic_sizes_and_the_output_size_otherwise(sizes):
    derivation = backprop(sizes=sizes)
    assert derivation.family == "backprop" and derivation.sizes == sizes
    assert derivation.scale == ("K" if sizes is None else sizes[-1])


def test_concrete_sizes_state_the_shapes():
    derivation = backprop(sizes=(784, 30, 10))
    assert "sizes 784-30-10: L = 2, W^1 is 30×784, W^2 is 10×30" in derivation.assumptions


def test_the_catalogue_builds_them_with_their_options():
    assert build("bp1", None, output="sigmoid", cost="quadratic") == bp1(output="sigmoid", cost="quadratic")
    assert build("backprop", None, sizes=(3, 4, 3)).sizes == (3, 4, 3)
    with pytest.raises(UsageError, match="--output does not apply to bp2"):
        build("bp2", None, output="sigmoid")


# ------------------------------------------------------------------------------------------ bad options
@pytest.mark.parametrize("builder, options, message", [
    (bp1, {"output": "tanh"}, "unknown output 'tanh'; choose one of: softmax, sigmoid"),
    (backprop, {"cost": "hinge"}, "unknown cost 'hinge'; choose one of: cross-entropy, binary-cross-entropy, quadratic"),
    (backprop, {"sizes": (3,)}, "at least 2 layer sizes"),
    (backprop, {"sizes": (3, 0, 2)}, "positive integers"),
    (backprop, {"sizes": (3, 2.5, 2)}, "positive integers"),
    (backprop, {"sizes": (3, 1)}, "softmax output needs at least 2 units"),
    (bp2, {"sizes": (3, 2)}, "bp2 is about hidden layers"),
    (backprop, {"sizes": (10_000, 1_000, 10)}, "parameters; the numeric check takes at most"),
])
def test_bad_options_are_one_line_usage_errors(builder, options, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        builder(**options)
    assert "\n" not in str(raised.value)


def test_a_sigmoid_output_may_have_a_single_unit():
    assert bp1(sizes=(4, 3, 1), output="sigmoid").classes == 1
