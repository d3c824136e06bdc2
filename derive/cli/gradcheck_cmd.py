"""`derive gradcheck FILE.py`: check the loss, grad and params defined in a person's own file, without a test."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from pathlib import Path

from derive.cli.options import parse_classes, parse_seed
from derive.errors import UsageError

HELP = "check the hand-written gradient in FILE.py (its loss, grad and params); exit 0 if right, 1 if wrong"

__all__ = ["HELP", "add_arguments", "run"]


def add_arguments(parser) -> None:
    parser.add_argument("file", metavar="FILE.py", help="a Python file defining loss(params), grad(params), params")
    parser.add_argument("--loss", default="loss", metavar="NAME", help="name of the loss function (default: loss)")
    parser.add_argument("--grad", default="grad", metavar="NAME", help="name of the gradient function (default: grad)")
    parser.add_argument("--params", default="params", metavar="NAME",
                        help="name of the parameters: a list of arrays, or a function returning one (default: params)")
    parser.add_argument("--method", default="auto", choices=["auto", "complex", "central", "richardson"])
    parser.add_argument("--mode", default="auto", choices=["auto", "full", "fast"])
    parser.add_argument("--seed", type=parse_seed, default=0, metavar="N",
                        help="seed of the random probe directions (default: 0)")
    parser.add_argument("--batch-size", type=_positive, default=None, metavar="N",
                        help="lets a factor equal to the batch size be named")
    parser.add_argument("--classes", type=parse_classes, default=None, metavar="K",
                        help="lets a factor equal to K be named")
    parser.add_argument("--format", default="text", choices=["text", "json"],
                        help='text: the report; json: {"passed", "error", "tensors", "mistakes"} for scripts')


def _positive(text: str) -> int:
    import argparse

    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def _source(file: str) -> Path:
    path = Path(file)
    if path.suffix != ".py":
        raise UsageError(f"{file} is not a Python file: give a FILE.py that defines loss, grad and params")
    if not path.is_file():
        raise UsageError(f"no such file: {file}")
    return path


def _load(path: Path):
    """Execute the person's file as a module (its own folder importable while it runs)."""
    spec = importlib.util.spec_from_file_location(f"_derive_gradcheck_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # the person's code, sys.exit() included: bad input, reported in one line
        raise UsageError(f"{path}: {_one_line(error)} while it was being loaded") from None
    finally:
        sys.path.remove(str(path.resolve().parent))
    return module


def _one_line(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    if isinstance(error, SyntaxError) and error.lineno:
        text = f"{error.msg} (line {error.lineno})"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _lookup(module, path: Path, name: str, option: str):
    if not name.isidentifier():
        raise UsageError(f"--{option} {name!r} is not a Python name")
    if not hasattr(module, name):
        defined = sorted(n for n in vars(module) if not n.startswith("_"))
        listing = ", ".join(defined) or "nothing"
        raise UsageError(f"{path} defines no {name!r} (give --{option} NAME; it defines: {listing})")
    return getattr(module, name)


def _functions_and_params(module, path: Path, args):
    loss, grad = _lookup(module, path, args.loss, "loss"), _lookup(module, path, args.grad, "grad")
    for name, value, option in ((args.loss, loss, "loss"), (args.grad, grad, "grad")):
        if not callable(value):
            raise UsageError(f"{path}: {name} is not a function (--{option} must name a function)")
    params = _lookup(module, path, args.params, "params")
    if callable(params):
        try:
            params = params()
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # sys.exit() in the person's code must not pass for a verdict
            raise UsageError(f"{path}: calling {args.params}() raised {_one_line(error)}") from None
    return loss, grad, params


def run(args, out) -> int:
    from rich.console import Console

    path = _source(args.file)
    # With --format json, stdout carries the document alone: what the person's code prints goes to stderr.
    with contextlib.redirect_stdout(sys.stderr) if args.format == "json" else contextlib.nullcontext():
        report = _check(path, args)
    if args.format == "json":
        import json

        out.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        Console(file=out).print(report)
    return 0 if report.passed else 1


def _check(path: Path, args):
    from checks.gradcheck import gradcheck

    module = _load(path)
    loss, grad, params = _functions_and_params(module, path, args)
    try:
        report = gradcheck(loss, grad, params, method=args.method, mode=args.mode, seed=args.seed,
                           batch_size=args.batch_size, classes=args.classes)
    except ValueError as error:  # wrong shapes or types, from the checker or from the person's code
        raise UsageError(f"{path}: {str(error).splitlines()[0] if str(error) else type(error).__name__}") from None
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # raised inside the person's loss or grad, sys.exit() included
        raise UsageError(f"{path}: calling {args.loss}/{args.grad} raised {_one_line(error)}") from None
    return report
