"""Math in two dimensions for the terminal: SymPy's pretty printer, extended with our notation.

Stacked fractions, e with its exponent raised, Σ with its limits, ∂ as a fraction, subscripts as Unicode
subscripts (z₁, aⱼ), and the Kronecker delta in bold (𝛅ᵢⱼ) so it cannot be read as the error δᵢ.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.stringpict import prettyForm, stringPict

from derive.printing import display_form, excluded_term, fraction_factors, positive_first, to_text

__all__ = ["to_pretty", "pretty_form", "subscript", "KRONECKER"]

KRONECKER = "𝛅"  # MATHEMATICAL BOLD SMALL DELTA: the Kronecker delta, never the error δ
_GREEK = {"delta": "δ", "sigma": "σ"}
# SymPy's own table lacks ⱼ (U+2C7C); j is our most common index.
_SUBSCRIPT = dict(zip("0123456789aehijklmnoprstuvx+−()=", "₀₁₂₃₄₅₆₇₈₉ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₊₋₍₎₌"))


def to_pretty(expr: sp.Expr) -> str:
    """The expression as lines of text of equal width (its baseline is where a relation sign goes)."""
    form = _PrettyPrinter().doprint(display_form(expr))
    return form.replace("-", "−")


def pretty_form(expr: sp.Expr) -> tuple[list[str], int]:
    """The lines of the 2-D form and the index of the baseline (the line a relation sign sits on)."""
    form = _PrettyPrinter()._print(display_form(expr))
    lines = [line.replace("-", "−") for line in form.render(wrap_line=False).split("\n")]
    return lines, form.baseline


def subscript(text: str) -> str | None:
    """aⱼ-style subscript, or None when a character has no Unicode subscript (then a_K is written)."""
    if all(char in _SUBSCRIPT for char in text):
        return "".join(_SUBSCRIPT[char] for char in text)
    return None


class _PrettyPrinter(PrettyPrinter):
    """SymPy's 2-D printer with a_j, e^{z}, Σ_k, ∂, 𝛅_ij and ln written the way the write-ups write them."""

    _default_settings = {**PrettyPrinter._default_settings, "order": "none", "use_unicode": True,
                         "wrap_line": False}

    def _print(self, expr, **kwargs):
        if hasattr(expr, "_derive_text"):
            return prettyForm(to_text(expr))  # the backprop family's matrix notation prints itself, on one line
        return super()._print(expr, **kwargs)

    def _as_ordered_terms(self, expr, order=None):
        return positive_first(expr)

    def _print_Indexed(self, expr):
        base = _GREEK.get(str(expr.base), str(expr.base))
        indices = "".join(to_text(index) for index in expr.indices)
        lowered = subscript(indices)
        if lowered is not None:
            return prettyForm(base + lowered)
        return prettyForm(f"{base}_{indices}" if len(indices) == 1 else f"{base}_{{{indices}}}")

    def _print_Mul(self, product):
        factors = fraction_factors(product)
        if factors is None:
            return super()._print_Mul(product)
        forms = [prettyForm(*self._print(f).parens()) if isinstance(f, sp.Add) else self._print(f) for f in factors]
        result = forms[0]
        for form in forms[1:]:
            result = prettyForm(*result.right("⋅", form))
        result.binding = prettyForm.MUL
        return result

    def _print_KroneckerDelta(self, expr):
        indices = "".join(to_text(index) for index in expr.args)
        lowered = subscript(indices)
        return prettyForm(KRONECKER + (lowered if lowered is not None else f"_{{{indices}}}"))

    def _print_exp(self, expr):
        exponent = self._print(expr.args[0])
        return prettyForm("e") ** exponent

    def _print_log(self, expr):
        return self._print_Function(expr, func_name="ln")

    def _print_Sum(self, expr):
        """K above Σ above k = 1, the summand beside Σ: three lines, not SymPy's seven."""
        (index, low, high), = expr.limits
        sign, excluded = stringPict("Σ"), excluded_term(expr)
        upper, lower = self._print(high), prettyForm(f"{to_text(index)}={to_text(low)}")
        if excluded is not None:  # Σ_{j≠i}: the range is all classes but one, so no upper limit is written
            lower = prettyForm(f"{to_text(index)}≠{to_text(excluded[1])}")
            width = lower.width()
            stacked = stringPict(*sign.stack(_centre(sign, width), _centre(lower, width)))
            stacked.baseline, function = 0, excluded[0]
        else:
            width = max(upper.width(), lower.width(), 1)
            stacked = stringPict(*sign.stack(_centre(upper, width), _centre(sign, width), _centre(lower, width)))
            stacked.baseline, function = upper.height(), expr.function
        body = self._print(function)
        if isinstance(function, sp.Add) or function.could_extract_minus_sign():
            body = prettyForm(*body.parens())
        return prettyForm(*stacked.right(" ", body), binding=prettyForm.MUL)

    def _print_Derivative(self, expr):
        """∂a_j/∂z_i stacked; ∂/∂z_i (…) for a compound expression."""
        (variable, count), = expr.variable_count
        below = prettyForm(*self._print(variable).left("∂"))
        inner = expr.expr
        above = prettyForm(*self._print(inner).left("∂")) if isinstance(inner, (sp.Symbol, sp.Indexed)) \
            else prettyForm("∂")
        width = max(above.width(), below.width())
        fraction = prettyForm(*stringPict.stack(_centre(above, width), stringPict.LINE, _centre(below, width)))
        fraction.baseline = above.height()
        if isinstance(inner, (sp.Symbol, sp.Indexed)):
            fraction.binding = prettyForm.MUL
            return fraction
        body = prettyForm(*self._print(inner).parens())
        return prettyForm(*fraction.right(body), binding=prettyForm.MUL)


def _centre(form, width: int) -> stringPict:
    """The form padded on both sides to the width (stringPict.stack centres too, but not the single lines)."""
    spare = width - form.width()
    if spare <= 0:
        return form
    padded = stringPict(*form.left(" " * (spare // 2)))
    return stringPict(*padded.right(" " * (spare - spare // 2)))
