"""Benchmark of check_backward on the exercise (24 names with a gradient; batch 32, hidden 64), in the same run:

- forward passes run to check: the statements the check runs (probes, the complex-safety run) divided by the
  statements of forward, counted by the checker; budget <= 60;
- the time of check_backward divided by the time of one forward pass (forward(**inputs), plain numpy), both
  medians of CPU time in this process, with the part spent before any probe (reading and compiling forward, running
  it, the tracked complex-safety run, calling backward); a forward pass here takes ~30 us, so fixed Python costs
  dominate;
- the whole command `derive gradcheck exercise.py` (start-up included): budget < 1 s, next to `derive list` (the
  same command-line start-up) and the bare start-up `python -c "import sympy, numpy, rich"`.

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
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from _timing import baseline_startup, derive_command, time_command  # noqa: E402

from checks.backward import check_backward, exercise  # noqa: E402
from checks.backward.program import parse_forward  # noqa: E402
from checks.backward.run import Runner  # noqa: E402
from checks.backward.safety import statement_safety  # noqa: E402

PLANTED = ("dvar / (n - 1)", "dvar / n")  # Bessel's correction dropped: one wrong name, diagnosed


def _median_time(fn, repeat: int) -> float:
    """Median CPU time of this process per call: other processes on the shared machine do not count."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def _interleaved_ratio(fn, forward, repeat: int) -> float:
    """Median over rounds of time(fn) / time(one forward pass), each round timing both back to back (load moves)."""
    ratios = []
    for _ in range(repeat):
        one_forward = _median_time(forward, 20)
        ratios.append(_median_time(fn, 1) / one_forward)
    return statistics.median(ratios)


def in_process(repeat: int) -> None:
    values = exercise.inputs()
    forward = lambda: exercise.forward(**values)  # noqa: E731
    check_backward(exercise.forward, exercise.backward, exercise.inputs)  # warm-up: imports, caches
    report = check_backward(exercise.forward, exercise.backward, exercise.inputs)
    checked = sum(node.status != "unchecked" for node in report.nodes)
    print(f"{checked} names checked, method {report.method}, passed {report.passed}")
    print(f"one forward pass: {_median_time(forward, 400) * 1e6:.0f} us (median of 400)")
    print(f"forward passes run to check (counted): {report.forward_passes:g} (budget <= 60)"
          f"{'' if report.forward_passes <= 60 else '  OVER'}")
    right = _interleaved_ratio(lambda: check_backward(exercise.forward, exercise.backward, values),
                               forward, repeat)
    fixed = _interleaved_ratio(lambda: _before_probing(values), forward, repeat)
    print(f"check_backward, all right: {right:.0f} x the time of one forward pass "
          f"(of which {fixed:.0f} x before any probe)")
    wrong = _planted()
    planted = _interleaved_ratio(lambda: check_backward(wrong.forward, wrong.backward, values), forward, repeat)
    print(f"check_backward, Bessel's correction dropped (diagnosed): {planted:.0f} x one forward pass")


def _before_probing(values) -> None:
    program = parse_forward(exercise.forward)
    runner = Runner(program, values)
    statement_safety(runner, 0)
    exercise.backward(dict(runner.values))


def _planted():
    folder = Path(tempfile.mkdtemp())
    path = folder / "planted.py"
    path.write_text(Path(exercise.__file__).read_text().replace(*PLANTED))
    spec = importlib.util.spec_from_file_location("planted", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def whole_command(repeat: int) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        right = folder / "exercise.py"
        shutil.copy(exercise.__file__, right)
        derive, baseline = derive_command(), baseline_startup(repeat)
        seconds = time_command([derive, "gradcheck", str(right)], repeat)
        listing = time_command([derive, "list"], repeat)
        print(f"baseline start-up: {baseline:.2f} s; derive list: {listing:.2f} s")
        print(f"derive gradcheck exercise.py: {seconds:.2f} s = {seconds / baseline:.2f} x start-up, "
              f"{seconds - listing:+.2f} s over derive list (budget < 1 s){'' if seconds < 1 else '  OVER'}")
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
