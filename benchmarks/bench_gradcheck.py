"""Benchmark of checks.gradcheck against torch.autograd.gradcheck on a 784-30-10 sigmoid/softmax net, batch 16, float64.

Both checkers check the same hand-written numpy backprop (torch sees it through an autograd.Function whose backward
returns the numpy gradient), with four injected bugs: sigma' x 1.001 and x 1.01 everywhere, one bias entry x 1.01
and x 2. Figures: catch rate over the seeds, time of a fast check of the correct gradient, agreement of a full
complex-step sweep, time to localize the wrong bias entry, and the ratio to torch's default mode in the same run.

    python benchmarks/bench_gradcheck.py [--seeds 20] [--no-torch] [--no-sweep]

Both checkers spend their time in the same numpy loss. BLAS runs single-threaded (unless the environment says
otherwise): on a shared 2-core machine the threaded BLAS makes these small matrix products 5-10x slower and noisy.
"""

from __future__ import annotations

import argparse
import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import platform  # noqa: E402 - after the thread settings, which must precede numpy
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from checks import network  # noqa: E402
from checks.gradcheck import gradcheck  # noqa: E402

SIZES, BATCH = (784, 30, 10), 16
TORCH_OPTIONS = {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-3}


def _bias_index(seed: int) -> tuple[int, int]:
    return int(np.random.default_rng(seed + 500).integers(SIZES[1])), 0


def variants(seed: int) -> dict[str, network.Bug]:
    """The correct gradient and the four injected bugs (the bias entry is drawn per seed, in b1)."""
    index = _bias_index(seed)
    return {
        "correct": network.bug("correct"),
        "sigma' x 1.001": network.bug("sigma-prime-factor", factor=1.001),
        "sigma' x 1.01": network.bug("sigma-prime-factor", factor=1.01),
        "b1 entry x 1.01": network.bug("entry", tensor=1, index=index, factor=1.01),
        "b1 entry x 2": network.bug("entry", tensor=1, index=index, factor=2.0),
    }


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def ours(seeds: int) -> dict[str, dict]:
    """Fast-mode checks of every variant over the seeds: verdicts, times, localization."""
    results = {name: {"right": 0, "times": [], "located": 0, "errors": []} for name in variants(0)}
    for seed in range(seeds):
        for name, bug in variants(seed).items():
            loss, grad, params = network.problem(SIZES, BATCH, seed, bug)
            if seed == 0:
                gradcheck(loss, grad, params, mode="fast", seed=seed)  # warm-up: imports, caches
            repeats = 3 if name == "correct" else 1  # the speed figure is the best of three, as timeit does
            runs = [_timed(lambda: gradcheck(loss, grad, params, mode="fast", seed=seed)) for _ in range(repeats)]
            report, seconds = runs[0][0], min(t for _, t in runs)
            entry = results[name]
            entry["right"] += report.passed == (name == "correct")
            entry["times"].append(seconds)
            entry["errors"].append(report.error)
            if "entry" in name:
                entry["located"] += bool(report.worst) and report.worst[0].index == _bias_index(seed) \
                    and report.tensors[1].where == f"1 entry: {_bias_index(seed)}"
    return results


def sweep() -> tuple[float, float, int]:
    """A full complex-step sweep of the correct gradient (seed 0): exact normwise error, seconds, evaluations."""
    loss, grad, params = network.problem(SIZES, BATCH, 0)
    report, seconds = _timed(lambda: gradcheck(loss, grad, params, mode="full", method="complex"))
    return report.error, seconds, report.evaluations


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


def torch_side(torch, seeds: int) -> dict[str, dict]:
    """torch.autograd.gradcheck on the same numpy backprop: default mode on seed 0, fast mode over all seeds."""
    results = {name: {"default": None, "default_s": None, "fast_right": 0, "fast_times": []} for name in variants(0)}
    for seed in range(seeds):
        for name, bug in variants(seed).items():
            loss, grad, params = network.problem(SIZES, BATCH, seed, bug)
            fn = _torch_function(torch, loss, grad)
            inputs = tuple(torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params)
            check = lambda fast: torch.autograd.gradcheck(fn, inputs, raise_exception=False, fast_mode=fast,  # noqa
                                                          **TORCH_OPTIONS)
            if seed == 0 and name == "correct":
                check(True)  # warm-up, as for ours
            repeats = 3 if name == "correct" else 1
            runs = [_timed(lambda: check(True)) for _ in range(repeats)]
            passed, seconds = runs[0][0], min(t for _, t in runs)
            results[name]["fast_right"] += passed == (name == "correct")
            results[name]["fast_times"].append(seconds)
            if seed == 0:
                passed, seconds = _timed(lambda: check(False))
                results[name]["default"], results[name]["default_s"] = passed, seconds
    return results


def speed(torch, rounds: int = 3) -> list[tuple[float, float]]:
    """Interleaved timing on the correct gradient (seed 0): torch's default mode once, then ours best of five."""
    loss, grad, params = network.problem(SIZES, BATCH, 0)
    fn = _torch_function(torch, loss, grad)
    inputs = tuple(torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params)
    pairs = []
    for _ in range(rounds):
        _, theirs = _timed(lambda: torch.autograd.gradcheck(fn, inputs, raise_exception=False, **TORCH_OPTIONS))
        mine = min(_timed(lambda: gradcheck(loss, grad, params, mode="fast"))[1] for _ in range(5))
        pairs.append((theirs, mine))
    return pairs


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.1f} ms"


def _print_ours(results: dict, seeds: int) -> None:
    print(f"\nchecks.gradcheck, fast mode (complex step), {seeds} seeds; times of the correct check: best of 3")
    print(f"{'variant':<17}{'verdict right':>14}{'median':>11}{'max':>11}{'located':>10}")
    for name, r in results.items():
        located = f"{r['located']}/{seeds}" if "entry" in name else "-"
        print(f"{name:<17}{r['right']:>9}/{seeds:<4}{_ms(statistics.median(r['times'])):>11}"
              f"{_ms(max(r['times'])):>11}{located:>10}")
    print(f"estimated normwise error of the correct gradient: max {max(results['correct']['errors']):.1e} "
          "over the seeds")


def _print_torch(results: dict, seeds: int) -> None:
    print("\ntorch.autograd.gradcheck (eps 1e-6, atol 1e-5, rtol 1e-3) on the same numpy backprop; "
          "fast mode times of the correct check: best of 3")
    print(f"{'variant':<17}{'default (seed 0)':>18}{'time':>11}{'fast: right':>14}{'fast median':>13}")
    for name, r in results.items():
        verdict = "pass" if r["default"] else "FAIL"
        right = "right" if r["default"] == (name == "correct") else "WRONG"
        print(f"{name:<17}{verdict + ' (' + right + ')':>18}{r['default_s']:>10.2f}s{r['fast_right']:>9}/{seeds:<4}"
              f"{_ms(statistics.median(r['fast_times'])):>13}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--no-torch", action="store_true", help="skip torch.autograd.gradcheck")
    parser.add_argument("--no-sweep", action="store_true", help="skip the full complex-step sweep")
    args = parser.parse_args()
    parameters = sum(p.size for p in network.init_params(SIZES))
    print(f"784-30-10 sigmoid/softmax, mini-batch {BATCH}, float64, {parameters:,} parameters; "
          f"numpy {np.__version__}, Python {platform.python_version()}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    mine = ours(args.seeds)
    _print_ours(mine, args.seeds)
    if not args.no_sweep:
        error, seconds, evaluations = sweep()
        print(f"\nfull complex-step sweep of the correct gradient (seed 0): normwise relative error {error:.1e}, "
              f"{seconds:.2f} s, {evaluations:,} loss evaluations")
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("\ntorch is not installed: skipping torch.autograd.gradcheck (pip install derive-backprop[bench])")
    if torch is not None:
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
        print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
        theirs = torch_side(torch, args.seeds)
        _print_torch(theirs, args.seeds)
        pairs = speed(torch)
        print("\ninterleaved, correct gradient, seed 0: torch default mode vs checks.gradcheck fast (best of 5)")
        for theirs_s, mine_s in pairs:
            print(f"  {theirs_s:.2f} s vs {_ms(mine_s)}: {theirs_s / mine_s:,.0f}x")
        ratio = statistics.median(t / m for t, m in pairs)
        fast_ratio = statistics.median(theirs["correct"]["fast_times"]) / statistics.median(mine["correct"]["times"])
        print(f"speed-up on the correct gradient, same run: {ratio:,.0f}x torch default mode (median of the rounds), "
              f"{fast_ratio:.1f}x torch fast mode (medians over the seeds)")
    caught = all(r["right"] == args.seeds for r in mine.values())
    located = all(r["located"] == args.seeds for n, r in mine.items() if "entry" in n)
    slowest_entry = max(max(r["times"]) for n, r in mine.items() if "entry" in n)
    print(f"\ncatch all four and pass the correct gradient in every run: {'yes' if caught else 'NO'}")
    print(f"single wrong bias entry localized in every run: {'yes' if located else 'NO'}, "
          f"slowest check including localization {_ms(slowest_entry)}")


if __name__ == "__main__":
    main()
