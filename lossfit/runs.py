"""The run folder: config.toml, history.csv, metrics.json and the plots.

    runs/<dataset>-<loss>-<optimizer>-<YYYYmmdd-HHMMSS>/
        config.toml        the resolved config; `lossfit train --config` on it reproduces the run
        history.csv        one row per epoch, appended while training, flushed at least once a second
        metrics.json       status, epochs, train_seconds, final, best, config (written at the end)
        loss_curve.png     train and validation loss against epochs
        fit.png | decision_boundary.png

Files written in one piece (config.toml, metrics.json, PNGs) go to a temporary
name first and are renamed into place, so none is ever left half written.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import IO

import tomli_w

from lossfit.errors import ConfigError
from lossfit.sinks import RunInfo, RunSummary
from lossfit.training import EpochRecord

FLUSH_SECONDS = 1.0


def default_run_dir(dataset: str, loss: str, optimizer: str, root: Path = Path("runs")) -> Path:
    """runs/<dataset>-<loss>-<optimizer>-<timestamp>, with -2, -3... if that exists."""
    return stamped_dir(f"{_slug(dataset)}-{_slug(loss)}-{_slug(optimizer)}", root)


def stamped_dir(name: str, root: Path = Path("runs")) -> Path:
    """root/<name>-<YYYYmmdd-HHMMSS>, with -2, -3... if that exists (not created here)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = root / f"{name}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def _slug(spec: str) -> str:
    name = spec.split("(")[0].strip()
    return Path(name).stem.replace(":", "-") or "run"


def check_out_dir(path: Path, given: bool = True) -> None:
    """Refuse an --out that would overwrite something or cannot be written (checked before any work).

    `given=False` for a default folder the user did not name: the messages then say so and suggest --out.
    """
    where = f"--out {path}" if given else f"The default run folder {path}"
    fix = "choose another path" if given else "pass --out DIR"
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{where} is an existing file; give a folder path that does not exist yet.")
    if path.is_dir() and any(path.iterdir()):
        raise ConfigError(
            f"{where} already exists and is not empty; lossfit never overwrites a run. "
            "Choose a new folder or leave --out out for a fresh runs/... folder."
        )
    parent = path  # the nearest existing folder above, as the user wrote it
    while not parent.exists() and not parent.is_symlink() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"{where}: {parent} is a file, not a folder, so nothing can be created inside it; {fix}.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"{where}: cannot create a folder inside {parent} (not writable); {fix}.")


def create_run_dir(path: Path) -> None:
    """Create the run folder, turning an OS refusal into a one-line user error."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"Cannot create the run folder {path}: {err.strerror or err}; choose another --out.") from None


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class RunFolder:
    """Sink that writes the run folder."""

    def __init__(self, path: Path, plot: bool = True) -> None:
        self.path = path
        self.plot = plot
        self.files: list[str] = []
        self._history: IO[str] | None = None
        self._row_format: str | None = None
        self._columns: list[str] = []
        self._last_flush = 0.0
        self._info: RunInfo | None = None
        self._records: list[EpochRecord] = []

    def open(self, info: RunInfo) -> None:
        self._info = info
        create_run_dir(self.path)
        write_atomic(self.path / "config.toml", tomli_w.dumps(info.config))
        self.files.append("config.toml")
        self._history = open(self.path / "history.csv", "w", newline="", encoding="utf-8")
        self.files.append("history.csv")
        self._last_flush = time.monotonic()

    def write(self, record: EpochRecord) -> None:
        assert self._history is not None
        self._records.append(record)
        if not self._columns and record.metrics:
            self._columns = list(record.metrics)
        if self._row_format is None:
            header = ["epoch", "train_loss", "val_loss", "penalty", *self._columns, "lr", "grad_norm", "seconds"]
            self._history.write(",".join(header) + "\n")
            # One C-level %-format per row: floats as repr (shortest text that round-trips exactly).
            self._row_format = "%d," + "%r," * (len(header) - 2) + "%.6f\n"
        m = record.metrics
        self._history.write(self._row_format % (
            record.epoch, record.train_loss, record.val_loss, record.penalty, *[m[c] for c in self._columns],
            record.lr, record.grad_norm, record.seconds,
        ))
        now = time.monotonic()
        if now - self._last_flush >= FLUSH_SECONDS:
            self._history.flush()
            self._last_flush = now

    def close(self, summary: RunSummary) -> None:
        if self._history is not None:
            self._history.close()
            self._history = None
        if self.plot and self._info is not None:
            from lossfit import plots  # matplotlib is imported only when a plot is drawn

            self.files.extend(plots.draw_run(self.path, self._info, self._records, summary))
        self.files.append("metrics.json")
        summary = _with_files(summary, self.path, self.files)
        write_atomic(self.path / "metrics.json", json.dumps(summary.to_json(), indent=2) + "\n")


def _with_files(summary: RunSummary, path: Path, files: list[str]) -> RunSummary:
    from dataclasses import replace

    return replace(summary, out_dir=path, files=tuple(files))
