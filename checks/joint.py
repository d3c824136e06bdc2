"""Joint random probes over all tensors at once: what a passing fast check costs (complex step only).

A probe draws z with independent entries uniform on [-sqrt(3), sqrt(3)) (mean 0, variance 1) over every parameter
and weights tensor t by w_t = c / T_t, where T_t = rtol ||g_t|| + atol is the tensor's tolerance and c = min_t T_t.
Its residual r = u . g - D_u L = sum_t w_t z_t . e_t (e the error of the analytic gradient) has standard deviation
s = sqrt(sum_t w_t^2 ||e_t||^2), so any tensor beyond its tolerance gives s > c, and its density is symmetric,
unimodal and at most sqrt(1/6) / s (Ball's cube-slicing bound: a central section of the unit cube has volume at most
sqrt 2), so P(|r| <= ratio s) <= sqrt(2/3) ratio. Uniform draws cost a seventh of Gaussian ones and bound as well;
checks.tolerances.JOINT gives the ratio and the number of probes. Directions are streamed tensor by tensor into the
imaginary part of the one complex Workspace: no copy of them is kept, and each probe is drawn again from its own seed
when a failure needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from checks.complex_safety import Safety, probe
from checks.differences import Part, Probe, Workspace, scalar
from checks.tolerances import Tolerance

__all__ = ["Measure", "weights", "measure", "direction"]

Array = np.ndarray


@dataclass(frozen=True)
class Measure:
    """One joint probe: u . g (analytic), D_u L (numeric), the loss value at p and the weighted threshold scale c."""

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


def _stream(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, 7919, index])  # one stream per probe, so a probe can be drawn again


_SPREAD = float(np.sqrt(12.0))  # U[-1/2, 1/2) times sqrt(12) has variance 1


def _draw(rng: np.random.Generator, size: int) -> Array:
    """U[-1/2, 1/2) in float64 (a float32 grid of 2^-24 would shift r by up to 2^-24 sum |a_i|: too coarse)."""
    z = rng.random(size)
    z -= 0.5
    return z


def measure(loss: Callable, work: Workspace, grads: Sequence[Array], w: Array, seed: int, index: int, h: float,
            tracked: bool = False) -> tuple[Measure, Safety | None]:
    """Probe `index`: write i h u into the workspace tensor by tensor (u . g summed on the way) and evaluate. Every
    imaginary part is overwritten, so probes follow each other without clearing; work.clear() ends them.

    tracked: run the loss on tracked arrays (checks.complex_safety) and return the safety verdict too; the numeric
    value is then NaN when the loss raised.
    """
    rng, analytic = _stream(seed, index), 0.0
    for t, (flat, g) in enumerate(zip(work.flats, grads)):
        z, weight = _draw(rng, flat.size), _SPREAD * float(w[t])
        analytic += weight * float(np.dot(z, g.reshape(-1)))
        np.multiply(z, h * weight, out=flat.imag, dtype=flat.imag.dtype)  # in the workspace's precision
    if tracked:
        value, safety = probe(loss, list(work.arrays))
        if value is None:
            return Measure(analytic, float("nan"), float("nan")), safety
    else:
        value, safety = loss(list(work.arrays)), None
    value = scalar(value)
    return Measure(analytic, value.imag / h, value.real), safety


def direction(work: Workspace, w: Array, seed: int, index: int) -> Probe:
    """Probe `index` as a Probe (for the failure path: kink checks, central differences)."""
    rng = _stream(seed, index)
    return tuple(Part(t, 0, flat.size, _draw(rng, flat.size) * (_SPREAD * float(w[t])))
                 for t, flat in enumerate(work.flats))
