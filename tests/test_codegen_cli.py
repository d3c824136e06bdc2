"""`derive codegen`, run as a user runs it: the module goes to stdout or, atomically, to -o FILE; bad input exits 2."""


import numpy as np
import pytest

from derive import functions
from conftest import import_file


def test_stdout_is_the_module(cli, tmp_path):
    run = cli("codegen", "softmax-jacobian", "--classes", "4")
    assert run.returncode == 0, run.stderr
    path = tmp_path / "jacobian.py"
    path.write_text(run.stdout)
    generated = import_file(path)
    z = np.array([1000.0, 999.0, 998.0, 0.0])
    assert generated.softmax_jacobian(z).shape == (4, 4) and np.isfinite(generated.softmax_jacobian(z)).all()


def test_file_is_written_and_importable(cli, tmp_path):
    path = tmp_path / "ce.py"
    run = cli("codegen", "cross-entropy-delta", "--classes", "1000", "-o", str(path))
    assert run.returncode == 0, run.stderr
    assert run.stdout == "" and list(tmp_path.iterdir()) == [path], "no temporary file is left behind"
    generated = import_file(path)
    z, y = np.full(1000, -1000.0), np.eye(1000)[7]
    assert np.isclose(generated.cross_entropy(z, y), np.log(1000)) and np.isfinite(generated.delta(z, y)).all()
    assert "`derive codegen cross-entropy-delta --classes 1000`" in path.read_text()


def test_missing_directory_is_a_usage_error_and_writes_nothing(run_main, tmp_path):
    run = run_main("codegen", "softmax-jacobian", "-o", str(tmp_path / "absent" / "j.py"))
    assert run.returncode == 2 and run.stderr.startswith("derive: error: cannot write")
    assert "does not exist" in run.stderr and not (tmp_path / "absent").exists()


@pytest.mark.parametrize("args, message", [
    (["no-such-id"], "unknown derivation"),
    (["softmax-jacobian", "--classes", "1"], "from 2 to"),
    (["softmax-jacobian", "--classes", "10001"], "from 2 to"),
    (["softmax-jacobian", "--sizes", "3,4"], "--sizes does not apply"),
])
def test_bad_input_exits_2_with_one_line(run_main, args, message):
    run = run_main("codegen", *args)
    assert run.returncode == 2 and message in run.stderr and run.stderr.count("\n") == 1 and run.stdout == ""


def test_a_directory_as_target_is_refused(run_main, tmp_path):
    run = run_main("codegen", "sigmoid", "-o", str(tmp_path))
    assert run.returncode == 2 and "it is a folder" in run.stderr


def test_an_existing_file_is_untouched_when_generation_fails(tmp_path, monkeypatch, capsys):
    """An error after the file was opened must leave the old module whole and no temporary file behind."""
    import errno

    from derive import atomic
    from derive.cli import main

    path = tmp_path / "keep.py"
    path.write_text("OLD = 1\n")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    assert main(["codegen", "softmax-jacobian", "-o", str(path)]) == 2
    assert capsys.readouterr().err == f"derive: error: cannot write {path}: No space left on device\n"
    assert path.read_text() == "OLD = 1\n" and list(tmp_path.iterdir()) == [path]


def test_a_mismatch_is_reported_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    from derive.cli import main
    from derive.codegen import check

    monkeypatch.setattr(check, "AGREEMENT", 0.0)  # nothing agrees to zero: every function fails its check
    path = tmp_path / "j.py"
    assert main(["codegen", "softmax-jacobian", "-o", str(path)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("derive: error: generated code does not match the derivation: softmax: relative error")
    assert error.count("\n") == 1 and not path.exists() and list(tmp_path.iterdir()) == []


# Pairs the derivation itself refuses, each with its mathematical reason: none today (every output/cost pair of
# the table is derived, proven and checked; a pair defined on part of the line only says where in its header).
REFUSED_BY_THE_DERIVATION: dict[tuple[str, str], str] = {}


def _pairs():
    return [(id_, output, cost) for id_ in ("bp1", "backprop") for output in functions.OUTPUTS
            for cost in functions.COSTS]


@pytest.mark.parametrize("id_, output, cost", _pairs())
def test_codegen_of_every_output_cost_pair_writes_code_that_passes_gradcheck(run_main, id_, output, cost):
    """The whole grid from the table: exit 0 with a module whose gradients pass checks.gradcheck (complex step, every
    coordinate) at a seeded point inside the pair's domain; a refused pair says why in one line, exit 2."""
    result = run_main("codegen", id_, "--output", output, "--cost", cost, "--sizes", "4,3,2")
    if (output, cost) in REFUSED_BY_THE_DERIVATION:
        assert result.returncode == 2 and REFUSED_BY_THE_DERIVATION[output, cost] in result.stderr
        return
    assert result.returncode == 0 and result.stderr == "", result.stderr
    module = load_generated(result.stdout)
    report = _gradcheck_of(module, id_, output, cost)
    assert report.verdict == "passed", report
    assert report.method == "complex step", report.notes  # our own code is complex-safe to checks.complex_safety


def load_generated(source):
    from derive.codegen import load_module

    return load_module(source, "pair")


def _gradcheck_of(module, id_, output, cost, seed=3, sizes=(4, 3, 2)):
    """bp1: delta(z, y) against the derivatives of Σ cost(z, y) in z; backprop: backprop() against cost() in the
    parameters of a network of `sizes` (one hidden layer), both on a batch of 3 one-hot targets."""
    from checks import gradcheck
    from derive.codegen.network import Domain, inside_the_domain

    rng = np.random.default_rng(seed)
    domain = Domain(output, cost)
    y = np.eye(2)[:, rng.integers(2, size=3)]
    if id_ == "bp1":
        z = np.stack([domain.moderate(2, rng) for _ in range(3)], axis=1)
        return gradcheck(lambda p: module.cost(p, y).sum(), lambda p: module.delta(p, y), z, seed=seed)
    weights = [rng.normal(size=(n, m)) / 2 for m, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=(n, 1)) for n in sizes[1:]]
    x = rng.random((sizes[0], 3))
    largest = np.abs(module.forward(weights, biases, x)[0][-2]).max()
    weights, biases = inside_the_domain(weights, biases, domain, largest)

    def loss(params):
        return module.cost(params[0::2], params[1::2], x, y)

    def grad(params):
        grad_w, grad_b = module.backprop(params[0::2], params[1::2], x, y)
        return [g for pair in zip(grad_w, grad_b) for g in pair]

    return gradcheck(loss, grad, [p for pair in zip(weights, biases) for p in pair], seed=seed)


def test_a_pair_defined_on_part_of_the_line_says_where_in_its_header(run_main):
    result = run_main("codegen", "backprop", "--output", "identity", "--cost", "cross-entropy")
    assert result.returncode == 0, result.stderr
    header = result.stdout.split('"""')[1]
    assert header.endswith(
        "Defined only inside the cost's domain: the cross-entropy cost is real only for a in (0, ∞), and the identity\n"
        "output takes every value in (−∞, ∞): the pair is defined only where a lies in (0, ∞). It was checked at such\n"
        "points (at |z| = 1000 only where a stays inside; backprop at weights of moderate size only).\n")


def test_softmax_with_binary_cross_entropy_is_finite_at_extreme_logits_and_fails_without_its_table_form(
        run_main, monkeypatch):
    """The cost entry's own stable forms pass the check at |z| = 1000; the derived ones (ln(1 − a), 1/(1 − a))
    would not, and the check says so (exit 1), never passing them."""
    from dataclasses import replace

    result = run_main("codegen", "bp1", "--output", "softmax", "--cost", "binary-cross-entropy")
    module = load_generated(result.stdout)
    z, y = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 3.0]]), np.eye(3)[:, [0, 2]]
    assert np.isfinite(module.cost(z, y)).all() and np.isfinite(module.delta(z, y)).all()
    bce = functions.COSTS["binary-cross-entropy"]
    monkeypatch.setitem(functions.COSTS, "binary-cross-entropy", replace(bce, stable_with=()))
    result = run_main("codegen", "bp1", "--output", "softmax", "--cost", "binary-cross-entropy")
    assert result.returncode == 1 and "finite at |z| = 1000: False" in result.stderr


@pytest.mark.parametrize("hidden", list(functions.ACTIVATIONS))
def test_codegen_backprop_for_every_hidden_activation_passes_gradcheck(run_main, hidden):
    """`derive codegen backprop --hidden NAME` for each activation of the table: exit 0, and backprop() agrees with
    complex steps of cost() in every parameter (seeded; the points sit away from relu's kink)."""
    result = run_main("codegen", "backprop", "--hidden", hidden, "--sizes", "4,3,2")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert ("import scipy.special" in result.stdout) == (hidden == "gelu")
    report = _gradcheck_of(load_generated(result.stdout), "backprop", "softmax", "cross-entropy")
    assert report.verdict == "passed" and report.method == "complex step", report.notes


@pytest.mark.parametrize("cost", ["cross-entropy", "binary-cross-entropy"])
def test_an_unbounded_hidden_layer_under_an_identity_output_with_logs_is_checked_inside_the_domain(run_main, cost):
    """relu's values are not in [−1, 1]: the check scales the output layer by the batch's own largest hidden value
    (test_the_output_layer_is_kept_inside_the_domain_for_hidden_values_of_any_size), and the module passes, here and
    under gradcheck."""
    result = run_main("codegen", "backprop", "--hidden", "relu", "--output", "identity", "--cost", cost,
                      "--sizes", "6,8,2")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    module = load_generated(result.stdout)
    assert _gradcheck_of(module, "backprop", "identity", cost, sizes=(6, 8, 2)).verdict == "passed"


def test_the_output_layer_is_kept_inside_the_domain_for_hidden_values_of_any_size():
    from derive.codegen.network import Domain, inside_the_domain

    rng = np.random.default_rng(0)
    weights, biases = [rng.normal(size=(3, 4))], [rng.normal(size=(3, 1))]
    hidden = 50 * rng.uniform(-1, 1, size=(4, 7))  # relu-sized values, not in [−1, 1]
    (w,), (b,) = inside_the_domain(weights, biases, Domain("identity", "binary-cross-entropy"), 50.0)
    assert np.all((w @ hidden + b > 0.3) & (w @ hidden + b < 0.7))
    assert inside_the_domain(weights, biases, Domain("sigmoid", "binary-cross-entropy"), 50.0) == (weights, biases)


@pytest.mark.parametrize("cost", ["abs(a - y) + max(a, y)", "(a - y)^2 + min(a, 0)^2 / 4"])
def test_a_cost_of_the_users_own_with_max_min_and_abs_generates_complex_safe_code(run_main, cost):
    """max/min print as numpy.where on a comparison (SymPy's own form needs functools), |u| as the table's _abs: the
    module passes gradcheck by complex step, away from the kinks (seeded points)."""
    from checks import gradcheck

    result = run_main("codegen", "bp1", "--output", "identity", "--cost", cost)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    module = load_generated(result.stdout)
    rng = np.random.default_rng(1)
    z, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    report = gradcheck(lambda p: module.cost(p, y).sum(), lambda p: module.delta(p, y), z, seed=1)
    assert report.verdict == "passed" and report.method == "complex step", report.notes
