"""Saved runs: check a run folder and its config, and compare two histories.

`lossfit rerun` and `lossfit export` read a run folder that `lossfit train`
wrote. `check_run_dir` refuses anything else with one line; `check_config`
reads its config.toml as `lossfit train --config` would and checks every name
in it without loading data or running a custom loss; `compare_histories` says
whether a new history.csv reproduces a saved one, and if not, where they first
part:

    >>> compare_histories(Path("r/history.csv"), Path("r2/history.csv"))  # doctest: +SKIP
    Difference(epoch=17, column='val_loss', saved='0.1234', new='0.12345', kind='value')

Standard library only at module level: the commands import this at run time.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lossfit.errors import ConfigError, DataError, LossfitError

CONFIG = "config.toml"
HISTORY = "history.csv"
NOT_COMPARED = ("seconds",)
"""history.csv columns that a rerun may change: wall-clock time."""


def check_run_dir(path: Path) -> Path:
    """`path/config.toml` when `path` is a run folder (config.toml and history.csv); else one-line DataError."""
    expected = f"expected a run folder (from `lossfit train --out`) holding {CONFIG} and {HISTORY}"
    if not path.exists():
        raise DataError(f"{path} does not exist; {expected}.")
    if not path.is_dir():
        hint = f" ({path.parent})" if path.name in (CONFIG, HISTORY, "metrics.json") else ""
        raise DataError(f"{path} is a file, not a folder; give the run folder that holds it{hint}.")
    missing = [name for name in (CONFIG, HISTORY) if not (path / name).is_file()]
    if missing:
        hint = ""
        if (path / "summary.json").is_file():
            variants = sorted(p.name for p in path.iterdir() if (p / CONFIG).is_file())
            example = f", e.g. {path / variants[0]}" if variants else ""
            hint = f" It is a compare folder: give one of its variant folders{example}."
        raise DataError(f"{path} is not a run folder: it has no {' and no '.join(missing)}; {expected}.{hint}")
    return path / CONFIG


def check_config(path: Path) -> Any:
    """The RunConfig in `path`, read as `lossfit train --config` reads it, with every registry name and
    parameter checked (loss, optimizer, schedule, model, generated or bundled dataset, and whether the loss
    fits the dataset's task); a ConfigError names the file.

    Nothing is loaded or run: a data file is not read, a custom loss (`file.py:function`) is not imported.
    """
    from lossfit import data, losses, models, optimizers
    from lossfit.api import build_schedule, check_task
    from lossfit.config import build_config
    from lossfit.spec import parse_spec

    config = build_config(path, {})  # unknown keys and bad values name the file and the key
    try:
        loss = losses.get(config.loss) if config.loss and ":" not in config.loss else None
        name, kwargs = parse_spec(config.optimizer, what="optimizer spec")
        if "lr" in kwargs:
            raise ConfigError(f"give the learning rate as `lr`, not inside the optimizer spec `{config.optimizer}`.")
        optimizers.get(name, lr=config.lr, **kwargs)
        build_schedule(config)
        if config.model != "auto":
            models.get(config.model)
        if config.dataset and not data.is_file(config.dataset):
            data.generator(config.dataset)
            if loss is not None:
                check_task(loss, config.dataset)
    except LossfitError as err:
        raise type(err)(f"{path}: {err}") from None
    return config


@dataclass(frozen=True)
class Difference:
    """Where two histories first part, with both values as written (None: not there).

    kind `value`: a cell differs; `columns`: the headers differ (`saved`/`new` are the
    headers); `length`: one history goes on where the other ends (`epoch` is the first
    epoch only one of them has).
    """

    epoch: int | None
    column: str | None
    saved: str | None
    new: str | None
    kind: Literal["value", "columns", "length"]

    def describe(self) -> str:
        """One line: `epoch 17, column val_loss: saved 0.1234, new 0.12345`."""
        if self.kind == "columns":
            return f"the columns differ: saved {self.saved}; new {self.new}"
        if self.kind == "length":
            which = "the new history" if self.new is not None else "the saved history"
            other = "the saved one" if self.new is not None else "the new one"
            return f"epoch {self.epoch} is only in {which} ({other} ends before it; the epochs before are equal)"
        return f"epoch {self.epoch}, column {self.column}: saved {self.saved}, new {self.new}"


def compare_histories(old: Path, new: Path) -> Difference | None:
    """None when the two history.csv files agree in every column but `seconds`, row by row; else the first
    difference. Cells compare as numbers (`0.5` equals `0.50`, `nan` equals `nan`), text otherwise."""
    with _rows(old) as saved_rows, _rows(new) as new_rows:
        saved_header, new_header = next(saved_rows, []), next(new_rows, [])
        kept = [i for i, name in enumerate(saved_header) if name not in NOT_COMPARED]
        if [saved_header[i] for i in kept] != [name for name in new_header if name not in NOT_COMPARED]:
            return Difference(None, None, ",".join(saved_header), ",".join(new_header), "columns")
        new_kept = [i for i, name in enumerate(new_header) if name not in NOT_COMPARED]
        for number, (saved_row, new_row) in enumerate(itertools.zip_longest(saved_rows, new_rows), start=1):
            if saved_row is None or new_row is None:
                row = new_row if saved_row is None else saved_row
                assert row is not None
                return Difference(_epoch(saved_header, row, number), None,
                                  None if saved_row is None else "row", None if new_row is None else "row", "length")
            for i, j in zip(kept, new_kept):
                a, b = _cell(saved_row, i), _cell(new_row, j)
                if not _same(a, b):
                    return Difference(_epoch(saved_header, saved_row, number), saved_header[i], a, b, "value")
    return None


def count_epochs(path: Path) -> int:
    """The number of rows (epochs) in a history.csv."""
    with _rows(path) as rows:
        next(rows, None)  # the header
        return sum(1 for _ in rows)


def saved_status(run_dir: Path) -> str | None:
    """The saved run's status from its metrics.json (`completed`, `interrupted`, ...), if it can be read."""
    try:
        status = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        return None
    return status if isinstance(status, str) else None


class _Rows:
    """A history.csv's rows, read lazily; read errors are one-line DataErrors naming the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._handle = path.open(newline="", encoding="utf-8")
        except OSError as err:
            raise DataError(f"Cannot read {path}: {err.strerror or err}.") from None

    def __enter__(self) -> Iterator[list[str]]:
        return self._read()

    def _read(self) -> Iterator[list[str]]:
        try:
            yield from csv.reader(self._handle)
        except (UnicodeDecodeError, csv.Error) as err:
            raise DataError(f"Cannot read {self.path}: not a CSV history ({err}).") from None
        except OSError as err:
            raise DataError(f"Cannot read {self.path}: {err.strerror or err}.") from None

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


def _rows(path: Path) -> _Rows:
    return _Rows(path)


def _cell(row: list[str], index: int) -> str | None:
    return row[index] if index < len(row) else None


def _epoch(header: list[str], row: list[str], number: int) -> int:
    """The row's epoch as written, or its row number when it has none."""
    if header and header[0] == "epoch" and row and row[0].strip().isdigit():
        return int(row[0])
    return number


def _same(a: str | None, b: str | None) -> bool:
    if a == b:
        return True
    if a is None or b is None:
        return False
    try:
        x, y = float(a), float(b)
    except ValueError:
        return a.strip() == b.strip()
    return x == y or (math.isnan(x) and math.isnan(y))
