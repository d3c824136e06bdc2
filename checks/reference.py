"""The derived output-layer delta as a numpy function: the reference `check_delta` compares people's code with.

It is generated from the derivations by `derive.codegen` (stable and complex-safe), never written by hand here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np

from derive import functions

__all__ = ["output_delta", "PAIRS"]

# (output, cost) -> (derivation id, its options, the generated function that is the general delta)
PAIRS = {
    ("softmax", "cross-entropy"): ("cross-entropy-delta", {}, "general_delta"),
    ("sigmoid", "binary-cross-entropy"): ("bp1", {"output": "sigmoid", "cost": "cross-entropy"}, None),
    ("sigmoid", "quadratic"): ("bp1", {"output": "sigmoid", "cost": "quadratic"}, None),
}
# With a sigmoid output, "cross-entropy" means the binary cross-entropy: the table's convention (resolve_cost).
ALIASES = {(o, c): (o, functions.resolve_cost(o, c)) for o in functions.OUTPUTS for c in functions.COSTS
           if functions.resolve_cost(o, c) != c}


def output_delta(output: str, cost: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """delta(z, y) for 1-D z and y (or with trailing batch axes): the derived ∂C/∂z of the output layer.

    softmax + cross-entropy gives a Σ_j y_j − y (the general form: right for soft targets too).
    """
    output, cost = ALIASES.get((output, cost), (output, cost))
    if (output, cost) not in PAIRS:
        raise ValueError(f"no derived delta for output {output!r} with cost {cost!r}; "
                         f"known: {', '.join(f'{o} + {c}' for o, c in PAIRS)}")
    return _generated(output, cost)


@lru_cache(maxsize=None)
def _generated(output: str, cost: str):
    from derive.codegen import generate_module, load_module
    from derive.derivations import CATALOGUE

    id_, options, name = PAIRS[(output, cost)]
    if id_ not in CATALOGUE:
        raise LookupError(f"the {output} + {cost} delta comes from derivation {id_!r}, which is not in the catalogue")
    module = load_module(generate_module(id_, None, **options), name=f"reference_{id_}")
    return getattr(module, name or "delta")
