"""The catalogue: derivation id -> entry, built explicitly in this one place (no registration at import time).

Three sources, looked up in this order: the hand-written routes (the seeds' output-layer derivations and
BP1-BP4), one planned derivation per activation of the table (derive.functions; an activation registered
later is found too), and a user's expression in z, parsed by derive.expressions and planned by derive.plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from derive import functions
from derive.errors import UsageError
from derive.notation import EXPAND_LIMIT, K, MAX_CLASSES
from derive.steps import Derivation, Step

__all__ = ["Entry", "CATALOGUE", "DEFAULT_CLASSES", "ids", "entry", "build", "instantiate", "validate_classes",
           "classes_for", "seed_ids", "ACTIVATION_FAMILY"]

DEFAULT_CLASSES = 3
ACTIVATION_FAMILY = "scalar"  # derive.plan.SCALAR_FAMILY: proven by derive.pointwise, checked by checks.scalar_check


@dataclass(frozen=True)
class Entry:
    """A derivation the tools know: its builder and which options (classes, sizes, output, cost) it takes."""

    id: str
    title: str
    builder: Callable[..., Derivation]
    options: tuple[str, ...] = ("classes",)
    family: str = "output"  # derivations of one family share lemmas (and caches): bp1..bp4 inside backprop
    function: functions.Activation | None = None  # the activation an activation derivation is about


def _hand_written() -> dict[str, Entry]:
    from derive.backprop.derivations import backprop, bp1, bp2, bp3, bp4
    from derive.derivations.activations import sigmoid, softmax_diagonal, softmax_jacobian, softmax_off_diagonal
    from derive.derivations.blog_identities import cross_entropy_one_hot, softmax_sums_to_one
    from derive.derivations.blog_route import cross_entropy_split
    from derive.derivations.costs import cross_entropy_delta, negative_log_likelihood
    from derive.derivations.qa_route import negative_log_likelihood_qa
    from derive.derivations.qa_update import gradient_descent_update

    network = ("sizes", "output", "cost", "hidden", "weight_decay")
    entries = (
        Entry("sigmoid", "Sigmoid: da/dz = a(1 − a)", sigmoid),
        Entry("softmax-diagonal", "Softmax, diagonal: ∂a_i/∂z_i = a_i(1 − a_i)", softmax_diagonal),
        Entry("softmax-off-diagonal", "Softmax, off the diagonal: ∂a_j/∂z_i = −a_j a_i", softmax_off_diagonal),
        Entry("softmax-jacobian", "Softmax Jacobian: ∂a_j/∂z_i = a_j(δ_ij − a_i)", softmax_jacobian),
        Entry("cross-entropy-delta", "Cross-entropy with softmax: δ = a Σy − y = a − y", cross_entropy_delta),
        Entry("negative-log-likelihood", "Negative log-likelihood: ∂E/∂z_j = a_j − δ_jt", negative_log_likelihood),
        Entry("negative-log-likelihood-qa", "The Q&A's route and notation: ∂E/∂z_j = σ(j) − δ_jt",
              negative_log_likelihood_qa),
        Entry("softmax-sums-to-one", "Softmax outputs sum to 1: Σ_i a_i = 1", softmax_sums_to_one, ("classes",),
              "identity"),
        Entry("cross-entropy-one-hot", "Cross-entropy of a one-hot target: C_x = −ln a_t", cross_entropy_one_hot,
              ("classes",), "identity"),
        Entry("gradient-descent-update", "Gradient descent (the Q&A's indices): w_ij ← w_ij − r ∂E/∂z_j o_i",
              gradient_descent_update, ("classes",), "update"),
        Entry("cross-entropy-split", "Cross-entropy, the blog's route: split Σ_j at j = i, δ = a − y",
              cross_entropy_split),
        Entry("bp1", "BP1: the output error δ^L = a^L − y, from δ^L = J^T ∇_a C", bp1, network[:3], "backprop"),
        Entry("bp2", "BP2: δ^l = ((W^(l+1))^T δ^(l+1)) ⊙ f'(z^l), any activation f", bp2, ("sizes", "hidden"),
              "backprop"),
        Entry("bp3", "BP3: ∂C/∂b^l = δ^l", bp3, ("sizes",), "backprop"),
        Entry("bp4", "BP4: ∂C/∂W^l = δ^l (a^(l−1))^T (+ λ W^l with L2 weight decay)", bp4, ("sizes", "weight_decay"),
              "backprop"),
        Entry("backprop", "Backpropagation: BP1–BP4 for any depth and layer sizes", backprop, network, "backprop"),
    )
    return {e.id: e for e in entries}


class _Catalogue(Mapping):
    """The hand-written entries, then the table's activations (read at each look-up, so a registered one shows)."""

    @property
    def _fixed(self) -> dict[str, Entry]:
        return _fixed_entries()

    def __getitem__(self, id_: str) -> Entry:
        if id_ in self._fixed:
            return self._fixed[id_]
        if id_ in functions.ACTIVATIONS:
            return _activation_entry(functions.ACTIVATIONS[id_])
        raise KeyError(id_)

    def __iter__(self):
        yield from self._fixed
        yield from (name for name in functions.ACTIVATIONS if name not in self._fixed)

    def __len__(self) -> int:
        return sum(1 for _ in self)


@lru_cache(maxsize=1)
def _fixed_entries() -> dict[str, Entry]:
    return _hand_written()


CATALOGUE = _Catalogue()


@lru_cache(maxsize=None)
def _activation_entry(found: functions.Activation) -> Entry:
    title = f"{found.title[:1].upper()}{found.title[1:]}: {found.notation}, derived step by step"
    return Entry(found.id, title, lambda: planned_activation(found), (), ACTIVATION_FAMILY, found)


def planned_activation(found: functions.Activation) -> Derivation:
    """da/dz for a table activation, planned rule by rule and rewritten in terms of a where that is simpler."""
    if found.title == "your activation":  # a user's expression: its text is its notation
        return _planned(found.id, found.expr(), f"Your activation a = {found.notation}: da/dz")
    return _planned(found.id, found.expr(), f"{found.title[:1].upper()}{found.title[1:]}: da/dz, a = {found.notation}")


@lru_cache(maxsize=64)
def _expression_entry(text: str) -> Entry:
    from derive.expressions import parse_expression

    found = functions.from_expression(text, parse_expression(text, variables=("z",)))
    return Entry(text, f"a = {text}: da/dz, derived step by step", lambda: planned_activation(found), (),
                 ACTIVATION_FAMILY, found)


def _planned(id_: str, expr, title: str) -> Derivation:
    from derive.plan import plan_derivation

    return plan_derivation(expr, id=id_, title=title, variable="z", activation_symbol="a")


def ids() -> list[str]:
    """Every id: the hand-written routes, then the table's activations."""
    return list(CATALOGUE)


def seed_ids() -> list[str]:
    """The hand-written routes only: what the default `derive` run shows (the seeds' network)."""
    return list(_fixed_entries())


def entry(id_: str) -> Entry:
    """The entry for an id, an activation of the table, or a user's expression in z; else a one-line error."""
    if id_ in CATALOGUE:
        return CATALOGUE[id_]
    from derive.expressions import looks_like_expression, unknown_id_message

    if looks_like_expression(id_):
        return _expression_entry(id_)
    raise UsageError(unknown_id_message(id_, ids()))


def build(id_: str, classes: int | None = DEFAULT_CLASSES, **options) -> Derivation:
    """The derivation `id_` for `classes` classes (None: symbolic K); above EXPAND_LIMIT it is instantiated.

    Other options (sizes, output, cost, hidden) go to builders that take them; None means the builder's default.
    Derivations are immutable, so each is built once per process.
    """
    found = entry(id_)
    return _build(found, classes, tuple(sorted(options.items())))


@lru_cache(maxsize=256)
def _build(found: Entry, classes: int | None, options: tuple) -> Derivation:
    given = {name: value for name, value in dict(options).items() if value is not None}
    for name in given:
        if name not in found.options:
            takers = ", ".join(e.id for e in CATALOGUE.values() if name in e.options) or "no derivation"
            raise UsageError(f"--{name.replace('_', '-')} does not apply to {found.id}; it applies to: {takers}")
    if "classes" not in found.options:
        return found.builder(**given)
    validate_classes(classes)
    if classes is not None and classes > EXPAND_LIMIT:
        return instantiate(found.builder(None, **given), classes)
    return found.builder(classes, **given)


def classes_for(id_: str, classes: int | None, strict: bool = True, general: bool = False) -> int | None:
    """The class count `id_` is built with; None where it has no classes (a network's output size is the last of
    --sizes; an activation acts on one unit). Asking such an id for classes (a K, or the general K) is an error
    when `strict` (the user named it)."""
    found = entry(id_)
    if "classes" in found.options:
        return classes
    if strict and (classes is not None or general):
        if found.function is not None:
            raise UsageError(f"--classes does not apply to the activation {id_}: it acts on one unit")
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
