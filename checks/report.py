"""A check's result: verdict, normwise errors per tensor, worst entries, named mistakes; as text, rich and HTML."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

__all__ = ["Entry", "TensorResult", "Finding", "Report", "mimebundle"]


@dataclass(frozen=True)
class Entry:
    """One entry of one tensor: where it is, the analytic value and the numeric (or derived) value."""

    tensor: str
    index: tuple[int, ...]
    analytic: float
    numeric: float

    @property
    def difference(self) -> float:
        return self.analytic - self.numeric


@dataclass(frozen=True)
class TensorResult:
    """One tensor's normwise check: relative error ||a - n|| / max(||a||, ||n||), its verdict, where it is wrong."""

    name: str
    shape: tuple[int, ...]
    error: float
    abs_error: float
    norm: float
    passed: bool
    step: float = 0.0
    where: str = ""
    spread: bool = False
    bound: bool = False  # error is an upper bound (a passing joint probe), not an estimate
    kinked: bool = False  # its probes cross a kink of the loss: neither right nor wrong


@dataclass(frozen=True)
class Finding:
    """A suspected mistake: its catalogue id, a one-line message, and the numbers that show it."""

    id: str
    message: str
    evidence: str
    tensors: tuple[str, ...] = ()
    factor: float | None = None


@dataclass(frozen=True)
class Report:
    """What a gradient (or delta) check found. `passed`, `error`, `tensors` and `mistakes` are the public surface."""

    title: str
    passed: bool
    error: float
    tensors: tuple[TensorResult, ...]
    worst: tuple[Entry, ...]
    mistakes: tuple[Finding, ...]
    method: str
    step: float
    mode: str
    rtol: float
    atol: float
    evaluations: int = 0
    notes: tuple[str, ...] = ()
    labels: tuple[str, str, str] = ("tensor", "analytic", "numeric")
    failure: str = ""  # what failed when it is not the error: a shape; then the headline says it first
    bound: bool = False  # error is an upper bound (a passing joint probe), not an estimate
    state: str = ""  # "not-differentiable" when the loss has a kink at the point; else from passed

    @property
    def verdict(self) -> str:
        """'passed', 'failed', or 'not-differentiable' (the loss has a kink here: neither right nor wrong)."""
        return self.state or ("passed" if self.passed else "failed")

    @property
    def inconclusive(self) -> bool:
        return self.verdict == "not-differentiable"

    @property
    def ids(self) -> tuple[str, ...]:
        """The ids of the suspected mistakes, in order."""
        return tuple(finding.id for finding in self.mistakes)

    def _headline(self) -> str:
        verdict = {"passed": "PASSED", "failed": "FAILED"}.get(self.verdict, "NOT DIFFERENTIABLE HERE")
        error = (f"normwise relative error {'< ' if self.bound else ''}{self.error:.2e} "
                 f"(tolerance rtol {self.rtol:.0e} + atol {self.atol:.0e})")
        if self.failure:
            return f"{self.title}: {verdict}  {self.failure}: {error}"
        return f"{self.title}: {verdict}  {error}"

    def _method_line(self) -> str:
        line = f"method {self.method}" + (f", step {self.step:.3g}" if self.step else "") + f", mode {self.mode}"
        return line + (f", {self.evaluations} loss evaluations" if self.evaluations else "")

    def _tensor_rows(self) -> list[list[str]]:
        return [[t.name, str(t.shape), f"{'< ' if t.bound else ''}{t.error:.2e}", _tensor_verdict(t), t.where]
                for t in self.tensors]

    def _entry_rows(self) -> list[list[str]]:
        return [[e.tensor, str(e.index), f"{e.analytic + 0.0:.12g}", f"{e.numeric + 0.0:.12g}", f"{e.difference:.3g}",
                 f"{e.analytic / e.numeric + 0.0:.6g}" if e.numeric else "-"] for e in self.worst]

    def _headers(self) -> tuple[list[str], list[str]]:
        name, analytic, numeric = self.labels
        return ([name, "shape", "rel. error", "verdict", "where"],
                [name, "index", analytic, numeric, "difference", "ratio"])

    def __str__(self) -> str:
        tensor_head, entry_head = self._headers()
        parts = [self._headline(), self._method_line(), "", _plain_table(tensor_head, self._tensor_rows())]
        if self.worst:
            parts += ["", "worst entries", _plain_table(entry_head, self._entry_rows())]
        if self.mistakes:
            parts += ["", "suspected mistakes"]
            parts += [f"  [{m.id}] {m.message}\n      evidence: {m.evidence}" for m in self.mistakes]
        elif not self.passed and not self.inconclusive:
            parts += ["", "suspected mistakes: none from the catalogue fits"]
        parts += [f"note: {note}" for note in self.notes]
        return "\n".join(parts)

    def __rich_console__(self, console, options):
        from rich.text import Text

        yield Text(self._headline(), style="bold green" if self.passed else "bold red")
        yield Text(self._method_line(), style="dim")
        tensor_head, entry_head = self._headers()
        yield _Fitted(tensor_head, self._tensor_rows(), None)
        if self.worst:
            yield _Fitted(entry_head, self._entry_rows(), "worst entries")
        for m in self.mistakes:
            yield Text.assemble((f"[{m.id}] ", "bold magenta"), m.message)
            yield Text(f"    evidence: {m.evidence}", style="dim")
        if not self.mistakes and not self.passed and not self.inconclusive:
            yield Text("suspected mistakes: none from the catalogue fits", style="yellow")
        for note in self.notes:
            yield Text(f"note: {note}", style="italic")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        return mimebundle(self)

    def to_json(self) -> dict:
        """{"passed", "verdict", "error", "tensors": [{"name", "shape", "error", "passed", "where"}], "mistakes": [{"id",
        "message"}]}: the contract scripts parse (verdict: passed, failed or not-differentiable, as the exit code 0, 1
        or 2; an error that is not a finite number is null)."""
        return {"passed": self.passed, "verdict": self.verdict, "error": _number(self.error),
                "tensors": [{"name": t.name, "shape": list(t.shape), "error": _number(t.error), "passed": t.passed,
                             "where": t.where} for t in self.tensors],
                "mistakes": [{"id": m.id, "message": m.message} for m in self.mistakes]}


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _tensor_verdict(result: TensorResult) -> str:
    return "ok" if result.passed else ("kink" if result.kinked else "WRONG")


def mimebundle(renderable) -> dict[str, str]:
    """Jupyter's view of a renderable: its plain string and its rich rendering as HTML."""
    from rich.console import Console

    console = Console(file=io.StringIO(), record=True, width=110, force_jupyter=False, force_terminal=False)
    console.print(renderable)
    return {"text/plain": str(renderable), "text/html": console.export_html(inline_styles=True)}


def _plain_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [headers, *rows]]
    return "\n".join(lines)


def _rich_table(table_type, headers: list[str], rows: list[list[str]], title: str | None):
    from checks.literal import literal, literal_row

    table = table_type(title=title, title_justify="left")
    for column, header in enumerate(headers):  # a column is never narrower than its longest word
        words = [word for cell in [header, *(row[column] for row in rows)] for word in cell.split()]
        table.add_column(literal(header), min_width=max(map(len, words), default=1))
    for row in rows:
        style = "red" if "WRONG" in row else None
        table.add_row(*literal_row(row), style=style)
    return table


class _Fitted:
    """The table where it fits the width; else one entry per row, "header value" pairs wrapped at spaces under a
    hanging indent, so that no number or name is ever split (a narrow terminal, a split pane)."""

    def __init__(self, headers: list[str], rows: list[list[str]], title: str | None) -> None:
        self.headers, self.rows, self.title = headers, rows, title

    def __rich_console__(self, console, options):
        from rich.measure import Measurement
        from rich.table import Table
        from rich.text import Text

        table = _rich_table(Table, self.headers, self.rows, self.title)
        if Measurement.get(console, options.update_width(10**6), table).minimum <= options.max_width:
            yield table
            return
        if self.title:
            yield Text(self.title)
        for row in self.rows:
            pairs = [f"{header} {cell}" if header else cell for header, cell in zip(self.headers, row) if cell]
            yield Text("\n".join(_hanging(pairs, options.max_width)), style="red" if "WRONG" in row else "")


def _hanging(pairs: list[str], width: int) -> list[str]:
    lines = ["  " + pairs[0]]
    for pair in pairs[1:]:
        if len(lines[-1]) + 2 + len(pair) <= width:
            lines[-1] += "  " + pair
        else:
            lines.append("      " + pair)
    return lines
