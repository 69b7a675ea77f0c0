"""lossfit.metrics: hand-computed cases, edge cases, and agreement with scikit-learn.

lossfit's metrics take (y_pred, y_true), scikit-learn's (y_true, y_pred): every
comparison below swaps the arguments on purpose.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossfit import metrics
from lossfit.errors import DataError, LabelError, ShapeError

# --- hand-computed cases (no scikit-learn needed) ---------------------------------------------


def test_regression_by_hand() -> None:
    y_true = np.array([3.0, -0.5, 2.0, 7.0])
    y_pred = np.array([2.5, 0.0, 2.0, 8.0])
    # errors: -0.5, 0.5, 0, 1 -> squares 0.25, 0.25, 0, 1
    assert metrics.mse(y_pred, y_true) == pytest.approx(1.5 / 4)
    assert metrics.rmse(y_pred, y_true) == pytest.approx(math.sqrt(1.5 / 4))
    assert metrics.mae(y_pred, y_true) == pytest.approx(2.0 / 4)
    # mean 2.875; SS_tot = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875
    assert metrics.r2(y_pred, y_true) == pytest.approx(1 - 1.5 / 29.1875)


def test_r2_edge_cases() -> None:
    assert metrics.r2([2.0, 2.0], [1.0, 3.0]) == 0.0  # predicting the mean
    assert metrics.r2([1.0, 3.0, 2.0], [1.0, 3.0, 2.0]) == 1.0
    assert metrics.r2([5.0, 5.0, 5.0], [1.0, 3.0, 2.0]) == pytest.approx(1 - 29 / 2)  # negative
    assert metrics.r2([1.0, 2.0], [3.0, 3.0]) == 0.0  # SS_tot = 0, SS_res != 0, force_finite
    assert metrics.r2([1.0, 2.0], [3.0, 3.0], force_finite=False) == -math.inf
    assert metrics.r2([3.0, 3.0], [3.0, 3.0]) == 1.0
    assert math.isnan(metrics.r2([3.0, 3.0], [3.0, 3.0], force_finite=False))
    assert math.isnan(metrics.r2([1.0], [2.0]))  # fewer than two samples
    # 2-D: the mean of the per-column scores (1 and 0)
    assert metrics.r2([[1.0, 2.0], [2.0, 2.0]], [[1.0, 1.0], [2.0, 3.0]]) == pytest.approx(0.5)


def test_classification_by_hand() -> None:
    y_true = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    y_pred = np.array([1, 0, 1, 1, 0, 0, 0, 0])
    # TP = 2, FP = 1, FN = 2, TN = 3
    assert metrics.accuracy(y_pred, y_true) == 5 / 8
    assert metrics.precision(y_pred, y_true) == 2 / 3
    assert metrics.recall(y_pred, y_true) == 2 / 4
    assert metrics.f1(y_pred, y_true) == pytest.approx(4 / (4 + 1 + 2))


def test_macro_by_hand() -> None:
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 3])  # label 3 only predicted
    # per label (0, 1, 2, 3): TP 1,2,1,0; predicted 1,3,1,1; true 2,2,2,0
    assert metrics.precision(y_pred, y_true) == pytest.approx((1 + 2 / 3 + 1 + 0) / 4)
    assert metrics.recall(y_pred, y_true) == pytest.approx((0.5 + 1 + 0.5 + 0) / 4)
    assert metrics.recall(y_pred, y_true, zero_division=np.nan) == pytest.approx(2 / 3)
    assert metrics.f1(y_pred, y_true) == pytest.approx((2 / 3 + 4 / 5 + 2 / 3 + 0) / 4)
    # binary labels can be averaged as macro on request
    assert metrics.f1([0, 1], [0, 0], average="macro") == pytest.approx((2 / 3 + 0) / 2)


def test_zero_division() -> None:
    assert metrics.precision([0, 0, 0], [1, 0, 1]) == 0.0  # no positive prediction
    assert metrics.precision([0, 0, 0], [1, 0, 1], zero_division=1.0) == 1.0
    assert math.isnan(metrics.precision([0, 0, 0], [1, 0, 1], zero_division=np.nan))
    assert metrics.recall([1, 0], [0, 0]) == 0.0  # no positive truth
    assert metrics.f1([0, 0], [0, 0]) == 0.0  # TP + FP + FN = 0
    assert metrics.f1([0, 0], [0, 0], zero_division=1.0) == 1.0
    assert metrics.f1([1, 0], [0, 1], zero_division=1.0) == 0.0  # TP = 0 but FP + FN > 0: defined


def test_binary_average_rejects_multiclass_labels() -> None:
    with pytest.raises(LabelError, match=r"binary averaging needs two labels, got \[0, 1, 2\]"):
        metrics.f1([0, 1, 2], [0, 1, 1], average="binary")


def test_roc_auc_by_hand() -> None:
    # positives score 0.35 and 0.8; negatives 0.1 and 0.4: pairs won 1 + 2 of 4
    assert metrics.roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    # ties count one half: positive 0.5 vs negatives (0.5, 0.2) -> (0.5 + 1) / 2
    assert metrics.roc_auc([0.5, 0.5, 0.2], [1, 0, 0]) == 0.75
    assert metrics.roc_auc([3.0, 2.0, 1.0], [0, 0, 1]) == 0.0
    assert metrics.roc_auc([3.0, 2.0, 1.0], [2, 2, 5]) == 0.0  # the greater label is positive
    assert math.isnan(metrics.roc_auc([0.2, 0.3], [1, 1]))
    with pytest.raises(LabelError, match="needs binary labels, got 3 classes"):
        metrics.roc_auc([0.1, 0.2, 0.3], [0, 1, 2])


def test_log_loss_by_hand() -> None:
    assert metrics.log_loss([0.9, 0.2], [1, 0]) == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2)
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    assert metrics.log_loss(proba, [1, 2]) == pytest.approx(-(math.log(0.2) + math.log(0.8)) / 2)
    # a confident wrong prediction is clipped at float64 eps: -ln(2.22e-16) = 36.04 per sample
    assert metrics.log_loss([0.0, 1.0], [1, 1]) == pytest.approx(-math.log(np.finfo(float).eps) / 2)
    assert metrics.log_loss([0.0, 1.0], [1, 1]) == pytest.approx(18.02, abs=0.01)
    with pytest.raises(LabelError, match=r"class indices 0\.\.2"):
        metrics.log_loss(proba, [1, 3])


def test_shape_and_empty_errors() -> None:
    with pytest.raises(ShapeError, match=r"mse: y_pred has shape \(3,\) but y_true has shape \(2,\)"):
        metrics.mse([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(DataError, match="accuracy: got no samples"):
        metrics.accuracy([], [])


def test_sigmoid_and_softmax_are_stable() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(metrics.sigmoid([-1000.0, 0.0, 1000.0]), [0.0, 0.5, 1.0])
        np.testing.assert_allclose(metrics.sigmoid([1.0]), [1 / (1 + math.exp(-1))])
        p = metrics.softmax(np.array([[1000.0, 1000.0, -1000.0], [0.0, math.log(3), 0.0]]))
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [0.2, 0.6, 0.2]])


# --- epoch_metrics and final_metrics -----------------------------------------------------------


def test_main_metric_per_task() -> None:
    assert metrics.MAIN == {"regression": "r2", "binary": "accuracy", "multiclass": "accuracy"}


def test_epoch_metrics_regression_by_hand() -> None:
    out = metrics.epoch_metrics("regression", np.array([[1.0], [2.0], [4.0]]), np.array([1.0, 3.0, 2.0]))
    # errors 0, 1, -2; SS_res 5; mean 2, SS_tot 2
    assert out == pytest.approx({"r2": 1 - 5 / 2, "mse": 5 / 3, "rmse": math.sqrt(5 / 3), "mae": 1.0})


def test_epoch_metrics_binary_uses_score_sign() -> None:
    scores = np.array([2.0, 0.0, -0.1, 3.0, -5.0])  # 0.0 is not > 0: class 0
    y = np.array([1.0, 1.0, 0.0, 0.0, 0.0])
    # predicted 1, 0, 0, 1, 0 -> TP 1, FP 1, FN 1
    expected = {"accuracy": 3 / 5, "precision": 1 / 2, "recall": 1 / 2, "f1": 0.5}
    assert metrics.epoch_metrics("binary", scores, y) == pytest.approx(expected)
    assert metrics.epoch_metrics("binary", scores[:, None], y) == pytest.approx(expected)


def test_epoch_metrics_multiclass_argmax_and_macro_f1() -> None:
    logits = np.array([[3.0, 0.0, 0.0], [0.0, 2.0, 1.0], [0.0, 1.0, 2.0], [1.0, 0.0, 0.0]])
    y = np.array([0, 1, 1, 0])  # predicted 0, 1, 2, 0: class 2 only predicted
    # per present label: precision 1, 1, 0 (label 2: 0 of 1); recall 1, 1/2, 0 (label 2 absent: 0/0 -> 0)
    # F1 1, 2/3, 0
    result = metrics.epoch_metrics("multiclass", logits, y)
    assert result == pytest.approx(
        {"accuracy": 0.75, "precision": (1 + 1 + 0) / 3, "recall": (1 + 0.5 + 0) / 3, "f1": (1 + 2 / 3 + 0) / 3}
    )


def test_epoch_metrics_empty_is_empty() -> None:
    assert metrics.epoch_metrics("regression", np.zeros(0), np.zeros(0)) == {}
    assert metrics.epoch_metrics("binary", np.zeros(0), np.zeros(0)) == {}
    assert metrics.epoch_metrics("multiclass", np.zeros((0, 3)), np.zeros(0, dtype=np.int64)) == {}
    assert metrics.final_metrics("multiclass", np.zeros((0, 3)), np.zeros(0, dtype=np.int64)) == {}


def test_epoch_metrics_shape_errors() -> None:
    with pytest.raises(ShapeError, match=r"expected logits \(n, k\)"):
        metrics.epoch_metrics("multiclass", np.zeros(4), np.zeros(4))
    with pytest.raises(ShapeError, match="binary output has shape"):
        metrics.epoch_metrics("binary", np.zeros(4), np.zeros(3))


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_epoch_metrics_agree_with_final_metrics(task: str) -> None:
    rng = np.random.default_rng(1)
    n = 200
    if task == "regression":
        y = rng.normal(size=n)
        out = y + rng.normal(size=n)
    elif task == "binary":
        y = (rng.random(n) < 0.3).astype(float)
        out = rng.normal(size=n) + y
    else:
        y = rng.integers(0, 4, n)
        out = rng.normal(size=(n, 4))
    quick = metrics.epoch_metrics(task, out, y)
    full = metrics.final_metrics(task, out, y)
    for key, value in quick.items():
        assert full[key] == pytest.approx(value, abs=1e-12)
    expected = {
        "regression": {"r2", "rmse", "mse", "mae"},
        "binary": {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"},
        "multiclass": {"accuracy", "precision", "recall", "f1", "log_loss"},
    }[task]
    assert set(full) == expected


def test_final_metrics_binary_by_hand() -> None:
    scores = np.array([2.0, -1.0, 0.5, -3.0])
    y = np.array([1.0, 0.0, 0.0, 0.0])
    result = metrics.final_metrics("binary", scores, y)
    assert result["accuracy"] == 0.75 and result["precision"] == 0.5 and result["recall"] == 1.0
    assert result["roc_auc"] == 1.0
    sig = [1 / (1 + math.exp(-s)) for s in scores]
    expected = -(math.log(sig[0]) + math.log(1 - sig[1]) + math.log(1 - sig[2]) + math.log(1 - sig[3])) / 4
    assert result["log_loss"] == pytest.approx(expected)


# --- agreement with scikit-learn ----------------------------------------------------------------


@pytest.fixture(scope="module")
def skm():  # type: ignore[no-untyped-def]
    return pytest.importorskip("sklearn.metrics")


def _quiet(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # UndefinedMetricWarning on the zero-division cases
        return fn(*args, **kwargs)


def _random_regression(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(2, 30))
    y_true = np.round(rng.normal(size=n), int(rng.integers(0, 3)))
    kind = rng.integers(0, 4)
    if kind == 0:
        y_pred = y_true.copy()  # perfect
    elif kind == 1:
        y_true = np.full(n, y_true[0])  # constant target
        y_pred = y_true + rng.normal(size=n) * rng.integers(0, 2)
    else:
        y_pred = y_true + rng.normal(size=n) * rng.uniform(0.1, 3)
    return y_pred, y_true


def test_regression_matches_sklearn(skm) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    for _ in range(300):
        y_pred, y_true = _random_regression(rng)
        assert metrics.mse(y_pred, y_true) == pytest.approx(skm.mean_squared_error(y_true, y_pred), rel=1e-12)
        assert metrics.rmse(y_pred, y_true) == pytest.approx(skm.root_mean_squared_error(y_true, y_pred), rel=1e-12)
        assert metrics.mae(y_pred, y_true) == pytest.approx(skm.mean_absolute_error(y_true, y_pred), rel=1e-12)
        assert metrics.r2(y_pred, y_true) == pytest.approx(skm.r2_score(y_true, y_pred), rel=1e-9, abs=1e-12)
        ref = _quiet(skm.r2_score, y_true, y_pred, force_finite=False)
        ours = metrics.r2(y_pred, y_true, force_finite=False)
        assert (math.isnan(ref) and math.isnan(ours)) or ours == pytest.approx(ref, rel=1e-9, abs=1e-12)
        epoch = metrics.epoch_metrics("regression", y_pred, y_true)
        assert epoch["r2"] == pytest.approx(skm.r2_score(y_true, y_pred), rel=1e-9, abs=1e-12)


def test_r2_single_sample_matches_sklearn(skm) -> None:  # type: ignore[no-untyped-def]
    assert math.isnan(_quiet(skm.r2_score, [2.0], [1.0])) and math.isnan(metrics.r2([1.0], [2.0]))


labels_st = st.lists(st.integers(0, 1), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_binary_classification_matches_sklearn(skm, data) -> None:  # type: ignore[no-untyped-def]
    y_true = np.array(data.draw(labels_st))
    y_pred = np.array(data.draw(st.lists(st.integers(0, 1), min_size=len(y_true), max_size=len(y_true))))
    assert metrics.accuracy(y_pred, y_true) == skm.accuracy_score(y_true, y_pred)
    for ours, ref in [
        (metrics.precision, skm.precision_score),
        (metrics.recall, skm.recall_score),
        (metrics.f1, skm.f1_score),
    ]:
        assert ours(y_pred, y_true) == pytest.approx(_quiet(ref, y_true, y_pred))
        assert ours(y_pred, y_true, zero_division=1.0) == pytest.approx(
            _quiet(ref, y_true, y_pred, zero_division=1.0)
        )
    assert metrics.epoch_metrics("binary", y_pred - 0.5, y_true)["f1"] == pytest.approx(
        _quiet(skm.f1_score, y_true, y_pred)
    )


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_macro_classification_matches_sklearn(skm, data) -> None:  # type: ignore[no-untyped-def]
    n = data.draw(st.integers(1, 30))
    k = data.draw(st.integers(3, 6))
    y_true = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    y_pred = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    if set(np.union1d(y_true, y_pred)) <= {0, 1}:
        y_pred[0] = 2  # keep the case multiclass for the "auto" rule
    for ours, ref in [
        (metrics.precision, skm.precision_score),
        (metrics.recall, skm.recall_score),
        (metrics.f1, skm.f1_score),
    ]:
        for zd in (0.0, 1.0, np.nan):
            expected = _quiet(ref, y_true, y_pred, average="macro", zero_division=zd)
            got = ours(y_pred, y_true, average="macro", zero_division=zd)
            assert (math.isnan(expected) and math.isnan(got)) or got == pytest.approx(expected)
            if len(np.union1d(y_true, y_pred)) > 2:  # "auto" is macro for three labels or more
                assert ours(y_pred, y_true, zero_division=zd) == got or math.isnan(got)
    logits = np.eye(k)[y_pred]
    assert metrics.epoch_metrics("multiclass", logits, y_true) == pytest.approx(
        {
            "accuracy": skm.accuracy_score(y_true, y_pred),
            "precision": _quiet(skm.precision_score, y_true, y_pred, average="macro"),
            "recall": _quiet(skm.recall_score, y_true, y_pred, average="macro"),
            "f1": _quiet(skm.f1_score, y_true, y_pred, average="macro"),
        }
    )


def test_roc_auc_matches_sklearn_with_ties(skm) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    for trial in range(300):
        n = int(rng.integers(2, 40))
        y_true = rng.integers(0, 2, n)
        scores = np.round(rng.normal(size=n) + y_true * rng.uniform(0, 2), int(rng.integers(0, 2)))
        if trial % 10 == 0:
            scores = np.zeros(n)  # every score tied
        ours = metrics.roc_auc(scores, y_true)
        if len(np.unique(y_true)) < 2:
            assert math.isnan(ours) and math.isnan(_quiet(skm.roc_auc_score, y_true, scores))
            continue
        assert ours == pytest.approx(skm.roc_auc_score(y_true, scores), abs=1e-12)


def test_roc_auc_ties_really_occur() -> None:
    rng = np.random.default_rng(0)
    scores = np.round(rng.normal(size=30), 0)
    assert len(np.unique(scores)) < 10  # the helper above does produce ties


def test_log_loss_matches_sklearn(skm) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        k = int(rng.integers(2, 5))
        logits = rng.normal(size=(n, k)) * rng.choice([1.0, 50.0])
        y_true = rng.integers(0, k, n)
        proba = metrics.softmax(logits)
        ref = skm.log_loss(y_true, proba, labels=list(range(k)))
        assert metrics.log_loss(proba, y_true) == pytest.approx(ref, rel=1e-10)
        p1 = metrics.sigmoid(logits[:, 0])
        y01 = rng.integers(0, 2, n)
        ref = skm.log_loss(y01, p1, labels=[0, 1])
        assert metrics.log_loss(p1, y01) == pytest.approx(ref, rel=1e-10)
    # saturated probabilities: the eps clip
    assert metrics.log_loss([0.0, 1.0], [1, 0]) == pytest.approx(skm.log_loss([1, 0], [0.0, 1.0]))


def test_epoch_metrics_rejects_out_of_range_class_indices() -> None:
    with pytest.raises(LabelError, match=r"class indices 0\.\.2 for 3 logits"):
        metrics.epoch_metrics("multiclass", np.zeros((2, 3)), np.array([0, 3]))
