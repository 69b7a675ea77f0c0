"""A run ends well whatever happens around it: signals, a full disk, a failing plot, a closed pipe,
a custom loss that exits, a very long run. Each test names the situation it recreates."""

from __future__ import annotations

import errno
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _running import signal_running
from lossfit import api, runs
from lossfit.config import build_config
from lossfit.diagnostics import diagnose
from lossfit.errors import ConfigError, WriteError
from lossfit.record_log import RecordLog
from lossfit.stopping import Stop
from lossfit.training import EpochRecord

LONG_EPOCH = ("train", "--dataset", "moons(n_samples=100000)", "--loss", "bce", "--optimizer", "sgd",
              "--batch-size", "1", "--epochs", "3", "--progress", "plain")


def metrics_of(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text())


# ----------------------------------------------------------------------------- signals
@pytest.mark.parametrize(("signum", "code", "status"), [
    (signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated"), (signal.SIGHUP, 129, "terminated"),
])
def test_a_signal_stops_a_long_epoch_at_the_next_batch_and_keeps_metrics(tmp_path, signum, code, status):
    out = tmp_path / "run"
    start = time.monotonic()
    returncode, _, stderr = signal_running(*LONG_EPOCH, "--out", str(out), "--no-plot", header="lossfit ",
                                           signals=(signum,), wait_for_epoch=False)
    assert returncode == code, stderr
    assert time.monotonic() - start < 20  # one epoch of 80,000 batches alone takes several seconds
    assert "stopping after this batch" in stderr and "Traceback" not in stderr
    summary = metrics_of(out)
    assert summary["status"] == status
    assert "in epoch 1 of 3, after" in summary["message"] and "batches" in summary["message"]
    assert summary["final"]["epoch"] == 0 and math.isfinite(summary["final"]["train_loss"])
    assert (out / "history.csv").read_text() == ""  # no epoch finished: no row, not even half a one


def test_the_first_signal_still_draws_the_plots(tmp_path):
    out = tmp_path / "run"
    returncode, _, stderr = signal_running("train", "--epochs", "100000000", "--progress", "plain", "--out",
                                           str(out), header="lossfit ", signals=(signal.SIGINT,))
    assert returncode == 130, stderr
    assert {"loss_curve.png", "fit.png"} <= set(metrics_of(out)["files"])
    assert (out / "fit.png").exists()


@pytest.mark.parametrize(("signum", "code", "status"), [
    (signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_a_second_signal_skips_the_plots_but_keeps_metrics_json(tmp_path, signum, code, status):
    out = tmp_path / "run"
    returncode, _, stderr = signal_running("train", "--epochs", "100000000", "--progress", "plain", "--out",
                                           str(out), header="lossfit ", signals=(signum, signum))
    assert returncode == code, stderr
    assert "skipping the plots" in stderr and "Traceback" not in stderr
    summary = metrics_of(out)
    assert summary["status"] == status and summary["epochs"] >= 1
    assert not list(out.glob("*.png")) and not list(out.glob(".*"))
    assert len((out / "history.csv").read_text().splitlines()) == summary["epochs"] + 1


def test_a_second_signal_while_drawing_stops_the_drawing():
    stop = Stop()
    drawn = []
    stop.request("SIGINT")
    with stop.plotting() as drawing:
        assert drawing
        drawn.append("loss_curve.png")
        stop.request("SIGINT")  # what the handler does when the second Ctrl-C lands here
        drawn.append("fit.png")  # never reached
    assert drawn == ["loss_curve.png"] and stop.skip_plots
    with stop.plotting() as drawing:
        assert not drawing


def test_a_signal_outside_drawing_does_not_raise():
    stop = Stop()
    stop.request("SIGTERM")
    stop.request("SIGTERM")
    assert stop() == "terminated" and stop.exit_code == 143 and stop.skip_plots


def test_sigkill_leaves_whole_rows_and_no_half_written_named_file(tmp_path):
    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "lossfit", "train", "--dataset", "moons(n_samples=20000)", "--loss", "bce",
         "--optimizer", "sgd", "--batch-size", "1", "--epochs", "1000", "--progress", "plain", "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        assert process.stderr.readline().startswith("lossfit ")
        assert process.stderr.readline().startswith("epoch    1/")  # epoch 1 has finished
        time.sleep(1.5)
        process.kill()
        process.wait(timeout=10)
    finally:
        process.kill()
    text = (out / "history.csv").read_text()
    assert text.endswith("\n")
    rows = text.splitlines()
    assert rows[0].startswith("epoch,") and len(rows) >= 2  # epoch 1 finished 1.5 s before the kill
    assert all(len(row.split(",")) == len(rows[0].split(",")) for row in rows)
    assert "loss" in (out / "config.toml").read_text()


def test_history_rows_reach_the_disk_within_a_second_even_when_the_next_epoch_is_slow(tmp_path):
    history = runs.HistoryFile(tmp_path / "history.csv")
    try:
        history.write("epoch,train_loss\n")
        history.write("1,0.5\n")
        time.sleep(runs.FLUSH_SECONDS + 0.5)  # no further write: only the flusher can have written it
        assert (tmp_path / "history.csv").read_text() == "epoch,train_loss\n1,0.5\n"
    finally:
        history.close()


def test_rows_kept_as_values_come_out_as_one_row_at_a_time_would(tmp_path):
    """write_row formats up to FORMAT_ROWS rows in one go: the text is the same, in order, whole rows only."""
    row_format = "%d,%r,%r\n"
    count = 2 * runs.HistoryFile.FORMAT_ROWS + 5
    rows = [(i, 1.0 / (i + 1), math.nan if i % 7 == 0 else -i * 1e-300) for i in range(count)]
    history = runs.HistoryFile(tmp_path / "history.csv")
    try:
        history.write("epoch,a,b\n")
        history.set_row_format(row_format, 3)
        for i, row in enumerate(rows):
            history.write_row(row)
            if i == runs.HistoryFile.FORMAT_ROWS + 3:  # the first batch is formatted; this one is not yet
                history.flush()
                on_disk = (tmp_path / "history.csv").read_text()
                assert on_disk.count("\n") == i + 2 and on_disk.endswith("\n")
        time.sleep(runs.FLUSH_SECONDS + 0.5)  # the flusher formats and writes the rest
        expected = "epoch,a,b\n" + "".join(row_format % row for row in rows)
        assert (tmp_path / "history.csv").read_text() == expected
    finally:
        history.close()


# ------------------------------------------------------------------------ the training loop
def test_training_stops_inside_an_epoch_and_says_how_far_it_got():
    prepared = api.prepare(build_config(None, {"dataset": "linear(n_samples=100)", "optimizer": "sgd",
                                               "batch_size": "10", "epochs": 5, "val_split": 0.0}))
    calls = []

    def should_stop() -> str:
        calls.append(1)
        return "terminated" if len(calls) > 12 else ""

    runner = api.Runner(prepared, [], should_stop)
    runner.start()
    while runner.advance() is not None:
        pass
    summary = runner.finish()
    # epoch 1: 10 batches, 9 checks inside it and one after it; epoch 2 stops after its 3rd batch
    assert summary.status == "terminated" and summary.epochs == 1 and runner.partial == (2, 3, 10)
    assert "in epoch 2 of 5, after 3 of 10 batches" in summary.message
    # the final figures describe the weights where they stopped, not epoch 1's record
    assert summary.final["train_loss"] != runner.records[-1].train_loss


# ------------------------------------------------------------------------------ records
def record(epoch: int, loss: float, val: float = math.nan) -> EpochRecord:
    return EpochRecord(epoch, loss, val, 0.0, {}, 0.1, 1.0, float(epoch))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 3000), keep=st.integers(4, 64), tail=st.integers(1, 32),
       seed=st.integers(0, 2**32 - 1))
def test_the_record_log_is_bounded_ordered_and_exact_where_it_matters(n, keep, tail, seed):
    rng = np.random.default_rng(seed)
    losses = rng.standard_exponential(n)
    losses[rng.integers(0, n, size=n // 10)] = math.inf
    vals = rng.standard_exponential(n)
    log = RecordLog(keep=keep, tail=tail)
    for epoch in range(1, n + 1):
        log.append(record(epoch, float(losses[epoch - 1]), float(vals[epoch - 1])))
    kept = log.kept()
    epochs = [r.epoch for r in kept]
    assert epochs == sorted(set(epochs)) and epochs[0] == 1 and epochs[-1] == n
    assert len(kept) <= keep + tail and len(log) == n
    assert epochs[-min(tail, n):] == list(range(n - min(tail, n) + 1, n + 1))  # the tail is every epoch
    sample = [e for e in epochs if e < n - tail + 1]
    assert all((e - 1) % log.stride == 0 for e in sample)  # the rest is a uniform sample
    if n <= keep:
        assert epochs == list(range(1, n + 1))
    finite = [(loss, epoch) for epoch, loss in enumerate(losses, 1) if math.isfinite(loss)]
    if finite:
        assert log.best["train_loss"].epoch == min(finite)[1]
    assert log.best["val_loss"].epoch == int(np.argmin(vals)) + 1
    for after in {0, 1, n // 3, n - tail, n - 1, n, n + 5}:  # since() is kept() filtered, found by bisection
        assert log.since(after) == [r for r in kept if r.epoch > after]


def test_a_long_run_keeps_bounded_records_and_the_same_diagnostics():
    prepared = api.prepare(build_config(None, {"dataset": "linear(n_samples=20)", "lr": 0.00005,
                                               "epochs": 6000}))
    runner = api.Runner(prepared, [])
    runner.start()
    every = []
    while (r := runner.advance()) is not None:
        every.append(r)
    summary = runner.finish()
    assert len(every) == 6000 and len(runner.records) < 2048 + 512
    # the window's first epoch is the nearest one the sample kept: the same finding, a close figure
    assert [d.kind for d in diagnose(prepared, every, "completed")] == ["still_improving"]
    assert [d["kind"] for d in summary.diagnostics] == ["still_improving"]
    assert summary.best["epoch"] == min(every, key=lambda r: r.val_loss).epoch


# -------------------------------------------------------------------------- files, disks
def test_two_runs_claiming_one_folder_at_the_same_moment_never_share_it(tmp_path):
    for trial in range(20):
        path = tmp_path / f"out{trial}"
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def claim() -> None:
            barrier.wait()
            try:
                runs.RunFolder(path).claim()
                outcomes.append("claimed")
            except ConfigError as err:
                outcomes.append(str(err))

        threads = [threading.Thread(target=claim) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert "claimed" in outcomes and any("already holds a run" in o for o in outcomes), outcomes


def test_a_full_disk_cuts_history_back_to_whole_rows(tmp_path, monkeypatch):
    history = runs.HistoryFile(tmp_path / "history.csv")
    history.write("epoch,loss\n1,0.5\n")
    history.flush()
    real_write = os.write

    def full_after_three_bytes(fd: int, data: bytes) -> int:
        if fd == history._fd:
            real_write(fd, bytes(data[:3]))  # the kernel wrote a part, then the disk was full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(runs.os, "write", full_after_three_bytes)
    history.write("2,0.25\n")
    history.flush()
    with pytest.raises(WriteError, match="No space left on device.*free some space"):
        history.write("3,0.125\n")
    with pytest.raises(WriteError):
        history.close()
    assert (tmp_path / "history.csv").read_text() == "epoch,loss\n1,0.5\n"


def test_a_failed_atomic_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def refuse(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runs.os, "replace", refuse)
    with pytest.raises(WriteError, match="metrics.json: No space left"):
        runs.write_atomic(tmp_path / "metrics.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_an_out_name_too_long_is_one_line(run_cli, workdir):
    result = run_cli("train", "--epochs", "2", "--out", "x" * 300)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "File name too long" in lines[0] and "Traceback" not in result.output
    assert list(workdir.iterdir()) == []


def test_a_plot_that_fails_is_a_warning_and_metrics_json_is_written(run_cli, workdir, monkeypatch):
    from lossfit.plots import run as run_plots

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("cannot draw this")

    monkeypatch.setattr(run_plots, "fit_plot", broken)
    result = run_cli("train", "--epochs", "3", "--out", "r", "--progress", "none")
    assert result.exit_code == 0, result.output
    assert "Warning: r/fit.png could not be drawn: ValueError: cannot draw this" in result.output
    summary = metrics_of(workdir / "r")
    assert summary["status"] == "completed" and "fit.png" not in summary["files"]
    assert "loss_curve.png" in summary["files"] and not (workdir / "r" / "fit.png").exists()


def test_matplotlib_that_cannot_load_costs_only_the_plots(tmp_path):
    out = tmp_path / "r"
    done = subprocess.run([sys.executable, "-m", "lossfit", "train", "--epochs", "3", "--progress", "none",
                           "--out", str(out)], capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "bogus"})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert metrics_of(out)["status"] == "completed"


def test_nine_classes_get_a_decision_boundary(run_cli, workdir):
    result = run_cli("train", "--dataset", "blobs(centers=9)", "--epochs", "5", "--out", "r", "--progress", "none")
    assert result.exit_code == 0, result.output
    assert "decision_boundary.png" in metrics_of(workdir / "r")["files"]


# ------------------------------------------------------------------------ streams
def test_a_closed_pipe_ends_quietly_with_141():
    process = subprocess.Popen([sys.executable, "-m", "lossfit", "losses"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first line
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert stderr == ""


def test_stdout_that_cannot_be_written_is_one_line(tmp_path):
    with open(os.devnull if not Path("/dev/full").exists() else "/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "lossfit", "train", "--epochs", "2", "--json", "--no-plot",
                               "--progress", "none", "--out", str(tmp_path / "r")], stdout=full,
                              stderr=subprocess.PIPE, text=True)
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "Error: cannot write the output to stdout: No space left on device (errno 28)."]
    assert metrics_of(tmp_path / "r")["status"] == "completed"


CUSTOM = '''
import warnings
import numpy as np


def loud(y_pred, y_true):
    print("hello from the loss")
    warnings.warn("careful with this loss")
    return (y_pred - y_true) ** 2


def loud_grad(y_pred, y_true):
    return 2 * (y_pred - y_true)


def quits(y_pred, y_true):
    raise SystemExit(0)


def quits_grad(y_pred, y_true):
    return 2 * (y_pred - y_true)


def stops(y_pred, y_true):
    raise KeyboardInterrupt


def stops_grad(y_pred, y_true):
    return 2 * (y_pred - y_true)
'''


def test_json_stays_valid_when_a_custom_loss_prints(run_cli, workdir):
    (workdir / "my.py").write_text(CUSTOM)
    result = run_cli("train", "--loss", "my.py:loud", "--epochs", "2", "--json", "--no-plot", "--progress", "none",
                     "--out", "r")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "completed"
    assert "hello from the loss" in result.stderr
    assert result.stderr.count("Note: careful with this loss") == 1


@pytest.mark.parametrize(("name", "what"), [("quits", "SystemExit"), ("stops", "KeyboardInterrupt")])
def test_a_custom_loss_never_chooses_the_exit_code(run_cli, workdir, name, what):
    (workdir / "my.py").write_text(CUSTOM)
    result = run_cli("train", "--loss", f"my.py:{name}", "--epochs", "2", "--no-plot", "--progress", "none",
                     "--out", "r")
    assert result.exit_code == 2, result.output
    assert f"raised {what}" in result.output and "Traceback" not in result.output


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 KB filesystem (a tmpfs), where this machine lets the tests mount one."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    except FileNotFoundError:
        pytest.skip("no mount command here")
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", str(mount)], capture_output=True)


def test_a_disk_that_fills_up_is_one_line_and_leaves_only_whole_files(run_cli, tiny_disk):
    result = run_cli("train", "--epochs", "20000", "--progress", "none", "--out", str(tiny_disk / "r"))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0] and "free some space" in lines[0]
    history = (tiny_disk / "r" / "history.csv").read_text()
    assert history == "" or history.endswith("\n")
    assert not [p.name for p in (tiny_disk / "r").iterdir() if p.name.startswith(".")]  # no temporary file left


def test_plots_that_do_not_fit_on_the_disk_are_warnings(run_cli, tiny_disk):
    result = run_cli("train", "--dataset", "blobs(centers=9)", "--epochs", "200", "--progress", "none",
                     "--out", str(tiny_disk / "r"))
    assert result.exit_code == 0, result.output
    assert "could not be drawn: No space left on device (errno 28)" in result.output
    summary = metrics_of(tiny_disk / "r")
    assert summary["status"] == "completed" and "history.csv" in summary["files"]
    assert not [p.name for p in (tiny_disk / "r").iterdir() if p.name.startswith(".")]


def test_one_cycle_over_a_single_epoch_names_the_epochs_not_total_steps(run_cli, workdir):
    result = run_cli("train", "--schedule", "one_cycle", "--epochs", "1", "--out", "r")
    assert result.exit_code == 2, result.output
    assert "--epochs is 1" in result.output and "total_steps" not in result.output
    assert list(workdir.iterdir()) == []
