"""The training loop and the Python API: optima, monotone progress, determinism, stopping."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lossfit
from lossfit import api, training
from lossfit.config import RunConfig
from lossfit.errors import DivergenceError


def test_mse_on_linear_reaches_the_least_squares_optimum():
    result = lossfit.train(loss="mse", dataset="linear", lr=0.1, epochs=400)
    data = result.prepared.data
    A = np.column_stack([data.X_train, np.ones(len(data.X_train))])
    optimum, *_ = np.linalg.lstsq(A, data.y_train, rcond=None)
    fitted = np.concatenate([result.model.params[0], result.model.params[1]])
    np.testing.assert_allclose(fitted, optimum, rtol=1e-6)
    assert result.summary.status == "completed" and result.summary.epochs == 400


def test_mse_with_l2_reaches_the_ridge_optimum():
    l2 = 0.5
    result = lossfit.train(loss="mse", dataset="outliers", lr=0.1, epochs=500, l2=l2, val_split=0)
    data = result.prepared.data
    X, y = data.X_train, data.y_train
    n, d = X.shape
    # minimise mean((Xw + b - y)^2) + (l2/2)|w|^2: normal equations (2/n) A^T A + l2*D
    A = np.column_stack([X, np.ones(n)])
    D = np.diag([1.0] * d + [0.0])
    optimum = np.linalg.solve(2 * A.T @ A / n + l2 * D, 2 * A.T @ y / n)
    fitted = np.concatenate([result.model.params[0], result.model.params[1]])
    np.testing.assert_allclose(fitted, optimum, rtol=1e-6)
    last = result.records[-1]
    assert last.penalty == pytest.approx(0.5 * l2 * float(result.model.params[0] @ result.model.params[0]))


@pytest.mark.parametrize(
    ("loss", "dataset"),
    [("mse", "linear"), ("mae", "outliers"), ("mse", "outliers"), ("bce", "moons"), ("hinge", "moons"),
     ("cross_entropy", "blobs"), ("cross_entropy", "moons")],
)
def test_loss_decreases_on_every_dataset(loss, dataset):
    result = lossfit.train(loss=loss, dataset=dataset, epochs=60, lr=0.1)
    losses = [r.train_loss for r in result.records]
    assert losses[-1] < losses[0]
    assert all(math.isfinite(v) for v in losses)


@pytest.mark.parametrize(("loss", "metric", "floor"), [("bce", "accuracy", 0.8), ("cross_entropy", "accuracy", 0.9)])
def test_classifiers_learn(loss, metric, floor):
    result = lossfit.train(loss=loss, epochs=200, lr=0.5)
    assert result.records[-1].metrics[metric] >= floor


def test_default_dataset_follows_the_loss_task():
    assert api.prepare(RunConfig(loss="mse", epochs=1)).dataset.name == "linear"
    assert api.prepare(RunConfig(loss="bce", epochs=1)).dataset.name == "moons"
    assert api.prepare(RunConfig(loss="hinge", epochs=1)).dataset.name == "moons"
    assert api.prepare(RunConfig(loss="cross_entropy", epochs=1)).dataset.name == "blobs"


def test_same_seed_same_numbers_different_seed_different_numbers():
    def losses(seed, batch_size=None):
        result = lossfit.train(loss="bce", epochs=20, seed=seed, batch_size=batch_size)
        return [(r.train_loss, r.val_loss, r.grad_norm) for r in result.records]

    assert losses(3) == losses(3)
    assert losses(3, batch_size=16) == losses(3, batch_size=16)
    assert losses(3) != losses(4)
    assert losses(3, batch_size=16) != losses(4, batch_size=16)


def test_minibatch_train_loss_is_the_mean_over_batches():
    result = lossfit.train(loss="mse", epochs=1, batch_size=1000, val_split=0)  # one batch = full batch
    full = lossfit.train(loss="mse", epochs=1, val_split=0)
    assert result.records[0].train_loss == full.records[0].train_loss
    # the first epoch's loss at zero weights is mean(y^2), whatever the batching
    y = full.prepared.data.y_train
    small = lossfit.train(loss="mse", epochs=1, batch_size=len(y), val_split=0, lr=1e-9)
    assert small.records[0].train_loss == pytest.approx(float(np.mean(y**2)))


def test_divergence_is_caught_with_a_stable_lr_hint():
    result = lossfit.train(loss="mse", dataset="linear", lr=10.0, epochs=200)
    summary = result.summary
    assert summary.status == "diverged"
    assert summary.epochs < 200
    assert "Training diverged at epoch" in summary.message
    # standardized 1-feature data: Hessian 2*I, so gradient descent needs lr < 2/2 = 1
    limit = api.stable_lr_limit(result.prepared)
    assert limit == pytest.approx(1.0, rel=1e-9)
    assert "lr < 2/lambda_max = 1" in summary.message and "--lr 0.5" in summary.message


def test_nan_stops_training():
    prepared = api.prepare(RunConfig(loss="mse", epochs=10))
    prepared.model.params[0][:] = np.nan
    loop = training.train(prepared.model, prepared.loss, prepared.optimizer, prepared.data, epochs=10,
                          rng=np.random.default_rng(0))
    first = next(loop)
    assert math.isnan(first.train_loss)
    with pytest.raises(DivergenceError) as info:
        next(loop)
    assert info.value.epoch == 1


def test_should_stop_ends_after_the_current_epoch():
    prepared = api.prepare(RunConfig(loss="mse", epochs=100))
    calls = []
    summary = api.run(prepared, [], should_stop=lambda: calls.append(1) or len(calls) >= 5)
    assert summary.status == "interrupted" and summary.epochs == 5


def test_val_split_zero_reports_training_metrics():
    result = lossfit.train(loss="mse", epochs=5, val_split=0)
    last = result.records[-1]
    assert math.isnan(last.val_loss) and "r2" in last.metrics
    assert result.summary.best["by"] == "train_loss"
