"""`derive export --all -o DIR`: every derivation as a LaTeX document and a Markdown file."""

HELP = "write derivations as LaTeX (.tex, compiles with pdflatex) and Markdown (.md) files"


def add_arguments(parser) -> None:
    parser.add_argument("ids", metavar="ID", nargs="*", help="derivation ids (or --all)")
    parser.add_argument("--all", action="store_true", help="every derivation")
    parser.add_argument("-o", "--output-dir", required=True, metavar="DIR", help="an existing folder to write into")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--classes", "-K", type=_classes, metavar="K", help="number of classes (default: symbolic K)")


def _classes(text):
    from derive.cli.options import parse_classes

    return parse_classes(text)


def run(args, out) -> int:
    from pathlib import Path

    from derive.derivations import ids
    from derive.errors import UsageError
    from derive.render.export import export

    if bool(args.ids) == bool(args.all):
        raise UsageError("name the derivations to export, or give --all (not both)")
    folder = Path(args.output_dir)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{args.output_dir!r} is a file, not a folder: give the folder to write into")
    if not folder.is_dir():
        raise UsageError(f"output folder {args.output_dir!r} does not exist; create it first")
    written, passed = export(args.ids or ids(), folder, args.classes, strict=bool(args.ids))
    for path in written:
        print(path, file=out)
    return 0 if passed else 1
