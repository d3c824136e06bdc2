"""Presentation of derivations: rich text, LaTeX, Markdown and JSON. Sits on top of the core and of checks."""

from derive.render.report import Report, run

__all__ = ["Report", "run"]
