"""`lossfit plot`: redraw curves from saved run and compare folders, from their files alone.

A thin command over `lossfit.plots.history`: read the folders, draw, check
--out, save. Everything is checked before anything is written. numpy and
matplotlib are imported inside the command only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from lossfit.errors import ConfigError

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
DEFAULT_OUT = Path("plot.png")


def register(app: Any) -> None:
    """Add `plot` to the typer app."""
    app.command("plot")(plot_command)


def plot_command(
    run_dirs: Annotated[Optional[list[Path]], typer.Argument(
        help="Run folders (from `lossfit train --out`) and compare folders (from `lossfit compare --out`; "
        "each expands into its variants).", metavar="RUN_DIR", show_default=False)] = None,
    metric: Annotated[Optional[str], typer.Option(
        help="Plot this history.csv column instead of the losses, e.g. mae, accuracy, val_loss, lr, grad_norm. "
        "[default: train loss, validation loss dashed]", metavar="NAME", show_default=False)] = None,
    log: Annotated[Optional[bool], typer.Option(
        "--log/--linear", help="Y scale. [default: log when the positive values span more than a decade]",
        show_default=False)] = None,
    out: Annotated[Optional[Path], typer.Option(
        help="The file to write: .png, .svg or .pdf; never overwritten. [default: plot.png in the current folder]",
        metavar="FILE", show_default=False)] = None,
) -> None:
    """Redraw loss curves (or any history.csv column) of saved runs on one plot, without retraining.

    Example: lossfit plot runs/compare-outliers --metric mae
    """
    from lossfit.display import Terminal
    from lossfit.plots._style import save
    from lossfit.plots.history import history_figure, load_runs

    runs = load_runs(run_dirs or [])
    figure = history_figure(runs, metric=metric, log=log)  # every input checked first, then the output path
    path = check_out(out)
    save(figure, path)
    what = "the losses" if metric is None else f"`{metric.strip()}`"
    Terminal.create().out.print(f"Saved {path} ({what} of {len(runs)} run{'s' if len(runs) != 1 else ''}).",
                                highlight=False, markup=False)


def check_out(out: Path | None) -> Path:
    """The path to write, refused with one line when it is taken, unwritable in kind, or has the wrong suffix."""
    path = out if out is not None else DEFAULT_OUT
    option = f"--out {path}" if out is not None else f"The default output {path}"
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError(f"{option}: expected a file ending in {', '.join(PLOT_SUFFIXES)}.")
    if path.is_dir():
        raise ConfigError(f"{option} is a folder; give a file name such as {path / DEFAULT_OUT.name}.")
    if path.exists():
        fix = "choose a new name" if out is not None else "pass --out FILE with a new name"
        raise ConfigError(f"{option} already exists; lossfit never overwrites a file: {fix}.")
    if not path.parent.is_dir():
        raise ConfigError(f"{option}: the folder {path.parent} does not exist; create it first.")
    return path
