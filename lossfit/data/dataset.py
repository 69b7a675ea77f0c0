"""The `Dataset` a run trains on, the seeded (stratified) split and train-only standardization.

    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    >>> train, val = split_indices(y, "binary", 0.2, np.random.default_rng(0))
    >>> len(train), len(val), sorted(y[val].tolist())
    (8, 2, [0, 1])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from lossfit._typing import Array, Targets, Task
from lossfit.data._arrays import all_finite, column_moments, max_abs, permute_rows, standardize_in_place
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

    A column is constant when std <= 10 eps max(1, |mean|): within rounding of
    its mean, or below about 2e-15 (rounding noise such as 0.1 + 0.2 - 0.3).

    Computed on each column divided by a power of two near its largest value
    (`lossfit.data._arrays.column_moments`), so values up to float64's maximum
    (1.8e308) give finite statistics: the same numbers as ``X.mean(axis=0)`` and
    ``X.std(axis=0)`` where those do not overflow.

    >>> fit_standardizer(np.array([[1.0, 5.0], [3.0, 5.0]]))
    (array([2., 5.]), array([1., 1.]))
    >>> fit_standardizer(np.array([[1e307], [-1e307]]))
    (array([0.]), array([1.e+307]))
    """
    mean, std = column_moments(X)
    constant = std <= 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))
    std = np.where(constant, 1.0, std)
    return mean, std


def square_safe_limit(n: int, dtype: Any = np.float64) -> float:
    """The largest magnitude a target (or unscaled feature) of n rows may have: sqrt(max / (4 n)).

    Notes
    -----
    ::

        limit(n) = sqrt(1.8e308 / (4 n))         e.g. 4.7e152 for 200 rows, 1.5e151 for 200,000
        float32: sqrt(3.4e38 / (4 n))            e.g. 6.5e17 for 200 rows

    A mean squared error adds up n squared errors; an error is at most twice the
    largest target when the prediction is of the same size, so below this limit
    sum((prediction - y)^2) stays finite. Above it the very first loss overflows
    float64 to inf: no learning rate can help, only rescaling the data.

    >>> f"{square_safe_limit(200):.2g}", f"{square_safe_limit(200, np.float32):.2g}"
    ('4.7e+152', '6.5e+17')
    """
    return math.sqrt(float(np.finfo(dtype).max) / (4 * max(int(n), 1)))


def _rescale_hint(value: float) -> str:
    return f"divide it by 1e{max(0, int(math.floor(math.log10(value))))}"


def _check_target_range(name: str, target_name: str, y: Array, dtype: Any = np.float64) -> None:
    if len(y) == 0:
        return
    biggest = float(np.max(np.abs(y)))
    limit = square_safe_limit(len(y), dtype)
    if biggest > limit:
        raise DataError(
            f"Dataset `{name}`: the target `{target_name}` has values up to {biggest:.3g}, too large to train on: "
            f"squared errors overflow {np.dtype(dtype).name} above about {limit:.2g} for {len(y)} rows (no learning "
            f"rate helps); rescale the target ({_rescale_hint(biggest)}) and train again"
            f"{_OR_FLOAT64[np.dtype(dtype).name]}."
        )


_OR_FLOAT64 = {"float64": "", "float32": ", or train with --dtype float64"}


def _check_raw_features(name: str, X: Array, feature_names: tuple[str, ...], dtype: Any = np.float64) -> None:
    """Unstandardized features must stay below the same limit as targets (their products overflow)."""
    if X.size == 0:
        return
    biggest = max_abs(X)
    limit = square_safe_limit(len(X), dtype)
    j = int(np.argmax(biggest))
    if biggest[j] > limit:
        raise DataError(
            f"Dataset `{name}`: column `{_column_name(feature_names, j)}` has values up to {biggest[j]:.3g}, too "
            f"large to train on without standardizing (products overflow {np.dtype(dtype).name} above about "
            f"{limit:.2g}); rescale it ({_rescale_hint(float(biggest[j]))}) or leave standardization on"
            f"{_OR_FLOAT64[np.dtype(dtype).name]}."
        )


def _check_standardized(name: str, parts: tuple[Array, Array], raw: Array, feature_names: tuple[str, ...]) -> None:
    """Standardized features must be finite: x - mean overflows only for values near +-1.8e308."""
    for part in parts:
        if all_finite(part):
            continue
        j = int(np.argmax(~(np.isfinite(part.min(axis=0)) & np.isfinite(part.max(axis=0)))))
        biggest = float(raw[j])
        raise DataError(
            f"Dataset `{name}`: column `{_column_name(feature_names, j)}` has values up to {biggest:.3g}: "
            f"standardizing it overflows float64; rescale it ({_rescale_hint(biggest)}) and train again."
        )


def _column_name(feature_names: tuple[str, ...], j: int) -> str:
    return feature_names[j] if j < len(feature_names) else f"x{j + 1}"


IN_PLACE_BYTES = 32 * 2**20
"""Tables at least this big (and at least IN_PLACE_COLUMNS wide) are shuffled into
their train and validation parts in place, when the caller hands them over."""
IN_PLACE_COLUMNS = 32


def _split_rows(X: Array, train: Index, val: Index, owned: bool) -> tuple[Array, Array]:
    """X[train] and X[val]. An owned, big, wide table is permuted in place and the parts are views of it.

    The in-place permutation saves a full copy of the table, at the price of a few
    index arrays of len(X) and about log2(len(X)) passes over them: with wide
    rows (200,000 x 100) it is faster than the copy (0.2 s against 0.7 s); with
    narrow rows (2,000,000 x 16) it is 4x slower, hence IN_PLACE_COLUMNS. A
    small table is cheapest to copy.
    """
    big = X.nbytes >= IN_PLACE_BYTES and X.shape[1] >= IN_PLACE_COLUMNS
    if owned and big and X.flags.c_contiguous and X.flags.writeable and len(train) + len(val) == len(X):
        permute_rows(X, np.concatenate([train, val]))
        return X[: len(train)], X[len(train) :]
    return X[train], X[val]


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
    target_name: str = "y",
    owned: bool = False,
) -> Dataset:
    """Split (X, y) with `rng`, standardize on the training rows, and freeze the result.

    `owned=True` hands X over: it may be reordered and scaled in place (the
    caller must not use it afterwards), which saves a copy of a big table.
    Refused with a DataError: NaN or infinite values, a regression target too
    large to square (`square_safe_limit`), features that cannot be standardized
    into finite numbers, or, unstandardized, features above the same limit.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) != len(y):
        raise DataError(f"Dataset `{name}`: X has shape {X.shape} but y has {len(y)} rows.")
    if not all_finite(X):
        raise DataError(f"Dataset `{name}`: X contains NaN or infinite values.")
    targets: Targets
    if task == "regression":
        values = np.asarray(y, dtype=np.float64)
        if not all_finite(values):
            raise DataError(f"Dataset `{name}`: the target `{target_name}` contains NaN or infinite values.")
        _check_target_range(name, target_name, values)
        targets = values
    else:
        labels = np.asarray(y).astype(np.int64)
        missing = sorted(set(range(n_classes)) - set(np.unique(labels).tolist()))
        if missing:
            raise DataError(
                f"Dataset `{name}` has no sample of class {missing[0]} (of {n_classes}); "
                "increase n_samples or make the classes less imbalanced."
            )
        targets = labels.astype(np.float64) if task == "binary" else labels
    if not standardize:
        _check_raw_features(name, X, feature_names)
    train, val = split_indices(targets, task, val_split, rng)
    raw_max = max_abs(X) if standardize else None
    X_train, X_val = _split_rows(X, train, val, owned)  # copies, or views of X permuted in place
    if standardize:
        mean, std = fit_standardizer(X_train)
        standardize_in_place(X_train, mean, std)  # the arithmetic of (X - mean) / std, without a copy
        standardize_in_place(X_val, mean, std)
        assert raw_max is not None
        _check_standardized(name, (X_train, X_val), raw_max, feature_names)
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


def with_dtype(dataset: Dataset, dtype: str) -> Dataset:
    """The dataset with its features (and real-valued targets) in `dtype`; float64 returns it as it is.

    float32 holds magnitudes up to 3.4e38 with about 7 significant digits. Standardized
    features always fit (|x| <= sqrt(n)); real-valued targets and unstandardized features
    must stay below `square_safe_limit(n, float32)`, or the first squared error overflows.
    Class labels keep their type.

    >>> from lossfit import data
    >>> ds = with_dtype(data.load("linear(n_samples=10)", seed=0, val_split=0.2), "float32")
    >>> ds.X_train.dtype, ds.y_train.dtype
    (dtype('float32'), dtype('float32'))
    """
    kind = np.dtype(dtype)
    if kind == np.float64:
        return dataset
    for part in (dataset.X_train, dataset.X_val):  # standardized features pass: |x| <= sqrt(n)
        _check_raw_features(dataset.name, part, dataset.feature_names, kind)
    y_train, y_val = dataset.y_train, dataset.y_val
    if y_train.dtype.kind == "f":  # class indices keep their type
        _check_target_range(dataset.name, "y", np.concatenate([y_train, y_val]), kind)
        y_train, y_val = _read_only(y_train.astype(kind)), _read_only(y_val.astype(kind))
    return replace(dataset, X_train=_read_only(dataset.X_train.astype(kind)),
                   X_val=_read_only(dataset.X_val.astype(kind)), y_train=y_train, y_val=y_val)


def _read_only(array: Array) -> Array:
    array.flags.writeable = False
    return array
