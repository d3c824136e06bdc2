"""Math as text: a linear Unicode form for terminals and LaTeX with partial-derivative symbols."""

from __future__ import annotations

import itertools

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from derive.notation import EXPAND_LIMIT

__all__ = ["to_text", "to_latex", "display_form", "positive_first", "excluded_term", "fraction_factors"]

_GREEK = {"delta": "δ", "sigma": "σ"}


def excluded_term(total: sp.Sum):
    """(f, i) when the sum is Σ_j (1 − δ_ij) f(j), the sum without its j = i term, written Σ_{j≠i} f(j); else None."""
    (index, low, high), = total.limits
    factors = sp.Mul.make_args(total.function)
    for factor in factors:
        others = set(sp.Add.make_args(factor)) - {sp.Integer(1)}
        if isinstance(factor, sp.Add) and len(factor.args) == 2 and sp.Integer(1) in factor.args and len(others) == 1:
            other = -others.pop()
            if isinstance(other, sp.KroneckerDelta) and index in other.args and len(set(other.args)) == 2:
                excluded = next(arg for arg in other.args if arg != index)
                rest = [f for f in factors if f is not factor]
                return sp.Mul(*rest), excluded
    return None


def fraction_factors(expr) -> tuple | None:
    """The factors of a product of fractions (and sums), 1/(1 + e^{−z}) · e^{−z}/(1 + e^{−z}), in the order the
    derivation wrote them (the blog's sigmoid steps); None for any other expression. Printed side by side, not
    merged into one fraction."""
    if not isinstance(expr, sp.Mul) or len(expr.args) < 2:
        return None
    fractions = [factor for factor in expr.args if _is_fraction(factor)]
    others = [factor for factor in expr.args if not _is_fraction(factor)]
    # 1/(1 + e^{−z}) · (1 − 1/(1 + e^{−z})): the other factors are sums holding fractions (a bare sum is a numerator)
    if fractions and all(isinstance(f, sp.Add) and any(map(_is_fraction, f.args)) for f in others) \
            and (len(fractions) >= 2 or others):
        return expr.args
    return None


def _is_fraction(factor) -> bool:
    if isinstance(factor, sp.Pow):
        return bool(factor.exp.is_negative)
    return isinstance(factor, sp.Mul) and any(isinstance(f, sp.Pow) and f.exp.is_negative for f in factor.args)


def display_form(expr: sp.Expr) -> sp.Expr:
    """The form a person writes: concrete sums of at most EXPAND_LIMIT terms written out, and the factors
    of each product in reading order (a_j (δ_ij − a_i), y_j ln a_j). Unevaluated, so the order is kept."""
    if isinstance(expr, sp.Sum):
        (index, low, high), = expr.limits
        body = display_form(expr.function)
        if excluded_term(expr) is not None:  # Σ_{j≠i} stays a sum: written out it would hide which term is missing
            return sp.Sum(body, *expr.limits)
        if low.is_Integer and high.is_Integer and high - low < EXPAND_LIMIT:
            return sp.Add(*[body.xreplace({index: m}) for m in range(int(low), int(high) + 1)], evaluate=False)
        return sp.Sum(body, *expr.limits)
    if not expr.args or isinstance(expr, sp.Indexed):
        return expr
    args = [display_form(arg) for arg in expr.args]
    if isinstance(expr, sp.Mul):
        ordered = args if fraction_factors(expr) else sorted(args, key=_reading_order)
        return sp.Mul(*ordered, evaluate=False)
    return expr.func(*args, evaluate=False) if isinstance(expr, (sp.Add, sp.Pow)) else expr.func(*args)


def _reading_order(factor) -> int:
    """Numbers, then symbols and indexed names, functions, derivatives, sums, sums of terms, denominators."""
    base, exponent = factor.args if isinstance(factor, sp.Pow) else (factor, sp.Integer(1))
    if exponent.is_negative:
        return 7
    for rank, kinds in enumerate([(sp.Number,), (sp.Symbol, sp.Indexed), (sp.KroneckerDelta,), (sp.Function,),
                                  (sp.Derivative,), (sp.Sum,), (sp.Add,)]):
        if isinstance(base, kinds):
            return rank
    return 6


def positive_first(expr) -> list:
    """Terms with a positive sign first, as a person writes δ − a rather than −a + δ (stable otherwise)."""
    return sorted(expr.args, key=lambda term: term.could_extract_minus_sign())


class _TextPrinter(StrPrinter):
    """a_j·(δ_ij − a_i), ∂a_j/∂z_i, Σ_k e^{z_k}: one line, no LaTeX."""

    printmethod = "_derive_text"  # not _sympystr: Indexed's own would print a[j]
    _default_settings = {**StrPrinter._default_settings, "order": "none"}

    def parenthesize(self, item, level, strict=False):
        if isinstance(item, sp.Sum):
            return f"({self._print(item)})"
        return super().parenthesize(item, level, strict)

    def _print_Pow(self, expr, rational=False):
        if isinstance(expr.base, sp.Sum):
            exponent = expr.exp
            if exponent.is_negative:
                return f"1/({self._print(expr.base)})" + ("" if exponent == -1 else f"^{self._print(-exponent)}")
            return f"({self._print(expr.base)})^{self._print(exponent)}"
        return super()._print_Pow(expr, rational)

    def _print_Indexed(self, expr):
        base = _GREEK.get(str(expr.base), str(expr.base))
        indices = "".join(self._print(index) for index in expr.indices)
        return f"{base}_{indices}" if len(indices) == 1 else f"{base}_{{{indices}}}"

    def _print_Mul(self, expr):
        factors = fraction_factors(expr)
        if factors is None:
            return super()._print_Mul(expr)
        return "·".join(f"({self._print(factor)})" if _is_fraction(factor) or isinstance(factor, sp.Add)
                        else self._print(factor) for factor in factors)

    def _print_KroneckerDelta(self, expr):
        left, right = (self._print(arg) for arg in expr.args)
        return f"δ_{left}{right}" if len(left) == len(right) == 1 else f"δ_{{{left},{right}}}"

    def _print_log(self, expr):
        return f"ln({self._print(expr.args[0])})"

    def _print_exp(self, expr):
        return f"e^{{{self._print(expr.args[0])}}}"  # as the notes and the write-ups write it, never exp(…)

    def _print_Sum(self, expr):
        (index, low, high), = expr.limits
        excluded = excluded_term(expr)
        if excluded is not None:
            body = self.parenthesize(excluded[0], sp.printing.precedence.PRECEDENCE["Mul"])
            return f"Σ_{{{self._print(index)}≠{self._print(excluded[1])}}} {body}"
        body = self.parenthesize(expr.function, sp.printing.precedence.PRECEDENCE["Mul"])
        return f"Σ_{self._print(index)} {body}"

    def _print_Derivative(self, expr):
        (variable, count), = expr.variable_count
        inner = expr.expr
        if isinstance(inner, (sp.Symbol, sp.Indexed)):
            return f"∂{self._print(inner)}/∂{self._print(variable)}"
        return f"∂/∂{self._print(variable)} ({self._print(inner)})"

    def _print_Add(self, expr, order=None):
        pieces = []
        for position, term in enumerate(positive_first(expr)):
            negative = term.could_extract_minus_sign()
            text = self._print(_negate(term) if negative else term)
            if negative and isinstance(_negate(term), sp.Add):
                text = f"({text})"
            pieces.append(("−" if negative else "") + text if position == 0 else (" − " if negative else " + ") + text)
        return "".join(pieces)


def _negate(term):
    """−term, keeping an unevaluated product unevaluated (its factor order is the reading order)."""
    if isinstance(term, sp.Mul) and term.args and term.args[0] == -1:
        rest = term.args[1:]
        return rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
    if isinstance(term, sp.Mul) and term.args and term.args[0].is_Number:
        return sp.Mul(-term.args[0], *term.args[1:], evaluate=False)
    return -term


class _LatexPrinter(LatexPrinter):
    """LaTeX that always writes ∂ (SymPy writes d/dz for a derivative in a single variable)."""

    _default_settings = {**LatexPrinter._default_settings, "order": "none"}

    def _print_Derivative(self, expr):
        (variable, count), = expr.variable_count
        inner, var = expr.expr, self._print(variable)
        if isinstance(inner, (sp.Symbol, sp.Indexed)):
            return rf"\frac{{\partial {self._print(inner)}}}{{\partial {var}}}"
        return rf"\frac{{\partial}}{{\partial {var}}} {self.parenthesize(inner, sp.printing.precedence.PRECEDENCE['Mul'])}"

    def _print_Indexed(self, expr):
        base = self._print(expr.base)
        return f"{base}_{{{''.join(self._print(index) for index in expr.indices)}}}"

    def _print_Mul(self, expr):
        factors = fraction_factors(expr)
        if factors is None:
            return super()._print_Mul(expr)
        return " ".join(rf"\left({self._print(factor)}\right)" if isinstance(factor, sp.Add) else self._print(factor)
                        for factor in factors)

    def _print_Sum(self, expr):
        excluded = excluded_term(expr)
        if excluded is None:
            return super()._print_Sum(expr)
        index, body = self._print(expr.limits[0][0]), self.parenthesize(excluded[0], sp.printing.precedence.PRECEDENCE["Mul"])
        return rf"\sum_{{{index} \neq {self._print(excluded[1])}}} {body}"

    def _print_IndexedBase(self, expr):
        name = str(expr)
        return rf"\{name}" if name in _GREEK else name

    def _print_Add(self, expr, order=None):
        pieces = []
        for position, term in enumerate(positive_first(expr)):
            negative = term.could_extract_minus_sign()
            body = _negate(term) if negative else term
            text = self._print(body)
            if isinstance(body, sp.Add):
                text = rf"\left({text}\right)"
            pieces.append(("- " if negative else "") + text if position == 0 else (" - " if negative else " + ") + text)
        return "".join(pieces)


def to_text(expr: sp.Expr) -> str:
    """One line of Unicode; a part between backticks (code quoted by a notation) is kept verbatim."""
    pieces = _TextPrinter().doprint(display_form(expr)).split("`")
    return "".join(piece if odd else piece.replace("**", "^").replace("*", "·").replace("-", "−")
                   for odd, piece in zip(itertools.cycle((False, True)), pieces))


def to_latex(expr: sp.Expr) -> str:
    return _LatexPrinter({"ln_notation": True}).doprint(display_form(expr))
