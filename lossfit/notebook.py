"""lossfit in Jupyter: find the kernel, draw a live loss plot in the cell, show figures inline.

    >>> import lossfit
    >>> result = lossfit.train(dataset="moons", loss="bce")   # doctest: +SKIP
    >>> result.history["val_loss"][-1], result.plot()       # doctest: +SKIP

In a notebook `lossfit.train` and `lossfit.compare` default to a live view: a
small loss plot in the cell's output, redrawn on a clock (`LiveCurve`,
`LiveRace`). As the terminal's live table, the view only *receives* records:
`write`/`update` keep the record (no drawing), and a background thread draws a
frame at most REFRESH_SECONDS apart (5 a second), and never sooner after the
last one than twenty times what frames cost (the cheaper of the last two). A frame is a few tens of milliseconds
of matplotlib, which holds the interpreter lock, so the training loop keeps
about 95% of its speed however long it runs. The last frame is drawn when the
run ends, from the calling thread.

Outside a notebook nothing here is imported. IPython is never imported by
lossfit: `in_notebook` only looks at it when something else has.
"""

from __future__ import annotations

import contextvars
import importlib
import io
import math
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from lossfit.errors import ConfigError, LossfitError, reason
from lossfit.record_log import RecordLog
from lossfit.sinks import RunInfo, RunSummary
from lossfit.training import EpochRecord

REFRESH_SECONDS = 0.2  # at most 5 frames a second
MAX_SHARE = 0.05  # and the next frame no sooner than 1/MAX_SHARE times what the last one cost
SIZE = (5.6, 2.6)  # inches: a small plot that fits beside a notebook's text
LIVE_DPI = 72
INLINE_DPI = 80  # `Figures` shown inline: lighter than the run folder's PNGs, the same drawing


class MissingPackageError(LossfitError, ImportError):
    """An optional package a feature needs is not installed (the message says what to pip install)."""


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQInteractiveShell or a subclass, such as Colab's).

    IPython is looked at only if something already imported it: a plain Python process never pays for it.
    """
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    return any(cls.__name__ == "ZMQInteractiveShell" for cls in type(shell).__mro__)


def resolve_progress(progress: str | None) -> str:
    """What `progress` means from Python: None (the default) is the live view in a notebook, nothing elsewhere;
    "auto" is the live view in a notebook, the terminal's choice elsewhere; "notebook" needs a notebook.
    Any other value is returned as it is (the config checks it and names the choices)."""
    notebook = in_notebook()
    if progress == "notebook" and not notebook:
        raise ConfigError("progress='notebook' draws in a Jupyter cell's output, and this is not a notebook; "
                          "use progress='rich' or 'plain' for the terminal.")
    if progress is None:
        return "notebook" if notebook else "none"
    if progress == "auto" and notebook:
        return "notebook"
    return progress


def require_pandas() -> Any:
    """The pandas module, or a one-line MissingPackageError saying how to get it."""
    try:
        pandas = importlib.import_module("pandas")  # an optional package: not a dependency, no stubs needed
    except ImportError:
        raise MissingPackageError("to_pandas() needs pandas, which is not installed (lossfit does not depend on "
                                  "it): pip install pandas, or use .history, a dict of NumPy arrays.") from None
    return pandas


# ------------------------------------------------------------------------------ history
def history_of(records: Sequence[EpochRecord]) -> dict[str, np.ndarray]:
    """The columns of history.csv as NumPy arrays, one entry per record: epoch, train_loss, val_loss, penalty,
    the metrics (in the records' order), lr, grad_norm, seconds.

    >>> from lossfit.training import EpochRecord
    >>> history = history_of([EpochRecord(1, 0.5, 0.6, 0.0, {"r2": 0.9}, 0.1, 2.0, 0.01)])
    >>> list(history), history["train_loss"]
    (['epoch', 'train_loss', 'val_loss', 'penalty', 'r2', 'lr', 'grad_norm', 'seconds'], array([0.5]))
    """
    names = list(records[0].metrics) if records else []
    columns: dict[str, np.ndarray] = {"epoch": np.array([r.epoch for r in records], dtype=np.int64)}
    for key in ("train_loss", "val_loss", "penalty"):
        columns[key] = np.array([getattr(r, key) for r in records], dtype=np.float64)
    for name in names:
        columns[name] = np.array([r.metrics.get(name, math.nan) for r in records], dtype=np.float64)
    for key in ("lr", "grad_norm", "seconds"):
        columns[key] = np.array([getattr(r, key) for r in records], dtype=np.float64)
    return columns


def _ipython_display() -> Any:
    """IPython.display (only ever imported inside a notebook, where IPython is already loaded)."""
    return importlib.import_module("IPython.display")


# ------------------------------------------------------------------------------ figures
class Figures(list[Any]):
    """matplotlib Figures, shown inline one after another when a notebook displays this list.

    A plain list otherwise (`figures[0].savefig("x.png")`); `names` holds the run folder's file
    name of each figure (`loss_curve.png`, `fit.png`...).
    """

    def __init__(self, figures: Iterable[Any] = (), names: Iterable[str] = ()) -> None:
        super().__init__(figures)
        self.names = list(names)

    def named(self, name: str) -> Any:
        """The figure the run folder saves as `name` (with or without .png)."""
        key = name if name.endswith(".png") else f"{name}.png"
        if key not in self.names:
            raise KeyError(f"no figure {key!r}; these are {', '.join(self.names)}")
        return self[self.names.index(key)]

    def _ipython_display_(self) -> None:
        ipython = _ipython_display()
        for figure in self:
            ipython.display(ipython.Image(data=png_bytes(figure, INLINE_DPI), format="png"))

    def __repr__(self) -> str:
        return f"Figures({', '.join(self.names) or len(self)})"


def show_figures_inline() -> None:
    """Let the notebook show a matplotlib Figure as a PNG, as `%matplotlib inline` does once pyplot is
    imported (lossfit never imports pyplot); a formatter already registered for Figure is kept."""
    from matplotlib.figure import Figure

    shell = sys.modules["IPython"].get_ipython()
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        formatter.for_type(Figure, lambda figure: png_bytes(figure, INLINE_DPI))


def png_bytes(figure: Any, dpi: float | None = None, fast: bool = False) -> bytes:
    """The figure as PNG bytes (its Agg canvas; no pyplot); `fast`: zlib's fastest level (larger files)."""
    buffer = io.BytesIO()
    options = {"pil_kwargs": {"compress_level": 1}} if fast else {}
    figure.savefig(buffer, format="png", dpi=dpi or figure.dpi, **options)
    return buffer.getvalue()


def draw(jobs: Iterable[tuple[str, Callable[[], Any]]]) -> Figures:
    """Run (file name, draw function) jobs into a Figures list (in a notebook, a Figure shows inline too)."""
    if in_notebook():
        show_figures_inline()
    figures = Figures()
    for name, job in jobs:
        figures.append(job())
        figures.names.append(name)
    return figures


# ------------------------------------------------------------------------------ live view
class Frame:
    """One picture of the live view: a PNG and a line of text (what a notebook without images shows)."""

    def __init__(self, png: bytes | None, text: str) -> None:
        self.png, self.text = png, text

    def _repr_png_(self) -> bytes | None:
        return self.png

    def __repr__(self) -> str:
        return self.text


class Clocked:
    """A view redrawn by a background thread on a clock; subclasses say what a frame is (`frame`).

    `tick()` draws a frame when something new arrived and the clock allows it; the thread calls it
    every REFRESH_SECONDS (tests call it with a fake `clock` and no thread). `frames` counts frames drawn.
    """

    def __init__(self, *, clock: Callable[[], float] = time.perf_counter, thread: bool = True,
                 show: Callable[[Frame], Any] | None = None) -> None:
        self.frames = 0
        self._clock = clock
        self._threaded = thread
        self._show = show  # display/update a frame; None: IPython's display handle
        self._handle: Any = None
        self._version = 0  # bumped by each record received (cheap: an int)
        self._drawn_version = 0
        self._next_at = -math.inf
        self._cost = 0.0  # what the last frame took, in seconds of the clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one frame at a time (the thread's, or the last one at close)
        self.figure: Any = None
        self.error: Exception | None = None  # what stopped the drawing, if anything did

    def frame(self, final: str | None = None) -> Frame:
        raise NotImplementedError

    def start(self, text: str) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # imported here, not in the thread
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=SIZE, dpi=LIVE_DPI)
        FigureCanvasAgg(self.figure)
        if self._show is None:
            self._handle = _ipython_display().display(Frame(None, text), display_id=True)
        else:
            self._show(Frame(None, text))
        if self._threaded:
            context = contextvars.copy_context()  # the kernel's parent message: frames go to this cell
            self._thread = threading.Thread(target=context.run, args=(self._run,), name="lossfit-notebook",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(REFRESH_SECONDS):
            try:
                self.tick()
            except Exception as err:  # a view never costs the run: stop drawing, say so at the end
                self.error = err
                return

    def tick(self) -> bool:
        """Draw a frame if a record arrived since the last one and the clock allows; True if drawn."""
        now = self._clock()
        if self._version == self._drawn_version or now < self._next_at:
            return False
        with self._lock:
            self._draw(None, now)
        return True

    def _draw(self, final: str | None, now: float) -> None:
        version = self._version
        frame = self.frame(final)
        cost = self._clock() - now
        self._drawn_version = version
        # the cheaper of the last two frames: the first one (fonts, caches) alone does not hold the next back
        self._next_at = now + max(REFRESH_SECONDS, min(cost, self._cost) / MAX_SHARE)
        self._cost = cost
        self.frames += 1
        if self._show is not None:
            self._show(frame)
        elif self._handle is not None:
            self._handle.update(frame)

    def stop(self, final: str) -> None:
        """Stop the clock and draw the last frame (from the calling thread)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.figure is None:
            return
        try:
            with self._lock:
                self._draw(final, self._clock())
        except Exception as err:  # a view never costs the run its summary (or its run folder)
            self.error = self.error or err
        finally:
            self.figure = None
        if self.error is not None:
            warnings.warn(f"lossfit's live view stopped drawing: {reason(self.error)}", stacklevel=2)


class Plot:
    """The live view's one axes, built once: each frame only moves its lines and rewrites its texts
    (a new axes would cost a third of a frame)."""

    def __init__(self, figure: Any, title: str, ylabel: str | None = None) -> None:
        self.figure = figure
        self.ax = ax = figure.add_subplot()
        ax.grid(True, alpha=0.3)
        ax.set_xlabel("epoch", fontsize=8)
        if ylabel:
            ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_title(title, fontsize=8, loc="left")
        self.note = figure.text(0.01, 0.01, "", fontsize=7, color="#555555")
        figure.subplots_adjust(left=0.11, right=0.98, top=0.88, bottom=0.26)
        self.lines: list[Any] = []
        self.labels: list[str] = []
        self.log = False

    def line(self, label: str, color: str, style: str = "-") -> Any:
        (line,) = self.ax.plot([], [], color=color, linewidth=1.4, linestyle=style, label=label)
        self.lines.append(line)
        self.labels.append(label)
        return line

    def legend(self, labels: Sequence[str] | None = None) -> None:
        """Draw the legend, naming the lines `labels` (their labels as built if not given)."""
        for line, label in zip(self.lines, labels or self.labels):
            line.set_label(label)
        self.labels = [line.get_label() for line in self.lines]
        self.ax.legend(fontsize=7, frameon=False, loc="upper right")

    def png(self, values: Iterable[np.ndarray], xmax: float, note: str) -> bytes:
        """The frame, once the lines have their data: y limits (log when the values span decades), x to xmax."""
        finite = np.concatenate([v[np.isfinite(v)] for v in values] or [np.zeros(0)])
        log = bool(finite.size and finite.min() > 0 and finite.max() / finite.min() > 30)
        if log != self.log:
            self.ax.set_yscale("log" if log else "linear")
            self.log = log
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            if log:
                self.ax.set_ylim(low / 1.3, high * 1.3)
            else:
                pad = 0.05 * (high - low) or 0.5 * abs(high) or 1.0
                self.ax.set_ylim(low - pad, high + pad)
        self.ax.set_xlim(1, max(xmax, 2))
        self.note.set_text(note)
        return png_bytes(self.figure, fast=True)


def _fmt(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def _held(log: RecordLog) -> list[EpochRecord]:
    """The log's records, read while training appends to it (a deque mutated mid-copy is retried)."""
    for _ in range(5):
        try:
            return log.kept()
        except RuntimeError:
            continue
    return [log.last] if log.last is not None else []


class LiveCurve(Clocked):
    """Sink: train and validation loss against epochs in the cell's output, redrawn on the clock.

    `write` keeps the record and nothing more (the run's own RecordLog, `RunInfo.log`, holds the
    history; without one this view keeps its own, bounded).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._info: RunInfo | None = None
        self._log = RecordLog()
        self._own_log = True
        self._last: EpochRecord | None = None
        self._plot: Plot | None = None

    def open(self, info: RunInfo) -> None:
        self._info = info
        self._own_log = info.log is None
        self._log = RecordLog() if info.log is None else info.log
        self.start(f"lossfit {info.title}: starting ({info.epochs} epochs)")

    def write(self, record: EpochRecord) -> None:
        if self._own_log:
            self._log.append(record)
        self._last = record
        self._version += 1

    def frame(self, final: str | None = None) -> Frame:
        assert self._info is not None and self.figure is not None
        info, records = self._info, _held(self._log)
        if not records:
            return Frame(None, f"lossfit {info.title}: {final or 'no epoch yet'}")
        if self._plot is None:
            self._plot = Plot(self.figure, info.title)
            self._plot.line("train loss", "#1f77b4")
            if info.n_val:
                self._plot.line("validation loss", "#d62728", "--")
            self._plot.legend()
        last = records[-1]
        epochs = np.array([r.epoch for r in records])
        curves = [np.array([r.train_loss for r in records], dtype=float)]
        if info.n_val:
            curves.append(np.array([r.val_loss for r in records], dtype=float))
        for line, values in zip(self._plot.lines, curves):
            line.set_data(epochs, values)
        metric = last.metrics.get(info.main_metric, math.nan)
        note = (f"epoch {last.epoch}/{info.epochs} · train {_fmt(last.train_loss)} · val {_fmt(last.val_loss)} · "
                f"{info.main_metric} {_fmt(metric)} · {last.seconds:.2f} s" + (f" · {final}" if final else ""))
        png = self._plot.png(curves, info.epochs if final is None else last.epoch, note)
        return Frame(png, f"lossfit {info.title}: {note}")

    def close(self, summary: RunSummary) -> None:
        self.stop(summary.status)


class LiveRace(Clocked):
    """compare's live view (a leaderboard for `comparison.race`): each variant's training loss relative to
    its start, on one axes, redrawn on the clock. `update` keeps the record in the variant's bounded log."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._race: Any = None
        self._logs: list[RecordLog] = []
        self._status: list[str | None] = []
        self._plot: Plot | None = None

    def open(self, race: Any) -> None:
        self._race = race
        self._logs = [RecordLog() for _ in race.entries]
        self._status = [None for _ in race.entries]
        self.start(f"lossfit compare {race.title}: starting")

    def update(self, index: int, record: EpochRecord) -> None:
        self._logs[index].append(record)
        self._version += 1

    def ended(self, index: int, status: str) -> None:
        self._status[index] = status
        self._version += 1

    def frame(self, final: str | None = None) -> Frame:
        from lossfit.plots._style import variant_color

        assert self._race is not None and self.figure is not None
        race = self._race
        if self._plot is None:
            self._plot = Plot(self.figure, f"compare {race.title}", "loss / its start")
            for index, entry in enumerate(race.entries):
                self._plot.line(entry.label, variant_color(index))
            self._plot.legend()
        curves, parts = [], []
        for entry, log, line in zip(race.entries, self._logs, self._plot.lines):
            records = _held(log)
            if not records:
                continue
            start = entry.initial_loss if math.isfinite(entry.initial_loss) and entry.initial_loss else 1.0
            values = np.array([r.train_loss for r in records], dtype=float) / start
            line.set_data([r.epoch for r in records], values)
            curves.append(values)
            parts.append(f"{entry.label} {records[-1].epoch}")
        labels = [entry.label + (f" ({status})" if status not in (None, "completed", "early_stopped") else "")
                  for entry, status in zip(race.entries, self._status)]
        if labels != self._plot.labels:
            self._plot.legend(labels)
        epochs = max(e.prepared.config.epochs for e in race.entries)
        done = max((log.last.epoch for log in self._logs if log.last is not None), default=1)
        note = "epochs: " + ", ".join(parts) + (f" · {final}" if final else "")
        png = self._plot.png(curves, epochs if final is None else done, note)
        return Frame(png, f"lossfit compare {race.title}: {note}")

    def close(self) -> None:
        self.stop("done")
