"""Markdown output of one derivation."""

from derive.render.structured import markdown

__all__ = ["markdown"]
