"""Issue 10's figures, each a ratio measured in the same run.

Run: python benchmarks/bench_anynet.py [--repeat N] [--skip-commands]
1. `derive check backprop --hidden tanh --hidden relu` (proofs, and the numeric check of every one of the 81,840
   parameters of 784-100-30-10 by complex step) against the bare start-up `python -c "import sympy, numpy, rich"`:
   median of N whole-command runs each, target at most 6x.
2. The generated backprop against a hand-written numpy backprop. The network is 784-100-30-10 with tanh and relu
   hidden layers and a softmax output with cross-entropy, a mini-batch of 64 columns. Both functions get the same
   seeded weights and batch and return the same gradients (asserted before timing). Each figure is the median
   over N rounds of the best of 20 calls; the target is a ratio of at most 1.3.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import timeit

import numpy as np

from derive.codegen import generate_module, load_module

SIZES, BATCH, TARGET, COMMAND_TARGET = (784, 100, 30, 10), 64, 1.3, 6.0


def hand_written(weights, biases, x, y):
    """What a person writes: tanh, relu, a stable softmax, δ^L = a − y, mean over the columns."""
    (w1, w2, w3), (b1, b2, b3) = weights, biases
    a1 = np.tanh(w1 @ x + b1)
    z2 = w2 @ a1 + b2
    a2 = np.maximum(z2, 0)
    z3 = w3 @ a2 + b3
    e = np.exp(z3 - z3.max(axis=0, keepdims=True))
    m = x.shape[1]
    d3 = e / e.sum(axis=0, keepdims=True) - y
    d2 = (w3.T @ d3) * (z2 > 0)
    d1 = (w2.T @ d2) * (1 - a1 * a1)
    return ([d1 @ x.T / m, d2 @ a1.T / m, d3 @ a2.T / m],
            [d1.sum(axis=1, keepdims=True) / m, d2.sum(axis=1, keepdims=True) / m, d3.sum(axis=1, keepdims=True) / m])


def problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(n, m)) / np.sqrt(m) for m, n in zip(SIZES[:-1], SIZES[1:])]
    biases = [rng.normal(size=(n, 1)) * 0.1 for n in SIZES[1:]]
    x = rng.random((SIZES[0], BATCH))
    y = np.zeros((SIZES[-1], BATCH))
    y[rng.integers(SIZES[-1], size=BATCH), np.arange(BATCH)] = 1.0
    return weights, biases, x, y


def best_of(function, arguments, rounds: int) -> float:
    return statistics.median(min(timeit.repeat(lambda: function(*arguments), number=1, repeat=20))
                             for _ in range(rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-commands", action="store_true", help="time the generated code only")
    args = parser.parse_args()
    if not args.skip_commands:
        commands(args.repeat)
    generated = load_module(generate_module("backprop", sizes=SIZES, hidden=("tanh", "relu")))
    arguments = problem()
    got, want = generated.backprop(*arguments), hand_written(*arguments)
    assert all(np.allclose(g, w, rtol=1e-10, atol=1e-14) for g, w in zip(got[0] + got[1], want[0] + want[1]))
    for _ in range(20):  # warm up both (BLAS threads, caches) before any figure is taken
        hand_written(*arguments), generated.backprop(*arguments)
    hand = best_of(hand_written, arguments, args.repeat)
    ours = best_of(generated.backprop, arguments, args.repeat)
    hand_again = best_of(hand_written, arguments, args.repeat)
    print(f"hand-written numpy backprop, 784-100-30-10 x{BATCH}: {hand * 1e3:.3f} ms (1.00x)")
    print(f"generated (derive codegen backprop --hidden tanh --hidden relu): {ours * 1e3:.3f} ms "
          f"({ours / hand:.2f}x, target <= {TARGET}x)")
    print(f"hand-written again, after: {hand_again * 1e3:.3f} ms ({hand_again / hand:.2f}x: the machine's drift)")


def commands(repeat: int) -> None:
    """`derive check backprop --hidden tanh --hidden relu` as a multiple of the bare start-up, with the load."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _timing import baseline_startup, derive_command, print_rows, time_command

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    base = baseline_startup(repeat)
    derive = derive_command()
    check = time_command([derive, "check", "backprop", "--hidden", "tanh", "--hidden", "relu"], repeat)
    sized = time_command([derive, "check", "backprop", "--hidden", "tanh", "--hidden", "relu",
                          "--sizes", "784,100,30,10"], repeat)
    base_after = baseline_startup(repeat)
    print_rows([("baseline python -c 'import sympy, numpy, rich'", base, 1.0, None),
                ("derive check backprop --hidden tanh --hidden relu", check, check / base, COMMAND_TARGET),
                ("  the same with --sizes 784,100,30,10", sized, sized / base, None),
                ("baseline again, after", base_after, base_after / base, None)])


if __name__ == "__main__":
    main()
