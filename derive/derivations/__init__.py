"""The catalogue of derivations: id -> builder, and instantiation of the general case for large K."""

from __future__ import annotations

from typing import Callable

from derive.derivations.activations import sigmoid, softmax_diagonal, softmax_jacobian, softmax_off_diagonal
from derive.derivations.costs import cross_entropy_delta, negative_log_likelihood
from derive.errors import UsageError
from derive.notation import EXPAND_LIMIT, K, MAX_CLASSES
from derive.steps import Derivation, Step

__all__ = ["CATALOGUE", "DEFAULT_CLASSES", "ids", "build", "instantiate"]

DEFAULT_CLASSES = 3

CATALOGUE: dict[str, Callable[[int | None], Derivation]] = {
    "sigmoid": sigmoid,
    "softmax-diagonal": softmax_diagonal,
    "softmax-off-diagonal": softmax_off_diagonal,
    "softmax-jacobian": softmax_jacobian,
    "cross-entropy-delta": cross_entropy_delta,
    "negative-log-likelihood": negative_log_likelihood,
}


def ids() -> list[str]:
    return list(CATALOGUE)


def build(id_: str, classes: int | None = DEFAULT_CLASSES) -> Derivation:
    """The derivation `id_` for `classes` classes (None: symbolic K). Above EXPAND_LIMIT it is instantiated."""
    if id_ not in CATALOGUE:
        raise UsageError(f"unknown derivation {id_!r}; choose one of: {', '.join(CATALOGUE)}")
    validate_classes(classes)
    if classes is not None and classes > EXPAND_LIMIT:
        return instantiate(CATALOGUE[id_](None), classes)
    return CATALOGUE[id_](classes)


def validate_classes(classes) -> None:
    if classes is None:
        return
    if isinstance(classes, bool) or not isinstance(classes, int):
        raise UsageError(f"the number of classes must be an integer from 2 to {MAX_CLASSES}, got {classes!r}")
    if not 2 <= classes <= MAX_CLASSES:
        raise UsageError(f"the number of classes must be from 2 to {MAX_CLASSES}, got {classes}")


def instantiate(general: Derivation, classes: int) -> Derivation:
    """The general-K derivation with K := classes: nothing is expanded, the general proof carries over."""
    steps = tuple(Step(s.rule, s.expr.xreplace({K: classes}), s.note, s.relation, s.aside, s.reverse) for s in general.steps)
    fields = {**general.__dict__, "steps": steps, "classes": classes,
              "lhs": general.lhs.xreplace({K: classes}),
              "quantity": general.quantity.xreplace({K: classes}) if general.quantity is not None else None}
    return Derivation(**fields)
