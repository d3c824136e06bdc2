"""`derive list`: the derivations (ids and titles), then the table's activations, outputs and costs in groups."""

HELP = "list the derivations, and the activations, outputs and costs of the function table"
FORMATS = ("text", "json")
_GROUPS = (("activations", "activation"), ("outputs", "output"), ("costs", "cost"))


def add_arguments(parser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")


def listing() -> dict:
    """{"derivations": [{"id", "title"}...], "activations": [...], "outputs": [...], "costs": [...]}"""
    from derive import functions
    from derive.catalogue import CATALOGUE

    found = {"derivations": [{"id": e.id, "title": e.title} for e in CATALOGUE.values()]}
    found.update({group: functions.names(kind) for group, kind in _GROUPS})
    return found


def run(args, out) -> int:
    if args.format == "json":
        import json

        print(json.dumps(listing(), ensure_ascii=False), file=out)
        return 0
    from derive import functions

    found = listing()
    width = max(len(d["id"]) for d in found["derivations"])
    print("derivations", file=out)
    for derivation in found["derivations"]:
        print(f"  {derivation['id']:<{width}}  {derivation['title']}", file=out)
    lookups = {"activations": functions.activation, "outputs": functions.output, "costs": functions.cost}
    for group, _ in _GROUPS:
        print(f"\n{group}", file=out)
        entries = [lookups[group](name) for name in found[group]]
        name_width = max(len(e.id) for e in entries)
        for e in entries:
            defaults = ", ".join(f"{p.name} = {p.default:g}" for p in e.parameters)
            print(f"  {e.id:<{name_width}}  {e.notation}" + (f"  ({defaults})" if defaults else ""), file=out)
    return 0
