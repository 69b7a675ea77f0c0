"""The README's `train` lessons come out as their comments say, with the commands exactly as written."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import lossfit
from lossfit.cli import app

README = Path(__file__).parent.parent / "README.md"


def readme_commands() -> list[str]:
    block = README.read_text().split("Some lessons to try with `train`:", 1)[1].split("```bash\n", 1)[1]
    block = block.split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("lossfit train")]


def run(command: str, tmp_path: Path):
    args = shlex.split(command.split("#", 1)[0])[1:]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "r"), "--progress", "none"],
                                env={"NO_COLOR": "1", "COLUMNS": "200"})
    summary = json.loads((tmp_path / "r" / "metrics.json").read_text())
    return result, summary


CHECKS = {
    "the line is dragged": lambda r, s, t: s["final_metrics"]["r2"] < 0.1 and _slope(r) < 1.0,
    "the median line is not": lambda r, s, t: abs(_slope(r) - 2.0) < 0.2,
    "90% of points below": lambda r, s, t: _share_below(t) == pytest.approx(0.9, abs=0.02) and not s["diagnostics"],
    "then exactly zero loss": lambda r, s, t: s["final"]["train_loss"] == 0.0 and s["final"]["accuracy"] == 1.0,
    "diverges: lossfit says": lambda r, s, t: r.exit_code == 3 and "lr < 2/lambda_max = 1" in r.stderr,
    "at the limit": lambda r, s, t: [d["kind"] for d in s["diagnostics"]] == ["oscillating"],
    "cosine(T_max=200)": lambda r, s, t: r.exit_code == 0 and not s["diagnostics"],
    "class-weight balanced": lambda r, s, t: r.exit_code == 0 and s["final_metrics"]["recall"] > 0.8,
}


def _slope(result) -> float:
    return float(re.search(r"fitted line: y = (-?[\d.e+-]+)·x", result.stdout).group(1))


def _share_below(tmp_path: Path) -> float:
    """The share of training targets under the line, from the run's config.toml (which reproduces it)."""
    again = lossfit.train(**tomllib.loads((tmp_path / "r" / "config.toml").read_text()))
    data = again.prepared.data
    return float(np.mean(data.y_train < again.model.predict(data.X_train)))


@pytest.mark.parametrize("command", readme_commands())
def test_every_readme_lesson_comes_out_as_told(command, tmp_path):
    checks = [check for key, check in CHECKS.items() if key in command]
    assert len(checks) == 1, f"no check (or several) for the README line: {command}"
    result, summary = run(command, tmp_path)
    assert "Traceback" not in result.output
    assert checks[0](result, summary, tmp_path), (command, result.output, summary.get("diagnostics"))
