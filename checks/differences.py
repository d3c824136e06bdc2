"""Directional derivatives of a scalar loss by complex step, central differences and Richardson extrapolation.

A direction is a tuple of Parts, each a contiguous range of one tensor's flat (C-order) entries: one Part per tensor
for a joint probe, one range of one tensor for per-tensor probes, bisection and single coordinates. Every evaluation
perturbs one Workspace in place and restores it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

__all__ = ["Part", "Probe", "single", "complex_dtype", "Workspace", "METHODS", "directional", "central",
           "default_step", "tensor_scale", "scalar", "richardson_tableau", "richardson_step", "kink", "Settled",
           "settle"]

Array = np.ndarray
Loss = Callable[[list[Array]], object]

METHODS = ("complex", "central", "richardson")

# Base steps relative to the parameter scale, with the reason for each.
_BASE_STEP = {
    "complex": 1e-20,  # no cancellation: any tiny h works; 1e-20 puts the O(h^2) error far below eps
    "central": float(np.finfo(np.float64).eps) ** (1 / 3),  # balances h^2 truncation against eps/h rounding
    "richardson": 1e-3,  # first level of the tableau; later levels halve it
}
_BASE_STEP_32 = {"complex": 1e-20, "central": float(np.finfo(np.float32).eps) ** (1 / 3), "richardson": 2e-2}
_RICHARDSON_LEVELS = 4


@dataclass(frozen=True)
class Part:
    """`values` on the flat entries [start, stop) of parameter tensor `tensor`."""

    tensor: int
    start: int
    stop: int
    values: Array


Probe = tuple  # a direction: a tuple of Parts, zero elsewhere (one Part per tensor for a joint probe)


def single(tensor: int, start: int, stop: int, values: Array) -> Probe:
    """A direction on one range of one tensor."""
    return (Part(tensor, start, stop, values),)


def scalar(value: object) -> complex:
    """The loss value as a Python complex; a size-1 array is accepted, anything else is an error."""
    array = np.asarray(value)
    if array.size != 1:
        raise ValueError(f"loss(params) must return a scalar, got an array of shape {array.shape}")
    return complex(array.reshape(()))


def tensor_scale(params: Sequence[Array], tensor: int) -> float:
    """The typical size of the entries of one tensor (root mean square), falling back to all parameters, then 1."""
    for arrays in ([params[tensor]], params):
        size = sum(np.size(a) for a in arrays)
        rms = float(np.sqrt(sum(abs(np.vdot(a, a)) for a in arrays) / size)) if size else 0.0
        if rms > 0 and np.isfinite(rms):
            return rms
    return 1.0


def default_step(method: str, scale: float, low_precision: bool = False) -> float:
    """The step for a unit-RMS direction: the method's base step times the parameter scale (never below it)."""
    base = (_BASE_STEP_32 if low_precision else _BASE_STEP)[method]
    return base * max(scale, 1e-3) if method == "complex" else base * max(scale, 1e-8)


@functools.lru_cache(maxsize=16)
def complex_dtype(dtype: np.dtype) -> np.dtype:
    """The complex dtype complex step works in for real `dtype`: complex64 for float32 and below, else complex128."""
    return np.result_type(dtype, np.complex64)


class Workspace:
    """The one working copy of the parameters, perturbed in place and restored after every evaluation.

    Complex step works on a complex copy (complex64 for float32) whose real part never changes: a probe writes the
    imaginary part and clears it. Differences work on a copy in the parameters' own dtype and restore the probed
    entries from the originals, bit for bit. Nothing is converted or copied per evaluation.
    """

    def __init__(self, params: Sequence[Array], complex_step: bool):
        self.originals = [p.ravel() for p in params]
        self.complex_step = complex_step
        if complex_step:
            self.arrays = [p.astype(complex_dtype(p.dtype)) for p in params]
        else:
            self.arrays = [np.array(p, copy=True) for p in params]
        self.flats = [a.reshape(-1) for a in self.arrays]

    def evaluate(self, loss: Loss, probe: Probe, amount: float) -> complex:
        """L(p + i amount v) for complex step, L(p + amount v) otherwise."""
        for part in probe:
            flat = self.flats[part.tensor]
            if self.complex_step:
                flat.imag[part.start:part.stop] = amount * part.values
            else:
                flat[part.start:part.stop] += amount * part.values
        try:
            return scalar(loss(list(self.arrays)))
        finally:
            self.restore(probe)

    def clear(self) -> None:
        """Back to the unperturbed point after joint probes, which write every imaginary part."""
        for flat in self.flats:
            flat.imag[:] = 0

    def restore(self, probe: Probe) -> None:
        for part in probe:
            if self.complex_step:
                self.flats[part.tensor].imag[part.start:part.stop] = 0
            else:
                self.flats[part.tensor][part.start:part.stop] = self.originals[part.tensor][part.start:part.stop]


def _complex_step(loss: Loss, work: Workspace, probe: Probe, h: float) -> float:
    """Im L(p + i h v) / h: the directional derivative without subtraction, exact to rounding."""
    return work.evaluate(loss, probe, h).imag / h


def central(loss: Loss, work: Workspace, probe: Probe, h: float) -> float:
    """(L(p + h v) - L(p - h v)) / 2h: error O(h^2) plus rounding eps |L| / h. Works on either workspace."""
    plus, minus = _pair(loss, work, probe, h)
    return (plus - minus) / (2 * h)


def _pair(loss: Loss, work: Workspace, probe: Probe, h: float) -> tuple[float, float]:
    """L(p + h v) and L(p - h v), real parts (on a complex workspace the real part is shifted, then restored)."""
    if not work.complex_step:
        return work.evaluate(loss, probe, h).real, work.evaluate(loss, probe, -h).real
    values = []
    for sign in (1, -1):
        for part in probe:
            work.flats[part.tensor].real[part.start:part.stop] += sign * h * part.values
        try:
            values.append(scalar(loss(list(work.arrays))).real)
        finally:
            for part in probe:
                work.flats[part.tensor].real[part.start:part.stop] = work.originals[part.tensor][part.start:part.stop]
    return values[0], values[1]


def richardson_tableau(loss: Loss, work: Workspace, probe: Probe, h: float) -> tuple[float, float]:
    """Central differences at h, h/2, h/4, h/8 extrapolated to h -> 0 (the h^2, h^4, h^6 terms cancel); returns the
    extrapolated value and its error estimate, the change made by the last extrapolation."""
    column = [central(loss, work, probe, h / 2**k) for k in range(_RICHARDSON_LEVELS)]
    best = [column[0]]  # the best value of each level
    for level in range(1, _RICHARDSON_LEVELS):
        factor = 4.0**level
        column = [(factor * fine - coarse) / (factor - 1) for coarse, fine in zip(column, column[1:])]
        best.append(column[0])
    return best[-1], abs(best[-1] - best[-2])


def _richardson(loss: Loss, work: Workspace, probe: Probe, h: float) -> float:
    return richardson_tableau(loss, work, probe, h)[0]


def richardson_step(loss: Loss, work: Workspace, probe: Probe, scale: float, low_precision: bool = False) -> float:
    """The first step of the tableau chosen for this loss: of base x scale x {10, 1, 1/10}, the one whose
    extrapolation changes least (too large leaves h^8 truncation, too small amplifies rounding eps |L| / h)."""
    base = default_step("richardson", scale, low_precision)
    estimates = [(richardson_tableau(loss, work, probe, h)[1], h) for h in (10 * base, base, base / 10)]
    return min(estimates)[1]


_METHOD_FUNCTIONS = {"complex": _complex_step, "central": central, "richardson": _richardson}


def directional(loss: Loss, work: Workspace, probe: Probe, method: str, step: float) -> float:
    """D_v L(p) for the probe's direction v by `method` with step `step` (per unit of v)."""
    return _METHOD_FUNCTIONS[method](loss, work, probe, step)


def kink(loss: Loss, work: Workspace, probe: Probe, h: float, value: float, low_precision: bool = False) -> float:
    """How far the loss is from smooth within h of p along the probe: 0 when smooth, else the slope jump seen (> 0).

    The second difference s(h) = (L(p + h v) - 2 L(p) + L(p - h v)) / h is h L'' for a smooth loss, so
    s(h) - 2 s(h/2) is rounding only. At a kink s(h) is the jump of the slope, whatever h: then s(h) - 2 s(h/2) is
    about -jump. (A central difference cannot see a kink at p: it returns the mean of the two one-sided slopes.)
    """
    seconds = [(plus - 2 * value + minus) / step for plus, minus, step in
               (_pair(loss, work, probe, step) + (step,) for step in (h, h / 2))]
    eps = float(np.finfo(np.float32 if low_precision else np.float64).eps)
    rounding = 1e3 * eps * max(abs(value), 1e-300) / h
    gap = abs(seconds[0] - 2 * seconds[1])
    return max(map(abs, seconds)) if gap > 0.1 * abs(seconds[0]) + rounding else 0.0


@dataclass(frozen=True)
class Settled:
    """A disagreeing probe measured again on a ladder of shrinking steps: `outcome` is "agrees" (the slope seen once
    the stencil stops crossing a kink, or rounding stops dominating, matches the analytic value), "wrong" (it misses
    it by more than its error and any kink rounding could hide) or "kink" (no step both clears the kink and decides);
    `numeric` is the best slope measured."""

    outcome: str
    numeric: float


_LADDER_RATIO = 4.0  # each rung divides the step by 4: a smooth second difference then shrinks 4x per rung
_LADDER_RUNGS = 16  # 4^16 ~ 4e9: from the coarse step down past any step that rounding leaves usable
_ROUNDING = 64  # rounding of a loss evaluation, in units of eps |L|: a loss sums many terms, each rounded


def settle(loss: Loss, work: Workspace, probe: Probe, h: float, value: float, analytic: float, agree: float,
           blame: float, low_precision: bool = False, extrapolate: bool = False) -> Settled:
    """slope(h) = (L(p + h v) - L(p - h v)) / 2h on rungs h, h/4, h/16, ..., kept once the stencil is smooth.

    At a smooth point the second difference s(h) = (L(p + h v) - 2 L(p) + L(p - h v)) / h is h L'', so three rungs in
    a row shrink 4x each; while the stencil crosses a kink at distance d (h > d) s(h) stays near the slope jump. The
    first rung of three smooth ones (the one-sided slopes (L(p +- h v) - L(p)) / +-h then differ by h L'', within
    their truncation) gives the slope by one Richardson step, with an error bound from the next rung and rounding
    (with `extrapolate`, by the Richardson tableau from that rung, with its own bound). It agrees within `agree`, or
    it is wrong beyond `blame` plus three bounds plus the largest slope jump rounding could hide in the stencil;
    otherwise the point is undecided and reported as a kink. Rungs stop once rounding hides what is to be decided.
    """
    eps = float(np.finfo(np.float32 if low_precision else np.float64).eps)
    rungs: list[tuple[float, float, float, float]] = []  # (h, central slope, second difference, rounding bound)
    for k in range(_LADDER_RUNGS):
        step = h / _LADDER_RATIO**k
        plus, minus = _pair(loss, work, probe, step)
        noise = _ROUNDING * eps * max(abs(plus), abs(minus), abs(value), 1e-300) / step
        rungs.append((step, (plus - minus) / (2 * step), (plus - 2 * value + minus) / step, noise))
        hidden = _hidden_jump(rungs[-3:]) if len(rungs) >= 3 else None
        if hidden is not None:
            estimate, bound = (richardson_tableau(loss, work, probe, rungs[-3][0]) if extrapolate
                               else _extrapolated(rungs[-3], rungs[-2]))
            return _judge(estimate, bound, analytic, agree, blame + hidden)
        if noise > max(agree, abs(analytic - rungs[-1][1]) / 16):  # rounding now hides what is to be told apart
            break
    return Settled("kink", rungs[-1][1])


def _hidden_jump(rungs: list[tuple[float, float, float, float]]) -> float | None:
    """None unless s(h) shrinks by the rung ratio over three rungs (to 20% or to rounding); then the largest slope
    jump rounding could hide inside the largest stencil, which a verdict of "wrong" must exceed."""
    hidden = 0.0
    for (_, _, coarse, n1), (_, _, fine, n2) in zip(rungs, rungs[1:]):
        budget = 4 * (n1 + _LADDER_RATIO * n2)  # the rounding of s(h) - 4 s(h/4), four evaluations each
        if abs(coarse - _LADDER_RATIO * fine) > 0.2 * abs(coarse) + budget:
            return None
        hidden = max(hidden, budget)
    return hidden


def _extrapolated(coarse: tuple, fine: tuple) -> tuple[float, float]:
    """One Richardson step on two smooth rungs (the h^2 term cancels), with |c(h) - c(h/4)| + rounding as bound."""
    slope, noise = fine[1], fine[3]
    return slope + (slope - coarse[1]) / (_LADDER_RATIO**2 - 1), abs(slope - coarse[1]) + noise


def _judge(estimate: float, bound: float, analytic: float, agree: float, blame: float) -> Settled:
    """Agrees (within `agree`, bound too), wrong (beyond `blame` plus three bounds), or undecided."""
    miss = abs(analytic - estimate)
    if miss <= agree and bound <= agree:
        return Settled("agrees", estimate)
    if miss > blame + 3 * bound:
        return Settled("wrong", estimate)
    return Settled("kink", estimate)
