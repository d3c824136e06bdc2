"""The verifier can fail: wrong steps, the classic mistakes and wrong counterexamples are all rejected."""

import dataclasses

import pytest
import sympy as sp

from derive.derivations import build
from derive.notation import K, a, i, j, k, softmax_denominator, y, z
from derive.steps import NOT_EQUAL, Step
from derive.verify import _check_instances, _index_assignments, _resolve_range_guards, prove


def with_step(derivation, position, step):
    steps = list(derivation.steps)
    steps[position] = step
    return dataclasses.replace(derivation, steps=tuple(steps))


@pytest.mark.parametrize("classes", [None, 3])
def test_diagonal_only_jacobian_is_rejected(classes):
    """The classic mistake, written as a derivation step: ∂a_j/∂z_i = a_i(1 − a_i) for every i, j."""
    derivation = build("softmax-jacobian", classes)
    wrong = Step("softmax-fold", a[i] * (1 - a[i]), "diagonal only")
    proof = prove(with_step(derivation, len(derivation.steps) - 1, wrong))
    assert not proof.steps[-1].verified and not proof.passed


@pytest.mark.parametrize("classes", [None, 3])
def test_error_visible_only_off_the_diagonal_is_found(classes):
    """δ_ij taken as 1 is right when i = j and wrong when i ≠ j: grounding must try both patterns."""
    derivation = build("softmax-jacobian", classes)
    check = _check_instances(derivation, derivation.result, a[j] * (1 - a[i]), (), "test")
    assert not check.verified
    assert "i=1, j=2" in check.method
    assert _check_instances(derivation, derivation.result, derivation.result, (), "test").verified


def test_wrong_algebra_step_is_not_an_identity():
    derivation = build("softmax-jacobian", None)
    position = [s.rule for s in derivation.steps].index("factor")
    S = softmax_denominator(None)
    wrong = Step("factor", sp.exp(z[j]) * (sp.KroneckerDelta(i, j) * S + sp.exp(z[i])) / S**2, "sign flipped")
    assert not prove(with_step(derivation, position, wrong)).steps[position].verified


def test_replay_must_give_the_stated_expression():
    derivation = build("cross-entropy-delta", None)
    position = [s.rule for s in derivation.steps].index("kronecker-contraction")
    wrong = Step("kronecker-contraction", a[i] * sp.Sum(y[j], (j, 1, K)) - y[j], "wrong index")
    check = prove(with_step(derivation, position, wrong)).steps[position]
    assert not check.verified and "replaying" in check.method


def test_one_hot_step_does_not_hold_without_its_assumption():
    """Dropping Σy from the general delta is only valid under Σy = 1: a 'factor' step claiming it must fail."""
    derivation = build("cross-entropy-delta", None)
    position = [s.rule for s in derivation.steps].index("one-hot")
    wrong = Step("factor", a[i] - y[i], "no assumption named")
    assert not prove(with_step(derivation, position, wrong)).steps[position].verified


def test_counterexample_step_confirmed_only_when_the_sides_differ():
    derivation = build("softmax-jacobian", 3)
    last = derivation.steps[-1].expr
    true_claim = Step("counterexample", a[j] * (sp.KroneckerDelta(i, j) - a[i]), "not a counterexample",
                      relation=NOT_EQUAL, aside=True)
    real = Step("counterexample", sp.KroneckerDelta(i, j) * a[i] * (1 - a[i]), "diagonal only", relation=NOT_EQUAL,
                aside=True)
    steps = derivation.steps + (true_claim, real)
    with_asides = dataclasses.replace(derivation, steps=steps)
    proof = prove(with_asides)
    assert not proof.steps[-2].verified and proof.steps[-1].verified
    assert with_asides.result == last and with_asides.steps[-1].expr != last  # asides do not change the result


def test_patterns_cover_equal_and_distinct_indices():
    derivation = build("softmax-jacobian", None)
    patterns = list(_index_assignments(derivation, (a[i] * a[j],), 3))
    assert {tuple(sorted(p.items(), key=str)) for p in patterns} == {((i, 1), (j, 1)), ((i, 1), (j, 2))}


def test_expressions_with_a_fixed_class_are_checked_on_every_assignment():
    derivation = build("softmax-jacobian", 3)
    assignments = list(_index_assignments(derivation, (a[1] * a[j] * a[i],), 3))
    assert len(assignments) == 9


def test_piecewise_range_guard_of_doit_is_resolved():
    summed = sp.Sum(sp.KroneckerDelta(i, k) * sp.exp(z[k]), (k, 1, K)).doit()
    assert isinstance(summed, sp.Piecewise)
    assert _resolve_range_guards(summed) == sp.exp(z[i])
