"""Every notebook runs top to bottom (so they never rot), without widgets and without network, and its stored
outputs (which GitHub shows) are what a fresh run gives, up to floating-point noise and timings.

Refresh the stored outputs after a change with `python tests/test_notebooks.py`.
"""

import re
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
# Numbers at rounding level (a relative error of 3e-13 on one machine is 5e-13 on another) and floats beyond two
# significant digits are noise; so are timings and object addresses.
_TINY = re.compile(r"\b\d+(\.\d+)?e-(0[89]|[1-9]\d)\b")
_FLOAT = re.compile(r"\b(\d+\.\d+(e[-+]\d+)?)\b")
_NOISE = [(re.compile(r"\b\d+(\.\d+)? ?(s|ms|seconds)\b"), "<time>"), (re.compile(r"0x[0-9a-f]+"), "<address>")]


def _execute(path, folder):
    nbformat = pytest.importorskip("nbformat", reason="install the test extra: pip install -e '.[test]'")
    nbclient = pytest.importorskip("nbclient", reason="install the test extra: pip install -e '.[test]'")
    notebook = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


def _normal(text: str) -> str:
    text = _TINY.sub("<tiny>", text)
    text = _FLOAT.sub(lambda found: f"{float(found[1]):.2g}", text)
    for pattern, token in _NOISE:
        text = pattern.sub(token, text)
    return text


def _outputs(notebook) -> list:
    """Per code cell, what it shows: stream text, and every text format of a result; pictures only by kind."""
    shown = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        shown.append(("cell", ""))
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":  # how printed text is cut into chunks depends on timing
                if shown and shown[-1][0] == "stream":
                    shown[-1] = ("stream", shown[-1][1] + output["text"])
                else:
                    shown.append(("stream", output["text"]))
            elif output["output_type"] in ("display_data", "execute_result"):
                data = output["data"]
                shown.append(tuple(sorted((kind, "<picture>" if kind.startswith("image/") else _normal(
                    "".join(value) if isinstance(value, list) else value)) for kind, value in data.items())))
            else:
                shown.append((output["output_type"], output.get("ename", "")))
    return [("stream", _normal(item[1])) if item[0] == "stream" else item for item in shown]


def test_the_notebooks_run_are_the_ones_the_readme_lists():
    """The parametrized run below collects nothing if the glob misses: pin the set to the README's table."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    listed = set(re.findall(r"^\| `(\d\d_\w+\.ipynb)` \|", readme, flags=re.MULTILINE))
    assert len(listed) >= 4 and listed == {path.name for path in NOTEBOOKS}


def test_the_comparison_ignores_noise_but_not_numbers():
    assert _normal("max relative error 2.9e-13 in 1.2 s") == _normal("max relative error 5.1e-13 in 3.4 s")
    assert _normal("97.0% of steps") != _normal("61.3% of steps")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_top_to_bottom_and_matches_its_stored_outputs(path, tmp_path):
    import nbformat

    stored = nbformat.read(path, as_version=4)
    fresh = _execute(path, tmp_path)
    errors = [output for cell in fresh.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors
    # Every cell that shows something has it stored (a cell that only defines a function shows nothing).
    assert all(mine.get("outputs") or not theirs.get("outputs") for mine, theirs in zip(stored.cells, fresh.cells)
               if mine.cell_type == "code"), "outputs not stored"
    assert _outputs(stored) == _outputs(fresh), f"{path.name}: stored outputs are stale; run {__file__}"


def test_notebooks_show_no_raw_reprs():
    import nbformat

    for path in NOTEBOOKS:
        for kind, *texts in (item for item in _outputs(nbformat.read(path, as_version=4))):
            joined = " ".join(str(text) for text in texts)
            assert not re.search(r"\b[A-Z]\w+\((\w+=)", joined), f"{path.name} shows a raw repr: {joined[:120]}"


if __name__ == "__main__":  # store fresh outputs in every notebook
    import tempfile

    import nbformat

    for notebook_path in NOTEBOOKS if len(sys.argv) < 2 else [Path(arg) for arg in sys.argv[1:]]:
        with tempfile.TemporaryDirectory() as folder:
            nbformat.write(_execute(notebook_path, folder), notebook_path)
        print("stored", notebook_path.name)
