"""`derive gradcheck FILE.py` on a forward/backward file, as a subprocess: text, JSON, exit 0 / 1 / 2."""

import json
from pathlib import Path

import pytest

EXERCISE = (Path(__file__).resolve().parents[1] / "checks" / "backward" / "exercise.py").read_text()
BESSEL = ("dvar / (n - 1)", "dvar / n")


@pytest.fixture
def derive(cli):
    return lambda *args: cli("gradcheck", *map(str, args))


def write(tmp_path, text, name="exercise.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_right_backward_pass_exits_0_with_a_table(derive, tmp_path):
    result = derive(write(tmp_path, EXERCISE))
    assert result.returncode == 0, result.stderr
    assert "backward check: PASSED  24 right, 0 wrong, 4 unchecked" in result.stdout
    assert "│ ✓ │ row_max" in result.stdout and result.stderr == ""


def test_a_wrong_line_exits_1_naming_the_line_and_the_cause(derive, tmp_path):
    result = derive(write(tmp_path, EXERCISE.replace(*BESSEL)))
    assert result.returncode == 1, result.stderr
    assert "first wrong: sq, line 34: sq = centered**2" in result.stdout
    assert "[scale]" in result.stdout and "Bessel" in result.stdout


def test_json_output_follows_the_contract(derive, tmp_path):
    result = derive(write(tmp_path, EXERCISE.replace(*BESSEL)), "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] is False
    assert report["first_wrong"] == {"name": "sq", "line": 34, "source": "sq = centered**2", "causes": ["scale"]}
    nodes = {node["name"]: node for node in report["nodes"]}
    assert nodes["sq"]["passed"] is False and nodes["var"]["passed"] is True and "loss" not in nodes
    assert nodes["W1"]["line"] == 29 and isinstance(nodes["W1"]["error"], float)


def test_other_names(derive, tmp_path):
    text = EXERCISE.replace("def forward(", "def model(").replace("def backward(", "def grads(") \
        .replace("def inputs(", "def data(")
    result = derive(write(tmp_path, text), "--forward", "model", "--backward", "grads", "--inputs", "data")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("change, message", [
    (("    loss = -picked.mean()\n", "    loss = -picked.mean()\n    loss += 0\n"),
     "line 50: `loss += 0` is not a simple assignment"),
    (('"picked": dpicked,', '"dpicked": dpicked,'), "'dpicked', which is not a name of forward"),
    (('dprobs = dlogp / v["probs"]', 'dprobs = dlogp / v["prob"]'), "KeyError: 'prob' (line 58)"),
    (('dprobs = dlogp / v["probs"]', 'dprobs = exit(3)'), "SystemExit: 3 (line 58)"),
    (("    n = x.shape[0]\n", "    n = x.shape[0]\n    print(n)\n"), "line 31: `print(n)` is not a simple assignment"),
    (("def inputs():", "def inputs_():"), "defines no 'inputs'"),
])
def test_a_bad_file_exits_2_with_one_line(derive, tmp_path, change, message):
    result = derive(write(tmp_path, EXERCISE.replace(*change)))
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_a_missing_named_function_exits_2(derive, tmp_path):
    result = derive(write(tmp_path, EXERCISE), "--backward", "nothing")
    assert result.returncode == 2 and "defines no 'nothing'" in result.stderr


def test_loss_grad_options_are_refused_for_a_forward_backward_file(derive, tmp_path):
    result = derive(write(tmp_path, EXERCISE), "--batch-size", "32")
    assert result.returncode == 2 and "--batch-size applies to loss/grad files" in result.stderr


def test_a_file_with_neither_mode_gets_one_line_in_json_too(derive, tmp_path):
    result = derive(write(tmp_path, "params = []\n"), "--format", "json")
    assert result.returncode == 2 and result.stdout == "" and "defines no 'loss'" in result.stderr
