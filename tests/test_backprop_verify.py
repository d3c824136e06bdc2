"""The backprop prover: it passes the derivations, and every kind of wrong step or wrong equation fails it."""

from dataclasses import replace

import pytest
import sympy as sp

from derive.backprop import backprop, bp1, bp2, bp3, bp4
from derive.backprop.ground import frame_for, ground, is_zero
from derive.backprop.network import check_networks
from derive.backprop.notation import C, Had, L, Ones, Statement, Tr, a, delta, i, j, k, l, m, matrix, n, w, y, z
from derive.backprop.verify import prove
from derive.rules import REWRITE, RULES, Rule
from derive.steps import NOT_EQUAL


def _with_step(derivation, position, **changes):
    steps = list(derivation.steps)
    steps[position] = replace(steps[position], **changes)
    return replace(derivation, steps=tuple(steps))


def _position(derivation, rule_name, last=False):
    found = [p for p, step in enumerate(derivation.steps) if step.rule == rule_name]
    return found[-1] if last else found[0]


@pytest.mark.parametrize("builder", [bp1, bp2, bp3, bp4, backprop])
def test_every_step_and_the_independent_route_pass(builder):
    proof = prove(builder())
    assert proof.passed
    assert all(check.verified for check in proof.steps)
    assert "agree" in proof.independent.method and "3-4-3 and 2-3-3-2" in proof.independent.method


def test_rewrite_steps_name_the_sizes_they_were_grounded_at():
    methods = [check.method for check in prove(bp2()).steps]
    assert "next-layer-chain-rule replayed; equal when grounded at (n_l, n_(l+1)) = (2, 3), (3, 2)" in methods


# ------------------------------------------------------------------------------------------ wrong steps
def test_an_expression_the_rule_does_not_give_fails_the_replay():
    derivation = bp4()
    position = _position(derivation, "kronecker-contraction")
    proof = prove(_with_step(derivation, position, expr=a[l - 1, j] * delta[l, k]))
    assert not proof.passed and "replaying kronecker-contraction" in proof.steps[position].method


@pytest.fixture
def wrong_rule():
    """A rewrite that replays but is false: it swaps the unit indices of every weight (a transposition bug)."""

    def swap(expr, classes=None):
        """w^l_jk = w^l_kj   (false)"""
        return expr.replace(lambda e: getattr(e, "base", None) == w, lambda e: w[e.layer, e.units[1], e.units[0]])

    RULES["test-swap-weights"] = Rule("test-swap-weights", "a transposition bug", REWRITE, swap)
    yield swap
    del RULES["test-swap-weights"]


def test_a_false_rule_that_replays_is_caught_by_grounding(wrong_rule):
    derivation = bp2()
    position = _position(derivation, "kronecker-contraction")
    previous = derivation.steps[position].expr
    tampered = _with_step(derivation, position + 1, rule="test-swap-weights", expr=wrong_rule(previous),
                          note="swap")
    check = prove(tampered).steps[position + 1]
    assert not check.verified and "the sides differ" in check.method


def test_an_algebra_step_that_is_not_an_identity_fails():
    derivation = bp1(output="sigmoid")
    position = _position(derivation, "expand", last=True)
    check = prove(_with_step(derivation, position, expr=a[L, i] + y[i])).steps[position]
    assert not check.verified and check.method == "not a rational identity"


def test_a_counterexample_between_equal_sides_is_not_confirmed():
    derivation = bp1()
    position = next(p for p, s in enumerate(derivation.steps) if s.relation == NOT_EQUAL)
    equal = derivation.previous(position)  # the chain's own expression: there is nothing to confirm
    check = prove(_with_step(derivation, position, expr=equal)).steps[position]
    assert not check.verified and "no counterexample" in check.method


def test_a_matrix_form_without_the_transpose_fails():
    derivation = bp2()
    position = _position(derivation, "matrix-form", last=True)
    W, up, al = matrix("W", l + 1, n[l + 1], n[l]), matrix("delta", l + 1, n[l + 1]), matrix("a", l, n[l])
    wrong = Statement(matrix("delta", l, n[l]), Had(sp.MatMul(Tr(Tr(W)), up), al, sp.MatAdd(Ones(n[l], 1), -al)))
    check = prove(_with_step(derivation, position, expr=wrong)).steps[position]
    assert not check.verified


def test_a_mini_batch_form_without_the_mean_fails():
    derivation = bp4()
    position = _position(derivation, "batch-form")
    wrong = Statement(sp.Derivative(C, matrix("W", l, n[l], n[l - 1])),
                      sp.MatMul(matrix("Delta", l, n[l], m), Tr(matrix("A", l - 1, n[l - 1], m))))
    check = prove(_with_step(derivation, position, expr=wrong)).steps[position]
    assert not check.verified and "differs from the index form" in check.method


def test_the_collect_step_rests_on_the_chains():
    derivation = backprop()
    position = _position(derivation, "kronecker-contraction", last=True)
    tampered = _with_step(derivation, position, expr=a[l - 1, j] * delta[l, k])
    proof = prove(tampered)
    assert not proof.steps[-1].verified


# ------------------------------------------------------------------------------------- whole networks
def test_a_wrong_equation_fails_on_whole_networks():
    derivation = bp4()
    swapped = derivation.result.xreplace({j: k, k: j})  # ∂C/∂w^l_jk = a^(l−1)_j δ^l_k: the transposed gradient
    tampered = _with_step(derivation, _position(derivation, "kronecker-contraction"), expr=swapped)
    passed, method = check_networks(tampered)
    assert not passed and "BP4 ≠ ∂C/∂W" in method


def test_a_missing_sigma_prime_fails_on_whole_networks():
    derivation = bp2()
    position = _position(derivation, "sigmoid-derivative")
    without = derivation.steps[position].expr / (a[l, j] * (1 - a[l, j]))
    passed, method = check_networks(_with_step(derivation, position, expr=without))
    assert not passed and "BP2" in method


def test_the_element_wise_output_error_fails_on_whole_networks():
    derivation = bp1()
    position = _position(derivation, "one-hot")
    passed, _ = check_networks(_with_step(derivation, position, expr=-y[i] * (1 - a[L, i])))
    assert not passed


def test_concrete_small_networks_are_compared_themselves():
    passed, method = check_networks(backprop(sizes=(2, 2, 3)))
    assert passed and "2-2-3" in method
    passed, method = check_networks(backprop(sizes=(784, 30, 10)))
    assert passed and "too large for exact arithmetic" in method


# ------------------------------------------------------------------------------------------- grounding
@pytest.mark.parametrize("K", [2, 3, 4])
def test_grounding_differentiates_the_definitions(K):
    frame = frame_for("bp1", (K,), "softmax", "cross-entropy")
    values = ((i, 1),)
    delta_i = sp.Derivative(C, z[L, i])
    assert is_zero(ground(delta_i, frame, values, ("one-hot",)) - ground(a[L, i] - y[i], frame, values, ("one-hot",)))
    assert not is_zero(ground(delta_i, frame, values) - ground(a[L, i] - y[i], frame, values))  # a Σy − y in general
    general = a[L, i] * sp.Sum(y[j], (j, 1, n[L])) - y[i]
    assert is_zero(ground(delta_i, frame, values) - ground(general, frame, values))


def test_the_hidden_frame_leaves_the_rest_of_the_network_arbitrary():
    frame = frame_for("bp2", (2, 3), "softmax", "cross-entropy")
    grounded = ground(delta[l, j], frame, ((j, 1),))
    assert {str(s) for s in grounded.free_symbols} >= {"G_1", "G_2", "G_3"}  # ∂F/∂z^(l+1)_k for an unknown F


# ------------------------------------------------------------------------------------------------ kinks
@pytest.fixture
def flipped_huber():
    """A rewrite that replays but is false: Huber's gradient with its outer branch δ sign(a − y) negated."""

    def flip(expr, classes=None):
        """∂C/∂a_j -> Huber's gradient with −sign(a_j − y_j) outside |a_j − y_j| ≤ δ   (false)"""
        gradient = RULES["huber-gradient"].apply(expr, classes)
        return gradient.replace(lambda e: isinstance(e, sp.sign), lambda e: -e)

    RULES["test-flip-huber"] = Rule("test-flip-huber", "a sign bug in Huber's outer branch", REWRITE, flip)
    yield flip
    del RULES["test-flip-huber"]


def test_softmax_huber_rejects_an_outer_branch_with_the_wrong_sign(flipped_huber):
    derivation = bp1(output="softmax", cost="huber")
    position = _position(derivation, "huber-gradient")
    wrong = flipped_huber(derivation.steps[position - 1].expr)
    assert wrong != derivation.steps[position].expr and wrong.has(-sp.sign(a[L, j] - y[j]))
    tampered = _with_step(derivation, position, rule="test-flip-huber", expr=wrong, note="flip")
    proof = prove(tampered)
    assert not proof.passed
    assert "the sides differ at K = 2, i=1" in proof.steps[position].method


def test_kinks_of_different_units_are_taken_in_every_combination():
    p, q = sp.symbols("p q", real=True)
    inside = lambda r: sp.Piecewise((1, sp.Abs(r) <= 1), (0, True))  # noqa: E731
    outside = lambda r: sp.Piecewise((r, sp.Abs(r) > 1), (0, True))  # noqa: E731
    assert is_zero(p * inside(p) + outside(p) - p + q * inside(q) + outside(q) - q)  # unit by unit
    assert is_zero((inside(p) + inside(q)) ** 2 - inside(p) - inside(q) - 2 * inside(p) * inside(q))  # jointly
    assert not is_zero(inside(p) - inside(q))  # zero whenever p and q are on the same side, not otherwise
    assert not is_zero(inside(p) * inside(q) - inside(p))
