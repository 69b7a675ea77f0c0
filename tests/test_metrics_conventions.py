"""Metrics follow scikit-learn's conventions, or refuse: never a third meaning (issue 9, items 5 and 6).

The first part states each convention with hand-computed numbers (no sklearn
needed); the second ports cases from scikit-learn's own metric tests
(sklearn/metrics/tests/test_classification.py, test_regression.py and
test_ranking.py, 1.9) and runs them against scikit-learn when it is installed.
Arguments: lossfit's metrics take the prediction first, scikit-learn's y_true first.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from lossfit import metrics, report
from lossfit.errors import DataError, LabelError

# ---------------------------------------------------------------- the conventions, by hand


def test_rmse_of_two_columns_averages_the_column_rmses():
    y_true = np.array([[1.0, 3.0], [1.0, 3.0]])
    y_pred = np.zeros((2, 2))
    assert metrics.rmse(y_pred, y_true) == 2.0  # (1 + 3) / 2, not sqrt((1 + 9) / 2) = 2.236
    assert metrics.mse(y_pred, y_true) == 5.0  # the mean of the column MSEs is the overall mean
    assert metrics.r2(y_pred, np.array([[1.0, 3.0], [3.0, 5.0]])) == pytest.approx(np.mean([1 - 10 / 2, 1 - 34 / 2]))


def test_accuracy_of_label_rows_is_subset_accuracy():
    assert metrics.accuracy([[1, 0], [1, 1], [0, 0]], [[1, 0], [0, 1], [0, 0]]) == pytest.approx(2 / 3)
    assert metrics.accuracy([[1, 1]], [[1, 0]]) == 0.0  # half right is not right


def test_log_loss_reads_one_column_as_the_probability_of_class_1():
    one_column = metrics.log_loss([[0.9], [0.2]], [1, 0])
    assert one_column == metrics.log_loss([0.9, 0.2], [1, 0]) == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2)


def test_binary_averaging_counts_label_1_as_positive_even_when_absent():
    assert metrics.precision([-1, -1], [-1, -1]) == 0.0  # scikit-learn: 0.0 (no positive), not 1.0
    assert metrics.recall([-1, -1], [-1, -1]) == 0.0 and metrics.f1([-1, -1], [-1, -1]) == 0.0
    assert metrics.precision([1, -1, 1], [1, -1, -1]) == 0.5  # margin labels -1/+1: +1 is positive
    with pytest.raises(LabelError, match="label 1 as the positive class"):
        metrics.precision([0, 2], [2, 0], average="binary")


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: metrics.roc_auc([math.nan, 0.2, 0.9], [0, 1, 1]), "y_score holds nan at position 0"),
        (lambda: metrics.roc_auc([0.1, math.inf], [0, 1]), "y_score holds inf"),
        (lambda: metrics.log_loss([1.5, 0.2], [1, 1]), "y_proba holds 1.5, not a probability"),
        (lambda: metrics.log_loss([-0.1, 0.2], [1, 1]), "y_proba holds -0.1"),
        (lambda: metrics.log_loss([0.5, math.nan], [1, 1]), "y_proba holds nan"),
        (lambda: metrics.accuracy([math.nan, 1], [math.nan, 1]), "y_pred holds nan"),
        (lambda: metrics.accuracy([0.0, 1.0], [math.nan, 1.0]), "y_true holds nan"),
        (lambda: metrics.mse([0.0, math.inf], [0.0, 1.0]), "y_pred holds inf"),
        (lambda: metrics.r2([0.0, 1.0, 2.0], [0.0, math.nan, 1.0]), "y_true holds nan at position 1"),
        (lambda: metrics.f1([1.0, math.nan], [1.0, 0.0]), "y_pred holds nan"),
    ],
)
def test_impossible_inputs_are_refused_naming_the_argument(call, fragment):
    with pytest.raises(DataError, match=fragment.replace("(", r"\(")):
        call()


# ------------------------------------------------------ ported from scikit-learn's tests


@pytest.fixture(scope="module")
def skm():
    return pytest.importorskip("sklearn.metrics")


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


# test_classification.py::test_zero_division_nan_no_warning / test_precision_recall_f_extra_labels and the
# zero_division matrix: every combination of empty predictions and empty truths, for each zero_division
ZERO_DIVISION_CASES = [
    ([0, 0, 0, 0], [0, 0, 0, 0]),  # y_true, y_pred: nothing positive anywhere
    ([0, 0, 0, 0], [1, 1, 0, 0]),  # positives predicted, none true
    ([1, 1, 0, 0], [0, 0, 0, 0]),  # positives true, none predicted
    ([1, 1, 0, 0], [1, 0, 0, 0]),
    ([-1, -1], [-1, -1]),  # one label other than 1
]


@pytest.mark.parametrize("y_true, y_pred", ZERO_DIVISION_CASES)
@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_zero_division_matches_sklearn(skm, y_true, y_pred, zero_division):
    for ours, theirs in ((metrics.precision, skm.precision_score), (metrics.recall, skm.recall_score),
                         (metrics.f1, skm.f1_score)):
        expected = quiet(theirs, y_true, y_pred, zero_division=zero_division)
        got = ours(y_pred, y_true, zero_division=zero_division)
        assert (math.isnan(expected) and math.isnan(got)) or got == expected, ours.__name__


def test_precision_recall_f1_binary_and_macro_match_sklearn(skm):
    # test_classification.py::test_precision_recall_f1_score_binary uses make_prediction(binary=True);
    # the same shape of check on a fixed, seeded sample
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, 60)
    y_pred = np.where(rng.random(60) < 0.7, y_true, 1 - y_true)
    for ours, theirs in ((metrics.precision, skm.precision_score), (metrics.recall, skm.recall_score),
                         (metrics.f1, skm.f1_score)):
        assert ours(y_pred, y_true) == pytest.approx(theirs(y_true, y_pred))
    y_true3, y_pred3 = rng.integers(0, 3, 60), rng.integers(0, 3, 60)
    for ours, theirs in ((metrics.precision, skm.precision_score), (metrics.recall, skm.recall_score),
                         (metrics.f1, skm.f1_score)):
        assert ours(y_pred3, y_true3) == pytest.approx(theirs(y_true3, y_pred3, average="macro"))


def test_confusion_matrix_matches_sklearn(skm):
    # test_classification.py::test_confusion_matrix_multiclass_subset_labels (all labels here)
    y_true = [0, 1, 2, 2, 1, 0, 2, 2]
    y_pred = [0, 2, 2, 1, 1, 0, 0, 2]
    assert report.confusion_matrix(y_pred, y_true, 3).tolist() == skm.confusion_matrix(y_true, y_pred).tolist()
    assert report.confusion_matrix([1, 1], [1, 1], 3).tolist() == skm.confusion_matrix(
        [1, 1], [1, 1], labels=[0, 1, 2]).tolist()


@pytest.mark.parametrize(
    "y_true, y_proba",
    [
        ([0, 1, 1], [[0.8], [0.3], [0.6]]),  # test_log_loss: one column is P(class 1)
        ([0, 1, 2], [[0.2, 0.7, 0.1], [0.6, 0.2, 0.2], [0.6, 0.1, 0.3]]),
        ([1, 0, 1], [0.0, 1.0, 1.0]),  # test_log_loss_eps: certain and wrong, clipped at eps
        ([0, 0, 1], [1e-20, 0.5, 1 - 1e-20]),
    ],
)
def test_log_loss_matches_sklearn(skm, y_true, y_proba):
    assert metrics.log_loss(y_proba, y_true) == pytest.approx(skm.log_loss(y_true, y_proba), rel=1e-12)


def test_log_loss_refuses_what_sklearn_refuses(skm):
    for y_proba in ([1.5, 0.2], [0.5, math.nan]):
        with pytest.raises(ValueError):
            skm.log_loss([1, 1], y_proba, labels=[0, 1])
        with pytest.raises(DataError):
            metrics.log_loss(y_proba, [1, 1])


@pytest.mark.parametrize(
    "y_true, y_score",
    [
        ([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),  # test_ranking.py::test_roc_auc_score_pos_label and ties below
        ([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]),
        ([0, 1, 1, 0, 1], [0.2, 0.2, 0.8, 0.8, 0.5]),
        ([-1, 1, 1, -1], [0.1, 0.9, 0.4, 0.4]),
    ],
)
def test_roc_auc_with_ties_matches_sklearn(skm, y_true, y_score):
    assert metrics.roc_auc(y_score, y_true) == pytest.approx(skm.roc_auc_score(y_true, y_score))


def test_roc_auc_refuses_nan_like_sklearn(skm):
    with pytest.raises(ValueError):
        skm.roc_auc_score([0, 1, 1], [math.nan, 0.2, 0.9])
    with pytest.raises(DataError):
        metrics.roc_auc([math.nan, 0.2, 0.9], [0, 1, 1])


@pytest.mark.parametrize(
    "y_true, y_pred",
    [
        ([1.0, 1.0], [1.0, 1.0]),  # test_regression.py::test_regression_metrics_at_limits: perfect constant
        ([1.0, 1.0], [1.0, 2.0]),  # constant y_true, imperfect: 0.0 with force_finite
        ([0.0, 1.0, 2.0], [2.0, 1.0, 0.0]),
        ([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0]], [[1.5, 2.0], [2.0, 5.0], [5.0, 8.0]]),  # multioutput
        ([[1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [1.0, 1.0]]),
    ],
)
def test_regression_metrics_match_sklearn_single_and_multi_output(skm, y_true, y_pred):
    assert metrics.r2(y_pred, y_true) == pytest.approx(skm.r2_score(y_true, y_pred))
    assert metrics.mse(y_pred, y_true) == pytest.approx(skm.mean_squared_error(y_true, y_pred))
    assert metrics.rmse(y_pred, y_true) == pytest.approx(skm.root_mean_squared_error(y_true, y_pred))
    assert metrics.mae(y_pred, y_true) == pytest.approx(skm.mean_absolute_error(y_true, y_pred))


def test_subset_accuracy_matches_sklearn(skm):
    y_true = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    y_pred = np.array([[0, 1, 1], [1, 0, 0], [1, 1, 0]])
    assert metrics.accuracy(y_pred, y_true) == skm.accuracy_score(y_true, y_pred)
