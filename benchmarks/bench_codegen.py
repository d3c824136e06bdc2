"""Benchmark: derivation to checked, callable numpy code, naive SymPy vs derive codegen, and the generated code's speed.

Three tables, measured side by side in one run:
1. Time to a checked, callable softmax Jacobian and cross-entropy delta for K classes. Naive SymPy expands the
   softmax into K symbols (the sum written out), takes `Matrix.jacobian` and lambdifies (no `sp.expand` of the
   products: its multinomial expansion of the squared denominator costs K^4 and takes 55 s already at K = 30
   here); this project builds the (general-K) derivation, proves it, generates the stable module, imports it
   and runs its self-check. Both sides are then checked the same way (central differences
   of the callable's own softmax / cost), each case in a fresh interpreter, imports of sympy and numpy excluded.
2. The commands `derive check softmax-jacobian --classes 1000` and `derive codegen ... --classes 1000` as ratios
   to the bare start-up `python -c "import sympy, numpy, rich"` (best of --repeat runs each).
3. The generated delta(z, y) and backprop(...) against hand-written numpy on a 784-30-10 network, batch 16.

    python benchmarks/bench_codegen.py                    # everything, naive K = 100 included (minutes)
    python benchmarks/bench_codegen.py --skip-naive-100   # leave out the slow naive K = 100 case
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import timeit

PROJECT_K = (10, 30, 100, 1000)
NAIVE_K = (10, 30, 100)
CHECK_TOLERANCE = 1e-6  # central differences at h = 1e-6 on functions of size 1: a wrong formula is off by O(1)


# ------------------------------------------------------------------------------------------- workers
def _central(f, z, h=1e-6):
    import numpy as np

    columns = []
    for c in range(z.size):
        step = np.zeros_like(z)
        step[c] = h
        columns.append((f(z + step) - f(z - step)) / (2 * h))
    return np.stack(columns, axis=-1)


def _check(softmax, jacobian, cost, delta, k: int) -> float:
    """The largest relative error of the Jacobian and the delta against central differences, at a seeded point."""
    import numpy as np

    rng = np.random.default_rng(0)
    z, y = rng.normal(size=k), np.eye(k)[rng.integers(k)]
    errors = []
    for derived, numeric in ((jacobian(z), _central(softmax, z)), (delta(z, y), _central(lambda w: cost(w, y), z))):
        errors.append(np.linalg.norm(np.asarray(derived, float) - numeric) / np.linalg.norm(numeric))
    return float(max(errors))


def worker_naive(k: int) -> dict:
    import numpy as np
    import sympy as sp

    start = time.perf_counter()
    zs, ys = sp.symbols(f"z1:{k + 1}"), sp.symbols(f"y1:{k + 1}")
    total = sum(sp.exp(v) for v in zs)
    a = sp.Matrix([sp.exp(v) / total for v in zs])
    jacobian = a.jacobian(zs)
    cost = -sum(t * sp.log(p) for t, p in zip(ys, a))
    delta = sp.Matrix([cost]).jacobian(zs).T
    f_softmax = sp.lambdify([zs], a, "numpy")
    f_jacobian = sp.lambdify([zs], jacobian, "numpy")
    f_cost = sp.lambdify([zs, ys], cost, "numpy")
    f_delta = sp.lambdify([zs, ys], delta, "numpy")
    built = time.perf_counter() - start
    error = _check(lambda z: np.asarray(f_softmax(z), float).ravel(), f_jacobian, f_cost,
                   lambda z, y: np.asarray(f_delta(z, y), float).ravel(), k)
    return {"seconds": time.perf_counter() - start, "build": built, "error": error}


def worker_project(k: int) -> dict:
    import numpy  # noqa: F401  (both sides start the clock with sympy and numpy imported)
    import sympy  # noqa: F401

    start = time.perf_counter()
    from derive.codegen import generate_module, load_module
    from derive.codegen.check import check_generated
    from derive.derivations import build
    from derive.verify import prove

    modules = {}
    for id_ in ("softmax-jacobian", "cross-entropy-delta"):
        derivation = build(id_, k)
        if not prove(derivation).passed:
            raise SystemExit(f"{id_} at K={k}: the proof failed")
        modules[id_] = load_module(generate_module(id_, k))
        if not all(c.passed for c in check_generated(modules[id_], derivation)):
            raise SystemExit(f"{id_} at K={k}: generated code does not match the derivation")
    built = time.perf_counter() - start
    jac, ce = modules["softmax-jacobian"], modules["cross-entropy-delta"]
    error = _check(jac.softmax, jac.softmax_jacobian, ce.cross_entropy, ce.delta, k)
    return {"seconds": time.perf_counter() - start, "build": built, "error": error}


# ---------------------------------------------------------------------------------------------- tables
def _spawn(kind: str, k: int, timeout: float) -> dict:
    command = [sys.executable, __file__, "--worker", kind, str(k)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"seconds": float("inf"), "error": float("nan"), "note": f"timed out after {timeout:.0f} s"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def table_build(skip_naive_100: bool, timeout: float) -> list[str]:
    lines = ["1. time to a checked, callable softmax Jacobian + cross-entropy delta (fresh interpreter each)",
             f"   {'K':>5}  {'naive SymPy':>12}  {'derive':>8}  {'speed-up':>9}  {'check (naive / derive)':>24}"]
    for k in PROJECT_K:
        project = _spawn("project", k, timeout)
        naive = None
        if k in NAIVE_K and not (k == 100 and skip_naive_100):
            naive = _spawn("naive", k, timeout)
        naive_text = f"{naive['seconds']:10.2f} s" if naive and naive["seconds"] != float("inf") else (
            naive["note"] if naive else "skipped")
        ratio = _ratio(naive, project)
        checks = f"{naive['error']:.0e} / {project['error']:.0e}" if naive else f"- / {project['error']:.0e}"
        lines.append(f"   {k:>5}  {naive_text:>12}  {project['seconds']:6.2f} s  {ratio:>9}  {checks:>24}")
        if naive and naive["seconds"] != float("inf") and naive["error"] > CHECK_TOLERANCE:
            lines.append(f"   (naive K={k} failed its check)")
        if project["error"] > CHECK_TOLERANCE:
            lines.append(f"   (derive K={k} failed its check)")
    return lines


def _ratio(naive, project) -> str:
    if not naive or naive["seconds"] == float("inf"):
        return "-"
    ratio = naive["seconds"] / project["seconds"]
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"


def _best(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def table_commands(repeat: int) -> list[str]:
    derive = shutil.which("derive", path=os.path.dirname(sys.executable)) or "derive"
    bare = _best([sys.executable, "-c", "import sympy, numpy, rich"], repeat)
    lines = [f"2. commands at K = 1000, best of {repeat}, as multiples of the bare start-up "
             f"`python -c \"import sympy, numpy, rich\"` = {bare:.2f} s (goal: at most 8x)"]
    for args in (["check", "softmax-jacobian", "--classes", "1000"],
                 ["codegen", "softmax-jacobian", "--classes", "1000"],
                 ["codegen", "cross-entropy-delta", "--classes", "1000"]):
        seconds = _best([derive, *args], repeat)
        lines.append(f"   derive {' '.join(args):<42} {seconds:6.2f} s  {seconds / bare:5.1f}x")
    return lines


def _timed(function, repeat: int = 7, number: int = 2000) -> float:
    return min(timeit.repeat(function, repeat=repeat, number=number)) / number


def _reference_network():
    """Hand-written numpy: sigmoid hidden layers, softmax output, cross-entropy, mean over the batch (columns)."""
    import numpy as np

    def delta(z, y):
        e = np.exp(z - z.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True) - y

    def backprop(weights, biases, x, y):
        activations, zs = [x], []
        for w, b in zip(weights[:-1], biases[:-1]):
            zs.append(w @ activations[-1] + b)
            activations.append(1 / (1 + np.exp(-zs[-1])))
        error = delta(weights[-1] @ activations[-1] + biases[-1], y)
        grad_w, grad_b = [None] * len(weights), [None] * len(weights)
        for layer in range(len(weights) - 1, -1, -1):
            grad_w[layer] = error @ activations[layer].T / x.shape[1]
            grad_b[layer] = error.sum(axis=1, keepdims=True) / x.shape[1]
            if layer:
                s = activations[layer]
                error = (weights[layer].T @ error) * s * (1 - s)
        return grad_w, grad_b

    return delta, backprop


def table_runtime() -> list[str]:
    import numpy as np

    from derive.codegen import SUPPORTED, generate_module, load_module

    rng = np.random.default_rng(0)
    sizes, batch = (784, 30, 10), 16
    weights = [rng.normal(size=(n, m)) / np.sqrt(m) for m, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=(n, 1)) for n in sizes[1:]]
    x = rng.random((sizes[0], batch))
    y = np.eye(sizes[-1])[:, rng.integers(sizes[-1], size=batch)]
    z = weights[-1] @ (1 / (1 + np.exp(-(weights[0] @ x + biases[0])))) + biases[-1]
    ref_delta, ref_backprop = _reference_network()
    generated = load_module(generate_module("cross-entropy-delta", sizes[-1]))
    lines = [f"3. generated code vs hand-written numpy, 784-30-10 network, mini-batch {batch} (goal: at most 1.5x)"]
    assert np.allclose(generated.delta(z, y), ref_delta(z, y), rtol=1e-13, atol=1e-15)
    mine, theirs = _timed(lambda: generated.delta(z, y)), _timed(lambda: ref_delta(z, y))
    lines.append(f"   delta(z, y)      generated {mine * 1e6:7.1f} us   hand-written {theirs * 1e6:7.1f} us   "
                 f"{mine / theirs:4.2f}x")
    if "backprop" not in SUPPORTED or not _backprop_available():
        lines.append("   backprop(...)    not generated yet: the backprop derivation (issue 3) is not in the catalogue")
        return lines
    network = load_module(generate_module("backprop", sizes=sizes))
    got, want = network.backprop(weights, biases, x, y), ref_backprop(weights, biases, x, y)
    assert all(np.allclose(g, w, rtol=1e-12, atol=1e-15) for g, w in zip(got[0] + got[1], want[0] + want[1]))
    mine = _timed(lambda: network.backprop(weights, biases, x, y), number=500)
    theirs = _timed(lambda: ref_backprop(weights, biases, x, y), number=500)
    lines.append(f"   backprop(...)    generated {mine * 1e6:7.1f} us   hand-written {theirs * 1e6:7.1f} us   "
                 f"{mine / theirs:4.2f}x")
    return lines


def _backprop_available() -> bool:
    from derive.derivations import CATALOGUE

    return "backprop" in CATALOGUE


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-naive-100", action="store_true", help="leave out the naive SymPy case K = 100")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command in table 2 (best is kept)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per case of table 1")
    parser.add_argument("--only", choices=("build", "commands", "runtime"), help="run one table")
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "K"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, k = args.worker[0], int(args.worker[1])
        print(json.dumps((worker_naive if kind == "naive" else worker_project)(k)))
        return 0
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M')}")
    tables = {"build": lambda: table_build(args.skip_naive_100, args.timeout),
              "commands": lambda: table_commands(args.repeat), "runtime": table_runtime}
    for name, table in tables.items():
        if args.only in (None, name):
            print("\n".join(table()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
