"""The stability rules: rewrites that turn derived expressions into forms that cannot overflow, each a formula.

A rule is a function (expr, definitions) -> expr that applies its formula wherever it matches and leaves
everything else alone; `definitions` maps a dependent IndexedBase (a) to its defining function, for rules
that need to know what a is. Every rule is an identity: the rewritten expression equals the original for
every z (the shift m cancels), which tests/test_stable_rules.py checks rule by rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from derive.functions import Z, activation
from derive.notation import a, sigmoid_of, z

__all__ = ["StableRule", "STABLE_RULES", "SHIFT", "StableSigmoid", "Softplus", "stabilize"]

# m = max_k Re z_k: one value per example (per column of z); the generated code binds it once.
SHIFT = sp.Symbol("m", real=True)


class StableSigmoid(sp.Function):
    """σ(x) = 1/(1 + e^{−x}), evaluated through e^{−|Re x|} ≤ 1 so that no exponential overflows."""

    nargs = 1

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return activation("sigmoid").expr().xreplace({Z: x})  # the table's definition

    def fdiff(self, argindex=1):
        return StableSigmoid(self.args[0]) * StableSigmoid(-self.args[0])


class Softplus(sp.Function):
    """softplus(x) = ln(1 + e^x), evaluated as r + ln(e^{−r} + e^{x − r}) with r = max(Re x, 0): no overflow."""

    nargs = 1

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))

    def fdiff(self, argindex=1):
        return StableSigmoid(self.args[0])


@dataclass(frozen=True)
class StableRule:
    name: str
    title: str
    apply: Callable[[sp.Expr, dict], sp.Expr]

    @property
    def formula(self) -> str:
        return (self.apply.__doc__ or self.title).strip().splitlines()[0]


def _is_exp_sum(factor) -> bool:
    """Σ_k e^{z_k}: the softmax denominator, over the whole class range."""
    return isinstance(factor, sp.Sum) and factor.function == sp.exp(z[factor.limits[0][0]])


def softmax_shift(expr, definitions):
    """e^{z_j} / Σ_k e^{z_k} -> e^{z_j − m} / Σ_k e^{z_k − m},  m = max_k Re z_k"""

    def shifted(node):
        exps = [f for f in node.args if isinstance(f, sp.exp) and isinstance(f.args[0], sp.Indexed)
                and f.args[0].base == z]
        sums = [f for f in node.args if f.is_Pow and f.exp == -1 and _is_exp_sum(f.base)]
        if len(exps) != 1 or len(sums) != 1:
            return node
        (numerator,), (denominator,) = exps, sums
        index = denominator.base.limits
        rest = [f for f in node.args if f is not numerator and f is not denominator]
        total = sp.Sum(sp.exp(z[index[0][0]] - SHIFT), *index)
        return sp.Mul(*rest, sp.exp(numerator.args[0] - SHIFT), 1 / total)

    return expr.replace(lambda e: isinstance(e, sp.Mul), shifted)


def log_quotient(expr, definitions):
    """ln(e^u / S) -> u − ln S   (log-softmax: z_j − m − ln Σ_k e^{z_k − m}; no exp to overflow, no ln 0)"""

    def split(node):
        factors = sp.Mul.make_args(node.args[0])
        exps = [f for f in factors if isinstance(f, sp.exp)]
        denominators = [f for f in factors if f.is_Pow and f.exp == -1]
        if len(exps) != 1 or len(denominators) != 1 or len(factors) != 2:
            return node
        return exps[0].args[0] - sp.log(denominators[0].base)

    return expr.replace(lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.Mul), split)


def stable_sigmoid(expr, definitions):
    """1 / (1 + e^{−x}) -> σ(x), computed from e^{−|Re x|} (never overflows, complex-safe)"""

    def match(node):
        if not (node.is_Pow and node.exp == -1 and isinstance(node.base, sp.Add) and len(node.base.args) == 2):
            return None
        one, other = sorted(node.base.args, key=lambda term: term != 1)
        if one == 1 and isinstance(other, sp.exp):
            return -other.args[0]
        return None

    return expr.replace(lambda e: match(e) is not None, lambda e: StableSigmoid(match(e)))


def log_sigmoid(expr, definitions):
    """ln σ(x) -> −softplus(−x),  ln(1 − σ(x)) -> −softplus(x)   (binary cross-entropy without ln 0)"""

    def rewrite(node):
        inner = node.args[0]
        if isinstance(inner, StableSigmoid):
            return -Softplus(-inner.args[0])
        terms = sp.Add.make_args(inner)
        if len(terms) == 2 and sp.Integer(1) in terms:
            other = -(terms[0] if terms[1] == 1 else terms[1])
            if isinstance(other, StableSigmoid):
                return -Softplus(other.args[0])
        return node

    return expr.replace(lambda e: isinstance(e, sp.log), rewrite)


def sigmoid_complement(expr, definitions):
    """1 − a_i -> σ(−z_i)   for a_i = σ(z_i) (no cancellation when a_i is near 1)"""
    if definitions.get(a) is None or definitions[a](sp.Symbol("_x")) != sigmoid_of(sp.Symbol("_x")):
        return expr

    def complement(node):
        if isinstance(node, sp.Add) and len(node.args) == 2 and sp.Integer(1) in node.args:
            other = node.args[0] if node.args[1] == 1 else node.args[1]
            negated = -other
            if isinstance(negated, sp.Indexed) and negated.base == a:
                return StableSigmoid(-z[negated.indices[0]])
        return node

    return expr.replace(lambda e: isinstance(e, sp.Add), complement)


_TABLE = [
    # name                   title                                            rewrite
    ("softmax-shift",       "shift the logits by their maximum (real part)", softmax_shift),
    ("log-softmax",         "log of a softmax without exponentials",         log_quotient),
    ("stable-sigmoid",      "sigmoid through e^{−|x|}",                      stable_sigmoid),
    ("log-sigmoid",         "log of a sigmoid as a softplus",                log_sigmoid),
    ("sigmoid-complement",  "1 − σ(x) = σ(−x)",                              sigmoid_complement),
]
STABLE_RULES: dict[str, StableRule] = {name: StableRule(name, title, fn) for name, title, fn in _TABLE}


def stabilize(expr: sp.Expr, definitions: dict | None = None) -> tuple[sp.Expr, tuple[str, ...]]:
    """Apply every stability rule in table order; return the stable form and the names of the rules that fired."""
    definitions = definitions or {}
    fired = []
    for rule in STABLE_RULES.values():
        rewritten = rule.apply(expr, definitions)
        if rewritten != expr:
            fired.append(rule.name)
            expr = rewritten
    return expr, tuple(fired)
