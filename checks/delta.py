"""`check_delta`: compare a person's output-layer delta function with the derived delta and with each known wrong form.

The derived delta comes from the derivation engine (`checks.reference.output_delta`); the wrong forms are the
catalogued mistakes written out. A delta that matches a wrong form on every probe is named by that form's id.
`check_hidden_delta` does the same for a hidden layer, delta(z, upstream) = upstream * sigma'(z), with sigma'
taken by complex step of the activation itself.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from checks.diagnose import name_factor
from checks.network import sigmoid, softmax
from checks.report import Entry, Finding, Report, TensorResult
from checks.tolerances import DELTA_TOLERANCE, Tolerance

__all__ = ["check_delta", "check_hidden_delta", "WRONG_FORMS"]

Array = np.ndarray
DeltaFunction = Callable[[Array, Array], Array]


def _diagonal_only(z: Array, y: Array) -> Array:
    """-y (1 - a): dC/da_j = -y_j / a_j times only the diagonal a_j (1 - a_j) of the softmax Jacobian."""
    return -y * (1.0 - softmax(z))


def _extra_softmax_derivative(z: Array, y: Array) -> Array:
    """(a - y) a (1 - a) with a = softmax(z)."""
    a = softmax(z)
    return (a - y) * a * (1.0 - a)


def _double_softmax(z: Array, y: Array) -> Array:
    """softmax(a) - y with a = softmax(z)."""
    return softmax(softmax(z)) - y


def _extra_sigmoid_derivative(z: Array, y: Array) -> Array:
    """(a - y) a (1 - a) with a = sigmoid(z)."""
    a = sigmoid(z)
    return (a - y) * a * (1.0 - a)


def _derivative_of_activation(z: Array, y: Array) -> Array:
    """(a - y) sigmoid(a) (1 - sigmoid(a)) with a = sigmoid(z): sigma' evaluated on the activation."""
    a = sigmoid(z)
    return (a - y) * sigmoid(a) * (1.0 - sigmoid(a))


# (output, cost) -> mistake id -> (the wrong form as people write it, the function)
WRONG_FORMS: dict[tuple[str, str], dict[str, tuple[str, DeltaFunction]]] = {
    ("softmax", "cross-entropy"): {
        "softmax-diagonal-only": ("-y * (1 - a)", _diagonal_only),
        "extra-activation-derivative": ("(a - y) * a * (1 - a)", _extra_softmax_derivative),
        "double-softmax": ("softmax(a) - y", _double_softmax),
    },
    ("sigmoid", "binary-cross-entropy"): {
        "extra-activation-derivative": ("(a - y) * a * (1 - a)", _extra_sigmoid_derivative),
    },
    ("sigmoid", "quadratic"): {
        "activation-derivative-of-activation": ("(a - y) * sigmoid(a) * (1 - sigmoid(a))", _derivative_of_activation),
    },
}
_RIGHT = {("softmax", "cross-entropy"): "a - y", ("sigmoid", "binary-cross-entropy"): "a - y",
          ("sigmoid", "quadratic"): "(a - y) * a * (1 - a)"}


def _canonical(name: str) -> str:
    return str(name).strip().lower().replace("_", "-").replace(" ", "-")


def _probe_sets(output: str, classes: int, rng: np.random.Generator) -> dict[str, list[tuple[Array, Array]]]:
    """Targets by kind; softmax targets sum to 1 (one-hot, smoothed, random), sigmoid targets are per unit."""
    count = min(classes, 8)
    one_hot = [np.eye(classes)[k % classes] for k in range(count)]
    if output == "softmax":
        targets = {"one-hot": one_hot,
                   "smoothed": [0.9 * y + 0.1 / classes for y in one_hot],
                   "random": list(rng.dirichlet(np.ones(classes), size=count))}
    else:
        targets = {"one-hot": one_hot,
                   "binary": list(rng.integers(0, 2, size=(count, classes)).astype(float)),
                   "soft": list(rng.random((count, classes)))}
    return {kind: [(2.0 * rng.standard_normal(classes), y) for y in ys] for kind, ys in targets.items()}


def _call(delta: DeltaFunction, z: Array, second: Array, classes: int) -> Array:
    value = np.asarray(delta(z.copy(), second.copy()))
    if value.shape != (classes,):
        raise ValueError(f"delta(z, y) returned shape {value.shape}; expected ({classes},) "
                         f"for z and y of shape ({classes},)")
    if not np.all(np.isfinite(value)):
        raise ValueError("delta(z, y) returned NaN or inf")
    return value.astype(float)


def _evaluate(fn: DeltaFunction, probes: dict[str, list[tuple[Array, Array]]], classes: int) -> dict[str, Array]:
    return {kind: np.array([_call(fn, z, y, classes) for z, y in pairs]) for kind, pairs in probes.items()}


def _relative(a: Array, b: Array) -> float:
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return float(np.linalg.norm(a - b) / scale) if scale else 0.0


def _matches(yours: Array, other: Array, tol: Tolerance) -> bool:
    scale = max(np.linalg.norm(yours), np.linalg.norm(other))
    return bool(np.linalg.norm(yours - other) <= tol.rtol * scale + tol.atol)


def _stack(values: dict[str, Array]) -> Array:
    return np.concatenate([v.reshape(-1) for v in values.values()])


def _rows(yours: dict[str, Array], derived: dict[str, Array], tol: Tolerance) -> list[TensorResult]:
    rows = []
    for kind in yours:
        a, n = yours[kind], derived[kind]
        error = float(np.linalg.norm(a - n))
        norm = float(max(np.linalg.norm(a), np.linalg.norm(n)))
        rows.append(TensorResult(kind, a.shape, _relative(a, n), error, norm, _matches(a, n, tol)))
    return rows


def _worst(yours: dict[str, Array], derived: dict[str, Array], count: int = 5) -> list[Entry]:
    entries = [Entry(kind, (int(p), int(j)), float(yours[kind][p, j]), float(derived[kind][p, j]))
               for kind in yours for p, j in np.ndindex(yours[kind].shape)]
    entries.sort(key=lambda e: -abs(e.difference))
    return [e for e in entries[:count] if e.difference != 0.0]


def _example(yours: dict[str, Array], derived: dict[str, Array], kind: str) -> str:
    fmt = {"float_kind": lambda x: f"{x + 0.0:.3g}"}
    return (f"e.g. {kind} probe 0: yours {np.array2string(yours[kind][0], formatter=fmt)}, "
            f"derived {np.array2string(derived[kind][0], formatter=fmt)}")


def _form_findings(yours, derived, forms, probes, classes, tol) -> list[Finding]:
    findings = []
    total = sum(len(pairs) for pairs in probes.values())
    for mistake_id, (text, fn) in forms.items():
        wrong = _evaluate(fn, probes, classes)
        if _matches(_stack(yours), _stack(wrong), tol):
            gap = np.max(np.abs(_stack(yours) - _stack(wrong)))
            findings.append(Finding(mistake_id, f"your delta is {text}",
                                    f"matches {text} on all {total} probes (largest difference {gap:.1e}); "
                                    + _example(yours, derived, next(iter(yours)))))
    return findings


def _scale_findings(yours: Array, derived: Array, tol: Tolerance, names: dict) -> list[Finding]:
    """c x derived: sign when c = -1, scale otherwise (named when it is K, 2 or the batch size)."""
    denominator = float(np.dot(derived, derived))
    if denominator == 0.0:
        return []
    c = float(np.dot(yours, derived)) / denominator
    if c == 0.0 or abs(c - 1) <= 1e-6 or not _matches(yours, c * derived, tol):
        return []
    findings = []
    if c < 0:
        findings.append(Finding("sign", f"your delta is -({names['right']}), the derived delta with the wrong sign",
                                f"yours / derived = {c:.10g} on every probe", factor=-1.0))
    if abs(abs(c) - 1) > 1e-6:
        named = name_factor(abs(c), names.get("batch_size"), names.get("classes"))
        label = f" = {named}" if named else ""
        message = f"your delta is {c:.10g} x ({names['right']}): off by a constant factor{label}"
        findings.append(Finding("scale", message,
                                f"yours = {c:.10g} x derived on every probe", factor=c))
    return findings


def _report(title, yours, derived, findings, method, mode, tol) -> Report:
    rows = _rows(yours, derived, tol)
    error = _relative(_stack(yours), _stack(derived))
    passed = all(r.passed for r in rows)
    return Report(title, passed, error, tuple(rows), tuple(_worst(yours, derived)) if not passed else (),
                  tuple(findings) if not passed else (), method, 0.0, mode, tol.rtol, tol.atol,
                  labels=("targets", "yours", "derived"))


def _reference(output: str, cost: str) -> tuple[DeltaFunction, tuple[str, str]]:
    """The derived delta from the derivation engine, and the (output, cost) pair it answers for (after aliases)."""
    from checks import reference

    pair = getattr(reference, "ALIASES", {}).get((output, cost), (output, cost))
    return reference.output_delta(output, cost), pair


def check_delta(delta: DeltaFunction, output: str = "softmax", cost: str = "cross-entropy", classes: int = 10, *,
                seed: int = 0, batch_size: int | None = None) -> Report:
    """Probe delta(z, y) (1-D z and y of length `classes`) and compare it with the derived output-layer delta.

    Targets: for softmax, one-hot, smoothed (0.9 one-hot + 0.1/K) and random distributions, all summing to 1; for
    sigmoid, one-hot, binary and soft targets. Names softmax-diagonal-only, extra-activation-derivative,
    double-softmax, activation-derivative-of-activation, scale (c (a - y)) and sign (y - a) when the delta matches.
    """
    output, cost = _canonical(output), _canonical(cost)
    if not isinstance(classes, (int, np.integer)) or classes < 2:
        raise ValueError(f"classes must be an integer >= 2, got {classes!r}")
    if output not in ("softmax", "sigmoid"):
        raise ValueError(f"unknown output {output!r}; choose softmax or sigmoid")
    reference, (output, cost) = _reference(output, cost)
    probes = _probe_sets(output, int(classes), np.random.default_rng(seed))
    yours = _evaluate(delta, probes, classes)
    derived = _evaluate(reference, probes, classes)
    tol = DELTA_TOLERANCE
    findings = _form_findings(yours, derived, WRONG_FORMS.get((output, cost), {}), probes, classes, tol)
    findings += _scale_findings(_stack(yours), _stack(derived), tol, {"batch_size": batch_size, "classes": classes,
                                                                       "right": _RIGHT.get((output, cost), "derived")})
    total = sum(len(pairs) for pairs in probes.values())
    return _report(f"delta check ({output} + {cost}, K = {classes})", yours, derived, findings,
                   "compared with the derived delta (checks.reference.output_delta)",
                   f"{total} probes of {', '.join(probes)} targets", tol)


def _derivative(activation: Callable[[Array], Array], z: Array) -> Array:
    """sigma'(z) by complex step of the activation itself (exact to rounding, independent of any formula)."""
    h = 1e-20
    return np.imag(activation(z + 1j * h)) / h


def _numpy(expr, activation_id: str):
    """g(z, a) for an expression of the table in z and a (an activation's derivative), from generated code: the same
    stable printer as `derive codegen`, never eval of anyone's text."""
    from derive.codegen import load_module
    from derive.codegen.activation import printed_module

    return load_module(printed_module(expr, activation_id), name="hidden_form").form


def _in_a(entry):
    """The entry's derivative as textbooks write it, in a (and z), parameters at their defaults; None if it has none."""
    from derive.functions import A

    if entry.derivative_in_a is None or not entry.derivative_in_a.has(A):
        return None
    return entry.derivative_in_a.xreplace(entry.values())


def _hidden_forms(name: str) -> list[tuple[str, str, DeltaFunction]]:
    """(mistake id, the wrong form as people write it, delta(z, u)) for a hidden layer of activation `name`.

    Read from the table: f' at a = f(z) instead of at z; the form in a evaluated at z (1 − z² for tanh); no
    derivative at all; the derivative of each other activation, at z and in its own form in a (a(1 − a) on a tanh
    layer). Forms that give the right values (relu's mask taken from a) are dropped by the caller.
    """
    from derive import functions
    from derive.codegen.activation import compiled
    from derive.functions import A, Z

    fn, derivative = compiled(name)
    forms = [("activation-derivative-of-activation", f"upstream * {name}'(a), {name}' taken at a = {name}(z)",
              lambda z, u: u * derivative(fn(z))),
             ("missing-activation-derivative", f"upstream alone, without {name}'(z)", lambda z, u: u + 0 * z)]
    own = _in_a(functions.activation(name))
    if own is not None:
        at_z = _numpy(own.xreplace({A: Z}), name)
        forms.append(("derivative-form-at-z", f"upstream * ({_text(own.xreplace({A: Z}))}), {name}' written in a "
                                              f"but given z", lambda z, u: u * at_z(z, z)))
    for other in functions.ACTIVATIONS.values():
        if other.id == name:
            continue
        _, other_derivative = compiled(other.id)
        forms.append(("other-activation-derivative", f"upstream * {other.id}'(z), the derivative of {other.id}",
                      lambda z, u, d=other_derivative: u * d(z)))
        in_a = _in_a(other)
        if in_a is not None:
            form = _numpy(in_a, name)
            forms.append(("other-activation-derivative",
                          f"upstream * ({_text(in_a)}) with a = {name}(z): {other.id}'s derivative in a",
                          lambda z, u, g=form: u * g(z, fn(z))))
    return forms


def _text(expr) -> str:
    import sympy as sp

    return sp.sstr(expr).replace("**", "^")


def _hidden_findings(yours, derived, probes, units, name, tol) -> list[Finding]:
    """The first matching wrong form per mistake id; a form with the values of the right one, or of a form before
    it, names nothing (relu's mask from a instead of z is right; identity' = 1 is the missing derivative)."""
    findings, named, seen = [], set(), [_stack(derived)]
    for mistake_id, text, fn in _hidden_forms(name):
        if mistake_id in named:
            continue
        wrong = _stack(_evaluate(fn, probes, units))
        if any(_matches(earlier, wrong, tol) for earlier in seen):
            continue
        seen.append(wrong)
        found = _form_findings(yours, derived, {mistake_id: (text, fn)}, probes, units, tol)
        findings += found
        named.update(f.id for f in found)
    return findings


def check_hidden_delta(delta: DeltaFunction, activation: str = "sigmoid", units: int = 10, *, seed: int = 0) -> Report:
    """Probe delta(z, upstream), a hidden layer's delta from its pre-activation z and upstream = W^T delta^{l+1}.

    The right answer is upstream * f'(z) (BP2) for the table's activation f. Names the mistakes of
    `_hidden_forms` (f'(a) instead of f'(z), the form in a given z, a missing derivative, another activation's
    derivative) and sign/scale when the delta is a constant multiple of the right one. Probes stay at least
    0.1 away from the activation's kinks, where f' jumps.
    """
    from derive import functions
    from derive.codegen.activation import compiled

    name = _canonical(activation)
    if name not in functions.ACTIVATIONS:  # any activation of the table (derive.functions), in its stable form
        raise ValueError(f"unknown activation {activation!r}; choose one of: {', '.join(functions.ACTIVATIONS)}")
    fn, _ = compiled(name)
    rng = np.random.default_rng(seed)
    probes = {"upstream": [(_away_from(functions.activation(name).kinks, 2.0 * rng.standard_normal(units)),
                            rng.standard_normal(units)) for _ in range(8)]}
    yours = _evaluate(delta, probes, units)
    derived = _evaluate(lambda z, u: u * _derivative(fn, z), probes, units)
    tol = DELTA_TOLERANCE
    findings = _hidden_findings(yours, derived, probes, units, name, tol)
    findings += _scale_findings(_stack(yours), _stack(derived), tol, {"right": f"upstream * {name}'(z)"})
    return _report(f"hidden delta check ({name}, {units} units)", yours, derived, findings,
                   f"compared with upstream * {name}'(z) ({name}' by complex step)", "8 probes", tol)


KINK_MARGIN = 0.1  # probes nearer a kink are moved this far from it: f' differs on its two sides


def _away_from(kinks, z: Array) -> Array:
    for kink in kinks:
        near = np.abs(z - kink) < KINK_MARGIN
        z = np.where(near, kink + np.where(z >= kink, KINK_MARGIN, -KINK_MARGIN), z)
    return z
