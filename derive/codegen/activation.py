"""An activation of the table as code: `f(z)` in its stable numpy form and `f_derivative(z)` from its derivative.

The function's body is the table's stable numpy form (derive.functions); the derivative is printed from the
derivation's result when one is given (the proven expression), else from the table's derivative in terms of a.
`check_activation_module` runs both against the symbolic definition at seeded points kept away from the kinks,
and at |z| = 1000, where they must stay finite.
"""

from __future__ import annotations

import keyword
import re

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from derive import functions
from derive.codegen.check import CodeCheck
from derive.numeric import BranchPrinting
from derive.functions import A, Z, Activation

__all__ = ["activation_source", "printed_module", "numpy_text", "function_name", "compiled", "check_activation_module",
           "KINK_DISTANCE", "AGREEMENT", "EXTREME"]

# Points closer than this to a kink are not compared: the two sides of a kink have different derivatives,
# and a difference quotient straddling it measures neither.
KINK_DISTANCE = 1e-2
# The stable form and the definition as SymPy writes it compute the same function in a different order; at
# |z| of order 1 they agree to a few ulps, and any wrong formula misses by many orders.
AGREEMENT = 1e-12
EXTREME = 1000.0


def function_name(entry: Activation) -> str:
    """A Python name for the entry: gelu-tanh -> gelu_tanh; a user's expression is `activation`."""
    name = entry.id.replace("-", "_")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        return "activation"
    return name + "_" if keyword.iskeyword(name) else name


class _Printer(BranchPrinting, NumPyPrinter):
    """NumPy printing with erf from scipy and |x| through the complex-safe helper."""

    def _print_erf(self, expr):
        return f"scipy.special.erf({self._print(expr.args[0])})"

    def _print_Abs(self, expr):
        return f"_abs({self._print(expr.args[0])})"

    def _print_Function(self, expr):
        if expr.func == _Sigmoid:
            return f"_sigmoid({self._print(expr.args[0])})"
        return super()._print_Function(expr)

    def _print_log(self, expr):
        """ln(1 + e^u) -> _softplus(u), which never overflows (the softplus rule of derive.codegen.stable)."""
        inner = expr.args[0]
        if isinstance(inner, sp.Add) and len(inner.args) == 2 and sp.Integer(1) in inner.args:
            other = next(arg for arg in inner.args if arg != 1)
            if isinstance(other, sp.exp):
                return f"_softplus({self._print(other.args[0])})"
        return f"numpy.log({self._print(inner)})"

    def _print_Pow(self, expr, rational=False):
        """1/(1 + e^{−u}) -> _sigmoid(u), which never overflows (the stable-sigmoid rule of derive.codegen.stable)."""
        base = expr.base
        if expr.exp == -1 and isinstance(base, sp.Add) and len(base.args) == 2 and sp.Integer(1) in base.args:
            other = next(arg for arg in base.args if arg != 1)
            if isinstance(other, sp.exp):
                return f"_sigmoid({self._print(-other.args[0])})"
        return super()._print_Pow(expr, rational=rational)

    def _print_Mul(self, expr):
        """u/(1 + e^{−v}) as u * _sigmoid(v): the same rule inside a product."""
        factors = sp.Mul.make_args(expr)
        sigmoids = [f for f in factors if f.is_Pow and f.exp == -1 and self._print_Pow(f).startswith("_sigmoid(")]
        if sigmoids and len(factors) > 1:
            rest = sp.Mul(*[f for f in factors if f not in sigmoids])
            return " * ".join([f"({self._print(rest)})"] + [self._print_Pow(f) for f in sigmoids])
        return super()._print_Mul(expr)


_Sigmoid = sp.Function("_sigmoid")


def _logistic(node: sp.Expr) -> sp.Expr:
    """e^u / (1 + e^u) -> σ(u): the exponential would overflow alone (the stable-sigmoid rule, inside a product)."""
    if not isinstance(node, sp.Mul):
        return node
    factors = list(node.args)
    for power in factors:
        base = power.base if power.is_Pow else None
        if power.is_Pow and power.exp == -1 and isinstance(base, sp.Add) and len(base.args) == 2 and 1 in base.args:
            other = next(arg for arg in base.args if arg != 1)
            if isinstance(other, sp.exp) and other in factors:
                # by equality, not identity: an equal exp(u) need not be the same object once SymPy's cache evicts it
                rest = [f for f in factors if f != power and f != other]
                return sp.Mul(*rest, _Sigmoid(other.args[0]))
    return node


def _print(expr: sp.Expr) -> str:
    expr = expr.replace(lambda e: isinstance(e, sp.Mul), _logistic)
    return _Printer({"fully_qualified_modules": True, "allow_unknown_functions": False}).doprint(expr)


def _scalar(expr: sp.Expr) -> sp.Expr:
    """A derivation's result in a_i and z_i -> the table's scalar a and z."""
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and str(e.base) in ("a", "z"),
                        lambda e: A if str(e.base) == "a" else Z)


def _entry(id_or_entry) -> Activation:
    return id_or_entry if isinstance(id_or_entry, Activation) else functions.activation(id_or_entry)


def activation_source(id_or_entry, derivation=None, command: str | None = None, **parameters) -> str:
    """The source of a module with f(z) and f_derivative(z) for an activation (a table id or an entry)."""
    entry = _entry(id_or_entry)
    numpy_form = entry.numpy or _print(entry.expr(**parameters))
    values = {p.name: float(v) for p, v in zip(entry.parameters, entry.values(**parameters).values())}
    derivative = _scalar(derivation.result) if derivation is not None else (
        entry.derivative_in_a.xreplace(entry.values(**parameters)) if entry.derivative_in_a is not None
        else sp.diff(entry.expr(**parameters), Z))
    name = function_name(entry)
    derivative_text = _print(derivative)
    body = "\n".join([numpy_form, derivative_text])
    helpers = [source for helper, source in functions.HELPERS.items() if helper + "(" in body]
    imports = ["import numpy"] + [f"import {module}" for module in entry.needs]
    if "scipy.special" in body and "import scipy.special" not in imports:
        imports.append("import scipy.special")
    source = (f"from derivation {derivation.id}" if derivation is not None
              else f"from the table entry {entry.id} (derive/functions.py)")
    lines = [f'"""{entry.title}: {entry.notation}, and its derivative.', "",
             f"Generated by `{command or 'derive codegen ' + entry.id}` {source}; element-wise on numpy arrays",
             "of any shape; complex input works (complex-step checks pass through)."
             + (f" Needs {', '.join(entry.needs)}." if entry.needs else ""), '"""', "", *imports, ""]
    lines += [f"{p} = {v!r}  # {next(q.meaning for q in entry.parameters if q.name == p)}" for p, v in values.items()]
    lines += [""] + [h + "\n\n" for h in helpers]
    # No numpy.asarray(z): it would hide the array from checks.complex_safety, and z is an array already.
    lines += [f"def {name}(z):", f'    """a = {entry.notation}"""', f"    return {numpy_form}", "", ""]
    lines += [f"def {name}_derivative(z):",
              f'    """da/dz = {sp.sstr(derivative)}' + (f"; {entry.convention}" if entry.convention else "") + '"""']
    if derivative.has(A):
        lines.append(f"    a = {name}(z)")
    lines.append(f"    return {derivative_text} + 0 * z  # the shape of z, also where the derivative is constant")
    return "\n".join(lines) + "\n"


def numpy_text(entry: Activation) -> str:
    """The entry's numpy form in z (a user's expression, with none in the table, printed by the same printer)."""
    return entry.numpy or _print(entry.definition)


def printed_module(expr: sp.Expr, activation_id: str | None = None) -> str:
    """The source of `form(z, a)`, an expression in the table's z and a printed as stable numpy (with the helpers
    and imports it needs, and the activation's parameters at their defaults)."""
    values = functions.activation(activation_id).values() if activation_id is not None else {}
    text = _print(_indicators_as_piecewise(expr.xreplace(values)))
    helpers = [source for helper, source in functions.HELPERS.items() if helper + "(" in text]
    imports = ["import numpy"] + (["import scipy.special"] if "scipy.special" in text else [])
    return "\n".join([*imports, "", *helpers, "", "def form(z, a):", f"    return {text} + 0 * z", ""])


def _indicators_as_piecewise(expr: sp.Expr) -> sp.Expr:
    """1[c] (derive.backprop's Indicator) as Piecewise((1, c), (0, True)), which the numpy printer knows."""
    return expr.replace(lambda e: type(e).__name__ == "Indicator", lambda e: sp.Piecewise((1, e.args[0]), (0, True)))


_COMPILED: dict = {}


def compiled(id_: str, **parameters):
    """(f, f') of the table's activation as numpy functions, from its generated module (cached per entry)."""
    from derive.codegen import load_module

    entry = functions.activation(id_)
    key = (entry, tuple(sorted(parameters.items())))
    if key not in _COMPILED:
        module = load_module(activation_source(id_, **parameters), name=f"activation_{function_name(entry)}")
        name = function_name(entry)
        _COMPILED[key] = (getattr(module, name), getattr(module, name + "_derivative"))
    return _COMPILED[key]


def sample_points(entry: Activation, rng: np.random.Generator, count: int = 16) -> np.ndarray:
    """Seeded points in [−4, 4], none within KINK_DISTANCE of a kink."""
    points = rng.uniform(-4.0, 4.0, size=4 * count)
    far = np.all([np.abs(points - kink) >= KINK_DISTANCE for kink in entry.kinks], axis=0) if entry.kinks else True
    return points[far][:count] if entry.kinks else points[:count]


def _finite(value: sp.Expr) -> bool:
    """Whether a constant expression is finite, term by term (the sum's own evalf can chase a cancellation: at
    z = 1000, gelu' = ½ + ½ erf(707) + 10^−217145 asks for 200,000 digits)."""
    return all(abs(complex(term.evalf(15))) < 1e300 for term in sp.Add.make_args(value))


def check_activation_module(module, id_or_entry, seed: int = 0, **parameters) -> tuple[CodeCheck, ...]:
    """Both generated functions against the definition and SymPy's diff of it, and finite at |z| = 1000."""
    entry = _entry(id_or_entry)
    name = function_name(entry)
    points = sample_points(entry, np.random.default_rng(seed))
    definition = entry.expr(**parameters)
    references = {name: definition, name + "_derivative": sp.diff(definition, Z)}
    checks = []
    with np.errstate(over="ignore", invalid="ignore"):  # a user's exp(z) overflows at 1000: reported, not warned
        for function, reference in references.items():
            checks.append(_check(module, function, reference, points))
    return tuple(checks)


def _check(module, function: str, reference: sp.Expr, points: np.ndarray) -> CodeCheck:
    exact = np.array([float(reference.xreplace({Z: sp.Float(p, 30)}).evalf(30)) for p in points])
    generated = np.asarray(getattr(module, function)(points), dtype=float)
    error = np.linalg.norm(generated - exact) / max(np.linalg.norm(exact), np.finfo(float).tiny)
    extremes = np.asarray(getattr(module, function)(np.array([-EXTREME, EXTREME])))
    # Finite wherever the function itself is (a user's exp(z) is not, at z = 1000; the table's all are).
    bounded = [_finite(reference.xreplace({Z: sp.Float(x)})) for x in (-EXTREME, EXTREME)]
    finite = np.isfinite(extremes) | ~np.array(bounded)
    return CodeCheck(function, float(error), bool(np.all(finite)))


def compiled_cost(id_: str, **parameters):
    """c(a, y, K) per unit of the table's cost as a numpy function (its numpy form, parameters bound)."""
    from derive.codegen import load_module

    entry = functions.cost(id_)
    key = (entry, tuple(sorted(parameters.items())))
    if key not in _COMPILED:
        values = {p.name: float(v) for p, v in zip(entry.parameters, entry.values(**parameters).values())}
        lines = ["import numpy", ""] + [f"{p} = {v!r}" for p, v in values.items()]
        lines += ["", "def cost(a, y, K):", f'    """{entry.notation}, one term per unit"""',
                  f"    return {entry.numpy}"]
        _COMPILED[key] = load_module("\n".join(lines) + "\n", name=f"cost_{id_.replace('-', '_')}").cost
    return _COMPILED[key]


def generate(found, classes, sizes, command, options) -> str:
    """The scalar family's module: f(z) and f'(z), f' printed from the planned derivation."""
    from derive.derivations import build
    from derive.errors import UsageError

    for name, value in {"classes": classes, "sizes": sizes, **options}.items():
        if value is not None:
            raise UsageError(f"--{name.replace('_', '-')} does not apply to the activation {found.id}: it acts on one unit")
    return activation_source(found.function, build(found.id), command=command or f"derive codegen {found.id}")


def check(module, found, classes, options):
    return check_activation_module(module, found.function)
