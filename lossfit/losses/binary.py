"""Binary classification losses: y_pred is a raw score (logit), never a probability.

Targets are (n,) like y_pred. Every binary loss takes labels in {0, 1};
margin losses (hinge, squared_hinge, modified_huber, perceptron, exponential)
also take {-1, +1}; bce also takes probabilities in [0, 1]. `prepare_targets`
decides the encoding once, on the whole target, and returns float64 labels in
{0, 1} (bce: values in [0, 1]) -- the canonical encoding `value_and_grad`
expects. Margin losses then use y_pm = 2 y - 1 and the margin m = y_pm * f.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from lossfit._typing import Array
from lossfit.errors import LabelError
from lossfit.losses.base import (
    Loss,
    check_param,
    format_set,
    format_value,
    is_number,
    label_error_hint,
    target_array,
)


@dataclass(frozen=True)
class BinaryLoss(Loss):
    """Base of the binary family: (n,) scores, labels validated and encoded as {0, 1}."""

    task = "binary"
    target_domain = "labels in {0, 1} (or {-1, +1}), shape (n,) like y_pred"
    # "probability": values in [0, 1]; "labels": {0, 1}; "margin": {0, 1} or {-1, +1}
    labels: ClassVar[str] = "margin"

    def prepare_targets(self, y_true: Any, n_classes: int | None = None) -> Array:
        target = target_array(self.name, y_true)
        if self.labels == "probability":
            outside = np.flatnonzero((target < 0) | (target > 1))
            if outside.size:
                row = int(outside[0])
                raise LabelError(
                    f"{self.name} expects targets in [0, 1] (labels 0/1 or probabilities); "
                    f"got {format_value(target[row])} in row {row} ({outside.size} of {target.size} "
                    f"outside, values from {format_value(target.min())} to {format_value(target.max())}). "
                    "For {-1, +1} labels convert with (y + 1) / 2."
                )
            return target
        values = np.unique(target)
        if np.all((values == 0) | (values == 1)):
            return target
        if self.labels == "margin":
            if np.all((values == -1) | (values == 1)):
                return (target + 1.0) * 0.5  # {-1, +1} -> {0, 1}
            raise LabelError(
                f"{self.name} expects binary labels in {{0, 1}} or {{-1, +1}}; got {format_set(values)}."
                + label_error_hint(values)
            )
        hint = label_error_hint(values)
        if np.all((values == -1) | (values == 1)):
            hint = " Convert {-1, +1} labels with (y + 1) / 2."
        raise LabelError(f"{self.name} expects binary labels in {{0, 1}}; got {format_set(values)}." + hint)


# Stable pieces shared below. With e = exp(-|z|) (in (0, 1], never overflows):
#   softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(e)
#   sigmoid(z)  = 1 / (1 + e) if z >= 0 else e / (1 + e)
# so no exp of a large positive number is ever taken.


@dataclass(frozen=True)
class BCE(BinaryLoss):
    """Binary cross-entropy on logits, mean over samples (torch BCEWithLogitsLoss).

    Parameters
    ----------
    pos_weight : float or None, default None
        Weight of the positive term (torch `pos_weight`); > 0. None means 1.

    Targets are labels in {0, 1} or probabilities in [0, 1].

    Notes
    -----
    ::

        z = y_pred (logit), p = sigmoid(z)
        L = softplus(z) - y z  =  -[y log p + (1 - y) log(1 - p)]
        dL/dz = sigmoid(z) - y
        with pos_weight w:
        L = w y softplus(-z) + (1 - y) softplus(z)
        dL/dz = (1 - y) sigmoid(z) - w y sigmoid(-z)
        value = mean(L)                grad = dL/dz / n

    Stable form: softplus(z) = max(z, 0) + log1p(exp(-|z|)); finite and exact
    at z = +-1000 (loss 0 or 1000, gradient 0 or +-1).

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("bce")
    >>> loss([1000.0, -1000.0, 1000.0, -1000.0], [1, 0, 0, 1])
    500.0
    >>> loss.grad([0.0, 1000.0, -1000.0], [1, 0, 1])
    array([-0.16666667,  0.33333333, -0.33333333])
    """

    pos_weight: float | None = None

    name = "bce"
    labels = "probability"
    target_domain = "labels in {0, 1} or probabilities in [0, 1], shape (n,) like y_pred"
    summary = "binary cross-entropy (log loss) on logits: logistic regression's loss"
    formula = "L = softplus(z) - y z = -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))]"
    gradient = "dL/dz = sigmoid(z) - y"
    smooth = "C-infinity"
    robust = True
    probability_link = "sigmoid"
    bayes_optimal = "log-odds log(p / (1 - p)) of P(y = 1 | x)"
    when_to_use = "binary classification when you want calibrated probabilities"
    pitfalls = (
        "y_pred must be a logit: applying sigmoid before the loss (BCELoss on probabilities) "
        "saturates and stops learning; with separable data the weights grow without bound"
    )
    related = ("hinge", "focal", "exponential", "modified_huber")

    def __post_init__(self) -> None:
        if self.pos_weight is not None:
            check_param(
                self.name, "pos_weight", self.pos_weight,
                is_number(self.pos_weight) and self.pos_weight > 0, "> 0 or None",
            )

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        z = y_pred
        e = np.exp(-np.abs(z))  # in (0, 1]: no overflow at z = -1000
        log1p_e = np.log1p(e)
        inv = 1.0 / (1.0 + e)
        small = e * inv  # sigmoid(-|z|): the smaller of sigmoid(z) and sigmoid(-z), never 1 - something
        if self.pos_weight is None:
            # softplus(z) - y z = (max(z, 0) - y z) + log1p(exp(-|z|)): adding the small log1p last keeps
            # its digits where the textbook (z + log1p) - z cancels (y = 1, z = 20 keeps 8 digits, z = 40 none)
            loss = (np.maximum(z, 0.0) - y_true * z) + log1p_e
            # sigmoid(z) - y, as (1 - y) - sigmoid(-z) for z >= 0: exact for y = 1 where 1/(1+e) - 1 cancels
            return loss, np.where(z >= 0, (1.0 - y_true) - small, small - y_true)
        w = self.pos_weight
        # (1 - y) softplus(z) + w y softplus(-z), each softplus and sigmoid computed directly
        loss = (1.0 - y_true) * (np.maximum(z, 0.0) + log1p_e) + w * y_true * (np.maximum(-z, 0.0) + log1p_e)
        positive = z >= 0
        sigmoid_z, sigmoid_minus_z = np.where(positive, inv, small), np.where(positive, small, inv)
        return loss, (1.0 - y_true) * sigmoid_z - w * y_true * sigmoid_minus_z


@dataclass(frozen=True)
class Focal(BinaryLoss):
    """Sigmoid focal loss, mean over samples (torchvision sigmoid_focal_loss, reduction="mean").

    Parameters
    ----------
    gamma : float, default 2.0
        Focusing exponent, >= 0; gamma = 0 with alpha = None is bce.
    alpha : float or None, default 0.25
        Weight of the positive class in [0, 1] (negatives get 1 - alpha); None disables it.

    Notes
    -----
    ::

        p = sigmoid(z), s = 2 y - 1, p_t = sigmoid(s z)    (probability of the true class)
        alpha_t = alpha y + (1 - alpha)(1 - y)              (1 when alpha is None)
        CE = -log p_t = softplus(-s z)
        L = alpha_t (1 - p_t)**gamma CE
        dL/dz = s alpha_t (1 - p_t)**gamma [gamma p_t log p_t - (1 - p_t)]
        value = mean(L)                grad = dL/dz / n

    Stable form: the modulating factor is computed in log space,
    (1 - p_t)**gamma = exp(-gamma softplus(s z)) and log p_t = -softplus(-s z),
    so easy examples give tiny finite gradients, not NaN, even for gamma < 1.
    Not convex for gamma > 0.

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("focal", gamma=2.0, alpha=None)
    >>> round(loss([0.0], [1]), 6)            # (1/2)**2 * log 2
    0.173287
    >>> loss.grad([0.0, -100.0], [1, 0]).round(6)      # easy example: tiny, finite
    array([-0.149143,  0.      ])
    """

    gamma: float = 2.0
    alpha: float | None = 0.25

    name = "focal"
    labels = "labels"
    target_domain = "labels in {0, 1}, shape (n,) like y_pred"
    summary = "cross-entropy scaled down on easy, well-classified examples (class imbalance)"
    formula = "L = alpha_t (1 - p_t)**gamma (-log p_t),  p_t = sigmoid((2y - 1) z)"
    gradient = "dL/dz = (2y - 1) alpha_t (1 - p_t)**gamma [gamma p_t log p_t - (1 - p_t)]"
    convex = False
    smooth = "C-infinity"
    robust = True
    probability_link = "sigmoid"  # but not calibrated: see pitfalls
    bayes_optimal = "a monotone but miscalibrated transform of the log-odds"
    when_to_use = "heavy class imbalance with many easy negatives (dense object detection)"
    pitfalls = (
        "not convex for gamma > 0; probabilities are not calibrated; the naive "
        "(1 - p)**gamma formula gives NaN gradients for gamma < 1 on easy examples"
    )
    related = ("bce",)

    def __post_init__(self) -> None:
        check_param(self.name, "gamma", self.gamma, is_number(self.gamma) and self.gamma >= 0, ">= 0")
        if self.alpha is not None:
            check_param(
                self.name, "alpha", self.alpha,
                is_number(self.alpha) and 0 <= self.alpha <= 1, "in [0, 1] or None",
            )

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        s = 2.0 * y_true - 1.0
        m = s * y_pred  # margin: positive when the true class is favoured
        log1p_e = np.log1p(np.exp(-np.abs(m)))
        ce = np.maximum(-m, 0.0) + log1p_e  # softplus(-m) = -log p_t
        sp_m = np.maximum(m, 0.0) + log1p_e  # softplus(m) = -log(1 - p_t)
        p_t = np.exp(-ce)
        modulator = np.exp(-self.gamma * sp_m)  # (1 - p_t)**gamma, in log space
        one_minus_p_t = np.exp(-sp_m)
        if self.alpha is None:
            weight = modulator
        else:
            weight = (self.alpha * y_true + (1.0 - self.alpha) * (1.0 - y_true)) * modulator
        loss = weight * ce
        d = s * weight * (-self.gamma * p_t * ce - one_minus_p_t)
        return loss, d


@dataclass(frozen=True)
class MarginLoss(BinaryLoss):
    """Base of the margin losses: a function of m = y_pm * f, y_pm in {-1, +1}."""

    labels = "margin"
    margin_based = True
    probability_link = "none"


@dataclass(frozen=True)
class Hinge(MarginLoss):
    """Hinge loss (linear SVM), mean over samples (sklearn SGD hinge).

    Labels {0, 1} or {-1, +1} (converted with y_pm = 2 y - 1); {-1, 0, 1} is rejected.
    Kink: at m = 1 the gradient is -y_pm (boundary counts as active, scikit-learn's rule).

    Notes
    -----
    ::

        m = y_pm f,  y_pm = 2 y - 1
        L = max(0, 1 - m)
        dL/df = -y_pm if m <= 1 else 0     (-y_pm at the kink m = 1)
        value = mean(L)                grad = dL/df / n

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("hinge")
    >>> loss([0.5, 2.0, -1.0], [1, 1, 1])
    0.8333333333333334
    >>> loss.grad([0.5, 1.0, 2.0], [-1, 1, 1])
    array([ 0.33333333, -0.33333333,  0.        ])
    """

    name = "hinge"
    summary = "linear SVM loss: zero once the margin exceeds 1, linear penalty below"
    formula = "L = max(0, 1 - y_pm f),  y_pm = 2y - 1"
    gradient = "dL/df = -y_pm if y_pm f <= 1 else 0"
    smooth = "kink at m = 1"
    robust = True
    bayes_optimal = "sign(2 P(y = 1 | x) - 1): the label, no probability"
    when_to_use = "maximum-margin linear classifiers; when you need decisions, not probabilities"
    pitfalls = "gives no probabilities; {0, 1} labels fed to a +-1 formula silently stop the negative class from learning (lossfit converts them)"
    related = ("squared_hinge", "perceptron", "bce", "modified_huber", "exponential")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        y_pm = 2.0 * y_true - 1.0
        slack = 1.0 - y_pm * y_pred
        active = slack >= 0  # m <= 1: boundary active
        return np.where(active, slack, 0.0), np.where(active, -y_pm, 0.0)


@dataclass(frozen=True)
class SquaredHinge(MarginLoss):
    """Squared hinge loss, mean over samples (sklearn SGD squared_hinge).

    Labels {0, 1} or {-1, +1}.

    Notes
    -----
    ::

        m = y_pm f,  y_pm = 2 y - 1
        L = max(0, 1 - m)**2
        dL/df = -2 y_pm max(0, 1 - m)      (C1: 0 at m = 1)
        value = mean(L)                grad = dL/df / n

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("squared_hinge")
    >>> loss([0.5, 2.0, -1.0], [1, 1, 1])
    1.4166666666666667
    >>> loss.grad([0.5, 0.0, -1.0], [1, 0, 1])
    array([-0.33333333,  0.66666667, -1.33333333])
    """

    name = "squared_hinge"
    summary = "hinge squared: smooth (C1) margin loss, quadratic penalty below margin 1"
    formula = "L = max(0, 1 - y_pm f)**2"
    gradient = "dL/df = -2 y_pm max(0, 1 - y_pm f)"
    smooth = "C1"
    robust = False
    bayes_optimal = "2 P(y = 1 | x) - 1"
    when_to_use = "SVM-like classifiers trained with smooth optimizers (LinearSVC's default)"
    pitfalls = "more sensitive to mislabelled points than hinge: the penalty grows quadratically"
    related = ("hinge", "modified_huber", "bce")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        y_pm = 2.0 * y_true - 1.0
        slack = np.maximum(1.0 - y_pm * y_pred, 0.0)
        return slack * slack, -2.0 * y_pm * slack


@dataclass(frozen=True)
class ModifiedHuber(MarginLoss):
    """Modified Huber loss, mean over samples (sklearn SGD modified_huber).

    Labels {0, 1} or {-1, +1}.

    Notes
    -----
    ::

        m = y_pm f,  y_pm = 2 y - 1
        L = max(0, 1 - m)**2           if m >= -1
          = -4 m                       otherwise
        dL/df = -2 y_pm max(0, 1 - m)  if m >= -1
              = -4 y_pm                otherwise     (C1: both give 4 at m = -1)
        value = mean(L)                grad = dL/df / n
        probability: (clip(f, -1, 1) + 1) / 2

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("modified_huber")
    >>> loss([0.0, -3.0], [1, 1])
    6.5
    >>> loss.grad([0.0, -3.0], [1, 1])
    array([-1., -2.])
    """

    name = "modified_huber"
    summary = "squared hinge with a linear tail: smooth, robust to flipped labels, gives probabilities"
    formula = "L = max(0, 1 - m)**2 if m >= -1 else -4 m,  m = y_pm f"
    gradient = "dL/df = -2 y_pm max(0, 1 - m) if m >= -1 else -4 y_pm"
    smooth = "C1"
    robust = True
    probability_link = "(clip(f, -1, 1) + 1) / 2"
    bayes_optimal = "2 P(y = 1 | x) - 1 (clipped to [-1, 1])"
    when_to_use = "linear classifiers that should tolerate label noise and still give rough probabilities"
    pitfalls = "its probabilities are coarse: all 0 or 1 outside |f| > 1, so predict_proba can look uniform"
    related = ("squared_hinge", "hinge", "bce")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        y_pm = 2.0 * y_true - 1.0
        m = y_pm * y_pred
        slack = np.maximum(1.0 - m, 0.0)
        inner = m >= -1.0
        return np.where(inner, slack * slack, -4.0 * m), np.where(inner, -2.0 * slack, -4.0) * y_pm


@dataclass(frozen=True)
class Perceptron(MarginLoss):
    """Perceptron loss, mean over samples (sklearn SGD perceptron = Hinge(threshold=0)).

    Labels {0, 1} or {-1, +1}.
    Kink: at m = 0 the gradient is -y_pm (boundary active, scikit-learn's rule),
    so training started at w = 0 still moves.

    Notes
    -----
    ::

        m = y_pm f,  y_pm = 2 y - 1
        L = max(0, -m)
        dL/df = -y_pm if m <= 0 else 0     (-y_pm at the kink m = 0)
        value = mean(L)                grad = dL/df / n

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("perceptron")
    >>> loss([0.0, 2.0, -1.0], [1, 1, 1])
    0.3333333333333333
    >>> loss.grad([0.0, 2.0, -1.0], [1, 1, 1])
    array([-0.33333333,  0.        , -0.33333333])
    """

    name = "perceptron"
    summary = "hinge with zero margin: penalises only misclassified points"
    formula = "L = max(0, -y_pm f)"
    gradient = "dL/df = -y_pm if y_pm f <= 0 else 0"
    smooth = "kink at m = 0"
    robust = True
    bayes_optimal = "any score with the sign of 2 P(y = 1 | x) - 1 (w = 0 is a trivial minimum)"
    when_to_use = "the classic perceptron algorithm; linearly separable data"
    pitfalls = "w = 0 has zero loss; the solution it stops at depends on the data order (no margin)"
    related = ("hinge", "bce")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        y_pm = 2.0 * y_true - 1.0
        neg_m = -y_pm * y_pred
        active = neg_m >= 0  # m <= 0: boundary active
        return np.where(active, neg_m, 0.0), np.where(active, -y_pm, 0.0)


@dataclass(frozen=True)
class Exponential(MarginLoss):
    """Exponential loss (AdaBoost), mean over samples (sklearn ExponentialLoss).

    Labels {0, 1} or {-1, +1}.

    Notes
    -----
    ::

        m = y_pm f,  y_pm = 2 y - 1
        L = exp(-m)
        dL/df = -y_pm exp(-m)
        value = mean(L)                grad = dL/df / n
        probability: sigmoid(2 f)

    Overflows to inf for m < -709 (float64); not clipped.

    Examples
    --------
    >>> from lossfit import losses
    >>> loss = losses.get("exponential")
    >>> loss([0.0, 0.0], [0, 1])
    1.0
    >>> loss.grad([0.0, 0.0], [0, 1])
    array([ 0.5, -0.5])
    """

    name = "exponential"
    summary = "AdaBoost's loss: exp(-margin), very harsh on confident mistakes"
    formula = "L = exp(-y_pm f)"
    gradient = "dL/df = -y_pm exp(-y_pm f)"
    smooth = "C-infinity"
    robust = False
    probability_link = "sigmoid(2 f)"
    bayes_optimal = "half the log-odds: log(p / (1 - p)) / 2"
    when_to_use = "boosting; to show how an unbounded gradient reacts to mislabelled points"
    pitfalls = "one mislabelled point far on the wrong side dominates training; overflows for margins below -709"
    related = ("bce", "hinge")

    def pointwise(self, y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        y_pm = 2.0 * y_true - 1.0
        loss = np.exp(-y_pm * y_pred)
        return loss, -y_pm * loss
