"""Which names complex step may probe: every statement after the name keeps the imaginary part (checks.complex_safety).

The statements are run on tracked complex values from inputs carrying a seeded random imaginary part (so that ties
of real parts with different imaginary parts are seen, as in a probe): once under one Recorder, and again one by one,
each with its own Recorder, only when that run is not safe (a Recorder per statement costs more than the statement,
and the verdict of a safe run is that of each of its statements). A name is
complex-safe when every statement that depends on it, directly or not, is safe; otherwise it gets central
differences, and the report says which statement decided it.
"""

from __future__ import annotations

import numpy as np

from checks.backward.program import Program
from checks.backward.run import Runner
from checks.complex_safety import Recorder, Safety, Tracked

__all__ = ["statement_safety", "unsafe_statement"]

_IMAGINARY = 1e-20  # the size of a complex step: the imaginary parts seen by the recorder are those of a probe


def _complexified(value, noise: np.ndarray):
    return value + 1j * _IMAGINARY * np.abs(value).max(initial=1.0) * noise


def _is_float_array(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def statement_safety(runner: Runner, seed: int) -> dict[int, Safety]:
    """Statement index -> the Safety of that statement on complex inputs (statements after an unsafe one still run).

    One Recorder watches the whole run first. When it records nothing unsafe, no statement did: each one's verdict
    is that run's (safe). Otherwise every statement is run again with its own Recorder, which names the culprit.
    """
    program, recorder = runner.program, Recorder()
    runner.statements_run += len(program.statements)
    namespace = _complex_inputs(runner, seed)
    recorder.call(_watched, program, namespace, recorder)  # its warnings caught once, not once per statement
    verdict = recorder.verdict()
    if verdict.safe:
        return dict.fromkeys((s.index for s in program.statements), verdict)
    runner.statements_run += len(program.statements)
    namespace = _complex_inputs(runner, seed)  # afresh: the first run may have stopped half-way
    functions = program.functions(namespace)
    return {s.index: _alone(runner, s, functions[s.index], namespace) for s in program.statements}


def _complex_inputs(runner: Runner, seed: int) -> dict:
    """The namespace with each float input complex. The noise is drawn in one call and cut: the Generator draws
    normals one by one, so these are the numbers of one call per input, in forward order."""
    program, values = runner.program, runner.values
    floats = [p for p in program.params if _is_float_array(values[p])]
    drawn = np.random.default_rng([seed, 1]).standard_normal(sum(values[p].size for p in floats))
    namespace, start = dict(program.namespace), 0
    namespace.update({p: values[p] for p in program.params})
    for p in floats:
        value = values[p]
        namespace[p] = _complexified(value, drawn[start:start + value.size].reshape(value.shape))
        start += value.size
    return namespace


def _watched(program: Program, namespace: dict, recorder: Recorder) -> None:
    """Every statement on its reads wrapped by `recorder`: what _alone does, without unwrapping a target that the
    next statement would wrap again (a Tracked value is wrapped as itself; anything else is wrapped afresh)."""
    for statement, function in zip(program.statements, program.functions(namespace)):
        plain = {name: namespace[name] for name in statement.reads if type(namespace[name]) is not Tracked}
        for name, value in plain.items():
            namespace[name] = recorder.wrap(value)
        namespace[statement.target] = function()  # the person's own statement, compiled from their file
        namespace.update(plain)


def _alone(runner: Runner, statement, function, namespace: dict) -> Safety:
    """The statement run on its reads wrapped by its own Recorder; its target unwrapped (the value at the inputs
    when it raised, so that the rest runs on)."""
    recorder, target = Recorder(), statement.target
    plain = {name: namespace[name] for name in statement.reads}
    for name, value in plain.items():
        namespace[name] = recorder.wrap(value)
    value = recorder.unwrap(recorder.call(function))  # None when it raised
    namespace.update(plain)
    namespace[target] = runner.values[target] if value is None else value
    return recorder.verdict()


def unsafe_statement(program: Program, name: str, verdicts: dict[int, Safety]):
    """The first statement downstream of `name` that is not complex-safe, with its Safety; None when all are."""
    below = program.downstream(name)
    return next(((s, verdicts[s.index]) for s in program.statements
                 if not verdicts[s.index].safe and s.target in below), None)
