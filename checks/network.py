"""A small reference numpy MLP (sigmoid hidden layers, softmax output, mean cross-entropy) and its injectable bugs.

Columns are examples: x has shape (n0, batch), W^l has shape (n_l, n_{l-1}), b^l has shape (n_l, 1), and the
parameters are the flat list [W1, b1, W2, b2, ...]. Every function here is complex-safe, so the loss can be
differentiated by complex step. The bugs are the catalogued mistakes written the way people write them; the tests,
the benchmark and the demo inject them through `bug(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = [
    "Bug",
    "OUTPUT_DELTAS",
    "BUGS",
    "bug",
    "sigmoid",
    "softmax",
    "init_params",
    "make_batch",
    "forward",
    "loss",
    "backprop",
    "problem",
    "tensor_names",
]

Array = np.ndarray


def sigmoid(z: Array) -> Array:
    """sigma(z) = 1 / (1 + exp(-z)) in the table's stable, complex-safe form (derive.functions)."""
    from derive.codegen.activation import compiled

    return compiled("sigmoid")[0](z)


def softmax(z: Array) -> Array:
    """softmax over axis 0 (the classes); the max-shift uses the real part so that complex steps pass through."""
    shifted = z - np.max(np.real(z), axis=0, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=0, keepdims=True)


def _log_softmax(z: Array) -> Array:
    shifted = z - np.max(np.real(z), axis=0, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))


# --- output-layer deltas as people write them: delta(z, y), z and y of shape (K,) or (K, batch) ---------------

def _delta_correct(z: Array, y: Array) -> Array:
    """delta = a - y (softmax + cross-entropy, targets summing to 1)."""
    return softmax(z) - y


def _delta_diagonal_only(z: Array, y: Array) -> Array:
    """delta_j = (-y_j / a_j) * a_j (1 - a_j) = -y_j (1 - a_j): only the diagonal of the softmax Jacobian."""
    a = softmax(z)
    return -y * (1.0 - a)


def _delta_extra_derivative(z: Array, y: Array) -> Array:
    """delta = (a - y) * a (1 - a): an activation derivative that cancels in the true derivative."""
    a = softmax(z)
    return (a - y) * a * (1.0 - a)


def _delta_double_softmax(z: Array, y: Array) -> Array:
    """delta = softmax(a) - y with a = softmax(z): probabilities fed to a loss that applies softmax again."""
    return softmax(softmax(z)) - y


OUTPUT_DELTAS: dict[str, Callable[[Array, Array], Array]] = {
    "correct": _delta_correct,
    "softmax-diagonal-only": _delta_diagonal_only,
    "extra-activation-derivative": _delta_extra_derivative,
    "double-softmax": _delta_double_softmax,
}


@dataclass(frozen=True)
class Bug:
    """How a backprop implementation goes wrong: its output delta, its sigma', and an edit of the final gradients."""

    name: str = "correct"
    output_delta: Callable[[Array, Array], Array] = _delta_correct
    sigma_prime: Callable[[Array, Array], Array] = lambda z, a: a * (1.0 - a)
    edit: Callable[[list[Array]], list[Array]] = lambda grads: grads


def _scaled(factor: float) -> Callable[[list[Array]], list[Array]]:
    return lambda grads: [factor * g for g in grads]


def _transposed(tensor: int) -> Callable[[list[Array]], list[Array]]:
    return lambda grads: [g.T if i == tensor else g for i, g in enumerate(grads)]


def _entry_scaled(tensor: int, index: tuple[int, ...], factor: float) -> Callable[[list[Array]], list[Array]]:
    def edit(grads: list[Array]) -> list[Array]:
        grads = [g.copy() for g in grads]
        grads[tensor][index] *= factor
        return grads

    return edit


def _bug_correct() -> Bug:
    return Bug()


def _bug_output(name: str) -> Callable[[], Bug]:
    return lambda: Bug(name=name, output_delta=OUTPUT_DELTAS[name])


def _bug_derivative_of_activation() -> Bug:
    """sigma' evaluated on the activation: sigmoid(a)(1 - sigmoid(a)) instead of a(1 - a)."""
    return Bug(name="activation-derivative-of-activation", sigma_prime=lambda z, a: sigmoid(a) * (1.0 - sigmoid(a)))


def _bug_sigma_prime_factor(factor: float = 1.001) -> Bug:
    """sigma'(z) off by a constant factor everywhere (a benchmark bug)."""
    return Bug(name=f"sigma-prime x {factor}", sigma_prime=lambda z, a: factor * a * (1.0 - a))


def _bug_scale(factor: float = 2.0) -> Bug:
    return Bug(name=f"scale x {factor:g}", edit=_scaled(factor))


def _bug_sign() -> Bug:
    return Bug(name="sign", edit=_scaled(-1.0))


def _bug_transpose(tensor: int = 0) -> Bug:
    return Bug(name=f"transpose of tensor {tensor}", edit=_transposed(tensor))


def _bug_entry(tensor: int = 1, index: tuple[int, ...] = (0, 0), factor: float = 1.01) -> Bug:
    """One entry of one gradient tensor off by a factor (a benchmark bug)."""
    return Bug(name=f"entry {index} of tensor {tensor} x {factor}", edit=_entry_scaled(tensor, index, factor))


BUGS: dict[str, Callable[..., Bug]] = {
    "correct": _bug_correct,
    "softmax-diagonal-only": _bug_output("softmax-diagonal-only"),
    "extra-activation-derivative": _bug_output("extra-activation-derivative"),
    "double-softmax": _bug_output("double-softmax"),
    "activation-derivative-of-activation": _bug_derivative_of_activation,
    "sigma-prime-factor": _bug_sigma_prime_factor,
    "scale": _bug_scale,
    "sign": _bug_sign,
    "transpose": _bug_transpose,
    "entry": _bug_entry,
}


def bug(name: str = "correct", **options) -> Bug:
    """The bug called `name` (a key of BUGS), e.g. bug("scale", factor=16) or bug("entry", tensor=1, index=(3, 0))."""
    if name not in BUGS:
        raise ValueError(f"unknown bug {name!r}; choose one of {', '.join(BUGS)}")
    return BUGS[name](**options)


def tensor_names(sizes: tuple[int, ...]) -> list[str]:
    """['W1', 'b1', 'W2', 'b2', ...] for a network with these layer sizes."""
    return [f"{kind}{layer}" for layer in range(1, len(sizes)) for kind in ("W", "b")]


def init_params(sizes: tuple[int, ...], seed: int = 0) -> list[Array]:
    """[W1, b1, ...] with W^l ~ N(0, 1/n_{l-1}) and b^l ~ N(0, 1), float64."""
    rng = np.random.default_rng(seed)
    params: list[Array] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append(rng.normal(size=(n_out, n_in)) / np.sqrt(n_in))
        params.append(rng.normal(size=(n_out, 1)))
    return params


def make_batch(sizes: tuple[int, ...], batch: int, seed: int = 0) -> tuple[Array, Array]:
    """Inputs uniform in [0, 1) (like pixel intensities) and one-hot targets, columns are examples."""
    rng = np.random.default_rng(seed + 10_000)
    x = rng.random((sizes[0], batch))
    labels = rng.integers(sizes[-1], size=batch)
    y = np.zeros((sizes[-1], batch))  # not np.eye(K)[:, labels]: a dense K x K identity is 74.5 GiB at K = 100,000
    y[labels, np.arange(batch)] = 1.0
    return x, y


def forward(params: list[Array], x: Array) -> tuple[list[Array], list[Array]]:
    """The pre-activations z^l and activations a^l (a^0 = x) of every layer."""
    zs: list[Array] = []
    activations = [x]
    layers = len(params) // 2
    for layer in range(layers):
        z = params[2 * layer] @ activations[-1] + params[2 * layer + 1]
        zs.append(z)
        activations.append(softmax(z) if layer == layers - 1 else sigmoid(z))
    return zs, activations


def loss(params: list[Array], x: Array, y: Array) -> complex | float:
    """C = -(1/n) sum_x sum_j y_j ln a_j^L, the mean cross-entropy over the batch (complex-safe)."""
    zs, _ = forward(params, x)
    return -np.sum(y * _log_softmax(zs[-1])) / x.shape[1]


def backprop(params: list[Array], x: Array, y: Array, bug: Bug = Bug()) -> list[Array]:
    """dC/dW^l and dC/db^l for every layer, by the four backprop equations (with `bug` injected)."""
    zs, activations = forward(params, x)
    delta = bug.output_delta(zs[-1], y) / x.shape[1]
    grads: list[Array] = []
    for layer in reversed(range(len(zs))):
        grads[:0] = [delta @ activations[layer].T, np.sum(delta, axis=1, keepdims=True)]
        if layer > 0:
            a = activations[layer]
            delta = (params[2 * layer].T @ delta) * bug.sigma_prime(zs[layer - 1], a)
    return bug.edit(grads)


def problem(sizes: tuple[int, ...] = (4, 5, 3), batch: int = 4, seed: int = 0, bug: Bug = Bug()):
    """(loss(params), grad(params), params) for a seeded network and batch: the shape checks.gradcheck takes."""
    x, y = make_batch(sizes, batch, seed)
    params = init_params(sizes, seed)
    return (lambda p: loss(p, x, y)), (lambda p: backprop(p, x, y, bug)), params
