"""BP2 for every hidden activation of the table (and per layer, and a user's expression), proven and checked."""

from dataclasses import replace

import numpy as np
import pytest
import sympy as sp

from checks import backprop_check
from derive import functions
from derive.backprop import backprop, bp2
from derive.backprop import network
from derive.backprop.derivations import activation_of, equations
from derive.backprop.ground import is_zero
from derive.backprop.rules import derivative_at
from derive.backprop.notation import l, j
from derive.backprop.verify import prove
from derive.errors import UsageError
from derive.steps import Step


@pytest.mark.parametrize("name", list(functions.ACTIVATIONS))
def test_bp2_is_proven_for_every_activation_of_the_table(name):
    derivation = bp2(hidden=name)
    proof = prove(derivation)
    assert proof.passed, [(s.rule, c.method) for s, c in zip(derivation.steps, proof.steps) if not c.verified]
    assert derivation.result.has(*derivative_at(name, l, j).atoms()) and derivation.result.has(sp.Sum)


def test_tanh_bp2_ends_in_one_minus_a_squared_and_relu_in_the_mask():
    from derive.printing import to_text

    assert to_text(bp2(hidden="tanh").result).endswith("·(1 − a^l_j^2)")
    relu = bp2(hidden="relu")
    assert "1[z^l_j > 0]" in to_text(relu.result)
    assert any("relu'(0) = 0" in line for line in relu.assumptions)


def test_a_tanh_chain_that_ends_in_the_sigmoid_derivative_is_refused():
    right = bp2(hidden="tanh")
    wrong_result = bp2(hidden="sigmoid").result
    last = max(p for p, s in enumerate(right.steps) if not s.aside)
    steps = list(right.steps)
    steps[last] = Step(steps[last].rule, wrong_result, steps[last].note)
    proof = prove(replace(right, steps=tuple(steps)))
    assert not proof.passed and not proof.steps[last].verified


@pytest.mark.parametrize("derived, network_activation", [("sigmoid", "tanh"), ("relu", "softplus"), ("tanh", "gelu")])
def test_the_whole_network_route_refuses_another_activations_bp2(derived, network_activation):
    failure = network._check("bp2", bp2(hidden=derived).result, (3, 4, 3), "softmax", "cross-entropy",
                             (network_activation,), (1,), 0)
    assert failure and failure.startswith("BP2 ≠ ∂C/∂z^1")
    assert network._check("bp2", bp2(hidden=network_activation).result, (3, 4, 3), "softmax", "cross-entropy",
                          (network_activation,), (1,), 0) is None


def test_grounding_compares_each_side_of_a_kink():
    z = sp.Symbol("z1_1")
    assert is_zero(sp.diff(sp.Max(0, z), z) - sp.Piecewise((1, z > 0), (0, True)))
    assert not is_zero(sp.Heaviside(z) - 1)
    assert not is_zero(sp.Max(0, z) - z)


def test_one_activation_per_hidden_layer_gives_one_bp2_chain_each():
    derivation = backprop(hidden=("tanh", "relu"))
    found = [activation_of(derivation, e) for e in equations(derivation) if e.name == "bp2"]
    assert found == ["tanh", "relu"]
    assert prove(derivation).passed
    assert any("layer 1: tanh, layer 2: relu" in line for line in derivation.assumptions)


@pytest.mark.parametrize("options, message", [
    ({"sizes": (4, 3, 2), "hidden": ("tanh", "relu")}, "2 --hidden activations for the 1 hidden layer of"),
    ({"hidden": "swish"}, "unknown hidden activation 'swish'"),
])
def test_bad_hidden_options_are_one_line_errors(options, message):
    with pytest.raises(UsageError, match=message):
        backprop(**options)


def test_a_user_expression_in_z_is_a_hidden_activation():
    try:
        derivation = bp2(hidden="z*tanh(z)")
        assert prove(derivation).passed
        assert "z*tanh(z)" in functions.ACTIVATIONS  # registered as a table entry (for this process)
    finally:
        functions.ACTIVATIONS.pop("z*tanh(z)", None)


def test_an_expression_of_a_table_entry_is_that_entry():
    assert activation_of(bp2(hidden="log(1 + exp(z))"), equations(bp2(hidden="log(1 + exp(z))"))[0]) == "softplus"


def test_the_numeric_check_runs_each_layer_with_its_own_activation():
    derivation = backprop(sizes=(5, 4, 3, 2), hidden=("tanh", "relu"))
    assert backprop_check.check_derivation(derivation).passed


def test_the_numeric_check_refuses_sigmoid_equations_on_a_tanh_network():
    sizes = (5, 4, 3)
    params, x, y = backprop_check.problem(sizes)
    programs = backprop_check._programs(backprop())
    (_, sigmoid_bp2), = programs.forms[1]
    swapped = replace(programs, forms=(programs.forms[0], (("tanh", sigmoid_bp2),)) + programs.forms[2:])
    wrong = backprop_check.network_gradients(swapped, sizes, params, x, y, "softmax", ("tanh",))
    right = backprop_check.network_gradients(backprop_check._programs(backprop(hidden="tanh")), sizes, params, x, y,
                                             "softmax", ("tanh",))
    reference, _ = backprop_check.finite_differences(sizes, "softmax", "cross-entropy", 0, ("tanh",))
    assert reference[0].error(right[0]) < 1e-10 < 1e-2 < reference[0].error(wrong[0])


def test_bp1_for_an_identity_output_with_the_quadratic_cost_is_a_minus_y():
    from derive.backprop import bp1
    from derive.printing import to_text

    derivation = bp1(output="identity", cost="quadratic")
    assert prove(derivation).passed and to_text(derivation.result) == "a^L_i − y_i"
    assert backprop_check.check_derivation(backprop(output="identity", cost="quadratic", hidden="tanh")).passed


def test_bp4_with_weight_decay_is_proven_and_checked_and_the_plain_bp4_is_refused_for_it():
    from derive.backprop import bp4
    from derive.printing import to_text

    derivation = bp4(weight_decay=0.01)
    assert prove(derivation).passed and to_text(derivation.result) == "λ·w^l_jk + a^(l−1)_k·δ^l_j"
    assert network._check("bp4", bp4().result, (3, 4, 3), "softmax", "cross-entropy", ("sigmoid",), (), 0, 0.25)
    assert backprop_check.check_derivation(backprop(weight_decay=0.5, hidden="relu")).passed
    programs = backprop_check._programs(backprop())  # BP4 without λ W against the penalized cost
    errors, _, _ = backprop_check._errors(programs.forms, (5, 4, 3), "softmax", "cross-entropy", 0, ("sigmoid",), 0.5)
    assert max(error for name, error in errors if name.startswith("W")) > 1e-3


@pytest.mark.parametrize("value", [-0.1, float("nan"), True])
def test_a_bad_weight_decay_is_a_one_line_error(value):
    with pytest.raises(UsageError, match="weight decay must be a finite number >= 0"):
        backprop(weight_decay=value)
