"""Naming a gradient mistake from the numbers alone: a constant factor, a sign, a transpose, and which layer is wrong.

Each tensor brings its evidence: analytic and numeric values of the same probes (Gaussian projections in fast mode,
the entries themselves in full mode) and, for square weights, the analytic values of the transposed gradient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from checks.report import Finding
from checks.tolerances import Tolerance

__all__ = ["Evidence", "diagnose", "name_factor", "layer_hint"]

Array = np.ndarray


@dataclass(frozen=True)
class Evidence:
    """Paired probes of one tensor. weight: the number of probes the norms are averaged over (1 in full mode)."""

    name: str
    analytic: Array
    numeric: Array
    transposed: Array | None
    weight: int

    def norm(self, values: Array) -> float:
        return float(np.sqrt(np.sum(values**2) / self.weight))

    def fits(self, values: Array, tol: Tolerance) -> bool:
        """Whether `values` agree with the numeric probes to the tolerance."""
        scale = max(self.norm(values), self.norm(self.numeric))
        return self.norm(values - self.numeric) <= tol.rtol * scale + tol.atol


def _scale_factor(evidence: Evidence, tol: Tolerance) -> float | None:
    """c such that analytic = c x numeric on every probe (to the tolerance), or None."""
    denominator = float(np.dot(evidence.numeric, evidence.numeric))
    if denominator == 0.0:
        return None
    factor = float(np.dot(evidence.analytic, evidence.numeric)) / denominator
    return factor if factor != 0.0 and evidence.fits(evidence.analytic / factor, tol) else None


def name_factor(factor: float, batch_size: int | None, classes: int | None, tol: float = 1e-6) -> str:
    """What a constant factor is: 'the batch size (16)', '2', '1/K (K = 10 classes)', or '' when it is none of these."""
    candidates = [(2.0, "2"), (0.5, "1/2")]
    if batch_size:
        candidates += [(float(batch_size), f"the batch size ({batch_size})"),
                       (1 / batch_size, f"1 / batch size (1/{batch_size})")]
    if classes:
        candidates += [(float(classes), f"K, the number of classes ({classes})"), (1 / classes, f"1/K (1/{classes})")]
    names = [name for value, name in candidates if abs(abs(factor) / value - 1) <= tol]
    return " = ".join(names)


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
    residual = "the rest of the error is at rounding level"
    findings = []
    if factor < 0:
        findings.append(Finding("sign", f"{where}: the gradient has the wrong sign",
                                f"analytic / numeric = {factor:.10g} on every probe; {residual}", tuple(names), -1.0))
    magnitude = abs(factor)
    if abs(magnitude - 1) > tol:
        named = name_factor(magnitude, batch_size, classes, tol)
        label = f" = {named}" if named else ""
        hint = "" if names == all_names or named else \
            " (a factor on one layer often comes from its activation derivative)"
        findings.append(Finding("scale", f"{where}: off by a constant factor {magnitude:.10g}{label}{hint}",
                                f"analytic = {factor:.10g} x numeric on every probe; {residual}", tuple(names), factor))
    return findings


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
    for factor, names in _group_by_factor(factors, name_tol):
        findings += _scale_findings(factor, names, all_names, batch_size, classes, name_tol)
    return findings


def _layer(name: str) -> int | None:
    match = re.fullmatch(r"[Wb](\d+)", name)
    return int(match.group(1)) if match else None


def layer_hint(names: list[str], failed: list[bool], explained: set[str]) -> str | None:
    """Which layer the error enters at, when the tensors are named W1, b1, ...; None when nothing is to be said."""
    layers = [_layer(name) for name in names]
    wrong = [name for name, bad in zip(names, failed) if bad and name not in explained]
    if not wrong or None in layers:
        return None
    last = max(layers)
    wrong_layers = sorted({_layer(name) for name in wrong})
    if last in wrong_layers:
        return (f"the output layer (W{last}, b{last}) is wrong, so the error starts at the output delta: check your "
                "delta function with checks.check_delta(delta, output=..., cost=...)")
    right = ", ".join(n for n, bad in zip(names, failed) if not bad)
    wrong_text = f"layer {wrong_layers[0]} is" if len(wrong_layers) == 1 else \
        f"layers {', '.join(map(str, wrong_layers))} are"
    return (f"{wrong_text} wrong and {right} right: the error enters when backpropagating into layer "
            f"{wrong_layers[-1]} (its activation derivative or the transposed weights); "
            "checks.delta.check_hidden_delta tests a hidden-layer delta function")
