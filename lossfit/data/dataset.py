"""The `Dataset` a run trains on, the seeded (stratified) split and train-only standardization.

    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    >>> train, val = split_indices(y, "binary", 0.2, np.random.default_rng(0))
    >>> len(train), len(val), sorted(y[val].tolist())
    (8, 2, [0, 1])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from lossfit._typing import Array, Targets, Task
from lossfit.errors import ConfigError, DataError

Index = npt.NDArray[np.intp]
_Scalar = TypeVar("_Scalar", bound=np.generic)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A generated (or loaded) dataset, split into train and validation parts.

    The feature arrays are standardized with the *training* split's mean and
    standard deviation (``x_mean``, ``x_std``; zeros and ones when not
    standardized). Targets: regression float64 (n,); binary float64 in {0., 1.};
    multiclass int64 class indices. Every array is read-only. ``spec`` is the
    resolved spec (every parameter) that rebuilds the data with the same seed.

    >>> from lossfit import data
    >>> ds = data.load("linear(n_samples=10)", seed=0, val_split=0.2)
    >>> ds.spec
    'linear(n_samples=10, noise=0.3, slope=2.0, intercept=1.0)'
    >>> ds.X_train.shape, ds.X_val.shape, ds.n_features, ds.task
    ((8, 1), (2, 1), 1, 'regression')
    >>> bool(np.allclose(ds.raw_X(ds.X_train).mean(axis=0), ds.x_mean))
    True
    """

    name: str
    spec: str
    task: Task
    X_train: Array
    y_train: Targets
    X_val: Array
    y_val: Targets
    n_classes: int
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    x_mean: Array
    x_std: Array
    source: str = "generator"  # "generator", "bundled" or "file"
    dropped_rows: int = 0  # rows left out because of missing values (files, bundled data)

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    def describe(self) -> dict[str, Any]:
        """What a run folder records about its data (JSON-ready): sizes, names and the scaling.

        >>> from lossfit import data
        >>> info = data.load("linear(n_samples=10)", seed=0, val_split=0.2).describe()
        >>> info["source"], info["n_train"], info["n_val"], info["features"], info["classes"]
        ('generator', 8, 2, ['x'], [])
        """
        return {
            "name": self.name,
            "spec": self.spec,
            "source": self.source,
            "task": self.task,
            "n_train": int(len(self.y_train)),
            "n_val": int(len(self.y_val)),
            "features": list(self.feature_names),
            "classes": list(self.class_names),
            "x_mean": [float(v) for v in self.x_mean],
            "x_std": [float(v) for v in self.x_std],
            "standardized": not (bool(np.all(self.x_mean == 0)) and bool(np.all(self.x_std == 1))),
            "dropped_rows": int(self.dropped_rows),
        }

    def raw_X(self, X: Array) -> Array:
        """Undo the standardization: features back in their original units (for plots)."""
        return np.asarray(X, dtype=np.float64) * self.x_std + self.x_mean

    def __repr__(self) -> str:
        return (
            f"Dataset({self.spec}, task={self.task}, n_train={len(self.y_train)}, "
            f"n_val={len(self.y_val)}, n_features={self.n_features})"
        )


def split_indices(
    y: npt.NDArray[np.generic], task: Task, val_split: float, rng: np.random.Generator
) -> tuple[Index, Index]:
    """Shuffled train and validation row indices; stratified by class for classification.

    Regression: ceil(val_split * n) validation rows (as scikit-learn's
    ``train_test_split``). Classification: each class is split on its own, its
    validation share rounded by largest remainder so the total stays
    ceil(val_split * n), then clamped so that every class keeps at least one
    training row and, when ``val_split > 0``, every class with two or more rows
    has at least one validation row.

    >>> import numpy as np
    >>> train, val = split_indices(np.arange(10.0), "regression", 0.25, np.random.default_rng(0))
    >>> len(train), len(val)
    (7, 3)
    """
    n = len(y)
    if not (isinstance(val_split, (int, float)) and 0.0 <= val_split < 1.0):
        raise ConfigError(f"val_split={val_split!r} is out of range; expected 0 <= val_split < 1.")
    n_val_total = math.ceil(val_split * n - 1e-9) if val_split > 0 else 0
    if task == "regression":
        order = rng.permutation(n)
        train, val = order[n_val_total:], order[:n_val_total]
    else:
        classes, inverse = np.unique(y, return_inverse=True)
        counts = np.bincount(inverse, minlength=len(classes))
        share = counts * (n_val_total / n)
        n_val = np.floor(share).astype(np.int64)
        leftover = n_val_total - int(n_val.sum())
        if leftover > 0:  # largest remainder; ties to the larger class, then the lower label
            by_remainder = np.lexsort((np.arange(len(classes)), -counts, -(share - n_val)))
            n_val[by_remainder[:leftover]] += 1
        if val_split > 0:
            n_val = np.maximum(n_val, (counts >= 2).astype(np.int64))
        n_val = np.minimum(n_val, counts - 1)
        train_parts, val_parts = [], []
        for c in range(len(classes)):
            rows = rng.permutation(np.flatnonzero(inverse == c))
            val_parts.append(rows[: n_val[c]])
            train_parts.append(rows[n_val[c] :])
        train = rng.permutation(np.concatenate(train_parts))
        val = rng.permutation(np.concatenate(val_parts))
    if len(train) < 2:
        raise DataError(
            f"val_split={val_split} leaves {len(train)} training row(s) out of {n}; "
            "lower val_split or increase n_samples."
        )
    if val_split > 0 and len(val) == 0:
        raise DataError(
            f"val_split={val_split} leaves an empty validation set ({n} rows, every class has "
            "a single row); increase n_samples or use val_split=0."
        )
    return train.astype(np.intp), val.astype(np.intp)


def fit_standardizer(X: Array) -> tuple[Array, Array]:
    """Column mean and standard deviation (ddof=0, as StandardScaler); a constant column gets std 1.

    >>> fit_standardizer(np.array([[1.0, 5.0], [3.0, 5.0]]))
    (array([2., 5.]), array([1., 1.]))
    """
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    constant = std <= 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))
    std = np.where(constant, 1.0, std)
    return mean, std


def _readonly(a: npt.NDArray[_Scalar]) -> npt.NDArray[_Scalar]:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def make_dataset(
    *,
    name: str,
    spec: str,
    task: Task,
    X: Array,
    y: npt.NDArray[np.generic],
    n_classes: int,
    feature_names: tuple[str, ...],
    class_names: tuple[str, ...],
    val_split: float,
    rng: np.random.Generator,
    standardize: bool = True,
    source: str = "generator",
    dropped_rows: int = 0,
) -> Dataset:
    """Split (X, y) with `rng`, standardize on the training rows, and freeze the result."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) != len(y):
        raise DataError(f"Dataset `{name}`: X has shape {X.shape} but y has {len(y)} rows.")
    if not np.isfinite(X).all():
        raise DataError(f"Dataset `{name}`: X contains NaN or infinite values.")
    targets: Targets
    if task == "regression":
        targets = np.asarray(y, dtype=np.float64)
    else:
        labels = np.asarray(y).astype(np.int64)
        missing = sorted(set(range(n_classes)) - set(np.unique(labels).tolist()))
        if missing:
            raise DataError(
                f"Dataset `{name}` has no sample of class {missing[0]} (of {n_classes}); "
                "increase n_samples or make the classes less imbalanced."
            )
        targets = labels.astype(np.float64) if task == "binary" else labels
    train, val = split_indices(targets, task, val_split, rng)
    X_train, X_val = X[train], X[val]
    if standardize:
        mean, std = fit_standardizer(X_train)
        X_train = (X_train - mean) / std
        X_val = (X_val - mean) / std
    else:
        mean, std = np.zeros(X.shape[1]), np.ones(X.shape[1])
    return Dataset(
        name=name,
        spec=spec,
        task=task,
        X_train=_readonly(X_train),
        y_train=_readonly(targets[train]),
        X_val=_readonly(X_val),
        y_val=_readonly(targets[val]),
        n_classes=n_classes,
        feature_names=tuple(feature_names),
        class_names=tuple(class_names),
        x_mean=_readonly(mean),
        x_std=_readonly(std),
        source=source,
        dropped_rows=int(dropped_rows),
    )
