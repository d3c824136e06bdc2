"""Why a gradient is wrong: the catalogue of causes, each recognized from the numbers and the forward statement.

Every test here is a hypothesis about the learner's gradient g of one name x, checked on the same Gaussian
directions v_k as the verdict: g (or a transform of it) agrees with a candidate on every probe, within the check's
own tolerance. The parts of the true gradient flowing through each statement that reads x (D_k^s, one per
consumer s) are measured separately, so a candidate can drop a path, scale one, or replace one. A cause is only
reported when its candidate agrees; otherwise the report says that no catalogued cause fits.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from checks.backward.program import Program, Statement
from checks.mistakes import MISTAKES
from checks.report import Finding

__all__ = ["Cause", "CAUSES", "Evidence", "diagnose"]


@dataclass(frozen=True)
class Cause:
    """One catalogued cause: stable id, what the learner did, and what the numbers show."""

    id: str
    title: str
    detection: str


CAUSES = MappingProxyType({cause.id: cause for cause in (
    Cause("missing-fan-out", "a name used by several statements got the gradient of only some of them",
          "g equals the sum of the paths through a proper subset of the statements that read the name"),
    Cause("missing-broadcast-sum", "the gradient of a broadcast value was not summed over the broadcast axes",
          "g has the broadcast shape, and g summed over the broadcast axes (keepdims) is right"),
    Cause("transpose", "a matmul gradient with its operands swapped or transposed",
          "a statement reading the name is a matmul, and the transpose of g is right"),
    Cause("scale", "off by a constant factor: named when it is n, 1/n, n/(n - 1), (n - 1)/n, 2 or 1/2",
          "g = c x the true gradient (or one path of it) on every probe, c != 1"),
    Cause("sign", "the wrong sign", "g = -1 x the true gradient (or one path of it) on every probe"),
    Cause("wrong-point", "tanh' or sigmoid' taken at the input instead of the output, or the reverse",
          "h = tanh(x): g = dh (1 - x^2) or dh (1 - tanh(h)^2); h = sigmoid(x): g = dh x(1 - x) or dh s(h)(1 - s(h))"),
    Cause("softmax-diagonal-only", MISTAKES["softmax-diagonal-only"].title,
          "p = softmax(x): g = dp p (1 - p), the diagonal of the Jacobian only"),
    Cause("extra-activation-derivative", MISTAKES["extra-activation-derivative"].title,
          "a = softmax(x) or sigmoid(x): g / (a (1 - a)) is right, so the factor a(1 - a) was applied once too often"),
)})


@dataclass(frozen=True)
class Evidence:
    """What is known about one wrong name: value, learner's gradient, consumers, directions and measured paths."""

    program: Program
    name: str
    value: np.ndarray
    gradient: np.ndarray
    consumers: tuple[Statement, ...]
    directions: tuple[np.ndarray, ...]
    paths: np.ndarray  # (probes, consumers): D_k^s; one column with the whole D_k when nothing reads the name
    rtol: float
    floor: float
    values: dict
    right: dict  # name -> the learner's gradient, for names already judged right

    @property
    def totals(self) -> np.ndarray:
        return self.paths.sum(axis=1)

    def agrees(self, gradient: np.ndarray, candidate: np.ndarray) -> bool:
        """<gradient, v_k> = candidate_k on every probe, within rtol * max(||gradient||, |candidate_k|, floor)."""
        if gradient.shape != self.value.shape:
            return False
        norm = float(np.linalg.norm(gradient))
        for direction, expected in zip(self.directions, candidate):
            got = float(np.vdot(direction, gradient).real)
            if not abs(got - expected) <= self.rtol * max(norm, abs(expected), self.floor):
                return False
        return True

    def projections(self, array: np.ndarray) -> np.ndarray:
        return np.array([float(np.vdot(d, array).real) for d in self.directions])

    def where(self, statement: Statement) -> str:
        return f"line {statement.line} (`{statement.source}`)"


def _is_matmul(node: ast.expr) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.MatMult):
            return True
        if isinstance(sub, ast.Call) and _called(sub) in ("dot", "matmul"):
            return True
    return False


def _called(node: ast.expr) -> str:
    func = node.func if isinstance(node, ast.Call) else None
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _broadcast(ev: Evidence) -> list[Finding]:
    g, x = ev.gradient, ev.value
    try:
        if g.shape == x.shape or np.broadcast_shapes(x.shape, g.shape) != g.shape:
            return []
    except ValueError:
        return []
    lead = g.ndim - x.ndim
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(x.shape) if n == 1 and g.shape[lead + i] != 1)
    summed = g.sum(axis=axes).reshape(x.shape)
    if not ev.agrees(summed, ev.totals):
        return []
    where = next((s for s in ev.consumers if np.shape(ev.values[s.target]) == g.shape), None)
    place = f" in {ev.where(where)}" if where else ""
    return [Finding("missing-broadcast-sum",
                    f"{ev.name} {x.shape} is broadcast to {g.shape}{place}; its gradient has that shape: "
                    f"sum it over axis {axes[0] if len(axes) == 1 else axes} with keepdims=True",
                    f"the gradient summed over {axes} agrees on every probe", (ev.name,))]


def _transpose(ev: Evidence) -> list[Finding]:
    g = ev.gradient
    matmuls = [s for s in ev.consumers if _is_matmul(s.node)]
    if g.ndim != 2 or not matmuls or g.T.shape != ev.value.shape or not ev.agrees(g.T, ev.totals):
        return []
    return [Finding("transpose", f"the gradient of {ev.name} is transposed (the matmul of {ev.where(matmuls[0])} "
                                 "with its operands swapped or transposed)",
                    f"its transpose agrees on every probe; shape {g.shape} for a value of shape {ev.value.shape}",
                    (ev.name,))]


def _sizes(ev: Evidence) -> list[int]:
    sizes = {int(v) for v in ev.values.values() if isinstance(v, (int, np.integer)) and not isinstance(v, bool)}
    for statement in ev.consumers:
        for name in statement.reads | {statement.target}:
            sizes.update(np.shape(ev.values[name]))
    sizes.update(ev.value.shape)
    return sorted(n for n in sizes if n >= 2)


def _factor_name(c: float, sizes: list[int], rtol: float) -> str:
    named = {"2": 2.0, "1/2": 0.5}
    for n in sizes:
        named.update({f"n = {n}": n, f"1/n (n = {n})": 1 / n,
                      f"n/(n - 1) (Bessel's correction, n = {n})": n / (n - 1),
                      f"(n - 1)/n (Bessel's correction, n = {n})": (n - 1) / n})
    close = min(1e-3, 100 * rtol)
    return next((label for label, value in named.items() if abs(c - value) <= close * value), "")


def _scaled(ev: Evidence, column: np.ndarray, rest: np.ndarray, what: str) -> list[Finding]:
    """g . v = c column + rest on every probe, for one constant c != 1: a scale or a sign."""
    target = ev.projections(ev.gradient) - rest
    if not np.any(column):
        return []
    c = float(np.dot(target, column) / np.dot(column, column))
    # c ~ 0 is a dropped path (missing-fan-out), not a factor.
    if abs(c - 1) <= ev.rtol or abs(c) <= 1e-3 or not ev.agrees(ev.gradient, c * column + rest):
        return []
    if abs(c + 1) <= min(1e-3, 100 * ev.rtol):
        return [Finding("sign", f"{what} has the wrong sign", "ratio -1 on every probe", (ev.name,), -1.0)]
    label = _factor_name(c, _sizes(ev), ev.rtol)
    named = f" ({label})" if label else ""
    return [Finding("scale", f"{what} is {c:.6g} times the right one{named}",
                    f"ratio {c:.6g} on every probe", (ev.name,), c)]


def _scale(ev: Evidence) -> list[Finding]:
    found = _scaled(ev, ev.totals, np.zeros(len(ev.directions)), f"the gradient of {ev.name}")
    if found or len(ev.consumers) < 2:
        return found
    for i, statement in enumerate(ev.consumers):
        rest = ev.totals - ev.paths[:, i]
        found += _scaled(ev, ev.paths[:, i], rest, f"the path through {ev.where(statement)}")
    return found


def _fan_out(ev: Evidence) -> list[Finding]:
    count = len(ev.consumers)
    if count < 2 or count > 8:
        return []
    for size in range(1, count):
        for kept in itertools.combinations(range(count), size):
            if ev.agrees(ev.gradient, ev.paths[:, list(kept)].sum(axis=1)):
                return [_fan_out_finding(ev, kept)]
    return []


def _fan_out_finding(ev: Evidence, kept: tuple[int, ...]) -> Finding:
    missing = [s for i, s in enumerate(ev.consumers) if i not in kept]
    held = ", ".join(f"`{ev.consumers[i].target}` (line {ev.consumers[i].line})" for i in kept)
    lost = ", ".join(f"`{s.target}` (line {s.line})" for s in missing)
    return Finding("missing-fan-out",
                   f"{ev.name} is read by {len(ev.consumers)} statements but its gradient holds only the path "
                   f"through {held}: add the path through {lost}",
                   "the kept paths, measured one by one, sum to the gradient on every probe", (ev.name,))


def _activation(statement: Statement, name: str) -> str:
    """'tanh' or 'sigmoid' when the statement is that function of `name` alone, else ''."""
    node = statement.node
    if isinstance(node, ast.Call) and len(node.args) == 1 and isinstance(node.args[0], ast.Name) \
            and node.args[0].id == name:
        kind = _called(node)
        return "sigmoid" if kind in ("sigmoid", "expit", "logistic") else "tanh" if kind == "tanh" else ""
    text = ast.unparse(node).replace(" ", "")
    return "sigmoid" if text in (f"1/(1+np.exp(-{name}))", f"1/(1+exp(-{name}))") else ""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _replaced(ev: Evidence, index: int, contribution: np.ndarray) -> np.ndarray:
    """The probes of a gradient whose path through consumer `index` is `contribution`, the other paths right."""
    return ev.projections(contribution) + ev.totals - ev.paths[:, index]


def _wrong_point(ev: Evidence) -> list[Finding]:
    found = []
    for i, statement in enumerate(ev.consumers):
        kind, up = _activation(statement, ev.name), ev.right.get(statement.target)
        if not kind or up is None:
            continue
        x, h = ev.value, np.asarray(ev.values[statement.target])
        a, b = ev.name, statement.target
        forms = {"tanh": ((up * (1 - x**2), f"1 - {a}^2 (at the input) instead of 1 - {b}^2"),
                          (up * (1 - np.tanh(h)**2), f"1 - tanh({b})^2 (tanh' at the output) instead of 1 - {b}^2")),
                 "sigmoid": ((up * x * (1 - x), f"{a}(1 - {a}) (at the input) instead of {b}(1 - {b})"),
                             (up * _sigmoid(h) * (1 - _sigmoid(h)),
                              f"sigmoid'({b}) (at the output) instead of {b}(1 - {b})"))}
        for contribution, what in forms[kind]:
            if ev.agrees(ev.gradient, _replaced(ev, i, contribution)):
                found.append(Finding("wrong-point", f"the derivative of {kind} in {ev.where(statement)} is taken "
                                                    f"at the wrong point: {what}",
                                     "that form agrees on every probe", (ev.name,)))
    return found


def _is_softmax(statement: Statement, name: str) -> bool:
    node = statement.node
    if isinstance(node, ast.Call) and _called(node).endswith("softmax") and node.args \
            and isinstance(node.args[0], ast.Name) and node.args[0].id == name:
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        exps = [n for n in ast.walk(node) if isinstance(n, ast.Call) and _called(n) == "exp"]
        return len(exps) >= 2 and all(ast.unparse(n.args[0]) == name for n in exps if n.args)
    return False


def _softmax(ev: Evidence) -> list[Finding]:
    found = []
    for i, statement in enumerate(ev.consumers):
        up = ev.right.get(statement.target)
        if up is None or not _is_softmax(statement, ev.name):
            continue
        p = np.asarray(ev.values[statement.target])
        if ev.agrees(ev.gradient, _replaced(ev, i, up * p * (1 - p))):
            found.append(Finding("softmax-diagonal-only",
                                 f"{MISTAKES['softmax-diagonal-only'].title} in {ev.where(statement)}: dp p (1 - p) "
                                 "drops the off-diagonal terms -p_i p_j", "that form agrees on every probe",
                                 (ev.name,)))
    return found


def _extra_derivative(ev: Evidence) -> list[Finding]:
    """g = (the right gradient) * a(1 - a) for a softmax or sigmoid output a read from x: tested as g / (a(1 - a))."""
    for statement in ev.consumers:
        if not (_is_softmax(statement, ev.name) or _activation(statement, ev.name) == "sigmoid"):
            continue
        a = np.asarray(ev.values[statement.target])
        factor = a * (1 - a)
        if a.shape == ev.gradient.shape and np.all(factor != 0) and ev.agrees(ev.gradient / factor, ev.totals):
            return [Finding("extra-activation-derivative",
                            f"the gradient of {ev.name} is the right one times {statement.target}(1 - "
                            f"{statement.target}) from {ev.where(statement)}: that derivative is already in the "
                            "gradient (it cancels for softmax or sigmoid with cross-entropy)",
                            "the gradient divided by a(1 - a) agrees on every probe", (ev.name,))]
    return []


_SHAPE_DETECTORS = (_broadcast, _transpose)
_VALUE_DETECTORS = (_fan_out, _wrong_point, _softmax, _extra_derivative, _transpose, _scale)


def diagnose(ev: Evidence) -> tuple[Finding, ...]:
    """Every catalogued cause whose candidate agrees with the learner's gradient; () when none does."""
    detectors = _VALUE_DETECTORS if ev.gradient.shape == ev.value.shape else _SHAPE_DETECTORS
    return tuple(finding for detect in detectors for finding in detect(ev))
