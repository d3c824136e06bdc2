"""`derive` with no arguments: every derivation step by step (general case), then the table of all checks."""

import argparse

HELP = "every derivation, step by step, and the checks"


def run(args, out) -> int:
    from rich.console import Console

    from derive.cli.check_cmd import plan_reports
    from derive.derivations import seed_ids as ids  # the default run stays the seeds' network
    from derive.render.text import checks_table

    console = Console(file=out)
    check_args = argparse.Namespace(classes=None, general=False, seed=0)
    reports = list(plan_reports(ids(), check_args, {}))
    shown = [report for report in reports if report.derivation.classes is None]
    for report in shown:
        console.print(report)
    console.print(checks_table(reports))
    passed = all(report.passed for report in reports)
    from derive.cli.output import summary

    console.print(summary(reports))
    return 0 if passed else 1
