"""The loss landscape picture: one panel per loss, the exact surface as a filled contour, the minimum,
the start and every optimizer's path, one point per step.

Drawn on a `matplotlib.figure.Figure`, never pyplot. Both axes use the same units (equal aspect), so the
contours keep their true shape and a gradient step is perpendicular to them, as on paper.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D

from lossfit.plots._style import variant_color

LEVELS = 24
CMAP = "viridis"
ENDED, NOW = "where each path ended (black edge)", "where each path is at this step (black edge)"
MARKERS = ("o", "s", "^", "D", "v", "P", "<", ">", "h")  # one shape per path: paths that coincide still show


def levels_for(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """Contour levels over the finite values: log-spaced when they span more than a decade (and are all
    positive), evenly spaced otherwise. Returns (levels, is_log)."""
    finite = values[np.isfinite(values)]
    low, high = float(finite.min()), float(finite.max())
    if high <= low:
        return np.array([low - 0.5, low + 0.5]), False
    if low > 0 and high / low > 10:
        return np.geomspace(low, high, LEVELS + 1), True
    return np.linspace(low, high, LEVELS + 1), False


def landscape_figure(landscape: Any) -> Figure:
    """The whole picture: one panel per loss, side by side, sharing the window and the start."""
    return _landscape_drawn(landscape)[0]


def _landscape_drawn(landscape: Any) -> tuple[Figure, list[list[tuple[Line2D, Line2D, Line2D]]]]:
    """`landscape_figure`, and each panel's path artists (what the animation moves)."""
    n = len(landscape.panels)
    fig = Figure(figsize=(5.6 * n + 0.4, 6.6), layout=_layout())
    start = ", ".join(f"{v:.3g}" for v in landscape.start)
    model = landscape.model
    fig.suptitle(_wrapped(
        f"Loss landscape on {landscape.dataset_label} (training split, n={landscape.n_train}) · "
        f"model out = {model} · full-batch, "
        f"{landscape.epochs} epochs · start ({', '.join(landscape.parameters)}) = ({start}){'' if landscape.start_given else ' (default)'}",
        panels=n), fontsize=10)
    axes = fig.subplots(1, n, squeeze=False)[0]
    drawn = [draw_panel(fig, ax, landscape, panel) for ax, panel in zip(axes, landscape.panels)]
    return fig, drawn


def _layout() -> ConstrainedLayoutEngine:
    """Constrained layout with room between a two-line title and the panels' own titles."""
    return ConstrainedLayoutEngine(h_pad=0.15)


def _wrapped(title: str, panels: int, width: int | None = None) -> str:
    """The title broken at its ` · ` separators into lines about as wide as the panels (or `width` characters)."""
    width, lines = width or max(110, 75 * panels), [""]
    for part in title.split(" · "):
        if lines[-1] and len(lines[-1]) + len(part) + 3 > width:
            lines.append(part)
        else:
            lines[-1] = f"{lines[-1]} · {part}" if lines[-1] else part
    return "\n".join(lines)


def draw_panel(fig: Figure, ax: Axes, landscape: Any, panel: Any) -> list[tuple[Line2D, Line2D, Line2D]]:
    """One loss: filled contour, thin level lines, the minimum (star), the start (ring) and the paths.

    Returns each path's artists (the line, its step markers, the marker where it ended) for the animation."""
    ws, bs, values = landscape.ws, landscape.bs, panel.values
    levels, is_log = levels_for(values)
    shown = np.where(np.isfinite(values), values, levels[-1])
    norm = LogNorm(vmin=levels[0], vmax=levels[-1]) if is_log else None
    filled = ax.contourf(ws, bs, shown, levels=levels, cmap=CMAP, norm=norm, extend="neither")
    ax.contour(ws, bs, shown, levels=levels[::2], colors="white", linewidths=0.4, alpha=0.5, norm=norm)
    bar = fig.colorbar(filled, ax=ax, shrink=0.85, pad=0.01)
    bar.set_label(f"{panel.loss_label} (mean over the training split){', log scale' if is_log else ''}", fontsize=8)
    if is_log:  # a few round labels, not one per level
        ticks = np.geomspace(levels[0], levels[-1], 6)
    else:
        ticks = np.linspace(levels[0], levels[-1], 6)
    bar.set_ticks([float(t) for t in ticks], labels=[f"{t:.3g}" for t in ticks])
    bar.minorticks_off()
    bar.ax.tick_params(labelsize=7)
    count = len(panel.paths)
    drawn: list[tuple[Line2D, Line2D, Line2D]] = []
    for index, path in enumerate(panel.paths):
        color = variant_color(index)
        points = path.points
        # Earlier paths are drawn wider and underneath, so a path that coincides with another still shows.
        width = 1.2 + 1.6 * (count - 1 - index)
        (line,) = ax.plot(points[:, 0], points[:, 1], color=color, linewidth=width, alpha=1.0 if index == 0 else 0.85,
                          zorder=3 + index / 100, solid_capstyle="round")
        (steps,) = ax.plot(points[:, 0], points[:, 1], linestyle="none", marker=MARKERS[index % len(MARKERS)],
                           markersize=2.6 + 0.8 * (count - 1 - index), color=color, zorder=3.5 + index / 100,
                           label=_path_label(path, panel))
        (end,) = ax.plot(points[-1, 0], points[-1, 1], linestyle="none", marker="o", markersize=5, color=color,
                         markeredgecolor="black", markeredgewidth=0.8, zorder=7)  # above the star: where it stopped
        drawn.append((line, steps, end))
    ax.plot(*landscape.start, linestyle="none", marker="o", markersize=9, markerfacecolor="none",
            markeredgecolor="black", markeredgewidth=1.5, zorder=6, label="start")
    if panel.finite_minimum:
        ax.plot(*panel.minimum, linestyle="none", marker="*", markersize=14, color="white", markeredgecolor="black",
                zorder=6, label=f"minimum ({panel.minimum[0]:.3g}, {panel.minimum[1]:.3g})")
    others = [p for p in landscape.panels if p is not panel and p.finite_minimum]
    for index, other in enumerate(others):  # where the other losses put their minimum: the difference is the lesson
        ax.plot(*other.minimum, linestyle="none", marker="X", markersize=8, color="white", markeredgecolor="black",
                markeredgewidth=0.6, zorder=6,
                label="the other losses' minima" if index == 0 else None)
        right_half = other.minimum[0] > (ws[0] + ws[-1]) / 2  # write the name towards the middle, inside the axes
        ax.annotate(other.loss_label, other.minimum, textcoords="offset points",
                    xytext=(-6 if right_half else 6, -11 if index % 2 else 4), ha="right" if right_half else "left",
                    fontsize=7, color="white")
    ax.plot([], [], linestyle="none", marker="o", markersize=5, color="none", markeredgecolor="black",
            label=ENDED)
    ax.set_xlim(ws[0], ws[-1])
    ax.set_ylim(bs[0], bs[-1])
    ax.set_aspect("equal", adjustable="box")
    first, second = landscape.parameters
    units = "the standardized" if landscape.standardized else "the raw"
    if landscape.kind == "line":
        ax.set_xlabel(f"w (slope on {units} {landscape.features[0]})")
        ax.set_ylabel("b (intercept)")
    else:
        ax.set_xlabel(f"w1 (weight of {units} {landscape.features[0]})")
        ax.set_ylabel(f"w2 (weight of {units} {landscape.features[1]})")
    if panel.finite_minimum:
        ax.set_title(f"{panel.loss_label}: minimum {panel.min_value:.4g} at {first}={panel.minimum[0]:.3g}, "
                     f"{second}={panel.minimum[1]:.3g}\n({panel.how_minimum})", fontsize=9)
    else:
        ax.set_title(f"{panel.loss_label}: no finite minimum (separable data):\nthe loss keeps falling as the "
                     "weights grow", fontsize=9)
    # Below the plane, so it never hides a path or the minimum.
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    return drawn


def _path_label(path: Any, panel: Any) -> str:
    """`adam lr=0.5 · 100 steps, ends 0.0421` plus `diverged` / `left the window` when it did."""
    notes = []
    if path.status not in ("completed", "diverged"):
        notes.append(path.status)
    if path.left_window:
        notes.append("left the window")
    if path.status == "diverged":
        end = f"DIVERGED: training stopped it at step {path.steps}"
    elif path.reached_at is not None:
        end = f"settled at the minimum from step {path.reached_at}"
    elif math.isfinite(path.final_loss):
        end = f"ends at loss {path.final_loss:.3g}" + (", short of the minimum" if panel.finite_minimum else "")
    else:
        end = "ends at inf"
    text = f"{path.label} · {path.steps} steps, {end}"
    return text + (f" ({'; '.join(notes)})" if notes else "")


def slice_figure(view: Any) -> Figure:
    """A model with more parameters, three views (Li et al. 2018): the loss on a plane through the final
    weights along two random filter-normalised directions; the path in the plane of its first two principal
    components, over the loss on that plane; the loss on the line from the initial to the final weights."""
    fig = Figure(figsize=(17.5, 5.8), layout=_layout())
    random_ax, pca_ax, line_ax = fig.subplots(1, 3)
    _contour(fig, random_ax, view.alphas, view.alphas, view.random_values, view.loss_label)
    random_ax.plot(0, 0, linestyle="none", marker="*", markersize=14, color="white", markeredgecolor="black",
                   label="final weights (where training stopped; not always a minimum)", zorder=6)
    random_ax.set_aspect("equal", adjustable="box")
    random_ax.set_xlabel("α (random direction 1, filter-normalised)")
    random_ax.set_ylabel("β (random direction 2, filter-normalised)")
    random_ax.set_title("slice through the final weights along two random directions\n"
                        "(±1 = each unit's weights moved by their own norm)", fontsize=9)
    random_ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)

    _contour(fig, pca_ax, view.pca_a, view.pca_b, view.pca_values, view.loss_label)
    xy = view.path_xy
    color = variant_color(0)
    pca_ax.plot(xy[:, 0], xy[:, 1], color=color, linewidth=1.2, zorder=3)
    pca_ax.plot(xy[:, 0], xy[:, 1], linestyle="none", marker="o", markersize=2.4, color=color, zorder=4,
                label=f"{view.path_label} · {len(xy) - 1} steps{' (DIVERGED)' if view.status == 'diverged' else ''}")
    pca_ax.plot(*xy[0], linestyle="none", marker="o", markersize=9, markerfacecolor="none", markeredgecolor="black",
                markeredgewidth=1.5, zorder=6, label="initial weights (seeded)")
    pca_ax.plot(0, 0, linestyle="none", marker="*", markersize=14, color="white", markeredgecolor="black", zorder=6,
                label="final weights")
    pca_ax.set_xlabel(f"1st principal direction of the path ({view.explained[0]:.1%} of its variance)")
    pca_ax.set_ylabel(f"2nd principal direction ({view.explained[1]:.1%})")
    pca_ax.set_title("the training path in the plane of its two principal directions\n"
                     "(the loss drawn on that plane, through the final weights)", fontsize=9)
    pca_ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)

    finite = np.isfinite(view.interp_values)
    line_ax.plot(view.interp_t[finite], view.interp_values[finite], color="black", linewidth=1.5)
    line_ax.axvline(0, color="#888888", linestyle=":", linewidth=1)
    line_ax.axvline(1, color="#888888", linestyle=":", linewidth=1)
    line_ax.plot([0, 1], [view.initial_loss, view.final_loss], linestyle="none", marker="o", color=color)
    values = view.interp_values[finite]
    if len(values) and float(values.min()) > 0 and float(values.max()) / float(values.min()) > 10:
        line_ax.set_yscale("log")
    line_ax.set_xlabel("t: weights (1 - t)·initial + t·final")
    line_ax.set_ylabel(f"{view.loss_label} (mean over the training split)")
    line_ax.set_title(f"on the straight line from the initial (t=0, loss {view.initial_loss:.3g}) to the final\n"
                      f"weights (t=1, loss {view.final_loss:.3g})", fontsize=9)
    line_ax.grid(True, alpha=0.3)
    fig.suptitle(_wrapped(f"Loss landscape on {view.dataset_label} (training split, n={view.n_train}) · {view.model}, "
                          f"{view.n_params} parameters · {view.loss_label} · {view.path_label}, full batch, "
                          f"{view.epochs} epochs · slices after Li et al. (2018)", panels=3), fontsize=10)
    return fig


def _contour(fig: Figure, ax: Axes, xs: np.ndarray, ys: np.ndarray, values: np.ndarray, loss_label: str) -> None:
    levels, is_log = levels_for(values)
    shown = np.where(np.isfinite(values), values, levels[-1])
    norm = LogNorm(vmin=levels[0], vmax=levels[-1]) if is_log else None
    filled = ax.contourf(xs, ys, np.clip(shown, levels[0], levels[-1]), levels=levels, cmap=CMAP, norm=norm)
    ax.contour(xs, ys, shown, levels=levels[::2], colors="white", linewidths=0.4, alpha=0.5, norm=norm)
    bar = fig.colorbar(filled, ax=ax, shrink=0.85, pad=0.01)
    ticks = np.geomspace(levels[0], levels[-1], 6) if is_log else np.linspace(levels[0], levels[-1], 6)
    bar.set_ticks([float(t) for t in ticks], labels=[f"{t:.3g}" for t in ticks])
    bar.minorticks_off()
    bar.ax.tick_params(labelsize=7)
    bar.set_label(f"{loss_label}{', log scale' if is_log else ''}", fontsize=8)


# ------------------------------------------------------------------ the animation (`landscape --animate`)
GIF_DPI = 90  # the PNG's layout and fonts at a size a GIF can hold


def step_indices(steps: int, frames: int) -> list[int]:
    """About `frames` evenly spaced steps from 0 (the start) to `steps` (the last), both included.

    >>> step_indices(100, 5)
    [0, 25, 50, 75, 100]
    >>> step_indices(3, 100)
    [0, 1, 2, 3]
    """
    from lossfit.animate import snapshot_epochs

    return [epoch - 1 for epoch in snapshot_epochs(steps + 1, frames)]


class LandscapeAnimation:
    """The landscape picture with its paths growing: `show(i)` draws every path up to step `steps[i]`.

    The figure is `landscape_figure`'s, laid out once (with the longest step line) and frozen. The contours,
    colour bars, legends and labels are the background, drawn once; each frame restores it and draws only
    the paths so far (their lines, step markers and current points), what lies above them in the PNG (the
    start, the minima and their names, redrawn so the paths never cover them) and the title with the step.
    All paths advance together; a path that stopped earlier (diverged) stays at its last point.
    """

    def __init__(self, landscape: Any, frames: int) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.landscape = landscape
        self.fig, self.drawn = _landscape_drawn(landscape)
        self.fig.set_dpi(GIF_DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self.last = max((p.steps for panel in landscape.panels for p in panel.paths), default=0)
        self.steps = step_indices(self.last, frames)
        # The PNG is saved with a tight box that takes in a wide title; the GIF keeps the figure's size, so its
        # title is wrapped to the figure's width.
        panels = len(landscape.panels)
        self.heading = _wrapped(" · ".join(self.fig.get_suptitle().splitlines()), panels, width=70 * panels)
        self.title = self.fig.suptitle(self._title(self.last), fontsize=10)  # the longest, for the layout
        for ax in self.fig.axes:  # the black-edged point is where each path is at this frame
            legend = ax.get_legend()
            for text in legend.get_texts() if legend is not None else []:
                if text.get_text() == ENDED:
                    text.set_text(NOW)
        self._fit_everything()
        self.fig.set_layout_engine("none")
        self.moving: list[Any] = [self.title]
        for ax in self.fig.axes:
            # Everything drawn at or above the paths, in the order the PNG draws it (zorder, then insertion).
            above = [a for a in [*ax.lines, *ax.texts] if a.get_zorder() >= 3]
            self.moving.extend(sorted(above, key=lambda a: a.get_zorder()))
        for artist in self.moving:
            artist.set_animated(True)
        self.canvas.draw()  # type: ignore[no-untyped-call]  # the background
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)  # type: ignore[no-untyped-call]

    def _fit_everything(self) -> None:
        """Lay the figure out, grown until everything is inside it: the PNG is saved with a tight box that takes
        in what sticks out (the legends under the panels), a GIF keeps the figure's own size."""
        for _ in range(4):
            self.canvas.draw()  # type: ignore[no-untyped-call]
            box = self.fig.get_tightbbox()
            width, height = self.fig.get_size_inches()
            if box is None:
                return
            grow_x = max(0.0, -box.x0) + max(0.0, box.x1 - width)
            grow_y = max(0.0, -box.y0) + max(0.0, box.y1 - height)
            if grow_x < 0.05 and grow_y < 0.05:
                return
            self.fig.set_size_inches(width + grow_x + 0.1, height + grow_y + 0.1)

    def _title(self, step: int) -> str:
        return f"{self.heading}\nstep {step:,} of {self.last:,}"

    def __len__(self) -> int:
        return len(self.steps)

    def show(self, index: int) -> None:
        step = self.steps[index]
        for panel, artists in zip(self.landscape.panels, self.drawn):
            for path, (line, markers, end) in zip(panel.paths, artists):
                so_far = path.points[: min(step, path.steps) + 1]
                line.set_data(so_far[:, 0], so_far[:, 1])
                markers.set_data(so_far[:, 0], so_far[:, 1])
                end.set_data([so_far[-1, 0]], [so_far[-1, 1]])
        self.title.set_text(self._title(step))
        self.canvas.restore_region(self.background)  # type: ignore[no-untyped-call]
        for artist in self.moving:
            self.fig.draw_artist(artist)


def write_landscape_gif(path: Any, landscape: Any, frames: int) -> int:
    """The GIF of `landscape` with its paths growing over about `frames` frames, written atomically.
    Returns the number of frames."""
    from lossfit.plots.animation import write_frames

    count = len(step_indices(max((p.steps for panel in landscape.panels for p in panel.paths), default=0), frames))
    write_frames(path, lambda: LandscapeAnimation(landscape, frames), count)
    return count
