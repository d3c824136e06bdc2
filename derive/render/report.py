"""A derivation with its verdicts: the one object that every output format and Jupyter render."""

from __future__ import annotations

from dataclasses import dataclass

from checks.derivation_check import NumericCheck, check_derivation
from derive.derivations import build
from derive.steps import Derivation
from derive.verify import Proof, prove

__all__ = ["Report", "run", "shown"]


@dataclass(frozen=True)
class Report:
    """What was derived, what the symbolic proof says of each step, and what the numeric check measured."""

    derivation: Derivation
    proof: Proof
    numeric: NumericCheck

    @property
    def passed(self) -> bool:
        return self.proof.passed and self.numeric.passed

    def __rich_console__(self, console, options):
        from derive.render.text import derivation_renderable

        yield derivation_renderable(self)

    def _repr_latex_(self) -> str:
        from derive.render.latex import latex_fragment

        return latex_fragment(self, for_notebook=True)

    def _repr_html_(self) -> str:
        """Jupyter: the same MathML as the exported pages (the front end falls back to _repr_latex_)."""
        from derive.render.html import html_fragment, inline_style

        return inline_style() + html_fragment(self)

    def _repr_markdown_(self) -> str:
        from derive.render.markdown import markdown

        return markdown(self)

    def _repr_pretty_(self, printer, cycle) -> None:
        """IPython's text/plain: the derivation as the terminal shows it, not the dataclass's fields."""
        printer.text(str(self))

    def __str__(self) -> str:
        from derive.render.text import plain_text

        return plain_text(self)


def run(id_: str, classes: int | None = 3, seed: int = 0, **options) -> Report:
    """Build, prove and numerically check one derivation: `derive.run("softmax-jacobian", classes=None)`."""
    derivation = build(id_, classes, **options)
    report = Report(derivation, prove(derivation), check_derivation(derivation, seed=seed))
    return shown(report)


def shown(report: Report) -> Report:
    """The report as it is shown: a derivation written in another write-up's symbols gets them after it was proven."""
    from dataclasses import replace

    display = DISPLAYS.get(report.derivation.id)
    if display is None:
        return report
    derivation = report.derivation
    steps = tuple(replace(step, expr=display(step.expr)) for step in derivation.steps)
    return replace(report, derivation=replace(derivation, lhs=display(derivation.lhs), steps=steps))


def _qa_display(expr):
    from derive.derivations.qa_route import qa_display

    return qa_display(expr)


# id -> how its expressions are shown (the proof is always made on the derivation's own symbols)
DISPLAYS = {"negative-log-likelihood-qa": _qa_display}
