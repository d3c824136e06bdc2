"""The symbols of the seed write-ups: z, a, y, C, E, delta, the class count K and the indices."""

from __future__ import annotations

import sympy as sp

from derive.limits import MAX_CLASSES  # re-exported: the one definition is light, for the parser
from derive.functions import Z, activation, cost

__all__ = [
    "K", "i", "j", "k", "t", "z", "a", "y", "C", "E",
    "EXPAND_LIMIT", "MAX_CLASSES", "class_count", "total", "softmax_denominator", "softmax_of",
    "sigmoid_of", "cross_entropy", "activation_of", "cost_of", "free_indices",
]

K = sp.Symbol("K", integer=True, positive=True)
# Indices run over 1..K. They are positive integers so that SymPy never has to guess their sign.
i, j, k, t = sp.symbols("i j k t", integer=True, positive=True)
z, a, y = sp.IndexedBase("z"), sp.IndexedBase("a"), sp.IndexedBase("y")
C, E = sp.Symbol("C"), sp.Symbol("E")

# Concrete derivations up to this many classes are written out term by term and proven on the expansion;
# beyond it the general-K proof is instantiated (a derivation is never expanded into K**2 entries).
EXPAND_LIMIT = 10


def class_count(classes: int | None) -> sp.Expr:
    """The number of classes as SymPy sees it: the symbol K for the general case, else the integer."""
    return K if classes is None else sp.Integer(classes)


def total(term: sp.Expr, index: sp.Symbol, classes: int | None) -> sp.Sum:
    """sum_{index=1}^{K} term, left unevaluated: rules work on the Sum, printers may write it out."""
    return sp.Sum(term, (index, 1, class_count(classes)))


def softmax_denominator(classes: int | None) -> sp.Sum:
    """sum_k e^{z_k}"""
    return total(sp.exp(z[k]), k, classes)


def softmax_of(index: sp.Expr, classes: int | None) -> sp.Expr:
    """a_index = e^{z_index} / sum_k e^{z_k}"""
    return sp.exp(z[index]) / softmax_denominator(classes)


def activation_of(name: str, index: sp.Expr, **parameters) -> sp.Expr:
    """a_index = f(z_index) for the activation `name` of the table (derive.functions)."""
    return activation(name).expr(**parameters).xreplace({Z: z[index]})


def sigmoid_of(index: sp.Expr) -> sp.Expr:
    """a_index = 1 / (1 + e^{-z_index}), the table's sigmoid"""
    return activation_of("sigmoid", index)


def cost_of(name: str, classes: int | None, **parameters) -> sp.Expr:
    """C = sum_j c(a_j, y_j) for the cost `name` of the table (derive.functions)."""
    return cost(name).summed(a[j], y[j], (j, 1, class_count(classes)), class_count(classes), **parameters)


def cross_entropy(classes: int | None) -> sp.Expr:
    """C = -sum_j y_j ln a_j, the table's cross-entropy"""
    return cost_of("cross-entropy", classes)


def free_indices(expr: sp.Expr) -> tuple[sp.Symbol, ...]:
    """The index symbols an expression leaves free, in a fixed order.

    Read from every indexed name and Kronecker delta, derivative variables included (SymPy's free_symbols
    of Derivative(f, z_i) does not report i), less the summation indices.
    """
    used, bound = set(), set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Indexed):
            used.update(index for index in node.indices if index.is_Symbol)
        elif isinstance(node, sp.KroneckerDelta):
            used.update(arg for arg in node.args if arg.is_Symbol)
        elif isinstance(node, sp.Sum):
            bound.update(limit[0] for limit in node.limits)
    return tuple(sorted(used - bound, key=str))
