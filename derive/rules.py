"""The rule table: every rule a derivation may name, each a small rewrite whose docstring is its formula.

A *rewrite* rule is a function (expr, classes) -> expr that applies its formula wherever it matches; a
step that names it is verified by replaying it. An *algebra* rule has no function: the derivation writes
the new form and verification proves it a rational identity (sums, deltas and derivatives held as atoms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from derive.notation import C, E, a, cross_entropy, free_indices, sigmoid_of, softmax_denominator, softmax_of, t, y, z

__all__ = ["Rule", "RULES", "REWRITE", "ALGEBRA", "ASSUMPTION", "COUNTEREXAMPLE", "rule", "register", "linearity_for",
           "bottom_up", "on_derivatives", "sigmoid_argument", "kink_convention"]

REWRITE, ALGEBRA, ASSUMPTION, COUNTEREXAMPLE = "rewrite", "algebra", "assumption", "counterexample"
delta = sp.IndexedBase("delta")


@dataclass(frozen=True)
class Rule:
    """A named rule: its kind decides how a step that uses it is verified."""

    name: str
    title: str
    kind: str
    apply: Callable[[sp.Expr, int | None], sp.Expr] | None = None

    @property
    def formula(self) -> str:
        doc = self.apply.__doc__ if self.apply else ""
        return (doc or self.title).strip().splitlines()[0]


# ---------------------------------------------------------------------------------------------- helpers
def bottom_up(expr: sp.Expr, visit: Callable[[sp.Expr], sp.Expr]) -> sp.Expr:
    """Rebuild expr from the leaves up, letting `visit` rewrite each node once (new nodes are not revisited)."""
    if expr.args and not isinstance(expr, (sp.Indexed, sp.Symbol)):
        args = tuple(bottom_up(arg, visit) for arg in expr.args)
        if args != expr.args:
            expr = expr.func(*args)
    return visit(expr)


def _derivatives(visit: Callable[[sp.Expr, sp.Expr], sp.Expr | None]) -> Callable[[sp.Expr], sp.Expr]:
    """Lift visit(inner, variable) to a node visitor that touches first derivatives only."""

    def on_node(node: sp.Expr) -> sp.Expr:
        if isinstance(node, sp.Derivative) and len(node.variables) == 1:
            rewritten = visit(node.expr, node.variables[0])
            if rewritten is not None:
                return rewritten
        return node

    return on_node


def _depends(expr: sp.Expr, variable: sp.Expr) -> bool:
    """Whether expr may vary with the variable: anything built on the variable's base or on a depends on z."""
    bases = {variable.base, a, delta} if isinstance(variable, sp.Indexed) else {variable}
    return any(isinstance(node, sp.Indexed) and node.base in bases for node in sp.preorder_traversal(expr)) or (
        expr.has(C, E) or (not isinstance(variable, sp.Indexed) and expr.has(variable))
    )


def _split_constant(expr: sp.Expr, variable: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """expr = constant * rest, where constant does not depend on the variable."""
    factors = sp.Mul.make_args(expr)
    constant = sp.Mul(*[f for f in factors if not _depends(f, variable)])
    return constant, sp.Mul(*[f for f in factors if _depends(f, variable)])


def _d(expr: sp.Expr, variable: sp.Expr) -> sp.Derivative:
    return sp.Derivative(expr, variable, evaluate=False)


# ----------------------------------------------------------------------------------- calculus rewrites
def _quotient(inner, variable):
    """∂(u/v)/∂x = (∂u/∂x · v − u · ∂v/∂x) / v²"""
    numer, denom = _numerator_denominator(inner)
    if denom == 1 or numer == 1:
        return None
    return (_d(numer, variable) * denom - numer * _d(denom, variable)) / denom**2


def _reciprocal(inner, variable):
    """∂(1/v)/∂x = −(∂v/∂x) / v²"""
    numer, denom = _numerator_denominator(inner)
    if numer != 1 or denom == 1:
        return None
    return -_d(denom, variable) / denom**2


def _numerator_denominator(expr):
    """Split off the denominator: the factors that are negative powers of a sum (not single exponentials)."""
    numer, denom = [], []
    for factor in sp.Mul.make_args(expr):
        base, exponent = factor.as_base_exp()
        is_sum = isinstance(base, (sp.Add, sp.Sum))
        (denom if is_sum and exponent.is_negative else numer).append(base**-exponent if is_sum and exponent.is_negative else factor)
    return sp.Mul(*numer), sp.Mul(*denom)


def linearity_for(depends: Callable[[sp.Expr, sp.Expr], bool]):
    """The sum rule for a notion of what depends on what: backprop's layers use it with their own `depends`."""

    def linearity(inner, variable):
        """∂(Σ_k c·f_k + g)/∂x = Σ_k c·∂f_k/∂x + ∂g/∂x,  and ∂c/∂x = 0 for c free of x"""
        if not depends(inner, variable):
            return sp.Integer(0)
        if isinstance(inner, sp.Sum):
            return sp.Sum(linear_part(inner.function, variable), *inner.limits)
        if isinstance(inner, sp.Add):
            return sp.Add(*[linear_part(term, variable) for term in inner.args])
        factors = sp.Mul.make_args(inner)
        constant = sp.Mul(*[f for f in factors if not depends(f, variable)])
        rest = sp.Mul(*[f for f in factors if depends(f, variable)])
        return constant * linear_part(rest, variable) if constant != 1 else None

    def linear_part(inner, variable):
        rewritten = linearity(inner, variable)
        return _d(inner, variable) if rewritten is None else rewritten

    return linearity


_linearity = linearity_for(_depends)


def _exp(inner, variable):
    """∂e^u/∂x = e^u · ∂u/∂x"""
    if isinstance(inner, sp.exp):
        return inner * _d(inner.args[0], variable)
    return None


def _log(inner, variable):
    """∂ln u/∂x = (1/u) · ∂u/∂x"""
    if isinstance(inner, sp.log):
        return _d(inner.args[0], variable) / inner.args[0]
    return None


def _kronecker(inner, variable):
    """∂z_j/∂z_i = δ_ij  (1 if i = j, else 0)"""
    constant, rest = _split_constant(inner, variable)
    if isinstance(rest, sp.Indexed) and isinstance(variable, sp.Indexed) and rest.base == variable.base:
        return constant * sp.KroneckerDelta(variable.indices[0], rest.indices[0])
    return None


def _softmax_jacobian(inner, variable):
    """∂a_j/∂z_i = a_j (δ_ij − a_i)   (derivation softmax-jacobian)"""
    if isinstance(inner, sp.Indexed) and inner.base == a and isinstance(variable, sp.Indexed):
        (i_,), (j_,) = variable.indices, inner.indices
        return a[j_] * (sp.KroneckerDelta(i_, j_) - a[i_])
    return None


# --------------------------------------------------------- calculus of one real variable (the planner's)
# Each visit returns None where its rule does not apply. The planner (derive.plan) also uses the quotient,
# reciprocal, exp and log rules above; the guards here keep each rule to the nodes the planner's order gives it.
def _constant(inner, variable):
    """∂c/∂x = 0   for c free of x"""
    return sp.Integer(0) if not _depends(inner, variable) else None


def _variable(inner, variable):
    """∂x/∂x = 1"""
    return sp.Integer(1) if inner == variable else None


def _sum_terms(inner, variable):
    """∂(u + v)/∂x = ∂u/∂x + ∂v/∂x"""
    if isinstance(inner, sp.Add) and _depends(inner, variable):
        return sp.Add(*[_d(term, variable) for term in inner.args])
    return None


def _constant_multiple(inner, variable):
    """∂(c·u)/∂x = c · ∂u/∂x   for c free of x"""
    if not isinstance(inner, sp.Mul) or not _depends(inner, variable):
        return None
    constant, rest = _split_constant(inner, variable)
    return constant * _d(rest, variable) if constant != 1 else None


def sigmoid_argument(expr) -> sp.Expr | None:
    """u if expr is σ(u) = 1/(1 + e^{−u}) as SymPy holds it, else None."""
    if expr.is_Pow and expr.exp == -1 and isinstance(expr.base, sp.Add) and len(expr.base.args) == 2:
        one, other = sorted(expr.base.args, key=lambda term: term != 1)
        if one == 1 and isinstance(other, sp.exp):
            return -other.args[0]
    return None


def _sigmoid(inner, variable):
    """∂σ(u)/∂x = σ(u) (1 − σ(u)) · ∂u/∂x,   σ(u) = 1/(1 + e^{−u})"""
    u = sigmoid_argument(inner)
    if u is None or not _depends(u, variable):
        return None
    return inner * (1 - inner) * _d(u, variable)


def _has_denominator(factors) -> bool:
    return any(f.is_Pow and f.exp.is_negative and isinstance(f.base, sp.Add) and sigmoid_argument(f) is None
               for f in factors)


def _product(inner, variable):
    """∂(u·v)/∂x = ∂u/∂x · v + u · ∂v/∂x"""
    if not isinstance(inner, sp.Mul) or _split_constant(inner, variable)[0] != 1:
        return None
    factors = [f for f in inner.args if _depends(f, variable)]
    if len(factors) < 2 or _has_denominator(factors):
        return None  # a fraction of sums goes to the quotient or reciprocal rule
    u, v = factors[0], sp.Mul(*factors[1:])
    return _d(u, variable) * v + u * _d(v, variable)


def _is_power(inner, variable) -> bool:
    """A power the power rules take: not 1/v for a sum v (the reciprocal rule's) nor σ(u) (the sigmoid rule's)."""
    return inner.is_Pow and not (inner.exp == -1 and isinstance(inner.base, sp.Add))


def _sqrt(inner, variable):
    """∂√u/∂x = ∂u/∂x / (2√u)"""
    if _is_power(inner, variable) and inner.exp == sp.Rational(1, 2) and _depends(inner.base, variable):
        return _d(inner.base, variable) / (2 * inner)
    return None


def _power(inner, variable):
    """∂(u^n)/∂x = n · u^(n−1) · ∂u/∂x   for n free of x"""
    if not _is_power(inner, variable) or inner.exp == sp.Rational(1, 2):
        return None
    base, exponent = inner.args
    if not _depends(base, variable) or _depends(exponent, variable):
        return None
    return exponent * base ** (exponent - 1) * _d(base, variable)


def _exponential(inner, variable):
    """∂(c^u)/∂x = c^u · ln c · ∂u/∂x   for c > 0 free of x"""
    if not _is_power(inner, variable) or _depends(inner.base, variable) or not _depends(inner.exp, variable):
        return None
    return inner * sp.log(inner.base) * _d(inner.exp, variable)


def _general_power(inner, variable):
    """∂(u^v)/∂x = u^v · (∂v/∂x · ln u + v · ∂u/∂x / u)   for u > 0"""
    if not (_is_power(inner, variable) and _depends(inner.base, variable) and _depends(inner.exp, variable)):
        return None
    base, exponent = inner.args
    return inner * (_d(exponent, variable) * sp.log(base) + exponent * _d(base, variable) / base)


def _tanh(inner, variable):
    """∂tanh u/∂x = (1 − tanh² u) · ∂u/∂x"""
    if isinstance(inner, sp.tanh) and _depends(inner, variable):
        return (1 - inner**2) * _d(inner.args[0], variable)
    return None


def _erf(inner, variable):
    """∂erf u/∂x = (2/√π) e^{−u²} · ∂u/∂x"""
    if isinstance(inner, sp.erf) and _depends(inner, variable):
        u = inner.args[0]
        return 2 / sp.sqrt(sp.pi) * sp.exp(-u**2) * _d(u, variable)
    return None


def _ordered(node, variable):
    """(u, v) with max(u, ...) = max(u, v): u the first argument that depends on x, v the others (a constant, if any,
    is in v, whose branch is used at the kink)."""
    u = next(arg for arg in node.args if _depends(arg, variable))
    rest = [arg for arg in node.args if arg is not u]
    return u, rest[0] if len(rest) == 1 else node.func(*rest)


def _max(inner, variable):
    """∂max(u, v)/∂x = ∂u/∂x where u > v, ∂v/∂x where u < v   (not differentiable where u = v)"""
    if isinstance(inner, sp.Max) and _depends(inner, variable):
        u, v = _ordered(inner, variable)
        return sp.Piecewise((_d(u, variable), sp.StrictGreaterThan(u, v)), (_d(v, variable), sp.StrictLessThan(u, v)))
    return None


def _min(inner, variable):
    """∂min(u, v)/∂x = ∂u/∂x where u < v, ∂v/∂x where u > v   (not differentiable where u = v)"""
    if isinstance(inner, sp.Min) and _depends(inner, variable):
        u, v = _ordered(inner, variable)
        return sp.Piecewise((_d(u, variable), sp.StrictLessThan(u, v)), (_d(v, variable), sp.StrictGreaterThan(u, v)))
    return None


def _abs(inner, variable):
    """∂|u|/∂x = ∂u/∂x where u > 0, −∂u/∂x where u < 0   (not differentiable where u = 0)"""
    if isinstance(inner, sp.Abs) and _depends(inner, variable):
        u = inner.args[0]
        return sp.Piecewise((_d(u, variable), sp.StrictGreaterThan(u, 0)), (-_d(u, variable), sp.StrictLessThan(u, 0)))
    return None


def _piecewise(inner, variable):
    """∂(f if c else g)/∂x = ∂f/∂x where c, ∂g/∂x where not c   (c a strict inequality; not at its boundary)"""
    if not (isinstance(inner, sp.Piecewise) and len(inner.args) == 2 and inner.args[1].cond == sp.true):
        return None
    (f, condition), (g, _) = inner.args
    if not isinstance(condition, (sp.StrictGreaterThan, sp.StrictLessThan)) or not _depends(inner, variable):
        return None
    opposite = condition.func(condition.rhs, condition.lhs)
    return sp.Piecewise((_d(f, variable), condition), (_d(g, variable), opposite))


def kink_convention(expr, classes=None):
    """At a kink, the derivative of the branch the function takes there: relu'(0) = 0, |u|' = 0 at u = 0

    Every derivative piecewise that leaves its kinks out gets them: its last branch (that of the argument free
    of z, for max and min) also covers the kink, and |u| gets derivative 0 where u = 0, as torch and jax do.
    """

    def close(node):
        if not isinstance(node, sp.Piecewise) or node.args[-1].cond == sp.true:
            return node
        if _is_abs_derivative(node):
            return sp.Piecewise(*node.args, (sp.Integer(0), True))
        return sp.Piecewise(*node.args[:-1], (node.args[-1].expr, True))

    return bottom_up(expr, close)


def _is_abs_derivative(node) -> bool:
    """Piecewise((w, u > 0), (−w, u < 0)): the derivative of |u|."""
    if len(node.args) != 2:
        return False
    (plus, above), (minus, below) = node.args
    return (isinstance(above, sp.StrictGreaterThan) and isinstance(below, sp.StrictLessThan)
            and above.rhs == 0 and below.rhs == 0 and above.lhs == below.lhs and sp.expand(plus + minus) == 0)


def on_derivatives(visit):
    """Lift visit(inner, variable) -> expr | None to a rule that rewrites every matching first derivative."""

    def apply(expr, classes=None):
        return bottom_up(expr, _derivatives(visit))

    apply.__doc__ = visit.__doc__
    apply.__name__ = visit.__name__
    return apply


# --------------------------------------------------------------------------------------- index rewrites
def kronecker_contraction(expr, classes):
    """Σ_k δ_ik f(k) = f(i)   for a free index 1 ≤ i ≤ K"""

    def visit(node):
        if not isinstance(node, sp.Sum) or len(node.limits) != 1:
            return node
        index = node.limits[0][0]
        for factor in sp.Mul.make_args(node.function):
            if isinstance(factor, sp.KroneckerDelta) and index in factor.args:
                other = factor.args[0] if factor.args[1] == index else factor.args[1]
                if other != index and other.is_Symbol:
                    rest = node.function / factor
                    return rest.xreplace({index: other})
        return node

    return bottom_up(expr, visit)


def sum_linearity(expr, classes):
    """Σ_k (c·f_k + g_k) = c·Σ_k f_k + Σ_k g_k   for c free of k"""

    def visit(node):
        if not isinstance(node, sp.Sum) or len(node.limits) != 1:
            return node
        index = node.limits[0][0]
        terms = []
        for term in sp.Add.make_args(sp.expand(node.function)):
            factors = sp.Mul.make_args(term)
            outside = sp.Mul(*[f for f in factors if not f.has(index)])
            inside = sp.Mul(*[f for f in factors if f.has(index)])
            terms.append(outside * sp.Sum(inside, *node.limits))
        return sp.Add(*terms)

    return bottom_up(expr, visit)


# ---------------------------------------------------------------------------- definitions and their folds
def softmax_definition(expr, classes):
    """a_j = e^{z_j} / Σ_k e^{z_k}   (inside the derivative)"""
    return bottom_up(expr, lambda node: node.func(_unfold_softmax(node.expr, classes), *node.args[1:])
                      if isinstance(node, sp.Derivative) else node)


def _unfold_softmax(expr, classes):
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == a,
                        lambda e: softmax_of(e.indices[0], classes))


def softmax_fold(expr, classes):
    """e^{z_j} / Σ_k e^{z_k} = a_j"""
    denominator = softmax_denominator(classes)

    def visit(node):
        if not isinstance(node, sp.Mul):
            return node
        power = -sum((f.as_base_exp()[1] for f in node.args if f.as_base_exp()[0] == denominator), sp.Integer(0))
        exps = [f for f in node.args if isinstance(f, sp.exp)]
        indexed = [_linear_z(f.args[0]) for f in exps]
        if power <= 0 or any(part is None for part in indexed):
            return node
        wanted = [index for part in indexed for index, count in part for _ in range(count)]
        if len(wanted) < power:
            return node
        taken, left = wanted[: int(power)], wanted[int(power):]
        rest = [f for f in node.args if f not in exps and f.as_base_exp()[0] != denominator]
        return sp.Mul(*rest, *[a[index] for index in taken], *[sp.exp(z[index]) for index in left])

    return bottom_up(expr, visit)


def _linear_z(argument):
    """n_1·z_p + n_2·z_q ... with positive integer n -> [(p, n_1), (q, n_2)], else None."""
    parts = []
    for term in sp.Add.make_args(argument):
        count, rest = term.as_coeff_Mul()
        if not (isinstance(rest, sp.Indexed) and rest.base == z and count.is_Integer and count > 0):
            return None
        parts.append((rest.indices[0], int(count)))
    return parts


def sigmoid_definition(expr, classes):
    """a_i = 1 / (1 + e^{−z_i})   (inside the derivative)"""
    return bottom_up(expr, lambda node: node.func(node.expr.replace(
        lambda e: isinstance(e, sp.Indexed) and e.base == a, lambda e: sigmoid_of(e.indices[0])), *node.args[1:])
        if isinstance(node, sp.Derivative) else node)


def sigmoid_fold(expr, classes):
    """1 / (1 + e^{−z_i}) = a_i"""
    return expr.replace(lambda e: e.is_Pow and e.exp == -1 and _sigmoid_index(e.base) is not None,
                        lambda e: a[_sigmoid_index(e.base)])


def _sigmoid_index(base):
    if isinstance(base, sp.Add) and len(base.args) == 2 and sp.Integer(1) in base.args:
        other = base.args[0] if base.args[1] == 1 else base.args[1]
        if isinstance(other, sp.exp) and isinstance(-other.args[0], sp.Indexed) and (-other.args[0]).base == z:
            return (-other.args[0]).indices[0]
    return None


def delta_definition(expr, classes):
    """δ_i = ∂C/∂z_i   (the error of output unit i)"""
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == delta,
                        lambda e: _d(C, z[e.indices[0]]))


def cross_entropy_definition(expr, classes):
    """C = −Σ_j y_j ln a_j"""
    return expr.xreplace({C: cross_entropy(classes)})


def nll_definition(expr, classes):
    """E = −ln a_t   (t the true class)"""
    return expr.xreplace({E: -sp.log(a[t])})


# ------------------------------------------------------------------------------------------ assumptions
def one_hot(expr, classes):
    """Σ_j y_j = 1   (y is one-hot: a single 1, the rest 0)"""
    return expr.replace(lambda e: isinstance(e, sp.Sum) and isinstance(e.function, sp.Indexed)
                        and e.function.base == y and e.function.indices[0] == e.limits[0][0],
                        lambda e: sp.Integer(1))


def distinct_indices(expr, classes):
    """δ_ij = 0   for distinct free indices i ≠ j"""
    free = set(free_indices(expr))
    return expr.replace(lambda e: isinstance(e, sp.KroneckerDelta) and set(e.args) <= free and e.args[0] != e.args[1],
                        lambda e: sp.Integer(0))


def rule(name: str) -> Rule:
    """The rule called `name`; a KeyError names the table's entries."""
    try:
        return RULES[name]
    except KeyError:
        raise KeyError(f"unknown rule {name!r}; known: {', '.join(RULES)}") from None


_TABLE = [
    # name                       title                                   kind         rewrite
    ("delta-definition",        "definition of δ",                      REWRITE,     delta_definition),
    ("cross-entropy-definition", "definition of C (cross-entropy)",     REWRITE,     cross_entropy_definition),
    ("nll-definition",          "definition of E (negative log-likelihood)", REWRITE, nll_definition),
    ("softmax-definition",      "definition of a (softmax)",            REWRITE,     softmax_definition),
    ("sigmoid-definition",      "definition of a (sigmoid)",            REWRITE,     sigmoid_definition),
    ("quotient-rule",           "quotient rule",                        REWRITE,     on_derivatives(_quotient)),
    ("reciprocal-rule",         "reciprocal rule",                      REWRITE,     on_derivatives(_reciprocal)),
    ("sum-rule",                "sum rule (linearity of ∂)",            REWRITE,     on_derivatives(_linearity)),
    ("exp-rule",                "derivative of exp (chain rule)",       REWRITE,     on_derivatives(_exp)),
    ("log-rule",                "derivative of ln (chain rule)",        REWRITE,     on_derivatives(_log)),
    ("kronecker-delta",         "Kronecker delta: ∂z_j/∂z_i",           REWRITE,     on_derivatives(_kronecker)),
    ("kronecker-contraction",   "Kronecker-delta contraction",          REWRITE,     kronecker_contraction),
    ("sum-linearity",           "linearity of the sum",                 REWRITE,     sum_linearity),
    ("softmax-jacobian",        "softmax Jacobian (derived above)",     REWRITE,     on_derivatives(_softmax_jacobian)),
    ("softmax-fold",            "substitute the definition of a",       REWRITE,     softmax_fold),
    ("sigmoid-fold",            "substitute the definition of a",       REWRITE,     sigmoid_fold),
    ("constant-rule",           "derivative of a constant",             REWRITE,     on_derivatives(_constant)),
    ("variable-rule",           "derivative of the variable",           REWRITE,     on_derivatives(_variable)),
    ("sum-terms",               "sum rule",                             REWRITE,     on_derivatives(_sum_terms)),
    ("constant-multiple",       "constant multiple rule",               REWRITE,     on_derivatives(_constant_multiple)),
    ("product-rule",            "product rule",                         REWRITE,     on_derivatives(_product)),
    ("power-rule",              "power rule",                           REWRITE,     on_derivatives(_power)),
    ("sqrt-rule",               "derivative of √ (chain rule)",         REWRITE,     on_derivatives(_sqrt)),
    ("exponential-rule",        "derivative of c^u (chain rule)",       REWRITE,     on_derivatives(_exponential)),
    ("general-power-rule",      "derivative of u^v (chain rule)",       REWRITE,     on_derivatives(_general_power)),
    ("tanh-rule",               "derivative of tanh (chain rule)",      REWRITE,     on_derivatives(_tanh)),
    ("erf-rule",                "derivative of erf (chain rule)",       REWRITE,     on_derivatives(_erf)),
    ("sigmoid-rule",            "derivative of σ (chain rule)",         REWRITE,     on_derivatives(_sigmoid)),
    ("max-rule",                "derivative of max (piecewise)",        REWRITE,     on_derivatives(_max)),
    ("min-rule",                "derivative of min (piecewise)",        REWRITE,     on_derivatives(_min)),
    ("abs-rule",                "derivative of |u| (piecewise)",        REWRITE,     on_derivatives(_abs)),
    ("piecewise-rule",          "derivative of a piecewise function",   REWRITE,     on_derivatives(_piecewise)),
    ("kink-convention",         "convention at kinks",                  ASSUMPTION,  kink_convention),
    ("definition",              "substitute the definition of a",       ALGEBRA,     None),
    ("in-terms-of-a",           "write in terms of a",                  ALGEBRA,     None),
    ("sigmoid-form",            "recognize σ",                          ALGEBRA,     None),
    ("abs-fold",                "recognize |u|",                        ALGEBRA,     None),
    ("simplify",                "simplify",                             ALGEBRA,     None),
    ("one-hot",                 "assumption: y is one-hot, Σ_j y_j = 1", ASSUMPTION, one_hot),
    ("distinct-indices",        "assumption: i ≠ j",                    ASSUMPTION,  distinct_indices),
    ("factor",                  "factor",                               ALGEBRA,     None),
    ("expand",                  "expand",                               ALGEBRA,     None),
    ("cancel",                  "cancel common factors",                ALGEBRA,     None),
    ("add-subtract",            "add and subtract 1",                   ALGEBRA,     None),
    ("counterexample",          "counterexample",                       COUNTEREXAMPLE, None),
]
RULES: dict[str, Rule] = {name: Rule(name, title, kind, fn) for name, title, kind, fn in _TABLE}


def register(new_rule: Rule) -> None:
    """Add a rule of another family of derivations (backprop registers its own when it is imported)."""
    if new_rule.name in RULES and RULES[new_rule.name] != new_rule:
        raise ValueError(f"rule {new_rule.name!r} is already registered")
    RULES[new_rule.name] = new_rule
