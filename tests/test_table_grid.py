"""A grid generated from the table: every activation is derived, proven, checked numerically and as generated code;
and an activation registered here, in the test, gets all of that and check_hidden_delta with no other change."""

import numpy as np
import pytest
import sympy as sp

import checks
from checks.derivation_check import check_derivation
from derive import functions
from derive.codegen import load_module
from derive.codegen.activation import activation_source, check_activation_module, compiled
from derive.derivations import build, entry, ids
from derive.functions import A, Z
from derive.verify import prove

MISH = functions.Activation(
    "mish", "Mish", "mish(z) = z tanh(softplus(z))", definition=Z * sp.tanh(sp.log(1 + sp.exp(Z))),
    numpy="z * numpy.tanh(_softplus(z))")


@pytest.fixture
def mish():
    functions.register(MISH)
    try:
        yield MISH
    finally:
        functions.ACTIVATIONS.pop(MISH.id)


@pytest.mark.parametrize("id_", list(functions.ACTIVATIONS))
def test_every_activation_is_derived_proven_and_checked(id_):
    derivation = build(id_)
    proof = prove(derivation)
    assert proof.passed, [(s.rule, c.method) for s, c in zip(derivation.steps, proof.steps) if not c.verified]
    assert check_derivation(derivation).passed
    module = load_module(activation_source(id_, derivation), name=id_.replace("-", "_"))
    assert all(check.passed for check in check_activation_module(module, id_))


# sigmoid keeps the seeds' hand-written route (indexed a_i); its a(1 − a) is checked in test_derivations.
@pytest.mark.parametrize("id_", [name for name, e in functions.ACTIVATIONS.items()
                                 if e.derivative_in_a is not None and name != "sigmoid"])
def test_the_derivation_ends_where_the_table_says(id_):
    """The planned result, with a := f(z), is the table's derivative (both as functions of z, off the kinks)."""
    found = functions.activation(id_)
    result = build(id_).result.xreplace({A: found.expr()})
    for point in (-2.5, -0.7, 0.4, 1.9):
        assert abs(float((result - found.derivative()).xreplace({Z: sp.Float(point, 30)}).evalf(30))) < 1e-20


def test_a_wrong_derivation_result_fails_the_proof():
    derivation = build("tanh")
    from derive.steps import Derivation, Step

    last = derivation.steps[-1]
    wrong = Derivation(**{**derivation.__dict__,
                          "steps": derivation.steps[:-1] + (Step(last.rule, 1 - A, last.note),)})
    assert not prove(wrong).passed


def test_a_registered_activation_gets_everything_with_no_other_change(mish):
    assert "mish" in ids() and entry("mish").function is mish
    derivation = build("mish")
    assert prove(derivation).passed
    assert check_derivation(derivation).passed
    module = load_module(activation_source("mish", derivation), name="mish")
    assert all(check.passed for check in check_activation_module(module, "mish"))
    f, derivative = compiled("mish")
    good = checks.check_hidden_delta(lambda z, u: u * derivative(z), activation="mish")
    assert good.passed
    wrong = checks.check_hidden_delta(lambda z, u: u * derivative(f(z)), activation="mish")
    assert not wrong.passed and wrong.mistakes[0].id == "activation-derivative-of-activation"


def test_list_json_names_the_library(cli):
    import json

    result = cli("list", "--format", "json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert set(found) == {"derivations", "activations", "outputs", "costs"}
    assert found["activations"] == list(functions.ACTIVATIONS)
    assert found["outputs"] == ["softmax", "sigmoid", "identity"]
    assert found["costs"] == list(functions.COSTS)
    assert {"id": "tanh", "title": entry("tanh").title} in found["derivations"]
    assert all(set(d) == {"id", "title"} for d in found["derivations"])


@pytest.mark.parametrize("args, message", [
    (["show", "sigmod"], "derive: error: unknown derivation 'sigmod'; did you mean sigmoid?\n"),
    (["check", "tanhh"], "derive: error: unknown derivation 'tanhh'; did you mean tanh?\n"),
    (["codegen", "relu", "--classes", "3"], "derive: error: --classes does not apply to the activation relu: it acts on one unit\n"),
])
def test_bad_ids_are_one_line_exit_2(cli, args, message):
    result = cli(*args)
    assert (result.returncode, result.stderr, result.stdout) == (2, message, "")


@pytest.mark.parametrize("args", [["show", "tanh"], ["show", "log(1 + exp(z))"], ["check", "z/(1 + abs(z))"],
                                  ["show", "gelu", "--format", "json"]])
def test_activations_and_expressions_from_the_command_line(cli, args):
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    assert "✗" not in result.stdout


def test_codegen_of_an_expression_is_a_working_module(cli, tmp_path):
    result = cli("codegen", "max(0, z) + 0.1*min(0, z)")
    assert result.returncode == 0, result.stderr
    namespace = {}
    exec(compile(result.stdout, "generated", "exec"), namespace)  # our generated code, not the user's text
    z = np.array([-2.0, -0.5, 0.5, 2.0])
    assert np.allclose(namespace["activation"](z), np.maximum(0, z) + 0.1 * np.minimum(0, z))
    assert np.allclose(namespace["activation_derivative"](z), [0.1, 0.1, 1.0, 1.0])


@pytest.mark.parametrize("output", list(functions.OUTPUTS))
@pytest.mark.parametrize("cost", list(functions.COSTS))
def test_every_output_cost_pair_has_a_route(output, cost):
    option = "cross-entropy" if (output, cost) == ("sigmoid", "binary-cross-entropy") else cost
    derivation = build("bp1", None, output=output, cost=option)
    assert derivation.definitions["cost"] == functions.resolve_cost(output, cost)


def test_bp1_identity_huber_is_derived_on_the_command_line(cli):
    result = cli("show", "bp1", "--output", "identity", "--cost", "huber")
    assert result.returncode == 0, result.stderr
    assert "convention at the cost's kink" in result.stdout and "✗" not in result.stdout


def test_bp1_identity_quadratic_cancels_and_is_proven():
    from derive.backprop.derivations import bp1
    from derive.backprop.notation import L, a, i, y

    derivation = bp1(output="identity", cost="quadratic")
    assert derivation.result == a[L, i] - y[i] and functions.pair("identity", "quadratic").cancels
    assert prove(derivation).passed and check_derivation(derivation).passed


def test_the_identity_outputs_derivative_is_grounded_not_assumed(monkeypatch):
    """A rule that claims σ' = 2 for the identity output replays, but its step fails when grounded."""
    import derive.backprop.verify as backprop_verify
    from derive.backprop.derivations import bp1
    from derive.backprop.notation import ActivationPrime
    from derive.rules import REWRITE, RULES, Rule
    from derive.steps import Derivation, Step

    def claims_two(expr, classes=None):
        """identity'(z^L_j) = 2   (wrong on purpose)"""
        return expr.replace(lambda e: isinstance(e, ActivationPrime), lambda e: sp.Integer(2))

    derivation = bp1(output="identity", cost="quadratic")  # built with the table's rule, then the rule is swapped
    monkeypatch.setitem(RULES, "identity-derivative", Rule("identity-derivative", "wrong", REWRITE, claims_two))
    position = next(p for p, s in enumerate(derivation.steps) if s.rule == "identity-derivative")
    step = derivation.steps[position]
    wrong = Step(step.rule, claims_two(derivation.previous(position)), step.note)
    steps = derivation.steps[:position] + (wrong,)
    proof = backprop_verify.prove(Derivation(**{**derivation.__dict__, "steps": steps}))
    assert "replayed" in proof.steps[position].method and not proof.steps[position].verified


def test_codegen_writes_an_identity_output_from_the_table(cli):
    result = cli("codegen", "bp1", "--output", "identity", "--cost", "quadratic")
    assert (result.returncode, result.stderr) == (0, "")
    assert "def identity(z):" in result.stdout and "    return z + 0\n" in result.stdout
