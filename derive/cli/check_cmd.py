"""`derive check [ID ...]`: run the verification; exit 0 when everything passes, 1 when anything fails."""

from derive.cli.options import add_network_options, add_scale_options, add_seed_option

HELP = "verify derivations symbolically and numerically (exit 0: all pass, 1: a failure)"


def add_arguments(parser) -> None:
    parser.add_argument("ids", metavar="ID", nargs="*", help="derivation ids (default: all)")
    add_scale_options(parser, general=True)
    add_network_options(parser)
    add_seed_option(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="also draw the finite-difference error against the step size (needs the plot extra)")


def run(args, out) -> int:
    from derive.cli.options import network_options
    from derive.cli.output import emit_check
    from derive.derivations import ids

    chosen = list(dict.fromkeys(args.ids)) or ids()  # an id named twice is checked once
    if args.plot is not None:
        from derive.render.plot import plot_target

        plot_target(chosen, args.plot)  # everything that can be wrong with --plot, found before any work
    reports = list(plan_reports(chosen, args, network_options(args), strict=bool(args.ids)))
    if args.plot is None:
        emit_check(reports, args.format, out)
    else:  # the result is printed once the PNG is staged: a write or a stdout that fails leaves no plot behind
        _plot(reports[0], args, ready=lambda: (emit_check(reports, args.format, out), out.flush()))
    return 0 if all(report.passed for report in reports) else 1


def _plot(report, args, ready) -> None:
    from checks.stepsize import step_study
    from derive.render.plot import save_step_size_plot

    save_step_size_plot(step_study(report.derivation, seed=args.seed, classes=args.classes), args.plot, ready)


def plan_reports(chosen, args, options, strict: bool = False):
    """Each id at the scales asked for: --classes K, --general, or by default K = 3 and symbolic K.

    With `strict` (ids named by the user) an option an id does not take is an error; otherwise (every
    derivation) each option goes to the derivations that take it.
    """
    from derive.cli.options import classes_of
    from derive.derivations import DEFAULT_CLASSES, build, entry
    from derive.render.batch import Request, run_all

    entries = [entry(id_) for id_ in chosen]  # every id is checked before any work starts
    explicit = args.classes is not None or args.general
    requests = []
    for found in entries:
        own = options if strict else {name: value for name, value in options.items() if name in found.options}
        if explicit or "classes" not in found.options:
            scales = [classes_of(args, found, DEFAULT_CLASSES, strict)]
        else:
            scales = [DEFAULT_CLASSES, None]
        for classes in scales:
            build(found.id, classes, **own)  # bad options fail here, in this process, before any work
            requests.append(Request(found.id, classes, args.seed, tuple(sorted(own.items()))))
    return run_all(requests)
