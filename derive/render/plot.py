"""Pictures of the numerics (matplotlib, from the optional `plot` extra)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from derive.errors import UsageError

__all__ = ["step_size_figure", "save_step_size_plot", "jacobian_heatmap", "require_matplotlib", "plot_target"]

_EPS = np.finfo(float).eps


def require_matplotlib():
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise UsageError("plots need matplotlib, from the optional extra: pip install -e '.[plot]'") from None
    matplotlib.use("Agg", force=False) if not _interactive() else None
    import matplotlib.pyplot as plt

    return plt


def _interactive() -> bool:
    import sys

    return "ipykernel" in sys.modules


def step_size_figure(study):
    """Log-log error against step for each difference, with the textbook optimal steps marked."""
    plt = require_matplotlib()
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=110)
    styles = {"forward": ("tab:red", "o"), "central": ("tab:blue", "s"), "complex-step": ("tab:green", "^")}
    for method, errors in study.errors.items():
        color, marker = styles.get(method, ("black", "."))
        shown = np.maximum(errors, 1e-18)  # an exact zero would vanish from a log axis
        axes.loglog(study.steps, shown, marker=marker, markersize=3, color=color, label=method)
    for step, label in ((np.sqrt(_EPS), "√eps"), (_EPS ** (1 / 3), "eps^(1/3)"), (1e-6, "1e-6")):
        axes.axvline(step, color="grey", linestyle=":", linewidth=0.8)
        axes.text(step, axes.get_ylim()[1], f" {label}", rotation=90, va="top", ha="right", fontsize=7, color="grey")
    axes.set_xlabel("step h")
    axes.set_ylabel("normwise relative error vs the derived derivative")
    axes.set_title(f"Finite-difference error against step size: {study.derivation_id} (K = {study.classes})")
    axes.legend(loc="lower left")
    axes.grid(True, which="major", alpha=0.3)
    figure.tight_layout()
    return figure


def plot_target(chosen, path) -> Path:
    """The PNG to draw the step-size study of the one output-layer derivation in `chosen` into, checked before
    any work: exactly one id, of the output layer, a writable .png path, and matplotlib installed."""
    from derive.atomic import writable_file
    from derive.derivations import entry

    if len(chosen) != 1:
        raise UsageError(f"--plot draws one derivation: give exactly one ID, got {len(chosen)}")
    target = writable_file(path, suffix=".png", option="--plot")
    from derive.families import OUTPUT, family_of

    if family_of(entry(chosen[0]).family) is not OUTPUT:
        raise UsageError(f"--plot is available for the output-layer derivations, not {chosen[0]}")
    require_matplotlib()
    return target


def save_step_size_plot(study, path: str | os.PathLike, ready=None) -> Path:
    """Write the figure as PNG through the one atomic writer: a failure leaves no half-written file.
    `ready()` runs once the PNG is staged, before it is renamed into place (derive.atomic.write_all)."""
    from io import BytesIO

    from derive.atomic import write_all, writable_file

    target = writable_file(path, suffix=".png", option="--plot")
    figure = step_size_figure(study)
    try:
        image = BytesIO()
        figure.savefig(image, format="png")
    finally:
        require_matplotlib().close(figure)
    write_all({target: image.getvalue()}, ready=ready)
    return target


def jacobian_heatmap(z):
    """The softmax Jacobian ∂a_j/∂z_i at logits z as a heat map (diagonal a_i(1 − a_i), off it −a_j a_i)."""
    import sympy as sp

    from derive.derivations import build
    from derive.notation import a, i, j
    from derive.numeric import numpy_function, padded

    plt = require_matplotlib()
    z = np.asarray(z, dtype=float)
    n = z.size
    derivation = build("softmax-jacobian", None)
    softmax = numpy_function(derivation.definitions[a](j).xreplace({sp.Symbol("K", integer=True, positive=True): n}),
                             [sp.IndexedBase("z"), j])
    probabilities = softmax(padded(z - z.max()), np.arange(1, n + 1))
    # numerator layout: row j (the output a_j), column i (the input z_i)
    jacobian = numpy_function(derivation.result, [a, i, j])(padded(probabilities), np.arange(1, n + 1)[None, :],
                                                           np.arange(1, n + 1)[:, None])
    figure, axes = plt.subplots(figsize=(4.8, 4), dpi=110)
    limit = np.abs(jacobian).max()
    image = axes.imshow(jacobian, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes.set_xlabel("i (input z_i)")
    axes.set_ylabel("j (output a_j)")
    axes.set_xticks(range(n), [str(m) for m in range(1, n + 1)])
    axes.set_yticks(range(n), [str(m) for m in range(1, n + 1)])
    axes.set_title("softmax Jacobian: entry (j, i) = ∂a_j/∂z_i")
    figure.colorbar(image, ax=axes)
    figure.tight_layout()
    return figure
