"""The notebook API: result.history / to_pandas() / plot(), the clocked live view, notebook detection, and
docs/tour.ipynb executed end to end (when nbclient and ipykernel are installed; they are not dependencies)."""

from __future__ import annotations

import csv
import dataclasses
import shutil
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import lossfit
from lossfit import api, notebook
from lossfit.config import RunConfig
from lossfit.errors import ConfigError, LossfitError

ROOT = Path(__file__).resolve().parent.parent
TOUR = ROOT / "docs" / "tour.ipynb"


@pytest.fixture(scope="module")
def regression():
    return lossfit.train(epochs=40, plot=False)


@pytest.fixture(scope="module")
def classification():
    return lossfit.train(loss="bce", dataset="moons", epochs=30)


# ------------------------------------------------------------------------------ history
def test_history_is_the_records_and_history_csv(tmp_path):
    result = lossfit.train(epochs=25, out=tmp_path / "run", plot=False)
    history = result.history
    with open(tmp_path / "run" / "history.csv", newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    assert list(history) == header
    assert all(len(column) == len(result.records) == len(rows) == 25 for column in history.values())
    assert history["epoch"].dtype == np.int64 and history["train_loss"].dtype == np.float64
    for i, (record, row) in enumerate(zip(result.records, rows)):
        expected = {"epoch": record.epoch, "train_loss": record.train_loss, "val_loss": record.val_loss,
                    "penalty": record.penalty, **record.metrics, "lr": record.lr, "grad_norm": record.grad_norm,
                    "seconds": record.seconds}
        for key, value in expected.items():
            assert history[key][i] == value, key
        for key, text in zip(header, row):
            if key == "seconds":
                assert history[key][i] == pytest.approx(float(text), abs=1e-6)
            else:
                assert history[key][i] == float(text), key  # repr in the file: the same float


def test_history_columns_for_classification(classification):
    history = classification.history
    metrics = list(classification.records[0].metrics)
    assert list(history) == ["epoch", "train_loss", "val_loss", "penalty", *metrics, "lr", "grad_norm", "seconds"]
    assert "accuracy" in history
    np.testing.assert_array_equal(history["epoch"], np.arange(1, 31))


def test_history_of_no_records():
    history = notebook.history_of([])
    assert list(history) == ["epoch", "train_loss", "val_loss", "penalty", "lr", "grad_norm", "seconds"]
    assert all(len(column) == 0 for column in history.values())


def test_to_pandas(regression):
    pd = pytest.importorskip("pandas")
    frame = regression.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(regression.history)
    assert len(frame) == 40
    np.testing.assert_array_equal(frame["train_loss"].to_numpy(), regression.history["train_loss"])


def test_to_pandas_without_pandas_says_how_to_get_it(regression, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now raises ImportError
    with pytest.raises(LossfitError, match=r"pip install pandas") as caught:
        regression.to_pandas()
    assert isinstance(caught.value, ImportError)
    assert "\n" not in str(caught.value)


# ------------------------------------------------------------------------------ plot
def test_plot_draws_the_run_folders_figures(regression):
    figures = regression.plot()
    assert figures.names == ["loss_curve.png", "fit.png"]
    title = regression.prepared.title.split(" · ")[0]  # plots wrap long titles at the dots
    for figure in figures:
        texts = [ax.get_title() for ax in figure.axes] + [figure._suptitle.get_text() if figure._suptitle else ""]
        assert any(title in text for text in texts), texts
    assert figures.named("fit") is figures[1]
    assert notebook.png_bytes(figures[0]).startswith(b"\x89PNG")


def test_plot_classification(classification):
    figures = classification.plot()
    assert figures.names == ["loss_curve.png", "confusion_matrix.png", "decision_boundary.png"]
    assert "Figures(loss_curve.png" in repr(figures)


# ------------------------------------------------------------------------------ detection
def test_not_a_notebook_under_pytest(capsys):
    assert notebook.in_notebook() is False
    assert notebook.resolve_progress(None) == "none"
    assert notebook.resolve_progress("auto") == "auto"
    lossfit.train(epochs=5)
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""
    with pytest.raises(ConfigError, match="not a notebook"):
        lossfit.train(epochs=5, progress="notebook")


class ZMQInteractiveShell:  # stands in for ipykernel's shell: only its class name counts
    pass


class ColabShell(ZMQInteractiveShell):
    pass


class TerminalInteractiveShell:
    pass


@pytest.mark.parametrize(("shell", "expected"), [(ZMQInteractiveShell(), True), (ColabShell(), True),
                                                 (TerminalInteractiveShell(), False), (None, False)])
def test_detection_looks_at_an_imported_ipython(monkeypatch, shell, expected):
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert notebook.in_notebook() is expected
    assert notebook.resolve_progress(None) == ("notebook" if expected else "none")


def test_detection_never_imports_ipython(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert notebook.in_notebook() is False
    assert "IPython" not in sys.modules


# ------------------------------------------------------------------------------ live view
class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _info_and_records(epochs: int = 300):
    prepared = api.prepare(RunConfig(epochs=epochs, progress="none"))
    info = dataclasses.replace(api.Runner(prepared, []).info(), log=None)  # the view keeps its own log
    records = lossfit.train(epochs=epochs).records
    return info, records


def test_live_curve_stores_on_write_and_draws_on_the_clock():
    info, records = _info_and_records()
    clock, shown = FakeClock(), []
    view = notebook.LiveCurve(clock=clock, thread=False, show=shown.append)
    view.open(info)
    assert len(shown) == 1 and shown[0].png is None  # the placeholder
    for record in records:
        view.write(record)
    assert view.frames == 0 and len(shown) == 1  # write draws nothing
    assert view.tick() and view.frames == 1  # something new, and the clock allows
    assert not view.tick()  # nothing new since
    view.write(records[-1])
    assert not view.tick()  # new, but too soon: the clock has not moved
    clock.now = notebook.REFRESH_SECONDS
    assert view.tick() and view.frames == 2
    # a second of ticks every 10 ms, with records arriving all the time: at most 5 frames
    drawn = view.frames
    for step in range(1, 101):
        clock.now = notebook.REFRESH_SECONDS + step * 0.01
        view.write(records[-1])
        view.tick()
    assert view.frames - drawn <= 5
    assert all(frame.png.startswith(b"\x89PNG") for frame in shown[1:])
    summary = lossfit.train(epochs=5).summary
    view.close(summary)
    last = shown[-1]
    assert last.png.startswith(b"\x89PNG") and "completed" in repr(last) and "epoch 300/300" in repr(last)


def test_live_curve_backs_off_after_costly_frames():
    info, records = _info_and_records(20)
    clock, shown = FakeClock(), []
    view = notebook.LiveCurve(clock=clock, thread=False, show=shown.append)
    view.open(info)
    costly = view.frame

    def slow_frame(final=None):
        clock.now += 0.1  # this frame takes 100 ms
        return costly(final)

    view.frame = slow_frame  # type: ignore[method-assign]
    view.write(records[0])
    assert view.tick()  # the first frame (fonts, caches) may be slow alone: the next one waits as usual
    view.write(records[1])
    clock.now += notebook.REFRESH_SECONDS
    assert view.tick()
    view.write(records[2])
    wait = 0.1 / notebook.MAX_SHARE  # after two 100 ms frames, the next comes no sooner than this
    clock.now += wait - 0.11
    assert not view.tick()
    clock.now += 0.02
    assert view.tick()
    view.close(lossfit.train(epochs=2).summary)


def test_live_curve_thread_draws_and_stops(monkeypatch):
    monkeypatch.setattr(notebook, "REFRESH_SECONDS", 0.02)
    info, records = _info_and_records(50)
    shown = []
    view = notebook.LiveCurve(show=shown.append)
    view.open(info)
    import time

    deadline = time.perf_counter() + 1.0
    for record in records:
        view.write(record)
    while view.frames == 0 and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert view.frames >= 1
    view.close(lossfit.train(epochs=2).summary)
    assert view._thread is None and "completed" in repr(shown[-1])


def test_a_failing_view_is_a_warning_not_a_lost_run():
    info, records = _info_and_records(5)
    view = notebook.LiveCurve(clock=FakeClock(), thread=False, show=lambda frame: None)
    view.open(info)
    for record in records:
        view.write(record)

    def broken(final=None):
        raise ValueError("no fonts")

    view.frame = broken  # type: ignore[method-assign]
    with pytest.warns(UserWarning, match="live view stopped drawing: ValueError: no fonts"):
        view.close(lossfit.train(epochs=2).summary)


def test_live_curve_without_records_says_so():
    info, _ = _info_and_records(5)
    shown = []
    view = notebook.LiveCurve(clock=FakeClock(), thread=False, show=shown.append)
    view.open(info)
    view.close(lossfit.train(epochs=2).summary)
    assert shown[-1].png is None and "completed" in repr(shown[-1])


def test_compare_history_to_pandas_and_plot(tmp_path, capsys):
    result = lossfit.compare(loss="mse,mae", dataset="outliers", epochs=20, out=tmp_path / "race")
    assert capsys.readouterr().err == ""  # silent outside a notebook
    history = result.history
    assert list(history) == ["mse", "mae"]
    for (label, columns), records in zip(history.items(), result.records):
        expected = notebook.history_of(records)
        assert list(columns) == list(expected) and len(columns["epoch"]) == 20
        for key in columns:
            np.testing.assert_array_equal(columns[key], expected[key])
        with open(tmp_path / "race" / f"loss={label}" / "history.csv", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == list(columns)
        np.testing.assert_array_equal(columns["train_loss"], [float(row[1]) for row in rows[1:]])
    figures = result.plot()
    assert figures.names == ["curves.png", "fits.png"]
    for figure in figures:
        texts = [ax.get_title() for ax in figure.axes] + [figure._suptitle.get_text() if figure._suptitle else ""]
        assert any("mse vs mae on outliers" in text for text in texts), texts
    pd = pytest.importorskip("pandas")
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == ["variant", *history["mse"]]
    assert list(frame["variant"].unique()) == ["mse", "mae"] and len(frame) == 40


def test_compare_to_pandas_without_pandas(monkeypatch):
    result = lossfit.compare(loss="mse,mae", dataset="outliers", epochs=5)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(notebook.MissingPackageError, match=r"pip install pandas"):
        result.to_pandas()


def test_live_race_draws_every_variant_on_the_clock():
    result = lossfit.compare(loss="mse,mae", dataset="outliers", epochs=30)
    clock, shown = FakeClock(), []
    view = notebook.LiveRace(clock=clock, thread=False, show=shown.append)
    view.open(result.race)
    for a, b in zip(*result.records):
        view.update(0, a)
        view.update(1, b)
    assert view.frames == 0  # update draws nothing
    assert view.tick() and not view.tick()
    view.ended(0, "diverged")  # a change of status is news too
    clock.now = 1.0
    assert view.tick()
    assert view._plot is not None and view._plot.labels == ["mse (diverged)", "mae"]
    view.ended(1, "completed")
    view.close()
    assert shown[-1].png.startswith(b"\x89PNG") and "mse 30, mae 30 · done" in repr(shown[-1])


# ------------------------------------------------------------------------------ the tour notebook
def test_tour_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    assert TOUR.exists()
    shutil.copy(TOUR, tmp_path / "tour.ipynb")
    nb = nbformat.read(tmp_path / "tour.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=240, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on any failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
