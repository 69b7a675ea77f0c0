"""Tables from files: CSV/TSV/TXT (header and delimiter detection, categorical and missing
values) and NumPy ``.npz`` archives, read into ``Table`` (X, y, names) without splitting.

Only the standard library's ``csv`` and NumPy are used (no pandas at run time).

    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "pets.csv")
    >>> _ = open(path, "w").write("weight;kind\\n4.1;cat\\n30;dog\\nNA;cat\\n3.5;cat\\n")
    >>> t = read_csv(path)
    >>> t.feature_names, t.class_names, t.task, t.dropped_rows, t.y.tolist()
    (('weight',), ('cat', 'dog'), 'binary', 1, [0, 1, 0])

Rules (each failure is a one-line `DataError` naming the file and the fix):

- The delimiter is sniffed among comma, semicolon and tab (``.tsv``: tab).
- ``header=None`` detects a header row: a first row that is all numbers is data; a
  first row with a text cell above numbers is a header; otherwise ``csv.Sniffer``.
- The target is the last column unless ``target`` names one (or gives a 0-based,
  possibly negative, index); ``features`` restricts the feature columns.
- Missing values (``""``, NA, N/A, NaN, null, None, ``?``, ``-``, #N/A; any case)
  drop their row when the row's used columns contain one; the count is kept.
- A text feature column is one-hot encoded (columns ``name=value``, categories
  sorted); a numeric column with a stray text value is an error that names the
  value and its line.
- Task: text targets, and whole-number targets (``1`` or ``1.0``, whatever the
  dtype) with at most 10 distinct values that repeat (at most half as many levels
  as rows), are classification (2 classes: binary, more: multiclass), said in a
  warning; anything else is regression. ``task`` overrides. Class labels are mapped to indices in sorted
  order (the ``LabelEncoder`` convention) and their names kept.
"""

from __future__ import annotations

import csv
import math
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lossfit._typing import TASKS, Array, Task
from lossfit.errors import ConfigError, DataError

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-", "#n/a"})
"""Cell texts read as a missing value (compared after stripping, case-insensitively)."""

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
FILE_SUFFIXES = (*TEXT_SUFFIXES, ".npz")
MAX_INTEGER_CLASSES = 10  # an integer target with at most this many levels is classification
MAX_CATEGORIES = 50  # a text feature column with more distinct values is refused (an identifier?)
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Table:
    """A dataset read from a file or a bundled CSV, in file order, before any split."""

    X: Array
    y: npt.NDArray[np.generic]  # regression float64; classification int64 class indices
    task: Task
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]  # () for regression
    dropped_rows: int = 0
    target_name: str = "y"

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def is_file_spec(spec: str) -> bool:
    """True when `spec` names a file by its suffix (.csv, .tsv, .txt, .npz)."""
    return spec.strip().lower().endswith(FILE_SUFFIXES)


def read_file(
    path: str | os.PathLike[str],
    *,
    target: str | int | None = None,
    features: list[str] | None = None,
    header: bool | None = None,
    task: Task | None = None,
) -> Table:
    """Read a CSV/TSV/TXT or .npz file into a `Table` (see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"Dataset file {path} not found (looked in {Path.cwd()}); check the path.")
    if not path.is_file():
        raise DataError(f"Dataset file {path} is not a file; give the path of a .csv, .tsv, .txt or .npz file.")
    _check_task_option(task)
    if path.suffix.lower() == ".npz":
        unused = [k for k, v in (("target", target), ("features", features), ("header", header)) if v is not None]
        if unused:
            raise ConfigError(
                f"Dataset file {path}: {', '.join(unused)} apply to CSV files only; an .npz file "
                "holds its features in `X` and its target in `y`."
            )
        return read_npz(path, task=task)
    return read_csv(path, target=target, features=features, header=header, task=task)


def _check_task_option(task: object) -> None:
    if task is not None and task not in TASKS:
        raise ConfigError(f"task={task!r} is not a task; expected one of: {', '.join(TASKS)}.")


# --- CSV ----------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:_SNIFF_BYTES]:
        raise DataError(f"Dataset file {path} looks binary, not text; give a CSV file (or an .npz archive).")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(
            f"Dataset file {path} is not UTF-8 text (undecodable byte at position {err.start}); "
            "save it as UTF-8 CSV."
        ) from None


def _sniff_delimiter(path: Path, sample: str) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    if len(lines) > 1 and not sample.endswith("\n"):
        lines = lines[:-1]  # the sample may cut its last line
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t").delimiter
    except csv.Error:
        sniffed = None
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in (",", ";", "\t"):
        widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        modal = max(set(widths), key=widths.count) if widths else 1
        consistent = len(set(widths)) == 1 and modal > 1
        if delimiter == sniffed and consistent:
            return delimiter
        score = (consistent, widths.count(modal) / len(widths) if modal > 1 else 0.0, modal)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _is_number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return not math.isnan(value) or text.strip().lower() == "nan"


def _is_missing(text: str) -> bool:
    return text.strip().lower() in MISSING


def _detect_header(first: list[str], rest: list[list[str]], sample: str) -> bool:
    cells = [c for c in first if not _is_missing(c)]
    if cells and all(_is_number(c) for c in cells):
        return False
    for j, cell in enumerate(first):
        if _is_missing(cell) or _is_number(cell):
            continue
        below = [r[j] for r in rest[:200] if j < len(r) and not _is_missing(r[j])]
        if below and all(_is_number(v) for v in below):
            return True
    if not rest:
        return True  # one row of text: a header without data (reported as such)
    try:
        return csv.Sniffer().has_header(sample)
    except csv.Error:
        return True


def read_csv(
    path: str | os.PathLike[str],
    *,
    target: str | int | None = None,
    features: list[str] | None = None,
    header: bool | None = None,
    task: Task | None = None,
    label: str | None = None,
) -> Table:
    """Read a delimited text file into a `Table`; `label` names it in messages (default: the path)."""
    path = Path(path)
    _check_task_option(task)
    where = label or f"Dataset file {path}"
    text = _read_text(path)
    if not text.strip():
        raise DataError(f"{where} is empty; it needs a header row and at least a few data rows.")
    delimiter = _sniff_delimiter(path, text[:_SNIFF_BYTES])
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    try:
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue
            rows.append([c.strip() for c in row])
            line_numbers.append(reader.line_num)
    except csv.Error as err:
        raise DataError(f"{where}: cannot parse line {reader.line_num} as CSV ({err}); fix the quoting.") from None
    if header is None:
        header = _detect_header(rows[0], rows[1:], text[:_SNIFF_BYTES])
    if header:
        columns = [c or f"column{j + 1}" for j, c in enumerate(rows[0])]
        rows, line_numbers = rows[1:], line_numbers[1:]
        if not rows:
            raise DataError(f"{where} has a header row but no data rows; add data below `{','.join(columns)}`.")
    else:
        columns = [f"column{j + 1}" for j in range(len(rows[0]))]
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise DataError(f"{where}: column name `{duplicates[0]}` appears twice in the header; rename one.")
    width = len(columns)
    for row, line in zip(rows, line_numbers):
        if len(row) != width:
            raise DataError(
                f"{where}: line {line} has {len(row)} fields but the {'header has' if header else 'first row has'} "
                f"{width} (delimiter {_describe_delimiter(delimiter)}); fix that line."
            )
    if width < 2:
        raise DataError(
            f"{where} has a single column (delimiter {_describe_delimiter(delimiter)}); it needs at least one "
            "feature and a target (comma, semicolon or tab separated)."
        )

    t = _pick_target(where, columns, target)
    if features is None:
        used = [j for j in range(width) if j != t]
    else:
        if isinstance(features, str):
            features = [f.strip() for f in features.split(",") if f.strip()]
        used = []
        for name in features:
            if name not in columns:
                raise DataError(
                    f"{where} has no column `{name}` (asked for in features); columns: {', '.join(columns)}."
                )
            if columns.index(name) == t:
                raise DataError(f"{where}: `{name}` is the target; it cannot also be a feature.")
            used.append(columns.index(name))
        if not used:
            raise DataError(f"{where}: features is empty; name at least one column.")

    keep = [i for i, row in enumerate(rows) if not any(_is_missing(row[j]) for j in (*used, t))]
    dropped = len(rows) - len(keep)
    if not keep:
        raise DataError(
            f"{where}: all {len(rows)} rows have a missing value in the columns used; "
            "fill them in or choose other columns with --features."
        )
    rows = [rows[i] for i in keep]
    line_numbers = [line_numbers[i] for i in keep]
    for row, line in zip(rows, line_numbers):
        for j in (*used, t):
            if _is_number(row[j]) and not math.isfinite(float(row[j])):
                raise DataError(
                    f"{where}: line {line} has `{row[j]}` in column `{columns[j]}`; lossfit needs finite "
                    "numbers: fix the value, or leave it empty to mark it missing."
                )

    blocks: list[Array] = []
    names: list[str] = []
    for j in used:
        block, block_names = _feature_column(where, columns[j], [r[j] for r in rows], line_numbers)
        blocks.append(block)
        names.extend(block_names)
    X = np.column_stack(blocks) if blocks else np.zeros((len(rows), 0))
    y, task_, classes = _target_column(where, columns[t], [r[t] for r in rows], task)
    return Table(X, y, task_, tuple(names), classes, dropped, columns[t])


def _describe_delimiter(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab"}.get(delimiter, repr(delimiter))


def _pick_target(where: str, columns: list[str], target: str | int | None) -> int:
    n = len(columns)
    if target is None:
        return n - 1
    if isinstance(target, str) and target in columns:
        return columns.index(target)
    index: int | None = None
    if isinstance(target, bool):
        index = None
    elif isinstance(target, (int, np.integer)):
        index = int(target)
    elif isinstance(target, str):
        try:
            index = int(target.strip())
        except ValueError:
            index = None
    if index is None:
        raise DataError(f"{where} has no column `{target}` (the target); columns: {', '.join(columns)}.")
    if not -n <= index < n:
        raise DataError(
            f"{where}: target index {index} is out of range; the file has {n} columns "
            f"(0 to {n - 1}, or -{n} to -1): {', '.join(columns)}."
        )
    return index % n


def _feature_column(where: str, name: str, values: list[str], lines: list[int]) -> tuple[Array, list[str]]:
    numeric = [_is_number(v) for v in values]
    if all(numeric):
        return np.array([float(v) for v in values], dtype=np.float64)[:, None], [name]
    if sum(numeric) * 2 >= len(values):  # mostly numbers: the text is a mistake, not a category
        i = numeric.index(False)
        raise DataError(
            f"{where}: column `{name}` holds numbers but line {lines[i]} has `{values[i]}`; "
            "fix the value, leave it empty to mark it missing, or leave the column out with --features."
        )
    categories = sorted(set(values))
    if len(categories) > MAX_CATEGORIES or (len(categories) == len(values) and len(values) > 2):
        raise DataError(
            f"{where}: column `{name}` holds text with {len(categories)} distinct values in {len(values)} rows "
            f"(e.g. `{values[0]}`): too many to one-hot encode as a category; leave it out by listing the columns to use with "
            "--features a,b,c."
        )
    onehot = (np.array(values)[:, None] == np.array(categories)[None, :]).astype(np.float64)
    return onehot, [f"{name}={c}" for c in categories]


def _format_level(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _target_column(
    where: str, name: str, values: list[str], task: Task | None
) -> tuple[npt.NDArray[np.generic], Task, tuple[str, ...]]:
    numeric = all(_is_number(v) for v in values)
    if task == "regression" or task is None and numeric and not _few_integer_levels(values):
        if not numeric:
            bad = next(v for v in values if not _is_number(v))
            raise DataError(
                f"{where}: the target `{name}` holds text (e.g. `{bad}`), so it cannot be regressed; "
                "use task binary or multiclass, or pick a numeric target."
            )
        return np.array([float(v) for v in values], dtype=np.float64), "regression", ()
    if numeric:
        levels = np.array([float(v) for v in values])
        uniques, y = np.unique(levels, return_inverse=True)
        classes = tuple(_format_level(u) for u in uniques)
    else:
        uniques_s, y = np.unique(np.array(values), return_inverse=True)
        classes = tuple(str(u) for u in uniques_s)
    if len(classes) < 2:
        raise DataError(
            f"{where}: the target `{name}` has a single class `{classes[0]}`; classification needs at least "
            "two classes (pick another target, or use task regression for a numeric one)."
        )
    if task == "binary" and len(classes) != 2:
        raise DataError(
            f"{where}: task binary needs exactly 2 classes but the target `{name}` has {len(classes)} "
            f"({', '.join(classes[:8])}{', ...' if len(classes) > 8 else ''}); use task multiclass."
        )
    inferred: Task = task or ("binary" if len(classes) == 2 else "multiclass")
    if task is None and numeric:  # say so: a number read as a class label is a choice the user may not want
        shown = ", ".join(classes[:6]) + (", ..." if len(classes) > 6 else "")
        warnings.warn(
            f"the target `{name}` of {where.removeprefix('Dataset file ')} holds {len(classes)} whole-number values "
            f"({shown}): read as {inferred} class labels. Use --task regression to fit it as a number.",
            stacklevel=2,
        )
    return y.astype(np.int64), inferred, classes


def _few_integer_levels(values: list[str]) -> bool:
    """Whole numbers (`1`, `1.0`, `1e0` alike: scikit-learn's type_of_target ignores the dtype) in a few levels."""
    try:
        levels = {float(v) for v in values}
    except ValueError:
        return False
    if not all(math.isfinite(level) and level.is_integer() for level in levels):
        return False
    return len(levels) <= MAX_INTEGER_CLASSES and 2 * len(levels) <= len(values)


# --- npz ----------------------------------------------------------------------------------


def read_npz(path: str | os.PathLike[str], *, task: Task | None = None) -> Table:
    """Read arrays ``X`` (n, d) and ``y`` (n,) from an .npz archive (``allow_pickle=False``)."""
    path = Path(path)
    _check_task_option(task)
    where = f"Dataset file {path}"
    if not zipfile.is_zipfile(path):
        raise DataError(f"{where} is not an .npz archive (not a zip file); save it with np.savez(path, X=X, y=y).")
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.files)
            missing = [k for k in ("X", "y") if k not in keys]
            if missing:
                raise DataError(
                    f"{where} has no array {' or '.join(f'`{k}`' for k in missing)} (it holds: "
                    f"{', '.join(keys) or 'nothing'}); save it with np.savez(path, X=X, y=y)."
                )
            X, y = archive["X"], archive["y"]
    except DataError:
        raise
    except ValueError as err:
        if "pickle" in str(err).lower():
            raise DataError(
                f"{where} holds object arrays, which are not loaded (allow_pickle=False); "
                "save X as numbers and y as numbers or strings."
            ) from None
        raise DataError(f"{where} is not a readable .npz archive ({err}); save it with np.savez.") from None
    except Exception as err:  # BadZipFile, a damaged member, ...
        raise DataError(
            f"{where} is not a readable .npz archive ({type(err).__name__}); save it with np.savez(path, X=X, y=y)."
        ) from None
    if X.ndim != 2:
        hint = " (one feature? use X.reshape(-1, 1))" if X.ndim == 1 else ""
        raise DataError(f"{where}: X must be 2-D (samples, features) but has shape {X.shape}{hint}.")
    if y.ndim != 1:
        raise DataError(f"{where}: y must be 1-D (one target per sample) but has shape {y.shape}.")
    if len(X) != len(y):
        raise DataError(f"{where}: X has {len(X)} rows but y has {len(y)}; they must match.")
    if len(X) == 0:
        raise DataError(f"{where}: X and y have no rows; nothing to train on.")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool) or X.dtype.kind == "c":
        raise DataError(f"{where}: X must hold real numbers but has dtype {X.dtype}.")
    X = X.astype(np.float64)
    if y.dtype.kind in "US":
        y_text = y.astype(str)
        bad = np.array([_is_missing(v) for v in y_text], dtype=bool)
    elif y.dtype.kind in "biuf":
        bad = ~np.isfinite(y.astype(np.float64))
    elif y.dtype.kind == "c":
        raise DataError(f"{where}: y must hold real numbers or strings but has dtype {y.dtype}.")
    else:
        raise DataError(f"{where}: y must hold numbers or strings but has dtype {y.dtype}.")
    bad |= ~np.isfinite(X).all(axis=1)
    if bad.all():
        raise DataError(f"{where}: every row has a NaN or missing value; nothing is left to train on.")
    X, y = X[~bad], y[~bad]
    if y.dtype.kind in "US":
        values = [str(v) for v in y]
    elif y.dtype.kind == "f":
        values = [repr(float(v)) for v in y]  # whole-number floats (0.0, 1.0) count as levels, as integers do
    else:
        values = [str(int(v)) for v in y]
    y_out, task_, classes = _target_column(where, "y", values, task)
    return Table(X, y_out, task_, tuple(f"x{j + 1}" for j in range(X.shape[1])), classes, int(bad.sum()))
