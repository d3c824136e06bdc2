"""Grounding: a chain's expressions at concrete layer sizes, in plain symbols, differentiated by SymPy itself.

Each equation lives in a *frame*, the part of the network its chain rule looks at:

- output (BP1): C = cost(a^L), a^L = softmax or sigmoid of z^L, with z^L free;
- hidden (BP2): C = F(z^(l+1)) for an arbitrary (undefined) function F, z^(l+1) = W^(l+1) a^l + b^(l+1),
  a^l = σ(z^l), with z^l, W^(l+1), b^(l+1) free. F stands for the rest of the network, whatever its depth;
- parameter (BP3, BP4): C = F(z^l), z^l = W^l a^(l−1) + b^l, with W^l, b^l and a^(l−1) free.

A derivative ∂f/∂v is evaluated by SymPy after unfolding the definitions that lie between f and v (never the
whole network); derivatives of F become atoms G_k = ∂F/∂z_k. exp(z) becomes a symbol E, so both sides of a step
are rational functions, and a step holds when their difference cancels to 0.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from derive import functions
from derive.backprop.kinks import is_zero
from derive.backprop.notation import (
    C, CL, LAMBDA, ActivationPrime, Indicator, L, LayerIndexed, SizeIndexed, SquaredNorm, a, b, delta, l, w, y, z,
)
from derive.verify import ATOMS, expand_sums, pattern_values, set_partitions
from derive.verify import atomize as shared_atomize

__all__ = ["Frame", "frame_for", "ground", "is_zero", "index_ranges", "assignments", "expand_sums", "atomize",
           "numeric_point", "SIZES"]

# The sizes at which each frame grounds its steps: K for the output layer; (n_l, n_(l+1)) for a hidden layer;
# (n_l, n_(l−1)) for the parameters of layer l.
SIZES = {"output": ((2,), (3,)), "hidden": ((2, 3), (3, 2)), "parameter": ((2, 3), (3, 2))}
_KIND = {"bp1": "output", "bp2": "hidden", "bp3": "parameter", "bp4": "parameter"}
_LAYERS = {"output": {L: 2}, "hidden": {l: 1}, "parameter": {l: 2}}  # symbolic layer -> the number it gets
_F = sp.Function("F")
_S = sp.Dummy("s", real=True)


def _prime_at(activation: str, value: sp.Expr) -> sp.Expr:
    """f'(value) by SymPy's diff of the table's definition of f (never its form in a, which the steps use)."""
    return sp.diff(functions.activation(activation).expr().xreplace({functions.Z: _S}), _S).xreplace({_S: value})


@dataclass(frozen=True)
class Frame:
    """One equation's setting at concrete sizes: `sizes` per the frame's kind (see SIZES)."""

    kind: str
    sizes: tuple[int, ...]
    output: str = "softmax"
    cost: str = "cross-entropy"
    hidden: str = "sigmoid"  # the activation of the hidden layer l (BP2's frame)

    @property
    def layers(self) -> dict:
        return _LAYERS[self.kind]

    @property
    def layer_sizes(self) -> dict[int, int]:
        """Concrete layer number -> its number of units."""
        if self.kind == "output":
            return {2: self.sizes[0]}
        if self.kind == "hidden":
            return {1: self.sizes[0], 2: self.sizes[1]}
        return {2: self.sizes[0], 1: self.sizes[1]}

    def size_map(self) -> dict:
        from derive.backprop.notation import n

        return {n[layer]: size for layer, size in self.layer_sizes.items()}


def frame_for(equation: str, sizes, output: str, cost: str, hidden: str = "sigmoid") -> Frame:
    return Frame(_KIND[equation], tuple(sizes), output, cost, hidden)


# ------------------------------------------------------------------------------------ symbols and definitions
@lru_cache(maxsize=None)
def _symbol(node) -> sp.Symbol:
    """z^2_1 -> z2_1, w^2_1_3 -> w2_1_3, y_2 -> y_2: one plain symbol per concrete quantity."""
    if isinstance(node, LayerIndexed):  # z real: |z|, max(0, z) differentiate as on the real line
        return sp.Symbol(f"{node.base}{node.layer}_" + "_".join(map(str, node.units)), real=node.base in (z, a) or None)
    return sp.Symbol(f"{node.base}_" + "_".join(map(str, node.indices)), real=True)  # targets: |a − y| as on ℝ


@lru_cache(maxsize=None)
def _definitions(frame: Frame) -> tuple[dict, dict]:
    """(definition of each dependent symbol, its level): level 0 is C, higher levels are nearer the free variables."""
    sizes = frame.layer_sizes
    sym = lambda base, layer, *units: _symbol(base[(layer, *units)])  # noqa: E731
    defs, levels = {}, {C: 0}
    if frame.kind == "output":
        K = sizes[2]
        zs = [sym(z, 2, u) for u in range(1, K + 1)]
        total = sum(sp.exp(v) for v in zs)
        for u, zu in enumerate(zs, start=1):
            defs[sym(a, 2, u)] = sp.exp(zu) / total if frame.output == "softmax" else _applied(
                functions.output(frame.output).activation, zu)
            levels[sym(a, 2, u)] = 1
        defs[C] = functions.cost(frame.cost).per_example([sym(a, 2, u) for u in range(1, K + 1)],
                                                          [_symbol(y[u]) for u in range(1, K + 1)])
        return defs, levels
    top, below = (2, 1)
    n_top, n_below = sizes[top], sizes[below]
    defs[C] = _F(*[sym(z, top, u) for u in range(1, n_top + 1)])
    if frame.kind == "parameter":  # C_λ = C + (λ/2) ‖W^l‖² (the other layers' terms do not contain w^l)
        defs[CL] = C + LAMBDA / 2 * sum(sym(w, top, u, v) ** 2 for u in range(1, n_top + 1)
                                        for v in range(1, n_below + 1))
        levels[CL] = 0
    for u in range(1, n_top + 1):
        defs[sym(z, top, u)] = sum(sym(w, top, u, v) * sym(a, below, v) for v in range(1, n_below + 1)) + sym(b, top, u)
        levels[sym(z, top, u)] = 1
    if frame.kind == "hidden":
        for v in range(1, n_below + 1):
            defs[sym(a, below, v)] = _applied(frame.hidden, sym(z, below, v))
            levels[sym(a, below, v)] = 2
    return defs, levels


def _applied(name: str, value: sp.Expr) -> sp.Expr:
    """The table's activation `name` at `value`."""
    return functions.activation(name).expr().xreplace({functions.Z: value})


# ------------------------------------------------------------------------------------------------ ground
def ground(expr: sp.Expr, frame: Frame, values: tuple = (), assumed: tuple[str, ...] = ()) -> sp.Expr:
    """expr at the frame's sizes with the free indices set: a rational function of the free variables."""
    return _ground(expr, frame, tuple(values), tuple(assumed))


@lru_cache(maxsize=8192)
def _ground(expr, frame: Frame, values, assumed):
    concrete = expand_sums(expr.xreplace(frame.layers).xreplace(frame.size_map())).xreplace(dict(values))
    result = _Grounder(frame).plain(concrete).xreplace(_unfolding(frame, None))
    result = _exp_rational(_generic_atoms(result) if frame.kind != "output" else result)
    if "one-hot" in assumed and frame.kind == "output":
        K = frame.layer_sizes[2]
        result = result.xreplace({_symbol(y[K]): 1 - sum(_symbol(y[u]) for u in range(1, K))})
    return result




class _Grounder:
    """One pass over a concrete expression: layer quantities to plain symbols, δ and derivatives evaluated."""

    def __init__(self, frame: Frame):
        self.frame, self.memo = frame, {}

    def plain(self, expr):
        if expr in self.memo:
            return self.memo[expr]
        if isinstance(expr, LayerIndexed) and expr.base == delta:  # δ^t_u = ∂C/∂z^t_u
            result = self.derivative(C, _symbol(z[(expr.layer, *expr.units)]))
        elif isinstance(expr, sp.Indexed) and not isinstance(expr, SizeIndexed):
            result = _symbol(expr)
        elif isinstance(expr, sp.Derivative):
            (variable,) = expr.variables
            result = self.derivative(self.plain(expr.expr), self.plain(variable))
        elif isinstance(expr, ActivationPrime):
            result = _prime_at(expr.activation, self.plain(expr.args[0]))
        elif isinstance(expr, SquaredNorm):  # Σ_p Σ_q (w^l_pq)² at the frame's sizes
            layer = int(expr.args[0])
            rows, cols = self.frame.layer_sizes[layer], self.frame.layer_sizes[layer - 1]
            result = sum(_symbol(w[layer, u, v]) ** 2 for u in range(1, rows + 1) for v in range(1, cols + 1))
        elif isinstance(expr, Indicator):
            result = sp.Piecewise((1, self.plain(expr.args[0])), (0, True))
        elif not expr.args:
            result = expr
        else:
            args = [self.plain(arg) for arg in expr.args]
            result = expr if all(new is old for new, old in zip(args, expr.args)) else expr.func(*args)
        self.memo[expr] = result
        return result

    def derivative(self, inner, variable):
        """∂inner/∂variable by SymPy, after unfolding whatever lies between them (nothing more)."""
        _, levels = _definitions(self.frame)
        unfolded = inner.xreplace(_unfolding(self.frame, levels.get(variable)))
        result = sp.diff(unfolded, variable)
        return _generic_atoms(result) if self.frame.kind != "output" else result


@lru_cache(maxsize=None)
def _unfolding(frame: Frame, level) -> dict:
    """symbol -> its definition, unfolded until it only uses symbols at `level` or beyond (None: free variables)."""
    defs, levels = _definitions(frame)
    chosen = {s: d for s, d in defs.items() if level is None or levels[s] < level}
    for _ in range(len(chosen)):
        new = {s: d.xreplace(chosen) for s, d in chosen.items()}
        if new == chosen:
            break
        chosen = new
    return chosen


def _generic_atoms(expr):
    """∂F/∂(its p-th argument), however SymPy writes it (Derivative or Subs of one), as the atom G_p."""

    def position(node):
        derivative = node.expr if isinstance(node, sp.Subs) else node
        if not (isinstance(derivative, sp.Derivative) and isinstance(derivative.expr, sp.core.function.AppliedUndef)):
            return None
        (variable,) = derivative.variables
        return derivative.expr.args.index(variable) + 1 if variable in derivative.expr.args else None

    for kind in (sp.Subs, sp.Derivative):  # a Subs first, so that the derivative inside it is taken whole
        expr = expr.replace(lambda e: isinstance(e, kind) and position(e) is not None,
                            lambda e: sp.Symbol(f"G_{position(e)}"))
    return expr


def _exp_rational(expr: sp.Expr) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, sp.exp), _exp_atoms) if expr.has(sp.exp) else expr


def _exp_atoms(power: sp.exp) -> sp.Expr:
    """e^(c_1 z_1 + ...) -> E_z1^c_1 ...: the exp(z) of free pre-activations are algebraically independent."""
    product = sp.Integer(1)
    for term in sp.Add.make_args(sp.expand(power.args[0])):
        coefficient, rest = term.as_coeff_Mul()
        if not (rest.is_Symbol and str(rest).startswith("z") and coefficient.is_Integer):
            return power
        product *= sp.Symbol(f"E_{rest}", positive=True) ** coefficient
    return product


# ------------------------------------------------------------------------------------------- index patterns
def index_ranges(lhs: sp.Expr) -> dict:
    """The free unit indices of a chain's left-hand side and the layer each runs over (w^l_jk: j in l, k in l−1)."""
    target = lhs.variables[0] if isinstance(lhs, sp.Derivative) else lhs
    layers = (target.layer, target.layer - 1) if target.base == w else (target.layer,)
    return {unit: layer for unit, layer in zip(target.units, layers) if unit.is_Symbol}


def assignments(exprs, ranges: dict, frame: Frame):
    """One assignment of values per pattern of equal and distinct free indices over the same layer.

    Sums run over whole layers and the frame is the same under any relabelling of a layer's units (F is
    arbitrary), so one representative per pattern covers every assignment.
    """
    free = set().union(*(e.free_symbols for e in exprs))
    indices = sorted((s for s in ranges if s in free), key=str)
    groups: dict = {}
    for index in indices:
        layer = ranges[index].xreplace(frame.layers)
        groups.setdefault(int(layer), []).append(index)
    per_group = []
    for layer, members in groups.items():
        size = frame.layer_sizes[layer]
        options = [values for values in (pattern_values(members, blocks) for blocks in set_partitions(members))
                   if max(values.values()) <= size]
        per_group.append(options)
    for combination in itertools.product(*per_group):
        yield tuple(sorted(((k, v) for part in combination for k, v in part.items()), key=lambda kv: str(kv[0])))


# ------------------------------------------------------------------------------------------------- atoms
_LAYER_ATOMS = ATOMS + (sp.Subs, sp.core.function.AppliedUndef, ActivationPrime)


def atomize(expr: sp.Expr, atoms: dict) -> sp.Expr:
    """The core's atomize, with the layers' own opaque kinds too: F's derivatives (Subs, F(...)) and f'."""
    return shared_atomize(expr, atoms, _LAYER_ATOMS)


def numeric_point(exprs, frame: Frame, rng: np.random.Generator, one_hot: bool) -> dict:
    """A seeded random point for grounded expressions: E = e^z with z ~ N(0, 1), targets one-hot or in (0, 1)."""
    symbols = sorted(set().union(*(e.free_symbols for e in exprs)), key=str)
    point = {s: sp.Float(np.exp(rng.normal()) if str(s).startswith("E_") else rng.normal()) for s in symbols}
    if frame.kind == "output":
        K = frame.layer_sizes[2]
        targets = np.eye(K)[rng.integers(K)] if one_hot else rng.uniform(0.05, 0.95, size=K)
        point.update({_symbol(y[u]): sp.Float(targets[u - 1]) for u in range(1, K + 1)})
    return point
