"""THE table of functions: every activation, output layer and cost is one entry, and everything else reads it.

An entry holds its symbolic definition (in the scalar z, or a and y for a cost), its parameters with their
defaults, its textbook notation, the numerically stable numpy form generated code uses, its derivative written
back in terms of its own value where textbooks do so (σ' = a(1 − a), tanh' = 1 − a²), and its kinks with the
convention taken there. Adding a function is adding an entry (and its test); `register` adds one at run time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sympy as sp

__all__ = [
    "Z", "A", "Y", "KK", "Parameter", "Activation", "Output", "Cost", "Pair", "ACTIVATIONS", "OUTPUTS", "COSTS",
    "L2_PENALTY", "HELPERS", "outside_domain", "fused", "helpers_called", "from_expression", "cost_from_expression",
    "activation", "output", "cost", "pair", "register", "names", "kind_of", "resolve_cost",
]

Z = sp.Symbol("z", real=True)  # the pre-activation of one unit
A = sp.Symbol("a", real=True)  # the activation of that unit: a = f(z)
Y = sp.Symbol("y", real=True)  # the target of one output unit
KK = sp.Symbol("K", integer=True, positive=True)  # the number of output units (label smoothing spreads over it)


@dataclass(frozen=True)
class Parameter:
    """A named constant of a function, with the default used when none is given."""

    name: str
    default: float
    meaning: str

    @property
    def symbol(self) -> sp.Symbol:
        return sp.Symbol(self.name, positive=True)


@dataclass(frozen=True)
class _Entry:
    id: str
    title: str
    notation: str  # the textbook formula, in Unicode
    parameters: tuple[Parameter, ...] = ()

    def values(self, **given) -> dict:
        """parameter symbol -> value: the defaults, overridden by `given` (a UsageError-free ValueError on junk)."""
        known = {p.name for p in self.parameters}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(f"{self.id} has no parameter {unknown[0]!r}; it has: {', '.join(sorted(known)) or 'none'}")
        return {p.symbol: sp.nsimplify(given.get(p.name, p.default)) for p in self.parameters}

    @property
    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.parameters}


@dataclass(frozen=True)
class Activation(_Entry):
    """a = f(z), element-wise. `numpy` is an expression in z (and the parameter names) using numpy and HELPERS;
    `derivative_in_a` is f'(z) in terms of a (and z where a alone does not say it), exact away from the kinks."""

    definition: sp.Expr = sp.Integer(0)
    numpy: str = ""  # empty: generated code prints the definition itself (a user's expression)
    derivative_in_a: sp.Expr | None = None
    kinks: tuple[float, ...] = ()  # points where f is not differentiable (or passes through abs/max/min)
    convention: str = ""  # the derivative taken at a kink, as PyTorch and JAX take it
    needs: tuple[str, ...] = ()  # imports the numpy form needs beyond numpy (written in the generated header)

    def expr(self, **given) -> sp.Expr:
        """f(z) with the parameters set (defaults unless given)."""
        return self.definition.xreplace(self.values(**given))

    def derivative(self, **given) -> sp.Expr:
        """f'(z) in terms of a, with a := f(z) substituted back: a function of z alone (by SymPy's own diff when
        the entry has no form in a)."""
        if self.derivative_in_a is None:
            return sp.diff(self.expr(**given), Z)
        return self.derivative_in_a.xreplace(self.values(**given)).xreplace({A: self.expr(**given)})


@dataclass(frozen=True)
class Output(_Entry):
    """a^L = f(z^L) over the output layer: element-wise (sigmoid, identity) or normalized (softmax)."""

    elementwise: bool = True
    activation: str | None = None  # the element-wise activation of the table it applies
    numpy: str = ""  # for a normalized output: an expression in z over axis 0
    range: tuple[float, float] = (-math.inf, math.inf)  # the open interval a takes its values in


@dataclass(frozen=True)
class Cost(_Entry):
    """C = Σ_j c(a_j, y_j): `per_unit` is c in a and y (and K for label smoothing), `gradient` is ∂c/∂a."""

    per_unit: sp.Expr = sp.Integer(0)
    gradient: sp.Expr = sp.Integer(0)
    numpy: str = ""  # c(a, y) per unit, an expression in a and y (and the parameter names, K)
    targets: str = "distribution"  # "distribution" (sum to 1), "binary" (each in [0, 1]) or "real"
    kinks: tuple[str, ...] = ()
    domain: tuple[float, float] = (-math.inf, math.inf)  # the open interval of a where c(a, y) is real
    # (output id, C, δ^L): numpy forms in z and y (axis 0 the units; C one value per example) for an output whose
    # pair with this cost no stability rule of derive.codegen.stable makes finite at extreme logits. Generated
    # code uses them in place of the derived expressions, and its check holds them to the derivation.
    stable_with: tuple[tuple[str, str, str], ...] = ()

    def expr(self, **given) -> sp.Expr:
        return self.per_unit.xreplace(self.values(**given))

    def grad(self, **given) -> sp.Expr:
        return self.gradient.xreplace(self.values(**given))

    def summed(self, a_j: sp.Expr, y_j: sp.Expr, limits: tuple, classes: sp.Expr | None = None, **given) -> sp.Expr:
        """C = Σ_j c(a_j, y_j) as an unevaluated Sum, a constant factor (−1, ½) written outside it as textbooks do."""
        term = self.expr(**given).xreplace({A: a_j, Y: y_j, KK: classes if classes is not None else KK})
        coefficient, rest = term.as_coeff_Mul()
        if rest.could_extract_minus_sign():
            coefficient, rest = -coefficient, -rest
        return coefficient * sp.Sum(rest, limits)

    def per_example(self, a_values, y_values, **given) -> sp.Expr:
        """Σ_j c(a_j, y_j) written out over concrete lists (grounding and whole-network routes)."""
        term = self.expr(**given).xreplace({KK: len(a_values)})
        return sp.Add(*[term.xreplace({A: v, Y: t}) for v, t in zip(a_values, y_values)])


def _sigmoid(u):
    return 1 / (1 + sp.exp(-u))


def from_expression(text: str, expr: sp.Expr) -> Activation:
    """A user's activation f(z), already parsed (derive.expressions), as an entry: kinks found where the argument
    of an abs, or the two sides of a max or min, meet (for arguments polynomial in z)."""
    return Activation(text, "your activation", text, definition=expr, kinks=_kinks(expr),
                      convention="at a kink the derivative of the branch SymPy's Max/Min/Abs rule takes" if
                      _kinks(expr) else "")


def cost_from_expression(text: str, per_unit: sp.Expr) -> Cost:
    """A user's cost per output unit c(a, y), already parsed (derive.expressions), as an entry: its gradient by
    SymPy's diff, its numpy form printed by SymPy's NumPy printer (never the user's text itself)."""
    from sympy.printing.numpy import NumPyPrinter

    return Cost(text, "your cost", f"C = Σ_j {text}", per_unit=per_unit, gradient=sp.diff(per_unit, A),
                numpy=NumPyPrinter().doprint(per_unit), targets="real")


def _kinks(expr: sp.Expr) -> tuple[float, ...]:
    found = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Max, sp.Min)) and len(node.args) == 2:
            gap = node.args[0] - node.args[1]
        elif isinstance(node, sp.Abs):
            gap = node.args[0]
        else:
            continue
        if gap.is_polynomial(Z) and sp.degree(gap, Z) in (1, 2):
            found.update(float(root) for root in sp.Poly(gap, Z).real_roots())
    return tuple(sorted(found))


_ALPHA_LEAKY = Parameter("alpha", 0.01, "the slope for z < 0")
_ALPHA_ELU = Parameter("alpha", 1.0, "the value approached as z → −∞ is −alpha")
_EPSILON = Parameter("epsilon", 0.1, "the share of the target spread evenly over the K classes")
_DELTA = Parameter("delta", 1.0, "where the cost turns from quadratic to linear")
_KINK_AT_0 = "at z = 0 the derivative of the branch z ≤ 0 is taken (PyTorch and JAX: relu'(0) = 0)"
_a, _d, _e = _ALPHA_LEAKY.symbol, _DELTA.symbol, _EPSILON.symbol
_GELU_C = sp.sqrt(2 / sp.pi)

_ACTIVATION_LIST = (
    Activation("sigmoid", "logistic sigmoid", "σ(z) = 1/(1 + e^{−z})", definition=_sigmoid(Z),
               numpy="_sigmoid(z)", derivative_in_a=A * (1 - A)),
    Activation("tanh", "hyperbolic tangent", "tanh z = (e^z − e^{−z})/(e^z + e^{−z})", definition=sp.tanh(Z),
               numpy="numpy.tanh(z)", derivative_in_a=1 - A**2),
    Activation("relu", "rectified linear unit", "relu(z) = max(0, z)", definition=sp.Max(0, Z),
               numpy="numpy.where(z > 0, z, 0 * z)",
               derivative_in_a=sp.Piecewise((1, Z > 0), (0, True)), kinks=(0.0,), convention=_KINK_AT_0),
    Activation("leaky-relu", "leaky ReLU", "max(0, z) + α min(0, z)",
               parameters=(_ALPHA_LEAKY,), definition=sp.Max(0, Z) + _a * sp.Min(0, Z),
               numpy="numpy.where(z > 0, z, alpha * z)",
               derivative_in_a=sp.Piecewise((1, Z > 0), (_a, True)), kinks=(0.0,),
               convention="at z = 0 the slope of the branch z ≤ 0, α, is taken (PyTorch and JAX)"),
    Activation("elu", "exponential linear unit", "elu(z) = z for z > 0, α(e^z − 1) for z ≤ 0",
               parameters=(_ALPHA_ELU,), definition=sp.Max(0, Z) + _ALPHA_ELU.symbol * (sp.exp(sp.Min(0, Z)) - 1),
               numpy="numpy.where(z > 0, z, alpha * numpy.expm1(numpy.where(z > 0, 0 * z, z)))",
               derivative_in_a=sp.Piecewise((1, Z > 0), (A + _ALPHA_ELU.symbol, True)), kinks=(0.0,),
               convention="at z = 0 the derivative of the branch z ≤ 0, α e^0 = α, is taken (PyTorch)"),
    Activation("softplus", "softplus", "softplus(z) = ln(1 + e^z)", definition=sp.log(1 + sp.exp(Z)),
               numpy="_softplus(z)", derivative_in_a=_sigmoid(Z)),
    Activation("silu", "SiLU (swish)", "silu(z) = z σ(z)", definition=Z * _sigmoid(Z),
               numpy="z * _sigmoid(z)", derivative_in_a=_sigmoid(Z) * (1 + Z - A)),
    Activation("gelu", "GELU (the erf form)", "gelu(z) = z Φ(z) = ½ z (1 + erf(z/√2))",
               definition=Z * (1 + sp.erf(Z / sp.sqrt(2))) / 2,
               numpy="0.5 * z * (1 + scipy.special.erf(z / numpy.sqrt(2)))", needs=("scipy.special",)),
    Activation("gelu-tanh", "GELU (the tanh approximation)",
               "½ z (1 + tanh(√(2/π) (z + 0.044715 z³)))",
               definition=Z * (1 + sp.tanh(_GELU_C * (Z + sp.Rational(44715, 10**6) * Z**3))) / 2,
               numpy="0.5 * z * (1 + numpy.tanh(numpy.sqrt(2 / numpy.pi) * (z + 0.044715 * z**3)))"),
    Activation("softsign", "softsign", "softsign(z) = z/(1 + |z|)", definition=Z / (1 + sp.Abs(Z)),
               numpy="z / (1 + _abs(z))", derivative_in_a=(1 - sp.Abs(A))**2, kinks=(0.0,),
               convention="|z| has no derivative at 0, but z/(1 + |z|) does: 1 from both sides"),
    Activation("identity", "identity (linear)", "a = z", definition=Z, numpy="z + 0", derivative_in_a=sp.Integer(1)),
)

_OUTPUT_LIST = (
    Output("softmax", "softmax", "a_j = e^{z_j} / Σ_k e^{z_k}", elementwise=False,
           numpy="numpy.exp(z - m) / numpy.sum(numpy.exp(z - m), axis=0, keepdims=True)", range=(0.0, 1.0)),
    Output("sigmoid", "sigmoid, unit by unit", "a_j = σ(z_j)", activation="sigmoid", range=(0.0, 1.0)),
    Output("identity", "identity (regression)", "a_j = z_j", activation="identity"),
)

_COST_LIST = (
    Cost("cross-entropy", "cross-entropy", "C = −Σ_j y_j ln a_j", per_unit=-Y * sp.log(A), gradient=-Y / A,
         numpy="-y * numpy.log(a)", domain=(0.0, math.inf)),
    Cost("binary-cross-entropy", "binary cross-entropy", "C = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]",
         per_unit=-(Y * sp.log(A) + (1 - Y) * sp.log(1 - A)), gradient=-Y / A + (1 - Y) / (1 - A),
         numpy="-(y * numpy.log(a) + (1 - y) * numpy.log(1 - a))", targets="binary", domain=(0.0, 1.0),
         # −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)] with ln a_j = z_j − L and ln(1 − a_j) = L_{≠j} − L (L the
         # log-sum-exp of z, L_{≠j} that of the others); δ_i = K a_i − y_i − Σ_{j≠i} (1 − y_j) e^{z_i − L_{≠j}}:
         # no ln 0 and no 1/(1 − a_j), though a_j rounds to 1 once one logit leads the others by about 37
         stable_with=(("softmax", "-(y * (z - _lse(z)) + (1 - y) * (_lse_without(z) - _lse(z))).sum(axis=0)",
                       "z.shape[0] * numpy.exp(z - _lse(z)) - y"
                       " - ((1 - y)[:, None] * _softmax_without(z)).sum(axis=0)"),)),
    Cost("quadratic", "quadratic", "C = ½ Σ_j (a_j − y_j)²", per_unit=(A - Y) ** 2 / 2,
         gradient=A - Y, numpy="0.5 * (a - y) ** 2", targets="real"),
    Cost("label-smoothing", "cross-entropy with smoothed targets",
         "C = −Σ_j ((1 − ε) y_j + ε/K) ln a_j", parameters=(_EPSILON,),
         per_unit=-((1 - _e) * Y + _e / KK) * sp.log(A), gradient=-((1 - _e) * Y + _e / KK) / A,
         numpy="-((1 - epsilon) * y + epsilon / K) * numpy.log(a)", domain=(0.0, math.inf)),
    Cost("huber", "Huber", "C = Σ_j ½ r_j² if |r_j| ≤ δ, else δ(|r_j| − ½ δ), r = a − y", parameters=(_DELTA,),
         per_unit=sp.Piecewise(((A - Y) ** 2 / 2, sp.Abs(A - Y) <= _d), (_d * (sp.Abs(A - Y) - _d / 2), True)),
         gradient=sp.Piecewise((A - Y, sp.Abs(A - Y) <= _d), (_d * sp.sign(A - Y), True)),
         # |a − y| by the sign of Re(a − y), never abs(): the modulus of a complex step would drop its derivative
         numpy="numpy.where(numpy.where(a - y < 0, y - a, a - y) <= delta, 0.5 * (a - y) ** 2, "
               "delta * (numpy.where(a - y < 0, y - a, a - y) - 0.5 * delta))",
         targets="real", kinks=("|a − y| = δ: the gradient is continuous there, its derivative is not",)),
)

# The optional weight penalty: C + (λ/2) Σ_w w², which adds λ w to every weight gradient (BP4).
L2_PENALTY = Parameter("lambda", 0.0, "the weight of the penalty (λ/2) Σ w²; adds λ w to ∂C/∂w")

# Complex-safe numpy helpers the stable forms may call (copied verbatim into generated modules).
# Branches and shifts are chosen by comparisons and max, never by .real or numpy.abs: numpy orders complex numbers
# by their real part first, so a complex step passes through exactly, and checks.complex_safety can follow every
# operation (a shift m taken from z itself cancels, whatever its imaginary part).
HELPERS = {
    "_sigmoid": '''def _sigmoid(x):
    """σ(x) = 1/(1 + e^{-x}) from e^{-|x|} <= 1 (the branch by the sign of Re x): no exponential overflows."""
    positive = x >= 0
    e = numpy.exp(numpy.where(positive, -x, x))
    return numpy.where(positive, 1 / (1 + e), e / (1 + e))''',
    "_softplus": '''def _softplus(x):
    """ln(1 + e^x) = max(x, 0) + ln(1 + e^{-|x|}) (the branch by the sign of Re x): never overflows."""
    positive = x >= 0
    return numpy.where(positive, x, 0) + numpy.log1p(numpy.exp(numpy.where(positive, -x, x)))''',
    "_abs": '''def _abs(x):
    """|x| by the sign of Re x, so that a complex step passes through (numpy.abs of a complex is its modulus)."""
    return numpy.where(x < 0, -x, x)''',
    "_lse": '''def _lse(z):
    """L = ln Σ_k e^{z_k} over axis 0 (kept), shifted by m = max_k z_k (by Re z first): no exponential overflows."""
    m = z.max(axis=0, keepdims=True)
    return m + numpy.log(numpy.exp(z - m).sum(axis=0, keepdims=True))''',
    "_lse_without": '''def _lse_without(z):
    """L_{≠j} = ln Σ_{k≠j} e^{z_k} for each j of axis 0, each shifted by the largest other Re z_k: finite even where
    z_j leads the others by far (where 1 − a_j of the softmax rounds to 0)."""
    others = numpy.where(_diagonal(z), -numpy.inf, z[None])  # [j, k]: z_k, with k = j left out
    m = others.max(axis=1, keepdims=True)
    return (m + numpy.log(numpy.exp(others - m).sum(axis=1, keepdims=True)))[:, 0]''',
    "_softmax_without": '''def _softmax_without(z):
    """[j, i] = e^{z_i − L_{≠j}} for i ≠ j, 0 for i = j: the softmax of the logits other than z_j, each in [0, 1]."""
    return numpy.exp(numpy.where(_diagonal(z), -numpy.inf, z[None] - _lse_without(z)[:, None]))  # e^{−∞} = 0''',
    "_diagonal": '''def _diagonal(z):
    """[j, k] = (j == k) over axis 0 of z, with a unit axis for each batch axis."""
    return numpy.eye(z.shape[0], dtype=bool).reshape(z.shape[:1] * 2 + (1,) * (z.ndim - 1))''',
}


def helpers_called(text: str) -> list[str]:
    """The names of HELPERS that text calls, and those they call in turn, in the table's order."""
    found: set[str] = set()
    pending = [text]
    while pending:
        body = pending.pop()
        for name, source in HELPERS.items():
            if name not in found and name + "(" in body:
                found.add(name)
                pending.append(source)
    return [name for name in HELPERS if name in found]


@dataclass
class _Table:
    """The registries, built explicitly below; `register` adds an entry (a test's own activation, say)."""

    activations: dict[str, Activation] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)
    costs: dict[str, Cost] = field(default_factory=dict)


_TABLE = _Table({e.id: e for e in _ACTIVATION_LIST}, {e.id: e for e in _OUTPUT_LIST}, {e.id: e for e in _COST_LIST})
ACTIVATIONS, OUTPUTS, COSTS = _TABLE.activations, _TABLE.outputs, _TABLE.costs
_KINDS = {"activation": ACTIVATIONS, "output": OUTPUTS, "cost": COSTS}


def register(entry: Activation | Output | Cost) -> None:
    """Add an entry to its registry; an id already there with a different entry is an error."""
    registry = {Activation: ACTIVATIONS, Output: OUTPUTS, Cost: COSTS}[type(entry)]
    if entry.id in registry and registry[entry.id] != entry:
        raise ValueError(f"{entry.id!r} is already in the table")
    registry[entry.id] = entry


# With a sigmoid output, "cross-entropy" means the binary cross-entropy (the command line's convention).
_COST_ALIASES = {("sigmoid", "cross-entropy"): "binary-cross-entropy"}


def resolve_cost(output_id: str, cost_id: str) -> str:
    """The cost an output/cost pair means: cross-entropy with a sigmoid output is the binary cross-entropy."""
    return _COST_ALIASES.get((output_id, cost_id), cost_id)


def names(kind: str) -> list[str]:
    """The ids of one kind: 'activation', 'output' or 'cost'."""
    return list(_KINDS[kind])


def kind_of(id_: str) -> tuple[str, ...]:
    """The kinds an id is an entry of (sigmoid and identity are both activations and outputs)."""
    return tuple(kind for kind, registry in _KINDS.items() if id_ in registry)


def _lookup(kind: str, id_: str):
    registry = _KINDS[kind]
    if id_ not in registry:
        raise ValueError(f"unknown {kind} {id_!r}; choose one of: {', '.join(registry)}")
    return registry[id_]


def activation(id_: str) -> Activation:
    return _lookup("activation", id_)


def output(id_: str) -> Output:
    return _lookup("output", id_)


def cost(id_: str) -> Cost:
    return _lookup("cost", id_)


# ------------------------------------------------------------------------------------- output and cost pairs
@dataclass(frozen=True)
class Pair:
    """An output layer with a cost: δ^L_i = Σ_j (∂a_j/∂z_i) ∂C/∂a_j, and whether the output derivative cancels.

    `delta` is δ^L_i in a and y (per unit; for softmax with targets that sum to 1), `cancels` is True when it
    comes out as a − t for a target t that does not involve a (the output derivative cancels the cost's
    denominator), and `remains` says what is left when it does not.
    """

    output: str
    cost: str
    delta: sp.Expr
    cancels: bool
    remains: str


def pair(output_id: str, cost_id: str, **given) -> Pair:
    """δ^L for the output/cost pair, computed from the two entries (never written out per pair)."""
    out, c = output(output_id), cost(cost_id)
    g = c.grad(**given)
    if out.elementwise:
        derivative = activation(out.activation).derivative_in_a
        delta = sp.factor(sp.cancel(derivative * g)) if not g.has(sp.Piecewise) else sp.piecewise_fold(derivative * g)
    else:  # softmax: δ_i = a_i (g_i − Σ_j a_j g_j); with a_j g_j = −t_j and Σ t = 1 this is a_i − t_i
        delta = _softmax_delta(g)
    cancels = _cancels(delta)
    remains = "" if cancels else _remains(out, c)
    return Pair(output_id, cost_id, delta, cancels, remains)


def _softmax_delta(g: sp.Expr) -> sp.Expr:
    target = sp.cancel(-A * g)
    if not target.has(A):  # −a_j ∂c/∂a_j = t_j free of a: Σ_j a_j g_j = −Σ_j t_j = −1 for targets summing to 1
        return A - target
    return A * (g - sp.Symbol("Σ_j a_j ∂C/∂a_j"))


def outside_domain(output_id: str, cost_id: str) -> str:
    """'' when every value the output takes lies in the cost's domain, else the sentence that says where not."""
    out, c = output(output_id), cost(resolve_cost(output_id, cost_id))
    (low, high), (start, end) = out.range, c.domain
    if start <= low and high <= end:
        return ""
    return (f"the {c.id} cost is real only for a in {_interval(c.domain)}, and the {out.id} output takes every "
            f"value in {_interval(out.range)}: the pair is defined only where a lies in {_interval(c.domain)}")


def fused(output_id: str, cost_id: str) -> tuple[str, str] | None:
    """The cost entry's own stable numpy forms (C, δ^L) in z and y for this output, or None."""
    c = cost(resolve_cost(output_id, cost_id))
    return next(((cost_form, delta) for out, cost_form, delta in c.stable_with if out == output_id), None)


def _interval(bounds) -> str:
    low, high = ("−∞" if b == -math.inf else "∞" if b == math.inf else f"{b:g}" for b in bounds)
    return f"({low}, {high})"


def _cancels(delta: sp.Expr) -> bool:
    """a − t with t free of a: the shape of δ when the output derivative has cancelled."""
    if delta.has(sp.Piecewise) or any(s.name.startswith("Σ") for s in delta.free_symbols):
        return False
    return sp.diff(delta, A) == 1


def _remains(out: Output, c: Cost) -> str:
    if not out.elementwise:
        return "the whole softmax Jacobian: δ_i = a_i (∂C/∂a_i − Σ_j a_j ∂C/∂a_j)"
    if out.activation == "identity":
        return "the cost's gradient itself: δ = ∂C/∂a (the identity's derivative is 1)"
    return f"the output derivative stays: δ = ∂C/∂a ⊙ {out.activation}'(z)"


# ------------------------------------------------------------------------------------------- documentation
def markdown() -> str:
    """The README's function table, generated from this table (tests/test_functions.py keeps the README equal)."""
    rows = [("kind", "id", "definition", "parameters", "derivative", "kinks")]
    for e in _ACTIVATION_LIST:  # the shipped table: never entries registered at run time
        written = _text(e.derivative_in_a) if e.derivative_in_a is not None else "planned from the definition"
        rows.append(("activation", f"`{e.id}`", e.notation, _parameters(e), written,
                     ", ".join(f"z = {k:g}" for k in e.kinks) or "–"))
    for o in _OUTPUT_LIST:
        rows.append(("output", f"`{o.id}`", o.notation, "–", f"{o.activation}', unit by unit" if o.elementwise
                     else "a_j(δ_ij − a_i)", "–"))
    for c in _COST_LIST:
        rows.append(("cost", f"`{c.id}`", c.notation, _parameters(c), f"∂c/∂a = {_text(c.gradient)}",
                     "; ".join(c.kinks) or "–"))
    lines = ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join([lines[0], "|---" * len(rows[0]) + "|", *lines[1:]])


def _text(expr: sp.Expr) -> str:
    """Unicode, with a piecewise as 'u if c, else v' and |x| for Abs(x)."""
    import re

    from derive.printing import to_text  # presentation, loaded only to write the README's table

    if isinstance(expr, sp.Piecewise):
        (value, condition), (otherwise, _) = expr.args
        return f"{_text(value)} if {_text(condition)}, else {_text(otherwise)}"
    return re.sub(r"Abs\(([^()]*)\)", r"|\1|", to_text(expr)).replace(">=", "≥")


def _parameters(entry) -> str:
    return ", ".join(f"{p.name} = {p.default:g}" for p in entry.parameters) or "–"
