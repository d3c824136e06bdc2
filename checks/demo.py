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

__all__ = ["Training", "Demo", "make_data", "train", "run_demo", "CONTRASTS"]

Array = np.ndarray


@dataclass(frozen=True)
class Training:
    """One training run: which delta, test accuracy, and how often test predictions equal the most recent label.

    After every step of the last epoch, the share of test predictions equal to the label just trained on is
    measured: `recent_label_rate` is its mean, `recent_label_median` its median, `steps_above_90` the share of
    steps where it exceeds 90% (the seed's "always whatever the most recent label was").
    """

    delta: str
    accuracy: float
    recent_label_rate: float
    independent_rate: float
    steps: int
    recent_label_median: float = 0.0
    steps_above_90: float = 0.0

    @property
    def lean(self) -> float:
        """recent_label_rate / independent_rate: 1 when predictions do not follow the last label."""
        return self.recent_label_rate / self.independent_rate


# Where the words of the summary start to apply: a lean this far above independence is "following the last label",
# a median above 90% is the seed's "always", and accuracies this far apart are "learns less".
LEANS, ALWAYS, LEARNS_LESS = 1.5, 0.9, 0.05
CONTRASTS = ("extra-activation-derivative", "double-softmax")


def _times(lean: float) -> str:
    """A lean as the table prints it, so the sentences quote the table's own figures."""
    return f"{lean:.2f}x"


@dataclass(frozen=True)
class Demo:
    """The buggy run, the correct run, the contrast runs with other mistakes, and check_delta's verdict."""

    correct: Training
    buggy: Training
    verdict: Report
    classes: int
    contrasts: tuple[Training, ...] = ()
    seed: int = 0

    _HEADERS = ["output delta", "test accuracy", "predicts the last label: mean", "median", "steps > 90%",
                "if independent", "lean"]

    def _rows(self) -> list[list[str]]:
        return [[t.delta, f"{t.accuracy:.1%}", f"{t.recent_label_rate:.1%}", f"{t.recent_label_median:.1%}",
                 f"{t.steps_above_90:.1%}", f"{t.independent_rate:.1%}", _times(t.lean)]
                for t in (self.buggy, self.correct, *self.contrasts)]

    def summary(self) -> str:
        """Sentences that state only what the numbers of this run show."""
        return " ".join([self._symptom(), self._accuracy(), self._contrast(),
                         f"check_delta names the mistake: {', '.join(self.verdict.ids) or 'none'}."]).replace("  ", " ")

    def _symptom(self) -> str:
        buggy = self.buggy
        if buggy.recent_label_median > ALWAYS:
            return (f"With the diagonal-only delta, in the median step {buggy.recent_label_median:.0%} of test "
                    f"predictions equal the label just seen ({buggy.steps_above_90:.0%} of steps above 90%; "
                    f"{_times(buggy.lean)} what independence gives, {_times(self.correct.lean)} with a - y).")
        if buggy.lean > LEANS:
            return (f"With the diagonal-only delta, test predictions equal the label just seen {_times(buggy.lean)} as "
                    f"often as independence gives ({_times(self.correct.lean)} with a - y), but in the median step only "
                    f"{buggy.recent_label_median:.0%} do.")
        return (f"In this run the diagonal-only delta shows no lean toward the label just seen ({_times(buggy.lean)} "
                f"what independence gives, {_times(self.correct.lean)} with a - y).")

    def _accuracy(self) -> str:
        buggy, correct = self.buggy.accuracy, self.correct.accuracy
        if buggy < correct - LEARNS_LESS:
            return f"It reaches {buggy:.0%} test accuracy against {correct:.0%} with a - y."
        return f"Both reach similar test accuracy ({buggy:.0%} and {correct:.0%} with a - y)."

    def _contrast(self) -> str:
        if not self.contrasts:
            return ""
        calm = [t for t in self.contrasts if t.lean <= LEANS and t.recent_label_median <= ALWAYS]
        leaning = [t for t in self.contrasts if t not in calm]
        parts = []
        if calm:
            parts.append(f"{' and '.join(t.delta for t in calm)} {'does' if len(calm) == 1 else 'do'} not lean "
                         f"toward the last label ({', '.join(_times(t.lean) for t in calm)}).")
        if leaning:
            parts.append(f"{' and '.join(t.delta for t in leaning)} also {'leans' if len(leaning) == 1 else 'lean'} "
                         f"toward it ({', '.join(_times(t.lean) for t in leaning)}).")
        return " ".join(parts)

    def to_json(self) -> dict:
        """{"seed", "classes", "steps", "runs": [{"delta", "accuracy", "recent_label_mean", "recent_label_median",
        "steps_above_90", "independent_rate", "lean"}], "check_delta": {"passed", "mistakes"}, "summary"}"""
        runs = [{"delta": t.delta, "accuracy": t.accuracy, "recent_label_mean": t.recent_label_rate,
                 "recent_label_median": t.recent_label_median, "steps_above_90": t.steps_above_90,
                 "independent_rate": t.independent_rate, "lean": t.lean}
                for t in (self.buggy, self.correct, *self.contrasts)]
        return {"seed": self.seed, "classes": self.classes, "steps": self.buggy.steps, "runs": runs,
                "check_delta": {"passed": self.verdict.passed, "mistakes": list(self.verdict.ids)},
                "summary": self.summary()}

    def _title(self) -> str:
        return (f"training {2 + len(self.contrasts)} times on {self.classes} classes, {self.buggy.steps} SGD steps "
                f"each (the share of test predictions equal to the label just seen, after every step of the last "
                f"epoch)")

    def __str__(self) -> str:
        widths = [max(len(r[i]) for r in [self._HEADERS, *self._rows()]) for i in range(len(self._HEADERS))]
        table = "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                          for row in [self._HEADERS, *self._rows()])
        return "\n".join([self._title(), table, "", self.summary(), "", str(self.verdict)])

    def __rich_console__(self, console, options):
        from rich.text import Text

        # Each column as wide as its longest word or figure, so no name or word is cut ("extra-ac…" names no
        # mistake); boxed where that fits, else without the box (7 columns: 22 cells of borders and padding saved).
        widths = [max(len(text) for text in [*header.split(), *(row[n] for row in self._rows())])
                  for n, header in enumerate(self._HEADERS)]
        if sum(widths) + len(widths) > options.max_width:  # no table fits: one block per run, nothing cut
            yield from self._records()
        else:
            yield self._table(widths, compact=sum(widths) + 3 * len(widths) + 1 > options.max_width)
        yield Text(self.summary())
        yield self.verdict

    def _records(self):
        from rich.table import Table
        from rich.text import Text

        yield Text(self._title())
        for row, style in zip(self._rows(), ("red", "green", *("yellow",) * len(self.contrasts))):
            grid = Table.grid(padding=(0, 1))
            grid.add_column(no_wrap=True)
            grid.add_column(justify="right", no_wrap=True)
            for header, value in zip(self._HEADERS[1:], row[1:]):
                grid.add_row(f"  {'predicts the last label: median' if header == 'median' else header}", value)
            yield Text(row[0], style=style)
            yield grid

    def _table(self, widths: list[int], compact: bool):
        from rich.table import Table

        table = Table(title=self._title(), title_justify="left",
                      **({"box": None, "padding": (0, 1, 0, 0)} if compact else {}))
        for header, width in zip(self._HEADERS, widths):
            table.add_column(header, justify="left" if header == "output delta" else "right", width=width)
        for row, style in zip(self._rows(), ("red", "green", *("yellow",) * len(self.contrasts))):
            table.add_row(*row, style=style)
        return table

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
                    float(np.mean(independent)), epochs * labels.size, float(np.median(recent)),
                    float(np.mean(np.asarray(recent) > 0.9)))


def run_demo(seed: int = 0, classes: int = 4, features: int = 8, size: int = 600, epochs: int = 3,
             learning_rate: float = 0.5) -> Demo:
    """Train with the diagonal-only softmax delta, with a - y and with the contrast mistakes on the same data, then
    check_delta the buggy one."""
    rng = np.random.default_rng(seed)
    centers = 1.5 * rng.standard_normal((features, classes))
    x, labels = make_data(classes, features, size, rng, centers)
    x_test, labels_test = make_data(classes, features, size // 2, rng, centers)
    data = (x, labels, x_test, labels_test)
    runs = [train(delta, data, learning_rate=learning_rate, epochs=epochs, seed=seed)
            for delta in ("softmax-diagonal-only", "correct", *CONTRASTS)]
    verdict = check_delta(network.OUTPUT_DELTAS["softmax-diagonal-only"], "softmax", "cross-entropy", classes)
    return Demo(correct=runs[1], buggy=runs[0], verdict=verdict, classes=classes, contrasts=tuple(runs[2:]),
                seed=seed)
