"""The gradient checker's tolerance table: a relative bound and an absolute floor per dtype and method, with reasons.

The criterion, per tensor T and over all parameters together, is normwise:

    || g_analytic - g_numeric ||_2  <=  rtol * max(||g_analytic||_2, ||g_numeric||_2)  +  atol

In fast mode the norms are estimated from k Gaussian probes v (E[(v . e)^2] = ||e||^2, so the root mean square of the
projections estimates the norm). A normwise bound does not fail correct gradients whose entries are tiny, as the
elementwise rule |a - n| / max(|a|, |n|) < 1e-7 does on about 1% of the entries of a real network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Tolerance", "TOLERANCES", "DELTA_TOLERANCE", "tolerance_for", "dtype_family", "JointRule", "JOINT"]


@dataclass(frozen=True)
class Tolerance:
    """rtol: relative bound on the normwise error; atol: absolute floor in gradient units; reason: why these values."""

    rtol: float
    atol: float
    reason: str


TOLERANCES: dict[tuple[str, str], Tolerance] = {
    ("float64", "complex"): Tolerance(
        1e-9, 1e-13,
        "complex step has no subtractive cancellation: the numeric side is good to ~1e-15, and a hand-written "
        "float64 backprop agrees to ~1e-14; 1e-9 leaves 4 digits of room and still catches a 0.1% error on one "
        "entry out of 10^5",
    ),
    ("float64", "richardson"): Tolerance(
        1e-7, 1e-10,
        "three Richardson levels over central differences cancel the h^2, h^4 and h^6 terms; what is left is "
        "rounding of about eps / h0 ~ 1e-12 relative, amplified by the tableau",
    ),
    ("float64", "central"): Tolerance(
        1e-5, 1e-8,
        "central differences at h ~ eps^(1/3) x scale leave truncation plus rounding of about 1e-10 relative on "
        "smooth losses and 1e-7 on curved ones (softmax with large logits); 1e-5 passes those and catches 0.1%",
    ),
    ("float32", "complex"): Tolerance(
        1e-4, 1e-6,
        "float32 carries 7 digits: the analytic gradient itself is only good to ~1e-6 relative",
    ),
    ("float32", "richardson"): Tolerance(
        1e-2, 1e-4,
        "float32 rounding (6e-8) divided by a step of ~1e-2 dominates the extrapolated difference",
    ),
    ("float32", "central"): Tolerance(
        1e-2, 1e-4,
        "float32 central differences at h ~ 4e-3 leave about 1e-3 relative error; only gross mistakes are visible",
    ),
}


def dtype_family(dtypes: list[np.dtype]) -> str:
    """'float64' when every parameter array is float64 (or complex128), else 'float32' (the lower precision wins)."""
    low = [d for d in map(np.dtype, dtypes) if d.itemsize < 8 and d.kind == "f"]
    return "float32" if low else "float64"


def tolerance_for(family: str, method: str) -> Tolerance:
    """The table entry for a dtype family and a numeric method ('complex', 'central', 'richardson')."""
    return TOLERANCES[(family, method)]


DELTA_TOLERANCE = Tolerance(
    1e-8, 1e-12,
    "a delta function and the derived formula are both closed-form float64 expressions: they agree to ~1e-15 when "
    "they are the same function, and a wrong form differs by order 1 on some probe",
)


@dataclass(frozen=True)
class JointRule:
    """The joint probe of fast mode: pass when |u . g - D_u L| <= ratio * c on `probes` random directions u (entries
    uniform, variance 1, checks.joint), where u weights tensor t by c / T_t (T_t its tolerance, c the smallest). A
    tensor beyond its tolerance makes the residual's standard deviation s > c and its density at most sqrt(1/6) / s,
    so one probe passes it with probability <= sqrt(2/3) ratio, and all of them with
    false_pass = (sqrt(2/3) ratio)^probes."""

    ratio: float
    probes: int
    reason: str

    @property
    def false_pass(self) -> float:
        return float((np.sqrt(2 / 3) * self.ratio) ** self.probes)


JOINT: dict[str, JointRule] = {
    "float64": JointRule(
        1e-3, 2,
        "a correct float64 backprop leaves |r| <= 4e-6 c (measured on the networks of the benchmark): 1e-3 keeps two "
        "orders of room, and two probes bring the false-pass rate to 6.7e-7"),
    "float32": JointRule(
        1e-2, 3,
        "a correct float32 backprop leaves |r| <= 2e-3 c (its gradient is good to ~1e-6 against the 1e-4 tolerance): "
        "1e-2 keeps a factor 5, and three probes bring the false-pass rate to 5.4e-7"),
}
