"""Layer notation for whole networks: z^l_j, a^l_j, w^l_jk, b^l_j, δ^l_j, the sizes n_l, and their matrices.

A layer quantity is an Indexed whose first index is the layer (l, l + 1, L or a number) and whose other indices
are units: `z[l + 1, k]` prints as z^(l+1)_k. Matrices (W^l, δ^l, a^l, the batch matrices Δ^l and A^l) are
MatrixSymbols that know their layer and the entry they stand for, so a matrix statement can be written out
entry by entry at concrete sizes. Everything here prints itself (text and LaTeX) through the printers'
print-method hooks, so derive/printing.py needs no knowledge of layers.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.symbol import Str

from derive.notation import C, i, j, k, y

__all__ = [
    "l", "L", "m", "n", "p", "q", "r", "i", "j", "k", "C", "y",
    "z", "a", "b", "w", "delta", "LayerBase", "LayerIndexed", "CL", "LAMBDA", "SquaredNorm", "SigmaPrime", "ActivationPrime", "prime", "Indicator", "Statement",
    "ElementwiseOf",
    "LayerMatrix", "Tr", "Had", "Ones", "matrix", "NEW_CLAIM", "EQUIVALENT", "layer_text",
]

l, L = sp.symbols("l L", integer=True, positive=True)  # a layer, the output layer
m = sp.Symbol("m", integer=True, positive=True)  # the examples in a mini-batch (n_l are the layer sizes)
p, q, r = sp.symbols("p q r", integer=True, positive=True)  # summation indices of the definitions

# Relations of the steps of this family, besides = and ≠ (derive.steps.EQUAL, NOT_EQUAL).
NEW_CLAIM = ""  # the step starts a new equation: its expression is the left-hand side of the next chain
EQUIVALENT = "⇔"  # an aside restating the chain's claim in matrix form: equivalent to it, entry by entry

_GREEK = {"delta": ("δ", r"\delta"), "Delta": ("Δ", r"\Delta"), "sigma": ("σ", r"\sigma")}


def layer_text(layer: sp.Expr, printer=None) -> str:
    """l, L, 2, or (l+1), (l-1): compound layers in parentheses, as in a^(l-1); l always written first."""
    text = sp.sstr(layer).replace(" ", "")
    return text if layer.is_Symbol or layer.is_Integer else f"({text})"


def _layer_latex(layer: sp.Expr, printer=None) -> str:
    return sp.latex(layer).replace(" ", "")


class SizeIndexed(sp.Indexed):
    """n_l, n_(l+1): the number of units of a layer (written with l first, unlike SymPy's 1 + l)."""

    def _derive_text(self, printer) -> str:
        return f"n_{layer_text(self.indices[0])}"

    def _latex(self, printer) -> str:
        return f"n_{{{_layer_latex(self.indices[0])}}}"


class _SizeBase(sp.IndexedBase):
    def __getitem__(self, index):
        return SizeIndexed(self, index)


def _index_text(indices, printer) -> str:
    texts = [printer._print(index) for index in indices]
    joined = "".join(texts)
    return joined if all(len(t) == 1 for t in texts) else "{" + ",".join(texts) + "}"


class LayerIndexed(sp.Indexed):
    """base^layer_indices: the first index is the layer, the rest are units (z^l_j, w^(l+1)_kj)."""

    @property
    def layer(self) -> sp.Expr:
        return self.indices[0]

    @property
    def units(self) -> tuple:
        return self.indices[1:]

    def _derive_text(self, printer) -> str:
        name = _GREEK.get(str(self.base), (str(self.base),))[0]
        return f"{name}^{layer_text(self.layer, printer)}_{_index_text(self.units, printer)}"

    def _latex(self, printer) -> str:
        name = _GREEK.get(str(self.base), (None, str(self.base)))[1]
        units = "".join(printer._print(u) for u in self.units)
        return f"{name}^{{{_layer_latex(self.layer, printer)}}}_{{{units}}}"


class LayerBase(sp.IndexedBase):
    """z = LayerBase("z"); z[l, j] is the LayerIndexed z^l_j."""

    def __getitem__(self, indices):
        indices = indices if isinstance(indices, tuple) else (indices,)
        return LayerIndexed(self, *indices)


class SquaredNorm(sp.Function):
    """‖W^l‖² = Σ_p Σ_q (w^l_pq)²: the squared Frobenius norm of the weights of layer l (its one argument)."""

    nargs = 1

    def _derive_text(self, printer) -> str:
        return f"‖W^{layer_text(self.args[0])}‖²"

    def _latex(self, printer) -> str:
        return rf"\left\|W^{{{_layer_latex(self.args[0])}}}\right\|^2"

    def _sympystr(self, printer) -> str:
        return self._derive_text(printer)


CL = sp.Symbol("C_λ")  # the cost with the L2 penalty: C_λ = C + (λ/2) Σ_l ‖W^l‖²
LAMBDA = sp.Symbol("λ", positive=True)  # the weight of the penalty (--weight-decay)
n = _SizeBase("n")  # n[l]: the number of units of layer l; n[0] inputs, n[L] outputs
z, a, b, w, delta = (LayerBase(name) for name in ("z", "a", "b", "w", "delta"))


class ActivationPrime(sp.Function):
    """f'(u): the derivative of the table's activation `activation` at u, kept as a name until the step that
    writes it out (f'(z) in terms of a where the table says so). One subclass per activation: `prime(id)`."""

    nargs = 1
    activation = "sigmoid"

    @classmethod
    def symbol_text(cls) -> tuple[str, str]:
        """(text, LaTeX) of the function's name: σ' for the sigmoid, tanh', relu', ... for the others."""
        if cls.activation == "sigmoid":
            return "σ'", r"\sigma'"
        name = cls.activation if cls.activation.replace("-", "").isalnum() else f"f_{{{cls.activation}}}"
        return f"{name}'", rf"\operatorname{{{cls.activation}}}'"

    def _derive_text(self, printer) -> str:
        return f"{self.symbol_text()[0]}({printer._print(self.args[0])})"

    def _latex(self, printer) -> str:
        return rf"{self.symbol_text()[1]}\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer) -> str:
        return self._derive_text(printer)


class Indicator(sp.Function):
    """1[c]: 1 where the condition c holds, else 0 (relu' = 1[z > 0]); the branches of a kink."""

    nargs = 1

    @classmethod
    def eval(cls, condition):
        if condition is sp.true:
            return sp.Integer(1)
        if condition is sp.false:
            return sp.Integer(0)
        return None

    def _derive_text(self, printer) -> str:
        return f"1[{printer._print(self.args[0])}]"

    def _latex(self, printer) -> str:
        return rf"\mathbb{{1}}\left[{printer._print(self.args[0])}\right]"

    def _sympystr(self, printer) -> str:
        return self._derive_text(printer)


_PRIMES: dict[str, type] = {}


def prime(activation: str) -> type:
    """The ActivationPrime class of one activation id (one class per id, so equal ids give equal expressions)."""
    if activation not in _PRIMES:
        name = "SigmaPrime" if activation == "sigmoid" else "Prime_" + "".join(c if c.isalnum() else "_" for c in activation)
        _PRIMES[activation] = type(name, (ActivationPrime,), {"activation": activation})
    return _PRIMES[activation]


SigmaPrime = prime("sigmoid")  # σ'(u), the output layer's and the default hidden layers'


class Statement(sp.Basic):
    """lhs = rhs as one expression: a whole equation, for the matrix forms and the collected results."""

    @property
    def lhs(self):
        return self.args[0]

    @property
    def rhs(self):
        return self.args[1]

    def _derive_text(self, printer) -> str:
        return f"{printer._print(self.lhs)} = {printer._print(self.rhs)}"

    def _latex(self, printer) -> str:
        return f"{printer._print(self.lhs)} = {printer._print(self.rhs)}"

    def _sympystr(self, printer) -> str:
        return f"{printer._print(self.lhs)} = {printer._print(self.rhs)}"


# ------------------------------------------------------------------------------------------------ matrices
_MATRIX_NAMES = {  # kind -> (text name, LaTeX name, whether the layer is printed)
    "W": ("W", "W", True), "b": ("b", "b", True), "delta": ("δ", r"\delta", True), "a": ("a", "a", True),
    "z": ("z", "z", True), "Delta": ("Δ", r"\Delta", True), "A": ("A", "A", True), "Z": ("Z", "Z", True),
    "y": ("y", "y", False), "Y": ("Y", "Y", False), "J": ("J", "J", False), "grad": ("∇_a C", r"\nabla_{a} C", False),
    "sigma'": ("σ'", r"\sigma'", True),
}


class LayerMatrix(sp.MatrixSymbol):
    """A named matrix of layer `layer` with the given shape: W^l (n_l × n_(l−1)), δ^l (n_l × 1), Δ^l (n_l × m) ...

    `kind` says which entries it holds (see `derive.backprop.ground.entry`); σ'(z^l) is the kind "sigma'".
    """

    def __new__(cls, kind, layer, rows, cols):
        kind = kind if isinstance(kind, Str) else Str(kind)
        return sp.Basic.__new__(cls, kind, sp.sympify(layer), sp.sympify(rows), sp.sympify(cols))

    @property
    def kind(self) -> str:
        return self.args[0].name

    @property
    def name(self) -> str:
        return self.kind

    @property
    def layer(self) -> sp.Expr:
        return self.args[1]

    @property
    def shape(self):
        return self.args[2], self.args[3]

    @property
    def free_symbols(self):
        return {self}

    def _hashable_content(self):
        return self.args

    def _derive_text(self, printer) -> str:
        if self.kind.startswith("prime:"):
            return f"{prime(self.kind[6:]).symbol_text()[0]}(z^{layer_text(self.layer, printer)})"
        text, _, layered = _MATRIX_NAMES[self.kind]
        if self.kind == "sigma'":
            return f"σ'(z^{layer_text(self.layer, printer)})"
        return f"{text}^{layer_text(self.layer, printer)}" if layered else text

    def _latex(self, printer) -> str:
        if self.kind.startswith("prime:"):
            return rf"{prime(self.kind[6:]).symbol_text()[1]}\left(z^{{{_layer_latex(self.layer, printer)}}}\right)"
        _, latex, layered = _MATRIX_NAMES[self.kind]
        if self.kind == "sigma'":
            return rf"\sigma'\left(z^{{{_layer_latex(self.layer, printer)}}}\right)"
        return f"{latex}^{{{_layer_latex(self.layer, printer)}}}" if layered else latex

    def _sympystr(self, printer) -> str:
        return self._derive_text(printer)


def matrix(kind: str, layer, rows, cols=1) -> LayerMatrix:
    return LayerMatrix(kind, layer, rows, cols)


def _compound(arg) -> bool:
    return isinstance(arg, (sp.MatMul, sp.MatAdd, sp.HadamardProduct))


class Tr(sp.Transpose):
    """Xᵀ printed as (W^(l+1))^T: parentheses whenever the base carries a superscript of its own."""

    def _derive_text(self, printer) -> str:
        inner = printer._print(self.arg)
        return f"({inner})^T" if ("^" in inner or _compound(self.arg)) else f"{inner}^T"

    def _latex(self, printer) -> str:
        inner = printer._print(self.arg)
        return rf"\left({inner}\right)^{{T}}" if ("^" in inner or _compound(self.arg)) else f"{inner}^{{T}}"


class Had(sp.HadamardProduct):
    """A ⊙ B ⊙ ...: the element-wise (Hadamard) product, products and sums in parentheses."""

    def _derive_text(self, printer) -> str:
        return " ⊙ ".join(f"({printer._print(arg)})" if _compound(arg) else printer._print(arg) for arg in self.args)

    def _latex(self, printer) -> str:
        return r" \odot ".join(rf"\left({printer._print(arg)}\right)" if _compound(arg) else printer._print(arg)
                               for arg in self.args)


class Ones(sp.OneMatrix):
    """The all-ones matrix: 1 (as in 1 − a^l), or the column 1_m that sums over the examples of a batch."""

    def _derive_text(self, printer) -> str:
        rows, cols = self.shape
        return f"1_{printer._print(rows)}" if cols == 1 and rows.is_Symbol else "1"

    def _latex(self, printer) -> str:
        rows, cols = self.shape
        return rf"\mathbf{{1}}_{{{printer._print(rows)}}}" if cols == 1 and rows.is_Symbol else "1"


class ElementwiseOf(sp.MatrixExpr):
    """g(a^l, z^l) applied entry by entry: a scalar expression of the table in a and z (1 − a² for tanh, the mask
    1[z > 0] for relu) made a column (or, for a batch, an n_l × m matrix) of layer `layer`."""

    def __new__(cls, scalar, layer, rows, cols, batch=False):
        return sp.Basic.__new__(cls, scalar, sp.sympify(layer), sp.sympify(rows), sp.sympify(cols),
                                sp.true if batch else sp.false)

    @property
    def scalar(self) -> sp.Expr:
        return self.args[0]

    @property
    def layer(self) -> sp.Expr:
        return self.args[1]

    @property
    def shape(self):
        return self.args[2], self.args[3]

    @property
    def batch(self) -> bool:
        return bool(self.args[4])

    def entry_at(self, r: int):
        """The scalar at unit r (the prover tags it with the example in a batch)."""
        from derive.functions import A, Y, Z

        return self.scalar.xreplace({A: a[self.layer, r], Z: z[self.layer, r], Y: y[r]})

    def _names(self):
        from derive.functions import A, Y, Z

        big = self.batch
        return {A: sp.Symbol(("A" if big else "a") + "^" + layer_text(self.layer)),
                Z: sp.Symbol(("Z" if big else "z") + "^" + layer_text(self.layer)), Y: sp.Symbol("Y" if big else "y")}

    def _derive_text(self, printer) -> str:
        return printer._print(self.scalar.xreplace(self._names()))

    def _latex(self, printer) -> str:
        return printer._print(self.scalar.xreplace(self._names()))

    def _sympystr(self, printer) -> str:
        return self._derive_text(printer)
