"""`lossfit explain LOSS --plot FILE.png`: a loss and its family, drawn with matplotlib.

Two panels share the x-axis of the terminal chart (`lossfit.explain.axis_for`):
the loss on the left, its derivative on the right. The explained loss is drawn
thick, its `related` losses (same task, default hyper-parameters) thin, and for
binary losses the 0-1 loss they all stand in for as a grey step. Built on
`matplotlib.figure.Figure` (never pyplot) and written atomically.

Imported only when a plot is asked for.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from lossfit.errors import ConfigError, LossfitError

MAIN_COLOR = "#1f4e99"
OTHER_COLORS = ("#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#6c757d")
ZERO_ONE_COLOR = "#9a9a9a"


def check_png_path(path: Path) -> None:
    """A one-line ConfigError unless `path` is a .png file in a folder that exists and can be written."""
    if path.suffix.lower() != ".png":
        raise ConfigError(f"--plot {path}: the chart is saved as PNG; give a file name ending in .png.")
    check_plot_folder(path)


def check_plot_folder(path: Path, option: str = "--plot", example: str = "loss.png") -> None:
    """A one-line ConfigError unless `path` names a file (not a folder) in a writable folder that exists."""
    try:
        if path.is_dir():
            raise ConfigError(f"{option} {path} is a folder; give a file name such as {path / example}.")
        folder = path.parent if str(path.parent) else Path(".")
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"{option} {path}: {folder} is a file, not a folder; pick another path.")
        if not folder.is_dir():
            raise ConfigError(f"{option} {path}: the folder {folder} does not exist; create it first or pick "
                              "another path.")
    except OSError as err:  # e.g. a name too long to even look up
        raise ConfigError(f"{option} {path}: {err.strerror or err}; pick another path.") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path}: cannot write in folder {folder} (permission denied); "
                          "pick a folder you can write to.")


def write_error(path: Path, err: OSError, option: str = "--plot") -> LossfitError:
    """The one-line error for a plot that could not be written: the path, the reason, the fix."""
    from lossfit.errors import WriteError

    return WriteError(path, err, fix=f"pick another {option} path")


def family_figure(loss: Any) -> Any:
    """The figure: loss and derivative of `loss` and its related losses along the honest axis."""
    from matplotlib.figure import Figure

    from lossfit import explain

    axis = explain.axis_for(loss)
    main = explain.curves(loss, axis)
    related = explain.related_losses(loss)
    if axis.kind == "prediction":  # y_pred means the same thing only under the same link (poisson: log-rate)
        related = [other for other in related if other.probability_link == loss.probability_link]
    others = [c for other in related for c in explain.curves(other, axis, label=other.name, both_labels=False)]

    fig = Figure(figsize=(11, 4.6), layout="constrained")
    ax_loss, ax_grad = fig.subplots(1, 2, sharex=True)
    symbol = axis.symbol
    for ax in (ax_loss, ax_grad):
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.axvline(0.0, color="black", linewidth=0.6)
        ax.grid(True, alpha=0.25)
    if loss.task == "binary":
        step = (axis.x <= 0).astype(float)
        ax_loss.plot(axis.x, step, color=ZERO_ONE_COLOR, linewidth=1.4, linestyle=":", label="0-1 loss (what classification counts)")
    others = [replace(c, label=f"{c.label}  (same curve here)")  # else hidden under the main loss
              if any(np.allclose(c.loss, m.loss, rtol=1e-9, atol=1e-12) for m in main) else c for c in others]
    loss_limits = _limits([c.loss for c in main], [c.loss for c in others], floor_zero=True)
    grad_limits = _limits([c.derivative for c in main], [c.derivative for c in others], floor_zero=False)
    notes: dict[tuple[int, bool], int] = {}
    for color, curve in zip(OTHER_COLORS * 3, others):
        ax_loss.plot(curve.x, _inside(ax_loss, curve.x, curve.loss, loss_limits, color, notes), color=color,
                     linewidth=1.3, alpha=0.9, label=curve.label)
        ax_grad.plot(curve.x, _inside(ax_grad, curve.x, curve.derivative, grad_limits, color, notes), color=color,
                     linewidth=1.3, alpha=0.9, label=curve.label)
    for style, curve in zip(("-", "--"), main):
        ax_loss.plot(curve.x, curve.loss, color=MAIN_COLOR, linewidth=2.8, linestyle=style, label=curve.label)
        ax_grad.plot(curve.x, curve.derivative, color=MAIN_COLOR, linewidth=2.8, linestyle=style, label=curve.label)

    if axis.kind == "residual":
        for key in ("delta", "beta", "epsilon"):
            width = getattr(loss, key, None)
            if isinstance(width, float) and width > 0:
                for ax in (ax_loss, ax_grad):
                    for sign in (-1, 1):
                        ax.axvline(sign * width, color=MAIN_COLOR, linewidth=0.8, linestyle=":", alpha=0.8)
                ax_grad.annotate(f"±{key} = {width:g}", xy=(width, 0), xytext=(4, -14), textcoords="offset points",
                                 fontsize=8, color=MAIN_COLOR)
    ax_loss.set_ylim(*loss_limits)
    ax_grad.set_ylim(*grad_limits)
    ax_loss.set_title("loss")
    ax_grad.set_title("derivative (gradient for one sample)")
    ax_loss.set_xlabel(axis.label)
    ax_grad.set_xlabel(axis.label)
    ax_loss.set_ylabel(f"L({symbol})")
    ax_grad.set_ylabel(f"dL/d{symbol}")
    ax_loss.legend(loc="best", fontsize=8, framealpha=0.9)
    family = " and related losses" if others else ""
    fig.suptitle(f"{explain.display_spec(loss)}{family}\n{loss.summary}", fontsize=11)
    return fig


REACH = 3.0  # related curves are shown up to this many times the main curve's range beyond it


def _limits(main: list[np.ndarray], others: list[np.ndarray], floor_zero: bool) -> tuple[float, float]:
    """y-limits that hold every curve whole, with a margin: the main loss always, the related ones as far
    as `REACH` times the main curve's range beyond it (past that they would flatten the main curve, and
    `_inside` cuts them at the edge with a note)."""
    values = np.concatenate([m[np.isfinite(m)] for m in main])
    low, high = float(values.min()), float(values.max())
    if others:
        extra = np.concatenate([o[np.isfinite(o)] for o in others])
        span = max(high - low, 1e-9)
        low = max(min(low, float(extra.min())), low - REACH * span)
        high = min(max(high, float(extra.max())), high + REACH * span)
    if floor_zero:
        low = min(low, 0.0)
    pad = 0.06 * max(high - low, 1e-9)
    return low - pad, high + pad


def _inside(ax: Any, x: np.ndarray, y: np.ndarray, limits: tuple[float, float], color: str,
            notes: dict[tuple[int, bool], int]) -> np.ndarray:
    """`y` with the points beyond `limits` left out (so no line runs off the axes), and where it leaves
    a small note of how far it goes; `notes` counts the notes at each edge of each axes, to stack them."""
    low, high = limits
    outside = (y < low) | (y > high)
    if not outside.any():
        return y
    extreme = float(np.nanmax(y)) if (y > high).any() else float(np.nanmin(y))
    inside = np.flatnonzero(~outside)
    edge = inside[np.argmax(np.abs(y[inside]))] if len(inside) else 0  # where the curve leaves the axes
    top = extreme > high
    earlier = notes.get((id(ax), top), 0)
    notes[(id(ax), top)] = earlier + 1
    ax.annotate(f"{'↑' if top else '↓'} {extreme:.3g}", (float(x[edge]), high if top else low), fontsize=8,
                color=color, xytext=(4, (-11 - 10 * earlier) if top else (4 + 10 * earlier)),
                textcoords="offset points")
    return np.where(outside, np.nan, y)


def save_png(fig: Any, path: Path) -> None:
    """Write the figure to `path` atomically: a temporary file in the same folder, then os.replace.

    An OSError (no permission, a full disk, a file where a folder should be) is one
    line naming `path` and the reason (`write_error`); the temporary file is removed.
    """
    folder = path.parent if str(path.parent) else Path(".")
    tmp: str | None = None
    try:
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=folder)
        os.close(handle)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a saved chart is an ordinary file
        fig.savefig(tmp, dpi=120, format="png")
        os.replace(tmp, path)
    except BaseException as err:
        if tmp is not None:
            with contextlib.suppress(OSError):
                Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise write_error(path, err) from None
        raise
