"""What the user sees while training: a live rich table, or plain log lines.

- `LiveTable` (a terminal): a rich `Live` on stderr that redraws from the latest
  records on a clock (10 times a second, plus a final refresh). `write()` only
  stores the record, so thousands of epochs a second stay fast.
- `PlainLog` (a pipe, CI, a log file): one line every k epochs (about 20 lines
  per run) plus the last, with no escape codes.

`render_table` is a pure function from records to a rich renderable; both the
live display and the tests use it.

Any stream, any width (`Terminal.create`):

- A stream whose encoding cannot write lossfit's glyphs (`PYTHONIOENCODING=ascii`,
  a latin-1 log file) gets ASCII stand-ins: `·` -> `|` between words (`*` in
  `2·x`), `…` -> `...`, `²` -> `^2`, the sparkline -> ` .:-=+*#`, braille charts
  -> `'.:`, box drawing -> rich's ASCII box. Text is translated before rich lays
  it out (a render hook), so tables stay aligned; whatever slips through (rich's
  own ellipsis) is translated on the way out, and anything left becomes `?`.
  Output never dies of a UnicodeEncodeError.
- On a terminal, printed text wraps at spaces to the terminal's width (never
  inside a word or a number); into a pipe or a file nothing is wrapped, so each
  message stays one greppable line.
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import math
import sys
import textwrap
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from rich.cells import cell_len, set_cell_size
from rich.columns import Columns
from rich.console import (Console, ConsoleOptions, ConsoleRenderable, Group, JustifyMethod, OverflowMethod, RenderableType,
                          RenderHook)
from rich.live import Live
from rich.padding import Padding
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Span, Text

from lossfit.record_log import RecordLog

if TYPE_CHECKING:  # only annotations: importing the training loop would import NumPy for `lossfit losses`
    from lossfit.sinks import RunInfo, RunSummary
    from lossfit.training import EpochRecord

REFRESH_PER_SECOND = 10
TABLE_ROWS = 10  # milestone rows shown in the live table, plus the current epoch
PLAIN_LINES = 20  # about this many lines per run in plain mode
SPARK = "▁▂▃▄▅▆▇█"
COLUMN = 11  # width of each number column in the live view
METRIC_LABELS = {"r2": "R²", "accuracy": "accuracy"}


# ---------------------------------------------------------------- ASCII fallback
# The glyphs lossfit itself prints; a stream that cannot encode all of them gets the fallback.
GLYPHS = "·━…²–▶" + SPARK
ASCII_SPARK = " .:-=+*#"  # one character per sparkline level, in the same order
_ASCII: dict[str, str] = {
    **dict(zip(SPARK, ASCII_SPARK)), " ": " ",
    "·": "*", "•": "*", "…": "...", "–": "-", "—": "--", "−": "-", "‐": "-", "’": "'", "‘": "'", "“": '"',
    "”": '"', "━": "-", "─": "-", "│": "|", "┃": "|", "┤": "+", "├": "+", "└": "+", "┘": "+", "┌": "+",
    "┐": "+", "┼": "+", "┬": "+", "┴": "+", "═": "=", "║": "|", "▶": ">", "►": ">", "★": "*", "✓": "ok",
    "✗": "x", "×": "x", "÷": "/", "±": "+-", "≤": "<=", "≥": ">=", "≠": "!=", "≈": "~", "∼": "~", "∞": "inf",
    "√": "sqrt", "∑": "sum", "∏": "prod", "∇": "grad", "∂": "d", "∈": " in ", "←": "<-", "→": "->", "⇒": "=>",
    "↑": "^", "↓": "v", "⌊": "floor(", "⌋": ")", "⌈": "ceil(", "⌉": ")", "‖": "||", "∥": "||",
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "eps", "ζ": "zeta", "η": "eta",
    "θ": "theta", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho",
    "σ": "sigma", "τ": "tau", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "Δ": "Delta", "∆": "Delta",
    "Σ": "Sigma", "Π": "Pi", "Φ": "Phi", "Ω": "Omega", "\u0302": "^", "\u0304": "~",
    **{sup: f"^{digit}" for sup, digit in zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")},
    **{sub: f"_{digit}" for sub, digit in zip("₀₁₂₃₄₅₆₇₈₉", "0123456789")},
}
_BRAILLE_TOP, _BRAILLE_BOTTOM = 0b00011011, 0b11100100  # dots 1,2,4,5 / dots 3,6,7,8


def can_encode(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _stand_in(char: str, before: str, after: str, encoding: str) -> str:
    """An ASCII stand-in for one character the encoding cannot write."""
    if char == "·":
        return "|" if before == " " and after == " " else "*"  # a separator between words, else a product
    if char in _ASCII:
        return _ASCII[char]
    if "\u2800" <= char <= "\u28ff":  # a braille chart cell: its dots as ' . or :
        bits = ord(char) - 0x2800
        return " '.:"[bool(bits & _BRAILLE_TOP) + 2 * bool(bits & _BRAILLE_BOTTOM)]
    if unicodedata.combining(char):
        return ""
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    return plain if plain and can_encode(plain, encoding) else "?"


def to_encoding(text: str, encoding: str) -> str:
    """`text` with every character `encoding` cannot write replaced by an ASCII stand-in.

    >>> to_encoding("train 0.1 · val 0.2  R² 0.93  y = 2·x  ▁▄█  a…", "ascii")
    'train 0.1 | val 0.2  R^2 0.93  y = 2*x   -#  a...'
    """
    if can_encode(text, encoding):
        return text
    return "".join(_translate(text, encoding)[0])


def _translate(text: str, encoding: str) -> tuple[list[str], list[int]]:
    """The stand-ins of each character, and where each old position lands in the new text."""
    pieces: list[str] = []
    where = [0]
    for i, char in enumerate(text):
        if not can_encode(char, encoding):
            char = _stand_in(char, text[i - 1] if i else "", text[i + 1] if i + 1 < len(text) else "", encoding)
        pieces.append(char)
        where.append(where[-1] + len(char))
    return pieces, where


def _text_in(text: Text, encoding: str) -> Text:
    """A copy of `text` in `encoding`, its styles kept on the translated characters."""
    if can_encode(text.plain, encoding):
        return text
    pieces, where = _translate(text.plain, encoding)
    new = Text("".join(pieces), style=text.style, justify=text.justify, overflow=text.overflow,
               no_wrap=text.no_wrap, end=text.end, tab_size=text.tab_size)
    new.spans = [Span(where[span.start], where[span.end], span.style) for span in text.spans]
    return new


def in_encoding(renderable: Any, encoding: str) -> Any:
    """`renderable` with its text translated for `encoding`, before rich measures and lays it out.

    Knows Text, str, Table, Group, Padding, Panel and Columns (everything lossfit prints);
    anything else is returned as is and translated as it is written (`SafeStream`).
    """
    if isinstance(renderable, Text):
        return _text_in(renderable, encoding)
    if isinstance(renderable, str):
        return to_encoding(renderable, encoding)
    if isinstance(renderable, Table):
        table = copy.copy(renderable)
        table.title = in_encoding(table.title, encoding)
        table.caption = in_encoding(table.caption, encoding)
        table.columns = [dataclasses.replace(column, header=in_encoding(column.header, encoding),
                                             footer=in_encoding(column.footer, encoding),
                                             _cells=[in_encoding(cell, encoding) for cell in column._cells])
                         for column in renderable.columns]
        return table
    if isinstance(renderable, Group):
        group = copy.copy(renderable)
        group._renderables = tuple(in_encoding(part, encoding) for part in renderable._renderables)
        group._render = None
        return group
    if isinstance(renderable, (Padding, Panel)):
        padded = copy.copy(renderable)
        padded.renderable = in_encoding(renderable.renderable, encoding)
        if isinstance(padded, Panel):
            padded.title = in_encoding(padded.title, encoding)
            padded.subtitle = in_encoding(padded.subtitle, encoding)
        return padded
    if isinstance(renderable, Columns):
        columns = copy.copy(renderable)
        columns.renderables = [in_encoding(part, encoding) for part in renderable.renderables]
        return columns
    return renderable


def for_console(renderable: RenderableType, console: Console) -> RenderableType:
    """`renderable` as `console` can write it (unchanged when its encoding has every glyph)."""
    encoding = console.encoding
    return renderable if can_encode(GLYPHS, encoding) else in_encoding(renderable, encoding)


class _EncodingHook(RenderHook):
    """Translates what is printed into the console's encoding before rich lays it out."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [in_encoding(renderable, self.encoding) for renderable in renderables]


class SafeStream:
    """A text stream that never raises UnicodeEncodeError: unwritable characters get ASCII stand-ins."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.encoding: str = getattr(stream, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        safe = to_encoding(text, self.encoding)
        if not can_encode(safe, self.encoding):  # a stand-in the encoding lacks too (e.g. a UTF-16 oddity)
            safe = safe.encode(self.encoding, "replace").decode(self.encoding)
        return self.stream.write(safe)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(self.stream.isatty())

    def fileno(self) -> int:
        return self.stream.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class LossfitConsole(Console):
    """A rich Console whose tables and layouts always fit its width, and whose text wraps only on a terminal.

    Text (a str or a Text) follows the console's `soft_wrap`: wrapped at spaces on a
    terminal, whole lines into a pipe. Anything else (a Table, a Group) is laid out
    to the console's width everywhere, as `soft_wrap=True` would let it overflow.
    """

    def print(self, *objects: Any, sep: str = " ", end: str = "\n", style: str | Style | None = None,
              justify: JustifyMethod | None = None, overflow: OverflowMethod | None = None,
              no_wrap: bool | None = None, emoji: bool | None = None, markup: bool | None = None,
              highlight: bool | None = None, width: int | None = None, height: int | None = None,
              crop: bool = True, soft_wrap: bool | None = None, new_line_start: bool = False) -> None:
        if soft_wrap is None and any(not isinstance(part, (str, Text)) for part in objects):
            soft_wrap = False
        super().print(*objects, sep=sep, end=end, style=style, justify=justify, overflow=overflow,
                      no_wrap=no_wrap, emoji=emoji, markup=markup, highlight=highlight, width=width,
                      height=height, crop=crop, soft_wrap=soft_wrap, new_line_start=new_line_start)


def make_console(stream: IO[str] | None = None, *, stderr: bool = False, no_color: bool = False,
                 width: int | None = None, force_terminal: bool | None = None) -> Console:
    """A console on `stream` (default: the current stdout or stderr) that can write whatever lossfit prints.

    Its text wraps at spaces to its width when it is a terminal, and not at all otherwise.
    """
    target = stream if stream is not None else (sys.stderr if stderr else sys.stdout)
    encoding = getattr(target, "encoding", None) or "utf-8"
    fallback = not can_encode(GLYPHS, encoding)
    console = LossfitConsole(file=SafeStream(target) if fallback else stream,  # type: ignore[arg-type]
                             stderr=stderr, no_color=no_color or None, width=width, force_terminal=force_terminal)
    if fallback:
        console.push_render_hook(_EncodingHook(console.encoding))
    console.soft_wrap = not console.is_terminal  # a pipe gets whole lines; a terminal wraps at spaces
    return console


@dataclass
class Terminal:
    """The two output streams: results on stdout, progress and diagnostics on stderr."""

    out: Console
    err: Console

    @classmethod
    def create(cls, no_color: bool = False) -> Terminal:
        return cls(make_console(no_color=no_color), make_console(stderr=True, no_color=no_color))

    def error(self, message: str) -> None:
        self.err.print(Text.assemble(("Error: ", "bold red"), message), highlight=False)

    def note(self, message: str) -> None:
        self.err.print(Text(message, style="dim"), highlight=False)


def wrap_line(line: str, width: int | None, indent: str = "  ", sep: str | None = None) -> str:
    """`line` wrapped at spaces to `width` (continuations indented), or as it is when `width` is None.

    With `sep`, the line breaks between the fields `sep` separates first, so `lr 0.1`
    stays on one line; a field wider than a line is wrapped at its spaces. Words and
    numbers are never split, even one longer than the width.

    >>> print(wrap_line("epoch 10/100  train_loss 0.1234  val_loss 0.2345", 32, sep="  "))
    epoch 10/100  train_loss 0.1234
      val_loss 0.2345
    >>> print(wrap_line("lossfit mse on linear: a long title here", 20))
    lossfit mse on
      linear: a long
      title here
    """
    if width is None or len(line) <= width:
        return line
    lines: list[str] = []
    current = ""
    for field in (line.split(sep) if sep else [line]):
        if current and len(current) + len(sep or "") + len(field) <= width:
            current += (sep or "") + field
            continue
        if current:
            lines.append(current)
        current = field if not lines else indent + field.lstrip()
    lines.append(current)
    return "\n".join(part for long in lines for part in (
        [long] if len(long) <= width else textwrap.wrap(long, width=width, subsequent_indent=indent,
                                                        break_long_words=False, break_on_hyphens=False)))


def terminal_width(console: Console) -> int | None:
    """The width to wrap plain lines to: the console's when it is a terminal, else None (no wrapping)."""
    return console.width if console.is_terminal else None


def fits(console: Console, table: Table) -> bool:
    """Whether `table` fits the console's width with every column showing its longest word (or no_wrap
    cell) whole: nothing truncated, nothing split inside a word."""
    from rich.measure import Measurement

    options = console.options.update_width(4 * console.width)  # room to see a minimum wider than the console
    # rich measures a no_wrap column by its longest word; it needs its longest line: say so with min_width.
    strict = copy.copy(table)
    strict.columns = [column if not column.no_wrap else dataclasses.replace(
        column, min_width=max([column.min_width or 0, *(Measurement.get(console, options, cell).maximum
                                                        for cell in [column.header, *column.cells])]))
        for column in table.columns]
    return Measurement.get(console, options, strict).minimum <= console.width


def fit(console: Console, layouts: Iterable[Table]) -> Table:
    """The first of `layouts` that `fits` the console, else the last one."""
    chosen: Table | None = None
    for chosen in layouts:
        if fits(console, chosen):
            return chosen
    assert chosen is not None, "fit() needs at least one layout"
    return chosen


def progress_sink(mode: str, terminal: Terminal) -> LiveTable | PlainLog | None:
    """The sink for --progress auto|rich|plain|none (`auto`: rich on a terminal, else plain)."""
    if mode == "none":
        return None
    interactive = terminal.err.is_terminal and not terminal.err.is_dumb_terminal
    if mode == "rich" or (mode == "auto" and interactive):
        return LiveTable(terminal.err)
    return PlainLog(terminal.err.file, width=terminal_width(terminal.err))


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


Piece = tuple[str, Style]  # a run of text in one style
Line = list[Piece]
PLAIN, BOLD, DIM, CYAN = Style(), Style(bold=True), Style(dim=True), Style(color="cyan")
BOLD_CYAN, BOLD_GREEN = Style(bold=True, color="cyan"), Style(bold=True, color="green")


class Frame:
    """One frame of a live view: lines of preformatted text, then a progress bar and a note.

    Drawing it takes no layout: each line's pieces are written as they are, cropped to
    the width (a title too long loses the sizes after it, then ends in "…"). This is what
    the refresh thread draws ten times a second while training shares the interpreter
    with it, so it must be cheap; `group()` gives the same frame as rich Texts (for
    printing or inspecting it).
    """

    def __init__(self, lines: list[Line], total: int, done: int, note: str, encoding: str = "utf-8") -> None:
        if not can_encode(GLYPHS, encoding):
            lines = [[(to_encoding(text, encoding), style) for text, style in line] for line in lines]
            note = to_encoding(note, encoding)
        self.lines, self.total, self.done, self.note = lines, total, done, note

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterable[Segment]:
        width = options.max_width
        for number, line in enumerate(self.lines):
            room = width
            if number == 0 and len(line) > 2 and sum(cell_len(text) for text, _ in line) > width:
                line = line[:2]  # a title too long for the line: the sizes after it go first
            for text, style in line:
                size = cell_len(text)
                if size > room:
                    if room > 0:
                        yield Segment(set_cell_size(text, room - 1) + "…" if number == 0 and room > 1
                                      else set_cell_size(text, room), style)
                    break
                yield Segment(text, style)
                room -= size
            yield Segment.line()
        bar = min(30, width)
        yield from console.render(ProgressBar(total=self.total, completed=self.done, width=bar),
                                  options.update_width(bar))
        if width > bar + 1:
            yield Segment(" " + set_cell_size(self.note, width - bar - 1).rstrip(), DIM)
        yield Segment.line()

    def group(self) -> Group:
        """The same frame as rich Texts (not wrapped: cropped, like the live view), the bar in a grid."""
        footer = Table.grid(padding=(0, 1))
        footer.add_row(ProgressBar(total=self.total, completed=self.done, width=30), Text(self.note, style=DIM))
        return Group(*(Text.assemble(*line, no_wrap=True, overflow="ellipsis") for line in self.lines), footer)


def render_table(info: RunInfo, records: list[EpochRecord], elapsed: float | None = None,
                 width: int | None = None) -> Group:
    """The live view: a header, milestone rows plus the current epoch, and a progress bar.

    Milestones here are the last records held at or before each milestone epoch (the live
    table keeps the milestone records themselves as they pass: `LiveTable`). Without room
    for the trend column in `width`, it is left out.
    """
    shown = [records[i] for i in _milestones(records, info.epochs)]
    windows, previous = [], 0
    for r in shown:
        windows.append(_window(records, previous, r.epoch))
        previous = r.epoch
    return table_frame(info, shown, windows, elapsed, width).group()


def _window(records: list[EpochRecord], after: int, upto: int) -> list[float]:
    """The trend of the records (in epoch order) with epochs in (after, upto]: about 48 spread, sampled to 12."""
    start = bisect.bisect_right(records, after, key=_epoch_of)
    stop = bisect.bisect_right(records, upto, lo=start, key=_epoch_of)
    return _sample([records[i].train_loss for i in _spread(start, stop, 48)], 12)


def _epoch_of(record: EpochRecord) -> int:
    return record.epoch


def _log_window(log: RecordLog, after: int, upto: int) -> list[float]:
    """`_window` of the records a RecordLog holds, without copying them all (`kept()` is the whole
    sample: a third of a frame's time)."""
    return _window(log.since(after), after, upto)


def table_frame(info: RunInfo, shown: list[EpochRecord], windows: list[list[float]], elapsed: float | None = None,
                width: int | None = None, encoding: str = "utf-8",
                cells: dict[tuple[int, int], str] | None = None) -> Frame:
    """The live table's frame from the rows to show (the last is the current epoch) and their trend windows.

    In `width` columns: without room for the trend, it goes; then number columns go whole, from
    the right (a number is never cut). `cells` caches each row's numbers by (epoch, columns shown):
    a milestone row never changes.
    """
    metric = info.main_metric
    epoch_width = max(5, len(str(info.epochs)))
    trend = width is None or epoch_width + 5 * COLUMN + 2 + 12 <= width
    fit = 5 if width is None else max(1, min(5, (width - epoch_width) // COLUMN))  # narrower: drop columns whole
    finite = [v for window in windows for v in window if math.isfinite(v) and v > 0]
    low, high = (min(finite), max(finite)) if finite else (None, None)
    names = ("train loss", "val loss", METRIC_LABELS.get(metric, metric), "lr", "|grad|")[:fit]
    header = f"{'epoch':>{epoch_width}}" + "".join(f"{name:>{COLUMN}}" for name in names)
    lines: list[Line] = [
        [("lossfit ", BOLD), (info.title, PLAIN), (f"   {info.n_train} train / {info.n_val} val", DIM)],
        [(header + ("  trend" if trend else ""), BOLD)],
    ]
    cells = {} if cells is None else cells
    for number, (r, window) in enumerate(zip(shown, windows)):
        row = cells.get((r.epoch, fit))
        if row is None:
            numbers = (r.train_loss, r.val_loss, r.metrics.get(metric, math.nan), r.lr, r.grad_norm)[:fit]
            row = f"{r.epoch:>{epoch_width}}" + "".join(f"{format_number(v):>{COLUMN}}" for v in numbers)
            cells[r.epoch, fit] = row
        current = number == len(shown) - 1
        line: Line = [(row, BOLD if current else PLAIN)]
        if trend:
            line.append(("  " + sparkline(window, 12, low, high), BOLD_CYAN if current else CYAN))
        lines.append(line)
    done = shown[-1].epoch if shown else 0
    seconds = elapsed if elapsed is not None else (shown[-1].seconds if shown else 0.0)
    rate = f"{done / seconds:,.0f} epochs/s" if seconds > 0 and done else ""
    return Frame(lines, info.epochs, done, f"{done}/{info.epochs} epochs  {seconds:.2f} s  {rate}".rstrip(), encoding)


def _spread(start: int, stop: int, most: int) -> range:
    """Up to about `most` evenly spaced indices in [start, stop), always ending at stop - 1."""
    step = max(1, (stop - start) // most)
    return range(stop - 1 - ((stop - 1 - start) // step) * step, stop, step) if stop > start else range(0)


def _milestones(records: list[EpochRecord], epochs: int) -> list[int]:
    """Indices of the records to show: epoch 1, about TABLE_ROWS evenly spaced epochs, and the latest.

    For a long run the records are a sample (record_log.RecordLog): each milestone
    is then the last record held at or before its epoch.
    """
    if not records:
        return []
    every = max(1, math.ceil(epochs / TABLE_ROWS))
    held = [r.epoch for r in records]
    indices = sorted({bisect.bisect_right(held, epoch) - 1 for epoch in (1, *range(every, held[-1] + 1, every))})
    if indices[-1] != len(records) - 1:
        indices.append(len(records) - 1)
    return indices[-(TABLE_ROWS + 1):]


class LiveTable:
    """Sink: a rich Live table on stderr, drawn on a clock (REFRESH_PER_SECOND), never per epoch.

    `write` is the per-epoch hand-off and does next to nothing: it stores the record and,
    at a milestone epoch (1 and every epochs/TABLE_ROWS), keeps that record for its row.
    The refresh thread draws each frame from a snapshot taken then: the latest record,
    the milestone rows (formatted once), their trend windows (computed once from the
    run's record log, the current one again each frame), the console's width; and the
    frame is lines of text, not a table to lay out (`Frame`).
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.frames = 0  # frames drawn
        self._log = RecordLog()  # the run's own log when it has one (RunInfo.log); bounded either way
        self._own_log = True
        self._info: RunInfo | None = None
        self._live: Live | None = None
        self._start = 0.0
        self._last: EpochRecord | None = None
        self._marks: list[EpochRecord] = []  # the milestone records, as they pass
        self._every = 1
        self._next_mark = 1
        self._windows: dict[tuple[int, int], list[float]] = {}  # (after, upto) -> trend values, once passed
        self._cells: dict[tuple[int, int], str] = {}  # (epoch, columns shown) -> its row's numbers

    def open(self, info: RunInfo) -> None:
        self._info = info
        self._own_log = info.log is None
        self._log = RecordLog() if info.log is None else info.log
        self._every = max(1, math.ceil(info.epochs / TABLE_ROWS))
        self._start = time.perf_counter()
        self._live = Live(console=self.console, refresh_per_second=REFRESH_PER_SECOND,
                          get_renderable=self._render, transient=False, redirect_stdout=False,
                          redirect_stderr=False)
        self._live.start()

    def write(self, record: EpochRecord) -> None:
        if self._own_log:  # before the record can be a milestone whose window a frame reads from the log
            self._log.append(record)
        self._last = record
        if record.epoch >= self._next_mark:
            self._marks.append(record)
            self._next_mark = (record.epoch // self._every + 1) * self._every

    def _render(self) -> RenderableType:
        assert self._info is not None
        self.frames += 1
        last, marks = self._last, self._marks[-(TABLE_ROWS + 1):]  # the snapshot
        shown = marks if last is None or (marks and marks[-1] is last) else [*marks[-TABLE_ROWS:], last]
        windows, previous = [], 0
        for r in shown:
            window = self._windows.get((previous, r.epoch))
            if window is None:
                window = _log_window(self._log, previous, r.epoch)
                if shown is marks or r is not last:  # a milestone's window: complete (logged before it was written)
                    self._windows[previous, r.epoch] = window
            windows.append(window)
            previous = r.epoch
        elapsed = None if self._live is None else time.perf_counter() - self._start
        return table_frame(self._info, shown, windows, elapsed, self.console.width, self.console.encoding,
                           self._cells)

    def close(self, summary: RunSummary) -> None:
        if self._live is not None:
            live, self._live = self._live, None  # the final frame shows training time, not wall time
            live.refresh()
            live.stop()
            if not self.console.is_terminal:  # rich leaves its one final frame without a line end
                self.console.line()


class PlainLog:
    """Sink: one plain line every k epochs (about PLAIN_LINES per run) plus the last."""

    def __init__(self, stream: IO[str], width: int | None = None) -> None:
        self.stream = stream
        self.width = width  # wrap lines at spaces to this width (a terminal); None: whole lines
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
        self.stream.write(wrap_line(f"lossfit {info.title} ({info.n_train} train / {info.n_val} val, "
                                    f"{info.epochs} epochs)", self.width) + "\n")
        self.stream.flush()

    def write(self, record: EpochRecord) -> None:
        self._last = record
        if record.epoch % self._every == 0 or record.epoch == 1:
            self._line(record)

    def _line(self, r: EpochRecord) -> None:
        self._last_written = r.epoch
        line = (
            f"epoch {r.epoch:>{self._width}}/{self._epochs}  train_loss {format_number(r.train_loss)}  "
            f"val_loss {format_number(r.val_loss)}  {self._metric} {format_number(r.metrics.get(self._metric, math.nan))}  "
            f"lr {format_number(r.lr)}  grad_norm {format_number(r.grad_norm)}  {r.seconds:.2f}s"
        )
        self.stream.write(wrap_line(line, self.width, sep="  ") + "\n")
        self.stream.flush()

    def close(self, summary: RunSummary) -> None:
        if self._last is not None and self._last.epoch != self._last_written:
            self._line(self._last)
