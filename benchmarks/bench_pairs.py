"""`derive check bp1` for every output/cost pair against the bare start-up, as ratios measured in one run.

Run: python benchmarks/bench_pairs.py [--repeat N]
Each row is the median of N whole-command runs of the installed `derive` (symbolic proof, whole-network check),
beside the baseline `python -c "import sympy, numpy, rich"` taken before and after (the machine is shared and
noisy, so only ratios mean much). Target: softmax with Huber within 2x of sigmoid with Huber (its Piecewise per
unit once took ~100x, folded over all K units of the softmax Jacobian).
"""

from __future__ import annotations

import argparse

from _timing import baseline_startup, derive_command, print_rows, time_command

from derive.functions import COSTS, OUTPUTS  # every pair of the table, as `derive list` names them
TARGET = 2.0  # softmax+huber / sigmoid+huber


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    derive = derive_command()
    base = baseline_startup(args.repeat)
    rows, seconds = [('python -c "import sympy, numpy, rich" (baseline)', base, 1.0, None)], {}
    for output in OUTPUTS:
        for cost in COSTS:
            argv = [derive, "check", "bp1", "--output", output, "--cost", cost]
            seconds[output, cost] = time_command(argv, args.repeat)
            rows.append((f"check bp1 --output {output} --cost {cost}", seconds[output, cost],
                         seconds[output, cost] / base, None))
    base_after = baseline_startup(args.repeat)
    rows.append(('python -c "import sympy, numpy, rich" (again, after)', base_after, base_after / base, None))
    print_rows(rows)
    ratio = seconds["softmax", "huber"] / seconds["sigmoid", "huber"]
    print(f"softmax+huber / sigmoid+huber: {ratio:.2f} (target <= {TARGET}){'' if ratio <= TARGET else '  OVER'}")


if __name__ == "__main__":
    main()
