"""checks.backprop_check: the derived equations against finite differences on whole networks."""

from dataclasses import replace

import numpy as np
import pytest
import sympy as sp

import checks.backprop_check as backprop_check
from checks.backprop_check import BATCH, NetworkCheck, check_derivation, finite_differences
from checks.derivation_check import check_derivation as dispatch
from checks.network import backprop as reference_backprop
from checks.network import init_params, make_batch
from derive.backprop import backprop, bp1, bp2, bp3, bp4
from derive.backprop.notation import C, Ones, Statement, Tr, l, m, matrix, n


def test_backprop_passes_on_784_30_10_in_every_parameter():
    check = check_derivation(backprop())
    assert check.passed and check.max_rel_error <= 1e-8
    assert check.points == 23_860 + 29  # 784-30-10 and 2-3-3-2, every parameter
    assert check.at == "784-30-10 ×16, 2-3-3-2 ×16"
    assert "all 23,860 parameters of 784-30-10" in check.method and "lambdified" in check.method


def test_the_checker_is_reached_through_the_family_dispatch():
    assert dispatch(bp3()) == check_derivation(bp3())


def test_the_finite_differences_agree_with_an_independent_backprop():
    """The central differences against checks.network's hand-written backprop (another helper's code)."""
    sizes = (784, 30, 10)
    differences, _ = finite_differences(sizes, "softmax", "cross-entropy", 0)
    x, y = make_batch(sizes, BATCH, 0)
    for reference, gradient in zip(differences, reference_backprop(init_params(sizes, 0), x, y)):
        assert reference.error(gradient) < 1e-9


@pytest.mark.parametrize("builder", [bp1, bp2, bp3, bp4])
def test_each_equation_alone_is_checked_with_the_others_as_derived(builder):
    check = check_derivation(builder())
    assert check.passed
    assert f"{builder.__name__.upper()} from this derivation" in check.method


@pytest.mark.parametrize("output, cost", [("softmax", "quadratic"), ("sigmoid", "cross-entropy"),
                                          ("sigmoid", "quadratic")])
def test_every_output_cost_pair_passes(output, cost):
    check = check_derivation(backprop(sizes=(5, 4, 3, 3), output=output, cost=cost))
    assert check.passed, check
    assert check.at == "5-4-3-3 ×16"


def test_a_network_without_hidden_layer_is_still_checked():
    check = check_derivation(backprop(sizes=(3, 2)))
    assert check.points == 8 and 0 < check.max_rel_error <= 1e-8 and check.passed
    assert "BP2 is not used" in check.method


def test_a_missing_mean_in_the_batch_form_is_caught():
    derivation = bp4()
    position = max(p for p, s in enumerate(derivation.steps) if s.rule == "batch-form")
    no_mean = Statement(sp.Derivative(C, matrix("W", l, n[l], n[l - 1])),
                        sp.MatMul(matrix("Delta", l, n[l], m), Tr(matrix("A", l - 1, n[l - 1], m))))
    steps = list(derivation.steps)
    steps[position] = replace(steps[position], expr=no_mean)
    check = check_derivation(replace(derivation, steps=tuple(steps)))
    assert not check.passed and check.max_rel_error > 1  # off by the batch size, 16


def test_a_doubled_bias_gradient_is_caught():
    derivation = bp3()
    position = max(p for p, s in enumerate(derivation.steps) if s.rule == "batch-form")
    doubled = Statement(sp.Derivative(C, matrix("b", l, n[l])), sp.MatMul(2 / m, matrix("Delta", l, n[l], m), Ones(m, 1)))
    steps = list(derivation.steps)
    steps[position] = replace(steps[position], expr=doubled)
    check = check_derivation(replace(derivation, steps=tuple(steps)))
    assert not check.passed and "b" in check.method.split("worst tensor ")[1]


def test_large_networks_are_checked_along_directions_and_at_sampled_coordinates(monkeypatch):
    monkeypatch.setattr(backprop_check, "ALL_COORDINATES_FLOPS", 0)
    backprop_check.finite_differences.cache_clear()
    try:
        check = check_derivation(backprop(sizes=(6, 5, 4)))
    finally:
        backprop_check.finite_differences.cache_clear()
    assert check.passed and "random directions" in check.method


def test_the_network_bound_is_stricter_than_the_derivation_bound():
    assert NetworkCheck(5e-9, 1, "", "").passed
    assert not NetworkCheck(5e-8, 1, "", "").passed  # a NumericCheck would pass this (1e-7)
    assert not NetworkCheck(float("nan"), 1, "", "").passed


def test_the_seed_changes_the_network_and_keeps_the_verdict():
    first, second = check_derivation(backprop(sizes=(4, 3, 2)), seed=0), check_derivation(backprop(sizes=(4, 3, 2)), seed=1)
    assert first.passed and second.passed and first.max_rel_error != second.max_rel_error


def test_derived_gradients_match_the_independent_backprop_exactly_enough():
    sizes = (7, 5, 3)
    programs = backprop_check._programs(backprop())
    params, x, y = backprop_check._problem(sizes, "softmax", "cross-entropy", 0)
    derived = backprop_check.network_gradients(programs, sizes, params, x, y, "softmax")
    for got, want in zip(derived, reference_backprop(list(params), x, y)):
        assert np.allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("sizes", [(2,) * 7, (4,) + (3,) * 9 + (2,), (3, 10_000)])
def test_a_correct_derivation_passes_where_gradients_vanish(sizes):
    """Deep sigmoid stacks and wide outputs: central differences lost these gradients in the cost's round-off."""
    check = check_derivation(backprop(sizes=sizes))
    assert check.passed and check.max_rel_error < 1e-12, check
    assert "complex-step" in check.method


def test_the_complex_step_reference_is_exact_where_central_differences_are_not():
    """W^1 of a 10-layer stack: its gradient is ~1e-6 of the cost, below the central stencil's round-off."""
    sizes = (4,) + (3,) * 9 + (2,)
    differences, _ = finite_differences(sizes, "softmax", "cross-entropy", 0)
    x, y = make_batch(sizes, BATCH, 0)
    gradients = reference_backprop(init_params(sizes, 0), x, y)
    assert all(reference.error(gradient) < 1e-12 for reference, gradient in zip(differences, gradients))


def test_the_batch_for_a_wide_output_is_not_built_from_a_dense_identity():
    import tracemalloc

    tracemalloc.start()
    x, y = make_batch((3, 100_000), BATCH, 0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6 and y.shape == (100_000, BATCH) and np.all(y.sum(axis=0) == 1)


def test_the_sampled_check_of_large_networks_still_fails_a_wrong_equation(monkeypatch):
    derivation = bp3()
    position = max(p for p, s in enumerate(derivation.steps) if s.rule == "batch-form")
    doubled = Statement(sp.Derivative(C, matrix("b", l, n[l])), sp.MatMul(2 / m, matrix("Delta", l, n[l], m), Ones(m, 1)))
    steps = list(derivation.steps)
    steps[position] = replace(steps[position], expr=doubled)
    monkeypatch.setattr(backprop_check, "ALL_COORDINATES_FLOPS", 0)
    backprop_check.finite_differences.cache_clear()
    try:
        check = check_derivation(replace(derivation, steps=tuple(steps), sizes=(6, 5, 4)))
    finally:
        backprop_check.finite_differences.cache_clear()
    assert not check.passed and check.max_rel_error > 0.5 and "random directions" in check.method


def test_codegen_checks_a_wide_output_without_a_dense_identity():
    import tracemalloc

    from derive.codegen import generate_module, load_module
    from derive.codegen.network import check_network

    module = load_module(generate_module("backprop", sizes=(3, 100_000)), "wide_backprop")
    tracemalloc.start()
    checks = check_network(module, "backprop", sizes=(3, 100_000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert checks and peak < 400e6  # np.eye(100,000) is 74.5 GiB


def _tanh_relu_backprop(params, x, y):
    """A hand-written backprop of tanh, relu, softmax with cross-entropy (independent of every derive module)."""
    w1, b1, w2, b2, w3, b3 = params
    a1 = np.tanh(w1 @ x + b1)
    z2 = w2 @ a1 + b2
    a2 = np.maximum(z2, 0)
    z3 = w3 @ a2 + b3
    e = np.exp(z3 - z3.max(axis=0))
    d3 = (e / e.sum(axis=0) - y) / x.shape[1]
    d2 = (w3.T @ d3) * (z2 > 0)
    d1 = (w2.T @ d2) * (1 - a1**2)
    return [d1 @ x.T, d1.sum(axis=1, keepdims=True), d2 @ a1.T, d2.sum(axis=1, keepdims=True),
            d3 @ a2.T, d3.sum(axis=1, keepdims=True)]


_ANY_NETWORK = (784, 100, 30, 10)


def test_every_parameter_of_784_100_30_10_gets_its_own_complex_step():
    """Issue 10 item 3: `derive check backprop --hidden tanh --hidden relu` checks all 81,840 parameters."""
    check = check_derivation(backprop(hidden=("tanh", "relu")))
    assert check.passed and check.points == 81_840 + 2 * 3 + 3 + 3 * 3 + 3 + 3 * 2 + 2
    assert "in all 81,840 parameters of 784-100-30-10, one complex step each" in check.method
    assert "random directions" not in check.method


def test_the_full_check_finds_one_wrong_coordinate_that_a_sample_would_miss():
    """Every coordinate is compared: a gradient wrong in one weight of W^1 alone (by 1e-6 of the tensor's norm,
    a hundred times the 1e-8 bound) fails, and the reference agrees with a hand-written backprop everywhere."""
    from derive.backprop.derivations import layer_activations

    params, x, y = backprop_check.problem(_ANY_NETWORK)
    references, method = finite_differences(_ANY_NETWORK, "softmax", "cross-entropy", 0,
                                            layer_activations(("tanh", "relu"), 3))
    assert "all 81,840 parameters" in method
    exact = _tanh_relu_backprop(params, x, y)
    assert max(reference.error(g) for reference, g in zip(references, exact)) < 1e-12
    wrong = exact[0].copy()
    wrong.flat[-1] += 1e-6 * np.linalg.norm(exact[0])
    assert references[0].error(wrong) > 1e-8
