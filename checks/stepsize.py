"""How the error of a finite difference depends on its step: truncation against round-off, the V-shaped curve."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from checks.derivation_check import Problem, problems

__all__ = ["StepStudy", "step_study", "DIFFERENCES", "elementwise_relative_errors", "Measures", "compare_measures"]


def _forward(problem: Problem, h: float) -> np.ndarray:
    """(f(x + h e_m) − f(x)) / h: truncation O(h), round-off O(eps/h), best near h = sqrt(eps)."""
    base = np.asarray(problem.quantity(problem.z0), dtype=float)
    return np.stack([(np.asarray(problem.quantity(_shift(problem.z0, m, h)), dtype=float) - base) / h
                     for m in problem.coordinates])


def _central(problem: Problem, h: float) -> np.ndarray:
    """(f(x + h e_m) − f(x − h e_m)) / 2h: truncation O(h²), round-off O(eps/h), best near h = eps^(1/3)."""
    return np.stack([(np.asarray(problem.quantity(_shift(problem.z0, m, h)), dtype=float)
                      - np.asarray(problem.quantity(_shift(problem.z0, m, -h)), dtype=float)) / (2 * h)
                     for m in problem.coordinates])


def _complex_step(problem: Problem, h: float) -> np.ndarray:
    """Im f(x + i h e_m) / h: truncation O(h²) and no subtraction, so no round-off growth as h shrinks."""
    return np.stack([np.imag(problem.quantity(_shift(problem.z0.astype(complex), m, 1j * h))) / h
                     for m in problem.coordinates])


def _shift(x: np.ndarray, m: int, h) -> np.ndarray:
    shifted = x.copy()
    shifted[m] += h
    return shifted


DIFFERENCES = {"forward": _forward, "central": _central, "complex-step": _complex_step}


@dataclass(frozen=True)
class StepStudy:
    """Normwise relative error of each difference against the derived derivative, for each step h."""

    derivation_id: str
    classes: int
    steps: np.ndarray
    errors: dict  # method -> array of errors, one per step

    def best(self, method: str) -> tuple[float, float]:
        """(step, error) where `method` does best."""
        position = int(np.argmin(self.errors[method]))
        return float(self.steps[position]), float(self.errors[method][position])


def step_study(derivation, seed: int = 0, steps=None, classes: int | None = None) -> StepStudy:
    """The error of forward, central and complex-step differences at steps 1e-16 .. 1e-1, at one seeded point.

    The reference is the derived expression: where its proof holds, what remains is the difference's own error.
    """
    steps = np.logspace(-16, -1, 61) if steps is None else np.asarray(steps, dtype=float)
    n, first = next(iter(problems(derivation, seed, classes)))
    errors = {name: np.array([first.compare(difference(first, h)) for h in steps])
              for name, difference in DIFFERENCES.items()}
    return StepStudy(derivation.id, n, steps, errors)


def elementwise_relative_errors(derived: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """|derived − reference| / max(|derived|, |reference|) entry by entry: the rule of thumb that misleads
    where the true derivative is tiny (round-off is then a large fraction of it)."""
    derived, reference = np.asarray(derived, dtype=float), np.asarray(reference, dtype=float)
    scale = np.maximum(np.abs(derived), np.abs(reference))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, np.abs(derived - reference) / scale, 0.0)


@dataclass(frozen=True)
class Measures:
    """One finite-difference check of a correct derivative, judged by two measures."""

    step: float
    normwise: float  # ||derived − difference|| / ||difference||
    elementwise: np.ndarray  # entry by entry
    entries: np.ndarray  # the derived entries, to see which are tiny

    def failing(self, threshold: float = 1e-7) -> float:
        """The fraction of entries that the elementwise rule of thumb (relative error > threshold) rejects."""
        return float(np.mean(self.elementwise > threshold))


def compare_measures(derivation, step: float = 1e-6, method: str = "central", seed: int = 0,
                     classes: int | None = None) -> Measures:
    """A fixed-step difference of a derivative that is right, judged normwise and entry by entry."""
    n, first = next(iter(problems(derivation, seed, classes)))
    differences = first.select(DIFFERENCES[method](first, step))[first.mask]
    derived = np.broadcast_to(first.derived, first.mask.shape)[first.mask]
    return Measures(step, first.compare(DIFFERENCES[method](first, step)),
                    elementwise_relative_errors(derived, differences), derived)
