"""A person's `forward` as data: its statements (one intermediate each), what each reads, their lines and code.

The statements are compiled from the person's own file, with the file's name and line numbers, so that the code
that runs is the code they wrote. Nothing from the command line is evaluated. All right-hand sides are compiled in
one call, each as the body of its own lambda (one compile per statement costs more than a forward pass).
"""

from __future__ import annotations

import ast
import copy
import inspect
import linecache
import os
import textwrap
import traceback
import weakref
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from types import CodeType, FunctionType

__all__ = ["BackwardError", "Statement", "Program", "parse_forward", "backward_lines", "failing_line"]


class BackwardError(ValueError):
    """The forward/backward convention is not met (a bad file, not a wrong gradient). Its message is one line."""


@dataclass(frozen=True)
class Statement:
    """`target = expression` at `line`: the forward names it reads, its source text, its compiled expression."""

    index: int
    target: str
    reads: frozenset[str]
    line: int
    source: str
    node: ast.expr
    code: CodeType

    def run(self, namespace: dict) -> None:
        """target = expression, with the names it reads taken from `namespace` (as the module globals)."""
        namespace[self.target] = FunctionType(self.code, namespace)()


@dataclass(frozen=True)
class Program:
    """forward(params...) as straight-line statements ending in `return loss`; `namespace` is what they run in."""

    file: str
    def_line: int
    params: tuple[str, ...]
    statements: tuple[Statement, ...]
    loss: str
    namespace: dict

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Every forward name in forward order: the parameters, then one per statement."""
        return self.params + tuple(s.target for s in self.statements)

    def running_in(self, namespace: dict) -> Program:
        """This program with another namespace; the tables derived from the statements are shared, not rebuilt."""
        other = copy.copy(self)  # the cached properties are in the instance dict: copied with it
        object.__setattr__(other, "namespace", namespace)
        return other

    def functions(self, namespace: dict) -> tuple[FunctionType, ...]:
        """Each statement as a function of no arguments computing its target, reading `namespace` as its globals
        (made once per namespace: a probe runs a statement for the cost of a call)."""
        return tuple(FunctionType(s.code, namespace) for s in self.statements)

    def defining(self, name: str) -> Statement | None:
        return self._defining.get(name)

    def line_of(self, name: str) -> int:
        """The statement's line for an intermediate; the line of `def forward` for an input."""
        statement = self.defining(name)
        return statement.line if statement else self.def_line

    def source_of(self, name: str) -> str:
        statement = self.defining(name)
        return statement.source if statement else f"{name} (an input of forward)"

    def consumers(self, name: str) -> tuple[Statement, ...]:
        """The statements that read `name`, in forward order."""
        return self._consumers.get(name, ())

    def downstream(self, name: str) -> frozenset[str]:
        """Every name computed from `name`, directly or not."""
        return self._downstream[name]

    @cached_property
    def _defining(self) -> dict[str, Statement]:
        return {s.target: s for s in self.statements}

    @cached_property
    def _consumers(self) -> dict[str, tuple[Statement, ...]]:
        found: dict[str, list[Statement]] = {}
        for statement in self.statements:
            for name in statement.reads:
                found.setdefault(name, []).append(statement)
        return {name: tuple(statements) for name, statements in found.items()}

    @cached_property
    def _downstream(self) -> dict[str, frozenset[str]]:
        below: dict[str, frozenset[str]] = {}
        for name in reversed(self.names):  # a consumer comes later, so its set is ready
            targets = [s.target for s in self.consumers(name)]
            below[name] = frozenset(targets).union(*(below[t] for t in targets))
        return below


def _source(function, what: str) -> tuple[str, str, int]:
    if not callable(function):
        raise BackwardError(f"{what} is not a function")
    try:
        file = inspect.getsourcefile(function) or "<unknown>"
        lines, first = _lines(function, file) or inspect.getsourcelines(function)
    except (OSError, TypeError):
        raise BackwardError(f"the source of {what} cannot be read (define it in a file or a notebook cell)") from None
    text = "".join(lines)
    # A def at the margin needs no dedent (its regular expressions cost more than the parse of a small forward).
    return (textwrap.dedent(text) if lines and lines[0][:1].isspace() else text), file, first


def _lines(function, file: str) -> tuple[list[str], int] | None:
    """The function's lines from the line cache, ended by its code's last position: inspect.getsourcelines
    tokenizes the file to find the end of the block, which costs more than a forward pass of a small network."""
    code = getattr(function, "__code__", None)
    positions = getattr(code, "co_positions", None)  # Python 3.11+
    lines = linecache.getlines(file)
    if positions is None or not lines:
        return None
    last = max(filter(None, map(itemgetter(1), positions())), default=0)  # the end lines; None for no position
    first = code.co_firstlineno
    return (lines[first - 1:last], first) if first <= last <= len(lines) else None


def _function_node(source: str, what: str) -> ast.FunctionDef:
    tree = ast.parse(source)
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef):
        raise BackwardError(f"{what} must be a plain `def` function")
    return node


def _fail(file: str, node: ast.AST, source: str, why: str) -> BackwardError:
    text = (ast.get_source_segment(source, node) or "").splitlines()[0:1]
    shown = f" `{text[0].strip()}`" if text else ""
    return BackwardError(f"line {node.lineno}:{shown} {why}")


def _simple_target(node: ast.stmt) -> tuple[str, ast.expr] | None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        return node.target.id, node.value
    return None


def _reads(code: CodeType, known: set[str]) -> frozenset[str]:
    """The forward names among the global names the statement's code loads (and its nested code's: comprehensions,
    lambdas). An over-approximation (an attribute spelled like a forward name counts too) only adds a dependency,
    never loses one; a comprehension's own variable is local to it and does not count."""
    names, stack = set(code.co_names), [c for c in code.co_consts if type(c) is CodeType]
    while stack:
        nested = stack.pop()
        names.update(nested.co_names)
        stack.extend(c for c in nested.co_consts if type(c) is CodeType)
    return frozenset(names & known)


_NOT_SIMPLE = ("is not a simple assignment `name = expression`: write forward as one intermediate per statement "
               "(no loops, branches, in-place updates or tuple targets)")


def _statements(node: ast.FunctionDef, source: str, file: str, params: tuple[str, ...]):
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]  # the docstring
    if not body or not (isinstance(body[-1], ast.Return) and isinstance(body[-1].value, ast.Name)):
        raise _fail(file, body[-1] if body else node, source, "forward must end with `return loss_name`")
    known, statements, lines = set(params), [], source.splitlines()
    for stmt in body[:-1]:
        simple = _simple_target(stmt)
        if simple is None:
            raise _fail(file, stmt, source, _NOT_SIMPLE)
        target, value = simple
        if target in known:
            raise _fail(file, stmt, source, f"assigns `{target}` again: give every intermediate its own name")
        statements.append((target, stmt.lineno, _text(lines, stmt), value))
        known.add(target)
    loss = body[-1].value.id
    if loss not in known:
        raise _fail(file, body[-1], source, f"returns `{loss}`, which forward does not compute")
    codes, known = _compiled([value for *_, value in statements], file), set(params)
    program = []
    for i, ((target, line, text, value), code) in enumerate(zip(statements, codes)):
        program.append(Statement(i, target, _reads(code, known), line, text, value, code))
        known.add(target)
    return tuple(program), loss


def _compiled(values: list[ast.expr], file: str) -> list[CodeType]:
    """The code of each expression as a lambda body, from one compile of the tuple of lambdas."""
    empty = ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    # Each lambda placed at its body, as ast.copy_location places it (without its loop of getattr per node).
    lambdas = [ast.Lambda(empty, value, lineno=value.lineno, col_offset=value.col_offset,
                          end_lineno=value.end_lineno, end_col_offset=value.end_col_offset) for value in values]
    tree = ast.Expression(body=ast.copy_location(ast.Tuple(elts=lambdas, ctx=ast.Load()), values[0]) if values else
                          ast.Tuple(elts=[], ctx=ast.Load(), lineno=1, col_offset=0))
    code = compile(tree, file, "eval")  # every node placed by copy_location: no fix_missing_locations walk
    return [const for const in code.co_consts if isinstance(const, CodeType)]  # the lambdas' code, in order


def _text(lines: list[str], node: ast.stmt) -> str:
    """The statement's source on one line (ast.get_source_segment splits the whole source on every call)."""
    if node.lineno == node.end_lineno:
        return lines[node.lineno - 1][node.col_offset:node.end_col_offset].strip()
    return " ".join(line.strip() for line in lines[node.lineno - 1:node.end_lineno])


# forward function -> (its code object, its Program without a namespace): the ast work and the compiles are
# done once per function, so checking again after editing backward (a notebook) does not redo them. Keyed by the
# function, not its code: equal code objects from two files compare equal, and the file is part of the Program.
_PARSED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def parse_forward(forward) -> Program:
    """The Program of a forward function; BackwardError (one line naming the line) when it is not straight-line."""
    code = getattr(forward, "__code__", None)
    cached = _PARSED.get(forward) if callable(forward) and code is not None else None
    if cached is None or cached[0] is not code:
        cached = (code, _parsed(forward))
        if code is not None:
            _PARSED[forward] = cached
    namespace = dict(forward.__globals__)  # read at every call: a notebook may redefine a global between checks
    namespace.update(_nonlocals(forward))
    return cached[1].running_in(namespace)


def _nonlocals(function) -> dict:
    """inspect.getclosurevars(function).nonlocals, without its lookup of every global and builtin name."""
    function = function.__func__ if inspect.ismethod(function) else function
    if not inspect.isfunction(function):
        raise TypeError(f"{function!r} is not a Python function")
    cells = function.__closure__ or ()
    return {name: cell.cell_contents for name, cell in zip(function.__code__.co_freevars, cells)}


def _parsed(forward) -> Program:
    """forward's Program, from its source, without a namespace."""
    source, file, first = _source(forward, "forward")
    source = "\n" * (first - 1) + source  # parsed at its place in the file: line numbers are the file's
    node = _function_node(source, "forward")
    args = node.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        raise BackwardError(f"line {node.lineno}: forward's parameters must be plain names from inputs")
    params = tuple(a.arg for a in args.args)
    statements, loss = _statements(node, source, file, params)
    program = Program(file, node.lineno, params, statements, loss, {})
    for table in ("names", "_defining", "_consumers"):  # _downstream is only read when something is wrong
        getattr(program, table)  # built once here, shared by every copy running_in a namespace
    return program


def _assignments(function: ast.FunctionDef) -> dict[str, list[int]]:
    """variable -> the lines of backward that assign or update it (plain, augmented or item assignment)."""
    lines: dict[str, list[int]] = {}
    for node in ast.walk(function):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            base = target.value if isinstance(target, ast.Subscript) else target
            for leaf in ast.walk(base):
                if isinstance(leaf, ast.Name):
                    lines.setdefault(leaf.id, []).append(node.lineno)
    return lines


def _returned(function: ast.FunctionDef) -> dict[str, ast.expr]:
    """name -> the expression backward returns for it, from `return {"name": expr, ...}` or `return dict(name=expr)`."""
    found: dict[str, ast.expr] = {}
    for node in ast.walk(function):
        value = node.value if isinstance(node, ast.Return) else None
        if isinstance(value, ast.Dict):
            found.update({k.value: v for k, v in zip(value.keys, value.values)
                          if isinstance(k, ast.Constant) and isinstance(k.value, str)})
        elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict":
            found.update({k.arg: k.value for k in value.keywords if k.arg})
    return found


def backward_lines(backward) -> dict[str, tuple[int, ...]]:
    """For each name backward returns, the lines that compute its gradient (its variable's assignments), if found."""
    try:
        source, _, first = _source(backward, "backward")
        node = _function_node("\n" * (first - 1) + source, "backward")
    except (BackwardError, SyntaxError):
        return {}
    assigned, lines = _assignments(node), {}
    for name, expr in _returned(node).items():
        found = assigned.get(expr.id, []) if isinstance(expr, ast.Name) else []
        lines[name] = tuple(sorted(set(found))) or (expr.lineno,)
    return lines


def failing_line(error: BaseException, file) -> str:
    """' (line N)' for the last line of `file` in the error's traceback, or '' when the file is not in it."""
    wanted = os.path.realpath(str(file))
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__)
             if os.path.realpath(frame.filename) == wanted]
    return f" (line {lines[-1]})" if lines else ""
