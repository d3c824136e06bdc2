"""The table of functions, entry by entry: each statement an entry makes is checked against an independent route."""

import numpy as np
import pytest
import sympy as sp

from derive import functions
from derive.codegen import load_module
from derive.codegen.activation import (
    KINK_DISTANCE, activation_source, check_activation_module, compiled, compiled_cost, sample_points,
)
from derive.functions import A, KK, Y, Z

ACTIVATIONS = list(functions.ACTIVATIONS)
COSTS = list(functions.COSTS)


def test_the_library_is_the_issues_list():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "leaky-relu", "elu", "softplus", "silu", "gelu",
                                "gelu-tanh", "softsign", "identity"}
    assert list(functions.OUTPUTS) == ["softmax", "sigmoid", "identity"]
    assert set(COSTS) == {"cross-entropy", "binary-cross-entropy", "quadratic", "label-smoothing", "huber"}


def test_parameter_defaults():
    assert functions.activation("leaky-relu").defaults == {"alpha": 0.01}
    assert functions.activation("elu").defaults == {"alpha": 1.0}
    assert functions.cost("label-smoothing").defaults == {"epsilon": 0.1}
    assert functions.cost("huber").defaults == {"delta": 1.0}


@pytest.mark.parametrize("id_", ACTIVATIONS)
def test_derivative_in_a_is_sympys_derivative_away_from_kinks(id_):
    entry = functions.activation(id_)
    exact = sp.diff(entry.expr(), Z)
    for point in sample_points(entry, np.random.default_rng(1), count=6):
        value = sp.Float(point, 30)
        assert abs(float((entry.derivative() - exact).xreplace({Z: value}).evalf(30))) < 1e-25


def test_a_wrong_derivative_in_a_is_caught():
    wrong = functions.Activation("tanh-wrong", "t", "t", definition=sp.tanh(Z), derivative_in_a=1 - A)
    assert abs(float((wrong.derivative() - sp.diff(wrong.expr(), Z)).xreplace({Z: 0.5}))) > 0.1


@pytest.mark.parametrize("id_", ACTIVATIONS)
def test_generated_module_matches_the_definition_and_is_finite(id_):
    module = load_module(activation_source(id_), name=id_)
    checks = check_activation_module(module, id_)
    assert all(check.passed for check in checks), checks


@pytest.mark.parametrize("id_", ACTIVATIONS)
def test_stable_form_passes_a_complex_step(id_):
    """f(z + ih) = f(z) + ih f'(z): the stable numpy form is analytic away from kinks (checks rely on it)."""
    f, derivative = compiled(id_)
    z = sample_points(functions.activation(id_), np.random.default_rng(2), count=8)
    assert np.allclose(np.imag(f(z + 1e-20j)) / 1e-20, derivative(z), rtol=1e-12, atol=1e-14)


def test_kinks_and_conventions():
    relu = functions.activation("relu")
    assert relu.kinks == (0.0,) and "relu'(0) = 0" in relu.convention
    _, derivative = compiled("relu")
    assert derivative(np.array([0.0]))[0] == 0.0  # PyTorch and JAX take 0 at the kink
    _, leaky = compiled("leaky-relu")
    assert leaky(np.array([0.0]))[0] == 0.01
    assert all(abs(p) >= KINK_DISTANCE for p in sample_points(relu, np.random.default_rng(0), 64))


@pytest.mark.parametrize("id_", COSTS)
def test_cost_gradient_is_sympys_derivative(id_):
    entry = functions.cost(id_)
    point = {A: sp.Rational(3, 10), Y: sp.Rational(7, 10), KK: 4}
    assert sp.simplify((entry.grad() - sp.diff(entry.expr(), A)).xreplace(point)) == 0
    far = {A: sp.Rational(5, 2), Y: sp.Rational(-1, 2), KK: 4}  # Huber's linear branch
    assert sp.simplify((entry.grad() - sp.diff(entry.expr(), A)).xreplace(far)) == 0 or id_ in (
        "cross-entropy", "binary-cross-entropy", "label-smoothing")  # ln of a > 1 or < 0: outside their domain


@pytest.mark.parametrize("id_", COSTS)
def test_cost_numpy_form_is_the_definition(id_):
    entry = functions.cost(id_)
    a, y = np.array([0.2, 0.6, 0.9]), np.array([0.0, 1.0, 0.3])
    exact = [float(entry.expr().xreplace({A: sp.Float(p), Y: sp.Float(q), KK: 3})) for p, q in zip(a, y)]
    assert np.allclose(compiled_cost(id_)(a, y, 3), exact, rtol=1e-13)


@pytest.mark.parametrize("output, cost, cancels", [
    ("softmax", "cross-entropy", True), ("sigmoid", "binary-cross-entropy", True), ("identity", "quadratic", True),
    ("softmax", "label-smoothing", True), ("softmax", "quadratic", False), ("sigmoid", "quadratic", False),
    ("identity", "huber", False),
])
def test_pairs_say_whether_the_output_derivative_cancels(output, cost, cancels):
    found = functions.pair(output, cost)
    assert found.cancels is cancels
    assert bool(found.remains) is not cancels


def test_pair_deltas():
    assert functions.pair("sigmoid", "binary-cross-entropy").delta == A - Y
    assert sp.expand(functions.pair("sigmoid", "quadratic").delta - (A - Y) * A * (1 - A)) == 0
    smoothed = functions.pair("softmax", "label-smoothing").delta
    assert sp.simplify(smoothed - (A - (sp.Rational(9, 10) * Y + sp.Rational(1, 10) / KK))) == 0


def test_unknown_names_are_one_line_errors():
    with pytest.raises(ValueError, match="unknown cost 'hinge'; choose one of: cross-entropy"):
        functions.cost("hinge")
    with pytest.raises(ValueError, match="has no parameter 'beta'"):
        functions.activation("elu").expr(beta=2)


def test_register_refuses_a_different_entry_under_a_taken_id():
    with pytest.raises(ValueError, match="already in the table"):
        functions.register(functions.Activation("tanh", "t", "t", definition=Z))


def test_the_readme_table_is_generated_from_the_table():
    from pathlib import Path

    text = Path(__file__).resolve().parents[1].joinpath("README.md").read_text(encoding="utf-8")
    start, end = "<!-- functions: table -->\n", "\n<!-- functions: end -->"
    assert text[text.index(start) + len(start):text.index(end)] == functions.markdown()
