"""Index expressions as vectorized numpy: each free index is an array axis, sums reduce an axis, δ is the identity.

An expression is printed for a *layout*, the tuple of its free indices in axis order: under the layout
(j, i), a_j is `a[:, None]` and a_i is `a[None, :]`. Axis p of every array is the class axis of the index
at position p; any axes after the class axis are batch axes and ride along (numpy broadcasts from the
right), so the same code serves one example of shape (K,) and a batch of shape (K, *batch).
Repeated exponentials and sums are printed once, bound to a name (e = numpy.exp(z - m)).
"""

from __future__ import annotations

import re
from collections import Counter

import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import precedence

from derive.codegen.stable import SHIFT, Softplus, StableSigmoid
from derive.numeric import BranchPrinting
from derive.notation import K as CLASSES, t as LABEL

__all__ = ["ArrayPrinter", "Body", "BatchMean", "print_array"]

# Temporary names by the kind of node they hold: every naming template of generated code lives here.
TEMPORARY_NAMES = {sp.exp: "e", sp.Sum: "s", sp.log: "log_s", StableSigmoid: "sig", Softplus: "sp"}
# Layer quantities of a network (x^l_u, derive.backprop.notation) are lists indexed by layer: a[l] is a^l, with
# a[0] = x; weights[l - 1] is W^l and biases[l - 1] is b^l (a network's parameter lists start at layer 1).
LAYER_NAMES = {"a": ("a", 0), "z": ("z", 0), "delta": ("delta", 0), "w": ("weights", 1), "b": ("biases", 1)}
EXAMPLES = "examples"  # the number of examples of a batch (its columns): the m of the mean cost


class BatchMean(sp.Function):
    """(1/m) Σ_x f^x: the mean over the m examples of a batch (the columns) of a per-example expression f."""

    nargs = 1
_AXES = tuple(sp.Symbol(f"_axis{p}", integer=True, positive=True) for p in range(8))


class Body:
    """The statements of a function body that the printer hoists out: name = value, in order of need."""

    def __init__(self, reserved=()):
        self.lines: list[tuple[str, str]] = []
        self._names: dict = {}
        self._taken = set(reserved)

    def bind(self, key, kind, text: str) -> str:
        if key not in self._names:
            stem = TEMPORARY_NAMES[kind]
            name, n = stem, 2
            while name in self._taken:
                name, n = f"{stem}{n}", n + 1
            self._taken.add(name)
            self._names[key] = name
            self.lines.append((name, text))
        return self._names[key]


class ArrayPrinter(BranchPrinting, NumPyPrinter):
    """NumPyPrinter for index expressions under a layout (see the module docstring)."""

    def __init__(self, layout=(), body: Body | None = None, like: str = "z"):
        super().__init__({"fully_qualified_modules": True})
        self.layout, self.body, self.like = tuple(layout), body, like
        self.repeated: Counter = Counter()
        self.counting = False  # a counting pass records repeated nodes; the next pass hoists them

    def print_layout(self, expr: sp.Expr, layout) -> str:
        saved, self.layout = self.layout, tuple(layout)
        try:
            return self._print(expr)
        finally:
            self.layout = saved

    # ------------------------------------------------------------------ common subexpressions
    def _key(self, expr):
        """The node with its layout indices renamed to axis positions: equal keys print the same code."""
        renamed = expr.xreplace({index: _AXES[p] for p, index in enumerate(self.layout) if expr.has(index)})
        used = tuple(p for p, index in enumerate(self.layout) if expr.has(index))
        return renamed, len(self.layout) if used else None

    def _shared(self, expr, text: str) -> str:
        key = self._key(expr)
        if self.counting:
            self.repeated[key] += 1
            return text
        if self.repeated[key] >= 2 and self.body is not None:
            return self.body.bind(key, type(expr), text)
        return text

    # ------------------------------------------------------------------------------ nodes
    def _array(self, expr) -> tuple[str, tuple]:
        """The Python expression of an indexed quantity's array, and the unit indices that are its axes."""
        if hasattr(expr, "units"):  # a layer quantity x^layer_units
            name, offset = LAYER_NAMES[str(expr.base)]
            return f"{name}[{self._print(expr.layer - offset)}]", tuple(expr.units)
        return self._print(expr.base.label), tuple(expr.indices)

    def _print_Indexed(self, expr):
        name, units = self._array(expr)
        if len(units) != 1:
            raise NotImplementedError(f"{expr}: a matrix is printed only inside a contraction (Σ_k w_jk v_k)")
        (index,) = units
        if index == LABEL:  # the true class, given as labels: one entry per example, kept as a length-1 axis
            return f"numpy.take_along_axis({name}, t[None], axis=0)"
        if index not in self.layout:
            raise NotImplementedError(f"{expr}: index {index} is not an axis of the layout {self.layout}")
        if len(self.layout) == 1:
            return name
        position = self.layout.index(index)
        return f"{name}[{', '.join(':' if p == position else 'None' for p in range(len(self.layout)))}]"

    def _print_KroneckerDelta(self, expr):
        if LABEL in expr.args and len(self.layout) == 1 and set(expr.args) == {LABEL, self.layout[0]}:
            return f"_one_hot(t, {self.like})"
        if set(expr.args) != set(self.layout) or len(self.layout) != 2:
            raise NotImplementedError(f"{expr}: a Kronecker delta must span a two-axis layout, got {self.layout}")
        return f"_identity({self.like})"

    def _print_Sum(self, expr):
        (index, low, high), = expr.limits
        if low != 1:
            raise NotImplementedError(f"{expr}: only sums over the whole class range 1..K are vectorized")
        if not expr.function.has(index):  # Σ_k c = K c: nothing varies along the axis summed over
            return self._print(high * expr.function)
        product = self._matrix_vector(expr)
        if product is not None:
            return product
        if any(expr.function.has(other) for other in self.layout):
            inner = self.print_layout(expr.function, self.layout + (index,))
            text = f"{_operand(inner)}.sum(axis={len(self.layout)})"
        else:  # one value per example: keep the class axis (length 1) so it broadcasts under any layout
            inner = self.print_layout(expr.function, (index,))
            text = f"{_operand(inner)}.sum(axis=0, keepdims=True)"
        return self._shared(expr, text)

    def _matrix_vector(self, expr) -> str | None:
        """Σ_k w_jk v_k -> (W @ v), and Σ_k w_kj v_k -> (W.T @ v): a contraction of a matrix with a vector."""
        (index, _, _), = expr.limits
        factors = sp.Mul.make_args(expr.function)
        if len(factors) != 2 or len(self.layout) != 1 or not all(isinstance(f, sp.Indexed) for f in factors):
            return None
        arrays = sorted((self._array(f) for f in factors), key=lambda pair: -len(pair[1]))
        (matrix, matrix_units), (vector, vector_units) = arrays
        if len(matrix_units) != 2 or vector_units != (index,):
            return None
        free = self.layout[0]
        if matrix_units == (free, index):
            return f"({matrix} @ {vector})"
        if matrix_units == (index, free):
            return f"({matrix}.T @ {vector})"
        return None

    def _print_BatchMean(self, expr):
        """The mean over the examples (columns): an outer product becomes one matrix product over the batch."""
        inner = expr.args[0]
        factors = sp.Mul.make_args(inner)
        if len(self.layout) == 2 and len(factors) == 2 and all(isinstance(f, sp.Indexed) for f in factors):
            arrays = {self._array(f)[1]: self._array(f)[0] for f in factors}
            first, second = ((self.layout[0],), (self.layout[1],))
            if set(arrays) == {first, second}:
                return f"{arrays[first]} @ {arrays[second]}.T / {EXAMPLES}"
        axis = len(self.layout)
        return f"{_operand(self._print(inner))}.sum(axis={axis}, keepdims=True) / {EXAMPLES}"

    def _print_exp(self, expr):
        return self._shared(expr, f"numpy.exp({self._print(expr.args[0])})")

    def _print_log(self, expr):
        return self._shared(expr, f"numpy.log({self._print(expr.args[0])})")

    def _print_erf(self, expr):
        return self._shared(expr, f"scipy.special.erf({self._print(expr.args[0])})")

    def _print__Mask(self, expr):
        """A condition as a 0/1 factor (relu's 1[z > 0]): the boolean array, multiplied as 0 and 1."""
        condition = expr.args[0]
        return f"({self._print(condition.lhs)} {condition.rel_op} {self._print(condition.rhs)})"

    # Branches (a Huber cost, a kinked activation): every branch and every comparison is taken by the real part first, so
    # a complex step passes through with its derivative; the conditions are the derivation's own, so at a kink
    # the branch the table's convention names (the first whose condition holds) is the one taken.
    def _print_Piecewise(self, expr):
        """Piecewise((u, c), (v, True)) -> numpy.where(c, u, v): the first branch whose condition holds."""
        (value, condition), *rest = expr.args
        if condition == sp.true:
            return self._print(value)
        otherwise = self._print(sp.Piecewise(*rest)) if rest else "numpy.nan"
        return f"numpy.where({self._print(condition)}, {self._print(value)}, {otherwise})"

    def _print_Relational(self, expr):
        """u <= v as it is: numpy orders complex values by their real part first, and checks.complex_safety sees it."""
        return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

    def _print_Abs(self, expr):
        """|u| by the sign of Re u (the table's _abs): numpy.abs of a complex step is its modulus, not |u| + i..."""
        return f"_abs({self._print(expr.args[0])})"

    def _print_sign(self, expr):
        """sign(u) by comparisons (numpy.sign of a complex is u/|u|): piecewise constant, complex-step derivative 0."""
        u = self._print(expr.args[0])
        return f"(numpy.where({u} > 0, 1.0, 0.0) - numpy.where({u} < 0, 1.0, 0.0))"

    def _print_Indicator(self, expr):
        """1[c] (derive.backprop's indicator) as 1.0 where c holds, else 0.0."""
        return f"numpy.where({self._print(expr.args[0])}, 1.0, 0.0)"

    def _print_StableSigmoid(self, expr):
        return self._shared(expr, f"_sigmoid({self._print(expr.args[0])})")

    def _print_Softplus(self, expr):
        return self._shared(expr, f"_softplus({self._print(expr.args[0])})")

    def _print_Mul(self, expr):
        """Factors in reading order (a_j*(δ_ij - a_i)), denominators after one slash."""
        coefficient, rest = expr.as_coeff_Mul()
        factors = sp.Mul.make_args(rest)
        below = [f.base ** -f.exp for f in factors if f.is_Pow and f.exp.is_negative]
        above = sorted((f for f in factors if not (f.is_Pow and f.exp.is_negative)), key=_reading_rank)
        level = precedence(expr)
        text = "*".join(self.parenthesize(f, level) for f in above) or "1"
        if below:
            denominator = sp.Mul(*below)
            text += "/" + (self.parenthesize(denominator, level, strict=True) if len(below) == 1
                           else f"({self._print(denominator)})")
        if coefficient == -1:
            return f"-{text}"
        return text if coefficient == 1 else f"{self._print(coefficient)}*{text}"

    def _print_Symbol(self, expr):
        """m is the bound shift; K, the number of classes (output units), is the length of the class axis."""
        if expr == SHIFT:
            return "m"
        return f"{self.like}.shape[0]" if expr == CLASSES else super()._print_Symbol(expr)

    def _print_Add(self, expr, order=None):
        """Positive terms first, as a person writes them: z - m, not -m + z."""
        terms = sorted(sp.Add.make_args(expr), key=lambda term: (term.could_extract_minus_sign(), term.is_Number,
                                                                 sp.count_ops(term), str(term)))
        pieces = []
        for position, term in enumerate(terms):
            negative = term.could_extract_minus_sign()
            text = self.parenthesize(-term if negative else term, precedence(expr))
            pieces.append((("-" if negative else "") if position == 0 else (" - " if negative else " + ")) + text)
        return "".join(pieces)


def _operand(text: str) -> str:
    """text as the receiver of a method call: a name or a call stays bare, anything else is parenthesized."""
    simple = re.fullmatch(r"[A-Za-z_]\w*(\[[^\[\]]*\])*", text) is not None
    return text if simple or (text.startswith("numpy.") and text.endswith(")") and _balanced(text)) else f"({text})"


def _balanced(text: str) -> bool:
    """Whether the first parenthesis of a call closes at the very end (numpy.exp(x) - 1 does not)."""
    depth = 0
    for position, character in enumerate(text):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0 and character == ")" and position != len(text) - 1:
            return False
    return True


def _reading_rank(factor) -> int:
    """Numbers, names, Kronecker deltas, functions, sums, sums of terms: the order a person writes them in."""
    for rank, kinds in enumerate([(sp.Number,), (sp.Symbol, sp.Indexed), (sp.KroneckerDelta,), (sp.Function,),
                                  (sp.Sum,), (sp.Add,)]):
        if isinstance(factor.base if factor.is_Pow else factor, kinds):
            return rank
    return len(kinds)


def print_array(expr: sp.Expr, layout, body: Body, like: str = "z") -> str:
    """The numpy expression for expr under layout; subexpressions used twice are bound in `body`."""
    printer = ArrayPrinter(layout, body, like)
    printer.counting = True
    printer.doprint(expr)
    printer.counting = False
    return printer.doprint(expr)
