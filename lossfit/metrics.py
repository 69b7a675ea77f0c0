"""Evaluation metrics, with scikit-learn 1.9's definitions and edge cases.

**Argument order: prediction first,** ``metric(y_pred, y_true)``, as lossfit's
losses. This is the REVERSE of scikit-learn (``accuracy_score(y_true, y_pred)``):
swap the arguments when comparing.

    >>> import numpy as np
    >>> accuracy(np.array([1, 0, 1, 1]), np.array([1, 0, 0, 1]))
    0.75
    >>> r2(np.array([2.5, 0.0, 2.0, 8.0]), np.array([3.0, -0.5, 2.0, 7.0]))
    0.9486081370449679

`epoch_metrics` turns a model's raw output (regression values, binary logits,
multiclass logit rows) into the cheap figures shown every epoch; `final_metrics`
computes everything that applies once, at the end of a run. `MAIN` names the
metric a task is judged by.
"""

from __future__ import annotations

from collections.abc import Callable

import math
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from lossfit._typing import Array, Task
from lossfit.errors import ConfigError, DataError, LabelError, ShapeError

MAIN: dict[str, str] = {"regression": "r2", "binary": "accuracy", "multiclass": "accuracy"}
"""The headline metric of each task (higher is better for all three)."""

NAMES: dict[str, str] = {"mae": "MAE", "rmse": "RMSE", "mse": "MSE", "r2": "R²", "f1": "F1", "accuracy": "accuracy",
                         "precision": "precision", "recall": "recall", "roc_auc": "ROC AUC", "log_loss": "log loss",
                         "truth_rmse": "RMSE to the noiseless truth"}
"""How tables, plots and sentences name each metric (truth_rmse: distance to a generator's noiseless target)."""
LOWER_IS_BETTER = frozenset({"mae", "rmse", "mse", "log_loss", "truth_rmse"})

_EPS = float(np.finfo(np.float64).eps)
Average = Literal["auto", "binary", "macro"]
AnyArray = npt.ArrayLike
Labels = npt.NDArray[Any]  # targets or predictions: the dtype (int, bool, float) is known only at run time


def _pair(y_pred: AnyArray, y_true: AnyArray, what: str, names: tuple[str, str] = ("y_pred", "y_true")
          ) -> tuple[Labels, Labels]:
    p, t = np.asarray(y_pred), np.asarray(y_true)
    if p.shape != t.shape:
        raise ShapeError(
            f"{what}: {names[0]} has shape {p.shape} but {names[1]} has shape {t.shape}; "
            f"expected the same shape (arguments are {names[0]}, {names[1]})."
        )
    if p.size == 0:
        raise DataError(f"{what}: got no samples; a metric needs at least one.")
    for name, array in zip(names, (p, t)):
        _check_finite(array, what, name)
    return p, t


def _check_finite(array: Labels, what: str, name: str) -> None:
    """NaN or inf in a metric's input is refused (as scikit-learn does), naming the argument."""
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = np.flatnonzero(~np.isfinite(array.ravel()))
        raise DataError(
            f"{what}: {name} holds {array.ravel()[bad[0]]} at position {int(bad[0])} ({len(bad)} non-finite "
            "values); a metric needs finite numbers."
        )


# --- regression -------------------------------------------------------------------------


def mse(y_pred: AnyArray, y_true: AnyArray) -> float:
    """Mean squared error, mean((y_true - y_pred)^2). Prediction first (reverse of sklearn).

    >>> mse([1.0, 2.0], [1.0, 4.0])
    2.0
    """
    p, t = _pair(y_pred, y_true, "mse")
    return float(np.mean((t.astype(np.float64) - p) ** 2))


def rmse(y_pred: AnyArray, y_true: AnyArray) -> float:
    """Root mean squared error, sqrt(mse). Prediction first (reverse of sklearn).

    2-D targets (n, d): the mean of the d per-column RMSEs, as scikit-learn's
    ``root_mean_squared_error`` (multioutput="uniform_average"); not the root of the overall mean.

    >>> rmse([1.0, 2.0], [1.0, 4.0])
    1.4142135623730951
    >>> rmse([[0.0, 0.0], [0.0, 0.0]], [[1.0, 3.0], [1.0, 3.0]])  # columns 1 and 3: (1 + 3) / 2
    2.0
    """
    p, t = _pair(y_pred, y_true, "rmse")
    squared = (t.astype(np.float64) - p) ** 2
    if squared.ndim == 1:
        return math.sqrt(float(np.mean(squared)))
    return float(np.mean(np.sqrt(squared.reshape(len(squared), -1).mean(axis=0))))


def mae(y_pred: AnyArray, y_true: AnyArray) -> float:
    """Mean absolute error, mean|y_true - y_pred|. Prediction first (reverse of sklearn).

    >>> mae([1.0, 2.0], [2.0, 4.0])
    1.5
    """
    p, t = _pair(y_pred, y_true, "mae")
    return float(np.mean(np.abs(t.astype(np.float64) - p)))


def r2(y_pred: AnyArray, y_true: AnyArray, *, force_finite: bool = True) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot. Prediction first (reverse of sklearn).

    As scikit-learn's ``r2_score``: negative when worse than predicting the mean;
    with ``force_finite`` a perfect fit gives 1.0 and a constant y_true with
    SS_res != 0 gives 0.0 (-inf without it); fewer than 2 samples give nan;
    2-D targets average the per-column scores.

    >>> r2([3.0, 3.0], [1.0, 3.0])  # worse than the mean (2.0)
    -1.0
    >>> r2([1.0, 2.0], [3.0, 3.0])
    0.0
    """
    p, t = _pair(y_pred, y_true, "r2")
    p, t = p.astype(np.float64), t.astype(np.float64)
    if len(t) < 2:
        return math.nan
    if t.ndim == 1:
        p, t = p[:, None], t[:, None]
    ss_res = ((t - p) ** 2).sum(axis=0)
    ss_tot = ((t - t.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = 1.0 - ss_res / ss_tot
    if force_finite:
        scores = np.where(ss_tot == 0, np.where(ss_res == 0, 1.0, 0.0), scores)
    else:
        scores = np.where((ss_tot == 0) & (ss_res == 0), np.nan, scores)
    return float(np.mean(scores))


# --- classification from labels ---------------------------------------------------------


def accuracy(y_pred: AnyArray, y_true: AnyArray) -> float:
    """Fraction of predicted labels equal to the true ones. Prediction first (reverse of sklearn).

    2-D label arrays (multilabel rows) count a row as right only when all of it
    is: scikit-learn's subset accuracy.

    >>> accuracy([0, 1, 2, 2], [0, 1, 1, 2])
    0.75
    >>> accuracy([[1, 0], [1, 1]], [[1, 0], [0, 1]])
    0.5
    """
    p, t = _pair(y_pred, y_true, "accuracy")
    if p.ndim > 1:
        return float(np.mean(np.all((p == t).reshape(len(p), -1), axis=1)))
    return float(np.mean(p == t))


def _counts(
    y_pred: AnyArray, y_true: AnyArray, what: str, average: Average
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(TP, predicted, true) counts per label: label 1 for binary, each present one for macro."""
    p, t = _pair(y_pred, y_true, what)
    if p.ndim != 1:
        raise ShapeError(f"{what}: expected 1-D label arrays, got shape {p.shape}.")
    labels = np.union1d(p, t)
    if average == "auto":  # binary where scikit-learn's default (pos_label=1) applies; else macro
        binary = len(labels) == 1 or np.isin(labels, (0, 1)).all() or np.isin(labels, (-1, 1)).all()
        average = "binary" if binary else "macro"
    if average == "binary":  # scikit-learn's default: pos_label=1
        if len(labels) > 2:
            raise LabelError(
                f"{what}: binary averaging needs two labels, got {labels.tolist()}; "
                "use average='macro' for multiclass labels."
            )
        if len(labels) == 2 and 1 not in labels:
            raise LabelError(
                f"{what}: binary averaging counts label 1 as the positive class, got labels {labels.tolist()}; "
                "encode the positive class as 1, or use average='macro'."
            )
        labels = np.array([1])
    elif average != "macro":
        raise ConfigError(f"{what}: average={average!r}; expected 'auto', 'binary' or 'macro'.")
    hits = p == t
    tp = np.array([np.sum(hits & (t == label)) for label in labels], dtype=np.float64)
    n_pred = np.array([np.sum(p == label) for label in labels], dtype=np.float64)
    n_true = np.array([np.sum(t == label) for label in labels], dtype=np.float64)
    return tp, n_pred, n_true


def _ratio(num: Array, den: Array, zero_division: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(den > 0, num / np.where(den > 0, den, 1.0), zero_division)
    if np.isnan(values).all():
        return math.nan
    return float(np.nanmean(values))  # as sklearn's _nanaverage: zero_division=nan drops labels


def precision(
    y_pred: AnyArray, y_true: AnyArray, *, average: Average = "auto", zero_division: float = 0.0
) -> float:
    """TP / (TP + FP). Prediction first (reverse of sklearn).

    ``average="auto"`` is binary (positive label 1, scikit-learn's default) for
    labels 0/1, -1/+1 or a single label, else the unweighted mean over the labels
    present in y_true or y_pred (macro). No positive prediction gives
    `zero_division` (0.0, sklearn's default), also when label 1 never occurs.

    >>> precision([1, 1, 0, 0], [1, 0, 0, 1])
    0.5
    >>> precision([0, 0], [1, 0]), precision([-1, -1], [-1, -1])
    (0.0, 0.0)
    """
    tp, n_pred, _ = _counts(y_pred, y_true, "precision", average)
    return _ratio(tp, n_pred, zero_division)


def recall(
    y_pred: AnyArray, y_true: AnyArray, *, average: Average = "auto", zero_division: float = 0.0
) -> float:
    """TP / (TP + FN). Prediction first (reverse of sklearn); averaging as `precision`.

    >>> recall([1, 0, 0, 0], [1, 0, 0, 1])
    0.5
    """
    tp, _, n_true = _counts(y_pred, y_true, "recall", average)
    return _ratio(tp, n_true, zero_division)


def f1(
    y_pred: AnyArray, y_true: AnyArray, *, average: Average = "auto", zero_division: float = 0.0
) -> float:
    """F1 = 2 TP / (2 TP + FP + FN), from counts as sklearn. Prediction first (reverse of sklearn).

    TP = 0 with FP + FN > 0 gives 0.0; TP + FP + FN = 0 (all negative) gives
    `zero_division`. Averaging as `precision`.

    >>> f1([1, 1, 0, 0], [1, 0, 0, 1])
    0.5
    >>> f1([0, 1, 2, 2], [0, 1, 1, 2], average="macro")  # (1 + 2/3 + 2/3) / 3
    0.7777777777777777
    """
    tp, n_pred, n_true = _counts(y_pred, y_true, "f1", average)
    return _ratio(2 * tp, n_pred + n_true, zero_division)


# --- classification from scores and probabilities ------------------------------------


def roc_auc(y_score: AnyArray, y_true: AnyArray) -> float:
    """Area under the ROC curve for binary labels, from scores. Scores first (reverse of sklearn).

    Computed as the Mann-Whitney statistic with average ranks for ties, which
    equals scikit-learn's trapezoidal ``roc_auc_score``:
    AUC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg), R_pos the sum of the
    positives' ranks. The positive class is the greater label. A single class
    in y_true gives nan (as scikit-learn 1.9).

    >>> roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75
    >>> roc_auc([0.5, 0.5], [0, 1])  # a tie counts one half
    0.5
    """
    s, t = _pair(y_score, y_true, "roc_auc", ("y_score", "y_true"))
    if s.ndim != 1:
        raise ShapeError(f"roc_auc: expected 1-D scores (binary), got shape {s.shape}.")
    labels = np.unique(t)
    if len(labels) > 2:
        raise LabelError(
            f"roc_auc: needs binary labels, got {len(labels)} classes {labels.tolist()}."
        )
    if len(labels) < 2:
        return math.nan
    positive = t == labels[1]
    _, inverse, counts = np.unique(s.astype(np.float64), return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0  # 1-based ranks, ties share the mean
    n_pos = float(positive.sum())
    n_neg = len(t) - n_pos
    rank_sum = float(average_rank[inverse.ravel()][positive].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def log_loss(y_proba: AnyArray, y_true: AnyArray) -> float:
    """Mean cross-entropy from probabilities. Prediction first (reverse of sklearn).

    ``-(1/N) sum_i log clip(p_i[y_i], eps, 1 - eps)``, eps = float64 machine
    epsilon, as scikit-learn 1.9 (rows are not renormalized). A 1-D `y_proba`,
    or a single column (n, 1), is P(class 1) for binary labels; a 2-D one has a
    column per class and y_true holds class indices. Probabilities in [0, 1], not
    logits (see `sigmoid`/`softmax`): anything else is refused, as are NaN and inf.

    >>> round(log_loss([0.9, 0.2], [1, 0]), 6)  # -(ln 0.9 + ln 0.8) / 2
    0.164252
    """
    p = np.asarray(y_proba, dtype=np.float64)
    t = np.asarray(y_true)
    _check_finite(p, "log_loss", "y_proba")
    _check_finite(t, "log_loss", "y_true")
    if p.size and (p.min() < 0.0 or p.max() > 1.0):
        bad = p.min() if p.min() < 0.0 else p.max()
        raise DataError(f"log_loss: y_proba holds {bad}, not a probability; expected values in [0, 1] "
                        "(for logits or scores, apply `sigmoid` or `softmax` first).")
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]  # one column: P(class 1), as scikit-learn reads it
    if p.ndim == 1:
        p = np.column_stack([1.0 - p, p])
    if p.ndim != 2 or t.ndim != 1 or len(p) != len(t):
        raise ShapeError(
            f"log_loss: y_proba has shape {np.shape(y_proba)} and y_true {t.shape}; expected "
            "(n,) or (n, k) probabilities and (n,) labels."
        )
    if len(t) == 0:
        raise DataError("log_loss: got no samples; a metric needs at least one.")
    idx = t.astype(np.int64)
    if not np.array_equal(idx, t) or idx.min() < 0 or idx.max() >= p.shape[1]:
        raise LabelError(
            f"log_loss: labels must be class indices 0..{p.shape[1] - 1}, "
            f"got {np.unique(t).tolist()}."
        )
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return float(-np.mean(np.log(p[np.arange(len(idx)), idx])))


def sigmoid(z: AnyArray) -> Array:
    """Logistic function, numerically stable: sigmoid(z) = exp(-log(1 + exp(-z))).

    >>> sigmoid([0.0, 800.0, -800.0]).tolist()
    [0.5, 1.0, 0.0]
    """
    z_array = np.asarray(z, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -z_array))  # logaddexp(0, -z) = log(1 + e^-z) without overflow


def softmax(z: AnyArray) -> Array:
    """Row-wise softmax; subtracting the row maximum changes nothing but avoids overflow.

    >>> softmax([[0.0, 0.0], [1000.0, 0.0]]).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    z_array = np.asarray(z, dtype=np.float64)
    e: Array = np.exp(z_array - z_array.max(axis=1, keepdims=True))
    row_sums: Array = e.sum(axis=1, keepdims=True)
    return e / row_sums


# --- from raw model output ----------------------------------------------------------------


def _flat(output: AnyArray, y_true: AnyArray, task: str) -> tuple[Array, Labels]:
    out = np.asarray(output, dtype=np.float64)
    t = np.asarray(y_true)
    if task not in MAIN:
        raise ConfigError(f"Unknown task `{task}`; expected one of: {', '.join(MAIN)}.")
    if task == "multiclass":
        if out.ndim != 2 or t.ndim != 1 or len(out) != len(t):
            raise ShapeError(
                f"multiclass output has shape {out.shape} and y_true {t.shape}; "
                "expected logits (n, k) and class indices (n,)."
            )
        return out, t
    if out.ndim == 2 and out.shape[1] == 1 and t.ndim == 1:
        out = out[:, 0]
    if t.ndim == 2 and t.shape[1] == 1 and out.ndim == 1:
        t = t[:, 0]
    if out.shape != t.shape:
        raise ShapeError(f"{task} output has shape {out.shape} but y_true has shape {t.shape}.")
    return out, t


def epoch_scorer(task: Task, y_true: AnyArray) -> Callable[[AnyArray], dict[str, float]]:
    """`epoch_metrics` for a fixed `y_true`, with what depends only on it computed once.

    The training loop scores the same targets every epoch, so this keeps:
    - regression (1-D): the total sum of squares; each epoch is then a subtraction,
      a dot product and an absolute sum (SS_res = r.r, MAE = sum|r| / n);
    - binary: the true labels and their count; each epoch is one comparison and two
      counts (tp = #(pred & truth), #pred), from which accuracy = (2 tp + n - #pred - #true) / n;
    - otherwise `epoch_metrics` as it is.

    Predictions that overflowed (NaN or inf) score NaN for every metric; the training
    loop's divergence check says why. The fast paths equal `epoch_metrics` (tested).

    >>> score = epoch_scorer("regression", [1.0, 3.0])
    >>> score([1.0, 2.0]) == epoch_metrics("regression", [1.0, 2.0], [1.0, 3.0])
    True
    >>> epoch_scorer("binary", [1, 0])([np.inf, np.nan])
    {'accuracy': nan, 'precision': nan, 'recall': nan, 'f1': nan}
    """
    t = np.asarray(y_true)
    n = len(t)
    if n == 0:
        return lambda output: {}
    if task == "regression" and t.ndim == 1:
        return _regression_scorer(t.astype(np.float64, copy=False))
    if task == "binary" and t.ndim == 1:
        return _binary_scorer(t > 0.5)
    names = _REGRESSION if task == "regression" else _CLASSIFICATION

    def score(output: AnyArray) -> dict[str, float]:
        out = np.asarray(output, dtype=np.float64)
        if not math.isfinite(np.add.reduce(out, axis=None)):  # inf, NaN (or a sum that overflows)
            return dict.fromkeys(names, math.nan)
        return epoch_metrics(task, out, t)

    return score


_REGRESSION = ("r2", "mse", "rmse", "mae")  # the keys of epoch_metrics, per task
_CLASSIFICATION = ("accuracy", "precision", "recall", "f1")


def _regression_scorer(t: Array) -> Callable[[AnyArray], dict[str, float]]:
    n = len(t)
    centred = t - np.add.reduce(t) / n
    ss_tot = float(np.dot(centred, centred))

    def score(output: AnyArray) -> dict[str, float]:
        diff = np.subtract(output, t, dtype=np.float64)
        ss_res = float(np.dot(diff, diff))
        if not math.isfinite(ss_res):
            return dict.fromkeys(_REGRESSION, math.nan)
        mae_value = float(np.add.reduce(np.abs(diff, out=diff))) / n
        return {"r2": _r2_from_sums(ss_res, ss_tot, n), "mse": ss_res / n, "rmse": math.sqrt(ss_res / n),
                "mae": mae_value}

    return score


def _binary_scorer(truth: Labels) -> Callable[[AnyArray], dict[str, float]]:
    n = len(truth)
    n_true = float(np.count_nonzero(truth))

    def score(output: AnyArray) -> dict[str, float]:
        out = np.asarray(output)
        if out.ndim == 2:
            out = out[:, 0]
        if not math.isfinite(np.add.reduce(out)):
            return dict.fromkeys(_CLASSIFICATION, math.nan)
        pred = out > 0
        n_pred = float(np.count_nonzero(pred))
        tp = float(np.count_nonzero(np.logical_and(pred, truth, out=pred)))
        den = n_pred + n_true
        return {
            "accuracy": (2 * tp + n - n_pred - n_true) / n,
            "precision": tp / n_pred if n_pred > 0 else 0.0,
            "recall": tp / n_true if n_true > 0 else 0.0,
            "f1": 2 * tp / den if den > 0 else 0.0,
        }

    return score


def epoch_metrics(task: Task, output: AnyArray, y_true: AnyArray) -> dict[str, float]:
    """The cheap per-epoch metrics from RAW model output: O(n), a few vectorized NumPy calls.

    regression: r2, mse, rmse, mae (output = predicted values);
    binary: accuracy, precision, recall, f1 (output = scores/logits, class 1 iff score > 0);
    multiclass: accuracy and macro precision, recall, F1 over the labels present
    (output = logits (n, k), argmax).
    ROC AUC and log loss are left to `final_metrics`, computed once at the end: ROC AUC
    needs a sort (about 50 us even for 40 samples, more than a whole toy epoch), and
    log loss equals the validation loss of bce and cross_entropy.
    An empty y_true gives {}.

    >>> epoch_metrics("binary", [2.0, -1.0, 0.5, -3.0], [1, 0, 0, 0])
    {'accuracy': 0.75, 'precision': 0.5, 'recall': 1.0, 'f1': 0.6666666666666666}
    >>> epoch_metrics("regression", [1.0, 2.0], [1.0, 3.0])  # SS_res 1, SS_tot 2
    {'r2': 0.5, 'mse': 0.5, 'rmse': 0.7071067811865476, 'mae': 0.5}
    """
    out, t = _flat(output, y_true, task)
    n = len(t)
    if n == 0:
        return {}
    if task == "regression":
        t = t.astype(np.float64, copy=False)
        diff = (t - out).ravel()
        # einsum rather than `diff @ diff`: BLAS threads cost more than they save at this size
        ss_res = float(np.einsum("i,i->", diff, diff))
        if t.ndim == 1:
            centred = t - t.mean()
            ss_tot = float(np.einsum("i,i->", centred, centred))
            score = _r2_from_sums(ss_res, ss_tot, n)
        else:
            score = r2(out, t)
        return {"r2": score, "mse": ss_res / diff.size, "rmse": math.sqrt(ss_res / diff.size),
                "mae": float(np.abs(diff).mean())}
    if task == "binary":
        pred = out > 0
        truth = t > 0.5
        tp = float(np.count_nonzero(pred & truth))
        n_pred, n_true = float(np.count_nonzero(pred)), float(np.count_nonzero(truth))
        hits = tp + (n - n_pred - n_true + tp)
        den = n_pred + n_true
        return {
            "accuracy": hits / n,
            "precision": tp / n_pred if n_pred > 0 else 0.0,
            "recall": tp / n_true if n_true > 0 else 0.0,
            "f1": 2 * tp / den if den > 0 else 0.0,
        }
    k = out.shape[1]
    pred = out.argmax(axis=1)
    labels = t.astype(np.int64, copy=False)
    if n and (labels.min() < 0 or labels.max() >= k):
        raise LabelError(
            f"multiclass labels must be class indices 0..{k - 1} for {k} logits per row."
        )
    confusion = np.bincount(labels * k + pred, minlength=k * k).reshape(k, k)  # rows: truth
    tp_k = np.diagonal(confusion)
    predicted, true = confusion.sum(axis=0), confusion.sum(axis=1)
    den = predicted + true
    present = den > 0  # labels in y_true or y_pred, as scikit-learn's macro average
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 -> 0.0, scikit-learn's zero_division default
        precision_k = np.where(predicted > 0, tp_k / predicted, 0.0)
        recall_k = np.where(true > 0, tp_k / true, 0.0)
    return {
        "accuracy": float(tp_k.sum() / n),
        "precision": float(np.mean(precision_k[present])),
        "recall": float(np.mean(recall_k[present])),
        "f1": float(np.mean(2 * tp_k[present] / den[present])),
    }


def _r2_from_sums(ss_res: float, ss_tot: float, n: int) -> float:
    if n < 2:
        return math.nan
    if ss_tot == 0:
        return 1.0 if ss_res == 0 else 0.0
    return 1.0 - ss_res / ss_tot


def final_metrics(task: Task, output: AnyArray, y_true: AnyArray) -> dict[str, float]:
    """Every metric that applies, from RAW model output; computed once at the end of a run.

    regression: r2, rmse, mse, mae; binary: accuracy, precision, recall, f1,
    roc_auc (from the scores), log_loss (of sigmoid(score)); multiclass:
    accuracy, macro precision, recall and f1, log_loss (of softmax(logits)).
    An empty y_true gives {}.

    >>> final_metrics("binary", [2.0, -1.0, 0.5, -3.0], [1, 0, 0, 0])["roc_auc"]
    1.0
    """
    out, t = _flat(output, y_true, task)
    if len(t) == 0:
        return {}
    if task == "regression":
        return {"r2": r2(out, t), "rmse": rmse(out, t), "mse": mse(out, t), "mae": mae(out, t)}
    if task == "binary":
        pred = (out > 0).astype(np.int64)
        labels = (t > 0.5).astype(np.int64)
        average: Average = "binary"
        proba = sigmoid(out)
        extra = {"roc_auc": roc_auc(out, labels), "log_loss": log_loss(proba, labels)}
    else:
        pred = out.argmax(axis=1)
        labels = t.astype(np.int64)
        average = "macro"
        extra = {"log_loss": log_loss(softmax(out), labels)}
    return {
        "accuracy": accuracy(pred, labels),
        "precision": precision(pred, labels, average=average),
        "recall": recall(pred, labels, average=average),
        "f1": f1(pred, labels, average=average),
        **extra,
    }
