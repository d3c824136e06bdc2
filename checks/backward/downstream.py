"""S(x) = max |D_m| over the measured names m computed from x: the scale of the zero floor, kept as the walk goes.

S(x) = max over the consumers t of x of max(|D_t| if t is measured, S(t)): a name's S is built from its consumers'
(O(1) per name in a walk from the loss down) and kept. A kept S goes stale only when a name below it is measured
later; a name measured after one later in forward order than it might be, so then every kept S is dropped.
"""

from __future__ import annotations

__all__ = ["Downstream"]


class Downstream:
    """The largest |D| below each name, over the names measured so far (a NaN is never the largest)."""

    def __init__(self, program):
        self.program = program
        self._position = {name: i for i, name in enumerate(program.names)}
        self._measured: dict[str, float] = {}  # name -> |D|
        self._kept: dict[str, float] = {}  # name -> S, valid while nothing below it is measured
        self._lowest = len(program.names)  # the earliest position of a kept name

    def measured(self, name: str, derivative: float) -> None:
        self._measured[name] = abs(derivative)
        if self._position[name] > self._lowest:  # it may lie below a kept name
            self._kept.clear()
            self._lowest = len(self._position)

    def largest(self, name: str) -> float:
        """max |D_m| over the measured m in program.downstream(name); 0.0 when there is none."""
        kept = self._kept
        if name not in kept and not self._keep(name):  # some consumer has no S kept: those below first
            for below in self._unkept_below(name):  # from the last: each reads its consumers' S
                self._keep(below)
            self._keep(name)
        return kept[name]

    def _unkept_below(self, name: str) -> list[str]:
        """The names below `name` with no S kept, from the last in forward order (the consumers of a kept name
        are all kept, so the search stops there)."""
        kept, found, stack = self._kept, set(), [name]
        while stack:
            for statement in self.program.consumers(stack.pop()):
                target = statement.target
                if target not in kept and target not in found:
                    found.add(target)
                    stack.append(target)
        return sorted(found, key=self._position.get, reverse=True)

    def _keep(self, name: str) -> bool:
        """Keep S(name) from its consumers' S; False (nothing kept) when one of them has none."""
        largest, measured, kept = 0.0, self._measured, self._kept
        for statement in self.program.consumers(name):
            below = kept.get(statement.target)
            if below is None:
                return False
            for value in (measured.get(statement.target, 0.0), below):
                if value > largest:
                    largest = value
        kept[name] = largest
        self._lowest = min(self._lowest, self._position[name])
        return True
