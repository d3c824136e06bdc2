"""The two errors a command reports in one line: bad input (exit code 2) and a failed self-check (exit code 1)."""

__all__ = ["UsageError", "CheckFailure"]


class UsageError(ValueError):
    """Bad input from the user: an unknown id, a bad K, a missing file. Its message is one line."""


class CheckFailure(Exception):
    """Something we made failed its own check (generated code against its derivation): exit 1, nothing written."""
