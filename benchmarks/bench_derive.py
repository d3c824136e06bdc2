"""The derivation engine's figures against the bare start-up: `derive`, the output-layer checks, large K.

Run: python benchmarks/bench_derive.py [--naive] [--repeat N]
Every time is a median of whole-command runs, measured in this one run beside the baseline
`python -c "import sympy, numpy, rich"`, and reported as a ratio to it (the machine is shared and noisy).
--naive also times SymPy's own route (expanded softmax, Matrix.jacobian, lambdify) at K = 30 and 100.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from _timing import baseline_startup, derive_command, print_rows, time_command

NAIVE = """
import sys, time, numpy as np, sympy as sp
K = int(sys.argv[1])
start = time.perf_counter()
z = sp.symbols(f"z1:{K + 1}")
total = sum(sp.exp(v) for v in z)
a = sp.Matrix([sp.exp(v) / total for v in z])
jacobian = a.jacobian(sp.Matrix(z))
middle = time.perf_counter()
f = sp.lambdify([z], jacobian, "numpy")
f(np.linspace(-1, 1, K))
print(f"{middle - start:.3f} {time.perf_counter() - middle:.3f}")
"""


def naive(classes: int) -> tuple[float, float]:
    output = subprocess.run([sys.executable, "-c", NAIVE, str(classes)], capture_output=True, text=True, check=True)
    jacobian, lambdify = map(float, output.stdout.split())
    return jacobian, lambdify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--naive", action="store_true", help="also time naive SymPy at K = 30 and K = 100 (minutes)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    derive = derive_command()
    base = baseline_startup(args.repeat)
    rows = [('python -c "import sympy, numpy, rich" (baseline)', base, 1.0, None)]
    output_layer = ["sigmoid", "softmax-diagonal", "softmax-off-diagonal", "softmax-jacobian", "cross-entropy-delta",
                    "negative-log-likelihood"]
    for label, argv, target in [
        # The default run shows every derivation, backprop's included since issue 3, whose budget is 8x.
        # Issue 9: the default run stays the seeds' network (about 5x before the table); budget "no slower".
        ("derive (the seeds' derivations, proofs and numeric checks)", [derive], 8),
        ("derive check tanh (plan, prove, check numerically)", [derive, "check", "tanh"], 3),
        ("derive check (the whole table and the seeds', both cores)", [derive, "check"], 12),
        # Issue 2's budget of 5x was for the six output-layer derivations at K = 3 and symbolic K.
        ("derive check <the six output-layer derivations>", [derive, "check", *output_layer], 5),
        ("derive check softmax-jacobian --classes 100", [derive, "check", "softmax-jacobian", "--classes", "100"], 15),
        ("derive check softmax-jacobian --classes 1000", [derive, "check", "softmax-jacobian", "--classes", "1000"], 8),
        ("derive list", [derive, "list"], None),
    ]:
        seconds = time_command(argv, args.repeat)
        rows.append((label, seconds, seconds / base, target))
    if args.naive:
        for classes in (30, 100):
            start = time.perf_counter()
            jacobian, lambdify = naive(classes)
            seconds = time.perf_counter() - start
            rows.append((f"naive SymPy K={classes}: jacobian {jacobian:.1f} s + lambdify {lambdify:.1f} s", seconds,
                         seconds / base, None))
    print_rows(rows)


if __name__ == "__main__":
    main()
