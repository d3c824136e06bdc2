"""The seeds' own routes: each step verified, in the seed's order and notation, and equal to our shorter routes."""

import dataclasses

import pytest
import sympy as sp

from derive.derivations import build
from derive.derivations.costs import general_delta
from derive.notation import a, i, j
from derive.printing import to_text
from derive.render import run
from derive.rules import rule
from derive.verify import prove


@pytest.mark.parametrize("classes", [2, 3, None])
def test_cross_entropy_split_proves_every_step(classes):
    report = run("cross-entropy-split", classes)
    assert report.passed and all(check.verified for check in report.proof.steps)


def test_cross_entropy_split_takes_the_blogs_steps_in_its_order():
    derivation = build("cross-entropy-split", None)
    rules = [step.rule for step in derivation.steps]
    assert rules[rules.index("split-sum"):rules.index("split-sum") + 3] == [
        "split-sum", "softmax-diagonal-lemma", "softmax-off-diagonal-lemma"]
    texts = [to_text(step.expr) for step in derivation.steps]
    assert "a_i·(Σ_{j≠i} y_j) − y_i·(1 − a_i)" in texts  # the blog's −y_i(1 − a_i) + Σ_{j≠i} y_j a_i
    assert texts[-2:] == ["a_i·(Σ_j y_j) − y_i", "a_i − y_i"]


def test_the_sum_made_whole_again_is_not_labelled_a_split():
    derivation = build("cross-entropy-split", None)
    rules = [step.rule for step in derivation.steps]
    assert rules.count("split-sum") == 1 and rules[-2] == "join-sum" and derivation.steps[-2].reverse
    assert "whole again" in rule("join-sum").title  # the label the reader sees beside the rejoined sum


def test_cross_entropy_split_lands_on_cross_entropy_delta():
    split, delta = build("cross-entropy-split", None), build("cross-entropy-delta", None)
    assert split.result == delta.result
    assert split.steps[-2].expr == general_delta(None)  # before the one-hot step: the general δ for any target


def test_a_wrong_off_diagonal_lemma_is_caught():
    derivation = build("cross-entropy-split", 3)
    position = [step.rule for step in derivation.steps].index("softmax-off-diagonal-lemma")
    step = derivation.steps[position]
    wrong = step.expr.replace(lambda e: isinstance(e, sp.Sum), lambda s: sp.Sum(-s.function, s.limits))
    steps = derivation.steps[:position] + (dataclasses.replace(step, expr=wrong),) + derivation.steps[position + 1:]
    proof = prove(dataclasses.replace(derivation, steps=steps))
    assert not proof.steps[position].verified


def test_the_sum_without_its_diagonal_term_prints_as_such():
    others = sp.Sum(a[j] * (1 - sp.KroneckerDelta(i, j)), (j, 1, 3))
    assert to_text(others) == "Σ_{j≠i} a_j"


def test_the_qa_route_is_proven_and_shown_in_the_qas_symbols(cli):
    result = cli("show", "negative-log-likelihood", "--notation", "qa", "--general", "--style", "linear")
    assert result.returncode == 0, result.stderr
    assert "✓ =  −(δ_jt − σ(j))" in result.stdout and "✓ =  σ(j) − δ_jt" in result.stdout
    assert "Q&A ↔ ours: o_j = σ(j) = σ(z_j) = softmax(j) is our a_j" in result.stdout
    assert "a_t" not in result.stdout.split("independent route")[0].replace("Q&A ↔ ours", "")


def test_the_qa_routes_rule_names_use_its_symbols_too():
    titles = [rule(step.rule).title for step in build("negative-log-likelihood-qa", None).steps]
    assert "derivative of log (chain rule)" in titles and "substitute the definition of σ(j)" in titles
    assert not [title for title in titles if " ln " in f" {title} " or " a " in f" {title} "]


def test_the_qa_route_is_verified_on_our_symbols():
    report = run("negative-log-likelihood-qa", None)
    assert report.passed and report.proof.derivation.steps[-2].expr.has(a[j])  # proven on a_j, shown as σ(j)
    assert [step.rule for step in report.derivation.steps][-2:] == ["cancel", "expand"]


def test_notation_qa_applies_to_the_negative_log_likelihood_only(cli):
    result = cli("show", "sigmoid", "--notation", "qa")
    assert result.returncode == 2 and "applies to negative-log-likelihood" in result.stderr


def test_gradient_descent_update_is_bp4_in_the_qas_indices():
    from derive.derivations.qa_update import o
    from derive.notation import E, z

    report = run("gradient-descent-update", None)
    assert report.passed, [check.method for check in report.proof.steps if not check.verified]
    assert report.derivation.result == sp.Derivative(E, z[j]) * o[i]
    update = next(step for step in report.derivation.steps if step.rule == "update")
    assert "is right, factor o_i included" in update.note and to_text(update.expr) == "w_{ij} ← w_{ij} − r·o_i·∂E/∂z_j"


def test_a_wrong_factor_in_the_weight_gradient_is_caught():
    from derive.derivations.qa_update import o
    from derive.notation import E, z

    derivation = build("gradient-descent-update")
    position = [step.rule for step in derivation.steps].index("kronecker-contraction")
    wrong = dataclasses.replace(derivation.steps[position], expr=sp.Derivative(E, z[j]) * o[j])
    steps = derivation.steps[:position] + (wrong,) + derivation.steps[position + 1:]
    proof = prove(dataclasses.replace(derivation, steps=steps))
    assert not proof.steps[position].verified and not proof.independent.verified


def test_the_octave_lines_are_checked_against_differences(monkeypatch):
    import checks.update_check as update_check

    assert update_check.check_derivation(build("gradient-descent-update")).passed
    right = update_check.octave_gradients
    monkeypatch.setattr(update_check, "octave_gradients", lambda *args: (right(*args)[0] / 8, right(*args)[1]))
    assert not update_check.check_derivation(build("gradient-descent-update")).passed  # a mean, not the sum


def test_the_octave_lines_print_verbatim():
    text = to_text(build("gradient-descent-update").steps[-2].expr)
    assert text.startswith("hid_to_output_weights_gradient = hidden_layer_state * error_deriv';")


@pytest.mark.parametrize("id_", ["softmax-sums-to-one", "cross-entropy-one-hot"])
@pytest.mark.parametrize("classes", [2, 3, None])
def test_the_blogs_identities_are_proven(id_, classes):
    report = run(id_, classes)
    assert report.passed, [check.method for check in report.proof.steps]


def test_softmax_sums_to_one_by_the_blogs_sigma_over_sigma_step():
    derivation = build("softmax-sums-to-one", None)
    assert [to_text(step.expr) for step in derivation.steps][-2:] == ["(Σ_i e^{z_i})/(Σ_k e^{z_k})", "1"]


def test_the_one_hot_cost_is_a_step_not_an_assumption():
    from derive.notation import t

    derivation = build("cross-entropy-one-hot", None)
    assert [step.rule for step in derivation.steps] == ["cost-definition", "one-hot-target", "kronecker-contraction"]
    assert derivation.result == -sp.log(a[t])


@pytest.mark.parametrize("id_, wrong", [("softmax-sums-to-one", sp.Integer(2)),
                                        ("cross-entropy-one-hot", -sp.log(a[1]))])
def test_a_wrong_identity_is_caught(id_, wrong):
    derivation = build(id_, None)
    steps = derivation.steps[:-1] + (dataclasses.replace(derivation.steps[-1], expr=wrong),)
    proof = prove(dataclasses.replace(derivation, steps=steps))
    assert not proof.steps[-1].verified and not proof.independent.verified
