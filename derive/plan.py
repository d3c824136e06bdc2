"""The engine that derives: for f(z) without a hand-written route, it picks rules from the rule table, one
step per rule application, then writes the result in terms of the activation a = f(z) where that is simpler.

Every step is a normal Step of the rule table, so the prover replays and grounds it like a hand-written one.
"""

from __future__ import annotations

import sympy as sp

from derive.errors import UsageError
from derive.rules import REWRITE, bottom_up, rule, sigmoid_argument
from derive.steps import Derivation, Step

__all__ = ["plan_derivation", "PlanError", "PRIORITY", "SCALAR_FAMILY", "MAX_STEPS"]

SCALAR_FAMILY = "scalar"  # a function of one real variable: proven by derive.pointwise
MAX_STEPS = 100
# The planner's choice for a derivative node: the first rule of this list that rewrites it; each step applies the
# earliest rule any node needs to every node it fits. The order matters where rules overlap: constants before
# everything, σ and products before the quotient rule, (1 + z²)^(−2) to the power rule before the reciprocal rule.
PRIORITY = ("constant-rule", "variable-rule", "sum-terms", "constant-multiple", "sigmoid-rule", "product-rule",
            "sqrt-rule", "power-rule", "exponential-rule", "general-power-rule", "quotient-rule", "reciprocal-rule",
            "exp-rule", "log-rule", "tanh-rule", "erf-rule", "max-rule", "min-rule",
            "abs-rule", "piecewise-rule")
_NOTES = {
    "constant-rule": "terms free of {z} have derivative 0",
    "variable-rule": "d{z}/d{z} = 1",
    "sum-terms": "differentiate term by term",
    "constant-multiple": "take the constant factors out",
    "sigmoid-rule": "σ' = σ(1 − σ), times the inner derivative",
    "product-rule": "(uv)' = u'v + uv'",
    "quotient-rule": "(u/v)' = (u'v − uv')/v²",
    "reciprocal-rule": "(1/v)' = −v'/v²",
    "sqrt-rule": "(√u)' = u'/(2√u)",
    "power-rule": "(u^n)' = n u^(n−1) u'",
    "exponential-rule": "(c^u)' = c^u ln c · u'",
    "general-power-rule": "(u^v)' = u^v (v' ln u + v u'/u)",
    "exp-rule": "(e^u)' = e^u u'",
    "log-rule": "(ln u)' = u'/u",
    "tanh-rule": "tanh' = 1 − tanh², times the inner derivative",
    "erf-rule": "erf'(u) = (2/√π) e^(−u²), times the inner derivative",
    "max-rule": "max follows the larger argument; not differentiable where they are equal",
    "min-rule": "min follows the smaller argument; not differentiable where they are equal",
    "abs-rule": "|u| is u or −u by the sign of u; not differentiable at u = 0",
    "piecewise-rule": "differentiate each branch inside its region",
}
KINK_NOTE = ("convention (as torch and jax): at a kink take the branch the function uses there, so relu'(0) = 0 "
             "and |u|' = 0 at u = 0; proofs and numeric checks stay away from kinks")


class PlanError(UsageError):
    """The planner has no rule for part of the expression: one line naming it."""


def plan_derivation(expr: sp.Expr, *, id: str, title: str, variable: str | sp.Symbol = "z",
                    activation_symbol: str | sp.Symbol = "a", parameters=()) -> Derivation:
    """da/dz for a = expr, derived step by step with rules from the rule table and ready for `derive.verify.prove`.

    `parameters` lists the symbols besides the variable that expr may contain (alpha); they are constants.
    """
    z = _symbol(variable)
    a = _symbol(activation_symbol)
    _check_symbols(expr, z, set(parameters))
    lhs = sp.Derivative(a, z, evaluate=False)
    steps = [Step("definition", sp.Derivative(expr, z, evaluate=False), f"{a} = {sp.sstr(expr)}")]
    steps += _differentiate(steps[-1].expr, z)
    assumptions = [f"{a} = {sp.sstr(expr)}", f"{z} is real"]
    if any(step.rule == "kink-convention" for step in steps):
        assumptions.append(KINK_NOTE)
    steps += _tidy(steps[-1].expr, z, expr, a)
    return Derivation(id, title, lhs, tuple(steps), assumptions=tuple(assumptions), definitions={a: expr},
                      wrt=z, quantity=expr, family=SCALAR_FAMILY)


def _symbol(name) -> sp.Symbol:
    return sp.Symbol(name, real=True) if isinstance(name, str) else name


def _check_symbols(expr, z, parameters) -> None:
    unknown = expr.free_symbols - {z} - parameters
    if unknown:
        raise PlanError(f"the expression uses {', '.join(sorted(map(str, unknown)))}, which is neither the variable "
                        f"{z} nor a declared parameter")


# ------------------------------------------------------------------------------------------ differentiating
def _differentiate(expr: sp.Expr, z: sp.Symbol) -> list[Step]:
    """Apply rules until no derivative is left (each step: the most basic rule any derivative needs, applied to
    every derivative it fits); then close the kinks by the convention."""
    steps = []
    while expr.has(sp.Derivative):
        if len(steps) >= MAX_STEPS:
            raise PlanError(f"the derivation needs more than {MAX_STEPS} steps; write a shorter expression")
        name = min((_choose(node, z) for node in _derivatives(expr)), key=PRIORITY.index)
        expr = rule(name).apply(expr, None)
        steps.append(Step(name, expr, _NOTES[name].format(z=z)))
    if _open_piecewise(expr):
        expr = rule("kink-convention").apply(expr, None)
        steps.append(Step("kink-convention", expr, KINK_NOTE))
    return steps


def _derivatives(expr: sp.Expr) -> set[sp.Derivative]:
    """The derivatives left; the rule chosen next is the most basic any of them needs, applied to all it fits."""
    return {node for node in sp.preorder_traversal(expr) if isinstance(node, sp.Derivative)}


def _choose(node: sp.Derivative, z: sp.Symbol) -> str:
    for name in PRIORITY:
        if rule(name).kind == REWRITE and rule(name).apply(node, None) != node:
            return name
    raise PlanError(f"no rule in the table differentiates {sp.sstr(node.expr)} with respect to {z}")


def _open_piecewise(expr: sp.Expr) -> bool:
    return any(isinstance(node, sp.Piecewise) and node.args[-1].cond != sp.true for node in sp.preorder_traversal(expr))


# ---------------------------------------------------------------------------------------- tidying the result
def _tidy(result: sp.Expr, z: sp.Symbol, definition: sp.Expr, a: sp.Symbol) -> list[Step]:
    """Algebra steps after the calculus: one piecewise with resolved branches, σ recognized, a folded in."""
    steps = []
    for name, rewrite, note in (("abs-fold", _abs_folded, "u · sign(u) = |u|"),
                                ("simplify", _combined, "one piecewise; max, min and |u| resolved in each branch"),
                                ("sigmoid-form", _sigmoid_form, f"e^{z}/(1 + e^{z}) = 1/(1 + e^(−{z})) = σ({z})"),
                                ("in-terms-of-a", _folded, f"substitute {a} = {sp.sstr(definition)}")):
        candidate = rewrite(result, z, definition, a)
        if candidate is not None and candidate != result:
            result = candidate
            steps.append(Step(name, result, note))
    return steps


def _combined(result, z, definition, a):
    """One Piecewise with unreachable branches dropped and max/min/abs resolved inside each branch."""
    if not result.has(sp.Piecewise):
        return None
    branches = _branches(result, z)
    if not branches:
        return None
    combined = sp.Piecewise(*[(_resolve(value, z, region), condition) for value, condition, region in branches])
    return combined if sp.count_ops(combined) < sp.count_ops(result) else None  # not when it copies big terms


def _branches(expr, z):
    """[(value, condition, region)] of expr folded into one Piecewise, unreachable branches dropped; [] if not one."""
    folded = sp.piecewise_fold(expr)
    if not isinstance(folded, sp.Piecewise) or not _polynomial_conditions(folded, z):
        return []
    branches, covered = [], sp.EmptySet
    for value, condition in folded.args:
        try:
            region = (sp.Reals if condition == sp.true else sp.Reals.intersect(condition.as_set())) - covered
        except (NotImplementedError, TypeError, ValueError):
            return []
        if region != sp.EmptySet:
            covered = covered | region
            branches.append((value, condition, region))
    return branches


def _polynomial_conditions(piecewise, z) -> bool:
    """Whether every branch condition compares polynomials in z: SymPy solves those quickly (as_set), not others."""
    return all((rel.lhs - rel.rhs).is_polynomial(z) for _, condition in piecewise.args
               for rel in condition.atoms(sp.Rel))


def _resolve(value, z, region):
    """Inside a region where u − v keeps its sign, max(u, v), min(u, v) and |u| are one of their arguments."""
    samples = _samples(region)

    def sign(expr):
        signs = {sp.sign(expr.xreplace({z: point})) for point in samples}
        return signs.pop() if len(signs) == 1 and samples else 0

    def visit(node):
        if isinstance(node, sp.Piecewise):
            taken = {next(i for i, (_, c) in enumerate(node.args) if c.xreplace({z: p}) == sp.true) for p in samples}
            return node.args[taken.pop()].expr if len(taken) == 1 else node
        if isinstance(node, (sp.Max, sp.Min)) and len(node.args) == 2:
            u, v = node.args
            s = sign(u - v)
            if s != 0:
                return u if (s > 0) == isinstance(node, sp.Max) else v
        if isinstance(node, sp.Abs):
            s = sign(node.args[0])
            if s != 0:
                return node.args[0] * s
        return node

    return value.replace(lambda node: isinstance(node, (sp.Max, sp.Min, sp.Abs, sp.Piecewise)), visit)


def _samples(region) -> list[sp.Rational]:
    grid = [sp.Rational(n, 4) for n in range(-40, 41) if n != 0]
    return [point for point in grid if region.contains(point) == sp.true]


def _sigmoid_form(result, z, definition, a):
    """σ(z) for e^z/(1 + e^z) (softplus'): a rational function of e^z equal to 1/(1 + e^{−z})."""
    if sigmoid_argument(result) is not None or sp.count_ops(result) > 40 \
            or any(not isinstance(f, sp.exp) for f in result.atoms(sp.Function)):
        return None  # only small rational functions of exponentials: cancel is cheap there
    sigma = 1 / (1 + sp.exp(-z))
    e = sp.Dummy("e", positive=True)
    difference = (result - sigma).rewrite(sp.exp).subs(sp.exp(z), e).subs(sp.exp(-z), 1 / e)
    if difference.has(z) or sp.cancel(sp.together(difference)) != 0:
        return None
    return sigma


def _folded(result, z, definition, a):
    """The result with a = f(z) substituted back where f appears (tanh: 1 − a²), or branch by branch a + c (elu)."""
    if isinstance(result, sp.Piecewise):
        return _folded_branches(result, z, definition, a)
    candidate = result.subs(definition, a)
    if candidate == result or _fractional_powers(candidate, a):
        return None
    return candidate if not candidate.has(z) or sp.count_ops(candidate) < sp.count_ops(result) else None


def _fractional_powers(expr, a) -> bool:
    """a^(3/2) and the like: SymPy's power algebra, not a textbook form."""
    return any(node.is_Pow and node.base == a and not node.exp.is_integer for node in sp.preorder_traversal(expr))


def _abs_folded(result, z, definition, a):
    """u · s(u) = |u| for s the derivative of |u| under the kink convention (1 above 0, −1 below, 0 at 0)."""

    def fold(node):
        if not isinstance(node, sp.Mul):
            return node
        for factor in node.args:
            u = _sign_argument(factor)
            if u is not None and u in node.args:
                rest = list(node.args)
                rest.remove(factor)
                rest.remove(u)
                return sp.Mul(*rest, sp.Abs(u))
        return node

    folded = bottom_up(result, fold)
    return folded if folded != result else None


def _sign_argument(node):
    """u if node is Piecewise((1, u > 0), (−1, u < 0), (0, True)), else None."""
    if isinstance(node, sp.Piecewise) and len(node.args) == 3 and [v for v, _ in node.args] == [1, -1, 0]:
        (_, above), (_, below), _ = node.args
        if isinstance(above, sp.StrictGreaterThan) and isinstance(below, sp.StrictLessThan) and above.rhs == 0 \
                and below.rhs == 0 and above.lhs == below.lhs:
            return above.lhs
    return None


def _folded_branches(result, z, definition, a):
    """Branch by branch: where the derivative differs from the definition by a constant c, it is a + c."""
    branches, changed = [], False
    for value, condition, region in _branches(result, z):
        offset = sp.expand(value - _resolve(definition, z, region))
        if value.has(z) and not offset.has(z):
            value, changed = a + offset, True
        branches.append((value, condition))
    return sp.Piecewise(*branches) if changed else None
