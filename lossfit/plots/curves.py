"""Curves against epochs: one run's loss curve, and several runs' curves on one axes.

The y-axis is logarithmic when the positive values span more than a decade
(`wants_log`), the same rule for `train`, `compare` and `plot`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import Locator, MaxNLocator

from lossfit.plots._style import TRAIN_COLOR, VAL_COLOR, lay_out, new_figure, title as set_title, wrap_title
from lossfit.training import EpochRecord

ENDINGS = ("diverged", "failed", "interrupted", "terminated", "early_stopped")  # statuses marked on a curve where they happened


LOG_SPAN = 10.0


def wants_log(*series: np.ndarray) -> bool:
    """True when the finite positive values span more than a decade (a factor LOG_SPAN): a loss that
    falls geometrically is then a straight line, and its last decades do not vanish into the axis."""
    values = np.concatenate([np.asarray(s, dtype=float).ravel() for s in series]) if series else np.empty(0)
    positive = values[np.isfinite(values) & (values > 0)]
    return bool(positive.size) and float(positive.max() / positive.min()) > LOG_SPAN


def loss_curve(records: list[EpochRecord], title: str = "", status: str = "completed",
               schedule: str = "constant") -> Figure:
    """Train and validation loss of one run against epochs, and the learning rate below when `schedule`
    (its spec) is not constant.

    The y scale follows `wants_log`, whatever the task. A loss that reaches exactly 0 (hinge on
    separable data) is drawn down to the bottom of the axes (on a log axis, where 0 cannot be) and
    a note says from which epoch it is 0.
    """
    epochs = np.array([r.epoch for r in records])
    train = np.array([r.train_loss for r in records], dtype=float)
    val = np.array([r.val_loss for r in records], dtype=float)
    scheduled = schedule.split("(", 1)[0].strip() not in ("", "constant")
    fig = new_figure(7, 5.6 if scheduled else 4.4)
    if scheduled:
        ax, ax_lr = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    else:
        ax, ax_lr = fig.add_subplot(), None
    log = wants_log(train, val)
    floor = _log_floor(train, val) if log else 0.0  # where a loss of 0 is drawn
    drawn = [(train, TRAIN_COLOR, "train loss", "-")]
    if np.isfinite(val).any():
        drawn.append((val, VAL_COLOR, "validation loss", "--"))
    for values, color, label, style in drawn:
        ax.plot(epochs, np.where(values == 0, floor, values), color=color, label=label, linewidth=1.8,
                linestyle=style)
    if log:
        ax.set_yscale("log")
        top = ax.get_ylim()[1]
        if np.isfinite(floor) and floor > 0:
            ax.set_ylim(floor / 1.6, top)  # the zeros' line just above the bottom spine, not hidden under it
    zero_note(ax, epochs, drawn, log)
    if status in ENDINGS:
        mark_ending(ax, int(epochs[-1]), status)
    finish_epoch_axes(ax, "loss")
    if title:
        set_title(ax, wrap_title(title, 6.6))
    ax.legend(frameon=False, loc="best")
    if ax_lr is not None:
        lr_panel(ax_lr, epochs, np.array([r.lr for r in records], dtype=float), schedule)
        ax.set_xlabel("")
    return lay_out(fig)


def _log_floor(*series: np.ndarray) -> float:
    """The bottom of a log axis that has room under the smallest positive value: a loss of 0 is drawn there."""
    values = np.concatenate([np.asarray(s, dtype=float).ravel() for s in series])
    positive = values[np.isfinite(values) & (values > 0)]
    if not positive.size:
        return 1.0
    return float(positive.min()) / 3.0


def zero_note(ax: Axes, epochs: np.ndarray, drawn: list[tuple[np.ndarray, str, str, str]], log: bool) -> None:
    """Say from which epoch a curve is exactly 0 (a log axis cannot show 0: the curve sits on its bottom edge)."""
    notes = []
    for values, color, label, _ in drawn:
        zeros = np.flatnonzero(values == 0)
        if len(zeros):
            epoch = int(epochs[zeros[0]])
            notes.append(f"{label} = 0 from epoch {epoch}")
            ax.plot([epoch], [0.0], marker="v", color=color, markersize=8, clip_on=False,
                    transform=ax.get_xaxis_transform())  # x in data, y at the bottom of the axes
    if notes:
        where = ["(drawn along the bottom: a log axis has no 0)"] if log else []
        ax.annotate("\n".join(notes + where), (0.98, 0.1), xycoords="axes fraction", ha="right", va="bottom",
                    fontsize=8, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})


def lr_panel(ax: Axes, epochs: np.ndarray, lr: np.ndarray, schedule: str) -> None:
    """The learning rate each epoch used, under the loss curve."""
    ax.plot(epochs, lr, color="#2ca02c", linewidth=1.6)
    ax.set_ylim(bottom=0)  # linear, from 0: the schedule's shape (a cosine, steps, a cycle) as it is
    ax.annotate(f"schedule: {schedule.split('(', 1)[0].strip()}", (0.99, 0.92), xycoords="axes fraction", ha="right", va="top", fontsize=8,
                color="#2ca02c")
    finish_epoch_axes(ax, "learning rate")


@dataclass(frozen=True)
class Series:
    """One curve of an overlay: a label for the legend, x (epochs) and y, and how the run ended."""

    label: str
    epochs: np.ndarray
    values: np.ndarray
    color: str
    status: str = "completed"


def overlay(ax: Axes, series: Sequence[Series], ylabel: str, title: str = "", log: bool | None = None) -> None:
    """Several curves on one axes; a diverged or stopped curve ends in a marker that says so.

    `log=None` picks the scale by `wants_log`.
    """
    for s in series:
        ax.plot(s.epochs, s.values, color=s.color, linewidth=1.8, label=s.label)
        if s.status in ENDINGS and len(s.epochs):
            finite = np.isfinite(s.values)
            if finite.any():
                last = int(np.flatnonzero(finite)[-1])
                ax.plot(s.epochs[last], s.values[last], marker="x", color=s.color, markersize=9, mew=2)
    if log if log is not None else wants_log(*(s.values for s in series)):
        ax.set_yscale("log")
        for s in series:
            mark_zero(ax, s)
    finish_epoch_axes(ax, ylabel, title)


def mark_zero(ax: Axes, s: Series) -> None:
    """On a log axis a loss of exactly 0 (hinge, perceptron) cannot be drawn: mark where it got there."""
    zeros = np.flatnonzero(np.asarray(s.values) == 0)
    if not len(zeros):
        return
    epoch = int(s.epochs[zeros[0]])
    ax.plot([epoch], [0.0], marker="v", color=s.color, markersize=9, clip_on=False,
            transform=ax.get_xaxis_transform())  # x in data, y at the bottom of the axes
    ax.annotate(f"0 from epoch {epoch}", (epoch, 0.0), xycoords=ax.get_xaxis_transform(), xytext=(4, 6),
                textcoords="offset points", fontsize=8, color=s.color)


def mark_ending(ax: Axes, epoch: int, status: str) -> None:
    ax.axvline(epoch, color="black", linewidth=1, linestyle=":")
    ax.annotate(f"{status.replace('_', ' ')} at epoch {epoch} ", (epoch, 0.97), xycoords=("data", "axes fraction"),
                ha="right", va="top", fontsize=9, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})


class InView(Locator):
    """Another locator's ticks, only those inside the view: matplotlib makes a tick (five artists) for
    every location it is given, and a log axis's locator gives a decade more on each side."""

    def __init__(self, inner: Locator) -> None:
        self.inner = inner

    def set_axis(self, axis: Any) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def __call__(self) -> Any:
        low, high = sorted(self.axis.get_view_interval())  # type: ignore[union-attr]
        locations = np.asarray(self.inner())
        return locations[(locations >= low) & (locations <= high)]

    def tick_values(self, vmin: float, vmax: float) -> Any:
        return self.inner.tick_values(vmin, vmax)


def finish_epoch_axes(ax: Axes, ylabel: str, title: str = "") -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(InView(axis.get_major_locator()))
        axis.set_minor_locator(InView(axis.get_minor_locator()))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
