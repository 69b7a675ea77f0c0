"""The plots of one run folder: loss curve, confusion matrix, fit or decision boundary."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from lossfit.plots._style import save
from lossfit.plots.curves import loss_curve
from lossfit.plots.models import decision_boundary, fit_plot
from lossfit.sinks import RunInfo, RunSummary
from lossfit.training import EpochRecord


def draw_run(path: Path, info: RunInfo, records: list[EpochRecord], summary: RunSummary) -> list[str]:
    """Draw every plot that applies to this run into `path`; return the file names written."""
    # A diverged run's huge or infinite values make NumPy and matplotlib warn about overflow:
    # the run's message already says what happened.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return _draw_run(path, info, records, summary)


def _draw_run(path: Path, info: RunInfo, records: list[EpochRecord], summary: RunSummary) -> list[str]:
    written = []
    if records:
        save(loss_curve(records, title=info.title, status=summary.status), path / "loss_curve.png")
        written.append("loss_curve.png")
    if summary.classes is not None:
        from lossfit import report

        classes = summary.classes
        names = [row["class"] for row in classes["report"]]
        title = f"{info.title}\n{classes['split']} split"
        save(report.confusion_matrix_figure(classes["confusion_matrix"], names, title), path / "confusion_matrix.png")
        written.append("confusion_matrix.png")
    prepared = info.prepared
    if prepared is None:
        return written
    dataset, model = prepared.dataset, prepared.model
    if dataset.task == "regression":
        save(fit_plot(dataset, model, title=info.title, link=prepared.loss.predict), path / "fit.png")
        written.append("fit.png")
    elif dataset.n_features == 2:
        save(decision_boundary(dataset, model, title=info.title), path / "decision_boundary.png")
        written.append("decision_boundary.png")
    return written
