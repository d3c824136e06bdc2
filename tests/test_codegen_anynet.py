"""Generated backprop for any hidden activations: right gradients (complex step of its own cost), against a
hand-written tanh/relu backprop, scipy's erf stated for the GELU, and a wrong BP2 line caught by the check."""

import numpy as np
import pytest
import sympy as sp

from derive import functions
from derive.codegen import generate_module, load_module
from derive.codegen.network import check_network

AGREE = 1e-12


def _network(sizes, batch=5, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(n, m)) / np.sqrt(m) for m, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=(n, 1)) for n in sizes[1:]]
    x = rng.random((sizes[0], batch))
    y = rng.integers(0, 2, size=(sizes[-1], batch)).astype(float)
    return weights, biases, x, y


def hand_written_tanh_relu(weights, biases, x, y):
    """tanh then relu hidden layers, one sigmoid output, binary cross-entropy, mean over the columns."""
    (w1, w2, w3), (b1, b2, b3) = weights, biases
    a1 = np.tanh(w1 @ x + b1)
    z2 = w2 @ a1 + b2
    a2 = np.maximum(z2, 0)
    a3 = 1 / (1 + np.exp(-(w3 @ a2 + b3)))
    m = x.shape[1]
    d3 = a3 - y
    d2 = (w3.T @ d3) * (z2 > 0)
    d1 = (w2.T @ d2) * (1 - a1**2)
    return [d1 @ x.T / m, d2 @ a1.T / m, d3 @ a2.T / m], [d.mean(axis=1, keepdims=True) for d in (d1, d2, d3)]


@pytest.mark.parametrize("name", list(functions.ACTIVATIONS))
def test_generated_backprop_for_every_hidden_activation_passes_its_check(name):
    source = generate_module("backprop", hidden=(name,))
    checks = check_network(load_module(source), "backprop", hidden=(name,), seed=1)
    assert all(c.finite_at_extremes for c in checks) and max(c.max_rel_error for c in checks) <= AGREE, checks


def test_tanh_relu_sigmoid_network_matches_a_hand_written_backprop():
    options = {"sizes": (6, 5, 4, 1), "output": "sigmoid", "cost": "cross-entropy", "hidden": ("tanh", "relu")}
    generated = load_module(generate_module("backprop", **options))
    weights, biases, x, y = _network(options["sizes"], batch=7)
    got, want = generated.backprop(weights, biases, x, y), hand_written_tanh_relu(weights, biases, x, y)
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        assert g.shape == w.shape and np.allclose(g, w, rtol=1e-12, atol=1e-15)


def test_the_erf_gelu_imports_scipy_and_says_so():
    source = generate_module("backprop", hidden=("gelu",))
    assert "import scipy.special" in source and "Needs scipy.special (for gelu)" in source
    assert "scipy" not in generate_module("backprop", hidden=("tanh",))


def test_a_wrong_bp2_line_fails_the_check():
    source = generate_module("backprop", hidden=("tanh",))
    right = "*(1 - a[l]**2)  # BP2"
    assert right in source
    wrong = load_module(source.replace(right, "*a[l]*(1 - a[l])  # BP2"))
    (failed,) = [c for c in check_network(wrong, "backprop", hidden=("tanh",)) if c.function == "backprop"]
    assert failed.max_rel_error > 1e-3


def test_weight_decay_adds_lambda_w_and_the_penalty_and_a_module_without_it_fails():
    source = generate_module("backprop", hidden=("tanh",), weight_decay=0.01)
    assert "WEIGHT_DECAY = 0.01" in source and "+ WEIGHT_DECAY * weights[l - 1]" in source
    checks = check_network(load_module(source), "backprop", hidden=("tanh",), weight_decay=0.01)
    assert max(c.max_rel_error for c in checks) <= AGREE
    silent = load_module(source.replace("WEIGHT_DECAY = 0.01", "WEIGHT_DECAY = 0.0"))
    failed = {c.function: c.max_rel_error for c in check_network(silent, "backprop", hidden=("tanh",),
                                                                 weight_decay=0.01)}
    assert failed["WEIGHT_DECAY"] > 1e-3
    no_lambda_w = load_module(source.replace(" + WEIGHT_DECAY * weights[l - 1]", ""))
    failed = {c.function: c.max_rel_error for c in check_network(no_lambda_w, "backprop", hidden=("tanh",),
                                                                 weight_decay=0.01)}
    assert failed["backprop"] > 1e-6


LOG_COSH = functions.Cost("log-cosh", "log-cosh", "C = Σ_j ln cosh(a_j − y_j)",
                          per_unit=sp.log(sp.cosh(functions.A - functions.Y)),
                          gradient=sp.tanh(functions.A - functions.Y), numpy="numpy.log(numpy.cosh(a - y))",
                          targets="real")
TANH_UNITS = functions.Output("tanh-units", "tanh, unit by unit", "a_j = tanh z_j", activation="tanh",
                              range=(-1.0, 1.0))


@pytest.fixture
def registered():
    functions.register(LOG_COSH)
    functions.register(TANH_UNITS)
    try:
        yield
    finally:
        functions.COSTS.pop(LOG_COSH.id)
        functions.OUTPUTS.pop(TANH_UNITS.id)


@pytest.mark.parametrize("output, cost", [("tanh-units", "quadratic"), ("sigmoid", "log-cosh"),
                                          ("tanh-units", "log-cosh"), ("tanh-units", "cross-entropy")])
@pytest.mark.parametrize("id_", ["bp1", "backprop"])
def test_a_registered_output_or_cost_gets_checked_code_with_no_codegen_edit(registered, id_, output, cost):
    """A new table entry is all it takes: the module is generated, passes its pre-write check and gradcheck
    (tanh units under cross-entropy only where a > 0, which its header says)."""
    from test_codegen_cli import _gradcheck_of

    source = generate_module(id_, sizes=(4, 3, 2), output=output, cost=cost)
    module = load_module(source)
    assert all(c.passed for c in check_network(module, id_, sizes=(4, 3, 2), output=output, cost=cost))
    assert _gradcheck_of(module, id_, output, cost).verdict == "passed"
    assert ("Defined only inside the cost's domain" in source) == (cost == "cross-entropy")
