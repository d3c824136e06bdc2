"""Writing derivations to files: all of them proven first, then the files written all together or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from derive.derivations import entry
from derive.errors import UsageError
from derive.render.html import html_index, html_page
from derive.render.report import run
from derive.render.latex import latex_document
from derive.render.markdown import markdown, markdown_document

__all__ = ["export"]


def export(chosen, folder: Path, classes: int | None = None, strict: bool = True) -> tuple[list[Path], bool]:
    """Write ID.tex (a standalone document), ID.md and ID.html per derivation, plus derivations.tex/.md with them
    all and index.html linking the pages.

    Everything is rendered before anything is written, every file goes to a temporary name first, and the
    renames happen only when all the writes succeeded: an error leaves the folder as it was.
    """
    entries = [entry(id_) for id_ in chosen]
    if classes is not None and strict:
        for found in entries:
            if "classes" not in found.options:
                raise UsageError(f"--classes does not apply to {found.id}: its output size is the last of --sizes")
    reports = [run(found.id, classes if "classes" in found.options else None) for found in entries]
    files = {}
    for report in reports:
        files[f"{report.derivation.id}.tex"] = latex_document([report])
        files[f"{report.derivation.id}.md"] = markdown(report)
        files[f"{report.derivation.id}.html"] = html_page([report], title=f"derive-backprop: {report.derivation.id}", links=True)
    files["index.html"] = html_index([(f"{r.derivation.id}.html", r.derivation.title) for r in reports])
    if len(reports) > 1:
        files["derivations.tex"] = latex_document(reports)
        files["derivations.md"] = markdown_document(reports)
    _write_all({folder / name: text for name, text in files.items()})
    return list(folder / name for name in files), all(report.passed for report in reports)


def _write_all(files: dict[Path, str]) -> None:
    staged: dict[Path, str] = {}
    try:
        for path, text in files.items():
            if path.is_dir():
                raise UsageError(f"cannot write {path}: a folder of that name is in the way")
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged[path] = temporary
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.chmod(temporary, 0o666 & ~_umask())
        for path, temporary in staged.items():
            os.replace(temporary, path)
    except OSError as error:
        raise UsageError(f"cannot write into {next(iter(files)).parent}: {error.strerror or error}") from None
    finally:
        for temporary in staged.values():
            if os.path.exists(temporary):
                os.unlink(temporary)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
