"""`lossfit losses` and `lossfit gradcheck` as a user meets them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lossfit import losses
from lossfit.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "custom_losses"


def loss_rows(stdout: str) -> list[str]:
    """First column of the loss rows (indented by two; alias continuation lines are indented more)."""
    return [line.split()[0] for line in stdout.splitlines() if line.startswith("  ") and line[2] != " "]


def test_losses_lists_every_loss_grouped_by_task(run_cli):
    result = run_cli("losses")
    assert result.exit_code == 0, result.output
    rows = loss_rows(result.stdout)
    assert rows == losses.names() and len(rows) >= 20
    for section in ("regression (9)", "binary (7)", "multiclass (4)"):
        assert section in result.stdout
    assert "20 losses." in result.stdout
    assert "\x1b[" not in result.output and result.stderr == ""
    hinge = next(line for line in result.stdout.splitlines() if line.startswith("  hinge "))
    assert hinge.split() == ["hinge", "svm", "{0,1}|±1", "yes", "kink", "yes", "yes", "-"]
    focal = next(line for line in result.stdout.splitlines() if line.startswith("  focal "))
    assert focal.split()[1:4] == ["{0,1}", "no", "C∞"]  # focal is not convex


def test_losses_is_readable_at_100_columns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["losses"], env={"NO_COLOR": "1", "COLUMNS": "100", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 100
    assert any("  squared_epsilon_insensitive " in line for line in lines)  # names are never cut
    assert any("binary_cross_entropy" in line for line in lines)  # nor aliases


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_losses_task_filter(run_cli, task):
    result = run_cli("losses", "--task", task)
    assert result.exit_code == 0, result.output
    rows = loss_rows(result.stdout)
    assert rows == losses.for_task(task)


def test_losses_unknown_task(run_cli):
    result = run_cli("losses", "--task", "ranking")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: Unknown task `ranking` for --task. Expected one of: regression, binary, multiclass."
    )
    assert result.stdout == ""


def test_gradcheck_one_loss(run_cli):
    result = run_cli("gradcheck", "huber(delta=0.5)", "--samples", "4", "--seed", "3")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("gradcheck huber(delta=0.5): 4 random samples (seed 3)")
    assert "analytic" in out and "numerical" in out and "rel. error" in out
    assert len([line for line in out.splitlines() if line.strip()[:1].isdigit()]) == 4
    assert "PASS" in out.splitlines()[-1] and "max relative error" in out


def test_gradcheck_multiclass_shows_rows_and_classes(run_cli):
    result = run_cli("gradcheck", "cross_entropy", "--samples", "2")
    assert result.exit_code == 0, result.output
    assert "row" in result.stdout and "class" in result.stdout
    assert len([line for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]) == 6


def test_gradcheck_fails_for_a_wrong_custom_gradient(run_cli, workdir):
    shutil.copy(FIXTURES / "asym.py", workdir / "my.py")
    result = run_cli("gradcheck", "my.py:wrong")
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.stdout and "max relative error 5.00e-01" in result.stdout
    good = run_cli("gradcheck", "my.py:asym_exact")
    assert good.exit_code == 0 and "PASS" in good.stdout


def test_gradcheck_custom_without_gradient_says_so(run_cli, workdir):
    shutil.copy(FIXTURES / "asym.py", workdir / "my.py")
    result = run_cli("gradcheck", "my.py:asym")
    assert result.exit_code == 0, result.output
    assert "per-element numerical gradient" in result.stdout
    assert result.stderr.count("differentiates it numerically") == 1  # the warning, once, as a note


def test_gradcheck_all(run_cli):
    result = run_cli("gradcheck", "--all")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()[1:-1]]
    assert [row[0] for row in rows] == losses.names()
    assert all(row[-1] == "PASS" for row in rows)
    assert "all 20 losses PASS" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [((), "give a LOSS"), (("mse", "--all"), "not both"), (("mse", "--samples", "0"), "between 1 and 100"),
     (("hubber",), "Did you mean `huber`?"), (("huber(delta=0)",), "`delta` must be > 0"),
     (("nofile.py:f",), "not found"), (("mse", "--seed", "-1"), "--seed must be 0 or more")],
)
def test_gradcheck_mistakes(run_cli, args, fragment):
    result = run_cli("gradcheck", *args)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_help_says_loading_a_file_runs_its_code(run_cli):
    for command in ("gradcheck", "explain"):
        text = " ".join(run_cli(command, "--help").stdout.split())
        assert "runs the file's code" in text or "RUNNING that file's code" in text
    help_text = " ".join(run_cli("gradcheck", "--help").stdout.split())
    assert "Exits with 1 when a gradient does not match" in help_text
