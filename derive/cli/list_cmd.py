"""`derive list`: the ids and titles of every derivation."""

HELP = "list the derivations: ids and titles"


def add_arguments(parser) -> None:
    pass


def run(args, out) -> int:
    from derive.derivations import CATALOGUE

    width = max(len(name) for name in CATALOGUE)
    for entry in CATALOGUE.values():
        print(f"{entry.id:<{width}}  {entry.title}", file=out)
    return 0
