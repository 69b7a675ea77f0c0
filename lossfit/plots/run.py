"""The plots of one run folder: loss curve, confusion matrix, fit or decision boundary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from matplotlib.figure import Figure

from lossfit.plots._style import draw_each, wrap_title
from lossfit.plots.curves import loss_curve
from lossfit.plots.models import decision_boundary, fit_plot
from lossfit.sinks import RunInfo, RunSummary
from lossfit.training import EpochRecord


def draw_run(path: Path, info: RunInfo, records: list[EpochRecord], summary: RunSummary
             ) -> Iterator[tuple[str, str | None]]:
    """Draw every plot that applies to this run into `path`, one at a time.

    Yields (file name, None) for each plot written and (file name, why) for one
    that could not be drawn: a plot never costs a run its other files.
    """
    return draw_each(path, run_figures(info, records, summary))


def run_figures(info: RunInfo, records: list[EpochRecord], summary: RunSummary
                ) -> list[tuple[str, Callable[[], Figure]]]:
    """(file name, a function drawing its figure) for every plot that applies to this run (the run
    folder draws them; a notebook's `TrainResult.plot()` shows them)."""
    jobs: list[tuple[str, Callable[[], Figure]]] = []
    if records:
        jobs.append(("loss_curve.png", lambda: loss_curve(records, title=info.title, status=summary.status,
                                                                    schedule=str(info.config.get("schedule", "constant")))))
    if summary.classes is not None:
        from lossfit import report

        classes = summary.classes
        names = [row["class"] for row in classes["report"]]
        title = wrap_title(f"{info.title}\n{classes['split']} split", 4.8, fontsize=11)
        jobs.append(("confusion_matrix.png",
                     lambda: report.confusion_matrix_figure(classes["confusion_matrix"], names, title)))
    prepared = info.prepared
    if prepared is None:
        return jobs
    dataset, model = prepared.dataset, prepared.model
    if dataset.task == "regression":
        quantile = float(prepared.loss.tau) if prepared.loss.name == "quantile" else None  # its true line is the tau-quantile's
        jobs.append(("fit.png", lambda: fit_plot(dataset, model, title=info.title, link=prepared.loss.predict,
                                                 status=summary.status, quantile=quantile)))
    elif dataset.n_features == 2:
        jobs.append(("decision_boundary.png", lambda: decision_boundary(dataset, model, title=info.title,
                                                                       loss=prepared.loss, status=summary.status)))
    return jobs
