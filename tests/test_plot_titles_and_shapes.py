"""Run plots say what was run (issue 11, item 4): titles name every setting, the loss curve's scale,
learning-rate panel and zero loss, the true line on fit.png, the decision boundary's shading, margins and
support vectors, and `explain --plot` keeping every curve inside its axes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

import lossfit
from lossfit import api, data, losses, metrics
from lossfit.config import RunConfig
from lossfit.plots import run as run_plots
from lossfit.plots._style import wrap_title
from lossfit.plots.curves import loss_curve
from lossfit.plots.models import decision_boundary
from lossfit.sinks import RunInfo


def _train(**options: Any) -> Any:
    return lossfit.train(**{"epochs": 20, **options})


def _figures(result: Any) -> dict[str, Any]:
    """Every run plot of a trained result, drawn as `lossfit train` draws them (file name -> Figure)."""
    prepared = result.prepared
    info = RunInfo(title=prepared.title, task=prepared.data.task, main_metric=metrics.MAIN[prepared.data.task],
                   epochs=prepared.config.epochs, n_train=len(prepared.data.X_train),
                   n_val=len(prepared.data.X_val), config=prepared.resolved, prepared=prepared)
    return {name: make() for name, make in run_plots.run_figures(info, result.records, result.summary)}


def _title(fig: Any) -> str:
    """A figure's first axes title (or suptitle), unwrapped: its lines joined as the title's parts are."""
    text = fig.axes[0].get_title() or (fig._suptitle.get_text() if fig._suptitle else "")
    return text.replace("\n", " · ")


# ------------------------------------------------------------------ titles
def test_the_title_names_every_setting_that_was_set() -> None:
    title = api.prepare(RunConfig(
        loss="huber(delta=0.5)", dataset="linear(noise=1.0)", optimizer="sgd(momentum=0.9)", lr=0.05,
        schedule="cosine(T_max=200)", batch_size=32, l2=0.01, l1=0.002, clip_grad=5.0)).title
    for part in ("huber(delta=0.5) on linear(noise=1)", "linear regression", "sgd(momentum=0.9) lr=0.05",
                 "cosine(T_max=200)", "batch 32", "l2 0.01", "l1 0.002", "clip_grad 5"):
        assert part in title, (part, title)
    binary = api.prepare(RunConfig(loss="bce", dataset="moons", optimizer="adam(betas=(0.8, 0.99))",
                                   class_weight="balanced")).title
    assert "adam(betas=(0.8, 0.99)) lr=0.1" in binary and "class_weight balanced" in binary


def test_a_default_run_keeps_its_short_title() -> None:
    # defaults are not repeated (full batch, constant lr, adam's betas), but a loss shows its shape parameter
    assert api.prepare(RunConfig()).title == "mse on linear · linear regression · sgd lr=0.1"
    assert api.prepare(RunConfig(loss="huber")).title.startswith("huber(delta=1) on linear")
    assert api.prepare(RunConfig(dataset="moons", optimizer="adam")).title == \
        "bce on moons · binary linear classifier · adam lr=0.1"


def test_wrapping_breaks_at_the_dots_and_keeps_every_part() -> None:
    title = "huber(delta=0.5) on linear(noise=1) · linear regression · sgd(momentum=0.9) lr=0.05 · cosine(T_max=200)"
    wrapped = wrap_title(title, 4.0)
    assert "\n" in wrapped and all(len(line) <= 52 for line in wrapped.splitlines())
    assert wrapped.replace("\n", " · ") == title
    assert wrap_title(title, 20.0) == title


@pytest.mark.parametrize("options, files", [
    (dict(dataset="linear", batch_size=16), {"loss_curve.png", "fit.png"}),
    (dict(dataset="moons", loss="hinge", class_weight="balanced"),
     {"loss_curve.png", "confusion_matrix.png", "decision_boundary.png"}),
])
def test_every_run_plot_is_titled_with_the_settings(options: dict[str, Any], files: set[str]) -> None:
    result = _train(optimizer="sgd(momentum=0.9)", lr=0.05, schedule="cosine(T_max=20)", **options)
    figures = _figures(result)
    assert set(figures) == files
    for name, fig in figures.items():
        title = _title(fig)
        assert result.prepared.title in title, name
        for part in ("sgd(momentum=0.9) lr=0.05", "cosine(T_max=20)"):
            assert part in title, (name, title)


# ------------------------------------------------------------------ loss curve
def test_the_learning_rate_panel_is_drawn_exactly_when_a_schedule_is_used() -> None:
    scheduled = _train(schedule="step(step_size=5, gamma=0.5)")
    fig = _figures(scheduled)["loss_curve.png"]
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "learning rate"]
    (line,) = fig.axes[1].lines
    assert np.allclose(line.get_ydata(), [r.lr for r in scheduled.records])
    assert line.get_ydata()[0] == 0.1 and line.get_ydata()[-1] == pytest.approx(0.1 * 0.5 ** 3)
    plain = _figures(_train())["loss_curve.png"]
    assert [ax.get_ylabel() for ax in plain.axes] == ["loss"]


def test_a_loss_that_reaches_zero_stays_on_a_log_axis() -> None:
    records = _train(epochs=8).records
    values = [1.0, 0.3, 0.05, 0.004, 0.0, 0.0, 0.0, 0.0]
    records = [replace(r, train_loss=v, val_loss=float("nan")) for r, v in zip(records, values)]
    fig = loss_curve(records, title="hinge on separable")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    (train,) = [line for line in ax.lines if line.get_label() == "train loss"]
    y = np.asarray(train.get_ydata(), dtype=float)
    low = ax.get_ylim()[0]
    assert np.isfinite(y).all() and len(y) == 8  # not dropped
    assert 0 < low < 0.004 and np.allclose(y[4:], y[4]) and low <= y[4] < 0.004  # drawn along the bottom
    assert any("train loss = 0 from epoch 5" in t.get_text() for t in ax.texts)


def test_the_scale_rule_is_the_same_for_every_task() -> None:
    records = _train(epochs=5).records
    spread = [replace(r, train_loss=v, val_loss=v) for r, v in zip(records, [5.0, 1.0, 0.2, 0.04, 0.02])]
    narrow = [replace(r, train_loss=v, val_loss=v) for r, v in zip(records, [5.0, 4.0, 2.0, 1.0, 0.6])]
    assert loss_curve(spread).axes[0].get_yscale() == "log"  # 250x
    assert loss_curve(narrow).axes[0].get_yscale() == "linear"  # 8.3x: less than a decade


# ------------------------------------------------------------------ fit.png
def _line(fig: Any, prefix: str) -> Any:
    found = [line for line in fig.axes[0].lines if str(line.get_label()).startswith(prefix)]
    return found[0] if found else None


@pytest.mark.parametrize("spec, loss, label", [
    ("linear(noise=0.5)", "mse", "true line (no noise)"),
    ("outliers", "quantile(tau=0.9)", "true 0.9-quantile line"),
    ("sine", "mse", "true curve (no noise)"),
])
def test_fit_draws_the_truth_the_generator_knows(spec: str, loss: str, label: str) -> None:
    result = _train(dataset=spec, loss=loss)
    fig = _figures(result)["fit.png"]
    truth = _line(fig, label)
    assert truth is not None, [line.get_label() for line in fig.axes[0].lines]
    dataset = result.prepared.dataset
    x = np.asarray(truth.get_xdata(), dtype=float)
    quantile = 0.9 if "quantile" in loss else None
    expected = data.true_target(dataset, (x[:, None] - dataset.x_mean) / dataset.x_std, quantile)
    assert np.allclose(truth.get_ydata(), expected)


def test_fit_without_a_known_truth_draws_none_and_a_diverged_run_says_so() -> None:
    result = _train(dataset="anscombe")
    assert _line(_figures(result)["fit.png"], "true") is None
    diverged = lossfit.train(dataset="linear", lr=5.0, epochs=50)
    assert diverged.summary.status == "diverged"
    fig = _figures(diverged)["fit.png"]
    assert any(t.get_text().startswith("diverged") for t in fig.axes[0].texts)
    assert _line(fig, "fitted (diverged") is not None and _line(fig, "true line") is not None


# ------------------------------------------------------------------ decision boundary
def _levels(ax: Any) -> list[float]:
    from matplotlib.contour import ContourSet

    return sorted(float(v) for c in ax.get_children() if isinstance(c, ContourSet) for v in c.levels)


def test_hinge_boundary_has_margins_and_circles_the_support_vectors() -> None:
    result = _train(dataset="moons", loss="hinge", epochs=50)
    fig = _figures(result)["decision_boundary.png"]
    ax = fig.axes[0]
    assert _levels(ax) == [-1.0, 0.0, 1.0]
    dataset, model = result.prepared.dataset, result.prepared.model
    margin = (2 * dataset.y_train - 1) * model.predict(dataset.X_train)
    from matplotlib.collections import PathCollection
    from matplotlib.contour import ContourSet

    points = [c for c in ax.collections if isinstance(c, PathCollection) and not isinstance(c, ContourSet)]
    hollow = [c for c in points if not np.any(c.get_facecolors()[:, 3])]
    assert len(hollow) == 1 and len(hollow[0].get_offsets()) == int((margin <= 1).sum()) > 0
    labels = ax.get_legend_handles_labels()[1] + [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("support vectors: y·score ≤ 1") for label in labels)
    assert fig.axes[1].get_xlabel().startswith("score")  # the colorbar: hinge has no probability


def test_at_zero_hinge_loss_the_points_that_hold_the_margin_are_circled() -> None:
    result = _train(dataset="separable", loss="hinge", epochs=1000)
    assert result.records[-1].train_loss == 0.0
    ax = _figures(result)["decision_boundary.png"].axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("on the margin: y·score = 1") for label in labels), labels


def test_bce_boundary_shades_the_probability_without_margins() -> None:
    result = _train(dataset="moons", loss="bce", epochs=30)
    fig = _figures(result)["decision_boundary.png"]
    ax = fig.axes[0]
    assert _levels(ax) == [0.0]
    (image,) = ax.images
    shaded = np.asarray(image.get_array())
    assert 0 < shaded.min() < 0.5 < shaded.max() < 1  # probabilities on both sides of the boundary
    assert fig.axes[1].get_xlabel() == "P(class 1) = sigmoid(score)"


def test_multiclass_regions_are_smooth_lines_for_any_number_of_classes() -> None:
    result = _train(dataset="blobs(centers=5)", epochs=30)
    prepared = result.prepared
    fig = decision_boundary(prepared.dataset, prepared.model, title="five classes", loss=prepared.loss,
                            resolution=120)
    ax = fig.axes[0]
    (image,) = ax.images
    assert np.asarray(image.get_array()).shape == (120, 120, 3)
    assert len(_levels(ax)) >= 4 and set(_levels(ax)) == {0.0}  # where two classes' scores tie: contour lines
    assert "softmax" in fig.axes[1].get_xlabel()


# ------------------------------------------------------------------ explain --plot
@pytest.mark.parametrize("spec", ["quantile(tau=0.9)", "hinge", "mae"])
def test_explain_plot_keeps_every_curve_inside_the_axes(spec: str) -> None:
    from lossfit import loss_plots

    fig = loss_plots.family_figure(losses.get(spec))
    for ax in fig.axes:
        low, high = ax.get_ylim()
        for line in ax.lines:
            y = np.asarray(line.get_ydata(), dtype=float)
            y = y[np.isfinite(y)]
            if len(y) > 2:  # curves, not the axis lines
                assert low <= y.min() and y.max() <= high, (spec, line.get_label(), low, high)
    if spec == "quantile(tau=0.9)":  # MAE's and Huber's +1 branch is whole
        grad = fig.axes[1]
        mae = [line for line in grad.lines if line.get_label() == "mae"][0]
        assert np.nanmax(np.asarray(mae.get_ydata(), dtype=float)) == 1.0
