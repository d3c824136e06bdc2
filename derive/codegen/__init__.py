"""Derivations as code: numerically stable numpy modules generated from the derived expressions."""

from __future__ import annotations

import linecache
import types

__all__ = ["generate_module", "load_module", "SUPPORTED", "STABLE_RULES"]

from derive.codegen.module import SUPPORTED
from derive.codegen.stable import STABLE_RULES


def generate_module(id_: str, classes: int | None = None, sizes=None, command: str | None = None, **options) -> str:
    """The source of a numpy module for derivation `id_` (classes None: any K; for K > 10 the general
    derivation is instantiated, never expanded). `command` is the command line named in the header, escaped
    there so that no text passed in can become code."""
    import importlib

    from derive.codegen.module import docstring_text
    from derive.derivations import entry
    from derive.families import family_of

    found = entry(id_)  # an id, an activation of the table or an expression in z; else one line (did you mean ...?)
    generator = family_of(found.family).generator
    if generator is None or (found.function is None and id_ not in SUPPORTED):
        raise _unsupported(id_)
    command = docstring_text(command) if command is not None else None
    return importlib.import_module(generator).generate(found, classes, sizes, command, options)


def load_module(source: str, name: str = "derived") -> types.ModuleType:
    """Execute generated source as a fresh module (its tracebacks show the generated lines)."""
    filename = f"<derive codegen {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


def _unsupported(id_: str):
    return _usage(f"codegen does not support {id_!r}; it supports: {', '.join(SUPPORTED)}")


def _usage(message: str):
    from derive.errors import UsageError

    return UsageError(message)
