"""The planner's figures against the bare start-up: an activation and a 20-operation user expression, each parsed,
planned, proven, checked numerically and rendered in a fresh process (what `derive check EXPR` does).

Run: python benchmarks/bench_plan.py [--repeat N]
Every time is a median of whole-process runs, measured in this one run beside the baseline
`python -c "import sympy, numpy, rich"`, and reported as a ratio to it (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import sys

from _timing import baseline_startup, print_rows, time_command

# 20 operations: 9 binary operators, 1 unary minus, 8 function calls, 2 powers.
TWENTY = "z*sigmoid(1.702*z) + 0.1*tanh(z)^2 - log(1 + exp(-z))/(1 + z^2) + erf(z/2)*abs(z) - max(0, z)^2"
SCRIPT = """
import sys
from checks.derivation_check import check_derivation
from derive.expressions import parse_expression
from derive.plan import plan_derivation
from derive.render.report import Report
from derive.render.text import plain_text
from derive.verify import prove

derivation = plan_derivation(parse_expression(sys.argv[1]), id="user", title=sys.argv[1])
report = Report(derivation, prove(derivation), check_derivation(derivation))
print(plain_text(report))
sys.exit(0 if report.passed else 1)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    baseline = baseline_startup(repeat)
    rows = [("baseline python -c 'import sympy, numpy, rich'", baseline, 1.0, None)]
    for what, text, target in (("tanh(z): plan, prove, check, render", "tanh(z)", 3),
                               ("20-operation expression: plan, prove, check, render", TWENTY, 5)):
        seconds = time_command([sys.executable, "-c", SCRIPT, text], repeat)
        rows.append((what, seconds, seconds / baseline, target))
    print_rows(rows)


if __name__ == "__main__":
    main()
