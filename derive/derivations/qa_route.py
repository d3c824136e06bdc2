"""The Q&A's route and notation: ∂E/∂z_j = σ(j) − δ_jt with o_j = σ(j), t the true class, E = −log σ(t).

The derivation is the negative log-likelihood's, proven in our symbols (a_j is the Q&A's σ(j)), with the Q&A's
last two steps, −(δ_jt − σ(j)) = σ(j) − δ_jt. Its display form writes a_m as σ(m) (`qa_display`); the
notes are the Q&A's words and its assumptions include the table from its symbols to ours.
"""

from __future__ import annotations

import dataclasses
import re

import sympy as sp

from derive.derivations.costs import negative_log_likelihood
from derive.notation import a, j, t
from derive.rules import register, rule
from derive.steps import Derivation, Step

__all__ = ["negative_log_likelihood_qa", "qa_display", "QA_TABLE", "QASigma", "QALog"]

QA_TABLE = (
    "Q&A ↔ ours: o_j = σ(j) = σ(z_j) = softmax(j) is our a_j",
    "Q&A ↔ ours: t is the true class; the one-hot target t_j = δ_jt is our y_j",
    "Q&A ↔ ours: E = −log σ(t) is our C = −Σ_j y_j ln a_j at the one-hot target",
    "Q&A ↔ ours: δ_jt is the Kronecker delta, 1 when j = t (not an error term)",
)

# Our rules under the Q&A's names (its log, its σ(j) for our a_j): the same rewrite, so the same proof.
_QA_TITLES = {"log-rule": "derivative of log (chain rule)", "softmax-definition": "definition of σ(j) (softmax)",
              "softmax-fold": "substitute the definition of σ(j)"}
for _name, _title in _QA_TITLES.items():
    register(dataclasses.replace(rule(_name), name=f"qa-{_name}", title=_title))


def _qa_rule(name: str) -> str:
    return f"qa-{name}" if name in _QA_TITLES else name


class QASigma(sp.Function):
    """σ(m): the Q&A's name for the softmax output of unit m (our a_m); display only, never proven on."""

    def _derive_text(self, printer) -> str:
        return f"σ({printer._print(self.args[0])})"

    def _latex(self, printer) -> str:
        return rf"\sigma({printer._print(self.args[0])})"


class QALog(sp.Function):
    """log(u): the Q&A writes the natural logarithm log; display only."""

    def _derive_text(self, printer) -> str:
        return f"log({printer._print(self.args[0])})"

    def _latex(self, printer) -> str:
        return rf"\log {printer._print(self.args[0])}"


def qa_display(expr: sp.Expr) -> sp.Expr:
    """The expression in the Q&A's symbols: a_m -> σ(m), ln -> log, sums and products left unevaluated as written."""
    if isinstance(expr, sp.Indexed) and expr.base == a:
        return QASigma(expr.indices[0])
    if isinstance(expr, sp.log):
        return QALog(qa_display(expr.args[0]))
    if not expr.args or isinstance(expr, sp.Indexed):
        return expr
    args = [qa_display(arg) for arg in expr.args]
    return expr.func(*args, evaluate=False) if isinstance(expr, (sp.Add, sp.Mul, sp.Pow)) else expr.func(*args)


def _qa_words(note: str) -> str:
    """A note in the Q&A's symbols: a_t -> σ(t), ln -> log."""
    return re.sub(r"\ba_([a-z])\b", r"σ(\1)", note).replace("ln ", "log ")


def negative_log_likelihood_qa(classes: int | None = None) -> Derivation:
    """∂E/∂z_j = −(δ_jt − σ(j)) = σ(j) − δ_jt, the Q&A's route from E = −log σ(t)."""
    ours = negative_log_likelihood(classes)
    fold = [step.rule for step in ours.steps].index("softmax-fold")
    steps = [dataclasses.replace(step, rule=_qa_rule(step.rule), note=_qa_words(step.note))
             for step in ours.steps[:fold + 1]]
    negated = sp.Mul(-1, sp.Add(sp.KroneckerDelta(j, t), -a[j], evaluate=False), evaluate=False)
    steps += [Step("cancel", negated, "σ(t) cancels: −(δ_jt − σ(j))"),
              Step("expand", a[j] - sp.KroneckerDelta(j, t), "σ(j) − δ_jt: the Q&A's o_j − t_j, since t_j = δ_jt")]
    return dataclasses.replace(
        ours, id="negative-log-likelihood-qa", steps=tuple(steps),
        title="Negative log-likelihood in the Q&A's notation: ∂E/∂z_j = σ(j) − δ_jt = o_j − t_j",
        assumptions=tuple(_qa_words(assumption) for assumption in ours.assumptions) + QA_TABLE)
