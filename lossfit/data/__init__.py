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

Files are parsed once per run: `task_of` and `read` remember the last table
parsed (see `lossfit.data._cache`) and `load` takes it over, so nothing keeps
it alive after `load` returns. Generators are checked against the machine's
memory before they draw anything (`lossfit.data._memory`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from lossfit._typing import TASKS, Array, Task
from lossfit.data import _cache
from lossfit.data._base import Generator
from lossfit.data._memory import check_generator_size, format_bytes, out_of_memory, table_bytes
from lossfit.data.bundled import BUNDLED, Bundled
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
from lossfit.data.dataset import Dataset, fit_standardizer, make_dataset, split_indices, with_dtype
from lossfit.data.files import Table, is_file_spec, read_file
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
from lossfit.errors import ConfigError, DataError
from lossfit.registry import Registry

__all__ = [
    "Bundled",
    "Dataset",
    "Generator",
    "Table",
    "all_names",
    "bundled_names",
    "is_file",
    "name_of",
    "read",
    "default_for_task",
    "fit_standardizer",
    "generator",
    "load",
    "names",
    "registry",
    "spec_of",
    "split_indices",
    "task_of",
    "with_dtype",
]

registry: Registry[Generator | Bundled] = Registry("dataset")
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


def _constant(dataset: Bundled) -> Callable[[], Bundled]:
    def make() -> Bundled:  # no parameters: `iris(n_samples=3)` is an "Unknown parameter" SpecError
        return dataset

    return make


for _bundled in BUNDLED:  # kind "dataset": real data shipped in datasets/
    registry.register(_bundled.name, _constant(_bundled), summary=_bundled.summary)

_DEFAULTS: dict[Task, str] = {"regression": "linear", "binary": "moons", "multiclass": "blobs"}


def names() -> list[str]:
    """Canonical generator names, in registration order (bundled datasets: `bundled_names`).

    >>> names()[:3]
    ['linear', 'outliers', 'polynomial']
    """
    return [entry.name for entry in registry if getattr(entry.factory, "kind", "") == "generator"]


def bundled_names() -> list[str]:
    """Names of the bundled real datasets.

    >>> bundled_names()
    ['iris', 'wine', 'breast_cancer', 'penguins', 'auto_mpg', 'anscombe']
    """
    return [b.name for b in BUNDLED]


def all_names() -> list[str]:
    """Every registered dataset: the generators, then the bundled datasets."""
    return registry.names()


def default_for_task(task: Task) -> str:
    """The dataset used when only a task is known: linear, moons or blobs.

    >>> default_for_task("binary")
    'moons'
    """
    if task not in _DEFAULTS:
        raise ConfigError(f"Unknown task `{task}`; expected one of: {', '.join(TASKS)}.")
    return _DEFAULTS[task]


def generator(spec: str) -> Generator | Bundled:
    """The validated generator (or bundled dataset) for a spec, without generating anything.

    >>> generator("moons(noise=0.05)")
    Moons(n_samples=200, noise=0.05)
    >>> generator("iris")
    Bundled(iris)
    """
    return registry.from_spec(spec)


def is_file(spec: str) -> bool:
    """True when `spec` names a file rather than a registered dataset.

    A spec is a file when it ends in .csv, .tsv, .txt or .npz, or when it is not a
    registered name and an existing file has that path.

    >>> is_file("prices.csv"), is_file("moons(noise=0.1)"), is_file("iris")
    (True, False, False)
    """
    text = spec.strip()
    if is_file_spec(text):
        return True
    if text.split("(", 1)[0].strip().lower().replace("-", "_") in registry:
        return False
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def name_of(spec: str) -> str:
    """A short name for a spec, for titles and folder names: the file stem or the registry name.

    >>> name_of("data/house prices.csv"), name_of("moons(noise=0.1)")
    ('house prices', 'moons')
    """
    if is_file(spec):
        return Path(spec.strip()).stem
    return spec.strip().split("(", 1)[0].strip()


@dataclass(frozen=True)
class Source:
    """A dataset's rows before any split: what `read` returns (and `lossfit datasets show` previews)."""

    name: str
    spec: str
    source: str  # "generator", "bundled" or "file"
    table: Table


def _check_file_options(what: str, **options: object) -> None:
    given = [key for key, value in options.items() if value is not None]
    if given:
        raise ConfigError(
            f"{what} does not take {', '.join(given)}: target, features and header apply to CSV files "
            "(--dataset path.csv)."
        )


def read(
    spec: str,
    *,
    seed: int = 0,
    target: str | int | None = None,
    features: list[str] | None = None,
    header: bool | None = None,
    task: Task | None = None,
) -> Source:
    """The whole dataset named by `spec`, in file (or generation) order, before any split.

    A file's table may be the one an earlier call parsed (the file unchanged):
    treat its arrays as read-only.

    >>> src = read("iris")
    >>> src.source, src.table.X.shape, src.table.class_names[0]
    ('bundled', (150, 4), 'setosa')
    """
    return _read(spec, seed=seed, target=target, features=features, header=header, task=task, use="share")[0]


_Use = Literal["share", "peek", "take"]


def _read(
    spec: str,
    *,
    seed: int,
    target: str | int | None,
    features: list[str] | None,
    header: bool | None,
    task: Task | None,
    use: _Use,
) -> tuple[Source, bool]:
    """`read`, and whether the caller owns the table's arrays (may modify them in place).

    use: "share" gives a table the caller keeps, "peek" one it only looks at
    (task_of), "take" one it consumes (load): the remembered table is removed.
    """
    if task is not None and task not in TASKS:
        raise ConfigError(f"task={task!r} is not a task; expected one of: {', '.join(TASKS)}.")
    if is_file(spec):
        path = Path(spec.strip()).expanduser()
        table, owned = _file_table(path, use, target=target, features=features, header=header, task=task)
        resolved = str(path.resolve()) if path.exists() else str(path)
        return Source(path.stem, resolved, "file", table), owned
    made = generator(spec)
    if isinstance(made, Bundled):
        _check_file_options(f"Bundled dataset `{made.name}`", target=target, features=features, header=header)
        _check_task(made.name, made.task, task)
        return Source(made.name, made.name, "bundled", made.read()), True
    _check_file_options(f"Dataset generator `{made.name}`", target=target, features=features, header=header)
    _check_task(made.name, made.task, task)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed={seed!r} is out of range; expected a whole number >= 0.")
    X, y = _generate(made, int(seed))
    labels = y if made.task == "regression" else np.asarray(y).astype(np.int64)
    table = Table(
        X, labels, made.task, tuple(made.feature_names),
        tuple(made.class_names) if made.task != "regression" else (),
    )
    return Source(made.name, registry.resolved_spec(made.name, made), "generator", table), True


def _generate(made: Generator, seed: int) -> tuple[Array, Any]:
    """Draw a generator's sample, after checking it fits in memory."""
    rows = int(getattr(made, "n_samples", 0))
    check_generator_size(made.name, rows, made.n_features)
    try:
        return made.generate(np.random.default_rng([seed, 0]))
    except MemoryError:
        raise out_of_memory(f"Dataset `{made.name}` with n_samples={rows}", table_bytes(rows, made.n_features)) from None


def _file_table(path: Path, use: _Use, **options: Any) -> tuple[Table, bool]:
    """The file's table, remembered from the last parse (see `lossfit.data._cache`) or parsed now."""
    try:
        key: tuple[Any, ...] | None = _cache.file_key(path, options)
    except OSError:
        key = None  # missing, a folder, unreadable: read_file says which
    entry = None if key is None else _cache.take(key) if use == "take" else _cache.peek(key)
    if entry is None:
        _cache.clear()  # never two big tables at once
        entry = _cache.Entry(key or (), *_parse_file(path, options))
        if use != "take" and key is not None:
            _cache.remember(entry)
    entry.warn_again()
    if use == "share":
        entry.shared = True
    return entry.table, use == "take" and not entry.shared


def _parse_file(path: Path, options: dict[str, Any]) -> tuple[Table, list[warnings.WarningMessage]]:
    """read_file, with the warnings it gives recorded (to give again each time the table is reused)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table = read_file(path, **options)
        except MemoryError:
            raise DataError(
                f"Dataset file {path} ({format_bytes(path.stat().st_size)}) does not fit in memory once parsed; "
                "use fewer rows or columns, or save it with np.savez(path, X=X, y=y)."
            ) from None
    return table, list(caught)


def _check_task(name: str, actual: Task, asked: Task | None) -> None:
    if asked is not None and asked != actual:
        raise ConfigError(
            f"Dataset `{name}` is a {actual} dataset; task={asked} applies only to files "
            f"(--dataset path.csv). Leave task out, or pick a {asked} dataset such as `{default_for_task(asked)}`."
        )


def task_of(
    spec: str,
    task: Task | None = None,
    target: str | int | None = None,
    *,
    features: list[str] | None = None,
    header: bool | None = None,
) -> Task:
    """The task of a dataset spec; the spec is validated (a file is read, nothing is generated).

    >>> task_of("outliers(fraction=0.2)"), task_of("breast_cancer")
    ('regression', 'binary')
    """
    if task is not None and task not in TASKS:
        raise ConfigError(f"task={task!r} is not a task; expected one of: {', '.join(TASKS)}.")
    if is_file(spec):
        source, _ = _read(spec, seed=0, target=target, features=features, header=header, task=task, use="peek")
        return source.table.task
    made = generator(spec)
    what = f"Bundled dataset `{made.name}`" if isinstance(made, Bundled) else f"Dataset generator `{made.name}`"
    _check_file_options(what, target=target, features=features, header=header)
    _check_task(made.name, made.task, task)
    return made.task


def load(
    spec: str,
    *,
    seed: int,
    val_split: float,
    standardize: bool = True,
    target: str | int | None = None,
    features: list[str] | None = None,
    header: bool | None = None,
    task: Task | None = None,
) -> Dataset:
    """Generate (or read), split and standardize the dataset named by `spec`.

    Parameters
    ----------
    spec : a generator spec such as ``"moons"`` or ``"outliers(fraction=0.2)"``, a
        bundled dataset name (``"iris"``), or a file path (``.csv``, ``.tsv``, ``.txt``, ``.npz``).
    seed : a non-negative integer; the sample uses ``default_rng([seed, 0])``,
        the split ``default_rng([seed, 1])``.
    val_split : the validation fraction, 0 <= val_split < 1 (0 gives an empty validation set).
    standardize : scale features with the training split's mean and std.
    target, features, header : CSV files only (see `lossfit.data.files`); a
        ConfigError for generators and bundled datasets.
    task : override the task inferred from a file; elsewhere it must equal the dataset's task.

    >>> ds = load("blobs", seed=1, val_split=0.2)
    >>> ds.X_train.shape, ds.y_train.dtype, ds.class_names
    ((240, 2), dtype('int64'), ('0', '1', '2'))
    >>> ds = load("penguins", seed=0, val_split=0.2)
    >>> ds.source, ds.dropped_rows, ds.n_features, ds.class_names
    ('bundled', 11, 9, ('Adelie', 'Chinstrap', 'Gentoo'))
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed={seed!r} is out of range; expected a whole number >= 0.")
    if isinstance(val_split, bool) or not isinstance(val_split, (int, float)) or not (
        0.0 <= val_split < 1.0
    ):
        raise ConfigError(f"val_split={val_split!r} is out of range; expected 0 <= val_split < 1.")
    src, owned = _read(spec, seed=seed, target=target, features=features, header=header, task=task, use="take")
    table = src.table
    where = f"Dataset file {src.spec}" if src.source == "file" else f"Bundled dataset `{src.name}`"
    try:
        return make_dataset(
            name=src.name,
            spec=src.spec,
            task=table.task,
            X=table.X,
            y=table.y,
            n_classes=table.n_classes,
            feature_names=table.feature_names,
            class_names=table.class_names,
            val_split=float(val_split),
            rng=np.random.default_rng([int(seed), 1]),
            standardize=standardize,
            source=src.source,
            dropped_rows=table.dropped_rows,
            target_name=table.target_name,
            owned=owned,
        )
    except MemoryError:
        what = f"Dataset `{src.name}`" if src.source == "generator" else where
        raise out_of_memory(what, 2 * table.X.nbytes) from None
    except DataError as err:
        if src.source == "generator":
            raise
        message = str(err).replace("increase n_samples", "add rows").replace(f"Dataset `{src.name}`", "")
        raise DataError(f"{where} ({len(table.y)} usable rows): {message.lstrip(': ')}") from None


def true_target(ds: Dataset, X: Array, quantile: float | None = None) -> Array | None:
    """The noiseless target (or its `quantile` under the noise) at standardized inputs X, or None.

    Known for data a regression generator drew (its `truth`); bundled data and files have none.

    >>> ds = load("linear(noise=0.5)", seed=0, val_split=0.2)
    >>> bool(np.allclose(true_target(ds, ds.X_val), 2 * ds.raw_X(ds.X_val)[:, 0] + 1))
    True
    """
    made = _generator_of(ds)
    truth = made.truth(ds.raw_X(X), quantile) if made is not None else None
    return None if truth is None else np.asarray(truth, dtype=np.float64)


def true_line(ds: Dataset, quantile: float | None = None) -> tuple[float, float] | None:
    """(slope, intercept) of the generator's one-feature linear truth (or of its quantile), or None."""
    made = _generator_of(ds)
    return made.true_line(quantile) if made is not None else None


def _generator_of(ds: Dataset) -> Generator | None:
    made = generator(ds.spec) if ds.source == "generator" else None
    return made if isinstance(made, Generator) else None


def spec_of(ds: Dataset) -> str:
    """The resolved spec (every parameter) that rebuilds `ds` with the same seed.

    >>> spec_of(load("moons", seed=0, val_split=0.0))
    'moons(n_samples=200, noise=0.2)'
    """
    return ds.spec
