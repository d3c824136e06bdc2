"""Writing a command's result once, in the format asked for."""

from __future__ import annotations

import json

__all__ = ["emit_show", "emit_check", "summary"]


def summary(reports) -> str:
    """The closing line, in rich markup: 'The check passed.' for one, 'All 3 checks passed.', '1 of 3 checks failed.'"""
    failed = sum(not report.passed for report in reports)
    if len(reports) == 1:
        return "[bold green]The check passed.[/]" if not failed else "[bold red]The check failed.[/]"
    if not failed:
        return f"[bold green]All {len(reports)} checks passed.[/]"
    return f"[bold red]{failed} of {len(reports)} checks failed.[/]"


def emit_show(report, format_: str, out, standalone: bool = False) -> None:
    if format_ == "json":
        from derive.render.structured import show_json

        out.write(json.dumps(show_json(report), ensure_ascii=False, indent=2) + "\n")
    elif format_ == "latex":
        from derive.render.latex import latex_document, latex_fragment

        out.write(latex_document([report]) if standalone else latex_fragment(report))
    elif format_ == "markdown":
        from derive.render.markdown import markdown

        out.write(markdown(report))
    else:
        from rich.console import Console

        Console(file=out).print(report)


def emit_check(reports, format_: str, out) -> None:
    if format_ == "json":
        from derive.render.structured import check_json

        out.write(json.dumps(check_json(reports), indent=2) + "\n")
        return
    from rich.console import Console

    from derive.render.text import checks_table

    console = Console(file=out)
    console.print(checks_table(reports))
    passed = all(report.passed for report in reports)
    console.print(summary(reports))
