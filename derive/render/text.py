"""Terminal rendering with rich: a derivation step by step, and the closing table of checks."""

from __future__ import annotations

from rich.console import Console, Group
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from derive.families import family_of
from derive.printing import to_text
from derive.rules import rule
from derive.steps import EQUAL

__all__ = ["derivation_renderable", "checks_table", "plain_text", "MARK", "claims_nothing"]

MARK = {True: "✓", False: "✗"}
_STYLE = {True: "green", False: "bold red"}


def derivation_renderable(report) -> Group:
    """Title, claim, assumptions, then each step: its relation and expression, its rule and note, its verdict."""
    derivation, proof = report.derivation, report.proof
    scale = family_of(derivation).scale(derivation)
    parts = [Rule(Text(f"{derivation.id} ({scale})", style="bold"), align="left"),
             Text(derivation.title, style="bold"),
             Text.assemble(("claim     ", "dim"), to_text(derivation.lhs), " = ", to_text(derivation.result))]
    for assumption in derivation.assumptions:
        parts.append(Text.assemble(("assuming  ", "dim"), assumption))
    parts += [Text(""), Text("    " + to_text(derivation.lhs))]
    for step, check in zip(derivation.steps, proof.steps):
        relation = "=" if step.relation == EQUAL else step.relation
        mark = (" ", "") if claims_nothing(step) else (MARK[check.verified], _STYLE[check.verified])
        parts.append(Text.assemble(mark, f" {relation}  " if not step.aside else f" ({relation} ", to_text(step.expr),
                                   ")" if step.aside else ""))
        parts.append(Text.assemble("      ", (rule(step.rule).title, "cyan"), (f" — {step.note}", "dim")))
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


def claims_nothing(step) -> bool:
    """A step that only states what is to be derived (backprop's left-hand sides): it gets no check mark."""
    return rule(step.rule).kind == "claim"


def _verdict_line(mark: str, ok: bool, text: str) -> Text:
    return Text.assemble((mark, _STYLE[ok]), f" {text}")


def checks_table(reports) -> Table:
    """The closing table: one row per derivation and scale."""
    table = Table(title="Checks", title_justify="left", show_lines=False)
    # Every column but "checked at" keeps its width; that one wraps (a network check names its sizes there).
    for column, justify, width in (("derivation", "left", None), ("K", "right", 1), ("steps", "right", 5),
                                   ("symbolic", "center", 8), ("numeric error", "right", 8),
                                   ("checked at", "left", None), ("passed", "center", 6)):
        table.add_column(column, justify=justify, no_wrap=column == "derivation", min_width=width, overflow="fold")
    for report in reports:
        proof, numeric = report.proof, report.numeric
        claiming = [check for step, check in zip(report.derivation.steps, proof.steps) if not claims_nothing(step)]
        proven = sum(check.verified for check in claiming)
        table.add_row(report.derivation.id, str(report.derivation.scale), f"{proven}/{len(claiming)}",
                      Text(MARK[proof.passed], style=_STYLE[proof.passed]), f"{numeric.max_rel_error:.1e}",
                      numeric.at, Text(MARK[report.passed], style=_STYLE[report.passed]))
    return table


def plain_text(report) -> str:
    console = Console(width=100, color_system=None, record=True, file=_Null())
    console.print(derivation_renderable(report))
    return console.export_text()


class _Null:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass
