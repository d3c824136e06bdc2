"""Joint random probes over all tensors at once: what a passing fast check costs (complex step only).

A probe draws z with independent entries uniform on [-sqrt(3), sqrt(3)) (variance 1, on a grid of 2^-32) over every
parameter and weights tensor t by w_t = c / T_t, where T_t = rtol ||g_t|| + atol is the tensor's tolerance and
c = min_t T_t. Its residual r = u . g - D_u L = sum_t w_t z_t . e_t (e the error of the analytic gradient) has
standard deviation s = sqrt(sum_t w_t^2 ||e_t||^2), so any tensor beyond its tolerance gives s > c. The density of r
is symmetric, unimodal and at most sqrt(1/6) / s (Ball's cube slicing: a central section of the unit cube has volume
at most sqrt 2), so P(|r| <= ratio s) <= sqrt(2/3) ratio. Uniform draws cost a seventh of Gaussian ones and bound as
well; checks.tolerances.JOINT gives the ratio and the number of probes. Probe k has its own stream, seeded by
(seed, k), so the probes are independent.

Memory: the gradient (1x the parameters) and the complex workspace (2x) are never held together, so u_k . g is
computed before the workspace exists, in one pass over the gradient for all probes, and each direction is drawn again
into the workspace's imaginary part from its stream's start. Only the first probe's raw words are kept in between
(int32: half the parameters in float64; in float32 they would be as large as the parameters, and are drawn again).
The step h is a power of two and both draws round with one formula, so work.imag / h is, entry for entry, the
direction u . g was computed with (in complex64 up to float32 subnormals).
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from checks.complex_safety import Safety, probe
from checks.differences import Workspace, scalar
from checks.tolerances import Tolerance

__all__ = ["Measure", "Probes", "weights", "step", "prepare", "measure"]

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


_SPREAD = float(np.sqrt(12.0)) * 2.0**-32  # k 2^-32, k uniform on [-2^31, 2^31), times sqrt(12): variance 1
_CHUNK = 1 << 14  # entries drawn at a time: 64 kB of raw words, so a direction never takes more memory than this
_POOL = threading.local()  # one bit generator per probe index and thread, reset to a cached state per check


@dataclass
class Probes:
    """The joint probes of one check: the gradient's norms per tensor, weights w, threshold scale c, step h, u_k . g
    for each probe k, the seed of the streams, and the first probe's raw words until measure() has used them (None
    when they are drawn again)."""

    norms: list[float]
    w: Array
    c: float
    h: float
    sides: list[float]
    seed: int
    words: Array | None = None


def step(h: float) -> float:
    """The largest power of two <= h: scaling by it is exact, so work.imag / h is the direction bit for bit."""
    return math.ldexp(0.5, math.frexp(h)[1])


@functools.lru_cache(maxsize=256)
def _start(seed: int, index: int) -> dict:
    return np.random.PCG64([seed, 7919, index]).state


def _stream(seed: int, index: int) -> np.random.BitGenerator:
    """Probe `index`'s bit generator at its start (seeding one costs more than the rest of a probe's bookkeeping)."""
    pool = _POOL.__dict__.setdefault("generators", {})
    if index not in pool:
        pool[index] = np.random.PCG64()
    pool[index].state = _start(seed, index)
    return pool[index]


def _draw(stream: np.random.BitGenerator, count: int) -> Array:
    """count int32 uniform on [-2^31, 2^31): the stream's raw 64-bit words read as two int32 each (cheaper than
    rng.random). k x _SPREAD is uniform with variance 1 on a grid of 2^-32, which moves r by at most
    2^-33 sqrt(12) sqrt(n) s: 5e-7 s at n = 1.8 million, nothing against 1e-3 s."""
    return stream.random_raw((count + 1) // 2).view(np.int32)[:count]


def _fill(out: Array, k: Array, scale: float) -> Array:
    """out = k x scale, rounded once to out's dtype: the one formula both draws use, so they agree bit for bit."""
    return np.multiply(k, scale, out=out)


def _dot(d: Array, g: Array) -> float:
    """d . g accumulated in float64 (a float32 dot of 10^6 terms would lose the digits the threshold needs)."""
    if d.dtype == g.dtype == _FLOAT64:
        return float(np.dot(d, g))
    return float(np.dot(d.astype(np.float64), g.astype(np.float64, copy=False)))


_FLOAT64 = np.dtype(np.float64)


@functools.lru_cache(maxsize=64)
def _layout(sizes: tuple[int, ...]) -> tuple:
    """The directions as one stream over all tensors, chunk by chunk: (start, count, pieces) with pieces (t, a, b, o),
    entries [a, b) of tensor t at offset o of the chunk (so small tensors share a draw)."""
    ends = np.cumsum((0,) + sizes)
    chunks = []
    for start in range(0, int(ends[-1]), _CHUNK):
        stop = min(start + _CHUNK, int(ends[-1]))
        pieces = tuple((t, max(start, int(ends[t])) - int(ends[t]), min(stop, int(ends[t + 1])) - int(ends[t]),
                        max(start, int(ends[t])) - start)
                       for t in range(len(sizes)) if ends[t] < stop and ends[t + 1] > start)
        chunks.append((start, stop - start, pieces))
    return tuple(chunks)


def prepare(grads: Sequence[Array], norms: Sequence[float], tol: Tolerance, h: float, seed: int, count: int,
            dtypes: Sequence[np.dtype]) -> Probes:
    """The weights and u_k . g for `count` probes, in one pass over the gradient (so grads can be let go after this),
    tensor t's direction rounded to dtypes[t] as the workspace's imaginary part will hold it."""
    w, c = weights(norms, tol)
    streams = [_stream(seed, k) for k in range(count)]
    flats, scales = [g.reshape(-1) for g in grads], [_SPREAD * float(x) for x in w]
    layout = _layout(tuple(flat.size for flat in flats))
    buffers = {dtype: np.empty(layout[0][1], dtype=dtype) for dtype in set(dtypes)}
    keep = all(np.dtype(dtype).itemsize >= 8 for dtype in dtypes)  # int32 words at most half the parameters
    words = np.empty(sum(flat.size for flat in flats), dtype=np.int32) if keep else None
    sides = [0.0] * count
    for start, size, pieces in layout:
        for k, stream in enumerate(streams):
            drawn = _draw(stream, size)
            if k == 0 and keep:
                words[start:start + size] = drawn
            for t, a, b, o in pieces:
                sides[k] += _dot(_fill(buffers[dtypes[t]][:b - a], drawn[o:o + b - a], scales[t]), flats[t][a:b])
    return Probes(list(norms), w, c, h, sides, seed, words)


def _write(work: Workspace, probes: Probes, index: int) -> None:
    """work.imag = h u for probe `index`: from the kept words of the first probe, else from its stream again (in a
    function of its own, so nothing drawn outlives it)."""
    words = probes.words if index == 0 else None
    if index == 0:
        probes.words = None  # used once, and not held while the loss runs
    stream = _stream(probes.seed, index) if words is None else None
    flats = work.flats
    scales = [probes.h * (_SPREAD * float(w)) for w in probes.w]  # h times prepare()'s: exact, h a power of two
    for start, size, pieces in _layout(tuple(flat.size for flat in flats)):
        drawn = _draw(stream, size) if words is None else words[start:start + size]
        for t, a, b, o in pieces:
            _fill(flats[t].imag[a:b], drawn[o:o + b - a], scales[t])


def measure(loss: Callable, work: Workspace, probes: Probes, index: int,
            tracked: bool = False) -> tuple[Measure, Safety | None]:
    """Probe `index`: write i h u into the workspace and evaluate. Every imaginary part is overwritten, so probes
    follow each other without clearing; work.clear() ends them.

    tracked: run the loss on tracked arrays (checks.complex_safety) and return the safety verdict too; the numeric
    value is then NaN when the loss raised.
    """
    _write(work, probes, index)
    h, side = probes.h, probes.sides[index]
    if tracked:
        value, safety = probe(loss, list(work.arrays))
        if value is None:
            return Measure(side, float("nan"), float("nan")), safety
    else:
        value, safety = loss(list(work.arrays)), None
    value = scalar(value)
    return Measure(side, value.imag / h, value.real), safety
