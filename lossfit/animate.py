"""`lossfit train --animate FILE.gif`: snapshot the model while it trains, draw the GIF when it ends.

`AnimationSink` is a sink like the run folder: it copies the model's parameters at
about `frames` evenly spaced epochs (always the first and the last), and when the
run ends, after metrics.json and the plots, it draws one frame per snapshot
(`lossfit.plots.animation`). matplotlib is imported only then, so importing this
module costs nothing. A second Ctrl-C skips the animation as it skips the plots.

The options are checked before anything is trained or written (`check_options`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lossfit.errors import ConfigError, reason
from lossfit.sinks import RunInfo, RunSummary
from lossfit.stopping import NEVER, Stop
from lossfit.training import EpochRecord

DEFAULT_FRAMES = 100
MAX_FRAMES = 1000  # every frame is held in memory until the GIF is written (about 0.3 MB each)


def check_options(path: Path | None, frames: int | None, run_dir: Path | None = None) -> None:
    """ConfigError (one line: what is wrong and the fix) for an --animate path or --frames that cannot work.

    `run_dir` is the --out folder, which the run creates: a GIF may go inside it (`--out r --animate r/a.gif`).
    """
    if path is None:
        if frames is not None:
            raise ConfigError(f"--frames {frames} needs --animate FILE.gif; add it, or leave --frames out.")
        return
    if frames is not None and not 2 <= frames <= MAX_FRAMES:
        raise ConfigError(f"--frames {frames}: an animation has 2 to {MAX_FRAMES} frames (the first and the last "
                          f"epoch at least); give a number in that range, or leave it out for {DEFAULT_FRAMES}.")
    where = f"--animate {path}"
    if not path.name or path.name in (".", ".."):
        raise ConfigError(f"{where} is a folder; give a file name ending in .gif, e.g. --animate run.gif.")
    if path.suffix.lower() != ".gif":
        raise ConfigError(f"{where}: the animation is written as a GIF; give a file name ending in .gif, "
                          f"e.g. --animate {path.with_suffix('.gif').name}.")
    try:
        if path.is_dir():
            raise ConfigError(f"{where} is a folder; give a file name ending in .gif, "
                              f"e.g. --animate {path / 'run.gif'}.")
        parent = path.parent
        if run_dir is not None and os.path.abspath(parent) == os.path.abspath(run_dir):
            return  # the run folder, checked (and created) by the run itself
        if not parent.exists():
            raise ConfigError(f"{where}: the folder {parent} does not exist; create it first or choose another path.")
        if not parent.is_dir():
            raise ConfigError(f"{where}: {parent} is a file, not a folder; choose another path.")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ConfigError(f"{where}: cannot write in {parent} (not writable); choose a folder you can write to.")
    except OSError as err:  # a name too long, a loop of links, ...
        raise ConfigError(f"{where}: {err.strerror or err}; choose another path.") from None


def snapshot_epochs(epochs: int, frames: int) -> list[int]:
    """About `frames` evenly spaced epochs from 1 to `epochs`, both included (every epoch when there are fewer).

    >>> snapshot_epochs(200, 5)
    [1, 51, 101, 150, 200]
    >>> snapshot_epochs(3, 100)
    [1, 2, 3]
    """
    if epochs <= frames:
        return list(range(1, epochs + 1))
    step = (epochs - 1) / (frames - 1)  # >= 1, so rounding half up keeps them distinct
    return [math.floor(1 + i * step + 0.5) for i in range(frames)]


@dataclass(frozen=True)
class Snapshot:
    """The model's parameters after `epoch`; `note` says what the last one is when it is not simply that."""

    epoch: int
    params: list[Any] = field(repr=False)
    note: str = ""


ENDING_NOTES = {
    "interrupted": "interrupted: the weights where it stopped",
    "terminated": "terminated: the weights where it stopped",
    "diverged": "diverged: the weights overflowed",
    "failed": "failed",
}


def ending_note(summary: RunSummary) -> str:
    """What the last frame shows when the run did not simply complete."""
    if summary.status == "early_stopped":
        best = (summary.best or {}).get("epoch")
        return f"stopped early: the restored weights of epoch {best}" if best else "stopped early"
    return ENDING_NOTES.get(summary.status, "")


class AnimationSink:
    """Sink that snapshots the model every k epochs and writes the GIF when the run ends.

    With the run's `folder` (a `runs.RunFolder`), the GIF is listed in its files (and in
    metrics.json) and a GIF that cannot be written is one of its warnings; without one,
    `files` and `warnings` are this sink's own.
    """

    def __init__(self, path: Path, frames: int | None = None, stop: Stop = NEVER, folder: Any = None) -> None:
        self.path = path
        self.frames = frames or DEFAULT_FRAMES
        self.stop = stop
        self.folder = folder
        self.files: list[str] = []
        self.warnings: list[str] = []
        self.snapshots: list[Snapshot] = []  # what the GIF shows, chosen when the run ends
        self.render_seconds = 0.0
        self._info: RunInfo | None = None
        self._wanted: set[int] = set()
        self._planned: dict[int, list[Any]] = {}  # at the epochs `snapshot_epochs` picks for the planned run
        # A run that ends early (Ctrl-C, early stopping, divergence) is also sampled as it goes, as
        # record_log.RecordLog does: every `stride` epochs, the stride doubling when it holds 2 x frames.
        self._sample: dict[int, list[Any]] = {}
        self._stride = 1

    def open(self, info: RunInfo) -> None:
        self._info = info
        self.snapshots, self._planned, self._sample, self._stride = [], {}, {}, 1
        self._wanted = set(snapshot_epochs(info.epochs, self.frames))

    def write(self, record: EpochRecord) -> None:
        epoch = record.epoch
        sampled = (epoch - 1) % self._stride == 0
        if epoch not in self._wanted and not sampled:
            return
        params = self._params()
        if epoch in self._wanted:
            self._planned[epoch] = params
        if sampled:
            self._sample[epoch] = params
            if len(self._sample) > 2 * self.frames:
                self._stride *= 2
                self._sample = {e: p for e, p in self._sample.items() if (e - 1) % self._stride == 0}

    def _params(self) -> list[Any]:
        assert self._info is not None and self._info.prepared is not None
        return [p.copy() for p in self._info.prepared.model.params]

    def close(self, summary: RunSummary) -> None:
        """The last snapshot is the weights the run returns; then the GIF, unless a second signal said skip."""
        if self._info is None or self._info.prepared is None or summary.epochs == 0:
            return
        self.snapshots = self._choose(summary.epochs)
        self.snapshots.append(Snapshot(summary.epochs, self._params(), ending_note(summary)))
        with self.stop.plotting() as drawing:
            if drawing:
                self._render(summary)

    def _choose(self, end: int) -> list[Snapshot]:
        """About `frames` snapshots evenly spread over epochs 1 to `end` (exact when the run went as planned),
        without `end` itself: the run's final weights are the last frame."""
        held = {**self._sample, **self._planned}
        chosen: dict[int, list[Any]] = {}
        epochs = sorted(e for e in held if e < end)
        for target in snapshot_epochs(end, self.frames)[:-1]:
            if not epochs:
                break
            nearest = min(epochs, key=lambda e: (abs(e - target), e))
            chosen[nearest] = held[nearest]
        return [Snapshot(epoch, chosen[epoch]) for epoch in sorted(chosen)]

    def _render(self, summary: RunSummary) -> None:
        import time

        assert self._info is not None
        start = time.perf_counter()
        try:
            from lossfit.plots import animation  # matplotlib, only now

            log = self._info.log
            records = log.kept() if log is not None else []
            animation.write_gif(self.path, self._info, self.snapshots, records)
        except Exception as err:
            self._warn(f"{self.path} could not be written: {reason(err)}")
            return
        finally:
            self.render_seconds = time.perf_counter() - start
        self._list(summary)

    def _warn(self, text: str) -> None:
        (self.folder.warnings if self.folder is not None else self.warnings).append(text)

    def _list(self, summary: RunSummary) -> None:
        """Name the GIF among the run's files: relative to the run folder when inside it, else its full path."""
        path = self.path.resolve()
        if self.folder is None:
            self.files.append(str(path))
            return
        try:
            name = str(path.relative_to(Path(self.folder.path).resolve()))
        except ValueError:
            name = str(path)
        self.folder.add_file(name, summary)


class SnapshotSink(AnimationSink):
    """The snapshots of one variant of `lossfit compare --animate`, kept for one GIF of all the variants.

    It samples as `AnimationSink` does (every variant planned for the same epochs picks the same ones) but
    draws nothing when its run ends: `comparison.execute` draws every variant at once, after the plots.
    """

    def __init__(self, frames: int | None = None) -> None:
        super().__init__(Path("unused.gif"), frames)
        self.planned = 0  # the epochs it was given
        self.end = 0  # the last epoch the variant ran (0: none)
        self.final: Snapshot | None = None  # the weights it returned, and how it ended
        self._held: dict[int, list[Any]] = {}

    def open(self, info: RunInfo) -> None:
        super().open(info)
        self.planned = info.epochs

    def close(self, summary: RunSummary) -> None:
        if self._info is None or self._info.prepared is None or summary.epochs == 0:
            return
        self.end = summary.epochs
        self._held = {e: p for e, p in {**self._sample, **self._planned}.items() if e < self.end}
        self.final = Snapshot(summary.epochs, self._params(), ending_note(summary))
        self.snapshots = [*self._choose(summary.epochs), self.final]

    def at(self, epoch: int) -> Snapshot | None:
        """The weights after `epoch` (its final weights from its last epoch on); None before it has any."""
        if self.final is None:
            return None
        if epoch >= self.end:
            return self.final
        earlier = [e for e in self._held if e <= epoch]
        if not earlier:
            return None
        nearest = max(earlier)  # `epoch` itself when the variant's longest rival picked it (see common_epochs)
        return Snapshot(nearest, self._held[nearest])


def common_epochs(sinks: list[SnapshotSink]) -> list[int]:
    """The epochs of a compare GIF: those the longest-running variant kept (about `frames`, its last included).

    A variant that ended no earlier holds exactly these epochs too: the planned ones are the same for all, and
    one sampled at a stride is sampled at every smaller stride (strides double from 1).
    """
    longest = max(sinks, key=lambda s: s.end, default=None)
    if longest is None or not longest.end:
        return []
    return [snapshot.epoch for snapshot in longest.snapshots]
