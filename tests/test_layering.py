"""The arrows go one way: the core imports neither rich nor checks, and `import derive` costs nothing."""

import subprocess
import sys

import pytest

CORE = ["derive", "derive.notation", "derive.steps", "derive.rules", "derive.verify", "derive.derivations",
        "derive.printing", "derive.numeric", "derive.backprop", "derive.backprop.verify", "derive.codegen",
        "derive.codegen.module", "derive.codegen.check", "derive.codegen.network", "derive.functions", "derive.catalogue",
        "derive.families", "derive.codegen.activation"]


def imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(output.split())


@pytest.mark.parametrize("module", CORE)
def test_core_imports_neither_rich_nor_checks(module):
    loaded = imported_after(f"import {module}")
    assert "rich" not in loaded and "checks" not in loaded, module


def test_import_derive_does_not_load_sympy():
    assert "sympy" not in imported_after("import derive")


def test_checks_imports_no_rich():
    assert "rich" not in imported_after("import checks.derivation_check")


def test_listing_does_not_load_sympy():
    assert "sympy" not in imported_after("from derive.cli import list_cmd")
