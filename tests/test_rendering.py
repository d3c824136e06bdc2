"""Rendering: exact text at a fixed width with colour off, LaTeX with ∂, Markdown for GitHub, JSON shapes."""

import io
import json
import re

import pytest
from rich.console import Console

from derive.derivations import build
from derive.printing import to_latex, to_text
from derive.render import run
from derive.render.notes import note_to_latex
from derive.render.structured import check_json, latex_document, markdown, show_json
from derive.render.text import checks_table


def render(renderable, width=100) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    return console.file.getvalue()


SIGMOID_GOLDEN = """\
sigmoid (symbolic K) ───────────────────────────────────────────────────────────────────────────────
Sigmoid: da/dz = a(1 − a)
claim     ∂a_i/∂z_i = a_i·(1 − a_i)
assuming  a_i = 1 / (1 + e^{−z_i}) (sigmoid, elementwise)

    ∂a_i/∂z_i
✓ =  ∂/∂z_i (1/(1 + exp(−z_i)))
      definition of a (sigmoid) — a_i = 1/(1 + e^{−z_i}) depends on z_i alone
✓ =  −∂/∂z_i (1 + exp(−z_i))/(1 + exp(−z_i))^2
      reciprocal rule — the derivative of 1/v is −v'/v²
✓ =  −∂/∂z_i (exp(−z_i))/(1 + exp(−z_i))^2
      sum rule (linearity of ∂) — the constant 1 has derivative 0
✓ =  −exp(−z_i)·∂/∂z_i (−z_i)/(1 + exp(−z_i))^2
      derivative of exp (chain rule) — chain rule through e^{−z_i}
✓ =  exp(−z_i)/(1 + exp(−z_i))^2
      Kronecker delta: ∂z_j/∂z_i — ∂(−z_i)/∂z_i = −1
✓ =  (exp(−z_i)/(1 + exp(−z_i)))/(1 + exp(−z_i))
      factor — split the square of the denominator
✓ =  ((1 + exp(−z_i) − 1)/(1 + exp(−z_i)))/(1 + exp(−z_i))
      add and subtract 1 — write e^{−z_i} as 1 + e^{−z_i} − 1
✓ =  (1 − 1/(1 + exp(−z_i)))/(1 + exp(−z_i))
      expand — divide through
✓ =  a_i·(1 − a_i)
      substitute the definition of a — 1/(1 + e^{−z_i}) is a_i

✓ independent route: equals sympy.diff of the definition for symbolic K (range guards resolved, 
delta sums contracted)
✓ numeric: max relative error E (complex step at 3 seeded points, K=2,7; agrees with 4th-order
central differences)

"""


def test_sigmoid_renders_exactly():
    """The whole rendering; only the measured error (rounding, platform-dependent in its last digit) is masked."""
    text = render(run("sigmoid", None, seed=0))
    masked, count = re.subn(r"(max relative error )\d\.\de-1[0-9]", r"\1E", text)
    assert count == 1 and masked == SIGMOID_GOLDEN


@pytest.mark.parametrize("classes, expected", [
    (None, "∂/∂z_i (exp(z_j)/(Σ_k exp(z_k)))"),
    (3, "∂/∂z_i (exp(z_j)/(exp(z_1) + exp(z_2) + exp(z_3)))"),
])
def test_concrete_sums_are_written_out(classes, expected):
    assert to_text(build("softmax-jacobian", classes).steps[0].expr) == expected


def test_results_read_as_in_the_write_ups():
    assert to_text(build("softmax-jacobian", None).result) == "a_j·(δ_ij − a_i)"
    assert to_text(build("cross-entropy-delta", None).lhs) == "δ_i"
    assert to_latex(build("softmax-jacobian", None).result) == r"a_{j} \left(\delta_{i j} - a_{i}\right)"


def test_latex_always_uses_the_partial_symbol():
    latex = to_latex(build("sigmoid", None).steps[0].expr)
    assert r"\partial" in latex and r"\frac{d" not in latex


def test_failed_step_is_shown_as_not_verified():
    import dataclasses

    from derive.notation import a, i
    from derive.steps import Step
    from derive.verify import prove
    from checks.derivation_check import check_derivation
    from derive.render.report import Report

    derivation = build("softmax-jacobian", 3)
    wrong = dataclasses.replace(derivation, steps=derivation.steps[:-1] + (Step("softmax-fold", a[i] * (1 - a[i]), "x"),))
    report = Report(wrong, prove(wrong), check_derivation(wrong))
    text = render(report)
    assert "✗ =  a_i·(1 − a_i)" in text and "not verified" in text
    assert not report.passed and show_json(report)["steps"][-1]["verified"] is False


def test_check_table_at_eighty_columns():
    reports = [run("softmax-jacobian", 3), run("softmax-jacobian", None)]
    text = render(checks_table(reports), width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "softmax-jacobian" in text and "K=2,7" in text


def test_show_json_shape():
    document = show_json(run("cross-entropy-delta", 3))
    assert set(document) == {"id", "title", "claim", "assumptions", "steps", "independent", "numeric", "passed"}
    assert document["passed"] is True and document["numeric"]["passed"] is True
    assert document["claim"] == "δ_i = a_i − y_i"
    assert all(set(step) == {"rule", "text", "latex", "verified"} for step in document["steps"])
    json.dumps(document)


def test_every_step_verified_never_reads_as_a_pass_when_the_numbers_failed():
    from checks.derivation_check import NumericCheck
    from derive.render.report import Report

    good = run("sigmoid", 3)
    failed = Report(good.derivation, good.proof, NumericCheck(float("nan"), 3, "central differences", "K=3"))
    document = show_json(failed)
    assert all(step["verified"] for step in document["steps"])
    assert document["passed"] is False and document["numeric"] == {
        "max_rel_error": None, "passed": False, "verdict": "failed", "method": "central differences"}
    json.loads(json.dumps(document, allow_nan=False))
    assert check_json([failed])["results"][0]["numeric_max_rel_error"] is None
    assert "Numeric check: FAILED (max relative error not computed)" in latex_document([failed])
    assert "Numeric check: passed (max relative error $" in latex_document([good])


def test_check_json_shape():
    document = check_json([run("sigmoid", 3), run("sigmoid", None)])
    assert document["passed"] is True
    assert [result["classes"] for result in document["results"]] == [3, "K"]
    assert set(document["results"][0]) == {"id", "classes", "symbolic", "numeric_max_rel_error", "passed"}


def test_markdown_uses_github_math():
    text = markdown(run("softmax-jacobian", None))
    assert "$$" in text and r"\frac{\partial a_{j}}{\partial z_{i}}" in text and "numerator layout" in text


def test_latex_document_is_plain_ascii():
    document = latex_document([run(id_, None) for id_ in ("softmax-jacobian", "cross-entropy-delta", "sigmoid")])
    assert document.isascii(), sorted({char for char in document if not char.isascii()})
    assert r"\usepackage{amsmath}" in document and "fontspec" not in document


@pytest.mark.parametrize("note, latex", [
    ("a_j = e^{z_j} / Σ_k e^{z_k}", r"$a_j = e^{z_j} / \sum_k e^{z_k}$"),
    ("only the k = i term survives", "only the $k = i$ term survives"),
    ("j ≠ i, so δ_ij = 0", r"$j \neq  i$, so $\delta_{ij} = 0$"),
])
def test_notes_become_pdflatex_safe(note, latex):
    assert note_to_latex(note) == latex


def test_matrix_and_new_equation_relations_in_latex_and_markdown():
    report = run("bp1", None)
    relations = {step.relation for step in report.derivation.steps}
    assert {"⇔", "≠"} <= relations
    text = markdown(report)
    assert r"\iff" in text and r"\neq" in text
    document = latex_document([report])
    assert r"\iff" in document and document.isascii()
    assert "superscripts are layers" in document


def test_an_inconclusive_numeric_check_says_so_everywhere():
    from checks.derivation_check import NumericCheck
    from derive.render.report import Report

    good = run("sigmoid", 3)
    undecided = Report(good.derivation, good.proof, NumericCheck(1e-6, 3, "central differences", "K=3", 1e-4))
    assert not undecided.passed and show_json(undecided)["numeric"]["verdict"] == "inconclusive"
    assert "✗ numeric (inconclusive): max relative error 1.0e-06 (central differences)" in render(undecided)
    assert "✗ Numeric (inconclusive): max relative error 1.0e-06" in markdown(undecided)
    assert "Numeric check: inconclusive (max relative error $1.0e-06$)" in latex_document([undecided])
