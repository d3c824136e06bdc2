"""Issue 3's figures: `derive check backprop` and `derive` against the bare start-up, as ratios.

Run: python benchmarks/bench_backprop.py [--repeat N]
Every time is a median of whole-command runs of the installed `derive`, measured in this one run beside the
baseline `python -c "import sympy, numpy, rich"` (the machine is shared and noisy, so only ratios mean much).
Targets from the issue: `derive check backprop` (symbolic proofs, the exact whole-network comparison and the
784-30-10 finite-difference check of all 23,860 parameters) within 10x; `derive` (every derivation) within 8x.
Issue 10: `derive check backprop --hidden tanh --hidden relu` (symbolic sizes; its numeric check at
784-100-30-10) within 6x.
"""

from __future__ import annotations

import argparse

from _timing import baseline_startup, derive_command, print_rows, time_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    derive = derive_command()
    base = baseline_startup(args.repeat)
    rows = [('python -c "import sympy, numpy, rich" (baseline)', base, 1.0, None)]
    for label, argv, target in [
        ("derive check backprop (proofs, exact networks, 784-30-10 x16)", [derive, "check", "backprop"], 10),
        ("derive (every derivation, backprop family included)", [derive], 8),
        ("derive check backprop --sizes 784,30,10", [derive, "check", "backprop", "--sizes", "784,30,10"], None),
        ("derive check bp1 --output sigmoid --cost quadratic", [derive, "check", "bp1", "--output", "sigmoid",
                                                                "--cost", "quadratic"], None),
        ("derive show backprop", [derive, "show", "backprop"], None),
        ("derive check backprop --hidden tanh --hidden relu (issue 10)",
         [derive, "check", "backprop", "--hidden", "tanh", "--hidden", "relu"], 6),
    ]:
        seconds = time_command(argv, args.repeat)
        rows.append((label, seconds, seconds / base, target))
    base_after = baseline_startup(args.repeat)  # the baseline again: how much the machine drifted meanwhile
    rows.append(('python -c "import sympy, numpy, rich" (again, after)', base_after, base_after / base, None))
    print_rows(rows)


if __name__ == "__main__":
    main()
