"""`derive show` and `derive check` of the backprop family, run as a user runs them."""

import json

import pytest


def test_show_backprop_prints_the_four_equations_each_step_verified(cli):
    result = cli("show", "backprop")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "backprop (sizes symbolic)" in out and "✗" not in out
    for title in ("BP1: the error of the output layer", "BP2: the error carried back through a hidden layer",
                  "BP3: the gradient of the biases", "BP4: the gradient of the weights"):
        assert title in out
    for equation in ("(⇔ δ^L = a^L − y)", "(⇔ δ^l = ((W^(l+1))^T·δ^(l+1)) ⊙ a^l ⊙ (1 − a^l))", "(⇔ ∂C/∂b^l = δ^l)",
                     "(⇔ ∂C/∂W^l = δ^l·(a^(l−1))^T)", "(⇔ ∂C/∂W^l = 1/m·Δ^l·(A^(l−1))^T)"):
        assert equation in out
    assert "✓ independent route" in out and "✓ numeric" in out


def test_show_with_sizes_states_the_network(cli):
    result = cli("show", "backprop", "--sizes", "784,30,10")
    assert result.returncode == 0, result.stderr
    assert "backprop (sizes 784-30-10)" in result.stdout and "W^1 is 30×784" in result.stdout


def test_show_json_has_every_step_verified(cli):
    result = cli("show", "bp1", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["id"] == "bp1" and document["claim"] == "δ^L_i = a^L_i − y_i"
    assert all(step["verified"] is True for step in document["steps"])
    assert "counterexample" in [step["rule"] for step in document["steps"]]


@pytest.mark.parametrize("format_", ["latex", "markdown"])
def test_show_other_formats(cli, format_):
    result = cli("show", "bp4", "--format", format_)
    assert result.returncode == 0 and r"\Delta^{l}" in result.stdout


@pytest.mark.parametrize("sizes, classes", [(None, "K"), ("3,4,3", 3), ("2,3,3,2", 2)])
def test_check_backprop_json(cli, sizes, classes):
    result = cli("check", "backprop", "--format", "json", *(["--sizes", sizes] if sizes else []))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    (entry,) = document["results"]
    assert document["passed"] is True and entry["symbolic"] is True and entry["passed"] is True
    assert entry["classes"] == classes and entry["numeric_max_rel_error"] <= 1e-8


@pytest.mark.parametrize("output, cost", [("softmax", "cross-entropy"), ("softmax", "quadratic"),
                                          ("sigmoid", "cross-entropy"), ("sigmoid", "quadratic")])
def test_check_bp1_for_every_output_and_cost(cli, output, cost):
    result = cli("check", "bp1", "--output", output, "--cost", cost, "--sizes", "4,3,3", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["passed"] is True


@pytest.mark.parametrize("args, message", [
    (["check", "bp1", "--output", "tanh"], "unknown output 'tanh'"),
    (["check", "backprop", "--cost", "hinge"], "unknown cost 'hinge'"),
    (["show", "backprop", "--sizes", "3"], "at least two layer sizes"),
    (["show", "backprop", "--sizes", "3,0,2"], "from 1 to"),
    (["show", "backprop", "--sizes", "3,2.5,2"], "whole numbers"),
    (["check", "backprop", "--classes", "3"], "--classes does not apply to backprop"),
    (["check", "bp2", "--sizes", "3,2"], "bp2 is about hidden layers"),
    (["show", "backprop", "--sizes", "4,1"], "softmax output needs at least 2 units"),
])
def test_bad_options_exit_2_with_one_line(run_main, args, message):
    result = run_main(*args)
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.count("\n") == 1 and result.stdout == ""


def test_the_default_run_shows_the_backprop_derivations(cli):
    result = cli()
    assert result.returncode == 0, result.stderr
    for id_ in ("bp1", "bp2", "bp3", "bp4", "backprop"):
        assert f"{id_} (sizes symbolic)" in result.stdout
    assert "✗" not in result.stdout


@pytest.mark.parametrize("args, message", [
    (("show", "bp2", "--sizes", "3,4,2", "--hidden", "tanh", "--hidden", "relu"),
     "derive: error: 2 --hidden activations for the 1 hidden layer of 3,4,2: give one for all of them, or one per "
     "hidden layer\n"),
    (("show", "bp2", "--sizes", "3,4,4,2", "--hidden", "tanh", "--hidden", "relu", "--hidden", "elu"),
     "derive: error: 3 --hidden activations for the 2 hidden layers of 3,4,4,2: give one for all of them, or one "
     "per hidden layer\n"),
    (("show", "bp1", "--cost", "log(a)"),
     "derive: error: column 1: log(a) is not defined for every real value of a and y: log needs an argument that "
     "is always positive, e.g. log(1 + (a - y)^2)\n"),
    (("show", "bp1", "--cost", "a/(a - y)"),
     "derive: error: column 2: the denominator may be 0 for some real value ((a - y)); write one that is never 0, "
     "e.g. 1 + (a - y)^2\n"),
])
def test_messages_count_and_name_what_the_user_gave(run_main, args, message):
    """A count takes its noun's number; a cost's hint is written in the cost's own variables, a and y."""
    result = run_main(*args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)
