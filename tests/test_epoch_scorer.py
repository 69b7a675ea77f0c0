"""The cached per-epoch scorer used by the training loop equals the stateless metrics."""

from __future__ import annotations

import numpy as np
import pytest

from lossfit import metrics


@pytest.mark.parametrize(("task", "make"), [
    ("regression", lambda rng, n: (rng.normal(size=n), rng.normal(size=n))),
    ("regression", lambda rng, n: (rng.normal(size=(n, 2)), rng.normal(size=(n, 2)))),
    ("binary", lambda rng, n: (rng.normal(size=n), (rng.random(n) > 0.5).astype(float))),
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
