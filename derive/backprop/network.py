"""The independent route: the derived equations against SymPy's own derivatives of the cost on whole networks.

The network is composed layer by layer with intermediate symbols (z^l, a^l), never as one expression: SymPy
differentiates each layer's definition (z^l = W^l a^(l−1) + b^l, the activation, the cost), and the chain rule
multiplies those Jacobians forward, from z^l (or a parameter) up to C. No derived rule is used on this route:
the softmax Jacobian, σ' and ∇_a C come from sympy.diff of the definitions.

Each equation is then checked at every layer where it applies, with SymPy's derivatives as its inputs:
BP1 against ∂C/∂z^L; BP2 (with δ^(l+1) := ∂C/∂z^(l+1)) against ∂C/∂z^l; BP3 and BP4 (with δ^l := ∂C/∂z^l)
against ∂C/∂b^l and ∂C/∂W^l. By induction from the output layer, the derived recursion then gives the whole
gradient. Arithmetic is exact: at a seeded random point where every e^(z^l_j) is a rational number (and the
weights, inputs and targets are too), both sides are rational numbers and are compared exactly. A wrong equation
is a different rational function, which agrees at a random point with probability at most its degree over the
~10^9 values each coordinate is drawn from (Schwartz–Zippel): two points make a false pass practically impossible.

Hidden activations that are not rational in e^z (relu, softplus, GELU, ...) are checked at 60 significant digits
instead: z^l is drawn directly (never exactly at a kink), every node is evaluated with mpmath, and the two sides
must agree to 10^−40 relative, where a wrong equation misses by far more than rounding.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from derive import functions

from derive.backprop.derivations import activation_of, equations, layer_activations
from derive.backprop.ground import expand_sums
from derive.backprop.notation import LAMBDA, L, a, delta, l, n, w, y, z
from derive.steps import Derivation

__all__ = ["NETWORKS", "POINTS", "EXACT_LIMIT", "check_networks", "networks_for"]

NETWORKS = ((3, 4, 3), (2, 3, 3, 2))  # the small networks every derivation is checked on
POINTS = 2  # seeded random rational points per network
EXACT_LIMIT = 200  # concrete networks with at most this many parameters are also checked exactly themselves
_SCALE = 10**9
_DIGITS = 60  # the precision of the check when an activation is not rational in e^z
_AGREEMENT = mpmath.mpf(10) ** -40


def networks_for(sizes, hidden=("sigmoid",)) -> tuple[tuple[int, ...], ...]:
    """The standard networks (with one hidden layer per activation when each layer has its own), and the
    concrete one when it is small enough for exact arithmetic."""
    standard = NETWORKS if len(hidden) == 1 else ((3,) + (4,) * len(hidden) + (3,), (2,) + (3,) * len(hidden) + (2,))
    if sizes is not None and _parameters(sizes) <= EXACT_LIMIT and tuple(sizes) not in standard:
        return standard + (tuple(sizes),)
    return standard


def _parameters(sizes) -> int:
    return sum(sizes[t] * (sizes[t - 1] + 1) for t in range(1, len(sizes)))


def check_networks(derivation: Derivation, seed: int = 0) -> tuple[bool, str]:
    """(passed, what was compared): every equation of `derivation` at every layer of each network."""
    output, cost = derivation.definitions["output"], derivation.definitions["cost"]
    hidden = tuple(derivation.definitions.get("hidden", ("sigmoid",)))
    decay = derivation.definitions.get("weight_decay")
    found = equations(derivation)
    networks = [s for s in networks_for(derivation.sizes, hidden) if not (_only_bp2(found) and len(s) < 3)]
    for sizes in networks:
        layers = layer_activations(hidden, len(sizes) - 1)
        for equation in found:
            at = tuple(t for t, name in enumerate(layers, start=1) if name == activation_of(derivation, equation))
            failure = _check(equation.name, equation.result, sizes, output, cost, layers, at, seed, decay)
            if failure:
                return False, f"{failure} on the network {'-'.join(map(str, sizes))}"
    first, last = found[0].name.upper(), found[-1].name.upper()
    names = f"{first}–{last} agree" if len(found) > 1 else f"{first} agrees"
    shown = " and ".join("-".join(map(str, s)) for s in networks)
    note = ""
    if derivation.sizes is not None and tuple(derivation.sizes) not in networks:
        note = f"; {'-'.join(map(str, derivation.sizes))} itself is too large for exact arithmetic (numeric check)"
    exact = all(_model(tuple(s), output, cost, layer_activations(hidden, len(s) - 1))["exact"] for s in networks)
    arithmetic = "exact rational arithmetic" if exact else f"{_DIGITS} significant digits, agreeing to 1e-40"
    return True, (f"{names} with sympy.diff of each layer's definition, chained through the whole network, at "
                  f"every layer of {shown} ({arithmetic}, {POINTS} seeded random points each){note}")


@lru_cache(maxsize=256)
def _check(name: str, result, sizes, output: str, cost: str, layers, at, seed: int, decay=None) -> str | None:
    """`layers`: each hidden layer's activation; `at`: the hidden layers a BP2 chain is about; `decay`: λ of the
    L2 penalty (λ/2) Σ ‖W^t‖² added to the cost, or None."""
    with mpmath.workdps(_DIGITS):
        return _check_points(name, result, sizes, output, cost, layers, at, seed, decay)


def _check_points(name, result, sizes, output, cost, layers, at, seed, decay) -> str | None:
    for point in range(POINTS):
        values, reference = _points(sizes, output, cost, layers, seed, point, decay)
        failure = _compare(name, result, sizes, values, reference, at)
        if failure:
            return f"{failure} (point {point})"
    return None


@lru_cache(maxsize=64)
def _points(sizes, output: str, cost: str, layers, seed: int, point: int, decay=None):
    return _reference(_model(sizes, output, cost, layers), np.random.default_rng([seed, point]), decay)


def _only_bp2(found) -> bool:
    return all(e.name == "bp2" for e in found)


# ------------------------------------------------------------------------------------------------- model
@lru_cache(maxsize=None)
def _model(sizes: tuple[int, ...], output: str, cost: str, layers=None) -> dict:
    """The layer definitions in intermediate symbols and their Jacobians by sympy.diff (made once per network).

    After differentiating, e^(z^t_u) is written as a symbol E^t_u, so that with sigmoid or tanh hidden layers
    every Jacobian is a rational function ("exact"); otherwise z stays and the point is evaluated numerically.
    """
    layers = ("sigmoid",) * (len(sizes) - 2) if layers is None else tuple(layers)
    depth = len(sizes) - 1
    Z = {t: [sp.Symbol(f"Z{t}_{u}", real=True) for u in range(1, sizes[t] + 1)] for t in range(1, depth + 1)}
    E = {t: [sp.Symbol(f"E{t}_{u}", positive=True) for u in range(1, sizes[t] + 1)] for t in range(1, depth + 1)}
    A = {t: [sp.Symbol(f"A{t}_{u}", real=True) for u in range(1, sizes[t] + 1)] for t in range(0, depth + 1)}
    W = {t: sp.Matrix(sizes[t], sizes[t - 1], lambda r, c: sp.Symbol(f"W{t}_{r + 1}_{c + 1}"))
         for t in range(1, depth + 1)}
    B = {t: [sp.Symbol(f"B{t}_{u}") for u in range(1, sizes[t] + 1)] for t in range(1, depth + 1)}
    Y = [sp.Symbol(f"Y_{u}", real=True) for u in range(1, sizes[-1] + 1)]  # real: |a − y| differentiates as on ℝ
    symbol_of = {v: e for t in Z for v, e in zip(Z[t], E[t])}

    def rational(expr):
        """e^(c_1 z_1 + c_2 z_2 ...) -> E_1^c_1 E_2^c_2 ... (integer c): Jacobians become rational functions."""
        def power(node):
            terms = [term.as_coeff_Mul() for term in sp.Add.make_args(sp.expand(node.args[0]))]
            if not all(rest in symbol_of and c.is_Integer for c, rest in terms):
                return node
            return sp.Mul(*[symbol_of[rest] ** c for c, rest in terms])

        return expr.replace(lambda e: isinstance(e, sp.exp), power)

    pre = {t: W[t] * sp.Matrix(A[t - 1]) + sp.Matrix(B[t]) for t in range(1, depth + 1)}
    act = {t: [_applied(layers[t - 1], v).rewrite(sp.exp) if layers[t - 1] == "tanh" else _applied(layers[t - 1], v)
               for v in Z[t]] for t in range(1, depth)}
    if output == "softmax":
        total = sum(sp.exp(v) for v in Z[depth])
        act[depth] = [sp.exp(v) / total for v in Z[depth]]
    else:
        act[depth] = [_applied(functions.output(output).activation, v) for v in Z[depth]]
    aL = A[depth]
    cost_expr = functions.cost(cost).per_example(aL, Y)
    free = set(Z[depth]) if output == "identity" else set()  # an identity output's z are rational variables
    exact = all(_rational_in(rational(v), E, free) for t in act for v in act[t])
    if not exact:
        rational = lambda expr: expr  # noqa: E731  (z stays: evaluated numerically)
    return {
        "sizes": sizes, "output": output, "cost": cost, "E": E, "A": A, "W": W, "Y": Y, "Z": Z, "exact": exact,
        "act": {t: [rational(v) for v in act[t]] for t in act},
        "grad_a": [sp.diff(cost_expr, v) for v in aL],  # ∇_a C
        "jac_a": {t: [[rational(d) for d in _gradient(act[t], Z[t][c])] for c in range(sizes[t])]
                  for t in act},  # ∂a^t/∂z^t, the whole matrix (transposed here; see below)
        "jac_z": {t: [_gradient(pre[t], A[t - 1][c]) for c in range(sizes[t - 1])]
                  for t in range(2, depth + 1)},  # ∂z^t/∂a^(t−1), transposed
        "dz_dW": {t: {(r, c): _gradient(pre[t], W[t][r, c]) for r in range(sizes[t]) for c in range(sizes[t - 1])}
                  for t in range(1, depth + 1)},
        "dz_db": {t: {r: _gradient(pre[t], B[t][r]) for r in range(sizes[t])} for t in range(1, depth + 1)},
    }


def _rational_in(expr: sp.Expr, E: dict, free=frozenset()) -> bool:
    """Whether expr is a rational function of the E symbols (and `free`) alone (no other z, no exp, no max)."""
    allowed = {e for row in E.values() for e in row} | set(free)
    return expr.free_symbols <= allowed and not expr.atoms(sp.Function) and not expr.has(sp.Piecewise)


def _applied(name: str, value: sp.Expr) -> sp.Expr:
    """The table's activation `name` at `value`."""
    return functions.activation(name).expr().xreplace({functions.Z: value})


def _gradient(vector, parameter) -> list:
    """∂v_i/∂θ for every component v_i by sympy.diff (0 without calling it where v_i does not contain θ)."""
    return [sp.diff(entry, parameter) if parameter in entry.free_symbols else sp.Integer(0) for entry in vector]


def _value(expr, point: dict, memo: dict) -> Fraction:
    """A rational expression evaluated exactly (an expression that is not rational is an error)."""
    if expr in memo:
        return memo[expr]
    if expr in point:
        value = point[expr]
    elif expr.is_Rational:
        value = Fraction(int(expr.p), int(expr.q))
    elif expr.is_Add:
        value = sum((_value(arg, point, memo) for arg in expr.args), Fraction(0))
    elif expr.is_Mul:
        value = Fraction(1)
        for arg in expr.args:
            value *= _value(arg, point, memo)
    elif expr.is_Pow and expr.exp.is_Integer:
        value = _value(expr.base, point, memo) ** int(expr.exp)
    elif not isinstance(expr, (sp.Symbol, sp.Indexed)):  # exp, max, erf ...: at 60 digits
        value = _numeric(expr, point)
    else:
        raise ValueError(f"not a rational expression: {expr}")
    memo[expr] = value
    return value


def _numeric(expr: sp.Expr, point: dict):
    """A node that is not rational (exp, log, erf, max, a Piecewise) at _DIGITS significant digits."""
    atoms = expr.atoms(sp.Symbol, sp.Indexed)
    numbers = {s: sp.Float(mpmath.mpf(v) if not isinstance(v, Fraction) else mpmath.mpf(v.numerator) / v.denominator,
                           _DIGITS) for s, v in point.items() if s in atoms}
    found = sp.N(expr.xreplace(numbers), _DIGITS)
    if not found.is_number or not found.is_real:
        raise ValueError(f"does not evaluate to a real number: {expr}")
    return mpmath.mpf(str(found)) if not found.is_Rational else Fraction(int(found.p), int(found.q))


def _random(rng, low: int, high: int) -> Fraction:
    return Fraction(int(rng.integers(low * _SCALE, high * _SCALE)), _SCALE)


def _matmul(left, right):
    return [[sum((left[r][k] * right[k][c] for k in range(len(right))), Fraction(0)) for c in range(len(right[0]))]
            for r in range(len(left))]


def _reference(model: dict, rng, decay=None) -> tuple[dict, dict]:
    """A random rational point and SymPy's derivatives there: ∂C/∂z^t, ∂C/∂W^t, ∂C/∂b^t for every layer t."""
    sizes, depth = model["sizes"], len(model["sizes"]) - 1
    point = {}
    for t in range(1, depth + 1):
        for e, v in zip(model["E"][t], model["Z"][t]):
            if model["exact"]:  # e^z is a random positive rational: z = ln(p/q)
                point[e] = Fraction(int(rng.integers(1, _SCALE)), int(rng.integers(1, _SCALE)))
            else:  # z itself, a rational in (−3, 3): never exactly at a kink (0 is drawn with probability 1e−9)
                point[v] = _random(rng, -3, 3) + Fraction(1, 3 * _SCALE)
        for v in model["W"][t]:
            point[v] = _random(rng, -1, 1)
    for v in model["A"][0]:
        point[v] = _random(rng, 0, 1)
    if model["output"] == "identity":  # no exponential in the output layer: its z are the rational variables
        point.update({v: _random(rng, -2, 2) for v in model["Z"][depth]})
    targets = [Fraction(int(rng.integers(1, _SCALE)), _SCALE) for _ in range(sizes[-1])]
    if model["output"] == "softmax" and functions.cost(model["cost"]).targets == "distribution":  # Σ_j y_j = 1
        targets = [t / sum(targets) for t in targets]
    point.update(zip(model["Y"], targets))
    memo: dict = {}
    for t in range(1, depth + 1):  # the activations follow from z (the biases that produce z are not needed)
        point.update(zip(model["A"][t], [_value(e, point, memo) for e in model["act"][t]]))
    def at(columns):  # the Jacobians are stored column by column
        return [list(row) for row in zip(*[[_value(e, point, memo) for e in c] for c in columns])]

    grad_a = [[_value(e, point, memo) for e in model["grad_a"]]]
    dC_dz = {}
    for t in range(1, depth + 1):
        tangent = at(model["jac_a"][t])  # forward mode: d a^t / d z^t
        for up in range(t + 1, depth + 1):
            tangent = _matmul(at(model["jac_a"][up]), _matmul(at(model["jac_z"][up]), tangent))
        dC_dz[t] = _matmul(grad_a, tangent)[0]  # the row ∂C/∂z^t
    column = lambda entries: [[_value(e, point, memo)] for e in entries]  # noqa: E731
    reference = {"dz": dC_dz,
                 "dW": {t: {rc: _matmul([dC_dz[t]], column(d))[0][0] for rc, d in model["dz_dW"][t].items()}
                        for t in dC_dz},
                 "db": {t: {r: _matmul([dC_dz[t]], column(d))[0][0] for r, d in model["dz_db"][t].items()}
                        for t in dC_dz}}
    values = _values(model, point, depth)
    if decay is not None:  # C_λ = C + (λ/2) Σ_t ‖W^t‖²: sympy.diff of the penalty, added to every ∂C/∂W^t
        values[LAMBDA] = Fraction(str(decay))
        point[LAMBDA] = values[LAMBDA]
        for t in reference["dW"]:
            W = model["W"][t]
            penalty = LAMBDA / 2 * sum(v**2 for v in W)
            for (r, c) in reference["dW"][t]:
                reference["dW"][t][(r, c)] += _value(sp.diff(penalty, W[r, c]), point, {})
    return values, reference


def _values(model, point, depth) -> dict:
    """The concrete layer quantities of the derivations (a^t_u, w^t_rc, y_u) at the point."""
    values = {}
    for t in range(0, depth + 1):
        values.update({a[t, u]: point[v] for u, v in enumerate(model["A"][t], start=1)})
    for t in range(1, depth + 1):
        values.update({z[t, u]: point[v] for u, v in enumerate(model["Z"][t], start=1) if v in point})
    for t in range(1, depth + 1):
        W = model["W"][t]
        values.update({w[t, r + 1, c + 1]: point[W[r, c]] for r in range(W.rows) for c in range(W.cols)})
    values.update({y[u]: point[v] for u, v in enumerate(model["Y"], start=1)})
    return values


# ----------------------------------------------------------------------------------------------- compare
def _compare(name, result, sizes, values, reference, at=None) -> str | None:
    """None if the equation holds at every layer where it applies, else what differed."""
    depth = len(sizes) - 1
    if name == "bp1":
        return _layer(result, {L: depth}, sizes, values, {}, [{"i": u} for u in range(1, sizes[depth] + 1)],
                      lambda u: reference["dz"][depth][u["i"] - 1], "BP1 ≠ ∂C/∂z^L")
    for layer in range(1, depth + 1):
        deltas = {delta[layer, u]: reference["dz"][layer][u - 1] for u in range(1, sizes[layer] + 1)}
        units = [{"j": u} for u in range(1, sizes[layer] + 1)]
        if name == "bp2" and layer < depth and (at is None or layer in at):
            upper = {delta[layer + 1, u]: reference["dz"][layer + 1][u - 1] for u in range(1, sizes[layer + 1] + 1)}
            failure = _layer(result, {l: layer}, sizes, values, upper, units,
                             lambda u: reference["dz"][layer][u["j"] - 1], f"BP2 ≠ ∂C/∂z^{layer}")
        elif name == "bp3":
            failure = _layer(result, {l: layer}, sizes, values, deltas, units,
                             lambda u: reference["db"][layer][u["j"] - 1], f"BP3 ≠ ∂C/∂b^{layer}")
        elif name == "bp4":
            pairs = [{"j": r, "k": c} for r in range(1, sizes[layer] + 1) for c in range(1, sizes[layer - 1] + 1)]
            failure = _layer(result, {l: layer}, sizes, values, deltas, pairs,
                             lambda u: reference["dW"][layer][(u["j"] - 1, u["k"] - 1)], f"BP4 ≠ ∂C/∂W^{layer}")
        else:
            failure = None
        if failure:
            return failure
    return None


def _layer(result, layers, sizes, values, deltas, assignments, expected, label) -> str | None:
    for assignment in assignments:
        concrete = _concrete(result, tuple(layers.items()), sizes, tuple(assignment.items()))
        try:
            value = _value(concrete, {**values, **deltas}, {})
        except (KeyError, ValueError) as error:
            return f"{label}: cannot evaluate the derived result ({error})"
        if not _agree(value, expected(assignment)):
            return f"{label} at {', '.join(f'{k}={v}' for k, v in assignment.items())}"
    return None


def _agree(value, expected) -> bool:
    """Exactly equal (rational arithmetic), or to 1e−40 relative at 60 digits."""
    if isinstance(value, Fraction) and isinstance(expected, Fraction):
        return value == expected
    value, expected = _mpf(value), _mpf(expected)  # one side exact, the other not (mpmath cannot mix them)
    return abs(value - expected) <= _AGREEMENT * max(1, abs(expected))


def _mpf(value):
    return mpmath.mpf(value.numerator) / value.denominator if isinstance(value, Fraction) else value


@lru_cache(maxsize=4096)
def _concrete(result, layers, sizes, assignment):
    """The derived result at a concrete layer and units, sums written out; layer quantities stay as atoms."""
    concrete = result.xreplace(dict(layers)).xreplace({n[t]: sizes[t] for t in range(len(sizes))})
    indices = {sp.Symbol(name, integer=True, positive=True): value for name, value in assignment}
    return expand_sums(concrete).xreplace(indices)
