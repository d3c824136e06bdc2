"""Writing a command's result once, in the format asked for, to an output that fails in one piece."""

from __future__ import annotations

import json
import os

__all__ = ["emit_show", "emit_check", "summary", "Output", "OutputError", "silence", "console_for"]


class OutputError(OSError):
    """Standard output refused a write (full, closed, a pipe whose reader left)."""


class Output:
    """The command's stdout: a failed write raises OutputError (reported in one line), never a traceback.

    Text the stream's encoding cannot hold (PYTHONIOENCODING=ascii) is written with replacements.
    Everything else (isatty, encoding, fileno) is the stream's own, so rich sees the real terminal.
    """

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            try:
                return self._stream.write(text)
            except UnicodeEncodeError:
                encoding = getattr(self._stream, "encoding", None) or "ascii"
                return self._stream.write(text.encode(encoding, "replace").decode(encoding))
        except (OSError, ValueError) as error:  # ValueError: the stream was closed under us
            raise OutputError(getattr(error, "errno", None), getattr(error, "strerror", None) or str(error)) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError) as error:
            raise OutputError(getattr(error, "errno", None), getattr(error, "strerror", None) or str(error)) from None

    def __getattr__(self, name):
        return getattr(self._stream, name)


def console_for(out):
    """A rich Console that renders as one on `out` would (width, colours, terminal) but writes into a buffer:
    code that may misbehave (the person's file, in a child process) never touches the real stream."""
    import io

    from rich.console import Console

    probe = Console(file=out)
    return Console(file=io.StringIO(), width=probe.width, color_system=probe.color_system,
                   force_terminal=probe.is_terminal, no_color=probe.no_color, force_jupyter=False)


def silence(stream) -> None:
    """Point a failed stdout at /dev/null, so the interpreter's last flush does not print a second error."""
    try:
        descriptor = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(descriptor, stream.fileno())
        finally:
            os.close(descriptor)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test's capture): nothing will flush it at exit


def summary(reports) -> str:
    """The closing line, in rich markup: 'The check passed.' for one, 'All 3 checks passed.', '1 of 3 checks failed.'"""
    failed = sum(not report.passed for report in reports)
    if len(reports) == 1:
        return "[bold green]The check passed.[/]" if not failed else "[bold red]The check failed.[/]"
    if not failed:
        return f"[bold green]All {len(reports)} checks passed.[/]"
    return f"[bold red]{failed} of {len(reports)} checks failed.[/]"


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
    console.print(summary(reports))
