"""The run folder: config.toml, history.csv, metrics.json and the plots.

    runs/<dataset>-<loss>-<optimizer>-<YYYYmmdd-HHMMSS>/
        config.toml        the resolved config; `lossfit train --config` on it reproduces the run
        history.csv        one row per epoch, written whole, on disk at most a second after its epoch
        metrics.json       status, epochs, train_seconds, final, best, config (written when training ends)
        loss_curve.png     train and validation loss against epochs
        fit.png | decision_boundary.png

Order of writing: the folder is claimed (history.csv is created exclusively, so
two runs can never share a folder), then config.toml, the history rows as they
come, metrics.json, and last the plots (then metrics.json again, listing them).
A plot that fails is a warning, never a lost run. Files written in one piece
(config.toml, metrics.json, PNGs) go to a temporary name first and are renamed
into place, so none is ever left half written; a write that fails (a full disk)
removes its temporary file and is reported as one line (`WriteError`).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from lossfit.errors import ConfigError, WriteError
from lossfit.sinks import RunInfo, RunSummary
from lossfit.stopping import NEVER, Stop
from lossfit.training import EpochRecord

FLUSH_SECONDS = 1.0


def default_run_dir(dataset: str, loss: str, optimizer: str, root: Path = Path("runs")) -> Path:
    """runs/<dataset>-<loss>-<optimizer>-<timestamp>, with -2, -3... if that exists."""
    return stamped_dir(f"{_slug(dataset)}-{_slug(loss)}-{_slug(optimizer)}", root)


def stamped_dir(name: str, root: Path = Path("runs")) -> Path:
    """Create and return root/<name>-<YYYYmmdd-HHMMSS>, with -2, -3... if that exists.

    Created with an exclusive mkdir, so two runs started in the same second get two folders.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = root / f"{name}-{stamp}"
    path, n = base, 1
    while True:
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            n += 1
            path = base.with_name(f"{base.name}-{n}")
        except OSError as err:
            check_out_dir(path, given=False)  # says why in the user's terms, if it can
            raise WriteError(path, err, "pass --out DIR") from None


def _slug(spec: str) -> str:
    name = spec.split("(")[0].strip()
    return Path(name).stem.replace(":", "-") or "run"


def check_out_dir(path: Path, given: bool = True) -> None:
    """Refuse an --out that would overwrite something or cannot be written (checked before any work).

    `given=False` for a default folder the user did not name: the messages then say so and suggest --out.
    """
    where = f"--out {path}" if given else f"The default run folder {path}"
    fix = "choose another path" if given else "pass --out DIR"
    try:
        _check_out_dir(path, where, fix)
    except OSError as err:  # a name too long, a loop of links, ...
        raise ConfigError(f"{where}: {err.strerror or err}; {fix}.") from None


def _check_out_dir(path: Path, where: str, fix: str) -> None:
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
    """Create the run folder, turning an OS refusal into a one-line user error (and removing
    the folders above it that this call created: a refusal leaves nothing behind)."""
    missing = [p for p in (path, *path.parents) if not os.path.lexists(p)]
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        for made in missing:
            with contextlib.suppress(OSError):
                made.rmdir()
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise ConfigError(f"Cannot create the run folder {path}: {reason}; choose another --out.") from None


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to a temporary name beside `path`, then rename it into place (WriteError on failure)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        _remove_quietly(tmp)
        raise WriteError(path, err) from None


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


class HistoryFile:
    """history.csv: created exclusively (the claim on its folder), written in whole rows only.

    Rows are buffered and written by `flush`, which a background thread calls every
    FLUSH_SECONDS, so a row is on disk at most that long after it was written, even
    when the next epoch takes minutes. A failed write (a full disk) cuts the file back
    to its last whole row and the error is raised on the next `write` or `close`.

    `write_row` keeps a row's values and formats them later, with one %-format for up
    to FORMAT_ROWS rows at a time: a float's shortest repr is what it costs, not the
    Python around each row (about 2 us a row on these machines).
    """

    FORMAT_ROWS = 256

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # FileExistsError: claimed
        self._pending: list[str] = []
        self._rows: list[Any] = []  # the values of rows not yet formatted, one after another
        self._row_format = ""
        self._row_width = 1
        self._size = 0  # bytes of whole rows on disk
        self._error: OSError | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._flusher = threading.Thread(target=self._flush_every_second, name="lossfit-history", daemon=True)
        self._flusher.start()

    def write(self, text: str) -> None:
        if self._error is not None:
            raise WriteError(self.path, self._error)
        with self._lock:
            self._format_rows()
            self._pending.append(text)

    def set_row_format(self, row_format: str, width: int) -> None:
        """The %-format of one row (ending in a newline) and how many values it takes."""
        with self._lock:
            self._format_rows()
            self._row_format, self._row_width = row_format, width

    def write_row(self, values: tuple[Any, ...]) -> None:
        """One row's values, in the order of the row format."""
        if self._error is not None:
            raise WriteError(self.path, self._error)
        with self._lock:
            self._rows.extend(values)
            if len(self._rows) >= self.FORMAT_ROWS * self._row_width:
                self._format_rows()

    def _format_rows(self) -> None:
        """Turn the kept values into text (the lock is held)."""
        if self._rows:
            self._pending.append((self._row_format * (len(self._rows) // self._row_width)) % tuple(self._rows))
            self._rows.clear()

    def _flush_every_second(self) -> None:
        while not self._closed.wait(FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            self._format_rows()
            if not self._pending or self._error is not None:
                return
            data = "".join(self._pending).encode("utf-8")
            self._pending.clear()
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view):]
                self._size += len(data)
            except OSError as err:
                self._error = err
                try:
                    os.ftruncate(self._fd, self._size)
                except OSError:
                    pass

    def close(self) -> None:
        """Stop the flusher, write what is left and close; WriteError if any write failed."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._flusher.join()
        self.flush()
        os.close(self._fd)
        if self._error is not None:
            raise WriteError(self.path, self._error)


class RunFolder:
    """Sink that writes the run folder (see the module docstring for the order of writing)."""

    def __init__(self, path: Path, plot: bool = True, stop: Stop = NEVER) -> None:
        self.path = path
        self.plot = plot
        self.stop = stop  # a second signal skips the plots
        self.files: list[str] = []
        self.warnings: list[str] = []  # plots that could not be drawn, one line each
        self._history: HistoryFile | None = None
        self._row_format: str | None = None
        self._columns: list[str] = []
        self._info: RunInfo | None = None

    def claim(self) -> None:
        """Create the folder and claim it by creating history.csv exclusively (before anything is shown)."""
        if self._history is not None:
            return
        create_run_dir(self.path)
        try:
            self._history = HistoryFile(self.path / "history.csv")
        except FileExistsError:
            raise ConfigError(
                f"{self.path} already holds a run (another lossfit run claimed it first); lossfit never "
                "overwrites a run: choose another --out."
            ) from None
        except OSError as err:
            raise WriteError(self.path / "history.csv", err) from None

    def open(self, info: RunInfo) -> None:
        self._info = info
        self.claim()
        write_atomic(self.path / "config.toml", tomli_w.dumps(info.config))
        self.files.extend(["config.toml", "history.csv"])

    def write(self, record: EpochRecord) -> None:
        assert self._history is not None
        if self._row_format is None:
            self._columns = list(record.metrics)
            header = ["epoch", "train_loss", "val_loss", "penalty", *self._columns, "lr", "grad_norm", "seconds"]
            self._history.write(",".join(header) + "\n")
            # floats as repr: the shortest text that round-trips exactly
            self._row_format = "%d," + "%r," * (len(header) - 2) + "%.6f\n"
            self._history.set_row_format(self._row_format, len(header))
        m = record.metrics
        self._history.write_row((record.epoch, float(record.train_loss), float(record.val_loss),
                                 float(record.penalty), *map(float, map(m.__getitem__, self._columns)),
                                 float(record.lr), float(record.grad_norm), record.seconds))

    def close(self, summary: RunSummary) -> None:
        """history.csv, then metrics.json, then the plots (and metrics.json again, listing them)."""
        if self._history is not None:
            history, self._history = self._history, None
            history.close()
        self.files.append("metrics.json")
        self._write_metrics(summary)
        if not self.plot or self._info is None:
            return
        drawn = len(self.files)
        with self.stop.plotting() as drawing:
            if drawing:
                self._draw(summary)
        if len(self.files) > drawn:
            self._write_metrics(summary)

    def _draw(self, summary: RunSummary) -> None:
        assert self._info is not None
        try:
            from lossfit import plots  # matplotlib is imported only when a plot is drawn
        except Exception as err:  # e.g. MPLBACKEND=bogus
            self.warnings.append(f"no plots: matplotlib could not be loaded ({type(err).__name__}: {err})")
            return
        log = self._info.log
        records = log.kept() if log is not None else []
        for name, error in plots.draw_run(self.path, self._info, records, summary):
            if error is None:
                self.files.append(name)
            else:
                self.warnings.append(f"{self.path / name} could not be drawn: {error}")

    def add_file(self, name: str, summary: RunSummary) -> None:
        """List one more file written for this run (an animation) and write metrics.json again."""
        self.files.append(name)
        self._write_metrics(summary)

    def _write_metrics(self, summary: RunSummary) -> None:
        summary = _with_files(summary, self.path, self.files)
        write_atomic(self.path / "metrics.json", json.dumps(summary.to_json(), indent=2) + "\n")


def _with_files(summary: RunSummary, path: Path, files: list[str]) -> RunSummary:
    from dataclasses import replace

    return replace(summary, out_dir=path, files=tuple(files))
