"""The one error type that means: the user asked for something we cannot do (exit code 2)."""

__all__ = ["UsageError"]


class UsageError(ValueError):
    """Bad input from the user: an unknown id, a bad K, a missing file. Its message is one line."""
