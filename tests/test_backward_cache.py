"""What check_backward keeps between calls (a forward's parsed statements) and what it must not (globals, values)."""

import textwrap

from checks.backward import check_backward
from checks.backward.program import parse_forward
from conftest import import_file

SCALED = textwrap.dedent("""
    import numpy as np

    SCALE = 3.0


    def inputs():
        return {"x": np.linspace(-1.0, 1.0, 6)}


    def forward(x):
        y = SCALE * x
        loss = (y * y).sum()
        return loss


    def backward(v):
        return {"y": 2 * v["y"], "x": 2 * SCALE * v["y"]}
""")


def load(folder, name, text=SCALED):
    return import_file(folder / f"{name}.py", text)


def test_the_same_forward_in_two_files_keeps_its_own_file(tmp_path):
    first, second = load(tmp_path, "first"), load(tmp_path, "second")
    assert first.forward.__code__ == second.forward.__code__  # equal code objects: a cache keyed by code would mix
    assert parse_forward(first.forward).file == str(tmp_path / "first.py")
    assert parse_forward(second.forward).file == str(tmp_path / "second.py")


def test_a_global_changed_between_two_checks_is_read_again(tmp_path):
    module = load(tmp_path, "scaled")
    assert check_backward(module.forward, module.backward, module.inputs).passed
    module.SCALE = -2.0  # backward reads the new value: a forward still running with the old one would disagree
    report = check_backward(module.forward, module.backward, module.inputs)
    assert report.passed, report.as_json()


def test_checking_twice_gives_the_same_numbers(tmp_path):
    module = load(tmp_path, "scaled", SCALED.replace('2 * SCALE * v["y"]', 'SCALE * v["y"]'))
    once, twice = (check_backward(module.forward, module.backward, module.inputs) for _ in range(2))
    assert not once.passed and once.as_json() == twice.as_json()



def test_a_forward_is_compiled_in_one_call_and_not_again(tmp_path, monkeypatch):
    import checks.backward.program as program

    calls = []
    monkeypatch.setattr(program, "compile", lambda *args: calls.append(args[1]) or compile(*args), raising=False)
    module = load(tmp_path, "compiled")
    for _ in range(2):
        assert check_backward(module.forward, module.backward, module.inputs).passed
    assert calls == [str(tmp_path / "compiled.py")]  # every statement from one compile of the person's file
