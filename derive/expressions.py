"""The user's expression language: one lark grammar and a transformer that builds SymPy objects from it.

Nothing the user types reaches eval, sympify or lambdify: the transformer has one small method per grammar
rule and can only build numbers, the caller's variables and parameters, + - * / ^ and the functions of
FUNCTIONS. Decimals are exact rationals (0.1 is 1/10), so proofs stay exact.

Domain: every accepted expression is real and defined on the whole real line. log needs an argument that
is positive for every z, sqrt and non-integer powers a positive base, division a nonzero denominator;
SymPy's assumptions decide, and what they cannot show is refused with one line (log(z) is refused,
log(1 + exp(z)) accepted).
"""

from __future__ import annotations

import difflib
import math
import re
from fractions import Fraction
from functools import lru_cache
from typing import Callable, Mapping

import sympy as sp
from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from derive.errors import UsageError

__all__ = ["ExpressionError", "parse_expression", "looks_like_expression", "unknown_id_message", "variable",
           "FUNCTIONS", "CONSTANTS", "MAX_LENGTH", "MAX_DEPTH"]

MAX_LENGTH = 500  # characters: longer text is refused before parsing
MAX_DEPTH = 50  # nesting of parentheses: deeper text is refused before parsing
_MAX_MAGNITUDE = 300  # a constant's |log10| beyond this is refused (1e999999 would build a huge integer)

GRAMMAR = r"""
?start: sum
?sum: product
    | sum PLUS product      -> add
    | sum MINUS product     -> sub
?product: unary
    | product STAR unary    -> mul
    | product SLASH unary   -> div
?unary: power
    | MINUS unary           -> neg
    | PLUS unary            -> pos
?power: atom
    | atom POW unary        -> pow
?atom: NUMBER               -> number
    | NAME                  -> name
    | NAME LPAR sum (COMMA sum)* RPAR -> call
    | LPAR sum RPAR         -> group

POW: "^" | "**"
PLUS: "+"
MINUS: "-"
STAR: "*"
SLASH: "/"
LPAR: "("
RPAR: ")"
COMMA: ","
NUMBER: /(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/
NAME: /[A-Za-z_][A-Za-z_0-9]*/
%ignore /[ \t]+/
"""


def _sigmoid(u):
    """σ(u) = 1 / (1 + e^{−u})"""
    return 1 / (1 + sp.exp(-u))


# name -> (arity, builder). sigmoid is built from its definition, so every printer and prover knows it.
FUNCTIONS: dict[str, tuple[int, Callable]] = {
    "exp": (1, sp.exp), "log": (1, sp.log), "sqrt": (1, sp.sqrt), "tanh": (1, sp.tanh),
    "sigmoid": (1, _sigmoid), "erf": (1, sp.erf), "abs": (1, sp.Abs), "max": (2, sp.Max), "min": (2, sp.Min),
}
CONSTANTS = {"pi": sp.pi}

# What each terminal is called in an error message, in the order they are listed.
_WORDS = {"NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "OPERATOR": "an operator", "COMMA": "','",
          "RPAR": "')'", "$END": "the end"}
_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "POW"}


class ExpressionError(UsageError):
    """A bad expression: the message is one line, naming the column and what was expected."""


def variable(name: str) -> sp.Symbol:
    """The symbol a variable name stands for: real, so that |z|, max and the domain checks reason correctly."""
    return sp.Symbol(name, real=True)


def parse_expression(text: str, variables: tuple = ("z",), parameters: Mapping[str, object] | None = None) -> sp.Expr:
    """The SymPy expression `text` denotes; ExpressionError (one line with a column) if it is not one.

    `variables` are names (made real symbols by `variable`) or symbols; `parameters` maps declared names to
    a symbol or a value (a number the name stands for).
    """
    _refuse_before_parsing(text)
    names = _names(variables, parameters or {})
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        raise ExpressionError(_syntax_message(text, error)) from None
    try:
        return _Build(names, text, tuple(map(str, variables))).transform(tree)
    except VisitError as error:  # the transformer wraps what its methods raise
        if isinstance(error.orig_exc, ExpressionError):
            raise error.orig_exc from None
        raise


def looks_like_expression(text: str, variables: tuple = ("z",)) -> bool:
    """Whether text is meant as an expression rather than a derivation id such as 'sigmod' or 'softmax-jacobian'.

    Ids are letters, digits and hyphens; text with any other character is an expression, and so is an id-like
    text whose words are all variables or numbers (z, z-1).
    """
    if not text.strip():
        return False  # nothing typed: an unknown id, not an empty expression
    if not re.fullmatch(r"[A-Za-z0-9_-]+", text.strip()):
        return True
    words = [word for word in text.strip().split("-") if word]
    names = {str(v) for v in variables}
    return bool(words) and all(word in names or re.fullmatch(r"\d+", word) for word in words)


def unknown_id_message(text: str, ids) -> str:
    """'unknown derivation 'sigmod'; did you mean sigmoid?' (the ids are the caller's)."""
    close = difflib.get_close_matches(text, list(ids), n=1)
    hint = f"did you mean {close[0]}?" if close else f"choose one of: {', '.join(ids)}"
    return f"unknown derivation {text!r}; {hint}"


# ------------------------------------------------------------------------------------- before parsing
def _refuse_before_parsing(text) -> None:
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("column 1: empty expression; expected a number, a name or '('")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression too long: {len(text)} characters (at most {MAX_LENGTH})")
    depth = 0
    for column, char in enumerate(text, start=1):
        depth += (char == "(") - (char == ")")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"column {column}: nested too deeply (more than {MAX_DEPTH} parentheses)")


def _names(variables, parameters) -> dict[str, sp.Expr]:
    """name -> what it stands for; a caller's name that clashes with a function is the caller's bug."""
    names = {str(v): (variable(v) if isinstance(v, str) else v) for v in variables}
    for name, value in parameters.items():
        names[name] = value if isinstance(value, sp.Basic) else _exact(value)
    clashes = sorted(set(names) & (set(FUNCTIONS) | set(CONSTANTS)))
    if clashes:
        raise ValueError(f"variable or parameter names clash with the language's names: {', '.join(clashes)}")
    return {**CONSTANTS, **names}


def _exact(value) -> sp.Expr:
    """A caller's number as an exact SymPy number (a float by its shortest decimal: 0.1 is 1/10)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"a parameter value must be a finite number, got {value!r}")
    return sp.Integer(value) if isinstance(value, int) else sp.Rational(repr(value))


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


# ------------------------------------------------------------------------------------- syntax errors
def _syntax_message(text: str, error: UnexpectedInput) -> str:
    if isinstance(error, UnexpectedCharacters):
        column, found = error.column, f"unexpected character {text[error.column - 1]!r}"
    elif isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        column, found = len(text) + 1, "unexpected end"
    else:
        column, found = error.column, f"unexpected {error.token.value!r}"
    return f"column {column}: {found}; expected {_expected(_accepts(text[: column - 1], error))}{_after(text, column)}"


def _accepts(prefix: str, error: UnexpectedInput) -> set[str]:
    """The terminals that may follow the text before the error (LALR's own `expected` can be too wide or narrow)."""
    try:
        interactive = _parser().parse_interactive(prefix)
        interactive.exhaust_lexer()
        return interactive.accepts()
    except UnexpectedInput:
        return set(getattr(error, "expected", None) or getattr(error, "allowed", None) or ())


def _expected(terminals) -> str:
    kinds = {("OPERATOR" if name in _OPERATORS else name) for name in terminals}
    if "NUMBER" in kinds:
        kinds.discard("OPERATOR")  # a sign before an operand is possible there, but not worth listing
    words = [word for name, word in _WORDS.items() if name in kinds] or ["something else"]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _after(text: str, column: int) -> str:
    """' after '*'': the last token before the column, if any."""
    last = re.search(r"(\*\*|[A-Za-z_][A-Za-z_0-9]*|[0-9.]+(?:[eE][+-]?[0-9]+)?|\S)\s*$", text[: column - 1])
    return f" after {last.group(1)!r}" if last else ""


# ------------------------------------------------------------------------------------- the transformer
def _fail(meta_or_token, message: str):
    raise ExpressionError(f"column {meta_or_token.column}: {message}")


@v_args(meta=True)
class _Build(Transformer_NonRecursive):
    """One method per grammar rule; each returns a SymPy expression and refuses what is not real everywhere."""

    def __init__(self, names: dict[str, sp.Expr], text: str, variables: tuple[str, ...] = ("z",)):
        super().__init__()
        self._names, self._text, self._variables = names, text, variables

    def _source(self, meta) -> str:
        return self._text[meta.start_pos:meta.end_pos]

    def number(self, meta, children):
        (token,) = children
        exponent = token.value.lower().partition("e")[2]
        if abs(int(exponent or 0)) > 2 * _MAX_MAGNITUDE:  # checked before Rational builds a huge integer
            _fail(token, f"number {token.value} out of range")
        exact = Fraction(token.value)  # the token matched NUMBER: digits, a point, an exponent
        value = sp.Rational(exact.numerator, exact.denominator)
        if value != 0 and not sp.Rational(1, 10**_MAX_MAGNITUDE) <= abs(value) <= 10**_MAX_MAGNITUDE:
            _fail(token, f"number {token.value} out of range (1e-{_MAX_MAGNITUDE} to 1e{_MAX_MAGNITUDE} in size)")
        return value

    def name(self, meta, children):
        (token,) = children
        if token.value in self._names:
            return self._names[token.value]
        if token.value in FUNCTIONS:
            _fail(token, f"{token.value} is a function; expected '(' after it")
        _fail(token, _unknown("name", token.value, self._names))

    def call(self, meta, children):
        token, arguments = children[0], [c for c in children[1:] if not isinstance(c, Token)]
        if token.value not in FUNCTIONS:
            _fail(token, _unknown("function", token.value, FUNCTIONS))
        arity, build = FUNCTIONS[token.value]
        if len(arguments) != arity:
            _fail(token, f"{token.value} takes {arity} argument{'s' * (arity > 1)}, got {len(arguments)}")
        _domain(token, token.value, arguments[0], self._source(meta), self._variables)
        return _real(meta, build(*arguments))

    def group(self, meta, children):
        return children[1]

    def add(self, meta, children):
        return _real(meta, children[0] + children[2])

    def sub(self, meta, children):
        return _real(meta, children[0] - children[2])

    def mul(self, meta, children):
        return _real(meta, children[0] * children[2])

    def div(self, meta, children):
        numerator, slash, denominator = children
        if denominator.is_zero:
            _fail(slash, "division by zero")
        if denominator.is_zero is not False:
            _fail(slash, f"the denominator may be 0 for some real value ({self._text[slash.end_pos:meta.end_pos].strip()}); "
                         f"write one that is never 0, e.g. {_never_zero(self._variables, '{}^2')}")
        return _real(meta, numerator / denominator)

    def neg(self, meta, children):
        return _real(meta, -children[1])

    def pos(self, meta, children):
        return children[1]

    def pow(self, meta, children):
        base, caret, exponent = children
        _power_domain(caret, base, exponent, self._text[meta.start_pos:caret.start_pos].strip())
        return _real(meta, base**exponent)


def _unknown(kind: str, name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"unknown {kind} {name!r}" + (f"; did you mean {close[0]}?" if close else f"; known: {', '.join(known)}")


def _domain(token, function: str, argument: sp.Expr, source: str, variables: tuple[str, ...]) -> None:
    """log u and sqrt u need u > 0 for every real z (sqrt's derivative 1/(2√u) must exist too)."""
    if function in ("log", "sqrt") and argument.is_positive is not True:
        _fail(token, f"{source} is not defined for every real value{_of(variables)}: {function} needs an argument "
                     f"that is always positive, e.g. {function}({_never_zero(variables, 'exp({})')})")


def _of(variables: tuple[str, ...]) -> str:
    """' of a and y' when there are several variables (a cost); nothing for the one z of an activation."""
    return "" if len(variables) < 2 else f" of {' and '.join([', '.join(variables[:-1]), variables[-1]])}"


def _never_zero(variables: tuple[str, ...], single: str) -> str:
    """An example in the caller's own variables that is positive for all of them: 1 + exp(z), 1 + (a - y)^2."""
    if len(variables) == 1:
        return "1 + " + single.format(variables[0])
    return f"1 + ({' - '.join(variables)})^2"


def _power_domain(token, base: sp.Expr, exponent: sp.Expr, base_source: str) -> None:
    """u^p is real and differentiable everywhere when p is a natural number, u > 0, or p a negative integer and u ≠ 0."""
    if base.is_number and exponent.is_number and base != 0:  # estimated before SymPy computes it
        if abs(float(exponent)) * abs(math.log10(abs(float(base)))) > _MAX_MAGNITUDE:
            _fail(token, f"power out of range (a constant larger than 1e{_MAX_MAGNITUDE})")
    if (exponent.is_integer and exponent.is_nonnegative) or base.is_positive:
        return
    if exponent.is_integer:
        if base.is_zero is False:
            return
        _fail(token, f"a negative power needs a base that is never 0; {base_source} may be")
    _fail(token, f"a power with a non-integer or variable exponent needs a base that is always positive; "
                 f"{base_source} may not be")


def _real(meta, expr: sp.Expr) -> sp.Expr:
    """Refuse a constant that is not a finite real number of at most 1e300 where it was written.

    Checked on every node as it is built, so exp(exp(exp(100))) stops at exp(exp(100)) before SymPy
    would evaluate a number with 1e43 digits in its exponent."""
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan, sp.I):
        _fail(meta, "this part has no finite real value")
    if not expr.free_symbols:
        value = expr.evalf(20)
        if not (value.is_real and value.is_finite and abs(value) <= 10**_MAX_MAGNITUDE):
            _fail(meta, f"a constant out of range (larger than 1e{_MAX_MAGNITUDE})")
    return expr
