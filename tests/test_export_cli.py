"""`lossfit export` and `lossfit rerun`: a saved run folder as a config or a script, and replayed to the same numbers."""

from __future__ import annotations

import csv
import importlib
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lossfit.cli import app
from lossfit.errors import ExitCode
from lossfit.rerun import Difference, compare_histories, count_epochs

QUICK = ("--progress", "none", "--no-plot")
ADAM = ("--dataset", "moons", "--optimizer", "adam", "--lr", "0.02", "--batch-size", "16",
        "--schedule", "cosine(T_max=40)", "--epochs", "40")


def _train(run_cli, out: str, *extra: str, epochs: str = "30") -> Path:
    result = run_cli("train", "--out", out, "--epochs", epochs, *QUICK, *extra)
    assert result.exit_code in (0, ExitCode.DIVERGED), result.output
    return Path(out)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _one_error_line(result) -> str:
    assert result.exit_code == ExitCode.USAGE, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


# --- export --to config -------------------------------------------------------------------------------

def test_export_config_prints_config_toml(run_cli):
    run = _train(run_cli, "r")
    result = run_cli("export", "r", "--to", "config")
    assert result.exit_code == 0, result.output
    assert result.stdout == (run / "config.toml").read_text()
    assert result.stderr == ""


def test_export_config_to_a_file_is_a_copy(run_cli, tmp_path):
    run = _train(run_cli, "r")
    result = run_cli("export", "r", "--to", "config", "--out", "c.toml")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c.toml").read_bytes() == (run / "config.toml").read_bytes()
    assert "c.toml" in result.stdout
    assert not list(tmp_path.glob(".*.tmp"))


def test_exported_config_trains_the_same_run(run_cli):
    _train(run_cli, "r", *ADAM)
    assert run_cli("export", "r", "--to", "config", "--out", "c.toml").exit_code == 0
    result = run_cli("train", "--config", "c.toml", "--out", "again", *QUICK)
    assert result.exit_code == 0, result.output
    assert compare_histories(Path("r/history.csv"), Path("again/history.csv")) is None


def test_export_torch_writes_a_script_and_its_data(run_cli, tmp_path):
    _train(run_cli, "r")
    result = run_cli("export", "r", "--to", "torch")
    assert result.exit_code == 0, result.output
    assert "Wrote r_torch.py and r_torch.npz" in result.stdout  # the default name leaves room for --to numpy
    text = (tmp_path / "r_torch.py").read_text()
    assert "import torch" in text and "opt.step()" in text and "--to torch" in text
    assert not list(tmp_path.glob(".*.tmp*"))


def test_export_torch_refuses_what_torch_cannot_run_and_writes_nothing(run_cli, tmp_path):
    _train(run_cli, "r", "--dtype", "float32")
    before = _files(tmp_path)
    line = _one_error_line(run_cli("export", "r", "--to", "torch", "--out", "t.py"))
    assert line.startswith("Error: cannot export a float32 run to torch: ")
    assert _files(tmp_path) == before


def _needs_the_numpy_exporter() -> None:
    """Skip unless the library function behind --to numpy exists (another part of issue 13)."""
    from lossfit.commands.export import EXPORTERS

    for name in EXPORTERS:
        module = _try_import(name)
        if module is not None and callable(getattr(module, "export_numpy", None)):
            return
    pytest.skip("no export_numpy in " + " or ".join(EXPORTERS))


def _try_import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def test_export_numpy_writes_a_script_and_its_weights(run_cli, tmp_path):
    _needs_the_numpy_exporter()
    _train(run_cli, "r")
    result = run_cli("export", "r", "--to", "numpy")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.py").is_file()  # the default: <run folder name>.py in the current folder
    assert (tmp_path / "r.npz").is_file()
    assert "Wrote r.py and r.npz" in result.stdout
    again = run_cli("export", "r", "--to", "numpy")  # never overwritten
    assert "already exists" in _one_error_line(again)


def test_export_numpy_calls_the_exporter_with_the_run_and_the_script(run_cli, tmp_path, monkeypatch):
    """The command's side of the contract, with a stand-in for lossfit.export_numpy."""
    import sys
    import types

    from lossfit.errors import ConfigError

    calls = []

    def export_numpy(run_dir: Path, script: Path) -> list[Path]:
        calls.append((run_dir, script))
        if script.name == "refused.py":
            raise ConfigError(f"{run_dir}: this model cannot be exported yet.")
        script.write_text("import numpy as np\n")
        script.with_suffix(".npz").write_bytes(b"npz")
        return [script, script.with_suffix(".npz")]

    monkeypatch.setitem(sys.modules, "lossfit.export_numpy", types.SimpleNamespace(export_numpy=export_numpy))
    _train(run_cli, "r", epochs="3")
    result = run_cli("export", "r", "--to", "numpy")
    assert result.exit_code == 0, result.output
    assert calls == [(Path("r"), Path("r.py"))]
    assert "Wrote r.py and r.npz" in result.stdout
    result = run_cli("export", "r", "--to", "numpy", "--out", "fit.py")
    assert result.exit_code == 0 and calls[-1] == (Path("r"), Path("fit.py"))
    before = _files(tmp_path)
    for out, fragment in [("r.py", "--out r.py already exists"), ("refused.py", "r: this model cannot be exported"),
                          ("fit.txt", "--out fit.txt: expected a file name ending in .py")]:
        assert fragment in _one_error_line(run_cli("export", "r", "--to", "numpy", "--out", out))
    assert _files(tmp_path) == before
    (tmp_path / "other.npz").write_bytes(b"x")
    assert "other.npz already exists" in _one_error_line(run_cli("export", "r", "--to", "numpy", "--out", "other.py"))


# --- rerun: identical -----------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [(), ADAM, ("--dtype", "float32", "--early-stopping", "3", "--epochs", "60")],
                         ids=["full-batch-gd", "adam-minibatch-cosine", "float32-early-stopping"])
def test_rerun_of_a_fresh_run_is_identical(run_cli, options):
    run = _train(run_cli, "r", *options)
    epochs = count_epochs(run / "history.csv")
    result = run_cli("rerun", "r", "--out", "again", *QUICK)
    assert result.exit_code == 0, result.output
    assert f"identical: {epochs} epochs, every column equal" in result.stdout
    assert "Run folder: again/" in result.stdout  # train's own summary comes first
    assert (Path("again") / "history.csv").is_file()
    assert (Path("again") / "config.toml").read_text() == (run / "config.toml").read_text()


def test_rerun_without_out_writes_a_fresh_runs_folder(run_cli, tmp_path):
    _train(run_cli, "r", epochs="5")
    result = run_cli("rerun", "r", *QUICK)
    assert result.exit_code == 0, result.output
    (made,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"linear-mse-sgd-\d{8}-\d{6}", made.name)
    assert (made / "history.csv").is_file() and (made / "metrics.json").is_file()
    assert "identical: 5 epochs" in result.stdout


def test_rerun_json_is_the_summary_with_a_verdict(run_cli):
    _train(run_cli, "r", epochs="8")
    result = run_cli("rerun", "r", "--out", "again", "--json", *QUICK)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)  # stdout holds the JSON only
    assert summary["rerun"] == {"of": "r", "identical": True, "epochs": 8, "difference": None}
    assert summary["status"] == "completed" and summary["epochs"] == 8


def test_rerun_of_a_diverged_run_diverges_identically(run_cli):
    _train(run_cli, "r", "--lr", "100", epochs="50")
    result = run_cli("rerun", "r", "--out", "again", *QUICK)
    assert result.exit_code == 0, result.output
    assert "Diverged" in result.stdout and "identical:" in result.stdout


# --- rerun: a history edited by hand --------------------------------------------------------------------

def test_rerun_names_the_first_edited_epoch_and_column(run_cli):
    run = _train(run_cli, "r", *ADAM)
    rows = _rows(run / "history.csv")
    column = rows[0].index("val_loss")
    original = rows[7][column]  # epoch 7
    rows[7][column] = "0.125"
    rows[9][1] = "9.5"  # a later difference is not the first one
    _write_rows(run / "history.csv", rows)
    result = run_cli("rerun", "r", "--out", "again", *QUICK)
    assert result.exit_code == ExitCode.DIFFERENT == 4, result.output
    assert f"different: epoch 7, column val_loss: saved 0.125, new {original}" in result.stdout


def test_rerun_json_reports_the_difference(run_cli):
    run = _train(run_cli, "r", epochs="10")
    rows = _rows(run / "history.csv")
    rows[3][rows[0].index("lr")] = "0.2"
    _write_rows(run / "history.csv", rows)
    result = run_cli("rerun", "r", "--out", "again", "--json", *QUICK)
    assert result.exit_code == 4, result.output
    difference = json.loads(result.stdout)["rerun"]["difference"]
    assert {k: difference[k] for k in ("kind", "epoch", "column", "saved", "new")} == \
        {"kind": "value", "epoch": 3, "column": "lr", "saved": "0.2", "new": "0.1"}


def test_rerun_notices_a_shorter_history(run_cli):
    run = _train(run_cli, "r", epochs="10")
    _write_rows(run / "history.csv", _rows(run / "history.csv")[:7])  # header + 6 epochs
    result = run_cli("rerun", "r", "--out", "again", *QUICK)
    assert result.exit_code == 4, result.output
    assert "different: epoch 7 is only in the new history" in result.stdout


def test_rerun_ignores_seconds(run_cli):
    run = _train(run_cli, "r", epochs="10")
    rows = _rows(run / "history.csv")
    for row in rows[1:]:
        row[-1] = "123.0"
    _write_rows(run / "history.csv", rows)
    result = run_cli("rerun", "r", "--out", "again", *QUICK)
    assert result.exit_code == 0, result.output


# --- compare_histories on its own -----------------------------------------------------------------------

def _history(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_compare_histories(tmp_path):
    header = "epoch,train_loss,val_loss,lr,seconds\n"
    a = _history(tmp_path / "a.csv", header + "1,0.5,nan,0.1,0.01\n2,0.25,nan,0.1,0.02\n")
    same = _history(tmp_path / "b.csv", header + "1,0.50,nan,0.1,9\n2,0.25,nan,1e-1,9\n")
    assert compare_histories(a, same) is None  # numbers compare as numbers; seconds not at all
    other = _history(tmp_path / "c.csv", header + "1,0.5,nan,0.1,0\n2,0.26,nan,0.1,0\n")
    assert compare_histories(a, other) == Difference(2, "train_loss", "0.25", "0.26", "value")
    columns = _history(tmp_path / "d.csv", "epoch,train_loss,lr,seconds\n1,0.5,0.1,0\n")
    difference = compare_histories(a, columns)
    assert difference is not None and difference.kind == "columns"
    longer = _history(tmp_path / "e.csv", header + "1,0.5,nan,0.1,0\n2,0.25,nan,0.1,0\n3,0.1,nan,0.1,0\n")
    assert compare_histories(a, longer) == Difference(3, None, None, "row", "length")
    assert count_epochs(longer) == 3 and count_epochs(_history(tmp_path / "f.csv", header)) == 0


# --- bad input: one line, exit 2, nothing written ------------------------------------------------------

def _edit_config(run: Path, key: str, value: str) -> None:
    path = run / "config.toml"
    lines = [f"{key} = {value}" if line.startswith(f"{key} =") else line for line in path.read_text().splitlines()]
    if not any(line.startswith(f"{key} =") for line in path.read_text().splitlines()):
        lines.append(f"{key} = {value}")
    path.write_text("\n".join(lines) + "\n")


BAD_CONFIGS = [
    ("loss", '"hubber"', ["config.toml", "Unknown loss `hubber`", "Did you mean `huber`?"]),
    ("lr", "-1.0", ["`lr` in", "config.toml", "positive"]),
    ("lr", '"fast"', ["`lr` in", "config.toml", "must be a number"]),
    ("foo", "1", ["Unknown key `foo` in", "config.toml"]),
    ("loss", '"bce"', ["config.toml", "Loss `bce` is for binary"]),
    ("optimizer", '"adam(betaz=1)"', ["config.toml", "`betaz`", "`betas`"]),
]


@pytest.mark.parametrize("command", [("rerun",), ("export", "--to", "config"), ("export", "--to", "numpy")])
@pytest.mark.parametrize(("key", "value", "fragments"), BAD_CONFIGS,
                         ids=["unknown-loss", "negative-lr", "text-lr", "unknown-key", "wrong-task", "bad-param"])
def test_an_edited_invalid_config_is_one_line(run_cli, tmp_path, command, key, value, fragments):
    run = _train(run_cli, "r", epochs="3")
    _edit_config(run, key, value)
    before = _files(tmp_path)
    line = _one_error_line(run_cli(command[0], "r", *command[1:]))
    for fragment in fragments:
        assert fragment in line
    assert "r/config.toml" in line
    assert _files(tmp_path) == before and not (tmp_path / "runs").exists()


@pytest.fixture
def run_and_friends(run_cli, tmp_path):
    _train(run_cli, "r", epochs="3")
    (tmp_path / "empty").mkdir()
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.toml").write_text((tmp_path / "r" / "config.toml").read_text())
    (tmp_path / "taken.toml").write_text("x = 1\n")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x\n")
    return tmp_path


BAD_INPUTS = [
    (("rerun", "missing"), "missing does not exist; expected a run folder"),
    (("rerun", "empty"), "empty is not a run folder: it has no config.toml and no history.csv"),
    (("rerun", "half"), "half is not a run folder: it has no history.csv"),
    (("rerun", "r/config.toml"), "r/config.toml is a file, not a folder"),
    (("rerun", "r", "--out", "taken"), "--out taken already exists"),
    (("rerun", "r", "--out", "r"), "--out r already exists"),
    (("rerun", "r", "--out", "taken.toml"), "--out taken.toml is an existing file"),
    (("rerun", "r", "--progress", "fancy"), "--progress must be one of"),
    (("export", "missing", "--to", "config"), "missing does not exist"),
    (("export", "empty", "--to", "config"), "empty is not a run folder"),
    (("export", "r", "--to", "pytorch"), "--to `pytorch` is not an export target; expected one of: numpy, torch, config."),
    (("export", "r", "--to", "config", "--out", "taken.toml"), "--out taken.toml already exists; lossfit never overwrites"),
    (("export", "r", "--to", "config", "--out", "nowhere/c.toml"), "the folder nowhere does not exist"),
    (("export", "r", "--to", "config", "--out", "taken"), "--out taken is a folder"),
    (("export", "r", "--to", "numpy", "--out", "taken.toml"), "expected a file name ending in .py"),
    (("export", "r", "--to", "torch", "--out", "taken.toml"), "expected a file name ending in .py"),
    (("export", "r"), "Missing option '--to'"),
]


@pytest.mark.parametrize(("args", "fragment"), BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_and_writes_nothing(run_cli, run_and_friends, args, fragment):
    before = _files(run_and_friends)
    dirs = sorted(p for p in run_and_friends.rglob("*") if p.is_dir())
    line = _one_error_line(run_cli(*args[:2], *(QUICK if args[0] == "rerun" else ()), *args[2:]))
    assert fragment in line
    assert _files(run_and_friends) == before
    assert sorted(p for p in run_and_friends.rglob("*") if p.is_dir()) == dirs


def test_help_fits_80_columns():
    for command in ("export", "rerun"):
        result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "80", "NO_COLOR": "1"})
        assert result.exit_code == 0, result.output
        assert max(len(line) for line in result.stdout.splitlines()) <= 80
        assert "Exit codes" in result.stdout
    rerun = CliRunner().invoke(app, ["rerun", "--help"], env={"COLUMNS": "80"}).stdout
    assert "4 the history differs" in rerun


def test_a_config_refused_by_train_itself_leaves_no_runs_folder(run_cli, tmp_path):
    run = _train(run_cli, "r", epochs="3")
    _edit_config(run, "dataset", '"moved.csv"')  # found missing only when train loads the data
    before = _files(tmp_path)
    line = _one_error_line(run_cli("rerun", "r", *QUICK))
    assert line.startswith("Error: r/config.toml: ") and "moved.csv" in line
    assert _files(tmp_path) == before and not (tmp_path / "runs").exists()
