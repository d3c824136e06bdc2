"""The mistake catalogue: every entry is detected on an implementation that contains it, and never on a correct one."""

import re

import numpy as np
import pytest

from checks import network
from checks.delta import check_delta, check_hidden_delta
from checks.gradcheck import gradcheck
from checks.mistakes import MISTAKES

SIZES, BATCH = (4, 5, 3), 4
SEEDS = [0, 1, 2, 3]


def _gradcheck(bug, seed=0, sizes=SIZES, batch=BATCH, mode="fast", **options):
    loss, grad, params = network.problem(sizes, batch, seed, bug)
    return gradcheck(loss, grad, params, mode=mode, seed=seed, batch_size=batch, classes=sizes[-1], **options)


def _sigmoid(z):
    return network.sigmoid(z)


def _output(name):
    return lambda: check_delta(network.OUTPUT_DELTAS[name], classes=3)


# Every catalogued id -> a check run on an implementation that contains the mistake.
DETECTIONS = {
    "softmax-diagonal-only": _output("softmax-diagonal-only"),
    "extra-activation-derivative": _output("extra-activation-derivative"),
    "double-softmax": _output("double-softmax"),
    "activation-derivative-of-activation": lambda: check_hidden_delta(
        lambda z, u: u * _sigmoid(_sigmoid(z)) * (1 - _sigmoid(_sigmoid(z)))),
    "derivative-form-at-z": lambda: check_hidden_delta(lambda z, u: u * (1 - z**2), "tanh"),
    "other-activation-derivative": lambda: check_hidden_delta(
        lambda z, u: u * np.tanh(z) * (1 - np.tanh(z)), "tanh"),
    "missing-activation-derivative": lambda: check_hidden_delta(lambda z, u: u, "relu"),
    "scale": lambda: _gradcheck(network.bug("scale", factor=float(BATCH))),
    "sign": lambda: _gradcheck(network.bug("sign")),
    "transpose": lambda: _gradcheck(network.bug("transpose", tensor=2)),
}


def test_catalogue_has_the_ten_stable_ids():
    assert set(MISTAKES) == {"softmax-diagonal-only", "extra-activation-derivative",
                             "activation-derivative-of-activation", "scale", "sign", "transpose", "double-softmax",
                             "derivative-form-at-z", "other-activation-derivative", "missing-activation-derivative"}
    for key, mistake in MISTAKES.items():
        assert mistake.id == key and re.fullmatch(r"[a-z]+(-[a-z]+)*", key)
        assert mistake.title and mistake.description and mistake.detection and mistake.fix
        assert set(mistake.detected_by) <= {"gradcheck", "check_delta", "check_hidden_delta"}


def test_catalogue_is_read_only():
    with pytest.raises(TypeError):
        MISTAKES["new"] = MISTAKES["sign"]


@pytest.mark.parametrize("mistake_id", sorted(DETECTIONS))
def test_every_catalogued_mistake_is_named_on_an_implementation_with_it(mistake_id):
    report = DETECTIONS[mistake_id]()
    assert not report.passed
    assert mistake_id in report.ids, str(report)
    assert all(finding.evidence for finding in report.mistakes)


def test_every_catalogue_entry_has_a_detection_test():
    assert set(DETECTIONS) == set(MISTAKES)


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("seed", SEEDS)
def test_gradcheck_names_nothing_on_a_correct_implementation(mode, seed):
    report = _gradcheck(network.bug("correct"), seed=seed, mode=mode)
    assert report.passed and report.mistakes == ()


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "factor, name",
    [(float(BATCH), "4 (the batch size)"), (1 / BATCH, "1/4 (one over the batch size)"), (2.0, "2"), (0.5, "1/2"),
     (3.0, "3 (K, the number of classes)"), (1.7, "about 1.7")],
)
def test_gradcheck_names_a_constant_factor(mode, seed, factor, name):
    report = _gradcheck(network.bug("scale", factor=factor), seed=seed, mode=mode)
    assert report.ids == ("scale",)
    finding = report.mistakes[0]
    assert finding.factor == pytest.approx(factor, rel=1e-9)
    assert finding.message == f"every tensor: off by a constant factor of {name}"


def test_a_factor_is_not_named_without_batch_size_or_classes():
    loss, grad, params = network.problem(SIZES, BATCH, 0, network.bug("scale", factor=float(BATCH)))
    report = gradcheck(loss, grad, params)
    assert report.ids == ("scale",) and "batch size" not in report.mistakes[0].message


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("seed", SEEDS)
def test_gradcheck_names_the_sign(mode, seed):
    report = _gradcheck(network.bug("sign"), seed=seed, mode=mode)
    assert report.ids == ("sign",)
    assert "wrong sign" in report.mistakes[0].message


def test_a_negative_factor_is_sign_and_scale():
    report = _gradcheck(network.bug("scale", factor=-2.0))
    assert report.ids == ("sign", "scale")


def test_a_scale_on_one_layer_names_that_layer():
    report = _gradcheck(network.bug("sigma-prime-factor", factor=1.01))
    assert report.ids == ("scale",)
    assert report.mistakes[0].tensors == ("W1", "b1")
    assert report.mistakes[0].factor == pytest.approx(1.01, rel=1e-9)


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("tensor", [0, 2])
def test_gradcheck_names_a_transposed_shape(mode, tensor):
    report = _gradcheck(network.bug("transpose", tensor=tensor), mode=mode)
    assert report.ids == ("transpose",)
    assert not report.passed
    assert report.mistakes[0].tensors == (["W1", "b1", "W2"][tensor],)


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("seed", SEEDS)
def test_gradcheck_names_a_transposed_square_weight(mode, seed):
    sizes = (4, 5, 5, 3)  # W2 is 5 x 5: the transpose has the right shape
    report = _gradcheck(network.bug("transpose", tensor=2), seed=seed, sizes=sizes, mode=mode)
    assert report.ids == ("transpose",)
    assert [t.name for t in report.tensors if not t.passed] == ["W2"]


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_square_weights_that_are_right_are_not_called_transposed(mode):
    report = _gradcheck(network.bug("correct"), sizes=(4, 5, 5, 3), mode=mode)
    assert report.passed and report.ids == ()


@pytest.mark.parametrize("bug_name", ["softmax-diagonal-only", "extra-activation-derivative", "double-softmax"])
def test_gradcheck_points_a_wrong_output_delta_at_check_delta(bug_name):
    report = _gradcheck(network.bug(bug_name))
    assert not report.passed
    assert not {"scale", "sign", "transpose"} & set(report.ids)
    assert any("check_delta" in note for note in report.notes)


def test_gradcheck_points_a_wrong_hidden_derivative_at_that_layer():
    report = _gradcheck(network.bug("activation-derivative-of-activation"), sizes=(4, 6, 5, 3))
    wrong = [t.name for t in report.tensors if not t.passed]
    assert "W3" not in wrong and "b3" not in wrong and "W1" in wrong
    assert any("check_hidden_delta" in note for note in report.notes)


def test_a_single_wrong_entry_is_no_catalogued_mistake():
    report = _gradcheck(network.bug("entry", tensor=3, index=(1, 0), factor=1.5))
    assert not report.passed and report.ids == ()
    assert "none from the catalogue" in str(report)


def test_each_output_form_is_named_alone():
    for name in ("softmax-diagonal-only", "extra-activation-derivative", "double-softmax"):
        assert _output(name)().ids == (name,)


def test_correct_deltas_name_nothing():
    assert check_delta(network.OUTPUT_DELTAS["correct"], classes=3).ids == ()
    assert check_hidden_delta(lambda z, u: u * _sigmoid(z) * (1 - _sigmoid(z))).ids == ()
    assert np.isclose(check_delta(network.OUTPUT_DELTAS["correct"], classes=3).error, 0, atol=1e-15)


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("factor", [2.0, -1.0])
def test_a_one_entry_tensor_is_no_evidence_of_scale_or_sign(mode, factor):
    """Any one number is c times any other: a wrong scalar gradient names no factor."""
    def loss(p):
        return float(np.sum(p[0] ** 2) + np.sin(p[1][0]))

    def grad(p):
        return [2 * p[0], factor * np.cos(p[1])]

    report = gradcheck(loss, grad, [np.arange(1.0, 4.0), np.array([0.3])], mode=mode)
    assert not report.passed and report.ids == ()
    assert [t.passed for t in report.tensors] == [True, False]


def test_a_one_entry_tensor_joins_a_factor_a_larger_tensor_shows():
    def loss(p):
        return float(np.sum(p[0] ** 2) + np.sin(p[1][0]))

    def grad(p):
        return [2 * 2 * p[0], 2 * np.cos(p[1])]

    report = gradcheck(loss, grad, [np.arange(1.0, 4.0), np.array([0.3])])
    assert report.ids == ("scale",) and report.mistakes[0].message == "every tensor: off by a constant factor of 2"


def test_messages_from_numbers_are_worded_properly():
    from checks.report import Entry, Report

    report = Report("gradient check", False, 1.0, (), (Entry("W1", (0, 0), -0.0, 3.0),), (), "complex step", 0.0,
                    "full", 1e-9, 1e-13)
    row = next(line for line in str(report).splitlines() if line.startswith("W1"))
    assert row.split() == ["W1", "(0,", "0)", "0", "3", "-3", "0"]  # the ratio is 0, never "-0"
    with pytest.raises(ValueError, match=r"^params\[0\] is an array of int64; every"):
        gradcheck(lambda p: 0.0, lambda p: p, [np.arange(3)])


def _finding(id_, *tensors):
    from checks.report import Finding

    return Finding(id_, "", "", tensors, 2.0)


@pytest.mark.parametrize("failed, findings, hint", [
    ([True, True, True, True], [], "W2 and b2 are both wrong, and so is every layer below, so the error starts at "
     "the output delta: check your delta function with checks.check_delta(delta, output=..., cost=...)"),
    ([False, False, True, True], [_finding("scale", "W2", "b2")], "W2 and b2 are wrong but the layers below, which "
     "backpropagate the same output delta, are right: the mistake is in how the output layer's gradient is formed "
     "from the delta"),
    ([True, True, True, True], [_finding("scale", "W2")], "W2 and b2 are wrong in different ways: check each one's "
     "gradient"),
    ([True, True, True, True], [_finding("scale", "W1", "b1", "W2", "b2")], None),
    ([False, False, False, True], [], "b2 is wrong and W2 is right, so the output delta is right (both are built "
     "from it): the mistake is in b2's own gradient"),
    ([True, False, False, False], [], "W1 is wrong and b1, W2 and b2 are right: the error enters when "
     "backpropagating into layer 1 (its activation derivative or the transposed weights); "
     "checks.check_hidden_delta tests a hidden-layer delta function"),
])
def test_the_layer_hint_says_only_what_the_numbers_show(failed, findings, hint):
    from checks.diagnose import layer_hint

    assert layer_hint(["W1", "b1", "W2", "b2"], failed, set(), findings) == hint


def test_with_biases_folded_in_the_output_weights_alone_speak_for_the_output_layer():
    from checks.diagnose import layer_hint

    assert layer_hint(["W1", "W2"], [False, True], set(), []) == (
        "W2 is wrong but the layers below, which backpropagate the same output delta, are right: the mistake is in "
        "how the output layer's gradient is formed from the delta")
    assert "check_delta" in layer_hint(["W1", "W2"], [True, True], set(), [])


def test_a_factor_from_a_hidden_layer_down_is_traced_to_that_layer():
    report = _gradcheck(network.bug("sigma-prime-factor", factor=1.01))
    assert report.mistakes[0].message == ("W1, b1: off by a constant factor of about 1.01 (layer 1, nothing above: a "
                                          "factor in layer 1's delta, such as its activation derivative, does this)")


def test_a_factor_on_an_output_bias_alone_gets_no_activation_hint():
    from checks.diagnose import _scale_findings

    (finding,) = _scale_findings(2.0, ["b2"], ["W1", "b1", "W2", "b2"], None, None, 1e-6)
    assert finding.message == "b2: off by a constant factor of 2"
