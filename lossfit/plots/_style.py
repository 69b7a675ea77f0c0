"""What every lossfit figure shares: colours, resolution, layout, atomic saving, axis spans."""

from __future__ import annotations

import contextlib
import math
import os
import textwrap
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from weakref import WeakSet

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.gridspec import SubplotSpec
from matplotlib.text import Text

from lossfit.errors import reason

TRAIN_COLOR, VAL_COLOR = "#1f77b4", "#d62728"
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
# One colour per variant in comparisons (matplotlib's tab10 without its grey, which reads as "data").
VARIANT_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
                  "#17becf"]
TRUTH_COLOR = "#444444"
DPI = 120
PAD = 0.1  # inches of white around a laid-out figure's content, as savefig's bbox_inches="tight" left
BORDER = 2 * PAD - 2 * 3 / 72  # what that crop added to a constrained figure (whose own padding is 3/72 in)
PNG_OPTIONS = {"compress_level": 1}  # zlib's fastest: encodes 1.4-2.7x faster than its default 6, files 20-40% larger
_LAID_OUT: WeakSet[Figure] = WeakSet()  # figures that `lay_out` placed: saved as they are, without a tight crop


def new_figure(width: float, height: float) -> Figure:
    """A figure for `lay_out`: `width` x `height` inches of content plus the white border around it, at DPI.

    Its Agg canvas is attached now, so measuring (`lay_out`) and drawing (`save`) share one renderer
    and the text sizes it has measured.
    """
    fig = Figure(figsize=(width + BORDER, height + BORDER), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def lay_out(fig: Figure, heading: Text | None = None) -> Figure:
    """Place the axes of `fig` (one grid of subplots) once, so that every label, title, outside legend and
    colorbar fits in the figure with PAD inches around it and between the cells, under the figure's
    `heading` (its suptitle) when it has one.

    Each axes is measured once with its ticks and texts (what matplotlib's tight layout measures, which
    it does twice): no layout engine is left to run again on each draw, and no extra drawing pass for
    savefig's tight crop.
    """
    shown = [ax for ax in fig.axes if ax.get_visible()]
    if not shown:
        return fig
    rows, cols = _cell(shown[0]).get_geometry()[:2]
    width, height = fig.get_size_inches()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # the Agg canvas of new_figure
    # inches that labels, titles and legends reach beyond the axes, at each column's and row's edges
    left, right, top, bottom = np.zeros(cols), np.zeros(cols), np.zeros(rows), np.zeros(rows)
    lifts = []
    for ax in shown:
        spec = _cell(ax)
        box = ax.get_position(original=True).transformed(fig.transFigure)
        reach = ax.get_tightbbox(renderer, for_layout_only=True)
        lift = _title_lift(ax, renderer, box.y1)
        if lift:
            lifts.append((ax, lift))
            ax.title.set_y(1 + lift / box.height)
            reach = ax.get_tightbbox(renderer, for_layout_only=True)
        if reach is None:
            continue
        column, row = spec.colspan, spec.rowspan
        left[column.start] = max(left[column.start], (box.x0 - reach.x0) / fig.dpi)
        right[column.stop - 1] = max(right[column.stop - 1], (reach.x1 - box.x1) / fig.dpi)
        top[row.start] = max(top[row.start], (reach.y1 - box.y1) / fig.dpi)
        bottom[row.stop - 1] = max(bottom[row.stop - 1], (box.y0 - reach.y0) / fig.dpi)
    above = 0.0
    if heading is not None:
        heading.set_y(1 - PAD / height)
        above = heading.get_window_extent(renderer).height / fig.dpi + PAD
    fig.subplots_adjust(left=(left[0] + PAD) / width, right=1 - (right[-1] + PAD) / width,
                        top=1 - (top[0] + PAD + above) / height, bottom=(bottom[-1] + PAD) / height,
                        wspace=_spacing(right[:-1] + left[1:] + PAD, width - left[0] - right[-1] - 2 * PAD),
                        hspace=_spacing(bottom[:-1] + top[1:] + PAD, height - top[0] - bottom[-1] - 2 * PAD - above))
    for ax, lift in lifts:  # the same height in pixels over the resized axes
        ax.title.set_y(1 + lift / ax.get_position().transformed(fig.transFigure).height)
    _LAID_OUT.add(fig)
    return fig


def title(ax: Any, text: str, **style: Any) -> None:
    """`ax.set_title(text)` (10 pt unless `style` says otherwise) at a fixed height, so that matplotlib does
    not measure the y axis once more on every draw to place it; `lay_out` lifts it over the y axis's offset
    text (a `1e6` above the axis) when there is one."""
    ax.set_title(text, y=1.0, **{"fontsize": 10, **style})


def _title_lift(ax: Any, renderer: Any, axes_top: float) -> float:
    """Pixels a title at y=1 must rise to clear the y axis's offset text (0 when there is none), once the
    axes has been measured (which sets that text)."""
    if not ax.get_title():
        return 0.0
    offset = ax.yaxis.get_offset_text()
    if not (offset.get_visible() and offset.get_text()):
        return 0.0
    return max(0.0, float(offset.get_window_extent(renderer).y1 - axes_top))


def _cell(ax: Any) -> SubplotSpec:
    spec = ax.get_subplotspec()
    assert spec is not None, "lay_out places subplots: every axes of its figure is in one grid"
    return spec  # type: ignore[no-any-return]


def _spacing(gaps: np.ndarray, room: float) -> float:
    """subplots_adjust's wspace (or hspace) for cells `gaps` inches apart in `room` inches: the widest gap
    as a fraction of the mean cell."""
    if not len(gaps):
        return 0.0
    gap = float(gaps.max())
    return gap / ((room - gap * len(gaps)) / (len(gaps) + 1))


def save(fig: Figure, path: Path) -> None:
    """Write `fig` to `path` (PNG, SVG or PDF by its suffix) through a temporary name: never half written.

    A figure from `lay_out` is written as it is; any other is cropped to its content (bbox_inches="tight").
    """
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix or '.png'}")
    options: dict[str, Any] = {"pil_kwargs": PNG_OPTIONS} if tmp.suffix.lower() == ".png" else {}
    if fig not in _LAID_OUT:
        options["bbox_inches"] = "tight"
    try:
        fig.savefig(tmp, dpi=DPI, **options)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):  # e.g. the folder is a file: the first error says so
            tmp.unlink(missing_ok=True)
        raise


def draw_each(path: Path, jobs: Iterable[tuple[str, Callable[[], Figure]]]) -> Iterator[tuple[str, str | None]]:
    """Draw and save each (file name, figure maker) into `path` in turn, yielding (file name, None) once
    written or (file name, why) when it failed: one plot that fails never costs the others."""
    for name, make in jobs:
        try:
            # A diverged run's huge or infinite values make NumPy and matplotlib warn about overflow:
            # the run's message already says what happened.
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                save(make(), path / name)
        except Exception as err:
            yield name, reason(err)
        else:
            yield name, None


def wrap_title(title: str, width_inches: float, fontsize: float = 10) -> str:
    """`title` broken at its ` · ` separators (words when one part is too long) into lines that fit a figure
    `width_inches` wide at `fontsize` points; lines already in `title` are kept."""
    most = max(20, int(width_inches * 72 / (0.56 * fontsize)))  # about 0.56 em per character of DejaVu Sans
    lines: list[str] = []
    for paragraph in title.split("\n"):
        line = ""
        for part in paragraph.split(" · "):
            if line and len(line) + 3 + len(part) > most:
                lines.append(line)
                line = part
            else:
                line = f"{line} · {part}" if line else part
        lines.append(line)
    return "\n".join(textwrap.fill(line, most, break_on_hyphens=False) for line in lines)


def stamp(ax: Any, text: str) -> None:
    """A red boxed word at the top of the axes, over the data: `diverged`."""
    ax.text(0.5, 0.97, text, transform=ax.transAxes, ha="center", va="top", fontsize=13, color="#c0392b",
            fontweight="bold", zorder=10,
            bbox={"facecolor": "white", "edgecolor": "#c0392b", "boxstyle": "round,pad=0.3", "alpha": 0.9})


def variant_color(index: int) -> str:
    return VARIANT_COLORS[index % len(VARIANT_COLORS)]


def span(values: np.ndarray, margin: float = 0.08) -> tuple[float, float]:
    """The range of `values` widened by `margin` on each side (1 when they are all equal)."""
    low, high = float(np.min(values)), float(np.max(values))
    pad = (high - low) * margin or 1.0
    return low - pad, high + pad


def all_finite(values: np.ndarray) -> bool:
    return bool(np.isfinite(values).all()) and not math.isnan(float(np.sum(values)))
