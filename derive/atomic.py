"""Writing files whole or not at all: the one writer behind export, codegen and plots.

Each file goes to a temporary name in its own folder, is flushed and fsynced, then renamed over the target;
the folder is fsynced after the renames, so a crash leaves the old file or the new one, never half of one.
Temporaries are created with mode 0666 and O_EXCL, so the kernel applies the umask as for any other file.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path
from typing import Callable

from derive.errors import UsageError

__all__ = ["writable_file", "writable_folder", "write_atomically", "write_all"]


def writable_file(name, suffix: str | None = None, option: str = "-o") -> Path:
    """The file `name` names, checked before any work: a non-empty path whose folder exists and is writable,
    and which is a regular file or nothing yet. A symbolic link is followed: the file it points to is replaced.

    Renaming over a device (/dev/full, /dev/null) would replace the device with a file, so it is refused.
    """
    text = os.fspath(name)
    if not text.strip():
        raise UsageError(f"{option} needs a file name, got an empty one")
    path = Path(text)
    if suffix is not None and path.suffix.lower() != suffix:
        raise UsageError(f"{option} writes a {suffix[1:].upper()} file: give a name ending in {suffix}, got {text!r}")
    try:
        if path.is_dir() or text.endswith(os.sep):
            raise UsageError(f"cannot write {text!r}: it is a folder; give a file name")
        path = _followed(path)
        if path.exists() and not path.is_file():
            raise UsageError(f"cannot write {text!r}: it is not a regular file (a device or a pipe); give a file name")
        _check_folder(path.parent, f"cannot write {text!r}: folder {str(path.parent)!r}")
    except OSError as error:  # a name too long, a loop of links: the system's own words
        raise UsageError(f"cannot write {text!r}: {error.strerror or error}") from None
    return path


def writable_folder(name, option: str = "-o") -> Path:
    """The existing, writable folder `name` names; an empty name is refused, not taken for the current folder."""
    text = os.fspath(name)
    if not text.strip():
        raise UsageError(f"{option} needs a folder name, got an empty one")
    folder = Path(text)
    try:
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"{text!r} is a file, not a folder: give the folder to write into")
        _check_folder(folder, f"output folder {text!r}")
    except OSError as error:
        raise UsageError(f"cannot write into {text!r}: {error.strerror or error}") from None
    return folder


def _check_folder(folder: Path, subject: str) -> None:
    if not folder.is_dir():
        raise UsageError(f"{subject} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{subject} is not writable")


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write one file whole or not at all (a one-line UsageError when the system refuses)."""
    write_all({Path(path): data})


def write_all(files: dict[Path, str | bytes], ready: Callable[[], None] | None = None) -> None:
    """Write every file or none: all are staged and synced before the first rename.

    `ready()`, when given, runs once everything is staged and before the first rename: what it raises (a result
    that cannot be printed to a full stdout) leaves the folders as they were.
    """
    staged: dict[Path, Path] = {}
    current = next(iter(files), None)
    try:
        try:
            files = {_followed(Path(path)): data for path, data in files.items()}
            for current in files:  # checked again here, for callers that did not ask writable_file first
                if current.exists() and not current.is_file():
                    raise UsageError(f"cannot write {current}: it is not a regular file")
            for current, data in files.items():
                staged[current] = _stage(current, data.encode("utf-8") if isinstance(data, str) else data)
        except OSError as error:
            raise UsageError(f"cannot write {current}: {error.strerror or error}") from None
        if ready is not None:
            ready()
        try:
            for current, temporary in staged.items():
                os.replace(temporary, current)
            for folder in {path.parent for path in files}:
                _sync_folder(folder)
        except OSError as error:
            raise UsageError(f"cannot write {current}: {error.strerror or error}") from None
    finally:
        for temporary in staged.values():
            _discard(temporary)


def _followed(path: Path) -> Path:
    """A symbolic link is followed: the file it points to is replaced, the link stays."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _stage(path: Path, data: bytes) -> Path:
    # A short random name: a temporary derived from a long target name could exceed the file system's limit.
    temporary = path.parent / f".derive-{secrets.token_hex(6)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
        os.fsync(descriptor)
    except BaseException:
        _discard(temporary)
        raise
    finally:
        os.close(descriptor)
    return temporary


def _sync_folder(folder: Path) -> None:
    """fsync the folder so the renames survive a crash; file systems that cannot sync a folder are let be."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(descriptor)


def _discard(temporary: Path) -> None:
    """Remove a leftover temporary; cleanup never raises over the error that caused it."""
    try:
        os.unlink(temporary)
    except OSError:
        pass
