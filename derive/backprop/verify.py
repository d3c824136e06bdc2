"""The prover of the backprop family: every step of BP1-BP4 checked, then the equations on whole networks.

How a step is verified depends on its rule's kind:
- rewrite and assumption rules are replayed (the rule applied to the previous expression must give this one),
  and both sides are grounded at small concrete layer sizes (derive.backprop.ground: definitions unfolded as
  far as the derivative needs, sums written out, derivatives taken by SymPy) and shown equal as rational
  functions, for every pattern of the free indices;
- algebra rules are rational identities with sums, deltas and derivatives held as atoms (so for all sizes);
- counterexample steps (≠) are confirmed symbolically at K = 3 (the grounded sides differ as rational
  functions) and numerically at a seeded point;
- matrix and mini-batch forms are written out entry by entry at small sizes and compared with the index form
  the chain has proven (per example, or averaged over the examples for the mean cost);
- a claim step (the left-hand side of BP1..BP4) claims nothing; the collect step holds if every chain does.
The independent route compares the results with SymPy's derivatives on whole networks (derive.backprop.network).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from derive.backprop.derivations import Equation, activation_of, equations
from derive.backprop.ground import (
    SIZES, Frame, assignments, atomize, expand_sums, frame_for, ground, index_ranges, is_zero, numeric_point,
)
from derive.backprop.network import check_networks
from derive.backprop.notation import (
    C, L, ElementwiseOf, LayerIndexed, LayerMatrix, Statement, a, b, delta, l, m, n, prime, w, y, z,
)
from derive.backprop.rules import CLAIM, COLLECT, MATRIX
from derive.rules import ALGEBRA, ASSUMPTION, COUNTEREXAMPLE, REWRITE, rule
from derive.steps import NOT_EQUAL, Derivation, Step
from derive.verify import Proof, StepCheck

__all__ = ["prove", "COUNTER_CLASSES", "BATCH_SIZES"]

COUNTER_CLASSES = 3  # the K at which a counterexample is confirmed symbolically
COUNTER_SEEDS = 5  # seeded points tried for its numeric confirmation
BATCH_SIZES = (2, 3)  # the m at which a mini-batch form is written out
_SYMBOLIC_SIZES = {"output": (n[L],), "hidden": (n[l], n[l + 1]), "parameter": (n[l], n[l - 1])}


def prove(derivation: Derivation) -> Proof:
    """Verify every step of a backprop-family derivation and compare its equations with SymPy on whole networks."""
    # Derivation's equality ignores `definitions` (output, cost): the cache key must carry them.
    return _prove(derivation, tuple(sorted(derivation.definitions.items())))


@lru_cache(maxsize=64)
def _prove(derivation: Derivation, _definitions: tuple) -> Proof:
    checks: dict[int, StepCheck] = {}
    output, cost = derivation.definitions["output"], derivation.definitions["cost"]
    found = equations(derivation)
    for equation in found:
        checks.update(_chain(derivation, equation, output, cost, activation_of(derivation, equation)))
    for position, step in enumerate(derivation.steps):
        if rule(step.rule).kind == COLLECT:
            checks[position] = _collect(step, found, checks)
    steps = tuple(checks.get(position, StepCheck(False, "not part of any equation")) for position in
                  range(len(derivation.steps)))
    passed, method = check_networks(derivation)
    return Proof(derivation, steps, StepCheck(passed, method))


# ------------------------------------------------------------------------------------------------ chains
@dataclass(frozen=True)
class _Context:
    """Where a step of an equation is checked: the equation, the network's output and cost, what is assumed."""

    name: str
    output: str
    cost: str
    hidden: str
    assumed: tuple[str, ...]
    ranges: tuple  # (index, layer) of the free indices of the equation's left-hand side

    @property
    def kind(self) -> str:
        return {"bp1": "output", "bp2": "hidden"}.get(self.name, "parameter")

    @property
    def frames(self) -> list[Frame]:
        return [frame_for(self.name, sizes, self.output, self.cost, self.hidden) for sizes in SIZES[self.kind]]


def _chain(derivation: Derivation, equation: Equation, output: str, cost: str, hidden: str) -> dict[int, StepCheck]:
    checks, assumed, previous, counterexample = {}, [], equation.lhs, None
    ranges = tuple(index_ranges(equation.lhs).items())
    for position in equation.positions:
        step = derivation.steps[position]
        kind = rule(step.rule).kind
        if kind == ASSUMPTION and not step.aside:
            assumed.append(step.rule)
        context = _Context(equation.name, output, cost, hidden, tuple(assumed), ranges)
        checks[position] = _step(step, previous, equation.lhs, counterexample, context)
        if step.relation == NOT_EQUAL and counterexample is None:
            counterexample = step.expr
        if not step.aside:
            previous = step.expr
    return checks


@lru_cache(maxsize=1024)
def _step(step: Step, previous, lhs, counterexample, context: "_Context") -> StepCheck:
    """One step's verdict (cached: backprop's chains are those of bp1..bp4, checked once)."""
    kind = rule(step.rule).kind
    if kind == CLAIM:
        return StepCheck(True, f"the left-hand side of {step.rule.upper()}: nothing is claimed yet")
    if step.relation == NOT_EQUAL or kind == COUNTEREXAMPLE:
        return _counterexample(previous, step.expr, counterexample, context)
    if kind == MATRIX:
        return _matrix(lhs, previous, step, context)
    if kind == ALGEBRA:
        return _identity(previous, step.expr)
    if kind in (REWRITE, ASSUMPTION):
        return _rewrite(previous, step, context)
    return StepCheck(False, f"no verifier for rule kind {kind!r}")


def _show(frames) -> str:
    names = {"output": "K", "hidden": "(n_l, n_(l+1))", "parameter": "(n_l, n_(l−1))"}[frames[0].kind]
    values = [str(f.sizes[0]) if len(f.sizes) == 1 else f"({', '.join(map(str, f.sizes))})" for f in frames]
    return f"{names} = {', '.join(values)}"


def _equal_grounded(before, after, frames, context: _Context) -> str | None:
    """None if the two sides agree at every frame and index pattern, else where they differ."""
    compared = 0
    for frame in frames:
        for values in assignments((before, after), dict(context.ranges), frame):
            compared += 1
            if not is_zero(ground(before, frame, values, context.assumed) - ground(after, frame, values, context.assumed)):
                shown = ", ".join(f"{k}={v}" for k, v in values) or "no free index"
                return f"the sides differ at {_show([frame])}, {shown}"
    return None if compared else "no assignment of the indices fits these sizes: nothing was compared"


def _rewrite(previous, step: Step, context: _Context) -> StepCheck:
    if rule(step.rule).apply(previous, None) != step.expr:
        return StepCheck(False, f"replaying {step.rule} does not give this expression")
    difference = _equal_grounded(previous, step.expr, context.frames, context)
    if difference:
        return StepCheck(False, f"{step.rule} replayed, but {difference}")
    return StepCheck(True, f"{step.rule} replayed; equal when grounded at {_show(context.frames)}")


def _identity(previous, current) -> StepCheck:
    atoms: dict = {}
    if is_zero(atomize(previous, atoms) - atomize(current, atoms)):
        return StepCheck(True, "rational identity (sums, deltas, derivatives as atoms)")
    return StepCheck(False, "not a rational identity")


def _counterexample(previous, current, earlier, context: _Context) -> StepCheck:
    frame = frame_for(context.name, (COUNTER_CLASSES,), context.output, context.cost, context.hidden)
    if earlier is not None and _equal_grounded(earlier, current, [frame], context):
        return StepCheck(False, "it is not the element-wise form above, grounded")
    for values in assignments((previous, current), dict(context.ranges), frame):
        left, right = ground(previous, frame, values, context.assumed), ground(current, frame, values, context.assumed)
        if is_zero(left - right):
            continue
        shown = ", ".join(f"{k}={v}" for k, v in values)
        for seed in range(COUNTER_SEEDS):  # a one-hot target may hit the one class where the forms agree
            point = numeric_point((left, right), frame, np.random.default_rng(seed), "one-hot" in context.assumed)
            at_left, at_right = float(left.xreplace(point)), float(right.xreplace(point))
            if abs(at_left - at_right) > 1e-6 * max(1.0, abs(at_left), abs(at_right)):
                same = "; it is the element-wise form above, grounded" if earlier is not None else ""
                return StepCheck(True, f"counterexample confirmed: the sides differ as rational functions at "
                                       f"K={COUNTER_CLASSES}, {shown}, and numerically at seed {seed}: {at_left:.4g} vs "
                                       f"{at_right:.4g}{same}")
        return StepCheck(False, f"the sides differ symbolically at K={COUNTER_CLASSES}, {shown}, but at none of "
                                f"{COUNTER_SEEDS} seeded points")
    return StepCheck(False, "no counterexample found: the sides agree")


# ----------------------------------------------------------------------------------------- matrix forms
def _matrix(lhs, previous, step: Step, context: _Context) -> StepCheck:
    statement = step.expr
    if not isinstance(statement, Statement):
        return StepCheck(False, "a matrix form must be a statement lhs = rhs")
    kind = context.kind
    symbols = _SYMBOLIC_SIZES[kind]
    indices = list(index_ranges(lhs))
    batch = step.rule == "batch-form"
    for sizes in SIZES[kind]:
        for examples in (BATCH_SIZES if batch else (1,)):
            size_map = dict(zip(symbols, sizes)) | {m: examples}
            failure = _entries(lhs, previous, statement, size_map, indices, batch, examples)
            if failure:
                return StepCheck(False, failure)
    names = {"output": "K", "hidden": "(n_l, n_(l+1))", "parameter": "(n_l, n_(l−1))"}[kind]
    shown = ", ".join(str(s[0]) if len(s) == 1 else f"({', '.join(map(str, s))})" for s in SIZES[kind])
    per = f", m = {', '.join(map(str, BATCH_SIZES))} examples" if batch else ""
    return StepCheck(True, f"every entry equals the proven index form, written out at {names} = {shown}{per}")


def _entries(lhs, previous, statement, size_map, indices, batch, examples) -> str | None:
    try:
        left, right = explicit(statement.lhs, size_map), explicit(statement.rhs, size_map).xreplace(size_map)  # K in an entry
    except (ValueError, sp.ShapeError) as error:
        return f"the matrix form does not evaluate: {error}"
    if left.shape != right.shape:
        return f"the sides have shapes {left.shape} and {right.shape}"
    mean = isinstance(statement.lhs, sp.Derivative)  # ∂C/∂W of the mean cost: averaged over the examples
    for r in range(left.rows):
        for c in range(left.cols):
            unit = {indices[0]: r + 1} | ({indices[1]: c + 1} if len(indices) > 1 else {})
            expected_lhs = lhs.xreplace(unit)
            expected = expand_sums(previous.xreplace(size_map)).xreplace(unit)
            if batch and mean:
                expected = sum(_tag(expected, x) for x in range(1, examples + 1)) / examples
            elif batch:
                expected_lhs, expected = _tag(expected_lhs, c + 1), _tag(expected, c + 1)
            if left[r, c] != expected_lhs:
                return f"entry ({r + 1}, {c + 1}) of the left side is {left[r, c]}, not {expected_lhs}"
            atoms: dict = {}
            difference = atomize(right[r, c], atoms) - atomize(expected, atoms)
            if sp.expand(difference) != 0 and not is_zero(difference):  # a polynomial in the atoms, mostly
                return f"entry ({r + 1}, {c + 1}) differs from the index form at {size_map}"
    return None


_EXAMPLE = sp.Function("example")  # example(q, x): quantity q of example x in a mini-batch


def _tag(expr, example: int):
    """The per-example quantities (a, z, δ, y) of expr, taken for example `example`; weights are shared."""
    return expr.replace(lambda e: (isinstance(e, LayerIndexed) and e.base in (a, z, delta))
                        or (isinstance(e, sp.Indexed) and e.base == y),
                        lambda e: _EXAMPLE(e, example))


def _entry(matrix: LayerMatrix, r: int, c: int):
    """Entry (r, c) of a named matrix: W^l -> w^l_rc, δ^l -> δ^l_r, J -> ∂a^L_r/∂z^L_c, Δ^l -> δ^l_r of example c."""
    layer, kind = matrix.layer, matrix.kind
    if kind.startswith("prime:"):
        return prime(kind[6:])(z[layer, r])
    return {"W": lambda: w[layer, r, c], "b": lambda: b[layer, r], "delta": lambda: delta[layer, r],
            "a": lambda: a[layer, r], "z": lambda: z[layer, r], "y": lambda: y[r],
            "J": lambda: sp.Derivative(a[layer, r], z[layer, c]), "grad": lambda: sp.Derivative(C, a[layer, r]),
            "sigma'": lambda: prime("sigmoid")(z[layer, r]), "Delta": lambda: _EXAMPLE(delta[layer, r], c),
            "A": lambda: _EXAMPLE(a[layer, r], c), "Y": lambda: _EXAMPLE(y[r], c)}[kind]()


def explicit(expr, size_map: dict) -> sp.Matrix:
    """A matrix expression written out at concrete sizes: each named matrix as the matrix of its entries."""
    if isinstance(expr, LayerMatrix):
        rows, cols = (int(dim.xreplace(size_map)) for dim in expr.shape)
        return sp.Matrix(rows, cols, lambda r, c: _entry(expr, r + 1, c + 1))
    if isinstance(expr, ElementwiseOf):  # g(a^l, z^l) entry by entry; in a batch, of example c
        rows, cols = (int(dim.xreplace(size_map)) for dim in expr.shape)
        return sp.Matrix(rows, cols, lambda r, c: _tag(expr.entry_at(r + 1), c + 1) if expr.batch
                         else expr.entry_at(r + 1))
    if isinstance(expr, sp.Derivative):  # ∂C/∂W: the matrix of ∂C/∂w_rc
        inner = explicit(expr.variables[0], size_map)
        return inner.applyfunc(lambda entry: sp.Derivative(expr.expr, entry))
    if isinstance(expr, sp.Transpose):
        return explicit(expr.arg, size_map).T
    if isinstance(expr, sp.OneMatrix):
        rows, cols = (int(dim.xreplace(size_map)) for dim in expr.shape)
        return sp.ones(rows, cols)
    if isinstance(expr, sp.MatMul):
        scalar, product = sp.Integer(1), None
        for factor in expr.args:
            if isinstance(factor, sp.MatrixExpr):
                part = explicit(factor, size_map)
                product = part if product is None else product * part
            else:
                scalar *= factor.xreplace(size_map)
        return scalar * product
    if isinstance(expr, sp.MatAdd):
        parts = [explicit(term, size_map) for term in expr.args]
        return sum(parts[1:], parts[0])
    if isinstance(expr, sp.HadamardProduct):
        parts = [explicit(factor, size_map) for factor in expr.args]
        result = parts[0]
        for part in parts[1:]:
            result = result.multiply_elementwise(part)
        return result
    raise ValueError(f"no explicit form for {type(expr).__name__}")


# --------------------------------------------------------------------------------------------- collect
def _collect(step: Step, found, checks) -> StepCheck:
    results = tuple(e.result for e in found)
    if tuple(step.expr) != results:
        return StepCheck(False, "the collected results are not those of the chains above")
    unverified = [e.name.upper() for e in found if not all(checks[p].verified for p in e.positions)]
    if unverified:
        return StepCheck(False, f"rests on unverified steps of {', '.join(unverified)}")
    return StepCheck(True, "the results of the four chains above, each verified step by step")
