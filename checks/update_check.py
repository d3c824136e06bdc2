"""The numeric check of gradient-descent-update: ∂E/∂w_ij = ∂E/∂z_j o_i and the Octave mini-batch lines against
central differences of the mean-free (summed) negative log-likelihood of a softmax output layer."""

from __future__ import annotations

import numpy as np

from checks.derivation_check import NumericCheck
from checks.numeric import central_jacobian, normwise_relative_error

__all__ = ["check_derivation", "octave_gradients"]

UNITS, CLASSES, BATCH = 5, 4, 8  # previous-layer units n, output units K (symbolic K), examples per mini-batch


def _softmax(z):
    shifted = np.exp(z - z.max(axis=0))
    return shifted / shifted.sum(axis=0)


def _cost(weights, bias, hidden, targets) -> float:
    """E summed over the batch: −Σ_x Σ_j t_j ln σ(j) (Octave's CE times batchsize), with z = W^T h + b."""
    outputs = _softmax(weights.T @ hidden + bias[:, None])
    return float(-np.sum(targets * np.log(outputs)))


def octave_gradients(weights, bias, hidden, targets):
    """Hinton's lines: error_deriv = output_layer_state - expanded_target_batch;
    hid_to_output_weights_gradient = hidden_layer_state * error_deriv'; output_bias_gradient = sum(error_deriv, 2)."""
    error_deriv = _softmax(weights.T @ hidden + bias[:, None]) - targets
    return hidden @ error_deriv.T, error_deriv.sum(axis=1)


def check_derivation(derivation, seed: int = 0) -> NumericCheck:
    rng = np.random.default_rng(seed)
    classes = derivation.classes or CLASSES
    weights, bias = rng.standard_normal((UNITS, classes)), rng.standard_normal(classes)
    hidden = rng.standard_normal((UNITS, BATCH))
    targets = np.eye(classes)[:, rng.integers(classes, size=BATCH)]
    errors = []
    for example in range(BATCH):  # one example: ∂E/∂w_ij = (σ(j) − δ_jt) o_i, the derivation's result
        h, t = hidden[:, example:example + 1], targets[:, example:example + 1]
        derived = h @ (_softmax(weights.T @ h + bias[:, None]) - t).T
        numeric = central_jacobian(lambda flat: np.array([_cost(flat.reshape(weights.shape), bias, h, t)]),
                                   weights.ravel()).reshape(weights.shape)
        errors.append(normwise_relative_error(derived, numeric))
    weight_gradient, bias_gradient = octave_gradients(weights, bias, hidden, targets)
    numeric_w = central_jacobian(lambda flat: np.array([_cost(flat.reshape(weights.shape), bias, hidden, targets)]),
                                 weights.ravel()).reshape(weights.shape)
    numeric_b = central_jacobian(lambda flat: np.array([_cost(weights, flat, hidden, targets)]), bias).ravel()
    errors += [normwise_relative_error(weight_gradient, numeric_w), normwise_relative_error(bias_gradient, numeric_b)]
    return NumericCheck(max(errors), BATCH + 2,
                        f"4th-order central differences of the softmax negative log-likelihood: {BATCH} single "
                        f"examples and the Octave lines on a batch of {BATCH}, n = {UNITS}, K = {classes}",
                        f"{UNITS}-{classes} ×{BATCH}")
