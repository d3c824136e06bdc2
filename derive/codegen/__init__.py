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
    from derive.codegen.module import docstring_text
    from derive.derivations import build, classes_for, entry

    found = entry(id_)  # an id, an activation of the table or an expression in z; else one line (did you mean ...?)
    command = docstring_text(command) if command is not None else None
    if found.function is not None:
        return _activation_module(found, classes, sizes, command, options)
    if id_ not in SUPPORTED:
        raise _unsupported(id_)
    if id_ in ("bp1", "backprop"):
        from derive.codegen.network import generate_network

        classes_for(id_, classes)
        return generate_network(id_, sizes=sizes, command=command, **options)
    derivation = build(id_, classes, sizes=sizes, **options)
    from derive.codegen.module import plan, render

    return render(derivation, plan(derivation), command or _command(id_, classes))


def _activation_module(found, classes, sizes, command, options) -> str:
    """f(z) and f'(z) for an activation: f' printed from its planned derivation."""
    from derive.codegen.activation import activation_source
    from derive.derivations import build

    given = {"classes": classes, "sizes": sizes, **options}
    for name, value in given.items():
        if value is not None:
            raise _usage(f"--{name} does not apply to the activation {found.id}: it acts on one unit")
    return activation_source(found.function, build(found.id), command=command or f"derive codegen {found.id}")


def load_module(source: str, name: str = "derived") -> types.ModuleType:
    """Execute generated source as a fresh module (its tracebacks show the generated lines)."""
    filename = f"<derive codegen {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


def _command(id_: str, classes) -> str:
    return f"derive codegen {id_}" + (f" --classes {classes}" if classes is not None else "")


def _unsupported(id_: str):
    return _usage(f"codegen does not support {id_!r}; it supports: {', '.join(SUPPORTED)}")


def _usage(message: str):
    from derive.errors import UsageError

    return UsageError(message)
