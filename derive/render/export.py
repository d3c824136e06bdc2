"""Writing derivations to files: all of them proven first, then every file written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from derive.derivations import entry
from derive.render.report import run
from derive.render.structured import latex_document, markdown

__all__ = ["export"]


def export(chosen, folder: Path, classes: int | None = None) -> tuple[list[Path], bool]:
    """Write ID.tex (a standalone document) and ID.md per derivation, plus derivations.tex with them all.

    Everything is rendered before anything is written, so a bad id leaves the folder untouched.
    """
    entries = [entry(id_) for id_ in chosen]
    reports = [run(found.id, classes if "classes" in found.options else None) for found in entries]
    files = {}
    for report in reports:
        files[f"{report.derivation.id}.tex"] = latex_document([report])
        files[f"{report.derivation.id}.md"] = markdown(report)
    if len(reports) > 1:
        files["derivations.tex"] = latex_document(reports)
        files["derivations.md"] = "\n".join(markdown(report) for report in reports)
    written = [_write_atomically(folder / name, text) for name, text in files.items()]
    return written, all(report.passed for report in reports)


def _write_atomically(path: Path, text: str) -> Path:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path
