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
from derive.render.latex import latex_document
from derive.render.markdown import markdown
from derive.render.structured import check_json, show_json
from derive.render.text import checks_table, derivation_renderable


def render(renderable, width=100) -> str:
    """What the terminal shows at this width, colour off, without the cells' trailing padding."""
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    return "".join(line.rstrip() + "\n" for line in console.file.getvalue().splitlines())


def steps_of(report, width, style) -> str:
    """The rendering up to the closing verdicts (their error figures depend on floating point)."""
    text = render(derivation_renderable(report, style), width)
    return text[:text.index("\n✓ independent") + 1]


SIGMOID_LINEAR_GOLDEN = """\
sigmoid ────────────────────────────────────────────────────────────────────────────────────────────
Sigmoid: da/dz = a(1 − a)
claim     ∂a_i/∂z_i = a_i·(1 − a_i)
assuming  a_i = 1 / (1 + e^{−z_i}) (sigmoid, elementwise)

    ∂a_i/∂z_i
✓ =  ∂/∂z_i (1/(1 + e^{−z_i}))
      definition of a (sigmoid)
        a_i = 1/(1 + e^{−z_i}) depends on z_i alone
✓ =  −∂/∂z_i (1 + e^{−z_i})/(1 + e^{−z_i})^2
      reciprocal rule
        the derivative of 1/v is −v'/v²
✓ =  −∂/∂z_i (e^{−z_i})/(1 + e^{−z_i})^2
      sum rule (linearity of ∂)
        the constant 1 has derivative 0
✓ =  −e^{−z_i}·∂/∂z_i (−z_i)/(1 + e^{−z_i})^2
      derivative of exp (chain rule)
        chain rule through e^{−z_i}
✓ =  e^{−z_i}/(1 + e^{−z_i})^2
      Kronecker delta: ∂z_j/∂z_i
        ∂(−z_i)/∂z_i = −1
✓ =  (1/(1 + e^{−z_i}))·(e^{−z_i}/(1 + e^{−z_i}))
      factor
        split the square of the denominator
✓ =  (1/(1 + e^{−z_i}))·((1 + e^{−z_i} − 1)/(1 + e^{−z_i}))
      add and subtract 1
        write e^{−z_i} as 1 + e^{−z_i} − 1
✓ =  (1/(1 + e^{−z_i}))·(1 − 1/(1 + e^{−z_i}))
      expand
        divide through
✓ =  a_i·(1 − a_i)
      substitute the definition of a
        1/(1 + e^{−z_i}) is a_i

"""

SIGMOID_2D_GOLDEN_100 = """\
sigmoid ────────────────────────────────────────────────────────────────────────────────────────────
Sigmoid: da/dz = a(1 − a)
          ∂aᵢ
claim     ─── = aᵢ⋅(1 − aᵢ)
          ∂zᵢ
assuming  aᵢ = 1 / (1 + e^{−zᵢ}) (sigmoid, elementwise)

    ∂aᵢ
    ───
    ∂zᵢ
      ∂ ⎛   1    ⎞
✓ =  ───⎜────────⎟
     ∂zᵢ⎜     −zᵢ⎟
        ⎝1 + e   ⎠
      definition of a (sigmoid)
        aᵢ = 1/(1 + e^{−zᵢ}) depends on zᵢ alone

       ∂ ⎛     −zᵢ⎞
     −───⎝1 + e   ⎠
      ∂zᵢ
✓ =  ───────────────
                 2
       ⎛     −zᵢ⎞
       ⎝1 + e   ⎠
      reciprocal rule
        the derivative of 1/v is −v'/v²

       ∂ ⎛ −zᵢ⎞
     −───⎝e   ⎠
      ∂zᵢ
✓ =  ───────────
               2
     ⎛     −zᵢ⎞
     ⎝1 + e   ⎠
      sum rule (linearity of ∂)
        the constant 1 has derivative 0

       −zᵢ  ∂
     −e   ⋅───(−zᵢ)
           ∂zᵢ
✓ =  ───────────────
                 2
       ⎛     −zᵢ⎞
       ⎝1 + e   ⎠
      derivative of exp (chain rule)
        chain rule through e^{−zᵢ}

         −zᵢ
        e
✓ =  ───────────
               2
     ⎛     −zᵢ⎞
     ⎝1 + e   ⎠
      Kronecker delta: ∂zⱼ/∂zᵢ
        ∂(−zᵢ)/∂zᵢ = −1

                 −zᵢ
        1       e
✓ =  ────────⋅────────
          −zᵢ      −zᵢ
     1 + e    1 + e
      factor
        split the square of the denominator

                   −zᵢ
        1     1 + e    − 1
✓ =  ────────⋅────────────
          −zᵢ        −zᵢ
     1 + e      1 + e
      add and subtract 1
        write e^{−zᵢ} as 1 + e^{−zᵢ} − 1

        1     ⎛       1    ⎞
✓ =  ────────⋅⎜1 − ────────⎟
          −zᵢ ⎜         −zᵢ⎟
     1 + e    ⎝    1 + e   ⎠
      expand
        divide through

✓ =  aᵢ⋅(1 − aᵢ)
      substitute the definition of a
        1/(1 + e^{−zᵢ}) is aᵢ

"""

SOFTMAX_DIAGONAL_2D_GOLDEN_80 = """\
softmax-diagonal (K = 3) ───────────────────────────────────────────────────────
Softmax, diagonal: ∂aᵢ/∂zᵢ = aᵢ(1 − aᵢ)
          ∂aᵢ
claim     ─── = aᵢ⋅(1 − aᵢ)
          ∂zᵢ
assuming  aⱼ = e^{zⱼ} / Σₖ e^{zₖ} (softmax over K classes)
assuming  indices run over 1..K

    ∂aᵢ
    ───
    ∂zᵢ
        ⎛       zᵢ      ⎞
      ∂ ⎜      e        ⎟
✓ =  ───⎜───────────────⎟
     ∂zᵢ⎜ z₁    z₂    z₃⎟
        ⎝e   + e   + e  ⎠
      definition of a (softmax)
        aⱼ = e^{zⱼ} / Σₖ e^{zₖ}

      ∂ ⎛ zᵢ⎞ ⎛ z₁    z₂    z₃⎞    zᵢ  ∂ ⎛ z₁    z₂    z₃⎞
     ───⎝e  ⎠⋅⎝e   + e   + e  ⎠ − e  ⋅───⎝e   + e   + e  ⎠
     ∂zᵢ                              ∂zᵢ
✓ =  ─────────────────────────────────────────────────────
                                       2
                      ⎛ z₁    z₂    z₃⎞
                      ⎝e   + e   + e  ⎠
      quotient rule
        u = e^{zⱼ}, v = Σₖ e^{zₖ}

      ∂ ⎛ zᵢ⎞ ⎛ z₁    z₂    z₃⎞    zᵢ ⎛ ∂ ⎛ z₁⎞    ∂ ⎛ z₂⎞    ∂ ⎛ z₃⎞⎞
     ───⎝e  ⎠⋅⎝e   + e   + e  ⎠ − e  ⋅⎜───⎝e  ⎠ + ───⎝e  ⎠ + ───⎝e  ⎠⎟
     ∂zᵢ                              ⎝∂zᵢ        ∂zᵢ        ∂zᵢ     ⎠
✓ =  ─────────────────────────────────────────────────────────────────
                                             2
                            ⎛ z₁    z₂    z₃⎞
                            ⎝e   + e   + e  ⎠
      sum rule (linearity of ∂)
        differentiate the denominator term by term

      zᵢ ∂zᵢ ⎛ z₁    z₂    z₃⎞    zᵢ ⎛∂z₁  z₁   ∂z₂  z₂   ∂z₃  z₃⎞
     e  ⋅───⋅⎝e   + e   + e  ⎠ − e  ⋅⎜───⋅e   + ───⋅e   + ───⋅e  ⎟
         ∂zᵢ                         ⎝∂zᵢ       ∂zᵢ       ∂zᵢ    ⎠
✓ =  ─────────────────────────────────────────────────────────────
                                           2
                          ⎛ z₁    z₂    z₃⎞
                          ⎝e   + e   + e  ⎠
      derivative of exp (chain rule)
        ∂e^{zₖ}/∂zᵢ = e^{zₖ} ∂zₖ/∂zᵢ

      zᵢ ⎛ z₁    z₂    z₃⎞    zᵢ ⎛     z₁        z₂        z₃⎞
     e  ⋅⎝e   + e   + e  ⎠ − e  ⋅⎝𝛅₁ᵢ⋅e   + 𝛅₂ᵢ⋅e   + 𝛅₃ᵢ⋅e  ⎠
✓ =  ─────────────────────────────────────────────────────────
                                         2
                        ⎛ z₁    z₂    z₃⎞
                        ⎝e   + e   + e  ⎠
      Kronecker delta: ∂zⱼ/∂zᵢ
        ∂zᵢ/∂zᵢ = 1 and ∂zₖ/∂zᵢ = 𝛅ᵢₖ

      zᵢ ⎛ z₁    z₂    z₃⎞    2⋅zᵢ
     e  ⋅⎝e   + e   + e  ⎠ − e
✓ =  ─────────────────────────────
                           2
          ⎛ z₁    z₂    z₃⎞
          ⎝e   + e   + e  ⎠
      Kronecker-delta contraction
        only the k = i term of Σₖ e^{zₖ} 𝛅ᵢₖ survives: e^{zᵢ}

      zᵢ ⎛ z₁    z₂    z₃    zᵢ⎞
     e  ⋅⎝e   + e   + e   − e  ⎠
✓ =  ───────────────────────────
                          2
         ⎛ z₁    z₂    z₃⎞
         ⎝e   + e   + e  ⎠
      factor
        take out e^{zᵢ}

         ⎛           zᵢ      ⎞
      zᵢ ⎜          e        ⎟
     e  ⋅⎜1 − ───────────────⎟
         ⎜     z₁    z₂    z₃⎟
         ⎝    e   + e   + e  ⎠
✓ =  ─────────────────────────
           z₁    z₂    z₃
          e   + e   + e
      expand
        divide through by Σₖ e^{zₖ}

✓ =  aᵢ⋅(1 − aᵢ)
      substitute the definition of a
        e^{zᵢ}/Σₖ e^{zₖ} = aᵢ

"""


@pytest.mark.parametrize("id_, classes, width, style, golden", [
    ("sigmoid", None, 100, "linear", SIGMOID_LINEAR_GOLDEN),
    ("sigmoid", None, 100, "2d", SIGMOID_2D_GOLDEN_100),
    ("softmax-diagonal", 3, 80, "2d", SOFTMAX_DIAGONAL_2D_GOLDEN_80),
])
def test_derivation_renders_exactly(id_, classes, width, style, golden):
    assert steps_of(run(id_, classes, seed=0), width, style) == golden


def test_closing_verdicts_follow_the_steps():
    text = render(run("sigmoid", None, seed=0))
    assert "✓ independent route: equals sympy.diff of the definition for symbolic K" in text
    assert "✓ numeric: max relative error" in text


def test_a_step_too_wide_for_two_dimensions_falls_back_to_one_line_keeping_its_indent():
    text = steps_of(run("softmax-diagonal", 3, seed=0), 50, "2d")
    lines = text.splitlines()
    first = next(n for n, line in enumerate(lines) if line.startswith("✓ =  (∂/∂zᵢ (e^{zᵢ})·(e^{z₁} + e^{z₂} +"))
    assert lines[first + 1].startswith("     e^{zᵢ}·∂/∂zᵢ (e^{z₁} + e^{z₂} +")  # wrapped under the expression
    assert max(len(line) for line in text.splitlines()) <= 50
    assert "───" in text  # the steps that fit are still drawn in two dimensions


def test_kronecker_delta_is_not_the_error_delta():
    text = steps_of(run("cross-entropy-delta", None, seed=0), 100, "2d")
    assert "𝛅ᵢⱼ" in text and "δᵢ" in text
    assert "δᵢⱼ" not in text and "δ_ij" not in text


def test_notes_use_the_notation_of_the_steps():
    text = steps_of(run("softmax-jacobian", None, seed=0), 100, "2d")
    assert "u = e^{zⱼ}, v = Σₖ e^{zₖ}" in text and "exp(" not in text
    assert "∂zⱼ/∂zᵢ = 𝛅ᵢⱼ" in text


@pytest.mark.parametrize("id_, heading", [("sigmoid", "sigmoid ─"), ("softmax-diagonal", "softmax-diagonal (K = 3) ─")])
def test_the_number_of_classes_is_named_only_where_it_enters_the_math(id_, heading):
    assert render(run(id_, 3, seed=0), 80).startswith(heading)


@pytest.mark.parametrize("classes, expected", [
    (None, "∂/∂z_i (e^{z_j}/(Σ_k e^{z_k}))"),
    (3, "∂/∂z_i (e^{z_j}/(e^{z_1} + e^{z_2} + e^{z_3}))"),
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
    assert "✗ =  aᵢ⋅(1 − aᵢ)" in text and "not verified" in text
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
    assert "\\textbf{(FAILED)} Numeric: max relative error not computed" in latex_document([failed])
    assert "$\\checkmark$ Numeric: max relative error " in latex_document([good])


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
    assert "\\textbf{(INCONCLUSIVE)} Numeric: max relative error 1.0e-06" in latex_document([undecided])


def test_a_step_too_wide_for_2d_keeps_the_kronecker_delta_apart_from_the_error():
    text = render(derivation_renderable(run("softmax-diagonal", 3, seed=0)), width=60)
    assert "𝛅₁ᵢ·e^{z₁}" in text and "δ₁ᵢ" not in text  # the one-line fallback at 60 columns


def test_the_octave_asides_keep_program_names_and_write_the_update_in_subscripts():
    text = render(derivation_renderable(run("gradient-descent-update", 3, seed=0)), width=100)
    assert "output_layer_state" in text and "hid_to_output_weights_gradient" in text  # not output_layerₛₜₐₜₑ
    assert "(⇒ wᵢⱼ ← wᵢⱼ − r·oᵢ·∂E/∂zⱼ)" in text and "w'ᵢⱼ − r" in text
