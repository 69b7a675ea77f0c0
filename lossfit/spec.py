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
