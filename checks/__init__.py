"""Numeric verification: finite differences, gradient checking of people's own code, and the catalogue of mistakes."""

from __future__ import annotations

from derive._lazy import lazy_exports

__all__ = [
    "gradcheck",
    "check_delta",
    "check_hidden_delta",
    "assert_gradients",
    "MISTAKES",
    "check_derivation",
    "central_jacobian",
    "normwise_relative_error",
]

# Public name -> module that defines it; loaded on first use so `import checks` stays cheap.
_HOMES = {
    "gradcheck": "checks.gradcheck",
    "check_delta": "checks.delta",
    "check_hidden_delta": "checks.delta",
    "assert_gradients": "checks.testing",
    "MISTAKES": "checks.mistakes",
    "check_derivation": "checks.derivation_check",
    "central_jacobian": "checks.numeric",
    "normwise_relative_error": "checks.numeric",
}


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, globals())


class _Package(type(__import__("sys"))):
    """Importing the submodule checks.gradcheck binds it on the package; the public name stays the function."""

    def __setattr__(self, name, value):
        if name in _HOMES and type(value).__name__ == "module":
            return
        super().__setattr__(name, value)


__import__("sys").modules[__name__].__class__ = _Package
