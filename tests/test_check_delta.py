"""checks.check_delta and check_hidden_delta: the derived delta passes, each wrong form is named with its evidence."""

import io
import re

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
    [(4.0, "4 (K, the number of classes)"), (0.25, "1/4 (1/K, one over the number of classes)"), (2.0, "2"),
     (0.5, "1/2"), (3.7, "about 3.7"), (8.0, "8 (the batch size)")],
)
def test_a_constant_factor_is_scale_and_named_when_it_is_k_2_or_the_batch(factor, named):
    report = check_delta(lambda z, y: factor * (softmax(z) - y), classes=4, batch_size=8)
    assert report.ids == ("scale",)
    assert report.mistakes[0].factor == pytest.approx(factor)
    assert report.mistakes[0].message == f"your delta is a - y times a constant factor of {named}"


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


DOUBLE_SOFTMAX_GOLDEN = """\
delta check (softmax + cross-entropy, K = 3): FAILED  normwise relative error 3.56e-01 (tolerance rtol 1e-08 + atol 1e-12)
method compared with the derived delta (checks.reference.output_delta), mode 9 probes of one-hot, smoothed, random targets

targets   shape   rel. error  verdict  where
one-hot   (3, 3)  4.02e-01    WRONG
smoothed  (3, 3)  3.26e-01    WRONG
random    (3, 3)  3.76e-01    WRONG

worst entries
targets   index   yours            derived         difference  ratio
one-hot   (1, 1)  -0.470544328501  -0.1251093829   -0.345      3.76106
smoothed  (1, 0)  0.494543910184   0.837337504881  -0.343      0.590615
smoothed  (2, 0)  0.471438614074   0.776238536808  -0.305      0.607337
one-hot   (0, 2)  0.481358853915   0.747402762191  -0.266      0.644042
random    (0, 2)  0.465610792209   0.723978425861  -0.258      0.643128

suspected mistakes
  [double-softmax] your delta is softmax(a) - y
      evidence: matches softmax(a) - y on all 9 probes (largest difference 0.0e+00); e.g. one-hot probe 0: \
yours [-0.759 0.278 0.481], derived [-0.945 0.198 0.747]"""


def test_the_report_renders_with_the_delta_labels():
    report = check_delta(WRONG["double-softmax"], classes=3)
    assert str(report) == DOUBLE_SOFTMAX_GOLDEN
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


def _rows_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _tutorial_delta(mean):
    """CS231n's dscores: probs[range(N), y] -= 1, then (perhaps) the mean over the batch."""
    def delta(scores, y):
        probs = _rows_softmax(scores)
        probs[range(len(y)), y] -= 1
        return probs / len(y) if mean else probs
    return delta


def test_a_batch_of_rows_with_class_indices_is_checked():
    report = check_delta(_tutorial_delta(mean=False), classes=4, layout="rows", labels="indices")
    assert report.passed and report.title == "delta check (softmax + cross-entropy, K = 4, rows of 8 examples, " \
                                             "class indices)"


def test_the_delta_of_the_mean_cost_passes_with_a_note_unless_one_per_example_is_asked_for():
    report = check_delta(_tutorial_delta(mean=True), classes=4, layout="rows", labels="indices")
    assert report.passed and report.notes == (
        "your delta is that of the mean cost over the batch, (a - y)/n with n = 8; per example it would be a - y",)
    strict = check_delta(_tutorial_delta(mean=True), classes=4, layout="rows", labels="indices", batch_mean=False)
    assert strict.ids == ("scale",)
    assert strict.mistakes[0].message == "your delta is a - y times a constant factor of 1/8 (one over the batch size)"
    assert check_delta(_tutorial_delta(mean=False), classes=4, layout="rows", labels="indices",
                       batch_mean=True).mistakes[0].message == \
        "your delta is (a - y)/n times a constant factor of 8 (the batch size)"


def test_a_wrong_form_averaged_over_the_batch_is_still_named():
    def diagonal_only_mean(z, y):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return -y * (1 - e / e.sum(axis=1, keepdims=True)) / len(z)

    report = check_delta(diagonal_only_mean, classes=5, layout="rows")
    assert report.ids == ("softmax-diagonal-only",) and "mean cost over the batch" in report.notes[0]


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_batches_of_one_hot_targets_in_either_layout(layout):
    axis = 1 if layout == "rows" else 0

    def right(z, y):
        e = np.exp(z - z.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True) * y.sum(axis=axis, keepdims=True) - y

    def diagonal_only(z, y):
        e = np.exp(z - z.max(axis=axis, keepdims=True))
        return -y * (1 - e / e.sum(axis=axis, keepdims=True))

    assert check_delta(right, classes=5, layout=layout).passed
    assert check_delta(diagonal_only, classes=5, layout=layout).ids == ("softmax-diagonal-only",)


def test_a_delta_that_returns_the_wrong_batch_shape_is_one_clear_error():
    with pytest.raises(ValueError, match=r"^delta\(z, y\) returned shape \(4, 8\); expected \(8, 4\) for z of shape "
                                         r"\(8, 4\) and \(n,\) class indices \(layout='rows'\)$"):
        check_delta(lambda z, y: _tutorial_delta(False)(z, y).T, classes=4, layout="rows", labels="indices")


@pytest.mark.parametrize("options, message", [
    ({"layout": "diagonal"}, "unknown layout 'diagonal'"),
    ({"labels": "indices"}, "labels='indices' needs a softmax output and a batch"),
    ({"layout": "rows", "labels": "indices", "output": "sigmoid"}, "labels='indices' needs a softmax output"),
    ({"layout": "rows", "batch_size": 0}, "batch_size must be a positive integer"),
    ({"batch_mean": True}, "batch_mean applies to a batch"),
    ({"layout": "rows", "batch_size": 400_000}, "has 1,200,000 entries; the check takes at most 1,000,000"),
])
def test_bad_layout_options_are_refused(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check_delta(_tutorial_delta(False), **{"classes": 3, **options})


def test_many_classes_are_probed_without_a_dense_identity():
    import tracemalloc

    tracemalloc.start()
    report = check_delta(lambda z, y: softmax(z) - y, classes=20_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.passed and peak < 200e6  # np.eye(20,000) alone is 3.2 GB


# ------------------------------------------------------------------- every output/cost pair of the table
def _right_delta(output, cost):
    """δ written out by hand per pair (independent of the table's code): g(a, y) through the output's Jacobian."""
    from checks.network import sigmoid as _sig
    from checks.network import softmax as _soft

    gradients = {"cross-entropy": lambda a, y, K: -y / a,
                 "binary-cross-entropy": lambda a, y, K: -y / a + (1 - y) / (1 - a),
                 "quadratic": lambda a, y, K: a - y,
                 "label-smoothing": lambda a, y, K: -(0.9 * y + 0.1 / K) / a,
                 "huber": lambda a, y, K: np.clip(a - y, -1.0, 1.0)}
    g = gradients[cost]
    if output == "softmax":
        return lambda z, y: (lambda a: a * (g(a, y, len(z)) - np.sum(a * g(a, y, len(z)))))(_soft(z))
    if output == "sigmoid":
        return lambda z, y: (lambda a: g(a, y, len(z)) * a * (1 - a))(_sig(z))
    return lambda z, y: g(z, y, len(z))


_ALL_PAIRS = [(o, c) for o in ("softmax", "sigmoid", "identity")
              for c in ("cross-entropy", "binary-cross-entropy", "quadratic", "label-smoothing", "huber")
              if (o, c) != ("sigmoid", "cross-entropy")]


@pytest.mark.parametrize("output, cost", _ALL_PAIRS)
def test_check_delta_covers_every_pair_of_the_table(output, cost):
    right = _right_delta(output, cost)
    assert check_delta(right, output, cost, classes=5).passed
    assert not check_delta(lambda z, y: 1.5 * right(z, y) + 0.1, output, cost, classes=5).passed


def test_softmax_label_smoothing_names_the_extra_derivative():
    from checks.network import softmax as _soft

    good = lambda z, y: _soft(z) - (0.9 * y + 0.1 / len(z))  # noqa: E731
    extra = lambda z, y: good(z, y) * _soft(z) * (1 - _soft(z))  # noqa: E731
    assert check_delta(good, "softmax", "label-smoothing", classes=5).passed
    report = check_delta(extra, "softmax", "label-smoothing", classes=5)
    assert not report.passed and [m.id for m in report.mistakes] == ["extra-activation-derivative"]


def test_identity_huber_without_the_clip_fails():
    assert not check_delta(lambda z, y: z - y, "identity", "huber", classes=5).passed


def test_a_hidden_delta_reports_rows_by_probe_and_check_delta_by_target_set():
    hidden = check_hidden_delta(lambda z, u: u, "tanh", units=4)
    assert hidden.labels[0] == "probes" and [row.name for row in hidden.tensors] == ["upstream"]
    assert check_delta(lambda z, y: softmax(z) - y).labels[0] == "targets"
