"""`gradcheck`: check a hand-written gradient against directional derivatives of the loss, and name the mistake.

Fast mode probes each parameter tensor along a few seeded Gaussian directions v and compares v . g with D_v L;
with complex step the two agree to ~1e-15, so the check is as sharp as a coordinate sweep at a tiny fraction of the
cost. A failing tensor is localized by bisection (checks.localize), never by falling back to a full sweep.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from checks.diagnose import Evidence, diagnose, layer_hint
from checks.differences import METHODS, Probe, complex_safety, default_step, directional, scalar, tensor_scale
from checks.layouts import bias_shape_note, infer_layout
from checks.localize import localize
from checks.report import Entry, Report, TensorResult
from checks.tolerances import Tolerance, dtype_family, tolerance_for

__all__ = ["gradcheck"]

Array = np.ndarray
_FULL_UP_TO = 1000  # mode="auto" sweeps every coordinate up to this many parameters, probes beyond
_LOCALIZE_DIRECTIONS = 2  # root directions reused for bisection: two, so one unlucky small v_i cannot hide an entry
_METHOD_NAMES = {"complex": "complex step", "central": "central differences", "richardson": "Richardson extrapolation"}


@dataclass(frozen=True)
class _Setup:
    """Everything a sweep and its report need: the (counted) loss, parameters, analytic gradients, method, steps,
    tolerance, mode, and what is known before probing (transposed shapes, the method's note, factors to name)."""

    loss: Callable
    params: list[Array]
    grads: list[Array]
    names: list[str]
    method: str
    steps: list[float]
    tol: Tolerance
    probes: int
    max_entries: int
    full: bool
    shape_transposed: tuple[str, ...]
    method_note: str
    batch_size: int | None
    classes: int | None
    shape_notes: tuple[str, ...] = ()


class _Counted:
    """The user's loss, counting its evaluations."""

    def __init__(self, loss: Callable):
        self.loss, self.count = loss, 0

    def __call__(self, params):
        self.count += 1
        return self.loss(params)


def _as_arrays(params) -> tuple[list[Array], bool]:
    single = isinstance(params, np.ndarray)
    arrays = [params] if single else list(params)
    if not arrays:
        raise ValueError("params is empty: pass a numpy array or a list of arrays")
    for i, array in enumerate(arrays):
        if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.floating):
            kind = f"a {type(array).__name__}" if not isinstance(array, np.ndarray) else f"an array of {array.dtype}"
            raise ValueError(f"params[{i}] is {kind}; every parameter must be a floating-point numpy array")
    return arrays, single


def _default_names(shapes: list[tuple[int, ...]], single: bool) -> list[str]:
    """W1, b1, W2, b2, ... in column or row layout, W1, W2, ... with biases folded in; params[i] otherwise."""
    return ["params"] if single else list(infer_layout(shapes).names)


def _gradients(grad: Callable, params: list[Array], single: bool,
               names: list[str]) -> tuple[list[Array], tuple[str, ...], tuple[str, ...]]:
    """grad(params) as a list of arrays shaped like params; a reversed 2-D shape is transposed back and recorded,
    one that broadcasts to the parameter's shape ((H,) for a (1, H) bias, a scalar) is broadcast with a note."""
    value = grad(params[0] if single else params)
    grads = [value] if single and isinstance(value, np.ndarray) else list(value)
    if len(grads) != len(params):
        raise ValueError(f"grad(params) returned {len(grads)} arrays for {len(params)} parameter arrays")
    out, transposed, notes = [], [], []
    for name, g, p in zip(names, grads, params):
        g = np.asarray(g)
        if np.iscomplexobj(g):
            raise ValueError(f"grad(params) for {name} is a complex array ({g.dtype}); return the real gradient")
        if note := bias_shape_note(name, g.shape, p.shape):
            notes.append(note)
            g = np.broadcast_to(g, p.shape).copy() if g.size != p.size else g.reshape(p.shape)
        if g.shape != p.shape and g.ndim == 2 and g.shape[::-1] == p.shape:
            transposed.append(name)
            g = g.T
        if g.shape != p.shape:
            raise ValueError(f"grad(params) for {name} has shape {g.shape}, expected {p.shape} (the parameter's shape)")
        if not np.all(np.isfinite(g)):
            raise ValueError(f"grad(params) for {name} contains NaN or inf")
        out.append(np.asarray(g, dtype=np.result_type(g, np.float32)))
    return out, tuple(transposed), tuple(notes)


def _choose_method(method: str, loss: Callable, params: list[Array], rng, low: bool) -> tuple[str, str]:
    if method not in (*METHODS, "auto"):
        raise ValueError(f"unknown method {method!r}; choose one of auto, {', '.join(METHODS)}")
    if method not in ("auto", "complex"):
        return method, ""
    safe, why = complex_safety(loss, params, rng, low)
    if safe:
        return "complex", f"the loss is complex-safe ({why})"
    if method == "complex":
        raise ValueError(f"method='complex' needs a complex-safe loss, and this one is not: {why}")
    return "central", f"the loss is not complex-safe ({why}); using central differences"


def _tolerance(family: str, method: str, rtol: float | None, atol: float | None) -> Tolerance:
    table = tolerance_for(family, method)
    if rtol is None and atol is None:
        return table
    return Tolerance(table.rtol if rtol is None else rtol, table.atol if atol is None else atol, "given by the caller")


def _tensor_result(setup: _Setup, t: int, item: Evidence, where: str = "") -> TensorResult:
    error = item.norm(item.analytic - item.numeric)
    norm = max(item.norm(item.analytic), item.norm(item.numeric))
    passed = error <= setup.tol.rtol * norm + setup.tol.atol
    relative = error / norm if norm else (0.0 if error == 0 else np.inf)
    return TensorResult(setup.names[t], setup.params[t].shape, relative, error, norm, passed, setup.steps[t], where)


def _transposed(g: Array) -> Array | None:
    return g.T if g.ndim == 2 and g.shape[0] == g.shape[1] > 1 else None


def _entry(setup: _Setup, t: int, flat: int) -> Entry:
    numeric = directional(setup.loss, setup.params, Probe(t, flat, flat + 1, np.ones(1)), setup.method, setup.steps[t])
    index = tuple(int(i) for i in np.unravel_index(flat, setup.params[t].shape))
    return Entry(setup.names[t], index, float(setup.grads[t].reshape(-1)[flat]), numeric)


def _full_tensor(setup: _Setup, t: int) -> tuple[Evidence, list[Entry]]:
    """Every coordinate: D_{e_i} L for each entry i of tensor t."""
    size, g = setup.params[t].size, setup.grads[t]
    numeric = np.array([directional(setup.loss, setup.params, Probe(t, i, i + 1, np.ones(1)), setup.method,
                                    setup.steps[t]) for i in range(size)])
    flipped = _transposed(g)
    item = Evidence(setup.names[t], g.reshape(-1).astype(float), numeric,
                    None if flipped is None else flipped.reshape(-1).astype(float), 1, size)
    difference = np.abs(item.analytic - numeric)
    worst = np.argsort(-difference)[: setup.max_entries]
    shape = setup.params[t].shape
    entries = [Entry(setup.names[t], tuple(int(i) for i in np.unravel_index(k, shape)), float(item.analytic[k]),
                     float(numeric[k])) for k in worst]
    return item, entries


def _full_where(setup: _Setup, result: TensorResult, item: Evidence, entries: list[Entry]) -> TensorResult:
    """How many entries are wrong: those whose error alone exceeds the tensor's tolerance / sqrt(size)."""
    if result.passed:
        return result
    threshold = (setup.tol.rtol * result.norm + setup.tol.atol) / np.sqrt(item.analytic.size)
    wrong = int(np.sum(np.abs(item.analytic - item.numeric) > threshold))
    if wrong > item.analytic.size / 2:
        return replace(result, where=f"spread: {wrong} of {item.analytic.size} entries", spread=True)
    listed = ", ".join(str(e.index) for e in entries[:wrong])
    more = ", ..." if wrong > len(entries) else ""
    return replace(result, where=f"{wrong} of {item.analytic.size} entries: {listed}{more}")


def _fast_tensor(setup: _Setup, t: int, rng: np.random.Generator) -> tuple[Evidence, Array]:
    """k Gaussian probes of tensor t: v . g against D_v L."""
    size, g = setup.params[t].size, setup.grads[t]
    directions = rng.standard_normal((setup.probes, size))
    numeric = np.array([directional(setup.loss, setup.params, Probe(t, 0, size, v), setup.method, setup.steps[t])
                        for v in directions])
    flipped = _transposed(g)
    item = Evidence(setup.names[t], directions @ g.reshape(-1), numeric,
                    None if flipped is None else directions @ flipped.reshape(-1), setup.probes, size)
    return item, directions


def _localize_tensor(setup: _Setup, t: int, item: Evidence, directions: Array) -> tuple[list[Entry], str, bool]:
    """Bisect the wrong entries of tensor t from its first probes; returns the entries and a one-line 'where'."""
    flat_g = setup.grads[t].reshape(-1)

    def residual(start: int, stop: int, values: Array) -> float:
        probe = Probe(t, start, stop, values)
        return float(values @ flat_g[start:stop]) - directional(setup.loss, setup.params, probe, setup.method,
                                                               setup.steps[t])

    m = min(_LOCALIZE_DIRECTIONS, setup.probes)
    norm = max(item.norm(item.analytic), item.norm(item.numeric))
    threshold = setup.tol.rtol * norm + setup.tol.atol
    found = localize(directions[:m], (item.analytic - item.numeric)[:m], residual, threshold, setup.max_entries)
    entries = [_entry(setup, t, flat) for flat in found.entries]
    if found.spread:
        return entries, "spread over the tensor", True
    listed = ", ".join(str(e.index) for e in entries)
    return entries, (f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}: {listed}" if entries else ""), False


def _sweep(setup: _Setup, rng) -> tuple[list[Evidence], list[TensorResult], list[Entry]]:
    evidence, results, worst = [], [], []
    for t in range(len(setup.params)):
        if setup.full:
            item, entries = _full_tensor(setup, t)
            result = _full_where(setup, _tensor_result(setup, t, item), item, entries)
        else:
            item, directions = _fast_tensor(setup, t, rng)
            result, entries = _tensor_result(setup, t, item), []
            if not result.passed:
                entries, where, spread = _localize_tensor(setup, t, item, directions)
                result = replace(result, where=where, spread=spread)
        evidence.append(item)
        results.append(result)
        worst += entries
    worst.sort(key=lambda e: -abs(e.difference))
    return evidence, results, worst[: setup.max_entries]


def _overall(results: list[TensorResult]) -> float:
    error = float(np.sqrt(sum(r.abs_error**2 for r in results)))
    norm = float(np.sqrt(sum(r.norm**2 for r in results)))
    return error / norm if norm else (0.0 if error == 0 else float("inf"))


def _warn_low_precision(family: str, tol: Tolerance) -> None:
    if family == "float32":
        warnings.warn(f"float32 parameters: gradients carry ~1e-7 relative rounding, so the check uses "
                      f"rtol={tol.rtol:g}, atol={tol.atol:g} ({tol.reason}); check in float64 to see small mistakes",
                      stacklevel=3)


def gradcheck(
    loss: Callable,
    grad: Callable,
    params: Array | Sequence[Array],
    *,
    method: str = "auto",
    step: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
    mode: str = "auto",
    batch_size: int | None = None,
    classes: int | None = None,
    probes: int = 6,
    names: Sequence[str] | None = None,
    max_entries: int = 5,
) -> Report:
    """Check grad(params) against the derivatives of loss(params); return a Report (never raises on a wrong gradient).

    params: a float array or a list of them (e.g. [W1, b1, W2, b2]); grad returns arrays of the same shapes.
    method: 'complex' (complex step, needs a complex-safe loss), 'central', 'richardson', or 'auto' (complex step
    when the loss is complex-safe, which is tested, else central). step: the perturbation per unit of a direction
    whose entries are of size 1; by default the method's base step times the root-mean-square size of the tensor.
    rtol, atol: the normwise bound ||a - n|| <= rtol max(||a||, ||n||) + atol per tensor; defaults from
    checks.tolerances. mode: 'full' (every coordinate), 'fast' (probes Gaussian directions per tensor and localizes
    failures by bisection), 'auto' (full up to 1000 parameters). batch_size, classes: let a constant factor be named.
    """
    arrays, single = _as_arrays(params)
    names = _names(names, arrays, single)
    _check_options(mode, probes)
    counted = _Counted((lambda p: loss(p[0])) if single else loss)
    _check_value(counted(arrays))
    grads, shape_transposed, shape_notes = _gradients(grad, arrays, single, names)
    rng = np.random.default_rng(seed)
    family = dtype_family([a.dtype for a in arrays])
    method, method_note = _choose_method(method, counted, arrays, rng, family == "float32")
    tol = _tolerance(family, method, rtol, atol)
    _warn_low_precision(family, tol)
    steps = [step if step is not None else default_step(method, tensor_scale(arrays, t), family == "float32")
             for t in range(len(arrays))]
    full = mode == "full" or (mode == "auto" and sum(a.size for a in arrays) <= _FULL_UP_TO)
    setup = _Setup(counted, arrays, grads, names, method, steps, tol, probes, max_entries, full, shape_transposed,
                   method_note, batch_size, classes, shape_notes)
    return _report(setup, *_sweep(setup, rng))


def _names(names: Sequence[str] | None, arrays: list[Array], single: bool) -> list[str]:
    names = list(names) if names is not None else _default_names([a.shape for a in arrays], single)
    if len(names) != len(arrays):
        raise ValueError(f"{len(names)} names for {len(arrays)} parameter arrays")
    return names


def _check_options(mode: str, probes: int) -> None:
    if mode not in ("auto", "full", "fast"):
        raise ValueError(f"unknown mode {mode!r}; choose one of auto, full, fast")
    if not isinstance(probes, (int, np.integer)) or probes < 2:
        raise ValueError(f"probes must be an integer >= 2, got {probes!r}")


def _check_value(value: object) -> None:
    value = scalar(value)
    if not np.isfinite(value) or value.imag:
        raise ValueError(f"loss(params) must be a finite real number, got {value}")


def _report(setup: _Setup, evidence: list[Evidence], results: list[TensorResult], worst: list[Entry]) -> Report:
    failed = [not r.passed for r in results]
    findings = diagnose(evidence, failed, setup.tol, setup.batch_size, setup.classes, setup.shape_transposed)
    results = [replace(r, passed=False, where=r.where or "transposed shape") if r.name in setup.shape_transposed
               else r for r in results]
    explained = {name for f in findings for name in f.tensors} | {r.name for r in results if not r.spread}
    hint = layer_hint(setup.names, failed, explained, findings)
    notes = [note for note in (setup.method_note, *setup.shape_notes, hint) if note]
    if not setup.full:
        notes.append(f"fast mode: errors estimated from {setup.probes} Gaussian probes per tensor "
                     "(E[(v.e)^2] = ||e||^2); wrong entries located by bisection")
    passed = all(r.passed for r in results)
    wrong_values = {r.name for r, bad in zip(results, failed) if bad}  # worst entries only where values are wrong
    mode = "full (every coordinate)" if setup.full else f"fast ({setup.probes} probes per tensor)"
    return Report("gradient check", passed, _overall(results), tuple(results),
                  tuple(e for e in worst if e.tensor in wrong_values), tuple(findings), _METHOD_NAMES[setup.method],
                  max(setup.steps), mode, setup.tol.rtol, setup.tol.atol, setup.loss.count, tuple(notes),
                  failure=_shape_failure(setup.shape_transposed))


def _shape_failure(names: tuple[str, ...]) -> str:
    """The headline of a gradient whose shape is reversed: the shape is the failure, whatever the values say."""
    if not names:
        return ""
    return f"grad returned {', '.join(names)} with the shape reversed; compared transposed back"
