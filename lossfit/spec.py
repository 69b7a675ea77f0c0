"""The one spec syntax for every registry value: `NAME` or `NAME(key=value, ...)`.

    >>> parse_spec("huber(delta=0.5)")
    ('huber', {'delta': 0.5})
    >>> parse_spec("mlp(hidden=(16, 16), activation='tanh')")
    ('mlp', {'hidden': (16, 16), 'activation': 'tanh'})
    >>> format_spec("sgd", {"momentum": 0.9, "nesterov": True})
    'sgd(momentum=0.9, nesterov=True)'

Values are read with `ast.literal_eval`: numbers, strings, booleans, None,
tuples and lists. Nothing is ever evaluated. `true`, `false` and `none`
(TOML/JSON spellings) are accepted as well.

Before `ast` sees a spec, its length and bracket nesting are checked against
`MAX_SPEC_CHARS` and `MAX_DEPTH` (lists of specs against `MAX_LIST_CHARS`), so
a hostile or mistaken value is one clear `SpecError`, never a RecursionError
or MemoryError:

    >>> parse_spec("huber(delta=" + "+".join(["1"] * 600) + ")")
    Traceback (most recent call last):
    ...
    lossfit.errors.SpecError: The value is 1,212 characters; specs are limited to 1,000. Write a shorter spec such as huber(delta=0.5).
"""

from __future__ import annotations

import ast
import re
import warnings
from typing import Any

from lossfit.errors import SpecError

_OPEN, _CLOSE = "([{", ")]}"
_BARE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WORD_LITERALS = {"true": True, "false": False, "none": None, "null": None}
_EXAMPLE = "NAME or NAME(key=value, ...), e.g. huber(delta=0.5)"

MAX_SPEC_CHARS = 1_000
"""The longest spec accepted: `mlp(hidden=(64, 64, 64), activation='tanh')` is 43 characters."""
MAX_LIST_CHARS = 10_000
"""The longest comma-separated list of specs (`--loss mse,mae,...` in compare)."""
MAX_DEPTH = 20
"""The deepest nesting of (), [] and {} in a spec or list: `mlp(hidden=(16, 16))` has depth 2."""
SHOWN_CHARS = 60
"""How much of an over-long text an error message quotes."""


def shorten(text: str, most: int = SHOWN_CHARS) -> str:
    """`text` as an error message quotes it: whole up to `most` characters, else its start and end.

    >>> shorten("huber(delta=" + "1+" * 100 + "1)", 40)
    'huber(delta=1+1+1 ... +1+1+1+1+1+1+1+1)'
    """
    if len(text) <= most:
        return text
    half = (most - 5) // 2
    return f"{text[:half]} ... {text[-half:]}"


def nesting_depth(text: str) -> int:
    """The deepest nesting of (), [] and {} outside quotes (unbalanced brackets count as they open).

    >>> nesting_depth("mlp(hidden=(16, 16), name='((')")
    2
    """
    depth = deepest = 0
    quote = ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _CLOSE:
            depth = max(0, depth - 1)
    return deepest


_EXAMPLES = {"loss": "huber(delta=0.5)", "dataset": "moons(noise=0.1)", "optimizer": "sgd(momentum=0.9)",
             "schedule": "cosine(T_max=100)", "model": "mlp(hidden=(16, 16))"}


def _example(what: str) -> str:
    """A good spec for the option `what` names (`loss spec`, `--dataset`), for messages."""
    return next((example for kind, example in _EXAMPLES.items() if kind in what), _EXAMPLES["loss"])


def check_limits(text: str, what: str = "value", *, limit: int = MAX_SPEC_CHARS, kind: str = "specs",
                 fix: str | None = None) -> None:
    """A SpecError naming the limit when `text` is longer than `limit` or nests deeper than MAX_DEPTH.

    Cheap (one pass, no parsing): call it before anything recursive looks at user text.
    """
    if len(text) > limit:
        raise SpecError(
            f"{_capital(what)} is {len(text):,} characters; {kind} are limited to {limit:,}. "
            f"{fix or f'Write a shorter spec such as {_example(what)}.'}"
        )
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise SpecError(
            f"{_capital(what)} `{shorten(text)}` nests brackets {depth} deep; {kind} are limited to "
            f"{MAX_DEPTH} levels; mlp(hidden=(16, 16)) has 2."
        )


def _capital(what: str) -> str:
    """`loss spec` -> `The loss spec`, `--loss` -> `--loss` (an option name stays as typed)."""
    return what if what.startswith("-") or what.startswith("`") else f"The {what}"


def parse_spec(text: str, what: str = "value") -> tuple[str, dict[str, Any]]:
    """Split a spec into its name and keyword arguments; `what` names the option in errors."""
    text = text.strip()
    check_limits(text, what)
    if _BARE_NAME.match(text):
        return text, {}
    try:
        return _parse(text, what)
    except (RecursionError, MemoryError, ValueError, OverflowError) as err:  # last resort: never a traceback
        raise SpecError(
            f"Cannot read {what} `{shorten(text)}`: it is too complex to parse ({type(err).__name__}); "
            f"expected {_EXAMPLE}."
        ) from None


def _parse(text: str, what: str) -> tuple[str, dict[str, Any]]:
    try:
        with warnings.catch_warnings():  # "\-" in a quoted value: Python warns of an invalid escape (3.12: visibly)
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise SpecError(f"Cannot read {what} `{shorten(text)}`: expected {_EXAMPLE}.") from None
    shown = shorten(text)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise SpecError(f"Cannot read {what} `{shown}`: expected {_EXAMPLE}.")
    name = node.func.id
    if node.args:
        raise SpecError(
            f"Cannot read {what} `{shown}`: arguments must be named, "
            f"e.g. {name}(key=value); got {len(node.args)} unnamed."
        )
    kwargs: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise SpecError(f"Cannot read {what} `{shown}`: `**` is not allowed; write key=value.")
        if keyword.arg in kwargs:
            raise SpecError(f"Cannot read {what} `{shown}`: `{keyword.arg}` is given twice.")
        kwargs[keyword.arg] = _literal(keyword.value, text, what, keyword.arg)
    return name, kwargs


def _literal(node: ast.expr, text: str, what: str, key: str) -> Any:
    if isinstance(node, ast.Name) and node.id.lower() in _WORD_LITERALS:
        return _WORD_LITERALS[node.id.lower()]
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        source = ast.get_source_segment(text, node) or "?"  # not ast.unparse: it recurses
        raise SpecError(
            f"Cannot read {what} `{shorten(text)}`: the value of `{key}` ({shorten(source, 40)}) is not a literal; "
            f"use a number, a quoted string, True/False, None or a tuple."
        ) from None


def format_spec(name: str, kwargs: dict[str, Any]) -> str:
    """The inverse of `parse_spec`: a string that parses back to the same name and values."""
    if not kwargs:
        return name
    inner = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    return f"{name}({inner})"


def split_top_level(text: str, what: str = "value", example: str | None = None, keep_empty: bool = False) -> list[str]:
    """Split a list of values at commas outside (), [], {} and quotes; every element stripped and non-empty.

    >>> split_top_level('mse, "huber(delta=0.5)", mlp(hidden=(16, 16))')
    ['mse', 'huber(delta=0.5)', 'mlp(hidden=(16, 16))']

    `what` names the option in errors, `example` shows a good list for it; an empty
    element is an error unless `keep_empty` (then it is returned as "").
    A list longer than MAX_LIST_CHARS or nested deeper than MAX_DEPTH is a SpecError.
    """
    check_limits(text, what, limit=MAX_LIST_CHARS, kind="lists of values", fix="Give fewer or shorter values.")
    parts: list[str] = []
    depth, quote = 0, ""
    current: list[str] = []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
            if depth < 0:
                raise SpecError(f"{what} `{shorten(text)}`: a `{char}` closes nothing; check the parentheses.")
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quote or depth:
        missing = f"a closing {quote}" if quote else "a closing parenthesis"
        raise SpecError(f"{what} `{shorten(text)}`: {missing} is missing.")
    parts.append("".join(current))
    values = [_unquote(part.strip()) for part in parts]
    if not keep_empty and any(not value for value in values):
        hint = f", e.g. {what} {example}" if example else ""
        raise SpecError(f"{what} `{shorten(text)}` has an empty element; separate values with single commas{hint}.")
    return values


def _unquote(text: str) -> str:
    """`"huber(delta=0.5)"` -> `huber(delta=0.5)`: quotes around a whole element only group it."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].strip()
    return text
