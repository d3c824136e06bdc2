"""Finite differences and error measures, with the laws they must obey."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.numeric import central_jacobian, central_step, normwise_relative_error
from derive.notation import a, i, j, softmax_of, z
from derive.numeric import numpy_function, padded

SOFTMAX = numpy_function(softmax_of(j, 5), [z, j])
JACOBIAN = numpy_function(a[j] * (sp.KroneckerDelta(i, j) - a[i]), [a, i, j])
ALL = np.arange(1, 6)


def softmax(vector):
    return SOFTMAX(padded(vector), ALL)


def test_central_jacobian_of_a_polynomial_is_exact_to_rounding():
    jacobian = central_jacobian(lambda x: np.array([x[0] ** 2 * x[1], x[1] ** 3]), np.array([1.5, -2.0]))
    assert np.allclose(jacobian, [[2 * 1.5 * -2.0, 0.0], [1.5**2, 3 * 4.0]], rtol=1e-12, atol=1e-12)


def test_step_grows_with_the_input():
    steps = central_step(np.array([0.0, 1.0, 1e6]))
    assert steps[0] == steps[1] < steps[2]


def test_normwise_error_is_relative_and_falls_back_to_absolute():
    assert normwise_relative_error([1.0, 1.0], [1.0, 2.0]) == pytest.approx(1 / np.sqrt(5))
    assert normwise_relative_error([1e-3], [0.0]) == pytest.approx(1e-3)


def test_padded_arrays_are_one_based_and_read_nan_at_zero():
    values = padded([4.0, 5.0])
    assert np.isnan(values[0]) and values[1] == 4.0 and values[2] == 5.0


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.lists(st.floats(-30, 30), min_size=5, max_size=5))
def test_softmax_sums_to_one(logits):
    assert softmax(np.array(logits)).sum() == pytest.approx(1.0, rel=1e-12)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(st.floats(-5, 5), min_size=5, max_size=5))
def test_derived_jacobian_equals_the_finite_difference(logits):
    logits = np.array(logits)
    derived = JACOBIAN(padded(softmax(logits)), ALL[:, None], ALL[None, :])  # entry (i, j) = ∂a_j/∂z_i
    numeric = central_jacobian(softmax, logits)  # row m = ∂a/∂z_m
    assert normwise_relative_error(derived, numeric) <= 1e-9


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(st.floats(-5, 5), min_size=5, max_size=5))
def test_jacobian_rows_sum_to_zero(logits):
    """Σ_j ∂a_j/∂z_i = ∂(Σ_j a_j)/∂z_i = ∂1/∂z_i = 0."""
    derived = JACOBIAN(padded(softmax(np.array(logits))), ALL[:, None], ALL[None, :])
    assert np.abs(derived.sum(axis=1)).max() <= 1e-15 * 10


def test_diagonal_only_jacobian_fails_the_numeric_check():
    logits = np.array([0.3, -1.2, 2.0, 0.1, -0.4])
    wrong = np.diag(softmax(logits) * (1 - softmax(logits)))
    assert normwise_relative_error(wrong, central_jacobian(softmax, logits)) > 0.1


def test_complex_jacobian_is_exact_and_refuses_what_drops_imaginary_parts():
    from checks.numeric import complex_jacobian

    x = np.array([0.3, -1.2])
    exact = complex_jacobian(lambda v: np.array([np.exp(v[0]) * v[1], np.log(2 + v[1])]), x)
    assert normwise_relative_error(exact, [[np.exp(0.3) * -1.2, 0.0], [np.exp(0.3), 1 / 0.8]]) < 1e-15
    # np.abs drops the imaginary part silently (a zero derivative): why the check cross-checks with central
    assert not np.any(complex_jacobian(lambda v: np.abs(v) ** 2, x))
    assert complex_jacobian(lambda v: v.astype(float), x) is None  # the ComplexWarning of a cast
    assert complex_jacobian(lambda v: float("nan") * v, x) is None


def test_a_derivation_at_ten_thousand_classes_is_checked_to_rounding():
    """Central differences left 7e-9 here (within 14x of the bound); complex step leaves rounding."""
    from checks.derivation_check import check_derivation
    from derive.derivations import build

    check = check_derivation(build("cross-entropy-delta", 10_000))
    assert check.verdict == "passed" and check.max_rel_error < 1e-13 and check.method.startswith("complex step")


def test_a_check_by_central_differences_alone_can_be_inconclusive():
    from checks.derivation_check import NumericCheck

    verdicts = [NumericCheck(error, 3, "central", "K=3", undecided_above=1e-4).verdict for error in (1e-8, 1e-6, 1e-2)]
    assert verdicts == ["passed", "inconclusive", "failed"]
    assert NumericCheck(1e-6, 3, "complex step", "K=3").verdict == "failed"  # complex step always decides
