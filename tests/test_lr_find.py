"""`lossfit lr-find`: the learning-rate range test, checked against numbers computed here independently."""

from __future__ import annotations

import json
import math
import shlex
from pathlib import Path

import numpy as np
import pytest

from lossfit import api, lr_find
from lossfit.config import build_config
from lossfit.errors import ConfigError

PNG = b"\x89PNG\r\n\x1a\n"


def _prepared(**options):
    return api.prepare(build_config(None, options))


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


def _one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _lambda_max_by_hand(prepared) -> float:
    """Largest eigenvalue of the exact Hessian of mean((X w + b - y)^2): (2/n) [X 1]^T [X 1]."""
    X = prepared.data.X_train
    A = np.hstack([X, np.ones((len(X), 1))])
    return float(np.linalg.eigvalsh(2.0 / len(X) * A.T @ A)[-1])


# The math --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("start, end, steps", [(1e-7, 10.0, 100), (0.01, 0.02, 2), (1e-3, 5.0, 37)])
def test_lr_sequence_is_exactly_exponential_between_start_and_end(start, end, steps):
    lrs = lr_find.lr_schedule(start, end, steps)
    assert len(lrs) == steps and lrs[0] == start and lrs[-1] == end
    expected = np.logspace(math.log10(start), math.log10(end), steps)  # an independent construction
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    ratios = lrs[1:] / lrs[:-1]
    np.testing.assert_allclose(ratios, (end / start) ** (1 / (steps - 1)), rtol=1e-12)


def test_the_run_uses_the_schedule_and_stops_only_early():
    result = lr_find.find(_prepared(), 1e-7, 10.0, 100)
    planned = lr_find.lr_schedule(1e-7, 10.0, 100)
    np.testing.assert_array_equal(result.lrs, planned[: len(result.lrs)])
    assert len(result.lrs) == len(result.losses) == len(result.smoothed)


def test_smoothing_is_the_bias_corrected_moving_average():
    losses = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0])
    beta = 0.98
    for k in range(len(losses)):  # closed form: a weighted mean with weights beta^(k-j)
        weights = beta ** np.arange(k, -1, -1)
        expected = float(weights @ losses[: k + 1] / weights.sum())
        assert lr_find.smooth(losses, beta)[k] == pytest.approx(expected, rel=1e-12)


def test_smoothing_skips_non_finite_losses():
    smoothed = lr_find.smooth(np.array([2.0, 4.0, np.inf]), 0.5)
    assert smoothed[:2].tolist() == [2.0, pytest.approx((0.5 * 2 * 0.5 + 0.5 * 4) / 0.75)]
    assert math.isnan(smoothed[2])


def test_suggestion_is_the_lower_end_of_the_steepest_fall_before_the_minimum():
    lrs = np.array([1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0])
    smoothed = np.array([5.0, 4.9, 3.0, 2.5, 0.1, 50.0])  # steepest fall: 2.5 -> 0.1, between 1 and 10
    assert lr_find.suggest(lrs, smoothed) == 3
    assert lr_find.suggest(lrs, np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])) is None  # never falls


def test_the_step_that_stopped_the_run_is_never_suggested():
    lrs = np.array([1e-3, 1e-2, 1e-1, 1.0])
    smoothed = np.array([5.0, 4.0, 3.8, 0.1])  # the lagging average still falls fastest at the last step
    assert lr_find.choose(lrs, smoothed, stopped=False, limit=None) == (2, 2)
    assert lr_find.choose(lrs, smoothed, stopped=True, limit=None) == (0, 0)


def test_a_steepest_point_past_the_limit_is_capped_at_one_over_lambda_max():
    lrs = np.array([1e-3, 1e-2, 1e-1, 1.0, 10.0])
    smoothed = np.array([5.0, 4.9, 4.8, 1.0, 0.9])
    assert lr_find.choose(lrs, smoothed, stopped=False, limit=0.1) == (1, 2)  # 1/lambda_max = 0.05: lr 0.01
    assert lr_find.choose(lrs, smoothed, stopped=False, limit=0.2) == (2, 2)  # 0.1 < 0.2: kept


def test_round_down_never_rounds_up():
    for value in (0.11497, 0.999999, 1.0, 3.14159e-5, 2.0):
        cut = lr_find.round_down(value)
        assert cut <= value and cut >= value * (1 - 1e-2)


def test_recorded_losses_are_the_training_loss_after_each_gradient_step():
    """Full-batch gradient descent on mse with a linear model, redone by hand with the same lrs."""
    prepared = _prepared(dataset="linear", seed=3)
    X, y = prepared.data.X_train, prepared.data.y_train
    result = lr_find.find(prepared, 1e-3, 3.0, 25)
    w, b = np.zeros(X.shape[1]), 0.0
    assert result.initial_loss == pytest.approx(float(np.mean(y**2)), rel=1e-12)
    for lr, recorded in zip(result.lrs, result.losses):
        r = X @ w + b - y
        w, b = w - lr * 2 * X.T @ r / len(y), b - lr * 2 * r.mean()
        assert recorded == pytest.approx(float(np.mean((X @ w + b - y) ** 2)), rel=1e-9)


@pytest.mark.parametrize("options", [{}, {"optimizer": "adam"}, {"optimizer": "sgd(momentum=0.9)"}])
def test_it_stops_once_the_loss_exceeds_four_times_its_best(options):
    result = lr_find.find(_prepared(**options), 1e-7, 10.0, 100)
    assert result.stop == "diverged" and len(result.lrs) < 100
    before, last = result.losses[:-1], result.losses[-1]
    best = min(result.initial_loss, before.min())
    assert last > 4 * best
    running = np.minimum.accumulate(np.concatenate([[result.initial_loss], before]))
    assert (before <= 4 * running[:-1]).all()  # no earlier step broke the rule
    assert result.divergence_lr == result.lrs[-1]


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("dataset", ["linear", "polynomial", "friedman1", "auto_mpg"])
def test_suggestion_lies_below_the_divergence_point_and_the_stability_limit(dataset, seed):
    prepared = _prepared(dataset=dataset, seed=seed)
    result = lr_find.find(prepared)
    assert result.suggestion is not None
    limit = 2 / _lambda_max_by_hand(prepared)
    assert result.stability_limit == pytest.approx(limit, rel=1e-6)
    assert result.suggestion < limit
    assert result.divergence_lr is not None and result.suggestion < result.divergence_lr


@pytest.mark.parametrize("options", [
    {"optimizer": "adam"}, {"batch_size": 16}, {"dataset": "moons", "model": "mlp", "optimizer": "adam",
                                                "batch_size": 32}, {"optimizer": "sgd(momentum=0.9)"},
])
def test_suggestion_lies_below_the_divergence_point_for_other_optimizers(options):
    result = lr_find.find(_prepared(**options))
    assert result.stability_limit is None  # only plain full-batch gradient descent has the exact limit
    assert result.suggestion is not None and result.divergence_lr is not None
    assert result.suggestion < result.divergence_lr


def test_an_ill_conditioned_problem_gets_one_over_lambda_max_when_the_steepest_point_is_past_the_limit():
    prepared = _prepared(dataset="polynomial")
    result = lr_find.find(prepared)
    lam = _lambda_max_by_hand(prepared)
    assert result.capped and result.steepest_index is not None
    assert result.lrs[result.steepest_index] >= 2 / lam  # what the plain rule would have said
    assert result.suggestion is not None and result.suggestion <= 1 / lam
    assert result.lrs[result.suggestion_index + 1] > 1 / lam  # the largest tested lr at or below it


@pytest.mark.parametrize("options", [{}, {"batch_size": 8}, {"dataset": "moons", "model": "mlp"}])
def test_deterministic_for_a_seed(options):
    first = lr_find.find(_prepared(seed=5, **options), steps=60)
    second = lr_find.find(_prepared(seed=5, **options), steps=60)
    other = lr_find.find(_prepared(seed=6, **options), steps=60)
    np.testing.assert_array_equal(first.losses, second.losses)
    assert first.suggestion == second.suggestion
    assert not np.array_equal(first.losses[:10], other.losses[:10])


@pytest.mark.parametrize("start, end, steps, fragment", [
    (1.0, 0.1, 100, "--start-lr 1 must be below --end-lr 0.1"), (0.1, 0.1, 100, "must be below"),
    (0.0, 1.0, 100, "--start-lr must be a positive"), (-1e-3, 1.0, 100, "--start-lr must be a positive"),
    (1e-3, math.inf, 100, "--end-lr must be a positive"), (1e-3, 1.0, 1, "--steps must be between 2"),
])
def test_bad_ranges_are_config_errors(start, end, steps, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(")):
        lr_find.check_range(start, end, steps)


# The command -----------------------------------------------------------------------------------------


def test_default_command_writes_only_its_png_and_prints_a_suggestion_below_the_limit(run_cli, tmp_path):
    result = run_cli("lr-find")
    assert result.exit_code == 0, result.output
    assert _files(tmp_path) == {Path("lr_find.png")}  # no run folder, no temporary file left
    assert (tmp_path / "lr_find.png").read_bytes()[:8] == PNG
    out = result.stdout
    assert out.startswith("Suggested lr: ")
    suggested = float(out.split()[2])
    command = shlex.split(out.splitlines()[1])
    assert command[:2] == ["lossfit", "train"] and command[-2] == "--lr" and float(command[-1]) == suggested
    limit_line = next(line for line in out.splitlines() if "2/lambda_max" in line)
    limit = float(limit_line.split("2/lambda_max = ")[1].split()[0])
    assert suggested < limit and "the suggestion is below it" in limit_line
    assert limit == pytest.approx(2 / _lambda_max_by_hand(_prepared()), rel=1e-2)



def test_the_default_name_is_never_overwritten_a_fresh_one_is_picked(run_cli, tmp_path):
    for name in ("lr_find.png", "lr_find-2.png"):
        (tmp_path / name).write_bytes(b"keep")
    result = run_cli("lr-find", "--steps", "20")
    assert result.exit_code == 0, result.output
    assert "Saved lr_find-3.png" in result.stdout
    assert _files(tmp_path) == {Path("lr_find.png"), Path("lr_find-2.png"), Path("lr_find-3.png")}
    assert (tmp_path / "lr_find.png").read_bytes() == (tmp_path / "lr_find-2.png").read_bytes() == b"keep"


def test_json_output_and_the_train_command_carry_the_options(run_cli, tmp_path):
    result = run_cli("lr-find", "--dataset", "outliers", "--loss", "huber(delta=0.5)", "--optimizer", "adam",
                     "--batch-size", "16", "--seed", "2", "--steps", "50", "--out", "f.png", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["out"] == "f.png" and _files(tmp_path) == {Path("f.png")}
    assert data["stability_limit"] is None and data["steps_planned"] == 50
    assert len(data["lrs"]) == len(data["losses"]) == data["steps_taken"]
    words = shlex.split(data["command"])
    for flag, value in (("--loss", "huber(delta=0.5)"), ("--optimizer", "adam"), ("--batch-size", "16"),
                        ("--seed", "2"), ("--dataset", "outliers")):
        assert words[words.index(flag) + 1] == value
    assert float(words[-1]) <= data["suggestion"]


def test_the_plot_marks_suggestion_and_limit():
    from lossfit.plots.lr_find import lr_find_figure

    result = lr_find.find(_prepared())
    (ax,) = lr_find_figure(result, "t").axes
    assert ax.get_xscale() == "log"
    vertical = {round(float(line.get_xdata()[0]), 12) for line in ax.lines if len(set(line.get_xdata())) == 1
                and len(line.get_xdata()) == 2}
    assert round(result.stability_limit, 12) in vertical and round(result.suggestion, 12) in vertical
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(label.startswith(f"suggested lr {lr_find.round_down(result.suggestion):g}") for label in labels)


@pytest.mark.parametrize("args, fragments", [
    (("--start-lr", "1", "--end-lr", "0.1"), ("--start-lr 1 must be below --end-lr 0.1",)),
    (("--start-lr", "0"), ("--start-lr must be a positive",)),
    (("--end-lr", "-2"), ("--end-lr must be a positive",)),
    (("--steps", "1"), ("--steps must be between 2",)),
    (("--loss", "hubber"), ("Unknown loss `hubber`", "huber")),
    (("--optimizer", "adamm"), ("adam",)),
    (("--dataset", "lineer"), ("linear",)),
    (("--optimizer", "gd", "--batch-size", "8"), ("--optimizer sgd",)),
    (("--out", "plot.txt"), (".png",)),
    (("--out", "missing/f.png"), ("does not exist",)),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(run_cli, tmp_path, args, fragments):
    _one_line_error(run_cli("lr-find", *args), *fragments)
    assert _files(tmp_path) == set()


def test_an_existing_out_is_refused_and_left_alone(run_cli, tmp_path):
    (tmp_path / "mine.png").write_bytes(b"keep")
    _one_line_error(run_cli("lr-find", "--out", "mine.png"), "already exists")
    assert (tmp_path / "mine.png").read_bytes() == b"keep" and _files(tmp_path) == {Path("mine.png")}


def test_a_failed_write_is_one_line_and_leaves_nothing(run_cli, tmp_path, monkeypatch):
    import errno

    import lossfit.plots._style as style

    def full_disk(fig, path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(style, "save", full_disk)
    _one_line_error(run_cli("lr-find", "--out", "f.png"), "Cannot write f.png", "No space left")
    assert _files(tmp_path) == set()


def test_a_run_that_blows_up_at_once_is_still_drawn_with_its_limit_in_view(run_cli, tmp_path):
    result = run_cli("lr-find", "--dataset", "auto_mpg", "--no-standardize", "--start-lr", "1e-3", "--out", "f.png")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("No suggestion: ") and "Start lower" in result.stdout
    from PIL import Image

    width, height = Image.open(tmp_path / "f.png").size
    assert width < 1500 and height < 1500  # nothing drawn far outside the axes
