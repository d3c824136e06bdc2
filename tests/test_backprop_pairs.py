"""BP1 for every output/cost pair of the table (derive.functions), by the general route δ^L = J^T ∇_a C."""

from dataclasses import replace

import pytest
import sympy as sp

from checks.backprop_check import check_derivation
from derive import functions
from derive.backprop import bp1
from derive.backprop.notation import L, a, i, n, y
from derive.backprop.verify import prove
from derive.rules import ASSUMPTION, rule

PAIRS = [(o, c) for o in functions.OUTPUTS for c in functions.COSTS if functions.resolve_cost(o, c) == c]


@pytest.mark.parametrize("output, cost", PAIRS)
def test_every_pair_is_proven_step_by_step_and_checked_numerically(output, cost):
    derivation = bp1(sizes=(2, 3, 2), output=output, cost=cost)
    proof = prove(derivation)
    assert proof.passed, [(s.rule, c.method) for s, c in zip(derivation.steps, proof.steps) if not c.verified]
    assert check_derivation(derivation).passed


@pytest.mark.parametrize("output, cost", PAIRS)
def test_the_matrix_form_states_whether_the_output_derivative_cancels(output, cost):
    last = [s for s in bp1(output=output, cost=cost).steps if s.rule == "matrix-form"][-1]
    if (output, cost) not in {("softmax", "cross-entropy"), ("softmax", "quadratic"), ("sigmoid", "quadratic"),
                              ("sigmoid", "binary-cross-entropy"), ("identity", "quadratic")}:  # the general route
        expected = "the output derivative cancels" if functions.pair(output, cost).cancels else "nothing cancels"
        assert last.note.startswith(expected)


def test_label_smoothing_with_softmax_is_a_minus_the_smoothed_target():
    derivation = bp1(output="softmax", cost="label-smoothing")
    target = sp.Rational(9, 10) * y[i] + 1 / (10 * n[L])
    assert sp.simplify(derivation.result - (a[L, i] - target)) == 0
    assert "one-hot" in [s.rule for s in derivation.steps] and "constant-sum" in [s.rule for s in derivation.steps]


def test_huber_states_its_kink_convention_as_a_verified_assumption_step():
    derivation = bp1(output="identity", cost="huber")
    position = [s.rule for s in derivation.steps].index("cost-kink-convention")
    assert rule("cost-kink-convention").kind == ASSUMPTION and not derivation.steps[position].aside
    assert prove(derivation).steps[position].verified


def test_a_wrong_huber_branch_is_caught():
    derivation = bp1(output="identity", cost="huber")
    position = [s.rule for s in derivation.steps].index("huber-gradient")
    step = derivation.steps[position]
    wrong = step.expr.xreplace({sp.sign(a[L, i] - y[i]): 2 * sp.sign(a[L, i] - y[i])})  # δ = 1 doubled outside
    assert wrong != step.expr
    steps = derivation.steps[:position] + (replace(step, expr=wrong),) + derivation.steps[position + 1:]
    assert not prove(replace(derivation, steps=steps)).steps[position].verified


# ----------------------------------------------------------------------------- a cost given as an expression
@pytest.fixture
def shipped_costs():
    """The user's cost is registered in the table for the run; other tests compare with the shipped table."""
    before = dict(functions.COSTS)
    yield
    functions.COSTS.clear()
    functions.COSTS.update(before)


def test_a_cost_in_a_and_y_takes_the_general_route_and_is_checked(shipped_costs):
    derivation = bp1(sizes=(2, 3, 2), output="sigmoid", cost="(a - y)^4/4")
    assert derivation.definitions["cost"] == "(a - y)^4/4" and prove(derivation).passed
    assert check_derivation(derivation).passed
    assert sp.simplify(derivation.result - (a[L, i] - y[i]) ** 3 * a[L, i] * (1 - a[L, i])) == 0


def test_the_quadratic_written_out_is_the_table_entry():
    assert bp1(output="identity", cost="(a - y)^2/2").definitions["cost"] == "quadratic"


@pytest.mark.parametrize("text, message", [("y^2", "does not depend on a"), ("bogus", "unknown cost 'bogus'"),
                                           ("exp(a", "column 6")])
def test_a_bad_cost_is_one_line_exit_2(cli, text, message):
    result = cli("show", "bp1", "--output", "identity", "--cost", text)
    assert result.returncode == 2 and result.stdout == "" and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_relu_network_under_a_cost_with_logs_is_proven_where_exact_and_60_digit_values_meet():
    """relu's whole-network reference runs at 60 digits while the derived BP1 of an identity output is exact: the
    comparison takes both (it raised a TypeError, mixing Fraction and mpf)."""
    from derive.backprop import backprop

    derivation = backprop(hidden=("relu",), output="identity", cost="binary-cross-entropy")
    assert prove(derivation).passed
