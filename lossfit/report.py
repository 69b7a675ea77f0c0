"""The end-of-run report of a classification run: per-class figures and the confusion matrix.

**Argument order: prediction first,** as everywhere in lossfit (the reverse of
scikit-learn). Labels are class indices 0..k-1; ``class_names`` gives their names.

    >>> rows = class_report([0, 1, 1, 2], [0, 1, 2, 2], ["a", "b", "c"])
    >>> [(r["class"], r["precision"], r["recall"], r["support"]) for r in rows]
    [('a', 1.0, 1.0, 1), ('b', 0.5, 1.0, 1), ('c', 1.0, 0.5, 2)]
    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], 3).tolist()
    [[1, 0, 0], [0, 1, 0], [0, 1, 1]]

The figures are scikit-learn's ``classification_report(y_true, y_pred,
labels=range(k), output_dict=True)``: precision TP/(TP+FP), recall TP/(TP+FN),
F1 2TP/(2TP+FP+FN) (from counts), each 0.0 when its denominator is 0 (scikit-
learn's default ``zero_division``, without the warning); every class is listed,
also one that is never predicted or absent from y_true. `averages` adds the
macro and support-weighted means and the accuracy.

`render_class_report` (a rich Table) and `confusion_matrix_figure` (a matplotlib
Figure) import rich and matplotlib inside the function.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from lossfit.errors import DataError, LabelError, ShapeError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure
    from rich.table import Table

IntArray = npt.NDArray[np.int64]


def _labels(y_pred_labels: npt.ArrayLike, y_true: npt.ArrayLike, n_classes: int) -> tuple[IntArray, IntArray]:
    p, t = np.asarray(y_pred_labels), np.asarray(y_true)
    if p.shape != t.shape or p.ndim != 1:
        raise ShapeError(
            f"class report: y_pred_labels has shape {p.shape} and y_true {t.shape}; expected two 1-D arrays "
            "of the same length (arguments are y_pred_labels, y_true)."
        )
    if p.size == 0:
        raise DataError("class report: got no samples; it needs at least one.")
    out = []
    for name, a in (("y_pred_labels", p), ("y_true", t)):
        if a.dtype.kind == "f":
            if not np.all(np.isfinite(a)) or not np.all(a == np.round(a)):
                raise LabelError(f"class report: {name} must hold class indices 0..{n_classes - 1}; got non-integers.")
        elif a.dtype.kind not in "iub":
            raise LabelError(f"class report: {name} must hold class indices, got dtype {a.dtype}.")
        labels = a.astype(np.int64)
        if labels.min() < 0 or labels.max() >= n_classes:
            bad = labels[(labels < 0) | (labels >= n_classes)][0]
            raise LabelError(
                f"class report: {name} holds class {bad}, outside 0..{n_classes - 1} ({n_classes} classes)."
            )
        out.append(labels)
    return out[0], out[1]


def confusion_matrix(y_pred_labels: npt.ArrayLike, y_true: npt.ArrayLike, n_classes: int) -> IntArray:
    """Counts ``cm[i, j]``: samples of true class i predicted as class j (scikit-learn's layout).

    >>> confusion_matrix([1, 1, 0], [1, 0, 0], 2).tolist()
    [[1, 1], [0, 1]]
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 1:
        raise DataError(f"confusion matrix: n_classes={n_classes!r}; expected a whole number >= 1.")
    p, t = _labels(y_pred_labels, y_true, int(n_classes))
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (t, p), 1)
    return cm


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else 0.0


def class_report(
    y_pred_labels: npt.ArrayLike, y_true: npt.ArrayLike, class_names: Sequence[str]
) -> list[dict[str, Any]]:
    """One row per class: ``{"class", "precision", "recall", "f1", "support"}`` (prediction first).

    >>> class_report([1, 1, 1], [1, 0, 1], ["no", "yes"])[0]
    {'class': 'no', 'precision': 0.0, 'recall': 0.0, 'f1': 0.0, 'support': 1}
    """
    names = [str(n) for n in class_names]
    cm = confusion_matrix(y_pred_labels, y_true, len(names))
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    support = cm.sum(axis=1)
    rows = []
    for k, name in enumerate(names):
        fp, fn = predicted[k] - tp[k], support[k] - tp[k]
        rows.append({
            "class": name,
            "precision": _ratio(tp[k], tp[k] + fp),
            "recall": _ratio(tp[k], tp[k] + fn),
            "f1": _ratio(2 * tp[k], 2 * tp[k] + fp + fn),
            "support": int(support[k]),
        })
    return rows


def averages(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Macro and weighted means of a `class_report` and the accuracy (scikit-learn's last rows).

    The accuracy equals the support-weighted recall, since every label is a class.

    >>> a = averages(class_report([0, 1, 1, 2], [0, 1, 2, 2], ["a", "b", "c"]))
    >>> a["accuracy"], a["macro avg"]["recall"], a["weighted avg"]["support"]
    (0.75, 0.8333333333333334, 4)
    """
    support = np.array([r["support"] for r in rows], dtype=np.float64)
    total = float(support.sum())
    out: dict[str, Any] = {}
    for label, weights in (("macro avg", np.ones_like(support)), ("weighted avg", support)):
        entry: dict[str, Any] = {}
        for key in ("precision", "recall", "f1"):
            values = np.array([r[key] for r in rows], dtype=np.float64)
            entry[key] = float(np.average(values, weights=weights)) if weights.sum() > 0 else 0.0
        entry["support"] = int(total)
        out[label] = entry
    out["accuracy"] = out["weighted avg"]["recall"]
    return out


def render_class_report(rows: Sequence[dict[str, Any]]) -> Table:
    """The report as a rich Table: a row per class, then accuracy and the averages.

    The figures take 39 columns; class names wrap at spaces (or fold) in the rest, never cut.
    """
    from rich.table import Table

    table = Table(title="per-class report", title_justify="left", box=None, header_style="bold",
                  pad_edge=False, padding=(0, 1))
    table.add_column("class", justify="left", overflow="fold")  # a long class name wraps, never cut to `…`
    for name in ("precision", "recall", "f1", "support"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in rows:
        table.add_row(r["class"], f"{r['precision']:.4f}", f"{r['recall']:.4f}", f"{r['f1']:.4f}", str(r["support"]))
    if rows:
        summary = averages(rows)
        total = str(summary["weighted avg"]["support"])
        table.add_section()
        table.add_row("accuracy", "", "", f"{summary['accuracy']:.4f}", total)
        for label in ("macro avg", "weighted avg"):
            e = summary[label]
            table.add_row(label, f"{e['precision']:.4f}", f"{e['recall']:.4f}", f"{e['f1']:.4f}", total)
    return table


def confusion_matrix_figure(cm: npt.ArrayLike, class_names: Sequence[str], title: str = "") -> Figure:
    """Counts in each cell, coloured by the share of the true class (row-normalized).

    Rows are the true classes, columns the predictions; the diagonal is right.
    """
    from matplotlib.figure import Figure

    counts = np.asarray(cm, dtype=np.int64)
    k = counts.shape[0]
    if counts.shape != (k, k) or len(class_names) != k:
        raise ShapeError(
            f"confusion matrix figure: cm has shape {counts.shape} and there are {len(class_names)} class "
            "names; expected a square matrix with one name per class."
        )
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape, dtype=np.float64), where=totals > 0)
    names = [str(n) for n in class_names]
    longest = max((len(n) for n in names), default=1)
    side = min(12.0, max(4.2, 0.75 * k + 2.6 + 0.05 * longest))
    fig = Figure(figsize=(side + 1.0, side), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    big = k <= 12
    fontsize = 11 if k <= 5 else 9 if k <= 10 else 7
    for i in range(k):
        for j in range(k):
            if counts[i, j] == 0:  # empty cells stay quiet so the mistakes stand out
                if big:
                    ax.text(j, i, "0", ha="center", va="center", fontsize=fontsize, color="#b0b0b0")
                continue
            text = f"{counts[i, j]}\n{shares[i, j]:.0%}" if big else f"{counts[i, j]}"
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                    color="white" if shares[i, j] > 0.55 else "#202020")
    tilt = longest > 6 or (k > 6 and longest > 2)
    ax.set_xticks(range(k), labels=names, rotation=45 if tilt else 0, ha="right" if tilt else "center")
    ax.set_yticks(range(k), labels=names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_xticks(np.arange(k + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(k + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    accuracy = float(np.trace(counts)) / max(1, int(counts.sum()))
    ax.set_title(title or f"confusion matrix · accuracy {accuracy:.1%} (n = {int(counts.sum())})", fontsize=11)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("share of the true class (row)")
    bar.ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    return fig
