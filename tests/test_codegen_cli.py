"""`derive codegen`, run as a user runs it: the module goes to stdout or, atomically, to -o FILE; bad input exits 2."""

import importlib.util

import numpy as np
import pytest


def import_file(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stdout_is_the_module(cli, tmp_path):
    run = cli("codegen", "softmax-jacobian", "--classes", "4")
    assert run.returncode == 0, run.stderr
    path = tmp_path / "jacobian.py"
    path.write_text(run.stdout)
    generated = import_file(path)
    z = np.array([1000.0, 999.0, 998.0, 0.0])
    assert generated.softmax_jacobian(z).shape == (4, 4) and np.isfinite(generated.softmax_jacobian(z)).all()


def test_file_is_written_and_importable(cli, tmp_path):
    path = tmp_path / "ce.py"
    run = cli("codegen", "cross-entropy-delta", "--classes", "1000", "-o", str(path))
    assert run.returncode == 0, run.stderr
    assert run.stdout == "" and list(tmp_path.iterdir()) == [path], "no temporary file is left behind"
    generated = import_file(path)
    z, y = np.full(1000, -1000.0), np.eye(1000)[7]
    assert np.isclose(generated.cross_entropy(z, y), np.log(1000)) and np.isfinite(generated.delta(z, y)).all()
    assert "`derive codegen cross-entropy-delta --classes 1000`" in path.read_text()


def test_missing_directory_is_a_usage_error_and_writes_nothing(run_main, tmp_path):
    run = run_main("codegen", "softmax-jacobian", "-o", str(tmp_path / "absent" / "j.py"))
    assert run.returncode == 2 and run.stderr.startswith("derive: error: cannot write")
    assert "does not exist" in run.stderr and not (tmp_path / "absent").exists()


@pytest.mark.parametrize("args, message", [
    (["no-such-id"], "unknown derivation"),
    (["softmax-jacobian", "--classes", "1"], "from 2 to"),
    (["softmax-jacobian", "--classes", "10001"], "from 2 to"),
    (["softmax-jacobian", "--sizes", "3,4"], "--sizes does not apply"),
])
def test_bad_input_exits_2_with_one_line(run_main, args, message):
    run = run_main("codegen", *args)
    assert run.returncode == 2 and message in run.stderr and run.stderr.count("\n") == 1 and run.stdout == ""


def test_a_directory_as_target_is_refused(run_main, tmp_path):
    run = run_main("codegen", "sigmoid", "-o", str(tmp_path))
    assert run.returncode == 2 and "it is a folder" in run.stderr


def test_an_existing_file_is_untouched_when_generation_fails(tmp_path, monkeypatch, capsys):
    """An error after the file was opened must leave the old module whole and no temporary file behind."""
    import errno

    from derive import atomic
    from derive.cli import main

    path = tmp_path / "keep.py"
    path.write_text("OLD = 1\n")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    assert main(["codegen", "softmax-jacobian", "-o", str(path)]) == 2
    assert capsys.readouterr().err == f"derive: error: cannot write {path}: No space left on device\n"
    assert path.read_text() == "OLD = 1\n" and list(tmp_path.iterdir()) == [path]


def test_a_mismatch_is_reported_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    from derive.cli import main
    from derive.codegen import check

    monkeypatch.setattr(check, "AGREEMENT", 0.0)  # nothing agrees to zero: every function fails its check
    path = tmp_path / "j.py"
    assert main(["codegen", "softmax-jacobian", "-o", str(path)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("derive: error: generated code does not match the derivation: softmax: relative error")
    assert error.count("\n") == 1 and not path.exists() and list(tmp_path.iterdir()) == []


def test_codegen_of_every_output_cost_pair_writes_checked_code_or_says_why_in_one_line(run_main):
    """The whole grid from the table: exit 0 with a module, 1 when the generated code fails its own check, 2 when
    codegen cannot write that pair; one line on stderr and never a traceback."""
    from derive import functions

    for id_ in ("bp1", "backprop"):
        for output in functions.OUTPUTS:
            for cost in functions.COSTS:
                result = run_main("codegen", id_, "--output", output, "--cost", cost, "--sizes", "4,3,2")
                assert result.returncode in (0, 1, 2), (id_, output, cost)
                assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) <= 1, (id_, output, cost)
                assert (result.returncode == 0) == bool(result.stdout), (id_, output, cost)
