"""Notebook helpers: a slider over the logits when ipywidgets is installed, a static picture when it is not."""

from __future__ import annotations

import numpy as np

__all__ = ["jacobian_explorer"]


def jacobian_explorer(logits=(2.0, 1.0, 0.1, -1.0)):
    """Sliders for the logits redrawing the softmax Jacobian heat map; without ipywidgets, the heat map alone."""
    from derive.render.plot import jacobian_heatmap, require_matplotlib

    try:
        import ipywidgets
    except ModuleNotFoundError:
        return jacobian_heatmap(np.asarray(logits, dtype=float))
    plt = require_matplotlib()

    def draw(**values):
        figure = jacobian_heatmap(np.array([values[f"z{m}"] for m in range(1, len(logits) + 1)]))
        plt.show(figure)

    sliders = {f"z{m}": ipywidgets.FloatSlider(value=float(v), min=-5.0, max=5.0, step=0.1, description=f"z_{m}")
               for m, v in enumerate(logits, start=1)}
    return ipywidgets.interactive(draw, **sliders)
