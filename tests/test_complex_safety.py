"""checks.complex_safety: every operation that loses the imaginary part is named, however small its term (1e-12)."""

import numpy as np
import pytest

from checks.complex_safety import Recorder, Tracked, probe

LAMBDA = 1e-12
W = np.array([[0.3, -0.7, 1.1], [0.5, 0.2, -0.4]])


def _smooth(w):
    return np.sum(np.tanh(w @ w.T)) + np.sum(np.exp(w) ** 2) / w.size


def _complex_params(h=1e-20, seed=0):
    direction = np.random.default_rng(seed).standard_normal(W.shape)
    return [W + 1j * h * direction]


class CustomError(Exception):
    pass


def _raise_custom(w):
    if np.iscomplexobj(w):
        raise CustomError("no complex numbers here")
    return 0.0


def _float_buffer(w):
    buffer = np.zeros(w.shape)
    buffer[:] = w
    return np.sum(buffer)


def _checked_float(w):
    cost = _smooth(w)
    assert isinstance(cost, float), "cost must be a float"
    return cost


UNSAFE = {
    "np.abs": (lambda w: np.sum(np.abs(w)), "np.abs drops the imaginary part"),
    "np.sign": (lambda w: np.sum(np.sign(w) * w), "np.sign drops the imaginary part"),
    ".real": (lambda w: np.sum(w.real ** 2), ".real drops the imaginary part"),
    "astype(float)": (lambda w: np.sum(w.astype(float) ** 2), "astype(float64) drops the imaginary part"),
    "float buffer": (_float_buffer, "the value is cast to real (written into a float array"),
    "float()": (lambda w: float(np.sum(w ** 2)), "float() drops the imaginary part"),
    "np.linalg.norm": (lambda w: np.linalg.norm(w), "np.norm drops the imaginary part"),
    "np.asarray": (lambda w: np.sum(np.abs(np.asarray(w))), "turned into a plain array"),
    "comparison at a tie": (lambda w: np.sum(w * (w > W[0, 0])), "np.greater compares values whose real parts"),
    "np.maximum at a tie": (lambda w: np.sum(np.maximum(0.3, w)), "np.maximum compares values whose real parts"),
    "np.clip at a tie": (lambda w: np.sum(np.clip(w, -0.5, 0.5)), "np.clip orders values whose real parts"),
    "custom exception": (_raise_custom, "it raised CustomError: no complex numbers here at complex input"),
    "assert isinstance float": (_checked_float, "it raised AssertionError: cost must be a float"),
}


@pytest.mark.parametrize("name", UNSAFE)
def test_an_operation_that_loses_the_imaginary_part_is_named_however_small_its_term(name):
    term, reason = UNSAFE[name]
    value, verdict = probe(lambda p: _smooth(p[0]) + LAMBDA * term(p[0]), _complex_params())
    assert not verdict.safe
    assert reason in verdict.reason, verdict.reason
    assert verdict.raised == (value is None)


def test_the_reason_names_the_users_line():
    _, verdict = probe(lambda p: np.sum(np.abs(p[0])), _complex_params())
    assert verdict.reason.startswith("np.abs drops the imaginary part at test_complex_safety.py:")


def test_a_smooth_loss_is_safe_and_its_value_is_the_plain_complex_step():
    params = _complex_params()
    value, verdict = probe(lambda p: _smooth(p[0]), params)
    assert verdict.safe and verdict.branches == () and not verdict.raised
    assert value == _smooth(params[0])  # the same numbers as an untracked call, bit for bit


@pytest.mark.parametrize("term", [lambda w: np.sum(np.maximum(0, w)), lambda w: np.sum(w * (w > 0)),
                                  lambda w: np.sum(np.where(w > 0, w, -w)), lambda w: np.sum(np.clip(w, -0.5, 0.45))])
def test_selecting_by_value_away_from_ties_is_a_branch_and_complex_step_stays_exact(term):
    h, direction = 1e-20, np.random.default_rng(1).standard_normal(W.shape)
    value, verdict = probe(lambda p: LAMBDA * term(p[0]), [W + 1j * h * direction])
    assert verdict.safe and verdict.branches, verdict
    step = 1e-7  # the pieces are linear: a central difference on them is exact to rounding
    central = (term(W + step * direction) - term(W - step * direction)) / (2 * step)
    assert np.imag(value) / h == pytest.approx(LAMBDA * central, rel=1e-8)


def test_wrap_and_unwrap_go_through_dicts_and_leave_other_values_alone():
    recorder = Recorder()
    values = recorder.wrap({"W": W, "x": np.ones(3, dtype=np.float32), "n": 3})
    assert isinstance(values["W"], Tracked) and values["W"].dtype == np.complex128
    assert values["x"].dtype == np.complex64 and values["n"] == 3
    z = recorder.call(lambda v: v["W"] @ v["x"] * v["n"], values)
    assert np.array_equal(recorder.unwrap(z), W @ np.ones(3) * 3)
    assert recorder.verdict().safe
    recorder.call(lambda v: v["W"].imag, values)
    assert recorder.verdict().reason.startswith(".imag reads the imaginary part")


def test_other_warnings_are_not_swallowed():
    import warnings

    recorder = Recorder()
    with pytest.warns(UserWarning, match="mine"):
        recorder.call(lambda: warnings.warn("mine"))
    assert recorder.verdict().safe


@pytest.mark.parametrize("column", [[1.0, 1.0], [np.nan, 0.5]])
def test_a_tie_of_the_maximum_in_one_column_is_unsafe_whatever_the_other_columns_hold(column):
    """[[nan, 1], [0, 1]] attains its extremes twice in all (nan in one column, a tie in the other): still a tie."""
    values = np.array([[np.nan, 1.0, 0.0], [0.0, 1.0, 2.0]]) + 1j * np.array([[0.0, 1e-20, 0.0], [0.0, 2e-20, 0.0]])
    values[:, 0] = column
    recorder = Recorder()
    recorder.call(lambda v: np.max(v, axis=0), recorder.wrap(values))
    assert not recorder.verdict().safe and "np.max orders values whose real parts are equal" in recorder.verdict().reason


def test_a_maximum_attained_once_per_column_is_a_branch():
    recorder = Recorder()
    recorder.call(lambda v: np.max(v, axis=0), recorder.wrap(W + 1j * 1e-20))
    assert recorder.verdict().safe and recorder.verdict().branches == ("np.max",)


# W has negative entries: each of these is NaN (or its slope infinite) there as a real function, while its complex
# extension is finite and its imaginary part is the branch cut's (±π for the log), not h times a derivative.
OFF_DOMAIN = {
    "np.log": lambda w: np.sum(np.log(w)),
    "np.sqrt": lambda w: np.sum(np.sqrt(w)),
    "np.log1p": lambda w: np.sum(np.log1p(w - 1)),
    "np.arcsin": lambda w: np.sum(np.arcsin(2 * w)),
    "np.arccosh": lambda w: np.sum(np.arccosh(w + 1)),
    "a fractional power": lambda w: np.sum(w ** 0.5),
    "a power of a negative base": lambda w: np.sum((-2.0) ** w),
}


@pytest.mark.parametrize("name", OFF_DOMAIN)
def test_a_function_with_a_branch_cut_outside_its_real_domain_is_unsafe_however_small_its_term(name):
    value, verdict = probe(lambda p: _smooth(p[0]) + LAMBDA * OFF_DOMAIN[name](p[0]), _complex_params())
    assert not verdict.safe and "outside its real domain" in verdict.reason, verdict.reason


@pytest.mark.parametrize("term", [lambda w: np.sum(np.log(w * w + 1)), lambda w: np.sum(np.sqrt(w * w + 0.5)),
                                  lambda w: np.sum(np.arcsin(w / 2)), lambda w: np.sum((w * w + 1) ** -0.5),
                                  lambda w: np.sum(w ** 3), lambda w: np.sum(w ** 2.0), lambda w: np.sum(2.0 ** w)])
def test_a_function_with_a_branch_cut_inside_its_real_domain_is_safe_and_exact(term):
    h, direction = 1e-20, np.random.default_rng(2).standard_normal(W.shape)
    value, verdict = probe(lambda p: term(p[0]), [W + 1j * h * direction])
    assert verdict.safe, verdict.reason
    step = 1e-6
    central = (term(W + step * direction) - term(W - step * direction)) / (2 * step)
    assert np.imag(value) / h == pytest.approx(central, rel=1e-7)
