"""The result of check_backward: one row per forward name in backward order, the first wrong line and its causes."""

from __future__ import annotations

from dataclasses import dataclass

from checks.report import Finding, mimebundle

__all__ = ["NodeResult", "BackwardReport"]

_MARK = {"right": "✓", "wrong": "✗", "unchecked": "·"}


@dataclass(frozen=True)
class NodeResult:
    """One forward name: where forward computes it, right / wrong / unchecked, its error, causes, backward lines."""

    name: str
    line: int
    source: str
    status: str
    error: float | None
    causes: tuple[Finding, ...] = ()
    backward_lines: tuple[int, ...] = ()
    follows: tuple[str, ...] = ()  # for a wrong name that is not a first error: the first errors it inherits

    @property
    def passed(self) -> bool:
        return self.status == "right"

    def as_json(self) -> dict:
        return {"name": self.name, "line": self.line, "passed": self.passed, "error": self.error,
                "causes": [c.id for c in self.causes]}

    def _error_text(self) -> str:
        if self.status == "unchecked":
            return "no gradient"
        return "not measurable" if self.error is None else f"{self.error:.1e}"

    def _cause_text(self) -> str:
        if self.status != "wrong":
            return ""
        if self.follows:
            return f"follows from {', '.join(self.follows)}"
        return ", ".join(c.id for c in self.causes) or "no catalogued cause"


@dataclass(frozen=True)
class BackwardReport:
    """`passed`, `first_wrong`, `nodes` and `as_json()` are the public surface; print it or show it in Jupyter."""

    nodes: tuple[NodeResult, ...]
    method: str
    rtol: float
    forward_passes: float  # statements run after the first forward pass (probes, complex-safety run) / statements
    first_errors: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not any(node.status == "wrong" for node in self.nodes)

    def node(self, name: str) -> NodeResult:
        return next(node for node in self.nodes if node.name == name)

    @property
    def first_wrong(self) -> NodeResult | None:
        """The first error closest to the loss: wrong, while every checked name consuming it is right."""
        return self.node(self.first_errors[0]) if self.first_errors else None

    def as_json(self) -> dict:
        first = self.first_wrong
        return {
            "passed": self.passed,
            "first_wrong": None if first is None else {"name": first.name, "line": first.line, "source": first.source,
                                                       "causes": [c.id for c in first.causes]},
            "nodes": [node.as_json() for node in self.nodes if node.status != "unchecked"],
        }

    def _headline(self) -> str:
        counts = {s: sum(node.status == s for node in self.nodes) for s in _MARK}
        return (f"backward check: {'PASSED' if self.passed else 'FAILED'}  {counts['right']} right, "
                f"{counts['wrong']} wrong, {counts['unchecked']} unchecked")

    def _method_line(self) -> str:
        return f"method {self.method}, rtol {self.rtol:.0e}, {self.forward_passes:g} forward passes run to check"

    def _rows(self) -> list[list[str]]:
        return [[_MARK[n.status], n.name, str(n.line), n._error_text(), n._cause_text()] for n in self.nodes]

    def _verdict_lines(self) -> list[str]:
        first = self.first_wrong
        if first is None:
            return []
        lines = [f"first wrong: {first.name}, line {first.line}: {first.source}"]
        if first.backward_lines:
            plural = "s" if len(first.backward_lines) > 1 else ""
            shown = ", ".join(map(str, first.backward_lines))
            lines.append(f"  its gradient is assigned in backward at line{plural} {shown}")
        lines += [f"  [{c.id}] {c.message}" for c in first.causes] or ["  no catalogued cause fits"]
        if self.first_errors[1:]:
            lines.append(f"also wrong on their own: {', '.join(self.first_errors[1:])}")
        return lines

    def __str__(self) -> str:
        head = [" ", "name", "line", "error", "cause"]
        widths = [max(len(row[i]) for row in [head, *self._rows()]) for i in range(len(head))]
        table = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [head, *self._rows()]]
        notes = [f"note: {note}" for note in self.notes]
        return "\n".join([self._headline(), self._method_line(), "", *table, "", *self._verdict_lines(),
                          *notes]).rstrip()

    def __rich_console__(self, console, options):
        from rich.table import Table
        from rich.text import Text

        from checks.literal import literal_row

        yield Text(self._headline(), style="bold green" if self.passed else "bold red")
        yield Text(self._method_line(), style="dim")
        table = Table(title_justify="left")
        for header in (" ", "name", "line", "error", "cause"):
            table.add_column(header, overflow="fold")
        for node, row in zip(self.nodes, self._rows()):
            table.add_row(*literal_row(row), style={"wrong": "red", "unchecked": "dim"}.get(node.status))
        yield table
        for line in self._verdict_lines():
            yield Text(line, style="bold" if line.startswith("first") else None)
        for note in self.notes:
            yield Text(f"note: {note}", style="italic")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        return mimebundle(self)
