"""The proof of a derivation in one real variable (the planner's): rewrites replayed, every step grounded at points.

Grounding: both sides with a := f(z) substituted and every derivative evaluated by SymPy's diff, compared at
fixed rational points to DIGITS significant digits (SymPy's evalf, which raises its working precision until
those digits are right). Points closer than KINK_DISTANCE to a kink (where an argument of max, min, |u| or a
branch condition is 0) are skipped, and at least MIN_POINTS must remain; points on both sides of every kink
found on SCAN are added, so every branch is grounded. Parameters take fixed values.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import sympy as sp

from derive.rules import ALGEBRA, ASSUMPTION, COUNTEREXAMPLE, REWRITE, rule
from derive.steps import NOT_EQUAL, Derivation, Step

__all__ = ["prove", "POINTS", "KINK_DISTANCE", "DIGITS", "MIN_POINTS", "grounding_points", "kink_functions",
           "parameter_values", "grounded"]

POINTS = tuple(sp.Rational(n, 20) for n in (-47, -23, -9, -3, 5, 14, 31, 53))  # no two symmetric: odd/even parts differ
PARAMETER_VALUES = (sp.Rational(37, 100), sp.Rational(13, 10), sp.Rational(29, 50), sp.Rational(11, 4))
KINK_DISTANCE = sp.Rational(1, 100)  # the smallest |u − v| (max, min), |u| (abs) or |lhs − rhs| (a branch) at a point
DIGITS = 30
MIN_POINTS = 4
_TOLERANCE = sp.Float(10) ** (5 - DIGITS)  # relative: evalf's values are right to DIGITS digits, whatever their size
_ZERO = sp.Float(10) ** -120  # what evalf gives for an exact 0 written as a difference is about 1e-165
_MODULES = [{"erf": np.vectorize(math.erf, otypes=[float])}, "numpy"]  # only expressions derive built reach lambdify
MAX_EXPONENT = 10_000  # a point where some exp has a larger argument is skipped (see _tame)
SCAN = tuple(sp.Rational(n, 16) for n in range(-163, 164, 2))  # where kinks are looked for: z in [-10.2, 10.2]
_SCAN_ARRAY = np.array([float(point) for point in SCAN])


def prove(derivation: Derivation):
    """Replay every rewrite, ground every step at the points, and compare the result with SymPy's diff."""
    from derive.verify import Proof, StepCheck  # the verifier dispatches here, so import it late

    grounded = _grounding(derivation)
    checks = [StepCheck(*_check_step(derivation, derivation.previous(position), step, grounded))
              for position, step in enumerate(derivation.steps)]
    reference = sp.Derivative(derivation.quantity, derivation.wrt)
    verified, where = grounded.equal(reference, derivation.result)
    independent = StepCheck(verified, f"{'equals' if verified else 'differs from'} sympy.diff of the definition {where}")
    return Proof(derivation, tuple(checks), independent)


def grounding_points(derivation: Derivation) -> tuple[sp.Rational, ...]:
    """The points at which a derivation is grounded: POINTS less those within KINK_DISTANCE of a kink."""
    return _grounding(derivation).points


def kink_functions(derivation: Derivation) -> set[sp.Expr]:
    """Functions of z whose zeros are the kinks of the definition or of any step (parameters substituted)."""
    return _grounding(derivation).kinks


def grounded(derivation: Derivation, expr: sp.Expr) -> sp.Expr:
    """expr with a = f(z) and the parameter values substituted and every derivative evaluated."""
    return _grounding(derivation)._grounded(expr)


def _grounding(derivation: Derivation) -> "_Grounding":
    # Keyed on the definitions too: a Derivation's equality leaves them out.
    return _cached_grounding(derivation, tuple(derivation.definitions.items()))


@lru_cache(maxsize=64)
def _cached_grounding(derivation: Derivation, definitions: tuple) -> "_Grounding":
    return _Grounding(derivation, parameter_values(derivation))


def parameter_values(derivation: Derivation) -> dict:
    """The fixed value each parameter (a symbol besides z in the definition) takes in proofs and checks."""
    parameters = sorted(derivation.quantity.free_symbols - {derivation.wrt}, key=str)
    return {p: PARAMETER_VALUES[n % len(PARAMETER_VALUES)] for n, p in enumerate(parameters)}


def _check_step(derivation: Derivation, previous: sp.Expr, step: Step, grounded) -> tuple[bool, str]:
    kind = rule(step.rule).kind
    if step.relation == NOT_EQUAL or kind == COUNTEREXAMPLE:
        equal, where = grounded.equal(previous, step.expr)
        return (not equal, f"counterexample confirmed: the sides differ {where}" if not equal
                else "no counterexample found: the sides agree")
    replayed = ""
    if kind in (REWRITE, ASSUMPTION):
        source, target = (step.expr, previous) if step.reverse else (previous, step.expr)
        if rule(step.rule).apply(source, None) != target:
            return False, f"replaying {step.rule} does not give this expression"
        replayed = f"{step.rule} replayed; "
    elif kind != ALGEBRA:
        return False, f"no verifier for rule kind {kind!r}"
    equal, where = grounded.equal(previous, step.expr)
    return equal, f"{replayed}{'equal' if equal else 'the sides differ'} {where}"


class _Grounding:
    """Evaluates expressions of a derivation at its points, with a = f(z) and the parameters substituted."""

    def __init__(self, derivation: Derivation, values: dict):
        self.z, self.values = derivation.wrt, values
        self.definitions = {symbol: value.xreplace(values) for symbol, value in derivation.definitions.items()}
        grounded = [self._grounded(e) for e in (derivation.quantity, *(step.expr for step in derivation.steps))]
        self.kinks = kinks = set().union(*(_kinks(e) for e in grounded))
        exponents = _exponents(grounded, self.z)
        candidates = sorted(set(POINTS) | set().union(*(_around(kink, self.z) for kink in kinks)))
        if self.z.is_positive:  # a variable declared positive (a cost's a in log(a)) is grounded where it lives
            candidates = [p for p in candidates if p > 0] + [-p for p in POINTS if p < 0]
        self.points = tuple(p for p in candidates if all(_far(kink, self.z, p) for kink in kinks)
                            and _tame(exponents, p))
        self.skipped = len(candidates) - len(self.points)
        self._at: dict = {}  # expression -> its values at the points: a step's expression is the next one's previous

    def _grounded(self, expr: sp.Expr) -> sp.Expr:
        return expr.xreplace(self.definitions).xreplace(self.values).doit()

    def _values(self, expr: sp.Expr) -> list:
        if expr not in self._at:
            grounded = self._grounded(expr)
            self._at[expr] = [_value(grounded.xreplace({self.z: point})) for point in self.points]
        return self._at[expr]

    def equal(self, left: sp.Expr, right: sp.Expr) -> tuple[bool, str]:
        if len(self.points) < MIN_POINTS:
            return False, (f"(only {len(self.points)} points at least {KINK_DISTANCE} from every kink with every "
                           f"exponent below {MAX_EXPONENT})")
        for point, l, r in zip(self.points, self._values(left), self._values(right)):
            if l is None or r is None or abs(l - r) > _TOLERANCE * max(abs(l), abs(r)) + _ZERO:
                return False, f"at {self.z} = {point}: {l} vs {r}"
        return True, f"at {len(self.points)} points to {DIGITS} digits{self._where()}"

    def _where(self) -> str:
        extra = (f", {self.skipped} skipped near kinks (distance < {KINK_DISTANCE}) or where an exponent exceeds "
                 f"{MAX_EXPONENT}" if self.skipped else "")
        parameters = ", ".join(f"{p} = {v}" for p, v in self.values.items())
        return extra + (f", {parameters}" if parameters else "")


def _value(expr: sp.Expr, digits: int = DIGITS) -> sp.Float | None:
    """expr as a real number to `digits` digits, or None if it has none (not finite, not real)."""
    value = expr.evalf(digits)
    return value if value.is_Float or value.is_Integer or value.is_Rational else None


def _kinks(expr: sp.Expr) -> set[sp.Expr]:
    """The functions whose zeros are kinks: u − v of max and min, u of |u|, sign, Heaviside, lhs − rhs of a branch."""
    kinks = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Max, sp.Min)):
            kinks |= {u - v for u in node.args for v in node.args if u != v}
        elif isinstance(node, (sp.Abs, sp.sign, sp.Heaviside)):
            kinks.add(node.args[0])
        elif isinstance(node, sp.Piecewise):
            kinks |= {rel.lhs - rel.rhs for _, cond in node.args for rel in cond.atoms(sp.Rel)}
    return kinks


def _around(kink: sp.Expr, z: sp.Symbol) -> set[sp.Rational]:
    """Points on both sides of each sign change of a kink function on SCAN, so that every branch is grounded."""
    with np.errstate(all="ignore"):  # in float64, vectorized: a scan, not a proof (the proof's points use evalf)
        try:
            values = np.broadcast_to(np.asarray(sp.lambdify([z], kink, modules=_MODULES)(_SCAN_ARRAY), dtype=float),
                                     _SCAN_ARRAY.shape)
        except (TypeError, ValueError, NameError):  # a value numpy cannot take (complex): no points from this kink
            return set()
    positive, finite = values > 0, np.isfinite(values)
    changes = np.flatnonzero((positive[:-1] != positive[1:]) & finite[:-1] & finite[1:])
    return {SCAN[n] for n in changes} | {SCAN[n + 1] for n in changes}


def _exponents(exprs, z: sp.Symbol) -> list:
    """The arguments of every exp, as float functions of z (math's: an overflow raises instead of hanging)."""
    arguments = {node.args[0] for e in exprs for node in sp.preorder_traversal(e) if isinstance(node, sp.exp)}
    return [sp.lambdify([z], argument, modules="math") for argument in arguments if argument.has(z)]


def _tame(exponents, point: sp.Rational) -> bool:
    """Whether every exponent is at most MAX_EXPONENT at the point: exp(exp(exp(exp(z)))) has 1e600000-digit
    exponents at z = 2.65, which evalf would try to compute."""
    for exponent in exponents:
        try:
            if not abs(float(exponent(float(point)))) <= MAX_EXPONENT:
                return False
        except (OverflowError, ValueError, ZeroDivisionError):
            return False
        except (NameError, TypeError):  # a function math lacks (Heaviside): evalf will see to it
            continue
    return True


def _far(kink: sp.Expr, z: sp.Symbol, point: sp.Rational) -> bool:
    value = _value(kink.xreplace({z: point}))
    return value is not None and abs(value) >= KINK_DISTANCE
