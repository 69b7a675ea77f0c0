"""`lossfit landscape`: the exact surface, the optimizer paths on it, the picture and the bad input.

Every check compares with an independent computation: the registry's loss at sampled points, a plain loop
over lossfit's optimizer with the gradient written out by hand, numpy's least squares.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lossfit import landscape, losses, optimizers
from lossfit.cli import app
from lossfit.plots.landscape import landscape_figure, levels_for


def build(loss: str | list[str] = "mse", optimizer: str | list[str] = "gd", lr: float | list[float] = 0.1,
          dataset: str = "linear", epochs: int = 30, start: tuple[float, float] | None = (-2.0, 3.0),
          resolution: int = 31) -> landscape.Landscape:
    as_list = lambda v: list(v) if isinstance(v, list) else [v]  # noqa: E731
    plan = landscape.plan({"dataset": dataset, "epochs": epochs},
                          {"loss": as_list(loss), "optimizer": as_list(optimizer), "lr": as_list(lr)},
                          None if start is None else np.array(start), resolution)
    return landscape.compute(plan)


def training_xy(dataset: str = "linear") -> tuple[np.ndarray, np.ndarray]:
    from lossfit import data

    d = data.load(dataset, seed=0, val_split=0.2, standardize=True)
    return d.X_train[:, 0], d.y_train


# ------------------------------------------------------------------ the surface and the minimum
@pytest.mark.parametrize("name", ["mse", "mae", "huber", "huber(delta=0.5)", "log_cosh"])
def test_contour_equals_the_registry_loss_at_sampled_points(name):
    result = build(loss=name, dataset="outliers", epochs=3)
    x, y = training_xy("outliers")
    loss = losses.get(name)
    values = result.panels[0].values
    rng = np.random.default_rng(1)
    for i, j in zip(rng.integers(0, len(result.bs), 12), rng.integers(0, len(result.ws), 12)):
        expected = loss(result.ws[j] * x + result.bs[i], y)  # the public, checked call
        assert values[i, j] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_mse_minimum_is_the_least_squares_line():
    result = build(loss="mse")
    x, y = training_xy()
    slope, intercept = np.polyfit(x, y, 1)
    np.testing.assert_allclose(result.panels[0].minimum, [slope, intercept], rtol=1e-10)


@pytest.mark.parametrize("name", ["mae", "huber"])
def test_grid_minimum_is_lower_than_every_neighbour(name):
    result = build(loss=name, dataset="outliers", epochs=3)
    x, y = training_xy("outliers")
    loss = losses.get(name)
    w, b = result.panels[0].minimum
    best = loss(w * x + b, y)
    assert best == pytest.approx(result.panels[0].min_value)
    for angle in np.linspace(0, 2 * np.pi, 16, endpoint=False):
        for step in (1e-4, 1e-2, 0.3):
            dw, db = step * np.cos(angle), step * np.sin(angle)
            assert loss((w + dw) * x + (b + db), y) >= best - 1e-9


def test_robust_minima_differ_from_mse_on_outliers():
    result = build(loss=["mse", "mae", "huber"], dataset="outliers", epochs=3)
    mse, mae, huber = (p.minimum for p in result.panels)
    assert np.linalg.norm(mse - mae) > 0.3 and np.linalg.norm(mse - huber) > 0.3
    x, y = training_xy("outliers")
    slope_from_mse = mse[0]
    assert mae[0] > slope_from_mse and huber[0] > slope_from_mse  # the outliers pull the mse line flat


# ------------------------------------------------------------------ the paths
def hand_loop(optimizer: str, lr: float, start: tuple[float, float], steps: int, loss_name: str = "mse",
              dataset: str = "linear") -> np.ndarray:
    """lossfit's optimizer on the full-batch gradient, written out: d/dw = sum g x, d/db = sum g (g = dL/d out)."""
    x, y = training_xy(dataset)
    loss = losses.get(loss_name)
    name, kwargs = optimizers.registry.canonical(optimizer), {}
    opt = optimizers.get(name, lr=lr, **kwargs)
    w, b = np.array([start[0]]), np.array([start[1]])
    points = [np.array(start, dtype=float)]
    for _ in range(steps):
        g = loss.grad(w[0] * x + b[0], y)
        opt.step([w, b], [np.array([np.sum(g * x)]), np.array([np.sum(g)])])
        points.append(np.array([w[0], b[0]]))
    return np.array(points)


@pytest.mark.parametrize("optimizer,lr", [("gd", 0.1), ("momentum", 0.5), ("adam", 0.5), ("rmsprop", 0.05)])
def test_path_starts_at_start_and_follows_the_optimizer_step_by_step(optimizer, lr):
    result = build(optimizer=optimizer, lr=lr, epochs=25, start=(-2.0, 3.0))
    path = result.panels[0].paths[0]
    np.testing.assert_array_equal(path.points[0], [-2.0, 3.0])
    assert path.steps == 25 and path.label == f"{optimizer} lr={lr:g}"
    np.testing.assert_allclose(path.points, hand_loop(optimizer, lr, (-2.0, 3.0), 25), rtol=1e-10, atol=1e-12)


def test_every_path_ends_near_the_minimum_on_a_convex_problem():
    result = build(optimizer=["gd", "momentum", "adam"], lr=[0.1], epochs=400, start=(-3.0, 4.0))
    panel = result.panels[0]
    distance = np.linalg.norm(result.start - panel.minimum)
    for path in panel.paths:
        assert path.status == "completed"
        assert np.linalg.norm(path.points[-1] - panel.minimum) < 0.01 * distance, path.label
        assert path.reached_at is not None
        assert not path.left_window


def test_paths_share_the_start_and_the_default_start_is_not_the_minimum():
    result = build(optimizer=["gd", "adam"], lr=[0.1, 0.5], start=None, epochs=5)
    assert not result.start_given
    assert len(result.panels[0].paths) == 4
    for path in result.panels[0].paths:
        np.testing.assert_array_equal(path.points[0], result.start)
    assert np.linalg.norm(result.start - result.panels[0].minimum) > 1.0


def test_a_diverging_path_is_said_and_the_window_stays_on_the_lesson():
    result = build(optimizer=["gd"], lr=[0.5, 1.2], epochs=60)  # mse Hessian is 2I: lr > 1 diverges
    good, bad = result.panels[0].paths
    assert good.status == "completed" and not good.left_window
    assert bad.left_window or bad.status == "diverged"
    w_lo, w_hi, b_lo, b_hi = result.window
    assert w_hi - w_lo < 50  # not stretched to hold a path heading for infinity
    for point in [result.start, result.panels[0].minimum]:
        assert w_lo <= point[0] <= w_hi and b_lo <= point[1] <= b_hi
    fig = landscape_figure(result)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("gd lr=1.2" in t and ("left the window" in t or "DIVERGED" in t) for t in labels), labels


def test_levels_are_log_spaced_when_the_loss_spans_decades():
    levels, is_log = levels_for(np.array([[0.01, 1.0], [10.0, 100.0]]))
    assert is_log and levels[0] == pytest.approx(0.01) and levels[-1] == pytest.approx(100.0)
    assert np.allclose(np.diff(np.log(levels)), np.diff(np.log(levels))[0])
    levels, is_log = levels_for(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert not is_log


def test_figure_names_loss_data_optimizer_and_lr():
    result = build(loss=["mse", "mae"], optimizer=["gd", "adam"], lr=[0.3], dataset="outliers", epochs=5)
    fig = landscape_figure(result)
    text = fig.get_suptitle() + " ".join(ax.get_title() for ax in fig.axes)
    assert "outliers" in text and "mse" in text and "mae" in text
    legend = " ".join(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    assert "gd lr=0.3" in legend and "adam lr=0.3" in legend and "minimum" in legend


# ------------------------------------------------------------------ the command
@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(app, ["landscape", *args])


def test_acceptance_command_draws_three_paths(workdir):
    result = invoke("--dataset", "linear", "--optimizer", "gd,momentum,adam", "--lr", "0.5", "--epochs", "40",
                    "--resolution", "41")
    assert result.exit_code == 0, result.output
    assert (workdir / "landscape-linear.png").stat().st_size > 10_000
    assert "momentum lr=0.5" in result.output and "adam lr=0.5" in result.output
    again = invoke("--dataset", "linear", "--epochs", "3", "--resolution", "21")
    assert again.exit_code == 0, again.output
    assert (workdir / "landscape-linear-2.png").exists()  # the first picture is never overwritten


def test_json_output(workdir):
    result = invoke("--loss", "mse,mae", "--dataset", "outliers", "--optimizer", "adam", "--lr", "0.2",
                    "--epochs", "7", "--resolution", "21", "--start=-1,2", "--json", "--out", "pic.png")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["start"] == [-1.0, 2.0] and data["file"] == "pic.png"
    assert [p["loss"] for p in data["panels"]] == ["mse", "mae"]
    path = data["panels"][0]["paths"][0]
    assert path["points"][0] == [-1.0, 2.0] and len(path["points"]) == 8
    assert (workdir / "pic.png").exists()


def assert_refused(result, fragment: str, folder: Path) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert fragment.lower() in lines[0].lower(), result.output
    assert not list(folder.iterdir()), list(folder.iterdir())


@pytest.mark.parametrize("args,fragment", [
    (["--start", "1,2,3"], "--start takes 2 numbers"),
    (["--start", "1,2,3", "--dataset", "moons"], "w1,w2"),
    (["--start", "1"], "--start takes 2 numbers"),
    (["--start", "a,b"], "--start takes two numbers"),
    (["--dataset", "friedman1", "--optimizer", "gd,adam"], "draws one run"),
    (["--model", "mlp", "--start=1,2"], "leave --start out"),
    (["--model", "mlp", "--loss", "mse,mae"], "give one --loss"),
    (["--loss", "hubber"], "did you mean `huber`"),
    (["--optimizer", "adamm"], "did you mean `adam`"),
    (["--dataset", "lineer"], "did you mean `linear`"),
    (["--loss", "bce", "--dataset", "linear"], "bce"),
    (["--resolution", "5"], "--resolution"),
    (["--out", "pic.txt"], ".png"),
    (["--out", "no/such/folder/pic.png"], "does not exist"),
    (["--lr", "0.1,0.2,0.3,0.4", "--optimizer", "gd,adam,momentum"], "at most 9"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(workdir, args, fragment):
    assert_refused(invoke(*args, "--epochs", "3"), fragment, workdir)


def test_existing_out_is_refused(workdir):
    (workdir / "pic.png").write_bytes(b"keep me")
    result = invoke("--out", "pic.png", "--epochs", "3")
    assert result.exit_code == 2 and "already exists" in result.output
    assert (workdir / "pic.png").read_bytes() == b"keep me"


def test_the_command_module_imports_neither_numpy_nor_matplotlib():
    code = "import sys, lossfit.commands.landscape; print('numpy' in sys.modules or 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ},
                         check=True).stdout
    assert out.strip() == "False"


# ------------------------------------------------------------------ a binary classifier without bias
def classifier_xy(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    from lossfit import data

    d = data.load(dataset, seed=0, val_split=0.2, standardize=True)
    return d.X_train, d.y_train


@pytest.mark.parametrize("name", ["bce", "hinge"])
def test_classifier_contour_equals_the_registry_loss(name):
    result = build(loss=name, dataset="moons", epochs=3, start=(-1.0, 1.0))
    assert result.kind == "classifier" and result.parameters == ("w1", "w2")
    X, y = classifier_xy("moons")
    loss = losses.get(name)
    rng = np.random.default_rng(2)
    for i, j in zip(rng.integers(0, len(result.bs), 10), rng.integers(0, len(result.ws), 10)):
        expected = loss(result.ws[j] * X[:, 0] + result.bs[i] * X[:, 1], y)
        assert result.panels[0].values[i, j] == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("optimizer,lr", [("gd", 0.5), ("adam", 0.2)])
def test_classifier_path_is_the_optimizer_on_the_weights_with_no_bias(optimizer, lr):
    result = build(loss="bce", optimizer=optimizer, lr=lr, dataset="moons", epochs=20, start=(-1.0, 1.0))
    X, y = classifier_xy("moons")
    loss, opt = losses.get("bce"), optimizers.get(optimizer, lr=lr)
    w = np.array([-1.0, 1.0])
    expected = [w.copy()]
    for _ in range(20):
        g = loss.grad(X @ w, y)
        opt.step([w], [X.T @ g])
        expected.append(w.copy())
    np.testing.assert_allclose(result.panels[0].paths[0].points, np.array(expected), rtol=1e-10, atol=1e-12)


def test_classifier_paths_end_at_the_bce_minimum_on_moons():
    result = build(loss="bce", optimizer=["gd", "momentum"], lr=[0.5], dataset="moons", epochs=400,
                   start=(-1.0, 1.0))
    panel = result.panels[0]
    assert panel.finite_minimum
    for path in panel.paths:
        assert np.linalg.norm(path.points[-1] - panel.minimum) < 0.01 * np.linalg.norm(result.start - panel.minimum)


def test_separable_data_has_no_finite_minimum_and_the_picture_says_so():
    result = build(loss="bce", optimizer=["gd"], lr=[0.5], dataset="separable", epochs=30, start=None)
    panel = result.panels[0]
    assert not panel.finite_minimum and panel.paths[0].reached_at is None
    losses_along = [landscape._loss_at(result_prepared(), p, "classifier") for p in panel.paths[0].points]
    assert all(b < a for a, b in zip(losses_along, losses_along[1:]))  # still falling at every step
    fig = landscape_figure(result)
    assert "no finite minimum" in fig.axes[0].get_title()
    legend = " ".join(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    assert "minimum (" not in legend  # no star for a minimum that does not exist


def result_prepared():
    plan = landscape.plan({"dataset": "separable", "epochs": 1}, {"loss": ["bce"]}, None, 21)
    return plan.runs[0][0][1]


# ------------------------------------------------------------------ bigger models: Li et al. slices
def test_filter_normalised_directions_have_the_per_filter_norms_of_the_weights():
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 5)) * np.arange(1, 6), rng.normal(size=5), rng.normal(size=(5,)) * 7, np.ones(1)]
    is_weight = [True, False, True, False]
    direction = landscape.filter_normalized_direction(params, is_weight, np.random.default_rng(1))
    for column in range(5):  # one filter = one unit's incoming weights
        assert np.linalg.norm(direction[0][:, column]) == pytest.approx(np.linalg.norm(params[0][:, column]))
    assert np.linalg.norm(direction[2]) == pytest.approx(np.linalg.norm(params[2]))  # a one-output weight vector
    assert not direction[1].any() and not direction[3].any()  # biases are left alone
    assert not np.allclose(direction[0] / np.linalg.norm(direction[0]), params[0] / np.linalg.norm(params[0]))


def slice_view(**single):
    plan = landscape.plan({"dataset": "moons", "model": "mlp(hidden=(6,))", "epochs": 25, **single},
                          {"loss": ["bce"], "optimizer": ["adam"], "lr": [0.05]}, None, 21)
    assert plan.kind == "slice"
    return plan, landscape.compute_slice(plan)


def test_slice_is_centred_on_the_weights_training_reaches():
    plan, view = slice_view()
    # an independent run of the same config through lossfit's API reaches the same weights
    from lossfit import api

    prepared = api.prepare(plan.runs[0][0][1].config)
    api.run(prepared, [])
    trained = np.concatenate([p.ravel() for p in prepared.model.params])
    np.testing.assert_allclose(view.final_weights, trained, rtol=1e-10, atol=1e-12)
    X, y = classifier_xy("moons")
    final = losses.get("bce")(prepared.model.predict(X), y)
    assert view.final_loss == pytest.approx(final)
    centre = len(view.alphas) // 2
    assert view.alphas[centre] == 0 and view.random_values[centre, centre] == pytest.approx(final)
    assert view.interp_values[np.argmin(abs(view.interp_t - 1))] == pytest.approx(final)
    np.testing.assert_allclose(view.path_xy[-1], [0, 0], atol=1e-12)
    assert 0.5 < view.explained.sum() <= 1 + 1e-12
    for d_norms, w_norms in view.direction_norms:
        np.testing.assert_allclose(d_norms, w_norms, rtol=1e-9)


def test_slice_command_says_random_directions_are_used(workdir):
    result = CliRunner().invoke(app, ["landscape", "--dataset", "moons", "--model", "mlp(hidden=(6,))",
                                      "--epochs", "10", "--resolution", "21", "--out", "mlp.png"])
    assert result.exit_code == 0, result.output
    assert "random filter-normalised directions" in result.output
    assert (workdir / "mlp.png").exists()
