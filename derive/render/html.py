"""Web pages of derivations: native MathML, self-contained (no script, no font or file from the network).

Each step is a row: its verdict (✓/✗), its relation, its math, and beside it the rule's name and note.
Asides (a counterexample, a cross-check) are set apart, in a row of their own style, so they never read as a
link of the chain. The page's Content-Security-Policy forbids every fetch, so it cannot reach the network.
"""

from __future__ import annotations

import re
from html import escape

from derive.render.convention import layout_note
from derive.render.mathml import to_mathml
from derive.render.notes import note_to_html
from derive.render.scale import scale_label
from derive.rules import rule
from derive.steps import EQUAL

__all__ = ["html_page", "html_fragment", "html_index", "inline_style"]

_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'"
_STYLE = """
body { font-family: "DejaVu Serif", Georgia, serif; max-width: 70em; margin: 2em auto; padding: 0 1em;
       color: #111; line-height: 1.45; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
math { font-size: 1.1em; }
table.steps { border-collapse: collapse; }
table.steps td { padding: 0.35em 0.5em; vertical-align: middle; }
td.mark { font-weight: bold; width: 1.2em; } .ok { color: #080; } .bad { color: #b00; }
td.relation { text-align: center; width: 1.5em; }
td.rule { color: #444; font-size: 0.9em; border-left: 1px solid #ddd; }
td.rule .name { font-weight: bold; color: #036; display: block; }
tr.aside td, tr.aside-label td { background: #f6f6f2; font-style: italic; }
tr.aside-label td.rule { border-left: none; }
tr.aside-label td.rule .name::before { content: "aside: "; }
.kronecker { font-weight: bold; font-style: normal; }
mtext.code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em; }
p.layout, p.verdict { font-size: 0.95em; } p.layout { color: #444; }
"""


def html_page(reports, title: str = "Derivations, generated and verified by derive-backprop",
              links: bool = False) -> str:
    """A complete HTML5 document holding the reports, the layout note once at the top; with `links`, a rule that
    cites another derivation ("derivation softmax-jacobian") links to its page, ID.html, beside this one."""
    sections = "\n".join(html_fragment(report, links) for report in reports)
    note = note_to_html(layout_note([report.derivation for report in reports]))
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            f"<h1>{escape(title)}</h1>\n<p class=\"layout\">{note}</p>\n{sections}\n</body>\n</html>\n")


def html_index(pages: list[tuple[str, str]]) -> str:
    """The index page: one link per (file name, title), relative links only."""
    items = "\n".join(f'<li><a href="{escape(name)}">{note_to_html(title)}</a></li>' for name, title in pages)
    return html_page([], title="derive-backprop: derivations").replace(
        "</body>", f"<ul class=\"index\">\n{items}\n</ul>\n</body>")


def inline_style() -> str:
    """The page's style sheet as a <style> element, for a fragment shown inside another page (Jupyter)."""
    return f"<style>{_STYLE}</style>"


def html_fragment(report, links: bool = False) -> str:
    """One derivation as a <section>: heading, claim, assumptions, the steps' table, the closing verdicts."""
    derivation, proof = report.derivation, report.proof
    label = scale_label(derivation)
    heading = f"{note_to_html(derivation.title)}" + (f" <small>({escape(label)})</small>" if label else "")
    claim = to_mathml(_equation(derivation.lhs, derivation.result))
    parts = [f'<section id="{escape(derivation.id)}">', f"<h2>{heading}</h2>",
             f"<p class=\"claim\"><b>Claim.</b> {claim}</p>"]
    if derivation.assumptions:
        items = "".join(f"<li>{note_to_html(assumption)}</li>" for assumption in derivation.assumptions)
        parts.append(f"<p><b>Assumptions.</b></p><ul class=\"assumptions\">{items}</ul>")
    rows = [f'<tr><td class="mark"></td><td class="relation"></td><td class="math">'
            f'{to_mathml(derivation.lhs, "block")}</td><td class="rule"></td></tr>']
    rows += [_row(step, check, links) for step, check in zip(derivation.steps, proof.steps)]
    parts.append('<table class="steps">\n' + "\n".join(rows) + "\n</table>")
    parts += [_verdict(proof.independent.verified, f"Independent route: {proof.independent.method}"),
              _verdict(report.numeric.passed, f"Numeric: max relative error {report.numeric.max_rel_error:.1e} "
                                              f"({report.numeric.method})"),
              "</section>"]
    return "\n".join(parts)


def _cited(html: str) -> str:
    """"derivation ID" as a link to ID.html, for the ids of the catalogue."""
    from derive.derivations import ids

    known = set(ids())
    return re.sub(r"derivation ([a-z0-9-]+)", lambda found: f'<a href="{found[1]}.html">{found[0]}</a>'
                  if found[1] in known else found[0], html)


def _row(step, check, links: bool = False) -> str:
    relation = "=" if step.relation == EQUAL else step.relation
    if rule(step.rule).kind == "claim":  # states what is to be derived: nothing to verify
        mark = '<td class="mark"></td>'
    else:
        mark = f'<td class="mark {"ok" if check.verified else "bad"}">{"✓" if check.verified else "✗"}</td>'
    note = f"<span class=\"note\">{note_to_html(step.note)}</span>" if step.note else ""
    name = note_to_html(rule(step.rule).title)
    if links:
        name, note = _cited(name), _cited(note)
    label = f'<span class="name">{name}</span>{note}'
    if step.aside:  # its name and note above, its formula across both columns: a long one (an Octave line)
        return (f'<tr class="aside-label"><td class="mark"></td><td class="rule" colspan="3">{label}</td></tr>\n'
                f'<tr class="aside">{mark}<td class="relation">{escape(relation)}</td>'
                f'<td class="math" colspan="2">{to_mathml(step.expr, "block")}</td></tr>')
    return (f'<tr class="step">{mark}<td class="relation">{escape(relation)}</td>'
            f'<td class="math">{to_mathml(step.expr, "block")}</td><td class="rule">{label}</td></tr>')


def _verdict(ok: bool, text: str) -> str:
    return f'<p class="verdict"><span class="{"ok" if ok else "bad"}">{"✓" if ok else "✗"}</span> {note_to_html(text)}</p>'


def _equation(lhs, rhs):
    import sympy as sp

    return sp.Eq(lhs, rhs, evaluate=False)
