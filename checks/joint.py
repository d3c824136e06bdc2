"""Joint random probes over all tensors at once: what a passing fast check costs (complex step only).

A probe draws z with independent entries uniform on [-sqrt(3), sqrt(3)) (variance 1, on a grid of 2^-32) over every
parameter and weights tensor t by w_t = c / T_t, where T_t = rtol ||g_t|| + atol is the tensor's tolerance and
c = min_t T_t. Its residual r = u . g - D_u L = sum_t w_t z_t . e_t (e the error of the analytic gradient) has
standard deviation s = sqrt(sum_t w_t^2 ||e_t||^2), so any tensor beyond its tolerance gives s > c. The density of r
is symmetric, unimodal and at most sqrt(1/6) / s (Ball's cube slicing: a central section of the unit cube has volume
at most sqrt 2), so P(|r| <= ratio s) <= sqrt(2/3) ratio. Uniform draws cost a seventh of Gaussian ones and bound as
well; checks.tolerances.JOINT gives the ratio and the number of probes.

Directions are streamed chunk by chunk from the generator's raw words: never stored, since the gradient (1x the
parameters) and the complex workspace (2x) must not be held together (peak memory). So each direction is drawn twice:
once for u . g while the gradient is held (before the workspace exists), once into the workspace's imaginary part from
the same generator state. The step h is a power of two, so both draws give the same floating-point direction:
work.imag / h is, entry for entry, the d that u . g was computed with (in complex64 up to float32 subnormals).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from checks.complex_safety import Safety, probe
from checks.differences import Workspace, scalar
from checks.tolerances import Tolerance

__all__ = ["Measure", "weights", "step", "analytic", "measure"]

Array = np.ndarray


@dataclass(frozen=True)
class Measure:
    """One joint probe: u . g (analytic), D_u L (numeric) and the loss value at p."""

    analytic: float
    numeric: float
    value: float

    @property
    def residual(self) -> float:
        return self.analytic - self.numeric


def weights(norms: Sequence[float], tol: Tolerance) -> tuple[Array, float]:
    """w_t = c / T_t with T_t = rtol ||g_t|| + atol and c = min_t T_t (so the largest weight is 1); returns (w, c)."""
    limits = tol.rtol * np.asarray(norms, dtype=float) + tol.atol
    c = float(limits.min())
    return c / limits, c


def _replay(rng: np.random.Generator, state: dict) -> np.random.Generator:
    rng.bit_generator.state = state  # a probe is drawn again from its starting state: no generator per probe
    return rng


_SPREAD = float(np.sqrt(12.0)) * 2.0**-32  # k 2^-32, k uniform on [-2^31, 2^31), times sqrt(12): variance 1
_CHUNK = 1 << 14  # entries drawn at a time: 64 kB of raw words, so a direction never takes more memory than this


def step(h: float) -> float:
    """The largest power of two <= h: scaling by it is exact, so work.imag / h is the direction bit for bit."""
    return math.ldexp(0.5, math.frexp(h)[1])


def _words(rng: np.random.Generator, size: int):
    """(start, k) with k int32 uniform on [-2^31, 2^31), chunk by chunk over `size` entries: the generator's raw 64-bit
    words read as two int32 each (cheaper than rng.random). k x _SPREAD is uniform with variance 1 on a grid of 2^-32,
    which moves r by at most 2^-33 sqrt(12) sqrt(n) s: 5e-7 s at n = 1.8 million, nothing against 1e-3 s."""
    for start in range(0, size, _CHUNK):
        count = min(_CHUNK, size - start)
        yield start, rng.bit_generator.random_raw((count + 1) // 2).view(np.int32)[:count]


def _fill(out: Array, k: Array, scale: float) -> Array:
    """out = k x scale, rounded once to out's dtype: the one formula both draws use, so they agree bit for bit."""
    return np.multiply(k, scale, out=out)


def _dot(d: Array, g: Array) -> float:
    """d . g accumulated in float64 (a float32 dot of 10^6 terms would lose the digits the threshold needs)."""
    return float(np.dot(d.astype(np.float64, copy=False), g.astype(np.float64, copy=False)))


def analytic(grads: Sequence[Array], w: Array, rng: np.random.Generator, count: int,
             dtypes: Sequence[np.dtype]) -> tuple[list[float], list]:
    """u . g for `count` probes drawn one after the other by rng, chunk by chunk and never stored (so grads can be let
    go after this), tensor t's direction rounded to dtypes[t] as the workspace's imaginary part will hold it; returns
    them and the generator state at the start of each probe."""
    sides, states = [], []
    size = min(_CHUNK, max(g.size for g in grads))
    buffers = {dtype: np.empty(size, dtype=dtype) for dtype in set(dtypes)}
    for _ in range(count):
        states.append(rng.bit_generator.state)
        total = 0.0
        for t, g in enumerate(grads):
            flat, scale, buffer = g.reshape(-1), _SPREAD * float(w[t]), buffers[dtypes[t]]
            for start, k in _words(rng, flat.size):
                total += _dot(_fill(buffer[:k.size], k, scale), flat[start:start + k.size])
        sides.append(total)
    return sides, states


def measure(loss: Callable, work: Workspace, side: float, w: Array, rng: np.random.Generator, state: dict, h: float,
            tracked: bool = False) -> tuple[Measure, Safety | None]:
    """The probe starting at generator state `state` (analytic side `side`): write i h u into the workspace and
    evaluate. Every imaginary part is overwritten, so probes follow each other without clearing; work.clear() ends
    them.

    tracked: run the loss on tracked arrays (checks.complex_safety) and return the safety verdict too; the numeric
    value is then NaN when the loss raised.
    """
    rng = _replay(rng, state)
    for t, flat in enumerate(work.flats):
        scale = h * (_SPREAD * float(w[t]))  # h times analytic()'s scale: exact, h being a power of two
        for start, k in _words(rng, flat.size):
            _fill(flat.imag[start:start + k.size], k, scale)
    if tracked:
        value, safety = probe(loss, list(work.arrays))
        if value is None:
            return Measure(side, float("nan"), float("nan")), safety
    else:
        value, safety = loss(list(work.arrays)), None
    value = scalar(value)
    return Measure(side, value.imag / h, value.real), safety
