"""`lossfit lr-find` (being built: issue 11)."""

from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    """Nothing yet."""
