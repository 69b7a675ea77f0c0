"""Data hardening (issue 10, item 4): read once, fast numeric CSVs, bounded memory, and one clear
line for every malformed file, huge number, oversized generator and broken archive."""

from __future__ import annotations

import tomllib
import tracemalloc
from contextlib import nullcontext
import weakref
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import lossfit.data as data_module
from lossfit import data
from lossfit.cli import app
from lossfit.data import _arrays, _cache, dataset, files
from lossfit.errors import DataError

BAD = Path(__file__).parent / "data" / "bad"
CSV = Path(__file__).parent / "fixtures" / "csv"
EXPECTED = tomllib.loads((BAD / "expected.toml").read_text(encoding="utf-8"))
ENV = {"NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"}


def write_csv(path: Path, X: np.ndarray, y: np.ndarray, names: list[str] | None = None) -> Path:
    names = names or [f"x{j + 1}" for j in range(X.shape[1])] + ["y"]
    lines = [",".join(names)] + [",".join(repr(float(v)) for v in (*row, t)) for row, t in zip(X, y)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def train(tmp_path: Path, *args: str):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", *args, "--epochs", "2", "--no-plot", "--out", str(out)], env=ENV)
    return result, out


@pytest.fixture(autouse=True)
def empty_cache():
    _cache.clear()
    yield
    _cache.clear()


# --- the corpus of malformed files ----------------------------------------------------------


def test_corpus_covers_every_file() -> None:
    on_disk = {p.name for p in BAD.iterdir() if p.name != "expected.toml"}
    assert on_disk == set(EXPECTED), on_disk ^ set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    case = EXPECTED[name]
    result, out = train(tmp_path, "--dataset", str(BAD / name), *case.get("args", []))
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert case["message"].lower() in lines[0].lower(), output
    assert len(lines[0]) < 400, output  # cells and names are cut, never the whole file
    assert not out.exists()


# --- read once ------------------------------------------------------------------------------


def counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = data_module.read_file

    def counted(path, **options):
        calls.append(str(path))
        return original(path, **options)

    monkeypatch.setattr(data_module, "read_file", counted)
    return calls


@pytest.mark.filterwarnings("ignore:the target .* whole-number values")
def test_train_parses_the_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    path = write_csv(tmp_path / "d.csv", X, (X[:, 0] > 0).astype(float))  # 0/1: the default loss depends on it
    calls = counting_reads(monkeypatch)
    result, _ = train(tmp_path, "--dataset", str(path))
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    assert "read as binary class labels" in result.output  # the parse's warning is still shown, once
    assert _cache.peek(_cache.file_key(path, {})) is None  # load took the table: nothing kept


def test_compare_parses_the_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 2))
    path = write_csv(tmp_path / "d.csv", X, X @ [1.0, -2.0] + 0.1 * rng.standard_normal(40))
    calls = counting_reads(monkeypatch)
    result = CliRunner().invoke(app, ["compare", "--dataset", str(path), "--loss", "mse,mae", "--epochs", "2",
                                      "--no-plot", "--progress", "none", "--out", str(tmp_path / "cmp")], env=ENV)
    assert result.exit_code == 0, result.output
    assert len(calls) == 1


def test_task_of_then_load_reuses_then_drops_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    X = np.arange(40.0).reshape(20, 2)
    path = write_csv(tmp_path / "d.csv", X, X[:, 0] * 0.5 + 0.25)
    calls = counting_reads(monkeypatch)
    assert data.task_of(str(path)) == "regression"
    assert data.task_of(str(path)) == "regression"
    entry = _cache.peek(_cache.file_key(path, {}))
    assert entry is not None
    table_ref = weakref.ref(entry.table)
    del entry
    ds = data.load(str(path), seed=0, val_split=0.25)
    assert len(calls) == 1
    assert table_ref() is None  # the cache let go and the Dataset holds its own arrays
    np.testing.assert_allclose(np.sort(ds.raw_X(np.vstack([ds.X_train, ds.X_val]))[:, 0]), X[:, 0], rtol=1e-14)
    data.load(str(path), seed=0, val_split=0.25)  # consumed: a second load parses again
    assert len(calls) == 2


def test_options_and_changes_make_a_new_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,1,0\n2,3,1\n")
    calls = counting_reads(monkeypatch)
    with pytest.warns(UserWarning, match="read as binary"):
        assert data.task_of(str(path)) == "binary"
    with pytest.warns(UserWarning, match="read as binary"):  # reused: its warning is given again
        assert data.task_of(str(path)) == "binary"
    assert len(calls) == 1
    assert data.task_of(str(path), task="regression") == "regression"  # another option: another parse
    assert len(calls) == 2
    path.write_text("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,1,0\n2,3,1\n".replace("y\n", "z\n"))  # same size, now
    assert data.read(str(path), task="regression").table.target_name == "z"  # ... within the same mtime tick
    assert len(calls) == 3


def test_a_shared_table_is_never_modified_by_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataset, "IN_PLACE_BYTES", 0)  # small tables take the in-place path too
    monkeypatch.setattr(dataset, "IN_PLACE_COLUMNS", 1)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((50, 3)) * 10 + 5
    path = write_csv(tmp_path / "d.csv", X, X[:, 0] - X[:, 1])
    shown = data.read(str(path))  # as `lossfit datasets show` would hold it
    before = shown.table.X.copy()
    data.load(str(path), seed=0, val_split=0.2)
    np.testing.assert_array_equal(shown.table.X, before)


@pytest.mark.parametrize("kind", ["csv", "npz"])
def test_in_place_split_equals_the_copying_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 6)) * [1, 10, 100, 1e-3, 1e5, 7] + [0, 1, -50, 2, 1e6, 3]
    y = (X[:, 0] + X[:, 1] / 10 > 0).astype(np.int64)
    path = tmp_path / f"d.{kind}"
    if kind == "npz":
        np.savez(path, X=X, y=np.where(y == 1, "up", "down"))
    else:
        write_csv(path, X, y.astype(float) * 2 + 5)
    with pytest.warns(UserWarning) if kind == "csv" else nullcontext():
        copied = data.load(str(path), seed=4, val_split=0.3)
    monkeypatch.setattr(dataset, "IN_PLACE_BYTES", 0)
    monkeypatch.setattr(dataset, "IN_PLACE_COLUMNS", 1)
    monkeypatch.setattr(_arrays, "BLOCK_BYTES", 6 * 8 * 7)  # blocks of 7 rows
    with pytest.warns(UserWarning) if kind == "csv" else nullcontext():
        in_place = data.load(str(path), seed=4, val_split=0.3)
    for name in ("X_train", "X_val", "y_train", "y_val", "x_mean", "x_std"):
        np.testing.assert_allclose(getattr(in_place, name), getattr(copied, name), rtol=1e-13, atol=1e-12)
    assert not in_place.X_train.flags.writeable and not in_place.X_val.flags.writeable


# --- the CSV fast path ----------------------------------------------------------------------


def general(path: Path, **options) -> files.Table:
    return files._read_general_csv(Path(path), f"Dataset file {path}", target=options.get("target"),
                                   features=options.get("features"), header=options.get("header"),
                                   task=options.get("task"))


def assert_same_table(a: files.Table, b: files.Table) -> None:
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.y.dtype == b.y.dtype and a.X.dtype == b.X.dtype == np.float64
    assert (a.task, a.feature_names, a.class_names, a.dropped_rows, a.target_name) == (
        b.task, b.feature_names, b.class_names, b.dropped_rows, b.target_name)


@pytest.mark.filterwarnings("ignore:the target .* whole-number values")
@pytest.mark.parametrize(
    "text, options",
    [
        ("x1,x2,y\n1.5,2,3.25\n-4e-3,5,6.5\n7,8,9.125\n", {}),
        ("1.5;2;3\n4;5;6\n7;8;9\n1;1;3\n", {}),  # no header, semicolons, integer levels
        ("\ufeffa\tb\tlabel\n1\t2\t0\n3\t4\t1\n5\t6\t0\n7\t8\t1\n", {}),  # BOM, tabs, a binary 0/1 target
        ("a,b,c,t\n1,2,3,4.5\n5,6,7,8.5\n9,10,11,12.5\n", {"target": "b", "features": ["c", "a"]}),
        ("a,b,c,t\n1,2,3,4.5\n5,6,7,8.5\n9,10,11,12.5\n", {"target": 0, "header": True}),
        ("a,b,t\n 1 , 2 ,3\n4,5,6\n7,8,9\n10,11,12\n", {"task": "regression"}),  # spaces around numbers
        ("a,b,t\n1,2,3\n\n4,5,6\n7,8,9\n", {}),  # a blank line
        ("a,b,t\n1,2,1e300\n4,5,-1e-300\n7,8,0.1\n", {}),
    ],
    ids=["comma", "semicolon-no-header", "bom-tab-binary", "target-and-features", "target-index",
         "spaces", "blank-line", "extremes"],
)
def test_fast_path_gives_the_general_table(tmp_path: Path, text: str, options: dict) -> None:
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    fast = files._read_numeric_csv(path, f"Dataset file {path}", target=options.get("target"),
                                   features=options.get("features"), header=options.get("header"),
                                   task=options.get("task"))
    assert fast is not None, "this file should take the fast path"
    assert_same_table(fast, general(path, **options))


def test_fast_path_reads_the_numbers_written(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    X = rng.standard_normal((500, 7)) * np.logspace(-3, 3, 7)
    y = rng.standard_normal(500)
    table = files.read_csv(write_csv(tmp_path / "f.csv", X, y))
    np.testing.assert_array_equal(table.X, X)  # repr round-trips exactly
    np.testing.assert_array_equal(table.y, y)
    assert table.X.flags.c_contiguous and table.feature_names == tuple(f"x{j}" for j in range(1, 8))


@pytest.mark.parametrize(
    "text",
    [
        "a,b,y\n1,2,3\n4,NA,6\n7,8,9\n1,2,3\n",  # a missing value
        "a,b,y\n1,2,3\n4,x,6\n7,8,9\n1,2,3\n",  # text
        'a,b,y\n1,2,3\n4,"5",6\n7,8,9\n1,2,3\n',  # a quote
        "a,b,y\n1,2,3\n4,5\n7,8,9\n1,2,3\n",  # a short row
        "a,b,y\n1,2,3\n4,inf,6\n7,8,9\n1,2,3\n",  # an infinity
        "a,b,y\n1,2,3\n4,1_000,6\n7,8,9\n1,2,3\n",  # a number Python reads and loadtxt does not
    ],
    ids=["missing", "text", "quote", "short-row", "inf", "underscore"],
)
def test_anything_unusual_falls_back_to_the_general_reader(tmp_path: Path, text: str) -> None:
    path = tmp_path / "f.csv"
    path.write_text(text)
    assert files._read_numeric_csv(path, "f", target=None, features=None, header=None, task=None) is None


def test_fast_path_does_not_copy_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_arrays, "BLOCK_BYTES", 256 * 1024)
    rng = np.random.default_rng(6)
    X = rng.standard_normal((10_000, 40))
    path = write_csv(tmp_path / "f.csv", X, rng.standard_normal(10_000))
    tracemalloc.start()
    try:
        table = files.read_csv(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert table.X.shape == (10_000, 40)
    assert peak < 1.5 * X.nbytes, peak / X.nbytes  # loadtxt's array and a block; the general reader: ~15x


def test_npz_load_needs_little_more_than_the_array(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataset, "IN_PLACE_BYTES", 0)
    monkeypatch.setattr(_arrays, "BLOCK_BYTES", 64 * 1024)
    rng = np.random.default_rng(7)
    X = rng.standard_normal((5000, 40))
    np.savez(tmp_path / "f.npz", X=X, y=X[:, 0] + rng.standard_normal(5000))
    del X
    data.load(str(tmp_path / "f.npz"), seed=0, val_split=0.2)  # once first: imports and caches are not the data
    tracemalloc.start()
    try:
        ds = data.load(str(tmp_path / "f.npz"), seed=0, val_split=0.2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = 5000 * 40 * 8
    assert ds.X_train.shape == (4000, 40)
    # np.load alone needs 1.33x here (its 256 KiB read buffers); the rest was 2.6x more: astype, row
    # filter, split and standardization copies
    assert peak < 1.5 * size, peak / size


# --- numbers too large, and standardization that cannot overflow -----------------------------


def test_huge_features_are_standardized_not_zeroed(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal(200)
    path = write_csv(tmp_path / "f.csv", (x * 1e307)[:, None], 2 * x + 1, ["x", "y"])
    ds = data.load(str(path), seed=0, val_split=0.2)
    assert np.isfinite(ds.x_std).all() and 1e306 < ds.x_std[0] < 1e308
    np.testing.assert_allclose(ds.X_train.std(), 1.0, rtol=1e-12)
    result, _ = train(tmp_path, "--dataset", str(path))
    assert result.exit_code == 0, result.output
    assert "y = 0·x" not in result.output


def test_standardizer_matches_numpy_and_survives_overflow() -> None:
    rng = np.random.default_rng(9)
    X = rng.standard_normal((1000, 4)) * [1, 1e5, 1e-5, 3] + [0, 7, -2, 1e8]
    mean, std = dataset.fit_standardizer(X)
    np.testing.assert_array_equal(mean, X.mean(axis=0))  # bit for bit where numpy does not overflow
    np.testing.assert_array_equal(std, X.std(axis=0))
    big = np.array([[1.5e308], [-1.5e308], [1.0e308]])
    with np.errstate(over="ignore"):
        assert not np.isfinite(big.std(axis=0)).all()  # what numpy gives
    mean, std = dataset.fit_standardizer(big)
    np.testing.assert_allclose(mean, [1.0e308 / 3], rtol=1e-14)
    np.testing.assert_allclose(std, [np.sqrt(((big[:, 0] / 1e308 - 1 / 3) ** 2).mean()) * 1e308], rtol=1e-14)


def test_blocked_moments_equal_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(10)
    X = rng.standard_normal((997, 5)) * 1e3 + 42
    whole = _arrays.column_moments(X)
    monkeypatch.setattr(_arrays, "BLOCK_BYTES", 5 * 8 * 13)
    blocked = _arrays.column_moments(X)
    for a, b in zip(whole, blocked):
        np.testing.assert_array_equal(a, b)  # rows are added in the same order either way


def test_target_too_large_says_rescale_not_lr(tmp_path: Path) -> None:
    x = np.linspace(-1, 1, 50)
    path = write_csv(tmp_path / "t.csv", x[:, None], x * 1e300, ["x", "y"])
    with pytest.raises(DataError, match=r"the target `y` has values up to 1e\+300, too large to train on.*rescale"):
        data.load(str(path), seed=0, val_split=0.2)
    ok = write_csv(tmp_path / "ok.csv", x[:, None], x * 1e150, ["x", "y"])  # below sqrt(max / 4n) = 9.5e152
    assert data.load(str(ok), seed=0, val_split=0.2).y_train.max() > 1e149
    with pytest.raises(DataError, match=r"Dataset `linear`: the target `y` has values up to [\d.]+e\+(299|300)"):
        data.load("linear(slope=1e300)", seed=0, val_split=0.2)


def test_square_safe_limit_is_where_the_loss_overflows() -> None:
    for n in (10, 200, 100_000):
        limit = dataset.square_safe_limit(n)
        errors = np.full(n, 2 * limit * 0.999)  # a prediction as large as the target, of the opposite sign
        assert np.isfinite(np.sum(errors**2))
        with np.errstate(over="ignore"):
            assert not np.isfinite(np.sum(np.full(n, 2 * limit * 1.5) ** 2))


# --- generator sizes --------------------------------------------------------------------------


def test_oversized_generator_is_refused_before_allocating(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"moons.*n_samples=1000000000000 would need about .* TiB of memory"):
        data.load("moons(n_samples=1000000000000)", seed=0, val_split=0.2)
    result, out = train(tmp_path, "--dataset", "moons(n_samples=1000000000000)")
    assert result.exit_code == 2 and "Lower n_samples" in result.output and not out.exists(), result.output
    assert data.load("moons(n_samples=1000)", seed=0, val_split=0.2).X_train.shape == (800, 2)


def test_memory_error_while_loading_is_a_data_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from lossfit.data.classification import Moons

    def no_memory(self, rng):
        raise MemoryError("Unable to allocate 3.64 TiB")

    monkeypatch.setattr(Moons, "generate", no_memory)
    with pytest.raises(DataError, match=r"Dataset `moons` with n_samples=200 does not fit in memory \(about"):
        data.load("moons", seed=0, val_split=0.2)


# --- npz members, quotes and long values --------------------------------------------------------


@pytest.mark.parametrize(
    "members, message",
    [
        ({"X": np.zeros((4, 2)), "y": np.array(1.0)}, r"y must be 1-D"),
        ({"X": np.array(b"abc"), "y": np.zeros(4)}, r"X must be 2-D .* has shape \(\)"),
        ({"X": np.zeros((4, 2), dtype="datetime64[s]"), "y": np.zeros(4)}, r"X must hold real numbers"),
        ({"X": np.zeros((4, 2)), "y": np.zeros(4, dtype=[("a", "f8")])}, r"y must hold numbers or strings"),
    ],
    ids=["0-d-y", "bytes-X", "dates", "structured-y"],
)
def test_npz_members_of_the_wrong_kind(tmp_path: Path, members: dict, message: str) -> None:
    np.savez(tmp_path / "a.npz", **members)
    with pytest.raises(DataError, match=message):
        files.read_file(tmp_path / "a.npz")


def test_raw_zip_member_is_not_an_array(tmp_path: Path) -> None:
    import io
    import zipfile

    npy = io.BytesIO()
    np.lib.format.write_array(npy, np.zeros((2, 2)))
    with zipfile.ZipFile(tmp_path / "a.npz", "w") as archive:
        archive.writestr("X.npy", npy.getvalue())  # a proper array
        archive.writestr("y", b"1\n2\n")  # a raw file: np.load gives its bytes
    with pytest.raises(DataError, match=r"member `y` is not a NumPy array \(a raw bytes file in the zip\)"):
        files.read_file(tmp_path / "a.npz")


def test_quote_never_closed_in_a_big_file(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('x,y\n1,2\n3,"4\n' + "5,6\n" * 30_000)  # longer than csv's field limit of 128 KiB
    with pytest.raises(DataError, match=r"line 3: a quote opened here is never closed \(`3,\"4`\)"):
        files.read_file(path)


def test_messages_cut_long_values_and_escape_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    name = "a very long column name " * 10
    path.write_text(f'x,"{name}"\n1,a\n2,a\n3,a\n')
    with pytest.raises(DataError) as caught:
        files.read_file(path)
    message = str(caught.value)
    assert "\n" not in message and "…" in message and name not in message
    assert f"`{name[:39]}…`" in message
    assert files._show("a\nb\tc") == "a\\nb\\tc"


def test_many_columns_are_listed_briefly(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "w.csv", np.zeros((3, 30)), np.arange(3.0))
    with pytest.raises(DataError, match=r"has no column `cost` \(the target\); columns: x1, x2, .*, \.\.\. \(31 columns\)"):
        files.read_file(path, target="cost")


def test_files_too_big_for_memory_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "memory_limit", lambda: 2000)  # bytes: as if this machine were tiny
    numeric = write_csv(tmp_path / "n.csv", np.ones((100, 3)), np.arange(100.0))
    with pytest.raises(DataError, match=r"would need about .* of memory as float64 \(about 10\d rows x 4 columns"):
        files.read_file(numeric)
    text = tmp_path / "t.csv"
    text.write_text("a,b\n" + "x,1\ny,2\n" * 100)  # 804 bytes: 3.1 KiB as an array, 9.4 KiB read cell by cell
    monkeypatch.setattr(files, "memory_limit", lambda: 5000)
    with pytest.raises(DataError, match=r"holds text, missing values or quotes, which are read cell by cell"):
        files.read_file(text)


def test_memory_error_while_parsing_is_a_data_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(tmp_path / "n.csv", np.ones((10, 2)), np.arange(10.0))

    def no_memory(path, **options):
        raise MemoryError

    monkeypatch.setattr(data_module, "read_file", no_memory)
    with pytest.raises(DataError, match=r"n\.csv \(.*\) does not fit in memory once parsed"):
        data.load(str(path), seed=0, val_split=0.2)
