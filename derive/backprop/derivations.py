"""BP1-BP4 derived step by step for a network of any depth and layer sizes, each in index and matrix form."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import sympy as sp

from derive.backprop.notation import (
    CL, EQUIVALENT, LAMBDA, NEW_CLAIM, C, ElementwiseOf, Had, L, Ones, Statement, Tr, a, b, delta, i, j, k, l, m, matrix, n, prime,
    w, y, z,
)
from derive.backprop.rules import COST_GRADIENT_RULES, activation_rules, cost_gradient_rule, derivative_at, gradient_at, indicators  # importing registers them
from derive import functions
from derive.errors import UsageError, counted
from derive.rules import ALGEBRA, rule
from derive.steps import NOT_EQUAL, Derivation, Step

__all__ = ["OUTPUTS", "COSTS", "ROUTES", "MAX_PARAMETERS", "bp1", "bp2", "bp3", "bp4", "backprop", "network_cost", "validate",
           "Equation", "equations", "hidden_activation", "layer_activations", "activation_of", "bp2_label",
           "equation_label"]

# BP1 has a route for every output/cost pair of the table (derive.functions): five with hand-written endings, the
# others by the general route δ^L = J^T ∇_a C read from the entries (_general_ending).
ROUTES = {(o, functions.resolve_cost(o, c)) for o in functions.OUTPUTS for c in functions.COSTS}
OUTPUTS = tuple(functions.OUTPUTS)
COSTS = tuple(functions.COSTS)  # the names the options take (sigmoid + cross-entropy is the binary one)
# The numeric check holds the network and a batch of 16 in memory several times over; this bounds it.
MAX_PARAMETERS = 5_000_000
_CLAIMS = ("bp1", "bp2", "bp3", "bp4")


def _vector(kind: str, layer) -> sp.MatrixExpr:
    """δ^l, a^l, y, ∇_a C, σ'(z^l): a column of n_l entries."""
    return matrix(kind, layer, n[layer])


_A_MINUS_Y = Statement(_vector("delta", L), sp.MatAdd(_vector("a", L), -_vector("y", L)))


class _Chain:
    """Records steps: `apply` a rewrite rule, `write` an algebra step, `aside` a remark, `claim` a new equation."""

    def __init__(self, lhs: sp.Expr):
        self.expr, self.steps = lhs, []

    def apply(self, name: str, note: str) -> "_Chain":
        new = rule(name).apply(self.expr, None)
        if new == self.expr:
            raise AssertionError(f"rule {name} does not change {self.expr}")
        self.expr = new
        self.steps.append(Step(name, new, note))
        return self

    def write(self, name: str, expr: sp.Expr, note: str) -> "_Chain":
        if rule(name).kind != ALGEBRA:
            raise ValueError(f"{name} is not an algebra rule: apply it, do not write its result")
        self.expr = expr
        self.steps.append(Step(name, expr, note))
        return self

    def aside(self, name: str, expr: sp.Expr, note: str, relation: str = EQUIVALENT) -> "_Chain":
        self.steps.append(Step(name, expr, note, relation=relation, aside=True))
        return self

    def claim(self, name: str, lhs: sp.Expr, note: str) -> "_Chain":
        self.expr = lhs
        self.steps.append(Step(name, lhs, note, relation=NEW_CLAIM))
        return self


# ------------------------------------------------------------------------------------------------- BP1
def _bp1_chain(chain: _Chain, output: str, cost: str) -> _Chain:
    """δ^L_i from its definition, through the general form J^T ∇_a C, to the closed form for (output, cost)."""
    chain.apply("layer-delta-definition", "the error of output unit i: how fast the cost changes with its weighted "
                                          "input z^L_i")
    general_note = ("every a^L_j depends on every z^L_i (softmax normalizes over all units): keep the whole Jacobian"
                    if output == "softmax" else f"the general form; a {output} a^L_j depends on z^L_j alone, so only "
                                                "j = i will survive")
    chain.apply("activation-chain-rule", general_note)
    general = Statement(_vector("delta", L), sp.MatMul(Tr(matrix("J", L, n[L], n[L])), _vector("grad", L)))
    chain.aside("matrix-form", general,
                "the general form δ^L = J^T ∇_a C, J = ∂a^L/∂z^L (n_L × n_L, entry (j, i) = ∂a^L_j/∂z^L_i), "
                "∇_a C = ∂C/∂a^L (n_L × 1)")
    elementwise = sp.Derivative(a[L, i], z[L, i]) * sp.Derivative(C, a[L, i])
    if output == "softmax":
        chain.aside("counterexample", elementwise,
                    "the element-wise form ∇_a C ⊙ σ'(z^L) keeps only the j = i term; softmax also has the "
                    "off-diagonal terms ∂a^L_j/∂z^L_i = −a^L_j a^L_i ≠ 0", relation=NOT_EQUAL)
        chain.apply("output-softmax-jacobian", "∂a^L_j/∂z^L_i = a^L_j (δ_ij − a^L_i), the softmax Jacobian")
    else:
        activation = functions.output(output).activation
        elementwise, written_out = activation_rules(activation)
        f = prime(activation).symbol_text()[0]
        chain.apply(elementwise, f"∂a^L_j/∂z^L_i = δ_ij {f}(z^L_j): the Jacobian is diagonal")
        chain.apply("kronecker-contraction", f"only the j = i term survives: the element-wise form ∇_a C ⊙ {f}(z^L) "
                                             f"is right for a {output} output")
        chain.apply(written_out, f"{f}(z^L_i) = {_text(derivative_at(activation, L, i))}")
    chain_cost = _cost_name(output, cost)
    ending = getattr(_BP1_ENDINGS, chain_cost.replace("-", "_") + "_" + output, None)
    ending(chain) if ending else _general_ending(chain, output, chain_cost)
    if output == "softmax":
        diagonal = rule("output-softmax-jacobian").apply(elementwise, None)
        wrong = rule(COST_GRADIENT_RULES[chain_cost]).apply(diagonal, None)
        consequence = ("zero for every wrong class (y_i = 0): only the true class's z^L is pushed (up), wrong classes "
                       "are never pushed down, and the output biases drift toward the labels seen last — \"my network "
                       "always predicts the last label\"" if chain_cost == "cross-entropy" else
                       "the quadratic cost's formula with only the diagonal of the softmax Jacobian")
        chain.aside("counterexample", wrong, f"the element-wise form above, by the same two rules, is {_text(wrong)}: "
                                             f"{consequence}", relation=NOT_EQUAL)
    return chain


def _text(expr) -> str:
    from derive.printing import to_text

    return to_text(expr)


class _BP1_ENDINGS:
    """From Σ_j (Jacobian) ∂C/∂a^L_j, or σ'-times-gradient, to the closed form; each ends with its matrix form."""

    @staticmethod
    def cross_entropy_softmax(chain):
        chain.apply("cross-entropy-gradient", "∂C/∂a^L_j = −y_j / a^L_j; a^L_j cancels")
        chain.apply("sum-linearity", "split the sum: Σ_j y_j δ_ij and a^L_i Σ_j y_j")
        chain.apply("kronecker-contraction", "only the j = i term of Σ_j y_j δ_ij survives: y_i")
        chain.apply("one-hot", "y is one-hot (any target that sums to 1 will do): Σ_j y_j = 1")
        chain.aside("matrix-form", _A_MINUS_Y, "δ^L, a^L and y are n_L × 1")

    @staticmethod
    def quadratic_softmax(chain):
        chain.apply("quadratic-cost-gradient", "∂C/∂a^L_j = a^L_j − y_j")
        chain.apply("sum-linearity", "expand and split the sum")
        chain.apply("kronecker-contraction", "the j = i terms of the sums with δ_ij survive")
        s_aa = sp.Sum(a[L, j] ** 2, (j, 1, n[L]))
        s_ay = sp.Sum(a[L, j] * y[j], (j, 1, n[L]))
        chain.write("factor", a[L, i] * (a[L, i] - y[i] - s_aa + s_ay), "take out a^L_i: nothing cancels, σ' and the "
                                                                         "off-diagonal terms stay")
        aL = _vector("a", L)
        residual = sp.MatAdd(aL, -_vector("y", L))
        jacobian_times = sp.MatAdd(residual, sp.MatMul(-1, Ones(n[L], 1), Tr(aL), residual))
        chain.aside("matrix-form", Statement(_vector("delta", L), Had(aL, jacobian_times)),
                    "a^L ⊙ (a^L − y − ((a^L)^T (a^L − y)) 1), all n_L × 1; (a^L)^T (a^L − y) is a number")

    @staticmethod
    def binary_cross_entropy_sigmoid(chain):
        chain.apply("binary-cross-entropy-gradient", "∂C/∂a^L_i = −y_i / a^L_i + (1 − y_i) / (1 − a^L_i)")
        chain.write("expand", -y[i] * (1 - a[L, i]) + (1 - y[i]) * a[L, i],
                    "σ' = a^L_i (1 − a^L_i) cancels both denominators")
        chain.write("expand", a[L, i] - y[i], "multiply out: −y_i + a^L_i y_i + a^L_i − a^L_i y_i")
        chain.aside("matrix-form", _A_MINUS_Y, "δ^L, a^L and y are n_L × 1; no one-hot assumption: any targets "
                                               "0 ≤ y_i ≤ 1")

    @staticmethod
    def quadratic_identity(chain):
        chain.apply("quadratic-cost-gradient", "∂C/∂a^L_i = a^L_i − y_i: the identity's derivative 1 leaves it as it is")
        chain.aside("matrix-form", _A_MINUS_Y, "δ^L, a^L and y are n_L × 1: linear regression's error")

    @staticmethod
    def quadratic_sigmoid(chain):
        chain.apply("quadratic-cost-gradient", "∂C/∂a^L_i = a^L_i − y_i: σ' does not cancel")
        aL = _vector("a", L)
        chain.aside("matrix-form", Statement(_vector("delta", L), Had(sp.MatAdd(aL, -_vector("y", L)), aL,
                                                                      sp.MatAdd(Ones(n[L], 1), -aL))),
                    "δ^L = (a^L − y) ⊙ σ'(z^L), all n_L × 1: learning slows where the output saturates")


def _general_ending(chain: _Chain, output: str, cost: str) -> None:
    """Any output/cost pair of the table: the cost's gradient from its entry, then (softmax) the Jacobian's sums
    contracted, and the pair's cancellation (functions.pair) stated; the matrix form δ^L = J^T ∇_a C written out."""
    pair = functions.pair(output, cost)
    gradient = gradient_at(cost, a[L, i], y[i], n[L])
    entry = functions.cost(cost)
    chain.apply(cost_gradient_rule(cost), f"∂C/∂a^L_i = {_text(gradient)} (the table's {entry.title})")
    if entry.kinks:
        chain.apply("cost-kink-convention", f"assumed: the kink {entry.kinks[0]}; at it the first branch is taken "
                                            "(both give the same value there, so δ^L does not depend on the choice)")
    if output == "softmax":
        chain.apply("sum-linearity", "split the sum over j")
        chain.apply("kronecker-contraction", "only the j = i terms of the sums with δ_ij survive")
        if pair.cancels:
            _smoothed_sum(chain, pair)
    cancellation = ("the output derivative cancels the cost's denominator: δ^L = a^L − t for the target t = "
                    f"{_text(_target(pair))}" if pair.cancels else f"nothing cancels: {pair.remains}")
    chain.aside("matrix-form", Statement(_vector("delta", L), _general_matrix(output, cost, pair)),
                f"{cancellation}; δ^L, a^L and y are n_L × 1")


def _target(pair) -> sp.Expr:
    return sp.expand((functions.A - pair.delta).xreplace({functions.KK: n[L]}))


def _smoothed_sum(chain: _Chain, pair) -> None:
    """Σ_j of the smoothed target is 1 when Σ_j y_j = 1: the constant ε/K summed K times is ε."""
    chain.apply("one-hot", "y sums to 1 (one-hot, or any distribution): Σ_j y_j = 1")
    chain.apply("constant-sum", "Σ_j ε/K = K · ε/K = ε, so Σ_j t_j = (1 − ε) + ε = 1")
    closed = pair.delta.xreplace({functions.A: a[L, i], functions.Y: y[i], functions.KK: n[L]})
    chain.write("expand", closed, "a^L_i Σ_j t_j = a^L_i: δ^L_i = a^L_i − t_i, the softmax derivative cancelled")


def _general_matrix(output: str, cost: str, pair) -> sp.MatrixExpr:
    """δ^L in matrix form: a^L − t when the output derivative cancels; the element-wise product; or, for softmax,
    a^L ⊙ (g − (a^L)^T g 1) with g = ∇_a C written entry by entry."""
    if pair.cancels:  # a^L − t, the target t entry by entry
        return sp.MatAdd(_vector("a", L), sp.MatMul(-1, ElementwiseOf(_target(pair), L, n[L], 1)))
    g = ElementwiseOf(indicators(gradient_at(cost, functions.A, functions.Y, n[L])), L, n[L], 1)
    if output == "identity":
        return g
    if output != "softmax":
        return Had(g, ElementwiseOf(_scalar_form(functions.output(output).activation), L, n[L], 1))
    aL = _vector("a", L)
    return Had(aL, sp.MatAdd(g, sp.MatMul(-1, Ones(n[L], 1), Tr(aL), g)))


def _cost_name(output: str, cost: str) -> str:
    """With a sigmoid output, cross-entropy means the binary cross-entropy."""
    return functions.resolve_cost(output, cost)


# ------------------------------------------------------------------------------------------ BP2 to BP4
def _bp2_chain(chain: _Chain, activation: str = "sigmoid") -> _Chain:
    elementwise, written_out = activation_rules(activation)
    f = prime(activation).symbol_text()[0]
    chain.apply("layer-delta-definition", "the error of unit j of a hidden layer l < L")
    chain.apply("next-layer-chain-rule", "z^l reaches the cost only through the n_(l+1) weighted inputs of the next "
                                         f"layer: a^l = {activation}(z^l) feeds z^(l+1) = W^(l+1) a^l + b^(l+1)")
    chain.apply("layer-delta-fold", "∂C/∂z^(l+1)_k is δ^(l+1)_k, known from the layer above")
    chain.apply("preactivation-definition", "z^(l+1)_k = Σ_p w^(l+1)_kp a^l_p + b^(l+1)_k")
    chain.apply("layer-linearity", "the weights w^(l+1) and the bias b^(l+1)_k do not depend on z^l")
    chain.apply(elementwise, f"a^l_p = {activation}(z^l_p) depends on z^l_p alone: ∂a^l_p/∂z^l_j = δ_jp {f}(z^l_p)")
    chain.apply("kronecker-contraction", f"only the p = j term survives: w^(l+1)_kj {f}(z^l_j)")
    chain.apply("sum-linearity", f"{f}(z^l_j) does not depend on k: take it out of the sum")
    back = sp.MatMul(Tr(matrix("W", l + 1, n[l + 1], n[l])), _vector("delta", l + 1))
    chain.aside("matrix-form", Statement(_vector("delta", l), Had(back, _vector(f"prime:{activation}", l))),
                f"W^(l+1) is n_(l+1) × n_l, δ^(l+1) is n_(l+1) × 1: (W^(l+1))^T δ^(l+1) and {f}(z^l) are n_l × 1")
    form = _text(derivative_at(activation, l, j))
    entry = functions.activation(activation)
    chain.apply(written_out, f"{f}(z^l_j) = {form}" + (f"; {entry.convention}" if entry.convention else ""))
    A_, back_batch = matrix("A", l, n[l], m), sp.MatMul(Tr(matrix("W", l + 1, n[l + 1], n[l])),
                                                       matrix("Delta", l + 1, n[l + 1], m))
    if activation == "sigmoid":
        al = _vector("a", l)
        column, batch = Had(back, al, sp.MatAdd(Ones(n[l], 1), -al)), Had(back_batch, A_, sp.MatAdd(Ones(n[l], m), -A_))
    else:
        scalar = _scalar_form(activation)
        column = Had(back, ElementwiseOf(scalar, l, n[l], 1))
        batch = Had(back_batch, ElementwiseOf(scalar, l, n[l], m, batch=True))
    chain.aside("matrix-form", Statement(_vector("delta", l), column), f"with {f}(z^l) = {_text(column.args[-1]) if activation != 'sigmoid' else 'a^l ⊙ (1 − a^l)'}, element-wise")
    chain.aside("batch-form", Statement(matrix("Delta", l, n[l], m), batch),
                "for a mini-batch the m columns of Δ^l (n_l × m) and A^l are the examples: the same equation, "
                "column by column")
    return chain


def _scalar_form(activation: str) -> sp.Expr:
    """f'(z) in the table's scalar a and z, kinks as indicators."""
    from derive.backprop.rules import derivative_form, indicators

    return indicators(derivative_form(activation))


def _parameter_chain(chain: _Chain) -> _Chain:
    chain.apply("parameter-chain-rule", "the weights and biases of layer l reach the cost only through z^l")
    chain.apply("layer-delta-fold", "∂C/∂z^l_i is δ^l_i")
    chain.apply("preactivation-definition", "z^l_i = Σ_p w^l_ip a^(l−1)_p + b^l_i")
    return chain


def _bp3_chain(chain: _Chain) -> _Chain:
    _parameter_chain(chain)
    chain.apply("layer-linearity", "the weights and the inputs a^(l−1) do not depend on b^l")
    chain.apply("layer-kronecker", "∂b^l_i/∂b^l_j = δ_ji")
    chain.apply("kronecker-contraction", "only the i = j term survives")
    chain.aside("matrix-form", Statement(sp.Derivative(C, matrix("b", l, n[l])), matrix("delta", l, n[l])),
                "∂C/∂b^l and δ^l are n_l × 1")
    chain.aside("batch-form", Statement(sp.Derivative(C, matrix("b", l, n[l])),
                                        sp.MatMul(1 / m, matrix("Delta", l, n[l], m), Ones(m, 1))),
                "for the mean cost C = (1/m) Σ_x C_x of m examples: (1/m) Σ_x δ^(l,x), the row sums of Δ^l "
                "(n_l × m) times 1/m")
    return chain


def _bp4_chain(chain: _Chain, decay: bool = False) -> _Chain:
    if decay:
        chain.apply("penalty-definition", "C_λ = C + (λ/2) Σ_t ‖W^t‖²: only the layer-l term contains w^l_jk")
        chain.apply("penalty-gradient", "‖W^l‖² = Σ_p Σ_q (w^l_pq)²: of its terms only (w^l_jk)² has w^l_jk")
    _parameter_chain(chain)
    chain.apply("layer-linearity", "the inputs a^(l−1) and the biases do not depend on w^l")
    chain.apply("layer-kronecker", "∂w^l_ip/∂w^l_jk = δ_ji δ_kp")
    chain.apply("kronecker-contraction", "only i = j and p = k survive")
    cost, W_ = (CL if decay else C), matrix("W", l, n[l], n[l - 1])
    single = sp.MatMul(matrix("delta", l, n[l]), Tr(matrix("a", l - 1, n[l - 1])))
    chain.aside("matrix-form", Statement(sp.Derivative(cost, W_), sp.MatAdd(single, LAMBDA * W_) if decay else single),
                "(n_l × 1)(1 × n_(l−1)): n_l × n_(l−1), the shape of W^l" + (", and λ W^l" if decay else ""))
    outer = sp.MatMul(1 / m, matrix("Delta", l, n[l], m), Tr(matrix("A", l - 1, n[l - 1], m)))
    outer = sp.MatAdd(outer, LAMBDA * W_) if decay else outer
    chain.aside("batch-form", Statement(sp.Derivative(cost, W_), outer),
                "for the mean cost C = (1/m) Σ_x C_x of m examples: (1/m) Σ_x δ^(l,x) (a^(l−1,x))^T; Δ^l is "
                "n_l × m, A^(l−1) is n_(l−1) × m, the product sums over the batch")
    return chain


_LHS = {
    "bp1": delta[L, i],
    "bp2": delta[l, j],
    "bp3": sp.Derivative(C, b[l, j]),
    "bp4": sp.Derivative(C, w[l, j, k]),
}
_TITLES = {
    "bp1": "BP1: the error of the output layer, δ^L = {}",
    "bp2": "BP2: δ^l = ((W^(l+1))^T δ^(l+1)) ⊙ σ'(z^l), σ'(z^l) = a^l (1 − a^l)",
    "bp3": "BP3: ∂C/∂b^l_j = δ^l_j",
    "bp4": "BP4: ∂C/∂w^l_jk = a^(l−1)_k δ^l_j",
}
_BP1_RESULT_TEXT = {("softmax", "cross-entropy"): "a^L − y", ("softmax", "quadratic"): "J^T (a^L − y)",
                    ("sigmoid", "binary-cross-entropy"): "a^L − y",
                    ("sigmoid", "quadratic"): "(a^L − y) ⊙ a^L ⊙ (1 − a^L)", ("identity", "quadratic"): "a^L − y"}


def _bp1_result_text(output: str, cost: str) -> str:
    """The closed form BP1 reaches for the pair, as the title shows it."""
    if (output, cost) in _BP1_RESULT_TEXT:
        return _BP1_RESULT_TEXT[(output, cost)]
    pair = functions.pair(output, cost)
    if pair.cancels:
        return "a^L − t, t = " + _text(_target(pair))
    if output in ("softmax", "identity"):
        return "J^T ∇_a C" if output == "softmax" else "∇_a C"
    return f"∇_a C ⊙ {prime(functions.output(output).activation).symbol_text()[0]}(z^L)"


_CLAIM_NOTES = {
    "bp1": "to derive: the error of the output layer, from the cost and the output activation",
    "bp2": "to derive: the error of a hidden layer l < L, from the error of the layer above",
    "bp3": "to derive: the gradient of a bias, from the error of its layer",
    "bp4": "to derive: the gradient of a weight, from the error of its layer and the activation it multiplies",
}


def _chain_for(id_: str, chain: _Chain, output: str, cost: str, activation: str, decay: bool = False) -> _Chain:
    return {"bp1": lambda: _bp1_chain(chain, output, cost), "bp2": lambda: _bp2_chain(chain, activation),
            "bp3": lambda: _bp3_chain(chain), "bp4": lambda: _bp4_chain(chain, decay)}[id_]()


def _lhs(part: str, decay) -> sp.Expr:
    return sp.Derivative(CL, w[l, j, k]) if part == "bp4" and decay is not None else _LHS[part]


def _bp2_title(activation: str) -> str:
    f = prime(activation).symbol_text()[0]
    return f"BP2: δ^l = ((W^(l+1))^T δ^(l+1)) ⊙ {f}(z^l), {f}(z^l) = " + (
        "a^l (1 − a^l)" if activation == "sigmoid" else _text(ElementwiseOf(_scalar_form(activation), l, n[l], 1)))


# ------------------------------------------------------------------------------------- hidden activations
def hidden_activation(text: str) -> str:
    """The table id of a hidden activation: a name of the table, or a user's expression in z (parsed by the
    expression language, made a table entry and registered); a UsageError (one line) otherwise."""
    name = str(text).strip()
    if name in functions.ACTIVATIONS:
        return name
    from derive.expressions import looks_like_expression, parse_expression

    if not looks_like_expression(name):
        raise UsageError(f"unknown hidden activation {name!r}; choose one of: {', '.join(functions.ACTIVATIONS)}, "
                         "or an expression in z such as 'log(1 + exp(z))'")
    definition = parse_expression(name, variables=("z",))
    if not definition.has(functions.Z):
        raise UsageError(f"the hidden activation {name!r} does not depend on z")
    same = [entry.id for entry in functions.ACTIVATIONS.values() if entry.expr() == definition]
    if same:  # the table's own entry (its stable form, its derivative in a), never a second copy of it
        return same[0]
    # numpy="": code generation prints the definition itself (derive.codegen.activation.numpy_form)
    functions.register(functions.Activation(name, f"a = {name}", name, definition=definition, numpy="",
                                            kinks=_kinks(definition)))
    return name


def _kinks(definition: sp.Expr) -> tuple[float, ...]:
    """0 where the expression passes through |z|, max, min or a sign: the only kinks the language can write."""
    return (0.0,) if definition.has(sp.Abs, sp.Max, sp.Min, sp.sign, sp.Heaviside, sp.Piecewise) else ()


def cost_of(text: str) -> str:
    """The table id of a cost: a name of the table, or a user's cost per output unit in a and y (parsed by the
    expression language, made a table entry and registered); a UsageError (one line) otherwise."""
    name = str(text).strip()
    if name in functions.COSTS:
        return name
    from derive.expressions import looks_like_expression, parse_expression

    if not looks_like_expression(name, variables=("a", "y")):
        raise UsageError(f"unknown cost {name!r}; choose one of: {', '.join(functions.COSTS)}, or an expression in "
                         "a and y such as '(a - y)^2/2'")
    per_unit = parse_expression(name, variables=(functions.A, functions.Y))
    if not per_unit.has(functions.A):
        raise UsageError(f"the cost {name!r} does not depend on a")
    same = [entry.id for entry in functions.COSTS.values() if entry.expr() == per_unit]
    if same:  # the table's own entry, never a second copy of it
        return same[0]
    functions.register(functions.cost_from_expression(name, per_unit))
    return name


def layer_activations(hidden: tuple[str, ...], depth: int) -> tuple[str, ...]:
    """The activation of each hidden layer 1..depth−1: one for all of them, or one per layer."""
    return tuple(hidden) * (depth - 1) if len(hidden) == 1 else tuple(hidden)


def _distinct(hidden: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(hidden))


# ----------------------------------------------------------------------------------------- the network
def network_cost(output: str, cost: str) -> sp.Expr:
    """The cost C of one example in terms of a^L and y (what is differentiated)."""
    return functions.cost(_cost_name(output, cost)).summed(a[L, j], y[j], (j, 1, n[L]), n[L])


def _hidden_assumption(hidden: tuple[str, ...]) -> str:
    if len(hidden) == 1:
        return f"hidden layers l < L are {hidden[0]}: a^l = {hidden[0]}(z^l), element-wise"
    layers = ", ".join(f"layer {t}: {name}" for t, name in enumerate(hidden, start=1))
    return f"L = {len(hidden) + 1}; the hidden layers are element-wise, {layers}"


def _assumptions(ids, output: str, cost: str, sizes, hidden=("sigmoid",), decay=None) -> tuple[str, ...]:
    cost = _cost_name(output, cost)
    found = ["z^l = W^l a^(l−1) + b^l for l = 1..L, a^0 = x; W^l is n_l × n_(l−1)", _hidden_assumption(hidden)]
    for name in _distinct(hidden):
        convention = functions.activation(name).convention
        if convention and "bp2" in ids:
            found.append(f"{name}: {convention}")
    if "bp1" in ids:
        found.append("output layer: " + ("softmax, a^L_j = e^(z^L_j) / Σ_k e^(z^L_k)" if output == "softmax"
                                         else "sigmoid, a^L = σ(z^L)" if output == "sigmoid" else
                                         f"{output}, a^L = {output}(z^L)"))
        entry = functions.cost(cost)
        found.append(f"{entry.notation.replace('a_j', 'a^L_j')} ({entry.title})"
                     + (", y one-hot" if cost == "cross-entropy" else ""))
    found.append("C is the cost of one example; the mini-batch forms use the mean cost C = (1/m) Σ_x C_x")
    if decay is not None and "bp4" in ids:
        found.append(f"L2 weight decay λ = {decay:g}: BP4 is the gradient of C_λ = C + (λ/2) Σ_l ‖W^l‖² (Frobenius "
                     "norms); δ, BP1–BP3 are unchanged (the penalty has neither z nor b)")
    if sizes is not None:
        shapes = ", ".join(f"W^{layer} is {sizes[layer]}×{sizes[layer - 1]}" for layer in range(1, len(sizes)))
        found.append(f"sizes {'-'.join(map(str, sizes))}: L = {len(sizes) - 1}, {shapes}")
    return tuple(found)


def validate(sizes, output, cost, needs_hidden: bool = False, hidden=None, weight_decay=None) -> tuple:
    """(sizes, output, cost, hidden, weight decay) with defaults filled in; a UsageError (one line) for anything
    unusable."""
    if weight_decay is not None:
        if isinstance(weight_decay, bool) or not isinstance(weight_decay, (int, float)) \
                or not 0 <= weight_decay < float("inf"):
            raise UsageError(f"the weight decay must be a finite number >= 0, got {weight_decay!r}")
        weight_decay = float(weight_decay)
    output = "softmax" if output is None else output
    cost = "cross-entropy" if cost is None else cost
    hidden = ("sigmoid",) if not hidden else (hidden,) if isinstance(hidden, str) else tuple(hidden)
    hidden = tuple(hidden_activation(name) for name in hidden)
    if output not in functions.OUTPUTS:
        raise UsageError(f"unknown output {output!r}; choose one of: {', '.join(functions.OUTPUTS)}")
    cost = cost_of(cost)
    if sizes is not None:
        sizes = tuple(sizes)
        if len(sizes) < 2:
            raise UsageError(f"a network needs at least 2 layer sizes (inputs and outputs), got {len(sizes)}")
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
            raise UsageError(f"layer sizes must be positive integers, got {','.join(map(str, sizes))}")
        if output == "softmax" and sizes[-1] < 2:
            raise UsageError("a softmax output needs at least 2 units (with one, a^L = 1 always)")
        parameters = sum(sizes[t] * (sizes[t - 1] + 1) for t in range(1, len(sizes)))
        if parameters > MAX_PARAMETERS:
            raise UsageError(f"the network {'-'.join(map(str, sizes))} has {parameters:,} parameters; "
                             f"the numeric check takes at most {MAX_PARAMETERS:,}")
        if needs_hidden and len(sizes) < 3:
            raise UsageError(f"bp2 is about hidden layers and sizes {','.join(map(str, sizes))} have none; "
                             "give at least 3 sizes")
        if len(hidden) > 1 and len(hidden) != len(sizes) - 2:
            raise UsageError(f"{counted(len(hidden), '--hidden activation')} for the "
                             f"{counted(len(sizes) - 2, 'hidden layer')} of "
                             f"{','.join(map(str, sizes))}: give one for all of them, or one per hidden layer")
    return sizes, output, cost, hidden, weight_decay


def _derivation(id_: str, ids: tuple[str, ...], sizes, output: str, cost: str, hidden=("sigmoid",),
                decay=None) -> Derivation:
    cost_name = _cost_name(output, cost)
    steps, lhs_parts, results = [], [], []
    parts = [(part, name) for part in ids for name in (_distinct(hidden) if part == "bp2" else (hidden[0],))]
    for part, activation in parts:
        chain = _Chain(_lhs(part, decay))
        if len(parts) > 1:
            note = _CLAIM_NOTES[part] + (f": {bp2_label(hidden, activation)}" if part == "bp2" and len(hidden) > 1
                                         else "")
            chain.claim(part, _lhs(part, decay), note)
        _chain_for(part, chain, output, cost, activation, decay is not None)
        steps += chain.steps
        lhs_parts.append(_lhs(part, decay))
        results.append(next(s.expr for s in reversed(chain.steps) if not s.aside))
    pair = f"{output} output, {cost_name} cost"
    hidden_text = "" if hidden == ("sigmoid",) else f", {' and '.join(_distinct(hidden))} hidden layers"
    hidden_text += "" if decay is None else f", L2 weight decay λ = {decay:g}"
    if len(parts) > 1:
        labels = ", ".join(bp2_label(hidden, name) if part == "bp2" else part.upper() for part, name in parts)
        labelled = len(_distinct(hidden)) > 1  # which BP2 of the claim's tuple is which layer's
        order = f", in order {labels}" if labelled else ""
        steps.append(Step("collect", sp.Tuple(*results), f"the {len(parts)} results above{order}: " + pair + hidden_text))
        lhs = sp.Tuple(*lhs_parts)
        title = f"Backpropagation: {labels} ({pair}{hidden_text})" if labelled else \
            f"Backpropagation, BP1–BP4 ({pair}{hidden_text})"
    elif id_ == "bp2":
        lhs, title = lhs_parts[0], _bp2_title(hidden[0])
    elif id_ == "bp4" and decay is not None:
        lhs, title = lhs_parts[0], f"BP4 with L2 weight decay: ∂C_λ/∂w^l_jk = a^(l−1)_k δ^l_j + λ w^l_jk (λ = {decay:g})"
    else:
        lhs = lhs_parts[0]
        title = _TITLES[id_].format(_bp1_result_text(output, cost_name)) + (f" ({pair})" if id_ == "bp1" else "")
    wrt = {"bp1": z[L, i], "bp2": z[l, j], "bp3": b[l, j], "bp4": w[l, j, k]}.get(id_)
    return Derivation(id_, title, lhs, tuple(steps), assumptions=_assumptions(ids, output, cost, sizes, hidden, decay),
                      classes=None if sizes is None else sizes[-1],
                      definitions={"output": output, "cost": cost_name, "equations": ids, "hidden": hidden,
                                   "weight_decay": decay},
                      wrt=wrt, quantity=network_cost(output, cost), family="backprop", sizes=sizes)


@lru_cache(maxsize=None)
def _cached(id_: str, ids: tuple[str, ...], sizes, output: str, cost: str, hidden=("sigmoid",),
            decay=None) -> Derivation:
    return _derivation(id_, ids, sizes, output, cost, hidden, decay)


def bp1(sizes=None, output=None, cost=None) -> Derivation:
    """δ^L = a^L − y for softmax with cross-entropy, from δ^L = J^T ∇_a C; the other output/cost pairs too."""
    return _cached("bp1", ("bp1",), *validate(sizes, output, cost))


def bp2(sizes=None, hidden=None) -> Derivation:
    """δ^l = ((W^(l+1))^T δ^(l+1)) ⊙ f'(z^l), by the chain rule through z^(l+1), for the table's activation f
    (`hidden`: one id or expression in z for every hidden layer, or one per hidden layer)."""
    return _cached("bp2", ("bp2",), *validate(sizes, None, None, needs_hidden=True, hidden=hidden))


def bp3(sizes=None) -> Derivation:
    """∂C/∂b^l_j = δ^l_j."""
    return _cached("bp3", ("bp3",), *validate(sizes, None, None))


def bp4(sizes=None, weight_decay=None) -> Derivation:
    """∂C/∂w^l_jk = a^(l−1)_k δ^l_j; with L2 weight decay λ, ∂C_λ/∂w^l_jk = a^(l−1)_k δ^l_j + λ w^l_jk."""
    return _cached("bp4", ("bp4",), *validate(sizes, None, None, weight_decay=weight_decay))


def backprop(sizes=None, output=None, cost=None, hidden=None, weight_decay=None) -> Derivation:
    """BP1-BP4 in one derivation, each chain starting from its own left-hand side; BP2 once per distinct hidden
    activation."""
    return _cached("backprop", _CLAIMS, *validate(sizes, output, cost, hidden=hidden, weight_decay=weight_decay))


# --------------------------------------------------------------------------------------------- reading back
class Equation(NamedTuple):
    """One chain of a derivation: bp1..bp4, its left-hand side, its result, and the indices of its steps."""

    name: str
    lhs: sp.Expr
    result: sp.Expr
    positions: tuple[int, ...]


def equations(derivation: Derivation) -> tuple[Equation, ...]:
    """The chains of a backprop-family derivation in order: bp1 alone is one chain; backprop has four, each
    opened by its claim step (the collect step at the end belongs to none)."""
    names = derivation.definitions["equations"]
    if len(names) == 1:
        positions = tuple(range(len(derivation.steps)))
        return (Equation(names[0], derivation.lhs, derivation.result, positions),)
    found, current = [], None
    for position, step in enumerate(derivation.steps):
        if step.relation == NEW_CLAIM:
            current = [step.rule, step.expr, step.expr, [position]]
            found.append(current)
        elif step.rule != "collect" and current is not None:
            current[3].append(position)
            if not step.aside:
                current[2] = step.expr
    return tuple(Equation(name, lhs, result, tuple(positions)) for name, lhs, result, positions in found)


def bp2_label(hidden: tuple[str, ...], activation: str) -> str:
    """BP2 (l = 1, tanh): which hidden layers a BP2 is about, when the layers' activations differ; else BP2."""
    if len(dict.fromkeys(hidden)) < 2:
        return "BP2"
    layers = ", ".join(str(number) for number, name in enumerate(hidden, start=1) if name == activation)
    return f"BP2 (l = {layers}, {activation})"


def equation_label(derivation: Derivation, equation: Equation) -> str:
    """BP1, BP3, BP4; BP2 with its layers and activation where the hidden layers differ (bp2_label)."""
    if equation.name != "bp2":
        return equation.name.upper()
    return bp2_label(tuple(derivation.definitions.get("hidden") or ("sigmoid",)), activation_of(derivation, equation))


def activation_of(derivation: Derivation, equation: Equation) -> str:
    """The hidden activation a BP2 chain is about (the f' its steps name); the first hidden one otherwise."""
    from derive.backprop.notation import ActivationPrime

    if equation.name == "bp2":
        for position in equation.positions:
            for node in sp.preorder_traversal(derivation.steps[position].expr):
                if isinstance(node, ActivationPrime):
                    return node.activation
    return derivation.definitions.get("hidden", ("sigmoid",))[0]
