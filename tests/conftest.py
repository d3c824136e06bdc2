"""Shared fixtures: the installed `derive` command run as a user runs it, and its main() called in-process."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def derive_executable() -> str:
    found = shutil.which("derive", path=str(BIN)) or shutil.which("derive")
    if found is None:
        pytest.fail("the `derive` console script is not installed: run pip install -e '.[test]'")
    return found


@pytest.fixture
def cli():
    """Run the installed `derive` with arguments; returns the CompletedProcess (text, no stdin)."""

    def run(*args: str, timeout: float = 300, cwd=None) -> subprocess.CompletedProcess:
        env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
        return subprocess.run([derive_executable(), *args], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=env, cwd=cwd)

    return run


@pytest.fixture
def run_main(capsys, monkeypatch):
    """Call derive's main([...]) in this process, as `cli` would run it: returns (returncode, stdout, stderr).

    For parsing and error paths, where a subprocess would only add the cost of starting Python.
    """
    from derive.cli import main

    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")

    def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(["derive", *args], code, captured.out, captured.err)

    from derive import functions

    tables = (functions.ACTIVATIONS, functions.OUTPUTS, functions.COSTS)
    before = [set(table) for table in tables]
    yield run
    # A user's expression (--hidden 'log(1 + exp(z))', --cost '(a - y)^2') becomes a table entry for the command's
    # process; in this one it must not reach the tests that read the table after.
    for table, names in zip(tables, before):
        for name in set(table) - names:
            del table[name]


def import_file(path: Path, text: str | None = None):
    """The module at `path` (written with `text` first, when given), imported under its stem as a person's file is."""
    if text is not None:
        path.write_text(text)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
