"""A builder that records the steps of a derivation as it applies rules."""

from __future__ import annotations

import sympy as sp

from derive.rules import ALGEBRA, rule
from derive.steps import EQUAL, Step

__all__ = ["Chain"]


class Chain:
    """Start from lhs; `apply` a rewrite rule or `write` an algebra step; `steps` is what was recorded."""

    def __init__(self, lhs: sp.Expr, classes: int | None):
        self.expr, self.classes, self._steps = lhs, classes, []

    def apply(self, name: str, note: str) -> "Chain":
        self.expr = rule(name).apply(self.expr, self.classes)
        self._steps.append(Step(name, self.expr, note))
        return self

    def write(self, name: str, expr: sp.Expr, note: str) -> "Chain":
        if rule(name).kind != ALGEBRA:
            raise ValueError(f"{name} is a rewrite rule: apply it, do not write its result")
        self.expr = expr
        self._steps.append(Step(name, expr, note))
        return self

    def aside(self, name: str, expr: sp.Expr, note: str, relation: str = EQUAL, reverse: bool = False) -> "Chain":
        """A remark about the current expression that the chain does not continue from."""
        self._steps.append(Step(name, expr, note, relation=relation, aside=True, reverse=reverse))
        return self

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(self._steps)
