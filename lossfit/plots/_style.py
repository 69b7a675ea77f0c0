"""What every lossfit figure shares: colours, resolution, atomic saving, axis spans."""

from __future__ import annotations

import contextlib
import math
import os
import textwrap
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from lossfit.errors import reason

TRAIN_COLOR, VAL_COLOR = "#1f77b4", "#d62728"
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
# One colour per variant in comparisons (matplotlib's tab10 without its grey, which reads as "data").
VARIANT_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
                  "#17becf"]
TRUTH_COLOR = "#444444"
DPI = 120


def save(fig: Figure, path: Path) -> None:
    """Write `fig` to `path` (PNG, SVG or PDF by its suffix) through a temporary name: never half written."""
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix or '.png'}")
    try:
        fig.savefig(tmp, dpi=DPI, bbox_inches="tight")
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
