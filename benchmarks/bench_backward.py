"""Benchmark of check_backward on the exercise (24 names with a gradient; batch 32, hidden 64), in the same run:

- forward passes run to check: the statements the check runs (probes, the complex-safety run) divided by the
  statements of forward, counted by the checker; budget <= 60;
- forward-pass-equivalents: the CPU time of check_backward divided by the CPU time of one forward pass
  (forward(**inputs), plain numpy), both the best of their calls in this process, measured in interleaved rounds.
  Budget <= 60. Two cases: a forward already checked once (a notebook checking again after editing backward:
  forward's statements are parsed and compiled once per function) and a forward never seen (what
  `derive gradcheck FILE.py` does, once per process: each call gets a new copy of the file, with its own text),
  with the part before any probe;
- the whole command `derive gradcheck exercise.py` (start-up included), wall time: budget < 1 s, next to the bare
  start-up `python -c "import numpy"` and `derive list`, with the load average (the machine is shared).

    python benchmarks/bench_backward.py [--repeat 20]

BLAS runs single-threaded (unless the environment says otherwise), as in bench_gradcheck.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import shutil  # noqa: E402 - after the thread settings, which must precede numpy
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from _timing import derive_command, time_command  # noqa: E402

from checks.backward import check_backward, exercise  # noqa: E402
from checks.backward.program import parse_forward  # noqa: E402
from checks.backward.run import Runner  # noqa: E402
from checks.backward.safety import statement_safety  # noqa: E402

PLANTED = ("dvar / (n - 1)", "dvar / n")  # Bessel's correction dropped: one wrong name, diagnosed
BUDGET = 60


def _cpu(fn) -> float:
    """CPU time of this process for one call: other processes on the shared machine do not count."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def _equivalents(cases: dict, forward, rounds: int) -> dict[str, float]:
    """case -> best CPU time of its call / best CPU time of one forward pass, over interleaved rounds. Each round
    times the forward pass 20 times, then each case 5 times, back to back: both see the same load and warm caches."""
    best = dict.fromkeys(["forward", *cases], float("inf"))
    for _ in range(rounds):
        best["forward"] = min(best["forward"], *(_cpu(forward) for _ in range(20)))
        for name, (prepare, call) in cases.items():
            arguments = [prepare() for _ in range(5)]  # not timed: fresh modules for a first check
            best[name] = min(best[name], *(_cpu(lambda: call(argument)) for argument in arguments))
    return {name: seconds / best["forward"] for name, seconds in best.items()} | {"forward_s": best["forward"]}


_FRESH = iter(range(10**9))


def _fresh(folder: Path, text: tuple[str, str] | None = None):
    """The exercise module loaded anew from a new file in `folder`, optionally edited: a forward function this
    process has not checked, from a file linecache has not read, whose text differs from every earlier copy's (a
    last comment line), so that nothing keyed by function, code, file or text can have been kept."""
    source, number = Path(exercise.__file__).read_text(), next(_FRESH)
    path = folder / f"exercise_{number}.py"
    path.write_text((source.replace(*text) if text else source) + f"# fresh copy {number}\n")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def in_process(repeat: int) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        _in_process(repeat, folder)
    finally:
        shutil.rmtree(folder)


def _in_process(repeat: int, folder: Path) -> None:
    values = exercise.inputs()
    check_backward(exercise.forward, exercise.backward, exercise.inputs)  # warm-up: imports, caches
    report = check_backward(exercise.forward, exercise.backward, exercise.inputs)
    checked = sum(node.status != "unchecked" for node in report.nodes)
    print(f"{checked} names checked, method {report.method}, passed {report.passed}")
    print(f"forward passes run to check (counted): {report.forward_passes:g} (budget <= {BUDGET})"
          f"{'' if report.forward_passes <= BUDGET else '  OVER'}")
    planted = _fresh(folder, PLANTED)
    fresh = lambda: _fresh(folder)  # noqa: E731
    cases = {
        "again": (lambda: exercise, lambda m: check_backward(m.forward, m.backward, values)),
        "first": (fresh, lambda m: check_backward(m.forward, m.backward, values)),
        "first, before any probe": (fresh, lambda m: _before_probing(m, values)),
        "planted": (lambda: planted, lambda m: check_backward(m.forward, m.backward, values)),
    }
    ratios = _equivalents(cases, lambda: exercise.forward(**values), repeat)
    print(f"one forward pass: {ratios['forward_s'] * 1e6:.0f} us (best of {20 * repeat})")
    print(f"check_backward in forward-pass-equivalents (best of {5 * repeat}, budget <= {BUDGET}):")
    rows = [("all right, forward checked before (a notebook checking again)", ratios["again"], BUDGET),
            ("all right, a forward never checked (the command)", ratios["first"], BUDGET),
            ("  of which before any probe", ratios["first, before any probe"], None),
            ("Bessel's correction dropped (diagnosed), forward checked before", ratios["planted"], None)]
    for what, ratio, budget in rows:
        verdict = "" if budget is None else "  ok" if ratio <= budget else "  OVER"
        print(f"  {what:66} {ratio:6.0f} x{verdict}")
    if not _planted_found(planted, values):
        sys.exit("benchmark: the planted mistake was not diagnosed")


def _planted_found(module, values) -> bool:
    report = check_backward(module.forward, module.backward, values)
    return not report.passed and report.first_wrong is not None


def _before_probing(module, values) -> None:
    program = parse_forward(module.forward)
    runner = Runner(program, values)
    statement_safety(runner, 0)
    module.backward(dict(runner.values))


def whole_command(repeat: int) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        right = folder / "exercise.py"
        shutil.copy(exercise.__file__, right)
        derive = derive_command()
        baseline = time_command([sys.executable, "-c", "import numpy"], repeat)
        seconds = time_command([derive, "gradcheck", str(right)], repeat)
        listing = time_command([derive, "list"], repeat)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"wall times, median of {repeat} (load average {load} on {os.cpu_count()} cores):")
        print(f"  python -c 'import numpy': {baseline:.2f} s; derive list: {listing:.2f} s")
        print(f"  derive gradcheck exercise.py: {seconds:.2f} s = {seconds / baseline:.1f} x the numpy start-up "
              f"(budget < 1 s){'  ok' if seconds < 1 else '  OVER'}")
    finally:
        shutil.rmtree(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    in_process(args.repeat)
    whole_command(max(args.repeat // 4, 3))


if __name__ == "__main__":
    main()
