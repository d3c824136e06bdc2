"""Notebook 05 run with the solution filled in, then with three planted mistakes: each is found, with its cause."""

import inspect
import json
from pathlib import Path

import pytest

from checks.backward import exercise

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05_backward_line_by_line.ipynb"
SOLUTION = inspect.getsource(exercise.backward)
# (the solution's line, the planted mistake, the first wrong name, its cause)
PLANTED = [
    ('dcentered = dnormed * v["inv_std"] + 2 * v["centered"] * dsq', 'dcentered = dnormed * v["inv_std"]',
     "centered", "missing-fan-out"),
    ('dbn = dh * (1 - v["h"] ** 2)', 'dbn = dh * (1 - v["bn"] ** 2)', "bn", "wrong-point"),
    ("dgamma = (dbn * v[\"normed\"]).sum(axis=0, keepdims=True)", "dgamma = dbn * v[\"normed\"]", "gamma",
     "missing-broadcast-sum"),
]


def tagged(notebook, tag):
    return next(cell for cell in notebook.cells if tag in cell.metadata.get("tags", []))


def run(notebook, tmp_path):
    nbclient = pytest.importorskip("nbclient", reason="install the test extra: pip install -e '.[test]'")
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()


def verdicts(notebook) -> list[dict]:
    printed = [out["text"] for cell in notebook.cells if "verdict" in cell.metadata.get("tags", [])
               for out in cell.outputs if out.get("name") == "stdout"]
    return [json.loads(text) for text in printed]


def test_the_notebook_finds_the_solution_right_and_each_planted_mistake(tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="install the test extra: pip install -e '.[test]'")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    position = notebook.cells.index(tagged(notebook, "backward"))
    check = tagged(notebook, "check")
    head = notebook.cells[:position]
    variants = [SOLUTION] + [SOLUTION.replace(right, wrong) for right, wrong, *_ in PLANTED]
    assert all(text != SOLUTION for text in variants[1:])
    notebook.cells = list(head)
    for text in variants:
        printer = nbformat.v4.new_code_cell("import json\nprint(json.dumps(report.as_json()))",
                                            metadata={"tags": ["verdict"]})
        notebook.cells += [nbformat.v4.new_code_cell(text), nbformat.v4.new_code_cell(check.source), printer]
    run(notebook, tmp_path)
    solution, *mistakes = verdicts(notebook)
    assert solution["passed"] and len(solution["nodes"]) == 24
    for report, (_, _, name, cause) in zip(mistakes, PLANTED, strict=True):
        assert not report["passed"]
        assert (report["first_wrong"]["name"], report["first_wrong"]["causes"]) == (name, [cause])
