"""Plots, drawn with matplotlib's object API (`Figure`, Agg) and never pyplot.

Imported only when a plot is drawn, so `lossfit --help` never pays for matplotlib.

- `loss_curve`: train and validation loss against epochs (log scale when the
  loss spans more than two decades).
- `fit_plot`: regression with one feature: the data and the fitted line, in
  the data's original units; more features: predicted against actual.
- `decision_boundary`: classification with two features: the data and the
  model's decision regions.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from lossfit.sinks import RunInfo, RunSummary
from lossfit.training import EpochRecord

TRAIN_COLOR, VAL_COLOR = "#1f77b4", "#d62728"
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
DPI = 120


def draw_run(path: Path, info: RunInfo, records: list[EpochRecord], summary: RunSummary) -> list[str]:
    """Draw every plot that applies to this run into `path`; return the file names written."""
    # A diverged run's huge or infinite values make NumPy and matplotlib warn about overflow:
    # the run's message already says what happened.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return _draw_run(path, info, records, summary)


def _draw_run(path: Path, info: RunInfo, records: list[EpochRecord], summary: RunSummary) -> list[str]:
    written = []
    if records:
        _save(loss_curve(records, title=info.title, status=summary.status), path / "loss_curve.png")
        written.append("loss_curve.png")
    if summary.classes is not None:
        from lossfit import report

        classes = summary.classes
        names = [row["class"] for row in classes["report"]]
        title = f"{info.title}\n{classes['split']} split"
        _save(report.confusion_matrix_figure(classes["confusion_matrix"], names, title), path / "confusion_matrix.png")
        written.append("confusion_matrix.png")
    prepared = info.prepared
    if prepared is None:
        return written
    dataset, model = prepared.dataset, prepared.model
    if dataset.task == "regression":
        _save(fit_plot(dataset, model, title=info.title, link=prepared.loss.predict), path / "fit.png")
        written.append("fit.png")
    elif dataset.n_features == 2:
        _save(decision_boundary(dataset, model, title=info.title), path / "decision_boundary.png")
        written.append("decision_boundary.png")
    return written


def _save(fig: Figure, path: Path) -> None:
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=DPI, bbox_inches="tight")
    os.replace(tmp, path)


def loss_curve(records: list[EpochRecord], title: str = "", status: str = "completed") -> Figure:
    epochs = np.array([r.epoch for r in records])
    train = np.array([r.train_loss for r in records], dtype=float)
    val = np.array([r.val_loss for r in records], dtype=float)
    fig = Figure(figsize=(7, 4.2))
    ax = fig.add_subplot()
    ax.plot(epochs, train, color=TRAIN_COLOR, label="train loss", linewidth=1.8)
    if np.isfinite(val).any():
        ax.plot(epochs, val, color=VAL_COLOR, label="validation loss", linewidth=1.8, linestyle="--")
    finite = np.concatenate([train[np.isfinite(train)], val[np.isfinite(val)]])
    positive = finite[finite > 0]
    if positive.size and positive.max() / positive.min() > 100:
        ax.set_yscale("log")
    if status in ("diverged", "interrupted", "early_stopped"):
        last = epochs[-1]
        ax.axvline(last, color="black", linewidth=1, linestyle=":")
        ax.annotate(f"{status.replace('_', ' ')} at epoch {last} ", (last, 0.97), xycoords=("data", "axes fraction"),
                    ha="right", va="top", fontsize=9, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)
    return fig


def fit_plot(dataset: Any, model: Any, title: str = "", link: Any = None) -> Figure:
    """`link` maps the model output to the target's units (e.g. exp for a log-rate)."""
    predict = model.predict if link is None else (lambda X: link(model.predict(X)))
    fig = Figure(figsize=(6.5, 4.5))
    ax = fig.add_subplot()
    if dataset.n_features == 1:
        x_train = dataset.raw_X(dataset.X_train)[:, 0]
        ax.scatter(x_train, dataset.y_train, s=16, alpha=0.7, color=TRAIN_COLOR, label="train")
        if len(dataset.X_val):
            x_val = dataset.raw_X(dataset.X_val)[:, 0]
            ax.scatter(x_val, dataset.y_val, s=18, alpha=0.8, color=VAL_COLOR, marker="^", label="validation")
        grid_std = np.linspace(*_span(np.concatenate([dataset.X_train[:, 0], dataset.X_val[:, 0]])), 200)
        grid = grid_std[:, None]
        prediction = predict(grid)
        if _all_finite(prediction):
            ax.plot(dataset.raw_X(grid)[:, 0], prediction, color="black", linewidth=2, label="fitted")
        ax.set_xlabel(dataset.feature_names[0] if dataset.feature_names else "x")
        ax.set_ylabel("y")
    else:
        X = np.concatenate([dataset.X_train, dataset.X_val])
        y = np.concatenate([dataset.y_train, dataset.y_val])
        prediction = predict(X)
        if _all_finite(prediction):
            ax.scatter(y, prediction, s=14, alpha=0.7, color=TRAIN_COLOR)
        low, high = float(np.min(y)), float(np.max(y))
        ax.plot([low, high], [low, high], color="black", linewidth=1, linestyle="--", label="perfect fit")
        ax.set_xlabel("actual")
        ax.set_ylabel("predicted")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)
    return fig


def decision_boundary(dataset: Any, model: Any, title: str = "", resolution: int = 300) -> Figure:
    X = np.concatenate([dataset.X_train, dataset.X_val])
    raw = dataset.raw_X(X)
    (x0_low, x0_high), (x1_low, x1_high) = _span(raw[:, 0]), _span(raw[:, 1])
    g0, g1 = np.meshgrid(np.linspace(x0_low, x0_high, resolution), np.linspace(x1_low, x1_high, resolution))
    grid_raw = np.column_stack([g0.ravel(), g1.ravel()])
    grid = (grid_raw - dataset.x_mean) / dataset.x_std
    out = model.predict(grid)
    k = max(dataset.n_classes, 2)
    colors = ListedColormap(CLASS_COLORS[:k])
    fig = Figure(figsize=(6.5, 5))
    ax = fig.add_subplot()
    if _all_finite(out):
        labels = (out > 0).astype(int) if out.ndim == 1 else out.argmax(axis=1)
        ax.contourf(g0, g1, labels.reshape(g0.shape), levels=np.arange(k + 1) - 0.5, cmap=colors, alpha=0.18)
        if out.ndim == 1:  # the boundary itself: score = 0
            ax.contour(g0, g1, out.reshape(g0.shape), levels=[0.0], colors="black", linewidths=1.5)
    names = dataset.class_names or tuple(str(c) for c in range(k))
    for index, (X_part, y_part, marker) in enumerate(
        [(dataset.X_train, dataset.y_train, "o"), (dataset.X_val, dataset.y_val, "^")]
    ):
        if not len(X_part):
            continue
        raw_part = dataset.raw_X(X_part)
        for c in range(k):
            mask = np.asarray(y_part).astype(int) == c
            label = f"{names[c]}" + (" (val)" if index else "")
            ax.scatter(raw_part[mask, 0], raw_part[mask, 1], s=18, color=CLASS_COLORS[c], marker=marker,
                       edgecolor="white", linewidth=0.4, label=label)
    ax.set_xlim(x0_low, x0_high)
    ax.set_ylim(x1_low, x1_high)
    features = dataset.feature_names or ("x0", "x1")
    ax.set_xlabel(features[0])
    ax.set_ylabel(features[1])
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: no data hidden
    return fig


def _span(values: np.ndarray, margin: float = 0.08) -> tuple[float, float]:
    low, high = float(np.min(values)), float(np.max(values))
    pad = (high - low) * margin or 1.0
    return low - pad, high + pad


def _all_finite(values: np.ndarray) -> bool:
    return bool(np.isfinite(values).all()) and not math.isnan(float(np.sum(values)))
