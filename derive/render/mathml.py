"""Math for web pages: SymPy's MathML presentation printer, extended with our notation (MathML Core, no TeX).

∂a_j/∂z_i as a fraction, e with its exponent raised, Σ with its limits, a_j as a subscript, ln, and the Kronecker
delta upright and bold (class "kronecker") so it cannot be read as the error δ_i.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.mathml import MathMLPresentationPrinter

from derive.printing import display_form, excluded_term, fraction_factors, positive_first, to_text

__all__ = ["to_mathml", "linear_to_mathml"]

_GREEK = {"delta": "δ", "sigma": "σ", "Delta": "Δ"}
# A function name of the linear notation, set upright as one identifier (not l·o·g, three italic letters).
_FUNCTION = re.compile(r"(ln|log)(?=\()")
# One token of the linear notation: a name with an optional ^superscript and _subscript (a^(l−1)_p, W^l, y_j).
_TOKEN = re.compile(r"([A-Za-zΔδσ∇]'?)(?:\^(\([^)]*\)|[A-Za-z0-9]))?(?:_(\{[^}]*\}|\([^)]*\)|[A-Za-z0-9]+))?")


def to_mathml(expr, display: str = "inline") -> str:
    """<math display="...">…</math>, the expression in the form a person writes (display_form)."""
    body = _MathMLPrinter({"order": "none", "ln_notation": True}).doprint(display_form(expr))
    body = body.replace("<mo>-</mo>", "<mo>−</mo>").replace("&InvisibleTimes;", "&#x2062;")
    return f'<math display="{display}">{body}</math>'


def linear_to_mathml(text: str) -> str:
    """MathML (an <mrow>, no <math>) for a bit of the linear notation: names with their sub- and superscripts
    become <msub>/<msup>/<msubsup>, numbers <mn>, everything else an operator. For notation that prints itself."""
    pieces, position = [], 0
    while position < len(text):
        char = text[position]
        found, named = _TOKEN.match(text, position), _FUNCTION.match(text, position)
        if named and (position == 0 or not text[position - 1].isalpha()):
            pieces.append(f'<mi mathvariant="normal">{named[1]}</mi><mo>&#x2061;</mo>')  # U+2061: function application
            position = named.end()
        elif found and (found[2] or found[3] or char.isalpha()):
            pieces.append(_scripted(*found.groups()))
            position = found.end()
        elif char.isdigit():
            digits, sub = re.match(r"(\d+)(?:_([A-Za-z0-9]+))?", text[position:]).groups()
            number = f"<mn>{digits}</mn>"
            pieces.append(f"<msub>{number}{_script(sub)}</msub>" if sub else number)  # 1_m, the column of ones
            position += len(digits) + (len(sub) + 1 if sub else 0)
        elif char == ")" and re.match(r"\)\^[A-Za-z0-9]", text[position:]):  # (O − T)^T: the script on the group
            pieces.append(f"<msup><mo>)</mo>{_script(text[position + 2])}</msup>")
            position += 3
        elif char == " ":
            position += 1
        else:
            pieces.append(f"<mo>{_escape(char)}</mo>")
            position += 1
    return "<mrow>" + "".join(pieces) + "</mrow>"


def _scripted(name: str, sup: str | None, sub: str | None) -> str:
    base = f"<mi>{_escape(name)}</mi>"
    sup_ml = _script(sup) if sup else None
    sub_ml = _script(sub) if sub else None
    if sup_ml and sub_ml:
        return f"<msubsup>{base}{sub_ml}{sup_ml}</msubsup>"
    if sup_ml:
        return f"<msup>{base}{sup_ml}</msup>"
    if sub_ml:
        return f"<msub>{base}{sub_ml}</msub>"
    return base


def _script(text: str) -> str:
    inner = text[1:-1] if text[0] in "{" else text
    if text[0] == "(" and len(inner) > 2:
        return linear_to_mathml(inner)  # a^(l−1): the parentheses only mark a compound layer in linear text
    return linear_to_mathml(inner.replace(",", ""))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _MathMLPrinter(MathMLPresentationPrinter):
    """SymPy's presentation printer with our ∂, e^{…}, Σ, subscripts, − and Kronecker delta."""

    def _print(self, expr, **kwargs):
        if hasattr(expr, "_mathml_markup"):  # notation that knows its own MathML (code beside a formula)
            return self._parse(expr._mathml_markup())
        if hasattr(expr, "_derive_text"):  # the backprop family's notation prints itself as linear text
            return self._parse(linear_to_mathml(to_text(expr)))
        return super()._print(expr, **kwargs)

    def _parse(self, markup: str):
        from xml.dom.minidom import parseString

        return parseString(markup).documentElement

    def _element(self, tag: str, *children, text: str | None = None, **attributes):
        node = self.dom.createElement(tag)
        for name, value in attributes.items():
            node.setAttribute(name.rstrip("_"), value)
        if text is not None:
            node.appendChild(self.dom.createTextNode(text))
        for child in children:
            node.appendChild(child)
        return node

    def _as_ordered_terms(self, expr, order=None):
        return positive_first(expr)

    def _print_Add(self, expr, order=None):
        row = self._element("mrow")
        for position, term in enumerate(positive_first(expr)):
            negative = term.could_extract_minus_sign()
            body = -term if negative else term
            if negative or position:
                row.appendChild(self._element("mo", text="−" if negative else "+"))
            printed = self._print(body)
            if isinstance(body, sp.Add) or (negative and isinstance(body, sp.Add)):
                printed = self._fenced(printed)
            row.appendChild(printed)
        return row

    def _fenced(self, inner):
        return self._element("mrow", self._element("mo", text="("), inner, self._element("mo", text=")"))

    def _print_Indexed(self, expr):
        base = _GREEK.get(str(expr.base), str(expr.base))
        indices = self._element("mrow", *(self._print(index) for index in expr.indices))
        return self._element("msub", self._element("mi", text=base), indices)

    def _print_KroneckerDelta(self, expr):
        symbol = self._element("mi", text="δ", mathvariant="normal", class_="kronecker")
        return self._element("msub", symbol, self._element("mrow", *(self._print(arg) for arg in expr.args)))

    def _print_exp(self, expr):
        return self._element("msup", self._element("mi", text="e", mathvariant="normal"), self._print(expr.args[0]))

    def _print_Derivative(self, expr):
        (variable, count), = expr.variable_count
        inner = expr.expr
        below = self._element("mrow", self._element("mo", text="∂"), self._print(variable))
        if isinstance(inner, (sp.Symbol, sp.Indexed)):
            above = self._element("mrow", self._element("mo", text="∂"), self._print(inner))
            return self._element("mfrac", above, below)
        fraction = self._element("mfrac", self._element("mo", text="∂"), below)
        return self._element("mrow", fraction, self._fenced(self._print(inner)))

    def _print_Sum(self, expr):
        (index, low, high), = expr.limits
        excluded, function = excluded_term(expr), expr.function
        if excluded is not None:  # Σ_{j≠i}: every class but one
            function = excluded[0]
            lower = self._element("mrow", self._print(index), self._element("mo", text="≠"), self._print(excluded[1]))
            sign = self._element("munder", self._element("mo", text="∑"), lower)
        else:
            lower = self._element("mrow", self._print(index), self._element("mo", text="="), self._print(low))
            sign = self._element("munderover", self._element("mo", text="∑"), lower, self._print(high))
        body = self._print(function)
        if isinstance(function, sp.Add) or function.could_extract_minus_sign():
            body = self._fenced(body)
        return self._element("mrow", sign, body)

    def doprint(self, expr) -> str:
        return self._print(expr).toxml()  # SymPy's doprint skips our _print for the outermost node

    def _print_Mul(self, expr):
        """Factors in the order display_form put them (SymPy's own printer re-sorts them), denominators as a fraction."""
        factors = list(expr.args)
        if fraction_factors(expr):  # fractions side by side, as the derivation wrote them
            return self._product(factors)
        if factors and factors[0] == -1:
            rest = factors[1:]
            inner = rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
            return self._element("mrow", self._element("mo", text="−"), self._print(inner))
        numerator = [f for f in factors if not (isinstance(f, sp.Pow) and f.exp.is_negative)]
        denominator = [sp.Pow(f.base, -f.exp, evaluate=False) if f.exp != -1 else f.base
                       for f in factors if isinstance(f, sp.Pow) and f.exp.is_negative]
        if denominator:
            return self._element("mfrac", self._product(numerator or [sp.Integer(1)]), self._product(denominator))
        return self._product(numerator)

    def _product(self, factors):
        row = self._element("mrow")
        for position, factor in enumerate(factors):
            if position:
                row.appendChild(self._element("mo", text="\u2062"))  # invisible times
            printed = self._print(factor)
            last = position == len(factors) - 1
            if isinstance(factor, sp.Add) or (isinstance(factor, sp.Sum) and not last):
                printed = self._fenced(printed)
            row.appendChild(printed)
        return row
