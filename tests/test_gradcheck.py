"""lossfit.gradcheck: central differences shared by `lossfit gradcheck`, custom losses and these tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lossfit import gradcheck, losses

FIXTURES = Path(__file__).parent / "fixtures" / "custom_losses"
VARIANTS = [
    "huber(delta=0.5)", "smooth_l1(beta=0)", "smooth_l1(beta=2.0)", "quantile(tau=0.9)", "quantile(tau=0.1)",
    "epsilon_insensitive(epsilon=0.5)", "bce(pos_weight=3.0)", "focal(gamma=0.5, alpha=None)",
    "focal(gamma=0.0)", "cross_entropy(label_smoothing=0.2)", "cross_entropy(class_weight=(1.0, 2.0, 0.5))",
    "multi_margin(p=2, margin=0.5)",
]


@pytest.mark.parametrize("spec", losses.names() + VARIANTS)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_registered_loss_passes(spec, seed):
    result = gradcheck.check(losses.get(spec), seed=seed, samples=6)
    assert result.passed, (spec, result.max_error)
    assert result.max_error < 1e-7
    assert result.analytic.shape == result.y_pred.shape == result.numerical.shape


def test_a_wrong_gradient_fails():
    loss = losses.get(f"{FIXTURES / 'asym.py'}:wrong")
    result = gradcheck.check(loss, seed=0)
    assert not result.passed
    assert result.max_error == pytest.approx(0.5, rel=1e-6)  # the factor 2 is missing: |g - 2g| / |2g|


def test_mean_value_gradient_of_a_known_function():
    x = np.array([0.5, -2.0, 3.0])
    grad = gradcheck.mean_value_gradient(lambda v: float(np.mean(v**3)), x)
    np.testing.assert_allclose(grad, x**2, rtol=1e-8)


def test_elementwise_derivative_is_vectorised():
    calls = []

    def f(v):
        calls.append(v.shape)
        return np.sin(v)

    x = np.linspace(-3, 3, 1000)
    np.testing.assert_allclose(gradcheck.elementwise_derivative(f, x), np.cos(x), atol=1e-9)
    assert len(calls) == 2  # two calls in all, not two per element


def test_elementwise_derivative_per_column_for_logits():
    calls = []

    def row_losses(z):
        calls.append(z.shape)
        return np.log(np.exp(z).sum(axis=1)) - z[:, 0]

    z = np.random.default_rng(0).normal(size=(50, 3))
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected[:, 0] -= 1.0
    np.testing.assert_allclose(gradcheck.elementwise_derivative(row_losses, z), expected, atol=1e-9)
    assert len(calls) == 1 + 2 * 3  # one probe, then two calls per column


def test_steps_scale_with_magnitude():
    h = gradcheck.steps(np.array([0.0, 1.0, 1e6]))
    assert h[0] == pytest.approx(gradcheck.STEP_SCALE, rel=1e-6)
    assert h[2] == pytest.approx(1e6 * gradcheck.STEP_SCALE, rel=1e-6)


def test_a_point_on_a_kink_is_detected_and_redrawn():
    mae = losses.get("mae")
    y_true = np.zeros(3)

    def value(p):
        return mae.value_and_grad(p, y_true)[0]

    _, on_kink = gradcheck._central_differences(value, np.array([0.0, 1.0, -2.0]))
    assert on_kink.tolist() == [True, False, False]
    mse = losses.get("mse")
    _, smooth = gradcheck._central_differences(lambda p: mse.value_and_grad(p, y_true)[0], np.array([0.0, 1e-7, 5.0]))
    assert not smooth.any()


def test_relative_errors_ignore_rounding_noise_on_zero_gradients():
    analytic = np.array([0.0, 0.2, -0.1])
    numerical = np.array([3e-12, 0.2 + 1e-12, -0.1])
    assert gradcheck.relative_errors(analytic, numerical).max() < 1e-7
    assert gradcheck.relative_errors(np.array([1.0]), np.array([2.0]))[0] == pytest.approx(0.5)


def test_results_are_seeded():
    a = gradcheck.check(losses.get("hinge"), seed=3)
    b = gradcheck.check(losses.get("hinge"), seed=3)
    np.testing.assert_array_equal(a.y_pred, b.y_pred)
    assert not np.array_equal(a.y_pred, gradcheck.check(losses.get("hinge"), seed=4).y_pred)
