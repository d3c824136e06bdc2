"""The `derive` command: parse, call the library, render once; every error leaves through `report_error`."""

from __future__ import annotations

import argparse
import errno
import importlib
import sys

from derive.cli.output import Output, OutputError, silence
from derive.errors import CheckFailure, UsageError

__all__ = ["main", "report_error"]

# name -> module; each module defines HELP, add_arguments(parser) and run(args, out) -> exit code.
# Modules are imported only when their command runs, so `derive list` does not pay for numpy or rich.
COMMANDS = {
    "list": "derive.cli.list_cmd",
    "show": "derive.cli.show_cmd",
    "check": "derive.cli.check_cmd",
    "gradcheck": "derive.cli.gradcheck_cmd",
    "demo": "derive.cli.demo_cmd",
    "codegen": "derive.cli.codegen_cmd",
    "export": "derive.cli.export_cmd",
}
DEFAULT_COMMAND = "derive.cli.all_cmd"
INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C
MIN_COLUMNS = 60  # narrower (COLUMNS=0, a split pane) and tables would drop columns: render at 60, let it wrap


class _Help(Exception):
    """--help was asked for: its text goes out through the command's output, like any result."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing and exiting, so that main() decides what is written where."""

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        raise UsageError(message)

    def print_help(self, file=None) -> None:
        raise _Help(self.format_help())


def _build_parser() -> _Parser:
    parser = _Parser(prog="derive", description="Step-by-step, verified derivations of backpropagation.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = _load(module_name)
        if module is None:
            continue
        command_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        command_parser.set_defaults(module=module)
    return parser


def _load(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:  # command not built yet; a missing dependency inside it still raises
            return None
        raise


def report_error(message: str, code: int = 2) -> int:
    """The one way a command reports an error: one line on stderr (when there is one), and the exit code."""
    line = str(message).splitlines()[0] if str(message).strip() else "bad input"
    if sys.stderr is not None:
        try:
            print(f"derive: error: {line}", file=sys.stderr, flush=True)
        except (OSError, ValueError):
            pass  # stderr is closed or full too: the exit code is all that is left to say it
    return code


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("derive-backprop")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _floor_width() -> None:
    """Rich takes its width from COLUMNS, else from the terminal; a width below MIN_COLUMNS becomes MIN_COLUMNS.

    (Read here without importing rich, so that `derive list` stays cheap.)
    """
    import os

    text = os.environ.get("COLUMNS", "").strip()
    if text:
        width = int(text) if text.isascii() and text.isdigit() else MIN_COLUMNS  # rich ignores what is not a number
    else:
        width = _terminal_width()
    if width < MIN_COLUMNS:
        os.environ["COLUMNS"] = str(MIN_COLUMNS)


def _terminal_width() -> int:
    import os

    for descriptor in (0, 1, 2):
        try:
            return os.get_terminal_size(descriptor).columns
        except OSError:
            continue
    return MIN_COLUMNS


def _run(argv: list[str], out) -> int:
    if not argv:
        return _load(DEFAULT_COMMAND).run(argparse.Namespace(), out)
    args = _build_parser().parse_args(argv)
    if args.version:
        out.write(f"derive {_version()}\n")
        return 0
    if args.command is None:
        raise UsageError(f"choose a command: {', '.join(COMMANDS)}")
    return args.module.run(args, out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if sys.stdout is None:  # started with stdout closed (`>&-`): there is nowhere to put a result
        return report_error("standard output is closed: give the command somewhere to write (a file or a pipe)")
    out = Output(sys.stdout)
    _floor_width()
    try:
        try:
            code = _run(argv, out)
        except _Help as shown:
            out.write(str(shown))
            code = 0
        out.flush()
        return code
    except UsageError as error:
        return report_error(str(error), 2)
    except CheckFailure as error:
        return report_error(str(error), 1)
    except OutputError as error:
        silence(sys.stdout)
        if error.errno == errno.EPIPE:  # the reader went away (`derive | head`): nothing more to say
            return 0
        return report_error(f"cannot write to standard output: {error.strerror or error}", 2)
    except KeyboardInterrupt:
        return INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
