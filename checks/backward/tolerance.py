"""The absolute floor for names whose true gradient is exactly zero, with its reason (the rest is checks.tolerances).

Per name, with p = <g, v> (the learner's gradient along a Gaussian direction v) and D = D_v L (numeric):

    |p - D|  <=  rtol * max(||g||, |D|, floor * S)

where S is the largest |D| of the name and of the values computed from it (the gradients it gathers), and floor
is ZERO_FLOOR[method].rtol. E[(v . e)^2] = ||e||^2, so |p - D| estimates the
norm of the error e. Below floor * S a gradient is judged absolutely: the bias before a batch norm and the row maxima
subtracted before a softmax have a true gradient of exactly 0, and both sides are rounding noise there.
"""

from __future__ import annotations

from checks.tolerances import Tolerance, tolerance_for

__all__ = ["ZERO_FLOOR", "rtol_for"]

# Measured on the exercise (checks/backward/exercise.py, seeds 0-2): |p - D| for b1 and row_max.
ZERO_FLOOR = {
    "complex": Tolerance(
        1e-5, 0.0,
        "complex step has no subtraction, but a zero gradient is a sum of O(1) terms that cancel (the batch sum "
        "after the batch mean is subtracted); measured |p - D| <= 6e-17 (~1e-16 x S). With rtol 1e-9 the absolute "
        "tolerance is 1e-14 x S: 100x room; gradients above 1e-5 x S (the exercise's smallest is 7e-3 x S) keep "
        "their relative test",
    ),
    "central": Tolerance(
        1e-4, 0.0,
        "a central difference of a loss that does not depend on the value is rounding, eps |L| / h; measured "
        "|p - D| <= 2e-11 x S. With rtol 1e-5 the absolute tolerance is 1e-9 x S: 50x room",
    ),
    "richardson": Tolerance(
        1e-3, 0.0,
        "the tableau's rounding at a first step of 1e-3: measured |p - D| <= 1.2e-12 x S. With rtol 1e-7 the "
        "absolute tolerance is 1e-10 x S: 80x room",
    ),
}


def rtol_for(family: str, method: str) -> float:
    """The normwise relative tolerance of checks.tolerances for this dtype family and method."""
    return tolerance_for(family, method).rtol
