"""Documents and pictures: LaTeX that compiles, Markdown for GitHub, export, and the step-size plot."""

import shutil
import subprocess
import sys

import numpy as np
import pytest

from checks.stepsize import elementwise_relative_errors, step_study
from derive.derivations import build, ids
from derive.render import run
from derive.render.latex import latex_document


@pytest.fixture(scope="module")
def pdflatex():
    found = shutil.which("pdflatex")
    if found is None:
        pytest.skip("pdflatex is not installed (Debian: apt-get install texlive-latex-base); LaTeX compile not tested")
    return found


@pytest.mark.parametrize("id_", ["softmax-jacobian", "cross-entropy-delta", "negative-log-likelihood", "sigmoid"])
def test_standalone_latex_compiles(pdflatex, tmp_path, id_):
    source = tmp_path / "derivation.tex"
    source.write_text(latex_document([run(id_, None)]))
    result = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", source.name], cwd=tmp_path,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "derivation.pdf").stat().st_size > 1000


def test_cli_standalone_document(cli):
    result = cli("show", "softmax-jacobian", "--format", "latex", "--standalone")
    assert result.returncode == 0
    assert result.stdout.startswith("\\documentclass") and result.stdout.rstrip().endswith("\\end{document}")
    assert result.stdout.isascii()


def test_export_all_writes_latex_and_markdown(cli, tmp_path):
    result = cli("export", "--all", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for id_ in ids():
        assert (tmp_path / f"{id_}.tex").read_text().startswith("\\documentclass")
        assert "$$" in (tmp_path / f"{id_}.md").read_text()
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("args, fragment", [
    (["export", "--all", "-o", "/no/such/folder"], "does not exist"),
    (["export", "-o", "."], "or give --all"),
    (["export", "nope", "-o", "."], "unknown derivation 'nope'"),
])
def test_export_bad_input(run_main, tmp_path, args, fragment):
    result = run_main(*args, cwd=tmp_path)
    assert result.returncode == 2 and fragment in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_step_study_shows_truncation_against_round_off():
    study = step_study(build("cross-entropy-delta", 5))
    central_step, central_error = study.best("central")
    forward_step, forward_error = study.best("forward")
    complex_step, complex_error = study.best("complex-step")
    assert central_error < 1e-9 < forward_error  # one more order of truncation buys accuracy
    assert forward_step < central_step  # and a larger optimal step
    assert complex_error < 1e-14  # no subtraction, no round-off growth
    tiny = study.steps < 1e-12
    assert np.all(study.errors["central"][tiny] > 1e-6)  # round-off wins at tiny steps
    assert np.all(study.errors["complex-step"][tiny] < 1e-13)


def test_elementwise_relative_error_misleads_on_tiny_entries():
    derived = np.array([1.0, 1e-12])
    reference = derived + np.array([1e-12, 1e-12])  # the same absolute error everywhere
    errors = elementwise_relative_errors(derived, reference)
    assert errors[0] < 1e-11 and errors[1] > 0.4


def test_plot_writes_a_png(cli, tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    target = tmp_path / "steps.png"
    result = cli("check", "softmax-jacobian", "--plot", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 10_000


def test_plot_without_matplotlib_names_the_extra():
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from derive.errors import UsageError\nfrom derive.render.plot import require_matplotlib\n"
            "try:\n    require_matplotlib()\nexcept UsageError as error:\n    print(error)\n")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "pip install -e '.[plot]'" in output


@pytest.mark.parametrize("args, fragment", [
    (["check", "--plot", "x.png"], "exactly one ID"),
    (["check", "sigmoid", "--plot", "x.jpg"], "ending in .png"),
    (["check", "sigmoid", "--plot", "/no/such/folder/x.png"], "does not exist"),
])
def test_plot_bad_input(run_main, args, fragment):
    result = run_main(*args)
    assert result.returncode == 2 and fragment in result.stderr and "Traceback" not in result.stderr


def test_export_writes_all_or_nothing(run_main, tmp_path):
    (tmp_path / "sigmoid.md").mkdir()  # in the way of the second file
    result = run_main("export", "sigmoid", "-o", str(tmp_path))
    assert result.returncode == 2 and "in the way" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sigmoid.md"]


def test_export_refuses_classes_for_a_named_network_derivation(run_main, tmp_path):
    result = run_main("export", "bp1", "--classes", "3", "-o", str(tmp_path))
    assert result.returncode == 2 and "--classes does not apply to bp1" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_plot_into_a_folder_is_refused(run_main, tmp_path):
    (tmp_path / "d.png").mkdir()
    result = run_main("check", "softmax-jacobian", "--plot", str(tmp_path / "d.png"))
    assert result.returncode == 2 and "it is a folder" in result.stderr
