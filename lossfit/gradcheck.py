"""Gradient checks: a loss's analytic gradient against central differences of its value.

Used by `lossfit gradcheck`, by the tests, and (element-wise) by custom losses
that come without a gradient.

- `mean_value_gradient(f, x)`: the numerical gradient of a scalar function (the
  *mean* loss) by central differences, one element at a time (2 calls per element).
- `elementwise_derivative(f, x)`: the derivative of per-element losses,
  vectorised (2 calls in all, 2 per column for (n, k) logits), valid because
  element i of f(x) depends on x[i] only (row i for multiclass losses).
- `check(loss)`: random points, analytic vs numerical, relative errors, PASS/FAIL.

The step is h = eps**(1/3) * max(1, |x|) (about 6e-6 near 0): the step that
balances the O(h**2) truncation error of central differences against the
O(eps / h) rounding error, scaled so that large |x| still moves x.

    >>> import numpy as np
    >>> from lossfit import losses
    >>> result = check(losses.get("huber(delta=0.5)"), seed=0, samples=4)
    >>> result.passed, result.max_error < 1e-6
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from lossfit._typing import Array
from lossfit.errors import LossfitError

STEP_SCALE = float(np.finfo(np.float64).eps) ** (1.0 / 3.0)  # ~6.06e-6
TOLERANCE = 1e-5  # max relative error for PASS; a wrong gradient is off by O(1)
KINK_TOLERANCE = 1e-4  # one-sided differences disagreeing by more than this (relative): a kink
SMALL = 1e-3  # an element whose gradient is this much smaller than the largest is judged against the largest
MAX_REDRAWS = 50


def steps(x: Array) -> Array:
    """The central-difference step for each element of `x`, exactly representable as x +- h."""
    h = STEP_SCALE * np.maximum(1.0, np.abs(x))
    step: Array = (x + h) - x  # the step the floating-point numbers actually take
    return step


def mean_value_gradient(f: Callable[[Array], float], x: Array) -> Array:
    """d f / d x by central differences, one element at a time; f returns a float (the mean loss)."""
    x = np.array(x, dtype=np.float64)
    h = steps(x)
    grad = np.empty_like(x)
    flat, hflat, gflat = x.reshape(-1), h.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + hflat[i]
        plus = f(x)
        flat[i] = old - hflat[i]
        minus = f(x)
        flat[i] = old
        gflat[i] = (plus - minus) / (2.0 * hflat[i])
    return grad


def elementwise_derivative(f: Callable[[Array], Array], x: Array) -> Array:
    """d f_i / d x_i for per-element losses f (vectorised central differences).

    For (n,) or (n, d) predictions f(x) has x's shape: 2 calls in all. For (n, k)
    logits with per-row losses f(x) of shape (n,): 2 calls per column.
    """
    x = np.asarray(x, dtype=np.float64)
    h = steps(x)
    probe = None
    if x.ndim == 2:
        probe = np.asarray(f(x))
    if probe is not None and probe.shape == (x.shape[0],) and x.shape[1] > 1:
        grad = np.empty_like(x)
        for j in range(x.shape[1]):
            plus, minus = x.copy(), x.copy()
            plus[:, j] += h[:, j]
            minus[:, j] -= h[:, j]
            grad[:, j] = (np.asarray(f(plus)) - np.asarray(f(minus))) / (2.0 * h[:, j])
        return grad
    return (np.asarray(f(x + h)) - np.asarray(f(x - h))) / (2.0 * h)


def relative_errors(analytic: Array, numerical: Array) -> Array:
    """|a - n| / max(|a|, |n|, floor), floor = SMALL * the largest |gradient| (and 1e-12).

    Elements whose gradient is zero or tiny (an inactive hinge) are judged against
    the largest gradient of the check, so rounding noise there is not an error.
    """
    scale = max(float(np.max(np.abs(analytic), initial=0.0)), float(np.max(np.abs(numerical), initial=0.0)))
    floor = max(SMALL * scale, 1e-12)
    return np.abs(analytic - numerical) / np.maximum(np.maximum(np.abs(analytic), np.abs(numerical)), floor)


@dataclass(frozen=True)
class GradcheckResult:
    """What `check` found: the points, both gradients and their relative errors."""

    loss: str  # the loss's spec
    y_pred: Array
    y_true: Any
    analytic: Array
    numerical: Array
    errors: Array
    tolerance: float
    numerical_only: bool  # the loss's own gradient is numerical (a custom loss without one)

    @property
    def max_error(self) -> float:
        return float(np.max(self.errors, initial=0.0))

    @property
    def passed(self) -> bool:
        return bool(np.all(np.isfinite(self.analytic))) and self.max_error <= self.tolerance


def target_candidates(task: str, n: int, k: int, rng: np.random.Generator) -> list[Any]:
    """Plausible targets for a task, most common first (the first the loss accepts is used)."""
    if task == "regression":
        return [rng.normal(0.0, 1.5, n), rng.poisson(2.0, n).astype(np.float64)]
    if task == "binary":
        y = np.zeros(n)
        y[rng.permutation(n)[: max(1, n // 2)]] = 1.0  # both classes present
        return [y]
    t = rng.permutation(np.arange(n) % k)
    return [t, rng.dirichlet(np.ones(k), n)]


def sample(loss: Any, samples: int, rng: np.random.Generator, k: int = 3) -> tuple[Array, Any]:
    """Random predictions and targets the loss accepts (y_pred first), targets prepared."""
    shape = (samples, k) if loss.task == "multiclass" else (samples,)
    first_error: LossfitError | None = None
    for index, raw in enumerate(target_candidates(loss.task, samples, k, rng)):
        try:
            target = loss.prepare_targets(raw, n_classes=k if loss.task == "multiclass" else None)
        except LossfitError as err:
            first_error = first_error or err
            continue
        y_pred = rng.normal(0.0, 1.5, shape)
        if loss.task == "regression" and index == 0:
            y_pred += target  # residuals of a few units, whatever the target
        return y_pred, target
    assert first_error is not None
    raise first_error


def check(loss: Any, *, seed: int = 0, samples: int = 5, tolerance: float = TOLERANCE) -> GradcheckResult:
    """Compare the loss's gradient with central differences of its mean value at random points.

    Points within a step of a kink (where no finite difference is meaningful) are
    redrawn: there the one-sided differences jump by the same amount at steps h
    and 4h, while on a smooth stretch they differ by f''h, growing with the step.
    """
    from lossfit import losses

    rng = np.random.default_rng(seed)
    y_pred, y_true = sample(loss, samples, rng)

    def value(p: Array) -> float:
        return float(loss.value_and_grad(p, y_true)[0])

    for _ in range(MAX_REDRAWS):
        numerical, on_kink = _central_differences(value, y_pred)
        rows = np.flatnonzero(on_kink.reshape(y_pred.shape[0], -1).any(axis=1))
        if not rows.size:
            break
        y_pred[rows] = rng.normal(0.0, 1.5, y_pred[rows].shape)
    analytic = np.asarray(loss.value_and_grad(y_pred.copy(), y_true)[1], dtype=np.float64)
    return GradcheckResult(
        loss=losses.spec_of(loss), y_pred=y_pred, y_true=y_true, analytic=analytic, numerical=numerical,
        errors=relative_errors(analytic, numerical), tolerance=tolerance,
        numerical_only=bool(getattr(loss, "numerical_gradient", False)),
    )


def _central_differences(value: Callable[[Array], float], x: Array) -> tuple[Array, np.ndarray]:
    """The central-difference gradient of `value` at x, and which elements sit on a kink."""
    x = np.array(x, dtype=np.float64)
    h = steps(x)
    center = value(x)
    grad, d1, d4 = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    flat, hf = x.reshape(-1), h.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        f = []
        for step in (hf[i], -hf[i], 4 * hf[i], -4 * hf[i]):
            flat[i] = old + step
            f.append(value(x))
        flat[i] = old
        grad.flat[i] = (f[0] - f[1]) / (2.0 * hf[i])
        d1.flat[i] = (f[0] - 2.0 * center + f[1]) / hf[i]  # right minus left slope, step h
        d4.flat[i] = (f[2] - 2.0 * center + f[3]) / (4.0 * hf[i])  # the same at step 4h
    scale = float(np.max(np.abs(grad), initial=0.0))
    on_kink = (np.abs(d1) > 1e-8 * max(scale, 1e-12)) & (np.abs(d1 - d4 / 4.0) > 0.5 * np.abs(d1))
    return grad, on_kink
