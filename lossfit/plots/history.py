"""Curves redrawn from saved folders alone (`lossfit plot`): no retraining, only the files.

- `load_runs(paths)`: run folders (`history.csv`, and `metrics.json` for how the
  run ended) and compare folders (`summary.json`, which expands into its
  variants' run folders, in its order), each with a legend label that tells it
  apart from the others;
- `history_figure(runs, metric, log)`: one axes, every run's curve against
  epoch: train loss with validation loss dashed in the same colour, or one
  `history.csv` column.

Every problem with a folder or a column is a `DataError`/`ConfigError` whose
message is one line naming the folder or file and what was expected.
"""

from __future__ import annotations

import csv
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lossfit._typing import Array
from lossfit.errors import ConfigError, DataError
from lossfit.plots._style import variant_color
from lossfit.plots.curves import ENDINGS, Series, overlay, wants_log

HISTORY, METRICS, SUMMARY = "history.csv", "metrics.json", "summary.json"
LOSS = "loss"  # the default picture: train_loss solid, val_loss dashed
STATUS_WORDS = {"diverged": "diverged", "interrupted": "interrupted", "terminated": "terminated",
                "early_stopped": "stopped early"}
AXIS_LABELS = {"train_loss": "train loss", "val_loss": "validation loss", "r2": "R²", "lr": "learning rate",
               "grad_norm": "gradient norm"}
MAX_SOURCES = 90  # characters of folder names in the title's second line before "and N more"


@dataclass(frozen=True)
class RunHistory:
    """One run read back from its folder: a label, every history.csv column and how the run ended."""

    label: str
    path: Path
    columns: tuple[str, ...]
    values: Mapping[str, Array]
    status: str = "unknown"  # completed | early_stopped | diverged | interrupted | terminated | unknown
    source: str = ""  # what the title names: the run folder, or the compare folder and its title

    @property
    def epochs(self) -> Array:
        return self.values["epoch"]

    def column(self, name: str) -> Array:
        """The values of one history.csv column; a missing column names the run and the columns it has."""
        if name not in self.values:
            if not self.epochs.size:  # a variant stopped before its first epoch: an empty curve
                return np.empty(0)
            raise ConfigError(
                f"--metric {name}: the run {self.label} ({self.path / HISTORY}) has no column `{name}`; "
                f"its columns: {', '.join(self.columns)}."
            )
        return self.values[name]


@dataclass
class _Found:
    """A run before its label is settled: the base label and the folders that can tell it apart."""

    path: Path
    base: str
    context: tuple[str, ...]  # folder names above, nearest last, used to tell equal labels apart
    separator: str  # "/" for a run folder (a path), ": " for a compare variant ("c1: mse")
    columns: tuple[str, ...]
    values: dict[str, Array]
    status: str
    source: str
    depth: int = field(default=0)

    def label(self) -> str:
        if not self.depth:
            return self.base
        return "/".join(self.context[-self.depth:]) + self.separator + self.base


# ---------------------------------------------------------------- reading
class _NoEpochs(DataError):
    """A history.csv without a single epoch (the run stopped before its first one ended)."""


def read_history(path: Path) -> tuple[tuple[str, ...], dict[str, Array]]:
    """history.csv -> (its columns, one float array per column). Raises DataError naming the file."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise DataError(f"Cannot read {path}: {reason}.") from None
    rows = [row for row in rows if row]
    if not rows:
        raise _NoEpochs(f"{path} is empty: the run recorded no epoch, so there is no curve to draw.")
    header = tuple(name.strip() for name in rows[0])
    if "epoch" not in header or len(set(header)) != len(header):
        raise DataError(f"{path} is not a lossfit history: expected a header starting `epoch,train_loss,val_loss`, "
                        f"found `{','.join(header)[:80]}`.")
    if len(rows) > 2 and len(rows[-1]) < len(header):
        rows.pop()  # a run killed while writing leaves its last line cut short: keep the epochs before it
    if len(rows) == 1:
        raise _NoEpochs(f"{path} has a header but no rows: the run recorded no epoch, so there is no curve to draw.")
    table = np.empty((len(rows) - 1, len(header)))
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"{path} line {i}: {len(row)} values for {len(header)} columns; the file is damaged.")
        for j, cell in enumerate(row):
            try:
                table[i - 2, j] = float(cell)  # float() reads the `nan` and `inf` the run wrote
            except ValueError:
                raise DataError(f"{path} line {i}, column {header[j]}: `{cell}` is not a number.") from None
    return header, {name: table[:, j].copy() for j, name in enumerate(header)}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise DataError(f"Cannot read {path}: {reason}.") from None
    if not isinstance(payload, dict):
        raise DataError(f"{path} does not hold a JSON object; is it a lossfit file?")
    return payload


def _status(run_dir: Path) -> str:
    """How the run ended, from metrics.json; `unknown` when it is missing (a run killed before it was written)."""
    path = run_dir / METRICS
    if not path.is_file():
        return "unknown"
    status = _read_json(path).get("status")
    return status if isinstance(status, str) else "unknown"


def _kind(path: Path) -> str:
    """`run` or `compare`; anything else is a one-line DataError saying what was expected."""
    if not path.exists():
        raise DataError(f"{path} does not exist; expected a run folder (from `lossfit train --out`) "
                        "or a compare folder (from `lossfit compare --out`).")
    if not path.is_dir():
        raise DataError(f"{path} is a file, not a folder; give the run folder or compare folder that holds it"
                        + (f" ({path.parent})." if path.name in (HISTORY, METRICS, SUMMARY) else "."))
    if (path / HISTORY).is_file():
        return "run"
    if (path / SUMMARY).is_file():
        return "compare"
    runs = sorted(p.name for p in path.iterdir() if (p / HISTORY).is_file() or (p / SUMMARY).is_file())
    hint = (f" It holds {len(runs)} such folder{'s' if len(runs) != 1 else ''} ({', '.join(runs[:3])}"
            f"{', ...' if len(runs) > 3 else ''}): pass them instead." if runs else "")
    raise DataError(f"{path} is neither a run folder nor a compare folder: expected {HISTORY} (a run) "
                    f"or {SUMMARY} (a comparison) in it.{hint}")


def _parts(path: Path) -> tuple[str, ...]:
    return tuple(part for part in path.resolve().parts if part not in ("/", "\\")) or ("/",)


def _name(path: Path) -> str:
    return path.resolve().name or str(path.resolve())


def _from_run(path: Path) -> _Found:
    columns, values = read_history(path / HISTORY)
    return _Found(path, _name(path), _parts(path)[:-1], "/", columns, values, _status(path), str(path))


def _from_compare(path: Path) -> list[_Found]:
    summary = _read_json(path / SUMMARY)
    variants = summary.get("variants")
    if not isinstance(variants, list) or not variants:
        raise DataError(f"{path / SUMMARY} lists no variants; expected the summary written by `lossfit compare`.")
    title = summary.get("title")
    source = f"{path} ({title})" if isinstance(title, str) and title else str(path)
    found = []
    for variant in variants:
        folder = variant.get("folder") if isinstance(variant, dict) else None
        if not isinstance(folder, str) or not folder:
            raise DataError(f"{path / SUMMARY}: a variant without a `folder`; expected the summary written by "
                            "`lossfit compare`.")
        run_dir = path / folder
        label = variant.get("label")
        status = variant.get("status")
        if not (run_dir / HISTORY).is_file():
            raise DataError(f"{run_dir} has no {HISTORY}, but {path / SUMMARY} lists it as a variant; "
                            "the compare folder is incomplete.")
        try:
            columns, values = read_history(run_dir / HISTORY)
        except _NoEpochs:
            if status not in ("interrupted", "terminated"):
                raise
            # Ctrl-C can stop a comparison before a variant's first epoch: its legend entry says so.
            columns, values = ("epoch",), {"epoch": np.empty(0)}
        found.append(_Found(run_dir, str(label) if label else folder, _parts(path), ": ", columns, values,
                            status if isinstance(status, str) else _status(run_dir), source))
    return found


def _settle_labels(found: list[_Found]) -> None:
    """Equal labels take their nearest folders, one more at a time, until they differ.

    The same folder given twice keeps its label, numbered: `r1`, `r1 (2)`.
    """
    while True:
        groups: dict[str, list[_Found]] = {}
        for item in found:
            groups.setdefault(item.label(), []).append(item)
        # A group of one folder given twice cannot be told apart by its folders: it is numbered below.
        clashes = [group for group in groups.values() if len({(i.path.resolve(), i.base) for i in group}) > 1]
        grown = False
        for group in clashes:
            for item in group:
                if item.depth < len(item.context):
                    item.depth += 1
                    grown = True
        if not grown:
            break
    seen: dict[str, int] = {}
    for item in found:  # the same folder given twice: number the repeats
        label = item.label()
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            item.base = f"{item.base} ({seen[label]})"


def load_runs(paths: Sequence[Path]) -> list[RunHistory]:
    """Read run folders and compare folders (expanded into their variants, in summary.json order)."""
    if not paths:
        raise ConfigError("Give at least one run folder or compare folder, e.g. `lossfit plot runs/my-run`.")
    found: list[_Found] = []
    for path in paths:
        if _kind(path) == "run":
            found.append(_from_run(path))
        else:
            found.extend(_from_compare(path))
    _settle_labels(found)
    return [RunHistory(item.label(), item.path, item.columns, item.values, item.status, item.source)
            for item in found]


# ---------------------------------------------------------------- drawing
def history_figure(runs: Sequence[RunHistory], metric: str | None = None, log: bool | None = None) -> Figure:
    """Every run's curve on one axes against epoch.

    `metric=None`: train loss, with validation loss dashed in the same colour
    where the run has one. Otherwise the history.csv column of that name. `log=None`
    picks the y scale by `wants_log` (never for values below zero, which a log axis hides).
    """
    if not runs:
        raise ConfigError("Nothing to plot: no runs were given.")
    column = "train_loss" if metric is None else normalize_metric(metric)
    main = [_series(run, index, run.column(column)) for index, run in enumerate(runs)]
    dashed: list[Series | None] = [None] * len(runs)
    if metric is None:
        for index, run in enumerate(runs):
            val = run.values.get("val_loss")
            if val is not None and np.isfinite(val).any():
                dashed[index] = _series(run, index, val)
    drawn = [s.values for s in main] + [s.values for s in dashed if s is not None]
    if not any(np.isfinite(v).any() for v in drawn):
        what = f"--metric {column}: no run has" if metric is not None else "No run has"
        raise DataError(f"{what} a finite value in the history.csv column `{column}` "
                        f"({', '.join(run.label for run in runs)}); nothing to draw.")
    positive = [v[np.isfinite(v) & (v > 0)] for v in drawn]
    if log and not any(p.size for p in positive):
        raise ConfigError(f"--log: `{column}` has no positive values to put on a log scale; use --linear.")
    if log is None:
        negative = any(bool((v[np.isfinite(v)] < 0).any()) for v in drawn)
        log = wants_log(*drawn) and not negative
    with warnings.catch_warnings(), np.errstate(all="ignore"):  # a diverged run's inf makes matplotlib warn
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        return _draw(runs, main, dashed, column, metric is None, log)


def normalize_metric(name: str) -> str:
    """`Grad-Norm` -> `grad_norm`: the spelling of history.csv's header."""
    text = name.strip().lower().replace("-", "_")
    if not text:
        raise ConfigError("--metric is empty; give a history.csv column such as mae, accuracy, val_loss or lr.")
    return text


def _series(run: RunHistory, index: int, values: Array) -> Series:
    return Series(run.label, run.epochs, values, variant_color(index), run.status)


def _draw(runs: Sequence[RunHistory], main: list[Series], dashed: list[Series | None], column: str,
          losses: bool, log: bool) -> Figure:
    fig = Figure(figsize=(8.4, 4.8), layout="constrained")
    ax = fig.add_subplot()
    with_val = any(s is not None for s in dashed)
    labelled = [_labelled(s, "train" if losses and with_val else "") for s in main]
    overlay(ax, labelled, _axis_label(column, losses), _title(runs, column, losses, with_val), log=log)
    handles: list[Artist] = []
    for index, series in enumerate(labelled):  # legend order: each run's train, then its validation curve
        handles.append(ax.lines[_line_index(ax, series.label)])
        extra = dashed[index]
        if extra is not None:
            handles.append(_dashed(ax, _labelled(extra, "validation")))
    if len(handles) > 6:  # beside the axes, where it hides no curve
        ax.legend(handles=handles, frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.legend(handles=handles, frameon=False, fontsize=8)
    return fig


def _labelled(series: Series, split: str) -> Series:
    words = [split] if split else []
    if series.status in ENDINGS:
        words.append(STATUS_WORDS[series.status])
    if series.epochs.size == 0:
        words.append("no epochs")
    label = f"{series.label} · {', '.join(words)}" if words else series.label
    return Series(label, series.epochs, series.values, series.color, series.status)


def _line_index(ax: Axes, label: str) -> int:
    return next(i for i, line in enumerate(ax.lines) if line.get_label() == label)


def _dashed(ax: Axes, series: Series) -> Artist:
    """A validation curve: dashed, in its run's colour, ending in the same marker as `overlay`'s curves."""
    (line,) = ax.plot(series.epochs, series.values, color=series.color, linewidth=1.6, linestyle="--",
                      label=series.label)
    finite = np.isfinite(series.values)
    if series.status in ENDINGS and finite.any():
        last = int(np.flatnonzero(finite)[-1])
        ax.plot(series.epochs[last], series.values[last], marker="x", color=series.color, markersize=9, mew=2)
    return line


def _axis_label(column: str, losses: bool) -> str:
    return "loss" if losses else AXIS_LABELS.get(column, column)


def _title(runs: Sequence[RunHistory], column: str, losses: bool, with_val: bool) -> str:
    count = f"{len(runs)} run{'s' if len(runs) != 1 else ''}"
    if losses:
        what = "train loss (solid) and validation loss (dashed)" if with_val else "train loss"
    else:
        what = AXIS_LABELS.get(column, column)
        if what != column:
            what += f" (column `{column}`)"
    sources = list(dict.fromkeys(run.source for run in runs))
    shown: list[str] = []
    for source in sources:
        if shown and len(", ".join([*shown, source])) > MAX_SOURCES:
            break
        shown.append(source)
    rest = len(sources) - len(shown)
    where = ", ".join(shown) + (f" and {rest} more" if rest else "")
    return f"{what} against epoch, {count}\nfrom {where}"
