"""Bad inputs of every kind, replayed as a hostile new user types them.

Each must get one line on stderr naming the problem, exit code 2 (130 for Ctrl-C), no traceback, nothing on
stdout and no file written. Argument-level cases call main([...]) in this process (tests/conftest.py: run_main);
closed and full streams, Ctrl-C and a few misbehaving files run the installed command.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import derive_executable

BASE = "import numpy as np\nparams = [np.ones(3)]\ndef loss(p):\n    return float((p[0] ** 2).sum())\n"
GOOD_GRAD = "def grad(p):\n    return [2 * p[0]]\n"
FB_INPUTS = "import numpy as np\ndef inputs():\n    return {'x': np.ones((3, 2)), 'W': np.eye(2)}\n"
FB_FORWARD = "def forward(x, W):\n    h = x @ W\n    loss = h.sum()\n    return loss\n"
FB_BACKWARD = "def backward(v):\n    return {'h': np.ones((3, 2))}\n"


def _fb(loss: str, backward: str) -> str:
    """A forward/backward file: h = x @ W, loss = <loss>, and a backward whose body is <backward>."""
    return (FB_INPUTS + f"def forward(x, W):\n    h = x @ W\n    loss = {loss}\n    return loss\n"
            f"def backward(v):\n    {backward}\n")


FILES = {  # a person's files that misbehave, each with the fragment of the one-line error it must get
    "exits.py": (BASE + "import os\ndef grad(p):\n    os._exit(0)\n", "ended the process (exit status 0)"),
    "killed.py": (BASE + "import os, signal\ndef grad(p):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
                  "ended the process (killed by SIGKILL)"),
    "sysexit.py": (BASE + "def grad(p):\n    raise SystemExit(0)\n", "SystemExit"),
    "interrupts.py": (BASE + "def grad(p):\n    raise KeyboardInterrupt\n", "raised KeyboardInterrupt"),
    "none.py": (BASE + "def grad(p):\n    return None\n", "TypeError"),
    "recurses.py": (BASE + "def grad(p):\n    return grad(p)\n", "RecursionError"),
    "unprintable.py": (BASE + "class E(Exception):\n    def __str__(self):\n        raise ValueError\n"
                       "def grad(p):\n    raise E()\n", "raised E"),
    "twolines.py": (BASE + "def grad(p):\n    raise RuntimeError('one\\ntwo')\n", "RuntimeError: one"),
    "nul.py": ("a = 1\x00\n", "null bytes"),
    "syntax.py": ("def loss(p:\n", "SyntaxError"),
    "nanloss.py": ("import numpy as np\nparams = [np.ones(3)]\ndef loss(p):\n    return float('nan')\n"
                   "def grad(p):\n    return [p[0]]\n", "finite"),
    "empty.py": ("params = []\ndef loss(p):\n    return 0.0\ndef grad(p):\n    return []\n", "empty"),
    "ints.py": ("import numpy as np\nparams = [np.ones(3, dtype=int)]\ndef loss(p):\n    return 0.0\n"
                "def grad(p):\n    return [p[0]]\n", "floating-point"),
    "toomany.py": (BASE + "def grad(p):\n    return [2 * p[0], p[0]]\n", "returned 2 arrays"),
    "ü ñ.py": (BASE, "defines no 'grad'"),
    **{name: (text, fragment) for name, text, fragment in (  # forward/backward files (checks.backward)
        ("loop.py", FB_INPUTS + "def forward(x, W):\n    h = x @ W\n    for i in range(2):\n        h = h + 1\n"
         "    loss = h.sum()\n    return loss\n" + FB_BACKWARD, "line 6: `for i in range(2):` is not a simple"),
         ("augmented.py", FB_INPUTS + "def forward(x, W):\n    h = x @ W\n    h += 1\n    loss = h.sum()\n"
          "    return loss\n" + FB_BACKWARD, "line 6: `h += 1` is not a simple assignment"),
         ("tuple.py", FB_INPUTS + "def forward(x, W):\n    h, g = x @ W, x\n    loss = h.sum()\n    return loss\n"
          + FB_BACKWARD, "line 5: `h, g = x @ W, x` is not a simple assignment"),
         ("vector_loss.py", _fb("h * 1.0", "return {'h': np.ones((3, 2))}"), "forward must return one real number"),
         ("text_loss.py", _fb("'a'", "return {'h': np.ones((3, 2))}"), "loss is of type str"),
         ("nan_loss.py", _fb("h.sum() * np.nan", "return {'h': np.ones((3, 2))}"), "a finite real number, but loss is nan"),
         ("complex_loss.py", _fb("h.sum() * 1j", "return {'h': np.ones((3, 2))}"), "finite real number"),
         ("list_backward.py", _fb("h.sum()", "return [1, 2]"), "backward must return a dict"),
         ("empty_backward.py", _fb("h.sum()", "return {}"), "nothing to check"),
         ("none_backward.py", _fb("h.sum()", "return {'h': None}"), "nothing to check"),
         ("text_gradient.py", _fb("h.sum()", "return {'h': 'abc'}"), "is not an array of numbers"),
         ("complex_gradient.py", _fb("h.sum()", "return {'h': np.ones((3, 2)) * 1j}"), "for 'h' is complex"),
         ("unknown_name.py", _fb("h.sum()", "return {'zz': np.ones(2)}"), "'zz', which is not a name of forward"),
         ("exit_backward.py", _fb("h.sum()", "raise SystemExit(3)"), "SystemExit: 3"),
         ("osexit_backward.py", _fb("h.sum()", "__import__('os')._exit(0)"), "ended the process (exit status 0)"),
         ("interrupt_backward.py", _fb("h.sum()", "raise KeyboardInterrupt"), "raised KeyboardInterrupt"),
         ("complex_inputs.py", FB_INPUTS.replace("np.ones((3, 2))", "np.ones((3, 2)) * 1j") + FB_FORWARD
          + FB_BACKWARD, "inputs['x'] is complex"),
         ("raising_inputs.py", FB_INPUTS.replace("return", "raise RuntimeError('no data')\n    return") + FB_FORWARD
          + FB_BACKWARD, "RuntimeError: no data"),
         ("list_inputs.py", "import numpy as np\ninputs = [1]\n" + FB_FORWARD + FB_BACKWARD, "inputs must be a dict"),
         ("lambda_forward.py", "import numpy as np\ninputs = {'x': np.ones(2)}\nforward = lambda x: x.sum()\n"
          + FB_BACKWARD, "forward must be a plain `def` function"),
    )},
}

CASES = [  # (arguments, fragment of the error line)
    ([""], "invalid choice: ''"), (["LIST"], "invalid choice: 'LIST'"), (["--frobnicate"], "unrecognized arguments"),
    (["list", "x"], "unrecognized arguments: x"), (["--version", "x"], "invalid choice: 'x'"),
    (["show"], "required: ID"), (["show", ""], "unknown derivation ''"), (["show", " "], "unknown derivation ' '"),
    (["show", "SIGMOID"], "unknown derivation 'SIGMOID'"), (["show", "sigmoid\n"], "unknown derivation 'sigmoid\\n'"),
    (["show", "../etc"], "column 1: unexpected character '.'"), (["show", "∂"], "column 1: unexpected character '∂'"),
    (["show", "sigmoid", "extra"], "unrecognized arguments: extra"), (["check", ""], "unknown derivation ''"),
    (["check", "sigmoid", "nope"], "unknown derivation 'nope'"),
    *[(["show", "sigmoid", "--classes", value], "must be an integer from 2 to 10000")
      for value in ("", " ", "-1", "1e3", "0x10", "３", "١", "+3", "3.0", "nan", "²")],
    *[(["show", "sigmoid", "--classes", value], "supported maximum")
      for value in ("0", "1", "10001", "99999999999999999999999")],
    *[(["show", "backprop", "--sizes", value], "whole numbers separated by commas")
      for value in (",", "3,", ",3", "3,,4", "3,-1", "3,4.5", "a,b", "٣,4", "²,3")],
    *[(["show", "backprop", "--sizes", value], "at least two layer sizes") for value in ("", "3")],
    *[(["show", "backprop", "--sizes", value], "from 1 to 100000") for value in ("0,3", "3,0", "3,100001")],
    (["show", "backprop", "--sizes", "3,1"], "at least 2 units"),
    (["show", "backprop", "--sizes", "100000,100000,100000"], "parameters"),
    (["show", "sigmoid", "--sizes", "3,4"], "--sizes does not apply to sigmoid"),
    (["show", "bp1", "--output", ""], "unknown output ''"), (["show", "bp1", "--output", "relu"], "unknown output 'relu'"),
    (["show", "bp1", "--cost", "mse"], "unknown cost 'mse'"), (["show", "sigmoid", "--format", "JSON"], "invalid choice"),
    (["check", "--format", "html"], "invalid choice: 'html'"),
    *[(["check", "sigmoid", "--seed", value], "whole number from 0 to 4294967295")
      for value in ("", "-1", "4294967296", "1.5", "١")],
    (["show", "sigmoid", "--standalone"], "--standalone goes with --format latex"),
    (["show", "softmax-jacobian", "--classes", "3", "--general"], "not allowed with argument"),
    (["check", "backprop", "--classes", "3"], "--classes does not apply to backprop"),
    (["check", "bp1", "--general"], "--classes does not apply to bp1"),
    (["export"], "required: -o/--output-dir"), (["export", "--all", "sigmoid", "-o", "."], "not both"),
    (["export", "-o", "."], "not both"), (["export", "sigmoid", "-o", ""], "-o needs a folder name"),
    (["export", "sigmoid", "-o", " "], "-o needs a folder name"), (["export", "sigmoid", "-o", "missing"], "does not exist"),
    (["export", "sigmoid", "-o", "afile"], "is a file, not a folder"),
    (["export", "sigmoid", "-o", "x" * 300], "File name too long"),
    (["export", "sigmoid", "--classes", "1", "-o", "."], "supported maximum"),
    (["export", "bp1", "--classes", "3", "-o", "."], "--classes does not apply to bp1"),
    (["export", "nope", "-o", "."], "unknown derivation 'nope'"),
    (["export", "sigmoid", "-o", "blocked"], "a folder of that name is in the way"),
    (["codegen"], "required: ID"), (["codegen", "nope"], "unknown derivation 'nope'"),
    (["codegen", ""], "unknown derivation ''"), (["codegen", "bp2"], "codegen does not support 'bp2'"),
    (["codegen", "softmax-jacobian", "--classes", "10000"], "above the 1024 MiB limit: use K up to"),
    (["codegen", "backprop", "--classes", "3"], "--classes does not apply to backprop"),
    (["codegen", "sigmoid", "--sizes", "3,4"], "--sizes does not apply to sigmoid"),
    (["codegen", "softmax-jacobian", "--output", "sigmoid"], "--output does not apply to softmax-jacobian"),
    (["codegen", "sigmoid", "-o", ""], "-o needs a file name"), (["codegen", "sigmoid", "-o", "adir/"], "it is a folder"),
    (["codegen", "sigmoid", "-o", "adir"], "it is a folder"), (["codegen", "sigmoid", "-o", "missing/x.py"], "does not exist"),
    (["codegen", "sigmoid", "-o", "/dev/full"], "not a regular file"), (["codegen", "sigmoid", "-o", "/dev/null"], "not a regular"),
    (["codegen", "sigmoid", "-o", "to-full.py"], "not a regular file"),
    (["codegen", "sigmoid", "-o", "x" * 300 + ".py"], "File name too long"),
    (["codegen", "sigmoid", "-o", "/proc/x.py"], "cannot write"),
    (["codegen", "backprop", "--sizes", "100000,100000"], "parameters"),
    (["check", "sigmoid", "--plot", ""], "--plot needs a file name"), (["check", "sigmoid", "--plot", "x.txt"], "ending in .png"),
    (["check", "sigmoid", "--plot", "missing/x.png"], "does not exist"), (["check", "sigmoid", "--plot", "adir.png"], "folder"),
    (["check", "sigmoid", "bp1", "--plot", "x.png"], "exactly one ID, got 2"), (["check", "--plot", "x.png"], "exactly one ID"),
    (["check", "backprop", "--plot", "x.png"], "output-layer derivations, not backprop"),
    (["check", "sigmoid", "--plot", "/proc/x.png"], "cannot write"),
    (["gradcheck"], "required: FILE.py"), (["gradcheck", ""], "not a Python file"), (["gradcheck", "x.txt"], "not a Python file"),
    (["gradcheck", "adir.py"], "is a folder"), (["gradcheck", "missing.py"], "no such file"),
    *[(["gradcheck", name], fragment) for name, (_, fragment) in FILES.items()],
    (["gradcheck", "good.py", "--loss", ""], "is not a Python name"), (["gradcheck", "good.py", "--grad", "λ"], "defines no 'λ'"),
    (["gradcheck", "good.py", "--loss", "np"], "np is not a function"), (["gradcheck", "good.py", "--loss", "os.system"], "Python name"),
    (["gradcheck", "good.py", "--method", ""], "invalid choice: ''"), (["gradcheck", "good.py", "--mode", "slow"], "invalid choice"),
    (["gradcheck", "good.py", "--classes", "1"], "supported maximum"), (["gradcheck", "good.py", "--batch-size", "0"], "at least 1"),
    (["gradcheck", "good.py", "--batch-size", "١"], "at least 1"), (["gradcheck", "good.py", "--seed", "-1"], "whole number"),
    (["demo", "--classes", "١"], "from 2 to 10, got '١'"), (["demo", "--classes", "11"], "from 2 to 10, got 11"),
    (["gradcheck", "fifo.py"], "not a regular file"), (["gradcheck", "good.py", "--forward", "forward"], "defines no"),
    (["gradcheck", "loop.py", "--inputs", ""], "--inputs '' is not a Python name"),
    (["gradcheck", "loop.py", "--forward", "os.path"], "is not a Python name"),
    (["gradcheck", "loop.py", "--backward", "nope"], "defines no 'nope'"),
    (["gradcheck", "loop.py", "--mode", "fast"], "--mode applies to loss/grad files"),
    (["gradcheck", "loop.py", "--classes", "3"], "--classes applies to loss/grad files"),
    (["gradcheck", "loop.py", "--format", "html"], "invalid choice: 'html'"),
    (["gradcheck", "good.py", "--backward", "backward"], "defines no 'forward'"),
    (["show", "sigmoid", "--style", "linear", "--format", "html"], "--style goes with --format text"),
    (["show", "sigmoid", "--style", "2d", "--format", "json"], "--style goes with --format text"),
    (["show", "sigmoid", "--style", "3d"], "invalid choice: '3d'"), (["show", "sigmoid", "--notation", ""], "invalid choice"),
    (["show", "sigmoid", "--notation", "qa"], "--notation qa applies to negative-log-likelihood, not sigmoid"),
    (["show", "sigmoid", "--format", "HTML"], "invalid choice: 'HTML'"),
    (["show", "sigmoid", "--format", "html", "--standalone"], "--standalone goes with --format latex"),
    (["show", "\u202esigmoid"], "column 1: unexpected character '\\u202e'"), (["demo", "--format", "html"], "invalid choice: 'html'"),
    (["demo", "--classes", "３"], "from 2 to 10"), (["demo", "--seed", "99999999999999999999999"], "whole number"),
    (["export", "sigmoid", "-o", "to-full.py"], "is a file, not a folder"),
    (["export", "sigmoid", "-o", "afile/sub"], "does not exist"),
    (["codegen", "sigmoid", "-o", "afile/x.py"], "does not exist"),
    (["demo", "--epochs", "0"], "from 1 to 20"), (["demo", "--epochs", "٣"], "from 1 to 20"), (["demo", "--seed", "x"], "whole number"),
]


@pytest.fixture
def folder(tmp_path):
    """A working folder with the files and folders the cases name; returns (path, its listing before)."""
    (tmp_path / "afile").write_text("x")
    for name in ("adir", "adir.py", "adir.png", "blocked", "blocked/sigmoid.tex"):
        (tmp_path / name).mkdir()
    (tmp_path / "to-full.py").symlink_to("/dev/full")
    os.mkfifo(tmp_path / "fifo.py")
    (tmp_path / "good.py").write_text(BASE + GOOD_GRAD)
    for name, (text, _) in FILES.items():
        (tmp_path / name).write_text(text)
    return tmp_path, _listing(tmp_path)


def _listing(path) -> set:
    return {(str(p.relative_to(path)), p.stat(follow_symlinks=False).st_mtime_ns) for p in path.rglob("*")}


def assert_one_line_error(result, fragment: str = "") -> None:
    assert result.returncode == 2, (result.returncode, result.stdout[-300:], result.stderr[-300:])
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("derive: error: "), result.stderr
    assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("args, fragment", CASES, ids=[" ".join(args)[:60] or "empty" for args, _ in CASES])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(run_main, folder, args, fragment):
    path, before = folder
    assert_one_line_error(run_main(*args, cwd=path), fragment)
    assert _listing(path) == before, "a file was written or touched"


def test_enough_kinds_of_bad_input_are_replayed():
    assert len(CASES) >= 100 and {args[0] for args, _ in CASES if args} >= {
        "show", "check", "export", "codegen", "gradcheck", "demo", "list"}


# ------------------------------------------------------------------------------------- the files people write
def test_a_file_that_changes_folder_and_closes_stdout_still_gets_its_verdict(run_main, tmp_path):
    source = tmp_path / "rude.py"
    source.write_text(BASE + "import os, sys\nos.chdir('/')\nsys.stdout.close()\nos.close(1)\n" + GOOD_GRAD)
    here = os.getcwd()
    result = run_main("gradcheck", source.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "gradient check: PASSED" in result.stdout and os.getcwd() == str(tmp_path) != here
    assert str(tmp_path) not in sys.path


def test_a_wrong_gradient_in_a_file_that_exits_afterwards_is_not_a_pass(run_main, tmp_path):
    source = tmp_path / "late.py"
    source.write_text(BASE + "import atexit, os\natexit.register(lambda: os._exit(0))\n"
                      "def grad(p):\n    return [3 * p[0]]\n")
    result = run_main("gradcheck", str(source))
    assert result.returncode == 1 and "gradient check: FAILED" in result.stdout


# ---------------------------------------------------------------------------------------- streams and signals
def _run(args, env_extra=None, **options) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", **(env_extra or {})}
    options.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([derive_executable(), *args], stdin=subprocess.DEVNULL, text=True, env=env, timeout=300,
                          **options)


@pytest.mark.parametrize("args", [["list"], ["--help"], ["show", "sigmoid"], ["show", "sigmoid", "--format", "html"],
                                  ["show", "sigmoid", "--format", "json"], ["demo", "--format", "json"]])
def test_stdout_full_is_one_line_and_exit_2(args):
    with open("/dev/full", "w") as full:
        result = _run(args, stdout=full)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert result.stderr == "derive: error: cannot write to standard output: No space left on device\n"


@pytest.mark.parametrize("args", [["export", "sigmoid", "-o", "."], ["check", "sigmoid", "--plot", "x.png"]])
def test_a_full_stdout_leaves_no_file_behind(tmp_path, args):
    """The result is printed once the files are staged and before they are renamed: it fails, nothing is left."""
    if args[0] == "check":
        pytest.importorskip("matplotlib")
    with open("/dev/full", "w") as full:
        result = _run(args, stdout=full, cwd=tmp_path)
    assert result.stderr == "derive: error: cannot write to standard output: No space left on device\n"
    assert result.returncode == 2 and list(tmp_path.iterdir()) == []


def test_a_forward_backward_file_that_closes_stdout_gets_its_verdict_in_json(tmp_path):
    source = tmp_path / "rude.py"
    source.write_text(_fb("h.sum()", "import os, sys; os.close(1); sys.stdout.close(); return {'h': 2 * np.ones((3, 2))}"))
    result = _run(["gradcheck", str(source), "--format", "json"], stdout=subprocess.PIPE)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["first_wrong"]["name"] == "h"


def test_an_ascii_only_stdout_gets_replacements_not_a_traceback():
    result = _run(["list"], stdout=subprocess.PIPE, env_extra={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0 and result.stderr == "" and "softmax-jacobian" in result.stdout


def test_a_closed_stderr_still_gets_exit_2():
    result = _run(["show", "nope"], stdout=subprocess.PIPE, preexec_fn=lambda: os.close(2))
    assert result.returncode == 2 and result.stdout == ""


def test_stdout_closed_is_one_line_and_exit_2():
    result = _run(["list"], stdout=subprocess.DEVNULL, preexec_fn=lambda: os.close(1))
    assert result.returncode == 2
    assert result.stderr.startswith("derive: error: standard output is closed") and result.stderr.count("\n") == 1


def test_a_reader_that_left_is_no_error():
    """`derive list | true`: the pipe's reader is gone before the first write."""
    read, write = os.pipe()
    os.close(read)
    try:
        result = _run(["list"], stdout=write)
    finally:
        os.close(write)
    assert result.returncode == 0 and result.stderr == ""


def _interrupt(args, ready, cwd=None):
    """Start `derive args` in its own process group, wait until ready(group) says so, press Ctrl-C."""
    process = subprocess.Popen([derive_executable(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True, cwd=cwd, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not ready(process) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return process, out, err


def _group(pid: int) -> list[str]:
    return subprocess.run(["pgrep", "-g", str(pid)], capture_output=True, text=True).stdout.split()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="workers start only on a machine with two cores or more")
def test_ctrl_c_during_the_worker_processes_exits_130_quietly():
    process, _, err = _interrupt(["check"], ready=lambda p: len(_group(p.pid)) >= 3)
    assert process.returncode == 130 and err == ""
    time.sleep(0.5)
    assert _group(process.pid) == [], "worker processes were left running"


def test_ctrl_c_while_a_person_s_grad_runs_exits_130_quietly(tmp_path):
    source = tmp_path / "slow.py"
    source.write_text(BASE + "import time\nprint('loaded', flush=True)\ndef grad(p):\n    time.sleep(600)\n")
    seen = []

    def ready(process):
        seen.append(process.stdout.readline())
        return True

    process, _, err = _interrupt(["gradcheck", str(source)], ready)
    assert seen == ["loaded\n"] and process.returncode == 130 and err == ""
    time.sleep(0.5)
    assert _group(process.pid) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the child is tied to the command by prctl")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_forward_that_never_returns_dies_with_the_command(tmp_path, sig):
    """`timeout derive gradcheck ...` or a kill stops the person's code too: no child left spinning."""
    source = tmp_path / "forever.py"
    source.write_text(_fb("h.sum()", "return {'h': np.ones((3, 2))}").replace(
        "def inputs():\n", "def inputs():\n    print('looping', flush=True)\n    while True:\n        pass\n"))
    process = subprocess.Popen([derive_executable(), "gradcheck", str(source)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    assert process.stdout.readline() == "looping\n"  # printed by the child: it is in the loop now
    process.send_signal(sig)  # to the command only, as `timeout` or a kill of its pid would
    process.communicate(timeout=60)  # returns only once no process holds the pipes: the child is gone
    assert process.returncode == -sig


# ---------------------------------------------------------------------------------------------- the one writer
def test_files_follow_the_umask(run_main, tmp_path):
    previous = os.umask(0o027)
    try:
        assert run_main("codegen", "sigmoid", "--no-check", "-o", tmp_path / "c.py").returncode == 0
        assert run_main("check", "sigmoid", "--classes", "3", "--plot", tmp_path / "p.png").returncode == 0
    finally:
        os.umask(previous)
    assert {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()} == {"c.py": 0o640, "p.png": 0o640}


def test_a_write_that_fails_midway_leaves_the_folder_as_it_was(run_main, tmp_path, monkeypatch):
    """The second of two files cannot be written: the first is not renamed, and no temporary is left."""
    from derive import atomic

    (tmp_path / "sigmoid.tex").write_text("OLD")
    real, calls = atomic._stage, []

    def fails_second(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(atomic, "_stage", fails_second)
    result = run_main("export", "sigmoid", "-o", tmp_path)
    assert_one_line_error(result, "No space left on device")
    assert [p.name for p in tmp_path.iterdir()] == ["sigmoid.tex"] and (tmp_path / "sigmoid.tex").read_text() == "OLD"


def test_cleanup_that_fails_does_not_hide_the_error(tmp_path, monkeypatch):
    from derive import atomic
    from derive.errors import UsageError

    def refuse(*args):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.os, "fsync", refuse)
    monkeypatch.setattr(atomic.os, "unlink", refuse)
    with pytest.raises(UsageError, match="Permission denied"):
        atomic.write_atomically(tmp_path / "x.txt", "text")
    assert not (tmp_path / "x.txt").exists()


def test_a_read_only_folder_is_refused_before_any_work(run_main, tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):  # root writes anyway: let the system say what it says to everyone else
        real = os.access
        monkeypatch.setattr(os, "access", lambda path, mode: real(path, mode) and os.fspath(path) != str(folder))
    try:
        for args in (["codegen", "sigmoid", "-o", folder / "x.py"], ["export", "sigmoid", "-o", folder],
                     ["check", "sigmoid", "--plot", folder / "x.png"]):
            assert_one_line_error(run_main(*args), "is not writable")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


# ---------------------------------------------------------------------------------------------- the Python API
@pytest.mark.parametrize("command", ['x"""\nraise SystemExit(3)\n"""', "x\\\"\"\"; import os", "\ud800\x00\n\t∂"])
def test_generate_module_never_executes_the_command_text(command):
    from derive.codegen import generate_module, load_module

    for id_ in ("sigmoid", "bp1"):
        module = load_module(generate_module(id_, command=command), f"escaped_{id_}")
        assert f"Generated by `{command}`" in module.__doc__


def test_a_symbolic_link_is_followed_and_stays_a_link(run_main, tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "module.py").write_text("OLD")
    (tmp_path / "link.py").symlink_to(tmp_path / "real" / "module.py")
    assert run_main("codegen", "sigmoid", "--no-check", "-o", tmp_path / "link.py").returncode == 0
    assert (tmp_path / "link.py").is_symlink() and "def sigmoid" in (tmp_path / "real" / "module.py").read_text()


@pytest.mark.parametrize("columns", ["0", "7"])
def test_a_width_below_sixty_renders_at_sixty(run_main, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", "60")
    at_sixty = run_main("check", "sigmoid", "--classes", "3")
    monkeypatch.setenv("COLUMNS", columns)
    narrow = run_main("check", "sigmoid", "--classes", "3")
    assert narrow.returncode == 0 and narrow.stdout == at_sixty.stdout and "sigmoid" in narrow.stdout
