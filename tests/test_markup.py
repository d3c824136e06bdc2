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
# with two different hidden activations (its steps are bp1's and bp2's, already covered one by one).
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


def _head(text: str) -> str:
    """From the heading to the last assumption (the first blank line)."""
    return "".join(line.rstrip() + "\n" for line in text[:text.index("\n\n") + 1].splitlines())


BP2_RELU_LINEAR_HEAD = """\
bp2 (sizes symbolic) ───────────────────────────────────────────────────────────────────────────────
BP2: δ^l = ((W^(l+1))^T δ^(l+1)) ⊙ relu'(z^l), relu'(z^l) = 1[z^l > 0]
claim     δ^l_j = 1[z^l_j > 0]·(Σ_k (δ^(l+1)_k·w^(l+1)_kj))
assuming  z^l = W^l a^(l−1) + b^l for l = 1..L, a^0 = x; W^l is n_l × n_(l−1)
assuming  hidden layers l < L are relu: a^l = relu(z^l), element-wise
assuming  relu: at z = 0 the derivative of the branch z ≤ 0 is taken (PyTorch and JAX: relu'(0) = 0)
assuming  C is the cost of one example; the mini-batch forms use the mean cost C = (1/m) Σ_x C_x
"""

BP2_RELU_LINEAR_LAST_STEPS = """\
✓ =  1[z^l_j > 0]·(Σ_k (δ^(l+1)_k·w^(l+1)_kj))
      relu'(z) = 1[z > 0] (derive/functions.py)
        relu'(z^l_j) = 1[z^l_j > 0]; at z = 0 the derivative of the branch z ≤ 0 is taken (PyTorch
        and JAX: relu'(0) = 0)
✓ (⇔ δ^l = ((W^(l+1))^T·δ^(l+1)) ⊙ 1[z^l > 0])
      aside: matrix form (shapes stated)
        with relu'(z^l) = 1[z^l > 0], element-wise
✓ (⇔ Δ^l = ((W^(l+1))^T·Δ^(l+1)) ⊙ 1[Z^l > 0])
      aside: mini-batch form: the mean cost over m examples
        for a mini-batch the m columns of Δ^l (n_l × m) and A^l are the examples: the same equation,
        column by column

"""


def test_relu_keeps_its_indicator_in_the_linear_style(monkeypatch):
    text = shown(report_of("bp2", (("hidden", ("relu",)),)), "linear", monkeypatch)
    assert _head(text) == BP2_RELU_LINEAR_HEAD
    steps = "".join(line.rstrip() + "\n" for line in text.splitlines())
    assert steps[steps.index("✓ =  1[z^l_j > 0]"):steps.index("✓ independent")] == BP2_RELU_LINEAR_LAST_STEPS


BP1_BINARY_CROSS_ENTROPY_HEAD = """\
bp1 (sizes symbolic) ───────────────────────────────────────────────────────────────────────────────
BP1: the error of the output layer, δ^L = a^L − y (sigmoid output, binary-cross-entropy cost)
claim     δ^L_i = a^L_i − yᵢ
assuming  z^l = W^l a^(l−1) + b^l for l = 1..L, a^0 = x; W^l is n_l × n_(l−1)
assuming  hidden layers l < L are sigmoid: a^l = sigmoid(z^l), element-wise
assuming  output layer: sigmoid, a^L = σ(z^L)
assuming  C = −Σ_j [y_j ln a^L_j + (1 − y_j) ln(1 − a^L_j)] (binary cross-entropy)
assuming  C is the cost of one example; the mini-batch forms use the mean cost C = (1/m) Σ_x C_x
"""


def test_the_binary_cross_entropy_keeps_its_bracketed_sum(monkeypatch):
    report = report_of("bp1", (("output", "sigmoid"), ("cost", "binary-cross-entropy")))
    assert _head(shown(report, "2d", monkeypatch)) == BP1_BINARY_CROSS_ENTROPY_HEAD


def test_markdown_closes_the_math_after_the_bracket():
    from derive.render.markdown import markdown

    lines = markdown(report_of("bp2", (("hidden", ("relu",)),))).splitlines()
    assert lines[0] == (r"### `bp2`: BP2: $\delta ^l = ((W^{(l+1)})^T \delta ^{(l+1)}) \odot  relu'(z^l), "
                        r"relu'(z^l) = 1[z^l > 0]$ (sizes symbolic)")
    assert [line for line in lines if "(derive/functions.py)" in line] == [
        r"10. ✓ **relu'(z) $= 1[z > 0]$ (derive/functions.py)**: $relu'(z^l_j) = 1[z^l_j > 0]$; at $z = 0$ the "
        r"derivative of the branch $z \le  0$ is taken (PyTorch and JAX: relu'(0) $= 0$)"]


def test_a_gradient_checks_table_shows_names_as_written():
    """A tensor named like code (layers[i].weight) and a place given in brackets reach the table as written."""
    from checks.report import Entry, Report, TensorResult

    tensor = TensorResult("layers[i].weight", (2, 2), 0.5, 1.0, 2.0, False, where="[row 0] worst")
    report = Report("gradient check", False, 0.5, (tensor,), (Entry("layers[i].weight", (0, 1), 1.0, 2.0),), (),
                    "central", 1e-6, "full", 1e-5, 1e-8)
    console = Console(file=io.StringIO(), width=WIDTH, color_system=None)
    console.print(report)
    shown_text = console.file.getvalue()
    assert shown_text.count("layers[i].weight") == 2 and "[row 0] worst" in shown_text


BACKPROP_TANH_RELU_HEAD = """\
backprop (sizes symbolic) ──────────────────────────────────────────────────────────────────────────
Backpropagation: BP1, BP2 (l = 1, tanh), BP2 (l = 2, relu), BP3, BP4 (sigmoid output,
binary-cross-entropy cost, tanh and relu hidden layers)
claim     (δ^L_i, δ^l_j, δ^l_j, ∂C/∂b^l_j, ∂C/∂w^l_jk) = (a^L_i − y_i, (Σ_k
          (δ^(l+1)_k·w^(l+1)_kj))·(1 − a^l_j^2), 1[z^l_j > 0]·(Σ_k (δ^(l+1)_k·w^(l+1)_kj)), δ^l_j,
          a^(l−1)_k·δ^l_j)
assuming  z^l = W^l a^(l−1) + b^l for l = 1..L, a^0 = x; W^l is n_l × n_(l−1)
assuming  L = 3; the hidden layers are element-wise, layer 1: tanh, layer 2: relu
assuming  relu: at z = 0 the derivative of the branch z ≤ 0 is taken (PyTorch and JAX: relu'(0) = 0)
assuming  output layer: sigmoid, a^L = σ(z^L)
assuming  C = −Σ_j [y_j ln a^L_j + (1 − y_j) ln(1 − a^L_j)] (binary cross-entropy)
assuming  C is the cost of one example; the mini-batch forms use the mean cost C = (1/m) Σ_x C_x
"""


def test_backprop_names_each_bp2_by_its_layers_and_keeps_the_indicator(monkeypatch):
    """The title reads the claim's tuple in order: which δ^l_j is the tanh layer's and which the relu layer's."""
    report = report_of("backprop", (("output", "sigmoid"), ("cost", "binary-cross-entropy"),
                                    ("hidden", ("tanh", "relu"))))
    text = shown(report, "linear", monkeypatch)
    assert _head(text) == BACKPROP_TANH_RELU_HEAD
    notes = [step.note for step in report.derivation.steps if step.rule in ("bp2", "collect")]
    assert [note[note.index("above") + 5:note.index(")", note.index("BP2")) + 1] for note in notes] == [
        ": BP2 (l = 1, tanh)", ": BP2 (l = 2, relu)", ", in order BP1, BP2 (l = 1, tanh)"]


def test_one_hidden_activation_leaves_bp2_unlabelled():
    from derive.backprop.derivations import bp2_label

    assert [bp2_label(("tanh",), "tanh"), bp2_label(("relu", "relu"), "relu"),
            bp2_label(("tanh", "relu", "tanh"), "tanh")] == ["BP2", "BP2", "BP2 (l = 1, 3, tanh)"]


def test_the_generated_module_names_each_bp2_by_its_layers():
    from derive.codegen.network import generate_network

    source = generate_network("backprop", hidden=("tanh", "relu", "tanh"))
    labelled = ["    BP2 (l = 1, 3, tanh): δ^l_j = (Σ_k (δ^(l+1)_k·w^(l+1)_kj))·(1 − a^l_j^2)",
                "    BP2 (l = 2, relu): δ^l_j = 1[z^l_j > 0]·(Σ_k (δ^(l+1)_k·w^(l+1)_kj))"]
    # the module's docstring, then backprop()'s
    assert [line for line in source.splitlines() if line.startswith("    BP2")] == labelled * 2


def test_a_backward_checks_table_shows_names_as_written():
    from checks.backward.report import BackwardReport, NodeResult

    nodes = (NodeResult("cache[i]", 3, "cache[i] = x @ w", "wrong", 0.5), NodeResult("h", 4, "h = cache[i]", "right", 0.0))
    report = BackwardReport(nodes, "central", 1e-5, 2.0, ("cache[i]",))
    console = Console(file=io.StringIO(), width=WIDTH, color_system=None)
    console.print(report)
    assert console.file.getvalue().count("cache[i]") == 3  # its row, and the first-wrong line with its source
