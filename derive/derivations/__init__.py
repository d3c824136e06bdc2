"""The catalogue of derivations: id -> entry (builder and the options it takes), and instantiation for large K."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from derive.derivations.activations import sigmoid, softmax_diagonal, softmax_jacobian, softmax_off_diagonal
from derive.derivations.blog_identities import cross_entropy_one_hot, softmax_sums_to_one
from derive.derivations.blog_route import cross_entropy_split
from derive.derivations.costs import cross_entropy_delta, negative_log_likelihood
from derive.derivations.qa_route import negative_log_likelihood_qa
from derive.derivations.qa_update import gradient_descent_update
from derive.errors import UsageError
from derive.notation import EXPAND_LIMIT, K, MAX_CLASSES
from derive.steps import Derivation, Step

__all__ = ["Entry", "CATALOGUE", "DEFAULT_CLASSES", "ids", "build", "instantiate", "validate_classes", "classes_for", "register"]

DEFAULT_CLASSES = 3


@dataclass(frozen=True)
class Entry:
    """A derivation the tools know: its builder and which options (classes, sizes, output, cost) it takes."""

    id: str
    title: str
    builder: Callable[..., Derivation]
    options: tuple[str, ...] = ("classes",)
    family: str = "output"  # derivations of one family share lemmas (and caches): bp1..bp4 inside backprop


CATALOGUE: dict[str, Entry] = {}


def register(entry: Entry) -> None:
    CATALOGUE[entry.id] = entry


for _entry in (
    Entry("sigmoid", "Sigmoid: da/dz = a(1 − a)", sigmoid),
    Entry("softmax-diagonal", "Softmax, diagonal: ∂a_i/∂z_i = a_i(1 − a_i)", softmax_diagonal),
    Entry("softmax-off-diagonal", "Softmax, off the diagonal: ∂a_j/∂z_i = −a_j a_i", softmax_off_diagonal),
    Entry("softmax-jacobian", "Softmax Jacobian: ∂a_j/∂z_i = a_j(δ_ij − a_i)", softmax_jacobian),
    Entry("cross-entropy-delta", "Cross-entropy with softmax: δ = a Σy − y = a − y", cross_entropy_delta),
    Entry("negative-log-likelihood", "Negative log-likelihood: ∂E/∂z_j = a_j − δ_jt", negative_log_likelihood),
    Entry("negative-log-likelihood-qa", "The Q&A's route and notation: ∂E/∂z_j = σ(j) − δ_jt", negative_log_likelihood_qa),
    Entry("softmax-sums-to-one", "Softmax outputs sum to 1: Σ_i a_i = 1", softmax_sums_to_one, ("classes",), "identity"),
    Entry("cross-entropy-one-hot", "Cross-entropy of a one-hot target: C_x = −ln a_t", cross_entropy_one_hot,
          ("classes",), "identity"),
    Entry("gradient-descent-update", "Gradient descent (the Q&A's indices): w_ij ← w_ij − r ∂E/∂z_j o_i",
          gradient_descent_update, ("classes",), "update"),
    Entry("cross-entropy-split", "Cross-entropy, the blog's route: split Σ_j at j = i, δ = a − y", cross_entropy_split),
):
    register(_entry)


def ids() -> list[str]:
    return list(CATALOGUE)


def entry(id_: str) -> Entry:
    if id_ not in CATALOGUE:
        raise UsageError(f"unknown derivation {id_!r}; choose one of: {', '.join(CATALOGUE)}")
    return CATALOGUE[id_]


def build(id_: str, classes: int | None = DEFAULT_CLASSES, **options) -> Derivation:
    """The derivation `id_` for `classes` classes (None: symbolic K); above EXPAND_LIMIT it is instantiated.

    Other options (sizes, output, cost) go to builders that take them; None means the builder's default.
    Derivations are immutable, so each is built once per process.
    """
    return _build(id_, classes, tuple(sorted(options.items())))


@lru_cache(maxsize=256)
def _build(id_: str, classes: int | None, options: tuple) -> Derivation:
    options = dict(options)
    found = entry(id_)
    given = {name: value for name, value in options.items() if value is not None}
    for name in given:
        if name not in found.options:
            takers = ", ".join(e.id for e in CATALOGUE.values() if name in e.options) or "no derivation"
            raise UsageError(f"--{name} does not apply to {id_}; it applies to: {takers}")
    if "classes" not in found.options:
        return found.builder(**given)
    validate_classes(classes)
    if classes is not None and classes > EXPAND_LIMIT:
        return instantiate(found.builder(None, **given), classes)
    return found.builder(classes, **given)


def classes_for(id_: str, classes: int | None, strict: bool = True, general: bool = False) -> int | None:
    """The class count `id_` is built with; None where its output size is the last of --sizes.

    Asking such an id for classes (a K, or the general K) is an error when `strict` (the user named it).
    """
    if "classes" in entry(id_).options:
        return classes
    if strict and (classes is not None or general):
        raise UsageError(f"--classes does not apply to {id_}: its output size is the last of --sizes")
    return None


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

from derive.backprop import catalogue as _backprop  # noqa: F401,E402  registers bp1..bp4, backprop
