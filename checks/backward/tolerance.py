"""The absolute floor for names whose true gradient is exactly zero, with its reason (the rest is checks.tolerances).

Per name, with p = <g, v> (the learner's gradient along a Gaussian direction v) and D = D_v L (numeric):

    |p - D|  <=  rtol * max(||g||, |D|, floor * S)

where S is the largest |D| over the names checked in the same pass and floor is ZERO_FLOOR[method].rtol. E[(v . e)^2] = ||e||^2, so |p - D| estimates the
norm of the error e. Below floor * S a gradient is judged absolutely: the bias before a batch norm and the row maxima
subtracted before a softmax have a true gradient of exactly 0, and both sides are rounding noise there.
"""

from __future__ import annotations

from checks.tolerances import Tolerance, tolerance_for

__all__ = ["ZERO_FLOOR", "rtol_for"]

ZERO_FLOOR = {
    "complex": Tolerance(
        1e-5, 0.0,
        "complex step has no cancellation, but a zero gradient is still a sum of O(1) terms that cancel (the batch "
        "sum after subtracting the batch mean); measured on the exercise, |p - D| <= 1e-16 x S for b1 and row_max. "
        "With rtol 1e-9 the absolute tolerance is 1e-14 x S: 100x room, and a name whose true gradient is above "
        "1e-5 x S (the smallest in the exercise is 7e-3 x S) keeps its relative test",
    ),
    "central": Tolerance(
        1e-4, 0.0,
        "a central difference of a loss that does not depend on the value is rounding, up to eps |L| / h ~ 1e-11 "
        "relative; with rtol 1e-5 the absolute tolerance is 1e-9 x S, and gradients above 1e-4 x S keep their "
        "relative test",
    ),
    "richardson": Tolerance(
        1e-4, 0.0,
        "Richardson's first step is 1e-3, so its rounding is smaller than central differences' (eps / 1e-3, times "
        "~10 for the tableau); with rtol 1e-7 the absolute tolerance is 1e-11 x S",
    ),
}


def rtol_for(family: str, method: str) -> float:
    """The normwise relative tolerance of checks.tolerances for this dtype family and method."""
    return tolerance_for(family, method).rtol
