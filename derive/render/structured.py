"""JSON, Markdown and LaTeX forms of a report (the JSON shapes are a contract that other tools parse)."""

from __future__ import annotations

from derive.printing import to_latex, to_text
from derive.render.notes import note_to_latex
from derive.rules import rule
from derive.steps import EQUAL

__all__ = ["show_json", "check_json", "markdown", "latex_fragment", "latex_document", "LAYOUT_NOTE"]

LAYOUT_NOTE = ("Layout convention: numerator layout, so the Jacobian ∂a/∂z has entry (j, i) = ∂a_j/∂z_i; "
               "indices run over 1..K; ∂ always denotes a partial derivative.")
_LAYOUT_NOTES = {
    "output": LAYOUT_NOTE,
    "backprop": ("Layout convention: numerator layout, so ∂a/∂z has entry (j, i) = ∂a_j/∂z_i and ∂C/∂W^l has the "
                 "shape of W^l (n_l × n_(l−1)); the indices of layer l run over 1..n_l; superscripts are layers; "
                 "∂ always denotes a partial derivative."),
}
# How each step relation is written in LaTeX: ≠ for counterexamples, ⇔ for a matrix restatement, "" for a step
# that starts a new equation (its expression is the next left-hand side).
_LATEX_RELATIONS = {"=": "=", "≠": r"\neq", "⇔": r"\iff", "": ""}


def layout_note(derivations) -> str:
    """One layout note per document, covering the families it holds."""
    families = sorted({derivation.family for derivation in derivations}, key=lambda f: f != "output")
    return " ".join(_LAYOUT_NOTES.get(family, LAYOUT_NOTE) for family in families)


def _latex_relation(step) -> str:
    return _LATEX_RELATIONS.get(step.relation, r"\neq")


def show_json(report) -> dict:
    """{"id", "title", "claim", "assumptions", "steps": [{"rule", "text", "latex", "verified"}], "independent":
    {"verified", "method"}, "numeric": {"max_rel_error", "passed", "verdict", "method"}, "passed"}

    The route and numeric verdicts sit beside the steps so that every step verified never reads as a pass when
    the numbers disagree.
    """
    derivation, proof, numeric = report.derivation, report.proof, report.numeric
    return {
        "id": derivation.id,
        "title": derivation.title,
        "claim": f"{to_text(derivation.lhs)} = {to_text(derivation.result)}",
        "assumptions": list(derivation.assumptions),
        "steps": [{"rule": step.rule, "text": to_text(step.expr), "latex": to_latex(step.expr), "verified": check.verified}
                  for step, check in zip(derivation.steps, proof.steps)],
        "independent": {"verified": proof.independent.verified, "method": proof.independent.method},
        "numeric": {"max_rel_error": _finite_or_none(numeric.max_rel_error), "passed": numeric.passed,
                    "verdict": numeric.verdict, "method": numeric.method},
        "passed": report.passed,
    }


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN: an error that could not be computed is null (and its check did not pass)."""
    return float(value) if value == value and abs(value) != float("inf") else None


def _latex_verdicts(report) -> str:
    """The independent route and the numeric check under the steps, in ASCII words (pdflatex-safe)."""
    independent = "verified" if report.proof.independent.verified else "NOT VERIFIED"
    numeric = {"passed": "passed", "failed": "FAILED"}.get(report.numeric.verdict, report.numeric.verdict)
    return (f"\\noindent Independent route: {independent}. Numeric check: {numeric} (max relative error "
            f"${report.numeric.max_rel_error:.1e}$).\\par\\medskip\n").replace("$nan$", "not computed")


def check_json(reports) -> dict:
    """{"passed": bool, "results": [{"id", "classes", "symbolic", "numeric_max_rel_error", "passed"}]}"""
    results = [{"id": r.derivation.id, "classes": r.derivation.scale, "symbolic": r.proof.passed,
                "numeric_max_rel_error": _finite_or_none(r.numeric.max_rel_error), "passed": r.passed}
               for r in reports]
    return {"passed": all(result["passed"] for result in results), "results": results}


def _scale(derivation) -> str:
    from derive.families import family_of

    return family_of(derivation).scale(derivation)


def markdown(report) -> str:
    """GitHub-flavoured Markdown: math in $...$ and $$...$$."""
    derivation, proof = report.derivation, report.proof
    lines = [f"### `{derivation.id}`: {derivation.title} ({_scale(derivation)})", "",
             f"**Claim.** ${to_latex(derivation.lhs)} = {to_latex(derivation.result)}$", ""]
    if derivation.assumptions:
        lines += ["**Assumptions.** " + "; ".join(derivation.assumptions) + ".", ""]
    lines += [f"*{layout_note([derivation])}*", "", "$$", to_latex(derivation.lhs), "$$", ""]
    for number, (step, check) in enumerate(zip(derivation.steps, proof.steps), start=1):
        relation = _latex_relation(step)
        mark = "✓" if check.verified else "✗ **not verified**"
        if rule(step.rule).kind == "claim":  # states what is to be derived; nothing to verify
            mark = "→"
        aside = " (aside)" if step.aside else ""
        lines += [f"{number}. {mark} **{rule(step.rule).title}**{aside}: {step.note}", "",
                  "   $$", f"   {relation} {to_latex(step.expr)}", "   $$", ""]
    lines += [f"- {'✓' if proof.independent.verified else '✗'} Independent route: {proof.independent.method}",
              f"- {'✓' if report.numeric.passed else '✗'} Numeric"
              f"{' (inconclusive)' if report.numeric.verdict == 'inconclusive' else ''}: max relative error "
              f"{report.numeric.max_rel_error:.1e} ({report.numeric.method})", ""]
    return "\n".join(lines)


def latex_fragment(report, for_notebook: bool = False) -> str:
    """An align* environment, one line per step with its rule and note; pdflatex-safe (no Unicode)."""
    derivation, proof = report.derivation, report.proof
    rows = [f"{to_latex(derivation.lhs)}"]
    for step, check in zip(derivation.steps, proof.steps):
        relation = _latex_relation(step)
        mark = r"\checkmark" if check.verified else r"\text{(NOT VERIFIED)}"
        if rule(step.rule).kind == "claim":
            mark = ""
        label = note_to_latex(rule(step.rule).title)
        rows.append(f"  &{relation} {to_latex(step.expr)} && \\text{{{label}}}\\ {mark}")
    body = " \\\\\n".join(rows)
    title = note_to_latex(derivation.title)
    if for_notebook:  # Jupyter's MathJax renders one math environment per cell output
        return "$$\\begin{aligned}\n" + body.replace("&&", "&\\quad") + "\n\\end{aligned}$$"
    return (f"% {derivation.id} ({_scale(derivation)}), generated by derive-backprop\n"
            f"\\paragraph{{{title}}}\n\\begin{{align*}}\n{body}\n\\end{{align*}}\n{_latex_verdicts(report)}")


def latex_document(reports) -> str:
    """A complete document for pdflatex: amsmath and amssymb, no Unicode anywhere."""
    body = "\n".join(latex_fragment(report) for report in reports)
    return ("\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n"
            "\\usepackage[margin=1in,landscape]{geometry}\n\\allowdisplaybreaks\n\\begin{document}\n"
            "\\section*{Derivations, generated and verified by derive-backprop}\n"
            f"\\noindent {note_to_latex(layout_note([r.derivation for r in reports]))}\n\n{body}\n\\end{{document}}\n")
