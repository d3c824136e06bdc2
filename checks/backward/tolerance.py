"""The absolute floor for names whose true gradient is exactly zero, with its reason (the rest is checks.tolerances).

Per name, with p = <g, v> (the learner's gradient along a Gaussian direction v) and D = D_v L (numeric):

    |p - D|  <=  rtol * max(||g||, |D|, floor * S)

where S is the largest |D| over the names checked in the same pass. E[(v . e)^2] = ||e||^2, so |p - D| estimates the
norm of the error e. Below floor * S a gradient is judged absolutely: the bias before a batch norm and the row maxima
subtracted before a softmax have a true gradient of exactly 0, and both sides are rounding noise there.
"""

from __future__ import annotations

from checks.tolerances import Tolerance, tolerance_for

__all__ = ["ZERO_FLOOR", "rtol_for"]

ZERO_FLOOR = {
    "complex": Tolerance(
        1e-3, 0.0,
        "complex step carries no cancellation, but a zero gradient is still a sum of O(1) terms that cancel "
        "(sum over the batch after subtracting its mean): the learner's side is ~1e-16 x S, the numeric side ~1e-15 "
        "x S; judged against 1e-3 x S, an absolute error above 1e-12 x S still fails",
    ),
    "central": Tolerance(
        1e-3, 0.0,
        "a central difference of a loss that does not depend on the value is pure rounding, eps |x| / h ~ 1e-10 x S "
        "after the batch-norm subtraction; judged against 1e-3 x S, an absolute error above 1e-8 x S still fails",
    ),
    "richardson": Tolerance(
        1e-3, 0.0,
        "Richardson's tableau amplifies the same rounding by about 10; 1e-3 x S with rtol 1e-7 allows 1e-10 x S",
    ),
}


def rtol_for(family: str, method: str) -> float:
    """The normwise relative tolerance of checks.tolerances for this dtype family and method."""
    return tolerance_for(family, method).rtol
