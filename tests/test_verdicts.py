"""Verdicts stay honest: caches key on everything that changes a result, and closing lines count properly."""

import dataclasses

from derive.backprop import bp1
from derive.backprop.verify import prove


def test_a_proof_is_not_reused_for_other_definitions():
    derivation = bp1()
    other = dataclasses.replace(derivation, definitions={**derivation.definitions, "output": "sigmoid",
                                                         "cost": "quadratic"})
    assert derivation == other  # why the key needs more than the derivation
    assert prove(derivation).passed
    assert not prove(other).passed  # softmax steps under a sigmoid + quadratic output do not hold
    assert prove(derivation).passed


def test_the_closing_line_counts_properly():
    from types import SimpleNamespace

    from derive.cli.output import summary

    right, wrong = SimpleNamespace(passed=True), SimpleNamespace(passed=False)
    assert [summary(reports) for reports in ([right], [wrong], [right, right], [right, wrong, wrong])] == [
        "[bold green]The check passed.[/]", "[bold red]The check failed.[/]", "[bold green]All 2 checks passed.[/]",
        "[bold red]2 of 3 checks failed.[/]"]
