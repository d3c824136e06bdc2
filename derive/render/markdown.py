"""Markdown for GitHub: math in $...$ and $$...$$, every step's rule and note beside it, asides set apart."""

from __future__ import annotations

from derive.printing import to_latex
from derive.render.latex import latex_relation
from derive.render.convention import layout_note
from derive.render.notes import note_to_latex
from derive.render.scale import scale_label
from derive.rules import rule

__all__ = ["markdown", "markdown_document"]


def markdown(report, layout: bool = True) -> str:
    """One derivation; `layout` states the layout note (a document of many states it once, at the top)."""
    derivation, proof = report.derivation, report.proof
    label = scale_label(derivation)
    lines = [f"### `{derivation.id}`: {note_to_latex(derivation.title)}" + (f" ({label})" if label else ""), "",
             f"**Claim.** ${to_latex(derivation.lhs)} = {to_latex(derivation.result)}$", ""]
    if derivation.assumptions:
        lines += ["**Assumptions.** " + "; ".join(note_to_latex(a) for a in derivation.assumptions) + ".", ""]
    if layout:
        lines += [f"*{note_to_latex(layout_note([derivation]))}*", ""]
    lines += ["$$", to_latex(derivation.lhs), "$$", ""]
    for number, (step, check) in enumerate(zip(derivation.steps, proof.steps), start=1):
        mark = "✓" if check.verified else "✗ **not verified**"
        if rule(step.rule).kind == "claim":  # states what is to be derived; nothing to verify
            mark = "→"
        title, note = note_to_latex(rule(step.rule).title), note_to_latex(step.note)
        math = ["   $$", f"   {latex_relation(step)} {to_latex(step.expr)}", "   $$", ""]
        if step.aside:
            quoted = [f"   > {row.strip()}" for row in math[:-1]]
            lines += [f"{number}. > *Aside* ({mark} **{title}**): {note}", "   >", *quoted, "",
                      "   *The chain resumes from the line before the aside.*", ""]
            continue
        lines += [f"{number}. {mark} **{title}**: {note}", "", *math]
    lines += [f"- {'✓' if proof.independent.verified else '✗'} Independent route: "
              f"{note_to_latex(proof.independent.method)}",
              f"- {'✓' if report.numeric.passed else '✗'} Numeric"
              f"{' (inconclusive)' if report.numeric.verdict == 'inconclusive' else ''}: max relative error "
              f"{report.numeric.max_rel_error:.1e} ({note_to_latex(report.numeric.method)})", ""]
    return "\n".join(lines)


def markdown_document(reports) -> str:
    """Many derivations in one file: the layout note once, at the top."""
    note = note_to_latex(layout_note([report.derivation for report in reports]))
    return "\n".join([f"*{note}*", ""] + [markdown(report, layout=False) for report in reports])
