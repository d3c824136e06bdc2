"""Expressions as numpy functions: indexed symbols become 1-based arrays, sums and deltas are vectorized."""

from __future__ import annotations

from typing import Callable, Sequence

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

__all__ = ["numpy_function", "padded", "BranchPrinting"]


class _IndexRange(sp.Symbol):
    """The summation index of a sum whose summand uses no other index: printed as numpy.arange(lo, hi + 1)."""

    def __new__(cls, low: int, high: int):
        obj = super().__new__(cls, f"range_{low}_{high}", integer=True)
        obj.low, obj.high = low, high
        return obj


class BranchPrinting:
    """max and min as numpy.where on a comparison, for every numpy printer of the package (the lambdified references
    and the generated modules): numpy orders complex values
    by their real part first, so a complex step passes through and checks.complex_safety sees a branch (SymPy's own
    form calls functools.reduce on numpy.amax, which the module would have to import)."""

    def _print_Max(self, expr):
        return self._extreme(expr, ">=")

    def _print_Min(self, expr):
        return self._extreme(expr, "<=")

    def _extreme(self, expr, order: str) -> str:
        """max(u, v) -> numpy.where(u >= v, u, v); more arguments fold from the right."""
        first, *rest = expr.args
        if not rest:
            return self._print(first)
        other = self._print(expr.func(*rest)) if len(rest) > 1 else self._print(rest[0])
        u = self._print(first)
        return f"numpy.where({u} {order} {other}, {u}, {other})"


class _Printer(BranchPrinting, NumPyPrinter):
    """NumPyPrinter with vectorized Kronecker deltas and sums (SymPy's own prints a Python generator)."""

    def _print_KroneckerDelta(self, expr):
        left, right = (self._print(arg) for arg in expr.args)
        return f"numpy.equal({left}, {right}).astype(float)"

    def _print__IndexRange(self, expr):
        return f"numpy.arange({expr.low}, {expr.high} + 1)"

    def _print_Sum(self, expr):
        (index, low, high), = expr.limits
        others = expr.function.free_symbols - {index}
        if low.is_Integer and high.is_Integer and not any(isinstance(s, sp.Symbol) and s.is_integer for s in others):
            body = expr.function.xreplace({index: _IndexRange(int(low), int(high))})
            return f"numpy.sum({self._print(body)}, axis=-1)"
        return super()._print_Sum(expr)


def numpy_function(expr: sp.Expr, args: Sequence[sp.Basic]) -> Callable:
    """A numpy function of `args` (IndexedBases take 1-based arrays: see `padded`; index symbols take ints or arrays).

    Only expressions built by this package reach here: no user string is ever turned into code.
    """
    return sp.lambdify(list(args), expr, modules="numpy", printer=_Printer({"fully_qualified_modules": True}))


def padded(values):
    """A 1-based view of a vector: element 0 is NaN so that an off-by-one reads NaN, never a wrong number."""
    import numpy as np

    values = np.asarray(values)
    pad = np.full((1,) + values.shape[1:], np.nan, dtype=np.result_type(values, float))
    return np.concatenate([pad, values.astype(pad.dtype)])
