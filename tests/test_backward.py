"""checks.check_backward on the MLP exercise: the solution passes, each planted mistake is found with its cause."""

import textwrap
from pathlib import Path

import numpy as np
import pytest

from checks.backward import BackwardError, check_backward
from conftest import import_file

EXERCISE = (Path(__file__).resolve().parents[1] / "checks" / "backward" / "exercise.py").read_text()

# id -> (solution line, planted mistake, the first wrong name, the cause id or None)
PLANTED = {
    "fan-out": ('dcounts = dprobs * v["inv_total"] + dtotal', 'dcounts = dprobs * v["inv_total"]',
                "counts", "missing-fan-out"),
    "fan-out-mean": ('dpre = dcentered + np.ones_like(v["pre"]) * dmu / n', "dpre = dcentered",
                     "pre", "missing-fan-out"),
    "broadcast": ("db2 = dlogits.sum(axis=0, keepdims=True)", "db2 = dlogits", "b2", "missing-broadcast-sum"),
    "transpose": ('dW2 = v["h"].T @ dlogits', 'dW2 = dlogits.T @ v["h"]', "W2", "transpose"),
    "bessel": ("dvar / (n - 1)", "dvar / n", "sq", "scale"),
    "mean": ("dpicked = -np.ones(n) / n", "dpicked = -np.ones(n)", "picked", "scale"),
    "two": ('2 * v["centered"] * dsq', 'v["centered"] * dsq', "centered", "scale"),
    "sign": ("dbeta = dbn.sum(", "dbeta = -dbn.sum(", "beta", "sign"),
    "tanh-at-input": ('dbn = dh * (1 - v["h"] ** 2)', 'dbn = dh * (1 - v["bn"] ** 2)', "bn", "wrong-point"),
    "tanh-of-output": ('dbn = dh * (1 - v["h"] ** 2)', 'dbn = dh * (1 - np.tanh(v["h"]) ** 2)', "bn",
                       "wrong-point"),
    "unexplained": ('dgamma = (dbn * v["normed"])', 'dgamma = (dbn * v["centered"])', "gamma", None),
}


def load(tmp_path, text, name="exercise_copy"):
    return import_file(tmp_path / f"{name}.py", text)


def planted(tmp_path, key):
    right, wrong, *_ = PLANTED[key]
    assert EXERCISE.count(right) == 1
    return load(tmp_path, EXERCISE.replace(right, wrong))


def check(module, **options):
    return check_backward(module.forward, module.backward, module.inputs, **options)


def test_the_solution_passes_every_name_including_the_zero_gradients(tmp_path):
    report = check(load(tmp_path, EXERCISE))
    assert report.passed and report.first_wrong is None
    assert {n.name for n in report.nodes if n.status == "right"} >= {"b1", "row_max", "W1", "picked"}
    assert {n.name for n in report.nodes if n.status == "unchecked"} == {"loss", "n", "labels", "x"}


@pytest.mark.parametrize("key", PLANTED)
def test_a_planted_mistake_is_the_first_wrong_name_with_its_cause(tmp_path, key):
    *_, name, cause = PLANTED[key]
    report = check(planted(tmp_path, key))
    assert not report.passed
    assert report.first_wrong.name == name
    assert [c.id for c in report.first_wrong.causes] == ([cause] if cause else [])


def test_causes_name_the_factor_and_the_missing_path(tmp_path):
    bessel = check(planted(tmp_path, "bessel")).first_wrong.causes[0]
    assert "Bessel" in bessel.message and bessel.factor == pytest.approx(31 / 32, rel=1e-6)
    assert "(n = 32)" in check(planted(tmp_path, "mean")).first_wrong.causes[0].message
    fan = check(planted(tmp_path, "fan-out")).first_wrong.causes[0].message
    assert "add the path through `total`" in fan


def test_names_below_a_first_error_follow_from_it_and_mu_stays_right(tmp_path):
    report = check(planted(tmp_path, "bessel"))
    assert report.node("centered").follows == ("sq",) and report.node("pre").status == "wrong"
    assert report.node("mu").status == "right"  # the Bessel factor cancels in the sum over the batch
    assert report.first_errors == ("sq",)


def test_the_first_wrong_line_and_the_backward_lines(tmp_path):
    report = check(planted(tmp_path, "bessel"))
    first = report.first_wrong
    lines = EXERCISE.splitlines()
    assert lines[first.line - 1].strip() == first.source == "sq = centered**2"
    assert "dsq =" in lines[first.backward_lines[0] - 1]


def test_gradients_for_some_names_only(tmp_path):
    text = EXERCISE.replace('"picked": dpicked, "logp": dlogp,', '"logp": None,')
    report = check(load(tmp_path, text))
    assert report.passed and report.node("picked").status == "unchecked"


def test_a_first_error_is_found_through_unchecked_names(tmp_path):
    right, wrong, *_ = PLANTED["bessel"]
    text = EXERCISE.replace(right, wrong).replace('"var": dvar, "sq": dsq, "centered": dcentered,', '')
    report = check(load(tmp_path, text))
    assert report.first_wrong.name == "pre"  # sq and centered unchecked: the nearest checked consumers are right


def test_a_zero_gradient_given_wrongly_fails(tmp_path):
    text = EXERCISE.replace('db1 = dpre.sum(axis=0, keepdims=True)', 'db1 = dpre.sum(axis=0, keepdims=True) + 1e-6')
    report = check(load(tmp_path, text))
    assert report.first_wrong.name == "b1"


@pytest.mark.parametrize("method", ["auto", "central", "richardson"])
def test_methods_agree_on_the_verdicts(tmp_path, method):
    right = load(tmp_path, EXERCISE)
    assert all(check(right, method=method, seed=seed).passed for seed in range(3))  # b1, row_max at their floors
    assert check(planted(tmp_path, "bessel"), method=method).first_wrong.name == "sq"


SMALL = textwrap.dedent(
    """
    import numpy as np

    def inputs():
        rng = np.random.default_rng(1)
        return {"z": rng.standard_normal((4, 3)), "y": np.eye(3)[[0, 2, 1, 0]]}

    def softmax(a):
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def forward(z, y):
        s = 1 / (1 + np.exp(-z))
        p = softmax(s)
        loss = -(y * np.log(p)).sum()
        return loss

    def backward(v):
        dp = -v["y"] / v["p"]
        ds = DS
        dz = DZ
        return {"p": dp, "s": ds, "z": dz}
    """
)
RIGHT_DS = 'v["p"] * ((dp * v["p"]).sum(axis=1, keepdims=True) * -1 + dp)'
RIGHT_DZ = 'ds * v["s"] * (1 - v["s"])'


def small(tmp_path, ds=RIGHT_DS, dz=RIGHT_DZ):
    return check(load(tmp_path, SMALL.replace("DS", ds).replace("DZ", dz), "small"))


def test_a_small_softmax_network_passes(tmp_path):
    assert small(tmp_path).passed


def test_softmax_diagonal_only_is_named(tmp_path):
    report = small(tmp_path, ds='dp * v["p"] * (1 - v["p"])')
    assert report.first_wrong.name == "s"
    assert [c.id for c in report.first_wrong.causes] == ["softmax-diagonal-only"]


def test_an_extra_softmax_derivative_on_the_output_delta_is_named(tmp_path):
    module = load(tmp_path, SMALL.replace("DS", RIGHT_DS).replace("DZ", RIGHT_DZ).replace(
        'return {"p": dp, "s": ds, "z": dz}', 'return {"s": (v["p"] - v["y"]) * v["p"] * (1 - v["p"])}'), "extra")
    report = check(module)
    assert report.first_wrong.name == "s"
    assert [c.id for c in report.first_wrong.causes] == ["extra-activation-derivative"]


def test_sigmoid_derivative_at_the_input_is_wrong_point(tmp_path):
    report = small(tmp_path, dz='ds * v["z"] * (1 - v["z"])')
    assert [c.id for c in report.first_wrong.causes] == ["wrong-point"]


BAD_FORWARDS = {
    "loop": ("    for i in range(2):\n        w = x\n", "line 4"),
    "augmented": ("    w = x\n    w += 1\n", "line 5"),
    "tuple": ("    w, u = x, x\n", "line 4"),
    "in-place": ("    w = x * 1\n    w[0] = 0\n", "line 5"),
    "rebind": ("    w = x\n    w = w * 2\n", "assigns `w` again"),
}


@pytest.mark.parametrize("key", BAD_FORWARDS)
def test_statements_that_are_not_simple_are_refused_naming_the_line(tmp_path, key):
    body, expected = BAD_FORWARDS[key]
    text = f"import numpy as np\n\ndef forward(x):\n{body}    loss = (x**2).sum()\n    return loss\n"
    module = load(tmp_path, text + "\ndef backward(v):\n    return {}\n", "bad")
    with pytest.raises(BackwardError, match=expected):
        check_backward(module.forward, module.backward, {"x": np.ones(2)})


def test_convention_errors(tmp_path):
    module = load(tmp_path, EXERCISE)
    with pytest.raises(BackwardError, match="not a name of forward"):
        check_backward(module.forward, lambda v: {"dW1": v["W1"]}, module.inputs)
    with pytest.raises(BackwardError, match="inputs does not hold"):
        check_backward(module.forward, module.backward, {"x": np.ones(3)})
    with pytest.raises(BackwardError, match="not a float array"):
        check_backward(module.forward, lambda v: {"labels": v["x"]}, module.inputs)
    with pytest.raises(BackwardError, match="must return a dict"):
        check_backward(module.forward, lambda v: [1], module.inputs)


def test_same_seed_same_report_and_json_contract(tmp_path):
    module = planted(tmp_path, "fan-out")
    first, again = check(module, seed=3).as_json(), check(module, seed=3).as_json()
    assert first == again
    assert set(first) == {"passed", "first_wrong", "nodes"}
    assert first["first_wrong"] == {"name": "counts", "line": first["first_wrong"]["line"],
                                    "source": "counts = np.exp(shifted)", "causes": ["missing-fan-out"]}
    assert all(set(node) == {"name", "line", "passed", "error", "causes"} for node in first["nodes"])


UNSAFE = textwrap.dedent(
    """
    import numpy as np

    def forward(x, w):
        u = x * w
        a = np.abs(u)
        loss = (a**3).sum()
        return loss

    def backward(v):
        da = 3 * v["a"] ** 2
        du = da * np.sign(v["u"])
        return {"a": da, "u": du, "w": du * v["x"]}
    """
)


def test_names_before_a_statement_that_drops_the_imaginary_part_get_central_differences(tmp_path):
    module = load(tmp_path, UNSAFE, "unsafe")
    rng = np.random.default_rng(0)
    report = check_backward(module.forward, module.backward, {"x": rng.standard_normal(5), "w": rng.standard_normal(5)})
    assert report.passed  # complex step through np.abs would make the right du look wrong
    assert [note.split(":")[0] for note in report.notes] == ["w", "u"]  # forward order
    assert "line 6" in report.notes[0] and "np.abs" in report.notes[0]
    assert report.method == "central and complex"


def test_a_gradient_with_nan_is_wrong_not_a_bad_file(tmp_path):
    text = EXERCISE.replace("dbeta = dbn.sum(axis=0, keepdims=True)", "dbeta = dbn.sum(axis=0, keepdims=True) * np.nan")
    report = check(load(tmp_path, text))
    assert report.first_wrong.name == "beta" and report.node("beta").error is None


def _golden_report():
    from checks.backward.report import BackwardReport, NodeResult
    from checks.report import Finding

    cause = Finding("scale", "the gradient of sq is 0.96875 times the right one ((n - 1)/n)", "ratio 0.96875", ("sq",))
    nodes = (
        NodeResult("loss", 9, "loss = var.sum()", "unchecked", None),
        NodeResult("var", 8, "var = sq.sum(axis=0) / (n - 1)", "right", 2.5e-16),
        NodeResult("sq", 7, "sq = x**2", "wrong", 3.1e-2, (cause,), (14,)),
        NodeResult("x", 5, "x (an input of forward)", "wrong", 3.1e-2, (), (), ("sq",)),
    )
    return BackwardReport(nodes, "complex", 1e-9, 2.4, ("sq",))


GOLDEN_TEXT = """\
backward check: FAILED  1 right, 2 wrong, 1 unchecked
method complex, rtol 1e-09, 2.4 forward passes run to check

   name  line  error        cause
·  loss  9     no gradient
✓  var   8     2.5e-16
✗  sq    7     3.1e-02      scale
✗  x     5     3.1e-02      follows from sq

first wrong: sq, line 7: sq = x**2
  its gradient is assigned in backward at line 14
  [scale] the gradient of sq is 0.96875 times the right one ((n - 1)/n)"""

GOLDEN_RICH = """\
backward check: FAILED  1 right, 2 wrong, 1 unchecked
method complex, rtol 1e-09, 2.4 forward passes run to check
┏━━━┳━━━━━━┳━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃   ┃ name ┃ line ┃ error       ┃ cause           ┃
┡━━━╇━━━━━━╇━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ · │ loss │ 9    │ no gradient │                 │
│ ✓ │ var  │ 8    │ 2.5e-16     │                 │
│ ✗ │ sq   │ 7    │ 3.1e-02     │ scale           │
│ ✗ │ x    │ 5    │ 3.1e-02     │ follows from sq │
└───┴──────┴──────┴─────────────┴─────────────────┘
first wrong: sq, line 7: sq = x**2
  its gradient is assigned in backward at line 14
  [scale] the gradient of sq is 0.96875 times the right one ((n - 1)/n)
"""


def test_the_report_as_plain_text_and_as_a_rich_table_at_width_80():
    import io

    from rich.console import Console

    report = _golden_report()
    assert str(report) == GOLDEN_TEXT
    out = io.StringIO()
    Console(file=out, width=80, color_system=None, force_terminal=False).print(report)
    assert out.getvalue() == GOLDEN_RICH
    assert report.as_json() == {
        "passed": False,
        "first_wrong": {"name": "sq", "line": 7, "source": "sq = x**2", "causes": ["scale"]},
        "nodes": [{"name": "var", "line": 8, "passed": True, "error": 2.5e-16, "causes": []},
                  {"name": "sq", "line": 7, "passed": False, "error": 3.1e-2, "causes": ["scale"]},
                  {"name": "x", "line": 5, "passed": False, "error": 3.1e-2, "causes": []}],
    }


def test_checking_a_backward_pass_loads_no_rich():
    import subprocess
    import sys

    code = "import sys, checks; checks.check_backward; print('rich' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_paths_through_right_consumers_equal_the_directional_derivative_by_re_running():
    from checks.backward import exercise
    from checks.backward.check import _directions, _Walk
    from checks.backward.probe import derivative
    from checks.backward.program import parse_forward
    from checks.backward.run import Runner

    program = parse_forward(exercise.forward)
    runner = Runner(program, exercise.inputs())
    gradients = {k: np.asarray(g) for k, g in exercise.backward(dict(runner.values)).items()}
    methods = dict.fromkeys(gradients, "complex")
    walk = _Walk(program, runner, gradients, methods, _directions(0, runner, list(gradients)))
    for name in reversed(program.names):
        if name in gradients:
            walk.judge(name)
            full = derivative(runner, name, walk.directions[name], "complex")  # every later statement re-run
            assert walk.numeric[name] == pytest.approx(full, rel=1e-12, abs=1e-15), name


# Every line `dX = ...` of the solution, scaled by 1.5: X is the first wrong name and the cause is a scale. The
# exceptions are stated: dlogp is filled in by the next line, and b1 and row_max have a true gradient of 0.
SCALABLE = [line.split("=")[0].strip() for line in EXERCISE.split("def backward")[1].splitlines()
            if line.startswith("    d") and " = " in line and "[" not in line.split("=")[0]]
NOT_SCALABLE = {"dlogp", "drow_max", "db1"}


@pytest.mark.parametrize("variable", [v for v in SCALABLE if v not in NOT_SCALABLE])
def test_any_line_of_the_solution_scaled_is_found_there(tmp_path, variable):
    line = next(line for line in EXERCISE.splitlines() if line.startswith(f"    {variable} = "))
    module = load(tmp_path, EXERCISE.replace(line, f"{line.split(' = ')[0]} = 1.5 * ({line.split(' = ', 1)[1]})"))
    first = check(module).first_wrong
    assert first.name == variable[1:]
    assert [c.id for c in first.causes] == ["scale"] and first.causes[0].factor == pytest.approx(1.5)


@pytest.mark.parametrize("variable", sorted(NOT_SCALABLE))
def test_the_lines_that_cannot_show_a_scale_still_pass_when_scaled(tmp_path, variable):
    assert len(SCALABLE) == 24  # one line per returned name
    line = next(line for line in EXERCISE.splitlines() if line.startswith(f"    {variable} = "))
    module = load(tmp_path, EXERCISE.replace(line, f"{line.split(' = ')[0]} = 1.5 * ({line.split(' = ', 1)[1]})"))
    assert check(module).passed


def test_two_independent_mistakes_are_both_first_errors_closest_to_the_loss_first(tmp_path):
    text = EXERCISE
    for key in ("broadcast", "bessel"):
        right, wrong, *_ = PLANTED[key]
        text = text.replace(right, wrong)
    report = check(load(tmp_path, text))
    assert report.first_errors == ("sq", "b2")  # forward line 34 before the input b2 in backward order
    assert "also wrong on their own: b2" in str(report)
    assert [c.id for c in report.node("b2").causes] == ["missing-broadcast-sum"]


RAISING = textwrap.dedent(
    """
    import numpy as np

    def forward(x, w):
        u = x * w
        k = np.floor(u)
        s = u * 2
        loss = (s**2).sum() + k.sum()
        return loss

    def backward(v):
        ds = 2 * v["s"]
        du = 2 * ds
        return {"s": ds, "u": du, "w": du * v["x"]}
    """
)


def test_a_statement_raising_at_complex_input_is_the_only_unsafe_one_and_names_upstream_get_central(tmp_path):
    from checks.backward.program import parse_forward
    from checks.backward.run import Runner
    from checks.backward.safety import statement_safety

    module = load(tmp_path, RAISING, "raising")
    rng = np.random.default_rng(0)
    inputs = {"x": rng.standard_normal(5), "w": rng.standard_normal(5)}
    verdicts = statement_safety(Runner(parse_forward(module.forward), inputs), 0)
    assert [(v.safe, v.raised) for v in verdicts.values()] == [(True, False), (False, True), (True, False),
                                                               (True, False)]
    report = check_backward(module.forward, module.backward, inputs)
    assert report.passed and report.method == "central and complex"
    assert [note.split(":")[0] for note in report.notes] == ["w", "u"]
    assert "line 6" in report.notes[0] and "np.floor" in report.notes[0]


@pytest.mark.parametrize("text", [EXERCISE, UNSAFE, RAISING], ids=["exercise", "unsafe", "raising"])
def test_the_watched_safety_run_agrees_with_running_each_statement_alone(tmp_path, text):
    from checks.backward import safety
    from checks.backward.program import parse_forward
    from checks.backward.run import Runner

    module = load(tmp_path, text, "watched")
    rng = np.random.default_rng(0)
    inputs = module.inputs() if text is EXERCISE else {"x": rng.standard_normal(5), "w": rng.standard_normal(5)}
    runner = Runner(parse_forward(module.forward), inputs)
    namespace = safety._complex_inputs(runner, 0)
    functions = runner.program.functions(namespace)
    alone = [safety._alone(runner, s, functions[s.index], namespace).safe for s in runner.program.statements]
    assert [v.safe for v in safety.statement_safety(runner, 0).values()] == alone
    assert all(alone) == (text is EXERCISE)
