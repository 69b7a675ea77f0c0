"""The plots of a compare folder: curves.png, and fits.png or models.png.

- `curves.png`: each variant's training loss divided by its first value (so
  different losses share one axis), and beside it the common metric on the
  validation split, against epochs.
- `fits.png` (one-feature regression): the data, every variant's fitted line
  and the true line when the generator knows it: the outlier lesson in one picture.
- `models.png` (otherwise): one panel per variant on the same data and the same
  axis limits: decision boundaries (two-feature classification) or predicted
  against actual (regression with several features).

Every figure is titled with what was compared and on what; legends name each
variant as it was given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from lossfit.data import true_line, true_target
from lossfit.metrics import NAMES
from lossfit.plots._style import TRUTH_COLOR, all_finite, draw_each, lay_out, new_figure, variant_color, wrap_title
from lossfit.plots._style import title as set_title
from lossfit.plots.curves import Series, overlay
from lossfit.plots.models import draw_boundary, draw_data_1d, draw_fit_1d, draw_predicted_vs_actual, line_grid
from lossfit.training import EpochRecord


def draw_compare(path: Path, race: Any, verdict: Any, records: Sequence[Sequence[EpochRecord]]
                 ) -> Iterator[tuple[str, str | None]]:
    """Draw every comparison plot that applies into `path`, one at a time: yields (file name, None) for a
    plot written, (file name, why) for one that could not be drawn (it never costs the comparison its summary)."""
    return draw_each(path, compare_figures(race, verdict, records))


def compare_figures(race: Any, verdict: Any, records: Sequence[Sequence[EpochRecord]]
                    ) -> list[tuple[str, Callable[[], Figure]]]:
    """(file name, a function drawing its figure) for every comparison plot that applies (the compare
    folder draws them; a notebook's `CompareResult.plot()` shows them)."""
    jobs: list[tuple[str, Callable[[], Figure]]] = [("curves.png", lambda: curves_figure(race, verdict, records))]
    if race.task == "regression" and race.dataset.n_features == 1:
        jobs.append(("fits.png", lambda: fits_figure(race, verdict)))
    elif race.task == "regression" or race.dataset.n_features == 2:
        jobs.append(("models.png", lambda: models_figure(race, verdict)))
    return jobs


def subtitle(race: Any) -> str:
    """What every variant shares: model, optimizer, lr, epochs, batch... (as given; the settings that do not vary)."""
    first = race.entries[0].prepared
    shared = {key: value if value != "" else first.resolved.get(key) for key, value in
              race.config.experiment_dict().items()}
    shared["model"] = first.model.describe(first.loss.task)
    keys = ("model", "loss", "optimizer", "lr", "schedule", "batch_size", "epochs", "class_weight", "l2", "l1",
            "clip_grad")
    parts = []
    for key in keys:
        if key in race.varying or key not in shared:
            continue
        value = shared[key]
        if key == "schedule" and value == "constant" or key in ("l2", "l1", "clip_grad") and not value:
            continue
        if key == "batch_size":
            parts.append("full batch" if value == "full" else f"batch {value}")
        elif key == "class_weight":
            parts.append(f"class_weight {value}")
        elif key in ("lr", "epochs", "l2", "l1", "clip_grad"):
            parts.append(f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}")
        else:
            parts.append(str(value))
    return " · ".join(parts)


def title_of(race: Any) -> str:
    return f"{race.title}\n{subtitle(race)}"


def curves_figure(race: Any, verdict: Any, records: Sequence[Sequence[EpochRecord]]) -> Figure:
    """Training loss / its first value, and the common metric, for every variant against epochs."""
    fig = new_figure(12, 4.6)
    left, right = fig.subplots(1, 2)
    relative, metric_series = [], []
    metric = race.live_metric
    for index, (entry, standing, rows) in enumerate(zip(race.entries, verdict.standings, records)):
        epochs = np.array([r.epoch for r in rows])
        train = np.array([r.train_loss for r in rows], dtype=float)
        start = entry.initial_loss  # at the initial weights: a mini-batch epoch 1 is already a mean on the way down
        first = start if math.isfinite(start) and start != 0 else 1.0
        status = standing.status
        color = variant_color(index)
        relative.append(Series(entry.label, epochs, train / first, color, status))
        values = np.array([r.metrics.get(metric, math.nan) for r in rows], dtype=float)
        metric_series.append(Series(entry.label, epochs, values, color, status))
    overlay(left, relative, "training loss / its value at the start", "each variant's own loss, relative to its start")
    split = "validation" if len(race.dataset.X_val) else "training"
    overlay(right, metric_series, f"{NAMES.get(metric, metric)} ({split})",
            f"the common measure: {NAMES.get(metric, metric)} on the {split} split", log=False)
    left.legend(frameon=False, fontsize=8)
    return lay_out(fig, heading=fig.suptitle(wrap_title(title_of(race), 11.5), fontsize=10))


def fits_figure(race: Any, verdict: Any) -> Figure:
    """One-feature regression: the data, every variant's fitted line, and the truth when it is known."""
    dataset = race.dataset
    fig = new_figure(8.5, 5.6)
    ax = fig.add_subplot()
    draw_data_1d(ax, dataset)
    y_all = np.concatenate([dataset.y_train, dataset.y_val])
    grid = line_grid(dataset)
    drawn_truths: set[float | None] = set()
    for index, (entry, standing) in enumerate(zip(race.entries, verdict.standings)):
        color = variant_color(index)
        label = f"{entry.label}{_score_note(standing, verdict)}"
        prepared = entry.prepared
        ok = standing.status not in ("diverged", "failed") and draw_fit_1d(ax, dataset, predictor(prepared), color=color,
                                                           label=label, linewidth=2.2)
        if not ok:
            ax.plot([], [], color=color, label=f"{entry.label} ({standing.status}: no line)")
        quantile = standing.quantile
        if quantile not in (None, 0.5) and quantile not in drawn_truths:
            truth = true_target(dataset, grid, quantile)
            if truth is not None:
                ax.plot(dataset.raw_X(grid)[:, 0], truth, color=color, linewidth=1.2, linestyle=":",
                        label=f"true {quantile:g}-quantile")
                drawn_truths.add(quantile)
    if any(s.quantile in (None, 0.5) for s in verdict.standings):
        truth = true_target(dataset, grid)
        if truth is not None:
            ax.plot(dataset.raw_X(grid)[:, 0], truth, color=TRUTH_COLOR, linewidth=1.4, linestyle="--",
                    label="true line (no noise)" if _is_line(race) else "true curve (no noise)")
    low, high = np.percentile(y_all, [0.5, 99.5]) if len(y_all) > 20 else (y_all.min(), y_all.max())
    pad = 0.15 * (high - low or 1.0)
    ax.set_ylim(min(low, y_all.min()) - pad, max(high, y_all.max()) + pad)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    set_title(ax, wrap_title(title_of(race), 7.0))
    return lay_out(fig)


def predictor(prepared: Any) -> Callable[[np.ndarray], np.ndarray]:
    """Standardized X -> the run's prediction in the target's units."""

    def predict(X: np.ndarray) -> np.ndarray:
        return np.asarray(prepared.loss.predict(prepared.model.predict(X)))

    return predict


def _is_line(race: Any) -> bool:
    return true_line(race.dataset) is not None


def _score_note(standing: Any, verdict: Any) -> str:
    """`  (MAE 0.97, slope 1.88)`: the legend carries the verdict's number and, for lines, the slope."""
    parts = []
    score = standing.score(verdict.metric)
    if score is not None:
        parts.append(f"{NAMES.get(verdict.metric, verdict.metric)} {score:.3g}")
    if standing.slope is not None:
        parts.append(f"slope {standing.slope:.3g}")
    if standing.share_below is not None and standing.quantile not in (None, 0.5):
        parts.append(f"{standing.share_below:.0%} below")
    return f"  ({', '.join(parts)})" if parts else ""


def models_figure(race: Any, verdict: Any) -> Figure:
    """One panel per variant on the same data and limits: decision boundary or predicted against actual."""
    dataset = race.dataset
    n = len(race.entries)
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    width = 3.6 * cols + 1.6
    fig = new_figure(width, 3.4 * rows + 0.9)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    y_all = np.concatenate([dataset.y_train, dataset.y_val]) if dataset.task == "regression" else None
    limits = None
    if y_all is not None:
        low, high = float(np.min(y_all)), float(np.max(y_all))
        pad = 0.08 * (high - low or 1.0)
        limits = (low - pad, high + pad)
    for index, (ax, entry, standing) in enumerate(zip(axes, race.entries, verdict.standings)):
        prepared = entry.prepared
        if dataset.task == "regression":
            draw_predicted_vs_actual(ax, dataset, predictor(prepared), color=variant_color(index), limits=limits)
        elif standing.status not in ("diverged", "failed") and all_finite(np.concatenate([p.ravel() for p in prepared.model.params])):
            draw_boundary(ax, dataset, prepared.model, resolution=200, legend=index == cols - 1, point_size=10,
                          loss=prepared.loss)
        rank = f"#{standing.rank} · " if standing.rank is not None else ""
        set_title(ax, f"{rank}{entry.label}{_score_note(standing, verdict)}"
                  + (f" · {standing.status}" if standing.status in ("diverged", "failed") else ""), fontsize=9,
                  color=variant_color(index))
    for ax in axes[n:]:
        ax.set_visible(False)
    title = title_of(race)
    if dataset.task == "binary":
        title += ("\nshading: P(class 1), or the score for losses without a probability · solid: the boundary"
                  " (score 0) · dashed (hinge family): score -1 and +1, circled: the points inside them")
    return lay_out(fig, heading=fig.suptitle(wrap_title(title, width - 0.3), fontsize=10))
