"""Benchmark of check_backward on the exercise (25 names with a gradient; batch 32, hidden 64), in the same run:

- forward-pass equivalents: the median time of check_backward divided by the median time of one forward pass
  (forward(**inputs), plain numpy), both in this process; budget <= 60;
- the whole command `derive gradcheck exercise.py` (start-up included): budget < 1 s, also as a ratio to the bare
  start-up `python -c "import sympy, numpy, rich"`.

    python benchmarks/bench_backward.py [--repeat 20]

BLAS runs single-threaded (unless the environment says otherwise), as in bench_gradcheck.py.
"""

from __future__ import annotations

import argparse
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

PLANTED = ("dvar / (n - 1)", "dvar / n")  # Bessel's correction dropped: one wrong name, diagnosed


def _median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process(repeat: int) -> None:
    values = exercise.inputs()
    forward_time = _median_time(lambda: exercise.forward(**values), repeat * 20)
    check_backward(exercise.forward, exercise.backward, exercise.inputs)  # warm-up: imports, caches
    report = check_backward(exercise.forward, exercise.backward, exercise.inputs)
    checked = sum(node.status != "unchecked" for node in report.nodes)
    print(f"{checked} names checked, method {report.method}, passed {report.passed}")
    print(f"one forward pass: {forward_time * 1e6:.0f} us (median of {repeat * 20})")
    check_time = _median_time(lambda: check_backward(exercise.forward, exercise.backward, exercise.inputs), repeat)
    ratio = check_time / forward_time
    print(f"check_backward, all right: {check_time * 1e3:.1f} ms = {ratio:.0f} forward passes (budget <= 60)"
          f"{'' if ratio <= 60 else '  OVER'}")


def whole_command(repeat: int) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        right = folder / "exercise.py"
        shutil.copy(exercise.__file__, right)
        derive, baseline = derive_command(), baseline_startup(repeat)
        seconds = time_command([derive, "gradcheck", str(right)], repeat)
        print(f"baseline start-up: {baseline:.2f} s")
        print(f"derive gradcheck exercise.py: {seconds:.2f} s = {seconds / baseline:.2f} x start-up "
              f"(budget < 1 s){'' if seconds < 1 else '  OVER'}")
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
