"""Writing derivations to files: all of them proven first, then the files written all together or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from derive.atomic import write_all, writable_folder
from derive.derivations import classes_for
from derive.errors import UsageError
from derive.render.html import html_index, html_page
from derive.render.report import run
from derive.render.latex import latex_document
from derive.render.markdown import markdown, markdown_document

__all__ = ["export"]


def export(chosen, folder: Path, classes: int | None = None, strict: bool = True,
           ready: Callable[[list[Path]], None] | None = None) -> tuple[list[Path], bool]:
    """Write ID.tex (a standalone document), ID.md and ID.html per derivation, plus derivations.tex/.md with them
    all and index.html linking the pages.

    Everything is rendered before anything is written, every file goes to a temporary name first, and the
    renames happen only when all the writes succeeded: an error leaves the folder as it was. `ready(paths)` runs
    just before the renames (the command prints the list there, so a stdout that fails leaves nothing written).
    """
    folder = writable_folder(folder)
    scales = {id_: classes_for(id_, classes, strict) for id_ in chosen}  # every id is checked before any work
    reports = [run(id_, scale) for id_, scale in scales.items()]
    files = {}
    for report in reports:
        files[f"{report.derivation.id}.tex"] = latex_document([report])
        files[f"{report.derivation.id}.md"] = markdown(report)
        files[f"{report.derivation.id}.html"] = html_page([report], title=f"derive-backprop: {report.derivation.id}", links=True)
    files["index.html"] = html_index([(f"{r.derivation.id}.html", r.derivation.title) for r in reports])
    if len(reports) > 1:
        files["derivations.tex"] = latex_document(reports)
        files["derivations.md"] = markdown_document(reports)
    for name in files:
        if (folder / name).is_dir():
            raise UsageError(f"cannot write {folder / name}: a folder of that name is in the way")
    paths = [folder / name for name in files]
    write_all(dict(zip(paths, files.values())), ready=None if ready is None else lambda: ready(paths))
    return paths, all(report.passed for report in reports)
