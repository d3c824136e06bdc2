"""`check_delta`: compare a person's output-layer delta function with the derived delta and with each known wrong form.

The derived delta comes from the derivation engine (`checks.reference.output_delta`); the wrong forms are the
catalogued mistakes written out. A delta that matches a wrong form on every probe is named by that form's id.
`check_hidden_delta` does the same for a hidden layer, delta(z, upstream) = upstream * sigma'(z), with sigma'
taken by complex step of the activation itself.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from checks.diagnose import factor_text
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


def _probe_sets(output: str, classes: int, rng: np.random.Generator, count: int,
                one_hot_only: bool = False) -> dict[str, list[tuple[Array, Array]]]:
    """Targets by kind; softmax targets sum to 1 (one-hot, smoothed, random), sigmoid targets are per unit."""
    one_hot = [np.bincount([k % classes], minlength=classes).astype(float) for k in range(count)]  # no K x K eye
    if one_hot_only:
        targets = {"one-hot": one_hot}
    elif output == "softmax":
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


def _call_batch(delta: DeltaFunction, z: Array, y: Array, layout: str, labels: str) -> Array:
    """One call with every probe of a kind as a batch: rows (n, K) or columns (K, n); labels as indices or one-hot.
    Returns the deltas as rows (n, K)."""
    second = np.argmax(y, axis=1) if labels == "indices" else (y if layout == "rows" else y.T.copy())
    given = z.copy() if layout == "rows" else z.T.copy()
    value = np.asarray(delta(given, second))
    if value.shape != given.shape:
        shown = "(n,) class indices" if labels == "indices" else f"y of shape {second.shape}"
        raise ValueError(f"delta(z, y) returned shape {value.shape}; expected {given.shape} for z of shape "
                         f"{given.shape} and {shown} (layout={layout!r})")
    if not np.all(np.isfinite(value)):
        raise ValueError("delta(z, y) returned NaN or inf")
    return (value if layout == "rows" else value.T).astype(float)


def _evaluate_batch(fn: DeltaFunction, probes, layout: str, labels: str) -> dict[str, Array]:
    return {kind: _call_batch(fn, np.array([z for z, _ in pairs]), np.array([y for _, y in pairs]), layout, labels)
            for kind, pairs in probes.items()}


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


def _wrong_values(forms, probes, classes, scale: float = 1.0) -> dict[str, tuple[str, dict[str, Array]]]:
    """Each wrong form on the probes (times `scale`, 1/n for a delta of the mean cost): id -> (text, values)."""
    return {mistake_id: (text, {kind: scale * values for kind, values in _evaluate(fn, probes, classes).items()})
            for mistake_id, (text, fn) in forms.items()}


def _form_findings(yours, derived, wrongs, total, tol) -> list[Finding]:
    findings = []
    for mistake_id, (text, wrong) in wrongs.items():
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
        size = factor_text(c, names.get("batch_size"), names.get("classes"), 1e-6)
        message = f"your delta is {names['right']} times a constant factor {size}"
        findings.append(Finding("scale", message,
                                f"yours = {c:.10g} x derived on every probe", factor=c))
    return findings


def _report(title, yours, derived, findings, method, mode, tol, notes=(), rows_are="targets") -> Report:
    """rows_are: what the rows stand for (the target sets of check_delta, the upstream probes of a hidden delta)."""
    rows = _rows(yours, derived, tol)
    error = _relative(_stack(yours), _stack(derived))
    passed = all(r.passed for r in rows)
    return Report(title, passed, error, tuple(rows), tuple(_worst(yours, derived)) if not passed else (),
                  tuple(findings) if not passed else (), method, 0.0, mode, tol.rtol, tol.atol, notes=tuple(notes),
                  labels=(rows_are, "yours", "derived"))


def _batch_scale(yours, derived, forms, probes, classes, mean: bool | None, count: int, tol) -> float:
    """1, or 1/n for the delta of the mean cost over a batch of n: as asked (mean=True/False), or (mean=None) as
    the numbers show, when the delta matches the derived one or a wrong form only after dividing by n."""
    if mean is not None:
        return 1 / count if mean else 1.0
    references = [_stack(derived)] + [_stack(v) for _, v in _wrong_values(forms, probes, classes).values()]
    if not any(_matches(_stack(yours), ref, tol) for ref in references) and \
            any(_matches(_stack(yours), ref / count, tol) for ref in references):
        return 1 / count
    return 1.0


def _reference(output: str, cost: str) -> tuple[DeltaFunction, tuple[str, str]]:
    """The derived delta from the derivation engine, and the (output, cost) pair it answers for (after aliases);
    a pair without generated code (label smoothing, Huber, the identity output ...) from the table itself."""
    from checks import reference

    pair = getattr(reference, "ALIASES", {}).get((output, cost), (output, cost))
    if pair in reference.PAIRS:
        return reference.output_delta(output, cost), pair
    return _table_delta(*pair), pair


def _table_delta(output: str, cost: str) -> DeltaFunction:
    """δ = J^T ∇_a C from the table (derive.functions, BP1's general route): the cost's gradient g(a, y, K) as
    generated numpy code; softmax gives a ⊙ (g − Σ_j a_j g_j), an element-wise output g ⊙ f'(z)."""
    from derive import functions
    from derive.codegen.activation import compiled

    gradient = _numpy_cost_gradient(cost)
    entry = functions.output(output)
    if not entry.elementwise:
        def delta(z, y):
            a = softmax(z)
            g = gradient(z, a, y, z.shape[0])
            return a * (g - np.sum(a * g, axis=0, keepdims=True))
        return delta
    fn, derivative = compiled(entry.activation)
    return lambda z, y: gradient(z, fn(z), y, z.shape[0]) * derivative(z)


def _numpy_cost_gradient(cost: str):
    """∂c/∂a of the table's cost, parameters at their defaults, as `form(z, a, y, K)` printed as codegen prints."""
    from derive import functions
    from derive.codegen import load_module
    from derive.codegen.activation import printed_module

    source = printed_module(functions.cost(cost).grad())
    return load_module(source.replace("def form(z, a):", "def form(z, a, y, K):"), name="cost_gradient").form


def _forms(output: str, cost: str, reference: DeltaFunction) -> dict:
    """The catalogued wrong forms of the pair; for another pair whose output derivative cancels (functions.pair),
    the right delta times the output derivative once more: extra-activation-derivative."""
    from derive import functions

    if (output, cost) in WRONG_FORMS or not functions.pair(output, cost).cancels:
        return WRONG_FORMS.get((output, cost), {})
    if output == "softmax":
        return {"extra-activation-derivative": ("(a - t) * a * (1 - a)",
                                                lambda z, y: reference(z, y) * softmax(z) * (1.0 - softmax(z)))}
    from derive.codegen.activation import compiled

    _, derivative = compiled(functions.output(output).activation)
    return {"extra-activation-derivative": (f"(a - t) * {output}'(z)", lambda z, y: reference(z, y) * derivative(z))}


_LAYOUTS = ("vector", "rows", "columns")
_LABELS = ("one-hot", "indices")


def _check_options(output: str, classes, layout: str, labels: str, batch_size) -> None:
    if not isinstance(classes, (int, np.integer)) or classes < 2:
        raise ValueError(f"classes must be an integer >= 2, got {classes!r}")
    from derive import functions

    if output not in functions.OUTPUTS:
        raise ValueError(f"unknown output {output!r}; choose one of: {', '.join(functions.OUTPUTS)}")
    if layout not in _LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(_LAYOUTS)}")
    if labels not in _LABELS:
        raise ValueError(f"unknown labels {labels!r}; choose one-hot or indices")
    if labels == "indices" and (layout == "vector" or output != "softmax"):
        raise ValueError("labels='indices' needs a softmax output and a batch (layout='rows' or 'columns')")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")


_MAX_BATCH_ENTRIES = 1_000_000  # n x K per probe batch: a few of them, and the wrong forms, stay within ~100 MB


def _batch_rows(layout: str, classes: int, batch_size: int | None) -> int:
    """Probes per kind: up to 8 for single vectors; for a batch, batch_size rows, else 8 (9 when K = 8, so that a
    factor 1/n of a mean over the batch is not mistaken for 1/K)."""
    if layout == "vector":
        return min(classes, 8)
    rows = batch_size or (9 if classes == 8 else 8)
    if rows * classes > _MAX_BATCH_ENTRIES:
        raise ValueError(f"a batch of {rows} examples of {classes} classes has {rows * classes:,} entries; the check "
                         f"takes at most {_MAX_BATCH_ENTRIES:,} (give a smaller batch_size)")
    return rows


def check_delta(delta: DeltaFunction, output: str = "softmax", cost: str = "cross-entropy", classes: int = 10, *,
                seed: int = 0, batch_size: int | None = None, layout: str = "vector", labels: str = "one-hot",
                batch_mean: bool | None = None) -> Report:
    """Probe delta(z, y) and compare it with the derived output-layer delta, for any output/cost pair of the table
    (derive.functions; pairs without generated code are read from the table: δ = J^T ∇_a C).

    layout: 'vector' (z and y 1-D of length `classes`), 'rows' (z of shape (n, K), one example per row, as in
    X @ W + b code) or 'columns' (z of shape (K, n)); labels: 'one-hot' (y shaped like z) or 'indices' (y of
    shape (n,) integer classes, as in probs[range(n), y] -= 1; softmax only). A batch has n = batch_size rows
    (default 8); batch_mean: True when the delta is that of the mean cost, (a - y)/n, False when it is per
    example, None (default) to accept either, with a note saying which (else a stray 1/n is named as a factor).
    Targets: for softmax, one-hot, smoothed
    (0.9 one-hot + 0.1/K) and random distributions, all summing to 1 (one-hot only with indices); for sigmoid,
    one-hot, binary and soft targets. Names softmax-diagonal-only, extra-activation-derivative, double-softmax,
    activation-derivative-of-activation, scale (c (a - y)) and sign (y - a) when the delta matches.
    """
    output, cost = _canonical(output), _canonical(cost)
    _check_options(output, classes, layout, labels, batch_size)
    if batch_mean is not None and layout == "vector":
        raise ValueError("batch_mean applies to a batch (layout='rows' or 'columns'), not to one vector")
    reference, (output, cost) = _reference(output, cost)
    count = _batch_rows(layout, int(classes), batch_size)
    batch_size = batch_size or (count if layout != "vector" else None)
    probes = _probe_sets(output, int(classes), np.random.default_rng(seed), count, labels == "indices")
    yours = _evaluate(delta, probes, classes) if layout == "vector" else _evaluate_batch(delta, probes, layout, labels)
    derived = _evaluate(reference, probes, classes)
    tol = DELTA_TOLERANCE
    forms = _forms(output, cost, reference)
    scale = 1.0 if layout == "vector" else _batch_scale(yours, derived, forms, probes, classes, batch_mean, count, tol)
    derived = {kind: scale * values for kind, values in derived.items()}
    total = sum(len(pairs) for pairs in probes.values())
    findings = _form_findings(yours, derived, _wrong_values(forms, probes, classes, scale), total, tol)
    right = _RIGHT.get((output, cost), "derived")
    findings += _scale_findings(_stack(yours), _stack(derived), tol, {"batch_size": batch_size, "classes": classes,
                                                                       "right": right if scale == 1 else f"({right})/n"})
    notes = [f"your delta is that of the mean cost over the batch, ({right})/n with n = {count}; per example it "
             "would be " + right] if scale != 1 else []
    shape = "" if layout == "vector" else f", {layout} of {count} examples" + (", class indices" if labels == "indices" else "")
    return _report(f"delta check ({output} + {cost}, K = {classes}{shape})", yours, derived, findings,
                   "compared with the derived delta (checks.reference.output_delta)",
                   f"{total} probes of {', '.join(probes)} targets", tol, notes)


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
        values = _evaluate(fn, probes, units)
        wrong = _stack(values)
        if any(_matches(earlier, wrong, tol) for earlier in seen):
            continue
        seen.append(wrong)
        found = _form_findings(yours, derived, {mistake_id: (text, values)}, len(probes["upstream"]), tol)
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
                   f"compared with upstream * {name}'(z) ({name}' by complex step)", "8 probes", tol,
                   rows_are="probes")


KINK_MARGIN = 0.1  # probes nearer a kink are moved this far from it: f' differs on its two sides


def _away_from(kinks, z: Array) -> Array:
    for kink in kinks:
        near = np.abs(z - kink) < KINK_MARGIN
        z = np.where(near, kink + np.where(z >= kink, KINK_MARGIN, -KINK_MARGIN), z)
    return z
