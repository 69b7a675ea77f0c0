"""Datasets: the generator registry, seeded loading, splitting and standardization.

A dataset is named by a spec, ``NAME`` or ``NAME(key=value, ...)``, the same
syntax as every other registry value. ``load`` generates it from the run's seed,
splits it (stratified for classification) and standardizes the features with
the training split's statistics:

    >>> from lossfit import data
    >>> ds = data.load("moons(noise=0.1)", seed=0, val_split=0.25)
    >>> ds.spec, ds.task, ds.n_classes
    ('moons(n_samples=200, noise=0.1)', 'binary', 2)
    >>> ds.X_train.shape, ds.X_val.shape
    ((150, 2), (50, 2))
    >>> data.task_of("blobs(centers=4)"), data.default_for_task("regression")
    ('multiclass', 'linear')

Randomness: ``load`` draws the sample from ``np.random.default_rng([seed, 0])``
and the split from ``np.random.default_rng([seed, 1])``; the global NumPy random
state is never touched, and the same seed gives identical arrays.
"""

from __future__ import annotations

import numpy as np

from lossfit._typing import TASKS, Task
from lossfit.data._base import Generator
from lossfit.data.classification import (
    Blobs,
    Circles,
    Classification,
    Imbalanced,
    Moons,
    Separable,
    Spirals,
    Xor,
)
from lossfit.data.dataset import Dataset, fit_standardizer, make_dataset, split_indices
from lossfit.data.regression import (
    Counts,
    Friedman1,
    Heteroscedastic,
    HeavyTailed,
    Linear,
    Outliers,
    Polynomial,
    Sine,
)
from lossfit.errors import ConfigError
from lossfit.registry import Registry

__all__ = [
    "Dataset",
    "Generator",
    "default_for_task",
    "fit_standardizer",
    "generator",
    "load",
    "names",
    "registry",
    "spec_of",
    "split_indices",
    "task_of",
]

registry: Registry[Generator] = Registry("dataset")
for _cls in (  # grouped by task: the order of `lossfit list datasets`
    Linear,
    Outliers,
    Polynomial,
    Sine,
    HeavyTailed,
    Heteroscedastic,
    Friedman1,
    Counts,
    Moons,
    Circles,
    Xor,
    Separable,
    Imbalanced,
    Classification,
    Blobs,
    Spirals,
):
    registry.register(_cls.name, _cls, summary=_cls.summary)

_DEFAULTS: dict[Task, str] = {"regression": "linear", "binary": "moons", "multiclass": "blobs"}


def names() -> list[str]:
    """Canonical generator names, in registration order.

    >>> names()[:3]
    ['linear', 'outliers', 'polynomial']
    """
    return registry.names()


def default_for_task(task: Task) -> str:
    """The dataset used when only a task is known: linear, moons or blobs.

    >>> default_for_task("binary")
    'moons'
    """
    if task not in _DEFAULTS:
        raise ConfigError(f"Unknown task `{task}`; expected one of: {', '.join(TASKS)}.")
    return _DEFAULTS[task]


def generator(spec: str) -> Generator:
    """The validated generator for a spec, without generating anything.

    >>> generator("moons(noise=0.05)")
    Moons(n_samples=200, noise=0.05)
    """
    return registry.from_spec(spec)


def task_of(spec: str) -> Task:
    """The task of a dataset spec, without generating it (the spec is validated).

    >>> task_of("outliers(fraction=0.2)")
    'regression'
    """
    return generator(spec).task


def load(spec: str, *, seed: int, val_split: float, standardize: bool = True) -> Dataset:
    """Generate, split and standardize the dataset named by `spec`.

    Parameters
    ----------
    spec : a dataset spec such as ``"moons"`` or ``"outliers(fraction=0.2)"``.
    seed : a non-negative integer; the sample uses ``default_rng([seed, 0])``,
        the split ``default_rng([seed, 1])``.
    val_split : the validation fraction, 0 <= val_split < 1 (0 gives an empty validation set).
    standardize : scale features with the training split's mean and std.

    >>> ds = load("blobs", seed=1, val_split=0.2)
    >>> ds.X_train.shape, ds.y_train.dtype, ds.class_names
    ((240, 2), dtype('int64'), ('0', '1', '2'))
    """
    gen = generator(spec)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed={seed!r} is out of range; expected a whole number >= 0.")
    if isinstance(val_split, bool) or not isinstance(val_split, (int, float)) or not (
        0.0 <= val_split < 1.0
    ):
        raise ConfigError(f"val_split={val_split!r} is out of range; expected 0 <= val_split < 1.")
    X, y = gen.generate(np.random.default_rng([int(seed), 0]))
    return make_dataset(
        name=gen.name,
        spec=registry.resolved_spec(gen.name, gen),
        task=gen.task,
        X=X,
        y=y,
        n_classes=gen.n_classes,
        feature_names=gen.feature_names,
        class_names=gen.class_names if gen.task != "regression" else (),
        val_split=float(val_split),
        rng=np.random.default_rng([int(seed), 1]),
        standardize=standardize,
    )


def spec_of(ds: Dataset) -> str:
    """The resolved spec (every parameter) that rebuilds `ds` with the same seed.

    >>> spec_of(load("moons", seed=0, val_split=0.0))
    'moons(n_samples=200, noise=0.2)'
    """
    return ds.spec
