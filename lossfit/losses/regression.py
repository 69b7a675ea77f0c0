"""Regression losses: y_pred is a real prediction, y_true a real target.

Shapes: (n,) or (n, d), equal for y_pred and y_true. Every value is the mean
over all n*d elements (torch `reduction="mean"`); r = y_pred - y_true.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from lossfit._typing import Array
from lossfit.errors import LabelError
from lossfit.losses.base import Loss, check_param, format_rows, format_value, is_number, target_array

_LOG2 = math.log(2.0)


@dataclass(frozen=True)
class RegressionLoss(Loss):
    """Base of the regression family: float targets of the same shape as y_pred."""

    task = "regression"
    target_domain = "real numbers, same shape as y_pred: (n,) or (n, d)"
    probability_link = "none"


@dataclass(frozen=True)
class MSE(RegressionLoss):
    """Mean squared error: mean of r**2 over all elements, r = y_pred - y_true (torch MSELoss).

    Notes
    -----
    ::

        L  = r**2                      r = y_pred - y_true
        dL/dy_pred = 2 r
        value = mean(L)                grad = 2 r / n   (n = number of elements)

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("mse")
    >>> loss([1.0, 2.0], [0.0, 0.0])
    2.5
    >>> loss.grad([1.0, 2.0], [0.0, 0.0])
    array([1., 2.])
    """

    name = "mse"
    summary = "mean squared error: quadratic everywhere, fits the conditional mean"
    formula = "L = (y_pred - y_true)**2"
    gradient = "dL/dy_pred = 2 (y_pred - y_true)"
    smooth = "C-infinity"
    robust = False
    bayes_optimal = "conditional mean E[y | x]"
    when_to_use = "regression with roughly Gaussian noise; the default regression loss"
    pitfalls = (
        "one outlier dominates (its gradient grows with the residual); scikit-learn and optax "
        "use r**2 / 2, so their gradients (and good learning rates) differ by 2x"
    )
    related = ("mae", "huber", "log_cosh")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        r = y_pred - y_true
        return r * r, 2.0 * r

    # MSE is the loss of the default run and of the largest problems: without sample weights its
    # value is a dot product and its gradient a rescaled residual, with no per-element arrays.
    def value_and_grad(
        self, y_pred: Array, y_true: Array, sample_weight: Array | None = None
    ) -> tuple[float, Array]:
        if sample_weight is not None or y_pred.ndim != 1:
            return super().value_and_grad(y_pred, y_true, sample_weight)
        r = y_pred - y_true
        n = r.size
        value = float(np.dot(r, r)) / n
        r *= 2.0 / n
        return value, r

    def value(self, y_pred: Array, y_true: Array, sample_weight: Array | None = None) -> float:
        if sample_weight is not None or y_pred.ndim != 1:
            return super().value(y_pred, y_true, sample_weight)
        r = y_pred - y_true
        return float(np.dot(r, r)) / r.size


@dataclass(frozen=True)
class MAE(RegressionLoss):
    """Mean absolute error: mean of |r| over all elements (torch L1Loss).

    Kink: at r = 0 the gradient is 0 (torch's choice; any value in [-1, 1] is a subgradient).

    Notes
    -----
    ::

        L  = |r|                       r = y_pred - y_true
        dL/dy_pred = sign(r)           (0 at r = 0)
        value = mean(L)                grad = sign(r) / n

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("mae")
    >>> loss([1.0, -3.0, 0.0], [0.0, 0.0, 0.0])
    1.3333333333333333
    >>> loss.grad([1.0, -3.0, 0.0], [0.0, 0.0, 0.0])
    array([ 0.33333333, -0.33333333,  0.        ])
    """

    name = "mae"
    summary = "mean absolute error: linear everywhere, fits the conditional median"
    formula = "L = |y_pred - y_true|"
    gradient = "dL/dy_pred = sign(y_pred - y_true)   (0 at r = 0)"
    smooth = "kink at r = 0"
    robust = True
    bayes_optimal = "conditional median"
    when_to_use = "regression with outliers or heavy-tailed noise"
    pitfalls = (
        "the gradient has constant size, so plain gradient descent keeps jumping around the "
        "optimum unless the learning rate decays"
    )
    related = ("mse", "huber", "quantile")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        r = y_pred - y_true
        return np.abs(r), np.sign(r)


@dataclass(frozen=True)
class Huber(RegressionLoss):
    """Huber loss, mean over all elements (torch HuberLoss): r**2/2 inside |r| <= delta, linear outside.

    Parameters
    ----------
    delta : float, default 1.0
        Where the quadratic turns linear; > 0.

    Notes
    -----
    ::

        L = r**2 / 2                   if |r| <= delta
          = delta (|r| - delta / 2)    otherwise
        dL/dy_pred = clip(r, -delta, delta)    (C1: no kink)
        value = mean(L)                grad = clip(r, -delta, delta) / n

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("huber", delta=1.0)
    >>> loss([0.5, 3.0], [0.0, 0.0])
    1.3125
    >>> loss.grad([0.5, 3.0], [0.0, 0.0])
    array([0.25, 0.5 ])
    """

    delta: float = 1.0

    name = "huber"
    summary = "quadratic near 0, linear beyond delta: MSE that resists outliers"
    formula = "L = r**2 / 2 if |r| <= delta else delta (|r| - delta / 2),  r = y_pred - y_true"
    gradient = "dL/dy_pred = clip(r, -delta, delta)"
    smooth = "C1 (second derivative jumps at |r| = delta)"
    robust = True
    bayes_optimal = "between the conditional mean (delta -> inf) and median (delta -> 0)"
    when_to_use = "regression with a few outliers; set delta near the noise scale"
    pitfalls = (
        "delta is in the units of y, so rescaling the target changes the loss; "
        "scikit-learn's SGD calls delta `epsilon` (default 0.1)"
    )
    related = ("mse", "mae", "smooth_l1", "log_cosh")

    def __post_init__(self) -> None:
        check_param(self.name, "delta", self.delta, is_number(self.delta) and self.delta > 0, "> 0")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        r = y_pred - y_true
        a = np.abs(r)
        delta = self.delta
        loss = np.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))
        return loss, np.clip(r, -delta, delta)


@dataclass(frozen=True)
class SmoothL1(RegressionLoss):
    """Smooth L1 loss, mean over all elements (torch SmoothL1Loss): Huber divided by beta.

    Parameters
    ----------
    beta : float, default 1.0
        Width of the quadratic zone; >= 0. beta = 0 is exactly MAE (computed as
        a separate branch, the formula divides by beta; gradient 0 at r = 0).

    Notes
    -----
    ::

        L = r**2 / (2 beta)            if |r| < beta
          = |r| - beta / 2             otherwise
        dL/dy_pred = clip(r / beta, -1, 1)     (C1 for beta > 0)
        value = mean(L)                grad = clip(r / beta, -1, 1) / n
        smooth_l1(beta) = huber(delta=beta) / beta

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("smooth_l1", beta=0.5)
    >>> loss([0.25, 3.0], [0.0, 0.0])
    1.40625
    >>> loss.grad([0.25, 3.0], [0.0, 0.0])
    array([0.25, 0.5 ])
    """

    beta: float = 1.0

    name = "smooth_l1"
    summary = "L1 with a rounded tip of width beta (Huber / beta); gradient bounded by 1"
    formula = "L = r**2 / (2 beta) if |r| < beta else |r| - beta / 2,  r = y_pred - y_true"
    gradient = "dL/dy_pred = clip(r / beta, -1, 1)   (beta = 0: sign(r), 0 at r = 0)"
    smooth = "C1 for beta > 0; kink at r = 0 for beta = 0"
    robust = True
    bayes_optimal = "between the conditional median (beta -> 0) and mean (beta -> inf)"
    when_to_use = "box regression (Fast R-CNN) and other regression with outliers"
    pitfalls = "it is Huber divided by beta: the same beta and delta give gradients that differ by that factor"
    related = ("huber", "mae", "mse")

    def __post_init__(self) -> None:
        check_param(self.name, "beta", self.beta, is_number(self.beta) and self.beta >= 0, ">= 0")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        r = y_pred - y_true
        beta = self.beta
        if beta == 0:  # the formula divides by beta: beta = 0 is plain L1
            return np.abs(r), np.sign(r)
        a = np.abs(r)
        loss = np.where(a < beta, (0.5 / beta) * r * r, a - 0.5 * beta)
        return loss, np.clip(r / beta, -1.0, 1.0)


@dataclass(frozen=True)
class LogCosh(RegressionLoss):
    """Log-cosh loss: mean of log(cosh(r)) over all elements (Keras LogCosh, optax log_cosh).

    Notes
    -----
    ::

        L = log(cosh(r))               ~ r**2 / 2 near 0, ~ |r| - log 2 far out
          = |r| + softplus(-2 |r|) - log 2      (stable form used here)
        dL/dy_pred = tanh(r)
        value = mean(L)                grad = tanh(r) / n

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("log_cosh")
    >>> round(loss([1000.0], [0.0]), 4)     # finite: naive log(cosh(1000)) is inf
    999.3069
    >>> loss.grad([0.0, 1000.0], [0.0, 0.0])
    array([0. , 0.5])
    """

    name = "log_cosh"
    summary = "smooth everywhere, quadratic near 0 and linear far out; gradient bounded by 1"
    formula = "L = log(cosh(y_pred - y_true))"
    gradient = "dL/dy_pred = tanh(y_pred - y_true)"
    smooth = "C-infinity"
    robust = True
    bayes_optimal = "a robust location between the conditional mean and median"
    when_to_use = "when you want Huber-like robustness with a smooth second derivative (Newton methods)"
    pitfalls = (
        "cosh overflows for |r| > 710: the naive formula returns inf, use the softplus form; "
        "convex but not strongly convex (its curvature vanishes far out)"
    )
    related = ("huber", "mse", "mae")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        r = y_pred - y_true
        a = np.abs(r)
        # large |r|: log(cosh r) = |r| + log(1 + exp(-2|r|)) - log 2, where exp(-2|r|) <= 1 never overflows;
        # small |r| (that form cancels to rounding noise): log(cosh r) = log1p(2 sinh(r/2)^2), exact near 0
        large = a + np.log1p(np.exp(-2.0 * a)) - _LOG2
        small = np.log1p(2.0 * np.sinh(0.5 * np.minimum(a, 1.0)) ** 2)
        return np.where(a < 1.0, small, large), np.tanh(r)


@dataclass(frozen=True)
class Quantile(RegressionLoss):
    """Pinball (quantile) loss, mean over all elements (sklearn mean_pinball_loss).

    Parameters
    ----------
    tau : float, default 0.5
        The quantile to fit, in (0, 1). tau = 0.5 gives MAE / 2.

    Kink: at u = 0 the gradient is -tau (scikit-learn's rule: `y_true >= y_pred` counts as under-prediction).

    Notes
    -----
    ::

        u = y_true - y_pred
        L = tau * u                    if u >= 0   (under-prediction)
          = (tau - 1) * u              if u < 0    (over-prediction)
        dL/dy_pred = -tau              if u >= 0   (-tau at the kink u = 0)
                   = 1 - tau           if u < 0
        value = mean(L)                grad = dL/dy_pred / n

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("quantile", tau=0.9)
    >>> loss([0.0, 0.0], [1.0, -1.0])
    0.5
    >>> loss.grad([0.0, 0.0], [1.0, -1.0])
    array([-0.45,  0.05])
    """

    tau: float = 0.5

    name = "quantile"
    summary = "pinball loss: asymmetric L1 whose minimiser is the tau-quantile"
    formula = "L = max(tau u, (tau - 1) u),  u = y_true - y_pred"
    gradient = "dL/dy_pred = -tau if u >= 0 else 1 - tau"
    smooth = "kink at u = 0"
    robust = True
    bayes_optimal = "conditional tau-quantile"
    when_to_use = "prediction intervals: fit tau = 0.1 and 0.9 for an 80% band"
    pitfalls = "sign conventions differ between libraries (u = y - y_pred here); scikit-learn calls tau `quantile` or `alpha`"
    related = ("mae", "huber")

    def __post_init__(self) -> None:
        check_param(self.name, "tau", self.tau, is_number(self.tau) and 0 < self.tau < 1, "in (0, 1)")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        u = y_true - y_pred
        under = u >= 0
        tau = self.tau
        return np.where(under, tau * u, (tau - 1.0) * u), np.where(under, -tau, 1.0 - tau).astype(u.dtype)


@dataclass(frozen=True)
class EpsilonInsensitive(RegressionLoss):
    """Epsilon-insensitive loss (linear SVR), mean over all elements (sklearn SGD epsilon_insensitive).

    Parameters
    ----------
    epsilon : float, default 0.1
        Half-width of the zero-loss tube; >= 0.

    Kink: at |r| = epsilon the gradient is 0 (scikit-learn's rule).

    Notes
    -----
    ::

        L = max(0, |r| - epsilon)
        dL/dy_pred = sign(r) if |r| > epsilon else 0     (0 on the tube edge)
        value = mean(L)                grad = dL/dy_pred / n

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("epsilon_insensitive", epsilon=0.5)
    >>> loss([0.25, 2.0, -3.0], [0.0, 0.0, 0.0])
    1.3333333333333333
    >>> loss.grad([0.25, 2.0, -3.0], [0.0, 0.0, 0.0])
    array([ 0.        ,  0.33333333, -0.33333333])
    """

    epsilon: float = 0.1

    name = "epsilon_insensitive"
    summary = "zero inside a tube of half-width epsilon, linear outside (support vector regression)"
    formula = "L = max(0, |y_pred - y_true| - epsilon)"
    gradient = "dL/dy_pred = sign(r) if |r| > epsilon else 0"
    smooth = "kinks at |r| = epsilon"
    robust = True
    bayes_optimal = "a conditional median-like location (any point of the tube for small noise)"
    when_to_use = "linear SVR; when errors below epsilon do not matter"
    pitfalls = "every point inside the tube has zero gradient, so the fit ignores them entirely"
    related = ("squared_epsilon_insensitive", "mae", "huber")

    def __post_init__(self) -> None:
        check_param(self.name, "epsilon", self.epsilon, is_number(self.epsilon) and self.epsilon >= 0, ">= 0")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        r = y_pred - y_true
        excess = np.abs(r) - self.epsilon
        outside = excess > 0
        return np.where(outside, excess, 0.0), np.where(outside, np.sign(r), 0.0)


@dataclass(frozen=True)
class SquaredEpsilonInsensitive(RegressionLoss):
    """Squared epsilon-insensitive loss, mean over all elements (sklearn SGD squared_epsilon_insensitive).

    Parameters
    ----------
    epsilon : float, default 0.1
        Half-width of the zero-loss tube; >= 0.

    Notes
    -----
    ::

        L = max(0, |r| - epsilon)**2
        dL/dy_pred = 2 sign(r) max(0, |r| - epsilon)      (C1: 0 on the tube edge)
        value = mean(L)                grad = dL/dy_pred / n

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("squared_epsilon_insensitive", epsilon=0.5)
    >>> loss([0.25, 2.0, -3.0], [0.0, 0.0, 0.0])
    2.8333333333333335
    >>> loss.grad([0.25, 2.0, -3.0], [0.0, 0.0, 0.0])
    array([ 0.        ,  1.        , -1.66666667])
    """

    epsilon: float = 0.1

    name = "squared_epsilon_insensitive"
    summary = "zero inside a tube of half-width epsilon, quadratic outside"
    formula = "L = max(0, |y_pred - y_true| - epsilon)**2"
    gradient = "dL/dy_pred = 2 sign(r) max(0, |r| - epsilon)"
    smooth = "C1"
    robust = False
    bayes_optimal = "close to the conditional mean when noise is much larger than epsilon"
    when_to_use = "SVR-style regression with a smooth, MSE-like penalty outside the tube"
    pitfalls = "as sensitive to outliers as MSE"
    related = ("epsilon_insensitive", "mse")

    def __post_init__(self) -> None:
        check_param(self.name, "epsilon", self.epsilon, is_number(self.epsilon) and self.epsilon >= 0, ">= 0")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        r = y_pred - y_true
        excess = np.maximum(np.abs(r) - self.epsilon, 0.0)
        return excess * excess, 2.0 * np.sign(r) * excess


@dataclass(frozen=True)
class Poisson(RegressionLoss):
    """Poisson negative log-likelihood with log link, mean over all elements.

    Matches torch `poisson_nll_loss(y_pred, y_true, log_input=True, full=False)`:
    y_pred is the log of the predicted rate, y_true a count >= 0.

    Notes
    -----
    ::

        x = y_pred (log-rate),  rate = exp(x)
        L = exp(x) - y_true x          (the constant log(y_true!) is dropped)
        dL/dy_pred = exp(x) - y_true
        value = mean(L)                grad = (exp(x) - y_true) / n

    exp(x) overflows to inf for x > 709 (float64); it is not clipped: the
    training loop reports the divergence.

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("poisson")
    >>> loss([0.0, 0.0], [1.0, 3.0])
    1.0
    >>> loss.grad([0.0, 0.0], [1.0, 3.0])
    array([ 0., -1.])
    """

    name = "poisson"
    default_dataset = "counts"
    target_domain = "counts or rates >= 0, same shape as y_pred (which is the log-rate)"
    probability_link = "exp"  # y_pred is the log of the Poisson rate
    summary = "Poisson NLL on a log-rate prediction: for counts"
    formula = "L = exp(y_pred) - y_true * y_pred"
    gradient = "dL/dy_pred = exp(y_pred) - y_true"
    smooth = "C-infinity"
    robust = False
    bayes_optimal = "log of the conditional mean count, log E[y | x]"
    when_to_use = "count targets (events, visits, claims) whose variance grows with the mean"
    pitfalls = (
        "y_pred is a log-rate, not a count; exp overflows for y_pred > 709; the minimum loss "
        "is not 0 (it is y - y log y at y_pred = log y)"
    )
    related = ("mse",)

    def prepare_targets(self, y_true: Any, n_classes: int | None = None) -> Array:
        target = target_array(self.name, y_true)
        negative = np.flatnonzero((target < 0).reshape(target.shape[0], -1).any(axis=1))
        if negative.size:
            row = int(negative[0])
            value = target.reshape(target.shape[0], -1)[row].min()
            raise LabelError(
                f"{self.name} expects counts >= 0; got {format_value(value)} in row {row} "
                f"(rows {format_rows(negative)}: {negative.size} of {target.shape[0]}). "
                "Use a regression loss such as mse for signed targets."
            )
        return target

    def predict(self, y_pred: Array) -> Array:
        """The predicted rate exp(y_pred): y_pred is the log-rate."""
        return np.exp(y_pred)

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        rate = np.exp(y_pred)
        return rate - y_true * y_pred, rate - y_true
