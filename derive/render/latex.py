"""LaTeX output: the fragment of one derivation, or a standalone document."""

from derive.render.structured import latex_document, latex_fragment

__all__ = ["latex_fragment", "latex_document"]
