"""Handouts: every exported .tex compiles, its pages are not blank, and the source has none of the broken patterns."""

import re
import shutil
import subprocess

import pytest

from derive.derivations import ids
from derive.render import run
from derive.render.latex import latex_document
from derive.render.markdown import markdown, markdown_document
from derive.render.notes import note_to_latex


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from derive.render.export import export

    folder = tmp_path_factory.mktemp("handouts")
    export(ids(), folder, classes=None, strict=False)
    return folder


def _prose(tex: str) -> list[str]:
    """The text-mode parts: headings, assumptions, asides, and the notes beside the steps, math removed."""
    pieces = re.findall(r"^\\(?:subsection\*|noindent|intertext)(.*)$", tex, flags=re.M)
    pieces += re.findall(r"\\parbox\[t\]\{[^}]*\}\{(.*)\}$", tex, flags=re.M)
    return [re.sub(r"\$[^$]*\$", "", piece) for piece in pieces]


def _broken_patterns(tex: str) -> list[str]:
    found = []
    if re.search(r"[\^_]\(", tex):
        found.append("a script in parentheses without braces: ^( or _(")
    if "derived above" in tex:
        found.append('"(derived above)"')
    if tex.count("Layout convention") != 1:
        found.append(f"the layout note {tex.count('Layout convention')} times")
    if not tex.isascii():
        found.append("Unicode in the source")
    if "\\emph{Aside} ( " in tex:
        found.append("an aside's label opening with a space")
    for segment in re.findall(r"\$([^$]*)\$", tex):
        if segment.count("(") != segment.count(")") or segment.count("{") != segment.count("}"):
            found.append(f"math split at a bracket: ${segment}$")
        if re.search(r"(?<![\\A-Za-z])[A-Za-z]{3,}_\{", segment):
            found.append(f"a program's name set as math: ${segment}$")
    for prose in _prose(tex):
        if re.search(r"(?<!\\)[\^_]|\\(partial|sum|delta|sigma)\b|[=<>]", prose.replace(r"\_", "")):
            found.append(f"math outside math mode: {prose.strip()[:80]}")
    return found


def test_the_pattern_check_finds_the_old_defects():
    old = ("\\noindent Layout convention: so $\\partial a/\\partial z$ has entry (j, $i) = a$\n"
           "\\subsection*{BP2: $\\delta ^l = ((W^(l+1))^T$}\n\\noindent Layout convention\n"
           "\\parbox[t]{0.3\\linewidth}{\\textbf{softmax Jacobian (derived above)} $x$ a_j}\n"
           "\\intertext{\\emph{Aside} ( Octave): the row sums of $error_{deriv}: \\partial z_j$}\n")
    assert len(_broken_patterns(old)) >= 7


@pytest.mark.parametrize("note, latex", [
    ("BP2: δ^l = ((W^(l+1))^T δ^(l+1))", r"BP2: $\delta ^l = ((W^{(l+1)})^T \delta ^{(l+1)})$"),
    ("has entry (j, i) = ∂a_j/∂z_i; class", r"has entry $(j, i) = \partial a_j/\partial z_i$; class"),
    ("σ'(z) = a(1 − a) (derivation sigmoid)", r"$\sigma '(z) = a(1 - a)$ (derivation sigmoid)"),
    ("(n_l × 1)(1 × n_(l−1)): n_l × n_(l−1), the shape of W^l",
     r"$(n_l \times  1)(1 \times  n_{(l-1)})$: $n_l \times  n_{(l-1)}$, the shape of $W^l$"),
    ("z_j = Σ_i w_ij o_i + b_j: w_ij joins unit j; E is any cost of z_1..z_K; o and b do not depend on w",
     r"$z_j = \sum_i w_{ij} o_i + b_j$: $w_{ij}$ joins unit $j$; $E$ is any cost of $z_1..z_K$; $o$ and $b$ do not "
     r"depend on $w$"),
])
def test_math_in_notes_goes_into_math_mode_whole(note, latex):
    assert note_to_latex(note) == latex


def test_each_step_keeps_its_note_and_asides_are_set_apart():
    report = run("bp1", None)
    tex = latex_document([report])
    for step in report.derivation.steps:
        assert note_to_latex(step.note) in tex
    asides = sum(step.aside for step in report.derivation.steps)
    assert tex.count("\\intertext{\\small\\emph{Aside}") == asides > 0


def test_markdown_states_the_layout_once_and_sets_asides_apart():
    reports = [run("sigmoid", None), run("bp1", None)]
    document = markdown_document(reports)
    assert document.count("Layout convention") == 1
    assert markdown(reports[1]).count("> *Aside*") == sum(step.aside for step in reports[1].derivation.steps)
    assert "δ^(" not in document and "(derived above)" not in document


@pytest.mark.parametrize("name", [f"{id_}.tex" for id_ in ids()] + ["derivations.tex"])
def test_exported_source_has_no_broken_pattern(exported, name):
    assert _broken_patterns((exported / name).read_text()) == []


@pytest.fixture(scope="module")
def tools():
    found = shutil.which("pdflatex"), shutil.which("pdftoppm")
    if None in found:
        pytest.skip("pdflatex or pdftoppm is missing (Debian: texlive-latex-base, poppler-utils); not compiled")
    return found


@pytest.mark.parametrize("name", [f"{id_}.tex" for id_ in ids()] + ["derivations.tex"])
def test_exported_latex_compiles_to_pages_that_are_not_blank(tools, exported, tmp_path, name):
    pdflatex, pdftoppm = tools
    shutil.copy(exported / name, tmp_path / name)
    result = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", name], cwd=tmp_path,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "Overfull \\hbox" not in result.stdout, "a line runs into the margin"
    subprocess.run([pdftoppm, "-r", "40", "-png", name.replace(".tex", ".pdf"), "page"], cwd=tmp_path, check=True,
                   timeout=120)
    import matplotlib.image

    pages = sorted(tmp_path.glob("page*.png"))
    assert pages
    for page in pages:
        pixels = matplotlib.image.imread(str(page))[..., :3]
        assert (pixels.min(axis=2) < 0.9).mean() > 0.002, f"{page.name} of {name} is blank"
