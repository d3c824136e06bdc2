"""Running a forward Program: all of it once, then only the statements downstream of a changed value."""

from __future__ import annotations

from typing import Mapping

from checks.backward.program import BackwardError, Program

__all__ = ["Runner"]


class Runner:
    """Holds the forward values at the inputs; `loss` re-runs only what a change reaches and counts the statements."""

    def __init__(self, program: Program, inputs: Mapping[str, object]):
        missing = [p for p in program.params if p not in inputs]
        if missing:
            raise BackwardError(f"forward takes {', '.join(missing)}, which inputs does not hold "
                                f"(inputs has: {', '.join(sorted(inputs)) or 'nothing'})")
        self.program = program
        self.statements_run = 0
        self.steps: dict[tuple[str, str], float] = {}  # (name, method) -> the probe step, set by checks.backward.probe
        namespace = dict(program.namespace)
        namespace.update({p: inputs[p] for p in program.params})
        self._functions = program.functions(namespace)  # the person's own statements, compiled from their file
        for statement in program.statements:
            self._exec(statement, namespace)
        self.values = {name: namespace[name] for name in program.names}
        self._base, self._base_values = namespace, dict(self.values)  # the values to restore after every probe

    def _exec(self, statement, namespace: dict) -> None:
        self.statements_run += 1
        namespace[statement.target] = self._functions[statement.index]()

    def value_of(self, statement, name: str, value: object) -> object:
        """The target of one statement run with `value` for `name` (the rest as at the inputs)."""
        namespace = self._base
        namespace[name] = value
        self.statements_run += 1
        try:  # the statement's function reads `namespace` as its globals; its result is all that is needed
            return self._functions[statement.index]()
        finally:  # only this name differs from the values at the inputs (the target is not written)
            namespace[name] = self._base_values[name]

    def loss(self, changed: Mapping[str, object], only_in: int | None = None) -> object:
        """The loss with `changed` values; with `only_in`, the change reaches statement `only_in` and nothing else."""
        namespace, dirty = self._base, set(changed) if only_in is None else set()
        # A statement reads only names defined before it: the first that can see the change is the one after the
        # earliest changed name's statement (or statement `only_in`); the ones before it would all be skipped.
        start = only_in if only_in is not None else min(map(self._after, changed), default=0)
        try:
            if only_in is None:
                namespace.update(changed)
            for statement in self.program.statements[start:]:
                if statement.index == only_in:
                    namespace.update(changed)
                    self._exec(statement, namespace)
                    namespace.update({name: self._base_values[name] for name in changed})
                elif statement.reads & dirty:
                    self._exec(statement, namespace)
                else:
                    continue
                dirty.add(statement.target)
            return namespace[self.program.loss]
        finally:  # the changed names and the targets run are the only ones that differ from the inputs' values
            namespace.update({name: self._base_values[name] for name in dirty.union(changed)})

    def _after(self, name: str) -> int:
        """The index of the first statement that may read `name`: 0 for an input."""
        statement = self.program.defining(name)
        return 0 if statement is None else statement.index + 1
