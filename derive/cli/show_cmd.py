"""`derive show ID`: one derivation, step by step, each step with its verdict."""

from derive.cli.options import add_network_options, add_scale_options, add_seed_option

HELP = "print one derivation step by step, every step verified"
FORMATS = ("text", "latex", "markdown", "html", "json")


def add_arguments(parser) -> None:
    parser.add_argument("id", metavar="ID", help="a derivation id (see `derive list`)")
    add_scale_options(parser, general=True)
    add_network_options(parser)
    add_seed_option(parser)
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    parser.add_argument("--style", choices=("2d", "linear"), default=None,
                        help="with --format text: math drawn in two dimensions (default), or on one line")
    parser.add_argument("--notation", choices=("ours", "qa"), default="ours",
                        help="qa: the Q&A's symbols and steps (negative-log-likelihood only)")
    parser.add_argument("--standalone", action="store_true", help="with --format latex: a complete document")


def run(args, out) -> int:
    from derive.cli.options import classes_of, network_options
    from derive.cli.output import emit_show
    from derive.derivations import DEFAULT_CLASSES, entry
    from derive.errors import UsageError
    from derive.render import run as run_report

    if args.notation == "qa":
        if args.id not in ("negative-log-likelihood", "negative-log-likelihood-qa"):
            raise UsageError(f"--notation qa applies to negative-log-likelihood, not {args.id}")
        args.id = "negative-log-likelihood-qa"
    found = entry(args.id)
    if args.standalone and args.format != "latex":
        raise UsageError("--standalone goes with --format latex")
    if args.style is not None and args.format != "text":
        raise UsageError("--style goes with --format text")
    report = run_report(args.id, classes_of(args, found, DEFAULT_CLASSES), seed=args.seed, **network_options(args))
    emit_show(report, args.format, out, standalone=args.standalone, style=args.style or "2d")
    return 0 if report.passed else 1
