"""What the live views cost while training runs: per frame, per second, per epoch.

    python benchmarks/live_overhead.py [--epochs 20000] [--repeats 5]

`run.py --only live` and `--only compare` time whole runs, and on a shared two-core
machine their ratios scatter by more than the views cost. This script measures the
costs themselves, in this process, on a forced terminal drawn into /dev/null:

- **frame**: CPU time of the refresh thread per frame it draws (`time.thread_time`
  around rich's `Live.refresh` in that thread; the frame holds the interpreter for
  that long), and frames per second of loop time;
- **hand-off**: the per-epoch `LiveTable.write(record)` / `LiveBoard.update(index,
  record)`, timed over a run's worth of records with no refresh thread;
- **share**: frames/s x CPU per frame, over the loop: the part of the loop's time the
  refresh thread takes from it (what `run.py` measures, without the noise).

Cases: `lossfit train --dataset linear --epochs N` (the live table) and
compare_overhead.py's three races (the leaderboard).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from rich.console import Console  # noqa: E402
from rich.live import Live  # noqa: E402

from lossfit import api, comparison, display, leaderboard  # noqa: E402
from lossfit.config import build_config  # noqa: E402
from lossfit.training import EpochRecord  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import compare_overhead as co  # noqa: E402

FRAMES: list[float] = []  # CPU seconds of each frame drawn by a refresh thread
_refresh = Live.refresh


def _timed_refresh(self: Live) -> None:
    if threading.current_thread() is threading.main_thread():
        _refresh(self)
        return
    start = time.thread_time()
    _refresh(self)
    FRAMES.append(time.thread_time() - start)


Live.refresh = _timed_refresh  # type: ignore[method-assign]


def devnull_console() -> Console:
    return display.make_console(open(os.devnull, "w"), stderr=True, force_terminal=True, width=100)


def train_case(epochs: int) -> tuple[float, list[float], float]:
    """Loop seconds, frame CPU times, and the hand-off per record (s) of one live-table run."""
    prepared = api.prepare(build_config(None, {"dataset": "linear", "epochs": epochs, "loss": "mse"}))
    FRAMES.clear()
    summary = api.run(prepared, [display.LiveTable(devnull_console())])
    frames = list(FRAMES)
    sink = display.LiveTable(devnull_console())
    sink.open(api.Runner(prepared, []).info())  # a run's RunInfo, its record log shared as in `lossfit train`
    assert sink._live is not None
    sink._live.stop()  # the hand-off alone, no thread
    history = [EpochRecord(e, 1.0 / e, 1.0 / e, 0.0, {"r2": 0.5}, 0.1, 0.01, 0.0) for e in range(1, epochs + 1)]
    write, best = sink.write, math.inf
    for _ in range(5):  # the fastest of 5 passes: the cost itself, not the machine's other jobs
        start = time.perf_counter()
        for r in history:
            write(r)
        best = min(best, time.perf_counter() - start)
    return summary.train_seconds, frames, best / epochs


def compare_case(single: dict, lists: dict) -> tuple[float, list[float], float]:
    plan = comparison.plan(single, lists)
    board = leaderboard.LiveBoard(devnull_console())
    FRAMES.clear()
    start = time.perf_counter()
    summaries, records = comparison.race(plan, [[] for _ in plan.entries], board)
    seconds = time.perf_counter() - start
    frames = list(FRAMES)
    quiet = leaderboard.LiveBoard(devnull_console())
    quiet.open(plan)
    assert quiet._live is not None
    quiet._live.stop()
    count, best = sum(len(rows) for rows in records), math.inf
    for _ in range(5):  # the fastest of 5 passes, each from a fresh board (its lanes keep the early epochs)
        quiet.state = leaderboard.BoardState.of(plan)
        if hasattr(quiet, "_lanes"):
            quiet._lanes = quiet.state.lanes
        update = quiet.update
        start = time.perf_counter()
        for index, rows in enumerate(records):
            for r in rows:
                update(index, r)
        best = min(best, time.perf_counter() - start)
    return seconds, frames, best / max(1, count)


def report(name: str, runs: list[tuple[float, list[float], float]], per: str) -> None:
    seconds = statistics.median(r[0] for r in runs)
    frame_cpu = statistics.median(t for r in runs for t in r[1]) if any(r[1] for r in runs) else 0.0
    rate = statistics.median(len(r[1]) / r[0] for r in runs)
    hand = statistics.median(r[2] for r in runs)
    print(f"{name:<40} {seconds * 1e3:>8.0f} {rate:>9.1f} {frame_cpu * 1e3:>9.3f} {rate * frame_cpu * 100:>7.2f}% "
          f"{hand * 1e9:>8.0f} ns/{per}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'case':<40} {'loop ms':>8} {'frames/s':>9} {'ms/frame':>9} {'share':>8} {'hand-off':>11}")
    report(f"train linear, {args.epochs:,} epochs", [train_case(args.epochs) for _ in range(args.repeats)], "epoch")
    for name, (single, lists) in co.CASES.items():
        single = {**single, "epochs": 5000}
        report(f"compare {name.split(',')[0]}", [compare_case(single, lists) for _ in range(args.repeats)], "update")


if __name__ == "__main__":
    main()
