"""`gradcheck`: check a hand-written gradient against directional derivatives of the loss, and name the mistake.

Fast mode with complex step: a few joint Gaussian probes over all tensors at once (checks.joint) decide a passing
check for the price of that many loss evaluations; its per-tensor errors are then bounds. The first probe runs on
tracked arrays and decides complex-step safety exactly (checks.complex_safety). Only when a joint probe fails are the
tensors probed one by one (attribution, `probes` Gaussian directions each), their wrong entries bisected
(checks.localize) and the mistakes named (checks.diagnose). Without complex step every tensor is probed by Richardson
extrapolation. A failing probe of a piecewise loss that crosses a kink (checks.differences.kink) makes the verdict
"not-differentiable", never "wrong".
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from checks.diagnose import Evidence, diagnose, layer_hint
from checks import joint
from checks.differences import (METHODS, Workspace, complex_dtype, default_step, directional, kink,
                                richardson_step, scalar, settle, single, tensor_scale)
from checks.layouts import bias_shape_note, infer_layout
from checks.localize import localize
from checks.report import Entry, Report, TensorResult
from checks.tolerances import JOINT, Tolerance, dtype_family, tolerance_for

__all__ = ["gradcheck"]

Array = np.ndarray
_FULL_UP_TO = 1000  # mode="auto" sweeps every coordinate up to this many parameters, probes beyond
_LOCALIZE_DIRECTIONS = 2  # root directions reused for bisection: two, so one unlucky small v_i cannot hide an entry
_ONE = np.ones(1)
_EPS = {"float64": float(np.finfo(np.float64).eps), "float32": float(np.finfo(np.float32).eps)}
_METHOD_NAMES = {"complex": "complex step", "central": "central differences", "richardson": "Richardson extrapolation"}


@dataclass(frozen=True)
class _Setup:
    """Everything a sweep and its report need: the (counted) loss, the workspace, parameters, analytic gradients,
    method, steps, tolerance, mode, what is known before probing (transposed shapes, the method's note, factors to
    name), the loss at p and whether the loss may have kinks."""

    loss: Callable
    work: Workspace
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
    value: float
    piecewise: bool
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
        if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
            kind = f"a {type(array).__name__}" if not isinstance(array, np.ndarray) else f"an array of {array.dtype}"
            raise ValueError(f"params[{i}] is {kind}; every parameter must be a floating-point numpy array")
    return arrays, single


def _default_names(shapes: list[tuple[int, ...]], single: bool) -> list[str]:
    """W1, b1, W2, b2, ... in column or row layout, W1, W2, ... with biases folded in; params[i] otherwise."""
    return ["params"] if single else list(_layout_names(tuple(shapes)))


@functools.lru_cache(maxsize=64)
def _layout_names(shapes: tuple[tuple[int, ...], ...]) -> tuple[str, ...]:
    return tuple(infer_layout(list(shapes)).names)  # cached: a training loop checks the same shapes again and again


def _gradients(grad: Callable, params: list[Array], single: bool,
               names: list[str]) -> tuple[list[Array], tuple[str, ...], tuple[str, ...], list[float]]:
    """grad(params) as a list of arrays shaped like params, and their norms; a reversed 2-D shape is transposed back
    and recorded, one that broadcasts to the parameter's shape ((H,) for a (1, H) bias, a scalar) is broadcast with a
    note."""
    copies = [p.copy() for p in params]  # a grad that edits its arguments (an SGD step inside) leaves ours alone
    value = grad(copies[0] if single else copies)
    grads = [value] if single and isinstance(value, np.ndarray) else list(value)
    if len(grads) != len(params):
        raise ValueError(f"grad(params) returned {len(grads)} arrays for {len(params)} parameter arrays")
    out, transposed, notes, norms = [], [], [], []
    for name, g, p in zip(names, grads, params):
        g = g if type(g) is np.ndarray and g.shape == p.shape else _reshaped(np.asarray(g), p, name, transposed, notes)
        if g.dtype.kind == "c":
            raise ValueError(f"grad(params) for {name} is a complex array ({g.dtype}); the gradient of a real loss is "
                             "real: return real arrays")
        if g.dtype not in _FLOATS:
            g = np.asarray(g, dtype=np.result_type(g, np.float32))
        out.append(g)
        norms.append(_norm(g, name))
    return out, tuple(transposed), tuple(notes), norms


def _reshaped(g: Array, p: Array, name: str, transposed: list[str], notes: list[str]) -> Array:
    """g in p's shape: broadcast with a note when it broadcasts as an update would, transposed back (and recorded)
    when its 2-D shape is reversed; any other shape is an error."""
    if note := bias_shape_note(name, g.shape, p.shape):
        notes.append(note)
        g = np.broadcast_to(g, p.shape).copy() if g.size != p.size else g.reshape(p.shape)
    if g.shape != p.shape and g.ndim == 2 and g.shape[::-1] == p.shape:
        transposed.append(name)
        g = g.T
    if g.shape != p.shape:
        raise ValueError(f"grad(params) for {name} has shape {g.shape}, expected {p.shape} (the parameter's shape)")
    return g


_FLOATS = frozenset((np.dtype(np.float64), np.dtype(np.float32)))


def _norm(g: Array, name: str) -> float:
    """||g||, which is finite exactly when every entry is (a sum of squares has no cancellation), unless it
    overflows: only then are the entries looked at one by one."""
    flat = g.reshape(-1)
    squares = float(np.dot(flat, flat))
    if not math.isfinite(squares) and not np.all(np.isfinite(g)):
        raise ValueError(f"grad(params) for {name} contains NaN or inf")
    return math.sqrt(squares)


@dataclass(frozen=True)
class _Method:
    """The method chosen, why, its workspace, the loss value at p, whether the loss is piecewise, and the first joint
    probe when complex step was tried (it is the safety probe too)."""

    name: str
    note: str
    work: Workspace
    value: float
    piecewise: bool
    first: joint.Measure | None = None
    plan: joint.Probes | None = None


def _plan(grads: list[Array], norms: list[float], arrays: list[Array], family: str, seed: int, tol: Tolerance,
          count: int) -> joint.Probes:
    """The joint probes, prepared while the gradient is at hand."""
    h = joint.step(default_step("complex", _overall_scale(arrays), family == "float32"))
    return joint.prepare(grads, norms, tol, h, seed, count, [_imaginary_dtype(a.dtype) for a in arrays])


@functools.lru_cache(maxsize=8)
def _imaginary_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype of the workspace's imaginary parts for parameters of `dtype` (float32 for complex64)."""
    return np.finfo(complex_dtype(dtype)).dtype


def _choose_method(method: str, loss: Callable, arrays: list[Array], plan: joint.Probes | None) -> _Method:
    """Complex step when the tracked first joint probe finds the loss complex-safe; else Richardson, with a note."""
    if plan is None:
        return _Method(method, "", Workspace(arrays, False), _real_value(loss, arrays), True)
    work = Workspace(arrays, True)
    first, safety = joint.measure(loss, work, plan, 0, tracked=True)
    if safety.safe and np.isfinite(first.numeric) and np.isfinite(first.value):
        _check_value(first.value)
        return _Method("complex", "", work, first.value, bool(safety.branches), first, plan)
    del work  # the complex copy goes before the real one is made (peak memory)
    value = _real_value(loss, arrays)  # a loss that fails at real input too is the caller's error, raised here
    reason = safety.reason if not safety.safe else "L(p + ih v) is not finite"
    if method == "complex":
        raise ValueError(f"method='complex' needs a complex-safe loss, and this one is not: {reason}")
    note = f"complex step is ruled out ({reason}); using Richardson extrapolation"
    return _Method("richardson", note, Workspace(arrays, False), value, True)


def _real_value(loss: Callable, arrays: list[Array]) -> float:
    value = scalar(loss(list(arrays)))
    _check_value(value)
    return value.real


def _overall_scale(arrays: list[Array]) -> float:
    squares = sum(float(np.dot(a.reshape(-1), a.reshape(-1))) for a in arrays)
    return math.sqrt(squares / max(sum(a.size for a in arrays), 1)) or 1.0


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
    numeric = directional(setup.loss, setup.work, single(t, flat, flat + 1, np.ones(1)), setup.method, setup.steps[t])
    index = tuple(int(i) for i in np.unravel_index(flat, setup.params[t].shape))
    return Entry(setup.names[t], index, float(setup.grads[t].reshape(-1)[flat]), numeric)


def _full_tensor(setup: _Setup, t: int) -> Evidence:
    """Every coordinate: D_{e_i} L for each entry i of tensor t."""
    size, g = setup.params[t].size, setup.grads[t]
    numeric = np.array([directional(setup.loss, setup.work, single(t, i, i + 1, _ONE), setup.method, setup.steps[t])
                        for i in range(size)])
    flipped = _transposed(g)
    return Evidence(setup.names[t], g.reshape(-1).astype(float), numeric,
                    None if flipped is None else flipped.reshape(-1).astype(float), 1, size)


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
    numeric = np.array([directional(setup.loss, setup.work, single(t, 0, size, v), setup.method, setup.steps[t])
                        for v in directions])
    flipped = _transposed(g)
    item = Evidence(setup.names[t], directions @ g.reshape(-1), numeric,
                    None if flipped is None else directions @ flipped.reshape(-1), setup.probes, size)
    return item, directions


def _localize_tensor(setup: _Setup, t: int, item: Evidence, directions: Array) -> tuple[list[Entry], str, bool]:
    """Bisect the wrong entries of tensor t from its first probes; returns the entries and a one-line 'where'."""
    flat_g = setup.grads[t].reshape(-1)

    def residual(start: int, stop: int, values: Array) -> float:
        probe = single(t, start, stop, values)
        return float(values @ flat_g[start:stop]) - directional(setup.loss, setup.work, probe, setup.method,
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


def _sweep(setup: _Setup, rng) -> tuple[list[Evidence], list[TensorResult], list[Entry], set[str]]:
    """Every tensor on its own (full sweep or `probes` Gaussian directions); returns the evidence, the results, the
    worst entries and the tensors whose failure a kink explains."""
    evidence, results, worst, kinked = [], [], [], set()
    for t in range(len(setup.params)):
        if setup.full:
            item, directions = _full_tensor(setup, t), None
        else:
            item, directions = _fast_tensor(setup, t, rng)
        result, crossed = _tensor_result(setup, t, item), False
        measured = result  # a kinked tensor shows the disagreement measured, not the one left after settling
        if not result.passed:
            item, crossed = _settled(setup, t, item, directions)
            result = _tensor_result(setup, t, item)
        entries = _worst_entries(setup, t, item) if setup.full else []
        if setup.full:
            result = _full_where(setup, result, item, entries)
        if crossed and result.passed:
            kinked.add(setup.names[t])
            result = replace(measured, passed=False, where="not differentiable here along this tensor", kinked=True)
        elif not result.passed and not setup.full:
            entries, where, spread = _localize_tensor(setup, t, item, directions)
            result = replace(result, where=where, spread=spread)
        evidence.append(item)
        results.append(result)
        worst += entries
    worst.sort(key=lambda e: -abs(e.difference))
    return evidence, results, worst[: setup.max_entries], kinked


def _settled(setup: _Setup, t: int, item: Evidence, directions: Array | None) -> tuple[Evidence, bool]:
    """The tensor's disagreeing probes judged again, largest disagreement first, until one is wrong: complex step by
    its kink test, differences on a ladder of shrinking steps (checks.differences.settle). A probe that agrees
    takes the slope measured there; one that crosses a kink takes the analytic value (neither confirmed nor blamed)
    and makes the tensor kinked. Returns the evidence updated and whether a kink was crossed."""
    numeric, analytic = item.numeric.astype(float), item.analytic
    norm = max(item.norm(analytic), item.norm(numeric))
    threshold = (setup.tol.rtol * norm + setup.tol.atol) / np.sqrt(len(numeric) / item.weight)
    crossed = False
    for k in np.argsort(-np.abs(analytic - numeric)):
        if not abs(analytic[k] - numeric[k]) > threshold:
            break
        probe = (single(t, int(k), int(k) + 1, _ONE) if directions is None
                 else single(t, 0, setup.params[t].size, directions[k]))
        outcome, value = _settle_probe(setup, t, probe, float(analytic[k]), float(numeric[k]), threshold)
        numeric[k] = analytic[k] if outcome == "kink" else value
        crossed |= outcome == "kink"
        if outcome == "wrong":
            break
    return replace(item, numeric=numeric), crossed


def _settle_probe(setup: _Setup, t: int, probe, analytic: float, numeric: float, threshold: float) -> tuple[str, float]:
    """One disagreeing probe: "agrees", "wrong" or "kink", and the slope to keep."""
    low = dtype_family([p.dtype for p in setup.params]) == "float32"
    blame = max(threshold, setup.tol.rtol * max(abs(analytic), abs(numeric)) + setup.tol.atol)
    if setup.method == "complex":
        h = default_step("central", tensor_scale(setup.params, t), low)
        effect = kink(setup.loss, setup.work, probe, h, setup.value, low) if setup.piecewise else 0.0
        return ("kink", numeric) if effect > 0 and abs(analytic - numeric) <= 4 * effect + blame else ("wrong", numeric)
    h = max(setup.steps[t], default_step("central", _overall_scale(setup.params), low))
    found = settle(setup.loss, setup.work, probe, h, setup.value, analytic, threshold, blame, low,
                   extrapolate=setup.method == "richardson")
    return found.outcome, found.numeric


def _worst_entries(setup: _Setup, t: int, item: Evidence) -> list[Entry]:
    """The entries of a full sweep with the largest |analytic - numeric|, at most max_entries."""
    shape = setup.params[t].shape
    worst = np.argsort(-np.abs(item.analytic - item.numeric))[: setup.max_entries]
    return [Entry(setup.names[t], tuple(int(i) for i in np.unravel_index(k, shape)), float(item.analytic[k]),
                  float(item.numeric[k])) for k in worst]


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

    params: a float array or a list of them (e.g. [W1, b1, W2, b2]); grad returns real arrays of the same shapes.
    method: 'complex' (complex step, needs a complex-safe loss), 'central', 'richardson', or 'auto' (complex step
    when the loss is complex-safe, decided exactly by checks.complex_safety, else Richardson). step: the perturbation
    per unit of a direction whose entries are of size 1; by default the method's base step times the root-mean-square
    size of the tensor (for Richardson, chosen for the loss). rtol, atol: the normwise bound
    ||a - n|| <= rtol max(||a||, ||n||) + atol per tensor; defaults from checks.tolerances. mode: 'full' (every
    coordinate), 'fast' (joint probes, then `probes` Gaussian directions per tensor and bisection on failure),
    'auto' (full up to 1000 parameters). batch_size, classes: let a constant factor be named. report.verdict is
    'passed', 'failed' or 'not-differentiable' (a probe crossed a kink of the loss: try another seed or point).
    """
    arrays, single_array = _as_arrays(params)
    names = _names(names, arrays, single_array)
    _check_options(mode, probes, method)
    counted = _Counted((lambda p: loss(p[0])) if single_array else loss)
    grads, shape_transposed, shape_notes, norms = _gradients(grad, arrays, single_array, names)
    family = dtype_family([a.dtype for a in arrays])
    full = mode == "full" or (mode == "auto" and sum(a.size for a in arrays) <= _FULL_UP_TO)
    plan = None
    if method in ("auto", "complex"):
        joint_stage = not full and not shape_transposed  # else the first probe only decides complex safety
        plan = _plan(grads, norms, arrays, family, seed, _tolerance(family, "complex", rtol, atol),
                     JOINT[family].probes if joint_stage else 1)
        if joint_stage:
            grads = None  # let go while the loss runs (peak memory); asked for again only if a probe fails
    chosen = _choose_method(method, counted, arrays, plan)
    tol = _tolerance(family, chosen.name, rtol, atol)
    _warn_low_precision(family, tol)
    if chosen.first is not None and grads is None:
        largest = _joint_residual(counted, chosen, family)
        if largest is not None:
            return _bounded_report(counted, chosen, family, largest, names, arrays, tol, shape_notes)
    if chosen.work.complex_step:
        chosen.work.clear()  # the joint probes leave their imaginary parts behind
    if grads is None:
        grads, shape_transposed, shape_notes, _ = _gradients(grad, arrays, single_array, names)
    steps = _steps(counted, chosen, step, arrays, family, seed)
    setup = _Setup(counted, chosen.work, arrays, grads, names, chosen.name, steps, tol, probes, max_entries, full,
                   shape_transposed, chosen.note, batch_size, classes, chosen.value, chosen.piecewise, shape_notes)
    return _report(setup, *_sweep(setup, np.random.default_rng(seed)))


def _steps(loss: Callable, chosen: _Method, step: float | None, arrays: list[Array], family: str, seed: int) -> list:
    """The given step, or per tensor: the method's default, and for Richardson the step chosen for this loss."""
    if step is not None:
        return [step] * len(arrays)
    low = family == "float32"
    if chosen.name != "richardson":
        return [default_step(chosen.name, tensor_scale(arrays, t), low) for t in range(len(arrays))]
    rng = np.random.default_rng([seed, 104729])
    return [richardson_step(loss, chosen.work, single(t, 0, a.size, rng.standard_normal(a.size)),
                            tensor_scale(arrays, t), low) for t, a in enumerate(arrays)]


def _joint_residual(loss: _Counted, chosen: _Method, family: str) -> float | None:
    """The largest |residual| of the joint probes when every one is within rule.ratio x c; None at the first that is
    not (the check then attributes the error tensor by tensor)."""
    rule, measure, largest = JOINT[family], chosen.first, 0.0
    for index in range(rule.probes):
        if index:
            plan = chosen.plan
            measure = joint.measure(loss, chosen.work, plan, index)[0]
        if not abs(measure.residual) <= rule.ratio * chosen.plan.c:
            return None
        largest = max(largest, abs(measure.residual))
    return largest


def _bounded_report(loss: _Counted, chosen: _Method, family: str, largest: float, names: list[str],
                    params: list[Array], tol: Tolerance, shape_notes: tuple[str, ...] = ()) -> Report:
    """A passing joint check. The residuals are N(0, s^2) with s >= w_t ||e_t||, and all k of them fall below ratio x s
    with probability <= false_pass; so ||e_t|| < largest / (ratio w_t) with probability >= 1 - false_pass, for every
    tensor at once. That bound (at most the tolerance, since largest <= ratio c) is what the report shows."""
    rule, results = JOINT[family], []
    eps = _EPS[family]
    plan = chosen.plan
    for name, p, norm, w in zip(names, params, plan.norms, plan.w):
        limit = max(largest / (rule.ratio * float(w)), eps * norm)
        relative = min(limit / norm, 2.0) if norm else (2.0 if limit else 0.0)  # ||a - n|| / max(...) <= 2
        results.append(TensorResult(name, p.shape, relative, limit, norm, True, plan.h, bound=True))
    size = sum(p.size for p in params)
    note = (f"fast mode: {rule.probes} joint random probes over all {size:,} parameters; every error shown is an "
            f"upper bound that holds with probability >= 1 - {rule.false_pass:.1e} (a gradient beyond its tolerance "
            f"in any tensor passes with at most that probability)")
    return Report("gradient check", True, _overall(results), tuple(results), (), (), _METHOD_NAMES["complex"],
                  plan.h, f"fast ({rule.probes} joint probes)", tol.rtol, tol.atol, loss.count, (*shape_notes, note), bound=True)


def _names(names: Sequence[str] | None, arrays: list[Array], single: bool) -> list[str]:
    names = list(names) if names is not None else _default_names([a.shape for a in arrays], single)
    if len(names) != len(arrays):
        raise ValueError(f"{len(names)} names for {len(arrays)} parameter arrays")
    return names


def _check_options(mode: str, probes: int, method: str) -> None:
    if method not in (*METHODS, "auto"):
        raise ValueError(f"unknown method {method!r}; choose one of auto, {', '.join(METHODS)}")
    if mode not in ("auto", "full", "fast"):
        raise ValueError(f"unknown mode {mode!r}; choose one of auto, full, fast")
    if not isinstance(probes, (int, np.integer)) or probes < 2:
        raise ValueError(f"probes must be an integer >= 2, got {probes!r}")


def _check_value(value: object) -> None:
    value = scalar(value)
    if not np.isfinite(value) or value.imag:
        raise ValueError(f"loss(params) must be a finite real number, got {value if value.imag else value.real}")


def _report(setup: _Setup, evidence: list[Evidence], results: list[TensorResult], worst: list[Entry],
            kinked: set[str]) -> Report:
    failed = [not r.passed and r.name not in kinked for r in results]
    findings = diagnose(evidence, failed, setup.tol, setup.batch_size, setup.classes, setup.shape_transposed)
    results = [replace(r, passed=False, where=r.where or "transposed shape") if r.name in setup.shape_transposed
               else r for r in results]
    explained = {name for f in findings for name in f.tensors} | {r.name for r in results if not r.spread}
    hint = layer_hint(setup.names, failed, explained, findings)
    notes = [note for note in (setup.method_note, *setup.shape_notes, hint) if note]
    if kinked:
        notes.append(_kink_note(setup, kinked))
    if not setup.full:
        notes.append(f"fast mode: errors estimated from {setup.probes} Gaussian probes per tensor "
                     "(E[(v.e)^2] = ||e||^2); wrong entries located by bisection")
    passed = all(r.passed for r in results)
    wrong = any(not r.passed and r.name not in kinked for r in results)
    wrong_values = {r.name for r, bad in zip(results, failed) if bad}  # worst entries only where values are wrong
    mode = "full (every coordinate)" if setup.full else f"fast ({setup.probes} probes per tensor)"
    return Report("gradient check", passed, _overall(results), tuple(results),
                  tuple(e for e in worst if e.tensor in wrong_values), tuple(findings), _METHOD_NAMES[setup.method],
                  max(setup.steps), mode, setup.tol.rtol, setup.tol.atol, setup.loss.count, tuple(notes),
                  state="not-differentiable" if kinked and not wrong else "", failure=_shape_failure(setup.shape_transposed))


def _shape_failure(names: tuple[str, ...]) -> str:
    """The headline of a gradient whose shape is reversed: the shape is the failure, whatever the values say."""
    if not names:
        return ""
    return f"grad returned {', '.join(names)} with the shape reversed; compared transposed back"


def _kink_note(setup: _Setup, kinked: set[str]) -> str:
    names = ", ".join(n for n in setup.names if n in kinked)
    return (f"the loss is not differentiable at this point: the probes of {names} cross a kink (the slopes on its two "
            "sides differ far beyond rounding, or the differences do not converge there): the kink is at the point or "
            "too close to it for the steps to separate, so the gradient there is neither confirmed nor blamed; try "
            "another seed or another point")
