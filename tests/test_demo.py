"""The classic-mistake demo: the symptom shows in training, check_delta names it, the CLI and notebook present it."""

import ast
import io
import json
from pathlib import Path

import pytest

from checks.demo import run_demo

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04_the_classic_mistake.ipynb"


@pytest.fixture(scope="module", params=[0, 1, 2])
def demo(request):
    return run_demo(seed=request.param)


def test_the_buggy_network_follows_the_most_recent_label(demo):
    assert demo.buggy.lean > 1.5, demo.buggy
    assert demo.correct.lean < 1.25, demo.correct
    assert demo.buggy.recent_label_rate > demo.correct.recent_label_rate + 0.15


def test_in_the_median_step_the_buggy_network_predicts_the_label_just_seen(demo):
    assert demo.buggy.recent_label_median > 0.75 and demo.buggy.steps_above_90 > 0.3
    assert demo.correct.recent_label_median < 0.5 and demo.correct.steps_above_90 == 0


def test_other_mistakes_do_not_produce_the_symptom(demo):
    assert [t.delta for t in demo.contrasts] == ["extra-activation-derivative", "double-softmax"]
    for training in demo.contrasts:
        assert training.lean < 1.25 and training.recent_label_median < 0.5, training
    assert "do not lean toward the last label" in demo.summary()


def test_the_summary_states_only_what_the_numbers_show(demo):
    import dataclasses

    calm = dataclasses.replace(demo, buggy=dataclasses.replace(demo.correct, delta="softmax-diagonal-only"))
    assert "shows no lean" in calm.summary() and "Both reach similar test accuracy" in calm.summary()
    assert "median step" not in calm.summary() and "against" not in calm.summary()
    leaning = demo.summary()
    median = f"{demo.buggy.recent_label_median:.0%}"
    if demo.buggy.recent_label_median > 0.9:  # the seed's "always"
        assert f"in the median step {median} of test predictions equal the label just seen" in leaning
    else:
        assert "as often as independence gives" in leaning and f"in the median step only {median} do" in leaning
    assert f"It reaches {demo.buggy.accuracy:.0%} test accuracy against {demo.correct.accuracy:.0%}" in leaning


def test_the_sentences_quote_the_tables_leans(demo):
    table = [row[-1] for row in demo._rows()]  # "2.45x": the sentence must not round it to another figure
    assert f"{table[0]} what independence gives" in demo.summary() or f"{table[0]} as often" in demo.summary()
    assert f"{table[1]} with a - y" in demo.summary()


@pytest.mark.parametrize("width", [60, 80, 100])
def test_every_run_and_figure_prints_whole_at_any_width(demo, width):
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(demo)
    shown = console.file.getvalue()
    table = shown[:shown.index("With the") if "With the" in shown else shown.index("In this run")]
    assert "…" not in table and max(len(line.rstrip()) for line in table.splitlines()) <= width
    for row in demo._rows():
        assert all(cell in table for cell in row)


def test_the_buggy_network_learns_less(demo):
    assert demo.correct.accuracy > 0.8
    assert demo.buggy.accuracy < demo.correct.accuracy - 0.2


def test_check_delta_names_the_diagonal_only_mistake(demo):
    assert not demo.verdict.passed
    assert demo.verdict.ids == ("softmax-diagonal-only",)


def test_the_demo_is_seeded(demo):
    assert run_demo(seed=0) == run_demo(seed=0)


def test_the_demo_renders_as_text_and_rich(demo):
    text = str(demo)
    assert "softmax-diagonal-only" in text and "predicts the last label" in text
    from rich.console import Console

    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(demo)
    assert "[softmax-diagonal-only]" in console.file.getvalue()
    assert "text/html" in demo._repr_mimebundle_()


def test_derive_demo_runs_with_exit_0(cli):
    result = cli("demo", "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "[softmax-diagonal-only]" in result.stdout and "lean" in result.stdout


def test_derive_demo_json_for_scripts(cli):
    result = cli("demo", "--seed", "0", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"seed", "classes", "steps", "runs", "check_delta", "summary"}
    assert [run["delta"] for run in document["runs"]] == ["softmax-diagonal-only", "correct",
                                                          "extra-activation-derivative", "double-softmax"]
    assert document["check_delta"] == {"passed": False, "mistakes": ["softmax-diagonal-only"]}
    assert document["runs"][0]["recent_label_median"] > 0.9


@pytest.mark.parametrize("args", [["--classes", "1"], ["--epochs", "0"], ["--seed", "x"], ["--format", "csv"]])
def test_derive_demo_rejects_bad_options_with_exit_2(run_main, args):
    result = run_main("demo", *args)
    assert result.returncode == 2 and result.stderr.startswith("derive: error: ")
    assert "Traceback" not in result.stderr


def test_the_notebook_opens_with_what_it_teaches_and_defines_no_logic():
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    assert cells[0]["cell_type"] == "markdown" and "teaches" in "".join(cells[0]["source"])
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        defined = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
        assert not defined, "notebooks import their logic from checks.demo"
