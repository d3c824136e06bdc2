"""`derive codegen ID`: a numerically stable numpy module generated from a derivation, checked before it is written."""

from __future__ import annotations

import shlex

from derive.cli.options import add_network_options, add_scale_options, network_options

HELP = "write a readable, numerically stable numpy module generated from a derivation (stdout or -o FILE)"

__all__ = ["HELP", "add_arguments", "run"]


def add_arguments(parser) -> None:
    parser.add_argument("id", metavar="ID", help="softmax-jacobian, cross-entropy-delta, bp1, backprop, sigmoid, "
                        "softmax-diagonal, softmax-off-diagonal, negative-log-likelihood, an activation of the "
                        "table (tanh, relu, ...) or an expression in z")
    add_scale_options(parser, general=False)
    add_network_options(parser)
    parser.add_argument("-o", "--file", metavar="FILE", help="write the module to FILE (atomically); default: stdout")
    parser.add_argument("--no-check", action="store_true",
                        help="skip running the generated functions against the derived expressions before writing")


def run(args, out) -> int:
    """The library validates the id and the options; a generated module that fails its check raises CheckFailure."""
    from derive.atomic import write_atomically, writable_file
    from derive.codegen import generate_module
    from derive.codegen.check import check_source

    target = writable_file(args.file) if args.file is not None else None
    options = network_options(args)
    source = generate_module(args.id, args.classes, command=_command(args.id, args.classes, options), **options)
    if not args.no_check:
        check_source(source, args.id, args.classes, **options)
    if target is None:
        out.write(source)
    else:
        write_atomically(target, source)
    return 0


def _command(id_: str, classes, options) -> str:
    """The command line that regenerates the module, named in its header."""
    flags = [f"--classes {classes}"] if classes is not None else []
    for name, value in options.items():
        if value is None:
            continue
        if name == "hidden":  # repeated once per hidden layer
            flags += [f"--hidden {shlex.quote(item)}" for item in value]
        else:
            flags.append(f"--{name.replace('_', '-')} {','.join(map(str, value)) if isinstance(value, tuple) else value}")
    return " ".join(["derive codegen", shlex.quote(id_), *flags])
