"""`lossfit landscape --animate FILE.gif [--frames N]`: the landscape picture with the paths growing."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from _gifs import frames_of
from lossfit import landscape
from lossfit.cli import app
from lossfit.plots.landscape import LandscapeAnimation, landscape_figure, step_indices

QUICK = ("--epochs", "20", "--resolution", "31")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(app, ["landscape", *args], env={"NO_COLOR": "1", "COLUMNS": "120"})


def build(optimizers: list[str], lr: float = 0.5, epochs: int = 20, loss: list[str] | None = None) -> landscape.Landscape:
    plan = landscape.plan({"dataset": "linear", "epochs": epochs},
                          {"loss": loss or ["mse"], "optimizer": optimizers, "lr": [lr]}, np.array([-2.0, 3.0]), 31)
    return landscape.compute(plan)


@pytest.mark.parametrize(("steps", "frames"), [(100, 100), (100, 2), (20, 7), (3, 100), (1, 2)])
def test_steps_hold_the_start_and_the_last_step_evenly_spaced(steps, frames):
    chosen = step_indices(steps, frames)
    assert chosen[0] == 0 and chosen[-1] == steps
    assert len(chosen) == min(frames, steps + 1) and chosen == sorted(set(chosen))


def test_the_gif_has_the_frames_asked_for_and_the_paths_move(workdir):
    result = invoke("--optimizer", "gd,momentum,adam", "--lr", "0.5", *QUICK, "--animate", "paths.gif",
                    "--frames", "7", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["animation"] == "paths.gif" and data["frames"] == 7
    pictures = frames_of(workdir / "paths.gif")
    assert len(pictures) == 7
    assert pictures[0].shape == pictures[-1].shape
    assert (pictures[0] != pictures[-1]).any(axis=2).mean() > 0.002  # the paths drew themselves
    assert sorted(p.name for p in workdir.iterdir()) == ["landscape-linear.png", "paths.gif"]  # no temporary file


def test_the_default_is_100_frames_and_a_short_run_gives_one_frame_per_step(workdir):
    result = invoke("--epochs", "4", "--resolution", "21", "--animate", "short.gif")
    assert result.exit_code == 0, result.output
    assert "short.gif (5 frames)" in result.output
    with Image.open(workdir / "short.gif") as gif:
        assert gif.n_frames == 5  # the start and steps 1 to 4
    result = invoke("--epochs", "150", "--resolution", "21", "--animate", "long.gif", "--out", "long.png")
    assert result.exit_code == 0, result.output
    with Image.open(workdir / "long.gif") as gif:
        assert gif.n_frames == 100


def drawn_paths(fig) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (x, y) data of every path line drawn in the figure (lines of two points or more, in order)."""
    out = []
    for ax in fig.axes:
        for line in ax.get_lines():
            x, y = (np.asarray(v, dtype=float) for v in line.get_data())
            if line.get_linestyle() not in ("None", "none", "") and len(x) >= 2:
                out.append((x, y))
    return out


def test_the_last_frame_draws_the_pngs_paths_and_the_first_only_the_start():
    result = build(["gd", "momentum", "adam"], loss=["mse", "mae"])
    animation = LandscapeAnimation(result, frames=6)
    assert animation.steps == step_indices(20, 6) and animation.steps[-1] == 20
    animation.show(len(animation.steps) - 1)
    last = drawn_paths(animation.fig)
    png = drawn_paths(landscape_figure(result))
    expected = [path.points for panel in result.panels for path in panel.paths]
    assert len(last) == len(png) == len(expected) == 6
    for (x, y), (px, py), points in zip(last, png, expected):
        np.testing.assert_array_equal(x, px)
        np.testing.assert_array_equal(y, py)
        np.testing.assert_array_equal(np.column_stack([x, y]), points)
    assert "step 20 of 20" in animation.title.get_text()
    animation.show(0)
    for ax, panel, artists in zip(animation.fig.axes, result.panels, animation.drawn):
        for (line, markers, end), path in zip(artists, panel.paths):
            np.testing.assert_array_equal(np.column_stack(line.get_data()), path.points[:1])
            np.testing.assert_array_equal(np.column_stack(end.get_data()), path.points[:1])
    assert "step 0 of 20" in animation.title.get_text()


def test_all_paths_advance_together_and_a_diverged_path_stays_at_its_last_point():
    result = build(["gd", "adam"], lr=1.5, epochs=30)
    gd, adam = result.panels[0].paths
    assert gd.status == "diverged" and gd.steps < adam.steps, (gd.status, gd.steps)
    animation = LandscapeAnimation(result, frames=31)
    for index, step in enumerate(animation.steps):
        animation.show(index)
        (gd_line, _, gd_end), (adam_line, _, _) = animation.drawn[0]
        assert len(adam_line.get_xdata()) == step + 1
        assert len(gd_line.get_xdata()) == min(step, gd.steps) + 1
        np.testing.assert_array_equal(np.column_stack(gd_end.get_data())[0], gd.points[min(step, gd.steps)])


def assert_refused(result, fragment: str, folder: Path) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert fragment.lower() in lines[0].lower(), result.output
    assert not list(folder.iterdir()), list(folder.iterdir())


@pytest.mark.parametrize(("args", "fragment"), [
    (["--animate", "paths.png"], "ending in .gif"),
    (["--animate", "no/such/folder/paths.gif"], "does not exist"),
    (["--animate", "paths.gif", "--frames", "1"], "2 to 1000"),
    (["--animate", "paths.gif", "--frames", "1001"], "2 to 1000"),
    (["--frames", "10"], "needs --animate"),
    (["--animate", "."], "is a folder"),
    (["--animate", "..", "--frames", "5"], "is a folder"),
    (["--model", "mlp", "--dataset", "moons", "--animate", "paths.gif"], "only the exact two-parameter"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(workdir, args, fragment):
    assert_refused(invoke(*args, "--epochs", "3"), fragment, workdir)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_folder_is_refused(workdir):
    locked = workdir / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = invoke("--animate", "locked/paths.gif", "--epochs", "3")
        assert result.exit_code == 2 and "not writable" in result.output
        assert not list(locked.iterdir()) and [p.name for p in workdir.iterdir()] == ["locked"]
    finally:
        locked.chmod(stat.S_IRWXU)


def test_a_file_in_the_way_of_the_folder_is_refused(workdir):
    (workdir / "notes").write_text("keep me")
    result = invoke("--animate", "notes/paths.gif", "--epochs", "3")
    assert result.exit_code == 2 and "is a file, not a folder" in result.output
    assert [p.name for p in workdir.iterdir()] == ["notes"]


def test_an_existing_gif_is_refused_and_kept(workdir):
    (workdir / "paths.gif").write_bytes(b"keep me")
    result = invoke("--animate", "paths.gif", "--epochs", "3")
    assert result.exit_code == 2 and "already exists" in result.output
    assert (workdir / "paths.gif").read_bytes() == b"keep me"
    assert [p.name for p in workdir.iterdir()] == ["paths.gif"]


def test_a_failed_write_leaves_no_gif_and_no_temporary_file(workdir, monkeypatch):
    from lossfit.plots import animation

    def broken(self, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(animation.CanvasWriter, "grab_frame", broken)
    result = invoke(*QUICK, "--animate", "paths.gif", "--frames", "3")
    assert result.exit_code != 0 and "No space left on device" in result.output
    assert not (workdir / "paths.gif").exists()
    assert not [p.name for p in workdir.iterdir() if p.suffix == ".gif" or ".tmp" in p.name]
