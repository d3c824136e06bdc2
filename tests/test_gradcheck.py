"""checks.gradcheck on the reference numpy MLP and small hand-made losses: verdicts, errors, localization, rendering."""

import io
import warnings

import numpy as np
import pytest

from checks import network
from checks.gradcheck import gradcheck
from checks.localize import localize
from checks.testing import assert_gradients

SMALL = (4, 5, 3)


def _problem(bug_name="correct", seed=0, sizes=SMALL, batch=4, **options):
    return network.problem(sizes, batch, seed, network.bug(bug_name, **options))


@pytest.mark.parametrize("method", ["complex", "central", "richardson", "auto"])
@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_correct_gradient_passes_with_every_method_and_mode(method, mode, seed):
    loss, grad, params = _problem(seed=seed)
    report = gradcheck(loss, grad, params, method=method, mode=mode, seed=seed)
    assert report.passed, str(report)
    assert report.mistakes == ()
    assert [t.name for t in report.tensors] == ["W1", "b1", "W2", "b2"]


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_complex_step_agrees_to_the_last_digits(mode):
    loss, grad, params = _problem(sizes=(6, 7, 4), batch=5)
    report = gradcheck(loss, grad, params, mode=mode)
    assert report.method == "complex step"
    # full mode measures the error; fast mode bounds it by 1/ratio = 1000 times the rounding-sized residual
    assert report.error <= (1e-12 if mode == "full" else 1e-11), str(report)
    assert report.bound == (mode == "fast")


def test_full_mode_reports_the_true_per_tensor_errors():
    loss, grad, params = _problem("sigma-prime-factor", factor=1.001)
    report = gradcheck(loss, grad, params, mode="full")
    errors = {t.name: t.error for t in report.tensors}
    assert errors["W1"] == pytest.approx(0.001 / 1.001, rel=1e-6)
    assert errors["b1"] == pytest.approx(0.001 / 1.001, rel=1e-6)
    assert errors["W2"] < 1e-14 and errors["b2"] < 1e-14
    assert not report.passed


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("factor", [1.001, 1.01])
def test_activation_derivative_off_everywhere_is_caught_in_its_layer(mode, factor):
    loss, grad, params = _problem("sigma-prime-factor", factor=factor)
    report = gradcheck(loss, grad, params, mode=mode)
    assert not report.passed
    assert [t.name for t in report.tensors if not t.passed] == ["W1", "b1"]


@pytest.mark.parametrize("tensor, index", [(1, (2, 0)), (3, (1, 0)), (0, (3, 1))])
@pytest.mark.parametrize("factor", [1.01, 2.0])
def test_fast_mode_localizes_a_single_wrong_entry(tensor, index, factor):
    loss, grad, params = _problem("entry", tensor=tensor, index=index, factor=factor, sizes=(8, 6, 3))
    report = gradcheck(loss, grad, params, mode="fast")
    assert not report.passed
    wrong = [t for t in report.tensors if not t.passed]
    assert [t.name for t in wrong] == [["W1", "b1", "W2", "b2"][tensor]]
    assert wrong[0].where == f"1 entry: {index}"
    worst = report.worst[0]
    assert worst.index == index
    assert worst.analytic == pytest.approx(factor * worst.numeric, rel=1e-12)


def test_fast_mode_localizes_without_a_coordinate_sweep():
    sizes = (40, 30, 10)  # 1,570 parameters; a sweep would take at least that many evaluations
    loss, grad, params = network.problem(sizes, 8, 0, network.bug("entry", tensor=0, index=(17, 23), factor=1.01))
    report = gradcheck(loss, grad, params, mode="fast")
    assert report.worst[0].index == (17, 23)
    assert report.evaluations < 100


def test_the_784_30_10_network_passes_correct_and_catches_a_tenth_of_a_percent():
    sizes, batch = (784, 30, 10), 16
    loss, grad, params = network.problem(sizes, batch, 3)
    assert gradcheck(loss, grad, params, mode="fast").passed
    loss, grad, params = network.problem(sizes, batch, 3, network.bug("sigma-prime-factor", factor=1.001))
    report = gradcheck(loss, grad, params, mode="fast")
    assert [t.name for t in report.tensors if not t.passed] == ["W1", "b1"]


def test_normwise_criterion_passes_tiny_entries_that_elementwise_rules_fail():
    scale = np.array([1.0, 1e-9, 1e-12])

    def loss(p):
        return np.sum(scale * np.sin(p) ** 2)

    def grad(p):
        exact = scale * 2 * np.sin(p) * np.cos(p)
        return exact * (1 + np.array([0.0, 1e-6, 1e-3]))  # the tiny entries carry rounding-sized junk

    report = gradcheck(loss, grad, np.array([0.3, 0.7, 1.1]))
    assert report.passed, str(report)
    assert [t.name for t in report.tensors] == ["params"]


def test_a_single_array_and_a_zero_gradient_tensor():
    def loss(p):
        return 0.5 * np.sum(p[0] ** 2)

    def grad(p):
        return [p[0], np.zeros_like(p[1])]

    params = [np.linspace(-1, 1, 5), np.ones((2, 2))]  # the second tensor does not enter the loss
    assert gradcheck(loss, grad, params).passed
    assert not gradcheck(loss, lambda p: [p[0], np.full_like(p[1], 1e-3)], params).passed


def test_a_loss_that_is_not_complex_safe_falls_back_to_richardson():
    loss, grad, params = _problem()
    unsafe = lambda p: float(np.real(loss(p)))  # noqa: E731 - drops the imaginary part
    report = gradcheck(unsafe, grad, params)
    assert report.method == "Richardson extrapolation"
    assert report.notes[0].startswith("complex step is ruled out (np.real drops the imaginary part at test_gradcheck")
    assert report.passed
    with pytest.raises(ValueError, match="complex-safe"):
        gradcheck(unsafe, grad, params, method="complex")


def test_a_loss_with_abs_is_detected_as_not_complex_safe():
    def loss(p):
        return np.sum(np.abs(p) ** 3)

    report = gradcheck(loss, lambda p: 3 * p * np.abs(p), np.array([0.5, -1.5, 2.0]))
    assert report.method == "Richardson extrapolation"
    assert "np.abs drops the imaginary part" in report.notes[0]
    assert report.passed


def test_central_differences_still_catch_a_tenth_of_a_percent():
    loss, grad, params = _problem("sigma-prime-factor", factor=1.001)
    report = gradcheck(lambda p: float(np.real(loss(p))), grad, params, mode="fast", method="central")
    assert not report.passed
    assert report.rtol == 1e-5


def test_float32_parameters_warn_and_relax_the_tolerance():
    loss, grad, params = _problem()
    low = [p.astype(np.float32) for p in params]
    with pytest.warns(UserWarning, match="float32"):
        report = gradcheck(loss, grad, low)
    assert report.passed
    assert report.rtol == 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss, grad, _ = _problem("sigma-prime-factor", factor=1.01)
        assert not gradcheck(loss, grad, low).passed


def test_step_is_chosen_from_the_scale_of_the_parameters():
    loss, grad, params = _problem()
    small = gradcheck(loss, grad, params, method="central")
    large = gradcheck(lambda p: loss([q / 100 for q in p]), lambda p: [g / 100 for g in grad([q / 100 for q in p])],
                      [100 * q for q in params], method="central")
    assert large.step == pytest.approx(100 * small.step)
    assert large.passed
    assert gradcheck(loss, grad, params, method="central", step=1e-4).step == 1e-4


def test_user_tolerances_override_the_table():
    loss, grad, params = _problem("sigma-prime-factor", factor=1.001)
    assert gradcheck(loss, grad, params, rtol=1e-2).passed
    assert not gradcheck(loss, grad, params).passed


def test_same_seed_same_report():
    loss, grad, params = _problem("entry", tensor=0, index=(1, 1), factor=1.5)
    first, second = (gradcheck(loss, grad, params, mode="fast", seed=7) for _ in range(2))
    assert first == second


@pytest.mark.parametrize(
    "make_grad, message",
    [
        (lambda g: g[:3], "returned 3 arrays for 4"),
        (lambda g: [g[0][:2], *g[1:]], r"W1 has shape \(2, 4\), expected \(5, 4\)"),
        (lambda g: [g[0], g[1] * np.nan, *g[2:]], "NaN"),
    ],
)
def test_bad_gradients_are_named(make_grad, message):
    loss, grad, params = _problem()
    with pytest.raises(ValueError, match=message):
        gradcheck(loss, lambda p: make_grad(grad(p)), params)


@pytest.mark.parametrize(
    "options, message",
    [({"method": "forward"}, "unknown method"), ({"mode": "slow"}, "unknown mode"), ({"names": ["a"]}, "1 names"),
     ({"probes": 1}, "probes must be")],
)
def test_bad_options_are_named(options, message):
    loss, grad, params = _problem()
    with pytest.raises(ValueError, match=message):
        gradcheck(loss, grad, params, **options)


def test_bad_params_and_loss_are_named():
    loss, grad, params = _problem()
    with pytest.raises(ValueError, match="floating-point"):
        gradcheck(loss, grad, [np.arange(3)])
    with pytest.raises(ValueError, match="empty"):
        gradcheck(loss, grad, [])
    with pytest.raises(ValueError, match="scalar"):
        gradcheck(lambda p: np.ones(2), grad, params)


def test_report_renders_as_text_rich_and_html():
    loss, grad, params = _problem("entry", tensor=1, index=(2, 0), factor=2.0)
    report = gradcheck(loss, grad, params, mode="fast")
    text = str(report)
    assert text.startswith("gradient check: FAILED")
    assert "b1" in text and "1 entry: (2, 0)" in text and "worst entries" in text
    from rich.console import Console

    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(report)
    rendered = console.file.getvalue()
    assert "FAILED" in rendered and "1 entry: (2, 0)" in rendered
    bundle = report._repr_mimebundle_()
    assert bundle["text/plain"] == text and "<" in bundle["text/html"]


def test_passing_report_says_so():
    loss, grad, params = _problem()
    text = str(gradcheck(loss, grad, params, mode="fast"))
    assert text.startswith("gradient check: PASSED")
    assert "WRONG" not in text


def test_assert_gradients_passes_quietly_and_fails_with_the_report():
    loss, grad, params = _problem()
    assert assert_gradients(loss, grad, params).passed
    loss, grad, params = _problem("scale", factor=4.0)
    with pytest.raises(AssertionError) as failure:
        assert_gradients(loss, grad, params, batch_size=4)
    message = str(failure.value)
    assert "gradient check: FAILED" in message and "[scale]" in message and "batch size" in message


def test_localize_finds_planted_entries_by_bisection():
    rng = np.random.default_rng(0)
    error = np.zeros(1000)
    error[[137, 801]] = [1.0, -0.5]
    directions = rng.standard_normal((2, 1000))
    calls = []

    def residual(start, stop, values):
        calls.append((start, stop))
        return float(values @ error[start:stop])

    found = localize(directions, directions @ error, residual, threshold=1e-9, max_entries=5)
    assert sorted(found.entries) == [137, 801]
    assert not found.spread
    assert len(calls) <= 2 * 2 * 10  # two directions, two descents of log2(1000) levels


# --- a relu network, placed at a kink -------------------------------------------------------------------------------

def _relu_problem(at_kink: bool, w2_factor: float = 1.0, relu=lambda z: np.maximum(0, z)):
    rng = np.random.default_rng(3)
    x, labels = rng.normal(size=(4, 6)), rng.integers(3, size=6)
    y = np.eye(3)[:, labels]
    params = [rng.normal(size=(5, 4)), rng.normal(size=(5, 1)), rng.normal(size=(3, 5)), rng.normal(size=(3, 1))]
    if at_kink:  # unit 2 of example 0 gets pre-activation exactly 0
        params[1][2, 0] = -(params[0] @ x)[2, 0]

    def forward(p):
        z1 = p[0] @ x + p[1]
        a1 = relu(z1)
        z2 = p[2] @ a1 + p[3]
        shifted = z2 - np.max(z2, axis=0, keepdims=True)
        return z1, a1, shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))

    def loss(p):
        return -np.sum(y * forward(p)[2]) / x.shape[1]

    def grad(p):
        z1, a1, log_probs = forward(p)
        d2 = (np.exp(log_probs) - y) / x.shape[1]
        d1 = (p[2].T @ d2) * (z1 > 0)
        return [d1 @ x.T, d1.sum(axis=1, keepdims=True), w2_factor * d2 @ a1.T, d2.sum(axis=1, keepdims=True)]

    return loss, grad, params


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("relu", [lambda z: np.maximum(0, z), lambda z: z * (z > 0)])
def test_a_relu_network_at_a_kink_is_not_differentiable_there_never_wrong(mode, relu):
    report = gradcheck(*_relu_problem(at_kink=True, relu=relu), mode=mode)
    assert report.verdict == "not-differentiable" and report.inconclusive and not report.passed, str(report)
    assert {t.name for t in report.tensors if not t.passed} == {"W1", "b1"}
    assert "the loss is not differentiable at this point: the probes of W1, b1 cross a kink" in str(report)
    assert "try another seed or another point" in str(report)
    assert report.mistakes == () and "NOT DIFFERENTIABLE HERE" in str(report)


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_a_relu_network_away_from_kinks_passes_by_complex_step(mode):
    report = gradcheck(*_relu_problem(at_kink=False), mode=mode)
    assert report.passed and report.verdict == "passed", str(report)
    assert report.method == "complex step"


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_a_wrong_tensor_elsewhere_is_still_wrong_at_a_kink(mode):
    report = gradcheck(*_relu_problem(at_kink=True, w2_factor=2.0), mode=mode)
    assert report.verdict == "failed", str(report)
    assert [t.name for t in report.tensors if not t.passed and not t.kinked] == ["W2"]
    assert [t.name for t in report.tensors if t.kinked] == ["W1", "b1"]
    assert report.ids == ("scale",)


# --- the newcomer's network: every hidden unit of example 0 at the same distance from relu's kink ---------------------

def _near_kink_problem(distance: float, w2_factor: float = 1.0, b1_factor: float = 1.0):
    """Example 0 is all zeros and b1 = distance, so five pre-activations sit at `distance` from the kink; the
    gradient (mask z1 > 0) is right unless a factor is planted."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 8))
    x[:, 0] = 0.0
    y = np.eye(3)[:, rng.integers(3, size=8)]
    params = [rng.normal(size=(5, 4)), np.full((5, 1), distance), rng.normal(size=(3, 5)), np.zeros((3, 1))]

    def forward(p):
        z1 = p[0] @ x + p[1]
        a1 = np.maximum(z1, 0)
        z2 = p[2] @ a1 + p[3]
        e = np.exp(z2 - z2.real.max(axis=0))
        return z1, a1, e / e.sum(axis=0)

    def loss(p):
        return -np.sum(y * np.log(forward(p)[2])) / x.shape[1]

    def grad(p):
        z1, a1, a2 = forward(p)
        d2 = (a2 - y) / x.shape[1]
        d1 = (p[2].T @ d2) * (z1 > 0)
        return [d1 @ x.T, b1_factor * d1.sum(axis=1, keepdims=True), w2_factor * d2 @ a1.T,
                d2.sum(axis=1, keepdims=True)]

    return loss, grad, params


NEAR_KINK_GRID = [(d, m, mode, seed) for d in (1e-9, 1e-7, 1e-5) for m in ("central", "richardson", "auto")
                  for mode in ("full", "fast") for seed in (0, 1)]


@pytest.mark.parametrize("distance, method, mode, seed", NEAR_KINK_GRID)
def test_a_right_gradient_near_a_kink_is_never_failed(distance, method, mode, seed):
    report = gradcheck(*_near_kink_problem(distance), method=method, mode=mode, seed=seed)
    assert report.verdict in ("passed", "not-differentiable"), str(report)
    assert report.mistakes == () and all(t.passed or t.kinked for t in report.tensors), str(report)


@pytest.mark.parametrize("distance, method, mode, seed", NEAR_KINK_GRID)
def test_a_wrong_tensor_beside_a_near_kink_still_fails(distance, method, mode, seed):
    report = gradcheck(*_near_kink_problem(distance, w2_factor=1.001), method=method, mode=mode, seed=seed)
    assert report.verdict == "failed", str(report)
    assert [t.name for t in report.tensors if not t.passed and not t.kinked] == ["W2"], str(report)


@pytest.mark.parametrize("method", ["central", "richardson", "auto"])
@pytest.mark.parametrize("mode", ["full", "fast"])
def test_a_wrong_gradient_away_from_the_kink_fails_where_it_is_wrong(method, mode):
    report = gradcheck(*_near_kink_problem(0.5, b1_factor=1.001), method=method, mode=mode)
    assert report.verdict == "failed", str(report)
    assert [t.name for t in report.tensors if not t.passed] == ["b1"], str(report)


def test_central_at_the_newcomers_point_settles_below_the_kink_and_passes():
    """b1 = 1e-7 leaves central differences at b1's own scale (6.7e-13) to rounding; the settled ladder passes."""
    report = gradcheck(*_near_kink_problem(1e-7), method="central", mode="full")
    assert report.verdict == "passed", str(report)


RELU_FILE = """
import numpy as np

rng = np.random.default_rng(3)
x = rng.normal(size=(4, 6))
params = [rng.normal(size=(5, 4)), rng.normal(size=(5, 1))]
params[1][2, 0] = -(params[0] @ x)[2, 0]  # a pre-activation exactly at the kink


def loss(p):
    return 3 * np.sum(np.maximum(0, p[0] @ x + p[1]))


def grad(p):
    mask = 3.0 * (p[0] @ x + p[1] > 0)
    return [mask @ x.T, mask.sum(axis=1, keepdims=True)]
"""


def test_the_cli_exits_2_at_a_kink_and_names_it(tmp_path, capsys):
    from derive.cli import main

    source = tmp_path / "relu_at_kink.py"
    source.write_text(RELU_FILE)
    assert main(["gradcheck", str(source)]) == 2
    assert "NOT DIFFERENTIABLE HERE" in capsys.readouterr().out


@pytest.mark.parametrize("at_kink, code, verdict", [(True, 2, "not-differentiable"), (False, 0, "passed")])
def test_the_json_document_names_the_verdict_the_exit_code_gives(tmp_path, capsys, at_kink, code, verdict):
    import json

    from derive.cli import main

    source = tmp_path / "relu.py"
    source.write_text(RELU_FILE if at_kink else RELU_FILE.replace("params[1][2, 0] =", "params[1][2, 0] = 1 +"))
    assert main(["gradcheck", str(source), "--format", "json"]) == code
    document = json.loads(capsys.readouterr().out)
    assert document["verdict"] == verdict and document["passed"] is (code == 0)


# --- joint probes, bounds, the fallback -------------------------------------------------------------------------------

def test_a_passing_fast_check_costs_two_loss_evaluations_and_reports_bounds():
    loss, grad, params = network.problem((784, 30, 10), 16, 1)
    report = gradcheck(loss, grad, params, mode="fast", seed=1)
    assert report.passed and report.evaluations == 2 and report.mode == "fast (2 joint probes)"
    assert report.bound and all(t.bound and t.error < report.rtol for t in report.tensors)
    assert "every error shown is an upper bound that holds with probability >= 1 - 6.7e-07" in str(report)
    assert "< " in str(report).splitlines()[0]


def test_float32_keeps_the_cost_profile_with_three_joint_probes():
    loss, grad, params = network.problem((784, 30, 10), 16, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = gradcheck(loss, grad, [p.astype(np.float32) for p in params], mode="fast")
    assert report.passed and report.evaluations == 3 and report.rtol == 1e-4


def test_the_joint_probe_weights_each_tensor_by_its_own_tolerance():
    """b2's gradient is tiny next to W1's; an error of 3x its own tolerance must still fail it."""
    loss, grad, params = _problem(sizes=(30, 20, 3), batch=6)

    def off(p):
        g = grad(p)
        g[3] = g[3] + 3e-9 * np.linalg.norm(g[3]) * np.sign(g[3])  # 3 x rtol, in one direction
        return g

    report = gradcheck(loss, off, params, mode="fast")
    assert report.verdict == "failed", str(report)
    assert [t.name for t in report.tensors if not t.passed] == ["b2"]


@pytest.mark.parametrize("seed", range(20))
def test_one_entry_wrong_by_twice_the_tolerance_is_never_passed(seed):
    loss, grad, params = _problem(sizes=(40, 30, 10), batch=8, seed=seed)
    rng = np.random.default_rng(seed)
    index = (int(rng.integers(30)), int(rng.integers(40)))

    def off(p):
        g = grad(p)
        g[0][index] += 2e-9 * np.linalg.norm(g[0])  # the tensor's normwise error is 2 x rtol
        return g

    report = gradcheck(loss, off, params, mode="fast", seed=seed)
    assert report.verdict == "failed" and not report.tensors[0].passed, str(report)


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_richardson_fallback_catches_a_forgotten_l1_term_of_relative_size_1e6(mode):
    loss, grad, params = _problem()
    norm = np.sqrt(sum(np.vdot(g, g) for g in grad(params)))
    lam = 1e-6 * norm / np.sqrt(sum(p.size for p in params))  # ||lam sign(w)|| = 1e-6 ||g||

    def with_l1(p):
        return loss(p) + lam * sum(np.sum(np.abs(q)) for q in p)

    def right(p):
        return [g + lam * np.sign(q) for g, q in zip(grad(p), p)]

    passed = gradcheck(with_l1, right, params, mode=mode)
    assert passed.passed and passed.method == "Richardson extrapolation", str(passed)
    assert "np.abs drops the imaginary part" in passed.notes[0]
    forgotten = gradcheck(with_l1, grad, params, mode=mode)
    assert forgotten.verdict == "failed", str(forgotten)


def test_a_complex_gradient_is_refused_by_name():
    loss, grad, params = _problem()
    with pytest.raises(ValueError, match=r"grad\(params\) for W2 is a complex array \(complex128\)"):
        gradcheck(loss, lambda p: [g.astype(complex) if i == 2 else g for i, g in enumerate(grad(p))], params)


def test_a_loss_that_raises_at_complex_input_falls_back_with_a_note():
    loss, grad, params = _problem()

    def strict(p):
        cost = loss(p)
        assert isinstance(cost, float), "cost must be a float"
        return cost

    report = gradcheck(strict, grad, params)  # np.float64 is a float: only complex input raises
    assert report.passed and report.method == "Richardson extrapolation"
    assert "it raised AssertionError: cost must be a float at complex input" in report.notes[0]


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_a_jump_of_the_curvature_is_never_blamed_on_the_gradient(mode):
    """relu(z)^2 / 2 is differentiable at z = 0 but its curvature jumps: differences do not converge there."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 6))
    params = [rng.normal(size=(5, 4)), rng.normal(size=(5, 1))]
    params[1][2, 0] = -(params[0] @ x)[2, 0]

    def loss(p):
        return np.sum(np.maximum(0, p[0] @ x + p[1]) ** 2) / 2

    def grad(p):
        a = np.maximum(0, p[0] @ x + p[1])
        return [a @ x.T, a.sum(axis=1, keepdims=True)]

    report = gradcheck(loss, grad, params, mode=mode)
    assert report.verdict in ("passed", "not-differentiable"), str(report)
    wrong = gradcheck(loss, lambda p: [2 * g for g in grad(p)], params, mode=mode)
    assert wrong.verdict == "failed", str(wrong)


def test_a_grad_that_edits_its_parameters_in_place_is_judged_on_its_gradient():
    """Learners take the SGD step inside grad; the gradient it returns is still right, and must pass."""
    loss, grad, params = _problem()

    def grad_then_step(p):
        gradients = grad(p)
        for parameter, gradient in zip(p, gradients):
            parameter -= 0.1 * gradient
        return gradients

    before = [p.copy() for p in params]
    report = gradcheck(loss, grad_then_step, params)
    assert report.passed, str(report)
    assert all(np.array_equal(p, q) for p, q in zip(params, before))


@pytest.mark.parametrize("width", [60, 80, 100])
def test_a_report_never_splits_a_number_or_a_name_at_narrow_widths(width):
    import re

    from rich.console import Console

    loss, grad, params = _problem("entry")
    report = gradcheck(loss, grad, params, mode="full")
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(report)
    shown = console.file.getvalue()
    for entry in report.worst:
        for value in (entry.analytic, entry.numeric):
            number = re.search(re.escape(f'{value + 0.0:.12g}'), shown)
            assert number, (width, value, shown)
    assert "differen\n" not in shown and all(len(line) <= width for line in shown.splitlines())


def test_a_passing_check_holds_at_most_the_workspace_and_the_first_probes_words_beside_the_loss():
    """Peak extra memory (tracemalloc: what the check allocates beyond the inputs, the user's loss and grad included):
    the complex workspace (2x the parameters), the first probe's int32 words (0.5x) until its loss call, never the
    gradient beside them."""
    import tracemalloc

    loss, grad, params = network.problem((784, 100, 10), 8, 0)
    size = sum(p.nbytes for p in params)
    gradcheck(loss, grad, params, mode="fast")  # imports and caches outside the measurement
    tracemalloc.start()
    try:
        report = gradcheck(loss, grad, params, mode="fast")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.passed and peak <= 2.7 * size, peak / size


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_analytic_side_uses_exactly_the_direction_the_workspace_holds(dtype):
    """With a one-hot gradient u . g is one entry of u; the workspace's imaginary part / h must be that entry, bit for
    bit, for the first probe (kept words) and the second (drawn again)."""
    from checks import joint
    from checks.differences import Workspace
    from checks.tolerances import tolerance_for

    params = [np.ones((7, 5), dtype=dtype), np.ones((3, 1), dtype=dtype), np.ones(20000, dtype=dtype)]
    real = np.float32 if dtype == np.float32 else np.float64
    for t, index in [(0, (6, 2)), (1, (2, 0)), (2, (17000,))]:
        grads = [np.zeros_like(p) for p in params]
        grads[t][index] = 1.0
        norms = [float(np.linalg.norm(g)) for g in grads]
        h = joint.step(3e-20)
        probes = joint.prepare(grads, norms, tolerance_for("float64", "complex"), h, 5, 2, [np.dtype(real)] * 3)
        work = Workspace(params, True)
        for k in range(2):
            joint.measure(lambda p: 0.0, work, probes, k)
            assert work.arrays[t].imag[index] / real(h) == probes.sides[k] != 0
    assert h == 2.0 ** -65


@pytest.mark.parametrize("mode", ["auto", "full", "fast"])
def test_a_loss_that_is_nan_at_the_point_is_refused_never_failed(mode):
    """ln of a negative pre-activation is NaN as a real number but finite as a complex one: the complex step there
    reads the branch cut (±π / h), so the check must refuse the point, not call the gradient wrong."""
    rng = np.random.default_rng(0)
    x, y, w = rng.standard_normal((3, 4)), np.eye(3)[:, [0, 1, 2, 0]], rng.standard_normal((3, 3))

    def loss(p):
        return -np.sum(y * np.log(p[0] @ x)) / 4

    def grad(p):
        return [-(y / (p[0] @ x)) @ x.T / 4]

    with np.errstate(invalid="ignore"):
        assert np.isnan(loss([w]))
        with pytest.raises(ValueError, match="loss\\(params\\) must be a finite real number, got nan$"):
            gradcheck(loss, grad, [w], mode=mode)
