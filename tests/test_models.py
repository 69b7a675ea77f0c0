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


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_mlp_backward_matches_finite_differences(activation, n_outputs):
    rng = np.random.default_rng(2)
    model = models.get(f"mlp(hidden=(5, 4), activation='{activation}')")
    model.build(n_features=3, n_outputs=n_outputs, rng=rng)
    X = rng.normal(size=(6, 3))
    out = model.forward(X)
    assert out.shape == ((6,) if n_outputs == 1 else (6, n_outputs))
    upstream = rng.normal(size=out.shape)
    analytic = model.backward(upstream)
    numeric = numerical_param_grads(model, X, upstream)
    for a, n, p in zip(analytic, numeric, model.params):
        assert a.shape == p.shape
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    ("loss", "dataset"), [("mse", "sine"), ("bce", "moons"), ("hinge", "xor"), ("cross_entropy", "spirals")]
)
def test_mlp_backward_through_every_task(loss, dataset):
    """Loss -> MLP -> parameters: the full chain equals finite differences of the mean loss."""
    from lossfit import api
    from lossfit.config import RunConfig

    prepared = api.prepare(RunConfig(loss=loss, dataset=dataset, model="mlp(hidden=(4,), activation='tanh')"))
    model, fn, data = prepared.model, prepared.loss, prepared.data
    X, y = data.X_train[:12], data.y_train[:12]
    grads = model.backward(fn.value_and_grad(model.forward(X), y)[1])
    eps = 1e-6
    for p, g in zip(model.params, grads):
        for index in list(np.ndindex(p.shape))[:6]:
            old = p[index]
            p[index] = old + eps
            plus = fn.value_and_grad(model.predict(X), y)[0]
            p[index] = old - eps
            minus = fn.value_and_grad(model.predict(X), y)[0]
            p[index] = old
            assert g[index] == pytest.approx((plus - minus) / (2 * eps), rel=1e-4, abs=1e-7)


def test_mlp_initialisation_is_seeded_and_scaled():
    def weights(seed, activation):
        model = models.get(f"mlp(hidden=(200,), activation='{activation}')")
        model.build(n_features=100, n_outputs=1, rng=np.random.default_rng(seed))
        return model.params[0]

    assert np.array_equal(weights(0, "relu"), weights(0, "relu"))
    assert not np.array_equal(weights(0, "relu"), weights(1, "relu"))
    assert weights(0, "relu").std() == pytest.approx(np.sqrt(2 / 100), rel=0.05)  # He
    limit = np.sqrt(6 / (100 + 200))
    glorot = weights(0, "tanh")
    assert np.abs(glorot).max() <= limit and glorot.std() == pytest.approx(limit / np.sqrt(3), rel=0.05)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("mlp(hidden=())", "needs at least one layer"),
        ("mlp(hidden=(16, 0))", "every hidden layer needs 1 to"),
        ("mlp(activation='gelu')", "`activation` must be one of 'relu', 'tanh', 'sigmoid'"),
        ("mlp(hidden=(2.5,))", "`hidden` must be a tuple of whole numbers"),
        ("mlp(layers=3)", "Unknown parameter `layers` for model `mlp`"),
    ],
)
def test_mlp_invalid_architecture(spec, fragment):
    from lossfit.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        models.get(spec)
    assert fragment in str(info.value)


def test_mlp_beats_a_linear_model_on_moons():
    import lossfit

    options = dict(loss="bce", dataset="moons(n_samples=500, noise=0.1)", epochs=600, optimizer="adam", lr=0.02)
    mlp = lossfit.train(model="mlp(hidden=(16, 16), activation='tanh')", **options)
    linear = lossfit.train(model="linear", **options)
    assert mlp.records[-1].metrics["accuracy"] > 0.95
    assert linear.records[-1].metrics["accuracy"] < 0.92
