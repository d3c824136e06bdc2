"""One short test per rule: its formula is documented and it rewrites what it names, nothing else."""

import pytest
import sympy as sp

from derive.notation import K, a, i, j, k, softmax_denominator, softmax_of, y, z
from derive.rules import ALGEBRA, RULES, delta, rule

S = softmax_denominator(None)


def d(expr, variable):
    return sp.Derivative(expr, variable, evaluate=False)


@pytest.mark.parametrize("name", [name for name, r in RULES.items() if r.kind != ALGEBRA and r.apply])
def test_every_rewrite_rule_states_its_formula(name):
    formula = rule(name).formula
    assert "=" in formula or "→" in formula, f"{name}: docstring must start with its formula, got {formula!r}"


@pytest.mark.parametrize("name, before, after", [
    ("quotient-rule", d(sp.exp(z[j]) / S, z[i]), (d(sp.exp(z[j]), z[i]) * S - sp.exp(z[j]) * d(S, z[i])) / S**2),
    ("reciprocal-rule", d(1 / (1 + sp.exp(-z[i])), z[i]), -d(1 + sp.exp(-z[i]), z[i]) / (1 + sp.exp(-z[i]))**2),
    ("sum-rule", d(S, z[i]), sp.Sum(d(sp.exp(z[k]), z[i]), (k, 1, K))),
    ("sum-rule", d(3 * y[j] * sp.log(a[j]), z[i]), 3 * y[j] * d(sp.log(a[j]), z[i])),
    ("sum-rule", d(1 + sp.exp(-z[i]), z[i]), d(sp.exp(-z[i]), z[i])),
    ("exp-rule", d(sp.exp(z[k]), z[i]), sp.exp(z[k]) * d(z[k], z[i])),
    ("log-rule", d(sp.log(a[j]), z[i]), d(a[j], z[i]) / a[j]),
    ("kronecker-delta", d(z[j], z[i]), sp.KroneckerDelta(i, j)),
    ("kronecker-delta", d(-z[i], z[i]), sp.Integer(-1)),
    ("kronecker-contraction", sp.Sum(sp.KroneckerDelta(i, k) * sp.exp(z[k]), (k, 1, K)), sp.exp(z[i])),
    ("sum-linearity", sp.Sum(y[j] * (sp.KroneckerDelta(i, j) - a[i]), (j, 1, K)),
     sp.Sum(y[j] * sp.KroneckerDelta(i, j), (j, 1, K)) - a[i] * sp.Sum(y[j], (j, 1, K))),
    ("softmax-jacobian", d(a[j], z[i]), a[j] * (sp.KroneckerDelta(i, j) - a[i])),
    ("softmax-definition", d(a[j], z[i]), d(softmax_of(j, None), z[i])),
    ("softmax-fold", sp.exp(z[i]) * sp.exp(z[j]) / S**2, a[i] * a[j]),
    ("softmax-fold", sp.exp(2 * z[i]) / S**2, a[i] ** 2),
    ("sigmoid-fold", 1 / (1 + sp.exp(-z[i])), a[i]),
    ("delta-definition", delta[i], d(sp.Symbol("C"), z[i])),
    ("one-hot", a[i] * sp.Sum(y[j], (j, 1, K)) - y[i], a[i] - y[i]),
    ("distinct-indices", sp.KroneckerDelta(i, j) * a[j] - a[i] * a[j], -a[i] * a[j]),
])
def test_rule_rewrites_what_it_names(name, before, after):
    assert rule(name).apply(before, None) == after


def test_contraction_leaves_sums_without_a_delta_alone():
    untouched = sp.Sum(y[k] * sp.exp(z[k]), (k, 1, K))
    assert rule("kronecker-contraction").apply(untouched, None) == untouched


def test_distinct_indices_keeps_deltas_with_a_summation_index():
    inside = sp.Sum(sp.KroneckerDelta(i, k) * sp.exp(z[k]), (k, 1, K))
    assert rule("distinct-indices").apply(inside, None) == inside


def test_softmax_fold_needs_a_matching_exponential():
    lone = a[i] / S
    assert rule("softmax-fold").apply(lone, None) == lone


def test_unknown_rule_names_the_table():
    with pytest.raises(KeyError, match="quotient-rule"):
        rule("no-such-rule")
