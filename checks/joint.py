"""Joint Gaussian probes over all tensors at once: what a passing fast check costs (complex step only).

A probe draws z ~ N(0, I) over every parameter and weights tensor t by w_t = c / T_t, where T_t = rtol ||g_t|| + atol
is the tensor's tolerance and c = min_t T_t. Its residual r = u . g - D_u L = sum_t w_t z_t . e_t (e the error of the
analytic gradient) is N(0, s^2) with s^2 = sum_t w_t^2 ||e_t||^2, so any tensor beyond its tolerance gives s > c.
checks.tolerances.JOINT gives the threshold (ratio x c) and the number of probes that bound the false-pass rate.
Directions are streamed tensor by tensor into the imaginary part of the one complex Workspace: no copy of them is
kept, and each probe is regenerated from its own seed when a failure needs it again.
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


def weights(grads: Sequence[Array], tol: Tolerance) -> tuple[Array, float]:
    """w_t = c / T_t with T_t = rtol ||g_t|| + atol and c = min_t T_t (so the largest weight is 1); returns (w, c)."""
    limits = np.array([tol.rtol * float(np.linalg.norm(g)) + tol.atol for g in grads])
    c = float(limits.min())
    return c / limits, c


def _stream(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, 7919, index])  # one stream per probe, so a probe can be drawn again


def _draw(rng: np.random.Generator, size: int) -> Array:
    return rng.standard_normal(size, dtype=np.float32)  # half the cost of float64 draws, and exactly Gaussian enough


def measure(loss: Callable, work: Workspace, grads: Sequence[Array], w: Array, seed: int, index: int, h: float,
            tracked: bool = False) -> tuple[Measure, Safety | None]:
    """Probe `index`: write i h u into the workspace tensor by tensor (u . g summed on the way), evaluate, clear.

    tracked: run the loss on tracked arrays (checks.complex_safety) and return the safety verdict too; the value is
    then None when the loss raised.
    """
    rng, analytic = _stream(seed, index), 0.0
    for t, (flat, g) in enumerate(zip(work.flats, grads)):
        z = _draw(rng, flat.size)
        analytic += float(w[t]) * float(np.dot(z, g.reshape(-1)))
        np.multiply(z, h * float(w[t]), out=flat.imag, dtype=flat.imag.dtype)  # in the workspace's precision
    try:
        if tracked:
            value, safety = probe(loss, list(work.arrays))
            if value is None:
                return Measure(analytic, float("nan"), float("nan")), safety
        else:
            value, safety = loss(list(work.arrays)), None
        value = scalar(value)
    finally:
        for flat in work.flats:
            flat.imag[:] = 0
    return Measure(analytic, value.imag / h, value.real), safety


def direction(work: Workspace, w: Array, seed: int, index: int) -> Probe:
    """Probe `index` as a Probe (for the failure path: kink checks, central differences)."""
    rng = _stream(seed, index)
    return tuple(Part(t, 0, flat.size, _draw(rng, flat.size).astype(np.float64) * float(w[t]))
                 for t, flat in enumerate(work.flats))
