"""`lossfit` commands about datasets (filled in by the work on its issue)."""

from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    """Add this module's commands to the typer app."""
