"""The `derive` command: parse, call the library, render once; every error leaves through `_fail`."""

from __future__ import annotations

import argparse
import importlib
import sys

from derive.errors import UsageError

__all__ = ["main"]

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


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        raise UsageError(message)


def _build_parser() -> _Parser:
    parser = _Parser(prog="derive", description="Step-by-step, verified derivations of backpropagation.")
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


def _fail(message: str) -> int:
    print(f"derive: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if not argv:
            return _load(DEFAULT_COMMAND).run(argparse.Namespace(), sys.stdout)
        args = _build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError(f"choose a command: {', '.join(COMMANDS)}")
        return args.module.run(args, sys.stdout)
    except UsageError as error:
        return _fail(str(error).splitlines()[0] if str(error) else "bad input")
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
