"""`lossfit compare --animate FILE.gif [--frames N]`: every variant at the same epoch in each frame."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from _gifs import frames_of

QUICK = ("--progress", "none", "--no-plot")
OUTLIERS = ("--loss", "mse,mae,huber", "--dataset", "outliers", "--epochs", "30")


def test_the_gif_has_the_frames_asked_for_the_lines_move_and_summary_json_lists_it(run_cli, tmp_path):
    result = run_cli("compare", *OUTLIERS, *QUICK, "--out", "cmp", "--animate", "race.gif", "--frames", "7", "--json")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "race.gif") as gif:
        assert gif.n_frames == 7
    pictures = frames_of(tmp_path / "race.gif")
    assert pictures[0].shape == pictures[-1].shape
    height, width, _ = pictures[0].shape
    fit = (slice(height // 6, None), slice(0, int(width * 0.5)))  # the data and the lines, below the title
    curves = (slice(height // 6, None), slice(int(width * 0.55), None))
    assert (pictures[0][fit] != pictures[-1][fit]).any(axis=2).mean() > 0.005  # the lines moved
    assert (pictures[0][curves] != pictures[-1][curves]).any(axis=2).mean() > 0.005  # the curves grew
    listed = str((tmp_path / "race.gif").resolve())
    assert listed in json.loads(result.stdout)["files"]
    assert listed in json.loads((tmp_path / "cmp" / "summary.json").read_text())["files"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp", "race.gif"]  # no temporary file left


def test_a_gif_inside_the_compare_folder_is_listed_by_its_name_after_the_plots(run_cli, tmp_path):
    result = run_cli("compare", "--loss", "mse,mae", "--dataset", "outliers", "--epochs", "4", "--progress", "none",
                     "--out", "cmp", "--animate", "cmp/race.gif")
    assert result.exit_code == 0, result.output
    files = json.loads((tmp_path / "cmp" / "summary.json").read_text())["files"]
    assert files[-3:] == ["curves.png", "fits.png", "race.gif"]
    assert len(frames_of(tmp_path / "cmp" / "race.gif")) == 4  # a short run: one frame per epoch


def test_two_feature_classification_has_a_boundary_panel_per_variant(run_cli, tmp_path):
    result = run_cli("compare", "--loss", "bce,hinge", "--dataset", "moons", "--epochs", "12", *QUICK,
                     "--out", "cmp", "--animate", "moons.gif", "--frames", "4")
    assert result.exit_code == 0, result.output
    pictures = frames_of(tmp_path / "moons.gif")
    assert len(pictures) == 4
    height, width, _ = pictures[0].shape
    panels = (slice(height // 4, None), slice(0, int(width * 0.6)))
    assert (pictures[0][panels] != pictures[-1][panels]).any(axis=2).mean() > 0.02  # the shading moved


def test_a_variant_that_diverges_stays_in_the_gif_as_the_others_go_on(run_cli, tmp_path):
    result = run_cli("compare", "--dataset", "linear", "--lr", "0.1,3", "--epochs", "40", *QUICK,
                     "--out", "cmp", "--animate", "lr.gif", "--frames", "5")
    assert result.exit_code == 0, result.output
    statuses = [v["status"] for v in json.loads((tmp_path / "cmp" / "summary.json").read_text())["variants"]]
    assert statuses == ["completed", "diverged"]
    assert len(frames_of(tmp_path / "lr.gif")) == 5  # the epochs of the variant that ran longest


def test_the_frames_are_the_longest_runs_epochs_and_a_shorter_one_holds_each_of_them():
    from lossfit.animate import SnapshotSink, common_epochs
    from lossfit.sinks import RunInfo, RunSummary
    from lossfit.training import EpochRecord

    class Model:
        params = [np.zeros(1)]

    class Prepared:
        model = Model()

    def run(epochs: int, planned: int = 500) -> SnapshotSink:
        sink = SnapshotSink(frames=10)
        sink.open(RunInfo("t", "regression", "r2", planned, 1, 0, {}, prepared=Prepared()))
        for epoch in range(1, epochs + 1):
            Model.params[0][...] = epoch
            sink.write(EpochRecord(epoch=epoch, train_loss=1.0, val_loss=float("nan"), penalty=0.0, lr=0.1,
                                   grad_norm=1.0, seconds=0.0, metrics={}))
        sink.close(RunSummary("completed" if epochs == planned else "diverged", epochs, 0.0, None, None, {}, {}))
        return sink

    longest, short = run(500), run(123)
    epochs = common_epochs([short, longest])
    assert epochs[0] == 1 and epochs[-1] == 500 and len(epochs) == 10
    for epoch in epochs:
        at = short.at(epoch)
        assert at is not None
        if epoch < 123:
            assert at.epoch == epoch and at.params[0][0] == epoch  # its own weights at that very epoch
        else:
            assert at.epoch == 123 and "diverged" in at.note  # frozen where it ended, saying how


@pytest.mark.parametrize(("args", "words"), [
    (("--animate", "race.png"), "ending in .gif"),
    (("--animate", "missing/race.gif"), "does not exist"),
    (("--animate", "folder.gif"), "is a folder"),
    (("--animate", "race.gif", "--frames", "1"), "2 to 1000 frames"),
    (("--frames", "10"), "needs --animate"),
])
def test_a_bad_animation_option_is_one_line_exit_2_and_writes_nothing(run_cli, tmp_path, args, words):
    (tmp_path / "folder.gif").mkdir()
    result = run_cli("compare", *OUTLIERS, "--progress", "none", *args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.gif"]  # no compare folder, no GIF
