"""What a model does with the data: a fitted line (or predicted against actual), a decision boundary.

Each `draw_*` function draws on an axes it is given, so one run's figure and a
comparison's grid share the drawing code; `fit_plot` and `decision_boundary`
make the one-run figures. Everything is drawn in the data's original units.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from lossfit.plots._style import CLASS_COLORS, TRAIN_COLOR, VAL_COLOR, all_finite, span

Predict = Callable[[np.ndarray], np.ndarray]  # standardized X -> prediction in the target's units


def fit_plot(dataset: Any, model: Any, title: str = "", link: Any = None) -> Figure:
    """One feature: the data and the fitted line; more features: predicted against actual.

    `link` maps the model output to the target's units (e.g. exp for a log-rate).
    """
    predict = model.predict if link is None else (lambda X: link(model.predict(X)))
    fig = Figure(figsize=(6.5, 4.5))
    ax = fig.add_subplot()
    if dataset.n_features == 1:
        draw_data_1d(ax, dataset)
        draw_fit_1d(ax, dataset, predict, color="black", label="fitted")
    else:
        draw_predicted_vs_actual(ax, dataset, predict)
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False)
    return fig


def draw_data_1d(ax: Axes, dataset: Any) -> None:
    """The training and validation points of a one-feature regression dataset."""
    ax.scatter(dataset.raw_X(dataset.X_train)[:, 0], dataset.y_train, s=16, alpha=0.7, color=TRAIN_COLOR,
               label="train")
    if len(dataset.X_val):
        ax.scatter(dataset.raw_X(dataset.X_val)[:, 0], dataset.y_val, s=18, alpha=0.8, color=VAL_COLOR,
                   marker="^", label="validation")
    ax.set_xlabel(dataset.feature_names[0] if dataset.feature_names else "x")
    ax.set_ylabel("y")
    ax.grid(True, alpha=0.3)


def line_grid(dataset: Any, points: int = 200) -> np.ndarray:
    """Standardized inputs (points, 1) spanning the data, for drawing a fitted curve."""
    return np.linspace(*span(np.concatenate([dataset.X_train[:, 0], dataset.X_val[:, 0]])), points)[:, None]


def draw_fit_1d(ax: Axes, dataset: Any, predict: Predict, color: str, label: str, **style: Any) -> bool:
    """The fitted curve over the data's x range; False (nothing drawn) when it is not finite."""
    grid = line_grid(dataset)
    prediction = predict(grid)
    if not all_finite(prediction):
        return False
    ax.plot(dataset.raw_X(grid)[:, 0], prediction, color=color, linewidth=style.pop("linewidth", 2), label=label,
            **style)
    return True


def draw_predicted_vs_actual(ax: Axes, dataset: Any, predict: Predict, color: str = TRAIN_COLOR,
                             limits: tuple[float, float] | None = None) -> None:
    """Every sample's prediction against its target, and the diagonal of a perfect fit."""
    y = np.concatenate([dataset.y_train, dataset.y_val])
    prediction = np.concatenate([predict(dataset.X_train), predict(dataset.X_val)])  # no copy of the features
    if all_finite(prediction):
        ax.scatter(y, prediction, s=14, alpha=0.7, color=color)
    low, high = limits or (float(np.min(y)), float(np.max(y)))
    ax.plot([low, high], [low, high], color="black", linewidth=1, linestyle="--", label="perfect fit")
    if limits is not None:
        ax.set_xlim(*limits)
        ax.set_ylim(*limits)
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.grid(True, alpha=0.3)


def class_colors(k: int) -> list[str]:
    """One colour per class; past the palette, colours come from a colormap so any k works."""
    if k <= len(CLASS_COLORS):
        return CLASS_COLORS[:k]
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    if k <= 20:
        return [to_hex(colormaps["tab20"](i)) for i in range(k)]
    return [to_hex(colormaps["turbo"](i / (k - 1))) for i in range(k)]


def boundary_limits(dataset: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """The x and y ranges (original units) that show every sample with a margin."""
    raw = dataset.raw_X(np.concatenate([dataset.X_train, dataset.X_val]))
    return span(raw[:, 0]), span(raw[:, 1])


def draw_boundary(ax: Axes, dataset: Any, model: Any, resolution: int = 300, legend: bool = True,
                  point_size: float = 18, margins: bool = False) -> None:
    """A two-feature classifier's decision regions, its boundary (score 0) and the data.

    `margins` also draws the lines where a binary score is -1 and +1 (dashed): hinge
    loss is zero for the points beyond them, so their distance to the boundary is the margin.
    """
    (x0_low, x0_high), (x1_low, x1_high) = boundary_limits(dataset)
    g0, g1 = np.meshgrid(np.linspace(x0_low, x0_high, resolution), np.linspace(x1_low, x1_high, resolution))
    grid = (np.column_stack([g0.ravel(), g1.ravel()]) - dataset.x_mean) / dataset.x_std
    out = model.predict(grid)
    k = max(dataset.n_classes, 2)
    colors = class_colors(k)
    if all_finite(out):
        labels = (out > 0).astype(int) if out.ndim == 1 else out.argmax(axis=1)
        ax.contourf(g0, g1, labels.reshape(g0.shape), levels=np.arange(k + 1) - 0.5, cmap=ListedColormap(colors),
                    alpha=0.18)
        if out.ndim == 1:  # the boundary itself: score = 0
            ax.contour(g0, g1, out.reshape(g0.shape), levels=[0.0], colors="black", linewidths=1.5)
            if margins:
                ax.contour(g0, g1, out.reshape(g0.shape), levels=[-1.0, 1.0], colors="#555555", linewidths=1.0,
                           linestyles="dashed")
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
            ax.scatter(raw_part[mask, 0], raw_part[mask, 1], s=point_size, color=colors[c], marker=marker,
                       edgecolor="white", linewidth=0.4, label=label)
    ax.set_xlim(x0_low, x0_high)
    ax.set_ylim(x1_low, x1_high)
    features = dataset.feature_names or ("x0", "x1")
    ax.set_xlabel(features[0])
    ax.set_ylabel(features[1])
    if legend:
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: no data hidden


def decision_boundary(dataset: Any, model: Any, title: str = "", resolution: int = 300) -> Figure:
    """One run's decision-boundary figure (two-feature classification)."""
    fig = Figure(figsize=(6.5, 5))
    ax = fig.add_subplot()
    draw_boundary(ax, dataset, model, resolution)
    ax.set_title(title, fontsize=10)
    return fig
