"""Group testing: find the wrong entries of a tensor by bisecting random directions, without a coordinate sweep.

For a direction v on a block B of entries, the residual r_B = v . g_analytic - D_v L equals v . e restricted to B,
where e is the error of the analytic gradient, and E[r_B^2] = ||e_B||^2 for Gaussian v. Residuals are additive over
disjoint blocks, so splitting B into halves costs one directional derivative per direction (the left half is measured,
the right half is the parent minus the left). The search is best first: it always splits the block with the largest
estimated error, so a single wrong entry among n is found in about log2(n) steps.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Block", "Localization", "localize"]

Array = np.ndarray
# residual(start, stop, values) -> v . g_analytic[start:stop] - D_v L, for v = values on [start, stop)
Residual = Callable[[int, int, Array], float]


@dataclass(frozen=True)
class Block:
    """A contiguous range [start, stop) of flat entries with the residuals of the root directions restricted to it."""

    start: int
    stop: int
    residuals: Array

    @property
    def estimate(self) -> float:
        """Estimated ||e_B||_2: the root mean square of the residuals."""
        return float(np.sqrt(np.mean(self.residuals**2)))


@dataclass(frozen=True)
class Localization:
    """The wrong entries found (flat indices, best first), the splits made, and how often both halves were bad."""

    entries: tuple[int, ...]
    splits: int
    both_bad: int

    @property
    def spread(self) -> bool:
        """True when the error is spread out: most splits found both halves wrong."""
        return self.splits > 0 and self.both_bad > self.splits / 2


def _split(block: Block, directions: Array, residual: Residual) -> tuple[Block, Block]:
    middle = (block.start + block.stop) // 2
    left = np.array([residual(block.start, middle, v[block.start:middle]) for v in directions])
    return Block(block.start, middle, left), Block(middle, block.stop, block.residuals - left)


def localize(
    directions: Array,
    residuals: Array,
    residual: Residual,
    threshold: float,
    max_entries: int = 5,
    max_splits: int | None = None,
) -> Localization:
    """Best-first bisection of the wrong entries of one tensor.

    directions: (m, n) root Gaussian directions over the tensor's n flat entries; residuals: (m,) their measured
    residuals; threshold: the error norm below which a block counts as right (the tensor's tolerance).
    max_splits: the budget, by default four descents from the root to a single entry.
    """
    if max_splits is None:
        max_splits = 4 * int(np.ceil(np.log2(max(directions.shape[1], 2)))) + 8
    root = Block(0, directions.shape[1], np.asarray(residuals, dtype=float))
    order = itertools.count()
    queue: list[tuple[float, int, Block]] = [(-root.estimate, next(order), root)]
    entries: list[int] = []
    splits = both_bad = 0
    while queue and len(entries) < max_entries and splits < max_splits:
        _, _, block = heapq.heappop(queue)
        if block.stop - block.start == 1:
            entries.append(block.start)
            continue
        halves = _split(block, directions, residual)
        splits += 1
        bad = [half for half in halves if half.estimate > threshold]
        both_bad += len(bad) == 2
        for half in bad:
            heapq.heappush(queue, (-half.estimate, next(order), half))
    return Localization(tuple(entries), splits, both_bad)
