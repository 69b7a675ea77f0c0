"""`lossfit compare`: race several losses, optimizers or learning rates on the same data, and judge them.

A thin command over `lossfit.compare`: parse the options (several values for the
varying ones), plan every variant (all checks before anything is written), race
them with a live leaderboard, print the verdict. numpy and matplotlib are
imported inside the command only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from lossfit import completion
from lossfit.commands.options import HELP
from lossfit.errors import ConfigError, ExitCode

SEVERAL = " Several values: repeat the option or separate them with commas (commas inside parentheses do not split)."
COMPARE_EXIT_HELP = (
    "Exit codes: 0 at least one variant finished · 1 internal error (a bug) · 2 user mistake (checked for every "
    "variant before anything is written; or every variant failed on its own custom loss) · 3 every variant "
    "diverged · 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP (the current round finishes, every variant keeps its finished "
    "epochs and the summaries are written; a second signal skips the plots) · 141 stdout closed early."
)
MANY = list[str]


def register(app: Any) -> None:
    app.command("compare", epilog=COMPARE_EXIT_HELP)(compare_command)


def _vary(key: str) -> str:
    return HELP[key] + SEVERAL


def compare_command(
    loss: Annotated[Optional[MANY], typer.Option(help=_vary("loss"), metavar="SPEC", autocompletion=completion.complete_losses)] = None,
    dataset: Annotated[Optional[MANY], typer.Option(help=HELP["dataset"] + " The same for every variant.", metavar="SPEC", autocompletion=completion.complete_dataset)] = None,
    model: Annotated[Optional[MANY], typer.Option(help=_vary("model"), metavar="SPEC", autocompletion=completion.complete_models)] = None,
    optimizer: Annotated[Optional[MANY], typer.Option(help=_vary("optimizer"), metavar="SPEC", autocompletion=completion.complete_optimizers)] = None,
    lr: Annotated[Optional[MANY], typer.Option(help=_vary("lr"), metavar="X")] = None,
    epochs: Annotated[Optional[MANY], typer.Option(help=HELP["epochs"], metavar="N")] = None,
    batch_size: Annotated[Optional[MANY], typer.Option("--batch-size", help=_vary("batch_size"), metavar="N|full")] = None,
    seed: Annotated[Optional[MANY], typer.Option(help=HELP["seed"], metavar="N")] = None,
    val_split: Annotated[Optional[MANY], typer.Option("--val-split", help=HELP["val_split"], metavar="F")] = None,
    schedule: Annotated[Optional[MANY], typer.Option(help=_vary("schedule"), metavar="SPEC", autocompletion=completion.complete_schedules)] = None,
    l2: Annotated[Optional[MANY], typer.Option(help=HELP["l2"], metavar="X")] = None,
    l1: Annotated[Optional[MANY], typer.Option(help=HELP["l1"], metavar="X")] = None,
    clip_grad: Annotated[Optional[MANY], typer.Option("--clip-grad", help=HELP["clip_grad"], metavar="X")] = None,
    early_stopping: Annotated[Optional[MANY], typer.Option("--early-stopping", help=HELP["early_stopping"], metavar="N")] = None,
    min_delta: Annotated[Optional[MANY], typer.Option("--min-delta", help=HELP["min_delta"], metavar="X")] = None,
    class_weight: Annotated[Optional[MANY], typer.Option("--class-weight", help=HELP["class_weight"] + " Several: 'none,balanced,(1,5)' (weight lists in parentheses), or repeat the option.", metavar="W")] = None,
    target: Annotated[Optional[MANY], typer.Option(help=HELP["target"], metavar="COLUMN")] = None,
    features: Annotated[Optional[MANY], typer.Option(help=HELP["features"], metavar="A,B,C")] = None,
    header: Annotated[Optional[bool], typer.Option("--header/--no-header", help=HELP["header"], show_default=False)] = None,
    task: Annotated[Optional[MANY], typer.Option(help=HELP["task"], metavar="TASK", autocompletion=completion.complete_task)] = None,
    standardize: Annotated[Optional[bool], typer.Option("--standardize/--no-standardize", help=HELP["standardize"], show_default=False)] = None,
    dtype: Annotated[Optional[MANY], typer.Option(help=_vary("dtype"), metavar="float64|float32", autocompletion=completion.complete_dtype)] = None,
    metric: Annotated[Optional[MANY], typer.Option(help="The metric that ranks the variants, on the validation split: regression mae, rmse, mse, r2 or truth_rmse (distance to the noiseless target of a generated dataset); binary f1, accuracy, precision, recall, roc_auc, log_loss; multiclass accuracy, f1, precision, recall, log_loss. [default: mae, f1 or accuracy]", metavar="NAME", autocompletion=completion.complete_metric)] = None,
    out: Annotated[Optional[MANY], typer.Option(help="Compare folder to create: a run folder per variant, summary.csv, summary.json and the plots. [default: runs/compare-<dataset>-<what varies>-<time>]", metavar="DIR", autocompletion=completion.complete_out)] = None,
    config: Annotated[Optional[list[Path]], typer.Option("--config", help="TOML file with the same keys as these options; a list (loss = [\"mse\", \"mae\"]) gives variants; options given here win.", autocompletion=completion.complete_config)] = None,
    progress: Annotated[Optional[MANY], typer.Option(help="auto (a live leaderboard on a terminal, plain lines otherwise), rich, plain or none. [default: auto]", metavar="MODE", autocompletion=completion.complete_progress)] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print summary.json on stdout.")] = False,
    plot: Annotated[Optional[bool], typer.Option("--plot/--no-plot", help="Draw the PNG plots. [default: plot]", show_default=False)] = None,
    animate: Annotated[Optional[Path], typer.Option("--animate", help=HELP["animate"] + " Every variant at the same epoch in each frame.", show_default=False)] = None,
    frames: Annotated[Optional[int], typer.Option("--frames", help=HELP["frames"], show_default=False)] = None,
) -> None:
    """Race several variants of a run (losses, optimizers, learning rates, ...) on the same data and judge them.

    Every variant gets the same split, standardization, initial weights and batch
    order; the verdict ranks them by one common metric on the validation split.
    Example: lossfit compare --loss mse,mae,huber --dataset outliers
    """
    import contextlib
    import json
    import sys

    from lossfit import comparison as comparing
    from lossfit import display, runs
    from lossfit.cli import warnings_as_notes
    from lossfit.stopping import Stop, on_signals
    from lossfit.leaderboard import board_for
    from lossfit.variants import options_from_cli

    terminal = display.Terminal.create()
    raw = {
        "loss": loss, "dataset": dataset, "model": model, "optimizer": optimizer, "lr": lr, "schedule": schedule,
        "epochs": epochs, "batch_size": batch_size, "seed": seed, "val_split": val_split, "l2": l2, "l1": l1,
        "clip_grad": clip_grad, "early_stopping": early_stopping, "min_delta": min_delta,
        "class_weight": class_weight, "target": target, "features": features, "task": task, "dtype": dtype,
        "out": out, "progress": progress,
    }
    single, lists = options_from_cli(raw)
    for key, value in (("header", header), ("standardize", standardize), ("plot", plot)):
        if value is not None:
            single[key] = value
    if config and len(config) > 1:
        raise ConfigError(f"--config is given {len(config)} times; give one file (options on the command line "
                          "override its values).")
    config_file = config[0] if config else None
    merged, merged_lists, extra = comparing.merge_options(single, lists, config_file)
    from lossfit import animate as animation

    animation.check_options(animate, frames, Path(merged["out"]) if merged.get("out") is not None else None)
    if metric and (len(metric) > 1 or "," in metric[0]):
        raise ConfigError(f"--metric takes one metric, got {', '.join(metric)}: the verdict ranks by one measure.")
    metric_name = metric[0] if metric else extra.get("metric")
    metric_where = "--metric" if metric else f"`metric` in {config_file}"
    # What a custom loss prints goes to stderr: stdout carries only the results (and stays valid --json).
    noted: set[str] = set()
    with warnings_as_notes(terminal, noted), contextlib.redirect_stdout(sys.stderr):
        race = comparing.plan(merged, merged_lists, metric_name, metric_where)  # may warn: numerical gradient
    for note in race.notes:
        terminal.note(f"Note: {note}")
    if merged.get("out") is not None:
        out_dir = Path(merged["out"])
        runs.check_out_dir(out_dir)
        runs.create_run_dir(out_dir)
    else:
        out_dir = comparing.default_compare_dir(race)
    board = board_for(merged.get("progress", "auto"), terminal)
    stop = Stop(lambda text: terminal.err.print(text, style="yellow", highlight=False, markup=False),
                when="this round (every variant stops at the same epoch)")
    with on_signals(stop), warnings_as_notes(terminal, noted), contextlib.redirect_stdout(sys.stderr):
        result = comparing.execute(race, out_dir, board, plot=merged.get("plot", True), stop=stop, animate=animate,
                                   frames=frames)
    for warning in result.warnings:
        terminal.err.print(f"Warning: {warning}", style="yellow", highlight=False, markup=False)
    if json_output:
        text = json.dumps(result.to_json(), indent=2)
        terminal.out.print_json(text, highlight=False) if terminal.out.is_terminal else print(text)
    else:
        print_verdict(terminal, result)
    if stop.requested:
        raise typer.Exit(stop.exit_code)
    if result.status == "diverged":
        raise typer.Exit(ExitCode.DIVERGED)
    if result.status == "failed":  # no variant finished and one failed on a user error (e.g. its custom loss)
        raise typer.Exit(ExitCode.USAGE)


def print_verdict(terminal: Any, result: Any) -> None:
    """The verdict table on stdout (best first), what it is based on, per-variant messages, the folder."""
    from lossfit.comparison import METRIC_NAMES, TASK_METRICS, TRUTH_METRIC, same_value
    from lossfit.display import format_number

    race, verdict = result.race, result.verdict
    for standing in verdict.standings:  # diagnostics first, on stderr: a diverged lr, a loss still falling
        if standing.message:
            style = "bold red" if standing.status in ("diverged", "failed") else "yellow"
            terminal.err.print(f"{standing.label}: {standing.message}", style=style, highlight=False, markup=False)
        for diagnostic in standing.diagnostics:
            terminal.err.print(f"{standing.label}: {diagnostic['message']}", style="yellow", highlight=False,
                               markup=False)
    metric = verdict.metric
    shown = [m for m in TASK_METRICS[race.task] if m not in ("mse", "r2", TRUTH_METRIC)]  # R², MSE: summary files
    others = [m for m in shown if m != metric]
    truth = any(s.truth_rmse is not None for s in verdict.standings) and metric != TRUTH_METRIC
    lines = any(s.slope is not None for s in verdict.standings)
    shares = any(s.quantile not in (None, 0.5) for s in verdict.standings)
    columns: list[tuple[str, Any]] = [(METRIC_NAMES[metric], lambda s: s.score(metric))]
    if truth:
        columns.append(("to truth", lambda s: s.truth_rmse))
    if lines:
        columns.append(("slope", lambda s: s.slope))
        columns.append(("intercept", lambda s: s.intercept))
    if shares:
        columns.append(("below", lambda s: s.share_below))
    label_width = min(32, max(len(s.label) for s in verdict.standings))
    room = terminal.out.width - (label_width + 38)  # rank, variant, epochs, time, status and the gaps
    room -= sum(max(len(name), 7) + 1 for name, _ in columns)
    for m in others:  # the other metrics while they fit (all of them are in summary.csv)
        if room < max(len(METRIC_NAMES[m]), 7) + 1:
            break
        columns.insert(len(columns) - (truth + 2 * lines + shares), (METRIC_NAMES[m], lambda s, m=m: s.metrics.get(m)))
        room -= max(len(METRIC_NAMES[m]), 7) + 1
    terminal.out.print(f"Verdict · {race.title}", style="bold", highlight=False, markup=False)
    terminal.out.print(_table(verdict, columns, format_number, true_line=lines))
    out = [verdict.basis]
    if verdict.truth and truth:
        out.append(verdict.truth)
    if shares:
        out.append("below: the share of training targets under each line; a tau-quantile line should have tau.")
    ranked = [s for s in verdict.ranked if s.rank == 1]
    if ranked:
        out.append(f"Best by {METRIC_NAMES[metric]}: {', '.join(s.label for s in ranked)}.")
        closest = _closest_to_truth(verdict)
        best_truth = min((s.truth_rmse for s in ranked if s.truth_rmse is not None), default=None)
        if truth and closest is not None and best_truth is not None and \
                not same_value(closest.truth_rmse, best_truth) and closest.label not in {s.label for s in ranked}:
            out.append(f"Closest to the truth: {closest.label}.")
    for line in out:
        terminal.out.print(line, highlight=False, markup=False, soft_wrap=False)  # prose: wrap at spaces
    files = "  ".join(result.files)
    if len(files) + 2 > terminal.out.width:  # many variants: count their run folders instead of listing them
        folders = sum(name.endswith("/") for name in result.files)
        files = "  ".join([f"{folders} run folders", *(n for n in result.files if not n.endswith("/"))])
    for line in (f"Compare folder: {result.out_dir}/", f"  {files}"):
        terminal.out.print(line, highlight=False, markup=False)


def _closest_to_truth(verdict: Any) -> Any:
    scored = [s for s in verdict.standings if s.truth_rmse is not None and s.status != "diverged"]
    return min(scored, key=lambda s: s.truth_rmse) if scored else None


def _table(verdict: Any, columns: list[tuple[str, Any]], format_number: Any, true_line: bool) -> Any:
    """Best first; the first metric column is the one that ranks. A last row gives the true line when known."""
    from rich.table import Table
    from rich.text import Text

    from lossfit.leaderboard import STATUS_STYLES, STATUS_WORDS

    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    table.add_column("#", justify="right")
    table.add_column("variant", overflow="fold", min_width=10)
    for index, (name, _) in enumerate(columns):
        table.add_column(name, justify="right", no_wrap=True, style="bold" if index == 0 else "")
    table.add_column("epochs", justify="right")
    table.add_column("time", justify="right")
    table.add_column("status", no_wrap=True)
    for s in verdict.ranked:
        values = ["–" if (value := get(s)) is None else format_number(value) for _, get in columns]
        status = Text(STATUS_WORDS.get(s.status, s.status), style=STATUS_STYLES.get(s.status, ""))
        table.add_row(str(s.rank) if s.rank is not None else "–", s.label, *values, str(s.epochs),
                      f"{s.seconds:.2f}s", status, style="bold" if s.rank == 1 else "")
    truths = {(s.true_slope, s.true_intercept) for s in verdict.standings if s.true_slope is not None}
    if true_line and len(truths) == 1:
        slope, intercept = truths.pop()
        names = [name for name, _ in columns]
        row = ["" for _ in columns]
        row[names.index("slope")], row[names.index("intercept")] = format_number(slope), format_number(intercept)
        table.add_row("", "true line", *row, "", "", "", style="dim")
    return table

