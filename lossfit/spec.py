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
"""

from __future__ import annotations

import ast
import re
from typing import Any

from lossfit.errors import SpecError

_OPEN, _CLOSE = "([{", ")]}"
_BARE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WORD_LITERALS = {"true": True, "false": False, "none": None, "null": None}
_EXAMPLE = "NAME or NAME(key=value, ...), e.g. huber(delta=0.5)"


def parse_spec(text: str, what: str = "value") -> tuple[str, dict[str, Any]]:
    """Split a spec into its name and keyword arguments; `what` names the option in errors."""
    text = text.strip()
    if _BARE_NAME.match(text):
        return text, {}
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise SpecError(f"Cannot read {what} `{text}`: expected {_EXAMPLE}.") from None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise SpecError(f"Cannot read {what} `{text}`: expected {_EXAMPLE}.")
    name = node.func.id
    if node.args:
        raise SpecError(
            f"Cannot read {what} `{text}`: arguments must be named, "
            f"e.g. {name}(key=value); got {len(node.args)} unnamed."
        )
    kwargs: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise SpecError(f"Cannot read {what} `{text}`: `**` is not allowed; write key=value.")
        if keyword.arg in kwargs:
            raise SpecError(f"Cannot read {what} `{text}`: `{keyword.arg}` is given twice.")
        kwargs[keyword.arg] = _literal(keyword.value, text, what, keyword.arg)
    return name, kwargs


def _literal(node: ast.expr, text: str, what: str, key: str) -> Any:
    if isinstance(node, ast.Name) and node.id.lower() in _WORD_LITERALS:
        return _WORD_LITERALS[node.id.lower()]
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        source = ast.unparse(node)
        raise SpecError(
            f"Cannot read {what} `{text}`: the value of `{key}` ({source}) is not a literal; "
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
    """
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
                raise SpecError(f"{what} `{text}`: a `{char}` closes nothing; check the parentheses.")
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quote or depth:
        missing = f"a closing {quote}" if quote else "a closing parenthesis"
        raise SpecError(f"{what} `{text}`: {missing} is missing.")
    parts.append("".join(current))
    values = [_unquote(part.strip()) for part in parts]
    if not keep_empty and any(not value for value in values):
        hint = f", e.g. {what} {example}" if example else ""
        raise SpecError(f"{what} `{text}` has an empty element; separate values with single commas{hint}.")
    return values


def _unquote(text: str) -> str:
    """`"huber(delta=0.5)"` -> `huber(delta=0.5)`: quotes around a whole element only group it."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].strip()
    return text
