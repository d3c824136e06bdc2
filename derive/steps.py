"""A derivation as data: immutable steps, each naming its rule and holding the expression it arrives at."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

__all__ = ["Step", "Derivation", "EQUAL", "NOT_EQUAL"]

EQUAL = "="
NOT_EQUAL = "≠"  # a counterexample step: the expression is claimed to differ from the previous one


@dataclass(frozen=True)
class Step:
    """One link of the chain lhs = e1 = e2 = ...: `expr` follows from the previous expression by `rule`.

    `rule` is a key of `derive.rules.RULES`; `relation` is EQUAL, or NOT_EQUAL for a step that shows a
    wrong form (verified when the counterexample is confirmed). `note` is the one-line justification.
    The previous expression of a step is that of the last step before it that is not an aside (or lhs).
    """

    rule: str
    expr: sp.Expr
    note: str
    relation: str = EQUAL
    aside: bool = False  # a side remark (a counterexample, a cross-check): the chain goes on from before it
    reverse: bool = False  # the rule is read right to left: it rewrites this expression into the previous one


@dataclass(frozen=True)
class Derivation:
    """A claim `lhs = result`, the assumptions it uses, and the steps that lead from lhs to result.

    `classes` is the number of softmax classes K (None for the general case with a symbolic K).
    `definitions` maps each dependent IndexedBase (such as a) to a function index -> defining expression
    in z; verification substitutes them to ground every step. `wrt` is the variable differentiated by.
    """

    id: str
    title: str
    lhs: sp.Expr
    steps: tuple[Step, ...]
    assumptions: tuple[str, ...] = ()
    classes: int | None = None
    definitions: dict = field(default_factory=dict, compare=False, hash=False)
    wrt: sp.Expr | None = None
    quantity: sp.Expr | None = None  # the function being differentiated, in terms of z (and y)
    distinct: tuple[tuple[sp.Symbol, sp.Symbol], ...] = ()  # index pairs assumed different (i ≠ j)
    # Which prover and numeric checker apply: "output" (this module's K-class derivations) or a family that
    # registers its own in derive.verify.PROVERS and checks.derivation_check.CHECKERS (e.g. "backprop").
    family: str = "output"
    sizes: tuple | None = None  # layer sizes n_0, ..., n_L of a concrete network (None: symbolic sizes)

    @property
    def result(self) -> sp.Expr:
        """The right-hand side of the claim: the last expression equal to lhs."""
        return next(step.expr for step in reversed(self.steps) if not step.aside)

    def previous(self, position: int) -> sp.Expr:
        """The expression step `position` starts from."""
        return next((step.expr for step in reversed(self.steps[:position]) if not step.aside), self.lhs)

    @property
    def claim(self) -> sp.Eq:
        return sp.Eq(self.lhs, self.result, evaluate=False)

    @property
    def scale(self) -> int | str:
        """'K' for the general case, else the class count (the JSON contract's "classes")."""
        return "K" if self.classes is None else self.classes
