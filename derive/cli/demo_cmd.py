"""`derive demo`: the diagonal-only softmax delta in training, its symptom, and check_delta naming it."""

from __future__ import annotations

from derive.cli.options import parse_seed, whole_number

HELP = ("train with the diagonal-only softmax delta, with a - y and with two other mistakes, show the symptom, and "
        "let check_delta name the mistake")

__all__ = ["HELP", "add_arguments", "run"]


def add_arguments(parser) -> None:
    parser.add_argument("--seed", type=parse_seed, default=0, metavar="N",
                        help="seed of the data, the weights and the order (default: 0)")
    parser.add_argument("--classes", type=whole_number(2, 10), default=4, metavar="K",
                        help="number of classes K, 2 to 10 (default: 4)")
    parser.add_argument("--epochs", type=whole_number(1, 20), default=3, metavar="N",
                        help="training epochs, 1 to 20 (default: 3)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")


def run(args, out) -> int:
    from checks.demo import run_demo

    demo = run_demo(seed=args.seed, classes=args.classes, epochs=args.epochs)
    if args.format == "json":
        import json

        out.write(json.dumps(demo.to_json(), indent=2) + "\n")
        return 0
    from rich.console import Console

    Console(file=out).print(demo)
    return 0
