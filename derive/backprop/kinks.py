"""Exact zero tests across kinks: relu's max, a cost's |a − y| ≤ δ, each side of every kink taken in turn.

A grounded difference D holds kinked nodes (Piecewise, |r|, sign(r), max, ...). D is zero when it cancels on every
side of every kink. Taking every combination of sides jointly costs (sides per unit)^K: softmax with Huber has a
Piecewise per unit j, and 4^K combinations at K units. But D is a sum, and most of its terms hold the kinks of one
unit only: D = D_0 + Σ_g D_g(sides of group g), where a group gathers the kinks that share an argument or a term.
Such a D is zero on every combination exactly when it is zero with every group on its first side, and each D_g
takes the same value on all of its sides: varying one group at a time reaches every combination, and sums of
zeros are zero. That needs 1 + Σ_g (sides of g − 1) cancellations instead of Π_g sides of g, with nothing skipped.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import sympy as sp

from derive.backprop.notation import Indicator
from derive.verify import is_zero as rational_zero

__all__ = ["is_zero", "KINKED"]

KINKED = (sp.Piecewise, sp.Heaviside, sp.Max, sp.Min, sp.Abs, sp.sign, Indicator)
_DECIDED_BY_Z = (sp.Max, sp.Min, sp.Heaviside)  # written as Piecewise once every z has a sign, if still undecided


@lru_cache(maxsize=4096)
def is_zero(expr: sp.Expr) -> bool:
    """D ≡ 0 on every side of every kink. Every pre-activation inside a kinked function is taken positive, then
    negative, in every combination; the kinks left (a cost's, such as Huber's |a − y| ≤ δ) are split by group
    (see the module docstring). The value at a kink itself is a convention and is not tested."""
    if not expr.has(*KINKED):
        return rational_zero(expr)
    expr = expr.replace(lambda e: isinstance(e, sp.Derivative), lambda e: e.doit())  # ∂z/∂z left by grounding
    kinked = sorted({s for node in sp.preorder_traversal(expr) if isinstance(node, KINKED)
                     for s in node.free_symbols if str(s).startswith("z")}, key=str)
    for signs in itertools.product((1, -1), repeat=len(kinked)):
        side = {s: sign * sp.Symbol(s.name, positive=True) for s, sign in zip(kinked, signs)}
        branch = expr.xreplace(side)  # a kink in a signed z decides itself: max(0, z) -> z, its Piecewise -> 1
        branch = branch.replace(lambda e: isinstance(e, _DECIDED_BY_Z), lambda e: e.rewrite(sp.Piecewise))
        if not _zero_by_groups(branch):
            return False
    return True


# ------------------------------------------------------------------------------------------- groups
def _zero_by_groups(expr: sp.Expr) -> bool:
    """D_0 + Σ_g D_g(first side) = 0, and D_g(side) = D_g(first side) for every group g and each of its sides."""
    if not expr.has(*KINKED):
        return rational_zero(expr)
    parts = _split(expr)
    groups = _groups(parts)
    constant, differences = parts.get(frozenset(), sp.Integer(0)), []
    for group in groups:
        part = sp.Add(*[value for nodes, value in parts.items() if nodes and nodes <= group])
        values = list(_sides(part))
        if any(value is None for value in values):  # a combination that still has a kink is not shown zero
            return False
        constant += values[0]
        differences += [value - values[0] for value in values[1:] if value != values[0]]
    return rational_zero(constant) and all(rational_zero(difference) for difference in differences)


def _split(expr: sp.Expr) -> dict:
    """expr as Σ_S D_S, S the set of outermost kinked nodes that D_S holds (products distributed over sums)."""
    if isinstance(expr, KINKED):
        return {frozenset([expr]): expr}
    if not expr.has(*KINKED):
        return {frozenset(): expr}
    if expr.is_Add:
        result: dict = {}
        for term in expr.args:
            for nodes, value in _split(term).items():
                result[nodes] = result.get(nodes, sp.Integer(0)) + value
        return result
    # small positive powers are products (P² of an indicator); 1/P and the like stay whole, never expanded
    if expr.is_Mul or (expr.is_Pow and expr.exp.is_Integer and 0 < expr.exp <= 4):
        factors = expr.args if expr.is_Mul else [expr.base] * int(expr.exp)
        result = {frozenset(): sp.Integer(1)}
        for factor in factors:
            result = _product(result, _split(factor))
        return result
    return {frozenset(_outermost(expr)): expr}  # kinks inside another function (1/P, exp(P)): held whole


def _product(left: dict, right: dict) -> dict:
    result: dict = {}
    for (p, u), (q, v) in itertools.product(left.items(), right.items()):
        result[p | q] = result.get(p | q, sp.Integer(0)) + u * v
    return result


def _outermost(expr: sp.Expr) -> set:
    if isinstance(expr, KINKED):
        return {expr}
    return set().union(*(_outermost(arg) for arg in expr.args)) if expr.args else set()


def _keys(node: sp.Expr) -> set:
    """What decides a kinked node's side: the arguments of its |r| and sign(r), and its conditions."""
    keys = set()
    for inner in sp.preorder_traversal(node):
        if isinstance(inner, (sp.Abs, sp.sign)):
            keys.add(_canonical(inner.args[0]))
        elif isinstance(inner, sp.core.relational.Relational):
            keys.add(min(inner, inner.negated, key=str))
    return keys


def _groups(parts: dict) -> list[frozenset]:
    """Kinked nodes joined when they share a key or a term: each group's sides are independent of the others'."""
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    def union(x, y):
        parent[find(x)] = find(y)

    for nodes in parts:
        ordered = sorted(nodes, key=str)
        for node in ordered:
            for key in _keys(node):
                union(("node", node), ("key", key))
            union(("node", node), ("node", ordered[0]))
    members: dict = {}
    for nodes in parts:
        for node in nodes:
            members.setdefault(find(("node", node)), set()).add(node)
    return [frozenset(group) for _, group in sorted(members.items(), key=lambda item: str(item[0]))]


def _sides(expr: sp.Expr):
    """expr on each side of its kinks: every |r| and sign(r) taken by the sign of r, then every condition left
    taken true and false (its negation the opposite), in every combination. Infeasible combinations are kept, so
    this requires more than the real sides do, never less. None for a combination that still has a kink."""
    arguments = sorted({_canonical(node.args[0]) for node in sp.preorder_traversal(expr)
                        if isinstance(node, (sp.Abs, sp.sign))}, key=str)
    for signs in itertools.product((1, -1), repeat=len(arguments)):
        replace = {}
        for r, s_ in zip(arguments, signs):
            replace.update({sp.Abs(r): s_ * r, sp.sign(r): sp.Integer(s_), sp.sign(-r): sp.Integer(-s_)})
        side = expr.xreplace(replace)
        found = {node for node in sp.preorder_traversal(side) if isinstance(node, sp.core.relational.Relational)}
        conditions = sorted({min(c, c.negated, key=str) for c in found}, key=str)
        for truths in itertools.product((True, False), repeat=len(conditions)):
            values = {}
            for c, truth in zip(conditions, truths):
                values.update({c: sp.true if truth else sp.false, c.negated: sp.false if truth else sp.true})
            branch = side.xreplace(values)  # a Piecewise whose conditions are decided collapses to one branch
            yield None if branch.has(*KINKED) else branch


def _canonical(r: sp.Expr) -> sp.Expr:
    return -r if r.could_extract_minus_sign() else r
