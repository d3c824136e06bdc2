"""From a derivation to the source of a numpy module: plan the functions, stabilize, print, assemble."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import sympy as sp

from derive.codegen.printer import Body, print_array
from derive.codegen.stable import SHIFT, STABLE_RULES, Softplus, StableSigmoid, stabilize
from derive.errors import UsageError
from derive.functions import HELPERS, helpers_called
from derive.notation import K, a, cross_entropy, j, softmax_of, t
from derive.printing import to_text
from derive.rules import ASSUMPTION, rule
from derive.steps import Derivation

__all__ = ["Function", "Context", "plan", "render", "function_source", "helper_sources", "definition_function",
           "derived_function", "SUPPORTED", "RESULT_NAMES", "docstring_text"]

# The contract: the function that implements each derivation's result. Its definitions and cost come too.
RESULT_NAMES = {
    "softmax-jacobian": "softmax_jacobian",
    "softmax-diagonal": "softmax_diagonal",
    "softmax-off-diagonal": "softmax_off_diagonal",
    "sigmoid": "sigmoid_derivative",
    "cross-entropy-delta": "delta",
    "negative-log-likelihood": "negative_log_likelihood_gradient",
}
SUPPORTED = tuple(RESULT_NAMES) + ("bp1", "backprop")
_X = sp.Symbol("_x", integer=True, positive=True)
_ARGUMENT_TEXT = {
    "z": "z: logits, shape (K,) or (K, *batch); real or complex",
    "y": "y: targets, the same shape as z",
    "t": "t: true class labels 0..K-1 (numpy counting: the derivation's class t is label t - 1), shape () or batch",
}


class Context(NamedTuple):
    """What printing a function needs from its derivation (a Derivation has these attributes too)."""

    id: str
    classes: int | None
    definitions: dict
    distinct: tuple = ()
    lhs: sp.Expr | None = None  # the claim lhs = result, for the module's header
    result: sp.Expr | None = None


_ELEMENTWISE_ARGUMENTS = {"z": "z: any shape; real or complex", "y": "y: targets, the same shape as z"}


@dataclass(frozen=True)
class Function:
    """One generated function: `expr` (the derived expression, a kept) printed in its stable form under `layout`."""

    name: str
    args: tuple[str, ...]
    layout: tuple[sp.Symbol, ...]
    lhs: sp.Expr
    expr: sp.Expr
    source: str  # which part of the derivation it implements
    stable: sp.Expr
    rules: tuple[str, ...]
    classes_axis: bool  # the class axis is a softmax axis, whose length K is fixed by the module
    assumptions: tuple[tuple[str, str], ...] = ()  # (rule, note) of the assumption steps it relies on
    text: str | None = None  # the equation as its derivation writes it, when expr is a rewritten form of it
    numpy: str = ""  # the table's stable numpy form, printed instead of `stable` (an output, or a pair's fused form)
    constants: tuple[tuple[str, float, str], ...] = ()  # (name, value, meaning) of the parameters `numpy` reads

    @property
    def equation(self) -> str:
        return self.text or f"{_text(self.lhs)} = {_text(self.expr)}"


def plan(derivation: Derivation) -> tuple[Function, ...]:
    """The functions of the module for `derivation`: each definition, the cost, the general form, the result."""
    if derivation.id not in RESULT_NAMES:
        raise UsageError(f"codegen does not support {derivation.id!r}; it supports: {', '.join(SUPPORTED)}")
    layout = _layout(derivation.lhs)
    index = layout[0] if layout else j
    definitions = derivation.definitions
    softmax = any(isinstance(node, sp.Sum) for node in sp.preorder_traversal(definitions[a](_X)))
    functions = [definition_function(base, define, index, definitions) for base, define in definitions.items()]
    if not isinstance(derivation.quantity, sp.Indexed):  # a cost: C or E written out in a
        functions.append(derived_function(_cost_name(derivation), (), sp.Symbol(_cost_symbol(derivation)),
                                   derivation.quantity, "its cost, the quantity differentiated", definitions,
                                   unfold=True, softmax=softmax))
    for position, step in enumerate(derivation.steps):
        if step.rule == "one-hot":
            functions.append(derived_function(f"general_{RESULT_NAMES[derivation.id]}", layout, derivation.lhs,
                                       derivation.previous(position), "its general form, before the one-hot "
                                       "assumption: any targets", definitions, softmax=softmax))
    result = derived_function(RESULT_NAMES[derivation.id], layout, derivation.lhs, derivation.result, "its result",
                       definitions, softmax=softmax)
    assumed = tuple((step.rule, step.note) for step in derivation.steps
                    if not step.aside and rule(step.rule).kind == ASSUMPTION and step.rule != "distinct-indices")
    functions.append(replace(result, assumptions=assumed))
    return tuple(functions)


def _layout(lhs: sp.Expr) -> tuple[sp.Symbol, ...]:
    """The free indices of the left-hand side in axis order: ∂a_j/∂z_i -> (j, i), the matrix J[j, i]."""
    parts = [lhs.expr, *lhs.variables] if isinstance(lhs, sp.Derivative) else [lhs]
    found = []
    for part in parts:
        for node in sp.preorder_traversal(part):
            if isinstance(node, sp.Indexed):
                found.extend(index for index in node.indices if index.is_Symbol and index not in found)
    return tuple(found)


def definition_function(base, define, index, definitions) -> Function:
    """a = softmax(z) printed from its derived form, or a = f(z) of an element-wise activation of the table
    printed from the table's stable numpy form (derive.functions): no activation is spelled out here."""
    expr = define(index)
    if expr == softmax_of(index, None):
        stable, rules = stabilize(expr, {})
        return Function("softmax", ("z",), (index,), base[index], expr, f"the definition of {base}", stable, rules,
                        True)
    entry = elementwise_entry(define)
    if entry is None:
        raise UsageError(f"codegen knows the softmax and the activations of the table as definitions of {base}, "
                         f"not {expr}")
    from derive.codegen.activation import function_name, numpy_text

    constants = tuple((p.name, float(v), p.meaning) for p, v in zip(entry.parameters, entry.values().values()))
    return Function(function_name(entry), ("z",), (index,), base[index], expr,
                    f"the definition of {base}, {entry.notation}, in the table's stable numpy form", expr, (), False,
                    numpy=numpy_text(entry), constants=constants)


def elementwise_entry(define):
    """The table's activation whose definition `define` (index -> a_index) is, or None (the softmax)."""
    from derive import functions
    from derive.notation import activation_of

    probe = define(_X)
    return next((e for name, e in functions.ACTIVATIONS.items() if activation_of(name, _X) == probe), None)


def derived_function(name, layout, lhs, expr, source, definitions, unfold=False, softmax=True) -> Function:
    body = _unfold(expr, definitions) if unfold else expr
    stable, rules = stabilize(body, definitions)
    used = {str(node.base) for node in sp.preorder_traversal(stable) if isinstance(node, sp.Indexed)}
    args = ("z",) + tuple(name_ for name_ in ("y",) if name_ in used) + (("t",) if stable.has(t) else ())
    return Function(name, args, tuple(layout), lhs, expr, source, stable, rules, softmax)


def _unfold(expr, definitions):
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base in definitions,
                        lambda e: definitions[e.base](e.indices[0]))


def _cost_name(derivation: Derivation) -> str:
    if derivation.quantity == cross_entropy(derivation.classes) or derivation.quantity == cross_entropy(None):
        return "cross_entropy"
    if derivation.quantity == -sp.log(a[t]):
        return "negative_log_likelihood"
    raise UsageError(f"codegen does not know the cost {derivation.quantity} of {derivation.id}")


def _cost_symbol(derivation: Derivation) -> str:
    return "E" if derivation.quantity.has(t) else "C"


# ----------------------------------------------------------------------------------------------- source
def render(derivation: Derivation, functions, command: str) -> str:
    """The module's source: header, helpers it needs, then one function per plan entry."""
    printed = [function_source(derivation, f) for f in functions]
    helpers = helper_sources(derivation, functions)
    names = [f.name for f in functions]
    rules = sorted({rule for f in functions for rule in f.rules}, key=list(STABLE_RULES).index)
    softmax = any(f.classes_axis for f in functions)
    header = _HEADER.format(id=derivation.id, scale=_scale(derivation, softmax), claim=_claim(derivation),
                            command=command, arrays=_SOFTMAX_ARRAYS if softmax else _ELEMENTWISE_ARRAYS,
                            rules=_rule_lines(rules))
    constants = (f"__all__ = {names!r}\n\nDERIVATION = {derivation.id!r}\n"
                 f"K = {derivation.classes if softmax else None!r}  # {_classes_comment(derivation, softmax)}\n")
    return "\n\n\n".join([header + "import numpy", constants.rstrip(), *helpers, *printed]) + "\n"


_HEADER = '''"""Numerically stable numpy functions for the derivation {id} ({scale}).

Claim: {claim}

Generated by `{command}` from the derived expressions,
passed through the stability rules of derive.codegen.stable:
{rules}
Regenerate rather than edit. {arrays}
"""

'''


_SOFTMAX_ARRAYS = """Arrays: axis 0 is the class axis; further axes are batch axes (one
column per example). Complex input works (the shift m uses the real part), so complex-step
differentiation through these functions does too."""
_ELEMENTWISE_ARRAYS = """The sigmoid acts elementwise; a cost sums over axis 0 (the units),
further axes are batch axes. Complex input works (the branch is chosen by the real part), so
complex-step differentiation through these functions does too."""


def docstring_text(text: str) -> str:
    """text -> a form that stands inside a generated \"\"\"docstring\"\"\" and reads back as text.

    Backslashes, quotes and unprintable characters (newlines too) are escaped, so nothing a caller passes (the
    `command` of generate_module) can end the docstring early and become code when the module is executed.
    """
    return "".join(_ESCAPES.get(c) or (c if c.isprintable() else c.encode("unicode_escape").decode("ascii"))
                   for c in text)


_ESCAPES = {"\\": "\\\\", '"': '\\"'}


def _rule_lines(rules) -> str:
    return "\n".join(f"    {r}: {STABLE_RULES[r].formula}" for r in rules) or "    (none needed)"


def _scale(derivation, softmax: bool) -> str:
    if not softmax:
        return "elementwise"
    return "any number of classes K" if derivation.classes is None else f"K = {derivation.classes}"


def _classes_comment(derivation, softmax: bool) -> str:
    if not softmax:
        return "elementwise: no class axis"
    return "any number of classes" if derivation.classes is None else "the class axis must have this length"


def _claim(derivation) -> str:
    return f"{_text(derivation.lhs)} = {_text(derivation.result)}"


def _text(expr: sp.Expr) -> str:
    """The expression as the derivation writes it, with Σ over all classes kept as Σ (never written out)."""
    return to_text(expr.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.Sum(e.function, (e.limits[0][0], 1, K))))


def helper_sources(derivation, functions) -> list[str]:
    stables = [f.stable for f in functions]
    chosen = []
    if derivation.classes is not None and any(f.classes_axis for f in functions):
        chosen.append(_CHECK_CLASSES)
    if any(e.has(sp.KroneckerDelta) and not e.has(t) for e in stables):
        chosen.append(_IDENTITY)
    if any(e.has(sp.KroneckerDelta) and e.has(t) for e in stables):
        chosen.append(_ONE_HOT)
    printed = [helper for kind, helper in _HELPER_OF.items() if any(f.stable.has(kind) for f in functions
                                                                    if not f.numpy)]
    calls = "\n".join([f.numpy for f in functions] + [f"{helper}(" for helper in printed])
    return [ARRAY] + chosen + [HELPERS[helper] for helper in helpers_called(calls)]


# The printer's nodes that print as a call of one of the table's helpers (derive.functions.HELPERS).
_HELPER_OF = {StableSigmoid: "_sigmoid", Softplus: "_softplus", sp.Abs: "_abs"}


# numpy.asarray would turn an array-like that takes part in numpy's protocols (the tracked arrays of
# checks.complex_safety) into a plain array, and gradcheck would then rule complex step out for our own code.
ARRAY = '''def _array(v):
    """v as an array: an array, or anything that takes part in numpy's operators, is kept as it is."""
    return v if hasattr(v, "__array_ufunc__") else numpy.asarray(v)'''


_CHECK_CLASSES = '''def _check_classes(z):
    if z.shape[:1] != (K,):
        raise ValueError(f"this module was generated for K = {K} classes on axis 0; got shape {z.shape}")'''

_IDENTITY = '''def _identity(z):
    """δ_ij as an array: the K x K identity, with a unit axis for each batch axis of z."""
    return numpy.eye(z.shape[0]).reshape(z.shape[:1] * 2 + (1,) * (z.ndim - 1))'''

_ONE_HOT = '''def _one_hot(t, z):
    """δ_jt as an array: 1 where the class j (axis 0) is the label t, shape (K, *batch)."""
    classes = numpy.arange(z.shape[0]).reshape((-1,) + (1,) * (z.ndim - 1))
    return (classes == t).astype(float)'''


def function_source(derivation: Derivation, f: Function) -> str:
    if f.numpy:  # the table's own stable form, with the parameters it reads
        lines = [f"def {f.name}({', '.join(f.args)}):", _docstring(derivation, f)]
        lines += [f"    {name} = {value!r}  # {meaning}" for name, value, meaning in f.constants]
        lines.append(f"    {', '.join(f.args)} = {', '.join(f'_array({x})' for x in f.args)}")
        if derivation.classes is not None and f.classes_axis:
            lines.append("    _check_classes(z)")
        return "\n".join(lines + [f"    return {f.numpy}"])
    body = Body(reserved={"z", "y", "t", "a", "m", "K", "numpy", f.name})
    value = print_array(f.stable, f.layout, body)
    lines = [f"def {f.name}({', '.join(f.args)}):", _docstring(derivation, f)]
    lines.append(f"    {', '.join(f.args)} = {', '.join(f'_array({x})' for x in f.args)}")
    if derivation.classes is not None and f.classes_axis:
        lines.append("    _check_classes(z)")
    if f.stable.has(a):
        lines.append(f"    a = {_activation_name(derivation)}(z)")
    if f.stable.has(SHIFT):
        lines.append("    m = z.max(axis=0, keepdims=True)  # m = max_k z_k, by Re z first (softmax-shift)")
    lines.extend(f"    {name} = {text}" for name, text in body.lines)
    if f.layout:
        lines.append(f"    return {value}")
    else:
        name = "cost" if "cost" not in {n for n, _ in body.lines} else "value"
        lines.append(f"    {name} = {value}")
        lines.append(f"    return {name}[0]  # one value per example: drop the class axis (length 1)")
    return "\n".join(lines)


def _activation_name(derivation) -> str:
    """The generated function that computes a: softmax, or the element-wise activation's (definition_function)."""
    return definition_function(a, derivation.definitions[a], _X, {}).name


def _docstring(derivation: Derivation, f: Function) -> str:
    lines = [f'    """{f.equation}', "", f"    From derivation {derivation.id}: {f.source}."]
    lines += [f"    Assumption ({name}): {note}." for name, note in f.assumptions]
    if derivation.distinct and f.name == RESULT_NAMES.get(derivation.id):
        lines.append("    Off the diagonal only (" + ", ".join(f"{p} ≠ {q}" for p, q in derivation.distinct)
                     + "): the entries on the diagonal are not this derivative.")
    lines += [f"    {(_ARGUMENT_TEXT if f.classes_axis else _ELEMENTWISE_ARGUMENTS)[x]}" for x in f.args]
    lines.append(f"    Returns {_returns(f)}.")
    if f.numpy:
        lines.append("    Stable form: the table's own (derive/functions.py); the check holds it to the derivation.")
    elif f.stable.has(a):
        lines.append(f"    a = {_activation_name(derivation)}(z), in its stable form.")
    if f.rules:
        lines.append("    Stable form, by the rules")
        lines += [f"        {r}: {STABLE_RULES[r].formula}" for r in f.rules]
    lines.append('    """')
    return "\n".join(lines)


def _returns(f: Function) -> str:
    if not f.layout:
        return "one value per example: shape () or batch"
    if len(f.layout) == 1:
        return f"the vector over {f.layout[0]}: the shape of z"
    first, second = f.layout
    return f"the matrix [{first}, {second}] = {_text(f.lhs)}: shape (K, K) or (K, K, *batch)"



def generate(found, classes, sizes, command, options) -> str:
    """The output-layer family's module: each derived result printed in its stable form."""
    from derive.derivations import build

    derivation = build(found.id, classes, sizes=sizes, **options)
    return render(derivation, plan(derivation),
                  command or f"derive codegen {found.id}" + (f" --classes {classes}" if classes is not None else ""))


def check(module, found, classes, options):
    """Each generated function against its derived expression."""
    from derive.codegen.check import check_generated
    from derive.derivations import build

    return check_generated(module, build(found.id, classes, **options))
