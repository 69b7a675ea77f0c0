"""Streams (issue 10, item 7, ASCII fallback) and the files plots go to (bad --plot paths).

A stream that cannot encode lossfit's glyphs (`PYTHONIOENCODING=ascii`, a latin-1 log)
gets ASCII stand-ins instead of a UnicodeEncodeError; a plot that cannot be written
is one line naming the path and the reason, exit 2, with no temporary file left.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.table import Table
from rich.text import Text
from typer.testing import CliRunner

from lossfit import display
from lossfit.cli import app
from lossfit.sinks import RunInfo

ENV = {"NO_COLOR": "1", "COLUMNS": "80", "TERM": "dumb"}


def ascii_run(*args: str):
    return CliRunner(charset="ascii").invoke(app, list(args), env=ENV)


# ------------------------------------------------------------------ whole commands, as a user runs them
def test_commands_under_pythonioencoding_ascii(tmp_path):
    """The issue's commands, in parallel subprocesses: exit 0, ASCII output, no traceback."""
    env = {**os.environ, **ENV, "PYTHONIOENCODING": "ascii", "MPLBACKEND": "Agg"}
    commands = [["losses"], ["explain", "huber"], ["datasets"],
                ["train", "--epochs", "3", "--no-plot", "--out", str(tmp_path / "run"), "--progress", "plain"]]
    running = [subprocess.Popen([sys.executable, "-m", "lossfit", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=tmp_path) for args in commands]
    for args, process in zip(commands, running):
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, (args, stderr.decode(errors="replace"))
        assert b"Traceback" not in stderr and b"UnicodeEncodeError" not in stderr, args
        (stdout + stderr).decode("ascii")  # every byte is ASCII
        if args[0] == "train":
            assert b"R^2 " in stdout and b" | " in stdout and b"y = " in stdout  # R², the · separators, 2·x
        if args[0] == "losses":
            assert b"Cinf" in stdout and b"{0,1}|+-1" in stdout


@pytest.mark.parametrize("args", [
    ("losses",), ("optimizers",), ("datasets",), ("explain", "huber"), ("explain", "focal"), ("explain", "adam"),
    ("explain", "momentum"), ("explain", "cosine"), ("gradcheck", "huber"), ("datasets", "show", "iris", "--no-plot"),
    ("losses", "--task", "ranking"),
])
def test_every_listing_survives_an_ascii_stream(args):
    result = ascii_run(*args)
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    result.stdout_bytes.decode("ascii")
    result.stderr_bytes.decode("ascii")


@pytest.mark.parametrize("progress", ["plain", "rich"])
def test_train_and_compare_survive_an_ascii_stream(tmp_path, progress):
    for command in (["train", "--dataset", "iris"], ["compare", "--loss", "mse,mae"]):
        result = ascii_run(*command, "--epochs", "3", "--no-plot", "--out", str(tmp_path / f"{command[0]}-{progress}"),
                           "--progress", progress)
        assert result.exit_code == 0, (command, result.output, repr(result.exception))
        result.stdout_bytes.decode("ascii")
        result.stderr_bytes.decode("ascii")


# ------------------------------------------------------------------ the pieces
def test_the_stand_ins():
    glyphs = "train 0.1 · val 0.2  R² 0.93  y = 2·x  ▁▂▃▄▅▆▇█  a…  ━━  – ±1 C∞ ≥0 σ(2f) θ ← θ - γ m̂"
    assert display.to_encoding(glyphs, "ascii") == (
        "train 0.1 | val 0.2  R^2 0.93  y = 2*x   .:-=+*#  a...  --  - +-1 Cinf >=0 sigma(2f) theta <- theta - gamma m^")
    assert display.to_encoding(glyphs, "utf-8") == glyphs  # a stream that can write them keeps them
    assert display.to_encoding("R² · 5", "latin-1") == "R² · 5"  # latin-1 has these two
    assert display.to_encoding("a…b⠑⣿⠀", "latin-1") == "a...b':" + " "  # braille cells become ' . :


def test_tables_stay_aligned_in_ascii():
    """Stand-ins are put in before rich lays the table out, so `…` -> `...` does not shift columns."""
    table = Table("name", "trend", "R²")
    table.add_row("a…", Text("▁▄█", style="cyan"), "0.5")
    table.add_row("bbbbbb", "▁▁", "0.25")
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    console = display.make_console(stream, width=40)
    console.print(table)
    stream.flush()
    lines = stream.buffer.getvalue().decode("ascii").splitlines()  # type: ignore[attr-defined]
    assert {len(line) for line in lines} == {len(lines[0])}
    assert "R^2" in lines[1] and "a..." in lines[3] and " -#" in lines[3] and "+--" in lines[0]  # rich's ASCII box


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["ascii", "latin-1", "cp1252", "utf-8"]))
def test_a_safe_stream_never_raises(text, encoding):
    stream = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    safe = display.SafeStream(stream)
    safe.write(text)
    safe.flush()
    console = display.make_console(stream, stderr=True, width=60)
    console.print(Text(text))
    display.Terminal(console, console).error(text)


def test_the_live_views_translate_their_frames():
    console = display.make_console(io.TextIOWrapper(io.BytesIO(), encoding="ascii"), width=80)
    frame = display.for_console(display.render_table(
        RunInfo(title="mse · linear", task="regression", main_metric="r2", epochs=3, n_train=8, n_val=2,
                        config={}), []), console)
    text = Text()
    for part in frame.renderables:  # type: ignore[attr-defined]
        if isinstance(part, Text):
            text.append(part)
    assert "R^2" in text.plain and "mse | linear" in text.plain


# ------------------------------------------------------------------ bad --plot paths
def no_temporary_files(folder) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("command", [("explain", "huber"), ("datasets", "show", "moons")])
def test_a_plot_under_a_file_is_one_line(run_cli, tmp_path, command):
    (tmp_path / "afile.txt").write_text("x")
    result = run_cli(*command, "--plot", "afile.txt/x.png")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip() == "Error: --plot afile.txt/x.png: afile.txt is a file, not a folder; pick another path."


@pytest.mark.parametrize("command", [("explain", "huber"), ("datasets", "show", "moons")])
def test_a_read_only_folder_is_one_line(run_cli, tmp_path, monkeypatch, command):
    (tmp_path / "ro").mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path).endswith("ro") else real(path, mode))
    result = run_cli(*command, "--plot", "ro/x.png")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip() == ("Error: --plot ro/x.png: cannot write in folder ro (permission denied); "
                                     "pick a folder you can write to.")


@pytest.mark.parametrize("command", [("explain", "huber"), ("datasets", "show", "moons")])
@pytest.mark.parametrize("errno, reason", [(13, "Permission denied"), (28, "No space left on device")])
def test_a_failed_write_is_one_line_and_leaves_no_temporary_file(run_cli, tmp_path, monkeypatch, command, errno,
                                                                  reason):
    """Root can write anywhere and a disk may fill up: the save itself fails, after the checks passed."""
    from matplotlib.figure import Figure

    def failing_savefig(self, fname, *args, **kwargs):
        with open(fname, "wb") as handle:  # half written, then the disk says no
            handle.write(b"\x89PNG")
        raise OSError(errno, reason, str(fname))

    monkeypatch.setattr(Figure, "savefig", failing_savefig)
    (tmp_path / "out").mkdir()
    result = run_cli(*command, "--plot", "out/x.png")
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: Cannot write out/x.png: {reason}"), lines
    assert "--plot" in lines[0]
    assert list((tmp_path / "out").iterdir()) == [] and no_temporary_files(tmp_path)


def test_a_plot_name_too_long_is_one_line(run_cli):
    for command in (("explain", "huber"), ("datasets", "show", "moons")):
        result = run_cli(*command, "--plot", "x" * 300 + ".png")
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert result.stderr.count("\n") == 1 and "File name too long" in result.stderr
