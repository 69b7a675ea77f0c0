"""Strategies and checks for fuzzing `lossfit train` in process (used by test_fuzz.py).

A `Case` is one command line (the arguments after `lossfit train`), the things to
create in the empty working folder first (`setup`: an existing --out, a file in
the way) and the files it reads from outside that folder (datasets, configs,
custom losses: written once, named by their content, in a side folder).

`run_case` runs it with typer's CliRunner in a fresh working folder and
`problems` lists every way the outcome breaks the command line's contract:

- the exit code is 0 (finished), 2 (a user mistake) or 3 (diverged), never 1 or another;
- no traceback, and no exception escapes but SystemExit;
- exit 2: exactly one non-empty line, starting with "Error:" (and what a custom loss
  prints itself), and nothing written, unless the mistake showed mid-run: then one run
  folder whose metrics.json says status "failed";
- exit 0 or 3: one metrics.json, valid JSON, status completed/early_stopped (0, with a
  finite final train loss) or diverged (3).

Values are drawn from the registries themselves (losses, optimizers, schedules,
models, dataset generators, their parameters and defaults). In each case a few
options are then made extreme (values of the right type that validation may
accept: 0, 5e-324, 1e300, one-unit layers, 4-sample datasets) or odd (misspelt
names, hostile parameter values, broken brackets, unicode, very long or deeply
nested text, nan, inf, -0, 1e308, 1e-320, huge integers, superscript and
Arabic-Indic digits, generated CSV/.npz/TOML/custom-loss files).

`signature` tells failures apart, `minimise` cuts one down to a short command
line, `report` prints it with a command to paste (`Case.command`).
"""

from __future__ import annotations

import atexit
import hashlib
import inspect
import json
import math
import os
import shlex
import shutil
import tempfile
import traceback
import types
import typing
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from typer.testing import CliRunner

from lossfit import data, losses, models, optimizers, schedules
from lossfit.cli import app

STABLE_ENV = {"NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"}  # as tests/conftest.py
ALLOWED_EXIT_CODES = (0, 2, 3)
FINISHED_STATUSES = {0: ("completed", "early_stopped"), 3: ("diverged",)}
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BUNDLED_CSVS = sorted((Path(__file__).resolve().parents[1] / "datasets").glob("*.csv"))
FIXTURE_CSVS = sorted((FIXTURES / "csv").glob("*.*"))
FIXTURE_LOSSES = sorted((FIXTURES / "custom_losses").glob("*.py"))

EMPTY = inspect.Parameter.empty

# ------------------------------------------------------------------------------ the side folder
_SIDE: Path | None = None


def side_folder() -> Path:
    """A folder outside the working folder for the files a case reads (created once per process)."""
    global _SIDE
    if _SIDE is None:
        _SIDE = Path(tempfile.mkdtemp(prefix="lossfit-fuzz-files-"))
        atexit.register(shutil.rmtree, _SIDE, ignore_errors=True)
    return _SIDE


def side_files_in(args: list[str]) -> list[Path]:
    """The generated files (side folder) an argument list names, e.g. `/tmp/.../f1a2.py:lossf`."""
    if _SIDE is None:
        return []
    found = []
    for arg in args:
        if str(_SIDE) in arg:
            path = Path(arg[arg.index(str(_SIDE)):].split(":")[0])
            if path.is_file() and path not in found:
                found.append(path)
    return found


def side_file(suffix: str, content: str | bytes) -> str:
    """Write `content` once into the side folder, named by its hash; return the absolute path."""
    raw = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    path = side_folder() / f"f{hashlib.sha1(raw).hexdigest()[:16]}{suffix}"
    if not path.exists():
        path.write_bytes(raw)
    return str(path)


def one_in(draw: st.DrawFn, n: int) -> bool:
    """True about once in `n` draws (hypothesis favours the ends of a range: the middle value is the rare one)."""
    return draw(st.integers(0, n - 1)) == n // 2


# ------------------------------------------------------------------------------ raw values
ODD_CHARS = [
    "\u00fc", "\u00df", "\u0130", "\uff4d", "\u200b", "\u200e", "\u202e", "\ufeff", "\u0301", "\U0001f525",
    "\u2212", "\u00b2", "\u0661", "\u00bd", "\x00", "\x1b", "\n", "\r", "\t", "\\", "'", '"', "`", "$",
    ";", "|", "&", "%", "{", "}", "[", "]", "(", ")", ",", "=", ":", ".", "/", "*", "#", "\udcff",
]
ODD_TEXT = st.one_of(
    st.sampled_from(ODD_CHARS),
    st.text(st.characters(exclude_categories=["Cs"]), min_size=0, max_size=12),
    st.text(st.sampled_from(ODD_CHARS), min_size=1, max_size=6),
)

NUMBER_WORDS = [
    "nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity", "-0", "-0.0", "0", "0.0", "1e308", "1e309",
    "-1e308", "1.7976931348623157e308", "1e-320", "5e-324", "1e-400", "-1", "-1e-9", "1", "2", "0.5",
    "1_0", "0x10", "0b1", "1e", ".", "-", "+", "0.1.2", "1,5", "1/2", "\u0661", "\u0661.\u0665", "\u00b2",
    "\u00bd", "\u2212" + "1", "\uff11", "1" + "0" * 400, "9" * 5000, "", " ", " 0.1 ", "0.1\n", "True",
    "None", "abc", str(2**63), str(2**64 + 1), str(-(2**63) - 1), str(10**30), "1e3", "1.0", "+1", "01",
]
INT_WORDS = NUMBER_WORDS + ["3", "00", "0002", "1" * 19, "-" + "1" * 19]

# Python literals as they appear inside a spec: key=<one of these>
HOSTILE_LITERALS = [
    "nan", "inf", "-inf", "1e999", "-1e999", "-0", "-0.0", "0", "0.0", "1e308", "-1e308", "1e-320", "5e-324",
    "-1", "1", "2", "0.5", "1.5", "100", "10**3", str(2**63), str(10**30), "9" * 300, "-" + "9" * 300,
    "True", "False", "None", "true", "none", "null", "''", "'x'", "'\u00fc'", "b'x'", "()", "(1,)", "(2, 3)",
    "(0.5, 0.5, 0.5)", "(1e999, 0)", "(-1, 2)", "[]", "[1, 2]", "[[]]", "{}", "{1}", "{'a': 1}", "...", "1j",
    "1+2j", "0x10", "1_000", "(((1)))", "((),)", "float('nan')", "__import__('os')", "x", "lambda: 0",
    "(16, 16)", "(0,)", "(-1,)", "(10**9,)", "(" + str(2**63) + ",)", "(1.5,)", "(True,)", "('16',)",
    "(100000, 100000)", "(16,) * 3", "[16, 16]",
]


@st.composite
def misspelt(draw: st.DrawFn, word: str) -> str:
    """A typo of `word`: a deletion, insertion, substitution, transposition, case or dash change."""
    kind = draw(st.sampled_from(["delete", "insert", "substitute", "transpose", "upper", "dash", "pad", "double"]))
    if not word:
        return draw(ODD_TEXT)
    i = draw(st.integers(0, len(word) - 1))
    letter = draw(st.sampled_from(list("abcdefghijklmnopqrstuvwxyz_-0 ") + ODD_CHARS[:16]))
    if kind == "delete":
        return word[:i] + word[i + 1:]
    if kind == "insert":
        return word[:i] + letter + word[i:]
    if kind == "substitute":
        return word[:i] + letter + word[i + 1:]
    if kind == "transpose" and len(word) > 1:
        i = min(i, len(word) - 2)
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "upper":
        return word.upper()
    if kind == "dash":
        return word.replace("_", "-") if "_" in word else f"-{word}"
    if kind == "pad":
        return f"  {word}\t"
    return word + word


@st.composite
def text_mutation(draw: st.DrawFn, text: str) -> str:
    """`text` broken at the character level: brackets, quotes, truncation, junk, unicode."""
    kind = draw(st.sampled_from([
        "truncate", "drop_close", "extra_close", "extra_open", "insert", "quote", "brackets", "append",
        "prefix", "duplicate", "strip_name", "comma", "swap_eq",
    ]))
    n = len(text)
    i = draw(st.integers(0, max(n, 0)))
    junk = draw(ODD_TEXT)
    if kind == "truncate":
        return text[:i]
    if kind == "drop_close":
        return text[::-1].replace(")", "", 1)[::-1]
    if kind == "extra_close":
        return text + ")"
    if kind == "extra_open":
        return text[:i] + "(" + text[i:]
    if kind == "insert":
        return text[:i] + junk + text[i:]
    if kind == "quote":
        q = draw(st.sampled_from(["'", '"', "`"]))
        return q + text + draw(st.sampled_from([q, ""]))
    if kind == "brackets":
        a, b = draw(st.sampled_from([("[", "]"), ("{", "}"), ("<", ">")]))
        return text.replace("(", a).replace(")", b)
    if kind == "append":
        return text + junk
    if kind == "prefix":
        return junk + text
    if kind == "duplicate":
        return text + text
    if kind == "strip_name":
        return text[text.find("("):] if "(" in text else "(" + text + ")"
    if kind == "comma":
        return text.replace("(", "(,", 1) if "(" in text else text + ","
    return text.replace("=", draw(st.sampled_from([":", "==", " = ", "=="])), 1)


def long_text(base: str) -> st.SearchStrategy[str]:
    """Over-long and deeply nested variants of a spec (around the 1,000-char and depth-20 limits)."""
    lengths = st.sampled_from([999, 1000, 1001, 4096, 4097, 10_001, 60_000])
    depths = st.sampled_from([19, 20, 21, 22, 200, 3000])
    return st.one_of(
        lengths.map(lambda n: base + " " * n),
        lengths.map(lambda n: "x" * n),
        lengths.map(lambda n: f"{base}(a=" + "+".join(["1"] * (n // 2)) + ")"),
        lengths.map(lambda n: "huber(delta=" + "1+" * (n // 2) + "1)"),
        lengths.map(lambda n: ".".join(["a"] * (n // 2))),
        depths.map(lambda d: f"{base}(a=" + "(" * d + "1" + ")" * d + ")"),
        depths.map(lambda d: f"{base}(a=" + "[" * d + "]" * d + ")"),
        depths.map(lambda d: "(" * d + base + ")" * d),
        depths.map(lambda d: f"{base}(a=" + "{" * d),
    )


# ------------------------------------------------------------------------------ registry specs
def _literal_choices(hint: Any) -> tuple[Any, ...] | None:
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    for option in options:
        if typing.get_origin(option) is typing.Literal:
            return typing.get_args(option)
    return None


# Values that make sense for the parameters with no default, or that need a small range (every generator
# is drawn with at most 200 samples, here and in EDGE)
SENSIBLE: dict[str, list[Any]] = {
    "n_samples": [8, 20, 50, 100, 150, 200],
    "n_features": [1, 2, 3, 5, 10],
    "n_informative": [1, 2, 3],
    "n_redundant": [0, 1, 2],
    "n_clusters_per_class": [1, 2],
    "centers": [2, 3, 4, 8, 9, 12],
    "classes": [2, 3, 5, 9],
    "degree": [1, 2, 4, 8],
    "step_size": [1, 2, 5],
    "gamma": [0.1, 0.5, 0.9, 0.99],
    "T_max": [1, 3, 10],
    "max_lr": [0.01, 0.1, 1.0],
    "total_steps": [1, 3, 10, 100, 1000],
    "hidden": [(4,), (16,), (8, 8), (3, 3, 3)],
}


def sensible_value(name: str, default: Any, hint: Any) -> st.SearchStrategy[Any]:
    """A value for a parameter that a user could mean: the default, or near it."""
    if name in SENSIBLE:
        return st.sampled_from(SENSIBLE[name])
    choices = _literal_choices(hint)
    if choices:
        return st.sampled_from(choices)
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        return st.sampled_from(sorted({default, default + 1, max(default - 1, 0), 1}))
    if isinstance(default, float):
        if default == 0:
            return st.sampled_from([0.0, 0.01, 0.1])
        return st.sampled_from([default, default / 2, default * 0.9, min(default * 2, 0.999) if default < 1 else
                                default * 2])
    if isinstance(default, tuple) and default:
        return st.sampled_from([default, tuple(x * 0.99 for x in default)])
    if default is None:  # pos_weight (a number) or class_weight (a tuple): leave them to --class-weight
        return st.sampled_from([None, 2.0] if name == "pos_weight" else [None])
    return st.just(default)


# Extreme values of the right type, that validation may well accept: they reach the training code
EDGE: dict[str, list[Any]] = {
    "n_samples": [1, 2, 3, 4, 5, 7, 200],
    "n_features": [0, 1, 2, 60],
    "n_informative": [0, 1, 5, 60],
    "n_redundant": [0, 5, 60],
    "n_clusters_per_class": [0, 1, 8],
    "centers": [0, 1, 2, 9, 40],
    "classes": [0, 1, 2, 9, 40],
    "degree": [0, 1, 15, 60],
    "hidden": [(1,), (1,) * 8, (64, 64, 64), (2, 1, 2)],
    "df": [5e-324, 1e-300, 0.5, 1.0, 1e300],
    "total_steps": [1, 2],
    "step_size": [1],
    "T_max": [1],
    "patience": [0, 1],
}
EDGE_FLOATS = [0.0, -0.0, 5e-324, 1e-300, 1e-12, 0.5, 0.999999, 1.0, 1.000001, 1e12, 1e300,
               1.7976931348623157e308, -1e-300]
EDGE_TUPLES = [(0.0, 0.0), (0.999999, 0.999999), (0.0, 0.999), (1e-300, 1e-300), (0.9, 0.0)]


def edge_value(name: str, default: Any, hint: Any) -> st.SearchStrategy[Any]:
    """An extreme value of the parameter's own type (0, 5e-324, 1e300, a one-unit layer...)."""
    if name in EDGE:
        return st.sampled_from(EDGE[name])
    choices = _literal_choices(hint)
    if choices:
        return st.sampled_from(choices)
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int) or hint is int:
        return st.sampled_from([0, 1, 2, 3, 10**6])
    if isinstance(default, float) or hint is float:
        return st.sampled_from(EDGE_FLOATS)
    if isinstance(default, tuple):
        return st.sampled_from(EDGE_TUPLES)
    if name == "pos_weight":
        return st.sampled_from([0.0, 5e-324, 1e-300, 1e300])
    if name == "class_weight":
        return st.sampled_from([(0.0, 1.0), (1e-300, 1.0), (1e300, 1e300), (1.0, 1.0, 1.0), (0.0, 0.0, 1.0)])
    return st.just(default)


@dataclass(frozen=True)
class Kind:
    """One registry the command line takes specs for."""

    option: str
    names: tuple[str, ...]
    aliases: dict[str, str]  # alias -> canonical name
    parameters: dict[str, dict[str, tuple[Any, Any]]]  # name -> {param: (default, hint)}


def _kind(option: str, registry: Any, names: list[str]) -> Kind:
    params = {}
    for name in names:
        entry = registry.entry(name)
        params[name] = {k: (p.default, p.hint) for k, p in entry.parameters().items()}
    aliases = dict(registry._aliases)  # the registry's own alias table
    return Kind(option, tuple(names), aliases, params)


LOSSES = _kind("--loss", losses.registry, losses.names())
OPTIMIZERS = _kind("--optimizer", optimizers.registry, optimizers.names())
SCHEDULES = _kind("--schedule", schedules.registry, schedules.registry.names())
MODELS = _kind("--model", models.registry, models.registry.names())
GENERATORS = _kind("--dataset", data.registry, data.names())
BUNDLED = tuple(data.bundled_names())
TASKS = ("regression", "binary", "multiclass")
# kl_div takes soft targets (n, k), which no generator gives: it is drawn as an odd value only
LOSSES_FOR = {task: tuple(n for n in losses.for_task(task) if n != "kl_div") for task in TASKS}
GENERATORS_FOR = {task: tuple(n for n in data.names() if data.task_of(n) == task) for task in TASKS}
BUNDLED_FOR = {task: tuple(n for n in BUNDLED if data.task_of(n) == task) for task in TASKS}


@st.composite
def spec(draw: st.DrawFn, kind: Kind, name: str, hostile: bool, edge: bool = False) -> str:
    """`name(key=value, ...)` for `kind`: sensible values, some replaced by extreme ones (edge) or odd
    literals (hostile)."""
    params = kind.parameters.get(name, {})
    keys = [k for k, (default, _) in params.items() if default is EMPTY]  # required ones always
    optional = [k for k, (default, _) in params.items() if default is not EMPTY and (hostile or k != "lr")]
    if optional:
        keys += draw(st.lists(st.sampled_from(optional), unique=True, max_size=3))
    if "n_samples" in params and "n_samples" not in keys:
        keys.append("n_samples")  # every generator small, whatever its default
    parts: list[str] = []
    for key in keys:
        default, hint = params[key]
        if hostile and one_in(draw, 3):
            parts.append(f"{key}={draw(st.sampled_from(HOSTILE_LITERALS))}")
        elif edge and draw(st.booleans()):
            parts.append(f"{key}={repr(draw(edge_value(key, default, hint)))}")
        else:
            parts.append(f"{key}={repr(draw(sensible_value(key, default, hint)))}")
    if hostile and one_in(draw, 5):  # an unknown or misspelt key
        known = list(params) or ["x"]
        parts.append(f"{draw(misspelt(draw(st.sampled_from(known))))}={draw(st.sampled_from(HOSTILE_LITERALS))}")
    if hostile and parts and one_in(draw, 7):
        parts.append(parts[0])  # a key given twice
    if not parts:
        return name if not one_in(draw, 4) else f"{name}()"
    spacing = draw(st.sampled_from([", ", ",", " , "]))
    return f"{name}({spacing.join(parts)})"


@st.composite
def registry_value(draw: st.DrawFn, kind: Kind, names: tuple[str, ...] | None = None,
                   hostile: bool = False, edge: bool = False) -> str:
    """A value for `kind.option`: a sensible spec (a name, an alias or name(key=value)), one with extreme
    parameter values (edge) or a broken one (hostile)."""
    pool = names or kind.names
    name = draw(st.sampled_from(pool))
    if edge and not hostile:
        return draw(spec(kind, name, hostile=False, edge=True))
    if not hostile:
        aliases = sorted(a for a, canonical in kind.aliases.items() if canonical in pool)
        if aliases and one_in(draw, 10):
            return draw(st.sampled_from(aliases))
        return draw(spec(kind, name, hostile=False))
    how = draw(st.integers(0, 11))
    if how <= 3:
        return draw(spec(kind, name, hostile=True))
    if how <= 5:
        return draw(misspelt(name))
    if how <= 7:
        return draw(spec(kind, name, hostile=draw(st.booleans())).flatmap(text_mutation))
    if how == 8:
        return draw(long_text(name))
    if how == 9:
        return draw(st.sampled_from(kind.names + tuple(kind.aliases)))  # a real name, maybe of another task
    if how == 10:
        return draw(st.sampled_from(["", " ", "()", "(", ")", "(a=1)", f"{name}(1)", f"{name}(*[1])",
                                     f"{name}(**{{}})", f"{name}()()", f"{name}.x", f"{name}[0]", "a:b",
                                     f"{name}:{name}", "x.py:f", "/nonexistent/x.py:f", "x.py:", ":f",
                                     f"{name},{name}", f"{name} {name}", "0", "None", "__class__",
                                     "__import__('os').system('true')", f"{name}(\n)", f"{name}(#)"]))
    return draw(ODD_TEXT)


# ------------------------------------------------------------------------------ data files
CELL_VALUES = ["0", "1", "2", "-1", "0.5", "1e308", "-1e308", "1e-320", "nan", "NaN", "inf", "-inf", "", "NA",
               "?", "abc", "\u00fc", "\"1,5\"", "\"unterminated", "1,5", " 3 ", "1e400", str(10**30), "TRUE",
               "\u0661", "0x10"]


@st.composite
def csv_file(draw: st.DrawFn) -> str:
    """A small generated CSV (odd cells, ragged rows, a BOM, other delimiters): its absolute path."""
    n_cols = draw(st.integers(1, 4))
    n_rows = draw(st.integers(0, 30))
    numeric = draw(st.booleans())
    sep = draw(st.sampled_from([",", ",", ";", "\t", " "]))

    def cell() -> str:
        if numeric and draw(st.integers(0, 5)):
            return repr(draw(st.floats(-10, 10, allow_nan=False)))
        return draw(st.sampled_from(CELL_VALUES))

    lines = []
    if draw(st.booleans()):
        lines.append(sep.join(draw(st.sampled_from(["a", "b", "y", "x\u00fc", "", "1", "a b", "a"]))
                              for _ in range(n_cols)))
    for r in range(n_rows):
        cols = n_cols if not one_in(draw, 10) else draw(st.integers(0, n_cols + 1))
        row = [cell() for _ in range(cols)]
        if cols == n_cols and draw(st.integers(0, 2)) and not (numeric and r % 2):
            row[-1] = str(r % draw(st.integers(1, 3)))  # integer-ish labels in the last column
        lines.append(sep.join(row))
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n", "\n\n"]))
    prefix = "\ufeff" if one_in(draw, 10) else ""
    suffix = draw(st.sampled_from([".csv", ".csv", ".tsv", ".txt"]))
    return side_file(suffix, prefix + text)


@st.composite
def npz_file(draw: st.DrawFn) -> str:
    """A small .npz: X and y of odd shapes and dtypes, or members that are not what they should be."""
    import io

    import numpy as np

    n = draw(st.integers(0, 40))
    d = draw(st.integers(0, 3))
    members: dict[str, Any] = {}
    shape_x = draw(st.sampled_from([(n, d), (n,), (n, d, 2), ()]))
    fill = draw(st.sampled_from([0.0, 1.0, np.nan, np.inf, 1e308, 1e-320]))
    X = np.random.default_rng(n).normal(size=shape_x) if draw(st.booleans()) else np.full(shape_x, fill)
    dtype = draw(st.sampled_from(["float64", "float32", "float16", "int64", "complex128", "object", "U3"]))
    with np.errstate(all="ignore"), warnings.catch_warnings():  # 1e308 as float16 or inf as int64: on purpose
        warnings.simplefilter("ignore")
        members[draw(st.sampled_from(["X", "X", "x", "features"]))] = X.astype(dtype)
    if not one_in(draw, 6):
        m = n if not one_in(draw, 5) else draw(st.integers(0, 41))
        y = np.arange(m) % draw(st.integers(1, 4))
        members[draw(st.sampled_from(["y", "y", "Y", "target"]))] = y.astype(
            draw(st.sampled_from(["int64", "float64", "bool", "U1", "float16"])))
    buffer = io.BytesIO()
    np.savez(buffer, **members)
    return side_file(".npz", buffer.getvalue())


# Fixture files that train as they are (the others are broken on purpose), and the task each has
GOOD_FIXTURES = {"no_header.csv": "binary", "semicolon.csv": "regression", "multiclass.csv": "multiclass",
                 "comma_strings.csv": "binary", "integer_levels.csv": "multiclass",
                 "categorical.csv": "regression", "tabs.tsv": "regression", "tabs.txt": "regression"}
FILE_OPTIONS = (
    ("--target", ["y", "price", "label", "grade", "-1", "0", "1", "99", "", "a,b", "\u00fc", "-0", "nan",
                  str(2**63), "species", "mpg", "count", " y ", "Y"]),
    ("--features", ["a,b", "a", "", ",", "zzz", "0,1", "x1,x2", "a,a", "f1,f2", "0", "-1", "a,,b",
                    "weight,color", ",".join(["a"] * 600), "x"]),
    ("--task", ["regression", "binary", "multiclass", "Regression", "", "classification", "bogus"]),
)


@st.composite
def dataset_value(draw: st.DrawFn, task: str, hostile: bool = False, edge: bool = False) -> tuple[str, list[str]]:
    """A --dataset for `task` and the file options that go with it.

    Sensible: a small generator, a bundled dataset or a fixture file of that task. Hostile: a broken
    generator spec, a generated CSV or .npz, a broken fixture, a path that is not a data file, odd
    file options.
    """
    if edge and not hostile:
        return draw(registry_value(GENERATORS, GENERATORS_FOR[task], edge=True)), []
    if not hostile:
        how = draw(st.integers(0, 9))
        if how <= 6 or not BUNDLED_FOR[task]:
            return draw(registry_value(GENERATORS, GENERATORS_FOR[task])), []
        if how <= 8:
            return draw(st.sampled_from(BUNDLED_FOR[task])), []
        good = [FIXTURES / "csv" / name for name, t in GOOD_FIXTURES.items() if t == task]
        return str(draw(st.sampled_from(good))), []
    how = draw(st.integers(0, 9))
    if how <= 2:
        return draw(registry_value(GENERATORS, GENERATORS_FOR[task], hostile=True)), []
    if how == 3:
        return draw(st.sampled_from(BUNDLED + tuple(f"{b}(n_samples=10)" for b in BUNDLED[:2]))), []
    files = [str(p) for p in FIXTURE_CSVS + BUNDLED_CSVS]
    if how == 4:
        path = draw(st.sampled_from(files))
    elif how == 5:
        path = draw(csv_file())
    elif how == 6:
        path = draw(npz_file())
    elif how == 7:
        path = draw(st.sampled_from([
            "missing.csv", "missing.npz", "/nonexistent/folder/data.csv", "data", "./", ".", "..",
            str(side_folder()), str(FIXTURES / "csv"), str(FIXTURES / "custom_losses" / "asym.py"),
            "missing.CSV", "file.parquet", "~/nope.csv", "https://example.invalid/x.csv", "-", "/dev/null",
            "a\x00b.csv", "\udcff.csv", "x" * 300 + ".csv", "/" + "x/" * 2100 + "a.csv", "con.csv",
        ]))
    elif how == 8:
        path = draw(st.sampled_from(files)).replace(".csv", draw(st.sampled_from([".CSV", ".csv ", ".csv.gz"])))
    else:
        path = draw(dataset_value(task, hostile=False))[0]
    options: list[str] = []
    for option, values in FILE_OPTIONS:
        if one_in(draw, 3):
            options += [option, draw(st.sampled_from(values))]
    if one_in(draw, 5):
        options.append(draw(st.sampled_from(["--header", "--no-header"])))
    return path, options


# ------------------------------------------------------------------------------ custom losses
LOSS_PRELUDES = [
    "", "", "", "TASK = 'binary'", "TASK = 'multiclass'", "TASK = 'bogus'", "TASK = None", "print('loaded')",
    "import sys; sys.exit(0)", "raise SystemExit(3)", "raise KeyboardInterrupt", "import warnings; "
    "warnings.warn('a custom warning')", "import sys; sys.stdout.write('x' * 100)", "raise ValueError('no')",
    "x = (", "import this_module_does_not_exist",
]
LATER = "global CALLS; CALLS += 1\n    if CALLS > 6: {}\n    return (y_pred - y_true) ** 2"
LOSS_BODIES = [
    "return (y_pred - y_true) ** 2",
    "return np.abs(y_pred - y_true)",
    "return np.mean((y_pred - y_true) ** 2)",
    "return None",
    "return 'x'",
    "return 10 ** 400",
    "return [10 ** 400] * len(y_pred)",
    "return [1.5] * (len(y_pred) + 1)",
    "return (y_pred - y_true).tolist()",
    "return np.full(y_pred.shape, np.nan)",
    "return np.full(y_pred.shape, np.inf)",
    "return (y_pred - y_true) ** 2 * 1e308",
    "return (y_pred - y_true).astype(complex) + 1j",
    "return (y_pred - y_true).astype(object)",
    "return {'a': 1}",
    "return (i for i in y_pred)",
    "return Weird()",
    "return [Weird()] * len(y_pred)",
    "return np.ma.masked_all(y_pred.shape)",
    "raise ValueError('bad')",
    "raise ZeroDivisionError()",
    "raise KeyboardInterrupt",
    "import sys; sys.exit(0)",
    "raise SystemExit(3)",
    "raise RecursionError('deep')",
    "raise MemoryError()",
    "print('noise'); return (y_pred - y_true) ** 2",
    "import warnings; warnings.warn('inside the loss'); return (y_pred - y_true) ** 2",
    # fine for the first calls (the load-time probe), then failing mid-training
    LATER.format("raise RuntimeError('late')"),
    LATER.format("return np.full(y_pred.shape, np.nan)"),
    LATER.format("import sys; sys.exit(0)"),
    "return np.log(1 + np.exp(-y_true * y_pred))",
    "return np.logaddexp(0, y_pred) - y_true * y_pred",
    "return -np.log(np.abs(y_pred) + 1e-320)",
]
GRAD_BODIES = [None, None, "return 2 * (y_pred - y_true)", "return None", "return 0", "return 10 ** 400",
               "return np.full(y_pred.shape, np.nan)", "raise ValueError('grad')", "return Weird()",
               "return (y_pred - y_true).astype(complex) * 1j", "import sys; sys.exit(0)"]
WEIRD_CLASS = """
class Weird:
    def __float__(self):
        raise ZeroDivisionError('weird float')
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError('weird array')
    def __len__(self):
        raise TypeError('weird len')
"""


@st.composite
def custom_loss_value(draw: st.DrawFn) -> str:
    """`path.py:name` for a generated custom loss (odd returns, exits, prints) or a fixture one."""
    if one_in(draw, 5):
        path = str(draw(st.sampled_from(FIXTURE_LOSSES)))
        name = draw(st.sampled_from([Path(path).stem, "asym", "missing", "np", "1bad", ""]))
        return f"{path}:{name}"
    prelude = draw(st.sampled_from(LOSS_PRELUDES)) if one_in(draw, 3) else ""
    body = draw(st.sampled_from(LOSS_BODIES))
    grad = draw(st.sampled_from(GRAD_BODIES))
    as_class = one_in(draw, 5)
    source = ["import numpy as np", prelude]
    if "CALLS" in body:
        source.append("CALLS = 0")
    if "Weird" in body or "Weird" in (grad or ""):
        source.append(WEIRD_CLASS.strip("\n"))
    if as_class:
        init = draw(st.sampled_from(["pass", "pass", "raise ValueError('init')", "import sys; sys.exit(0)"]))
        source += ["class lossf:", "    def __init__(self):", f"        {init}",
                   "    def __call__(self, y_pred, y_true):", "        " + body.replace("\n    ", "\n        ")]
        if grad:
            source += ["    def grad(self, y_pred, y_true):", f"        {grad}"]
    else:
        source += ["def lossf(y_pred, y_true):", f"    {body}"]
        if grad:
            source += ["def lossf_grad(y_pred, y_true):", f"    {grad}"]
    path = side_file(".py", "\n".join(source) + "\n")
    return f"{path}:{draw(st.sampled_from(['lossf'] * 8 + ['nothere', 'np', 'CALLS']))}"


# ------------------------------------------------------------------------------ numbers and options
def _safe_epochs(word: str) -> bool:
    """Odd --epochs words that can never ask for more than 3 epochs (a huge count would run for ever)."""
    try:
        value = int(word)
    except ValueError:
        return True
    return value <= 3


EPOCH_WORDS = [w for w in INT_WORDS if _safe_epochs(w)] + ["+2", " 2", "2 ", "0003", "\u0662", "\uff12"]


@dataclass
class Case:
    """One `lossfit train` command line, what to create first, and a description for reports."""

    args: list[str]
    setup: list[tuple[str, str]] = field(default_factory=list)  # ("dir", path) / ("file", path) in the cwd
    out: str | None = None  # the --out given, if any

    def command(self) -> str:
        shown = ["lossfit", "train", *self.args]
        line = " ".join(shell_quote(arg) if not (arg := _shorten_arg(a)).startswith(RAW) else arg[len(RAW):]
                        for a in shown)
        if self.setup:
            made = "; ".join(f"{kind} {path!r}" for kind, path in self.setup)
            line = f"(in a folder holding: {made}) {line}"
        if any("\x00" in a for a in self.args):
            line += "   # NUL cannot be passed in argv: give that value in a --config file (\\u0000)"
        return line


def shell_quote(arg: str) -> str:
    """`arg` as bash reads it back: shlex quoting, or $'...' when it holds control or undecodable characters."""
    if arg.isprintable() or all(c.isprintable() or c == " " for c in arg):
        return shlex.quote(arg)
    escaped = []
    for char in arg:
        if char == "\\" or char == "'":
            escaped.append("\\" + char)
        elif "\udc80" <= char <= "\udcff":  # a byte that is not UTF-8 (surrogateescape)
            escaped.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif char.isprintable():
            escaped.append(char)
        elif ord(char) < 0x100:
            escaped.append(f"\\x{ord(char):02x}")
        else:
            escaped.append(f"\\u{ord(char):04x}")
    return "$'" + "".join(escaped) + "'"


def _shorten_arg(arg: str) -> str:
    """A long argument as a shell expression that rebuilds it (`"$(python3 -c ...)"`), when it is made of
    long runs of a repeated piece (as every long value here is); otherwise cut, and marked as cut."""
    if len(arg) <= 120:
        return arg
    pieces: list[str] = []
    literal = ""
    i = 0
    while i < len(arg):
        for width in (1, 2, 3, 4, 5, 6):
            unit = arg[i:i + width]
            count = 1
            while arg.startswith(unit, i + count * width):
                count += 1
            if len(unit) == width and count * width >= 24:
                if literal:
                    pieces.append(json.dumps(literal))
                    literal = ""
                pieces.append(f"{json.dumps(unit)} * {count}")
                i += count * width
                break
        else:
            literal += arg[i]
            i += 1
    if literal:
        pieces.append(json.dumps(literal))
    code = f"print({' + '.join(pieces)}, end=\"\")"  # JSON strings are Python strings
    if len(code) > 300:
        return f"{arg[:50]}...<cut: {len(arg)} chars>...{arg[-30:]}"
    return RAW + '"$(python3 -c ' + shlex.quote(code) + ')"'


RAW = "\x00raw:"  # marks an argument that is already shell syntax (see Case.command)


OUT_SETUPS = {
    "exists-empty": ([("dir", "exists-empty")], "exists-empty"),
    "exists-full": ([("dir", "exists-full"), ("file", "exists-full/keep.txt")], "exists-full"),
    "a-file": ([("file", "a-file")], "a-file"),
    "under-a-file": ([("file", "a-file")], "a-file/run"),
    "dot": ([], "."),
}


@st.composite
def out_value(draw: st.DrawFn, hostile: bool = False) -> tuple[str | None, list[tuple[str, str]]]:
    """--out: a new folder in the working folder, or none (runs/...); hostile: one in the way, odd names."""
    if not hostile:
        if one_in(draw, 10):
            return None, []  # runs/<dataset>-<loss>-<optimizer>-<time> under the working folder
        return draw(st.sampled_from(["run", "run", "out/run", "r\u00fcn \u2713", "a b", "x" * 255])), []
    if one_in(draw, 3):
        setup, out = OUT_SETUPS[draw(st.sampled_from(sorted(OUT_SETUPS)))]
        return out, list(setup)
    return draw(st.sampled_from([
        "", " ", "x" * 255, "x" * 256, "x" * 300, "d/" + "x" * 256, "a/" * 2100 + "b", "-", "--", "--loss",
        "a\nb", "\udcff", "a\x00b", "runs", "..", "run/", "run//x", "\u202erun", "*", "run?", "$HOME",
    ])), []


NUMBER_OPTIONS = {  # option: (sensible values, odd words)
    "--lr": (["0.001", "0.01", "0.05", "0.1", "0.5", "1", "10", "1000"], NUMBER_WORDS),
    "--batch-size": (["full", "1", "2", "7", "16", "64", "256", "FULL", " full "],
                     INT_WORDS + ["full ", "ful", "\u00b2", "\u00b9\u00b2", "\u0661\u0662", "\u2460", "auto",
                                  "all", "-full", "fullfull"]),
    "--val-split": (["0", "0.1", "0.2", "0.3", "0.5"], NUMBER_WORDS + ["0.9", "0.99", "0.999999"]),
    "--l2": (["0", "0.001", "0.1", "1", "100"], NUMBER_WORDS),
    "--l1": (["0", "0.001", "0.1", "1"], NUMBER_WORDS),
    "--clip-grad": (["0", "0.01", "1", "10"], NUMBER_WORDS),
    "--seed": (["0", "1", "42", "123456789", str(2**32), str(2**64)], INT_WORDS),
    "--early-stopping": (["0", "1", "2", "5"], INT_WORDS),
    "--min-delta": (["0", "0.001", "1", "1e6"], NUMBER_WORDS),
}
CLASS_WEIGHTS = {
    "binary": ["balanced", "1,2", "2,1", "0,1", "1,5"],
    "multiclass": ["balanced", "1,2,3", "1,1,1", "0,1,1"],
}
ODD_CLASS_WEIGHTS = [
    "balanced", "BALANCED", "1,2", "1,2,3", "1", "2,1", "0,1", "1,0", "0,0", "1e308,1e308", "1e-320,1e-320",
    "nan,1", "inf,1", "-1,1", "-0,1", "1,,2", ",", "", " ", "1;2", "\u0661,\u0662", "1," * 30 + "1",
    "1e308," * 5 + "1e308", "5e-324,5e-324", "1_0,1", "balanced,1", "0x1,1", "1e308,1e308,1e308",
]
SLOTS = ("loss", "dataset", "model", "optimizer", "schedule", "epochs", "class_weight", "progress", "out", "extra",
         *NUMBER_OPTIONS)
EXTRA_ARGS = [["--lrr", "0.1"], ["positional"], ["--loss"], ["--epochs"], ["--out"], ["--", "x"], ["-"],
              ["--no-such-option"], ["--plot=yes"], ["--json", "--json"], ["--lr", "0.1", "--lr", "nan"],
              ["--LOSS", "mse"], ["--loss=mse"], ["--epochs=1"], ["--target", "y"], ["--features", "x1"],
              ["--task", "regression"], ["--header"], ["--config"], ["--config", ""], ["--config", "missing.toml"],
              ["--config", "."], ["--config", str(FIXTURES / "custom_losses" / "asym.py")],
              ["--config", str(FIXTURES / "csv" / "empty.csv")]]


def plot_this(args: list[str]) -> bool:
    """Draw the plots in about one case in 25, chosen from the arguments (hypothesis' own choices come in
    clusters: a rare draw can be missing from hundreds of examples)."""
    return zlib.crc32(repr(args).encode("utf-8", "surrogatepass")) % 25 == 0


EDGE_NUMBERS = {
    "--lr": ["5e-324", "1e-300", "1e-12", "1e6", "1e300", "1.7976931348623157e308"],
    "--batch-size": ["1", "3", "100000", str(2**63), "0001"],
    "--val-split": ["5e-324", "1e-9", "0.75", "0.9", "0.999999"],
    "--l2": ["5e-324", "1e-300", "1e6", "1e300", "1.7976931348623157e308"],
    "--l1": ["5e-324", "1e-300", "1e6", "1e300", "1.7976931348623157e308"],
    "--clip-grad": ["5e-324", "1e-300", "1e-12", "1e300", "1.7976931348623157e308"],
    "--seed": [str(2**32 - 1), str(2**63), str(2**128), "9" * 1000],
    "--early-stopping": ["1", str(2**63), "9" * 100],
    "--min-delta": ["5e-324", "1e300", "1.7976931348623157e308"],
}
EDGE_CLASS_WEIGHTS = {
    "binary": ["1e-300,1", "1e300,1e300", "1e308,1e308", "5e-324,1", "0,1", "1,0", "1e308,1"],
    "multiclass": ["1e-300,1,1", "1e300,1e300,1e300", "1e308,1e308,1e308", "0,0,1", "5e-324,5e-324,5e-324",
                   "1,1,1,1,1,1,1,1,1,1,1,1"],
}


@st.composite
def train_case(draw: st.DrawFn) -> Case:
    """A whole `lossfit train` command line for one task; each option sensible, extreme or odd.

    About a third of the cases are sensible throughout (they train, so the later stages see
    valid combinations); others give one to three options extreme values of the right type
    (which validation may accept: they reach the training code), or odd ones (misspelt,
    broken, out of range), or both.
    """
    task = draw(st.sampled_from(TASKS))
    n_odd = draw(st.sampled_from([0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3]))
    n_edge = draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))
    chosen = draw(st.lists(st.sampled_from(SLOTS), min_size=n_odd + n_edge, max_size=n_odd + n_edge, unique=True))
    odd, edge = set(chosen[:n_odd]), set(chosen[n_odd:])
    args: list[str] = []
    # loss
    if "loss" in odd:
        how = draw(st.integers(0, 3))
        value = draw(custom_loss_value()) if how == 0 else draw(registry_value(LOSSES, LOSSES_FOR[task], True))
        args += ["--loss", value]
    elif "loss" in edge or not one_in(draw, 10):
        args += ["--loss", draw(registry_value(LOSSES, LOSSES_FOR[task], edge="loss" in edge))]
    # dataset (and the file options)
    if "dataset" in odd or "dataset" in edge or not one_in(draw, 8):
        dataset, file_options = draw(dataset_value(task, hostile="dataset" in odd, edge="dataset" in edge))
        args += ["--dataset", dataset, *file_options]
    # model, optimizer, schedule
    if "model" in odd or "model" in edge:
        args += ["--model", draw(registry_value(MODELS, hostile="model" in odd, edge="model" in edge))]
    elif draw(st.booleans()):
        args += ["--model", draw(st.one_of(st.just("auto"), registry_value(MODELS)))]
    for slot, kind in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES)):
        if slot in odd or slot in edge or one_in(draw, 3):
            args += [kind.option, draw(registry_value(kind, hostile=slot in odd, edge=slot in edge))]
    # numbers
    epochs = EPOCH_WORDS if "epochs" in odd else ["1"] if "epochs" in edge else ["1", "2", "3"]
    args += ["--epochs", draw(st.sampled_from(epochs))]
    for option, (sensible, words) in NUMBER_OPTIONS.items():
        if option in odd:
            args += [option, draw(st.sampled_from(words))]
        elif option in edge:
            args += [option, draw(st.sampled_from(EDGE_NUMBERS[option]))]
        elif one_in(draw, 4):
            args += [option, draw(st.sampled_from(sensible))]
    if "class_weight" in odd:
        args += ["--class-weight", draw(st.sampled_from(ODD_CLASS_WEIGHTS))]
    elif task in CLASS_WEIGHTS and "class_weight" in edge:
        args += ["--class-weight", draw(st.sampled_from(EDGE_CLASS_WEIGHTS[task]))]
    elif task in CLASS_WEIGHTS and one_in(draw, 6):
        args += ["--class-weight", draw(st.sampled_from(CLASS_WEIGHTS[task]))]
    if one_in(draw, 10) or "extra" in edge:
        args.append(draw(st.sampled_from(["--standardize", "--no-standardize"])))
    if one_in(draw, 7):
        args.append("--json")
    # progress and plots: fast ones
    if "progress" in odd:
        args += ["--progress", draw(st.sampled_from(["rich", "auto", "", "NONE", "bogus", "plain ", "\u00fc"]))]
    else:
        args += ["--progress", draw(st.sampled_from(["none", "none", "plain"]))]
    args.append("--plot" if plot_this(args) else "--no-plot")
    out, setup = draw(out_value(hostile="out" in odd))
    if out is not None:
        args += ["--out", out]
    if "extra" in odd:
        extra = draw(st.sampled_from(EXTRA_ARGS))
        at = draw(st.integers(0, len(args)))
        args[at:at] = extra
    return Case(args=args, setup=setup, out=out)


# ------------------------------------------------------------------------------ config files
def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)  # a JSON string is a TOML basic string (\\uXXXX escapes)


TOML_VALUES = [
    "nan", "+nan", "-nan", "inf", "-inf", "-0", "-0.0", "0", "1", "3", "1e308", "1e-320", "5e-324",
    str(2**63 - 1), str(-(2**63)), "true", "false", "[]", "[1, 2]", "[[1]]", "['mse', 'mae']", "[1.5, 'a']",
    "{}", "{ a = 1 }", "1979-05-27", "07:32:00", "1979-05-27T07:32:00Z", "0x10", "0o7", "0b1", "1_000", "3.0",
    "\"\"", "\" \"", "'x'", "\"full\"", "\"balanced\"",
]
TOML_KEYS = ["loss", "dataset", "model", "optimizer", "lr", "schedule", "epochs", "batch_size", "batch-size",
             "seed", "val_split", "l2", "l1", "clip_grad", "early_stopping", "min_delta", "class_weight",
             "target", "features", "header", "task", "standardize", "out", "progress", "plot", "metric",
             "lr ", "LOSS", "unknown", "\u00fc"]


SENSIBLE_TOML = {
    "lr": ["0.1", "0.01", "1"], "batch_size": ["16", '"full"', "1"], "batch-size": ['"16"', '"full"'],
    "seed": ["0", "7"], "val_split": ["0.2", "0", "0.5"], "l2": ["0.01", "0"], "l1": ["0.01"], "clip_grad": ["1.0"],
    "early_stopping": ["1", "0"], "min_delta": ["0.0", "0.5"], "class_weight": ['"balanced"', "[1, 2]", "[1.0, 2.5]"],
    "header": ["true", "false"], "standardize": ["false", "true"], "plot": ["false"], "progress": ['"none"'],
    "task": ['"binary"', '"regression"'], "target": ['"y"', "0", "-1"], "features": ['["a", "b"]', '"a,b"'],
    "epochs": ["2"], "dataset": ['"moons(n_samples=40)"', '"linear(n_samples=40)"', '"iris"'],
}
# file-only keys (target, features, header, task) are odd with a generator: drawn as odd keys
FILE_KEYS = ("target", "features", "header", "task")
SENSIBLE_TOML_KEYS = [k for k in TOML_KEYS[:25] if k not in FILE_KEYS and k != "batch-size"]
ODD_TOML_KEYS = ["metric", "lr ", "LOSS", "unknown", "\u00fc", "batch-size", *FILE_KEYS]


@st.composite
def config_case(draw: st.DrawFn) -> Case:
    """A --config TOML file: keys with sensible values, and zero to two odd keys or values (strings from
    the same spec strategies, TOML's nan/inf/dates/tables/arrays, unknown keys); sometimes not UTF-8."""
    task = draw(st.sampled_from(TASKS))
    keys = draw(st.lists(st.sampled_from(SENSIBLE_TOML_KEYS), min_size=1, max_size=6, unique=True))
    n_odd = draw(st.sampled_from([0, 0, 1, 1, 1, 2]))
    odd = set(draw(st.lists(st.sampled_from(keys + ODD_TOML_KEYS), min_size=n_odd, max_size=n_odd, unique=True)))
    keys += [k for k in odd if k not in keys]
    kinds = {"loss": LOSSES, "optimizer": OPTIMIZERS, "schedule": SCHEDULES, "model": MODELS}
    file_out = None
    lines = []
    for key in keys:
        bad = key in odd
        how = draw(st.integers(0, 2))
        if key == "out":  # relative names only: the run folder must stay inside the working folder
            file_out = draw(st.sampled_from(["a\x00b", "x" * 300, "", " ", "r\u00fcn", "a\nb"] if bad else
                                            ["from-file/run", "run"]))
            value = _toml_string(file_out)
        elif bad and how == 0:
            value = _toml_string(draw(ODD_TEXT))
        elif bad and (how == 1 or key not in kinds and key != "dataset"):
            value = draw(st.sampled_from(TOML_VALUES))
        elif key in kinds:
            names = LOSSES_FOR[task] if key == "loss" else None
            value = _toml_string(draw(registry_value(kinds[key], names, hostile=bad)))
        elif key == "dataset":
            value = _toml_string(draw(dataset_value(task, hostile=bad))[0])
        elif key in SENSIBLE_TOML:
            value = draw(st.sampled_from(SENSIBLE_TOML[key]))
        else:
            continue
        shown_key = key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else \
            _toml_string(key)
        lines.append(f"{shown_key} = {value}")
    if one_in(draw, 10):
        lines.append(draw(st.sampled_from(["[table]", "x = ", "= 1", "loss = 'mse'\nloss = 'mae'", "a.b = 1",
                                           "epochs = [" * 30, "\x00", "lr = 0.1 # comment"])))
    raw = "\n".join(lines) + "\n"
    path = side_file(".toml", raw if not one_in(draw, 20) else raw.encode("utf-16"))
    args = ["--config", path, "--epochs", draw(st.sampled_from(["1", "2"])), "--progress", "none", "--no-plot"]
    if file_out is not None and draw(st.booleans()):
        return Case(args=args, setup=[], out=file_out)  # the file's own `out`
    out = draw(st.sampled_from(["run", "out/run"]))
    return Case(args=[*args, "--out", out], setup=[], out=out)


# ------------------------------------------------------------------------------ running and checking
@dataclass
class Outcome:
    case: Case
    exit_code: int | None
    output: str
    stderr: str
    exception: BaseException | None
    exc_info: Any
    before: list[str]
    after: list[str]
    workdir: Path
    seconds: float = 0.0

    def traceback_tail(self, lines: int = 4) -> str:
        if self.exception is None or isinstance(self.exception, SystemExit) or self.exc_info is None:
            tail = [line for line in self.output.splitlines() if line.strip()][-lines:]
            return "\n".join(tail)
        text = "".join(traceback.format_exception(*self.exc_info))
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def origin(self) -> str:
        """`file:function` of the innermost lossfit frame of the escaped exception (or '' if none)."""
        if self.exc_info is None or self.exception is None or isinstance(self.exception, SystemExit):
            return ""
        frames = traceback.extract_tb(self.exc_info[2])
        own = [f for f in frames if "/lossfit/" in f.filename.replace("\\", "/")]
        frame = (own or frames)[-1]
        path = frame.filename.replace("\\", "/")
        short = path[path.rfind("/lossfit/") + 1:] if "/lossfit/" in path else Path(path).name
        return f"{short}:{frame.name}:{frame.lineno}"


def tree(folder: Path) -> list[str]:
    """Every path under `folder` (sorted, relative), folders marked with a trailing slash."""
    found = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        found += [f"{rel / d}/" for d in dirs] + [str(rel / f) for f in files]
    return sorted(found)


_RUNNER = CliRunner()


def run_case(case: Case, workdir: Path) -> Outcome:
    """Run `lossfit train ARGS` in `workdir` (empty but for the case's setup) with the CliRunner."""
    import time

    for kind, rel in case.setup:
        path = workdir / rel
        if kind == "dir":
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("keep\n")
    before = tree(workdir)
    here = os.getcwd()
    os.chdir(workdir)
    start = time.perf_counter()
    try:
        result = _RUNNER.invoke(app, ["train", *case.args], env=STABLE_ENV)
    finally:
        os.chdir(here)
    seconds = time.perf_counter() - start
    try:
        stderr = result.stderr
    except ValueError:
        stderr = ""
    return Outcome(case, result.exit_code, result.output, stderr, result.exception, result.exc_info,
                   before, tree(workdir), workdir, seconds)


def terminal_lines(text: str) -> list[str]:
    """`text` split where a terminal starts a new line (str.splitlines also splits at \\x1c-\\x1e, \\x85...)."""
    return text.replace("\r\n", "\n").split("\n")


def problems(outcome: Outcome) -> list[str]:
    """Every way `outcome` breaks the contract of `lossfit train` (empty when it keeps it).

    Each problem starts with a [tag] naming the rule it breaks (see `signature`).
    """
    found: list[str] = []
    code, output = outcome.exit_code, outcome.output
    if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
        found.append(f"[exception] {type(outcome.exception).__name__}: {str(outcome.exception)[:200]} escaped "
                     f"(at {outcome.origin()})")
    if code not in ALLOWED_EXIT_CODES:
        found.append(f"[exit code] {code}, expected one of {ALLOWED_EXIT_CODES}")
    if "Traceback" in output or "Traceback" in outcome.stderr:
        found.append("[traceback] a traceback was printed")
    new = sorted(set(outcome.after) - set(outcome.before))
    if code == 2:
        lines = [line for line in terminal_lines(output) if line.strip()]
        errors = [line for line in lines if line.startswith("Error:")]
        if _user_code_prints(outcome.case) and len(errors) == 1:
            lines = errors  # what a custom loss prints is its own output, not lossfit's
        if len(lines) != 1 or not lines[0].startswith("Error:"):
            found.append(f"[exit 2: lines] expected exactly one non-empty line starting with 'Error:', got "
                         f"{len(lines)}: {[line[:160] for line in lines[:4]]}")
        if outcome.after != outcome.before and not _failed_run_folder(outcome, new):
            found.append(f"[exit 2: wrote] the working folder changed: new {new[:6]}")
    if code in FINISHED_STATUSES:
        found += _finished_problems(outcome, code, new)
    return found


def _user_code_prints(case: Case) -> bool:
    """True when a custom loss the case loads writes to stdout itself."""
    for path in side_files_in(case.args):
        if path.suffix == ".py" and ("print(" in (text := path.read_text("utf-8", "replace")) or "stdout" in text):
            return True
    return False


def _failed_run_folder(outcome: Outcome, new: list[str]) -> bool:
    """True when all `new` paths are one run folder (and the parents made for it) whose metrics.json says
    status "failed": a user mistake found mid-run (a custom loss that raised), the epochs before it kept."""
    metrics = [p for p in new if Path(p).name == "metrics.json"]
    if len(metrics) != 1:
        return False
    folder = os.path.dirname(os.path.normpath(metrics[0]))
    for path in new:
        path = os.path.normpath(path.rstrip("/"))
        if not (path == folder or path.startswith(folder + os.sep) or folder.startswith(path + os.sep)):
            return False
    try:
        summary = json.loads((outcome.workdir / metrics[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and summary.get("status") == "failed"


def _finished_problems(outcome: Outcome, code: int, new: list[str]) -> list[str]:
    metrics = [p for p in new if Path(p).name == "metrics.json"]
    out = outcome.case.out
    if out is not None:
        expected = os.path.normpath(os.path.join(out, "metrics.json"))
        metrics = [p for p in metrics if os.path.normpath(p) == expected] or metrics
        if not metrics and out == "." and (outcome.workdir / "metrics.json").is_file():
            metrics = ["metrics.json"]
    if len(metrics) != 1:
        return [f"[metrics] exit {code} but {len(metrics)} new metrics.json files (new paths: {new[:8]})"]
    path = outcome.workdir / metrics[0]
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"[metrics] exit {code} but {metrics[0]} does not parse: {err}"]
    status = summary.get("status") if isinstance(summary, dict) else None
    if status not in FINISHED_STATUSES[code]:
        return [f"[metrics] exit {code} but metrics.json has status {status!r}, expected one of "
                f"{FINISHED_STATUSES[code]}"]
    final = summary.get("final") or {}
    loss = final.get("train_loss") if isinstance(final, dict) else None
    if code == 0 and not (isinstance(loss, (int, float)) and math.isfinite(loss)):
        return [f"[metrics: finite] exit 0 (status {status}) but the final train loss is {loss!r}: a non-finite "
                "loss is a divergence (exit 3)"]
    return []


def signature(outcome: Outcome, found: list[str]) -> tuple[Any, ...]:
    """What tells two failures apart: the exit code, the escaped exception and where it was raised, the
    rules broken, and for a refusal (exit 2) the shape of its message."""
    tags = tuple(sorted({p[1:p.index("]")] for p in found}))
    origin = outcome.origin().rsplit(":", 1)[0]
    exception = type(outcome.exception).__name__ if outcome.exception is not None and origin else ""
    message = ""
    if outcome.exit_code == 2:  # what it wrote: its error; more lines than one: the first extra line
        lines = [line for line in terminal_lines(outcome.output) if line.strip()]
        errors = [line for line in lines if line.startswith("Error:")]
        extra = [line for line in lines if not line.startswith("Error:")]
        if "exit 2: wrote" not in tags and extra:
            message = "extra line: " + _message_shape(extra[0])
        elif errors:
            message = _message_shape(errors[-1])
    return outcome.exit_code, exception, origin, tags, message


def _message_shape(line: str) -> str:
    """The first words of an error message, without the values in it (quoted text, numbers, paths)."""
    import re

    line = re.sub(r"`[^`]*`|'[^']*'|\S*/\S*|[-+]?\d[\w.+-]*", "_", line)
    return " ".join(line.split()[:5])


# Options that keep a reproducer fast and its output inside the working folder: never dropped
KEPT = ("--epochs", "--progress", "--out", "--no-plot", "--plot")
FLAGS = ("--json", "--plot", "--no-plot", "--header", "--no-header", "--standardize", "--no-standardize")


def _groups(args: list[str]) -> list[list[str]]:
    """The arguments as option groups: `--lr 0.1` is one, a flag or a stray word is one."""
    groups: list[list[str]] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--") and arg not in FLAGS and "=" not in arg and i + 1 < len(args):
            groups.append(args[i:i + 2])
            i += 2
        else:
            groups.append([arg])
            i += 1
    return groups


def minimise(outcome: Outcome, found: list[str], most_runs: int = 40) -> tuple[Outcome, list[str]]:
    """A shorter command line with the same failure `signature`: drop option groups one at a time while
    the failure stays (at most `most_runs` runs; a cheap stand-in for hypothesis' shrinking)."""
    target = signature(outcome, found)
    groups = _groups(outcome.case.args)
    best = (outcome, found)
    runs = 0
    i = 0
    while i < len(groups) and runs < most_runs:
        if groups[i][0] in KEPT:
            i += 1
            continue
        trial = [g for j, g in enumerate(groups) if j != i]
        case = Case(args=[a for g in trial for a in g], setup=list(outcome.case.setup), out=outcome.case.out)
        workdir = Path(tempfile.mkdtemp(prefix="lossfit-fuzz-min-"))
        try:
            again = run_case(case, workdir)
            again_found = problems(again)
        finally:
            _remove(workdir)
        runs += 1
        if again_found and signature(again, again_found) == target:
            groups, best = trial, (again, again_found)
        else:
            i += 1
    return best


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def report(outcome: Outcome, found: list[str], tail: int = 6) -> str:
    """One failure: the reproducer, the rules it breaks, the last lines of the traceback or output."""
    parts = [f"reproduce: {outcome.case.command()}", f"exit code: {outcome.exit_code}"
             + (f"; raised in {outcome.origin()}" if outcome.origin() else "")]
    parts += [f"problem: {p}" for p in found]
    parts.append("last lines:\n    " + outcome.traceback_tail(tail).replace("\n", "\n    "))
    for path in side_files_in(outcome.case.args):  # generated files are gone once the tests end: show them
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = f"<{len(raw)} bytes, not UTF-8: {raw[:60]!r}...>"
        lines = [line for line in text.splitlines() if line.strip()][:30]
        parts.append(f"where {path.name} holds:\n    " + "\n    ".join(line[:160] for line in lines))
    return "\n".join(parts)


def fuzz_examples(default: int) -> int:
    """How many examples a fuzz test runs: `default`, or LOSSFIT_FUZZ_EXAMPLES for long local runs."""
    value = os.environ.get("LOSSFIT_FUZZ_EXAMPLES", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else default


def long_run() -> bool:
    return bool(os.environ.get("LOSSFIT_FUZZ_EXAMPLES", "").strip())


__all__ = ["Case", "Outcome", "config_case", "fuzz_examples", "long_run", "problems", "report", "run_case",
           "train_case"]
