"""The backprop mistakes people actually make: a stable id, what it is, how the checker sees it, the fix."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["Mistake", "MISTAKES"]


@dataclass(frozen=True)
class Mistake:
    """One catalogued mistake. `detected_by` names the public function that reports it."""

    id: str
    title: str
    description: str
    detected_by: tuple[str, ...]
    detection: str
    fix: str


_CATALOGUE = (
    Mistake(
        "softmax-diagonal-only",
        "only the diagonal of the softmax Jacobian",
        "the output delta is dC/da_j * a_j(1 - a_j) = -y_j(1 - a_j) instead of a - y: the off-diagonal terms "
        "-a_i a_j of the softmax Jacobian are dropped",
        ("check_delta",),
        "your delta(z, y) matches -y * (1 - a) on every probe (one-hot, smoothed and random targets)",
        "use delta = a - y (a * sum(y) - y when the targets do not sum to 1)",
    ),
    Mistake(
        "extra-activation-derivative",
        "an activation derivative that cancels",
        "the output delta for softmax + cross-entropy or sigmoid + binary cross-entropy is multiplied by "
        "sigma'(z) = a(1 - a), which cancels in the true derivative",
        ("check_delta",),
        "your delta(z, y) matches (a - y) * a * (1 - a) on every probe",
        "drop the factor a(1 - a): for these pairs delta = a - y",
    ),
    Mistake(
        "activation-derivative-of-activation",
        "sigma' of a value that is already an activation",
        "sigma' evaluated on the activation: sigmoid(a)(1 - sigmoid(a)) instead of a(1 - a) = sigmoid'(z)",
        ("check_hidden_delta", "check_delta"),
        "your delta matches upstream * sigmoid'(a) (hidden layer) or (a - y) * sigmoid'(a) (sigmoid + quadratic "
        "output), with a = sigmoid(z)",
        "pass z to sigmoid_prime, or use a * (1 - a) when you hold the activation a",
    ),
    Mistake(
        "derivative-form-at-z",
        "a derivative written in a, given z",
        "the activation's derivative in terms of its value (1 - a^2 for tanh, a(1 - a) for sigmoid) evaluated at "
        "the pre-activation z: 1 - z^2 instead of 1 - a^2",
        ("check_hidden_delta",),
        "your delta matches upstream * f'-in-a(z) on every probe",
        "pass the activation a = f(z) to the form in a, or use f'(z) itself",
    ),
    Mistake(
        "other-activation-derivative",
        "the derivative of another activation",
        "the hidden delta uses the derivative of a different activation than the layer's (a(1 - a) copied from a "
        "sigmoid network into a tanh one)",
        ("check_hidden_delta",),
        "your delta matches upstream * g'(z), or g's form in a at a = f(z), for another activation g of the table",
        "use the derivative of the layer's own activation: derive show backprop --hidden NAME states it",
    ),
    Mistake(
        "missing-activation-derivative",
        "no activation derivative",
        "the hidden delta is W^T delta^(l+1) alone, without the factor f'(z^l)",
        ("check_hidden_delta",),
        "your delta matches upstream on every probe",
        "multiply by f'(z^l): delta^l = (W^(l+1))^T delta^(l+1) * f'(z^l)",
    ),
    Mistake(
        "scale",
        "off by a constant factor",
        "the gradient is c times the true one; c is named when it is the batch size, 2 or the number of classes K",
        ("gradcheck", "check_delta"),
        "analytic = c x numeric on every probe of the affected tensors, with the rest of the error at rounding level",
        "divide (or stop dividing) by the factor: a mean over the batch is a sum / batch size; d(e^2/2) = e, not 2e",
    ),
    Mistake(
        "sign",
        "wrong sign",
        "the gradient has the wrong sign (for the output delta: y - a instead of a - y)",
        ("gradcheck", "check_delta"),
        "analytic = -1 x numeric on every probe of the affected tensors",
        "the gradient points uphill: delta = a - y, and the update is W -= eta * grad",
    ),
    Mistake(
        "transpose",
        "a weight gradient transposed",
        "the weight gradient is the transpose of the right one (a_prev @ delta.T instead of delta @ a_prev.T, or "
        "dscores.T @ h instead of h.T @ dscores)",
        ("gradcheck",),
        "the gradient has the parameter's shape reversed, or (square weights) its transpose agrees with the numeric "
        "gradient",
        "dC/dW^l is shaped like W^l: delta^l (a^{l-1})^T with examples as columns, (a^{l-1})^T delta^l "
        "(h.T @ dscores) with examples as rows",
    ),
    Mistake(
        "double-softmax",
        "softmax applied twice",
        "the delta is softmax(a) - y from probabilities a = softmax(z), as when probabilities are fed to a loss that "
        "applies softmax again",
        ("check_delta",),
        "your delta(z, y) matches softmax(softmax(z)) - y on every probe",
        "feed the logits z (not the probabilities) to a loss that applies softmax, or use delta = a - y",
    ),
)

MISTAKES = MappingProxyType({mistake.id: mistake for mistake in _CATALOGUE})
