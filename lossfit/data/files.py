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
- A quoted field that is still open at the end of the file is an error naming
  the line where its row starts; cells and names quoted in messages are cut to
  40 characters (control characters shown escaped), so a message stays one line.

Speed: a file whose cells are all finite numbers (the common big case) is read
by ``numpy.loadtxt`` straight into one float64 array, the features compacted in
place; anything else (text, missing values, quotes, odd rows) goes through the
general reader above, which gives the same table and the same messages.
"""

from __future__ import annotations

import codecs
import csv
import math
import os
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lossfit._typing import TASKS, Array, Task
from lossfit.data._arrays import all_finite, compact_columns, row_blocks
from lossfit.data._memory import format_bytes, memory_limit
from lossfit.errors import ConfigError, DataError

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-", "#n/a"})
"""Cell texts read as a missing value (compared after stripping, case-insensitively)."""

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
FILE_SUFFIXES = (*TEXT_SUFFIXES, ".npz")
MAX_INTEGER_CLASSES = 10  # an integer target with at most this many levels is classification
MAX_CATEGORIES = 50  # a text feature column with more distinct values is refused (an identifier?)
_SNIFF_BYTES = 64 * 1024
_HEADER_ROWS = 200  # rows below the first that header detection looks at
SHOWN_CHARS = 40  # a cell or name quoted in a message is cut to this many characters
SHOWN_NAMES = 12  # a list of column names in a message shows this many
GENERAL_PATH_FACTOR = 12
"""Peak memory of the general CSV reader as a multiple of the file's size: it keeps
the text, its lines and a Python string per cell. Numeric files take the fast
path instead (about the size of the array)."""


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


def _show(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text` fit for a one-line message: control characters escaped, cut to `limit` characters.

    >>> _show("a\\nb"), _show("x" * 50)
    ('a\\\\nb', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…')
    """
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _show_names(names: Sequence[str], limit: int = SHOWN_NAMES, noun: str = "columns") -> str:
    """A comma-separated list of names, each cut, the list cut after `limit` names.

    >>> _show_names(["a", "b"]), _show_names([f"c{i}" for i in range(20)], limit=3)
    ('a, b', 'c0, c1, c2, ... (20 columns)')
    """
    shown = ", ".join(_show(n) for n in names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names)} {noun})"


# --- CSV ----------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # also UTF-32 LE, whose mark starts alike
        raise DataError(f"Dataset file {path} is UTF-16 (or UTF-32) text; save it as UTF-8 CSV.")
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
        below = [r[j] for r in rest[:_HEADER_ROWS] if j < len(r) and not _is_missing(r[j])]
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
    """Read a delimited text file into a `Table`; `label` names it in messages (default: the path).

    All-numeric files take `_read_numeric_csv` (numpy.loadtxt); the rest, and any
    file the fast path is unsure of, the general reader `_read_general_csv`.
    """
    path = Path(path)
    _check_task_option(task)
    where = label or f"Dataset file {path}"
    if isinstance(features, str):
        features = [f.strip() for f in features.split(",") if f.strip()]
    table = _read_numeric_csv(path, where, target=target, features=features, header=header, task=task)
    if table is not None:
        return table
    _check_general_size(path, where)
    return _read_general_csv(path, where, target=target, features=features, header=header, task=task)


def _check_general_size(path: Path, where: str) -> None:
    need = path.stat().st_size * GENERAL_PATH_FACTOR
    if need > memory_limit():
        raise DataError(
            f"{where} ({format_bytes(path.stat().st_size)}) holds text, missing values or quotes, which are read "
            f"cell by cell, needing about {format_bytes(need)} of memory, more than this machine has; make its "
            "columns all numbers (read straight into an array) or save it with np.savez(path, X=X, y=y)."
        )


def _read_general_csv(
    path: Path,
    where: str,
    *,
    target: str | int | None,
    features: list[str] | None,
    header: bool | None,
    task: Task | None,
) -> Table:
    """The general reader: csv rows of strings, missing values, categories, and every check."""
    text = _read_text(path)
    if not text.strip():
        raise DataError(f"{where} is empty; it needs a header row and at least a few data rows.")
    delimiter = _sniff_delimiter(path, text[:_SNIFF_BYTES])
    lines = text.splitlines()
    rows, line_numbers = _parse_rows(where, lines, delimiter)
    if header is None:
        header = _detect_header(rows[0], rows[1:], text[:_SNIFF_BYTES])
    if header:
        columns = [c or f"column{j + 1}" for j, c in enumerate(rows[0])]
        rows, line_numbers = rows[1:], line_numbers[1:]
        if not rows:
            raise DataError(
                f"{where} has a header row but no data rows; add data below `{_show(','.join(columns), 80)}`."
            )
    else:
        columns = [f"column{j + 1}" for j in range(len(rows[0]))]
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise DataError(f"{where}: column name `{_show(duplicates[0])}` appears twice in the header; rename one.")
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
    used = _pick_features(where, columns, t, features)

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
                    f"{where}: line {line} has `{_show(row[j])}` in column `{_show(columns[j])}`; lossfit needs "
                    "finite numbers: fix the value, or leave it empty to mark it missing."
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


def _parse_rows(where: str, lines: list[str], delimiter: str) -> tuple[list[list[str]], list[int]]:
    """Non-blank rows of stripped cells, and the line of each.

    A quoted field that runs over several lines is refused, naming the line of
    its row: it is nearly always a stray quote (one still open at the end of the
    file swallows everything after it), and a line break inside a cell has no
    meaning in a table of numbers and categories.
    """
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    reader = csv.reader(lines, delimiter=delimiter)
    first = 1  # the line the row being read starts on
    try:
        for row in reader:
            if reader.line_num > first:
                still_open = _quote_left_open(lines[first - 1 : reader.line_num], delimiter)
                _refuse_spanning_quote(where, lines, first, reader.line_num, still_open)
            if row and not all(not c.strip() for c in row):
                rows.append([c.strip() for c in row])
                line_numbers.append(reader.line_num)
            first = reader.line_num + 1
    except csv.Error as err:
        if reader.line_num > first:  # e.g. "field larger than field limit": a quote swallowing the lines below
            _refuse_spanning_quote(where, lines, first, reader.line_num, still_open=True)
        raise DataError(f"{where}: cannot parse line {reader.line_num} as CSV ({err}); fix the quoting.") from None
    return rows, line_numbers


def _refuse_spanning_quote(where: str, lines: list[str], start: int, end: int, still_open: bool) -> None:
    """The DataError for a row whose quoted field runs from line `start` over to line `end`."""
    shown = _show(lines[start - 1])
    if still_open:
        raise DataError(
            f"{where}: line {start}: a quote opened here is never closed (`{shown}`); close it, or remove "
            "the stray quote."
        )
    raise DataError(
        f"{where}: line {start}: a quoted field runs from here to line {end} (`{shown}`); lossfit reads one row "
        f"per line: close the quote on line {start}, or remove the stray quote."
    )


def _quote_left_open(lines: list[str], delimiter: str) -> bool:
    """True when parsing `lines` ends inside a quoted field (the strict reader's "unexpected end of data")."""
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error as err:
        return "end of data" in str(err)
    return False


def _pick_features(where: str, columns: list[str], t: int, features: list[str] | None) -> list[int]:
    """Indices of the feature columns: every column but the target, or those named in `features`."""
    if features is None:
        return [j for j in range(len(columns)) if j != t]
    used = []
    for name in features:
        if name not in columns:
            raise DataError(
                f"{where} has no column `{_show(name)}` (asked for in features); columns: {_show_names(columns)}."
            )
        if columns.index(name) == t:
            raise DataError(f"{where}: `{_show(name)}` is the target; it cannot also be a feature.")
        used.append(columns.index(name))
    if not used:
        raise DataError(f"{where}: features is empty; name at least one column.")
    return used


# --- CSV fast path: all-numeric files ------------------------------------------------------


def _read_numeric_csv(
    path: Path,
    where: str,
    *,
    target: str | int | None,
    features: list[str] | None,
    header: bool | None,
    task: Task | None,
) -> Table | None:
    """The table of a CSV whose cells are all finite numbers, read by numpy.loadtxt; else None.

    The first 256 KiB decide the delimiter and the header exactly as the general
    reader would (the same sample and rules); numpy.loadtxt then parses the
    rest into one float64 array (its C parser, about the memory of the array),
    and the feature columns are compacted in place. Anything unusual returns
    None so the general reader handles it, with its messages: a sample that is
    not text, blank or quoted first lines, duplicate or too few columns, a bad
    target or feature name, rows of different widths, a cell that is not a
    number (text, a missing value, a quote), a NaN or an infinity.
    """
    layout = _numeric_layout(path, where, header)
    if layout is None:
        return None
    delimiter, header, columns = layout
    try:
        t = _pick_target(where, columns, target)
        used = _pick_features(where, columns, t, features)
    except DataError:
        return None  # the general reader says so, after its own checks of the rows
    data = _loadtxt(path, delimiter, skip=1 if header else 0, width=len(columns))
    if data is None:
        return None
    y = data[:, t].copy()
    if 2 * len(used) >= data.shape[1]:
        X = compact_columns(data, used)  # reuses data's memory: no second copy of a big table
    else:
        X = np.ascontiguousarray(data[:, used])  # a few columns of many: copy them, let the rest go
    del data
    y_out, task_, classes = _numeric_target(where, columns[t], y, task)
    return Table(X, y_out, task_, tuple(columns[j] for j in used), classes, 0, columns[t])


def _numeric_layout(path: Path, where: str, header: bool | None) -> tuple[str, bool, list[str]] | None:
    """Delimiter, header and column names from the file's first 256 KiB, or None when the fast path cannot trust them.

    Also refuses a file whose array would not fit in memory: rows estimated
    from the size of the file and the length of the sample's lines.
    """
    sample = _text_sample(path)
    if sample is None:
        return None
    delimiter = _sniff_delimiter(path, sample[:_SNIFF_BYTES])
    rows = _sample_rows(sample, delimiter)
    if rows is None:
        return None
    if header is None:
        header = _detect_header(rows[0], rows[1:], sample[:_SNIFF_BYTES])
    columns = [c or f"column{j + 1}" for j, c in enumerate(rows[0])] if header else [
        f"column{j + 1}" for j in range(len(rows[0]))]
    if len(columns) < 2 or len(set(columns)) != len(columns):
        return None
    _check_array_size(path, where, sample, len(columns))
    return delimiter, header, columns


def _check_array_size(path: Path, where: str, sample: str, width: int) -> None:
    size = path.stat().st_size
    line_bytes = max(1.0, len(sample.encode("utf-8")) / max(1, sample.count("\n")))
    rows = int(size / line_bytes)
    need = rows * width * 8
    if need > memory_limit():
        raise DataError(
            f"{where} ({format_bytes(size)}) would need about {format_bytes(need)} of memory as float64 (about "
            f"{rows:,} rows x {width} columns, estimated from its first lines), more than this machine has "
            f"({format_bytes(memory_limit())}); use fewer rows or columns."
        )


def _text_sample(path: Path) -> str | None:
    """The file's first 4 x 64 KiB decoded (64 Ki characters at least, or the whole file); None if not clean UTF-8 text."""
    with open(path, "rb") as handle:
        raw = handle.read(4 * _SNIFF_BYTES)
        complete = len(handle.read(1)) == 0
    if not raw.strip() or b"\x00" in raw[:_SNIFF_BYTES]:
        return None
    try:
        sample = codecs.getincrementaldecoder("utf-8-sig")().decode(raw, final=complete)
    except UnicodeDecodeError:
        return None
    if not complete:  # the last line may be cut: keep whole lines only
        sample = sample[: sample.rfind("\n") + 1]
    return sample


def _sample_rows(sample: str, delimiter: str) -> list[list[str]] | None:
    """The sample's rows (stripped cells) when the fast path can trust them; else None.

    The first line must be the first row, on its own line; there must be a second
    row (the header rules look below the first row); and no quote may appear
    below the first line (a quoted header, as R writes it, is fine).
    """
    first_line, _, rest = sample.partition("\n")
    if not first_line.strip() or '"' in rest:
        return None
    rows: list[list[str]] = []
    for row in csv.reader(sample.splitlines(), delimiter=delimiter):
        cells = [c.strip() for c in row]
        if any(cells):
            rows.append(cells)
        if len(rows) > _HEADER_ROWS:  # all that `_detect_header` looks at
            break
    return rows if len(rows) >= 2 else None


def _loadtxt(path: Path, delimiter: str, *, skip: int, width: int) -> Array | None:
    """numpy.loadtxt of the whole file as float64 (n, width), or None if any row or cell does not fit."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data"
            data = np.loadtxt(path, delimiter=delimiter, skiprows=skip, comments=None, dtype=np.float64,
                              ndmin=2, encoding="utf-8-sig")
    except (ValueError, TypeError, UnicodeError):
        return None
    if data.ndim != 2 or data.shape[1] != width or len(data) == 0 or not all_finite(data):
        return None
    return data


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
        raise DataError(
            f"{where} has no column `{_show(str(target))}` (the target); columns: {_show_names(columns)}."
        )
    if not -n <= index < n:
        raise DataError(
            f"{where}: target index {index} is out of range; the file has {n} columns "
            f"(0 to {n - 1}, or -{n} to -1): {_show_names(columns)}."
        )
    return index % n


def _feature_column(where: str, name: str, values: list[str], lines: list[int]) -> tuple[Array, list[str]]:
    numeric = [_is_number(v) for v in values]
    if all(numeric):
        return np.array([float(v) for v in values], dtype=np.float64)[:, None], [name]
    if sum(numeric) * 2 >= len(values):  # mostly numbers: the text is a mistake, not a category
        i = numeric.index(False)
        raise DataError(
            f"{where}: column `{_show(name)}` holds numbers but line {lines[i]} has `{_show(values[i])}`; "
            "fix the value, leave it empty to mark it missing, or leave the column out with --features."
        )
    categories = sorted(set(values))
    if len(categories) > MAX_CATEGORIES or (len(categories) == len(values) and len(values) > 2):
        raise DataError(
            f"{where}: column `{_show(name)}` holds text with {len(categories)} distinct values in {len(values)} "
            f"rows (e.g. `{_show(values[0])}`): too many to one-hot encode as a category; leave it out by listing "
            "the columns to use with --features a,b,c."
        )
    onehot = (np.array(values)[:, None] == np.array(categories)[None, :]).astype(np.float64)
    return onehot, [f"{name}={c}" for c in categories]


def _format_level(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _target_column(
    where: str, name: str, values: list[str], task: Task | None
) -> tuple[npt.NDArray[np.generic], Task, tuple[str, ...]]:
    """Targets from cell texts: numbers go to `_numeric_target`; text is a class label."""
    if all(_is_number(v) for v in values):
        return _numeric_target(where, name, np.array([float(v) for v in values], dtype=np.float64), task)
    if task == "regression":
        bad = next(v for v in values if not _is_number(v))
        raise DataError(
            f"{where}: the target `{_show(name)}` holds text (e.g. `{_show(bad)}`), so it cannot be regressed; "
            "use task binary or multiclass, or pick a numeric target."
        )
    uniques, codes = np.unique(np.array(values), return_inverse=True)
    return _class_labels(where, name, codes, tuple(str(u) for u in uniques), task, numeric=False)


def _numeric_target(
    where: str, name: str, y: Array, task: Task | None
) -> tuple[npt.NDArray[np.generic], Task, tuple[str, ...]]:
    """A numeric target: regression, or class labels when `task` says so or `_few_integer_levels`."""
    if task == "regression" or task is None and not _few_integer_levels(y):
        return y, "regression", ()
    uniques, codes = np.unique(y, return_inverse=True)
    return _class_labels(where, name, codes, tuple(_format_level(u) for u in uniques), task, numeric=True)


def _class_labels(
    where: str, name: str, codes: npt.NDArray[np.intp], classes: tuple[str, ...], task: Task | None, *, numeric: bool
) -> tuple[npt.NDArray[np.generic], Task, tuple[str, ...]]:
    if len(classes) < 2:
        raise DataError(
            f"{where}: the target `{_show(name)}` has a single class `{_show(classes[0])}`; classification needs at "
            "least two classes (pick another target, or use task regression for a numeric one)."
        )
    if task == "binary" and len(classes) != 2:
        raise DataError(
            f"{where}: task binary needs exactly 2 classes but the target `{_show(name)}` has {len(classes)} "
            f"({_show_names(classes, 8, 'classes')}); use task multiclass."
        )
    inferred: Task = task or ("binary" if len(classes) == 2 else "multiclass")
    if task is None and numeric:  # say so: a number read as a class label is a choice the user may not want
        shown = ", ".join(classes[:6]) + (", ..." if len(classes) > 6 else "")
        warnings.warn(
            f"the target `{_show(name)}` of {where.removeprefix('Dataset file ')} holds {len(classes)} whole-number "
            f"values ({shown}): read as {inferred} class labels. Use --task regression to fit it as a number.",
            stacklevel=4,
        )
    return codes.astype(np.int64), inferred, classes


def _few_integer_levels(y: Array) -> bool:
    """Whole numbers (`1`, `1.0`, `1e0` alike: scikit-learn's type_of_target ignores the dtype) in a few levels."""
    if len(y) == 0 or not all_finite(y):
        return False
    head = np.unique(y[: 4 * MAX_INTEGER_CLASSES])  # most regression targets fail here, before a full sort
    if len(head) > MAX_INTEGER_CLASSES or not np.array_equal(head, np.floor(head)):
        return False
    levels = np.unique(y)
    if not np.array_equal(levels, np.floor(levels)):
        return False
    return len(levels) <= MAX_INTEGER_CLASSES and 2 * len(levels) <= len(y)


# --- npz ----------------------------------------------------------------------------------


def read_npz(path: str | os.PathLike[str], *, task: Task | None = None) -> Table:
    """Read arrays ``X`` (n, d) and ``y`` (n,) from an .npz archive (``allow_pickle=False``).

    Rows with a NaN or infinite feature, or a missing target, are dropped (and
    counted). Refused with one line: a file that is not a zip archive, a damaged
    archive, members that are not NumPy arrays (a raw file in the zip), object
    or pickled arrays, arrays of the wrong shape or type, and an archive too big
    for memory. X is converted to float64 only when it is not already.
    """
    path = Path(path)
    _check_task_option(task)
    where = f"Dataset file {path}"
    if not zipfile.is_zipfile(path):
        raise DataError(f"{where} is not an .npz archive (not a zip file); save it with np.savez(path, X=X, y=y).")
    X, y = _npz_arrays(path, where)
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
    features: Array = X.astype(np.float64, copy=False)
    if y.dtype.kind in "US":
        y_text = y.astype(str)
        bad = np.array([_is_missing(v) for v in y_text], dtype=bool)
    elif y.dtype.kind in "biuf":
        bad = ~np.isfinite(y.astype(np.float64))
    elif y.dtype.kind == "c":
        raise DataError(f"{where}: y must hold real numbers or strings but has dtype {y.dtype}.")
    else:
        raise DataError(f"{where}: y must hold numbers or strings but has dtype {y.dtype}.")
    if not all_finite(features):
        bad |= _nonfinite_rows(features)
    if bad.all():
        raise DataError(f"{where}: every row has a NaN or missing value; nothing is left to train on.")
    if bad.any():
        features, y = features[~bad], y[~bad]
    if y.dtype.kind in "US":
        y_out, task_, classes = _target_column(where, "y", [str(v) for v in y], task)
    else:  # whole-number floats (0.0, 1.0) count as levels, as integers do
        y_out, task_, classes = _numeric_target(where, "y", y.astype(np.float64), task)
    names = tuple(f"x{j + 1}" for j in range(features.shape[1]))
    return Table(features, y_out, task_, names, classes, int(bad.sum()))


def _npz_arrays(path: Path, where: str) -> tuple[npt.NDArray[np.generic], npt.NDArray[np.generic]]:
    """The members X and y of an .npz archive, checked to be NumPy arrays."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.files)
            missing = [k for k in ("X", "y") if k not in keys]
            if missing:
                raise DataError(
                    f"{where} has no array {' or '.join(f'`{k}`' for k in missing)} (it holds: "
                    f"{_show_names(keys, noun='members') or 'nothing'}); save it with np.savez(path, X=X, y=y)."
                )
            X, y = archive["X"], archive["y"]
    except DataError:
        raise
    except MemoryError:
        raise DataError(
            f"{where} holds arrays too big for this machine's memory ({format_bytes(memory_limit())}); "
            "use fewer rows or features."
        ) from None
    except ValueError as err:
        if "pickle" in str(err).lower():
            raise DataError(
                f"{where} holds object arrays, which are not loaded (allow_pickle=False); "
                "save X as numbers and y as numbers or strings."
            ) from None
        raise DataError(f"{where} is not a readable .npz archive ({_show(str(err), 80)}); save it with np.savez.") from None
    except Exception as err:  # BadZipFile, a damaged member, ...
        raise DataError(
            f"{where} is not a readable .npz archive ({type(err).__name__}); save it with np.savez(path, X=X, y=y)."
        ) from None
    for key, value in (("X", X), ("y", y)):
        if not isinstance(value, np.ndarray):  # a member without the .npy format: np.load gives its raw bytes
            raise DataError(
                f"{where}: member `{key}` is not a NumPy array (a raw {type(value).__name__} file in the zip); "
                "save it with np.savez(path, X=X, y=y)."
            )
    return X, y


def _nonfinite_rows(X: npt.NDArray[np.generic]) -> npt.NDArray[np.bool_]:
    """Rows holding a NaN or an infinity, a block of rows at a time (no full-size temporary)."""
    bad = np.zeros(len(X), dtype=bool)
    for rows in row_blocks(X):
        bad[rows] = ~np.isfinite(X[rows]).all(axis=1)
    return bad
