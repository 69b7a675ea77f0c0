"""What a model does with the data: a fitted line (or predicted against actual), a decision boundary.

Each `draw_*` function draws on an axes it is given, so one run's figure and a
comparison's grid share the drawing code; `fit_plot` and `decision_boundary`
make the one-run figures. Everything is drawn in the data's original units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lossfit.plots._style import (CLASS_COLORS, TRAIN_COLOR, TRUTH_COLOR, VAL_COLOR, all_finite, lay_out, new_figure, span,
                                  stamp, title as set_title, wrap_title)

Predict = Callable[[np.ndarray], np.ndarray]  # standardized X -> prediction in the target's units


def fit_plot(dataset: Any, model: Any, title: str = "", link: Any = None, status: str = "completed",
             quantile: float | None = None) -> Figure:
    """One feature: the data, the fitted line and the true line or curve when the generator knows it;
    more features: predicted against actual. A diverged run says so on the plot.

    `link` maps the model output to the target's units (e.g. exp for a log-rate); `quantile` is the
    quantile the loss estimates (quantile loss), whose true line is drawn instead of the noiseless one.
    """
    predict = model.predict if link is None else (lambda X: link(model.predict(X)))
    fig = new_figure(7, 4.8)
    ax = fig.add_subplot()
    diverged = status in ("diverged", "failed")
    if dataset.n_features == 1:
        draw_data_1d(ax, dataset)
        if diverged or not draw_fit_1d(ax, dataset, predict, color="black", label="fitted"):
            ax.plot([], [], color="black", label=f"fitted ({status if diverged else 'not finite'}: no line)")
        draw_truth_1d(ax, dataset, quantile)
        y = np.concatenate([dataset.y_train, dataset.y_val])
        ax.set_ylim(*span(y, 0.12))  # the data sets the view: a wild line does not squash it
    else:
        draw_predicted_vs_actual(ax, dataset, predict)
    if diverged:
        stamp(ax, f"{status}: no fitted line" if dataset.n_features == 1 else status)
    set_title(ax, wrap_title(title, 6.6))
    ax.legend(frameon=False, fontsize=9, loc="best")
    return lay_out(fig)


def draw_truth_1d(ax: Axes, dataset: Any, quantile: float | None = None) -> bool:
    """The generator's noiseless line or curve (or its `quantile` under the noise), when it is known."""
    from lossfit.data import true_line, true_target

    grid = line_grid(dataset)
    q = None if quantile in (None, 0.5) else quantile
    truth = true_target(dataset, grid, q)
    if truth is None or not all_finite(truth):
        return False
    kind = "line" if true_line(dataset, q) is not None else "curve"
    label = f"true {q:g}-quantile {kind}" if q is not None else f"true {kind} (no noise)"
    ax.plot(dataset.raw_X(grid)[:, 0], truth, color=TRUTH_COLOR, linewidth=1.4, linestyle="--", label=label)
    return True


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


MARGIN_LOSSES = ("hinge", "squared_hinge", "modified_huber")  # zero loss only beyond y·score = 1: margins at ±1


@dataclass(frozen=True)
class Shading:
    """What a boundary plot shaded: the image (for a colorbar), what its colours mean, the lines drawn."""

    image: Any
    label: str
    ticks: tuple[float, ...] | None = None


def binary_shade(loss: Any, score: np.ndarray) -> tuple[np.ndarray, float, float, str]:
    """(values, low, high, label) of what a binary classifier's plot shades: the predicted probability of
    class 1 when the loss has a probability link, else the score (clipped at ±2, beyond the ±1 margins)."""
    link = getattr(loss, "probability_link", "sigmoid") if loss is not None else "sigmoid"
    with np.errstate(over="ignore"):
        if link == "sigmoid":
            return 1 / (1 + np.exp(-score)), 0.0, 1.0, "P(class 1) = sigmoid(score)"
        if link == "sigmoid(2 f)":
            return 1 / (1 + np.exp(-2 * score)), 0.0, 1.0, "P(class 1) = sigmoid(2·score)"
    if link == "(clip(f, -1, 1) + 1) / 2":
        return (np.clip(score, -1, 1) + 1) / 2, 0.0, 1.0, "P(class 1) = (clip(score, -1, 1) + 1) / 2"
    return np.clip(score, -2, 2), -2.0, 2.0, "score (no probability for this loss; clipped at ±2)"


def class_cmap(colors: list[str]) -> Any:
    """Diverging: class 0's colour, white at the boundary, class 1's colour."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("classes", [colors[0], "#ffffff", colors[1]])


def draw_boundary(ax: Axes, dataset: Any, model: Any, resolution: int = 300, legend: bool = True,
                  point_size: float = 18, margins: bool | None = None, loss: Any = None) -> Shading | None:
    """A two-feature classifier: the predicted probability (or score) shaded, the boundary and the data.

    Binary: a diverging shade from class 0's colour through white (probability 0.5, score 0) to class
    1's, the boundary as a solid line and, with `margins` (by default for hinge-family losses), the
    lines where the score is -1 and +1 (dashed) and the training points on or inside them (y·score ≤ 1,
    the support vectors) circled. Multiclass: each point of the plane in the colour of its predicted
    class, paler where that class is less likely, and the boundaries as smooth lines where two classes'
    scores tie. Returns what was shaded (for a colorbar), or None when the model's output is not finite.
    """
    g0, g1, grid, extent = plane_grid(dataset, resolution)
    out = model.predict(grid)
    k = max(dataset.n_classes, 2)
    colors = class_colors(k)
    name = getattr(loss, "name", "")
    if margins is None:
        margins = name in MARGIN_LOSSES
    shading: Shading | None = None
    handles: list[Any] = []
    from matplotlib.lines import Line2D

    if all_finite(out) and out.ndim == 1:
        score = out.reshape(g0.shape)
        values, low, high, label = binary_shade(loss, score)
        image = ax.imshow(values, extent=extent, origin="lower", aspect="auto", cmap=class_cmap(colors),
                          vmin=low, vmax=high, alpha=0.55, interpolation="bilinear")
        ticks = (0.0, 0.25, 0.5, 0.75, 1.0) if high == 1.0 else (-2.0, -1.0, 0.0, 1.0, 2.0)
        shading = Shading(image, label, ticks)
        ax.contour(g0, g1, score, levels=[0.0], colors="black", linewidths=1.6)
        boundary = "boundary: P = 0.5 (score 0)" if high == 1.0 else "boundary: score 0"
        handles.append(Line2D([], [], color="black", linewidth=1.6, label=boundary))
        if margins:
            ax.contour(g0, g1, score, levels=[-1.0, 1.0], colors="#333333", linewidths=1.0, linestyles="dashed")
            handles.append(Line2D([], [], color="#333333", linewidth=1.0, linestyle="--",
                                  label="margins: score = -1 and +1"))
            y_pm = 2 * np.asarray(dataset.y_train, dtype=float) - 1 if np.min(dataset.y_train) >= 0 \
                else np.asarray(dataset.y_train, dtype=float)
            margin = y_pm * model.predict(dataset.X_train)
            support = margin <= 1
            label = f"support vectors: y·score ≤ 1 ({int(support.sum())})"
            if not support.any() and all_finite(margin) and len(margin):
                # zero loss: every point is beyond its margin line; the ones that hold it sit just beyond
                support = margin <= 1.05 * float(margin.min())
                label = f"on the margin: y·score = {float(margin.min()):.3g} ({int(support.sum())}; loss 0)"
            if support.any():
                raw = dataset.raw_X(dataset.X_train[support])
                ax.scatter(raw[:, 0], raw[:, 1], s=point_size * 4.5, facecolors="none", edgecolors="black",
                           linewidths=1.0, zorder=3)
            handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor="none",
                                  markeredgecolor="black", markersize=8, label=label))
    elif all_finite(out):
        shading = _draw_regions(ax, g0, g1, out, colors, loss, extent)
        handles.append(Line2D([], [], color="black", linewidth=1.2, label="boundaries: two classes tie"))
    draw_class_points(ax, dataset, colors, point_size)
    frame_plane(ax, dataset, extent)
    if legend:
        points, labels = ax.get_legend_handles_labels()
        ax.legend(points + handles, labels + [h.get_label() for h in handles], frameon=False, fontsize=8,
                  loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: no data hidden
    return shading


def plane_grid(dataset: Any, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                         tuple[float, float, float, float]]:
    """A resolution x resolution grid over `boundary_limits`: its two coordinate arrays (original units),
    the same points standardized as the model sees them (one row each), and the extent (x0, x1, y0, y1)."""
    (x0_low, x0_high), (x1_low, x1_high) = boundary_limits(dataset)
    g0, g1 = np.meshgrid(np.linspace(x0_low, x0_high, resolution), np.linspace(x1_low, x1_high, resolution))
    grid = (np.column_stack([g0.ravel(), g1.ravel()]) - dataset.x_mean) / dataset.x_std
    return g0, g1, grid, (x0_low, x0_high, x1_low, x1_high)


def draw_class_points(ax: Axes, dataset: Any, colors: list[str], point_size: float) -> list[Any]:
    """Every sample in its class's colour, in original units: dots for training, triangles for validation."""
    k = max(dataset.n_classes, 2)
    names = dataset.class_names or tuple(str(c) for c in range(k))
    artists = []
    for index, (X_part, y_part, marker) in enumerate(
        [(dataset.X_train, dataset.y_train, "o"), (dataset.X_val, dataset.y_val, "^")]
    ):
        if not len(X_part):
            continue
        raw_part = dataset.raw_X(X_part)
        for c in range(k):
            mask = np.asarray(y_part).astype(int) == c
            label = f"{names[c]}" + (" (val)" if index else "")
            artists.append(ax.scatter(raw_part[mask, 0], raw_part[mask, 1], s=point_size, color=colors[c],
                                      marker=marker, edgecolor="white", linewidth=0.4, label=label, zorder=4))
    return artists


def frame_plane(ax: Axes, dataset: Any, extent: tuple[float, float, float, float]) -> None:
    """The feature plane's limits and axis labels."""
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    features = dataset.feature_names or ("x0", "x1")
    ax.set_xlabel(features[0])
    ax.set_ylabel(features[1])


def _draw_regions(ax: Axes, g0: np.ndarray, g1: np.ndarray, out: np.ndarray, colors: list[str], loss: Any,
                  extent: tuple[float, float, float, float]) -> Shading:
    """Multiclass: the predicted class's colour, as deep as its probability (softmax) or its score's lead
    over the runner-up, on a fine image; the boundaries where the top two scores tie, as contour lines
    of a continuous field, so they are smooth whatever the resolution."""
    from matplotlib.colors import LinearSegmentedColormap, to_rgb

    k = out.shape[1]
    winner = out.argmax(axis=1)
    if getattr(loss, "probability_link", "softmax") == "softmax":
        shifted = out - out.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        p /= p.sum(axis=1, keepdims=True)
        depth, low, high = p.max(axis=1), 1.0 / k, 1.0
        label = "probability of the predicted class (softmax): depth of its colour"
    else:
        top2 = np.sort(out, axis=1)[:, -2:]
        depth, low, high = np.clip(top2[:, 1] - top2[:, 0], 0, 2), 0.0, 2.0
        label = "lead of the predicted class's score over the next (no probability for this loss)"
    strength = 0.08 + 0.42 * np.clip((depth - low) / (high - low), 0, 1)
    rgb = np.array([to_rgb(c) for c in colors])[winner]
    shade = 1 - strength[:, None] * (1 - rgb)  # white blended towards the class colour
    image_rgb = shade.reshape(*g0.shape, 3)
    ax.imshow(image_rgb, extent=extent, origin="lower", aspect="auto", interpolation="nearest")
    for c in range(k):  # where class c's score ties with the best of the others
        others = np.delete(out, c, axis=1).max(axis=1)
        lead = (out[:, c] - others).reshape(g0.shape)
        if lead.max() > 0 > lead.min():
            ax.contour(g0, g1, lead, levels=[0.0], colors="black", linewidths=1.2)
    greys = LinearSegmentedColormap.from_list("depth", ["#ebebeb", "#8c8c8c"])
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    mappable = ScalarMappable(Normalize(low, high), greys)
    return Shading(mappable, label)


COLORBAR_HEIGHT = 0.028  # of the plane's: about 1/40 of its width, as thick as constrained layout drew it


def decision_boundary(dataset: Any, model: Any, title: str = "", resolution: int = 300, loss: Any = None,
                      status: str = "completed") -> Figure:
    """One run's decision-boundary figure (two-feature classification), with a colorbar for the shading.

    A `resolution` of 300 points a side is about 2 pixels a point on the ~620-pixel plane: the shading is
    interpolated and the boundaries are contour lines, so finer grids look the same and cost the model
    more (an MLP's prediction over the grid is most of this figure's time).
    """
    fig = new_figure(8, 6.2)
    grid = fig.add_gridspec(2, 1, height_ratios=[1, COLORBAR_HEIGHT])  # the colorbar's row under the plane
    ax = fig.add_subplot(grid[0])
    shading = draw_boundary(ax, dataset, model, resolution, loss=loss)
    if shading is not None:
        bar = fig.colorbar(shading.image, cax=fig.add_subplot(grid[1]), orientation="horizontal")
        bar.set_label(shading.label, fontsize=9)
        if shading.ticks:
            bar.set_ticks(list(shading.ticks))
    else:
        ax.set_subplotspec(grid[:, 0])
    if status in ("diverged", "failed"):
        stamp(ax, status if shading is not None else f"{status}: the scores are not finite, no boundary")
    elif shading is None:
        stamp(ax, "the scores are not finite: no boundary")
    set_title(ax, wrap_title(title, 6.0))
    return lay_out(fig)
