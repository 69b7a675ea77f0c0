"""The live views cost next to nothing: the per-epoch hand-off only stores, frames come on a clock and are cheap.

No timing assertions: these count frames and calls, and check what the frames show.
"""

from __future__ import annotations

import io
import math
import time

import pytest
from rich.console import Console
from rich.live import Live

from lossfit import comparison, display, leaderboard
from lossfit.record_log import RecordLog
from lossfit.sinks import RunInfo, RunSummary
from lossfit.training import EpochRecord


def info(epochs: int, log: RecordLog | None = None) -> RunInfo:
    return RunInfo(title="mse on linear · linear regression · sgd lr=0.1", task="regression", main_metric="r2",
                   epochs=epochs, n_train=160, n_val=40, config={}, log=log)


def record(epoch: int) -> EpochRecord:
    return EpochRecord(epoch, 1.0 / epoch, 1.1 / epoch, 0.0, {"r2": 0.5}, 0.1, 0.01, epoch * 5e-5)


def summary() -> RunSummary:
    return RunSummary("completed", 1, 0.1, None, None, {}, {})


def terminal(width: int = 100, stream: io.StringIO | None = None) -> Console:
    return Console(file=stream or io.StringIO(), width=width, force_terminal=True, color_system=None)


def text(renderable: object, width: int = 100) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return str(console.file.getvalue())  # type: ignore[attr-defined]


@pytest.fixture
def no_refresh_thread(monkeypatch):
    """rich Live without its refresh thread: frames are drawn only when refresh() is called."""
    class Manual(Live):
        def __init__(self, *args, **kwargs):
            kwargs["auto_refresh"] = False
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(display, "Live", Manual)
    monkeypatch.setattr(leaderboard, "Live", Manual)


def run_sink(sink: display.LiveTable, epochs: int, shared: bool = True) -> RecordLog:
    log = RecordLog()
    sink.open(info(epochs, log if shared else None))
    for epoch in range(1, epochs + 1):
        r = record(epoch)
        log.append(r)  # the Runner logs a record before it hands it to the sinks
        sink.write(r)
    return log


# ------------------------------------------------------------------------------- the live table
def test_writing_records_draws_no_frame(no_refresh_thread):
    sink = display.LiveTable(terminal())
    run_sink(sink, 50_000)
    assert sink.frames == 1  # the first frame, drawn when the view opens; none per epoch
    sink.close(summary())
    assert sink.frames <= 3  # and the final one (rich draws it again as it stops)


def test_the_live_table_draws_at_most_about_ten_frames_a_second():
    sink = display.LiveTable(terminal())
    log = RecordLog()
    sink.open(info(10**9, log))
    start, epoch = time.perf_counter(), 0
    while time.perf_counter() - start < 0.5:  # as many epochs as fit in half a second
        epoch += 1
        r = record(epoch)
        log.append(r)
        sink.write(r)
    elapsed = time.perf_counter() - start
    sink.close(summary())
    assert epoch > 100 and sink.frames <= elapsed * display.REFRESH_PER_SECOND + 4


def test_milestone_rows_are_the_milestone_epochs_themselves(no_refresh_thread):
    sink = display.LiveTable(terminal())
    log = run_sink(sink, 20_000)
    assert not log.complete  # the log holds a sample by now: epoch 2000 itself is no longer in it
    frame = text(sink._render())
    epochs = [int(line.split()[0]) for line in frame.splitlines() if line.split() and line.split()[0].isdigit()]
    assert epochs == [1, *range(2000, 20_001, 2000)]
    assert "20000/20000 epochs" in frame


def test_the_frame_shows_what_render_table_shows(no_refresh_thread):
    sink = display.LiveTable(terminal())
    run_sink(sink, 57)
    sink._live = None  # as after close: the footer shows the training time of the last record
    records = [record(e) for e in range(1, 58)]
    assert text(sink._render()) == text(display.render_table(info(57), records))


def test_mid_run_frames_show_the_milestones_and_the_current_epoch(no_refresh_thread):
    sink = display.LiveTable(terminal())
    run_sink(sink, 95)
    sink._info = info(100, sink._info.log)  # 95 of 100 epochs done
    lines = text(sink._render()).splitlines()
    epochs = [int(line.split()[0]) for line in lines if line.split() and line.split()[0].isdigit()]
    assert epochs == [1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95]
    assert "95/100 epochs" in lines[-1]


def test_a_run_without_a_shared_log_keeps_its_own(no_refresh_thread):
    sink = display.LiveTable(terminal())
    run_sink(sink, 300, shared=False)
    frame = text(sink._render())
    assert "300/300" in frame and "▁" in frame


@pytest.mark.parametrize("width", [100, 80, 72, 60, 40])
def test_frames_fit_the_terminal_and_drop_the_trend_first(no_refresh_thread, width):
    sink = display.LiveTable(terminal(width))
    run_sink(sink, 20_000)
    lines = text(sink._render(), width).splitlines()
    assert all(len(line) <= width for line in lines)
    assert ("trend" in lines[1]) == (width >= 74)
    columns = min(5, (width - 5) // display.COLUMN)  # number columns shown whole, never cut
    last = "trend" if width >= 74 else ("train loss", "val loss", "R²", "lr", "|grad|")[columns - 1]
    assert lines[1].endswith(last)
    row = lines[3].split()  # epoch 2000: the epoch, its numbers, its trend when shown
    assert row[0] == "2000" and len(row) == 1 + columns + (width >= 74)
    assert row[columns] == ("5.000e-04", "5.500e-04", "0.5000", "0.1000", "0.0100")[columns - 1]
    assert lines[0].startswith("lossfit mse on linear")
    if width < len(lines[0]) + 1 and "160 train / 40 val" not in lines[0]:
        assert lines[0].endswith("…")


def test_the_frame_is_translated_for_an_ascii_stream(no_refresh_thread):
    console = display.make_console(io.TextIOWrapper(io.BytesIO(), encoding="ascii"), width=100,
                                   force_terminal=True)
    sink = display.LiveTable(console)
    run_sink(sink, 500)
    frame = sink._render()
    shown = text(frame)
    assert "R^2" in shown and "mse on linear | linear regression" in shown
    assert all(text_.isascii() for line in frame.lines for text_, _ in line)  # type: ignore[attr-defined]


def test_completed_windows_are_computed_once(no_refresh_thread, monkeypatch):
    sink = display.LiveTable(terminal())
    run_sink(sink, 20_000)
    sink._render()
    calls = []
    real = display._window
    monkeypatch.setattr(display, "_window", lambda *a: calls.append(a) or real(*a))
    sink._render()
    assert calls == []  # the run is over: every row is a milestone whose window was kept


# ------------------------------------------------------------------------------- the leaderboard
def test_keeps_and_next_kept_agree():
    kept = [e for e in range(1, 20_000) if leaderboard.keeps(e)]
    assert [leaderboard.next_kept(e) for e in kept[:-1]] == kept[1:]
    assert all(leaderboard.next_kept(e) == min(k for k in kept if k > e) for e in range(1, 10_000, 7))


def test_a_lane_keeps_the_same_epochs_as_before():
    lane = leaderboard.Lane("mse")
    for epoch in range(1, 5001):
        lane.add(record(epoch))
    assert lane.epochs == [e for e in range(1, 5001) if leaderboard.keeps(e)]
    assert lane.losses == [1.0 / e for e in lane.epochs]
    assert lane.last is not None and lane.last.epoch == 5000


def race_plan(epochs: int = 200) -> comparison.Race:
    return comparison.plan({"dataset": "outliers", "epochs": epochs}, {"loss": ["mse", "mae", "huber"]})


def test_the_board_draws_no_frame_per_epoch(no_refresh_thread):
    board = leaderboard.LiveBoard(terminal())
    comparison.race(race_plan(500), [[], [], []], board)
    assert board.frames <= 3  # the first frame, then the final one (drawn twice as rich stops)
    assert board.state is not None and all(lane.status == "completed" for lane in board.state.lanes)


def test_the_board_draws_at_most_about_ten_frames_a_second():
    board = leaderboard.LiveBoard(terminal())
    board.open(race_plan())
    start, epoch = time.perf_counter(), 0
    while time.perf_counter() - start < 0.5:
        epoch += 1
        for index in range(3):
            board.update(index, record(epoch))
    elapsed = time.perf_counter() - start
    board.close()
    assert epoch > 100 and board.frames <= elapsed * display.REFRESH_PER_SECOND + 4


def test_the_board_frame_shows_every_lane_and_fits(no_refresh_thread):
    plan_ = race_plan(50)
    board = leaderboard.LiveBoard(terminal())
    comparison.race(plan_, [[], [], []], board)
    assert board.state is not None
    for width in (100, 80, 60):
        shown = text(leaderboard.board_frame(board.state, 1.0, width), width)
        lines = shown.splitlines()
        assert all(len(line) <= width for line in lines)
        assert sum("50/50" in line for line in lines) == 3 and "3 variants" in lines[-1]
        assert sum(line.startswith("▶") for line in lines) <= 1
    assert text(leaderboard.board_frame(board.state, 1.0)) == text(leaderboard.render_board(board.state, 1.0))


def test_the_board_frame_reads_each_lane_once():
    state = leaderboard.BoardState("t", "t", "mae", "val MAE", True, 10, 8, 2, [leaderboard.Lane("a")])
    lane = state.lanes[0]
    lane.add(record(3))
    frame = leaderboard.board_frame(state, 0.1)
    lane.add(record(4))  # the race goes on after the snapshot: the frame shows epoch 3
    assert "3/10" in text(frame) and not math.isnan(lane.losses[-1])
