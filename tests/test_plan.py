"""The planner: one test per rule it picks, the library's activations planned and proven, the fold into a."""

import dataclasses

import pytest
import sympy as sp

from checks.derivation_check import check_derivation
from derive.expressions import parse_expression, variable
from derive.plan import PlanError, plan_derivation
from derive.render.report import Report
from derive.render.text import plain_text
from derive.steps import Step
from derive.verify import prove

z, a = variable("z"), variable("a")
alpha = sp.Symbol("alpha", positive=True)


def plan(text):
    expr = parse_expression(text, parameters={"alpha": alpha})
    return plan_derivation(expr, id="user", title=text, parameters=(alpha,))


def rules(derivation):
    return [step.rule for step in derivation.steps]


def at(expr, value):
    return expr.xreplace({z: value, alpha: sp.Rational(1, 2)})


@pytest.mark.parametrize("text, rule", [
    ("z + 1", "constant-rule"), ("z", "variable-rule"), ("z + z^2", "sum-terms"), ("3*z^2", "constant-multiple"),
    ("z*exp(z)", "product-rule"), ("z/(1 + z^2)", "quotient-rule"), ("1/(1 + z^2)", "reciprocal-rule"),
    ("z^3", "power-rule"), ("sqrt(1 + z^2)", "sqrt-rule"), ("2^z", "exponential-rule"),
    ("(1 + z^2)^z", "general-power-rule"), ("exp(2*z)", "exp-rule"), ("log(1 + z^2)", "log-rule"),
    ("tanh(z)", "tanh-rule"), ("erf(z)", "erf-rule"), ("sigmoid(z)", "sigmoid-rule"), ("max(0, z)", "max-rule"),
    ("min(0, z)", "min-rule"), ("abs(z)", "abs-rule"),
])
def test_each_rule_is_picked_and_its_step_proven(text, rule):
    derivation = plan(text)
    proof = prove(derivation)
    assert rule in rules(derivation)
    assert proof.passed, [c.method for c in proof.steps if not c.verified]


def test_a_piecewise_definition_is_differentiated_branch_by_branch():
    elu = sp.Piecewise((z, z > 0), (alpha * (sp.exp(z) - 1), True))
    derivation = plan_derivation(elu, id="elu", title="ELU", parameters=(alpha,))
    assert "piecewise-rule" in rules(derivation) and prove(derivation).passed
    assert derivation.result == sp.Piecewise((1, z > 0), (a + alpha, True))


@pytest.mark.parametrize("name, text", [
    ("tanh", "tanh(z)"), ("softplus", "log(1 + exp(z))"), ("elu", "max(0, z) + alpha*(exp(min(0, z)) - 1)"),
    ("gelu", "z/2*(1 + erf(z/sqrt(2)))"), ("gelu-tanh", "z/2*(1 + tanh(sqrt(2/pi)*(z + 0.044715*z^3)))"),
    ("silu", "z*sigmoid(z)"), ("softsign", "z/(1 + abs(z))"), ("leaky-relu", "max(0, z) + 0.01*min(0, z)"),
    ("relu", "max(0, z)"), ("sigmoid", "sigmoid(z)"),
])
def test_the_librarys_activations_are_planned_proven_and_checked(name, text):
    derivation = plan(text)
    proof = prove(derivation)
    assert proof.passed, [c.method for c in proof.steps if not c.verified]
    assert check_derivation(derivation).passed
    reference = sp.diff(derivation.quantity, z)
    for value in (sp.Rational(-3, 2), sp.Rational(7, 10)):  # independent of the prover: SymPy's diff, exactly here
        assert abs(sp.N(at(derivation.result.xreplace({a: derivation.quantity}) - reference, value), 40)) < 1e-30


@pytest.mark.parametrize("text, folded", [
    ("tanh(z)", 1 - a**2),
    ("sigmoid(z)", a * (1 - a)),
    ("log(1 + exp(z))", 1 / (1 + sp.exp(-z))),
    ("max(0, z) + alpha*(exp(min(0, z)) - 1)", sp.Piecewise((a + alpha, z < 0), (1, z > 0), (0, True))),
    ("z/(1 + abs(z))", 1 / (1 + sp.Abs(z))**2),
])
def test_the_result_is_written_in_terms_of_a_where_that_is_simpler(text, folded):
    derivation = plan(text)
    assert derivation.result == folded
    assert rules(derivation)[-1] in ("in-terms-of-a", "sigmoid-form", "abs-fold")


def test_a_form_that_is_not_simpler_keeps_z():
    assert plan("(1 + z^2)^-2").result == -4 * z / (1 + z**2) ** 3


@pytest.mark.parametrize("text, at_kink", [("max(0, z)", 0), ("abs(z)", 0), ("min(0, z)", 0), ("max(z, 3)", 0)])
def test_kinks_follow_the_stated_convention(text, at_kink):
    derivation = plan(text)
    kink = 3 if "3" in text else 0
    assert "kink-convention" in rules(derivation)
    assert any("relu'(0) = 0" in assumption for assumption in derivation.assumptions)
    assert at(derivation.result, kink) == at_kink


def test_every_branch_is_grounded_even_far_from_the_default_points():
    derivation = plan("max(z, 7)")
    wrong = sp.Piecewise((2, z > 7), (0, True))  # the branch above 7 is wrong; the default points stop below 3
    tampered = dataclasses.replace(derivation, steps=derivation.steps + (Step("simplify", wrong, "wrong"),))
    assert not prove(tampered).steps[-1].verified


def test_a_tampered_rewrite_fails_its_replay():
    derivation = plan("tanh(z)")
    position = rules(derivation).index("tanh-rule")
    steps = list(derivation.steps)
    steps[position] = Step("tanh-rule", (1 + sp.tanh(z) ** 2) * sp.Derivative(z, z), "wrong sign")
    check = prove(dataclasses.replace(derivation, steps=tuple(steps))).steps[position]
    assert not check.verified and "replaying tanh-rule" in check.method


def test_a_wrong_algebra_step_fails_grounding_and_the_numbers():
    derivation = plan("tanh(z)")
    wrong = dataclasses.replace(derivation, steps=derivation.steps[:-1] + (Step("in-terms-of-a", 1 - a, "wrong"),))
    proof = prove(wrong)
    assert not proof.steps[-1].verified and not proof.independent.verified
    assert not check_derivation(wrong).passed


def test_a_function_without_a_rule_is_refused_with_one_line():
    with pytest.raises(PlanError, match=r"^no rule in the table differentiates sin\(z\) with respect to z$"):
        plan_derivation(sp.sin(z), id="sin", title="sin")


def test_undeclared_symbols_are_refused():
    with pytest.raises(PlanError, match="neither the variable z nor a declared parameter"):
        plan_derivation(alpha * z, id="x", title="x")


def test_a_planned_derivation_renders_with_every_step_verified():
    derivation = plan("tanh(z)")
    text = plain_text(Report(derivation, prove(derivation), check_derivation(derivation)))
    assert "write in terms of a" in text and "✗" not in text and text.count("✓") == len(derivation.steps) + 2


def d(expr):
    return sp.Derivative(expr, z, evaluate=False)


u = 2 * z  # an inner function, so that each chain rule shows its inner derivative


@pytest.mark.parametrize("name, before, after", [
    ("product-rule", d(z * sp.exp(z)), d(z) * sp.exp(z) + z * d(sp.exp(z))),
    ("power-rule", d((1 + z**2) ** 3), 3 * (1 + z**2) ** 2 * d(1 + z**2)),
    ("sqrt-rule", d(sp.sqrt(1 + z**2)), d(1 + z**2) / (2 * sp.sqrt(1 + z**2))),
    ("exponential-rule", d(2**z), 2**z * sp.log(2) * d(z)),
    ("tanh-rule", d(sp.tanh(u)), (1 - sp.tanh(u) ** 2) * d(u)),
    ("erf-rule", d(sp.erf(u)), 2 / sp.sqrt(sp.pi) * sp.exp(-u**2) * d(u)),
    ("sigmoid-rule", d(1 / (1 + sp.exp(-u))), (1 - 1 / (1 + sp.exp(-u))) / (1 + sp.exp(-u)) * d(u)),
    ("max-rule", d(sp.Max(0, u)), sp.Piecewise((d(u), u > 0), (d(sp.Integer(0)), u < 0))),
    ("abs-rule", d(sp.Abs(z - 1)), sp.Piecewise((d(z - 1), z - 1 > 0), (-d(z - 1), z - 1 < 0))),
    ("kink-convention", sp.Piecewise((1, z > 0), (0, z < 0)), sp.Piecewise((1, z > 0), (0, True))),
    ("kink-convention", sp.Piecewise((1, z > 0), (-1, z < 0)), sp.Piecewise((1, z > 0), (-1, z < 0), (0, True))),
])
def test_rule_rewrites_what_it_names(name, before, after):
    from derive.rules import rule

    assert rule(name).apply(before, None) == after


@pytest.mark.parametrize("name, untouched", [
    ("product-rule", d(3 * z * sp.exp(z))),  # a constant factor is the constant-multiple rule's
    ("product-rule", d(z / (1 + z**2))),  # a fraction of sums is the quotient rule's
    ("power-rule", d(1 / (1 + z**2))),  # 1/v for a sum v is the reciprocal rule's
    ("power-rule", d(sp.sqrt(1 + z**2))),  # √ is the sqrt rule's
])
def test_a_rule_leaves_what_another_rule_takes(name, untouched):
    from derive.rules import rule

    assert rule(name).apply(untouched, None) == untouched


def test_points_where_an_exponent_explodes_are_skipped_not_hung_on():
    derivation = plan("exp(exp(exp(exp(z))))")  # at z = 2.65 the innermost exponents have 1e600000 digits
    proof = prove(derivation)
    assert proof.passed and "skipped" in proof.independent.method


def test_float64_overflow_leaves_points_out_of_the_numeric_check():
    check = check_derivation(plan("exp(z^1000)"))
    assert check.passed and check.points >= 8


def test_a_cost_in_a_positive_variable_is_planned_and_proven_where_it_lives():
    a_positive, y, cost = sp.Symbol("a", positive=True), variable("y"), sp.Symbol("C")
    expr = parse_expression("-y*log(a) + (a - y)^2/2", variables=(a_positive, "y"))
    derivation = plan_derivation(expr, id="cost", title="cost", variable=a_positive, activation_symbol=cost,
                                 parameters=(y,))
    assert derivation.result == -y / a_positive + a_positive - y
    assert prove(derivation).passed and check_derivation(derivation).passed


def test_a_narrow_branch_between_the_default_points_is_grounded():
    derivation = plan("max(0, (z - 1)*(z - 1.5))")  # negative only on (1, 1.5): no default point lies there
    quadratic = (z - 1) * (z - sp.Rational(3, 2))
    wrong = sp.Piecewise((2 * z - sp.Rational(5, 2), quadratic > 0), (1, True))  # 1 instead of 0 inside (1, 1.5)
    tampered = dataclasses.replace(derivation, steps=derivation.steps + (Step("simplify", wrong, "wrong"),))
    assert prove(derivation).passed and not prove(tampered).steps[-1].verified


def test_a_planned_derivation_goes_through_the_json_markdown_and_latex_formats():
    from derive.render.latex import latex_fragment
    from derive.render.markdown import markdown
    from derive.render.structured import show_json

    derivation = plan("max(0, z) + 0.01*min(0, z)")
    report = Report(derivation, prove(derivation), check_derivation(derivation))
    shown = show_json(report)
    assert [step["rule"] for step in shown["steps"]] == rules(derivation)
    assert all(step["verified"] for step in shown["steps"])
    assert "\\begin{cases}" in latex_fragment(report) and "✓ **convention at kinks**" in markdown(report)


def test_grounding_is_relative_so_a_tiny_but_wrong_term_is_caught():
    derivation = plan("exp(-10000*z^2)")  # below 1e-90 at every grounding point
    wrong = dataclasses.replace(derivation, steps=derivation.steps + (Step("simplify", sp.Integer(0), "wrong"),))
    assert prove(derivation).passed and not prove(wrong).steps[-1].verified
