"""The command line's start-up: its parser is built from light modules, the heavy ones load with the command."""

import subprocess
import sys

HEAVY = ("sympy", "numpy", "rich")

PROBE = """
import sys
from derive.cli import _build_parser
_build_parser().parse_args(sys.argv[1:])
print(" ".join(sorted(name for name in {heavy} if name in sys.modules)))
"""


def loaded_by_parsing(*argv: str) -> str:
    script = PROBE.format(heavy=HEAVY)
    return subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, check=True).stdout


def test_parsing_any_command_imports_no_heavy_module():
    for argv in (["list"], ["gradcheck", "file.py"], ["show", "bp1", "--classes", "3"], ["codegen", "bp1"]):
        assert loaded_by_parsing(*argv).strip() == "", argv
