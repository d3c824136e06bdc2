"""Running a person's own code in a child process: whatever it does to its process cannot fake a verdict.

A file checked by `derive gradcheck` may call os._exit(0) inside grad, os.chdir, close stdout, or be killed.
In a forked child none of that reaches the command: the child sends back (exit code, rendered text) or a
one-line error through a pipe, and a child that ends without sending one is reported as such, never as a pass.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Callable

from derive.errors import UsageError

__all__ = ["run_isolated"]

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def run_isolated(work: Callable[[], tuple[int, str]], what: str) -> tuple[int, str]:
    """work() -> (exit code, text), run in a child process; `what` names the code for the error messages.

    A UsageError raised in the child is raised here with its message. Where fork is missing, work runs here.
    """
    if not hasattr(os, "fork"):
        return work()
    read, write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; coverage cannot follow it
        os.close(read)
        _die_with(parent)
        _child(work, write, what)
    os.close(write)
    try:
        message = _read_all(read)
    except BaseException:  # Ctrl-C: the child ignores it (see _child), so it is stopped here
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(read)
        _, status = os.waitpid(pid, 0)
    return _result(message, status, what)


def _child(work, write: int, what: str) -> None:
    """Run work, send its outcome, and leave without running anything of the parent's (os._exit)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent answers Ctrl-C and stops this process
    try:
        code, text = work()
        outcome = {"code": code, "text": text}
    except UsageError as error:
        outcome = {"error": str(error)}
    except KeyboardInterrupt:  # not Ctrl-C, which this process ignores: the person's code raised it
        outcome = {"error": f"{what}: the code raised KeyboardInterrupt"}
    except BaseException as error:  # noqa: BLE001 - anything else is a bug of ours: named, not hidden
        outcome = {"error": f"internal error while checking: {type(error).__name__}: {error}"}
    for stream in (sys.stdout, sys.stderr):  # what the person's code printed, before the report
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - the person's code may have closed or replaced them
            pass
    try:
        os.write(write, json.dumps(outcome).encode("utf-8"))
    finally:
        os._exit(0)


def _die_with(parent: int) -> None:
    """Ask Linux to kill this child when the command dies (`timeout`, `kill`, a closed terminal): a person's
    forward that never returns must not outlive the command and spin on, holding its stdout open."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: Ctrl-C still stops both (see run_isolated)
        return
    if os.getppid() != parent:  # the command died before the request was made
        os._exit(1)


def _read_all(descriptor: int) -> bytes:
    chunks = []
    while chunk := os.read(descriptor, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _result(message: bytes, status: int, what: str) -> tuple[int, str]:
    try:
        outcome = json.loads(message.decode("utf-8")) if message else None
    except ValueError:
        outcome = None
    if not isinstance(outcome, dict):
        raise UsageError(f"{what} ended the process ({_how(status)}) before the check finished: no verdict")
    if "error" in outcome:
        raise UsageError(outcome["error"])
    return int(outcome["code"]), str(outcome["text"])


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exit status {os.WEXITSTATUS(status)}"
