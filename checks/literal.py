"""Text handed to rich shown as written: math and user text are never read as markup (1[z > 0] keeps [z > 0])."""

from __future__ import annotations

__all__ = ["literal", "literal_row"]


def literal(text, style: str = ""):
    """str -> Text(str): rich parses markup only in a str, so in a Text every [ and ] is a character.

    Every piece of math, note, name or user text that reaches rich (a table cell, a grid's body, a printed line)
    goes through here; rich is imported only when something is rendered, so checks stays free of it otherwise.
    """
    from rich.text import Text

    return text if isinstance(text, Text) else Text(str(text), style=style)


def literal_row(cells) -> list:
    """A table row whose cells are shown as written."""
    return [literal(cell) for cell in cells]
