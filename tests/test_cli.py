"""The command line, as a user meets it: defaults, every option, every mistake."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from _running import ctrl_c_once_running

RUN_FILES = {"config.toml", "history.csv", "metrics.json", "loss_curve.png"}


def only_run(workdir: Path) -> Path:
    runs = list((workdir / "runs").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def history_rows(path: Path) -> list[dict[str, str]]:
    with open(path / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row.pop("seconds")
    return rows


def test_train_with_no_options(run_cli, workdir):
    result = run_cli("train")
    assert result.exit_code == 0, result.output
    run = only_run(workdir)
    assert run.name.startswith("linear-mse-sgd-")
    assert RUN_FILES | {"fit.png"} <= {p.name for p in run.iterdir()}
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no temporary files left
    summary = json.loads((run / "metrics.json").read_text())
    assert summary["status"] == "completed" and summary["epochs"] == 200
    assert summary["final"]["r2"] > 0.9 and summary["best"]["epoch"] >= 1
    assert summary["train_seconds"] > 0 and summary["config"]["loss"] == "mse"
    assert len(history_rows(run)) == 200
    assert "Finished: 200 epochs" in result.stdout and "fitted line: y = " in result.stdout
    assert "\x1b[" not in result.output  # piped: no escape codes


@pytest.mark.parametrize(
    ("loss", "dataset_prefix", "plot"),
    [("bce", "moons", "decision_boundary.png"), ("cross_entropy", "blobs", "decision_boundary.png"),
     ("hinge", "moons", "decision_boundary.png")],
)
def test_train_classification_defaults(run_cli, workdir, loss, dataset_prefix, plot):
    result = run_cli("train", "--loss", loss, "--epochs", "50", "--progress", "none")
    assert result.exit_code == 0, result.output
    run = only_run(workdir)
    assert run.name.startswith(f"{dataset_prefix}-{loss}-sgd-")
    assert (run / plot).exists()
    assert "accuracy" in json.loads((run / "metrics.json").read_text())["final"]


def test_every_option(run_cli, workdir, tmp_path):
    config = tmp_path / "base.toml"
    config.write_text('loss = "mae"\nepochs = 999\n')
    result = run_cli(
        "train", "--loss", "mse", "--dataset", "outliers(n_samples=120)", "--model", "linear",
        "--optimizer", "sgd(momentum=0.9)", "--lr", "0.05", "--epochs", "30", "--batch-size", "16",
        "--seed", "7", "--val-split", "0.25", "--l2", "0.01", "--out", "myrun", "--config", str(config),
        "--progress", "plain", "--json", "--no-plot",
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    cfg = summary["config"]
    assert cfg["loss"] == "mse" and cfg["epochs"] == 30 and cfg["batch_size"] == 16
    assert cfg["dataset"].startswith("outliers(n_samples=120") and cfg["seed"] == 7
    assert cfg["optimizer"].startswith("sgd(momentum=0.9") and cfg["lr"] == 0.05
    assert cfg["val_split"] == 0.25 and cfg["l2"] == 0.01 and cfg["model"] == "linear"
    assert {p.name for p in (workdir / "myrun").iterdir()} == {"config.toml", "history.csv", "metrics.json"}
    assert summary["files"] == ["config.toml", "history.csv", "metrics.json"]
    assert "epoch 30/30" in result.stderr  # plain progress on stderr
    assert json.loads((workdir / "myrun" / "metrics.json").read_text()) == summary


def test_json_output_parses_and_stdout_is_only_json(run_cli):
    result = run_cli("train", "--epochs", "5", "--json", "--no-plot")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed" and summary["epochs"] == 5
    assert set(summary) >= {"status", "epochs", "train_seconds", "final", "best", "config"}


def test_same_seed_gives_identical_history_and_config_reproduces(run_cli, workdir):
    args = ("train", "--loss", "bce", "--epochs", "25", "--batch-size", "32", "--seed", "5", "--no-plot")
    assert run_cli(*args, "--out", "a").exit_code == 0
    assert run_cli(*args, "--out", "b").exit_code == 0
    assert history_rows(workdir / "a") == history_rows(workdir / "b")
    again = run_cli("train", "--config", str(workdir / "a" / "config.toml"), "--out", "c", "--no-plot")
    assert again.exit_code == 0, again.output
    assert history_rows(workdir / "c") == history_rows(workdir / "a")
    assert (workdir / "c" / "config.toml").read_text() == (workdir / "a" / "config.toml").read_text()


def test_plain_progress_is_about_twenty_lines(run_cli):
    result = run_cli("train", "--epochs", "1000", "--progress", "plain", "--no-plot")
    lines = [line for line in result.stderr.splitlines() if line.startswith("epoch")]
    assert 19 <= len(lines) <= 22
    assert lines[-1].startswith("epoch 1000/1000")


def test_progress_none_prints_nothing_on_stderr(run_cli):
    result = run_cli("train", "--epochs", "5", "--progress", "none", "--no-plot")
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--loss", "hubber"], "Unknown loss `hubber`"),
        (["--loss", "mse(delta=1)"], "Unknown parameter `delta`"),
        (["--loss", "mse("], "Cannot read loss spec"),
        (["--dataset", "moon"], "Did you mean `moons`?"),
        (["--dataset", "moons(noise=-1)"], "noise"),
        (["--dataset", "moons(n_samples=2.5)"], "`n_samples` must be a whole number"),
        (["--optimizer", "adamm"], "Unknown optimizer `adamm`"),
        (["--optimizer", "sgd(momentun=0.9)"], "Did you mean `momentum`?"),
        (["--optimizer", "sgd(lr=0.3)"], "Give the learning rate with --lr"),
        (["--model", "lineer"], "Unknown model `lineer`"),
        (["--lr", "-1"], "--lr must be a positive finite number"),
        (["--lr", "nan"], "--lr must be a positive finite number"),
        (["--lr", "inf"], "--lr must be a positive finite number"),
        (["--lr", "fast"], "Invalid value for '--lr'"),
        (["--epochs", "0"], "--epochs must be at least 1"),
        (["--epochs", "many"], "Invalid value for '--epochs'"),
        (["--seed", "-1"], "--seed must be 0 or more"),
        (["--val-split", "1"], "--val-split must be in [0, 1)"),
        (["--val-split", "-0.5"], "--val-split must be in [0, 1)"),
        (["--batch-size", "0"], "--batch-size must be a positive whole number or 'full'"),
        (["--l2", "-1"], "--l2 must be 0 or a positive finite number"),
        (["--progress", "fancy"], "--progress must be one of"),
        (["--config", "missing.toml"], "Config file not found: missing.toml"),
        (["--loss", "cross_entropy", "--dataset", "linear"], "Loss `cross_entropy` is for multiclass"),
        (["--loss", "mse", "--dataset", "moons"], "Losses for binary:"),
        (["--loss", "hinge", "--dataset", "blobs"], "Losses for multiclass:"),
        (["--bogus"], "No such option: --bogus"),
    ],
)
def test_user_mistakes_are_one_line_exit_2_and_leave_nothing(run_cli, workdir, args, fragment):
    result = run_cli("train", *args)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert not (workdir / "runs").exists()


def test_bad_config_file_is_one_line(run_cli, workdir):
    (workdir / "bad.toml").write_text('loss = "mse"\nlearning_rate = 0.1\n')
    result = run_cli("train", "--config", "bad.toml")
    assert result.exit_code == 2
    assert "Unknown key `learning_rate` in bad.toml" in result.stderr
    (workdir / "typed.toml").write_text('epochs = "ten"\n')
    result = run_cli("train", "--config", "typed.toml")
    assert result.exit_code == 2 and "`epochs` in typed.toml must be a whole number" in result.stderr
    assert not (workdir / "runs").exists()


def test_out_that_is_a_file_or_an_existing_run(run_cli, workdir):
    (workdir / "taken").write_text("x")
    result = run_cli("train", "--out", "taken")
    assert result.exit_code == 2 and "is an existing file" in result.stderr
    assert run_cli("train", "--out", "run1", "--epochs", "3", "--no-plot").exit_code == 0
    before = sorted(p.name for p in (workdir / "run1").iterdir())
    result = run_cli("train", "--out", "run1", "--epochs", "3")
    assert result.exit_code == 2 and "never overwrites a run" in result.stderr
    assert sorted(p.name for p in (workdir / "run1").iterdir()) == before


def test_default_run_folders_never_collide(run_cli, workdir):
    for _ in range(2):
        assert run_cli("train", "--epochs", "2", "--no-plot", "--progress", "none").exit_code == 0
    assert len(list((workdir / "runs").iterdir())) == 2


def test_divergence_exit_3_keeps_history_and_plots(run_cli, workdir):
    result = run_cli("train", "--lr", "10", "--out", "boom")
    assert result.exit_code == 3, result.output
    assert "Training diverged at epoch" in result.stderr and "try --lr 0.5" in result.stderr
    summary = json.loads((workdir / "boom" / "metrics.json").read_text())
    assert summary["status"] == "diverged" and summary["epochs"] < 200
    assert len(history_rows(workdir / "boom")) == summary["epochs"]
    assert (workdir / "boom" / "loss_curve.png").exists() and (workdir / "boom" / "fit.png").exists()


def test_version_and_help(run_cli):
    from lossfit import __version__

    result = run_cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"lossfit {__version__}"
    result = run_cli("train", "--help")
    assert result.exit_code == 0
    for option in ("--loss", "--dataset", "--model", "--optimizer", "--lr", "--epochs", "--batch-size", "--seed",
                   "--val-split", "--l2", "--out", "--config", "--progress", "--json", "--no-plot"):
        assert option in result.stdout
    assert "Exit codes" in result.stdout


def _run(args, **kwargs):
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "lossfit", *args], capture_output=True, text=True, env=env,
                          timeout=60, **kwargs)


def test_help_imports_neither_numpy_nor_matplotlib():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "lossfit", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "numpy" not in imported and "matplotlib" not in imported
    assert "lossfit" in imported


def test_ctrl_c_stops_after_the_epoch_and_keeps_everything(tmp_path):
    returncode, _, stderr = ctrl_c_once_running(
        "train", "--epochs", "100000000", "--progress", "plain", "--out", str(tmp_path / "stopped"),
        header="lossfit ")  # the header: training has started
    assert returncode == 130, stderr
    summary = json.loads((tmp_path / "stopped" / "metrics.json").read_text())
    assert summary["status"] == "interrupted" and summary["epochs"] >= 1
    assert len(history_rows(tmp_path / "stopped")) == summary["epochs"]
    assert "Traceback" not in stderr


def test_python_dash_m_and_piped_output_has_no_escape_codes(tmp_path):
    result = _run(["train", "--epochs", "10", "--out", str(tmp_path / "r")])
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout + result.stderr
    assert "Finished: 10 epochs" in result.stdout


def test_out_that_cannot_be_created_is_one_line(run_cli, workdir):
    (workdir / "afile").write_text("x")
    result = run_cli("train", "--out", "afile/run", "--epochs", "2")
    assert result.exit_code == 2, result.output
    assert "--out afile/run: afile is a file, not a folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--loss", "cross_entropy(class_weight=(1.0, 2.0, 3.0))", "--class-weight", "1,2,3"], "Give class weights once"),
        (["--loss", "bce(pos_weight=3.0)", "--class-weight", "balanced"], "Give class weights once"),
        (["--optimizer", "gd", "--batch-size", "16"], "`gd` is gradient descent over the full batch"),
        (["--schedule", "one_cycle(total_steps=5)", "--epochs", "10"], "shorter than --epochs 10"),
    ],
)
def test_conflicting_options_are_refused_up_front(run_cli, workdir, args, fragment):
    result = run_cli("train", *args)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (workdir / "runs").exists()


def test_options_override_booleans_from_a_config(run_cli, workdir):
    (workdir / "quiet.toml").write_text("plot = false\nstandardize = false\nepochs = 3\n")
    assert run_cli("train", "--config", "quiet.toml", "--plot", "--standardize", "--out", "r").exit_code == 0
    assert (workdir / "r" / "loss_curve.png").exists()
    assert json.loads((workdir / "r" / "metrics.json").read_text())["config"]["standardize"] is True


def test_dataset_alone_picks_the_loss(run_cli, workdir):
    result = run_cli("train", "--dataset", "blobs", "--epochs", "3", "--json", "--no-plot")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["config"]["loss"].startswith("cross_entropy(")
