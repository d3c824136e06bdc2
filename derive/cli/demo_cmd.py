"""`derive demo`: the diagonal-only softmax delta in training, its symptom, and check_delta naming it."""

from __future__ import annotations

from derive.cli.options import parse_seed
from derive.errors import UsageError

HELP = ("train with the diagonal-only softmax delta, with a - y and with two other mistakes, show the symptom, and "
        "let check_delta name the mistake")

__all__ = ["HELP", "add_arguments", "run"]


def add_arguments(parser) -> None:
    parser.add_argument("--seed", type=parse_seed, default=0, metavar="N",
                        help="seed of the data, the weights and the order (default: 0)")
    parser.add_argument("--classes", type=int, default=4, help="number of classes K, 2 to 10 (default: 4)")
    parser.add_argument("--epochs", type=int, default=3, help="training epochs, 1 to 20 (default: 3)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")


def run(args, out) -> int:
    if not 2 <= args.classes <= 10:
        raise UsageError(f"--classes {args.classes} is out of range: choose K from 2 to 10")
    if not 1 <= args.epochs <= 20:
        raise UsageError(f"--epochs {args.epochs} is out of range: choose 1 to 20")
    from checks.demo import run_demo

    demo = run_demo(seed=args.seed, classes=args.classes, epochs=args.epochs)
    if args.format == "json":
        import json

        out.write(json.dumps(demo.to_json(), indent=2) + "\n")
        return 0
    from rich.console import Console

    Console(file=out).print(demo)
    return 0
