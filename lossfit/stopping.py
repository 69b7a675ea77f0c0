"""Ending a run cleanly when a signal asks: Ctrl-C (SIGINT), SIGTERM (`timeout`, `docker stop`,
a CI cancel) and SIGHUP (the terminal closed).

    first signal   training stops at the next batch boundary and says so at once on
                   stderr; history.csv and metrics.json are written (status
                   "interrupted" for SIGINT, "terminated" for SIGTERM and SIGHUP),
                   then the plots
    second signal  the plots are skipped (metrics.json is written before them, so it
                   is already whole)
    third signal   the signal's default action (SIG_DFL): the process ends at once,
                   with no traceback. Every named file is still whole: rows are
                   written whole and the other files go through a temporary name.

The command then exits with 128 + the signal's number: 130 (SIGINT), 143 (SIGTERM),
129 (SIGHUP), as shells report a process killed by that signal.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
STATUS = {"SIGINT": "interrupted", "SIGTERM": "terminated", "SIGHUP": "terminated"}
WHAT = {"SIGINT": "Ctrl-C", "SIGTERM": "SIGTERM", "SIGHUP": "SIGHUP (the terminal closed)"}


class SkipPlots(BaseException):
    """Raised into the plotting code by a second signal (a BaseException: plot code must not catch it)."""


class Stop:
    """What the signals asked for; callable as a run's `should_stop` (the status to end with, or "")."""

    def __init__(self, notify: Callable[[str], None] = lambda text: None, when: str = "this batch",
                 again: str = "the plots") -> None:
        self.notify = notify  # says at once that the signal was heard
        self.when = when  # where training stops ("this batch"; a comparison finishes "this round")
        self.again = again  # what a second signal skips
        self.signal_name: str | None = None
        self.count = 0
        self._plotting = False

    def __call__(self) -> str:
        return STATUS[self.signal_name] if self.signal_name else ""

    @property
    def requested(self) -> bool:
        return self.signal_name is not None

    @property
    def skip_plots(self) -> bool:
        return self.count >= 2

    @property
    def exit_code(self) -> int:
        return 128 + int(getattr(signal, self.signal_name)) if self.signal_name else 0

    @property
    def what(self) -> str:
        return WHAT.get(self.signal_name or "", self.signal_name or "")

    def request(self, name: str) -> None:
        """Act on one signal named `name` (what the handler does; tests call it directly)."""
        self.count += 1
        if self.count == 1:
            self.signal_name = name
            key = "press Ctrl-C" if name == "SIGINT" else f"send {name}"
            self.notify(f"{WHAT[name]}: stopping after {self.when}; {key} again to skip {self.again}.")
        elif self.count == 2:
            self.notify(f"{WHAT[name]} again: skipping {self.again}; the history and metrics.json are kept.")
            if self._plotting:
                raise SkipPlots()

    @contextmanager
    def plotting(self) -> Iterator[bool]:
        """Around drawing: yields False when a second signal already skipped the plots, and turns
        one that lands while drawing into SkipPlots, which it swallows."""
        if self.skip_plots:
            yield False
            return
        self._plotting = True
        try:
            yield True
        except SkipPlots:
            pass
        finally:
            self._plotting = False


NEVER = Stop()  # the stop of a run nobody signals


@contextmanager
def on_signals(stop: Stop) -> Iterator[Stop]:
    """Route SIGINT, SIGTERM and SIGHUP to `stop` while the block runs (main thread only).

    The third signal is delivered again with the default action, which ends the process.
    """
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous: dict[int, Any] = {signum: signal.getsignal(signum) for signum in SIGNALS}

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.count >= 2:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        stop.request(signal.Signals(signum).name)

    for signum in SIGNALS:
        signal.signal(signum, handler)
    try:
        yield stop
    finally:
        _restore(previous)


def _restore(previous: dict[int, Any]) -> None:
    for signum, old in previous.items():
        signal.signal(signum, old if old is not None else signal.SIG_DFL)
