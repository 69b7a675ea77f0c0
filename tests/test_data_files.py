"""User files (lossfit.data.files and data.load on a path): CSV/TSV/TXT edge cases and .npz."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lossfit import data
from lossfit.data.files import read_file
from lossfit.errors import ConfigError, DataError, SpecError

CSV = Path(__file__).parent / "fixtures" / "csv"


def test_comma_header_string_labels() -> None:
    t = read_file(CSV / "comma_strings.csv")
    assert t.task == "binary" and t.class_names == ("cat", "dog")
    assert t.feature_names == ("x1", "x2") and t.X.shape == (8, 2)
    assert t.y.tolist() == [0, 1, 1, 0, 1, 0, 1, 0] and t.dropped_rows == 0
    np.testing.assert_array_equal(t.X[0], [0.1, 1.2])


def test_semicolon_and_tab_delimiters() -> None:
    t = read_file(CSV / "semicolon.csv")
    assert t.feature_names == ("size", "rooms") and t.task == "regression"
    np.testing.assert_array_equal(t.X[0], [50.5, 2.0])
    assert t.y[0] == 110000.0
    for name in ("tabs.tsv", "tabs.txt"):
        t = read_file(CSV / name)
        assert t.feature_names == ("a", "b") and t.X.shape == (6, 2) and t.task == "regression"
        np.testing.assert_array_equal(t.y, [3.5, 4.0, 7.5, 4.5, 8.0, 8.5])


@pytest.mark.filterwarnings("ignore:the target .* whole-number values")
def test_header_detection_and_override() -> None:
    t = read_file(CSV / "no_header.csv")  # numeric first row: no header
    assert t.X.shape == (8, 2) and t.feature_names == ("column1", "column2")
    assert t.task == "binary" and t.class_names == ("0", "1")  # few repeated integer levels
    with pytest.raises(DataError, match=r"column `column1` holds numbers but line 1 has `x1`"):
        read_file(CSV / "comma_strings.csv", header=False)  # the header row read as data
    forced = read_file(CSV / "multiclass.csv", header=True)
    assert forced.feature_names == ("f1", "f2")
    one_row = read_file(CSV / "no_header.csv", header=True)  # the first data row becomes names
    assert one_row.feature_names == ("5.1", "3.5") and one_row.X.shape == (7, 2)


def test_target_by_name_index_and_features() -> None:
    t = read_file(CSV / "categorical.csv", target="weight", features=["color", "price"])
    assert t.feature_names == ("color=blue", "color=green", "color=red", "price") and t.task == "regression"
    assert read_file(CSV / "categorical.csv", target=1).feature_names[:3] == (
        "color=blue", "color=green", "color=red")
    assert read_file(CSV / "categorical.csv", target="-1").task == "regression"  # CLI strings are indices too
    shape = read_file(CSV / "categorical.csv", target="shape")
    assert shape.task == "binary" and shape.class_names == ("round", "square")


def test_categorical_one_hot() -> None:
    t = read_file(CSV / "categorical.csv")
    assert t.feature_names == (
        "color=blue", "color=green", "color=red", "weight", "shape=round", "shape=square")
    np.testing.assert_array_equal(t.X[0], [0, 0, 1, 1.0, 1, 0])  # red, 1.0, round
    np.testing.assert_array_equal(t.X[:, :3].sum(axis=1), np.ones(7))


def test_missing_values_dropped_and_counted() -> None:
    t = read_file(CSV / "missing.csv")  # "", NA, N/A, nan, null, ?, -, None
    assert t.dropped_rows == 8 and t.X.shape == (6, 2)
    np.testing.assert_array_equal(t.y, [3.1, 7.4, 10.7, 13.1, 14.2, 15.3])
    only_a = read_file(CSV / "missing.csv", features=["a"])  # b's missing values no longer matter
    assert only_a.dropped_rows == 5  # rows missing a or y


@pytest.mark.filterwarnings("ignore:the target .* whole-number values")
def test_task_inference_and_override() -> None:
    assert read_file(CSV / "multiclass.csv").class_names == ("high", "low", "mid")
    assert read_file(CSV / "integer_levels.csv").task == "multiclass"
    assert read_file(CSV / "integer_levels.csv", task="regression").task == "regression"
    assert read_file(CSV / "tabs.tsv", target="b").task == "regression"  # integers that do not repeat
    with pytest.raises(DataError, match=r"task binary needs exactly 2 classes but the target `grade` has 3"):
        read_file(CSV / "multiclass.csv", task="binary")
    with pytest.raises(DataError, match=r"the target `grade` holds text \(e\.g\. `low`\), so it cannot be regressed"):
        read_file(CSV / "multiclass.csv", task="regression")
    with pytest.raises(ConfigError, match=r"task='ranking' is not a task"):
        read_file(CSV / "multiclass.csv", task="ranking")  # type: ignore[arg-type]


def test_load_file_records_source_and_scaling() -> None:
    ds = data.load(str(CSV / "missing.csv"), seed=0, val_split=0.2)
    assert ds.source == "file" and ds.dropped_rows == 8 and ds.name == "missing"
    assert ds.spec == str((CSV / "missing.csv").resolve())
    info = ds.describe()
    assert info["dropped_rows"] == 8 and info["n_train"] + info["n_val"] == 6
    assert info["features"] == ["a", "b"] and len(info["x_mean"]) == 2 and info["classes"] == []
    again = data.load(ds.spec, seed=0, val_split=0.2)
    np.testing.assert_array_equal(again.X_train, ds.X_train)
    assert data.task_of(str(CSV / "comma_strings.csv")) == "binary"
    assert data.task_of(str(CSV / "integer_levels.csv"), task="regression") == "regression"
    assert data.task_of(str(CSV / "categorical.csv"), target="shape") == "binary"


@pytest.mark.filterwarnings("ignore:the target .* whole-number values")
def test_npz(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    np.savez(tmp_path / "a.npz", X=X, y=(X[:, 0] > 0).astype(np.int64))
    t = read_file(tmp_path / "a.npz")
    assert t.task == "binary" and t.feature_names == ("x1", "x2", "x3") and t.X.shape == (30, 3)
    np.savez(tmp_path / "b.npz", X=X, y=X[:, 1] * 2)
    assert read_file(tmp_path / "b.npz").task == "regression"
    y = np.where(X[:, 0] > 0, "up", "down")
    X2 = X.copy()
    X2[0, 1] = np.nan
    np.savez(tmp_path / "c.npz", X=X2, y=y)
    t = read_file(tmp_path / "c.npz")
    assert t.class_names == ("down", "up") and t.dropped_rows == 1 and len(t.y) == 29
    ds = data.load(str(tmp_path / "c.npz"), seed=1, val_split=0.25)
    assert ds.source == "file" and ds.task == "binary" and ds.class_names == ("down", "up")


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"X": np.zeros((4, 2))}, r"has no array `y` \(it holds: X\)"),
        ({"X": np.zeros((4, 2)), "y": np.array([{}, {}, {}, {}], dtype=object)}, r"holds object arrays"),
        ({"X": np.zeros((4, 2)), "y": np.zeros(3)}, r"X has 4 rows but y has 3"),
        ({"X": np.zeros(4), "y": np.zeros(4)}, r"X must be 2-D \(samples, features\) but has shape \(4,\)"),
        ({"X": np.zeros((4, 2)), "y": np.zeros((4, 2))}, r"y must be 1-D"),
    ],
    ids=["no-y", "object", "lengths", "x-1d", "y-2d"],
)
def test_bad_npz(tmp_path: Path, arrays: dict, message: str) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        read_file(path)


def test_npz_rejects_csv_options(tmp_path: Path) -> None:
    np.savez(tmp_path / "a.npz", X=np.zeros((4, 1)), y=np.arange(4.0))
    with pytest.raises(ConfigError, match=r"target apply to CSV files only"):
        read_file(tmp_path / "a.npz", target="y")


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.csv", r"empty\.csv is empty"),
        ("header_only.csv", r"has a header row but no data rows; add data below `a,b,c`"),
        ("ragged.csv", r"line 3 has 2 fields but the header has 3 \(delimiter comma\)"),
        ("bad_value.csv", r"column `b` holds numbers but line 3 has `abc`"),
        ("single_class.csv", r"the target `y` has a single class `yes`"),
        ("all_missing.csv", r"all 3 rows have a missing value"),
        ("identifier.csv", r"column `id` holds text with 5 distinct values in 5 rows"),
        ("nothing_here.csv", r"nothing_here\.csv not found \(looked in"),
    ],
)
def test_bad_csv(name: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        data.load(str(CSV / name), seed=0, val_split=0.2)


def test_bad_target_and_features() -> None:
    with pytest.raises(DataError, match=r"has no column `cost` \(the target\); columns: color, weight, shape, price\."):
        read_file(CSV / "categorical.csv", target="cost")
    with pytest.raises(DataError, match=r"target index 7 is out of range; the file has 4 columns"):
        read_file(CSV / "categorical.csv", target=7)
    with pytest.raises(DataError, match=r"has no column `size` \(asked for in features\)"):
        read_file(CSV / "categorical.csv", features=["size"])
    with pytest.raises(DataError, match=r"`price` is the target; it cannot also be a feature"):
        read_file(CSV / "categorical.csv", features=["price"])


def test_too_few_rows_for_the_split() -> None:
    with pytest.raises(DataError, match=r"two_rows\.csv \(2 usable rows\): val_split=0\.2 leaves 1 training row"):
        data.load(str(CSV / "two_rows.csv"), seed=0, val_split=0.2)


def test_binary_and_undecodable_files(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_bytes(bytes(range(256)))
    with pytest.raises(DataError, match=r"looks binary, not text"):
        read_file(tmp_path / "b.csv")
    (tmp_path / "l.csv").write_bytes("a,y\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"is not UTF-8 text"):
        read_file(tmp_path / "l.csv")
    (tmp_path / "z.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match=r"is not an \.npz archive"):
        read_file(tmp_path / "z.npz")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(DataError, match=r"is not a file"):
        read_file(tmp_path / "folder.csv")


def test_file_options_rejected_for_generators_and_bundled() -> None:
    with pytest.raises(ConfigError, match=r"Dataset generator `moons` does not take target"):
        data.load("moons", seed=0, val_split=0.2, target="y")
    with pytest.raises(ConfigError, match=r"Bundled dataset `iris` does not take features, header"):
        data.load("iris", seed=0, val_split=0.2, features=["a"], header=True)
    with pytest.raises(ConfigError, match=r"Dataset `moons` is a binary dataset; task=regression applies only"):
        data.task_of("moons", task="regression")
    assert data.task_of("moons", task="binary") == "binary"
    with pytest.raises(SpecError, match=r"Unknown parameter `n_samples` for dataset `iris`"):
        data.load("iris(n_samples=10)", seed=0, val_split=0.2)


def test_is_file_and_name_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prices").write_text("a,y\n1,2\n2,3\n3,5\n4,4\n5,6\n")
    assert data.is_file("prices") and not data.is_file("iris") and data.is_file("x.TSV")
    assert data.name_of("prices") == "prices" and data.name_of("spirals(classes=4)") == "spirals"
    assert data.load("prices", seed=0, val_split=0.2).source == "file"


@pytest.mark.parametrize("kind", ["npz", "csv"])
def test_float_zero_one_targets_are_binary_and_said_so(tmp_path, kind):
    """Issue 9: a target stored as 0.0/1.0 floats was taken for regression, so --loss bce refused it."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    y = (X[:, 0] > 0).astype(np.float64)
    path = tmp_path / f"floats.{kind}"
    if kind == "npz":
        np.savez(path, X=X, y=y)
    else:
        path.write_text("a,b,label\n" + "".join(f"{float(a)!r},{float(b)!r},{float(t)!r}\n" for (a, b), t in zip(X, y)))
    with pytest.warns(UserWarning, match=r"holds 2 whole-number values \(0, 1\): read as binary class labels"):
        table = read_file(path)
    assert table.task == "binary" and table.class_names == ("0", "1")
    assert table.y.tolist() == y.astype(int).tolist()
    with pytest.warns(UserWarning):
        assert read_file(path, task=None).task == "binary"
    assert read_file(path, task="regression").task == "regression"  # the override is silent
    # 0.5 is not a whole number: regression, as before
    y_half = y * 0.5
    if kind == "npz":
        np.savez(path, X=X, y=y_half)
    else:
        path.write_text("a,b,label\n" + "".join(f"{float(a)!r},{float(b)!r},{float(t)!r}\n" for (a, b), t in zip(X, y_half)))
    assert read_file(path).task == "regression"
