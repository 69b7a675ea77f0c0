"""lossfit: a command-line workbench for learning how losses and gradient descent behave.

The package imports nothing heavy at import time (so `lossfit --help` is instant);
the public API is loaded on first use:

    >>> import lossfit
    >>> result = lossfit.train(loss="mse", dataset="linear", epochs=50, progress="none")  # doctest: +SKIP
    >>> from lossfit import losses, optimizers, datasets, models  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "train": ("lossfit.api", "train"),
    "compare": ("lossfit.comparison", "compare"),
    "RunConfig": ("lossfit.config", "RunConfig"),
    "losses": ("lossfit.losses", None),
    "optimizers": ("lossfit.optimizers", None),
    "schedules": ("lossfit.schedules", None),
    "models": ("lossfit.models", None),
    "datasets": ("lossfit.data", None),
    "metrics": ("lossfit.metrics", None),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'lossfit' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = import_module(module_name)
    return module if attribute is None else getattr(module, attribute)
