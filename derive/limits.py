"""Limits of what the tools accept, in a module that imports nothing: the command-line parser reads them before
any command has loaded SymPy or numpy."""

from __future__ import annotations

__all__ = ["MAX_CLASSES"]

# The largest class count the tools accept; numeric checks build K x K Jacobians, so this bounds memory.
MAX_CLASSES = 10_000
