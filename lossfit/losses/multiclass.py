"""Multiclass losses: y_pred is a (n, k) array of logits, one column per class.

Targets are (n,) integer class indices 0..k-1 (`kl_div`: (n, k) probability
rows). `prepare_targets` returns int indices (kl_div: float64 rows), the
canonical encoding `value_and_grad` expects. Values are means over the n rows
(torch `reduction="mean"`); `grad` is (n, k).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lossfit._typing import Array
from lossfit.errors import ConfigError, LabelError, ShapeError
from lossfit.losses.base import (
    Loss,
    weighted_mean,
    check_param,
    empty_batch_error,
    format_rows,
    format_value,
    is_number,
    target_array,
)


def _log_softmax_parts(z: Array) -> tuple[Array, Array, Array, Array]:
    """Shifted logits s = z - max(z), the softmax, log(sum exp s) and rest = sum exp s - 1, per row.

    log-sum-exp: logsumexp(z) = max(z) + log(sum(exp(z - max(z)))); every shifted
    exponent is <= 0, so nothing overflows and the largest term is exactly 1. The
    sum is 1 + rest, with rest summed without that 1 (which would swallow the low
    digits of a tiny rest) and log1p(rest) for the log: a confident, correct row
    has a loss of about rest, and keeps all its digits.
    """
    s = z - z.max(axis=1, keepdims=True)
    e = np.exp(s)
    total = np.einsum("ij->i", e)[:, None]
    below = np.einsum("ij,ij->i", e, s < 0.0)[:, None]  # the sum without the maxima
    # below the max the sum is exact; total - 1 is exact enough once rest >= 1 (and counts tied maxima,
    # which only happen then: a second maximum adds 1)
    rest = np.where(total < 2.0, below, total - 1.0)
    return s, e / (1.0 + rest), np.log1p(rest), rest


def _p_minus_one(p_y: Array, s_y: Array, rest: Array) -> Array:
    """p_y - 1 per row; where y holds the maximum (s_y = 0, p_y = 1/(1 + rest)) as -rest/(1 + rest),
    which keeps the digits the subtraction from a p_y close to 1 would cancel."""
    return np.where(s_y == 0.0, 0.0 - rest / (1.0 + rest), p_y - 1.0)  # 0.0 - x: +0.0 when rest is 0


@dataclass(frozen=True)
class MulticlassLoss(Loss):
    """Base of the multiclass family: (n, k) logits, (n,) integer class indices."""

    task = "multiclass"
    target_domain = "class indices 0..k-1, shape (n,); y_pred is (n, k) logits"

    def n_outputs(self, n_classes: int) -> int:
        return n_classes

    def _check_shapes(self, y_pred: Array, y_true: np.ndarray) -> None:
        if y_pred.ndim != 2 or y_pred.shape[1] < 2:
            raise ShapeError(
                f"{self.name}: expected y_pred of shape (n, k) with one logit column per class "
                f"(k >= 2); got {y_pred.shape}. For two classes with one score use bce or hinge."
            )
        if y_true.ndim == 2 and y_true.shape == y_pred.shape:
            raise LabelError(
                f"{self.name} expects class indices of shape ({y_pred.shape[0]},); got a "
                f"{y_true.shape} array, which looks like one-hot or probability targets. "
                "Pass indices (y.argmax(axis=1)), or use kl_div for soft targets."
            )
        if y_true.shape != (y_pred.shape[0],):
            raise ShapeError(
                f"{self.name}: shape mismatch: got y_pred {y_pred.shape} and y_true {y_true.shape}. "
                f"Expected y_true of shape ({y_pred.shape[0]},), one class index per row."
            )

    def prepare_targets(self, y_true: Any, n_classes: int | None = None) -> np.ndarray:
        raw = np.asarray(y_true)
        if raw.ndim == 2:
            raise LabelError(
                f"{self.name} expects class indices of shape (n,); got a {raw.shape} array "
                "(one-hot or probabilities?). Pass indices (y.argmax(axis=1)), or use kl_div for soft targets."
            )
        target = target_array(self.name, raw)
        fractional = np.flatnonzero(target != np.floor(target))
        if fractional.size:
            row = int(fractional[0])
            raise LabelError(
                f"{self.name}: class indices must be whole numbers; got {format_value(target[row])} "
                f"in row {row} ({fractional.size} of {target.size} non-integral)."
            )
        negative = np.flatnonzero(target < 0)
        if negative.size:
            row = int(negative[0])
            raise LabelError(
                f"{self.name}: class index {format_value(target[row])} in row {row} is negative; "
                "expected indices 0..k-1 (there is no ignore_index)."
            )
        if n_classes is not None:
            too_big = np.flatnonzero(target >= n_classes)
            if too_big.size:
                row = int(too_big[0])
                raise LabelError(
                    f"{self.name}: class index {format_value(target[row])} in row {row} is out of range "
                    f"for {n_classes} logit columns (expected 0..{n_classes - 1})."
                )
        return target.astype(np.intp)


@dataclass(frozen=True)
class CrossEntropy(MulticlassLoss):
    """Softmax cross-entropy on logits, mean over rows (torch CrossEntropyLoss).

    Parameters
    ----------
    label_smoothing : float, default 0.0
        epsilon in [0, 1]: the target becomes q = (1 - epsilon) onehot + epsilon / k.
    class_weight : tuple of float or None, default None
        One weight >= 0 per class (torch `weight`). The value is then the weighted
        mean sum_i w[t_i] L_i / sum_i w[t_i] (not divided by n), as in torch.

    Notes
    -----
    ::

        p = softmax(z),  q = (1 - eps) onehot(t) + eps / k
        L = logsumexp(z) - sum_k q_k z_k           (eps = 0: logsumexp(z) - z_t)
        dL/dz = p - q
        value = mean over rows                     grad = (p - q) / n
        with class_weight w (torch's formula, smoothing term weighted per class):
        L_i = (1 - eps) w[t_i] (lse_i - z_it) + eps/k sum_k w_k (lse_i - z_ik)
        dL_i/dz = (1 - eps) w[t_i] (p - onehot) + eps/k (sum(w) p - w)
        value = sum_i L_i / sum_i w[t_i]

    Stable form: log-sum-exp with the row maximum subtracted; finite and exact
    at logits +-1000 (rows [1000, -1000, 0] and [-1000, 1000, 0] with class 0
    give losses 0 and 2000).

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("cross_entropy")
    >>> loss([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]], [0, 0])
    1000.0
    >>> loss.grad([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]], [0, 0])
    array([[ 0. ,  0. ,  0. ],
           [-0.5,  0.5,  0. ]])
    """

    label_smoothing: float = 0.0
    class_weight: tuple[float, ...] | None = None
    _weights: Array | None = field(default=None, init=False, repr=False, compare=False)

    name = "cross_entropy"
    summary = "softmax cross-entropy on logits: multinomial logistic regression's loss"
    formula = "L = logsumexp(z) - z_t   (label smoothing: logsumexp(z) - sum_k q_k z_k)"
    gradient = "dL/dz = softmax(z) - onehot(t)   (smoothing: softmax(z) - q)"
    smooth = "C-infinity"
    robust = True
    probability_link = "softmax"
    bayes_optimal = "log P(y = k | x) up to a per-row constant"
    when_to_use = "multiclass classification with probabilities; the default classifier loss"
    pitfalls = (
        "y_pred must be logits, not softmax output; with label smoothing the minimum loss is the "
        "entropy of q, not 0; with class_weight the mean divides by the sum of the targets' weights"
    )
    related = ("multi_margin", "crammer_singer", "kl_div")

    def __post_init__(self) -> None:
        eps = self.label_smoothing
        check_param(self.name, "label_smoothing", eps, is_number(eps) and 0 <= eps <= 1, "in [0, 1]")
        if self.class_weight is None:
            return
        try:
            weights = tuple(float(w) for w in self.class_weight)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{self.name}: `class_weight` must be a tuple of numbers, one per class; "
                f"got {self.class_weight!r}."
            ) from None
        ok = len(weights) >= 2 and all(np.isfinite(w) and w >= 0 for w in weights) and sum(weights) > 0
        check_param(
            self.name, "class_weight", self.class_weight, ok,
            "a tuple of at least 2 finite weights >= 0, not all zero",
        )
        object.__setattr__(self, "class_weight", weights)
        object.__setattr__(self, "_weights", np.asarray(weights, dtype=np.float64))

    def _checked(self, y_pred: Any, y_true: Any, sample_weight: Any) -> tuple[Array, Any, Array | None]:
        pred, target, weight = super()._checked(y_pred, y_true, sample_weight)
        if self._weights is not None:
            if self._weights.size != pred.shape[1]:
                raise ShapeError(
                    f"{self.name}: class_weight has {self._weights.size} entries but y_pred has "
                    f"{pred.shape[1]} logit columns; give one weight per class."
                )
            row_w = self._weights[target] if weight is None else self._weights[target] * weight
            if not row_w.sum() > 0:
                raise LabelError(
                    f"{self.name}: every sample in this batch has weight 0 (class_weight of its "
                    "class times sample_weight); the weighted mean is undefined."
                )
        return pred, target, weight

    def prepare_targets(self, y_true: Any, n_classes: int | None = None) -> np.ndarray:
        if n_classes is None and self._weights is not None:
            n_classes = self._weights.size
        return super().prepare_targets(y_true, n_classes)

    def pointwise(self, y_pred: Array, y_true: np.ndarray) -> tuple[Array, Array]:
        """Unweighted per-row losses and gradients; class_weight is applied in value_and_grad."""
        s, p, log_total, rest = _log_softmax_parts(y_pred)
        rows = np.arange(s.shape[0])
        eps = self.label_smoothing
        # loss = logsumexp(z) - sum q z = log_total - sum q s (the max cancels since sum q = 1)
        if eps == 0.0:
            s_y = s[rows, y_true]
            loss = log_total[:, 0] - s_y
            p[rows, y_true] = _p_minus_one(p[rows, y_true], s_y, rest[:, 0])
            return loss, p
        k = s.shape[1]
        loss = log_total[:, 0] - (1.0 - eps) * s[rows, y_true] - (eps / k) * s.sum(axis=1)
        p -= eps / k
        p[rows, y_true] -= 1.0 - eps
        return loss, p

    def value_and_grad(
        self, y_pred: Array, y_true: np.ndarray, sample_weight: Array | None = None
    ) -> tuple[float, Array]:
        w = self._weights
        if w is None:  # the base reduction, inlined: this is the training hot path
            loss, d = self.pointwise(y_pred, y_true)
            if sample_weight is None:
                count = loss.size
                d /= count
                return float(loss.sum()) / count, d
            return weighted_mean(loss, d, sample_weight)
        s, p, log_total, rest = _log_softmax_parts(y_pred)
        n, k = s.shape
        rows = np.arange(n)
        eps = self.label_smoothing
        row_w = np.ones(n) if sample_weight is None else sample_weight
        w_t = w[y_true] * row_w  # each row's weight: class weight of its target (x sample weight)
        nll = log_total - s  # (n, k): -log softmax
        loss = (1.0 - eps) * w_t * nll[rows, y_true]
        d = ((1.0 - eps) * w_t)[:, None] * p
        d[rows, y_true] = (1.0 - eps) * w_t * _p_minus_one(p[rows, y_true], s[rows, y_true], rest[:, 0])
        if eps:
            # torch weights the smoothing term per class: eps/k * sum_k w_k (-log p_k)
            r = (eps / k) * row_w
            loss += r * (nll @ w)
            d += (r * w.sum())[:, None] * p - np.outer(r, w)
        total = float(w_t.sum())
        d /= total
        return float(loss.sum()) / total, d


@dataclass(frozen=True)
class MultiMargin(MulticlassLoss):
    """Weston-Watkins multiclass hinge, mean over rows, each row divided by k (torch MultiMarginLoss).

    Parameters
    ----------
    p : int, default 1
        Exponent of the hinge, 1 or 2.
    margin : float, default 1.0
        Required gap between the true logit and every other logit; >= 0.

    Kink (p = 1): a term exactly at the margin gets gradient 0 (torch's choice).

    Notes
    -----
    ::

        h_j = max(0, margin - z_t + z_j)    for j != t
        L = (1/k) sum_{j != t} h_j**p
        dL/dz_j = p h_j**(p-1) [h_j > 0] / k   (j != t),   dL/dz_t = -sum_{j != t} dL/dz_j
        value = mean over rows                 grad = dL/dz / n

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("multi_margin")
    >>> loss([[2.0, 1.5, 0.0]], [0])           # (0.5 + 0) / 3
    0.16666666666666666
    >>> loss.grad([[2.0, 1.5, 0.0]], [0])
    array([[-0.33333333,  0.33333333,  0.        ]])
    """

    p: int = 1
    margin: float = 1.0

    name = "multi_margin"
    summary = "Weston-Watkins multiclass hinge: every wrong class must trail the true one by a margin"
    formula = "L = (1/k) sum_{j != t} max(0, margin - z_t + z_j)**p"
    gradient = "dL/dz_j = p max(0, margin - z_t + z_j)**(p-1) / k on active j != t;  dL/dz_t = -sum of those"
    smooth = "kinks at the margin (p = 1); C1 for p = 2"
    robust = True  # for p = 1 (bounded gradient)
    probability_link = "none"
    margin_based = True
    bayes_optimal = "not always the most likely class for k > 2 (WW hinge is not Fisher consistent)"
    when_to_use = "multiclass SVMs; to compare with cross_entropy"
    pitfalls = "torch divides each row by k, so values are k times smaller than textbook formulas"
    related = ("crammer_singer", "cross_entropy", "hinge")

    def __post_init__(self) -> None:
        check_param(
            self.name, "p", self.p,
            isinstance(self.p, (int, np.integer)) and not isinstance(self.p, bool) and self.p in (1, 2),
            "1 or 2",
        )
        check_param(self.name, "margin", self.margin, is_number(self.margin) and self.margin >= 0, ">= 0")

    def pointwise(self, y_pred: Array, y_true: np.ndarray) -> tuple[Array, Array]:
        n, k = y_pred.shape
        rows = np.arange(n)
        h = (self.margin - y_pred[rows, y_true])[:, None] + y_pred
        h[rows, y_true] = 0.0  # the true class is not a competitor
        h = np.maximum(h, 0.0)
        if self.p == 1:
            loss = h.sum(axis=1) / k
            d = (h > 0).astype(h.dtype) / k  # 0 exactly at the margin
        else:
            loss = (h * h).sum(axis=1) / k
            d = (2.0 / k) * h
        d[rows, y_true] = -d.sum(axis=1)
        return loss, d


@dataclass(frozen=True)
class CrammerSinger(MulticlassLoss):
    """Crammer-Singer multiclass hinge, mean over rows (optax multiclass_hinge_loss).

    Only the strongest wrong class counts. Kink: a row exactly at the margin
    (1 + max_{j != t} z_j - z_t = 0) is active, as the binary hinge; ties for the
    strongest wrong class go to the lowest index.

    Notes
    -----
    ::

        j* = argmax_{j != t} z_j
        L = max(0, 1 + z_j* - z_t)
        dL/dz = e_j* - e_t if 1 + z_j* - z_t >= 0, else 0
        value = mean over rows                 grad = dL/dz / n
        with k = 2 and logits [0, f] this is the binary hinge.

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("crammer_singer")
    >>> loss([[2.0, 1.5, 0.0], [0.0, 3.0, 1.0]], [0, 0])   # (0.5 + 4) / 2
    2.25
    >>> loss.grad([[2.0, 1.5, 0.0], [0.0, 3.0, 1.0]], [0, 0])
    array([[-0.5,  0.5,  0. ],
           [-0.5,  0.5,  0. ]])
    """

    name = "crammer_singer"
    summary = "multiclass hinge on the strongest wrong class only"
    formula = "L = max(0, 1 + max_{j != t} z_j - z_t)"
    gradient = "dL/dz = e_{j*} - e_t when the margin is violated (j* = strongest wrong class), else 0"
    smooth = "kinks"
    robust = True
    margin_based = True
    probability_link = "none"
    bayes_optimal = "the most likely class only when it has probability > 1/2"
    when_to_use = "multiclass SVMs (LinearSVC(multi_class='crammer_singer'))"
    pitfalls = "Keras categorical_hinge is a different function (it includes a 0 for the true class)"
    related = ("multi_margin", "cross_entropy", "hinge")

    def pointwise(self, y_pred: Array, y_true: np.ndarray) -> tuple[Array, Array]:
        n = y_pred.shape[0]
        rows = np.arange(n)
        others = y_pred.copy()  # the true class is masked out
        others[rows, y_true] = -np.inf
        rival = others.argmax(axis=1)  # first index on ties
        slack = 1.0 + others[rows, rival] - y_pred[rows, y_true]
        active = slack >= 0
        d = np.zeros_like(y_pred)
        a = active.astype(y_pred.dtype)
        d[rows, rival] = a
        d[rows, y_true] = -a
        return np.where(active, slack, 0.0), d


@dataclass(frozen=True)
class KLDiv(MulticlassLoss):
    """KL divergence from soft targets to softmax(y_pred), summed over classes, divided by n.

    torch `kl_div(log_softmax(z), q, reduction="batchmean")`: the one lossfit
    loss that is not torch's default "mean" (which would also divide by k,
    and which torch itself warns against).

    Targets: (n, k) rows of probabilities (>= 0, summing to 1).

    Notes
    -----
    ::

        p = softmax(z)
        L = sum_k q_k (log q_k - log p_k)        (0 log 0 = 0)
        dL/dz = p sum_k q_k - q  =  p - q
        value = sum over rows / n                grad = (p - q) / n

    Stable form: log p = z - logsumexp(z), with the row maximum subtracted.

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("kl_div")
    >>> loss([[0.0, 0.0]], [[0.5, 0.5]])
    0.0
    >>> loss.grad([[0.0, 0.0]], [[1.0, 0.0]])
    array([[-0.5,  0.5]])
    """

    name = "kl_div"
    target_domain = "probability rows (n, k): entries >= 0, each row summing to 1"
    summary = "KL divergence to soft target distributions (distillation, label distributions)"
    formula = "L = sum_k q_k (log q_k - log softmax(z)_k)"
    gradient = "dL/dz = softmax(z) - q"
    smooth = "C-infinity"
    robust = True
    probability_link = "softmax"
    bayes_optimal = "log E[q | x] up to a per-row constant"
    when_to_use = "soft targets: knowledge distillation, label distributions"
    pitfalls = (
        "divides by n (batchmean), not n*k as torch's default 'mean'; equals cross-entropy minus "
        "the entropy of q, so with one-hot rows it is cross_entropy"
    )
    related = ("cross_entropy",)

    def _check_shapes(self, y_pred: Array, y_true: np.ndarray) -> None:
        if y_pred.ndim != 2 or y_pred.shape[1] < 2:
            raise ShapeError(
                f"{self.name}: expected y_pred of shape (n, k) with one logit column per class "
                f"(k >= 2); got {y_pred.shape}."
            )
        if y_true.ndim == 1 and y_true.shape[0] == y_pred.shape[0]:
            raise ShapeError(
                f"{self.name} expects soft targets of shape {y_pred.shape} (one probability row per "
                f"sample); got class indices {y_true.shape}. For class indices use cross_entropy."
            )
        if y_true.shape != y_pred.shape:
            raise ShapeError(
                f"{self.name}: shape mismatch: got y_pred {y_pred.shape} and y_true {y_true.shape}. "
                "Targets must be probability rows of the same shape."
            )

    def prepare_targets(self, y_true: Any, n_classes: int | None = None) -> Array:
        raw = np.asarray(y_true)
        if raw.ndim != 2:
            if raw.ndim >= 1 and raw.shape[0] == 0:
                raise empty_batch_error(self.name)
            raise ShapeError(
                f"{self.name} expects soft targets of shape (n, k); got shape {raw.shape}. "
                "For class indices use cross_entropy."
            )
        target = target_array(self.name, raw)
        negative = np.flatnonzero((target < 0).any(axis=1))
        if negative.size:
            raise LabelError(
                f"{self.name} expects probability rows (entries >= 0, summing to 1); row "
                f"{int(negative[0])} has a negative entry (rows {format_rows(negative)})."
            )
        sums = target.sum(axis=1)
        off = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
        if off.size:
            row = int(off[0])
            raise LabelError(
                f"{self.name} expects probability rows summing to 1; row {row} sums to "
                f"{sums[row]:.6g} (rows {format_rows(off)}: {off.size} of {target.shape[0]}). "
                "Normalise with q / q.sum(axis=1, keepdims=True)."
            )
        if n_classes is not None and target.shape[1] != n_classes:
            raise ShapeError(
                f"{self.name}: targets have {target.shape[1]} columns but y_pred has {n_classes}."
            )
        return target

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        s, p, log_total, _ = _log_softmax_parts(y_pred)
        q = y_true
        log_p = s - log_total
        # q log q with 0 log 0 = 0 (xlogy): log(1) = 0 where q == 0, no log(0) warning
        entropy_term = q * np.log(np.where(q > 0, q, 1.0))
        loss = (entropy_term - q * log_p).sum(axis=1)
        d = p * q.sum(axis=1, keepdims=True) - q  # = p - q for rows summing to 1 (torch's exact form)
        return loss, d
