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
    return float(np.dot(d.astype(np.float64, copy=False), g.astype(np.float64, copy=False)))


def prepare(grads: Sequence[Array], norms: Sequence[float], tol: Tolerance, h: float, seed: int, count: int,
            dtypes: Sequence[np.dtype]) -> Probes:
    """The weights and u_k . g for `count` probes, in one pass over the gradient (so grads can be let go after this),
    tensor t's direction rounded to dtypes[t] as the workspace's imaginary part will hold it."""
    w, c = weights(norms, tol)
    streams = [_stream(seed, k) for k in range(count)]
    size = min(_CHUNK, max(g.size for g in grads))
    buffers = {dtype: np.empty(size, dtype=dtype) for dtype in set(dtypes)}
    keep = all(np.dtype(dtype).itemsize >= 8 for dtype in dtypes)  # int32 words at most half the parameters
    words = np.empty(sum(g.size for g in grads), dtype=np.int32) if keep else None
    sides, offset = [0.0] * count, 0
    for t, g in enumerate(grads):
        flat, scale, buffer = g.reshape(-1), _SPREAD * float(w[t]), buffers[dtypes[t]]
        for start in range(0, flat.size, _CHUNK):
            piece = flat[start:start + _CHUNK]
            for k, stream in enumerate(streams):
                drawn = _draw(stream, piece.size)
                if k == 0 and keep:
                    words[offset + start:offset + start + piece.size] = drawn
                sides[k] += _dot(_fill(buffer[:piece.size], drawn, scale), piece)
        offset += flat.size
    return Probes(list(norms), w, c, h, sides, seed, words)


def _directions(probes: Probes, index: int, sizes: Sequence[int]):
    """(t, start, k) over every tensor: the kept words of the first probe (let go here), else its stream again."""
    words = probes.words if index == 0 else None
    if words is not None:
        probes.words = None  # used once, and not held while the loss runs
    stream = None if words is not None else _stream(probes.seed, index)
    offset = 0
    for t, size in enumerate(sizes):
        for start in range(0, size, _CHUNK):
            count = min(_CHUNK, size - start)
            yield t, start, (_draw(stream, count) if words is None else words[offset + start:offset + start + count])
        offset += size


def _write(work: Workspace, probes: Probes, index: int) -> None:
    """work.imag = h u for probe `index` (in a function of its own, so nothing drawn outlives it)."""
    flats = work.flats
    scales = [probes.h * (_SPREAD * float(w)) for w in probes.w]  # h times prepare()'s: exact, h a power of two
    for t, start, k in _directions(probes, index, [flat.size for flat in flats]):
        _fill(flats[t].imag[start:start + k.size], k, scales[t])


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
