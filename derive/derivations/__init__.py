"""The hand-written derivation builders (activations, costs); the catalogue of ids lives in derive.catalogue.

The names below are served from derive.catalogue on first use, so this package and the catalogue never import
each other at import time.
"""

from __future__ import annotations

from derive._lazy import lazy_exports

__all__ = ["Entry", "CATALOGUE", "DEFAULT_CLASSES", "ids", "seed_ids", "entry", "build", "instantiate", "validate_classes",
           "classes_for"]

__getattr__, __dir__ = lazy_exports(__name__, {name: "derive.catalogue" for name in __all__}, globals())
