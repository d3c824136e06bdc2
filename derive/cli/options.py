"""Options shared by the commands, each parsed into a checked value or a one-line usage error."""

from __future__ import annotations

import argparse
import re

from derive.limits import MAX_CLASSES  # not derive.notation: the parser must not import SymPy

__all__ = ["add_scale_options", "add_network_options", "add_seed_option", "parse_classes", "parse_sizes",
           "parse_seed", "whole_number", "network_options", "classes_of"]

MAX_LAYER_SIZE = 100_000


def whole_number(low: int, high: int | None = None):
    """A parser of whole numbers from low to high, written in ASCII digits (int() would take '١' or '²')."""
    span = f"from {low} to {high}" if high is not None else f"of at least {low}"

    def parse(text: str) -> int:
        if not (text.isascii() and text.strip().isdigit()):
            raise argparse.ArgumentTypeError(f"must be a whole number {span}, got {text!r}")
        value = int(text)
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be a whole number {span}, got {value}")
        return value

    return parse


def parse_classes(text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text.strip()):
        raise argparse.ArgumentTypeError(f"must be an integer from 2 to {MAX_CLASSES}, got {text!r}")
    value = int(text)
    if not 2 <= value <= MAX_CLASSES:
        raise argparse.ArgumentTypeError(f"must be from 2 to {MAX_CLASSES} (the supported maximum), got {value}")
    return value


def parse_sizes(text: str) -> tuple[int, ...]:
    """'784,30,10' -> (784, 30, 10): at least two layers, each a whole number from 1 to MAX_LAYER_SIZE."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) < 2:
        raise argparse.ArgumentTypeError(f"needs at least two layer sizes, like 784,30,10; got {text!r}")
    sizes = []
    for part in parts:
        if not (part.isascii() and part.isdigit()):
            raise argparse.ArgumentTypeError(f"layer sizes must be whole numbers separated by commas, got {part!r}")
        if not 1 <= int(part) <= MAX_LAYER_SIZE:
            raise argparse.ArgumentTypeError(f"each layer size must be from 1 to {MAX_LAYER_SIZE}, got {int(part)}")
        sizes.append(int(part))
    return tuple(sizes)


def parse_weight_decay(text: str) -> float:
    if not text.isascii():  # float() reads other scripts' digits; every number here is ASCII
        raise argparse.ArgumentTypeError(f"must be a number >= 0 in ASCII digits, like 0.01; got {text!r}")
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, like 0.01; got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


parse_seed = whole_number(0, 2**32 - 1)  # numpy's seeds


def add_scale_options(parser: argparse.ArgumentParser, general: bool) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--classes", "-K", type=parse_classes, metavar="K",
                       help=f"number of softmax classes, 2..{MAX_CLASSES}")
    if general:
        group.add_argument("--general", action="store_true", help="the general case with a symbolic K")


def add_network_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", type=parse_sizes, metavar="N0,N1,...",
                        help="layer sizes of a concrete network (backprop derivations); symbolic by default")
    # The names are the table's (derive/functions.py); the library validates them, so parsing stays free of SymPy.
    parser.add_argument("--output", metavar="NAME", help="output layer of bp1 and backprop (default softmax)")
    parser.add_argument("--cost", metavar="NAME", help="cost of bp1 and backprop (default cross-entropy)")
    parser.add_argument("--weight-decay", type=parse_weight_decay, metavar="LAMBDA", dest="weight_decay",
                        help="L2 penalty (λ/2) Σ ‖W^l‖² added to the cost: BP4 gains λ W^l (bp4 and backprop)")
    parser.add_argument("--hidden", action="append", metavar="ACTIVATION",
                        help="hidden activation of bp2 and backprop (default sigmoid): a name of the table or an "
                             "expression in z; repeat once per hidden layer to give each its own")


def add_seed_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=parse_seed, default=0, metavar="N", help="seed of the random points (default 0)")


def network_options(args) -> dict:
    hidden = getattr(args, "hidden", None)
    return {name: getattr(args, name, None) for name in ("sizes", "output", "cost", "weight_decay")} | {
        "hidden": tuple(hidden) if hidden else None}


def classes_of(args, entry, default: int | None, strict: bool = True) -> int | None:
    """The class count to build with: --classes K, None for --general, else `default`.

    Whether the id takes classes at all, and the error when it does not, is the library's to say.
    """
    from derive.derivations import classes_for

    general, asked = getattr(args, "general", False), getattr(args, "classes", None)
    if strict:
        classes_for(entry.id, asked, strict=True, general=general)
    return classes_for(entry.id, None if general else default if asked is None else asked, strict=False)
