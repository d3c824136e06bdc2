"""Layout helpers for narrow terminals: a hanging indent, and a table that compacts itself to fit."""

from __future__ import annotations

from typing import Callable

from rich.measure import Measurement
from rich.text import Text

__all__ = ["Hanging", "HangingText", "Fitted"]


class Hanging:
    """Text wrapped at spaces only (a number is never split), continuation lines indented by `indent`."""

    def __init__(self, text: str, indent: int = 2, style: str = "") -> None:
        self.text, self.indent, self.style = text, indent, style

    def __rich_measure__(self, console, options) -> Measurement:
        words = self.text.split() or [""]
        return Measurement(max(len(word) for word in words) + (self.indent if len(words) > 1 else 0),
                           len(self.text))

    def __rich_console__(self, console, options):
        yield Text("\n".join(self.lines(options.max_width)), style=self.style, no_wrap=True, overflow="crop")

    def lines(self, width: int) -> list[str]:
        lines: list[str] = []
        for word in self.text.split():
            if lines and len(lines[-1]) + 1 + len(word) <= width:
                lines[-1] += " " + word
            else:
                lines.append((" " * self.indent if lines else "") + word)
        return lines or [""]


class HangingText:
    """A rich Text printed as is when it fits; else wrapped with its continuation lines indented by `indent`."""

    def __init__(self, text: Text, indent: int) -> None:
        self.text, self.indent = text, indent

    def __rich_measure__(self, console, options) -> Measurement:
        return Measurement.get(console, options, self.text)

    def __rich_console__(self, console, options):
        width = options.max_width
        if self.text.cell_len <= width or width <= 2 * self.indent:
            yield self.text
            return
        lines = self.text.wrap(console, width - self.indent)
        for number, line in enumerate(lines):
            line.rstrip()
            yield Text.assemble(" " * self.indent, line) if number else line


class Fitted:
    """build(compact=False) when its minimum width fits the console, else build(compact=True)."""

    def __init__(self, build: Callable[[bool], object]) -> None:
        self.build = build

    def __rich_console__(self, console, options):
        wide = self.build(False)
        yield wide if self._minimum(console, options, wide) <= options.max_width else self.build(True)

    def __rich_measure__(self, console, options) -> Measurement:
        return Measurement.get(console, options, self.build(False))

    @staticmethod
    def _minimum(console, options, renderable) -> int:
        # Measurement.get clamps to the width it is given: measure unconstrained to learn what is needed.
        return Measurement.get(console, options.update_width(10**6), renderable).minimum
