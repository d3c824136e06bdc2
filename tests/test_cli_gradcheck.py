"""`derive gradcheck FILE.py`, run as a real subprocess of the installed console script: report, exit 0 / 1 / 2.

The `cli` fixture (tests/conftest.py) runs the `derive` found next to sys.executable.
"""

import textwrap

import pytest

# A person's own file: a 3-4-2 sigmoid/softmax network written from scratch, nothing imported from this project.
NETWORK = textwrap.dedent(
    """
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((3, 5))
    y = np.eye(2)[:, rng.integers(2, size=5)]
    params = [rng.normal(size=(4, 3)), rng.normal(size=(4, 1)), rng.normal(size=(2, 4)), rng.normal(size=(2, 1))]


    def sigmoid(z):
        return 1 / (1 + np.exp(-z))


    def forward(p):
        a1 = sigmoid(p[0] @ x + p[1])
        z2 = p[2] @ a1 + p[3]
        e = np.exp(z2 - np.max(z2.real, axis=0))
        return a1, e / e.sum(axis=0)


    def loss(p):
        return -np.sum(y * np.log(forward(p)[1])) / x.shape[1]


    def grad(p):
        a1, a2 = forward(p)
        d2 = (a2 - y) / x.shape[1] * SCALE
        d1 = (p[2].T @ d2) * a1 * (1 - a1)
        return [d1 @ x.T, d1.sum(axis=1, keepdims=True), d2 @ a1.T, d2.sum(axis=1, keepdims=True)]
    """
)


def _write(tmp_path, text, name="mine.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def derive(cli):
    """The installed command in a subprocess: for the verdicts, exit codes 0 and 1."""
    return lambda *args, cwd=None: cli("gradcheck", *map(str, args), cwd=cwd)


@pytest.fixture
def derive_here(run_main):
    """main() in this process: for the errors, where a subprocess would only add start-up time."""
    return lambda *args, cwd=None: run_main("gradcheck", *map(str, args), cwd=cwd)


def _network(tmp_path, scale="1", extra=""):
    return _write(tmp_path, NETWORK.replace("SCALE", scale) + extra)


def test_a_correct_gradient_passes_with_exit_0(derive, tmp_path):
    result = derive(_network(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "gradient check: PASSED" in result.stdout
    assert "W1" in result.stdout and "b2" in result.stdout
    assert result.stderr == ""


def test_a_wrong_gradient_fails_with_exit_1_and_names_the_factor(derive, tmp_path):
    result = derive(_network(tmp_path, scale="5"), "--batch-size", "5")
    assert result.returncode == 1, result.stderr
    assert "gradient check: FAILED" in result.stdout
    assert "[scale]" in result.stdout and "batch size" in result.stdout


def test_other_names_and_params_from_a_function(derive, tmp_path):
    extra = textwrap.dedent(
        """
        def cost(p):
            return loss(p)

        def backward(p):
            return grad(p)

        def start():
            return [q.copy() for q in params]
        """
    )
    result = derive(_network(tmp_path, extra=extra), "--loss", "cost", "--grad", "backward", "--params", "start",
                     "--mode", "fast", "--method", "central")
    assert result.returncode == 0, result.stderr
    assert "central differences" in result.stdout and "fast" in result.stdout


def test_the_file_s_folder_is_importable_while_it_runs(derive, tmp_path):
    _write(tmp_path, NETWORK.replace("SCALE", "1"), name="helper_net.py")
    path = _write(tmp_path, "from helper_net import loss, grad, params\n", name="uses_helper.py")
    result = derive(path, cwd="/")
    assert result.returncode == 0, result.stderr


def _assert_usage_error(result, *fragments):
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("derive: error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_a_missing_file_is_exit_2(derive_here, tmp_path):
    _assert_usage_error(derive_here(tmp_path / "nothere.py"), "no such file")


def test_a_file_that_is_not_python_is_exit_2(derive_here, tmp_path):
    path = _write(tmp_path, "loss = 1\n", name="notes.txt")
    _assert_usage_error(derive_here(path), "not a Python file")


def test_a_syntax_error_is_exit_2_naming_file_and_line(derive_here, tmp_path):
    path = _write(tmp_path, "import numpy as np\ndef loss(p:\n    return 0\n")
    _assert_usage_error(derive_here(path), "mine.py", "SyntaxError", "line 2")


def test_an_error_at_import_is_exit_2(derive_here, tmp_path):
    path = _write(tmp_path, "raise RuntimeError('no data file')\n")
    _assert_usage_error(derive_here(path), "RuntimeError: no data file")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--grad", "backprop"], "defines no 'backprop'"),
        (["--loss", "os.system"], "is not a Python name"),
        (["--params", "x[0]"], "is not a Python name"),
        (["--grad", "x"], "x is not a function"),
        (["--method", "forward"], "invalid choice"),
    ],
)
def test_bad_names_are_exit_2(derive_here, tmp_path, args, fragment):
    _assert_usage_error(derive_here(_network(tmp_path), *args), fragment)


def test_wrong_shapes_are_exit_2(derive_here, tmp_path):
    extra = "\n\ndef short(p):\n    return [g[:, :1] for g in grad(p)]\n"
    _assert_usage_error(derive_here(_network(tmp_path, extra=extra), "--grad", "short"), "shape", "expected (4, 3)")


def test_params_that_are_not_arrays_are_exit_2(derive_here, tmp_path):
    extra = "\n\nbad = [[1, 2], [3, 4]]\n"
    _assert_usage_error(derive_here(_network(tmp_path, extra=extra), "--params", "bad"), "floating-point numpy array")


def test_an_error_inside_grad_is_exit_2_naming_the_line(derive_here, tmp_path):
    extra = "\n\ndef broken(p):\n    return 1 / 0\n"
    path = _network(tmp_path, extra=extra)
    line = path.read_text().splitlines().index("    return 1 / 0") + 1
    _assert_usage_error(derive_here(path, "--grad", "broken"), "ZeroDivisionError", f"(line {line})")


def test_an_error_inside_loss_names_its_line_too(derive_here, tmp_path):
    extra = "\n\ndef strict(p):\n    assert p[0].shape == (9, 9), 'not my shape'\n    return loss(p)\n"
    path = _network(tmp_path, extra=extra)
    line = path.read_text().splitlines().index("    assert p[0].shape == (9, 9), 'not my shape'") + 1
    _assert_usage_error(derive_here(path, "--loss", "strict"), "AssertionError: not my shape", f"(line {line})")


def _readme_example() -> str:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    after = readme.split("<!-- example: gradcheck FILE.py", 1)[1]
    return re.search(r"```python\n(.*?)```", after, flags=re.S).group(1)


def test_the_readme_example_file_passes_and_its_mistake_fails(derive, tmp_path):
    """The complete FILE.py in the README, run as the README says; then with the mistake the README names."""
    example = _readme_example()
    right = derive(_write(tmp_path, example, name="net.py"))
    assert right.returncode == 0, right.stderr
    assert "gradient check: PASSED" in right.stdout and all(name in right.stdout for name in ("W1", "b1", "W2", "b2"))
    assert "method complex step" in right.stdout  # the README says its shift keeps the loss complex-safe
    mistaken = example.replace("(a2 - y) / x.shape[1]", "(a2 - y) * a2 * (1 - a2) / x.shape[1]")
    assert mistaken != example
    wrong = derive(_write(tmp_path, mistaken, name="wrong.py"))
    assert wrong.returncode == 1 and "gradient check: FAILED" in wrong.stdout
