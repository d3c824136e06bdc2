"""Index expressions as vectorized numpy: each free index is an array axis, sums reduce an axis, δ is the identity.

An expression is printed for a *layout*, the tuple of its free indices in axis order: under the layout
(j, i), a_j is `a[:, None]` and a_i is `a[None, :]`. Axis p of every array is the class axis of the index
at position p; any axes after the class axis are batch axes and ride along (numpy broadcasts from the
right), so the same code serves one example of shape (K,) and a batch of shape (K, *batch).
Repeated exponentials and sums are printed once, bound to a name (e = numpy.exp(z - m)).
"""

from __future__ import annotations

from collections import Counter

import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import precedence

from derive.codegen.stable import SHIFT, StableSigmoid
from derive.notation import t as LABEL

__all__ = ["ArrayPrinter", "Body", "print_array"]

# Temporary names by the kind of node they hold: every naming template of generated code lives here.
TEMPORARY_NAMES = {sp.exp: "e", sp.Sum: "s", sp.log: "log_s", StableSigmoid: "sig"}
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


class ArrayPrinter(NumPyPrinter):
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
    def _print_Indexed(self, expr):
        name = self._print(expr.base.label)
        (index,) = expr.indices
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
        if any(expr.function.has(other) for other in self.layout):
            inner = self.print_layout(expr.function, self.layout + (index,))
            text = f"{_operand(inner)}.sum(axis={len(self.layout)})"
        else:  # one value per example: keep the class axis (length 1) so it broadcasts under any layout
            inner = self.print_layout(expr.function, (index,))
            text = f"{_operand(inner)}.sum(axis=0, keepdims=True)"
        return self._shared(expr, text)

    def _print_exp(self, expr):
        return self._shared(expr, f"numpy.exp({self._print(expr.args[0])})")

    def _print_log(self, expr):
        return self._shared(expr, f"numpy.log({self._print(expr.args[0])})")

    def _print_StableSigmoid(self, expr):
        return self._shared(expr, f"_sigmoid({self._print(expr.args[0])})")

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
        return "m" if expr == SHIFT else super()._print_Symbol(expr)

    def _print_Add(self, expr, order=None):
        """Positive terms first, as a person writes them: z - m, not -m + z."""
        terms = sorted(sp.Add.make_args(expr), key=lambda term: (term.could_extract_minus_sign(), sp.count_ops(term), str(term)))
        pieces = []
        for position, term in enumerate(terms):
            negative = term.could_extract_minus_sign()
            text = self.parenthesize(-term if negative else term, precedence(expr))
            pieces.append((("-" if negative else "") if position == 0 else (" - " if negative else " + ")) + text)
        return "".join(pieces)


def _operand(text: str) -> str:
    """text as the receiver of a method call: a name or a call stays bare, anything else is parenthesized."""
    return text if text.isidentifier() or (text.startswith("numpy.") and text.endswith(")") and _balanced(text)) \
        else f"({text})"


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
