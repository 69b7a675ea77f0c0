"""`lossfit datasets`, `lossfit datasets show`, and bad dataset files through `lossfit train`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lossfit import data

CSV = Path(__file__).parent / "fixtures" / "csv"
PNG = b"\x89PNG\r\n\x1a\n"


def _image(path: Path) -> np.ndarray:
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == PNG
    return imread(path)


def test_datasets_lists_generators_and_bundled(run_cli) -> None:
    result = run_cli("datasets")
    assert result.exit_code == 0, result.output
    for name in data.names() + data.bundled_names():
        assert name in result.stdout
    assert "generators" in result.stdout and "bundled real datasets" in result.stdout
    lines = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert lines["iris"][1:5] == ["multiclass", "150", "4", "3"]
    assert lines["auto_mpg"][1:5] == ["regression", "392", "9", "–"]
    assert lines["spirals"][1] == "multiclass"


def test_datasets_help(run_cli) -> None:
    result = run_cli("datasets", "--help")
    assert result.exit_code == 0 and "show" in result.stdout


def test_show_spirals_writes_a_png(run_cli, tmp_path: Path) -> None:
    result = run_cli("datasets", "show", "spirals")
    assert result.exit_code == 0, result.output
    assert "spirals  generated · multiclass · 300 rows · 2 features · 3 classes" in result.stdout
    assert "class balance" in result.stdout and "feature ranges" in result.stdout
    image = _image(tmp_path / "spirals.png")
    assert image.shape[0] > 300 and image.shape[1] > 300
    assert "Saved" in result.stdout and "scatter of the two features" in result.stdout


def test_show_bundled_uses_pca_and_reports_dropped_rows(run_cli, tmp_path: Path) -> None:
    result = run_cli("datasets", "show", "penguins", "--plot", "out/p.png")
    assert result.exit_code == 2 and "the folder out does not exist" in result.stderr
    (tmp_path / "out").mkdir()
    result = run_cli("datasets", "show", "penguins", "--plot", "out/p.png")
    assert result.exit_code == 0, result.output
    assert "dropped 11 rows with missing values" in result.stdout
    assert "Adelie" in result.stdout and "146" in result.stdout
    assert "first two principal components of the 9 standardized features" in result.stdout
    _image(tmp_path / "out" / "p.png")


def test_show_regression_file_with_options(run_cli, tmp_path: Path) -> None:
    result = run_cli("datasets", "show", str(CSV / "categorical.csv"), "--target", "price",
                     "--features", "weight", "--no-plot")
    assert result.exit_code == 0, result.output
    assert "file · regression · 7 rows · 1 feature" in result.stdout
    assert "target" in result.stdout and "mean" in result.stdout and "31.5" in result.stdout
    assert not list(tmp_path.glob("*.png"))
    result = run_cli("datasets", "show", str(CSV / "multiclass.csv"), "--plot", "m.png")
    assert result.exit_code == 0, result.output
    _image(tmp_path / "m.png")


@pytest.mark.parametrize("target, message", [
    ("cost", "has no column `cost` (the target); columns: color, weight, shape, price."),
    ("9", "target index 9 is out of range; the file has 4 columns"),
])
def test_show_bad_target(run_cli, tmp_path: Path, target: str, message: str) -> None:
    # `lossfit train --target` goes through the same data.load(target=...) call
    result = run_cli("datasets", "show", str(CSV / "categorical.csv"), "--target", target)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not list(tmp_path.glob("*.png"))


def test_show_unknown_name(run_cli) -> None:
    result = run_cli("datasets", "show", "spiral")
    assert result.exit_code == 2
    assert "Unknown dataset `spiral`. Did you mean `spirals`?" in result.stderr


def test_train_on_a_csv_file(run_cli, tmp_path: Path) -> None:
    result = run_cli("train", "--dataset", str(CSV / "semicolon.csv"), "--loss", "mse", "--epochs", "5",
                     "--progress", "none", "--out", "run")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "metrics.json").is_file()


def _write_bad_files(folder: Path) -> dict[str, Path]:
    X = np.zeros((6, 2))
    paths = {}
    np.savez(folder / "no_y.npz", X=X)
    np.savez(folder / "object.npz", X=X, y=np.array([{}] * 6, dtype=object))
    np.savez(folder / "lengths.npz", X=X, y=np.zeros(5))
    np.savez(folder / "flat.npz", X=np.zeros(6), y=np.zeros(6))
    (folder / "binary.csv").write_bytes(bytes(range(256)))
    (folder / "latin1.csv").write_bytes("a,y\n1,caf\xe9\n".encode("latin-1"))
    for name in ("no_y.npz", "object.npz", "lengths.npz", "flat.npz", "binary.csv", "latin1.csv"):
        paths[name] = folder / name
    return paths


BAD_INPUTS = [
    (["--dataset", "missing_file.csv"], "missing_file.csv not found"),
    (["--dataset", str(CSV / "empty.csv")], "empty.csv is empty"),
    (["--dataset", str(CSV / "header_only.csv")], "has a header row but no data rows"),
    (["--dataset", str(CSV / "ragged.csv")], "line 3 has 2 fields but the header has 3"),
    (["--dataset", str(CSV / "bad_value.csv")], "column `b` holds numbers but line 3 has `abc`"),
    (["--dataset", str(CSV / "single_class.csv"), "--loss", "bce"], "has a single class `yes`"),
    (["--dataset", str(CSV / "all_missing.csv")], "all 3 rows have a missing value"),
    (["--dataset", str(CSV / "two_rows.csv")], "(2 usable rows): val_split=0.2 leaves 1 training row"),
    (["--dataset", str(CSV / "identifier.csv")], "column `id` holds text with 5 distinct values"),
    (["--dataset", "{no_y.npz}"], "has no array `y`"),
    (["--dataset", "{object.npz}"], "holds object arrays"),
    (["--dataset", "{lengths.npz}"], "X has 6 rows but y has 5"),
    (["--dataset", "{flat.npz}"], "X must be 2-D"),
    (["--dataset", "{binary.csv}"], "looks binary, not text"),
    (["--dataset", "{latin1.csv}"], "is not UTF-8 text"),
    (["--dataset", "moons(noise=-1)"], "Dataset `moons`: noise=-1.0 is out of range; expected noise >= 0."),
    (["--dataset", "iris(n_samples=10)", "--loss", "cross_entropy"], "Unknown parameter `n_samples` for dataset `iris`"),
]


@pytest.mark.parametrize("args, message", BAD_INPUTS,
                         ids=lambda v: v if isinstance(v, str) else None)
def test_bad_dataset_input_is_one_line_exit_2(run_cli, tmp_path: Path, args: list[str], message: str) -> None:
    files = _write_bad_files(tmp_path)
    args = [str(files[a[1:-1]]) if a.startswith("{") else a for a in args]
    result = run_cli("train", *args, "--progress", "none")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "runs").exists()
