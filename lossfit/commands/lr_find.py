"""`lossfit lr-find`: the learning-rate range test (Smith 2017; fastai's `lr_find`).

A thin command over `lossfit.lr_find` (the math) and `lossfit.plots.lr_find`
(the picture): check every option, run the test, draw, claim a file name that
is not taken, save, print the suggestion with the `lossfit train` command that
uses it. It writes nothing but its one plot (no run folder). numpy and
matplotlib are imported inside the command only.
"""

from __future__ import annotations

import contextlib
import os
import shlex
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from lossfit import completion
from lossfit.commands.options import HELP
from lossfit.errors import ConfigError, WriteError

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
DEFAULT_NAME = "lr_find"  # lr_find.png, else lr_find-2.png, lr_find-3.png, ...
MAX_FRESH = 10_000
# Options passed on to the `lossfit train` command the suggestion is printed with, in this order.
TRAIN_FLAGS = ("loss", "dataset", "model", "optimizer", "batch_size", "seed", "val_split", "l2", "l1", "clip_grad",
               "class_weight", "target", "features", "task")

OUT_HELP = ("The plot to write: .png, .svg or .pdf. An existing file is refused (never overwritten). "
            "[default: lr_find.png in the current folder; when that is taken, the first free one of "
            "lr_find-2.png, lr_find-3.png, ...]")


def _with(key: str, extra: str) -> str:
    """The shared help of option `key` with `extra` added before its trailing `[default: ...]`."""
    text = HELP[key]
    cut = text.rfind(" [default:")
    return f"{text[:cut]} {extra}{text[cut:]}" if cut >= 0 else f"{text} {extra}"


def register(app: Any) -> None:
    """Add `lr-find` to the typer app."""
    app.command("lr-find")(lr_find_command)


def lr_find_command(
    loss: Annotated[Optional[str], typer.Option(help=HELP["loss"], autocompletion=completion.complete_loss)] = None,
    dataset: Annotated[Optional[str], typer.Option(help=HELP["dataset"], autocompletion=completion.complete_dataset)] = None,
    model: Annotated[Optional[str], typer.Option(help=HELP["model"], autocompletion=completion.complete_model)] = None,
    optimizer: Annotated[Optional[str], typer.Option(help=HELP["optimizer"], autocompletion=completion.complete_optimizer)] = None,
    batch_size: Annotated[Optional[str], typer.Option("--batch-size", help=_with("batch_size", "Full: one step is one gradient-descent update on the whole training split; N: one update per mini-batch, batches in the seed's order."))] = None,
    seed: Annotated[Optional[int], typer.Option(help=HELP["seed"])] = None,
    val_split: Annotated[Optional[float], typer.Option("--val-split", help=_with("val_split", "The test uses the training split only."))] = None,
    l2: Annotated[Optional[float], typer.Option(help=HELP["l2"])] = None,
    l1: Annotated[Optional[float], typer.Option(help=HELP["l1"])] = None,
    clip_grad: Annotated[Optional[float], typer.Option("--clip-grad", help=HELP["clip_grad"])] = None,
    class_weight: Annotated[Optional[str], typer.Option("--class-weight", help=HELP["class_weight"])] = None,
    target: Annotated[Optional[str], typer.Option(help=HELP["target"])] = None,
    features: Annotated[Optional[str], typer.Option(help=HELP["features"])] = None,
    header: Annotated[Optional[bool], typer.Option("--header/--no-header", help=HELP["header"], show_default=False)] = None,
    task: Annotated[Optional[str], typer.Option(help=HELP["task"], autocompletion=completion.complete_task)] = None,
    standardize: Annotated[Optional[bool], typer.Option("--standardize/--no-standardize", help=HELP["standardize"], show_default=False)] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help=_with("config", "Its lr, epochs, schedule, early stopping and out are not used here."), autocompletion=completion.complete_config)] = None,
    start_lr: Annotated[float, typer.Option("--start-lr", help="First learning rate of the sweep (> 0).")] = 1e-7,
    end_lr: Annotated[float, typer.Option("--end-lr", help="Last learning rate of the sweep (> --start-lr).")] = 10.0,
    steps: Annotated[int, typer.Option(help="Steps (learning rates) from --start-lr to --end-lr, both included, at least 2; fewer when the loss blows up first.")] = 100,
    out: Annotated[Optional[Path], typer.Option(help=OUT_HELP, metavar="FILE", show_default=False, autocompletion=completion.complete_out)] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the learning rates, losses, suggestion and stability limit as JSON on stdout.")] = False,
) -> None:
    """Learning-rate range test: grow the lr exponentially from the initial weights, plot loss against lr.

    Each step makes one update with a larger lr (x(end/start)^(1/(steps-1))) and records the training
    loss; the run stops once the loss exceeds 4x its best or is not finite. The suggested lr is the
    steepest descent of the smoothed loss (moving average, beta 0.98), below where it blew up; for
    full-batch gradient descent on mse with a linear model the exact stability limit 2/lambda_max is
    drawn and printed too. Writes only the plot: no run folder. Example: lossfit lr-find --optimizer adam
    """
    import json
    import sys

    from lossfit import api, display
    from lossfit import lr_find as finder
    from lossfit.cli import warnings_as_notes
    from lossfit.config import build_config

    finder.check_range(start_lr, end_lr, steps)
    check_out(out)
    given = {
        "loss": loss, "dataset": dataset, "model": model, "optimizer": optimizer, "batch_size": batch_size,
        "seed": seed, "val_split": val_split, "l2": l2, "l1": l1, "clip_grad": clip_grad,
        "class_weight": class_weight, "target": target, "features": features, "header": header, "task": task,
        "standardize": standardize,
    }
    run_config = build_config(config, given)
    terminal = display.Terminal.create()
    noted: set[str] = set()
    # What a custom loss prints goes to stderr: stdout carries only the results (and stays valid --json).
    with warnings_as_notes(terminal, noted), contextlib.redirect_stdout(sys.stderr):
        prepared = api.prepare(run_config)
        result = finder.find(prepared, start_lr, end_lr, steps)
    from lossfit.plots.lr_find import lr_find_figure

    with warnings_as_notes(terminal, noted):  # matplotlib's warnings, if any, as one Note line each
        figure = lr_find_figure(result, title=describe(prepared))
        path = save_fresh(figure, out)
    command = train_command(given, config, result.suggestion)
    if json_output:
        text = json.dumps({**result.to_json(), "out": str(path), "command": command}, indent=2)
        terminal.out.print_json(text, highlight=False) if terminal.out.is_terminal else print(text)
        return
    for line in report_lines(result, command, path):
        terminal.out.print(line, highlight=False, markup=False, soft_wrap=True)


def describe(prepared: Any) -> str:
    """The run's title without its lr (the test sweeps it), and the batch when it is the full one."""
    config = prepared.config
    title = str(prepared.title).replace(f" lr={config.lr:g}", "")
    return title if config.batch_size is not None else f"{title} · full batch"


def report_lines(result: Any, command: str | None, path: Path) -> list[str]:
    """What the test found, in a few lines: suggestion and its command, the limit, where it stopped."""
    from lossfit.lr_find import DIVERGENCE_FACTOR, RULE, round_down

    lines = []
    if result.suggestion is not None:
        lr = round_down(result.suggestion)
        why = RULE
        if result.capped:
            steepest = float(result.lrs[result.steepest_index])
            why = (f"about 1/lambda_max = {1 / result.lambda_max:.3g}: the smoothed loss fell fastest at lr "
                   f"{steepest:.3g}, beyond the stability limit, where a constant lr diverges")
        lines.append(f"Suggested lr: {lr:g} ({why}).")
        lines.append(f"  {command}")
    elif result.stop != "completed":
        start = result.start_lr / 1000
        if result.stability_limit is not None:
            start = min(start, round_down(result.stability_limit / 100, 1))
        lines.append(f"No suggestion: the smoothed loss never fell before the loss blew up at lr "
                     f"{result.divergence_lr:.3g}. Start lower (e.g. --start-lr {start:g}) or take more --steps.")
    else:
        lines.append(f"No suggestion: the smoothed loss never fell between lr {result.start_lr:g} and "
                     f"{float(result.lrs[-1]):g}. Try a wider range (--start-lr, --end-lr) or more --steps.")
    if result.stability_limit is not None:
        below = ("" if result.suggestion is None else
                 " (the suggestion is below it)" if result.suggestion < result.stability_limit else
                 " (the suggestion is NOT below it)")
        lines.append(f"Stability limit of full-batch gradient descent on this quadratic loss: 2/lambda_max = "
                     f"{result.stability_limit:.3g} (lambda_max = {result.lambda_max:.3g}){below}.")
    taken = f"step {len(result.lrs)} of {result.steps}"
    if result.stop == "diverged":
        lines.append(f"Stopped at lr {result.divergence_lr:.3g} ({taken}): the loss exceeded "
                     f"{DIVERGENCE_FACTOR:g}x its best.")
    elif result.stop == "non-finite":
        lines.append(f"Stopped at lr {result.divergence_lr:.3g} ({taken}): the loss overflowed (not finite).")
    else:
        lines.append(f"The loss stayed below {DIVERGENCE_FACTOR:g}x its best up to lr {result.end_lr:g}; "
                     "raise --end-lr to see where it blows up.")
    lines.append(f"Saved {path}")
    return lines


def train_command(given: dict[str, Any], config: Path | None, suggestion: float | None) -> str | None:
    """`lossfit train` with the options given here (not their defaults) and --lr set to the suggestion."""
    from lossfit.lr_find import round_down

    if suggestion is None:
        return None
    words = ["lossfit", "train"]
    if config is not None:
        words += ["--config", str(config)]
    for key in TRAIN_FLAGS:
        if given.get(key) is not None:
            words += [f"--{key.replace('_', '-')}", str(given[key])]
    for key in ("header", "standardize"):
        if given.get(key) is not None:
            words.append(f"--{key}" if given[key] else f"--no-{key}")
    words += ["--lr", f"{round_down(suggestion):g}"]
    return shlex.join(words)


def check_out(out: Path | None) -> None:
    """Refuse, with one line, an --out that is taken, a folder, in a missing folder or of the wrong kind."""
    if out is None:
        return
    if out.suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError(f"--out {out}: expected a file ending in {', '.join(PLOT_SUFFIXES)}, e.g. lr_find.png.")
    if out.is_dir():
        raise ConfigError(f"--out {out} is a folder; give a file name such as {out / 'lr_find.png'}.")
    if out.exists() or out.is_symlink():
        raise ConfigError(f"--out {out} already exists; lossfit never overwrites a file: choose a new name, "
                          "or leave --out out for a fresh lr_find-N.png.")
    if not out.parent.is_dir():
        raise ConfigError(f"--out {out}: the folder {out.parent} does not exist; create it first.")


def save_fresh(figure: Any, out: Path | None) -> Path:
    """Claim a name nobody has (O_EXCL: never overwrites, even a file created meanwhile), then save over
    the claim atomically; an OSError becomes a one-line WriteError and leaves nothing behind."""
    from lossfit.plots._style import save

    candidates = [out] if out is not None else \
        [Path(f"{DEFAULT_NAME}.png")] + [Path(f"{DEFAULT_NAME}-{i}.png") for i in range(2, MAX_FRESH)]
    for path in candidates:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            if out is not None:
                raise ConfigError(f"--out {out} already exists; lossfit never overwrites a file: choose a new name.") \
                    from None
            continue
        except OSError as err:
            raise WriteError(path, err, "choose another --out" if out is not None else
                             "run it from a folder you can write to, or give --out") from None
        try:
            save(figure, path)
        except BaseException as err:
            with contextlib.suppress(OSError):
                path.unlink()
            if isinstance(err, OSError):
                raise WriteError(path, err) from None
            raise
        return path
    raise ConfigError(f"{DEFAULT_NAME}.png to {DEFAULT_NAME}-{MAX_FRESH - 1}.png are all taken; give --out FILE.")

