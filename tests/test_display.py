"""The live table and the plain log: pure rendering, clock-driven refresh, plain lines."""

from __future__ import annotations

import io
import math
import time

from rich.console import Console

from lossfit import display
from lossfit.sinks import RunInfo, RunSummary
from lossfit.training import EpochRecord


def info(epochs=100):
    return RunInfo(title="mse on linear", task="regression", main_metric="r2", epochs=epochs, n_train=8,
                   n_val=2, config={})


def record(epoch, loss=1.0):
    return EpochRecord(epoch, loss, loss * 1.1, 0.0, {"r2": 0.5}, 0.1, 0.01, epoch * 1e-3)


def summary():
    return RunSummary("completed", 1, 0.1, None, None, {}, {})


def text_of(renderable, width=100):
    console = Console(file=io.StringIO(), width=width, color_system=None, record=True)
    console.print(renderable)
    return console.export_text()


def test_sparkline_is_log_scaled_and_marks_non_finite():
    assert display.sparkline([1000.0, 100.0, 10.0, 1.0], width=4) == "█▆▃▁"
    assert display.sparkline([1.0, 1.0], width=4) == "▁▁"
    assert display.sparkline([1.0, math.nan, 10.0], width=3) == "▁!█"
    assert len(display.sparkline([float(i + 1) for i in range(1000)], width=12)) == 12
    assert display.sparkline([]) == ""


def test_format_number():
    assert display.format_number(0.123456) == "0.1235"
    assert display.format_number(1.5e-7) == "1.500e-07"
    assert display.format_number(math.nan) == "–"
    assert display.format_number(math.inf) == "inf"


def test_render_table_shows_milestones_and_the_current_epoch():
    records = [record(e, 1.0 / e) for e in range(1, 58)]
    text = text_of(display.render_table(info(100), records))
    lines = text.splitlines()
    assert "mse on linear" in lines[0] and "8 train / 2 val" in lines[0]
    header = lines[1].split()
    assert header[:4] == ["epoch", "train", "loss", "val"] and "R²" in lines[1] and "trend" in lines[1]
    epochs_shown = [int(line.split()[0]) for line in lines[2:] if line.split() and line.split()[0].isdigit()]
    assert epochs_shown == [1, 10, 20, 30, 40, 50, 57]
    assert "57/100 epochs" in text


def test_live_table_refreshes_on_a_clock_not_per_epoch():
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system=None)
    sink = display.LiveTable(console)
    sink.open(info(50_000))
    start = time.perf_counter()
    for epoch in range(1, 50_001):
        sink.write(record(epoch))
    writing = time.perf_counter() - start
    time.sleep(0.25)
    sink.close(summary())
    assert sink.frames < 10 + (writing + 0.25) * display.REFRESH_PER_SECOND * 2
    assert "50000/50000 epochs" in console.file.getvalue()


def test_plain_log_writes_about_twenty_lines_and_the_last():
    stream = io.StringIO()
    sink = display.PlainLog(stream)
    sink.open(info(1003))
    for epoch in range(1, 1004):
        sink.write(record(epoch))
    sink.close(summary())
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("lossfit mse on linear")
    epoch_lines = [line for line in lines if line.startswith("epoch")]
    assert 20 <= len(epoch_lines) <= 22
    assert epoch_lines[0].startswith("epoch    1/1003") and epoch_lines[-1].startswith("epoch 1003/1003")
    assert "\x1b" not in stream.getvalue()


def test_progress_sink_choice(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    piped = display.Terminal(Console(file=io.StringIO()), Console(file=io.StringIO()))
    assert isinstance(display.progress_sink("auto", piped), display.PlainLog)
    assert isinstance(display.progress_sink("rich", piped), display.LiveTable)
    assert isinstance(display.progress_sink("plain", piped), display.PlainLog)
    assert display.progress_sink("none", piped) is None
    tty = display.Terminal(Console(file=io.StringIO()), Console(file=io.StringIO(), force_terminal=True))
    assert isinstance(display.progress_sink("auto", tty), display.LiveTable)
