"""The numeric check of BP1-BP4 on whole networks: the derived equations against finite differences of the cost.

The derived equations are the derivation's own matrix forms (δ^L per example, then the mini-batch forms of
BP2-BP4), lambdified once and evaluated layer by layer from the output down. The reference is the mean cost
of a mini-batch of 16, computed from the definitions by a separate numpy forward pass (complex-analytic), and
differentiated by complex step, Im C(θ + ih e_k) / h, in every parameter. Complex step has no subtractive
cancellation, so its accuracy does not fall with depth or width: a deep network's vanishing gradients (1e-6 of
the cost at ten sigmoid layers) are resolved to rounding, where central differences lose them in the cost's
round-off. Every coordinate gets its own complex step, batched by the structure of the network: perturbing
w^t_rc or b^t_r changes z^t_r alone, so a^t changes in row r alone and z^(t+1) by the rank-one update
W^(t+1)[:, r] (a^t_r(z^t_r + ih x) − a^t_r), exact in its imaginary part; only the layers above are recomputed,
for a chunk of coordinates at once (no array of a layer above t holds more than _CHUNK entries). This checks
every parameter of 784-100-30-10 in about half a second; networks far larger are checked along random directions
and at a sample of coordinates of every tensor instead (the method says which).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from checks.derivation_check import NumericCheck
from checks.network import init_params, make_batch, tensor_names
from checks.numeric import COMPLEX_STEP, TOLERANCES, normwise_relative_error
from derive.backprop.derivations import activation_of, bp1, bp2, bp3, bp4, equations, layer_activations
from derive.backprop.notation import LAMBDA, L, ElementwiseOf, Had, LayerMatrix, Tr, l, m, n
from derive.steps import Derivation

__all__ = ["NetworkCheck", "check_derivation", "NETWORKS", "BATCH", "problem", "derived_gradients",
           "network_gradients", "finite_differences"]

NETWORKS = ((784, 30, 10), (2, 3, 3, 2))  # checked for symbolic sizes; a concrete derivation is checked at its own
BATCH = 16
# Above this estimated work (complex multiply-adds, see _work), random directions and sampled coordinates instead.
# 784-100-30-10 x16 needs 4.4e8 and takes about 0.6 s on one core here; 784-300-100-10 would need 4.3e9.
ALL_COORDINATES_FLOPS = 1e9
PROJECTIONS = 8  # random directions per tensor (large networks only)
SAMPLED = 64  # coordinates per tensor (large networks only)
_CHUNK = 1 << 14  # elements per perturbed activation array (256 KiB complex): stays in cache (measured fastest here)


@dataclass(frozen=True)
class NetworkCheck(NumericCheck):
    """NumericCheck held to the network bound TOLERANCES["backprop"] (1e-8) instead of the derivation bound."""

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.max_rel_error) and self.max_rel_error <= TOLERANCES["backprop"])


def check_derivation(derivation: Derivation, seed: int = 0) -> NetworkCheck:
    """The derivation's equations (and, for bp1..bp4 alone, the other three as derived) on whole networks."""
    output, cost = derivation.definitions["output"], derivation.definitions["cost"]
    hidden = tuple(derivation.definitions.get("hidden", ("sigmoid",)))
    decay = derivation.definitions.get("weight_decay")
    programs = _programs(derivation)
    networks = NETWORKS if derivation.sizes is None else (tuple(derivation.sizes),)
    if len(hidden) > 1 and derivation.sizes is None:  # one activation per hidden layer fixes the depth
        networks = ((784, 100) + (30,) * (len(hidden) - 1) + (10,), (2,) + (3,) * len(hidden) + (2,))
    if programs.own == ("bp2",):  # BP2 alone needs a hidden layer (the builder refuses sizes without one)
        networks = tuple(s for s in networks if len(s) >= 3)
    if not networks:
        return NetworkCheck(float("nan"), 0, "no network to check", "")
    worst, where, compared, methods = 0.0, "", 0, []
    for sizes in networks:
        errors, method, count = _errors(programs.forms, sizes, output, cost, seed,
                                        layer_activations(hidden, len(sizes) - 1), decay)
        for name, error in errors:
            if not error <= worst:  # larger, or NaN (an equation that did not evaluate)
                worst, where = error, f"{name} of {'-'.join(map(str, sizes))}"
        compared += count
        methods.append(method)
    at = ", ".join(f"{'-'.join(map(str, s))} ×{BATCH}" for s in networks)
    others = sorted({"bp1", "bp2", "bp3", "bp4"} - set(programs.own))
    used = ("BP1–BP4 as derived" if not others else
            f"{', '.join(e.upper() for e in programs.own)} from this derivation with "
            f"{', '.join(e.upper() for e in others)} as derived in {', '.join(others)}")
    shallow = [s for s in networks if len(s) < 3]
    unused = f" (BP2 is not used: {', '.join('-'.join(map(str, s)) for s in shallow)} has no hidden layer)" if shallow else ""
    method = (f"{used}{unused} (matrix forms, lambdified, layer by layer) against complex-step derivatives of "
              f"the mean cost of {BATCH} examples{_decay_note(decay)} {'; '.join(methods)}; worst tensor {where}"
              f"{_kink_note(hidden)}")
    return NetworkCheck(float(worst), compared, method, at)


def _decay_note(decay) -> str:
    return "" if decay is None else f" plus (λ/2) Σ_l ‖W^l‖², λ = {decay:g}"


def _kink_note(hidden) -> str:
    """Why a kink cannot fail the check: complex step moves z in the imaginary direction only."""
    from derive import functions

    kinked = [name for name in dict.fromkeys(hidden) if functions.activation(name).kinks]
    if not kinked:
        return ""
    return (f"; {', '.join(kinked)}: complex step leaves the real part of every z unchanged, so no probe crosses a "
            "kink (a z exactly at one would take the table's convention)")


@lru_cache(maxsize=64)
def _errors(forms, sizes, output: str, cost: str, seed: int, layers=None, decay=None):
    """(tensor name, normwise relative error) for each tensor, how the differences were taken, parameters compared."""
    params, x, y = _problem(sizes, output, cost, seed)
    derived = _gradients(forms, sizes, params, x, y, output, layers, decay)
    references, method = finite_differences(sizes, output, cost, seed, layers, decay)
    errors = tuple((name, reference.error(got))
                   for name, got, reference in zip(tensor_names(sizes), derived, references))
    return errors, method, sum(p.size for p in params)


# ------------------------------------------------------------------------------------------ the problem
def problem(sizes, output: str = "softmax", cost: str = "cross-entropy", seed: int = 0):
    """(params [W1, b1, ...], x, y): the seeded network and mini-batch of BATCH examples the check uses."""
    from derive.functions import resolve_cost

    return _problem(tuple(sizes), output, resolve_cost(output, cost), seed)


def derived_gradients(derivation: Derivation, params, x, y) -> list[np.ndarray]:
    """[∂C/∂W^1, ∂C/∂b^1, ...] of the mean cost, by the derivation's equations (and the others as derived)."""
    sizes = (params[0].shape[1],) + tuple(p.shape[0] for p in params[::2])
    layers = layer_activations(tuple(derivation.definitions.get("hidden", ("sigmoid",))), len(sizes) - 1)
    return network_gradients(_programs(derivation), sizes, params, x, y, derivation.definitions["output"], layers)


@lru_cache(maxsize=16)
def _problem(sizes, output: str, cost: str, seed: int):
    """Seeded parameters, inputs in [0, 1) and targets: one-hot for softmax, uniform in (0, 1) for sigmoid."""
    params = init_params(sizes, seed)
    x, y = make_batch(sizes, BATCH, seed)
    if output == "sigmoid":
        y = np.random.default_rng(seed + 20_000).uniform(0.0, 1.0, size=y.shape)
    params = _inside_the_domain(params, output, cost)
    for p in params:
        p.setflags(write=False)
    return params, x, y


def _inside_the_domain(params, output: str, cost: str) -> list:
    """A pair defined on part of the line (an identity output under ln a): the output layer moved inside the cost's
    domain as the generated code's check does (derive.codegen.network.inside_the_domain), where the complex step is
    the derivative."""
    from derive.codegen.network import Domain, inside_the_domain

    weights, biases = inside_the_domain(list(params[0::2]), list(params[1::2]), Domain(output, cost))
    return [p for pair in zip(weights, biases) for p in pair]


def _forward(params, x, output: str, layers=None):
    """z^t and a^t of every layer, from the definitions (a^0 = x); `layers` names each hidden activation."""
    zs, acts = [None], [x]
    depth = len(params) // 2
    for t in range(1, depth + 1):
        z = params[2 * t - 2] @ acts[-1] + params[2 * t - 1]
        zs.append(z)
        acts.append(_output(z, output) if t == depth else _hidden(layers, t)(z))
    return zs, acts


def _hidden(layers, t: int):
    """The activation of hidden layer t in its stable, complex-safe numpy form (the sigmoid by default)."""
    if layers is None or layers[t - 1] == "sigmoid":
        return _sigmoid
    from derive.codegen.activation import compiled

    return compiled(layers[t - 1])[0]


def _sigmoid(z):
    from checks.network import sigmoid

    return sigmoid(z)


def _output(z, output: str):
    """a^L from z^L: the softmax over the units, or the table's element-wise activation of the output."""
    if output == "softmax":
        return _softmax(z)
    from derive.codegen.activation import compiled
    from derive.functions import output as output_entry

    return compiled(output_entry(output).activation)[0](z)


def _softmax(z):
    e = np.exp(z - z.real.max(axis=-2, keepdims=True))  # the real part's max: complex steps pass through
    return e / e.sum(axis=-2, keepdims=True)


def _mean_cost(zL, y, output: str, cost: str):
    """C = (1/m) Σ_x C_x from the output pre-activations z^L, shape (..., K, m) -> (...); complex-analytic."""
    if output == "softmax" and cost == "cross-entropy":  # −Σ y ln softmax(z) = Σ y · lse(z) − Σ y z
        top = zL.real.max(axis=-2, keepdims=True)
        lse = top[..., 0, :] + np.log(np.exp(zL - top).sum(axis=-2))
        per = lse * y.sum(axis=0) - np.einsum("...km,km->...m", zL, y)
    elif output == "sigmoid" and cost == "binary-cross-entropy":  # −y ln σ − (1 − y) ln(1 − σ) = ln(1 + e^z) − yz
        per = (_softplus(zL) - y * zL).sum(axis=-2)
    else:  # any other cost of the table, from its numpy form on a^L
        from derive.codegen.activation import compiled_cost

        per = compiled_cost(cost)(_output(zL, output), y, y.shape[0]).sum(axis=-2)
    return per.sum(axis=-1) / y.shape[-1]


def _softplus(z):
    """ln(1 + e^z) = max(Re z, 0) + ln(1 + e^(−|z|)), the branch picked by Re z: never overflows, complex-analytic."""
    positive = z.real > 0
    return np.where(positive, z, 0.0) + np.log1p(np.exp(np.where(positive, -z, z)))


# ------------------------------------------------------------------------------------ finite differences
@lru_cache(maxsize=16)
def finite_differences(sizes, output: str, cost: str, seed: int = 0, layers=None,
                       decay=None) -> tuple[list[np.ndarray], str]:
    """∂C/∂θ for every tensor by complex step, Im C(θ + ih e_k) / h; (gradients, how they were taken).

    All coordinates when the structured evaluation is affordable; else random directions and a sample.
    """
    params, x, y = _problem(sizes, output, cost, seed)
    zs, acts = _forward(params, x, output, layers)
    depth = len(sizes) - 1
    shown = "-".join(map(str, sizes))
    if _work(sizes) <= ALL_COORDINATES_FLOPS:
        references = [_Full(_coordinates(t, kind, None, params, zs, acts, y, output, cost, layers)
                            + _penalty(params, t, kind, None, decay))
                      for t in range(1, depth + 1) for kind in ("W", "b")]
        count = sum(p.size for p in params)
        return references, (f"in all {count:,} parameters of {shown}, one complex step each (h = {COMPLEX_STEP:g}; "
                            "the layers above the perturbed unit recomputed from a rank-one update)")
    rng = np.random.default_rng([seed, 1])
    references = []
    for t in range(1, depth + 1):
        for kind in ("W", "b"):
            tensor = params[2 * t - 2 + (kind == "b")]
            chosen = np.sort(rng.choice(tensor.size, size=min(SAMPLED, tensor.size), replace=False))
            directions = rng.normal(size=(PROJECTIONS, tensor.size))
            directions /= np.linalg.norm(directions, axis=1, keepdims=True)
            along = [_directional(params, 2 * t - 2 + (kind == "b"), d.reshape(tensor.shape), x, y, output, cost,
                                  layers) + float(np.sum(_penalty(params, t, kind, None, decay) * d))
                     for d in directions]
            references.append(_Sampled(chosen, _coordinates(t, kind, chosen, params, zs, acts, y, output, cost, layers)
                                       + _penalty(params, t, kind, chosen, decay),
                                       directions, np.array(along)))
    return references, (f"along {PROJECTIONS} random directions and at {SAMPLED} random coordinates of every "
                        f"tensor of {shown}")


def _penalty(params, t, kind, chosen, decay) -> np.ndarray | float:
    """The L2 penalty's part of ∂C_λ/∂W^t, by the same complex step: Im (λ/2)(w + ih)² / h (0 for b, no decay)."""
    if decay is None or kind == "b":
        return 0.0
    weights = params[2 * t - 2].reshape(-1)
    weights = weights if chosen is None else weights[np.asarray(chosen)]
    return (0.5 * decay * (weights + 1j * COMPLEX_STEP) ** 2).imag / COMPLEX_STEP


def _work(sizes) -> float:
    """Complex multiply-adds of perturbing every coordinate once: the rank-one update of the layer above, then
    the layers above that and the cost, per example."""
    total = 0.0
    for t in range(1, len(sizes)):
        coordinates = sizes[t] * (sizes[t - 1] + 1)
        above = sum(sizes[u] * sizes[u - 1] for u in range(t + 2, len(sizes)))
        above += sizes[t + 1] if t + 1 < len(sizes) else 0
        total += coordinates * BATCH * (above + sizes[-1])
    return total


def _coordinates(t, kind, chosen, params, zs, acts, y, output, cost, layers=None) -> np.ndarray:
    """Complex-step derivatives of the mean cost in the coordinates `chosen` (flat indices; None: all) of W^t or b^t."""
    tensor = params[2 * t - 2] if kind == "W" else params[2 * t - 1]
    inputs = acts[t - 1] if kind == "W" else np.ones((1, acts[0].shape[1]))
    flat = np.arange(tensor.size) if chosen is None else np.asarray(chosen)
    rows, cols = np.divmod(flat, inputs.shape[0])
    # the widest array a chunk holds is a layer above t (the perturbed rows of z^t are one per coordinate)
    width = max([zs[u].shape[0] for u in range(min(t + 1, len(zs) - 1), len(zs))]) * acts[0].shape[1]
    chunk = max(1, _CHUNK // width)
    result = np.empty(flat.size)
    for start in range(0, flat.size, chunk):
        part = slice(start, start + chunk)
        change = 1j * COMPLEX_STEP * inputs[cols[part]]
        result[part] = _perturbed_cost(t, rows[part], change, params, zs, acts, y, output, cost,
                                       layers).imag / COMPLEX_STEP
    return result


def _perturbed_cost(t, rows, change, params, zs, acts, y, output, cost, layers=None) -> np.ndarray:
    """The mean cost after adding change[p] (per example) to z^t_rows[p], for every p at once."""
    depth = len(zs) - 1
    if t == depth:
        zL = np.repeat(zs[depth][None], len(rows), axis=0).astype(change.dtype)
        zL[np.arange(len(rows)), rows, :] += change
        return _mean_cost(zL, y, output, cost)
    moved = _hidden(layers, t)(zs[t][rows] + change) - acts[t][rows]  # (P, m): only a^t_r moves
    z = zs[t + 1][None] + params[2 * t][:, rows].T[:, :, None] * moved[:, None, :]
    for u in range(t + 2, depth + 1):
        z = np.matmul(params[2 * u - 2], _hidden(layers, u - 1)(z)) + params[2 * u - 1]
    return _mean_cost(z, y, output, cost)


def _directional(params, position, direction, x, y, output, cost, layers=None) -> float:
    """The derivative of the mean cost along a unit direction in one tensor, by complex step."""
    moved = list(params)
    moved[position] = params[position] + 1j * COMPLEX_STEP * direction
    zs, _ = _forward(moved, x, output, layers)
    return float(_mean_cost(zs[-1], y, output, cost).imag) / COMPLEX_STEP


@dataclass(frozen=True)
class _Full:
    """Every coordinate of a tensor's gradient by complex step."""

    values: np.ndarray

    def error(self, derived) -> float:
        return normwise_relative_error(np.asarray(derived, dtype=float).reshape(-1), self.values)


@dataclass(frozen=True)
class _Sampled:
    """Complex-step derivatives at some coordinates and along some unit directions of a tensor."""

    coordinates: np.ndarray
    at_coordinates: np.ndarray
    directions: np.ndarray
    along: np.ndarray

    def error(self, derived) -> float:
        flat = np.asarray(derived, dtype=float).reshape(-1)
        return max(normwise_relative_error(flat[self.coordinates], self.at_coordinates),
                   normwise_relative_error(self.directions @ flat, self.along))


# ------------------------------------------------------------------------------------ derived equations
@dataclass(frozen=True)
class _Programs:
    """The matrix forms to evaluate: BP1 per example, BP2-BP4 for a mini-batch; `own` the derivation's equations."""

    forms: tuple  # BP1 (matrix form), ((activation, BP2 batch form), ...), BP3 and BP4 (batch forms)
    own: tuple[str, ...]


def _programs(derivation: Derivation) -> _Programs:
    found = tuple(dict.fromkeys(e.name for e in equations(derivation)))
    output, cost = derivation.definitions["output"], derivation.definitions["cost"]
    hidden = tuple(dict.fromkeys(derivation.definitions.get("hidden", ("sigmoid",))))
    cost_option = "cross-entropy" if cost == "binary-cross-entropy" else cost
    decay = derivation.definitions.get("weight_decay")
    builders = {"bp1": lambda _: bp1(output=output, cost=cost_option), "bp2": lambda name: bp2(hidden=name),
                "bp3": lambda _: bp3(), "bp4": lambda _: bp4(weight_decay=decay)}
    forms = []
    for name in ("bp1", "bp2", "bp3", "bp4"):
        wanted = "matrix-form" if name == "bp1" else "batch-form"
        per = []
        for activation in (hidden if name == "bp2" else hidden[:1]):
            source = derivation if name in found else builders[name](activation)
            equation = next(e for e in equations(source) if e.name == name
                            and (name != "bp2" or activation_of(source, e) == activation))
            per.append((activation, [source.steps[p].expr for p in equation.positions
                                     if source.steps[p].rule == wanted][-1].rhs))
        forms.append(tuple(per) if name == "bp2" else per[0][1])
    return _Programs(tuple(forms), found)


@lru_cache(maxsize=64)
def _compile(rhs) -> tuple:
    """(numpy function, how to bind each argument): the right side of a matrix form, lambdified once."""
    named = sorted({e for e in sp.preorder_traversal(rhs) if isinstance(e, (LayerMatrix, sp.OneMatrix, ElementwiseOf))},
                   key=str)
    arguments = [sp.MatrixSymbol(f"M{position}", *e.shape) for position, e in enumerate(named)]
    body = _plain(rhs).xreplace(dict(zip(named, arguments)))
    # The few numpy names the printed code uses, given directly: modules="numpy" would import all of numpy's
    # lazily loaded submodules first (0.2 s).
    function = sp.lambdify(arguments + [m, LAMBDA], body, modules=[_NAMESPACE], printer=_printer(), docstring_limit=0)
    return function, tuple(_binding(e) for e in named)


_NAMESPACE = {"multiply": np.multiply, "transpose": np.transpose, "matmul": np.matmul, "dot": np.dot, "add": np.add,
              "numpy": np}
_SIZES = {n[l]: ("layer", 0), n[l + 1]: ("layer", 1), n[l - 1]: ("layer", -1), n[L]: ("output", 0), m: ("batch", 0)}


def _printer():
    from sympy.printing.numpy import NumPyPrinter

    return NumPyPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": False})


def _plain(expr):
    """The printing subclasses (Tr, Had) as SymPy's own Transpose and HadamardProduct, which NumPy code knows."""
    if isinstance(expr, Tr):
        return sp.Transpose(_plain(expr.arg))
    if isinstance(expr, Had):
        return sp.HadamardProduct(*[_plain(arg) for arg in expr.args])
    if isinstance(expr, (LayerMatrix, sp.OneMatrix, ElementwiseOf)) or not expr.args:
        return expr
    return expr.func(*[_plain(arg) for arg in expr.args])


def _binding(named) -> tuple:
    """("ones", shape rule) or (kind, layer rule): a layer rule is ("layer", offset from l) or ("output", 0)."""
    if isinstance(named, sp.OneMatrix):
        return "ones", tuple(_SIZES[dim] if dim in _SIZES else ("fixed", int(dim)) for dim in named.shape)
    layer = named.layer
    rule = ("output", 0) if layer == L else ("layer", int(sp.expand(layer - l)))
    if isinstance(named, ElementwiseOf):  # f'(z) in the table's a and z, as generated numpy code
        return ("elementwise", named.scalar), rule
    return named.kind, rule


def network_gradients(programs: _Programs, sizes, params, x, y, output: str, layers=None,
                      decay=None) -> list[np.ndarray]:
    """[∂C/∂W^1, ∂C/∂b^1, ...] by the derived equations, from the output layer down (a forward pass gives a^t)."""
    return _gradients(programs.forms, tuple(sizes), params, x, y, output, layers, decay)


def _gradients(forms, sizes, params, x, y, output, layers=None, decay=None) -> list[np.ndarray]:
    depth = len(sizes) - 1
    layers = layer_activations(("sigmoid",), depth) if layers is None else layers
    zs, acts = _forward(params, x, output, layers)
    batch = x.shape[1]
    compiled = [_compile(form) if position != 1 else {name: _compile(f) for name, f in form}
                for position, form in enumerate(forms)]
    context = {"sizes": sizes, "params": params, "acts": acts, "zs": zs, "y": y, "batch": batch, "deltas": {}}
    function, bindings = compiled[0]
    lam = 0.0 if decay is None else decay
    columns = [function(*[_bind(rule, depth, context, column) for rule in bindings], batch, lam)
               for column in range(batch)]
    context["deltas"][depth] = np.hstack(columns)
    for t in range(depth - 1, 0, -1):
        function, bindings = compiled[1][layers[t - 1]]
        context["deltas"][t] = function(*[_bind(rule, t, context) for rule in bindings], batch, lam)
    grads = []
    for t in range(1, depth + 1):
        for function, bindings in (compiled[3], compiled[2]):  # BP4 for W^t, then BP3 for b^t
            grads.append(np.asarray(function(*[_bind(rule, t, context) for rule in bindings], batch, lam), dtype=float))
    return grads


def _bind(binding, t, context, column=None):
    """The array for one argument of an equation applied at layer t (l := t, L := the output layer)."""
    kind, rule = binding
    sizes, depth = context["sizes"], len(context["sizes"]) - 1
    at = {"layer": lambda offset: t + offset, "output": lambda _: depth, "batch": lambda _: None,
          "fixed": lambda value: value}
    if kind == "ones":
        return np.ones(tuple(context["batch"] if how == "batch" else value if how == "fixed" else sizes[at[how](value)]
                             for how, value in rule))
    layer = at[rule[0]](rule[1])
    pick = (lambda array: array[:, column:column + 1]) if column is not None else (lambda array: array)
    if isinstance(kind, tuple):  # ("elementwise", g): g(z^t, a^t, y, K) entry by entry (BP1: one column)
        return _elementwise(kind[1])(pick(context["zs"][layer]), pick(context["acts"][layer]),
                                     pick(context["y"]), sizes[layer])
    params, acts, y = context["params"], context["acts"], context["y"]
    return {"W": lambda: params[2 * layer - 2], "b": lambda: params[2 * layer - 1], "a": lambda: pick(acts[layer]),
            "A": lambda: acts[layer], "y": lambda: pick(y), "Y": lambda: y,
            "Delta": lambda: context["deltas"][layer]}[kind]()


@lru_cache(maxsize=64)
def _elementwise(scalar):
    """g(z, a) of a matrix form as numpy code, printed as `derive codegen` prints it; a cost's gradient (BP1 of
    the general route) also reads the targets y and the number of outputs K."""
    from derive.codegen import load_module
    from derive.codegen.activation import printed_module

    source = printed_module(scalar.xreplace({n[L]: sp.Symbol("K", positive=True)}))
    return load_module(source.replace("def form(z, a):", "def form(z, a, y, K):"), name="elementwise").form
