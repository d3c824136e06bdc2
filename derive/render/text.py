"""Terminal rendering with rich: a derivation step by step, and the closing table of checks."""

from __future__ import annotations

import sympy as sp
from rich.cells import cell_len
from rich.console import Console, Group
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from checks.literal import literal, literal_row
from derive.families import family_of
from derive.printing import to_text
from derive.render.layout import Fitted, Hanging
from derive.render.notes import note_to_terminal
from derive.render.pretty import pretty_form
from derive.render.scale import scale_label
from derive.rules import rule
from derive.steps import EQUAL

__all__ = ["derivation_renderable", "checks_table", "plain_text", "MARK", "STYLES", "claims_nothing"]

MARK = {True: "✓", False: "✗"}
_STYLE = {True: "green", False: "bold red"}


STYLES = ("2d", "linear")
_RULE_INDENT, _NOTE_INDENT = 6, 8


def derivation_renderable(report, style: str = "2d") -> Group:
    """Title, claim, assumptions, then each step: its relation and expression, its rule and note, its verdict.

    In the "2d" style each step is drawn in two dimensions when it fits the width, else on one line; a line
    that wraps keeps its indent. The rule name and the note sit on their own lines, indented below the step.
    """
    derivation, proof = report.derivation, report.proof
    layered = family_of(derivation).layered  # its layer indices print linearly in the steps too
    prose = (lambda note: note_to_terminal(note, subscripts=not layered)) if style == "2d" else str
    claim = _StepMath(Text("claim     ", style="dim"), sp.Eq(derivation.lhs, derivation.result, evaluate=False), "",
                      style, linear=prose(f"{to_text(derivation.lhs)} = {to_text(derivation.result)}"))
    parts = [Rule(Text(_heading(derivation), style="bold"), align="left"),
             Text(prose(derivation.title), style="bold"), claim]
    for assumption in derivation.assumptions:
        parts.append(_hanging(Text("assuming  ", style="dim"), prose(assumption)))
    parts += [Text(""), _StepMath(Text("    "), derivation.lhs, "", style, prose(to_text(derivation.lhs)))]
    for step, check in zip(derivation.steps, proof.steps):
        relation = "=" if step.relation == EQUAL else step.relation
        mark = (" ", "") if claims_nothing(step) else (MARK[check.verified], _STYLE[check.verified])
        prefix = Text.assemble(mark, f" {relation}  " if not step.aside else f" ({relation} ")
        parts.append(_StepMath(prefix, step.expr, ")" if step.aside else "", style, prose(to_text(step.expr))))
        parts.append(Padding(Text(("aside: " if step.aside else "") + prose(rule(step.rule).title), style="cyan"),
                             (0, 0, 0, _RULE_INDENT), expand=False))
        if step.note:
            parts.append(Padding(Text(prose(step.note), style="dim"),
                                 (0, 0, 0, _NOTE_INDENT), expand=False))
        if style == "2d":
            parts.append(Text(""))
    if style != "2d":
        parts.append(Text(""))
    parts.append(_verdict_line(MARK[proof.independent.verified], proof.independent.verified,
                               f"independent route: {proof.independent.method}"))
    numeric = report.numeric
    parts.append(_verdict_line(MARK[numeric.passed], numeric.passed,
                               f"numeric{' (inconclusive)' if numeric.verdict == 'inconclusive' else ''}: max "
                               f"relative error {numeric.max_rel_error:.1e} ({numeric.method})"))
    failed = [check.method for check in proof.steps if not check.verified]
    for method in failed:
        parts.append(Text(f"  not verified: {method}", style="bold red"))
    parts.append(Text(""))
    return Group(*parts)


def _heading(derivation) -> str:
    label = scale_label(derivation)
    return derivation.id if label is None else f"{derivation.id} ({label})"


class _StepMath:
    """One line of the chain: a prefix (verdict and relation) and an expression, drawn to fit the width.

    `linear` is the one-line form, used when asked for and when the 2-D form is wider than the room left.
    """

    def __init__(self, prefix: Text, expr, suffix: str, style: str, linear: str):
        self.prefix, self.expr, self.suffix, self.style, self.linear = prefix, expr, suffix, style, linear

    def __rich_console__(self, console, options):
        room = options.max_width - self.prefix.cell_len - len(self.suffix)
        if self.style == "2d" and not hasattr(self.expr, "_derive_text"):  # notation that prints itself: one line
            lines, baseline = pretty_form(self.expr)
            if max(cell_len(line) for line in lines) <= room:
                lines = [line.rstrip() for line in lines]
                lines[baseline] += self.suffix
                pad = " " * self.prefix.cell_len
                for position, line in enumerate(lines):
                    yield Text.assemble(self.prefix if position == baseline else pad, line)
                return
        yield _hanging(self.prefix, self.linear + self.suffix)


def _hanging(head: Text, body) -> Table:
    """The head, then the body in a column of its own: a body that wraps keeps its indent."""
    grid = Table.grid(padding=0)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(head, literal(body))
    return grid


def claims_nothing(step) -> bool:
    """A step that only states what is to be derived (backprop's left-hand sides): it gets no check mark."""
    return rule(step.rule).kind == "claim"


def _verdict_line(mark: str, ok: bool, text: str) -> Table:
    return _hanging(Text.assemble((mark, _STYLE[ok]), " "), text)


def checks_table(reports) -> Fitted:
    """The closing table: one row per derivation and scale; compact (no box) where the boxed one does not fit,
    so that at 60 columns the verdict still shows and no number is split."""
    return Fitted(lambda compact: _checks_table(reports, compact))


def _checks_table(reports, compact: bool) -> Table:
    table = Table(title="Checks", title_justify="left", show_lines=False,
                  **({"box": None, "padding": (0, 1, 0, 0)} if compact else {}))
    # Only the "checked at" column wraps (at spaces, hanging indent); Fitted never lets a column shrink below
    # its longest word, so no id or number is split. Compact headers are short enough for 60 columns.
    headers = ("derivation", "K", "steps", "proof", "error", "checked at", "ok") if compact else \
        ("derivation", "K", "steps", "symbolic", "numeric error", "checked at", "passed")
    for header, justify in zip(headers, ("left", "right", "right", "center", "right", "left", "center")):
        table.add_column(literal(header), justify=justify, no_wrap=header not in ("checked at", "numeric error"),
                         min_width=min(len(word) for word in header.split()))
    for report in reports:
        proof, numeric = report.proof, report.numeric
        claiming = [check for step, check in zip(report.derivation.steps, proof.steps) if not claims_nothing(step)]
        proven = sum(check.verified for check in claiming)
        table.add_row(*literal_row([report.derivation.id, str(report.derivation.scale), f"{proven}/{len(claiming)}"]),
                      Text(MARK[proof.passed], style=_STYLE[proof.passed]), literal(f"{numeric.max_rel_error:.1e}"),
                      Hanging(numeric.at), Text(MARK[report.passed], style=_STYLE[report.passed]))
    return table


def plain_text(report, style: str = "2d", width: int = 100) -> str:
    console = Console(width=width, color_system=None, record=True, file=_Null())
    console.print(derivation_renderable(report, style))
    return console.export_text()


class _Null:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass
