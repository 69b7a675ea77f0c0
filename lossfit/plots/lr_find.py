"""The learning-rate range test's picture: loss against learning rate on a log axis.

Raw loss (thin, one dot per step) and its smoothed curve (thick); the suggested
lr marked on the smoothed curve; where the run stopped; and, when it is known
exactly (full-batch gradient descent on mse with a linear model), the stability
limit 2/lambda_max with the region beyond it shaded. See `lossfit.lr_find`.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from lossfit.lr_find import BETA, DIVERGENCE_FACTOR, RULE, LRFindResult, round_down
from lossfit.plots._style import TRAIN_COLOR, TRUTH_COLOR
from lossfit.plots.curves import wants_log

RAW_COLOR = "#9ecae1"
SUGGEST_COLOR = "#2ca02c"
LIMIT_COLOR = "#d62728"
STOP_COLOR = "#444444"


def lr_find_figure(result: LRFindResult, title: str = "") -> Figure:
    """Draw `result` on a new Figure (never pyplot): loss against lr, log x."""
    lrs, raw, smoothed = result.lrs, result.losses, result.smoothed
    fig = Figure(figsize=(8, 6.2))
    ax = fig.add_subplot()
    ax.set_xscale("log")
    finite = np.isfinite(raw)
    stopped = result.stop != "completed"
    shown = finite.copy()
    if stopped:
        shown[-1] = False  # the step that stopped the run gets its own marker
    log = wants_log(raw[shown], np.array([result.initial_loss]))
    if log:
        ax.set_yscale("log")

    ax.plot(lrs[finite], raw[finite], color=RAW_COLOR, linewidth=1.0, marker=".", markersize=3.5,
            label="loss after each step (whole training split)")
    ax.plot(lrs, smoothed, color=TRAIN_COLOR, linewidth=2.2,
            label=rf"smoothed: moving average, $\beta$ = {BETA:g}, bias-corrected (it lags the raw loss)")
    if math.isfinite(result.initial_loss):
        ax.axhline(result.initial_loss, color=TRUTH_COLOR, linewidth=0.8, linestyle=":",
                   label=f"loss at the initial weights ({result.initial_loss:.3g})")

    keep = shown.copy()
    if stopped and finite[-1]:  # the stop point fits when it is not far above everything else
        rest = np.concatenate([raw[shown], [result.initial_loss]])
        keep[-1] = bool(len(rest)) and raw[-1] <= (10 if log else 1.5) * float(np.nanmax(rest))
    smooth_keep = keep | ~finite  # the smoothed value of a stop point left out goes too (NaN when not finite)
    low, high = _y_range(raw[keep], smoothed[smooth_keep], result.initial_loss, log)
    ax.set_ylim(low, high)
    limit = result.stability_limit
    ax.set_xlim(min(result.start_lr, limit or math.inf) / 1.5, max(float(lrs[-1]), limit or 0.0) * 1.5)

    if limit is not None:
        ax.axvline(limit, color=LIMIT_COLOR, linewidth=1.6, linestyle="--",
                   label=rf"stability limit $2/\lambda_{{max}}$ = {limit:.3g} ($\lambda_{{max}}$ = "
                   f"{result.lambda_max:.3g}): full-batch gradient descent with a constant lr diverges beyond it")
        ax.axvspan(limit, ax.get_xlim()[1], color=LIMIT_COLOR, alpha=0.06, linewidth=0,
                   label=r"beyond it each step multiplies the error along the steepest direction by "
                   r"$|1 - lr\,\lambda_{max}| > 1$:" "\na small error takes some steps to show")
        ax.annotate(rf"stability limit $2/\lambda_{{max}}$ = {limit:.3g}", (limit, 0.98),
                    xycoords=("data", "axes fraction"), xytext=(4, 0), textcoords="offset points", rotation=90,
                    ha="left", va="top", color=LIMIT_COLOR, fontsize=9, annotation_clip=True)

    if stopped:
        last_lr, last = float(lrs[-1]), float(raw[-1])
        why = (f"stopped at lr {last_lr:.3g}: loss not finite" if not math.isfinite(last) else
               f"stopped at lr {last_lr:.3g}: loss {last:.3g} > {DIVERGENCE_FACTOR:g} x its best")
        inside = math.isfinite(last) and last <= high
        y = last if inside else high
        ax.plot([last_lr], [y], marker="x" if inside else "^", color=STOP_COLOR, markersize=9, mew=2,
                linestyle="none", clip_on=False, label=why + ("" if inside else " (off the top)"))

    index = result.suggestion_index
    if index is not None:
        lr = float(lrs[index])
        ax.axvline(lr, color=SUGGEST_COLOR, linewidth=1.4)
        ax.plot([lr], [smoothed[index]], marker="o", color=SUGGEST_COLOR, markersize=8, linestyle="none",
                label=f"suggested lr {round_down(lr):g}: " + (rf"the largest tested lr $\leq 1/\lambda_{{max}}$ = {1 / (result.lambda_max or 1):.3g}"
                                                     if result.capped else RULE))
        ax.annotate(f"lr {round_down(lr):g}", (lr, smoothed[index]), xytext=(-8, -16), textcoords="offset points", ha="right",
                    color=SUGGEST_COLOR, fontsize=10, fontweight="bold",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5})
    if result.capped and result.steepest_index is not None:
        k = result.steepest_index
        ax.plot([lrs[k]], [smoothed[k]], marker="o", markerfacecolor="white", markeredgecolor=SUGGEST_COLOR,
                markersize=8, mew=1.8, linestyle="none",
                label=f"steepest descent of the smoothed loss, lr {float(lrs[k]):.3g}: beyond the limit, not suggested")

    ratio = (result.end_lr / result.start_lr) ** (1 / (result.steps - 1))
    subtitle = (f"lr grows x{ratio:.4g} per step from {result.start_lr:g} to {result.end_lr:g} "
                f"({len(lrs)} of {result.steps} steps taken)")
    ax.set_title(f"Learning-rate range test · {title}\n{subtitle}" if title else subtitle, fontsize=10)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss" + (" (log scale)" if log else ""))
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.0, -0.13), frameon=False)  # below: hides no data
    return fig  # saved with bbox_inches="tight", which makes room for the legend below the axes


def _y_range(raw: np.ndarray, smoothed: np.ndarray, initial: float, log: bool) -> tuple[float, float]:
    """Every finite loss but the one that stopped the run, with a margin (ratios on a log axis)."""
    values = np.concatenate([raw, smoothed, [initial]])
    values = values[np.isfinite(values) & ((values > 0) if log else True)]
    if not len(values):
        return (0.1, 10.0) if log else (0.0, 1.0)
    low, high = float(values.min()), float(values.max())
    if log:
        return low / 1.6, high * 1.6
    pad = (high - low) * 0.08 or 1.0
    return (0.0 if low >= 0 else low - pad), high + pad  # a loss >= 0 is drawn from 0
