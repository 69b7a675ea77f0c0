"""What makes the run plots fast keeps them whole (issue 12, target 3): the figures are laid out once
(`_style.lay_out`, no layout engine left to run on each draw, no tight crop), written with zlib's fastest
level, and still hold every label, title, legend and colorbar inside the figure without overlaps."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

import lossfit
from lossfit import metrics
from lossfit.plots import _style
from lossfit.plots import run as run_plots
from lossfit.sinks import RunInfo


def _figures(**options: Any) -> dict[str, Figure]:
    """The plots `lossfit train` draws for these options (file name -> Figure), after a short run."""
    result = lossfit.train(**{"epochs": 20, **options})
    prepared = result.prepared
    info = RunInfo(title=prepared.title, task=prepared.data.task, main_metric=metrics.MAIN[prepared.data.task],
                   epochs=prepared.config.epochs, n_train=len(prepared.data.X_train),
                   n_val=len(prepared.data.X_val), config=prepared.resolved, prepared=prepared)
    return {name: make() for name, make in run_plots.run_figures(info, result.records, result.summary)}


def _extent(artist: Any, fig: Figure) -> Any:
    return artist.get_tightbbox(fig.canvas.get_renderer())  # type: ignore[attr-defined]


def _zlib_level(png: Path) -> int:
    """FLEVEL of the PNG's zlib stream (0: fastest, 1: fast, 2: default, 3: best)."""
    data = png.read_bytes()
    at = 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            return data[at + 9] >> 6  # the second byte of the zlib header
        at += 12 + length
    raise AssertionError("no IDAT chunk")


LAID_OUT = [
    (dict(), {"loss_curve.png", "fit.png"}),
    (dict(dataset="moons", loss="hinge"), {"loss_curve.png", "decision_boundary.png"}),
    (dict(dataset="blobs", loss="cross_entropy", schedule="cosine(T_max=20)"), {"loss_curve.png", "decision_boundary.png"}),
]


@pytest.mark.parametrize("options, names", LAID_OUT)
def test_run_figures_have_no_layout_engine_and_fit_inside(options: dict[str, Any], names: set[str]) -> None:
    figures = _figures(**options)
    for name in names:
        fig = figures[name]
        assert fig.get_layout_engine() is None, name  # nothing left to lay out again when drawn
        inside = fig.bbox.padded(-0.05 * fig.dpi)  # half the PAD of white at least, on every side
        for ax in fig.axes:
            box = _extent(ax, fig)
            assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1, \
                (name, box, fig.bbox)


def test_the_decision_boundary_colorbar_sits_under_the_axis_labels() -> None:
    fig = _figures(dataset="moons")["decision_boundary.png"]
    plane, bar = fig.axes
    assert "P(class 1)" in bar.get_xlabel()
    assert _extent(bar, fig).y1 < _extent(plane, fig).y0  # below "x1" and the tick labels, not over them


def test_a_laid_out_png_is_the_figure_uncropped_at_the_fastest_level(tmp_path: Path) -> None:
    fig = _figures()["loss_curve.png"]
    _style.save(fig, tmp_path / "loss_curve.png")
    width, height = fig.get_size_inches() * _style.DPI
    assert Image.open(tmp_path / "loss_curve.png").size == (round(width), round(height))
    assert _zlib_level(tmp_path / "loss_curve.png") == 0


def test_other_figures_keep_their_tight_crop(tmp_path: Path) -> None:
    fig = Figure(figsize=(4, 3), layout="constrained")
    fig.add_subplot().plot([0, 1], [0, 1])
    _style.save(fig, tmp_path / "other.png")
    assert Image.open(tmp_path / "other.png").size != (4 * _style.DPI, 3 * _style.DPI)
    assert _zlib_level(tmp_path / "other.png") == 0
    _style.save(fig, tmp_path / "other.svg")  # no PNG options for other formats
    assert (tmp_path / "other.svg").read_text().lstrip().startswith("<?xml")


def test_a_title_rises_over_the_y_axis_offset_text() -> None:
    fig = _style.new_figure(6, 4)
    ax = fig.add_subplot()
    ax.plot(np.linspace(0, 1, 20), 1e6 + np.linspace(0, 3, 20))  # ticks 0..3 and "+1e6" above the axis
    _style.title(ax, "a title as wide as the axes " * 3)
    _style.lay_out(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.draw(renderer)
    offset = ax.yaxis.get_offset_text()
    assert offset.get_text()
    assert ax.title.get_window_extent(renderer).y0 >= offset.get_window_extent(renderer).y1
    assert ax.title.get_window_extent(renderer).y1 <= fig.bbox.y1


def test_a_heading_stays_above_a_grid_of_titled_axes() -> None:
    fig = _style.new_figure(8, 3.5)
    axes = fig.subplots(1, 3)
    for index, ax in enumerate(axes):
        ax.plot([0, 1], [index, 10 ** index])
        _style.title(ax, f"panel {index}", fontsize=9)
        ax.set_ylabel("a y label")
    heading = fig.suptitle("first line\nsecond line of a heading", fontsize=10)
    _style.lay_out(fig, heading=heading)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    top = heading.get_window_extent(renderer)
    assert top.y1 <= fig.bbox.y1
    boxes = [_extent(ax, fig) for ax in axes]
    assert all(box.y1 < top.y0 for box in boxes)  # every panel's title under the heading
    assert all(left.x1 < right.x0 for left, right in zip(boxes, boxes[1:]))  # labels do not overlap the next panel
