"""Which names complex step may probe: every statement after the name keeps the imaginary part (checks.complex_safety).

Each statement is run once on tracked complex values, with its own Recorder, from inputs carrying a seeded random
imaginary part (so that ties of real parts with different imaginary parts are seen, as in a probe). A name is
complex-safe when every statement that depends on it, directly or not, is safe; otherwise it gets central
differences, and the report says which statement decided it.
"""

from __future__ import annotations

import numpy as np

from checks.backward.program import Program
from checks.backward.run import Runner
from checks.complex_safety import Recorder, Safety

__all__ = ["statement_safety", "unsafe_statement"]

_IMAGINARY = 1e-20  # the size of a complex step: the imaginary parts seen by the recorder are those of a probe


def _complexified(value, rng: np.random.Generator):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value + 1j * _IMAGINARY * np.abs(value).max(initial=1.0) * rng.standard_normal(value.shape)
    return value


def statement_safety(runner: Runner, seed: int) -> dict[int, Safety]:
    """Statement index -> the Safety of that statement on complex inputs (statements after an unsafe one still run)."""
    program, rng = runner.program, np.random.default_rng([seed, 1])
    namespace = dict(program.namespace)
    namespace.update({p: _complexified(runner.values[p], rng) for p in program.params})
    verdicts = {}
    for statement, function in zip(program.statements, program.functions(namespace)):
        recorder, target = Recorder(), statement.target
        plain = {name: namespace[name] for name in statement.reads}
        for name, value in plain.items():  # tracked while it runs
            namespace[name] = recorder.wrap(value)
        value = recorder.unwrap(recorder.call(function))  # the person's own statement, compiled from their file
        verdicts[statement.index] = recorder.verdict()
        namespace.update(plain)
        namespace[target] = runner.values[target] if value is None else value  # None: it raised
    runner.statements_run += len(program.statements)
    return verdicts


def unsafe_statement(program: Program, name: str, verdicts: dict[int, Safety]):
    """The first statement downstream of `name` that is not complex-safe, with its Safety; None when all are."""
    below = program.downstream(name)
    return next(((s, verdicts[s.index]) for s in program.statements
                 if not verdicts[s.index].safe and s.target in below), None)
