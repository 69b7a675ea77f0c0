"""Shared fixtures: a CliRunner that runs lossfit in an empty folder with stable output."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from lossfit.cli import app

STABLE_ENV = {"NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"}


@pytest.fixture
def run_cli(tmp_path, monkeypatch):
    """Invoke `lossfit ARGS...` in an empty working folder; returns click's Result."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, **kwargs):
        return runner.invoke(app, list(args), env=STABLE_ENV, **kwargs)

    return invoke


@pytest.fixture
def workdir(tmp_path):
    return tmp_path


def pytest_configure(config):
    os.environ.setdefault("MPLBACKEND", "Agg")

