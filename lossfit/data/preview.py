"""What `lossfit datasets show` computes: summaries of a table and its scatter plot.

The numbers are plain NumPy; matplotlib is imported only inside `scatter_figure`.

    >>> import numpy as np
    >>> from lossfit.data.files import Table
    >>> t = Table(np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]]), np.array([0, 1, 1]), "binary", ("a", "b"), ("no", "yes"))
    >>> class_balance(t)
    [('no', 1, 0.3333333333333333), ('yes', 2, 0.6666666666666666)]
    >>> feature_ranges(t)[0]
    ('a', 0.0, 2.0, 4.0, 1.632993161855452)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from lossfit._typing import Array
from lossfit.data.files import Table

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def class_balance(table: Table) -> list[tuple[str, int, float]]:
    """(class name, count, share) for every class."""
    counts = np.bincount(np.asarray(table.y, dtype=np.int64), minlength=table.n_classes)
    total = max(1, int(counts.sum()))
    return [(name, int(c), int(c) / total) for name, c in zip(table.class_names, counts)]


def target_summary(table: Table) -> dict[str, float]:
    """Mean, standard deviation (ddof=0), min and max of a regression target."""
    y = np.asarray(table.y, dtype=np.float64)
    return {"mean": float(y.mean()), "std": float(y.std()), "min": float(y.min()), "max": float(y.max())}


def feature_ranges(table: Table) -> list[tuple[str, float, float, float, float]]:
    """(feature, min, mean, max, std) for every feature column."""
    X = table.X
    return [
        (name, float(X[:, j].min()), float(X[:, j].mean()), float(X[:, j].max()), float(X[:, j].std()))
        for j, name in enumerate(table.feature_names)
    ]


def principal_components(X: Array, k: int = 2) -> tuple[Array, Array]:
    """Scores on the first `k` principal components of the standardized features, and the
    share of the variance each explains (numpy SVD).

    >>> X = np.array([[1.0, 2.0, 0.0], [2.0, 4.1, 1.0], [3.0, 6.0, 0.0], [4.0, 8.2, 1.0]])
    >>> scores, share = principal_components(X)
    >>> scores.shape, bool(share[0] > share[1])
    ((4, 2), True)
    """
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=0)
    Z = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    _, s, vt = np.linalg.svd(Z, full_matrices=False)
    total = float((s**2).sum()) or 1.0
    k = min(k, vt.shape[0])
    signs = np.sign(vt[:k, np.argmax(np.abs(vt[:k]), axis=1)].diagonal())  # deterministic orientation
    signs[signs == 0] = 1.0
    return Z @ (vt[:k].T * signs), (s[:k] ** 2) / total


def scatter_figure(table: Table, title: str = "", subtitle: str = "") -> tuple[Figure, str]:
    """The dataset as a scatter plot, and a phrase saying what the axes are.

    Two features: drawn directly. One feature: x against the target. More: the
    first two principal components of the standardized features. Classes are
    coloured (legend with their names); a regression target is a colour scale
    (or the y axis, with one feature).
    """
    from matplotlib.figure import Figure

    X = np.asarray(table.X, dtype=np.float64)
    y = np.asarray(table.y)
    n, d = X.shape
    classify = table.task != "regression"
    size = float(np.clip(4000.0 / max(n, 1), 8.0, 40.0))
    fig = Figure(figsize=(7.0, 6.0), layout="constrained")
    ax = fig.add_subplot()
    if d == 1:
        xs = X[:, 0]
        if classify:  # one feature: x against the class, jittered a little so points do not hide
            ys = y.astype(np.float64) + np.random.default_rng(0).uniform(-0.12, 0.12, n)
        else:
            ys = y.astype(np.float64)
        xlabel, ylabel = table.feature_names[0], table.target_name
        axes = f"{table.feature_names[0]} against the target"
    elif d == 2:
        xs, ys = X[:, 0], X[:, 1]
        xlabel, ylabel = table.feature_names
        axes = "the two features"
    else:
        scores, share = principal_components(X)
        xs, ys = scores[:, 0], scores[:, 1]
        xlabel = f"principal component 1 ({share[0]:.0%} of variance)"
        ylabel = f"principal component 2 ({share[1]:.0%} of variance)"
        axes = f"the first two principal components of the {d} standardized features"
        ax.text(0.01, 0.01, f"PCA of {d} standardized features (numpy SVD)", transform=ax.transAxes,
                fontsize=8, color="#555555", va="bottom")
    style: dict[str, Any] = {"s": size, "edgecolors": "white", "linewidths": 0.4, "alpha": 0.9}
    if classify:
        k = table.n_classes
        colors = CLASS_COLORS if k <= len(CLASS_COLORS) else None
        for c, name in enumerate(table.class_names):
            mask = y == c
            color = colors[c] if colors else _tab20(c)
            ax.scatter(xs[mask], ys[mask], color=color, label=f"{name} ({int(mask.sum())})", **style)
        ax.legend(title=table.target_name, fontsize=8, title_fontsize=9, loc="best", framealpha=0.85,
                  markerscale=max(1.0, 30.0 / size) ** 0.5)
        if d == 1:
            ax.set_yticks(range(k), labels=list(table.class_names))
    elif d == 1:
        ax.scatter(xs, ys, color=CLASS_COLORS[0], **style)
    else:
        points = ax.scatter(xs, ys, c=y.astype(np.float64), cmap="viridis", **style)
        fig.colorbar(points, ax=ax, shrink=0.85).set_label(table.target_name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if d == 2 and _comparable(xs, ys):
        ax.set_aspect("equal", adjustable="datalim")
    ax.grid(True, color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    if title:
        fig.suptitle(title, fontsize=12)
    if subtitle:
        ax.set_title(subtitle, fontsize=9, color="#555555")
    return fig, axes


def _comparable(xs: Array, ys: Array) -> bool:
    wx, wy = float(np.ptp(xs)), float(np.ptp(ys))
    return wx > 0 and wy > 0 and max(wx, wy) / min(wx, wy) < 3.0


def _tab20(index: int) -> Any:
    from matplotlib import colormaps

    return colormaps["tab20"](index % 20)
