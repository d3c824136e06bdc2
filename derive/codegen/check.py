"""Generated code against the derivation it came from: equal values at moderate logits, finite at extreme ones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from derive.codegen.module import Function, plan
from derive.notation import K, t, y, z
from derive.numeric import numpy_function, padded
from derive.steps import Derivation

__all__ = ["CodeCheck", "check_generated", "check_source", "AGREEMENT", "EXTREME_LOGITS", "MEMORY_LIMIT"]

# A generated function and the derived expression lambdified as SymPy writes it compute the same closed form in
# float64, only in a different order (the shift m, the hoisted sums); at logits of size 1 they agree to a few ulps.
# 1e-12 normwise leaves two orders of room for K = 10,000 sums and still fails any wrong formula by ten orders.
AGREEMENT = 1e-12
EXTREME_LOGITS = 1000.0  # |z| at which every generated function must still be finite
CHECK_CLASSES = 5  # the class count at which a general-K module is checked
MEMORY_LIMIT = 2**30  # bytes: every command stays within 1 GiB at the documented limits (K up to 10,000)
# A generated function with a K x K result holds two dense arrays at once (the bracket and the product); the
# reference of one of its rows is K x K again (a sum over k for each entry): three at most are alive at once.
# Reference rows are evaluated in blocks of about _BLOCK entries.
_DENSE_COPIES = 3
_BLOCK = 2**21
SAMPLED_ROWS = 64  # rows of a result compared with the reference above this many classes


@dataclass(frozen=True)
class CodeCheck:
    """One generated function: its normwise relative error against the derived expression, and finiteness."""

    function: str
    max_rel_error: float
    finite_at_extremes: bool

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.max_rel_error) and self.max_rel_error <= AGREEMENT and self.finite_at_extremes)


def check_generated(module, derivation: Derivation, seed: int = 0, classes: int | None = None) -> tuple[CodeCheck, ...]:
    """Run every function of the generated module at a seeded point and compare with its derived expression."""
    n = derivation.classes or classes or CHECK_CLASSES
    functions = plan(derivation)
    for f in functions:  # refused before anything is allocated
        _require_memory(f, n)
    rng = np.random.default_rng(seed)
    return tuple(_check(module, derivation, f, n, rng) for f in functions)


def check_source(source: str, id_: str, classes: int | None = None, **options) -> None:
    """Load generated source and run it against its derivation; a CheckFailure names every function that failed."""
    from derive.derivations import entry
    from derive.errors import CheckFailure, UsageError

    found = entry(id_)
    try:  # the overflows at |z| = 1000 are what the check looks for: its verdict says so, not numpy's warnings
        with np.errstate(all="ignore"):
            checks = _run_checks(source, found, id_, classes, options)
    except UsageError:  # refused before it runs (a check above the memory limit): the caller's error, exit 2
        raise
    except Exception as error:  # generated code that does not run is a failed check, never a traceback
        message = str(error).splitlines()[0] if str(error) else ""
        raise CheckFailure(f"generated code does not run: {type(error).__name__}: {message}") from None
    failed = [c for c in checks if not c.passed]
    if failed:
        raise CheckFailure("generated code does not match the derivation: " + "; ".join(
            f"{c.function}: relative error {c.max_rel_error:.1e}, finite at |z| = {EXTREME_LOGITS:g}: "
            f"{c.finite_at_extremes}" for c in failed))


def _run_checks(source: str, found, id_: str, classes, options) -> tuple[CodeCheck, ...]:
    import importlib

    from derive.codegen import load_module
    from derive.families import family_of

    module = load_module(source, "activation" if found.function is not None else id_.replace("-", "_"))
    return importlib.import_module(family_of(found.family).generator).check(module, found, classes, options)


def _require_memory(f: Function, n: int) -> None:
    """Checking a function with a K x K result at large K would exceed MEMORY_LIMIT: refuse, naming the limit."""
    needed = _DENSE_COPIES * 8 * n ** len(f.layout)
    if needed > MEMORY_LIMIT:
        largest = int((MEMORY_LIMIT / (_DENSE_COPIES * 8)) ** (1 / len(f.layout)))
        from derive.errors import UsageError

        raise UsageError(f"checking {f.name} at K = {n} needs dense {' x '.join([str(n)] * len(f.layout))} arrays "
                         f"({needed / 2**30:.1f} GiB), above the {MEMORY_LIMIT // 2**20} MiB limit: "
                         f"use K up to {largest}, or --no-check")


def _check(module, derivation, f: Function, n: int, rng) -> CodeCheck:
    inputs = _inputs(f, n, rng)
    generated = np.asarray(getattr(module, f.name)(*[inputs[x] for x in f.args]))
    difference, size = _distance(derivation, f, n, inputs, generated, rng)
    del generated  # the extremes below run one at a time, never beside a kept K x K result
    extreme = {**inputs, "z": inputs["z"] / np.max(np.abs(inputs["z"])) * EXTREME_LOGITS}
    finite = all(np.all(np.isfinite(getattr(module, f.name)(*[point[x] for x in f.args])))
                 for point in (extreme, {**extreme, "z": extreme["z"] - EXTREME_LOGITS}))
    return CodeCheck(f.name, float(difference / max(size, np.finfo(float).tiny)), bool(finite))


def _distance(derivation, f: Function, n: int, inputs: dict, generated: np.ndarray, rng) -> tuple[float, float]:
    """||generated - reference|| and ||reference|| over the rows compared, the reference a block at a time.

    Above SAMPLED_ROWS classes a seeded sample of rows (the first and last always among them) is compared, as the
    numeric checks of the derivations sample coordinates: the reference sums over k for each entry, so all K
    rows of a K x K result would cost K^3.
    """
    if not f.layout:
        reference = _reference(derivation, f, n, inputs, np.arange(0))
        return float(np.linalg.norm(generated - reference)), float(np.linalg.norm(reference))
    rows = np.arange(n) if n <= SAMPLED_ROWS else np.unique(np.concatenate(
        [[0, n - 1], rng.choice(np.arange(1, n - 1), SAMPLED_ROWS - 2, replace=False)]))
    block = max(1, _BLOCK // n ** len(f.layout))
    squares = np.zeros(2)
    for start in range(0, len(rows), block):
        chosen = rows[start:start + block]
        reference = _reference(derivation, f, n, inputs, chosen)
        squares += np.linalg.norm(generated[chosen] - reference) ** 2, np.linalg.norm(reference) ** 2
    return float(np.sqrt(squares[0])), float(np.sqrt(squares[1]))


def _inputs(f: Function, n: int, rng) -> dict:
    one_hot = any(name == "one-hot" for name, _ in f.assumptions)
    targets = _one_hot(n, rng.integers(n)) if one_hot else rng.uniform(0.05, 1.0, n) * rng.uniform(0.5, 2.0) / n * 2
    return {"z": rng.normal(size=n), "y": targets, "t": int(rng.integers(n))}


def _one_hot(n: int, hot: int) -> np.ndarray:
    """e_hot of length n, without the n x n identity."""
    targets = np.zeros(n)
    targets[hot] = 1.0
    return targets


def _reference(derivation, f: Function, n: int, inputs: dict, rows: np.ndarray | None = None) -> np.ndarray:
    """The derived expression (definitions unfolded) lambdified as SymPy writes it, at the given rows of its
    layout's grid (0-based rows of the first index, default all; every other index over all of 1..n)."""
    rows = np.arange(n) if rows is None else rows
    axes = len(f.layout)
    grid = [(rows + 1 if p == 0 else np.arange(1, n + 1)).reshape([-1 if q == p else 1 for q in range(axes)])
            for p in range(axes)]
    value = _lambdified(derivation, f, n)(padded(inputs["z"]), padded(inputs["y"]), inputs["t"] + 1, *grid)
    return np.broadcast_to(value, (len(rows),) + (n,) * (axes - 1)) if axes else np.asarray(value)


def _lambdified(derivation, f: Function, n: int):
    """The reference as SymPy's printer writes it: Σ_k c of a constant summed out first (the printed loop would
    give c, not K c) and 1[c] as a Piecewise, which that printer knows."""
    from derive.codegen.activation import _indicators_as_piecewise

    expr = _unfold(f.expr, derivation.definitions).xreplace({K: n})
    expr = expr.replace(lambda e: isinstance(e, sp.Sum) and not e.function.has(e.limits[0][0]), lambda e: e.doit())
    return numpy_function(_indicators_as_piecewise(expr), [z, y, t, *f.layout])


def _unfold(expr, definitions):
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base in definitions,
                        lambda e: definitions[e.base](e.indices[0]))
