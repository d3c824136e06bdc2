"""`derive export --all -o DIR`: every derivation as a LaTeX document and a Markdown file."""

HELP = ("write derivations as LaTeX (.tex, compiles with pdflatex), Markdown (.md) and HTML (.html, with an "
        "index.html) files")


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
    from derive.derivations import ids
    from derive.errors import UsageError
    from derive.render.export import export

    if bool(args.ids) == bool(args.all):
        raise UsageError("name the derivations to export, or give --all (not both)")
    _, passed = export(args.ids or ids(), args.output_dir, args.classes, strict=bool(args.ids),
                       ready=lambda paths: _list(paths, out))
    return 0 if passed else 1


def _list(paths, out) -> None:
    """The files about to be written, printed and flushed first: a stdout that fails stops the export."""
    out.write("".join(f"{path}\n" for path in paths))
    out.flush()
