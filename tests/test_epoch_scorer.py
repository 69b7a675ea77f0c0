"""The cached per-epoch scorer used by the training loop equals the stateless metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lossfit import metrics


@pytest.mark.parametrize(("task", "make"), [
    ("regression", lambda rng, n: (rng.normal(size=n), rng.normal(size=n))),
    ("regression", lambda rng, n: (rng.normal(size=(n, 2)), rng.normal(size=(n, 2)))),
    ("binary", lambda rng, n: (rng.normal(size=n), (rng.random(n) > 0.5).astype(float))),
    ("binary", lambda rng, n: (rng.normal(size=(n, 1)), (rng.random(n) > 0.5).astype(float))),  # one column
    ("binary", lambda rng, n: (np.round(rng.normal(size=n)), rng.random(n))),  # scores of exactly 0, soft labels
    ("multiclass", lambda rng, n: (rng.normal(size=(n, 3)), rng.integers(0, 3, n))),
])
@pytest.mark.parametrize("n", [1, 7, 500])
def test_epoch_scorer_equals_epoch_metrics(task, make, n):
    rng = np.random.default_rng(n)
    output, y = make(rng, n)
    scorer = metrics.epoch_scorer(task, y)
    for _ in range(2):  # the cache must not be spoilt by the first call
        expected = metrics.epoch_metrics(task, output, y)
        got = scorer(output)
        assert got.keys() == expected.keys()
        for key in got:
            assert got[key] == pytest.approx(expected[key], rel=1e-12, abs=1e-12, nan_ok=True)
        output = output + 0.1


def test_epoch_scorer_does_not_modify_its_input():
    y = np.array([1.0, 2.0, 4.0])
    out = np.array([1.5, 2.0, 3.0])
    metrics.epoch_scorer("regression", y)(out)
    assert out.tolist() == [1.5, 2.0, 3.0] and y.tolist() == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(("task", "output", "y"), [
    ("regression", [1.0, np.inf, 2.0], [1.0, 2.0, 3.0]),
    ("regression", [1.0, np.nan, 2.0], [1.0, 2.0, 3.0]),
    ("regression", [[1.0, 2.0], [-np.inf, 0.0]], [[1.0, 2.0], [3.0, 4.0]]),
    ("binary", [np.inf, -1.0, 2.0], [1.0, 0.0, 1.0]),
    ("binary", [np.nan, -1.0, 2.0], [1.0, 0.0, 1.0]),
    ("multiclass", [[0.0, np.inf], [1.0, 0.0]], [1, 0]),
    ("multiclass", [[0.0, np.nan], [1.0, 0.0]], [1, 2]),  # NaN first: no LabelError from a diverged run
])
def test_predictions_that_overflowed_score_nan_for_every_metric(task, output, y):
    """The loop's record of a diverging epoch says NaN rather than a score of garbage."""
    names = metrics.epoch_metrics(task, np.zeros(np.shape(output)), [0] * len(y) if task != "regression" else y)
    got = metrics.epoch_scorer(task, np.asarray(y))(np.asarray(output))
    assert list(got) == list(names) and all(math.isnan(v) for v in got.values())
