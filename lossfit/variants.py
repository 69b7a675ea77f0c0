"""The variants of a comparison: several values per option, and their cartesian product.

`lossfit compare` takes several values for the options in `VARYING_KEYS`,
repeated (`--loss mse --loss mae`) or comma-separated at the top level, where
commas inside parentheses, brackets or quotes do not split:

    >>> split_top_level('mse, mae,"huber(delta=0.5)"', "--loss")
    ['mse', 'mae', 'huber(delta=0.5)']
    >>> split_top_level("mlp(hidden=(16, 16)),linear", "--model")
    ['mlp(hidden=(16, 16))', 'linear']

Every variant is one point of the product of those lists; everything else is
shared by all of them:

    >>> [v.label for v in expand({"loss": ["mse", "mae"], "lr": [0.1, 0.5]})]
    ['mse · lr=0.1', 'mse · lr=0.5', 'mae · lr=0.1', 'mae · lr=0.5']
    >>> expand({"loss": ["mse", "mae"]})[1].folder
    'loss=mae'

Pure Python: nothing here imports numpy.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lossfit.config import MAX_VARIANTS as MAX_VARIANTS  # re-exported: compare's limit lives with the config
from lossfit.config import MAX_OPTION_VALUES, VARYING_KEYS, coerce_value
from lossfit.errors import ConfigError
from lossfit.spec import shorten
from lossfit.spec import split_top_level as split_top_level
SPEC_KEYS = ("loss", "optimizer", "model", "schedule")  # shown by their value alone in labels
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def option_name(key: str) -> str:
    return "--" + key.replace("_", "-")


EXAMPLES = {"loss": "mse,mae", "optimizer": "sgd,adam", "lr": "0.01,0.1", "batch_size": "full,32",
            "model": "linear,mlp", "schedule": "constant,cosine", "class_weight": "none,balanced"}


def values_from_options(key: str, given: list[str]) -> list[Any]:
    """The variant values of one varying option, from its (possibly repeated) command-line texts."""
    what = option_name(key)
    values: list[Any] = []
    for text in given:
        parts = split_top_level(text, what, EXAMPLES.get(key))
        if len(values) + len(parts) > MAX_OPTION_VALUES:  # before any value is parsed; `expand` counts the rest
            raise ConfigError(
                f"{what} has more than {MAX_OPTION_VALUES:,} values; compare races at most {MAX_VARIANTS} "
                "variants. Give fewer values."
            )
        if key == "class_weight":
            values.extend(_class_weights(parts, text))
        else:
            values.extend(_typed(key, part, what) for part in parts)
    return values


def _typed(key: str, text: str, what: str) -> Any:
    if key == "lr":
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{what} takes numbers, got `{shorten(text)}`; e.g. {what} 0.01,0.1,1.") from None
    return coerce_value(key, text, "option")  # batch_size: a whole number or "full"; specs: text


def _class_weights(parts: list[str], text: str) -> list[str | None]:
    """`1,5` is one weight vector; `none,balanced,(1,5)` are three variants (None: no class weights)."""
    if all(_NUMBER.match(part) for part in parts):
        return [",".join(part.strip() for part in parts)]
    values: list[str | None] = []
    for part in parts:
        if _NUMBER.match(part):
            raise ConfigError(
                f"--class-weight `{shorten(text)}` mixes names and numbers; put each weight list in parentheses, "
                "e.g. --class-weight 'none,balanced,(1,5)'."
            )
        if part.lower() == "none":
            values.append(None)
        elif part[0] in "([" and part[-1] in ")]":
            values.append(",".join(p.strip() for p in part[1:-1].split(",")))
        else:
            values.append(part)
    return values


def single_value(key: str, given: list[str]) -> str:
    """The one value of an option that cannot vary; a list is refused with the options that can.

    `--features a,b,c` is one value (a list of columns), and so are an --out and a data file with a comma.
    """
    if len(given) == 1 and not given[0].strip():
        raise ConfigError(f"{option_name(key)} is empty; give it a value, or leave the option out.")
    parts = given
    if len(given) == 1 and key not in ("features", "out") and not (key == "dataset" and Path(given[0]).is_file()):
        parts = split_top_level(given[0], option_name(key), keep_empty=True)
        if "" in parts:
            raise ConfigError(f"{option_name(key)} `{shorten(given[0])}` has an empty part around a comma; it takes one value.")
    if len(parts) > 1:
        raise ConfigError(
            f"{option_name(key)} cannot vary in compare (got {len(parts)} values: {shorten(', '.join(parts))}): every "
            f"variant shares it. The options that can vary: {', '.join(option_name(k) for k in VARYING_KEYS)}."
        )
    return given[0]


@dataclass(frozen=True)
class Variant:
    """One run of a comparison: the values of the varying options (the rest is shared)."""

    index: int
    settings: dict[str, Any]  # varying key -> this variant's value (only the keys that vary)

    @property
    def label(self) -> str:
        """How legends and tables name it: `huber(delta=0.5)`, `lr=0.1`, `adam · lr=0.01`."""
        return " · ".join(_show(key, value) for key, value in self.settings.items()) or "run"

    @property
    def folder(self) -> str:
        """Its run folder's name inside the compare folder: `loss=huber(delta=0.5)`, `loss=mse,lr=0.1`."""
        name = ",".join(f"{key}={_show_value(key, value)}" for key, value in self.settings.items())
        name = re.sub(r"\s+", "", name).replace("/", "_").replace("\\", "_").replace(":", "_")
        return name[:120] or f"variant-{self.index + 1}"


def _show_value(key: str, value: Any) -> str:
    if key == "batch_size":
        return "full" if value is None else str(value)
    if key == "class_weight":
        return "none" if value is None else str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _show(key: str, value: Any) -> str:
    if key in SPEC_KEYS:
        return " ".join(str(value).split())
    if key == "batch_size":
        return "full batch" if value is None else f"batch {value}"
    return f"{key}={_show_value(key, value)}"


def expand(lists: dict[str, list[Any]]) -> list[Variant]:
    """The cartesian product of the lists, in the order given; more than MAX_VARIANTS is an error.

    Only keys with more than one value appear in a variant's settings.
    """
    varying = {key: values for key, values in lists.items() if len(values) > 1}
    total = 1
    for values in varying.values():
        total *= len(values)
    if total > MAX_VARIANTS:
        sizes = " x ".join(f"{len(v)} {option_name(k)}" for k, v in varying.items())
        raise ConfigError(
            f"That is {total} variants ({sizes}); compare races at most {MAX_VARIANTS}. Give fewer values."
        )
    keys = list(varying)
    return [Variant(i, dict(zip(keys, combo))) for i, combo in enumerate(itertools.product(*varying.values()))]


FLOAT_KEYS = ("lr", "val_split", "l2", "l1", "clip_grad", "min_delta")
INT_KEYS = ("epochs", "seed", "early_stopping")


def parse_text(key: str, text: str) -> Any:
    """A command-line text as the typed value the config expects (numbers for number options)."""
    what = option_name(key)
    if key in FLOAT_KEYS:
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{what} must be a number, got `{shorten(text)}`.") from None
    if key in INT_KEYS:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{what} must be a whole number, got `{shorten(text)}`.") from None
    return coerce_value(key, text, "option")


def options_from_cli(raw: dict[str, list[str] | None]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Command-line values (each option possibly repeated) -> (single values, variant lists)."""
    single: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {}
    for key, given in raw.items():
        if not given:
            continue
        if key in VARYING_KEYS:
            lists[key] = values_from_options(key, given)
        else:
            single[key] = parse_text(key, single_value(key, given))
    return single, lists
