"""The two errors a command reports in one line: bad input (exit code 2) and a failed self-check (exit code 1)."""

__all__ = ["UsageError", "CheckFailure", "counted"]


class UsageError(ValueError):
    """Bad input from the user: an unknown id, a bad K, a missing file. Its message is one line."""


class CheckFailure(Exception):
    """Something we made failed its own check (generated code against its derivation): exit 1, nothing written."""


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """count noun, in the plural unless count is 1: counted(1, "hidden layer") -> "1 hidden layer"."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
