"""RunConfig: one validated, frozen description of a training run.

Values come from three places, later ones winning:

    built-in defaults  <  --config FILE.toml  <  command-line options

The TOML file uses the same keys as the command-line options (`batch_size` or
`batch-size`), at the top level:

    loss = "huber(delta=0.5)"
    dataset = "outliers(fraction=0.2)"
    optimizer = "sgd(momentum=0.9)"
    lr = 0.05
    epochs = 300

`experiment_dict()` is what a run folder's config.toml holds: passing that file
back with --config reproduces the run to the same numbers.
"""

from __future__ import annotations

import difflib
import math
import reprlib
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

from lossfit.errors import ConfigError
from lossfit.spec import MAX_LIST_CHARS, MAX_SPEC_CHARS, shorten, split_top_level

Progress = Literal["auto", "rich", "plain", "none"]
PROGRESS_MODES: tuple[str, ...] = ("auto", "rich", "plain", "none")

# Keys that describe the experiment (saved to config.toml) vs how it is shown and where it goes.
EXPERIMENT_KEYS = (
    "loss", "dataset", "model", "optimizer", "lr", "schedule", "epochs", "batch_size", "seed", "val_split",
    "l2", "l1", "clip_grad", "early_stopping", "min_delta", "class_weight",
    "target", "features", "header", "task", "standardize", "dtype",
)
TASK_NAMES = ("regression", "binary", "multiclass")
DTYPES = ("float64", "float32")  # the floating-point type of data, weights and optimizer state
# The options `lossfit compare` accepts several values for (its variants are their cartesian product).
VARYING_KEYS = ("loss", "optimizer", "lr", "batch_size", "model", "schedule", "class_weight", "dtype")
MAX_VARIANTS = 24  # compare races at most this many variants (the product of the options' values)
MAX_OPTION_VALUES = 1_000  # values one option may list, checked before any is parsed (then MAX_VARIANTS)

# Limits on what a config file or an option may hold, checked before anything parses the values.
MAX_CONFIG_BYTES = 1_000_000  # a config is a few hundred bytes; this is not one
MAX_PATH_CHARS = 4_096  # PATH_MAX on Linux: --dataset (a file or a spec), --out
MAX_LIST_ITEMS = 10_000  # a TOML list (features, class weights); variant lists stop at MAX_VARIANTS
# The longest string each key takes; every other string key takes a spec (MAX_SPEC_CHARS).
MAX_CHARS = {"dataset": MAX_PATH_CHARS, "out": MAX_PATH_CHARS, "features": MAX_LIST_CHARS,
             "class_weight": MAX_LIST_CHARS}


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs.

    `loss=None` follows the dataset's task (mse, bce, cross_entropy; mse when no
    dataset is given either); `dataset=None` follows the loss's task.
    """

    loss: str | None = None
    dataset: str | None = None
    model: str = "auto"
    optimizer: str = "sgd"
    lr: float = 0.1
    schedule: str = "constant"
    epochs: int = 200
    batch_size: int | None = None  # None: the full batch, i.e. plain gradient descent
    seed: int = 0
    val_split: float = 0.2
    l2: float = 0.0
    l1: float = 0.0
    clip_grad: float = 0.0  # 0: no clipping
    early_stopping: int = 0  # patience in epochs; 0: off
    min_delta: float = 0.0
    class_weight: str | None = None  # "balanced" or "w0,w1,..."
    target: str | None = None  # data files: target column (name or index)
    features: str | None = None  # data files: "a,b,c"
    header: bool | None = None  # data files: None detects it
    task: str | None = None  # data files: override the inferred task
    standardize: bool = True
    dtype: str = "float64"  # or "float32": data, weights and optimizer state (metrics are always float64)
    out: str | None = None
    progress: Progress = "auto"
    plot: bool = True

    def __post_init__(self) -> None:
        validate({f.name: getattr(self, f.name) for f in fields(self)}, source="option")

    def experiment_dict(self) -> dict[str, Any]:
        """The keys that define the run's numbers, as TOML-ready values."""
        values = {key: getattr(self, key) for key in EXPERIMENT_KEYS}
        values["batch_size"] = "full" if self.batch_size is None else self.batch_size
        values["dataset"] = self.dataset or ""  # "" until the loss's default dataset is resolved
        values["loss"] = self.loss or ""  # "" until the dataset's default loss is resolved
        return {key: value for key, value in values.items() if value is not None}  # TOML has no null



def _where(key: str, source: str) -> str:
    return f"`{key}` in {source}" if source != "option" else f"--{key.replace('_', '-')}"


def validate(values: dict[str, Any], source: str) -> None:
    """Range checks that do not need the registries (names are checked when built).

    `values` may hold only some keys (those read from a file); `source` is
    "option" or the file's path, and only changes how the key is named.
    """
    config = SimpleNamespace(**{**_DEFAULTS, **values})
    if not (math.isfinite(config.lr) and config.lr > 0):
        raise ConfigError(f"{_where('lr', source)} must be a positive finite number, got {config.lr}. Try 0.1.")
    if config.epochs < 1:
        raise ConfigError(f"{_where('epochs', source)} must be at least 1, got {config.epochs}.")
    if config.batch_size is not None and config.batch_size < 1:
        raise ConfigError(
            f"{_where('batch_size', source)} must be a positive whole number or 'full', got {config.batch_size}."
        )
    if config.seed < 0:
        raise ConfigError(f"{_where('seed', source)} must be 0 or more, got {config.seed}.")
    if not (0 <= config.val_split < 1):
        raise ConfigError(
            f"{_where('val_split', source)} must be in [0, 1) (0 trains on everything), got {config.val_split}."
        )
    for key in ("l2", "l1", "clip_grad", "min_delta"):
        value = getattr(config, key)
        if not (math.isfinite(value) and value >= 0):
            raise ConfigError(f"{_where(key, source)} must be 0 or a positive finite number, got {value}.")
    if config.early_stopping < 0:
        raise ConfigError(
            f"{_where('early_stopping', source)} is a patience in epochs: 0 (off) or more, got {config.early_stopping}."
        )
    if config.task is not None and config.task not in TASK_NAMES:
        raise ConfigError(f"{_where('task', source)} must be one of {', '.join(TASK_NAMES)}, got {config.task!r}.")
    if config.class_weight is not None:
        parse_class_weight(config.class_weight, where=_where("class_weight", source))
    if config.dtype not in DTYPES:
        raise ConfigError(f"{_where('dtype', source)} must be one of {', '.join(DTYPES)}, got {_show(config.dtype)}.")
    if config.progress not in PROGRESS_MODES:
        raise ConfigError(
            f"{_where('progress', source)} must be one of {', '.join(PROGRESS_MODES)}, got {config.progress!r}."
        )
    if config.out is not None and not config.out.strip():
        raise ConfigError(f"{_where('out', source)} is empty; give a folder name, or leave it out for runs/....")
    for key in ("loss", "model", "optimizer", "dataset"):
        value = getattr(config, key)
        if value is not None and not value.strip():
            example = {"loss": "mse", "model": "linear", "optimizer": "sgd", "dataset": "linear"}[key]
            raise ConfigError(f"{_where(key, source)} is empty; give a name such as `{example}`.")


_DEFAULTS = {f.name: f.default for f in fields(RunConfig)}


_FIELD_TYPES = {f.name: f.type for f in fields(RunConfig)}


def coerce_value(key: str, value: Any, source: str) -> Any:
    """Check one raw value (from TOML or the CLI) against the field's type."""
    where = _where(key, source)
    check_size(key, value, where)
    if key == "batch_size":
        if isinstance(value, str) and value.strip().lower() == "full":
            return None
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where} must be a positive whole number or 'full', got {_show(value)}.")
    if key == "features" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    if key == "class_weight" and isinstance(value, list):
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return ",".join(repr(float(v)) for v in value)
        raise ConfigError(f"{where} must be 'balanced' or a list of numbers, got {_show(value)}.")
    if key == "target" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if key in ("lr", "val_split", "l2", "l1", "clip_grad", "min_delta"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{where} must be a number, got {_show(value)} ({type(value).__name__}).")
    if key in ("epochs", "seed", "early_stopping"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where} must be a whole number, got {_show(value)} ({type(value).__name__}).")
    if key in ("plot", "standardize", "header"):
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where} must be true or false, got {_show(value)}.")
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, got {_show(value)} ({type(value).__name__}).")
    return value


_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxlevel = 60, 60, 8, 3


def _show(value: Any) -> str:
    """`repr(value)` for a message: bounded in length and depth, whatever the value (reprlib)."""
    return _REPR.repr(value)


def check_size(key: str, value: Any, where: str) -> None:
    """A ConfigError naming the limit when a string or list value is too long for `key` (or holds a NUL)."""
    if isinstance(value, str) and "\x00" in value:
        raise ConfigError(f"{where} holds a NUL character (\\x00); remove it.")
    if isinstance(value, str):
        limit = MAX_CHARS.get(key, MAX_SPEC_CHARS)
        if len(value) > limit:
            kind = {MAX_PATH_CHARS: "paths and specs", MAX_LIST_CHARS: "lists"}.get(limit, "specs")
            raise ConfigError(
                f"{where} is {len(value):,} characters (`{shorten(value, 30)}`); {kind} are limited to {limit:,}."
            )
    elif isinstance(value, list):
        variants = key in VARYING_KEYS and is_variant_list(key, value)
        limit = MAX_OPTION_VALUES if variants else MAX_LIST_ITEMS
        if len(value) > limit:
            what = f"{where} lists {len(value):,} values; "
            raise ConfigError(what + (f"compare races at most {MAX_VARIANTS} variants. Give fewer values."
                                      if variants else f"lists are limited to {limit:,}."))


def read_toml(path: Path) -> dict[str, Any]:
    """Read a config file into {key: value}, with every key known and every value well typed."""
    raw = _read_table(path)
    for key, value in raw.items():
        if key in VARYING_KEYS and is_variant_list(key, value):
            raise ConfigError(
                f"`{key}` in {path} is a list of {len(value)} values; lists are for "
                f"`lossfit compare --config {path}`, `lossfit train` takes one value."
            )
    return {key: coerce_value(key, value, source=str(path)) for key, value in raw.items()}


def read_compare_toml(path: Path) -> tuple[dict[str, Any], dict[str, list[Any]], dict[str, Any]]:
    """A compare config: (single values, lists of variant values, compare-only keys such as `metric`).

    `loss = ["mse", "mae"]` gives variants; `class_weight = [1, 5]` (numbers) is one
    weight vector, `class_weight = ["none", "balanced", [1, 5]]` three variants.
    """
    raw = _read_table(path, extra=COMPARE_ONLY_KEYS)
    single: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {}
    extra: dict[str, Any] = {}
    for key, value in raw.items():
        check_size(key, value, f"`{key}` in {path}")  # before split_top_level or any parser reads it
        if key in COMPARE_ONLY_KEYS:
            if not isinstance(value, str):
                raise ConfigError(f"`{key}` in {path} must be a string, got {_show(value)}.")
            extra[key] = value
        elif key in VARYING_KEYS and is_variant_list(key, value):
            if not value:
                raise ConfigError(f"`{key}` in {path} is an empty list; give at least one value.")
            lists[key] = [_variant_value(key, item, str(path)) for item in value]
        elif key in VARYING_KEYS and key != "class_weight" and isinstance(value, str) and \
                len(split_top_level(value, f"`{key}` in {path}")) > 1:
            items = ", ".join(f'"{item}"' for item in split_top_level(value))
            raise ConfigError(f"`{key}` in {path} is one string with commas; for several values write a TOML list: "
                              f"{key} = [{items}].")
        else:
            single[key] = coerce_value(key, value, source=str(path))
    return single, lists, extra


COMPARE_ONLY_KEYS = ("metric",)


def is_variant_list(key: str, value: Any) -> bool:
    """True when a TOML value is a list of variants (a list of numbers is one class-weight vector)."""
    if not isinstance(value, list):
        return False
    return key != "class_weight" or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)


def _variant_value(key: str, value: Any, source: str) -> Any:
    """One element of a variant list, typed as a single value would be; class_weight "none" is None."""
    if key == "class_weight" and isinstance(value, str) and value.strip().lower() == "none":
        return None
    return coerce_value(key, value, source=source)


def _read_table(path: Path, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """The TOML file's top-level table with normalized keys (`batch-size` -> `batch_size`), all known."""
    if not path.exists():
        raise ConfigError(f"Config file not found: {path}. Check the path given to --config.")
    if path.is_dir():
        raise ConfigError(f"--config expects a TOML file, but {path} is a folder.")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)  # never more than the limit, whatever the file
    except OSError as err:
        raise ConfigError(f"Cannot read {path}: {err.strerror or err}. Check the path given to --config.") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"Cannot read {path}: it is larger than {MAX_CONFIG_BYTES:,} bytes, too large for "
                          "a config file (a config holds a few lines such as loss = \"mse\").")
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"Cannot read {path}: it is not a text file (expected TOML).") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"Cannot read {path}: invalid TOML ({shorten(str(err), 200)}).") from None
    except (RecursionError, MemoryError):  # arrays or tables nested thousands deep
        raise ConfigError(f"Cannot read {path}: its values nest too deeply to be a config (expected TOML "
                          "such as loss = \"mse\").") from None
    known = [f.name for f in fields(RunConfig)] + list(extra)
    values = {}
    for raw_key, value in raw.items():
        key = raw_key.replace("-", "_")
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" Did you mean `{close[0]}`?" if close else ""
            if key in COMPARE_ONLY_KEYS:
                hint = f" `{key}` is an option of `lossfit compare`."
            raise ConfigError(f"Unknown key `{raw_key}` in {path}.{hint} Valid keys: {', '.join(known)}.")
        values[key] = value
    return values


def build_config(file: Path | None, options: dict[str, Any]) -> RunConfig:
    """Merge defaults < config file < command-line options (None means: not given)."""
    given = {key: coerce_value(key, value, "option") for key, value in options.items() if value is not None}
    from_file = read_toml(file) if file is not None else {}
    # Range errors name where the value came from: the file, or the option.
    validate({key: value for key, value in from_file.items() if key not in given}, source=str(file))
    return RunConfig(**{**from_file, **given})


def parse_class_weight(text: str, where: str = "--class-weight") -> str | tuple[float, ...]:
    """'balanced' or 'w0,w1,...' (one non-negative weight per class, in class-index order)."""
    if text.strip().lower() == "balanced":
        return "balanced"
    try:
        weights = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(
            f"{where} must be 'balanced' or comma-separated numbers such as '1,5', got {_show(text)}."
        ) from None
    if not weights or any(not math.isfinite(w) or w < 0 for w in weights) or sum(weights) == 0:
        raise ConfigError(f"{where} needs finite weights >= 0, not all zero, got {_show(text)}.")
    return weights
