"""The bundled real datasets: registry entries, documented shapes, classes and licences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lossfit import data
from lossfit.data.bundled import BUNDLED, bundled_path

ROOT = Path(__file__).resolve().parents[1]

# name: (rows used, features after one-hot, task, class names or None, dropped rows, raw file rows × columns)
EXPECTED = {
    "iris": (150, 4, "multiclass", ("setosa", "versicolor", "virginica"), 0, (150, 5)),
    "wine": (178, 13, "multiclass", ("class_0", "class_1", "class_2"), 0, (178, 14)),
    "breast_cancer": (569, 30, "binary", ("benign", "malignant"), 0, (569, 31)),
    "penguins": (333, 9, "multiclass", ("Adelie", "Chinstrap", "Gentoo"), 11, (344, 8)),
    "auto_mpg": (392, 9, "regression", (), 14, (406, 9)),
    "anscombe": (44, 1, "regression", (), 0, (44, 3)),
}


def test_every_bundled_dataset_is_registered() -> None:
    assert data.bundled_names() == list(EXPECTED)
    assert data.all_names() == data.names() + data.bundled_names()
    assert not set(data.bundled_names()) & set(data.names())
    for name in EXPECTED:
        assert data.generator(name).kind == "dataset"
        assert data.registry.entry(name).parameters() == {}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_bundled_shapes(name: str) -> None:
    n, d, task, classes, dropped, (rows, columns) = EXPECTED[name]
    meta = data.generator(name)
    assert (meta.n_samples, meta.n_features, meta.task, meta.class_names) == (n, d, task, classes)
    ds = data.load(name, seed=0, val_split=0.2)
    assert ds.source == "bundled" and ds.spec == name and ds.name == name
    assert ds.task == task and ds.class_names == classes and ds.n_features == d == len(ds.feature_names)
    assert len(ds.y_train) + len(ds.y_val) == n and ds.dropped_rows == dropped
    text = bundled_path(f"{name}.csv").read_text().splitlines()
    assert len(text) == rows + 1 and len(text[0].split(",")) == columns
    assert data.task_of(name) == task
    if task != "regression":
        assert set(np.unique(np.concatenate([ds.y_train, ds.y_val])).tolist()) == set(range(len(classes)))


def test_class_balance_of_the_classics() -> None:
    def counts(name: str) -> list[int]:
        y = data.read(name).table.y
        return np.bincount(y).tolist()

    assert counts("iris") == [50, 50, 50]
    assert counts("wine") == [59, 71, 48]
    assert counts("breast_cancer") == [357, 212]  # benign, malignant
    assert counts("penguins") == [146, 68, 119]  # after dropping the 11 incomplete rows


def test_anscombe_shares_one_line() -> None:
    t = data.read("anscombe").table
    slope, intercept = np.polyfit(t.X[:, 0], t.y, 1)
    assert slope == pytest.approx(0.5, abs=0.002) and intercept == pytest.approx(3.0, abs=0.01)


def test_wine_needs_standardizing() -> None:
    raw = data.load("wine", seed=0, val_split=0.2, standardize=False)
    assert raw.raw_X(raw.X_train).max() > 1000 and raw.describe()["standardized"] is False


def test_attribution_covers_every_file() -> None:
    text = (ROOT / "datasets" / "ATTRIBUTION.md").read_text()
    for bundle in BUNDLED:
        assert f"## {bundle.name}" in text and (ROOT / "datasets" / bundle.filename).is_file()
    assert text.count("converted to CSV with a header row; values unchanged") >= 4
    for needle in ("10.24432/C56C76", "10.24432/C5PC7J", "10.24432/C5DW2B", "10.24432/C5859H",
                   "10.1371/journal.pone.0090081", "creativecommons.org/licenses/by/4.0",
                   "creativecommons.org/publicdomain/zero/1.0"):
        assert needle in text
