"""What the user sees while `lossfit compare` races: a live leaderboard, or plain log lines.

- `LiveBoard` (a terminal): a rich `Live` on stderr redrawn on a clock (10 times
  a second, and once at the end), one row per variant: its epoch, its own loss,
  the common metric, a sparkline and its status, the current leader marked.
  `update()` only stores the record, so the race runs at full speed.
- `PlainBoard` (a pipe, CI, a log file): one line every k epochs (about
  PLAIN_LINES per race) with every variant's common metric, the leader starred,
  plus one line when a variant ends early.

`render_board` is a pure function from the board's state to a rich renderable;
the live view and the tests both use it.
"""

from __future__ import annotations

import bisect

import math
import time
from dataclasses import dataclass, field
from typing import IO, Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.style import Style

from lossfit.display import (BOLD, BOLD_GREEN, CYAN, DIM, PLAIN, REFRESH_PER_SECOND, Frame, Line, Terminal,
                             format_number, sparkline, terminal_width, wrap_line)
from lossfit.metrics import LOWER_IS_BETTER, NAMES
from lossfit.training import EpochRecord

PLAIN_LINES = 10
LABEL_WIDTH = 26
STATUS_WORDS = {"completed": "done", "early_stopped": "stopped early", "diverged": "diverged",
                "interrupted": "interrupted", "failed": "failed", None: "running"}
STATUS_STYLES = {"diverged": Style(bold=True, color="red"), "failed": Style(bold=True, color="red"),
                 "early_stopped": Style(color="yellow"), "interrupted": Style(color="yellow"),
                 "completed": Style(color="green")}


@dataclass
class Lane:
    """One variant's state in the race."""

    label: str
    epochs: list[int] = field(default_factory=list)  # the epochs whose training loss is kept (`keeps`)...
    losses: list[float] = field(default_factory=list)  # ...and that loss
    last: EpochRecord | None = None
    status: str | None = None  # None while running
    next: int = 1  # the next epoch to keep

    def add(self, record: EpochRecord) -> None:
        self.last = record
        if record.epoch >= self.next:
            self.keep(record)

    def keep(self, record: EpochRecord) -> None:
        """Keep this record's loss (a frame may read the lane meanwhile: the loss goes in before its epoch)."""
        self.losses.append(record.train_loss)
        self.epochs.append(record.epoch)
        self.next = next_kept(record.epoch)


PER_OCTAVE = 64  # the trend is 12 log-spaced values: 64 per doubling place each within 1.6% of its epoch


def keeps(epoch: int) -> bool:
    """Whether a lane keeps this epoch's loss: every epoch up to 128, then PER_OCTAVE evenly spaced
    epochs per doubling, so a million epochs keep about 1,000 values and the early ones all stay;
    past epoch 128 a lane's `update` mostly only stores the record."""
    return epoch % max(1, (1 << (epoch.bit_length() - 1)) // PER_OCTAVE) == 0


def next_kept(epoch: int) -> int:
    """The first epoch after `epoch` that a lane `keeps`.

    >>> [next_kept(e) for e in (1, 127, 128, 255, 256, 257)]
    [2, 128, 130, 256, 260, 260]
    """
    after = epoch + 1
    step = max(1, (1 << (after.bit_length() - 1)) // PER_OCTAVE)
    return -(-after // step) * step  # rounding up to a power of two lands on the next octave's first kept epoch


@dataclass
class BoardState:
    """What the leaderboard shows, updated by `update`/`ended`, read by `render_board`."""

    title: str
    short_title: str  # for narrow terminals: "optimizer, lr: 8 variants on linear"
    metric: str  # a key of the records' metrics
    metric_label: str  # "val MAE"
    lower_is_better: bool
    epochs: int
    n_train: int
    n_val: int
    lanes: list[Lane]

    @classmethod
    def of(cls, race: Any) -> BoardState:
        metric = race.live_metric
        split = "val" if len(race.dataset.X_val) else "train"
        return cls(race.title, race.short_title, metric, f"{split} {NAMES.get(metric, metric)}", metric in LOWER_IS_BETTER,
                   race.config.epochs, len(race.dataset.X_train), len(race.dataset.X_val),
                   [Lane(entry.label) for entry in race.entries])

    def update(self, index: int, record: EpochRecord) -> None:
        self.lanes[index].add(record)

    def score(self, lane: Lane) -> float | None:
        if lane.last is None or lane.status in ("diverged", "failed"):
            return None
        value = lane.last.metrics.get(self.metric)
        return value if value is not None and math.isfinite(value) else None

    def leader(self) -> int | None:
        """Index of the lane with the best common metric right now (None before any score)."""
        scored = [(score, i) for i, lane in enumerate(self.lanes) if (score := self.score(lane)) is not None]
        if not scored:
            return None
        sign = 1.0 if self.lower_is_better else -1.0
        best = min(sign * score for score, _ in scored)
        leaders = [i for score, i in scored if sign * score == best]
        return leaders[0] if len(leaders) == 1 else None  # a tie (every variant at its start) has no leader


def render_board(state: BoardState, elapsed: float, width: int = 100) -> Group:
    """The live leaderboard as rich Texts: header, one row per variant (leader marked), a progress bar."""
    return board_frame(state, elapsed, width).group()


def board_frame(state: BoardState, elapsed: float, width: int = 100, encoding: str = "utf-8") -> Frame:
    """The live leaderboard: header, one row per variant (leader marked), a progress bar.

    It fits `width` columns: long variant names are shortened first, then the trend column goes.
    It reads each lane once (its last record and status), so a frame drawn while the race
    goes on shows one consistent moment per lane.
    """
    snapshot = [(lane, lane.last, lane.status) for lane in state.lanes]
    leader = state.leader()
    epoch_width = len(str(state.epochs))
    metric_width = max(11, len(state.metric_label) + 1)
    fixed = 2 + 1 + (2 * epoch_width + 1) + 1 + 10 + 1 + metric_width + 2 + 13  # all but the label and trend
    show_trend = width - fixed - 14 >= 12
    room = width - fixed - (14 if show_trend else 0)
    label_width = max(8, min(LABEL_WIDTH, room, max(len("variant"), *(len(lane.label) for lane in state.lanes))))
    trend = f"{'trend':<12}  " if show_trend else ""
    head = (f"  {'variant':<{label_width}} {'epoch':>{2 * epoch_width + 1}} {'own loss':>10} "
            f"{state.metric_label:>{metric_width}}  {trend}status")  # "own loss": not comparable across variants
    sizes = f"   {state.n_train} train / {state.n_val} val"
    title = state.title if len("lossfit compare ") + len(state.title) + len(sizes) <= width else state.short_title
    lines: list[Line] = [[("lossfit compare ", BOLD), (title, PLAIN), (sizes, DIM)], [(head, BOLD)]]
    done = 0
    for index, (lane, record, status) in enumerate(snapshot):
        epoch = record.epoch if record else 0
        done += state.epochs if status is not None else epoch
        label = lane.label if len(lane.label) <= label_width else lane.label[: label_width - 1] + "…"
        score = state.score(lane)
        row = (f"{'▶' if index == leader else ' '} {label:<{label_width}} {epoch:>{epoch_width}}/{state.epochs} "
               f"{format_number(record.train_loss) if record else '–':>10} "
               f"{format_number(score) if score is not None else '–':>{metric_width}}  ")
        line: Line = [(row, BOLD_GREEN if index == leader else PLAIN)]
        if show_trend:
            line.append((f"{sparkline(log_spaced(lane, 12), 12):<12}  ", CYAN))
        line.append((STATUS_WORDS.get(status, status or "running"), STATUS_STYLES.get(status or "", DIM)))
        lines.append(line)
    return Frame(lines, state.epochs * len(state.lanes), done, f"{len(state.lanes)} variants  {elapsed:.2f} s",
                 encoding)


def log_spaced(lane: Lane, width: int) -> list[float]:
    """The lane's training loss at at most `width` geometrically spaced epochs (1, 2, 4, ... the last):
    a loss falls fastest at the start, so even spacing would spend the sparkline on its flat tail.
    Each is the loss of the last kept epoch at or before the wanted one.

    >>> lane = Lane("mse")
    >>> for epoch in range(1, 1001):
    ...     lane.add(EpochRecord(epoch, float(epoch), 0.0, 0.0, {}, 0.1, 1.0, 0.0))
    >>> log_spaced(lane, 5)
    [1.0, 7.0, 33.0, 178.0, 1000.0]
    """
    if lane.last is None:
        return []
    n = lane.last.epoch
    if n <= width:
        return lane.losses[-n:]
    wanted = sorted({1, *(round((n - 1) ** (i / (width - 1))) + 1 for i in range(1, width))})
    values = [lane.losses[bisect.bisect_right(lane.epochs, epoch) - 1] for epoch in wanted[:-1]]
    return [*values, lane.last.train_loss]


class LiveBoard:
    """The leaderboard as a rich Live on stderr, drawn on a clock (REFRESH_PER_SECOND), never per epoch.

    `update`, the per-epoch hand-off, stores the record in its lane (and, at the epochs a
    lane keeps for its trend, its loss); the refresh thread draws each frame from what the
    lanes hold then, as lines of text (`board_frame`).
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.state: BoardState | None = None
        self.frames = 0  # frames drawn
        self._lanes: list[Lane] = []
        self._live: Live | None = None
        self._start = 0.0

    def open(self, race: Any) -> None:
        self.state = BoardState.of(race)
        self._lanes = self.state.lanes
        self._start = time.perf_counter()
        self._live = Live(console=self.console, refresh_per_second=REFRESH_PER_SECOND, get_renderable=self._render,
                          transient=False, redirect_stdout=False, redirect_stderr=False)
        self._live.start()

    def _render(self) -> RenderableType:
        assert self.state is not None
        self.frames += 1
        return board_frame(self.state, time.perf_counter() - self._start, self.console.width, self.console.encoding)

    def update(self, index: int, record: EpochRecord) -> None:
        lane = self._lanes[index]
        lane.last = record
        if record.epoch >= lane.next:
            lane.keep(record)

    def ended(self, index: int, status: str) -> None:
        self._lanes[index].status = status

    def close(self) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            live.refresh()
            live.stop()
            if not self.console.is_terminal:  # rich leaves its one final frame without a line end
                self.console.line()


class PlainBoard:
    """One line every k epochs with every variant's common metric (the leader starred)."""

    def __init__(self, stream: IO[str], width: int | None = None) -> None:
        self.stream = stream
        self.width = width  # wrap lines at spaces to this width (a terminal); None: whole lines
        self.state: BoardState | None = None
        self._every = 1
        self._round = 0  # the epoch of the round being collected
        self._written = 0  # the last epoch written

    def open(self, race: Any) -> None:
        self.state = BoardState.of(race)
        self._every = max(1, math.ceil(self.state.epochs / PLAIN_LINES))
        s = self.state
        self._write(f"lossfit compare {s.title} ({s.n_train} train / {s.n_val} val, {s.epochs} epochs, "
                    f"{len(s.lanes)} variants)")

    def update(self, index: int, record: EpochRecord) -> None:
        assert self.state is not None
        if record.epoch != self._round:
            self._flush_round()
            self._round = record.epoch
        self.state.update(index, record)

    def ended(self, index: int, status: str) -> None:
        assert self.state is not None
        lane = self.state.lanes[index]
        lane.status = status
        if status != "completed" and status != "interrupted":
            epoch = lane.last.epoch if lane.last else 0
            self._write(f"  {lane.label}: {STATUS_WORDS.get(status, status)} at epoch {epoch}")

    def _flush_round(self) -> None:
        epoch = self._round
        if epoch and epoch != self._written and (epoch == 1 or epoch % self._every == 0):
            self._line(epoch)

    def _line(self, epoch: int) -> None:
        assert self.state is not None
        state, leader = self.state, self.state.leader()
        width = len(str(state.epochs))
        parts = []
        for index, lane in enumerate(state.lanes):
            score = state.score(lane)
            value = format_number(score) if score is not None else STATUS_WORDS.get(lane.status, "–")
            parts.append(f"{lane.label} {value}{'*' if index == leader else ''}")
        self._written = epoch
        self._write(f"epoch {epoch:>{width}}/{state.epochs}  {state.metric_label}: {' · '.join(parts)}")

    def _write(self, line: str) -> None:
        self.stream.write(wrap_line(line, self.width, sep=" · ") + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.state is None:
            return
        last = max((lane.last.epoch for lane in self.state.lanes if lane.last), default=0)
        if last and last != self._written:
            self._line(last)


def board_for(mode: str, terminal: Terminal) -> LiveBoard | PlainBoard | None:
    """The board for --progress auto|rich|plain|none (`auto`: live on a terminal, else plain)."""
    if mode == "none":
        return None
    interactive = terminal.err.is_terminal and not terminal.err.is_dumb_terminal
    if mode == "rich" or (mode == "auto" and interactive):
        return LiveBoard(terminal.err)
    return PlainBoard(terminal.err.file, width=terminal_width(terminal.err))
