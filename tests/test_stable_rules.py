"""The stability rules, one by one: each states its formula, fires where it should, and is an identity."""

import numpy as np
import pytest
import sympy as sp

from derive.codegen.stable import SHIFT, STABLE_RULES, StableSigmoid, stabilize
from derive.notation import K, a, i, j, k, sigmoid_of, softmax_of, total, y, z

SOFTMAX = softmax_of(j, None)
CROSS_ENTROPY = -total(y[j] * sp.log(softmax_of(j, None)), j, None)
CLASSES = 4


def ground(expr, values, shift=None, index_value=2):
    """expr at K = 4, index j = 2, z and y as given, sums written out, σ as 1/(1 + e^{-x}): a plain number."""
    expr = expr.rewrite(sp.exp) if expr.has(StableSigmoid) else expr
    expr = expr.xreplace({K: CLASSES}).doit().xreplace({j: index_value, i: index_value})
    expr = expr.xreplace({z[m]: values["z"][m - 1] for m in range(1, CLASSES + 1)})
    expr = expr.xreplace({y[m]: values["y"][m - 1] for m in range(1, CLASSES + 1)})
    return complex(expr.xreplace({SHIFT: shift if shift is not None else max(values["z"])}).evalf(30))


@pytest.fixture
def values():
    rng = np.random.default_rng(3)
    return {"z": [sp.Float(v, 30) for v in rng.normal(size=CLASSES)], "y": [sp.Float(v, 30) for v in rng.random(CLASSES)]}


@pytest.mark.parametrize("name", STABLE_RULES)
def test_every_rule_states_its_formula(name):
    assert "->" in STABLE_RULES[name].formula, "a rule's docstring starts with 'before -> after'"


def test_softmax_shift_subtracts_the_shift_in_numerator_and_sum():
    shifted = STABLE_RULES["softmax-shift"].apply(SOFTMAX, {})
    assert shifted == sp.exp(z[j] - SHIFT) / sp.Sum(sp.exp(z[k] - SHIFT), (k, 1, K))


@pytest.mark.parametrize("shift", [0.0, -3.5, 7.25])
def test_softmax_shift_is_an_identity_for_any_shift(values, shift):
    shifted = STABLE_RULES["softmax-shift"].apply(SOFTMAX, {})
    assert abs(ground(shifted, values, shift) - ground(SOFTMAX, values)) < 1e-25


def test_log_softmax_removes_every_exponential_outside_the_sum(values):
    rewritten, fired = stabilize(CROSS_ENTROPY)
    assert fired == ("softmax-shift", "log-softmax")
    logs = [node for node in sp.preorder_traversal(rewritten) if isinstance(node, sp.log)]
    assert logs == [sp.log(sp.Sum(sp.exp(z[k] - SHIFT), (k, 1, K)))], "the only log is ln Σ_k e^{z_k - m}"
    assert abs(ground(rewritten, values) - ground(CROSS_ENTROPY, values)) < 1e-25


def test_stable_sigmoid_matches_the_definition_and_its_derivative():
    x = sp.Symbol("x")
    rewritten, fired = stabilize(sigmoid_of(i))
    assert fired == ("stable-sigmoid",) and rewritten == StableSigmoid(z[i])
    assert sp.simplify(StableSigmoid(x).rewrite(sp.exp) - 1 / (1 + sp.exp(-x))) == 0
    assert sp.simplify((sp.diff(StableSigmoid(x), x) - sp.diff(1 / (1 + sp.exp(-x)), x)).rewrite(sp.exp)) == 0


def test_sigmoid_complement_applies_only_when_a_is_a_sigmoid():
    derivative = a[i] * (1 - a[i])
    rewritten, fired = stabilize(derivative, {a: sigmoid_of})
    assert fired == ("sigmoid-complement",) and rewritten == a[i] * StableSigmoid(-z[i])
    assert stabilize(derivative, {a: lambda index: softmax_of(index, None)}) == (derivative, ())
    x = sp.Symbol("x")
    assert sp.simplify((1 - StableSigmoid(x) - StableSigmoid(-x)).rewrite(sp.exp)) == 0


@pytest.mark.parametrize("expr", [a[i] - y[i], a[j] * (sp.KroneckerDelta(i, j) - a[i]), sp.log(a[j]), sp.exp(z[j])])
def test_rules_leave_other_expressions_alone(expr):
    assert stabilize(expr, {}) == (expr, ())
