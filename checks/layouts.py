"""Which parameter is which: the names W1, b1, ... from the layouts people use, so that layer hints can work.

Columns (one example per column):  W^l (n_l, n_(l-1)),  b^l (n_l, 1) or (n_l,).
Rows (one example per row, X @ W + b): W^l (n_(l-1), n_l), b^l (1, n_l) or (n_l,).
Bias folded into W (a column of ones appended to the inputs): W^l (n_(l-1) + 1, n_l) in rows, (n_l, n_(l-1) + 1)
in columns, and no separate biases; the layers must chain (n_l outputs feed W^(l+1)), as nothing else tells these
weights from a list of unrelated matrices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Layout", "infer_layout", "bias_shape_note"]

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Layout:
    """kind: 'columns', 'rows', 'columns or rows' (square weights fit both), 'folded', or 'unknown'; names per tensor."""

    kind: str
    names: tuple[str, ...]


def _pairs_fit(shapes: list[Shape], outputs: int) -> bool:
    """Alternating (W, b) whose b matches W's output axis (0: columns, 1: rows)."""
    if len(shapes) % 2 or any(len(shapes[i]) != 2 for i in range(0, len(shapes), 2)):
        return False
    weights, biases = shapes[0::2], shapes[1::2]
    for w, b in zip(weights, biases):
        column = (w[outputs], 1) if outputs == 0 else (1, w[outputs])
        if b not in (column, (w[outputs],)):
            return False
    return True


def _folded_fits(shapes: list[Shape], outputs: int) -> bool:
    """Weights only, each taking the previous layer's outputs plus one (the bias row or column)."""
    inputs = 1 - outputs
    return len(shapes) >= 2 and all(len(s) == 2 for s in shapes) and \
        all(after[inputs] == before[outputs] + 1 for before, after in zip(shapes, shapes[1:]))


def infer_layout(shapes: list[Shape]) -> Layout:
    """The layout the shapes fit, and the names W1, b1, W2, ... (W1, W2, ... when the biases are folded in)."""
    shapes = [tuple(s) for s in shapes]
    columns, rows = _pairs_fit(shapes, 0), _pairs_fit(shapes, 1)
    if columns or rows:
        kind = "columns or rows" if columns and rows else "columns" if columns else "rows"
        return Layout(kind, tuple(f"{'Wb'[i % 2]}{i // 2 + 1}" for i in range(len(shapes))))
    if _folded_fits(shapes, 1) or _folded_fits(shapes, 0):
        return Layout("folded", tuple(f"W{i + 1}" for i in range(len(shapes))))
    return Layout("unknown", tuple(f"params[{i}]" for i in range(len(shapes))))


def bias_shape_note(name: str, gradient: Shape, parameter: Shape) -> str | None:
    """A note when the gradient's shape differs from the parameter's but broadcasts to it, as an update
    p -= lr * g would use it: an (H,) gradient for a (1, H) bias (the same entries), or a scalar from np.sum without
    an axis (one value for every entry). None otherwise: an (H,) gradient for an (H, 1) bias would turn the update
    into an (H, H) array, and a gradient with some other number of entries is no gradient of p: shape errors."""
    if gradient == parameter or int(np.prod(gradient)) not in (1, int(np.prod(parameter))):
        return None  # only the same entries, or one number (np.sum without an axis): anything else is a shape error
    try:
        if np.broadcast_shapes(gradient, parameter) != parameter:
            return None
    except ValueError:
        return None
    size = int(np.prod(gradient))
    if size == int(np.prod(parameter)):
        return (f"grad for {name} has shape {gradient} and {name} has shape {parameter}: the same {size} entries "
                "(p -= lr * g broadcasts the same), compared as such")
    return (f"grad for {name} has shape {gradient} and {name} has shape {parameter}: compared broadcast to "
            f"{parameter}, as p -= lr * g uses it ({size} value{'s' if size > 1 else ''} for {int(np.prod(parameter))} "
            "entries)")
