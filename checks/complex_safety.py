"""Exact complex-step safety: run code on tracked complex arrays and record every operation that loses the step.

Complex step reads D_v L = Im L(p + i h v) / h. It is exact only when every operation between p and L is the
holomorphic extension of its real counterpart. np.abs, np.sign, .real, .imag, np.conj, np.round, float(), astype(float)
and a complex value written into a float buffer all drop (or mix in) the imaginary part, however small the term that
uses them, so a tolerance cannot decide safety; a record of the operations can. A `Tracked` array wraps a complex
ndarray and goes through `__array_ufunc__` / `__array_function__`; every ufunc or numpy function it meets is judged:

- holomorphic or structural (add, exp, tanh, matmul, sum, reshape, where, ...): kept;
- holomorphic with a branch cut (log, sqrt, arcsin, a power that is not an integer, ...): kept inside the
  real domain of the real function; a value outside it (the log of a negative number, whose real value is NaN and
  whose complex one reads the cut) is unsafe;
- selecting by value (comparisons, np.maximum/minimum, np.clip, max/min/argmax/sort): complex step is exact away
  from ties, because numpy orders complex numbers by their real part first; the operation is recorded as a *branch*
  (the loss is piecewise, so it may have kinks). A tie of real parts with different imaginary parts decides by the
  imaginary part and is recorded as unsafe;
- dropping the imaginary part (the list above), anything not known to be holomorphic, a conversion to a plain
  array (np.asarray, which the probe could no longer follow), a ComplexWarning, or an exception: unsafe.

API (also for line-by-line checkers that run statements on a dict of named values):

    recorder = Recorder()
    values = recorder.wrap({"W": W, "x": x})   # arrays -> Tracked complex arrays (real ones copied to complex),
                                               # through dicts, lists and tuples; anything else unchanged
    result = recorder.call(fn, values["W"])    # runs fn; exceptions and ComplexWarnings are recorded, not raised
                                               # (result None when fn raised)
    plain = recorder.unwrap(result)            # Tracked -> complex ndarray, through dicts, lists and tuples
    verdict = recorder.verdict()               # Safety: .safe (bool), .reason (names the first offending
                                               # operation and the user's line), .branches, .raised

    value, verdict = probe(loss, complex_params)   # the same for one call of loss(params) on a list of arrays

Operations outside numpy (math.exp, a C extension) reach the values only through float() or np.asarray, which are
recorded, so nothing drops the imaginary part unseen.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

__all__ = ["Safety", "Recorder", "Tracked", "probe"]

Array = np.ndarray

_HOLOMORPHIC_UFUNCS = frozenset(
    "add subtract multiply divide true_divide negative positive square exp exp2 expm1 sin cos tan arctan sinh cosh "
    "tanh arcsinh reciprocal matmul erf erfc".split())  # erf, erfc: scipy.special's, entire functions
# Holomorphic too, but the holomorphic extension of the real function only inside the real domain, given here as the
# open interval of the real part: outside it the real function is NaN (or its derivative infinite) while the complex
# one is finite, and Im f(x + ih) / h reads the branch cut (±π for the log of a negative number), not a derivative.
_BRANCH_CUT_UFUNCS = {"sqrt": (0.0, np.inf), "log": (0.0, np.inf), "log2": (0.0, np.inf), "log10": (0.0, np.inf),
                      "log1p": (-1.0, np.inf), "arcsin": (-1.0, 1.0), "arccos": (-1.0, 1.0), "arctanh": (-1.0, 1.0),
                      "arccosh": (1.0, np.inf)}
_POWER_UFUNCS = frozenset(("power", "float_power"))  # x^y = e^(y ln x): x > 0 unless y is a real integer
# Boolean results that do not depend on a tiny imaginary part: only nan/inf status and truth values.
_NEUTRAL_UFUNCS = frozenset("isnan isinf isfinite logical_and logical_or logical_xor logical_not".split())
_ORDER_UFUNCS = frozenset("greater greater_equal less less_equal equal not_equal maximum minimum fmax fmin".split())
_DROPPING_UFUNCS = {"absolute": "np.abs", "sign": "np.sign", "conjugate": "np.conj", "rint": "np.rint"}

_STRUCTURAL_FUNCTIONS = frozenset(
    "sum nansum mean average prod cumsum cumprod dot inner outer tensordot einsum kron trace diag diagonal diagflat "
    "tril triu reshape ravel transpose swapaxes moveaxis rollaxis squeeze expand_dims atleast_1d atleast_2d "
    "atleast_3d concatenate stack vstack hstack dstack column_stack row_stack block split array_split hsplit vsplit "
    "tile repeat broadcast_to broadcast_arrays copy where zeros_like ones_like empty_like full_like take "
    "take_along_axis put_along_axis choose compress roll flip fliplr flipud rot90 pad shape ndim size result_type "
    "diff append insert delete nonzero count_nonzero any all isclose allclose array_equal copyto inv solve det "
    "multi_dot matrix_power iscomplexobj isrealobj".split())
_REDUCING_ORDER_FUNCTIONS = frozenset("max min amax amin argmax argmin nanmax nanmin nanargmax nanargmin ptp".split())
_SORTING_FUNCTIONS = frozenset("sort argsort partition argpartition median percentile quantile unique lexsort".split())
_DROPPING_FUNCTIONS = frozenset("real imag angle round around real_if_close vdot correlate norm svd var std "
                                "nanvar nanstd eigh eigvalsh cholesky lstsq pinv qr".split())


@dataclass(frozen=True)
class Safety:
    """Whether complex step is exact on the code that ran, and why.

    safe: no operation dropped or mixed in the imaginary part, and nothing raised. reason: one line naming the first
    offending operation and the user's line, or why it is safe. branches: operations that select by value (the code
    is piecewise: complex step is exact away from its kinks). raised: the code raised at complex input.
    """

    safe: bool
    reason: str
    branches: tuple[str, ...] = ()
    raised: bool = False


class Recorder:
    """Collects what tracked arrays meet; see the module docstring for the API."""

    def __init__(self) -> None:
        self._unsafe: list[str] = []
        self._branches: list[str] = []
        self._raised = False

    def wrap(self, value: Any) -> Any:
        """Arrays -> Tracked complex arrays (a real array is copied to complex), through dicts, lists and tuples."""
        if isinstance(value, Tracked):
            return value
        if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
            array = value if value.dtype.kind == "c" else value.astype(np.result_type(value.dtype, np.complex64))
            return Tracked(array, self)
        return _map(value, self.wrap)

    def unwrap(self, value: Any) -> Any:
        """Tracked -> its complex ndarray (a 0-d array for a scalar), through dicts, lists and tuples."""
        return _unwrap(value)

    def call(self, fn: Callable, *args, **kwargs) -> Any:
        """fn(*args, **kwargs) with its exceptions and ComplexWarnings recorded (None when it raised)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", np.exceptions.ComplexWarning)
            try:
                result = fn(*args, **kwargs)
            except Exception as error:  # any error at complex input means: do not use complex step here
                first = str(error).splitlines()[0] if str(error) else ""
                self._raised = True
                self.unsafe(f"it raised {type(error).__name__}{': ' + first if first else ''} at complex input"
                            f"{_where_in(error.__traceback__)}")
                result = None
        for item in caught:
            if issubclass(item.category, np.exceptions.ComplexWarning):
                self.unsafe(f"a complex value is cast to real ({item.message}) at "
                            f"{os.path.basename(item.filename)}:{item.lineno}")
            else:  # not ours to swallow
                warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
        return result

    def unsafe(self, what: str) -> None:
        self._unsafe.append(what)

    def branch(self, what: str) -> None:
        if what not in self._branches:
            self._branches.append(what)

    def verdict(self) -> Safety:
        branches = tuple(self._branches)
        if self._unsafe:
            more = f" (and {len(self._unsafe) - 1} more)" if len(self._unsafe) > 1 else ""
            return Safety(False, self._unsafe[0] + more, branches, self._raised)
        if branches:
            return Safety(True, "every operation keeps the imaginary part; it selects by value at "
                          f"{', '.join(branches)} (piecewise: exact away from kinks)", branches)
        return Safety(True, "every operation keeps the imaginary part", branches)


def probe(loss: Callable, params: list[Array]) -> tuple[Any, Safety]:
    """loss(params) on tracked views of complex `params` (no copy): its plain value (None if it raised) and verdict."""
    recorder = Recorder()
    result = recorder.call(loss, [Tracked(p, recorder) for p in params])
    return recorder.unwrap(result), recorder.verdict()


def _map(value: Any, fn: Callable) -> Any:
    if isinstance(value, dict):
        return {key: fn(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        mapped = [fn(item) for item in value]
        return type(value)(mapped) if type(value) in (list, tuple) else mapped
    return value


def _unwrap(value: Any) -> Any:
    kind = type(value)
    if kind is Tracked:
        return value.array
    if kind in _LEAVES:  # the common arguments (axis=0, keepdims=True, arrays) cost one lookup
        return value
    if isinstance(value, (dict, list, tuple)):
        return _map(value, _unwrap)
    return value


_LEAVES = frozenset((int, float, bool, complex, str, type(None), np.ndarray))


def _here() -> str:
    """' at file.py:LINE' for the innermost caller outside numpy and this module (the user's line)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name != __file__ and f"{os.sep}numpy{os.sep}" not in name:
            return f" at {os.path.basename(name)}:{frame.f_lineno}"
        frame = frame.f_back
    return ""


def _where_in(traceback) -> str:
    last = ""
    while traceback is not None:
        name = traceback.tb_frame.f_code.co_filename
        if name != __file__ and f"{os.sep}numpy{os.sep}" not in name:
            last = f" ({os.path.basename(name)}:{traceback.tb_lineno})"
        traceback = traceback.tb_next
    return last


def _is_complex(value: Any) -> bool:
    return isinstance(value, (np.ndarray, np.generic, complex)) and np.iscomplexobj(value)


def _tie(a: Any, b: Any) -> bool:
    """Whether some pair has equal real parts and different imaginary parts (the order then reads the imaginary)."""
    a, b = np.asarray(a), np.asarray(b)
    same = a.real == b.real
    return bool(same.any()) and bool(np.any(same & (a.imag != b.imag)))  # equal real parts are rare: one test


def _reduction_tie(values: Any, axis: Any, smallest: bool) -> bool:
    """Whether the extreme real part along `axis` is attained more than once (conservative: imaginary parts unread)."""
    real = np.asarray(values).real
    if real.size == 0:
        return False
    extreme = (real.min if smallest else real.max)(axis=axis, keepdims=True)
    hits = real == extreme
    if np.count_nonzero(hits) == extreme.size and not np.isnan(extreme).any():
        return False  # every slice attains its extreme at least once (no NaN), so exactly once: the common case
    return bool(np.any(np.sum(hits, axis=axis) > 1))


def _duplicates(values: Any) -> bool:
    real = np.ravel(np.asarray(values).real)
    return np.unique(real).size < real.size


def _off_domain(name: str, args: tuple) -> bool:
    """Whether some value lies outside (or on the edge of) the real domain of a function with a branch cut."""
    if name in _POWER_UFUNCS:
        exponent = np.asarray(args[1])
        if exponent.dtype.kind in "biu" or (exponent.dtype.kind == "f" and np.all(exponent == np.round(exponent))):
            return False  # an integer power is a polynomial (or a pole, where the real power is infinite too)
        return not np.all(np.real(args[0]) > 0)
    low, high = _BRANCH_CUT_UFUNCS[name]
    real = args[0].real if isinstance(args[0], np.ndarray) else np.real(args[0])
    inside = real > low if high == np.inf else (real > low) & (real < high)
    return not np.all(inside)  # NaN compares False: outside


def _judge_ufunc(recorder: Recorder, ufunc: np.ufunc, method: str, args: tuple, kwargs: dict) -> None:
    name = ufunc.__name__
    if name in _HOLOMORPHIC_UFUNCS or name in _NEUTRAL_UFUNCS:
        return
    if method == "__call__" and (name in _BRANCH_CUT_UFUNCS or name in _POWER_UFUNCS):
        if _off_domain(name, args):
            recorder.unsafe(f"np.{name} of a value outside its real domain, where the complex step reads the branch "
                            f"cut instead of a derivative (the real value there is NaN or its slope infinite){_here()}")
        return
    label = f"np.{name}" + ("" if method == "__call__" else f".{method}")
    if name in _ORDER_UFUNCS or name == "clip":
        if method == "__call__":
            tied = any(_tie(args[0], bound) for bound in args[1:] if bound is not None)
        elif method == "reduce" and name in ("maximum", "minimum", "fmax", "fmin"):
            tied = _reduction_tie(args[0], kwargs.get("axis", 0), name in ("minimum", "fmin"))
        else:
            tied = True  # accumulate/outer/at of an order: not worth the exactness, be conservative
        if tied:
            recorder.unsafe(f"{label} compares values whose real parts are equal, so the imaginary part decides"
                            f"{_here()}")
        else:
            recorder.branch(label)
        return
    if name in _DROPPING_UFUNCS:
        recorder.unsafe(f"{_DROPPING_UFUNCS[name]} drops the imaginary part{_here()}")
        return
    recorder.unsafe(f"{label} is not known to keep the imaginary part{_here()}")


def _judge_function(recorder: Recorder, func: Callable, args: tuple, kwargs: dict) -> None:
    name = func.__name__
    if name in _STRUCTURAL_FUNCTIONS:
        return
    if name in _REDUCING_ORDER_FUNCTIONS and args:
        smallest = "min" in name
        tied = _reduction_tie(args[0], kwargs.get("axis", args[1] if len(args) > 1 else None), smallest)
    elif name in _SORTING_FUNCTIONS and args:
        tied = _duplicates(args[0])
    elif name == "clip" and args:
        bounds = [*args[1:3], kwargs.get("a_min"), kwargs.get("a_max"), kwargs.get("min"), kwargs.get("max")]
        tied = any(_tie(args[0], bound) for bound in bounds if bound is not None)
    elif name in _DROPPING_FUNCTIONS:
        recorder.unsafe(f"np.{name} drops the imaginary part{_here()}")
        return
    else:
        recorder.unsafe(f"np.{name} is not known to keep the imaginary part{_here()}")
        return
    if tied:
        recorder.unsafe(f"np.{name} orders values whose real parts are equal, so the imaginary part decides{_here()}")
    else:
        recorder.branch(f"np.{name}")


def _args_form(args: tuple) -> tuple:
    """The transpose/reshape varargs convention: f(1, 2) and f((1, 2)) mean the same."""
    return args[0] if len(args) == 1 and (args[0] is None or isinstance(args[0], (tuple, list))) else args


class Tracked(NDArrayOperatorsMixin):
    """A complex ndarray that reports to its Recorder every operation that could lose the imaginary part."""

    __slots__ = ("array", "recorder")
    __hash__ = None

    def __init__(self, array: Array, recorder: Recorder):
        self.array, self.recorder = array, recorder

    def _wrap(self, value: Any) -> Any:
        if type(value) is np.ndarray:  # the common result, decided by one dtype lookup
            return Tracked(value, self.recorder) if value.dtype.kind == "c" else value
        if isinstance(value, tuple):
            return tuple(self._wrap(item) for item in value)
        if isinstance(value, list):
            return [self._wrap(item) for item in value]
        if isinstance(value, (np.ndarray, np.generic)) and np.iscomplexobj(value):
            return Tracked(np.asarray(value), self.recorder)
        return value

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        args = [a.array if type(a) is Tracked else a for a in inputs]
        if kwargs:
            kwargs = _unwrap(kwargs)
        if method == "__call__" and ufunc.__name__ in _HOLOMORPHIC_UFUNCS:  # the common case costs one lookup
            return self._wrap(ufunc(*args, **kwargs))
        if any(_is_complex(a) for a in args):
            _judge_ufunc(self.recorder, ufunc, method, tuple(args), kwargs)
        return self._wrap(getattr(ufunc, method)(*args, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        args = tuple([a.array if type(a) is Tracked else _unwrap(a) for a in args])
        kwargs = {key: _unwrap(value) for key, value in kwargs.items()} if kwargs else kwargs
        _judge_function(self.recorder, func, args, kwargs)
        return self._wrap(func(*args, **kwargs))

    def __array__(self, dtype=None, copy=None):
        """A plain array leaves the probe's sight: recorded, so an unseen np.abs later cannot pass."""
        if dtype is not None and np.dtype(dtype).kind != "c":
            self.recorder.unsafe(f"the value is cast to real (written into a float array, or converted with a float "
                                 f"dtype){_here()}")
        else:
            self.recorder.unsafe(f"the value is turned into a plain array (np.asarray, np.array or a C extension), "
                                 f"which the probe cannot follow{_here()}")
        return self.array if dtype is None else self.array.astype(dtype)

    # Attributes and methods of ndarray, each through the numpy function that is judged above.
    shape = property(lambda self: self.array.shape)
    ndim = property(lambda self: self.array.ndim)
    size = property(lambda self: self.array.size)
    dtype = property(lambda self: self.array.dtype)
    T = property(lambda self: np.transpose(self))

    @property
    def real(self):
        self.recorder.unsafe(f".real drops the imaginary part{_here()}")
        return self.array.real

    @property
    def imag(self):
        self.recorder.unsafe(f".imag reads the imaginary part{_here()}")
        return self.array.imag

    def astype(self, dtype, *args, **kwargs):
        if np.dtype(dtype).kind == "c":
            return Tracked(self.array.astype(dtype, *args, **kwargs), self.recorder)
        self.recorder.unsafe(f"astype({np.dtype(dtype)}) drops the imaginary part{_here()}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            return self.array.astype(dtype, *args, **kwargs)

    def __float__(self):
        self.recorder.unsafe(f"float() drops the imaginary part{_here()}")
        return float(self.array.real)

    def __int__(self):
        self.recorder.unsafe(f"int() drops the imaginary part{_here()}")
        return int(self.array.real)

    def __complex__(self):
        self.recorder.unsafe(f"complex() turns it into a Python number, which the probe cannot follow{_here()}")
        return complex(self.array)

    def __bool__(self):
        return bool(self.array)

    def __len__(self):
        return len(self.array)

    def __iter__(self):
        return (self[i] for i in range(len(self.array)))

    def __getitem__(self, index):
        return self._wrap(self.array[_unwrap(index)])

    def __setitem__(self, index, value):
        self.array[_unwrap(index)] = _unwrap(value)

    def __repr__(self):
        return f"Tracked({self.array!r})"

    def item(self, *args):
        return Tracked(np.asarray(self.array.item(*args)), self.recorder)

    def tolist(self):
        self.recorder.unsafe(f"tolist() turns it into Python numbers, which the probe cannot follow{_here()}")
        return self.array.tolist()

    def copy(self, *args, **kwargs):
        return Tracked(self.array.copy(*args, **kwargs), self.recorder)

    def flatten(self, *args, **kwargs):
        return Tracked(self.array.flatten(*args, **kwargs), self.recorder)

    def reshape(self, *shape, **kwargs):
        return np.reshape(self, _args_form(shape), **kwargs)

    def transpose(self, *axes):
        return np.transpose(self, _args_form(axes))


def _method(function: Callable) -> Callable:
    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)

    method.__name__ = function.__name__
    return method


for _name in ("sum", "mean", "prod", "cumsum", "cumprod", "max", "min", "argmax", "argmin", "clip", "dot", "trace",
              "diagonal", "ravel", "squeeze", "swapaxes", "repeat", "take", "round", "std", "var", "all", "any",
              "nonzero", "argsort", "conj", "conjugate"):
    setattr(Tracked, _name, _method(getattr(np, _name)))


# The common operators call __array_ufunc__ directly when the other operand is an array or a number: numpy's
# dispatch would make the same call (such operands define no override), one layer of Python slower.
_OPERANDS = frozenset((Tracked, np.ndarray, float, int, complex, bool, np.float64, np.float32, np.complex128,
                       np.complex64, np.int64))


def _operator(name: str, ufunc: np.ufunc, reflected: bool) -> Callable:
    fallback = getattr(NDArrayOperatorsMixin, name)
    holomorphic = ufunc.__name__ in _HOLOMORPHIC_UFUNCS  # nothing to judge: computed and wrapped right here

    def method(self, other):
        if type(other) not in _OPERANDS:
            return fallback(self, other)
        if not holomorphic:
            return self.__array_ufunc__(ufunc, "__call__", *((other, self) if reflected else (self, other)))
        plain = other.array if type(other) is Tracked else other
        return self._wrap(ufunc(plain, self.array) if reflected else ufunc(self.array, plain))

    method.__name__ = name
    return method


for _name, _ufunc in (("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("truediv", np.true_divide),
                      ("matmul", np.matmul), ("pow", np.power)):
    setattr(Tracked, f"__{_name}__", _operator(f"__{_name}__", _ufunc, False))
    setattr(Tracked, f"__r{_name}__", _operator(f"__r{_name}__", _ufunc, True))
for _name, _ufunc in (("lt", np.less), ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)):
    setattr(Tracked, f"__{_name}__", _operator(f"__{_name}__", _ufunc, False))


def _negative(self):
    return self.__array_ufunc__(np.negative, "__call__", self)


Tracked.__neg__ = _negative
