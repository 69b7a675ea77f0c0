"""Curves against epochs: one run's loss curve, and several runs' curves on one axes.

The y-axis is logarithmic when the positive values span more than two decades
(`wants_log`), the same rule for `train`, `compare` and `plot`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from lossfit.plots._style import TRAIN_COLOR, VAL_COLOR
from lossfit.training import EpochRecord

ENDINGS = ("diverged", "failed", "interrupted", "terminated", "early_stopped")  # statuses marked on a curve where they happened


def wants_log(*series: np.ndarray) -> bool:
    """True when the finite positive values span more than two decades (a factor 100)."""
    values = np.concatenate([np.asarray(s, dtype=float).ravel() for s in series]) if series else np.empty(0)
    positive = values[np.isfinite(values) & (values > 0)]
    return bool(positive.size) and float(positive.max() / positive.min()) > 100


def loss_curve(records: list[EpochRecord], title: str = "", status: str = "completed") -> Figure:
    """Train and validation loss of one run against epochs."""
    epochs = np.array([r.epoch for r in records])
    train = np.array([r.train_loss for r in records], dtype=float)
    val = np.array([r.val_loss for r in records], dtype=float)
    fig = Figure(figsize=(7, 4.2))
    ax = fig.add_subplot()
    ax.plot(epochs, train, color=TRAIN_COLOR, label="train loss", linewidth=1.8)
    if np.isfinite(val).any():
        ax.plot(epochs, val, color=VAL_COLOR, label="validation loss", linewidth=1.8, linestyle="--")
    if wants_log(train, val):
        ax.set_yscale("log")
    if status in ENDINGS:
        mark_ending(ax, int(epochs[-1]), status)
    finish_epoch_axes(ax, "loss", title)
    ax.legend(frameon=False)
    return fig


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


def finish_epoch_axes(ax: Axes, ylabel: str, title: str = "") -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
