"""`lossfit plot`: curves redrawn from run and compare folders, from their files alone."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from lossfit.plots import history

PNG = b"\x89PNG\r\n\x1a\n"
QUICK = ("--epochs", "20", "--progress", "none", "--no-plot")


def _train(run_cli, out: str, *extra: str, code: int = 0) -> Path:
    result = run_cli("train", "--out", out, *QUICK, *extra)
    assert result.exit_code == code, result.output
    return Path(out)


def _compare(run_cli, out: str = "c") -> Path:
    result = run_cli("compare", "--loss", "mse,mae", "--dataset", "outliers", "--out", out, *QUICK)
    assert result.exit_code == 0, result.output
    return Path(out)


def _columns(path: Path) -> dict[str, list[float]]:
    """history.csv parsed here, independently of lossfit: column -> values."""
    with open(path / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {name: [float(row[name]) for row in rows] for name in rows[0]}


def _figure(paths: list[Path], **kwargs):
    fig = history.history_figure(history.load_runs(paths), **kwargs)
    (ax,) = fig.axes
    return fig, ax


def _curves(ax) -> list:
    """The drawn curves, without the one-point end markers."""
    return [line for line in ax.lines if line.get_marker() in ("None", None, "")]


def _line(ax, label: str):
    (line,) = [line for line in ax.lines if line.get_label() == label]
    return line


def _legend(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


def _same(drawn, expected: list[float]) -> None:
    np.testing.assert_array_equal(np.asarray(drawn, dtype=float), np.array(expected))


def _one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert result.stdout == ""


# ------------------------------------------------------------------ the picture
def test_plot_redraws_train_and_validation_loss_from_history(run_cli, tmp_path: Path) -> None:
    run = _train(run_cli, "r1")
    result = run_cli("plot", "r1")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Saved plot.png (the losses of 1 run)."
    assert (tmp_path / "plot.png").read_bytes()[:8] == PNG

    numbers = _columns(run)
    fig, ax = _figure([run])
    assert len(_curves(ax)) == 2
    train, val = _line(ax, "r1 · train"), _line(ax, "r1 · validation")
    _same(train.get_xdata(), numbers["epoch"])
    _same(train.get_ydata(), numbers["train_loss"])
    _same(val.get_xdata(), numbers["epoch"])
    _same(val.get_ydata(), numbers["val_loss"])
    assert train.get_linestyle() == "-" and val.get_linestyle() == "--"
    assert train.get_color() == val.get_color()
    assert _legend(ax) == ["r1 · train", "r1 · validation"]
    assert "train loss (solid) and validation loss (dashed)" in ax.get_title()
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert ax.get_yscale() == "log"  # 2.65 down to 0.09: more than a decade


def test_a_run_without_validation_draws_only_its_train_loss(run_cli) -> None:
    run = _train(run_cli, "r0", "--val-split", "0")
    assert all(math.isnan(v) for v in _columns(run)["val_loss"])
    fig, ax = _figure([run])
    (train,) = _curves(ax)
    _same(train.get_ydata(), _columns(run)["train_loss"])
    assert _legend(ax) == ["r0"]
    assert "validation" not in ax.get_title()


def test_a_compare_folder_expands_into_its_variants(run_cli) -> None:
    folder = _compare(run_cli)
    summary = json.loads((folder / "summary.json").read_text())
    labels = [v["label"] for v in summary["variants"]]
    assert labels == ["mse", "mae"]
    runs = history.load_runs([folder])
    assert [r.label for r in runs] == labels
    fig, ax = _figure([folder])
    assert len(_curves(ax)) == 4  # train and validation of each variant
    assert _legend(ax) == ["mse · train", "mse · validation", "mae · train", "mae · validation"]
    for variant in summary["variants"]:
        numbers = _columns(folder / variant["folder"])
        train, val = _line(ax, f"{variant['label']} · train"), _line(ax, f"{variant['label']} · validation")
        _same(train.get_ydata(), numbers["train_loss"])
        _same(val.get_ydata(), numbers["val_loss"])
        assert train.get_color() == val.get_color() and val.get_linestyle() == "--"
    assert _line(ax, "mse · train").get_color() != _line(ax, "mae · train").get_color()
    assert summary["title"] in ax.get_title()

    result = run_cli("plot", "c", "--out", "both.svg")
    assert result.exit_code == 0, result.output
    assert "of 2 runs" in result.stdout
    assert "<svg" in Path("both.svg").read_text()


def test_runs_sharing_a_name_are_told_apart(run_cli) -> None:
    a, b = _train(run_cli, "a/run"), _train(run_cli, "b/run")
    assert [r.label for r in history.load_runs([a, b])] == ["a/run", "b/run"]
    assert [r.label for r in history.load_runs([a, a])] == ["run", "run (2)"]
    first, second = _compare(run_cli, "c1"), _compare(run_cli, "c2")
    labels = [r.label for r in history.load_runs([first, second, a])]
    assert labels == ["c1: mse", "c1: mae", "c2: mse", "c2: mae", "run"]


def test_metric_picks_a_column(run_cli, tmp_path: Path) -> None:
    run = _train(run_cli, "r1")
    folder = _compare(run_cli)
    fig, ax = _figure([run, folder], metric="mae")
    assert len(_curves(ax)) == 3  # one per run: no dashed validation curve
    assert _legend(ax) == ["r1", "mse", "mae"]
    _same(_line(ax, "r1").get_ydata(), _columns(run)["mae"])
    _same(_line(ax, "mae").get_ydata(), _columns(folder / "loss=mae")["mae"])
    assert all(line.get_linestyle() == "-" for line in _curves(ax))
    assert ax.get_ylabel() == "mae" and "mae against epoch, 3 runs" in ax.get_title()

    fig, ax = _figure([run], metric="Grad-Norm")
    _same(_curves(ax)[0].get_ydata(), _columns(run)["grad_norm"])

    result = run_cli("plot", "r1", "--metric", "lr", "--out", "lr.pdf")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "lr.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_diverged_run_ends_in_an_x_and_goes_on_a_log_axis(run_cli) -> None:
    run = _train(run_cli, "rd", "--lr", "5", code=3)
    fig, ax = _figure([run])
    markers = {(float(line.get_xdata()[0]), float(line.get_ydata()[0]))
               for line in ax.lines if line.get_marker() == "x"}
    numbers = _columns(run)
    # the last epoch of the train and of the validation curve
    last = numbers["epoch"][-1]
    assert markers == {(last, numbers["train_loss"][-1]), (last, numbers["val_loss"][-1])}
    assert _legend(ax) == ["rd · train, diverged", "rd · validation, diverged"]
    assert ax.get_yscale() == "log"  # from 2.6 to 9e9


@pytest.mark.parametrize("flag, scale", [("--log", "log"), ("--linear", "linear"), (None, "log")])
def test_log_and_linear_set_the_scale(run_cli, monkeypatch, flag: str | None, scale: str) -> None:
    _train(run_cli, "r1")
    drawn = []
    draw = history.history_figure
    monkeypatch.setattr(history, "history_figure", lambda *a, **k: drawn.append(draw(*a, **k)) or drawn[-1])
    result = run_cli("plot", "r1", *([flag] if flag else []))
    assert result.exit_code == 0, result.output
    assert drawn[0].axes[0].get_yscale() == scale


def test_linear_overrides_the_automatic_log_scale(run_cli) -> None:
    run = _train(run_cli, "rd", "--lr", "5", code=3)
    assert _figure([run], log=False)[1].get_yscale() == "linear"


# ------------------------------------------------------------------ refusals
def _empty(path: Path) -> None:
    path.mkdir()
    (path / "history.csv").write_text("")


def _header_only(path: Path) -> None:
    path.mkdir()
    (path / "history.csv").write_text("epoch,train_loss,val_loss,penalty,lr,grad_norm,seconds\n")


def _garbled(path: Path) -> None:
    path.mkdir()
    (path / "history.csv").write_text("epoch,train_loss\n1,0.5\n2,lots\n")


@pytest.mark.parametrize("args, make, fragments", [
    ((), None, ["Give at least one run folder or compare folder"]),
    (("nowhere",), None, ["nowhere does not exist", "run folder", "compare folder"]),
    (("r1/history.csv",), None, ["r1/history.csv is a file, not a folder", "(r1)"]),
    (("plain",), lambda p: p.mkdir(), ["plain is neither a run folder nor a compare folder",
                                       "expected history.csv (a run) or summary.json"]),
    (("r1", "e"), _empty, ["e/history.csv is empty"]),
    (("e",), _header_only, ["e/history.csv has a header but no rows"]),
    (("e",), _garbled, ["e/history.csv line 3, column train_loss: `lots` is not a number"]),
    (("r1", "--metric", "accuracy"), None, ["--metric accuracy: the run r1", "no column `accuracy`",
                                            "its columns: epoch, train_loss, val_loss, penalty, r2"]),
    (("r1", "--out", "curves.jpg"), None, ["--out curves.jpg: expected a file ending in .png, .svg, .pdf"]),
    (("r1", "--out", "missing/p.png"), None, ["the folder missing does not exist"]),
])
def test_bad_input_is_one_line_and_writes_nothing(run_cli, tmp_path: Path, args, make, fragments) -> None:
    _train(run_cli, "r1")
    if make is not None:
        make(tmp_path / args[-1])
    before = _files(tmp_path)
    result = run_cli("plot", *args)
    _one_line_error(result, *fragments)
    assert _files(tmp_path) == before


@pytest.mark.parametrize("out, fragment", [
    (None, "The default output plot.png already exists; lossfit never overwrites a file: pass --out FILE"),
    ("mine.png", "--out mine.png already exists; lossfit never overwrites a file"),
])
def test_an_existing_output_file_is_refused(run_cli, tmp_path: Path, out: str | None, fragment: str) -> None:
    _train(run_cli, "r1")
    target = tmp_path / (out or "plot.png")
    target.write_bytes(b"keep me")
    before = _files(tmp_path)
    result = run_cli("plot", "r1", *(["--out", out] if out else []))
    _one_line_error(result, fragment)
    assert target.read_bytes() == b"keep me" and _files(tmp_path) == before


def test_a_compare_folder_missing_a_variant_is_refused(run_cli, tmp_path: Path) -> None:
    folder = _compare(run_cli)
    (folder / "loss=mae" / "history.csv").unlink()
    result = run_cli("plot", "c")
    _one_line_error(result, "c/loss=mae has no history.csv", "summary.json lists it")
    assert not (tmp_path / "plot.png").exists()
