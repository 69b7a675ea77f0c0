"""The GIF of `lossfit train --animate`: the model at each snapshot beside the loss curve so far.

One figure for the whole animation. Everything that does not move (the data,
the true line, the axes, their limits, the legends) is drawn once, as a
background; each frame updates only what moves and draws just that on the
background (blitting): the fitted line (`set_ydata`), the shading of a
decision boundary (`set_data`) and its score-0 line (`set_segments`), the
predictions against the targets (`set_offsets`), the loss curve so far and the
marker of the current epoch (`set_data`), and the epoch in the title. The axis
limits come from every snapshot, so the picture never jumps. Frames go through
matplotlib's `PillowWriter` (Pillow ships with matplotlib: no ffmpeg).

Panels by problem: one-feature regression, the data and the fitted line (and
the true line when the generator knows it); two-feature classification, the
decision boundary; other regression, predicted against actual; anything else,
the loss curve alone.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
from contourpy import contour_generator
from PIL import Image
from matplotlib.animation import PillowWriter
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure

from lossfit.data import true_target
from lossfit.plots._style import TRAIN_COLOR, TRUTH_COLOR, VAL_COLOR, all_finite, span, variant_color, wrap_title
from lossfit.plots.curves import finish_epoch_axes, wants_log
from lossfit.plots.models import (binary_shade, class_colors, draw_class_points, draw_data_1d, draw_truth_1d, frame_plane,
                                  line_grid, plane_grid)
from lossfit.sinks import RunInfo
from lossfit.training import EpochRecord

FPS = 10
HOLD_SECONDS = 2.0  # the last frame stays this long (Pillow merges the repeated frame into one, longer frame)
DPI = 80
GRID = 100  # points per side of a decision boundary's grid
SMALL_GRID = 70  # in compare's small panels (each about 200 pixels wide)


class Snapshot(Protocol):
    """What `lossfit.animate.Snapshot` holds: the parameters after `epoch`, and a note for the last frame."""

    @property
    def epoch(self) -> int: ...
    @property
    def params(self) -> list[Any]: ...
    @property
    def note(self) -> str: ...


def write_gif(path: Path, info: RunInfo, snapshots: Sequence[Snapshot], records: Sequence[EpochRecord],
              fps: int = FPS) -> None:
    """Draw one frame per snapshot into the GIF at `path`, through a temporary name (never half written)."""
    if not snapshots:
        raise ValueError("no epoch to animate")
    with np.errstate(all="ignore"):
        write_frames(path, lambda: Animation(info, snapshots, records), len(snapshots), fps)


class Frames(Protocol):
    """What `write_frames` draws: a figure laid out once, and `show(i)` putting frame i on its canvas."""

    @property
    def fig(self) -> Figure: ...
    def show(self, index: int) -> None: ...


def write_frames(path: Path, make: Any, count: int, fps: int = FPS) -> None:
    """The GIF at `path` of frames 0 .. count-1 of `make()` (a `Frames`), the last held `HOLD_SECONDS`.

    Written through a temporary name in the same folder and `os.replace`d: never half written, and the
    temporary file is removed when anything fails (Ctrl-C included). The palette is the last frame's.
    """
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.gif")  # Pillow picks the format by the suffix; two
    # runs animating to one path (the GIF is outside their run folders) never share a temporary file
    try:
        animation: Frames = make()
        writer = CanvasWriter(fps=fps)
        writer.setup(animation.fig, str(tmp), dpi=animation.fig.dpi)
        animation.show(count - 1)  # the last frame holds the colours of every frame: the palette
        writer.use_palette()
        for index in range(count):
            animation.show(index)
            writer.grab_frame()
        for _ in range(max(0, round(HOLD_SECONDS * fps) - 1)):
            writer.grab_frame()  # identical: Pillow lengthens the last frame instead of adding frames
        writer.finish()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


class CanvasWriter(PillowWriter):
    """matplotlib's PillowWriter, taking each frame from the canvas as `Animation.show` left it.

    PillowWriter's own `grab_frame` redraws the whole figure (a `savefig`) for every frame: about
    0.2 s a frame here, 20 s for 100 frames. `Animation.show` restores the static background and
    draws only what moves (blitting), so a frame costs some 20 ms (the model's predictions included).

    Every frame is mapped, without dithering, onto one 256-colour palette (`use_palette`, taken from
    a frame that holds every colour): what does not move then has the same pixels in every frame,
    so Pillow stores only the part of each frame that changed (a 100-frame GIF of 0.5 MB, not 7 MB).
    """

    _frames: list[Image.Image]  # PillowWriter's own list (made by its `setup`), which its `finish` saves
    _palette: Image.Image | None = None

    def canvas_image(self) -> Image.Image:
        canvas = self.fig.canvas
        assert isinstance(canvas, FigureCanvasAgg)
        pixels = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
        return Image.frombuffer("RGBA", canvas.get_width_height(), pixels, "raw", "RGBA", 0, 1).convert("RGB")

    def use_palette(self) -> None:
        """Take the palette of every frame from the canvas as it is now."""
        self._palette = self.canvas_image().quantize(256, method=Image.Quantize.MEDIANCUT)

    def grab_frame(self, **savefig_kwargs: Any) -> None:
        if self._palette is None:
            self.use_palette()
        self._frames.append(self.canvas_image().quantize(palette=self._palette, dither=Image.Dither.NONE))


class Animation:
    """The figure and its moving parts; `show(i)` puts snapshot i on the canvas.

    The moving artists are marked animated, so the figure's one full draw (the
    background) leaves them out; each frame restores that background and draws
    them on it, in the order they stack (the shading under the points).
    """

    def __init__(self, info: RunInfo, snapshots: Sequence[Snapshot], records: Sequence[EpochRecord]) -> None:
        prepared = info.prepared
        self.info, self.snapshots = info, snapshots
        self.model = copy.deepcopy(prepared.model)  # the run's own model keeps its weights
        dataset = prepared.dataset
        kind = panel_kind(dataset)
        self.fig = Figure(figsize=(10.5, 4.6) if kind else (6.5, 4.6), dpi=DPI, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        if kind:
            model_ax, loss_ax = self.fig.subplots(1, 2, width_ratios=(1.15, 1))
        else:
            model_ax, loss_ax = None, self.fig.add_subplot()
        self.panel: FitPanel | ScatterPanel | BoundaryPanel | None = None
        if kind == "fit":
            assert model_ax is not None
            self.panel = FitPanel(model_ax, dataset, prepared.loss)
        elif kind == "boundary":
            assert model_ax is not None
            self.panel = BoundaryPanel(model_ax, dataset, prepared.loss)
        elif kind == "scatter":
            assert model_ax is not None
            self.panel = ScatterPanel(model_ax, dataset, prepared.loss)
        if isinstance(self.panel, (FitPanel, ScatterPanel)):  # limits that hold every snapshot's predictions
            self.panel.set_limits([self.panel.predict(self._load(snapshot)) for snapshot in snapshots])
        self.curve = LossPanel(loss_ax, records, last_epoch=snapshots[-1].epoch)
        width = 150 if kind else 90  # characters of the title that fit across the figure
        self.fig.suptitle("\n".join(textwrap.fill(line, width) for line in info.title.splitlines()), fontsize=9)
        self.curve.ax.set_title(self._epoch_text(snapshots[-1]), fontsize=10)  # the longest, for the layout
        # Lay the figure out once and freeze it, so nothing moves between frames.
        self.canvas.draw()  # type: ignore[no-untyped-call]
        self.fig.set_layout_engine("none")
        for artist in self._moving():
            artist.set_animated(True)
        self.canvas.draw()  # type: ignore[no-untyped-call]  # the background: everything that does not move
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)  # type: ignore[no-untyped-call]

    def _load(self, snapshot: Snapshot) -> Any:
        for p, saved in zip(self.model.params, snapshot.params):
            p[...] = saved
        return self.model

    def _moving(self) -> list[Artist]:
        panel = self.panel.moving() if self.panel is not None else []
        return [*panel, *self.curve.moving()]

    def _epoch_text(self, snapshot: Snapshot) -> str:
        note = f"\n{snapshot.note}" if snapshot.note else ""
        return f"epoch {snapshot.epoch:,} of {self.info.epochs:,}{note}"

    def show(self, index: int) -> None:
        """Snapshot `index` on the canvas: the background, then every moving artist drawn on it."""
        snapshot = self.snapshots[index]
        if self.panel is not None:
            self.panel.update(self._load(snapshot))
        self.curve.update(snapshot.epoch, self._epoch_text(snapshot))
        self.canvas.restore_region(self.background)  # type: ignore[no-untyped-call]
        for artist in self._moving():
            self.fig.draw_artist(artist)


def panel_kind(dataset: Any) -> str | None:
    """What the left panel shows: "fit", "boundary", "scatter", or None (the loss curve alone)."""
    if dataset.task == "regression":
        return "fit" if dataset.n_features == 1 else "scatter"
    return "boundary" if dataset.n_features == 2 else None


def _predictor(model: Any, loss: Any) -> Any:
    def predict(X: np.ndarray) -> np.ndarray:
        return np.asarray(loss.predict(model.predict(X)), dtype=float)

    return predict


def _limits_with(values: np.ndarray, extra: Sequence[np.ndarray], reach: float = 1.0) -> tuple[float, float]:
    """The span of `values` widened to take in `extra` (the predictions of every snapshot), but never more than
    `reach` times the span of `values` beyond it on either side: a wild early line must not squash the data."""
    low, high = span(values)
    width = high - low
    for more in extra:
        finite = more[np.isfinite(more)]
        if finite.size:
            low = min(low, max(float(finite.min()), low - reach * width))
            high = max(high, min(float(finite.max()), high + reach * width))
    return low, high


class FitPanel:
    """One-feature regression: the data, the true line when known, the fitted line of the snapshot."""

    def __init__(self, ax: Axes, dataset: Any, loss: Any) -> None:
        self.dataset, self.loss, self.ax = dataset, loss, ax
        draw_data_1d(ax, dataset)
        self.grid = line_grid(dataset)
        x = dataset.raw_X(self.grid)[:, 0]
        truth = true_target(dataset, self.grid)
        if truth is not None:
            ax.plot(x, truth, color=TRUTH_COLOR, linewidth=1.4, linestyle="--", label="true line (no noise)")
        (self.line,) = ax.plot(x, np.full_like(x, np.nan), color="black", linewidth=2.2, label="fitted")
        self.gone = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", fontsize=11,
                            color="#b00020")
        ax.set_xlim(float(x.min()), float(x.max()))
        ax.legend(frameon=False, fontsize=8, loc="best")

    def set_limits(self, predictions: Sequence[np.ndarray]) -> None:
        y = np.concatenate([self.dataset.y_train, self.dataset.y_val])
        self.ax.set_ylim(*_limits_with(y, predictions))

    def predict(self, model: Any) -> np.ndarray:
        prediction: np.ndarray = _predictor(model, self.loss)(self.grid)
        return prediction

    def moving(self) -> list[Artist]:
        return [self.line, self.gone]

    def update(self, model: Any) -> None:
        prediction = self.predict(model)
        finite = all_finite(prediction)
        self.line.set_ydata(prediction if finite else np.full_like(prediction, np.nan))
        self.gone.set_text("" if finite else "no line: the weights are not finite")
        self.gone.set_visible(not finite)


class ScatterPanel:
    """Regression with several features: every sample's prediction against its target."""

    def __init__(self, ax: Axes, dataset: Any, loss: Any) -> None:
        self.loss = loss
        self.X = np.concatenate([dataset.X_train, dataset.X_val])
        self.y = np.concatenate([dataset.y_train, dataset.y_val]).astype(float)
        self.points = ax.scatter(self.y, np.full_like(self.y, np.nan), s=12, alpha=0.7, color=TRAIN_COLOR)
        low, high = span(self.y)
        ax.plot([low, high], [low, high], color="black", linewidth=1, linestyle="--", label="perfect fit")
        ax.set_xlim(low, high)
        self.ax = ax
        ax.set_xlabel("actual")
        ax.set_ylabel("predicted")
        ax.grid(True, alpha=0.3)
        ax.legend(frameon=False, fontsize=8, loc="upper left")

    def set_limits(self, predictions: Sequence[np.ndarray]) -> None:
        self.ax.set_ylim(*_limits_with(self.y, predictions))

    def predict(self, model: Any) -> np.ndarray:
        prediction: np.ndarray = _predictor(model, self.loss)(self.X)
        return prediction

    def moving(self) -> list[Artist]:
        return [self.points]

    def update(self, model: Any) -> None:
        prediction = self.predict(model)
        if not all_finite(prediction):
            prediction = np.full_like(self.y, np.nan)
        self.points.set_offsets(np.column_stack([self.y, prediction]))


class BoundaryPanel:
    """Two-feature classification: the data, the shaded scores and (binary) the boundary, score 0."""

    def __init__(self, ax: Axes, dataset: Any, loss: Any, legend: bool = True, grid: int = GRID) -> None:
        self.ax, self.loss = ax, loss
        g0, g1, self.grid, extent = plane_grid(dataset, grid)
        self.g0, self.g1 = g0, g1
        self.k = max(dataset.n_classes, 2)
        self.colors = class_colors(self.k)
        # The shading is given as RGB bytes, its colours already laid over the white axes: matplotlib then
        # neither maps nor blends it (a third of a frame's time otherwise).
        cmap = LinearSegmentedColormap.from_list("classes", [self.colors[0], "#ffffff", self.colors[1]])
        self.shades = _over_white(cmap(np.linspace(0.0, 1.0, 256))[:, :3], 0.45)  # P(class 1) 0..1 -> RGB
        self.palette = np.array([to_rgb(c) for c in self.colors])
        self.image = ax.imshow(np.full((*g0.shape, 3), 255, dtype=np.uint8), origin="lower", extent=extent,
                               aspect="auto", interpolation="bilinear")  # smooth region edges, not a staircase
        # The score-0 line, traced by contourpy (matplotlib's own contouring library) into one LineCollection:
        # ax.contour builds a new ContourSet each time, 5-20 ms a frame against 0.5 ms.
        self.boundary = LineCollection([], colors="black", linewidths=1.5)
        ax.add_collection(self.boundary)
        self.points: list[Artist] = draw_class_points(ax, dataset, self.colors, 14)
        if self.k == 2:
            ax.plot([], [], color="black", linewidth=1.5, label="boundary (score 0)")
        self.gone = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", fontsize=11,
                            color="#b00020")
        frame_plane(ax, dataset, extent)
        if legend:
            ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        shading = binary_shade(loss, np.zeros(1))[3]  # as decision_boundary.png shades it
        ax.set_title(f"shading: {shading}" if self.k == 2 else "shading: the predicted class, pale where unsure",
                     fontsize=8)

    def moving(self) -> list[Artist]:
        """Bottom to top: the shading, the boundary, the points (redrawn over the shading), the note."""
        return [self.image, self.boundary, *self.points, self.gone]

    def update(self, model: Any) -> None:
        self.boundary.set_segments([])
        out = np.asarray(model.predict(self.grid), dtype=float)
        finite = all_finite(out)
        self.gone.set_text("" if finite else "no boundary: the scores are not finite")
        self.gone.set_visible(not finite)
        self.image.set_visible(finite)
        if not finite:
            return
        if out.ndim == 1:
            values, low, high, _ = binary_shade(self.loss, out)  # a probability, or the clipped score
            share = (values - low) / (high - low)
            self.image.set_data(self.shades[np.rint(share * 255).astype(np.intp)].reshape(*self.g0.shape, 3))
            if out.min() < 0 < out.max():
                lines = contour_generator(self.g0, self.g1, out.reshape(self.g0.shape), line_type="Separate")
                self.boundary.set_segments(cast(list[np.ndarray], lines.lines(0.0)))  # LineType.Separate
            return
        shifted = np.exp(out - out.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        labels = probabilities.argmax(axis=1)
        sure = (probabilities.max(axis=1) - 1 / self.k) / (1 - 1 / self.k)  # 0: a coin toss, 1: certain
        rgb = _over_white(self.palette[labels], (0.15 + 0.4 * sure)[:, None])
        self.image.set_data(rgb.reshape(*self.g0.shape, 3))


def _over_white(rgb: np.ndarray, alpha: float | np.ndarray) -> np.ndarray:
    """Colours (floats 0..1) laid over white with opacity `alpha`, as RGB bytes."""
    blended: np.ndarray = np.rint(255 * (1 - alpha * (1 - rgb))).astype(np.uint8)
    return blended


class LossPanel:
    """The loss curve so far (train, and validation when there is a split) and the current epoch marked."""

    def __init__(self, ax: Axes, records: Sequence[EpochRecord], last_epoch: int) -> None:
        self.ax = ax
        self.epochs = np.array([r.epoch for r in records], dtype=float)
        self.train = np.array([r.train_loss for r in records], dtype=float)
        self.val = np.array([r.val_loss for r in records], dtype=float)
        self.has_val = bool(np.isfinite(self.val).any())
        (self.train_line,) = ax.plot([], [], color=TRAIN_COLOR, linewidth=1.8, label="train loss")
        self.val_line = None
        if self.has_val:
            (self.val_line,) = ax.plot([], [], color=VAL_COLOR, linewidth=1.8, linestyle="--",
                                       label="validation loss")
        (self.marker,) = ax.plot([], [], marker="o", color=TRAIN_COLOR, markersize=7, linestyle="none")
        self.now = ax.axvline(1, color="#888888", linewidth=1, linestyle=":")
        right = max(last_epoch, int(self.epochs.max()) if self.epochs.size else 1)
        pad = max(0.5, 0.015 * (right - 1))  # the marker stays whole at the first and the last epoch
        ax.set_xlim(1 - pad, right + pad)
        values = np.concatenate([self.train, self.val])
        finite = values[np.isfinite(values)]
        if wants_log(values) and (finite > 0).all():
            ax.set_yscale("log")
            ax.set_ylim(float(finite.min()) / 1.3, float(finite.max()) * 1.3)
        elif finite.size:
            ax.set_ylim(*span(finite, margin=0.06))
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.grid(True, alpha=0.3)
        # The whole curves while the legend finds the emptiest place ("best", once: the background is drawn
        # before the first frame, and the legend with it); each frame then draws the curves so far.
        self.train_line.set_data(self.epochs, self.train)
        if self.val_line is not None:
            self.val_line.set_data(self.epochs, self.val)
        ax.legend(frameon=False, fontsize=8, loc="best")

    def moving(self) -> list[Artist]:
        lines = [self.train_line] + ([self.val_line] if self.val_line is not None else [])
        return [self.now, *lines, self.marker, self.ax.title]

    def update(self, epoch: int, title: str) -> None:
        self.ax.set_title(title, fontsize=10)
        upto = self.epochs <= epoch
        self.train_line.set_data(self.epochs[upto], self.train[upto])
        if self.val_line is not None:
            self.val_line.set_data(self.epochs[upto], self.val[upto])
        self.now.set_xdata([epoch, epoch])
        if upto.any():
            last = int(np.flatnonzero(upto)[-1])
            value = self.train[last]
            self.marker.set_data([self.epochs[last]], [value] if math.isfinite(value) else [np.nan])


# ---------------------------------------------------------------------------- compare --animate
class Track(Protocol):
    """One variant of `lossfit compare --animate` (`lossfit.animate.SnapshotSink`): its weights by epoch."""

    @property
    def end(self) -> int: ...
    @property
    def final(self) -> Snapshot | None: ...
    def at(self, epoch: int) -> Snapshot | None: ...


def write_compare_gif(path: Path, race: Any, tracks: Sequence[Track], epochs: Sequence[int],
                      records: Sequence[Sequence[EpochRecord]], planned: int, fps: int = FPS) -> None:
    """One frame per epoch of `epochs`, every variant at that epoch, into the GIF at `path` (never half written).

    `race` is the `comparison.Race`, `tracks` its variants' snapshots in the same order, `records` their
    epochs (for the curves) and `planned` the epochs every variant was given.
    """
    if not epochs:
        raise ValueError("no epoch to animate")
    with np.errstate(all="ignore"):
        write_frames(path, lambda: CompareAnimation(race, tracks, epochs, records, planned), len(epochs), fps)


def compare_kind(dataset: Any) -> str | None:
    """What a compare GIF shows beside the curves: "fit" (every variant's line on the data), "boundary" (a panel
    per variant), or None (the curves alone)."""
    if dataset.task == "regression":
        return "fit" if dataset.n_features == 1 else None
    return "boundary" if dataset.n_features == 2 else None


class CompareAnimation:
    """Every variant at one epoch per frame: fitted lines or boundary panels, beside the relative loss curves.

    Laid out and drawn once like `Animation`; each frame restores the background and draws what moves: the
    lines (or each panel's shading, boundary and points), the curves so far, the notes and the title.
    """

    def __init__(self, race: Any, tracks: Sequence[Track], epochs: Sequence[int],
                 records: Sequence[Sequence[EpochRecord]], planned: int) -> None:
        from lossfit.plots.compare import title_of

        self.race, self.tracks, self.epochs, self.planned = race, tracks, epochs, planned
        self.models = [copy.deepcopy(entry.prepared.model) for entry in race.entries]  # the runs keep their weights
        dataset = race.dataset
        kind = compare_kind(dataset)
        n = len(race.entries)
        self.fits: CompareFitPanel | None = None
        self.boundaries: list[BoundaryPanel] = []
        title = title_of(race)
        if kind == "fit":
            self.fig = Figure(figsize=(11.5, 5.0), dpi=DPI, layout="constrained")
            fit_ax, loss_ax = self.fig.subplots(1, 2, width_ratios=(1.15, 1))
            self.fits = CompareFitPanel(fit_ax, race)
        elif kind == "boundary":
            cols = min(n, 4)
            rows = math.ceil(n / cols)
            side = 2.7 if rows <= 2 else 2.1
            curves_width = 4.6
            self.fig = Figure(figsize=(side * cols + curves_width, side * rows + 1.6), dpi=DPI, layout="constrained")
            left, right = cast(Sequence[Any], self.fig.subfigures(1, 2, width_ratios=(side * cols, curves_width)))
            axes = np.atleast_1d(left.subplots(rows, cols, squeeze=False)).ravel()
            for index, (ax, entry) in enumerate(zip(axes, race.entries)):
                self.boundaries.append(BoundaryPanel(ax, dataset, entry.prepared.loss, legend=False,
                                                      grid=SMALL_GRID))
                ax.set_title(entry.label, fontsize=9, color=variant_color(index))
                ax.tick_params(labelsize=7)
                ax.xaxis.label.set_fontsize(8)
                ax.yaxis.label.set_fontsize(8)
            for ax in axes[n:]:
                ax.set_visible(False)
            handles, labels = axes[0].get_legend_handles_labels()
            left.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 6), frameon=False,
                        fontsize=7)
            loss_ax = right.add_subplot()
            if dataset.task == "binary":
                title += ("\nshading: P(class 1), or the score (clipped at ±2) for losses without a probability"
                          " · black: the boundary (score 0)")
            else:
                title += "\nshading: the predicted class, pale where unsure"
        else:
            self.fig = Figure(figsize=(7.5, 4.8), dpi=DPI, layout="constrained")
            loss_ax = self.fig.add_subplot()
        self.canvas = FigureCanvasAgg(self.fig)
        self.curves = CompareCurves(loss_ax, race, records, last_epoch=epochs[-1])
        self.title_text = wrap_title(title, self.fig.get_figwidth() - 0.3, fontsize=10)
        # The title with the longest epoch line, for the layout; then that line becomes a text of its own, so a
        # frame redraws one short line rather than the whole title.
        self.title = self.fig.suptitle(f"{self.title_text}\n{self._epoch_text(len(epochs) - 1)}", fontsize=10)
        if self.fits is not None:  # limits that take in every frame's lines, within reason
            self.fits.set_limits([self.fits.predict(self._models(index)) for index in range(len(epochs))])
        self.canvas.draw()  # type: ignore[no-untyped-call]
        renderer = self.canvas.get_renderer()  # type: ignore[no-untyped-call]
        bottom = self.title.get_window_extent(renderer).y0 / self.fig.bbox.height
        self.title.set_text(self.title_text)  # aligned at its top: the other lines stay where they were
        self.epoch = self.fig.text(0.5, bottom, "", ha="center", va="bottom", fontsize=10)
        self.fig.set_layout_engine("none")
        for artist in self._moving():
            artist.set_animated(True)
        self.canvas.draw()  # type: ignore[no-untyped-call]  # the background: everything that does not move
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)  # type: ignore[no-untyped-call]

    def _epoch_text(self, index: int) -> str:
        return f"epoch {self.epochs[index]:,} of {self.planned:,}"

    def _models(self, index: int) -> list[Any | None]:
        """Every variant's model with its weights after frame `index`'s epoch (None: it has none)."""
        models: list[Any | None] = []
        for model, track in zip(self.models, self.tracks):
            snapshot = track.at(self.epochs[index])
            if snapshot is None:
                models.append(None)
                continue
            for p, saved in zip(model.params, snapshot.params):
                p[...] = saved
            models.append(model)
        return models

    def _notes(self, epoch: int) -> list[str]:
        """How the variants that have ended by `epoch` ended (once when they all ended alike)."""
        ended = []
        for entry, track in zip(self.race.entries, self.tracks):
            final = track.final
            if final is None:
                ended.append((entry.label, "no epoch ran"))
            elif epoch >= track.end and (track.end < self.epochs[-1] or final.note):
                ended.append((entry.label, f"{final.note or 'ended'} (epoch {track.end:,})"))
        if len(ended) == len(self.tracks) > 1 and len({what for _, what in ended}) == 1:
            return [f"every variant: {ended[0][1]}"]
        return [f"{label}: {what}" for label, what in ended]

    def _moving(self) -> list[Artist]:
        panels: list[Artist] = []
        if self.fits is not None:
            panels += self.fits.moving()
        for panel in self.boundaries:
            panels += panel.moving()
        return [*panels, *self.curves.moving(), self.epoch]

    def show(self, index: int) -> None:
        epoch = self.epochs[index]
        models = self._models(index)
        if self.fits is not None:
            self.fits.update(models)
        for panel, model in zip(self.boundaries, models):
            if model is None:
                panel.image.set_visible(False)
                panel.boundary.set_segments([])
                panel.gone.set_text("no weights")
                panel.gone.set_visible(True)
            else:
                panel.update(model)
        self.curves.update(epoch, [track.end for track in self.tracks], self._notes(epoch))
        self.epoch.set_text(self._epoch_text(index))
        self.canvas.restore_region(self.background)  # type: ignore[no-untyped-call]
        for artist in self._moving():
            self.fig.draw_artist(artist)


class CompareFitPanel:
    """One-feature regression: the data, the true line when known, and every variant's line (fits.png's colours)."""

    def __init__(self, ax: Axes, race: Any) -> None:
        from lossfit.comparison import quantile_of

        dataset = race.dataset
        self.ax, self.dataset = ax, dataset
        self.losses = [entry.prepared.loss for entry in race.entries]
        draw_data_1d(ax, dataset)
        quantiles = {quantile_of(loss) for loss in self.losses}
        for quantile in sorted({None if q in (None, 0.5) else q for q in quantiles}, key=lambda q: q or 0.0):
            draw_truth_1d(ax, dataset, quantile)
        self.grid = line_grid(dataset)
        x = dataset.raw_X(self.grid)[:, 0]
        self.lines = [ax.plot(x, np.full_like(x, np.nan), color=variant_color(index), linewidth=2.2,
                              label=entry.label)[0] for index, entry in enumerate(race.entries)]
        ax.set_xlim(float(x.min()), float(x.max()))
        y = np.concatenate([dataset.y_train, dataset.y_val]).astype(float)
        low, high = np.percentile(y, [0.5, 99.5]) if len(y) > 20 else (y.min(), y.max())  # as fits.png
        pad = 0.15 * (high - low or 1.0)
        self.y_limits = (float(min(low, y.min()) - pad), float(max(high, y.max()) + pad))
        ax.set_ylim(*self.y_limits)
        ax.legend(frameon=False, fontsize=8, loc="best")

    def predict(self, models: Sequence[Any | None]) -> np.ndarray:
        """Every line of one frame, one row per variant (NaN where a variant has no finite line)."""
        rows = []
        for model, loss in zip(models, self.losses):
            if model is None:
                rows.append(np.full(len(self.grid), np.nan))
                continue
            prediction = np.asarray(loss.predict(model.predict(self.grid)), dtype=float)
            rows.append(prediction if all_finite(prediction) else np.full(len(self.grid), np.nan))
        return np.array(rows)

    def set_limits(self, predictions: Sequence[np.ndarray]) -> None:
        """fits.png's limits, widened (by at most half their span) for lines that start far off."""
        low, high = self.y_limits
        reach = 0.5 * (high - low)
        values = np.concatenate([p.ravel() for p in predictions]) if predictions else np.empty(0)
        finite = values[np.isfinite(values)]
        if finite.size:
            low = min(low, max(float(finite.min()), low - reach))
            high = max(high, min(float(finite.max()), high + reach))
        self.ax.set_ylim(low, high)

    def moving(self) -> list[Artist]:
        return list(self.lines)

    def update(self, models: Sequence[Any | None]) -> None:
        for line, prediction in zip(self.lines, self.predict(models)):
            line.set_ydata(prediction)


class CompareCurves:
    """Each variant's training loss divided by its value at the start (as curves.png), drawn up to the epoch."""

    def __init__(self, ax: Axes, race: Any, records: Sequence[Sequence[EpochRecord]], last_epoch: int) -> None:
        self.ax = ax
        self.epochs: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        for entry, rows in zip(race.entries, records):
            start = entry.initial_loss
            first = start if math.isfinite(start) and start != 0 else 1.0
            self.epochs.append(np.array([r.epoch for r in rows], dtype=float))
            self.values.append(np.array([r.train_loss for r in rows], dtype=float) / first)
        finite = np.concatenate([v[np.isfinite(v)] for v in self.values]) if self.values else np.empty(0)
        log = wants_log(*self.values) and finite.size > 0
        if log:
            positive = finite[finite > 0]
            floor = float(positive.min()) / 3.0  # a loss of exactly 0 (hinge) is drawn there: a log axis has no 0
            self.values = [np.where(v == 0, floor, v) for v in self.values]
            ax.set_yscale("log")
            top = min(float(positive.max()) * 1.3, 1e4)  # a diverged curve leaves through the top
            ax.set_ylim(floor / 1.6 if (finite == 0).any() else float(positive.min()) / 1.3, top)
        elif finite.size:
            ax.set_ylim(*span(finite, margin=0.06))
        self.lines = [ax.plot(e, v, color=variant_color(index), linewidth=1.8, label=entry.label)[0]
                      for index, (entry, e, v) in enumerate(zip(race.entries, self.epochs, self.values))]
        self.markers = [ax.plot([], [], marker="o", color=variant_color(index), markersize=6, mew=2,
                                linestyle="none")[0] for index in range(len(self.lines))]
        self.now = ax.axvline(1, color="#888888", linewidth=1, linestyle=":")
        right = max([last_epoch, *(int(e.max()) for e in self.epochs if e.size)])
        pad = max(0.5, 0.015 * (right - 1))
        ax.set_xlim(1 - pad, right + pad)
        finish_epoch_axes(ax, "training loss / its value at the start",
                          "each variant's own loss, relative to its start")
        ax.title.set_fontsize(9)
        ax.legend(frameon=False, fontsize=8, loc="upper right")
        # How ended variants ended, right of centre: the curves mostly fall to the bottom and climb off the top
        self.note = ax.text(0.98, 0.55, "", transform=ax.transAxes, ha="right", va="center", fontsize=8,
                            color="#b00020", bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7})
        self.note.set_visible(False)

    def moving(self) -> list[Artist]:
        return [self.now, *self.lines, *self.markers, self.note]

    def update(self, epoch: int, ends: Sequence[int], notes: Sequence[str]) -> None:
        self.now.set_xdata([epoch, epoch])
        for line, marker, epochs, values, end in zip(self.lines, self.markers, self.epochs, self.values, ends):
            upto = epochs <= epoch
            line.set_data(epochs[upto], values[upto])
            marker.set_data([], [])
            if upto.any():
                last = int(np.flatnonzero(upto)[-1])
                value = values[last]
                marker.set_marker("x" if end and epoch > end else "o")  # x: this variant has ended
                marker.set_data([epochs[last]], [value if math.isfinite(value) else np.nan])
        self.note.set_text("\n".join(notes))
        self.note.set_visible(bool(notes))
