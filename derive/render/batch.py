"""Many reports at once, on every core: derivations are independent, and proving them is CPU-bound."""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass

from derive.derivations import build, entry
from derive.families import family_of
from derive.render.report import Report, run
from derive.verify import Proof

__all__ = ["Request", "run_all"]


@dataclass(frozen=True)
class Request:
    """One report to make: a derivation id at one scale, with its options."""

    id: str
    classes: int | None
    seed: int
    options: tuple = ()  # (name, value) pairs


def run_all(requests: list[Request]) -> list[Report]:
    """The reports in the order asked, computed in worker processes when the machine has more than one core.

    Each output-layer request is a task of its own; the requests of another family go to one worker together,
    since they share lemmas (backprop re-uses the proofs of bp1..bp4). The heaviest tasks go first.
    Workers send back only the verdicts; the derivations are rebuilt here (built once, so: a cache look-up).
    """
    groups: dict[object, list[Request]] = {}
    for request in requests:
        family = family_of(entry(request.id).family)
        groups.setdefault(family if family.shares_lemmas else request, []).append(request)
    workers = min(len(groups), os.cpu_count() or 1)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [_run(request) for request in requests]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        verdicts = pool.map(_verdicts, sorted(groups.values(), key=_estimated_cost, reverse=True), chunksize=1)
    done = {request: verdict for group in verdicts for request, verdict in group}
    return [_rebuild(request, *done[request]) for request in requests]


def _estimated_cost(group: list[Request]) -> tuple:
    """Heaviest first, so no long job is left for the end: groups of many, then general K (grounded at five K)."""
    return len(group), sum(request.classes is None for request in group), sum(
        len(build(request.id, request.classes, **dict(request.options)).steps) for request in group)


def _run(request: Request) -> Report:
    return run(request.id, request.classes, seed=request.seed, **dict(request.options))


def _verdicts(group: list[Request]):
    results = []
    for request in group:
        report = _run(request)
        results.append((request, (report.proof.steps, report.proof.independent, report.numeric)))
    return results


def _rebuild(request: Request, steps, independent, numeric) -> Report:
    derivation = build(request.id, request.classes, **dict(request.options))
    return Report(derivation, Proof(derivation, steps, independent), numeric)
