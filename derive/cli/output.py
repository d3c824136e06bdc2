"""Writing a command's result once, in the format asked for."""

from __future__ import annotations

import json

__all__ = ["emit_show", "emit_check"]


def emit_show(report, format_: str, out, standalone: bool = False, style: str = "2d") -> None:
    if format_ == "json":
        from derive.render.structured import show_json

        out.write(json.dumps(show_json(report), ensure_ascii=False, indent=2) + "\n")
    elif format_ == "latex":
        from derive.render.latex import latex_document, latex_fragment

        out.write(latex_document([report]) if standalone else latex_fragment(report))
    elif format_ == "html":
        from derive.render.html import html_page

        out.write(html_page([report], title=f"derive-backprop: {report.derivation.id}"))
    elif format_ == "markdown":
        from derive.render.markdown import markdown

        out.write(markdown(report))
    else:
        from rich.console import Console

        from derive.render.text import derivation_renderable

        Console(file=out).print(derivation_renderable(report, style))


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
    console.print(f"[bold green]All {len(reports)} checks passed.[/]" if passed else "[bold red]Some checks failed.[/]")
