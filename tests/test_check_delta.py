"""checks.check_delta and check_hidden_delta: the derived delta passes, each wrong form is named with its evidence."""

import io

import numpy as np
import pytest

from checks.delta import WRONG_FORMS, check_delta, check_hidden_delta
from derive.functions import ACTIVATIONS
from checks.network import sigmoid, softmax

CLASSES = [2, 3, 10]


def correct(z, y):
    return softmax(z) - y


WRONG = {
    "softmax-diagonal-only": lambda z, y: -y * (1 - softmax(z)),
    "extra-activation-derivative": lambda z, y: (softmax(z) - y) * softmax(z) * (1 - softmax(z)),
    "double-softmax": lambda z, y: softmax(softmax(z)) - y,
}


@pytest.mark.parametrize("classes", CLASSES)
@pytest.mark.parametrize("seed", [0, 1])
def test_a_minus_y_passes_on_every_kind_of_target(classes, seed):
    report = check_delta(correct, "softmax", "cross-entropy", classes, seed=seed)
    assert report.passed, str(report)
    assert report.mistakes == () and report.error < 1e-14
    assert [t.name for t in report.tensors] == ["one-hot", "smoothed", "random"]


def test_the_general_form_a_sum_y_minus_y_passes():
    assert check_delta(lambda z, y: softmax(z) * np.sum(y) - y, classes=4).passed


@pytest.mark.parametrize("classes", CLASSES)
@pytest.mark.parametrize("mistake_id", sorted(WRONG))
def test_each_wrong_softmax_form_is_named(classes, mistake_id):
    report = check_delta(WRONG[mistake_id], "softmax", "cross-entropy", classes)
    assert not report.passed
    assert report.ids == (mistake_id,)
    assert "matches" in report.mistakes[0].evidence


def test_the_diagonal_only_evidence_shows_the_missing_off_diagonal_terms():
    report = check_delta(WRONG["softmax-diagonal-only"], classes=4)
    finding = report.mistakes[0]
    assert finding.message == "your delta is -y * (1 - a)"
    assert "one-hot probe 0" in finding.evidence and "derived" in finding.evidence
    assert report.worst and all(abs(e.difference) > 0.01 for e in report.worst)


@pytest.mark.parametrize(
    "factor, named",
    [(4.0, "K, the number of classes (4)"), (0.25, "1/K"), (2.0, "2"), (0.5, "1/2"), (3.7, ""),
     (8.0, "the batch size (8)")],
)
def test_a_constant_factor_is_scale_and_named_when_it_is_k_2_or_the_batch(factor, named):
    report = check_delta(lambda z, y: factor * (softmax(z) - y), classes=4, batch_size=8)
    assert report.ids == ("scale",)
    assert report.mistakes[0].factor == pytest.approx(factor)
    assert (f"= {named}" in report.mistakes[0].message) if named else (" = " not in report.mistakes[0].message)


def test_y_minus_a_is_sign():
    report = check_delta(lambda z, y: y - softmax(z), classes=5)
    assert report.ids == ("sign",)
    assert "-(a - y)" in report.mistakes[0].message


def test_a_wrong_delta_outside_the_catalogue_fails_without_a_name():
    report = check_delta(lambda z, y: softmax(z) - y + 0.01 * z, classes=3)
    assert not report.passed and report.ids == ()
    assert "none from the catalogue fits" in str(report)


def test_a_delta_right_only_for_one_hot_targets_fails_on_smoothed_ones():
    def argmax_delta(z, y):  # treats y as a label: correct for one-hot, wrong for smoothed and random targets
        return softmax(z) - np.eye(len(y))[np.argmax(y)]

    report = check_delta(argmax_delta, classes=4)
    verdicts = {t.name: t.passed for t in report.tensors}
    assert verdicts == {"one-hot": True, "smoothed": False, "random": False}


def test_sigmoid_with_binary_cross_entropy():
    assert check_delta(lambda z, y: sigmoid(z) - y, "sigmoid", "binary-cross-entropy", 3).passed
    wrong = check_delta(lambda z, y: (sigmoid(z) - y) * sigmoid(z) * (1 - sigmoid(z)), "sigmoid",
                        "binary cross entropy", 3)
    assert wrong.ids == ("extra-activation-derivative",)
    aliased = check_delta(lambda z, y: (sigmoid(z) - y) * sigmoid(z) * (1 - sigmoid(z)), "sigmoid", "cross-entropy", 3)
    assert aliased.ids == ("extra-activation-derivative",)


def test_sigmoid_with_quadratic_cost():
    def right(z, y):
        return (sigmoid(z) - y) * sigmoid(z) * (1 - sigmoid(z))

    def on_activation(z, y):
        a = sigmoid(z)
        return (a - y) * sigmoid(a) * (1 - sigmoid(a))

    assert check_delta(right, "sigmoid", "quadratic", 4).passed
    assert check_delta(on_activation, "sigmoid", "quadratic", 4).ids == ("activation-derivative-of-activation",)
    assert check_delta(lambda z, y: sigmoid(z) - y, "sigmoid", "quadratic", 4).ids == ()


@pytest.mark.parametrize("activation, fn", [("sigmoid", sigmoid), ("tanh", np.tanh)])
def test_hidden_delta(activation, fn):
    def derivative(z):
        return 1 - fn(z) ** 2 if activation == "tanh" else fn(z) * (1 - fn(z))

    assert check_hidden_delta(lambda z, u: u * derivative(z), activation).passed
    wrong = check_hidden_delta(lambda z, u: u * derivative(fn(z)), activation, units=6)
    assert wrong.ids == ("activation-derivative-of-activation",)
    assert check_hidden_delta(lambda z, u: -u * derivative(z), activation).ids == ("sign",)
    assert check_hidden_delta(lambda z, u: u, activation).ids == ("missing-activation-derivative",)


def _table_derivative(name):
    from derive.codegen.activation import compiled

    return compiled(name)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_every_activation_of_the_table_passes_its_own_derivative_and_names_f_prime_of_a(name):
    f, derivative = _table_derivative(name)
    assert check_hidden_delta(lambda z, u: u * derivative(z), name).passed
    at_a = check_hidden_delta(lambda z, u: u * derivative(f(z)), name)
    z = np.linspace(-3, 3, 61)
    if np.allclose(derivative(f(z)), derivative(z)):  # relu: the mask of a is the mask of z, a right answer
        assert at_a.passed
    else:
        assert at_a.ids == ("activation-derivative-of-activation",)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n != "identity"])
def test_a_missing_derivative_is_named_for_every_activation(name):
    assert check_hidden_delta(lambda z, u: u, name).ids == ("missing-activation-derivative",)


def test_tanh_mistakes_are_named():
    assert check_hidden_delta(lambda z, u: u * (1 - np.tanh(np.tanh(z)) ** 2), "tanh").ids == (
        "activation-derivative-of-activation",)
    assert check_hidden_delta(lambda z, u: u * (1 - z**2), "tanh").ids == ("derivative-form-at-z",)
    copied = check_hidden_delta(lambda z, u: u * np.tanh(z) * (1 - np.tanh(z)), "tanh")
    assert copied.ids == ("other-activation-derivative",) and "sigmoid's derivative in a" in copied.mistakes[0].message


def test_relu_mask_from_the_activation_is_right_and_a_sigmoid_derivative_is_named():
    assert check_hidden_delta(lambda z, u: u * (np.maximum(z, 0) > 0), "relu").passed
    report = check_hidden_delta(lambda z, u: u * sigmoid(z) * (1 - sigmoid(z)), "relu")
    assert report.ids == ("other-activation-derivative",) and "sigmoid'(z)" in report.mistakes[0].message


def test_wrong_forms_are_keyed_by_catalogued_ids():
    from checks.mistakes import MISTAKES

    for forms in WRONG_FORMS.values():
        assert set(forms) <= set(MISTAKES)


@pytest.mark.parametrize(
    "delta, options, message",
    [
        (lambda z, y: (softmax(z) - y)[:, None], {}, r"shape \(3, 1\); expected \(3,\)"),
        (lambda z, y: z * np.nan, {}, "NaN"),
        (correct, {"classes": 1}, "classes must be an integer >= 2"),
        (correct, {"output": "relu"}, "unknown output"),
    ],
)
def test_bad_input_is_named(delta, options, message):
    with pytest.raises(ValueError, match=message):
        check_delta(delta, **{"classes": 3, **options})


def test_the_report_renders_with_the_delta_labels():
    report = check_delta(WRONG["double-softmax"], classes=3)
    text = str(report)
    assert text.startswith("delta check (softmax + cross-entropy, K = 3): FAILED")
    assert "yours" in text and "derived" in text and "[double-softmax]" in text
    from rich.console import Console

    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(report)
    assert "[double-softmax]" in console.file.getvalue()


def test_the_person_s_arrays_are_not_shared_with_the_probes():
    def mutating(z, y):  # a delta that writes into its inputs must not corrupt the comparison
        out = softmax(z) - y
        z[:], y[:] = 0.0, 0.0
        return out

    assert check_delta(mutating, classes=3).passed
