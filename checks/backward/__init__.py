"""Line-by-line checking of a hand-written backward pass: which intermediate's gradient is wrong first, and why."""

from __future__ import annotations

from checks.backward.causes import CAUSES
from checks.backward.check import check_backward
from checks.backward.program import BackwardError, failing_line
from checks.backward.report import BackwardReport, NodeResult

__all__ = ["check_backward", "BackwardReport", "NodeResult", "BackwardError", "CAUSES", "failing_line"]
