"""The Q&A's training side: ∂E/∂w_ij = ∂E/∂z_j o_i (BP4 in the Q&A's indices), so the update
w_ij ← w_ij − r ∂E/∂z_j o_i that the question wrote is right, and the mini-batch forms as Hinton's Octave lines.

The Q&A's indices: w_ij joins unit i of the previous layer (output o_i) to output unit j, whose weighted input is
z_j = Σ_i w_ij o_i + b_j; E is any cost of the outputs' weighted inputs. The family "update" has its prover in
derive.derivations.qa_update_proof and its numeric check in checks.update_check.
"""

from __future__ import annotations

import sympy as sp

from derive.notation import E, K, i, j, z
from derive.rules import REWRITE, Rule, bottom_up, kronecker_contraction, register
from derive.steps import Derivation, Step

__all__ = ["gradient_descent_update", "w", "o", "b", "r", "m", "p", "n", "Update", "Octave", "RULES"]

w, o, b = sp.IndexedBase("w"), sp.IndexedBase("o"), sp.IndexedBase("b")
r = sp.Symbol("r", positive=True)  # the learning rate
m, p = sp.symbols("m p", integer=True, positive=True)  # summation indices: output units, previous-layer units
n = sp.Symbol("n", integer=True, positive=True)  # units in the previous layer (K: output units)


class Update(sp.Basic):
    """w_ij ← w_ij − r·g: the gradient-descent step; a statement, not an expression (it has no value)."""

    def _derive_text(self, printer) -> str:
        target, gradient = self.args
        return f"{printer._print(target)} ← {printer._print(target)} − r·{printer._print(gradient)}"

    def _latex(self, printer) -> str:
        target, gradient = self.args
        return rf"{printer._print(target)} \leftarrow {printer._print(target)} - r\, {printer._print(gradient)}"


class Octave(sp.Basic):
    """A line of Hinton's Octave code and the formula it computes, side by side."""

    def _derive_text(self, printer) -> str:
        return f"`{self.args[0].name}`   ≡   {self.args[1].name}"  # between backticks: printed verbatim

    def _mathml_markup(self) -> str:
        from derive.render.mathml import linear_to_mathml

        code = self.args[0].name.replace("&", "&amp;").replace("<", "&lt;")
        return f'<mrow><mtext class="code">{code}</mtext><mo>≡</mo>{linear_to_mathml(self.args[1].name)}</mrow>'

    def _latex(self, printer) -> str:
        return rf"\texttt{{{_tt(self.args[0].name)}}} \quad\equiv\quad {self.args[2].name}"


def _tt(code: str) -> str:
    return code.replace("_", r"\_").replace("'", r"\textquotesingle{}")


def _size(classes):
    return K if classes is None else sp.Integer(classes)


def chain_through_z(expr, classes):
    """∂E/∂w_ij = Σ_m ∂E/∂z_m ∂z_m/∂w_ij   (E depends on the weights only through the z_m)"""
    return expr.replace(lambda e: isinstance(e, sp.Derivative) and e.expr == E and e.variables == (w[i, j],),
                        lambda e: sp.Sum(sp.Derivative(E, z[m]) * sp.Derivative(z[m], w[i, j]), (m, 1, _size(classes))))


def z_definition(expr, classes):
    """z_m = Σ_p w_pm o_p + b_m   (inside ∂/∂w_ij)"""
    return expr.replace(lambda e: isinstance(e, sp.Derivative) and isinstance(e.expr, sp.Indexed) and e.expr.base == z,
                        lambda e: sp.Derivative(sp.Sum(w[p, e.expr.indices[0]] * o[p], (p, 1, n)) + b[e.expr.indices[0]],
                                                *e.variables))


def weight_linearity(expr, classes):
    """∂/∂w_ij (Σ_p w_pm o_p + b_m) = Σ_p o_p ∂w_pm/∂w_ij   (o_p and b_m do not depend on the weights)"""

    def visit(node):
        if not (isinstance(node, sp.Derivative) and node.variables == (w[i, j],) and node.expr.has(sp.Sum)):
            return node
        total = next(term for term in sp.Add.make_args(node.expr) if isinstance(term, sp.Sum))
        weight = next(f for f in sp.Mul.make_args(total.function) if isinstance(f, sp.Indexed) and f.base == w)
        return sp.Sum(total.function / weight * sp.Derivative(weight, w[i, j]), total.limits)

    return bottom_up(expr, visit)


def weight_kronecker(expr, classes):
    """∂w_pm/∂w_ij = δ_ip δ_jm   (each weight is its own variable)"""
    return expr.replace(lambda e: isinstance(e, sp.Derivative) and isinstance(e.expr, sp.Indexed) and e.expr.base == w
                        and e.variables == (w[i, j],),
                        lambda e: sp.KroneckerDelta(i, e.expr.indices[0]) * sp.KroneckerDelta(j, e.expr.indices[1]))


RULES = (Rule("chain-through-z", "chain rule through z", REWRITE, chain_through_z),
         Rule("z-definition", "definition of z (weighted input)", REWRITE, z_definition),
         Rule("weight-linearity", "linearity of ∂ (o_p and b_m do not depend on w)", REWRITE, weight_linearity),
         Rule("weight-kronecker", "Kronecker delta: ∂w_pm/∂w_ij", REWRITE, weight_kronecker),
         Rule("update", "gradient descent with learning rate r", "claim", None),
         Rule("octave", "Hinton's Octave line (mini-batch, examples as columns)", "claim", None))
for _rule in RULES:
    register(_rule)

_OCTAVE = (
    ("error_deriv = output_layer_state - expanded_target_batch;", "∂E/∂Z = O − T",
     r"\frac{\partial E}{\partial Z} = O - T",
     "the columns of O are σ(z) and of T the one-hot targets: ∂E/∂z_j = o_j − t_j for each example"),
    ("hid_to_output_weights_gradient = hidden_layer_state * error_deriv';", "∂E/∂W = H (O − T)^T",
     r"\frac{\partial E}{\partial W} = H\,(O - T)^{T}",
     "entry (i, j) is Σ_x o_i ∂E/∂z_j over the examples x: the factor o_i of each update, summed"),
    ("output_bias_gradient = sum(error_deriv, 2);", "∂E/∂b = (O − T) 1",
     r"\frac{\partial E}{\partial b} = (O - T)\,\mathbf{1}",
     "the row sums of error_deriv: ∂z_j/∂b_j = 1, so the bias gradient is Σ_x ∂E/∂z_j"),
)


def gradient_descent_update(classes: int | None = None) -> Derivation:
    """∂E/∂w_ij = ∂E/∂z_j o_i, then the update w_ij ← w_ij − r ∂E/∂z_j o_i and its Octave mini-batch form."""
    expr, steps = sp.Derivative(E, w[i, j]), []
    for name, note in (("chain-through-z", "the weight w_ij reaches E only through the weighted inputs z_m"),
                       ("z-definition", "z_m = Σ_p w_pm o_p + b_m, w_pm joining unit p of the previous layer to unit m"),
                       ("weight-linearity", "only the weights vary"),
                       ("weight-kronecker", "∂w_pm/∂w_ij is 1 for the weight w_ij itself, else 0"),
                       ("kronecker-contraction", "only the p = i and m = j terms survive: ∂E/∂z_j o_i")):
        rule_of = {rule.name: rule for rule in RULES}.get(name)
        expr = rule_of.apply(expr, classes) if rule_of else kronecker_contraction(expr, classes)
        steps.append(Step(name, expr, note))
    gradient = sp.Derivative(E, z[j]) * o[i]
    steps.append(Step("update", Update(w[i, j], gradient),
                      "BP4 (derivation bp4, ∂C/∂w^l_jk = a^(l−1)_k δ^l_j) in the Q&A's indices: the question's "
                      "w_ij = w'_ij − r ∂E/∂z_j o_i is right, factor o_i included", relation="⇒", aside=True))
    for code, formula, latex, note in _OCTAVE:
        steps.append(Step("octave", Octave(sp.Symbol(code), sp.Symbol(formula), sp.Symbol(latex)), note,
                          relation="⇒", aside=True))
    return Derivation("gradient-descent-update", "Gradient descent on the output weights: w_ij ← w_ij − r ∂E/∂z_j o_i",
                      sp.Derivative(E, w[i, j]), tuple(steps), classes=classes, family="update",
                      assumptions=("z_j = Σ_i w_ij o_i + b_j: w_ij joins output o_i of the previous layer to unit j "
                                   "(the Q&A's indices)", "E is any cost of z_1..z_K; o and b do not depend on w"),
                      wrt=w[i, j], quantity=E)
