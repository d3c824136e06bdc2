"""`derive gradcheck FILE.py`: check the loss, grad and params defined in a person's own file, without a test."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import warnings
from pathlib import Path

from derive.cli.options import parse_classes, parse_seed, whole_number
from derive.errors import UsageError

HELP = ("check the hand-written gradient in FILE.py (its loss, grad and params, or its forward, backward and inputs "
        "name by name); exit 0 if right, 1 if wrong, 2 if the loss is not differentiable at the point")

__all__ = ["HELP", "add_arguments", "run"]


def add_arguments(parser) -> None:
    parser.add_argument("file", metavar="FILE.py", help="a Python file defining loss(params), grad(params), params, "
                                                        "or inputs, forward(...) and backward(v)")
    parser.add_argument("--loss", default="loss", metavar="NAME", help="name of the loss function (default: loss)")
    parser.add_argument("--grad", default="grad", metavar="NAME", help="name of the gradient function (default: grad)")
    parser.add_argument("--params", default="params", metavar="NAME",
                        help="name of the parameters: a list of arrays, or a function returning one (default: params)")
    parser.add_argument("--method", default="auto", choices=["auto", "complex", "central", "richardson"],
                        help="how the numeric derivative is taken: complex step (exact to rounding), central "
                        "differences, or Richardson extrapolation; auto: complex step when the loss is complex-safe, "
                        "else central (default: auto)")
    parser.add_argument("--mode", default="auto", choices=["auto", "full", "fast"],
                        help="full: every coordinate; fast: random probes per tensor, then bisection to the wrong "
                        "entries; auto: full up to 1,000 parameters (default: auto)")
    parser.add_argument("--seed", type=parse_seed, default=0, metavar="N",
                        help="seed of the random probe directions (default: 0)")
    parser.add_argument("--batch-size", type=whole_number(1), default=None, metavar="N",
                        help="lets a factor equal to the batch size be named")
    parser.add_argument("--classes", type=parse_classes, default=None, metavar="K",
                        help="lets a factor equal to K be named")
    # A file defining forward and backward is checked name by name (checks.backward).
    for option, what in (("forward", "forward(...)"), ("backward", "backward(v)"), ("inputs", "the inputs dict")):
        parser.add_argument(f"--{option}", default=None, metavar="NAME",
                            help=f"name of {what} in a forward/backward file (default: {option})")
    parser.add_argument("--format", default="text", choices=["text", "json"],
                        help='json for scripts: {"passed", "verdict", "error", "tensors", "mistakes"} for loss/grad '
                             'files, {"passed", "first_wrong", "nodes"} for forward/backward files')


def _source(file: str) -> Path:
    path = Path(file)
    if path.suffix != ".py":
        raise UsageError(f"{file!r} is not a Python file: give a FILE.py that defines loss, grad and params")
    if path.is_dir():
        raise UsageError(f"{file} is a folder: give a FILE.py that defines loss, grad and params")
    if path.exists() and not path.is_file():
        raise UsageError(f"cannot read {file}: it is not a regular file (a device or a pipe)")
    if not path.is_file():
        raise UsageError(f"no such file: {file}")
    return path.resolve()  # absolute: the person's code may change the working folder


def _load(path: Path):
    """Execute the person's file as a module (its own folder importable while it runs)."""
    spec = importlib.util.spec_from_file_location(f"_derive_gradcheck_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    saved = list(sys.path)
    sys.path.insert(0, str(path.parent))
    sys.dont_write_bytecode = True  # a check writes nothing into the person's folder (no __pycache__)
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # the person's code, sys.exit() included: bad input, reported in one line
        raise UsageError(f"{path}: {_one_line(error)} while it was being loaded") from None
    finally:
        sys.path[:] = saved  # as it was, whatever the person's code did to it
    return module


def _one_line(error: BaseException) -> str:
    try:
        text = str(error).splitlines()[0] if str(error) else ""
    except Exception:  # noqa: BLE001 - the person's exception may fail to print itself
        text = ""
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
    """Load and check the person's file in a child process (derive.cli.isolated), then print its report here."""
    from derive.cli.isolated import run_isolated
    from derive.cli.output import console_for

    path = _source(args.file)
    console = console_for(out)
    code, text = run_isolated(lambda: _check(path, args, console), what=str(args.file))
    out.write(text)
    return code


def _check(path: Path, args, console) -> tuple[int, str]:
    """(exit code, the report rendered as asked, by `console`, which writes nowhere); runs the person's code."""
    # Imported before the person's code can change sys.path.
    from checks.backward import check_backward  # noqa: F401
    from checks.gradcheck import gradcheck  # noqa: F401

    # With --format json, stdout carries the document alone: what the person's code prints goes to stderr.
    # Probes perturb values far from where the code was written for: numpy's overflow and divide warnings there
    # are noise on stderr (what is not finite is judged or refused by the checker), so they are not shown.
    with contextlib.redirect_stdout(sys.stderr) if args.format == "json" else contextlib.nullcontext(), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        module = _load(path)
        if _backward_mode(module, args):
            report = _check_backward(module, path, args)
            document = report.as_json
        else:
            report = _check_gradients(module, path, args)
            document = report.to_json
    # A kink (gradcheck's not-differentiable verdict) says nothing about the gradient: exit 2, never 1.
    code = 0 if report.passed else (2 if getattr(report, "inconclusive", False) else 1)
    if args.format == "json":
        import json

        return code, json.dumps(document(), ensure_ascii=False, indent=2) + "\n"
    with console.capture() as captured:
        console.print(report)
    return code, captured.get()


def _check_gradients(module, path: Path, args):
    from checks.gradcheck import gradcheck

    loss, grad, params = _functions_and_params(module, path, args)
    try:
        report = gradcheck(loss, grad, params, method=args.method, mode=args.mode, seed=args.seed,
                           batch_size=args.batch_size, classes=args.classes)
    except ValueError as error:  # wrong shapes or types, from the checker or from the person's code
        raise UsageError(f"{path}: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
                         f"{_line_in(error, path)}") from None
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # raised inside the person's loss or grad, sys.exit() included
        raise UsageError(f"{path}: calling {args.loss}/{args.grad} raised {_one_line(error)}"
                         f"{_line_in(error, path)}") from None
    return report


def _line_in(error: BaseException, path: Path) -> str:
    """' (line N)': the person's line the error came from, as forward/backward mode names it (one helper)."""
    from checks.backward import failing_line

    return failing_line(error, path)


def _backward_mode(module, args) -> bool:
    """--forward/--backward/--inputs ask for it; otherwise a file defining forward and backward, unless
    --loss/--grad/--params name the loss/grad mode's functions."""
    if any(getattr(args, option) is not None for option in ("forward", "backward", "inputs")):
        return True  # an empty name too: _lookup refuses it rather than falling back to the default
    loss_mode_named = (args.loss, args.grad, args.params) != ("loss", "grad", "params")
    return not loss_mode_named and all(hasattr(module, name) for name in ("forward", "backward"))


def _check_backward(module, path: Path, args):
    """The forward/backward mode: look the three names up and check them name by name."""
    from checks.backward import BackwardError, check_backward

    for option, given in (("--mode", args.mode != "auto"), ("--batch-size", args.batch_size is not None),
                          ("--classes", args.classes is not None)):
        if given:
            raise UsageError(f"{option} applies to loss/grad files, not to a forward/backward file")
    forward, backward, inputs = (_lookup(module, path, option if getattr(args, option) is None
                                         else getattr(args, option), option)
                                 for option in ("forward", "backward", "inputs"))
    try:
        report = check_backward(forward, backward, inputs, method=args.method, seed=args.seed)
    except BackwardError as error:
        raise UsageError(f"{path}: {error}") from None
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # raised inside the person's forward, backward or inputs, sys.exit() included
        raise UsageError(f"{path}: running forward/backward raised {_one_line(error)}"
                         f"{_line_in(error, path)}") from None
    return report
