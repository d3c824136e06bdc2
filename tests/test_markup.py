"""The terminal shows math as written: no [ … ] of a formula, a note or a user's text is read as rich markup."""

import functools
import io
import re

import pytest
from rich.console import Console

from derive import functions
from derive.cli.output import emit_show
from derive.derivations import ids
from derive.printing import to_text
from derive.render import run
from derive.render.text import STYLES, derivation_renderable

WIDTH = 100
PAIRS = [(o, c) for o in functions.OUTPUTS for c in functions.COSTS if functions.resolve_cost(o, c) == c]
_ACTIVATIONS = list(functions.ACTIVATIONS)
# every id as `derive show ID` builds it, bp1 at every output/cost pair, bp2 at every activation, and backprop
# with two different hidden activations (its steps are bp1's and bp2's, already covered one by one)
CASES = ([(id_, ()) for id_ in ids()]
         + [("bp1", (("output", o), ("cost", c))) for o, c in PAIRS]
         + [("bp2", (("hidden", (h,)),)) for h in _ACTIVATIONS]
         + [("backprop", (("output", "sigmoid"), ("cost", "binary-cross-entropy"), ("hidden", ("tanh", "relu"))))])


def _case_id(id_, options) -> str:
    values = [value if isinstance(value, str) else "+".join(value) for value in dict(options).values()]
    return "-".join([id_, *values])


@functools.lru_cache(maxsize=None)
def report_of(id_, options):
    return run(id_, None if id_ in ("bp1", "bp2", "bp3", "bp4", "backprop") else 3, **dict(options))


def shown(report, style, monkeypatch) -> str:
    """What `derive show … --style STYLE` writes at WIDTH columns, colour off (the command's own output path)."""
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    emit_show(report, "text", out, style=style)
    return out.getvalue()


def _squashed(text: str) -> str:
    return "".join(text.split())


def _pieces(derivation):
    """Every text of the derivation that the terminal prints: title, claim, assumptions, steps, rule names, notes."""
    from derive.rules import rule

    yield derivation.title
    yield f"{to_text(derivation.lhs)} = {to_text(derivation.result)}"
    yield from derivation.assumptions
    for step in derivation.steps:
        yield from (to_text(step.expr), rule(step.rule).title, step.note or "")


@pytest.mark.parametrize("id_, options", CASES, ids=[_case_id(*case) for case in CASES])
def test_every_bracket_of_the_plain_text_reaches_the_terminal(id_, options, monkeypatch):
    report = report_of(id_, options)
    linear = _squashed(shown(report, "linear", monkeypatch))
    brackets = sorted({found for piece in _pieces(report.derivation) for found in re.findall(r"\[[^\[\]]*\]", piece)})
    assert [found for found in brackets if _squashed(found) not in linear] == []
    for style in STYLES:  # and nothing at all is read as markup: the same text as with markup switched off
        reference = Console(file=io.StringIO(), width=WIDTH, color_system=None, markup=False)
        reference.print(derivation_renderable(report, style))
        assert shown(report, style, monkeypatch) == reference.file.getvalue()
