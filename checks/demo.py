"""The classic mistake as a demo: train with the diagonal-only softmax delta and with a - y, show the symptom, name it.

The symptom from the seed question: "the network's predictions are always whatever the most recent backpropagation
label was". With delta_j = -y_j (1 - a_j) the output layer is only ever pushed up at the label just seen and never
pushed down elsewhere, so after each step the network leans towards that label. We measure it as the share of test
predictions equal to the label of the example just trained on, against what independence would give.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from checks import network
from checks.delta import check_delta
from checks.report import Report, mimebundle

__all__ = ["Training", "Demo", "make_data", "train", "run_demo"]

Array = np.ndarray


@dataclass(frozen=True)
class Training:
    """One training run: which delta, test accuracy, and how often test predictions equal the most recent label."""

    delta: str
    accuracy: float
    recent_label_rate: float
    independent_rate: float
    steps: int

    @property
    def lean(self) -> float:
        """recent_label_rate / independent_rate: 1 when predictions do not follow the last label."""
        return self.recent_label_rate / self.independent_rate


@dataclass(frozen=True)
class Demo:
    """Both runs and check_delta's verdict on the buggy delta."""

    correct: Training
    buggy: Training
    verdict: Report
    classes: int

    def _rows(self) -> list[list[str]]:
        return [[t.delta, f"{t.accuracy:.1%}", f"{t.recent_label_rate:.1%}", f"{t.independent_rate:.1%}",
                 f"{t.lean:.2f}x"] for t in (self.buggy, self.correct)]

    _HEADERS = ["output delta", "test accuracy", "predicts the last label", "if independent", "lean"]

    def _summary(self) -> str:
        return (f"With the diagonal-only delta the network predicts the label it saw last {self.buggy.lean:.1f}x as "
                f"often as independence would give ({self.correct.lean:.1f}x with a - y), and reaches "
                f"{self.buggy.accuracy:.0%} accuracy against {self.correct.accuracy:.0%}. "
                f"check_delta names the mistake: {', '.join(self.verdict.ids) or 'none'}.")

    def __str__(self) -> str:
        widths = [max(len(r[i]) for r in [self._HEADERS, *self._rows()]) for i in range(len(self._HEADERS))]
        table = "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                          for row in [self._HEADERS, *self._rows()])
        return "\n".join([f"training twice on {self.classes} classes, {self.buggy.steps} SGD steps each", table, "",
                          self._summary(), "", str(self.verdict)])

    def __rich_console__(self, console, options):
        from rich.table import Table
        from rich.text import Text

        table = Table(title=f"training twice on {self.classes} classes, {self.buggy.steps} SGD steps each",
                      title_justify="left")
        for header in self._HEADERS:
            table.add_column(header)
        for row, style in zip(self._rows(), ("red", "green")):
            table.add_row(*row, style=style)
        yield table
        yield Text(self._summary())
        yield self.verdict

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        return mimebundle(self)


def make_data(classes: int, features: int, size: int, rng: np.random.Generator, centers: Array) -> tuple[Array, Array]:
    """Gaussian blobs around `centers` (features x classes): inputs as columns and integer labels."""
    labels = rng.integers(classes, size=size)
    return centers[:, labels] + rng.standard_normal((features, size)), labels


def _independent(predictions: Array, label_share: Array, classes: int) -> float:
    """The chance that a prediction equals a label drawn independently from the training labels."""
    return float(np.bincount(predictions, minlength=classes) @ label_share / predictions.size)


def train(delta: str, data: tuple[Array, Array, Array, Array], hidden: int = 16, learning_rate: float = 0.5,
          epochs: int = 3, seed: int = 0) -> Training:
    """Online SGD (one example per step) with the output delta network.OUTPUT_DELTAS[delta]; the symptom is
    measured over the last epoch, after every step."""
    x, labels, x_test, labels_test = data
    classes = int(max(labels.max(), labels_test.max()) + 1)
    params = network.init_params((x.shape[0], hidden, classes), seed)
    bug = network.Bug(name=delta, output_delta=network.OUTPUT_DELTAS[delta])
    targets, rng = np.eye(classes), np.random.default_rng(seed)
    share = np.bincount(labels, minlength=classes) / labels.size
    recent, independent = [], []
    for epoch in range(epochs):
        for i in rng.permutation(labels.size):
            grads = network.backprop(params, x[:, i:i + 1], targets[:, labels[i]:labels[i] + 1], bug)
            params = [p - learning_rate * g for p, g in zip(params, grads)]
            if epoch == epochs - 1:
                predictions = np.argmax(network.forward(params, x_test)[1][-1], axis=0)
                recent.append(np.mean(predictions == labels[i]))
                independent.append(_independent(predictions, share, classes))
    predictions = np.argmax(network.forward(params, x_test)[1][-1], axis=0)
    return Training(delta, float(np.mean(predictions == labels_test)), float(np.mean(recent)),
                    float(np.mean(independent)), epochs * labels.size)


def run_demo(seed: int = 0, classes: int = 4, features: int = 8, size: int = 600, epochs: int = 3,
             learning_rate: float = 0.5) -> Demo:
    """Train with the diagonal-only softmax delta and with a - y on the same data, then check_delta the buggy one."""
    rng = np.random.default_rng(seed)
    centers = 1.5 * rng.standard_normal((features, classes))
    x, labels = make_data(classes, features, size, rng, centers)
    x_test, labels_test = make_data(classes, features, size // 2, rng, centers)
    data = (x, labels, x_test, labels_test)
    runs = [train(delta, data, learning_rate=learning_rate, epochs=epochs, seed=seed)
            for delta in ("softmax-diagonal-only", "correct")]
    verdict = check_delta(network.OUTPUT_DELTAS["softmax-diagonal-only"], "softmax", "cross-entropy", classes)
    return Demo(correct=runs[1], buggy=runs[0], verdict=verdict, classes=classes)
