"""The rules of backpropagation through layers, registered in derive.rules; each rewrite's docstring is its formula.

A rewrite applies its formula wherever it matches and returns the new expression; a step that names it is
verified by replaying it and by grounding both sides at concrete layer sizes (derive.backprop.verify).
The generic rules of derive.rules (sum-linearity, kronecker-contraction, one-hot, the algebra rules and
counterexample) are used as they are.
"""

from __future__ import annotations

from typing import Callable

import sympy as sp

from derive import functions
from derive.backprop.notation import L, C, CL, j, LAMBDA, Indicator, SquaredNorm, LayerIndexed, a, b, delta, n, p, q, r, w, y, z, prime
from derive.rules import ASSUMPTION, REWRITE, Rule, bottom_up, linearity_for, on_derivatives, register

__all__ = ["CLAIM", "MATRIX", "COLLECT", "COST_GRADIENT_RULES", "cost_gradient_rule", "gradient_at", "fresh_index", "depends", "activation_rules", "derivative_at", "derivative_form", "indicators"]

# Step kinds of this family besides derive.rules' four.
CLAIM = "claim"  # a new equation starts: the step's expression is its left-hand side (nothing is claimed yet)
MATRIX = "matrix"  # the chain's claim restated in matrix form: checked entry by entry at concrete sizes
COLLECT = "collect"  # the results of the chains above, side by side

_SPARE = sp.symbols("i j k", integer=True, positive=True) + (p, q, r)


def fresh_index(expr: sp.Expr, prefer: sp.Symbol) -> sp.Symbol:
    """`prefer` if expr does not use it, else the first of i, j, k, p, q, r that it does not use."""
    used = {s for s in sp.preorder_traversal(expr) if isinstance(s, sp.Symbol)}
    return next(s for s in (prefer, *_SPARE) if s not in used)


def _d(expr: sp.Expr, variable: sp.Expr) -> sp.Derivative:
    return sp.Derivative(expr, variable, evaluate=False)


def _first_derivative(node) -> tuple[sp.Expr, sp.Expr] | None:
    if isinstance(node, sp.Derivative) and len(node.variables) == 1:
        return node.expr, node.variables[0]
    return None


def _layered(expr, *bases) -> bool:
    return isinstance(expr, LayerIndexed) and (not bases or expr.base in bases)


# ------------------------------------------------------------------------------------------ dependence
def _offset(upper: sp.Expr, lower: sp.Expr) -> int | None:
    """upper − lower as an integer, or None if it is not a known integer (such as l − L)."""
    difference = sp.expand(upper - lower)
    return int(difference) if difference.is_Integer else None


def depends(expr: sp.Expr, variable: sp.Expr) -> bool:
    """Whether expr may vary with `variable` in a feed-forward network (when unsure: it may).

    z^l and a^l depend on z^j, a^j (j < l, and a^l on z^l) and on the weights and biases of layers up to l;
    weights, biases and targets depend on nothing but themselves; C and δ depend on everything.
    """
    if expr.has(C):
        return True
    return any(_node_depends(node, variable) for node in sp.preorder_traversal(expr) if _layered(node))


def _node_depends(node: LayerIndexed, variable: sp.Expr) -> bool:
    if not _layered(variable):
        return True
    if node.base == variable.base and _offset(node.layer, variable.layer) == 0:
        return True  # the same quantity: a Kronecker delta decides which unit
    if node.base == delta:
        return True
    if node.base in (w, b):
        return False
    offset = _offset(node.layer, variable.layer)
    if offset is None:
        return True
    if variable.base in (w, b, z):  # enters z at its own layer: z^l, a^l and everything above
        return offset > 0 or (offset == 0 and node.base in (a, z))
    if variable.base == a:  # feeds z^(l+1) and everything above
        return offset > 0
    return True


# ---------------------------------------------------------------------------------------- definitions
def layer_delta_definition(expr, classes=None):
    """δ^l_j = ∂C/∂z^l_j   (the error of unit j of layer l)"""
    return expr.replace(lambda e: _layered(e, delta), lambda e: _d(C, z[(e.layer, *e.units)]))


def layer_delta_fold(expr, classes=None):
    """∂C/∂z^l_j = δ^l_j   (the definition of δ, read right to left)"""
    return bottom_up(expr, lambda node: delta[(node.variables[0].layer, *node.variables[0].units)]
                      if _first_derivative(node) and node.expr == C and _layered(node.variables[0], z) else node)


def preactivation_definition(expr, classes=None):
    """z^l_i = Σ_p w^l_ip a^(l−1)_p + b^l_i   (inside the derivative)"""

    def unfold(node):
        found = _first_derivative(node)
        if not found or not found[0].has(z):
            return node
        inner, variable = found
        index = fresh_index(node, p)
        inner = inner.replace(lambda e: _layered(e, z), lambda e: _weighted_input(e.layer, e.units[0], index))
        return _d(inner, variable)

    return bottom_up(expr, unfold)


def _weighted_input(layer, unit, index):
    return sp.Sum(w[layer, unit, index] * a[layer - 1, index], (index, 1, n[layer - 1])) + b[layer, unit]


# -------------------------------------------------------------------------------------- the chain rule
def activation_chain_rule(expr, classes=None):
    """∂C/∂z^L_i = Σ_j ∂a^L_j/∂z^L_i · ∂C/∂a^L_j   (C depends on z^L only through a^L)"""

    def visit(inner, variable):
        if inner != C or not _layered(variable, z):
            return None
        index = fresh_index(variable, sp.Symbol("j", integer=True, positive=True))
        layer, unit = variable.layer, variable.units[0]
        return sp.Sum(_d(a[layer, index], z[layer, unit]) * _d(C, a[layer, index]), (index, 1, n[layer]))

    return on_derivatives(visit)(expr)


def next_layer_chain_rule(expr, classes=None):
    """∂C/∂z^l_j = Σ_k ∂C/∂z^(l+1)_k · ∂z^(l+1)_k/∂z^l_j   (l < L: C depends on z^l only through z^(l+1))"""

    def visit(inner, variable):
        if inner != C or not _layered(variable, z):
            return None
        index = fresh_index(variable, sp.Symbol("k", integer=True, positive=True))
        up = variable.layer + 1
        return sp.Sum(_d(C, z[up, index]) * _d(z[up, index], variable), (index, 1, n[up]))

    return on_derivatives(visit)(expr)


def parameter_chain_rule(expr, classes=None):
    """∂C/∂θ = Σ_i ∂C/∂z^l_i · ∂z^l_i/∂θ   for θ = w^l_jk or b^l_j (they reach C only through z^l)"""

    def visit(inner, variable):
        if inner != C or not _layered(variable, w, b):
            return None
        index = fresh_index(variable, sp.Symbol("i", integer=True, positive=True))
        layer = variable.layer
        return sp.Sum(_d(C, z[layer, index]) * _d(z[layer, index], variable), (index, 1, n[layer]))

    return on_derivatives(visit)(expr)


# ---------------------------------------------------------------------------------- local derivatives
_linearity = linearity_for(depends)  # the core's sum rule, with the layers' notion of dependence


def _same_quantity(inner, variable):
    """∂x^l_u/∂x^l_v = δ_vu for each unit index:  ∂w^l_ip/∂w^l_jk = δ_ji δ_kp,  ∂b^l_i/∂b^l_j = δ_ji"""
    if _layered(inner) and _layered(variable) and inner.base == variable.base and inner.layer == variable.layer:
        return sp.Mul(*[sp.KroneckerDelta(v, u) for v, u in zip(variable.units, inner.units)])
    return None


def _softmax_jacobian(inner, variable):
    """∂a^L_j/∂z^L_i = a^L_j (δ_ij − a^L_i)   (softmax output layer; derivation softmax-jacobian)"""
    if _layered(inner, a) and _layered(variable, z) and inner.layer == variable.layer:
        layer, (i_,), (j_,) = inner.layer, variable.units, inner.units
        return a[layer, j_] * (sp.KroneckerDelta(i_, j_) - a[layer, i_])
    return None


# ------------------------------------------------------------------- the activations of the table, as rules
def indicators(expr: sp.Expr) -> sp.Expr:
    """Piecewise((e1, c), (e2, True)) -> e1 1[c] + e2 1[not c]: a kink's two branches written as textbooks do."""
    def split(node):
        pieces = node.args
        if len(pieces) != 2 or pieces[1].cond != sp.true:
            return node
        (first, condition), (second, _) = pieces
        return first * Indicator(condition) + second * Indicator(sp.Not(condition))

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), split)


def derivative_at(activation: str, layer, unit) -> sp.Expr:
    """f'(z^l_u) as the table writes it: in a^l_u (and z^l_u) where it has a form in a, else SymPy's diff in z."""
    return indicators(derivative_form(activation).xreplace({functions.A: a[layer, unit], functions.Z: z[layer, unit]}))


def derivative_form(activation: str) -> sp.Expr:
    entry = functions.activation(activation)
    if entry.derivative_in_a is not None:
        return entry.derivative_in_a.xreplace(entry.values())
    return sp.diff(entry.expr(), functions.Z)


_ACTIVATION_RULES: dict[str, tuple[str, str]] = {}


def activation_rules(activation: str) -> tuple[str, str]:
    """(element-wise rule, derivative rule) of the table's activation, made from its entry on first use:
    ∂a^l_p/∂z^l_j = δ_jp f'(z^l_p), and f'(z^l_j) = its form in a. The sigmoid's keep their historic names."""
    if activation not in _ACTIVATION_RULES:
        f = prime(activation)
        names = ("elementwise-activation", "sigmoid-derivative") if activation == "sigmoid" else (
            f"elementwise-{activation}", f"{activation}-derivative")

        def elementwise(inner, variable):
            if _layered(inner, a) and _layered(variable, z) and inner.layer == variable.layer:
                return sp.KroneckerDelta(variable.units[0], inner.units[0]) * f(z[inner.layer, inner.units[0]])
            return None

        def written_out(expr, classes=None):
            return expr.replace(lambda e: isinstance(e, f) and _layered(e.args[0], z),
                                lambda e: derivative_at(activation, e.args[0].layer, e.args[0].units[0]))

        symbol, form = f.symbol_text()[0], _scalar_text(activation)
        elementwise.__doc__ = f"∂a^l_p/∂z^l_j = δ_jp {symbol}(z^l_p)   (a^l_p = {activation}(z^l_p): z^l_p alone)"
        written_out.__doc__ = f"{symbol}(z^l_j) = {form}   (the table, derive/functions.py)"
        register(Rule(names[0], f"{activation} layer: a^l_p depends on z^l_p alone", REWRITE,
                      on_derivatives(elementwise)))
        register(Rule(names[1], f"{symbol}(z) = {form} (derive/functions.py)", REWRITE, written_out))
        _ACTIVATION_RULES[activation] = names
    return _ACTIVATION_RULES[activation]


def _scalar_text(activation: str) -> str:
    from derive.printing import to_text

    return to_text(indicators(derivative_form(activation)))


# -------------------------------------------------------------------------------------- cost gradients
def _cost_gradient(formula: Callable[[sp.Expr, sp.Expr], sp.Expr]):
    def visit(inner, variable):
        if inner == C and _layered(variable, a):
            return formula(variable, y[variable.units[0]])
        return None

    return visit


def _cross_entropy(inner, variable):
    """∂C/∂a^L_j = −y_j / a^L_j   for C = −Σ_j y_j ln a^L_j"""
    return _cost_gradient(lambda a_, y_: -y_ / a_)(inner, variable)


def _binary_cross_entropy(inner, variable):
    """∂C/∂a^L_j = −y_j / a^L_j + (1 − y_j) / (1 − a^L_j)   for the binary cross-entropy"""
    return _cost_gradient(lambda a_, y_: -y_ / a_ + (1 - y_) / (1 - a_))(inner, variable)


def _quadratic(inner, variable):
    """∂C/∂a^L_j = a^L_j − y_j   for C = ½ Σ_j (a^L_j − y_j)²"""
    return _cost_gradient(lambda a_, y_: a_ - y_)(inner, variable)


def constant_sum(expr, classes=None):
    """Σ_{j=1}^{n} c = n c   for c free of j (label smoothing's ε/K summed over the K classes)"""
    return expr.replace(lambda e: isinstance(e, sp.Sum) and len(e.limits) == 1 and e.limits[0][1] == 1
                        and not e.function.has(e.limits[0][0]), lambda e: e.limits[0][2] * e.function)


# ------------------------------------------------------------------------------------- the L2 penalty
def _penalty_definition(inner, variable):
    """∂C_λ/∂w^l_jk = ∂C/∂w^l_jk + (λ/2) ∂‖W^l‖²/∂w^l_jk   (C_λ = C + (λ/2) Σ_t ‖W^t‖²: of the penalty only
    ‖W^l‖² contains w^l)"""
    if inner != CL or not _layered(variable, w):
        return None
    return _d(C, variable) + LAMBDA / 2 * _d(SquaredNorm(variable.layer), variable)


def _penalty_gradient(inner, variable):
    """∂‖W^l‖²/∂w^l_jk = 2 w^l_jk   (‖W^l‖² = Σ_p Σ_q (w^l_pq)²: one term has w^l_jk)"""
    if isinstance(inner, SquaredNorm) and _layered(variable, w) and inner.args[0] == variable.layer:
        return 2 * variable
    return None


penalty_definition, penalty_gradient = on_derivatives(_penalty_definition), on_derivatives(_penalty_gradient)


COST_GRADIENT_RULES = {"cross-entropy": "cross-entropy-gradient",
                       "binary-cross-entropy": "binary-cross-entropy-gradient", "quadratic": "quadratic-cost-gradient"}


def gradient_at(cost: str, a_: sp.Expr, y_: sp.Expr, classes: sp.Expr) -> sp.Expr:
    """∂c/∂a at (a_, y_) as the table writes it (defaults of the parameters, K = classes); a kink stays a
    Piecewise, its branches made indicators by the assumption step cost-kink-convention."""
    entry = functions.cost(cost)
    return entry.grad().xreplace({functions.A: a_, functions.Y: y_, functions.KK: classes})


def cost_kink_convention(expr, classes=None):
    """Piecewise((g₁, c), (g₂, True)) = g₁ 1[c] + g₂ 1[not c]   (at the kink itself the first branch's condition
    holds: Huber's |a − y| ≤ δ takes the quadratic branch there)"""
    return indicators(expr)


def cost_gradient_rule(cost: str) -> str:
    """The rule ∂C/∂a^L_j = ∂c/∂a(a^L_j, y_j) of the table's cost, made from its entry on first use (the three
    historic costs keep their hand-written rules and names)."""
    if cost not in COST_GRADIENT_RULES:
        entry = functions.cost(cost)

        def visit(inner, variable):
            if inner == C and _layered(variable, a):
                return gradient_at(cost, variable, y[variable.units[0]], n[variable.layer])
            return None

        from derive.printing import to_text

        visit.__doc__ = (f"∂C/∂a^L_j = {to_text(gradient_at(cost, a[L, j], y[j], n[L]))}"
                         f"   for {entry.notation} (the table, derive/functions.py)")
        name = f"{cost}-gradient"
        register(Rule(name, f"gradient of the {entry.title} cost (derive/functions.py)", REWRITE,
                      on_derivatives(visit)))
        COST_GRADIENT_RULES[cost] = name
    return COST_GRADIENT_RULES[cost]

linearity, same_quantity = on_derivatives(_linearity), on_derivatives(_same_quantity)
softmax_jacobian = on_derivatives(_softmax_jacobian)
cross_entropy_gradient, quadratic_gradient = on_derivatives(_cross_entropy), on_derivatives(_quadratic)
binary_cross_entropy_gradient = on_derivatives(_binary_cross_entropy)

_TABLE = [
    # name                          title                                                      rewrite
    ("layer-delta-definition",      "definition of δ^l",                                       layer_delta_definition),
    ("layer-delta-fold",            "definition of δ^l, read right to left",                   layer_delta_fold),
    ("preactivation-definition",    "definition of z^l (weighted input)",                      preactivation_definition),
    ("activation-chain-rule",       "chain rule through a^L",                                  activation_chain_rule),
    ("next-layer-chain-rule",       "chain rule through z^(l+1)",                              next_layer_chain_rule),
    ("parameter-chain-rule",        "chain rule through z^l",                                  parameter_chain_rule),
    ("layer-linearity",             "linearity of ∂ (what does not depend on x has ∂/∂x = 0)", linearity),
    ("layer-kronecker",             "Kronecker delta: ∂w^l_ip/∂w^l_jk, ∂b^l_i/∂b^l_j",          same_quantity),
    ("output-softmax-jacobian",     "softmax Jacobian (derivation softmax-jacobian)",          softmax_jacobian),
    ("cross-entropy-gradient",      "gradient of the cross-entropy cost",                      cross_entropy_gradient),
    ("binary-cross-entropy-gradient", "gradient of the binary cross-entropy cost",            binary_cross_entropy_gradient),
    ("quadratic-cost-gradient",     "gradient of the quadratic cost",                          quadratic_gradient),
    ("constant-sum",                "a sum of a constant",                                     constant_sum),
    ("cost-kink-convention",        "convention at the cost's kink",                           cost_kink_convention),
    ("penalty-definition",          "definition of C_λ (L2 weight decay)",                     penalty_definition),
    ("penalty-gradient",            "gradient of ‖W^l‖² (power rule, one term survives)",      penalty_gradient),
]
for _name, _title, _fn in _TABLE:
    register(Rule(_name, _title, ASSUMPTION if _name == "cost-kink-convention" else REWRITE, _fn))
activation_rules("sigmoid")  # used by BP1's sigmoid output and by the default hidden layers
for _name, _title, _kind in [
    ("bp1", "BP1: the error of the output layer", CLAIM),
    ("bp2", "BP2: the error carried back through a hidden layer", CLAIM),
    ("bp3", "BP3: the gradient of the biases", CLAIM),
    ("bp4", "BP4: the gradient of the weights", CLAIM),
    ("matrix-form", "matrix form (shapes stated)", MATRIX),
    ("batch-form", "mini-batch form: the mean cost over m examples", MATRIX),
    ("collect", "BP1–BP4 together", COLLECT),
]:
    register(Rule(_name, _title, _kind))
for _cost in functions.COSTS:  # every cost of the table has its gradient rule from the start (steps name them)
    cost_gradient_rule(_cost)
