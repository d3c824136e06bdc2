"""`assert_gradients`: a gradient check that fails a test with the whole report as its message."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from checks.gradcheck import gradcheck
from checks.report import Report

__all__ = ["assert_gradients"]


def assert_gradients(loss: Callable, grad: Callable, params: np.ndarray | Sequence[np.ndarray], **options) -> Report:
    """Run checks.gradcheck(loss, grad, params, **options); raise AssertionError(report) unless it passes.

    Returns the report when it passes, so a test can look further (e.g. at report.error).
    """
    __tracebackhide__ = True  # pytest shows the report, not this frame
    report = gradcheck(loss, grad, params, **options)
    if not report.passed:
        raise AssertionError("\n" + str(report))
    return report
