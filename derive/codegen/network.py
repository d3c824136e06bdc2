"""backprop(weights, biases, x, y) generated from BP1-BP4 of the backprop derivation, and the check of it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import shlex

import numpy as np
import sympy as sp

from derive import functions as table
from derive.codegen.check import EXTREME_LOGITS, CodeCheck
from derive.codegen.module import (
    Context, definition_function, derived_function, function_source, helper_sources, render, _rule_lines, _text,
)
from derive.codegen.printer import BatchMean, Body, print_array
from derive.codegen.stable import STABLE_RULES
from derive.errors import UsageError
from derive.functions import output as output_entry
from derive.notation import C, K, a as plain_a, activation_of, i, j, k, softmax_of, z as plain_z
from derive.rules import ASSUMPTION, rule

__all__ = ["generate_network", "check_network", "CHECK_SIZES"]

CHECK_SIZES = (4, 5, 3)  # the network a module is checked on when no --sizes fix it
_BATCH = 3


def _derivation(id_, sizes, output, cost, hidden=None, weight_decay=None):
    from derive.catalogue import build

    extra = {name: value for name, value in (("hidden", hidden), ("weight_decay", weight_decay)) if value is not None}
    return build(id_, None, sizes=sizes, output=output, cost=cost, **extra)


def _equations(derivation) -> dict:
    """bp1, bp3, bp4 -> their equation; bp2 -> the first one (`_bp2_equations` has one per hidden activation)."""
    from derive.backprop.derivations import equations

    found = {}
    for equation in equations(derivation):
        found.setdefault(equation.name, equation)
    return found


def _all_equations(derivation) -> tuple:
    from derive.backprop.derivations import equations

    return equations(derivation)


def _bp2_equations(derivation) -> dict:
    """hidden activation -> its BP2 equation."""
    from derive.backprop.derivations import activation_of, equations

    return {activation_of(derivation, e): e for e in equations(derivation) if e.name == "bp2"}


def _layer_symbols():
    from derive.backprop import notation

    return notation


def _at_output(expr: sp.Expr) -> sp.Expr:
    """a^L_i -> a_i and z^L_i -> z_i: the output layer's quantities in the notation of the K-class derivations."""
    bp = _layer_symbols()
    plain = {bp.a: plain_a, bp.z: plain_z}
    expr = expr.replace(lambda e: isinstance(e, bp.LayerIndexed) and e.base in plain and e.layer == bp.L,
                        lambda e: plain[e.base][e.units[0]])
    return expr.xreplace({bp.n[bp.L]: K})


def _output_definition(output: str):
    """a_index for the output layer: the softmax, or the table's element-wise activation of the output."""
    if not output_entry(output).elementwise:
        return lambda index: softmax_of(index, None)
    return partial(activation_of, output_entry(output).activation)


# The names of the output layer's functions: bp1 is the K-class delta(z, y) contract; backprop keeps them apart.
_OUTPUT_NAMES = {"bp1": {"error": "delta", "cost": "cost", "general": "general_delta"},
                 "backprop": {"error": "output_error", "cost": "output_cost", "general": None}}


def plan_output(derivation):
    """The output layer's functions in the K-class notation (z = z^L): its activations, cost and BP1 delta."""
    names = _OUTPUT_NAMES[derivation.id]
    bp1 = _equations(derivation)["bp1"]
    output = derivation.definitions["output"]
    definitions = {plain_a: _output_definition(output)}
    softmax = not output_entry(output).elementwise
    functions = [definition_function(plain_a, definitions[plain_a], j, {})]
    source = "the cost of one example, from the output's weighted input z = z^L"
    cost = derived_function(names["cost"], (), C, _at_output(derivation.quantity), source, definitions, unfold=True,
                            softmax=softmax)
    functions.append(replace(cost, text=f"C = {_text(derivation.quantity)}"))
    steps = [derivation.steps[p] for p in bp1.positions]
    for p in bp1.positions:
        if derivation.steps[p].rule == "one-hot" and names["general"]:
            general = _at_output(derivation.previous(p))
            functions.append(derived_function(names["general"], (i,), bp1.lhs, general, "BP1 before the one-hot "
                                              "assumption: any targets", definitions, softmax=softmax))
            functions[-1] = replace(functions[-1], text=f"{_text(bp1.lhs)} = {_text(derivation.previous(p))}")
    assumed = tuple((s.rule, s.note) for s in steps if not s.aside and rule(s.rule).kind == ASSUMPTION)
    error = derived_function(names["error"], (i,), bp1.lhs, _at_output(bp1.result), "BP1, the error of the output "
                             "layer (z = z^L, the output's weighted input)", definitions, softmax=softmax)
    functions.append(replace(error, assumptions=assumed, text=f"BP1: {_text(bp1.lhs)} = {_text(bp1.result)}"))
    return _fused(functions, output, derivation.definitions["cost"], names)


def _fused(planned: list, output: str, cost: str, names: dict) -> list:
    """The cost and BP1 in the cost entry's own stable numpy forms for this output, where the table has them (no
    stability rule applies to the derived ones); their expressions stay the derived ones the check compares with."""
    forms = table.fused(output, cost)
    if forms is None:
        return planned
    by_name = dict(zip((names["cost"], names["error"]), forms))
    return [replace(f, numpy=by_name[f.name], args=("z", "y"), rules=()) if f.name in by_name else f for f in planned]


def _context(derivation, lhs=None, result=None) -> Context:
    definitions = {plain_a: _output_definition(derivation.definitions["output"])}
    return Context(derivation.id, derivation.sizes[-1] if derivation.sizes else None, definitions, (), lhs, result)


def generate_network(id_: str, sizes=None, output=None, cost=None, command=None, hidden=None,
                     weight_decay=None) -> str:
    """The module for bp1 (the output layer's delta) or backprop (the whole network, `hidden` its activations)."""
    for name, value in (("hidden", hidden), ("weight-decay", weight_decay)):
        if value is not None and id_ != "backprop":
            raise UsageError(f"--{name} does not apply to {id_}: it is the output layer's delta alone")
    derivation = _derivation(id_, sizes, output, cost, hidden, weight_decay)
    flags = [f"--sizes {','.join(map(str, sizes))}" if sizes else ""]
    flags += [f"--{name} {value}" for name, value in (("output", output), ("cost", cost)) if value]
    flags += [f"--hidden {shlex.quote(name)}" for name in (hidden or ())]
    flags += [f"--weight-decay {weight_decay:g}"] if weight_decay is not None else []
    command = command or " ".join([f"derive codegen {id_}", *filter(None, flags)])
    note = Domain(derivation.definitions["output"], derivation.definitions["cost"]).note()
    try:
        if id_ == "bp1":
            bp1 = _equations(derivation)["bp1"]
            return _with_note(render(_context(derivation, bp1.lhs, bp1.result), plan_output(derivation), command),
                              note)
        return _with_note(_generate_backprop(derivation, command), note)
    except NotImplementedError as error:  # a user's cost with a function the array printer has no rule for
        raise UsageError(f"codegen cannot print the {derivation.definitions['cost']} cost's equations: "
                         f"{str(error).splitlines()[0]}; derive show/check {id_} derive and check it") from None


def _with_note(source: str, note: str) -> str:
    """The note (where the code holds) as the last paragraph of the module's docstring, wrapped at 110."""
    if not note:
        return source
    import textwrap

    wrapped = "\n".join(textwrap.fill(line, 110) for line in note.splitlines())
    return source.replace('\n"""\n', f'\n{wrapped}\n"""\n', 1)


def _generate_backprop(derivation, command) -> str:
    from derive.backprop.derivations import equation_label

    functions, found = plan_output(derivation), _equations(derivation)
    output, context = derivation.definitions["output"], _context(derivation)
    rules = sorted({r for f in functions for r in f.rules}, key=list(STABLE_RULES).index)
    header = _HEADER.format(output=output, cost=derivation.definitions["cost"], command=command,
                            equations="\n".join(f"    {_line(e, equation_label(derivation, e))}"
                                                 for e in _all_equations(derivation)), rules=_rule_lines(rules))
    hidden = tuple(derivation.definitions["hidden"])
    activations = _hidden_sources(hidden, {f.name for f in functions})
    names = ["backprop", "forward", "cost", *(f.name for f in functions), *(name for name, _ in activations)]
    sizes_note = "the layer sizes n_0, ..., n_L the functions accept" if derivation.sizes else "any layer sizes"
    constants = (f"__all__ = {names!r}\n\nDERIVATION = 'backprop'\nOUTPUT = {output!r}\n"
                 f"COST = {derivation.definitions['cost']!r}\n"
                 f"SIZES = {derivation.sizes!r}  # {sizes_note}\n"
                 f"K = {context.classes!r}  # the output layer's size n_L\n"
                 f"HIDDEN = {hidden!r}  # hidden layer l's activation: HIDDEN[l - 1], or HIDDEN[0] for every layer\n"
                 f"WEIGHT_DECAY = {float(derivation.definitions['weight_decay'] or 0.0)!r}  # λ of the L2 penalty "
                 "(λ/2) Σ ‖W^l‖² in the cost\n")
    network = [_forward_source(derivation), _cost_source(derivation), _backprop_source(derivation, found)]
    helpers = helper_sources(context, functions) + [_CHECK_NETWORK, _HIDDEN_OF]
    helpers += [source for helper, source in _helpers_needed([*network, *(s for _, s in activations)], helpers)]
    imports = ["import numpy"] + [f"import {module}  # needed by the hidden activation {', '.join(users)}"
                                  for module, users in _needs(hidden).items()]
    if _needs(hidden):
        header = header.replace('\n"""\n', "\nNeeds " + ", ".join(f"{module} (for {', '.join(users)})" for module, users
                                                                in _needs(hidden).items()) + ', imported below.\n"""\n', 1)
    parts = [header + "\n".join(imports), constants.rstrip(), *helpers, *network,
             *(function_source(context, f) for f in functions), *(source for _, source in activations),
             _activation_table(hidden)]
    return "\n\n\n".join(parts) + "\n"


def _bp4_text(result: sp.Expr, body) -> str:
    """The batch mean of a^(l−1)_k δ^l_j, plus λ w^l_jk (as WEIGHT_DECAY * weights[l - 1]) when decayed."""
    from derive.backprop.notation import LAMBDA

    batch = sp.Add(*[t for t in sp.Add.make_args(result) if not t.has(LAMBDA)])
    text = print_array(BatchMean(batch), (j, k), body)
    if result.has(LAMBDA):
        bp = _layer_symbols()
        decay = sp.Add(*[t for t in sp.Add.make_args(result) if t.has(LAMBDA)])
        if decay != LAMBDA * bp.w[bp.l, j, k]:
            raise NotImplementedError(f"a weight-decay term {decay} other than λ w^l_jk is not laid out yet")
        text += " + WEIGHT_DECAY * weights[l - 1]"  # λ w^l_jk: the whole matrix W^l
    return text


def _lines(derivation, found) -> str:
    from derive.backprop.derivations import equation_label

    return "\n    ".join(_line(e, equation_label(derivation, e)) for e in found)


def _bp2_lines(printed: dict) -> str:
    """delta[l] = ... for the hidden activation of layer l (one line when every hidden layer has the same)."""
    if len(printed) == 1:
        (name, text), = printed.items()
        return f"        delta[l] = {text}  # BP2 ({name} layers)"
    lines = []
    for position, (name, text) in enumerate(printed.items()):
        lines.append(f"        {'if' if position == 0 else 'elif'} _hidden(l) == {name!r}:")
        lines.append(f"            delta[l] = {text}  # BP2 ({name} layers)")
    return "\n".join(lines)


def _printable(expr: sp.Expr) -> sp.Expr:
    """BP2 for the array printer: 1[c] as the boolean array c (a 0/1 factor), 1/(1 + e^{−u}) as the stable
    sigmoid (derive.codegen.stable)."""
    from derive.backprop.notation import Indicator
    from derive.codegen.stable import stabilize

    expr = expr.replace(lambda e: isinstance(e, Indicator), lambda e: _Mask(e.args[0]))
    return stabilize(expr)[0]


class _Mask(sp.Function):
    """A condition used as a 0/1 factor: printed as the boolean array itself."""

    nargs = 1


def _line(equation, label: str | None = None) -> str:
    return f"{label or equation.name.upper()}: {_text(equation.lhs)} = {_text(equation.result)}"


_HEADER = '''"""Numerically stable numpy backpropagation from the derivation backprop ({output} output, {cost} cost).

{equations}

Generated by `{command}` from the derived equations, passed through
the stability rules of derive.codegen.stable:
{rules}
Regenerate rather than edit. Arrays: one column per example; W^l is weights[l - 1], of shape
(n_l, n_(l-1)), and b^l is biases[l - 1], a column (n_l, 1). Complex input works, so complex-step
differentiation through cost() checks backprop().
"""

'''

_HIDDEN_OF = '''def _hidden(l):
    """The activation of hidden layer l."""
    return HIDDEN[l - 1] if len(HIDDEN) > 1 else HIDDEN[0]'''


def _needs(hidden) -> dict[str, list[str]]:
    """Module -> the hidden activations whose numpy forms need it beyond numpy (scipy.special: the erf GELU)."""
    from derive import functions

    needed: dict[str, list[str]] = {}
    for name in dict.fromkeys(hidden):
        for module in functions.activation(name).needs:
            needed.setdefault(module, []).append(name)
    return needed


def _hidden_sources(hidden, defined) -> list[tuple[str, str]]:
    """(function name, source) of each hidden activation not already defined, in the table's stable numpy form."""
    from derive import functions
    from derive.codegen.activation import function_name, numpy_text

    sources = []
    for name in dict.fromkeys(hidden):
        entry = functions.activation(name)
        python = function_name(entry)
        if python in defined:
            continue
        values = "".join(f"    {p.name} = {float(v)!r}  # {p.meaning}\n"
                         for p, v in zip(entry.parameters, entry.values().values()))
        sources.append((python, f'''def {python}(z):
    """a = {entry.notation}: the hidden activation {name}, its stable numpy form from derive/functions.py."""
{values}    z = _array(z)
    return {numpy_text(entry)}'''))
    return sources


def _activation_table(hidden) -> str:
    from derive import functions
    from derive.codegen.activation import function_name

    entries = ", ".join(f"{name!r}: {function_name(functions.activation(name))}" for name in dict.fromkeys(hidden))
    return f"_ACTIVATIONS = {{{entries}}}  # HIDDEN's names -> the functions above"


def _helpers_needed(sources, present) -> list[tuple[str, str]]:
    """The table's helpers (derive.functions.HELPERS) that the sources call and `present` does not define."""
    text = "\n".join(sources)
    have = "\n".join(present)
    return [(helper, table.HELPERS[helper]) for helper in table.helpers_called(text)
            if f"def {helper}(" not in have]


_CHECK_NETWORK = '''def _check_network(weights, biases, x):
    if len(weights) != len(biases) or not weights:
        raise ValueError(f"need one bias per weight matrix, got {len(weights)} weights and {len(biases)} biases")
    rows = x.shape[0]
    for layer, (w, b) in enumerate(zip(weights, biases), start=1):
        if w.ndim != 2 or w.shape[1] != rows or b.shape != (w.shape[0], 1):
            raise ValueError(f"layer {layer}: W {w.shape} and b {b.shape} do not follow n_{layer - 1} = {rows}")
        rows = w.shape[0]
    if SIZES is not None and (x.shape[0],) + tuple(w.shape[0] for w in weights) != SIZES:
        raise ValueError(f"this module was generated for the layer sizes {SIZES}")'''


def _forward_source(derivation) -> str:
    bp = _layer_symbols()
    preactivation = rule("preactivation-definition").apply(sp.Derivative(bp.z[bp.l, i], bp.b[bp.l, i]), None).expr
    value = print_array(preactivation, (i,), Body(reserved={"a", "z", "x", "l", "L", "weights", "biases"}))
    output = derivation.definitions["output"]
    function = definition_function(plain_a, _output_definition(output), j, {}).name
    return f'''def forward(weights, biases, x):
    """{_text(bp.z[bp.l, i])} = {_text(preactivation)}; a^l = f_l(z^l) for l < L (HIDDEN), a^L = {output}(z^L).

    From derivation backprop: the network it assumes (rule preactivation-definition).
    x: inputs (n_0, batch), one column per example, or one example (n_0,).
    Returns the lists a and z of the layers: a[l] = a^l (a[0] = x), z[l] = z^l (z[0] = None).
    """
    weights = [_array(w) for w in weights]
    biases = [_array(b) for b in biases]
    x = _array(x)
    x = x.reshape(x.shape[0], -1)
    _check_network(weights, biases, x)
    L = len(weights)
    a, z = [x], [None]
    for l in range(1, L + 1):
        z.append({value})
        a.append(_ACTIVATIONS[_hidden(l)](z[l]) if l < L else {function}(z[l]))
    return a, z'''


def _cost_source(derivation) -> str:
    return f'''def cost(weights, biases, x, y):
    """C = (1/m) Σ_x C_x, the mean over the m examples of C = {_text(derivation.quantity)}.

    From derivation backprop: the cost it differentiates, averaged over the batch.
    """
    a, z = forward(weights, biases, x)
    y = numpy.asarray(y).reshape(a[-1].shape)
    penalty = sum((w * w).sum() for w in weights) * (WEIGHT_DECAY / 2) if WEIGHT_DECAY else 0.0  # (λ/2) Σ ‖W^l‖²
    return output_cost(z[-1], y).mean() + penalty'''


def _backprop_source(derivation, found) -> str:
    body = Body(reserved={"a", "z", "x", "y", "l", "L", "weights", "biases", "delta", "examples"})
    bp2 = {name: print_array(_printable(e.result), (j,), body) for name, e in _bp2_equations(derivation).items()}
    bp3 = print_array(BatchMean(found["bp3"].result), (j,), body)
    bp4 = _bp4_text(found["bp4"].result, body)
    if body.lines:
        raise NotImplementedError("backprop statements with shared subexpressions are not laid out yet")
    definitions = derivation.definitions
    one_hot = ", one-hot" if definitions["cost"] == "cross-entropy" else ""
    return f'''def backprop(weights, biases, x, y):
    """The gradients of the mean cost over a batch, by BP1-BP4.

    From derivation backprop ({definitions["output"]} output, {definitions["cost"]} cost):

    {_line(found["bp1"])}   (output_error)
    {_lines(derivation, _bp2_equations(derivation).values())}
    {_line(found["bp3"])}
    {_line(found["bp4"])}
    BP3 and BP4 are averaged over the m examples (columns): the gradient of C = (1/m) Σ_x C_x.
    weights: [W^1, ..., W^L], W^l of shape (n_l, n_(l-1)); biases: [b^1, ..., b^L], b^l of shape (n_l, 1).
    x: inputs (n_0, batch); y: targets (n_L, batch){one_hot}; one column per example.
    Returns (grad_w, grad_b), lists of the shapes of weights and biases.
    """
    a, z = forward(weights, biases, x)
    L = len(a) - 1
    y = numpy.asarray(y).reshape(a[L].shape)
    examples = a[0].shape[1]
    delta = [None] * (L + 1)
    delta[L] = output_error(z[L], y)  # BP1
    for l in range(L - 1, 0, -1):
{_bp2_lines(bp2)}
    grad_b = [{bp3} for l in range(1, L + 1)]  # BP3
    grad_w = [{bp4} for l in range(1, L + 1)]  # BP4
    return grad_w, grad_b'''


# ------------------------------------------------------------------------------------------------ check
def check_network(module, id_: str, sizes=None, output=None, cost=None, seed: int = 0,
                  hidden=None, weight_decay=None) -> tuple[CodeCheck, ...]:
    """The output layer's functions against the derived expressions; backprop against complex steps of its cost
    (whose forward pass runs the hidden activations' table forms, so a wrong BP2 shows)."""
    derivation = _derivation(id_, sizes, output, cost, hidden, weight_decay)
    shapes = tuple(sizes) if sizes else CHECK_SIZES
    if not sizes and hidden and len(hidden) > 1:  # one activation per hidden layer fixes the depth
        shapes = (CHECK_SIZES[0],) + (CHECK_SIZES[1],) * len(hidden) + (CHECK_SIZES[-1],)
    rng = np.random.default_rng(seed)
    context = _context(derivation)._replace(classes=shapes[-1])
    domain = Domain(derivation.definitions["output"], derivation.definitions["cost"])
    checks = [_check_plain(module, context, f, shapes[-1], rng, domain) for f in plan_output(derivation)]
    if id_ == "backprop":
        checks.append(_check_gradients(module, shapes, rng, domain))
        # the gradient check runs the module's own cost: its λ must be the derivation's
        derived = float(derivation.definitions.get("weight_decay") or 0.0)
        written = float(getattr(module, "WEIGHT_DECAY", float("nan")))
        checks.append(CodeCheck("WEIGHT_DECAY", abs(written - derived) / max(derived, 1.0), True))
    return tuple(checks)


@dataclass(frozen=True)
class Domain:
    """Where a pair's generated code is checked, from the table (derive.functions): a inside the cost's domain,
    and extreme logits only where the pair is meant to be stable (and a stays inside the domain there too)."""

    output: str
    cost: str

    @property
    def restricted(self) -> str:
        return table.outside_domain(self.output, self.cost)

    def inside(self, z: np.ndarray) -> bool:
        if not self.restricted:
            return True
        from derive.codegen.activation import compiled

        low, high = table.cost(table.resolve_cost(self.output, self.cost)).domain
        a = compiled(table.output(self.output).activation)[0](np.asarray(z, dtype=float))
        return bool(np.all((a > low) & (a < high)))

    def moderate(self, n: int, rng) -> np.ndarray:
        """z ~ N(0, 1) entry by entry, each drawn again (seeded) until a lies inside the cost's domain."""
        z = rng.normal(size=n)
        for entry in range(n):
            while not self.inside(z[entry:entry + 1]):
                z[entry] = rng.normal()
        return z

    def extremes(self, z: np.ndarray) -> list[np.ndarray]:
        """z scaled to |z| = EXTREME_LOGITS, shifted by −EXTREME_LOGITS, and ±EXTREME_LOGITS everywhere: those
        inside the domain."""
        scaled = z / np.max(np.abs(z)) * EXTREME_LOGITS
        points = [scaled, scaled - EXTREME_LOGITS, np.full_like(z, EXTREME_LOGITS), np.full_like(z, -EXTREME_LOGITS)]
        return [p for p in points if self.inside(p)]

    def note(self) -> str:
        """The module header's sentence on where the code holds (empty for a pair defined and stable everywhere)."""
        if not self.restricted:
            return ""
        return (f"Defined only inside the cost's domain: {self.restricted}. It was checked at such points (at "
                f"|z| = {EXTREME_LOGITS:g} only where a stays inside; backprop at weights of moderate size only).")


def _check_plain(module, context, f, n, rng, domain: Domain) -> CodeCheck:
    from derive.codegen.check import _one_hot, _reference

    one_hot = any(name == "one-hot" for name, _ in f.assumptions)
    targets = _one_hot(n, rng.integers(n)) if one_hot else rng.uniform(0.05, 1.0, n)
    inputs = {"z": domain.moderate(n, rng), "y": targets, "t": 0}
    generated = np.asarray(getattr(module, f.name)(*[inputs[x] for x in f.args]))
    reference = _reference(context, f, n, inputs)
    error = np.linalg.norm(generated - reference) / max(np.linalg.norm(reference), np.finfo(float).tiny)
    finite = all(np.all(np.isfinite(getattr(module, f.name)(*[{**inputs, "z": z}[x] for x in f.args])))
                 for z in domain.extremes(inputs["z"]))
    return CodeCheck(f.name, float(error), bool(finite))


def inside_the_domain(weights: list, biases: list, domain: Domain, largest: float = 1.0) -> tuple[list, list]:
    """For a pair defined on part of the line (an identity output under ln a): the output weights scaled to row
    sums of |w| ≤ 0.2 / `largest` and the biases set to ½, so that z^L lies in (0.3, 0.7) for hidden values of
    size up to `largest` (1 for sigmoid, tanh, softsign; the batch's own for relu and the other unbounded ones)."""
    if not domain.restricted:
        return weights, biases
    scale = 0.2 / max(float(np.abs(weights[-1]).sum(axis=1).max()) * max(largest, 1.0), 1e-300)
    return [*weights[:-1], weights[-1] * min(scale, 1.0)], [*biases[:-1], np.full_like(biases[-1], 0.5)]


def _largest_hidden(module, weights, biases, x) -> float:
    """max |a^(L−1)| over the batch: the last hidden layer's values, which the output layer does not change."""
    return float(np.abs(module.forward(weights, biases, x)[0][-2]).max())


def _check_gradients(module, sizes, rng, domain: Domain, directions: int = 3, step: float = 1e-30) -> CodeCheck:
    """Along seeded random directions V: Im cost(θ + i h V) / h against Σ grad · V (complex step, no cancellation).
    With weights ×1000 the gradients must stay finite, where the pair is meant to be (Domain)."""
    weights = [rng.normal(size=(n, m)) / np.sqrt(m) for m, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=(n, 1)) for n in sizes[1:]]
    x = rng.random((sizes[0], _BATCH))
    weights, biases = inside_the_domain(weights, biases, domain, _largest_hidden(module, weights, biases, x))
    y = np.zeros((sizes[-1], _BATCH))  # not np.eye(n_L)[:, labels]: a dense n_L x n_L identity (74.5 GiB at 100,000)
    y[rng.integers(sizes[-1], size=_BATCH), np.arange(_BATCH)] = 1.0
    grad_w, grad_b = module.backprop(weights, biases, x, y)
    errors = []
    for _ in range(directions):
        vw = [rng.normal(size=w.shape) for w in weights]
        vb = [rng.normal(size=b.shape) for b in biases]
        numeric = np.imag(module.cost([w + 1j * step * v for w, v in zip(weights, vw)],
                                      [b + 1j * step * v for b, v in zip(biases, vb)], x, y)) / step
        analytic = sum(np.sum(g * v) for g, v in zip(grad_w + grad_b, vw + vb))
        errors.append(abs(numeric - analytic) / max(abs(numeric), np.finfo(float).tiny))
    big = [w * EXTREME_LOGITS for w in weights]
    finite = domain.restricted or all(np.all(np.isfinite(g)) for g in sum(module.backprop(big, biases, x, y), []))
    return CodeCheck("backprop", float(max(errors)), bool(finite))


def generate(found, classes, sizes, command, options) -> str:
    """The backprop family's module (bp1: the output layer's delta; backprop: the whole network)."""
    from derive.derivations import classes_for

    classes_for(found.id, classes)
    return generate_network(found.id, sizes=sizes, command=command, **options)


def check(module, found, classes, options):
    return check_network(module, found.id, **options)
