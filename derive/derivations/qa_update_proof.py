"""The prover of the family "update": each rewrite replayed, then both sides grounded at small layer sizes.

Grounding writes the weighted inputs out, z_m = Σ_p w_pm o_p + b_m at n previous units and K outputs, keeps E an
undefined function of z_1..z_K (so nothing is assumed about the cost) with ∂E/∂z_m as the symbols g_m, sets the
free indices i, j to every pair of units, and compares exactly. The independent route is SymPy's own chain rule:
diff of E(z_1(w), …, z_K(w)) by w_ij.
"""

from __future__ import annotations

import itertools

import sympy as sp

from derive.derivations.qa_update import n, o, w, b
from derive.notation import E, K, i, j, z
from derive.rules import REWRITE, rule
from derive.verify import Proof, StepCheck, expand_sums

__all__ = ["prove", "SIZES"]

SIZES = ((2, 2), (3, 2), (2, 3))  # (n, K): previous-layer units, output units


def prove(derivation) -> Proof:
    checks = []
    for position, step in enumerate(derivation.steps):
        previous = derivation.previous(position)
        if rule(step.rule).kind != REWRITE:
            checks.append(StepCheck(True, "a statement of what the result above gives (checked numerically)"))
        elif rule(step.rule).apply(previous, derivation.classes) != step.expr:
            checks.append(StepCheck(False, f"replaying {step.rule} does not give this expression"))
        else:
            checks.append(_grounded(previous, step.expr, f"{step.rule} replayed", _sizes(derivation)))
    return Proof(derivation, tuple(checks), _independent(derivation))


def _sizes(derivation):
    return SIZES if derivation.classes is None else tuple((size, derivation.classes) for size in (2, 3))


def _grounded(left, right, replayed: str, sizes) -> StepCheck:
    for units, outputs in sizes:
        for row, column in itertools.product(range(1, units + 1), range(1, outputs + 1)):
            if _ground(left, units, outputs, row, column) != _ground(right, units, outputs, row, column):
                return StepCheck(False, f"{replayed}, but the sides differ at n={units}, K={outputs}, i={row}, "
                                        f"j={column}")
    return StepCheck(True, f"{replayed}; equal when grounded at (n, K) = " +
                     ", ".join(f"({units}, {outputs})" for units, outputs in sizes))


def _independent(derivation) -> StepCheck:
    sizes = _sizes(derivation)
    for units, outputs in sizes:
        inputs = _inputs(units, outputs)
        cost = sp.Function("E")(*inputs)
        for row, column in itertools.product(range(1, units + 1), range(1, outputs + 1)):
            expected = _canonical(sp.diff(cost, w[row, column]), inputs)
            found = _ground(derivation.result, units, outputs, row, column)
            if sp.expand(expected - found) != 0:
                return StepCheck(False, f"differs from SymPy's chain rule at n={units}, K={outputs}")
    return StepCheck(True, "equals SymPy's diff of E(z_1(w), …, z_K(w)) by w_ij at (n, K) = "
                     + ", ".join(f"({units}, {outputs})" for units, outputs in sizes))


def _inputs(units: int, outputs: int) -> list[sp.Expr]:
    return [sum(w[q, unit] * o[q] for q in range(1, units + 1)) + b[unit] for unit in range(1, outputs + 1)]


def _canonical(expr, inputs) -> sp.Expr:
    """SymPy's Subs(∂E/∂ξ_m at ξ = z(w)) as the symbol g_m."""
    return expr.replace(lambda e: isinstance(e, sp.Subs),
                        lambda e: _g(inputs.index(e.point[list(e.variables).index(e.expr.variables[0])]) + 1))


def _g(unit) -> sp.Symbol:
    return sp.Symbol(f"g{unit}")


def _ground(expr, units: int, outputs: int, row: int, column: int) -> sp.Expr:
    expr = expand_sums(expr.xreplace({K: outputs, n: units})).xreplace({i: row, j: column})
    return sp.expand(expr.replace(lambda e: isinstance(e, sp.Derivative), lambda e: _derivative(e, units, outputs)))


def _derivative(node, units, outputs):
    (variable,) = node.variables
    if node.expr == E and isinstance(variable, sp.Indexed) and variable.base == z:
        return _g(variable.indices[0])
    if node.expr == E:  # ∂E/∂w: SymPy's chain rule, written with the g_m
        inputs = _inputs(units, outputs)
        return _canonical(sp.diff(sp.Function("E")(*inputs), variable), inputs)
    inner = node.expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == z,
                              lambda e: _inputs(units, outputs)[int(e.indices[0]) - 1])
    return sp.diff(inner, variable)

