"""Naming a gradient mistake from the numbers alone: a constant factor, a sign, a transpose, and which layer is wrong.

Each tensor brings its evidence: analytic and numeric values of the same probes (Gaussian projections in fast mode,
the entries themselves in full mode) and, for square weights, the analytic values of the transposed gradient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from checks.report import Finding
from checks.tolerances import Tolerance

__all__ = ["Evidence", "diagnose", "name_factor", "factor_text", "layer_hint"]

Array = np.ndarray


@dataclass(frozen=True)
class Evidence:
    """Paired probes of one tensor. weight: the number of probes the norms are averaged over (1 in full mode);
    size: the tensor's number of entries (0 when unknown)."""

    name: str
    analytic: Array
    numeric: Array
    transposed: Array | None
    weight: int
    size: int = 0

    def norm(self, values: Array) -> float:
        return float(np.sqrt(np.sum(values**2) / self.weight))

    def fits(self, values: Array, tol: Tolerance) -> bool:
        """Whether `values` agree with the numeric probes to the tolerance."""
        scale = max(self.norm(values), self.norm(self.numeric))
        return self.norm(values - self.numeric) <= tol.rtol * scale + tol.atol

    @property
    def shows_a_factor(self) -> bool:
        """Whether analytic = c x numeric would be evidence: a one-entry tensor is always some c times the truth."""
        return self.size != 1


def _scale_factor(evidence: Evidence, tol: Tolerance) -> float | None:
    """c such that analytic = c x numeric on every probe (to the tolerance), or None."""
    denominator = float(np.dot(evidence.numeric, evidence.numeric))
    if denominator == 0.0:
        return None
    factor = float(np.dot(evidence.analytic, evidence.numeric)) / denominator
    return factor if factor != 0.0 and evidence.fits(evidence.analytic / factor, tol) else None


def name_factor(factor: float, batch_size: int | None, classes: int | None, tol: float = 1e-6) -> str:
    """|c| as it should be read: '8 (the batch size)', '2', '1/10 (1/K, one over the number of
    classes)', or '' when it is none of these.

    A factor is named only when it equals a candidate to `tol` relative; the name then prints the exact value.
    """
    candidates = [(2.0, "2", ""), (0.5, "1/2", "")]
    if batch_size:
        candidates += [(float(batch_size), f"{batch_size}", "the batch size"),
                       (1 / batch_size, f"1/{batch_size}", "one over the batch size")]
    if classes:
        candidates += [(float(classes), f"{classes}", "K, the number of classes"),
                       (1 / classes, f"1/{classes}", "1/K, one over the number of classes")]
    matches = [(text, meaning) for value, text, meaning in candidates if abs(abs(factor) / value - 1) <= tol]
    if not matches:
        return ""
    meanings = [meaning for _, meaning in matches if meaning]
    return matches[0][0] + (f" ({' and '.join(meanings)})" if meanings else "")


def factor_text(factor: float, batch_size: int | None, classes: int | None, tol: float) -> str:
    """'of 8 (the batch size)' when named, else 'of about 7.42' (7 digits: a value printed never rounds onto a
    name it was not within `tol` of)."""
    named = name_factor(factor, batch_size, classes, tol)
    return f"of {named}" if named else f"of about {abs(factor):.7g}"


def _group_by_factor(factors: dict[str, float], tol: float) -> list[tuple[float, list[str]]]:
    groups: list[tuple[float, list[str]]] = []
    for name, factor in factors.items():
        for value, members in groups:
            if abs(factor / value - 1) <= tol:
                members.append(name)
                break
        else:
            groups.append((factor, [name]))
    return groups


def _scale_findings(factor: float, names: list[str], all_names: list[str], batch_size, classes, tol) -> list[Finding]:
    where = "every tensor" if names == all_names else ", ".join(names)
    residual = "the rest of the error is within the tolerance"
    findings = []
    if factor < 0:
        findings.append(Finding("sign", f"{where}: the gradient has the wrong sign",
                                f"analytic / numeric = {factor:.10g} on every probe; {residual}", tuple(names), -1.0))
    if abs(abs(factor) - 1) > tol:
        size = factor_text(factor, batch_size, classes, tol)
        findings.append(Finding("scale", f"{where}: off by a constant factor {size}{_carried_down(names, all_names)}",
                                f"analytic = {factor:.10g} x numeric on every probe; {residual}", tuple(names), factor))
    return findings


def _carried_down(names: list[str], all_names: list[str]) -> str:
    """A hint when the factor covers exactly the layers from a hidden layer l down: a factor in delta^l (its
    activation derivative, say) is carried by backpropagation into every layer below, and into nothing above."""
    layers = [_layer(name) for name in all_names]
    if None in layers or names == all_names:
        return ""
    top = max(_layer(name) for name in names)
    if top == max(layers) or sorted(names) != sorted(n for n, k in zip(all_names, layers) if k <= top):
        return ""
    below = " and every layer below" if top > min(layers) else ""
    return (f" (layer {top}{below}, nothing above: a factor in layer {top}'s delta, such as its activation "
            "derivative, does this)")


def diagnose(evidence: list[Evidence], failed: list[bool], tol: Tolerance, batch_size: int | None = None,
             classes: int | None = None, shape_transposed: tuple[str, ...] = ()) -> list[Finding]:
    """The catalogued mistakes the numbers show: transpose (shape or values), sign and scale per failing tensor."""
    findings = [Finding("transpose", f"{name}: the gradient has the parameter's shape reversed",
                        "grad returned the transposed shape; transposed back it is checked below", (name,))
                for name in shape_transposed]
    factors: dict[str, float] = {}
    for item, bad in zip(evidence, failed):
        if not bad:
            continue
        if item.transposed is not None and item.fits(item.transposed, tol):
            findings.append(Finding("transpose", f"{item.name}: the weight gradient is the transpose of the right one",
                                    f"its transpose agrees with the numeric gradient to {tol.rtol:.0e}", (item.name,)))
            continue
        factor = _scale_factor(item, tol)
        if factor is not None:
            factors[item.name] = factor
    name_tol = max(1e-6, 100 * tol.rtol)
    all_names = [item.name for item in evidence]
    telling = {item.name for item in evidence if item.shows_a_factor}
    for factor, names in _group_by_factor(factors, name_tol):
        if telling & set(names):  # one-entry tensors may join a factor that a larger tensor shows, never alone
            findings += _scale_findings(factor, names, all_names, batch_size, classes, name_tol)
    return findings


def _layer(name: str) -> int | None:
    match = re.fullmatch(r"[Wb](\d+)", name)
    return int(match.group(1)) if match else None


def _same_way(names: list[str], findings: Sequence[Finding]) -> bool:
    """Whether the tensors are wrong the same way: one scale or sign finding covers them all, or none has one."""
    covering = [set(f.tensors) for f in findings if f.id in ("scale", "sign") and set(names) & set(f.tensors)]
    return not covering or any(set(names) <= tensors for tensors in covering)


def _covered(names: list[str], findings: Sequence[Finding]) -> bool:
    """Whether one scale or sign finding names all of these tensors (the numbers show the same mistake)."""
    return any(set(names) <= set(f.tensors) for f in findings if f.id in ("scale", "sign"))


def _listing(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _output_hint(names, failed, findings, last) -> str | None:
    """What the output layer's tensors say: the delta is suspect only when everything built from it is wrong."""
    bad = dict(zip(names, failed))
    output = [name for name in names if _layer(name) == last]
    wrong, right = [n for n in output if bad[n]], [n for n in output if not bad[n]]
    below = [n for n in names if _layer(n) != last]
    if right:  # b^L is the batch sum of delta^L; W^L is delta^L against the previous activations
        return (f"{_listing(wrong)} is wrong and {_listing(right)} is right, so the output delta is right (both are "
                f"built from it): the mistake is in {_listing(wrong)}'s own gradient")
    if below and not any(bad[n] for n in below):
        return (f"{_listing(wrong)} {'are' if len(wrong) > 1 else 'is'} wrong but the layers below, which "
                "backpropagate the same output delta, are right: the mistake is in how the output layer's gradient "
                "is formed from the delta")
    if len(wrong) > 1 and not _same_way(wrong, findings):
        return f"{_listing(wrong)} are wrong in different ways: check each one's gradient"
    how = ("both wrong" if not _covered(wrong, findings) else "wrong the same way") if len(wrong) > 1 else "wrong"
    return (f"{_listing(wrong)} {'are' if len(wrong) > 1 else 'is'} {how}{', and so is every layer below' if below else ''}"
            ", so the error starts at the output delta: check your delta function with "
            "checks.check_delta(delta, output=..., cost=...)")


def layer_hint(names: list[str], failed: list[bool], explained: set[str],
               findings: Sequence[Finding] = ()) -> str | None:
    """Which layer the error enters at, when the tensors are named W1, b1, ... (or W1, W2, ... with biases folded
    in); None when nothing is to be said, or when one finding already covers every tensor."""
    layers = [_layer(name) for name in names]
    if not any(failed) or None in layers:
        return None
    if any(set(f.tensors) == set(names) for f in findings):
        return None
    last = max(layers)
    if any(bad for name, bad in zip(names, failed) if _layer(name) == last):
        return _output_hint(names, failed, findings, last)
    wrong = [name for name, bad in zip(names, failed) if bad and name not in explained]
    if not wrong:
        return None
    wrong_layers = sorted({_layer(name) for name in wrong})
    right = [n for n, bad in zip(names, failed) if not bad]
    wrong_text = f"{_listing(wrong)} {'are' if len(wrong) > 1 else 'is'}"
    return (f"{wrong_text} wrong and {_listing(right)} {'are' if len(right) > 1 else 'is'} right: the error enters "
            f"when backpropagating into layer {wrong_layers[-1]} (its activation derivative or the transposed "
            "weights); checks.check_hidden_delta tests a hidden-layer delta function")
