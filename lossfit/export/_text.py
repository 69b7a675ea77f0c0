"""Small helpers the templates share: numbers as Python literals, docstring notes as comments."""

from __future__ import annotations

import inspect
import textwrap
from typing import Any


def num(value: Any) -> str:
    """A number as the literal that reads back to exactly the same float (repr), ints as ints."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    return repr(float(value))


def notes(cls: type, *, prefix: str = "# ") -> list[str]:
    """The `::` block of a class's Notes section (the formulas `lossfit explain` shows), as comment lines."""
    doc = inspect.getdoc(cls) or ""
    lines = doc.splitlines()
    for start, line in enumerate(lines):
        if line.rstrip().endswith("::"):
            break
    else:
        return []
    block: list[str] = []
    for line in lines[start + 1:]:
        if line.strip() and not line.startswith((" ", "\t")):
            break
        block.append(line)
    text = textwrap.dedent("\n".join(block)).strip("\n")
    return [(prefix + line).rstrip() if line.strip() else prefix.rstrip() for line in text.splitlines()]


def first_line(cls: type) -> str:
    """The first line of a class's docstring (what it is, and the reference it equals)."""
    doc = inspect.getdoc(cls) or ""
    return doc.splitlines()[0] if doc else cls.__name__


def indent(lines: list[str], depth: int = 1) -> list[str]:
    pad = "    " * depth
    return [pad + line if line else line for line in lines]
