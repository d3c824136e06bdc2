"""`derive codegen ID`: a numerically stable numpy module generated from a derivation, checked before it is written."""

from __future__ import annotations

import difflib
import os
import shlex
from pathlib import Path

from derive.cli.options import add_network_options, add_scale_options
from derive.errors import UsageError

HELP = "write a readable, numerically stable numpy module generated from a derivation (stdout or -o FILE)"

__all__ = ["HELP", "add_arguments", "run"]


def add_arguments(parser) -> None:
    parser.add_argument("id", metavar="ID", help="softmax-jacobian, cross-entropy-delta, backprop, sigmoid, "
                        "softmax-diagonal, softmax-off-diagonal or negative-log-likelihood")
    add_scale_options(parser, general=False)
    add_network_options(parser)
    parser.add_argument("-o", "--file", metavar="FILE", help="write the module to FILE (atomically); default: stdout")
    parser.add_argument("--no-check", action="store_true",
                        help="skip running the generated functions against the derived expressions before writing")


def run(args, out) -> int:
    from derive.codegen import SUPPORTED
    from derive.derivations import entry

    _known(args.id, SUPPORTED)
    found = entry(args.id)  # an id, an activation of the table or an expression in z
    if found.function is not None:
        return _activation(found, args, out)
    if args.id not in SUPPORTED:
        raise UsageError(f"codegen does not support {args.id}; it supports: {', '.join(SUPPORTED)}")
    target = _target(args.file)
    names = ("sizes", "output", "cost", "hidden", "weight_decay")
    options = {name: getattr(args, name, None) for name in names if name in found.options}
    if options.get("hidden"):
        options["hidden"] = tuple(options["hidden"])
    for name in names:
        if getattr(args, name, None) is not None and name not in found.options:
            raise UsageError(f"--{name} does not apply to {args.id}")
    classes = _classes(args, found)
    source = _generate(args.id, classes, options)
    if not args.no_check:
        failed = _failures(args.id, classes, options, source)
        if failed:
            print(f"derive: generated code does not match the derivation: {failed}", file=_stderr())
            return 1
    if target is None:
        out.write(source)
    else:
        _write_atomically(target, source)
    return 0


def _known(id_: str, supported) -> None:
    """An unknown id that is not an expression: one line naming what codegen takes (did you mean ...?)."""
    from derive.derivations import CATALOGUE
    from derive.expressions import looks_like_expression

    if id_ not in CATALOGUE and not looks_like_expression(id_):
        from derive import functions

        choices = [*supported, *(name for name in functions.ACTIVATIONS if name not in supported)]
        close = difflib.get_close_matches(id_, choices, n=1)
        raise UsageError(f"unknown derivation {id_!r}; " + (f"did you mean {close[0]}?" if close else
                         f"codegen supports: {', '.join(choices)}, or an expression in z"))


def _activation(found, args, out) -> int:
    """f(z) and f'(z) for an activation: f' printed from the derivation, checked against the definition."""
    from derive.codegen import load_module
    from derive.codegen.activation import activation_source, check_activation_module
    from derive.derivations import build

    for name in ("sizes", "output", "cost", "classes"):
        if getattr(args, name, None) is not None:
            raise UsageError(f"--{name} does not apply to the activation {found.id}")
    target = _target(args.file)
    source = activation_source(found.function, build(found.id), command=f"derive codegen {shlex.quote(found.id)}")
    if not args.no_check:
        failed = [c for c in check_activation_module(load_module(source, "activation"), found.function) if not c.passed]
        if failed:
            print("derive: generated code does not match the derivation: " + "; ".join(
                f"{c.function}: relative error {c.max_rel_error:.1e}, finite at |z| = 1000: {c.finite_at_extremes}"
                for c in failed), file=_stderr())
            return 1
    if target is None:
        out.write(source)
    else:
        _write_atomically(target, source)
    return 0


def _classes(args, found) -> int | None:
    from derive.derivations import validate_classes

    if getattr(args, "classes", None) is not None and "classes" not in found.options:
        raise UsageError(f"--classes does not apply to {found.id}: its output size is the last of --sizes")
    validate_classes(args.classes)
    return args.classes


def _generate(id_: str, classes, options) -> str:
    from derive.codegen import generate_module

    command = " ".join(["derive codegen", id_] + ([f"--classes {classes}"] if classes is not None else [])
                       + [_flag(name, value) for name, value in options.items() if value is not None])
    return generate_module(id_, classes, command=command, **options)


def _flag(name: str, value) -> str:
    if name == "hidden":  # repeated once per hidden layer
        return " ".join(f"--hidden {shlex.quote(v)}" for v in value)
    name = name.replace("_", "-")
    return f"--{name} {','.join(map(str, value)) if isinstance(value, tuple) else value}"


def _failures(id_: str, classes, options, source: str) -> str:
    """'' when every generated function agrees with its derived expression and stays finite, else what failed."""
    from derive.codegen import load_module
    from derive.codegen.check import check_generated

    module = load_module(source, id_.replace("-", "_"))
    if id_ in ("bp1", "backprop"):
        from derive.codegen.network import check_network

        checks = check_network(module, id_, **options)
    else:
        from derive.derivations import build

        checks = check_generated(module, build(id_, classes, **options))
    return "; ".join(f"{c.function}: relative error {c.max_rel_error:.1e}, finite at |z| = 1000: {c.finite_at_extremes}"
                     for c in checks if not c.passed)


def _target(name: str | None) -> Path | None:
    """The file to write, checked before any work: its directory must exist, and it must not be a directory."""
    if name is None:
        return None
    path = Path(name)
    if path.is_dir():
        raise UsageError(f"cannot write {name}: it is a directory")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {name}: directory {str(path.parent)!r} does not exist")
    return path


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: the file is whole or untouched, never half-written."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _stderr():
    import sys

    return sys.stderr
