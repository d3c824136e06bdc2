"""JSON forms of a report (a contract that other tools parse). LaTeX and Markdown live in latex.py and markdown.py."""

from __future__ import annotations

from derive.printing import to_latex, to_text

__all__ = ["show_json", "check_json"]


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


def check_json(reports) -> dict:
    """{"passed": bool, "results": [{"id", "classes", "symbolic", "numeric_max_rel_error", "passed"}]}"""
    results = [{"id": r.derivation.id, "classes": r.derivation.scale, "symbolic": r.proof.passed,
                "numeric_max_rel_error": _finite_or_none(r.numeric.max_rel_error), "passed": r.passed}
               for r in reports]
    return {"passed": all(result["passed"] for result in results), "results": results}
