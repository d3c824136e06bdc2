"""The seed derivations: each proves at K = 2..6 and for symbolic K, and states the textbook result."""

import pytest
import sympy as sp

from checks.derivation_check import check_derivation
from derive.derivations import build, ids
from derive.notation import K, a, i, j, t, y
from derive.verify import prove

OUTPUT_LAYER = ["sigmoid", "softmax-diagonal", "softmax-off-diagonal", "softmax-jacobian", "cross-entropy-delta",
                "negative-log-likelihood"]
SCALES = [None, 2, 3, 4, 5, 6]

EXPECTED = {
    "sigmoid": a[i] * (1 - a[i]),
    "softmax-diagonal": a[i] * (1 - a[i]),
    "softmax-off-diagonal": -a[j] * a[i],
    "softmax-jacobian": a[j] * (sp.KroneckerDelta(i, j) - a[i]),
    "cross-entropy-delta": a[i] - y[i],
    "negative-log-likelihood": a[j] - sp.KroneckerDelta(j, t),
}


def test_catalogue_holds_the_seed_derivations():
    assert set(OUTPUT_LAYER) <= set(ids())


@pytest.mark.parametrize("id_", OUTPUT_LAYER)
def test_result_is_the_textbook_formula(id_):
    assert sp.expand(build(id_, None).result - EXPECTED[id_]) == 0


@pytest.mark.parametrize("classes", SCALES, ids=lambda c: f"K={c or 'K'}")
@pytest.mark.parametrize("id_", OUTPUT_LAYER)
def test_every_step_is_proven(id_, classes):
    proof = prove(build(id_, classes))
    failed = [(step.rule, check.method) for step, check in zip(proof.derivation.steps, proof.steps) if not check.verified]
    assert not failed
    assert proof.independent.verified, proof.independent.method


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("classes", SCALES, ids=lambda c: f"K={c or 'K'}")
@pytest.mark.parametrize("id_", OUTPUT_LAYER)
def test_numeric_check_agrees_with_central_differences(id_, classes, seed):
    numeric = check_derivation(build(id_, classes), seed=seed)
    assert numeric.passed, numeric
    assert numeric.max_rel_error <= 1e-7


def test_general_cross_entropy_delta_is_shown_before_the_one_hot_step():
    derivation = build("cross-entropy-delta", None)
    rules = [step.rule for step in derivation.steps]
    general = derivation.steps[rules.index("one-hot") - 1].expr
    assert sp.expand(general - (a[i] * sp.Sum(y[j], (j, 1, K)) - y[i])) == 0
    one_hot = derivation.steps[rules.index("one-hot")]
    assert one_hot.expr == a[i] - y[i] and "Σ_j y_j = 1" in one_hot.note  # what the step claims, and why
    assert prove(derivation).steps[rules.index("one-hot")].verified


def test_jacobian_splits_cases_by_a_named_kronecker_step():
    rules = [step.rule for step in build("softmax-jacobian", None).steps]
    assert rules.index("quotient-rule") < rules.index("kronecker-delta") < rules.index("kronecker-contraction")


def test_negative_log_likelihood_route_meets_the_cross_entropy_route():
    derivation = build("negative-log-likelihood", None)
    aside = derivation.steps[-1]
    assert aside.aside and "cross-entropy-delta" in aside.note
    assert prove(derivation).steps[-1].verified


@pytest.mark.parametrize("classes", [11, 100, 1000])
def test_large_k_instantiates_the_general_proof(classes):
    derivation = build("softmax-jacobian", classes)
    assert not derivation.lhs.has(K) and all(not step.expr.has(K) for step in derivation.steps)
    proof = prove(derivation)
    assert proof.passed and "instantiated" in proof.steps[0].method
    assert check_derivation(derivation, seed=0).passed
