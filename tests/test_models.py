"""Models: backward equals central finite differences of a scalar function of the output."""

from __future__ import annotations

import numpy as np
import pytest

from lossfit import models
from lossfit.errors import UnknownNameError


def numerical_param_grads(model, X, upstream, eps=1e-6):
    """d/dparams of sum(upstream * model.predict(X)) by central differences."""
    grads = []
    for p in model.params:
        g = np.zeros_like(p)
        for index in np.ndindex(p.shape):
            old = p[index]
            p[index] = old + eps
            plus = np.sum(upstream * model.predict(X))
            p[index] = old - eps
            minus = np.sum(upstream * model.predict(X))
            p[index] = old
            g[index] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_linear_backward_matches_finite_differences(n_outputs):
    rng = np.random.default_rng(1)
    model = models.get("linear")
    model.build(n_features=4, n_outputs=n_outputs, rng=rng)
    for p in model.params:
        p[...] = rng.normal(size=p.shape)
    X = rng.normal(size=(7, 4))
    out = model.forward(X)
    assert out.shape == ((7,) if n_outputs == 1 else (7, n_outputs))
    upstream = rng.normal(size=out.shape)
    analytic = model.backward(upstream)
    numeric = numerical_param_grads(model, X, upstream)
    for a, n, p in zip(analytic, numeric, model.params):
        assert a.shape == p.shape
        np.testing.assert_allclose(a, n, rtol=1e-6, atol=1e-8)


def test_linear_forward_by_hand():
    model = models.get("linear")
    model.build(n_features=2, n_outputs=1, rng=np.random.default_rng(0))
    model.params[0][:] = [2.0, -1.0]
    model.params[1][:] = [0.5]
    assert model.forward(np.array([[1.0, 1.0], [0.0, 3.0]])).tolist() == [1.5, -2.5]
    assert model.is_weight == [True, False]


def test_linear_starts_at_zero_and_updates_in_place():
    model = models.get("linear")
    model.build(n_features=3, n_outputs=2, rng=np.random.default_rng(0))
    W = model.params[0]
    assert not W.any() and W.shape == (3, 2) and model.params[1].shape == (2,)
    W -= 1.0
    assert model.params[0] is W and model.params[0][0, 0] == -1.0


def test_unknown_model():
    with pytest.raises(UnknownNameError, match="Unknown model `linaer`. Did you mean `linear`?"):
        models.get("linaer")
