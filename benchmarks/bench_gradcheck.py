"""Benchmark of checks.gradcheck against torch.autograd.gradcheck on three sigmoid/softmax networks, one BLAS thread.

For each network (784-30-10 batch 16, 784-300-100-10 batch 32, 784-1000-1000-10 batch 64; float64, mean
cross-entropy) and the same hand-written numpy backprop (torch sees it through an autograd.Function whose backward
returns the numpy gradient), one run measures:

- one analytic backprop; our fast check of the correct gradient, in ms and in backprop-equivalents, and torch's fast
  mode on it, timed in alternation (best of 5 each);
- the time outside the user's loss and grad: total minus the grad call minus the loss evaluations, each timed alone
  (a plain complex loss call: the tracking of the first probe, which decides complex safety, counts as ours), in an
  alternation of their own without torch; the same difference from the alternation with torch is printed too;
- torch.autograd.gradcheck default mode where its estimate (2 loss calls per parameter) is under 60 s;
- detection over the seeds of sigma' x 1.001 everywhere and of one first-layer weight entry x 1.01, and whether that
  entry is located; torch's fast mode on the same bugs;
- peak extra memory: the peak of what one passing check allocates beyond the user's inputs, which exist before
  tracemalloc starts (numpy reports its buffers to tracemalloc), against the size of the parameters. It includes what
  the user's grad allocates and what the user's loss allocates at a complex point, since the check calls them that
  way; the loss's own share is measured alone (one complex call) and shown beside it;
- the same passing check on float32 parameters.

    python benchmarks/bench_gradcheck.py [--seeds 20] [--networks small,medium,large] [--no-torch]

Both sides spend their time in the same numpy loss and grad. BLAS runs single-threaded: the variables are set before
numpy is imported, and torch gets torch.set_num_threads(1).
"""

from __future__ import annotations

import argparse
import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import platform  # noqa: E402 - after the thread settings, which must precede numpy
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

from checks import network  # noqa: E402
from checks.gradcheck import gradcheck  # noqa: E402

NETWORKS = {"small": ((784, 30, 10), 16), "medium": ((784, 300, 100, 10), 32), "large": ((784, 1000, 1000, 10), 64)}
TORCH_OPTIONS = {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-3}
SIGMA = "sigma' x 1.001"
TORCH_DEFAULT_LIMIT = 60.0  # seconds: torch's default mode is run only when its estimate is below this


def _best(fn, repeats: int = 3) -> tuple[object, float]:
    """fn's value and its best time over `repeats` calls (as timeit reports)."""
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return value, min(times)


def _peak(fn) -> int:
    """The peak of the memory fn allocates beyond what exists when it starts (tracemalloc sees numpy's buffers)."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def _entry(sizes: tuple[int, ...], seed: int) -> tuple[int, int]:
    rng = np.random.default_rng(seed + 500)
    return int(rng.integers(sizes[1])), int(rng.integers(sizes[0]))


def bugs(sizes: tuple[int, ...], seed: int) -> dict[str, network.Bug]:
    return {"sigma' x 1.001": network.bug("sigma-prime-factor", factor=1.001),
            "W1 entry x 1.01": network.bug("entry", tensor=0, index=_entry(sizes, seed), factor=1.01)}


def _rounds(seconds: float) -> int:
    """Rounds of the alternating timing: about 2 s in all, at least 5 and at most 100 (the small network's
    sub-millisecond times need many to see through a shared machine's load)."""
    return max(5, min(100, int(2.0 / max(seconds, 1e-6))))


def _outside(loss, grad, params, complex_params, evaluations: int, rounds: int) -> float:
    """Our time minus the grad call minus the loss evaluations (plain complex calls), the three timed alone in an
    alternation of their own (best of the rounds each): torch's check run between them would leave our check, and the
    user's loss and grad inside it, colder caches than the loss and grad timed alone."""
    times = {"ours": [], "grad": [], "loss": []}
    for _ in range(rounds):
        times["ours"].append(_best(lambda: gradcheck(loss, grad, params, mode="fast"), 1)[1])
        times["grad"].append(_best(lambda: grad(params), 1)[1])
        times["loss"].append(_best(lambda: loss(complex_params), 1)[1])
    return min(times["ours"]) - min(times["grad"]) - evaluations * min(times["loss"])


def speed(sizes, batch, torch) -> dict:
    """Backprop, our passing check (float64 and float32), torch's fast mode, the time outside loss and grad, peak
    memory. Ours, torch's fast mode and one backprop are timed in alternation (best of the rounds each), so that the
    load of a shared machine falls on all three alike."""
    loss, grad, params = network.problem(sizes, batch, 0)
    gradcheck(loss, grad, params, mode="fast")  # warm-up
    report, once = _best(lambda: gradcheck(loss, grad, params, mode="fast"), 1)
    times = {"ours": [], "torch": [], "backprop": []}
    if torch is not None:
        once += _best(lambda: _torch_check(torch, loss, grad, params, True), 1)[1]
    rounds = _rounds(once)
    for _ in range(rounds):
        times["ours"].append(_best(lambda: gradcheck(loss, grad, params, mode="fast"), 1)[1])
        times["backprop"].append(_best(lambda: grad(params), 1)[1])
        if torch is not None:
            times["torch"].append(_best(lambda: _torch_check(torch, loss, grad, params, True), 1)[1])
    ours, backprop = min(times["ours"]), min(times["backprop"])
    complex_params = [p.astype(complex) for p in params]
    _, complex_loss = _best(lambda: loss(complex_params), rounds)
    interleaved = ours - backprop - report.evaluations * complex_loss
    outside = _outside(loss, grad, params, complex_params, report.evaluations, rounds)
    peak, own = _peak(lambda: gradcheck(loss, grad, params, mode="fast")), _peak(lambda: loss(complex_params))
    low = [p.astype(np.float32) for p in params]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gradcheck(loss, grad, low, mode="fast")
        low_report, low_time = _best(lambda: gradcheck(loss, grad, low, mode="fast"))
    return {"params": sum(p.size for p in params), "backprop": backprop, "ours": ours, "passed": report.passed,
            "evaluations": report.evaluations, "outside": outside, "interleaved": interleaved, "memory": peak / sum(p.nbytes for p in params),
            "loss_memory": own / sum(p.nbytes for p in params),
            "rounds": rounds, "float32": low_time, "float32_passed": low_report.passed,
            "float32_evaluations": low_report.evaluations,
            "loss": _best(lambda: loss(params), 5)[1], "error": report.error,
            "torch_fast": min(times["torch"]) if times["torch"] else None}


def detection(sizes, batch, seeds: int) -> dict[str, dict]:
    """Our fast check of each bug over the seeds: caught, located (the entry), slowest time."""
    results = {name: {"caught": 0, "located": 0, "slowest": 0.0} for name in bugs(sizes, 0)}
    for seed in range(seeds):
        for name, bug in bugs(sizes, seed).items():
            loss, grad, params = network.problem(sizes, batch, seed, bug)
            report, seconds = _best(lambda: gradcheck(loss, grad, params, mode="fast", seed=seed), 1)
            entry = results[name]
            entry["caught"] += report.verdict == "failed"
            entry["slowest"] = max(entry["slowest"], seconds)
            if "entry" in name:
                index = _entry(sizes, seed)
                entry["located"] += bool(report.worst) and report.worst[0].index == index \
                    and report.tensors[0].where == f"1 entry: {index}"
    return results


def _torch_function(torch, loss, grad):
    class NumpyBackprop(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *tensors):
            ctx.save_for_backward(*tensors)
            return torch.tensor(float(loss([t.detach().numpy() for t in tensors])), dtype=torch.float64)

        @staticmethod
        def backward(ctx, grad_output):
            grads = grad([t.detach().numpy() for t in ctx.saved_tensors])
            return tuple(grad_output * torch.from_numpy(np.ascontiguousarray(g)) for g in grads)

    return NumpyBackprop.apply


def _torch_check(torch, loss, grad, params, fast: bool) -> bool:
    fn = _torch_function(torch, loss, grad)
    inputs = tuple(torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params)
    return torch.autograd.gradcheck(fn, inputs, raise_exception=False, fast_mode=fast, **TORCH_OPTIONS)


def torch_side(torch, sizes, batch, seeds: int, loss_seconds: float, fast: float) -> dict:
    """torch's fast mode: verdict on the correct gradient and detection over the seeds; default mode once."""
    loss, grad, params = network.problem(sizes, batch, 0)
    passed = _torch_check(torch, loss, grad, params, True)
    caught = {name: 0 for name in bugs(sizes, 0)}
    for seed in range(seeds):
        for name, bug in bugs(sizes, seed).items():
            caught[name] += not _torch_check(torch, *network.problem(sizes, batch, seed, bug), True)
    estimate = 2 * sum(p.size for p in params) * loss_seconds
    default = _best(lambda: _torch_check(torch, loss, grad, params, False), 1) \
        if estimate < TORCH_DEFAULT_LIMIT else (None, None)
    return {"fast": fast, "fast_passed": passed, "caught": caught, "default": default[1], "default_passed": default[0],
            "estimate": estimate}


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{1e3 * seconds:,.1f} ms"


def _print_table(rows: list[tuple[str, dict, dict, dict | None]], seeds: int) -> None:
    print("\n| network (batch) | parameters | one backprop | ours: passing check | backprop-equivalents | "
          "outside loss and grad | torch fast | torch default | ours / torch fast | peak extra memory / params (one "
          "complex loss call alone) | float32 check |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, s, _, t in rows:
        ratio = f"{s['ours'] / t['fast']:.2f}" if t else "-"
        default = "-" if not t else (_ms(t["default"]) if t["default"] is not None else f"> 1 min (est. "
                                     f"{t['estimate']:,.0f} s)")
        print(f"| {label} | {s['params']:,} | {_ms(s['backprop'])} | {_ms(s['ours'])} ({s['evaluations']} loss "
              f"evaluations) | {s['ours'] / s['backprop']:.1f} | {1e3 * s['outside']:.2f} ms | {_ms(t['fast']) if t else '-'}"
              f" | {default} | {ratio} | {s['memory']:.2f}x ({s['loss_memory']:.2f}x) | {_ms(s['float32'])} "
              f"({s['float32'] / s['backprop']:.1f} backprops) |")
    print(f"\ndetection over {seeds} seeds (ours: verdict 'failed'; located: the wrong entry is the first of the worst "
          "entries and its tensor reads '1 entry: (i, j)')")
    print("| network | sigma' x 1.001: ours | torch fast | W1 entry x 1.01: ours | located | torch fast | "
          "slowest failing check |")
    print("|---|---|---|---|---|---|---|")
    for label, _, d, t in rows:
        sigma, entry = d[SIGMA], d["W1 entry x 1.01"]
        torch_sigma = f"{t['caught'][SIGMA]}/{seeds}" if t else "-"
        torch_entry = f"{t['caught']['W1 entry x 1.01']}/{seeds}" if t else "-"
        print(f"| {label} | {sigma['caught']}/{seeds} | {torch_sigma} | {entry['caught']}/{seeds} | "
              f"{entry['located']}/{seeds} | {torch_entry} | {_ms(max(sigma['slowest'], entry['slowest']))} |")


def _goals(rows, seeds: int) -> None:
    speed_ok = all(t is not None and s["ours"] <= 0.5 * t["fast"] for _, s, _, t in rows)
    large = [s for label, s, _, _ in rows if s["params"] > 1_000_000]
    equivalents_ok = all(s["ours"] / s["backprop"] <= 10 for s in large)
    caught_ok = all(r["caught"] == seeds for _, _, d, _ in rows for r in d.values())
    located_ok = all(d["W1 entry x 1.01"]["located"] == seeds for _, _, d, _ in rows)
    memory_ok = all(s["memory"] <= 3 for _, s, _, _ in rows)
    small = [s for _, s, _, _ in rows if s["params"] == 23_860]
    for goal, met in (("passing check <= 0.5x torch fast at every size", speed_ok),
                      ("<= 10 backprop-equivalents at 1,796,010 parameters", equivalents_ok if large else None),
                      (f"both bugs caught in {seeds}/{seeds} seeds at every size", caught_ok),
                      ("the wrong entry located every time", located_ok),
                      ("peak memory <= 3x the parameters", memory_ok),
                      ("time outside loss and grad < 0.3 ms at 23,860 parameters",
                       small[0]["outside"] < 3e-4 if small else None)):
        print(f"goal: {goal}: {'-' if met is None else ('yes' if met else 'NO')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--networks", default="small,medium,large")
    parser.add_argument("--no-torch", action="store_true", help="skip torch.autograd.gradcheck")
    args = parser.parse_args()
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("torch is not installed: skipping torch.autograd.gradcheck (pip install torch==2.13.0)")
    if torch is not None:
        torch.set_num_threads(1)
    print(f"numpy {np.__version__}, Python {platform.python_version()}, OPENBLAS_NUM_THREADS="
          f"{os.environ['OPENBLAS_NUM_THREADS']}" + (f", torch {torch.__version__} with {torch.get_num_threads()} "
                                                     "thread(s)" if torch is not None else ""))
    rows = []
    for key in args.networks.split(","):
        sizes, batch = NETWORKS[key]
        label = f"{'-'.join(map(str, sizes))} ({batch})"
        s = speed(sizes, batch, torch)
        d = detection(sizes, batch, args.seeds)
        t = torch_side(torch, sizes, batch, args.seeds, s["loss"], s["torch_fast"]) if torch is not None else None
        rows.append((label, s, d, t))
        print(f"{label}: done (ours {_ms(s['ours'])}, passed {s['passed']}, bound {s['error']:.1e}; outside loss and "
              f"grad {1e3 * s['outside']:.2f} ms, {1e3 * s['interleaved']:.2f} ms interleaved with torch; float32 passed "
              f"{s['float32_passed']} in {s['float32_evaluations']} evaluations)", flush=True)
    _print_table(rows, args.seeds)
    _goals(rows, args.seeds)


if __name__ == "__main__":
    main()
