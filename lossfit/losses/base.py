"""The base class every loss derives from, and the input checks they share.

A concrete loss is a small frozen dataclass holding its hyper-parameters. It
implements one method, `pointwise(y_pred, y_true) -> (L, D)`, returning the
per-element (or, for multiclass losses, per-row) losses `L` and their
derivatives `D` with respect to `y_pred`, computed in one pass so that every
exp/log is evaluated once. This base class turns them into the mean and its
gradient:

- `value_and_grad(y_pred, y_true, sample_weight=None)`: the training hot path.
  No validation: `y_true` must already be in the canonical encoding returned by
  `prepare_targets` (float64 {0, 1} for binary losses, integer indices for
  classification, float64 otherwise).
- `__call__` / `grad`: the public, checked entry points for notebooks and
  tests. They never broadcast, and raise a `LossfitError` subclass naming what
  was expected and what was received.

Reduction (torch's default `reduction="mean"`): the value is the mean of `L`
over all its elements (n for (n,) targets, n*d for (n, d) targets, n rows for
multiclass losses); `grad` is `D` divided by the same count, so it is exactly
the derivative of the value. With `sample_weight` (one non-negative weight per
sample) the value is the weighted mean sum(w * L) / sum(w), counted per element.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from lossfit._typing import Array, Task
from lossfit.errors import ConfigError, DataError, ShapeError

_SHOW_ROWS = 5  # how many offending rows an error message lists


@dataclass(frozen=True)
class Loss:
    """Base class: mean reduction, sample weights, input checks, public calls.

    Subclasses set the class-level teaching metadata below and implement
    `pointwise` (and, for their family, `prepare_targets`/`_check_shapes`).
    """

    # identity
    name: ClassVar[str] = "loss"
    task: ClassVar[Task] = "regression"
    # teaching metadata (read by `lossfit losses` / `lossfit explain`)
    summary: ClassVar[str] = ""
    formula: ClassVar[str] = ""
    gradient: ClassVar[str] = ""
    target_domain: ClassVar[str] = ""
    convex: ClassVar[bool] = True
    smooth: ClassVar[str] = ""
    robust: ClassVar[bool] = False  # bounded gradient: one outlier has bounded influence
    margin_based: ClassVar[bool] = False
    probability_link: ClassVar[str | None] = None
    bayes_optimal: ClassVar[str] = ""
    when_to_use: ClassVar[str] = ""
    pitfalls: ClassVar[str] = ""
    related: ClassVar[tuple[str, ...]] = ()
    default_dataset: ClassVar[str | None] = None  # None: the default dataset of the loss's task

    # ---------------------------------------------------------------- per loss
    def pointwise(self, y_pred: Array, y_true: Any) -> tuple[Array, Array]:
        """Per-element losses and their derivatives w.r.t. `y_pred` (fresh arrays)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement pointwise")

    def prepare_targets(self, y_true: Any, n_classes: int | None = None) -> Any:
        """Validate the whole target array once; return it in the canonical encoding."""
        return target_array(self.name, y_true)

    def predict(self, y_pred: Array) -> Array:
        """The model output in the target's units, for metrics and plots (identity for most losses)."""
        return y_pred

    def n_outputs(self, n_classes: int) -> int:
        """Width of `y_pred` the model must produce (1 means a (n,) prediction)."""
        return 1

    # ------------------------------------------------------------- hot path
    def value_and_grad(
        self, y_pred: Array, y_true: Any, sample_weight: Array | None = None
    ) -> tuple[float, Array]:
        """Mean loss and its gradient in one pass. NO input checks (training hot path).

        `y_true` must come from `prepare_targets`; `sample_weight`, if given, is a
        float (n,) array with a positive sum.
        """
        loss, d = self.pointwise(y_pred, y_true)
        if sample_weight is None:
            count = loss.size
            d /= count
            return float(loss.sum()) / count, d
        return weighted_mean(loss, d, sample_weight)

    def value(self, y_pred: Array, y_true: Any, sample_weight: Array | None = None) -> float:
        """The mean loss without its gradient. NO input checks (validation loss in the loop)."""
        return self.value_and_grad(y_pred, y_true, sample_weight)[0]

    # ------------------------------------------------------- public, checked
    def __call__(self, y_pred: Any, y_true: Any, sample_weight: Any = None) -> float:
        """The mean loss (checked inputs)."""
        return self.value_and_grad(*self._checked(y_pred, y_true, sample_weight))[0]

    def grad(self, y_pred: Any, y_true: Any, sample_weight: Any = None) -> Array:
        """d value / d y_pred, same shape as `y_pred`, float64 (checked inputs)."""
        return self.value_and_grad(*self._checked(y_pred, y_true, sample_weight))[1]

    def _checked(self, y_pred: Any, y_true: Any, sample_weight: Any) -> tuple[Array, Any, Array | None]:
        pred = as_float_array(self.name, "y_pred", y_pred)
        target = np.asarray(y_true)
        self._check_shapes(pred, target)
        if pred.shape[0] == 0:
            raise empty_batch_error(self.name)
        n_classes = pred.shape[1] if self.task == "multiclass" else None
        target = self.prepare_targets(target, n_classes=n_classes)
        weight = None if sample_weight is None else check_sample_weight(self.name, sample_weight, pred.shape[0])
        return pred, target, weight

    def _check_shapes(self, y_pred: Array, y_true: np.ndarray) -> None:
        """Element-wise losses: equal shapes, at least one dimension; never broadcast."""
        if y_pred.ndim == 0:
            raise ShapeError(
                f"{self.name}: expected an array of predictions of shape (n,), got a scalar. "
                "Wrap single values in a list."
            )
        if y_pred.shape != y_true.shape:
            raise ShapeError(
                f"{self.name}: shape mismatch: got y_pred {y_pred.shape} and y_true {y_true.shape}. "
                "Squeeze the model output or reshape the target."
            )


# --------------------------------------------------------------------- helpers
def weighted_mean(loss: Array, d: Array, w: Array) -> tuple[float, Array]:
    """sum(w * L) / sum(w), per element: each sample's weight covers all its elements.

    A batch whose weights are all zero (class weight 0, a mini-batch of that class)
    carries nothing to learn from: its loss and gradient are 0 (torch would give NaN).
    """
    n = loss.shape[0]
    total = float(w.sum()) * (loss.size // n)
    if total == 0:
        d[...] = 0.0
        return 0.0, d
    value = float((w.reshape((n,) + (1,) * (loss.ndim - 1)) * loss).sum()) / total
    d *= (w / total).reshape((n,) + (1,) * (d.ndim - 1))
    return value, d


def check_param(loss: str, key: str, value: Any, ok: bool, valid: str) -> None:
    """Raise a one-line ConfigError when a hyper-parameter is out of range."""
    if not ok:
        raise ConfigError(f"{loss}: `{key}` must be {valid}; got {value!r}.")


def is_number(value: Any) -> bool:
    """A finite real number (bools excluded)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    return bool(np.isfinite(value))


def as_float_array(loss: str, what: str, values: Any) -> Array:
    """`values` as float64, or a DataError naming the argument."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        kind = np.asarray(values).dtype
        raise DataError(
            f"{loss}: {what} must be numeric; got an array of dtype {kind}. Encode it as numbers first."
        ) from None


def empty_batch_error(loss: str) -> DataError:
    return DataError(
        f"{loss}: got an empty batch (0 samples). Check --batch-size and --val-split."
    )


def format_rows(rows: np.ndarray) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:_SHOW_ROWS])
    return shown + (", ..." if rows.size > _SHOW_ROWS else "")


def format_value(value: float) -> str:
    """1.0 -> '1', 0.25 -> '0.25' (labels read better without trailing .0)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def format_set(values: np.ndarray, limit: int = 6) -> str:
    shown = ", ".join(format_value(v) for v in values[:limit])
    more = f", ... ({values.size} distinct values)" if values.size > limit else ""
    return "{" + shown + more + "}"


def target_array(loss: str, y_true: Any) -> Array:
    """The target as float64, non-empty, without NaN/inf (rows named otherwise)."""
    target = np.asarray(y_true)
    if target.dtype.kind not in "biuf":
        example = target.flat[0].item() if target.size else ""
        raise DataError(
            f"{loss}: target must be numeric; got dtype {target.dtype} (e.g. {example!r}). "
            "Encode the labels as numbers first."
        )
    target = target.astype(np.float64, copy=False)
    if target.ndim == 0:
        raise ShapeError(f"{loss}: expected an array of targets of shape (n,), got a scalar.")
    if target.shape[0] == 0:
        raise empty_batch_error(loss)
    finite = np.isfinite(target)
    if not finite.all():
        bad_rows = ~finite.reshape(target.shape[0], -1).all(axis=1)
        rows = np.flatnonzero(bad_rows)
        has_nan = bool(np.isnan(target).any())
        has_inf = bool(np.isinf(target).any())
        what = "NaN and inf" if has_nan and has_inf else ("NaN" if has_nan else "inf")
        raise DataError(
            f"{loss}: target contains {what} in rows {format_rows(rows)} "
            f"({rows.size} of {target.shape[0]}); drop or impute them before training."
        )
    return target


def check_sample_weight(loss: str, sample_weight: Any, n: int) -> Array:
    """One finite, non-negative weight per sample, with a positive sum."""
    w = as_float_array(loss, "sample_weight", sample_weight)
    if w.shape != (n,):
        raise ShapeError(
            f"{loss}: sample_weight must have shape ({n},), one weight per sample; got {w.shape}."
        )
    finite = np.isfinite(w)
    if not finite.all():
        rows = np.flatnonzero(~finite)
        raise DataError(f"{loss}: sample_weight contains NaN or inf in rows {format_rows(rows)}.")
    negative = np.flatnonzero(w < 0)
    if negative.size:
        row = int(negative[0])
        raise DataError(
            f"{loss}: sample_weight must be >= 0; got {format_value(w[row])} in row {row} "
            f"({negative.size} negative)."
        )
    if not w.sum() > 0:
        raise DataError(
            f"{loss}: sample_weight is all zero; at least one sample needs a positive weight."
        )
    return w


def label_error_hint(values: np.ndarray) -> str:
    """A fix for a wrong binary label set: more classes, or a continuous target."""
    if np.all(np.equal(np.mod(values, 1), 0)) and values.size > 2:
        return f" For {values.size} classes use cross_entropy."
    if not np.all(np.equal(np.mod(values, 1), 0)):
        return " Threshold the target into two classes, or use a regression loss."
    return ""


__all__ = [
    "Loss",
    "as_float_array",
    "check_param",
    "check_sample_weight",
    "empty_batch_error",
    "format_rows",
    "format_set",
    "format_value",
    "is_number",
    "label_error_hint",
    "target_array",
]
