"""The end-of-run classification report: per-class figures and the confusion matrix."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from rich.console import Console

from lossfit.errors import LabelError, ShapeError
from lossfit.report import (
    averages,
    class_report,
    confusion_matrix,
    confusion_matrix_figure,
    render_class_report,
)


def test_confusion_matrix_by_hand() -> None:
    y_true = [0, 0, 1, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 0, 2]
    cm = confusion_matrix(y_pred, y_true, 3)  # rows true, columns predicted
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 2]]
    assert cm.dtype == np.int64
    assert confusion_matrix([1.0, 0.0], [1.0, 1.0], 2).tolist() == [[0, 0], [1, 1]]  # binary floats


def test_class_report_by_hand() -> None:
    rows = class_report([0, 1, 1, 1, 2, 0, 2], [0, 0, 1, 1, 2, 2, 2], ["a", "b", "c"])
    a, b, c = rows
    assert a == {"class": "a", "precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert (b["precision"], b["recall"], b["f1"], b["support"]) == (2 / 3, 1.0, 0.8, 2)
    assert (c["precision"], c["recall"], c["f1"], c["support"]) == (1.0, 2 / 3, 0.8, 3)
    summary = averages(rows)
    assert summary["accuracy"] == pytest.approx(5 / 7)
    assert summary["macro avg"]["f1"] == pytest.approx(0.7)
    assert summary["weighted avg"]["precision"] == pytest.approx((0.5 * 2 + 2 / 3 * 2 + 3) / 7)


def test_zero_division_cases_are_zero() -> None:
    rows = class_report([0, 0, 0], [0, 0, 1], ["no", "yes", "never"])
    assert rows[1] == {"class": "yes", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert rows[2] == {"class": "never", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def test_matches_sklearn_classification_report() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(100):
        k = int(rng.integers(2, 6))
        n = int(rng.integers(1, 40))
        y_true, y_pred = rng.integers(0, k, n), rng.integers(0, k, n)
        names = [f"class {i}" for i in range(k)]
        rows = class_report(y_pred, y_true, names)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = metrics.classification_report(  # sklearn: y_true first
                y_true, y_pred, labels=list(range(k)), target_names=names, output_dict=True, zero_division=0
            )
        for row in rows:
            expected = ref[row["class"]]
            assert (row["precision"], row["recall"], row["f1"], row["support"]) == (
                expected["precision"], expected["recall"], expected["f1-score"], expected["support"])
        summary = averages(rows)
        for label in ("macro avg", "weighted avg"):
            for key, ref_key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
                assert summary[label][key] == pytest.approx(ref[label][ref_key], abs=1e-12)
        assert summary["accuracy"] == pytest.approx(ref["accuracy"], abs=1e-12)


def test_bad_labels() -> None:
    with pytest.raises(LabelError, match=r"y_pred_labels holds class 3, outside 0..2"):
        class_report([0, 3], [0, 1], ["a", "b", "c"])
    with pytest.raises(ShapeError, match=r"same length"):
        confusion_matrix([0, 1, 1], [0, 1], 2)
    with pytest.raises(LabelError, match=r"non-integers"):
        confusion_matrix([0.5, 1.0], [0, 1], 2)


def test_render_class_report() -> None:
    rows = class_report([0, 1, 1, 1, 2, 0, 2], [0, 0, 1, 1, 2, 2, 2], ["setosa", "versicolor", "virginica"])
    buffer = io.StringIO()
    Console(file=buffer, width=100, color_system=None).print(render_class_report(rows))
    text = buffer.getvalue()
    for needle in ("precision", "versicolor", "0.6667", "accuracy", "0.7143", "macro avg", "weighted avg"):
        assert needle in text


def test_confusion_matrix_figure(tmp_path) -> None:
    cm = confusion_matrix([0, 1, 1, 1, 2, 0, 2], [0, 0, 1, 1, 2, 2, 2], 3)
    fig = confusion_matrix_figure(cm, ["setosa", "versicolor", "virginica"], "iris")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "2\n100%" in texts and "1\n50%" in texts and "0" in texts
    ax = fig.axes[0]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["setosa", "versicolor", "virginica"]
    fig.savefig(tmp_path / "cm.png")
    assert (tmp_path / "cm.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ShapeError):
        confusion_matrix_figure(cm, ["a", "b"], "")
