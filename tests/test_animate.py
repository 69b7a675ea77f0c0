"""`lossfit train --animate FILE.gif [--frames N]`: the GIF of the fit or boundary forming beside the loss."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest

from _gifs import frames_of
from lossfit import api
from lossfit.animate import AnimationSink, snapshot_epochs
from lossfit.config import build_config
from lossfit.stopping import Stop

QUICK = ("--progress", "none", "--no-plot")
MOONS = ("--dataset", "moons", "--model", "mlp", "--optimizer", "adam", "--lr", "0.05", "--epochs", "30")


@pytest.mark.parametrize(("epochs", "frames"), [(200, 100), (200, 2), (30, 7), (101, 100), (5, 100), (1, 2)])
def test_snapshots_are_evenly_spaced_and_hold_the_first_and_the_last_epoch(epochs, frames):
    chosen = snapshot_epochs(epochs, frames)
    assert chosen[0] == 1 and chosen[-1] == epochs
    assert len(chosen) == min(frames, epochs) and len(set(chosen)) == len(chosen) and chosen == sorted(chosen)
    gaps = np.diff(chosen)
    assert not len(gaps) or gaps.max() - gaps.min() <= 1


def test_the_gif_has_the_frames_asked_for_and_the_boundary_moves(run_cli, tmp_path):
    result = run_cli("train", *MOONS, *QUICK, "--out", "run", "--animate", "moons.gif", "--frames", "7", "--json")
    assert result.exit_code == 0, result.output
    pictures = frames_of(tmp_path / "moons.gif")
    assert len(pictures) == 7
    assert pictures[0].shape == pictures[-1].shape
    height, width, _ = pictures[0].shape
    left = (slice(height // 8, None), slice(0, int(width * 0.45)))  # the boundary panel, below the title
    assert (pictures[0][left] != pictures[-1][left]).any(axis=2).mean() > 0.05  # the shading and the line moved
    listed = str((tmp_path / "moons.gif").resolve())
    assert listed in json.loads(result.stdout)["files"]
    assert listed in json.loads((tmp_path / "run" / "metrics.json").read_text())["files"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["moons.gif", "run"]  # no temporary file left


def test_a_one_feature_regression_animates_its_line_and_a_short_run_gives_one_frame_per_epoch(run_cli, tmp_path):
    result = run_cli("train", *QUICK, "--epochs", "4", "--out", "run", "--animate", "run/line.gif")
    assert result.exit_code == 0, result.output
    pictures = frames_of(tmp_path / "run" / "line.gif")
    assert len(pictures) == 4 and (pictures[0] != pictures[-1]).any()
    assert "line.gif" in json.loads((tmp_path / "run" / "metrics.json").read_text())["files"]  # inside: its name


@pytest.mark.parametrize(("args", "words"), [
    (("--animate", "moons.png"), "ending in .gif"),
    (("--animate", "missing/moons.gif"), "does not exist"),
    (("--animate", "folder.gif"), "is a folder"),
    (("--animate", "."), "is a folder"),
    (("--animate", "moons.gif", "--frames", "1"), "2 to 1000 frames"),
    (("--animate", "moons.gif", "--frames", "100000"), "2 to 1000 frames"),
    (("--frames", "10",), "needs --animate"),
])
def test_a_bad_animation_option_is_one_line_exit_2_and_writes_nothing(run_cli, tmp_path, args, words):
    (tmp_path / "folder.gif").mkdir()
    result = run_cli("train", *QUICK, *args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.gif"]  # no run folder, no GIF


def test_an_unwritable_folder_is_refused_before_training(run_cli, tmp_path, monkeypatch):
    import lossfit.animate

    monkeypatch.setattr(lossfit.animate.os, "access", lambda path, mode: False)  # as for a user, even as root
    result = run_cli("train", *QUICK, "--animate", "a.gif")
    assert result.exit_code == 2 and "not writable" in result.output and not list(tmp_path.iterdir())


def _prepared(**options):
    return api.prepare(build_config(None, {"dataset": "moons", "model": "mlp", "epochs": 12, **options}))


def test_the_animation_leaves_the_runs_model_as_it_ended(tmp_path):
    prepared = _prepared()
    sink = AnimationSink(tmp_path / "a.gif", frames=4)
    api.run(prepared, [sink])
    final = [p.copy() for p in prepared.model.params]
    assert [s.epoch for s in sink.snapshots] == [1, 5, 8, 12]
    assert all(np.array_equal(a, b) for a, b in zip(final, sink.snapshots[-1].params))
    assert len(frames_of(tmp_path / "a.gif")) == 4 and sink.files == [str((tmp_path / "a.gif").resolve())]
    assert all(np.array_equal(a, b) for a, b in zip(final, prepared.model.params))


def test_a_second_signal_before_the_animation_skips_it(tmp_path):
    stop = Stop()
    stop.request("SIGINT")
    stop.request("SIGINT")
    sink = AnimationSink(tmp_path / "a.gif", frames=4, stop=stop)
    api.run(_prepared(), [sink])
    assert not list(tmp_path.iterdir()) and not sink.files


def test_a_second_signal_while_drawing_stops_it_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    from lossfit.plots import animation

    stop = Stop()
    stop.request("SIGINT")
    grab = animation.CanvasWriter.grab_frame

    def grab_then_signal(self, **kwargs):
        grab(self, **kwargs)
        stop.request("SIGINT")  # what the handler does when the second Ctrl-C lands while drawing

    monkeypatch.setattr(animation.CanvasWriter, "grab_frame", grab_then_signal)
    sink = AnimationSink(tmp_path / "a.gif", frames=4, stop=stop)
    api.run(_prepared(), [sink])
    assert stop.skip_plots and not list(tmp_path.iterdir()) and not sink.files


def test_a_gif_that_cannot_be_written_is_a_warning_and_the_run_is_kept(run_cli, tmp_path, monkeypatch):
    from lossfit.plots import animation

    def full_disk(self):
        Path(self.outfile).write_bytes(b"GIF89a")  # half written when the disk fills
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(animation.CanvasWriter, "finish", full_disk)
    result = run_cli("train", *MOONS, *QUICK, "--out", "run", "--animate", "moons.gif", "--frames", "3")
    assert result.exit_code == 0, result.output
    assert "moons.gif could not be written: No space left on device (errno 28)" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert "moons.gif" not in " ".join(json.loads((tmp_path / "run" / "metrics.json").read_text())["files"])


def test_a_run_stopped_long_before_its_planned_end_still_spreads_its_frames(tmp_path):
    seen = []

    class Count:
        def open(self, info): pass
        def write(self, record): seen.append(record.epoch)
        def close(self, summary): pass

    sink = AnimationSink(tmp_path / "a.gif", frames=10)
    summary = api.run(_prepared(epochs=100_000), [Count(), sink],
                      should_stop=lambda: "interrupted" if len(seen) >= 300 else "")
    assert summary.status == "interrupted" and summary.epochs == 300
    epochs = [s.epoch for s in sink.snapshots]
    assert len(epochs) == 10 and epochs[0] == 1 and epochs[-1] == 300
    assert max(np.diff(epochs)) <= 2 * 300 / 9  # spread over the epochs run, not bunched at the start
    assert len(sink._sample) <= 2 * 10 and sink.snapshots[-1].note.startswith("interrupted")
    assert len(frames_of(tmp_path / "a.gif")) == 10
