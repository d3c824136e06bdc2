"""The installed `derive` command, run as a subprocess the way a user runs it."""

import json

import pytest

from derive.derivations import entry, ids


def test_list_names_every_derivation(cli):
    result = cli("list")
    assert result.returncode == 0
    for id_ in ids():
        assert id_ in result.stdout


def test_default_run_shows_every_derivation_and_the_checks(cli):
    result = cli()
    assert result.returncode == 0, result.stderr
    for id_ in ("sigmoid", "softmax-jacobian", "cross-entropy-delta", "negative-log-likelihood"):
        assert f"{id_} (symbolic K)" in result.stdout
    assert "quotient rule" in result.stdout and "Kronecker-delta contraction" in result.stdout
    assert "Checks" in result.stdout and "checks passed" in result.stdout and "✗" not in result.stdout


@pytest.mark.parametrize("args", [["show", "softmax-jacobian"], ["show", "softmax-jacobian", "--general"],
                                  ["show", "cross-entropy-delta", "--classes", "5"]])
def test_show_text(cli, args):
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    assert "✓ =" in result.stdout and "✗" not in result.stdout


def test_show_json_contract(cli):
    result = cli("show", "cross-entropy-delta", "--format", "json")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert set(document) == {"id", "title", "claim", "assumptions", "steps", "independent", "numeric", "passed"}
    assert document["id"] == "cross-entropy-delta"
    assert [step["rule"] for step in document["steps"]][-1] == "one-hot"
    assert all(step["verified"] is True for step in document["steps"])
    assert all(isinstance(step[key], str) for step in document["steps"] for key in ("rule", "text", "latex"))


@pytest.mark.parametrize("format_, marker", [("latex", r"\begin{align*}"), ("markdown", "$$")])
def test_show_other_formats(cli, format_, marker):
    result = cli("show", "softmax-jacobian", "--general", "--format", format_)
    assert result.returncode == 0 and marker in result.stdout


def test_check_json_contract_at_three_and_symbolic_k(cli):
    result = cli("check", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["passed"] is True
    scales = {(r["id"], r["classes"]) for r in document["results"]}
    for id_ in ("sigmoid", "softmax-diagonal", "softmax-off-diagonal", "softmax-jacobian", "cross-entropy-delta",
                "negative-log-likelihood"):
        assert (id_, 3) in scales and (id_, "K") in scales
    for r in document["results"]:
        assert set(r) == {"id", "classes", "symbolic", "numeric_max_rel_error", "passed"}
        assert r["symbolic"] is True and 0 <= r["numeric_max_rel_error"] <= 1e-7 and r["passed"] is True


def test_check_large_k_instantiates(cli):
    result = cli("check", "softmax-jacobian", "--classes", "100", "--format", "json", "--seed", "7")
    assert result.returncode == 0
    (only,) = json.loads(result.stdout)["results"]
    assert only["classes"] == 100 and only["passed"]


def test_check_at_ten_thousand_classes(cli):
    result = cli("check", "cross-entropy-delta", "--classes", "10000", "--format", "json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["passed"] is True


@pytest.mark.parametrize("args, fragment", [
    (["show", "nope"], "unknown derivation 'nope'; choose one of: sigmoid"),
    (["check", "softmax-jacobian", "nope"], "unknown derivation 'nope'"),
    (["show", "softmax-jacobian", "--classes", "1"], "from 2 to 10000"),
    (["show", "softmax-jacobian", "--classes", "2.5"], "must be an integer from 2 to 10000"),
    (["show", "softmax-jacobian", "--classes", "abc"], "must be an integer from 2 to 10000"),
    (["check", "--classes", "10001"], "supported maximum"),
    (["show", "softmax-jacobian", "--format", "pdf"], "invalid choice: 'pdf'"),
    (["check", "--format", "latex"], "invalid choice: 'latex'"),
    (["show", "softmax-jacobian", "--classes", "3", "--general"], "not allowed with argument"),
    (["show"], "required: ID"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["check", "--seed", "-1"], "whole number"),
    (["show", "sigmoid", "--format", "json", "--standalone"], "--standalone goes with --format latex"),
    (["check", "bp3", "--output", "sigmoid"], "--output does not apply to bp3"),
    (["show", "softmax-jacobian", "--sizes", "3,4"], "--sizes does not apply to softmax-jacobian"),
])
def test_bad_input_is_one_line_and_exit_2(cli, args, fragment):
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("derive: error: "), result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_python_dash_m_runs_the_same_command(cli):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "derive", "list"], capture_output=True, text=True)
    assert result.returncode == 0 and "softmax-jacobian" in result.stdout


def test_ci_runs_the_readme_test_command():
    """.ci/run reads its command from README.md; the README's two commands install the same way."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, flags=re.S)
    install = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]'"
    assert f"{install} && derive" in blocks and f"{install} && pytest" in blocks
    after_marker = readme.split("<!-- ci: tests -->", 1)[1]
    assert re.search(r"```sh\n(.*?)\n```", after_marker, flags=re.S).group(1) == f"{install} && pytest"
    assert "<!-- ci: tests -->" in (root / ".ci" / "run").read_text()


@pytest.mark.parametrize("body", [
    "grad = lambda p: [3 * p[0]]\nimport sys\nsys.exit()\n",  # exits while being loaded
    "def grad(p):\n    raise SystemExit(0)\n",  # exits while being checked
])
def test_gradcheck_never_passes_a_file_that_exits(cli, tmp_path, body):
    source = tmp_path / "net.py"
    source.write_text("import numpy as np\nparams = [np.ones(3)]\ndef loss(p):\n    return float((p[0] ** 2).sum())\n"
                      + body)
    result = cli("gradcheck", str(source))
    assert result.returncode == 2 and "SystemExit" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, fragment", [
    (["demo", "--seed", "-5"], "whole number"),
    (["gradcheck", "x.py", "--seed", "-1"], "whole number"),
    (["gradcheck", "x.py", "--batch-size", "0"], "at least 1"),
    (["show", "sigmoid", "--classes", "²"], "must be an integer"),
    (["show", "backprop", "--sizes", "²,3"], "whole numbers"),
    (["codegen", "nope"], "codegen supports: softmax-jacobian"),
])
def test_option_values_are_checked_before_anything_runs(cli, args, fragment):
    result = cli(*args)
    assert result.returncode == 2 and fragment in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("flag", [["--classes", "5"], ["--general"]])
def test_check_all_at_one_scale_skips_what_has_no_classes(cli, flag):
    result = cli("check", *flag, "--format", "json")
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout)["results"]
    takes_classes = {id_ for id_ in ids() if "classes" in entry(id_).options}
    assert {r["classes"] for r in results if r["id"] in takes_classes} == {5 if flag[0] == "--classes" else "K"}
