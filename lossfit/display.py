"""What the user sees while training: a live rich table, or plain log lines.

- `LiveTable` (a terminal): a rich `Live` on stderr that redraws from the latest
  records on a clock (10 times a second, plus a final refresh). `write()` only
  stores the record, so thousands of epochs a second stay fast.
- `PlainLog` (a pipe, CI, a log file): one line every k epochs (about 20 lines
  per run) plus the last, with no escape codes.

`render_table` is a pure function from records to a rich renderable; both the
live display and the tests use it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import IO

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from lossfit.sinks import RunInfo, RunSummary
from lossfit.training import EpochRecord

REFRESH_PER_SECOND = 10
TABLE_ROWS = 10  # milestone rows shown in the live table, plus the current epoch
PLAIN_LINES = 20  # about this many lines per run in plain mode
SPARK = "▁▂▃▄▅▆▇█"
COLUMN = 11  # width of each number column in the live view
METRIC_LABELS = {"r2": "R²", "accuracy": "accuracy"}


@dataclass
class Terminal:
    """The two output streams: results on stdout, progress and diagnostics on stderr."""

    out: Console
    err: Console

    @classmethod
    def create(cls, no_color: bool = False) -> Terminal:
        return cls(Console(no_color=no_color or None, soft_wrap=True),
                   Console(stderr=True, no_color=no_color or None, soft_wrap=True))

    def error(self, message: str) -> None:
        self.err.print(Text.assemble(("Error: ", "bold red"), message), soft_wrap=True, highlight=False)

    def note(self, message: str) -> None:
        self.err.print(Text(message, style="dim"), soft_wrap=True, highlight=False)


def progress_sink(mode: str, terminal: Terminal) -> LiveTable | PlainLog | None:
    """The sink for --progress auto|rich|plain|none (`auto`: rich on a terminal, else plain)."""
    if mode == "none":
        return None
    interactive = terminal.err.is_terminal and not terminal.err.is_dumb_terminal
    if mode == "rich" or (mode == "auto" and interactive):
        return LiveTable(terminal.err)
    return PlainLog(terminal.err.file)


def format_number(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4f}"


def sparkline(values: list[float], width: int = 12, low: float | None = None, high: float | None = None) -> str:
    """Unicode sparkline of `values` on a log scale (losses span decades), at most `width` characters."""
    values = _sample(values, width)
    finite = [v for v in values if math.isfinite(v) and v > 0]
    if not finite:
        return ""
    low_log = math.log10(low if low is not None else min(finite))
    high_log = math.log10(high if high is not None else max(finite))
    span = high_log - low_log or 1.0
    chars = []
    for v in values:
        if not math.isfinite(v) or v <= 0:
            chars.append("!" if not math.isfinite(v) else SPARK[0])
            continue
        level = (math.log10(v) - low_log) / span
        chars.append(SPARK[min(len(SPARK) - 1, max(0, int(level * (len(SPARK) - 1) + 0.5)))])
    return "".join(chars)


def _sample(values: list[float], width: int) -> list[float]:
    """At most `width` evenly spaced values, the last one included."""
    if len(values) <= width:
        return list(values)
    step = len(values) / width
    return [values[int(i * step)] for i in range(width - 1)] + [values[-1]]


def render_table(info: RunInfo, records: list[EpochRecord], elapsed: float | None = None) -> Group:
    """The live view: a header, milestone rows plus the current epoch, and a progress bar.

    Rows are fixed-width text rather than a rich Table: the view is redrawn ten
    times a second from a thread that shares the interpreter with training, and
    text lines cost a fraction of a table layout. Its cost does not grow with the
    number of epochs either (it looks at a few hundred records at most).
    """
    metric = info.main_metric
    count = len(records)  # the list may grow while we draw: use what is there now
    shown = _milestones(count, info.epochs)
    windows, previous = [], 0
    for index in shown:
        windows.append(_sample([records[i].train_loss for i in _spread(previous, index + 1, 48)], 12))
        previous = index + 1
    finite = [v for window in windows for v in window if math.isfinite(v) and v > 0]
    low, high = (min(finite), max(finite)) if finite else (None, None)

    epoch_width = max(5, len(str(info.epochs)))
    names = ("train loss", "val loss", METRIC_LABELS.get(metric, metric), "lr", "|grad|")
    lines = [Text(f"{'epoch':>{epoch_width}}" + "".join(f"{name:>{COLUMN}}" for name in names) + "  trend",
                  style="bold")]
    for index, window in zip(shown, windows):
        r = records[index]
        numbers = (r.train_loss, r.val_loss, r.metrics.get(metric, math.nan), r.lr, r.grad_norm)
        row = f"{r.epoch:>{epoch_width}}" + "".join(f"{format_number(v):>{COLUMN}}" for v in numbers) + "  "
        lines.append(Text.assemble(row, (sparkline(window, 12, low, high), "cyan"),
                                   style="bold" if index == count - 1 else ""))
    done = records[count - 1].epoch if count else 0
    seconds = elapsed if elapsed is not None else (records[count - 1].seconds if count else 0.0)
    rate = f"{done / seconds:,.0f} epochs/s" if seconds > 0 and done else ""
    footer = Table.grid(padding=(0, 1))
    footer.add_row(ProgressBar(total=info.epochs, completed=done, width=30),
                   Text(f"{done}/{info.epochs} epochs  {seconds:.2f} s  {rate}", style="dim"))
    header = Text.assemble(("lossfit ", "bold"), info.title,
                           (f"   {info.n_train} train / {info.n_val} val", "dim"))
    return Group(header, *lines, footer)


def _spread(start: int, stop: int, most: int) -> range:
    """Up to about `most` evenly spaced indices in [start, stop), always ending at stop - 1."""
    step = max(1, (stop - start) // most)
    return range(stop - 1 - ((stop - 1 - start) // step) * step, stop, step) if stop > start else range(0)


def _milestones(count: int, epochs: int) -> list[int]:
    """Indices of the records to show: epoch 1, about TABLE_ROWS evenly spaced epochs, and the latest.

    Records are consecutive epochs from 1, so record i is epoch i + 1.
    """
    if not count:
        return []
    every = max(1, math.ceil(epochs / TABLE_ROWS))
    indices = sorted({0, *range(every - 1, count, every)})
    if indices[-1] != count - 1:
        indices.append(count - 1)
    return indices[-(TABLE_ROWS + 1):]


class LiveTable:
    """Sink: a rich Live table on stderr that refreshes on a clock, never per epoch."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._records: list[EpochRecord] = []
        self._info: RunInfo | None = None
        self._live: Live | None = None
        self._start = 0.0

    def open(self, info: RunInfo) -> None:
        self._info = info
        self._start = time.perf_counter()
        self._live = Live(console=self.console, refresh_per_second=REFRESH_PER_SECOND,
                          get_renderable=self._render, transient=False, redirect_stdout=False,
                          redirect_stderr=False)
        self._live.start()

    def _render(self) -> Group:
        assert self._info is not None
        elapsed = None if self._live is None else time.perf_counter() - self._start
        return render_table(self._info, self._records, elapsed)

    def write(self, record: EpochRecord) -> None:
        self._records.append(record)

    def close(self, summary: RunSummary) -> None:
        if self._live is not None:
            live, self._live = self._live, None  # the final frame shows training time, not wall time
            live.refresh()
            live.stop()
            if not self.console.is_terminal:  # rich leaves its one final frame without a line end
                self.console.line()


class PlainLog:
    """Sink: one plain line every k epochs (about PLAIN_LINES per run) plus the last."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._every = 1
        self._last: EpochRecord | None = None
        self._last_written = 0
        self._metric = ""
        self._width = 1
        self._epochs = 0

    def open(self, info: RunInfo) -> None:
        self._every = max(1, math.ceil(info.epochs / PLAIN_LINES))
        self._metric = info.main_metric
        self._epochs = info.epochs
        self._width = len(str(info.epochs))
        self.stream.write(f"lossfit {info.title} ({info.n_train} train / {info.n_val} val, {info.epochs} epochs)\n")
        self.stream.flush()

    def write(self, record: EpochRecord) -> None:
        self._last = record
        if record.epoch % self._every == 0 or record.epoch == 1:
            self._line(record)

    def _line(self, r: EpochRecord) -> None:
        self._last_written = r.epoch
        self.stream.write(
            f"epoch {r.epoch:>{self._width}}/{self._epochs}  train_loss {format_number(r.train_loss)}  "
            f"val_loss {format_number(r.val_loss)}  {self._metric} {format_number(r.metrics.get(self._metric, math.nan))}  "
            f"lr {format_number(r.lr)}  grad_norm {format_number(r.grad_norm)}  {r.seconds:.2f}s\n"
        )
        self.stream.flush()

    def close(self, summary: RunSummary) -> None:
        if self._last is not None and self._last.epoch != self._last_written:
            self._line(self._last)
