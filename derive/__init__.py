"""derive-backprop: step-by-step, verified derivations of backpropagation with softmax and cross-entropy.

    >>> import derive
    >>> report = derive.run("softmax-jacobian", classes=3)   # build, prove every step, check numerically
    >>> report.passed
    True

Names load on first use, so `import derive` costs nothing until something is asked for.
"""

from __future__ import annotations

from derive._lazy import lazy_exports

__all__ = ["build", "prove", "run", "ids", "Derivation", "Step", "Proof", "Report", "UsageError"]

_HOMES = {
    "build": "derive.derivations",
    "ids": "derive.derivations",
    "prove": "derive.verify",
    "Proof": "derive.verify",
    "run": "derive.render.report",
    "Report": "derive.render.report",
    "Derivation": "derive.steps",
    "Step": "derive.steps",
    "UsageError": "derive.errors",
}


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, globals())
