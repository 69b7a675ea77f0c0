"""`lossfit landscape`: the exact loss surface of a two-parameter problem, with optimizer paths on it.

A thin command over `lossfit.landscape` (the math) and `lossfit.plots.landscape` (the drawing): parse the
options, check and build everything, train the paths, then write one PNG. numpy and matplotlib are imported
inside the command only, so `lossfit --help` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from lossfit import completion
from lossfit.commands.options import HELP
from lossfit.errors import ConfigError

MANY = list[str]
SEVERAL = " Several values: repeat the option or separate them with commas."
SUFFIXES = (".png", ".svg", ".pdf")


def register(app: Any) -> None:
    app.command("landscape")(landscape_command)


def landscape_command(
    loss: Annotated[Optional[MANY], typer.Option(help=HELP["loss"] + " Several losses give one panel each." + SEVERAL, metavar="SPEC", autocompletion=completion.complete_losses)] = None,
    dataset: Annotated[Optional[str], typer.Option(help="A one-feature regression dataset (linear, outliers, heavy_tailed, heteroscedastic, sine, counts: parameters slope w and intercept b), a two-feature binary dataset (moons, circles, xor, separable, imbalanced: weights w1, w2 of a classifier without bias), or a .csv/.npz file like them. [default: linear; moons for a binary --loss]", metavar="SPEC", autocompletion=completion.complete_dataset)] = None,
    model: Annotated[Optional[str], typer.Option(help="linear gives the exact two-parameter landscapes; any other model (e.g. mlp), or data with more features, gets random-direction slices (Li et al. 2018) of one run. [default: linear]", metavar="SPEC", autocompletion=completion.complete_models)] = None,
    optimizer: Annotated[Optional[MANY], typer.Option(help=HELP["optimizer"].replace("[default: sgd]", "[default: gd]") + " Each optimizer x lr is one path." + SEVERAL, metavar="SPEC", autocompletion=completion.complete_optimizers)] = None,
    lr: Annotated[Optional[MANY], typer.Option(help="Learning rate. [default: 0.1]" + SEVERAL, metavar="X")] = None,
    epochs: Annotated[int, typer.Option(help="Steps of each path (full batch: one update per epoch).")] = 100,
    seed: Annotated[int, typer.Option(help=HELP["seed"].replace(" [default: 0]", ""))] = 0,
    val_split: Annotated[float, typer.Option("--val-split", help="Fraction held out; the surface and the paths use the training split.")] = 0.2,
    standardize: Annotated[bool, typer.Option("--standardize/--no-standardize", help="Standardize the features (mean 0, std 1 on the training split); --no-standardize keeps their own units (stretched valleys when the scales differ).")] = True,
    features: Annotated[Optional[str], typer.Option(help="Data files: the feature column (regression) or the two columns 'a,b' (binary) to use.", metavar="A[,B]")] = None,
    target: Annotated[Optional[str], typer.Option(help=HELP["target"], metavar="COLUMN")] = None,
    start: Annotated[Optional[str], typer.Option(help="Where every path starts: 'w,b' (slope, intercept) or 'w1,w2' (classifier weights), e.g. --start=-2,3 (use = before a negative number). [default: the first loss's minimum plus (-3, 2) x the target's spread (interquartile range / 1.349; 1 for a classifier)]", metavar="W,B")] = None,
    resolution: Annotated[int, typer.Option(help="Grid points per axis of the exact surface (random-direction slices use at most 51).")] = 121,
    out: Annotated[Optional[Path], typer.Option(help="Picture to write (.png, .svg or .pdf); an existing file is refused, never overwritten. [default: landscape-<dataset>.png in the working folder, numbered -2, -3, ... if taken]", metavar="FILE")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print minima, start, window and every path's points as JSON on stdout.")] = False,
    animate: Annotated[Optional[Path], typer.Option("--animate", help="Also write a GIF of the same picture with the paths growing step by step, all together (two-parameter landscapes; an existing file is refused).", metavar="FILE.gif")] = None,
    frames: Annotated[Optional[int], typer.Option("--frames", help="Frames in the --animate GIF, evenly spaced from the start to the last step (every step when there are fewer). [default: 100]", show_default=False)] = None,
) -> None:
    """Draw the exact loss over the two parameters of a small model, with each optimizer's path from one start.

    Two-parameter problems: the slope and intercept of a line (one-feature regression), or the two weights of a
    binary linear classifier without bias (two-feature binary data). Every path is lossfit's own optimizer, full
    batch (each step uses the exact gradient of the surface drawn), started from --start. The star marks the
    minimum: least squares for mse, a fine grid argmin otherwise. Bigger models (--model mlp, more features,
    softmax) get three views of one run after Li et al. (2018): a slice along two random filter-normalised
    directions, the path in its PCA plane, and the line from initial to final weights. Example:
    lossfit landscape --dataset linear --optimizer gd,momentum,adam --lr 0.5
    """
    import json

    from lossfit import display
    from lossfit import landscape as landscaping
    from lossfit.variants import options_from_cli

    terminal = display.Terminal.create()
    raw: dict[str, list[str] | None] = {"loss": loss, "optimizer": optimizer or ["gd"], "lr": lr}
    _single, lists = options_from_cli(raw)  # the compare parser: commas split, parentheses keep specs whole
    single: dict[str, Any] = {"epochs": epochs, "seed": seed, "val_split": val_split, "standardize": standardize}
    for key, value in (("dataset", dataset), ("model", model), ("features", features), ("target", target)):
        if value is not None:
            single[key] = value
    _check_numbers(epochs, val_split)
    _check_animation(animate, frames)
    start_point = landscaping.parse_start(start)
    plan = landscaping.plan(single, lists, start_point, resolution)
    path = _out_path(out, plan.dataset_label)  # checked before any training
    if animate is not None and plan.kind == "slice":
        raise ConfigError(f"--animate {animate}: only the exact two-parameter landscape is animated (--model linear "
                          "on a one-feature regression or two-feature binary dataset); leave --animate out here.")
    if plan.kind == "slice":
        n_params = sum(p.size for p in plan.runs[0][0][1].model.params)
        terminal.note("Note: " + landscaping.SLICE_NOTE.format(n=n_params))
        view = landscaping.compute_slice(plan)
        _write(view, path)
        if json_output:
            print(json.dumps({**view.to_json(), "file": str(path)}, indent=2))
            return
        flag = " DIVERGED" if view.status == "diverged" else ""
        terminal.out.print(f"{view.loss_label} · {view.model}, {view.n_params} parameters · {view.path_label}: loss "
                           f"{view.initial_loss:.4g} -> {view.final_loss:.4g} in {len(view.path_xy) - 1} steps{flag}; "
                           f"the path's first two principal directions hold {view.explained.sum():.1%} of its "
                           "variance", highlight=False, markup=False)
        terminal.out.print(f"Wrote {path}", highlight=False, markup=False)
        return
    result = landscaping.compute(plan)
    _write(result, path)
    count = _write_gif(result, animate, frames) if animate is not None else 0
    if json_output:
        extra = {"animation": str(animate), "frames": count} if animate is not None else {}
        text = json.dumps({**result.to_json(), "file": str(path), **extra}, indent=2)
        print(text)
        return
    for panel in result.panels:
        first, second = result.parameters
        where = (f"minimum {panel.min_value:.4g} at {first}={panel.minimum[0]:.4g}, {second}={panel.minimum[1]:.4g}"
                 f" ({panel.how_minimum})" if panel.finite_minimum else panel.how_minimum)
        terminal.out.print(f"{panel.loss_label}: {where}", highlight=False, markup=False)
        for p in panel.paths:
            if p.status == "diverged":
                flag = " DIVERGED (training stopped it)"
            elif p.reached_at is not None:
                flag = f" (settled at the minimum from step {p.reached_at})"
            elif panel.finite_minimum:
                flag = " (short of the minimum: more --epochs or a larger --lr)"
            else:
                flag = ""
            flag += " (left the drawn window)" if p.left_window else ""
            terminal.out.print(f"  {p.label}: {p.steps} steps, ends at {first}={p.points[-1, 0]:.4g}, "
                               f"{second}={p.points[-1, 1]:.4g}, loss {p.final_loss:.4g}{flag}",
                               highlight=False, markup=False)
    terminal.out.print(f"Wrote {path}", highlight=False, markup=False)
    if animate is not None:
        terminal.out.print(f"Wrote {animate} ({count} frames)", highlight=False, markup=False)


def _check_animation(animate: Path | None, frames: int | None) -> None:
    """--animate and --frames as `train` checks them (a .gif in a folder that exists and is writable, 2 to 1000
    frames, --frames only with --animate), and, like --out, never over an existing file."""
    from lossfit.animate import check_options

    if animate is not None and (animate.name in ("", ".", "..") or animate.is_dir()):  # check_options would fail
        raise ConfigError(f"--animate {animate} is a folder; give a file name ending in .gif, "  # on its suffix
                          f"e.g. --animate {animate / 'paths.gif'}.")
    check_options(animate, frames)
    if animate is not None and animate.exists():
        raise ConfigError(f"--animate {animate} already exists; landscape never overwrites: choose another name or "
                          "delete it first.")


def _write_gif(result: Any, animate: Path, frames: int | None) -> int:
    """The GIF of the picture with the paths growing; returns its number of frames."""
    import warnings

    import numpy as np

    from lossfit.animate import DEFAULT_FRAMES
    from lossfit.errors import WriteError
    from lossfit.plots.landscape import write_landscape_gif

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return write_landscape_gif(animate, result, frames or DEFAULT_FRAMES)
        except OSError as err:
            raise WriteError(animate, err, "choose another --animate") from None


def _check_numbers(epochs: int, val_split: float) -> None:
    if not 1 <= epochs <= 10_000:
        raise ConfigError(f"--epochs must be between 1 and 10000 for a landscape (one point per step), got {epochs}.")
    if not 0 <= val_split < 1:
        raise ConfigError(f"--val-split must be at least 0 and below 1, got {val_split}.")


def _out_path(out: Path | None, dataset_label: str) -> Path:
    """The file to write: --out if it is free, else landscape-<dataset>.png (numbered if taken)."""
    import re

    if out is not None:
        if out.suffix.lower() not in SUFFIXES:
            raise ConfigError(f"--out {out}: the picture must end in .png, .svg or .pdf, e.g. --out landscape.png.")
        if out.exists():
            raise ConfigError(f"--out {out} already exists; landscape never overwrites: choose another name or "
                              "delete it first.")
        if not out.parent.is_dir():
            raise ConfigError(f"--out {out}: the folder {out.parent} does not exist; create it or choose another "
                              "--out.")
        return out
    stem = "landscape-" + (re.sub(r"[^A-Za-z0-9_.=-]+", "_", Path(dataset_label).stem)[:60] or "data")
    candidate, number = Path(f"{stem}.png"), 1
    while candidate.exists():
        number += 1
        candidate = Path(f"{stem}-{number}.png")
    return candidate


def _write(result: Any, path: Path) -> None:
    import warnings

    import numpy as np

    from lossfit.errors import WriteError
    from lossfit.plots._style import save
    from lossfit.landscape import Slice
    from lossfit.plots.landscape import landscape_figure, slice_figure

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        fig = slice_figure(result) if isinstance(result, Slice) else landscape_figure(result)
        try:
            save(fig, path)
        except OSError as err:
            raise WriteError(path, err, "choose another --out") from None
