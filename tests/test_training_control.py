"""Schedules, penalties, clipping, early stopping, class weights and the divergence doctor."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import lossfit
from lossfit import api, schedules
from lossfit.config import RunConfig


def test_history_lr_follows_the_schedule():
    result = lossfit.train(epochs=30, lr=0.2, schedule="cosine(T_max=30)")
    expected = schedules.get("cosine(T_max=30)").preview(0.2, 30)
    assert [r.lr for r in result.records] == pytest.approx(expected, abs=1e-15)
    assert result.summary.config["schedule"] == "cosine(T_max=30, eta_min=0.0)"


def test_one_cycle_defaults_to_the_run_length():
    result = lossfit.train(epochs=40, lr=0.1, schedule="one_cycle", optimizer="sgd(momentum=0.9)")
    assert result.summary.status == "completed"
    lrs = [r.lr for r in result.records]
    assert max(lrs) == pytest.approx(0.1) and lrs[0] == pytest.approx(0.1 / 25)


def test_reduce_on_plateau_uses_the_validation_loss():
    result = lossfit.train(epochs=80, lr=0.05, schedule="reduce_on_plateau(patience=2, factor=0.5)",
                           dataset="linear(noise=1.0)")
    assert result.records[-1].lr < 0.05


def test_l1_reaches_the_soft_thresholded_optimum():
    l1, lr = 0.6, 0.01
    result = lossfit.train(loss="mse", dataset="linear", epochs=3000, lr=lr, l1=l1, val_split=0)
    X, y = result.prepared.data.X_train[:, 0], result.prepared.data.y_train
    # standardized x: objective (w - c)^2 + l1*|w| + const in w (b = mean(y)), so w* = soft(c, l1/2)
    c = float(np.mean((X - X.mean()) * (y - y.mean())))
    w_star = math.copysign(max(abs(c) - l1 / 2, 0.0), c)
    w = float(result.model.params[0][0])
    assert abs(w - w_star) <= 2 * lr * l1  # subgradient steps hover within lr*l1 of the optimum
    assert result.records[-1].penalty == pytest.approx(l1 * abs(w))


def test_l1_drives_weights_to_zero():
    result = lossfit.train(loss="mse", dataset="linear", epochs=500, lr=0.01, l1=10.0, val_split=0)
    assert abs(float(result.model.params[0][0])) <= 0.01 * 10.0


def test_clip_grad_bounds_every_step():
    clip, lr = 1e-3, 0.1
    result = lossfit.train(loss="mse", epochs=1, lr=lr, clip_grad=clip)
    step = np.concatenate([p.ravel() for p in result.model.params])  # started at zero
    assert np.linalg.norm(step) == pytest.approx(lr * clip)
    assert result.records[0].grad_norm > clip  # the reported norm is before clipping


def test_early_stopping_restores_the_best_weights():
    result = lossfit.train(loss="mse", dataset="linear(noise=1.0)", epochs=500, lr=0.05,
                           early_stopping=5, min_delta=1e-4)
    summary = result.summary
    assert summary.status == "early_stopped" and summary.epochs < 500
    assert "Stopped early" in summary.message
    best = min(result.records, key=lambda r: r.val_loss)
    data = result.prepared.data
    restored = result.prepared.loss(result.model.predict(data.X_val), data.y_val)
    assert restored == pytest.approx(best.val_loss, rel=1e-12)
    assert summary.best["epoch"] == best.epoch


def test_balanced_class_weights_help_the_minority_class():
    options = dict(loss="bce", dataset="imbalanced(ratio=0.9)", epochs=200, lr=0.5)
    plain = lossfit.train(**options)
    weighted = lossfit.train(class_weight="balanced", **options)
    assert weighted.summary.final_metrics["recall"] > plain.summary.final_metrics["recall"]
    w = weighted.prepared.data.w_train
    y = weighted.prepared.data.y_train.astype(int)
    counts = np.bincount(y)
    assert w[y == 1][0] == pytest.approx(len(y) / (2 * counts[1]))


def test_explicit_class_weights_equal_torch_style_weighted_cross_entropy():
    by_option = lossfit.train(loss="cross_entropy", epochs=5, class_weight="1,2,3")
    by_loss = lossfit.train(loss="cross_entropy(class_weight=(1.0, 2.0, 3.0))", epochs=5)
    a = [value for r in by_option.records for value in (r.train_loss, r.val_loss)]
    b = [value for r in by_loss.records for value in (r.train_loss, r.val_loss)]
    assert a == pytest.approx(b, rel=1e-12)


@pytest.mark.parametrize(("value", "fragment"), [("1,2", "one weight per class (3 classes"),
                                                  ("heavy", "must be 'balanced' or comma-separated")])
def test_class_weight_errors(value, fragment):
    from lossfit.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        lossfit.train(loss="cross_entropy", epochs=1, class_weight=value)
    assert fragment in str(info.value)


def newton_logistic(X, y, l2, iterations=50):
    """Minimise mean(softplus(z) - y z) + (l2/2)|w|^2 with z = X w + b, by Newton's method."""
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.zeros(A.shape[1])
    D = np.diag([1.0] * X.shape[1] + [0.0])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(A @ theta)))
        g = A.T @ (p - y) / len(y) + l2 * D @ theta
        H = (A.T * (p * (1 - p))) @ A / len(y) + l2 * D
        theta -= np.linalg.solve(H, g)
    return theta


def test_bce_with_l2_reaches_the_regularized_optimum():
    l2 = 0.05
    result = lossfit.train(loss="bce", dataset="moons", epochs=3000, lr=1.0, l2=l2, val_split=0)
    data = result.prepared.data
    fitted = np.concatenate([result.model.params[0], result.model.params[1]])
    optimum = newton_logistic(data.X_train, data.y_train, l2)
    np.testing.assert_allclose(fitted, optimum, rtol=1e-6, atol=1e-8)
    sklearn = pytest.importorskip("sklearn.linear_model")
    # scikit-learn minimises C*sum(log loss) + |w|^2/2, i.e. our objective with C = 1/(l2*n)
    model = sklearn.LogisticRegression(C=1 / (l2 * len(data.y_train)), tol=1e-12, max_iter=10_000)
    model.fit(data.X_train, data.y_train)
    np.testing.assert_allclose(fitted[:-1], model.coef_[0], rtol=1e-5)
    assert fitted[-1] == pytest.approx(model.intercept_[0], rel=1e-5)


@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_power_iteration_finds_the_largest_curvature(l2):
    prepared = api.prepare(RunConfig(loss="mse", dataset="friedman1", l2=l2))
    X = prepared.data.X_train
    A = np.column_stack([X, np.ones(len(X))])
    H = 2 * A.T @ A / len(X) + l2 * np.diag([1.0] * X.shape[1] + [0.0])
    before = [p.copy() for p in prepared.model.params]
    assert api.largest_curvature(prepared) == pytest.approx(np.linalg.eigvalsh(H)[-1], rel=1e-6)
    assert all(np.array_equal(a, b) for a, b in zip(before, prepared.model.params))


def test_divergence_names_a_stable_learning_rate_for_many_features():
    prepared = api.prepare(RunConfig(loss="mse", dataset="friedman1", lr=1.0))
    limit = api.stable_lr_limit(prepared)
    result = lossfit.train(loss="mse", dataset="friedman1", lr=1.2 * limit, epochs=500)
    assert result.summary.status == "diverged"
    assert f"lr < 2/lambda_max = {limit:.3g}" in result.summary.message
    assert lossfit.train(loss="mse", dataset="friedman1", lr=0.9 * limit, epochs=500).summary.status == "completed"


def test_momentum_oscillation_is_not_divergence():
    result = lossfit.train(epochs=50, schedule="one_cycle")  # momentum cycles 0.95 -> 0.85 on sgd
    assert result.summary.status == "completed"


def kinds(**options):
    summary = lossfit.train(**options).summary
    return [d["kind"] for d in summary.diagnostics], " ".join(d["message"] for d in summary.diagnostics)


def test_slow_huber_run_gets_the_hint_and_a_longer_one_does_not():
    found, text = kinds(loss="huber", dataset="auto_mpg", epochs=200)
    assert found == ["still_improving"] and "still falling" in text
    assert kinds(loss="huber", dataset="auto_mpg", epochs=300, lr=1.0) == ([], "")


def test_still_improving_catches_a_slow_quantile_line_and_not_a_converged_one():
    """Issue 9: the quantile(0.9) line at 200 epochs has 67.5% of the targets below it and was said nothing."""
    found, text = kinds(loss="quantile(tau=0.9)", dataset="heteroscedastic")
    assert found == ["still_improving"] and "try more --epochs" in text
    assert kinds(loss="quantile(tau=0.9)", dataset="heteroscedastic", epochs=1000)[0] == []
    assert kinds(lr=0.005)[0] == ["still_improving"]  # far from the line after 200 epochs
    assert kinds()[0] == []  # the default run converges
    assert kinds(loss="mae", dataset="outliers")[0] == []
    # logistic loss on separable data creeps towards 0 for ever: nothing to fix there
    assert kinds(loss="bce", dataset="separable", epochs=1000)[0] == []


def test_gradient_descent_at_the_stability_limit_is_called_oscillating():
    """Issue 9: `lossfit train --lr 1.0` (exactly 2/lambda_max) cycled between two weight vectors, said Finished."""
    result = lossfit.train(lr=1.0)
    (diagnostic,) = result.summary.diagnostics
    assert diagnostic["kind"] == "oscillating"
    assert "lr < 2/lambda_max = 1;" in diagnostic["message"] and "Try --lr 0.5" in diagnostic["message"]
    # the weights really do alternate between two points: w(t+2) == w(t), w(t+1) != w(t)
    params = [p.copy() for p in result.model.params]
    step = lossfit.train(lr=1.0, epochs=201).model.params
    again = lossfit.train(lr=1.0, epochs=202).model.params
    assert all(np.allclose(a, b, rtol=1e-6, atol=1e-9) for a, b in zip(params, again))
    assert not all(np.allclose(a, b, rtol=1e-3) for a, b in zip(params, step))
    assert kinds(lr=0.9)[0] == [] and kinds(optimizer="momentum", lr=0.3)[0] == []


def test_a_cosine_shorter_than_the_run_is_said():
    """Issue 9: cosine(T_max=100) over 200 epochs sends the lr back up to its start by the end."""
    result = lossfit.train(optimizer="adam", lr=0.05, schedule="cosine(T_max=100)", batch_size=32)
    assert result.records[-1].lr == pytest.approx(0.05, rel=1e-3)  # what the line warns about
    (diagnostic,) = result.summary.diagnostics
    assert diagnostic["kind"] == "schedule_period" and "cosine(T_max=200)" in diagnostic["message"]
    assert kinds(optimizer="adam", lr=0.05, schedule="cosine(T_max=200)", batch_size=32)[0] == []


def test_diagnostics_reach_metrics_json_and_the_terminal(tmp_path):
    from typer.testing import CliRunner

    from lossfit.cli import app

    result = CliRunner().invoke(app, ["train", "--lr", "1.0", "--out", str(tmp_path / "r"), "--no-plot",
                                      "--progress", "none"], env={"NO_COLOR": "1"})
    assert result.exit_code == 0
    assert "Oscillating:" in result.stderr
    summary = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert [d["kind"] for d in summary["diagnostics"]] == ["oscillating"]


def test_full_batch_rows_describe_one_set_of_weights():
    result = lossfit.train(loss="mse", dataset="linear", epochs=3, lr=10.0)  # big steps make a mix-up visible
    data = result.prepared.data
    first = result.records[0]  # epoch 1 is measured at the starting weights (all zero)
    assert first.train_loss == pytest.approx(float(np.mean(data.y_train**2)))
    assert first.val_loss == pytest.approx(float(np.mean(data.y_val**2)))


@pytest.mark.parametrize("val_split", [0.0, 0.2])
@pytest.mark.parametrize("batch_size", [None, 32])
def test_restored_weights_match_the_final_figures(val_split, batch_size):
    result = lossfit.train(loss="bce", dataset="moons(noise=0.3)", model="mlp(hidden=(16,))", optimizer="adam",
                           lr=0.05, epochs=300, early_stopping=10, val_split=val_split, batch_size=batch_size)
    summary, data, fn = result.summary, result.prepared.data, result.prepared.loss
    X, y = (data.X_val, data.y_val) if val_split else (data.X_train, data.y_train)
    key = "val_loss" if val_split else "train_loss"
    restored = fn(result.model.predict(X), y)
    if val_split or batch_size is None:
        assert summary.final[key] == pytest.approx(restored, rel=1e-12)
    if val_split:
        assert summary.final_metrics["log_loss"] == pytest.approx(summary.final["val_loss"], rel=1e-9)
    assert summary.final["accuracy"] == pytest.approx(summary.final_metrics["accuracy"])


def test_early_stopping_on_the_last_epoch_is_a_completed_run():
    result = lossfit.train(loss="mse", epochs=30, early_stopping=5, val_split=0)
    assert result.summary.status == "completed" and result.summary.epochs == 30


@pytest.mark.parametrize(("loss", "lr"), [("mae", 1e5), ("bce", 1e300), ("log_cosh", 1e3), ("mse", 10.0)])
def test_blow_ups_are_divergence(loss, lr):
    result = lossfit.train(loss=loss, lr=lr, epochs=200)
    assert result.summary.status == "diverged", [r.train_loss for r in result.records[:10]]


@pytest.mark.parametrize(("optimizer", "lr"), [("sgd(momentum=0.9)", 1.8), ("sgd(momentum=0.9)", 1.5)])
def test_momentum_swings_are_not_divergence(optimizer, lr):
    # heavy ball on this quadratic is stable for lr < 2(1 + 0.9)/2 = 1.9; the loss peaks at 13x its start
    result = lossfit.train(optimizer=optimizer, lr=lr, epochs=400)
    assert result.summary.status == "completed"
    assert result.records[-1].train_loss == pytest.approx(min(r.train_loss for r in result.records), rel=1e-6)


@pytest.mark.parametrize("options", [{"lr": 0.99}, {"lr": 0.05, "batch_size": 16}, {"lr": 0.3, "l2": 0.1}])
def test_final_figures_describe_the_weights_the_run_returns(options):
    """metrics.json's `final`, `final_metrics`, the summary and the fitted line: one set of weights.

    Before, `final` was the last history row, measured before the last update (full
    batch) or as a mean along the epoch (mini-batches): `lossfit train --lr 0.99`
    printed val loss 0.1152 beside mse 0.1255.
    """
    result = lossfit.train(loss="mse", dataset="linear", epochs=60, **options)
    final, data, model = result.summary.final, result.prepared.data, result.model
    assert final["val_loss"] == pytest.approx(result.summary.final_metrics["mse"], rel=1e-12)  # the same number
    assert final["val_loss"] == pytest.approx(float(np.mean((model.predict(data.X_val) - data.y_val) ** 2)),
                                              rel=1e-12)
    assert final["train_loss"] == pytest.approx(float(np.mean((model.predict(data.X_train) - data.y_train) ** 2)),
                                                rel=1e-12)
    assert final["penalty"] == pytest.approx(0.5 * options.get("l2", 0.0) * float(model.params[0] @ model.params[0]))
    assert final["r2"] == pytest.approx(result.summary.final_metrics["r2"], rel=1e-12)
