"""backprop(weights, biases, x, y) generated from BP1-BP4: the right gradients, finite at extreme logits, any depth."""


import mpmath
import numpy as np
import pytest

from derive.codegen import generate_module, load_module
from derive.codegen.network import check_network
from conftest import import_file

PAIRS = [("softmax", "cross-entropy"), ("softmax", "quadratic"), ("sigmoid", "cross-entropy"), ("sigmoid", "quadratic")]
AGREE = 1e-13


def network(sizes, batch=5, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(n, m)) * scale / np.sqrt(m) for m, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=(n, 1)) for n in sizes[1:]]
    x = rng.random((sizes[0], batch))
    y = np.eye(sizes[-1])[:, rng.integers(sizes[-1], size=batch)]
    return weights, biases, x, y


def hand_written(weights, biases, x, y):
    """A textbook numpy backprop (sigmoid hidden layers, stable softmax output, cross-entropy, mean over columns)."""
    activations = [x]
    for w, b in zip(weights[:-1], biases[:-1]):
        activations.append(1 / (1 + np.exp(-(w @ activations[-1] + b))))
    z = weights[-1] @ activations[-1] + biases[-1]
    e = np.exp(z - z.max(axis=0))
    error = e / e.sum(axis=0) - y
    grad_w, grad_b = [None] * len(weights), [None] * len(weights)
    for layer in range(len(weights) - 1, -1, -1):
        grad_w[layer] = error @ activations[layer].T / x.shape[1]
        grad_b[layer] = error.mean(axis=1, keepdims=True)
        if layer:
            error = (weights[layer].T @ error) * activations[layer] * (1 - activations[layer])
    return grad_w, grad_b


@pytest.mark.parametrize("output, cost", PAIRS)
@pytest.mark.parametrize("sizes", [None, (3, 4, 4, 2), (2, 3)])
def test_generated_backprop_matches_complex_steps_of_its_cost(output, cost, sizes):
    generated = load_module(generate_module("backprop", sizes=sizes, output=output, cost=cost))
    checks = check_network(generated, "backprop", sizes=sizes, output=output, cost=cost, seed=2)
    assert all(c.finite_at_extremes for c in checks) and max(c.max_rel_error for c in checks) <= AGREE, checks


def test_matches_a_hand_written_backprop_on_784_30_10():
    generated = load_module(generate_module("backprop", sizes=(784, 30, 10)))
    weights, biases, x, y = network((784, 30, 10), batch=16)
    got, want = generated.backprop(weights, biases, x, y), hand_written(weights, biases, x, y)
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        assert g.shape == w.shape and np.allclose(g, w, rtol=1e-12, atol=1e-15)


def test_output_layer_gradient_at_logits_of_size_1000_against_mpmath():
    generated = load_module(generate_module("backprop"))
    weights, biases, x, y = network((3, 4, 3), batch=1)
    weights[-1] = weights[-1] * 2000  # output logits of a few hundred to a thousand
    a, z = generated.forward(weights, biases, x)
    assert np.abs(z[-1]).max() > 300
    grad_w, grad_b = generated.backprop(weights, biases, x, y)
    mpmath.mp.dps = 50
    exps = [mpmath.exp(mpmath.mpf(v)) for v in z[-1][:, 0]]
    softmax = [e / mpmath.fsum(exps) for e in exps]
    expected = np.array([[float(s - t)] for s, t in zip(softmax, y[:, 0])])  # BP3 at the output: δ^L = a^L − y
    assert np.all(np.isfinite(grad_w[0])) and np.allclose(grad_b[-1], expected, rtol=0, atol=AGREE)


def test_one_example_as_a_vector_and_shapes():
    generated = load_module(generate_module("backprop"))
    weights, biases, x, y = network((4, 6, 5, 3), batch=1)
    grad_w, grad_b = generated.backprop(weights, biases, x[:, 0], y[:, 0])
    assert [g.shape for g in grad_w] == [w.shape for w in weights]
    assert [g.shape for g in grad_b] == [b.shape for b in biases]


def test_sizes_fix_the_shapes():
    generated = load_module(generate_module("backprop", sizes=(4, 6, 3)))
    assert generated.SIZES == (4, 6, 3)
    with pytest.raises(ValueError, match="layer sizes"):
        generated.backprop(*network((4, 5, 3)))


def test_docstrings_state_bp1_to_bp4_and_the_derivation():
    generated = load_module(generate_module("backprop"))
    doc = generated.backprop.__doc__
    assert "derivation backprop" in doc and all(f"BP{n}:" in doc for n in range(1, 5))
    assert generated.output_error.__doc__.startswith("BP1: δ^L_i = a^L_i − y_i")


def test_cli_writes_an_importable_backprop(cli, tmp_path):
    path = tmp_path / "bp.py"
    run = cli("codegen", "backprop", "--sizes", "784,30,10", "-o", str(path))
    assert run.returncode == 0, run.stderr
    module = import_file(path)
    grad_w, grad_b = module.backprop(*network((784, 30, 10), batch=16))
    assert grad_w[0].shape == (30, 784) and grad_b[1].shape == (10, 1)


def test_cli_classes_does_not_apply_to_backprop(run_main):
    run = run_main("codegen", "backprop", "--classes", "10")
    assert run.returncode == 2 and "--classes does not apply" in run.stderr


@pytest.mark.parametrize("output, cost", PAIRS)
def test_bp1_module_is_the_output_layer_delta(output, cost):
    generated = load_module(generate_module("bp1", output=output, cost=cost))
    checks = check_network(generated, "bp1", output=output, cost=cost, seed=3)
    assert {"delta", "cost"} <= set(generated.__all__)
    assert all(c.finite_at_extremes for c in checks) and max(c.max_rel_error for c in checks) <= AGREE, checks


@pytest.mark.parametrize("output, cost", PAIRS)
def test_complex_step_through_the_bp1_cost_gives_its_delta_even_at_logits_of_1000(output, cost):
    generated = load_module(generate_module("bp1", output=output, cost=cost))
    z = np.array([1000.0, -999.0, 3.0, -0.5])
    y = np.array([0.0, 1.0, 0.0, 0.0])
    gradient = np.array([np.imag(generated.cost(z + 1e-30j * np.eye(4)[c], y)) / 1e-30 for c in range(4)])
    delta = generated.delta(z, y)
    assert np.all(np.isfinite(delta)) and np.isfinite(generated.cost(z, y))
    assert np.linalg.norm(gradient - delta) <= AGREE * np.linalg.norm(delta)


def test_bp1_for_softmax_and_cross_entropy_is_the_cross_entropy_delta():
    bp1, ce = load_module(generate_module("bp1")), load_module(generate_module("cross-entropy-delta"))
    z, y = np.random.default_rng(1).normal(size=(6, 4)) * 400, np.eye(6)[:, [0, 2, 5, 1]]
    assert np.array_equal(bp1.delta(z, y), ce.delta(z, y))
    assert np.array_equal(bp1.general_delta(z, 2 * y), ce.general_delta(z, 2 * y))


def test_the_check_rejects_a_wrong_backprop():
    """check_network is real: backprop with one weight gradient scaled by 1.01 fails it."""
    import types

    right = load_module(generate_module("backprop"), name="right_backprop")

    def off(weights, biases, x, y):
        grad_w, grad_b = right.backprop(weights, biases, x, y)
        return [grad_w[0] * 1.01, *grad_w[1:]], grad_b

    wrong = types.SimpleNamespace(**{name: getattr(right, name) for name in dir(right) if not name.startswith("__")})
    wrong.backprop = off
    assert all(check.passed for check in check_network(right, "backprop"))
    assert not all(check.passed for check in check_network(wrong, "backprop"))
