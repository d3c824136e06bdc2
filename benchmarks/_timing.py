"""Timing helpers shared by the benchmark scripts: wall-clock medians of whole commands, reported as ratios."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["derive_command", "time_command", "baseline_startup", "print_rows"]

BASELINE = [sys.executable, "-c", "import sympy, numpy, rich"]


def derive_command() -> str:
    found = shutil.which("derive", path=str(Path(sys.executable).parent)) or shutil.which("derive")
    if found is None:
        sys.exit("benchmark: the `derive` command is not installed (pip install -e '.[test]')")
    return found


def time_command(argv: list[str], repeat: int = 5) -> float:
    """Median wall time of running argv to completion (output discarded); a failing command aborts."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                env={**os.environ, "NO_COLOR": "1"})
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(f"benchmark: {' '.join(argv)} failed: {result.stderr.decode()[-400:]}")
    return statistics.median(times)


def baseline_startup(repeat: int = 5) -> float:
    return time_command(BASELINE, repeat)


def print_rows(rows: list[tuple[str, float, float, float | None]]) -> None:
    """rows: (what, seconds, ratio to the baseline, the ratio allowed or None)."""
    print(f"{'what':58} {'seconds':>8} {'x start-up':>11} {'target':>8}")
    for what, seconds, ratio, target in rows:
        verdict = "" if target is None else ("  ok" if ratio <= target else "  OVER")
        print(f"{what:58} {seconds:8.2f} {ratio:11.2f} {('<= ' + str(target)) if target else '':>8}{verdict}")
