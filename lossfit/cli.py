"""The `lossfit` command: parse options, build a RunConfig, call the library, print.

No math lives here. numpy and matplotlib are imported inside the commands, so
`lossfit --help` and `lossfit --version` stay instant.

This module is the one error boundary: a `LossfitError` (a user mistake) or a
usage error becomes one line on stderr and exit code 2, with no traceback.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from lossfit import __version__, completion
from lossfit.commands.options import HELP
from lossfit.errors import ExitCode, LossfitError
from lossfit.stopping import Stop, on_signals

EXIT_CODES_HELP = (
    "Exit codes: 0 finished · 1 internal error (a bug) · 2 user mistake (bad option, name, number, "
    "file or data) or a file that cannot be written · 3 training diverged (history and plots still written) · "
    "130 Ctrl-C, 143 SIGTERM, 129 SIGHUP (training stops at the next batch; history, metrics.json and plots "
    "are written; a second signal skips the plots) · 141 stdout closed early (e.g. `| head`)."
)


# typer raises click's exception classes (a vendored copy in recent typer): find them from
# the public typer.BadParameter rather than importing click, so either layout works.
# Found at run time, so typed Any: mypy cannot know they are exception classes with `ctx`.
_USAGE_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_CLICK_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class StdoutClosed(Exception):
    """The reader of stdout went away (`lossfit losses | head -2`)."""


class StdoutUnwritable(Exception):
    """stdout cannot take the output (`--json > /dev/full`)."""


class GuardedStdout:
    """sys.stdout while a command runs: a failing write says it was stdout that failed."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        with self._guard():
            return int(self._stream.write(self._encodable(text)))

    def _encodable(self, text: str) -> str:
        """`text`, or with ASCII stand-ins for what the stream cannot encode (`PYTHONIOENCODING=ascii`)."""
        encoding = getattr(self._stream, "encoding", None) or "utf-8"
        if text.isascii():
            return text
        try:
            text.encode(encoding)
            return text
        except (UnicodeEncodeError, LookupError):
            from lossfit.display import to_encoding  # imports numpy: only when it is needed

            return to_encoding(text, encoding)

    def flush(self) -> None:
        with self._guard():
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding...: the stream's own
        return getattr(self._stream, name)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except BrokenPipeError:
            raise StdoutClosed() from None
        except OSError as err:
            raise StdoutUnwritable(f"{err.strerror or err} (errno {err.errno})") from None


class OneLineErrors(TyperGroup):
    """Reports usage errors and LossfitErrors as one line on stderr with exit code 2.

    A closed stdout ends the command quietly with 141 (click alone would exit 1, the
    code for a bug); a stdout that cannot be written is one line and exit 2.
    """

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        stdout, sys.stdout = sys.stdout, GuardedStdout(sys.stdout)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False,
                                  windows_expand_args=windows_expand_args, **extra)
            sys.stdout.flush()
        except _USAGE_ERROR as err:
            if type(err).__name__ == "NoArgsIsHelpError" and err.ctx is not None:  # bare `lossfit`
                print(err.ctx.get_help())
                return _done(ExitCode.OK, standalone_mode)
            command = err.ctx.command_path if err.ctx else "lossfit"
            _fail(f"{err.format_message()} (see `{command} --help`)", ExitCode.USAGE, standalone_mode)
        except _CLICK_ERROR as err:
            _fail(err.format_message(), err.exit_code, standalone_mode)
        except typer.Abort:
            _fail("Aborted.", ExitCode.INTERRUPTED, standalone_mode)
        except LossfitError as err:
            _fail(str(err), ExitCode.USAGE, standalone_mode)
        except StdoutClosed:
            _discard_stdout()
            return _done(ExitCode.BROKEN_PIPE, standalone_mode)
        except StdoutUnwritable as err:
            _discard_stdout()
            _fail(f"cannot write the output to stdout: {err}.", ExitCode.USAGE, standalone_mode)
        finally:
            sys.stdout = stdout
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


def one_line(message: str) -> str:
    """`message` with line breaks and other control characters written as escapes (`a\\nb`): a
    value the user gave may hold them, and an error is one line."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in message)


def _done(code: int, standalone_mode: bool) -> int:
    if standalone_mode:
        sys.exit(code)
    return code


def _fail(message: str, code: int, standalone_mode: bool) -> None:
    from lossfit.display import Terminal

    Terminal.create().error(one_line(message))
    if standalone_mode:
        sys.exit(code)
    raise typer.Exit(code)


app = typer.Typer(
    cls=OneLineErrors,
    name="lossfit",
    help="A workbench for learning how loss functions and gradient descent behave.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"lossfit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """A workbench for learning how loss functions and gradient descent behave."""


@app.command(epilog=EXIT_CODES_HELP)
def train(
    loss: Annotated[Optional[str], typer.Option(help=HELP["loss"], autocompletion=completion.complete_loss)] = None,
    dataset: Annotated[Optional[str], typer.Option(help=HELP["dataset"], autocompletion=completion.complete_dataset)] = None,
    model: Annotated[Optional[str], typer.Option(help=HELP["model"], autocompletion=completion.complete_model)] = None,
    optimizer: Annotated[Optional[str], typer.Option(help=HELP["optimizer"], autocompletion=completion.complete_optimizer)] = None,
    lr: Annotated[Optional[float], typer.Option(help=HELP["lr"])] = None,
    epochs: Annotated[Optional[int], typer.Option(help=HELP["epochs"])] = None,
    batch_size: Annotated[Optional[str], typer.Option("--batch-size", help=HELP["batch_size"])] = None,
    seed: Annotated[Optional[int], typer.Option(help=HELP["seed"])] = None,
    val_split: Annotated[Optional[float], typer.Option("--val-split", help=HELP["val_split"])] = None,
    schedule: Annotated[Optional[str], typer.Option(help=HELP["schedule"], autocompletion=completion.complete_schedule)] = None,
    l2: Annotated[Optional[float], typer.Option(help=HELP["l2"])] = None,
    l1: Annotated[Optional[float], typer.Option(help=HELP["l1"])] = None,
    clip_grad: Annotated[Optional[float], typer.Option("--clip-grad", help=HELP["clip_grad"])] = None,
    early_stopping: Annotated[Optional[int], typer.Option("--early-stopping", help=HELP["early_stopping"])] = None,
    min_delta: Annotated[Optional[float], typer.Option("--min-delta", help=HELP["min_delta"])] = None,
    class_weight: Annotated[Optional[str], typer.Option("--class-weight", help=HELP["class_weight"])] = None,
    target: Annotated[Optional[str], typer.Option(help=HELP["target"])] = None,
    features: Annotated[Optional[str], typer.Option(help=HELP["features"])] = None,
    header: Annotated[Optional[bool], typer.Option("--header/--no-header", help=HELP["header"], show_default=False)] = None,
    task: Annotated[Optional[str], typer.Option(help=HELP["task"], autocompletion=completion.complete_task)] = None,
    standardize: Annotated[Optional[bool], typer.Option("--standardize/--no-standardize", help=HELP["standardize"], show_default=False)] = None,
    dtype: Annotated[Optional[str], typer.Option(help=HELP["dtype"], metavar="float64|float32", autocompletion=completion.complete_dtype)] = None,
    out: Annotated[Optional[Path], typer.Option(help=HELP["out"], autocompletion=completion.complete_out)] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help=HELP["config"], autocompletion=completion.complete_config)] = None,
    progress: Annotated[Optional[str], typer.Option(help=HELP["progress"], autocompletion=completion.complete_progress)] = None,
    json_output: Annotated[bool, typer.Option("--json", help=HELP["json_output"])] = False,
    plot: Annotated[Optional[bool], typer.Option("--plot/--no-plot", help=HELP["plot"], show_default=False)] = None,
    animate: Annotated[Optional[Path], typer.Option("--animate", help=HELP["animate"], show_default=False)] = None,
    frames: Annotated[Optional[int], typer.Option("--frames", help=HELP["frames"], show_default=False)] = None,
) -> None:
    """Train a model with a loss and an optimizer; watch the loss; keep a run folder.

    With no options: mean squared error on a noisy line, full-batch gradient descent.
    """
    import json

    from lossfit import api, display, runs
    from lossfit.config import build_config

    terminal = display.Terminal.create()
    options = {
        "loss": loss, "dataset": dataset, "model": model, "optimizer": optimizer, "lr": lr,
        "schedule": schedule, "epochs": epochs, "batch_size": batch_size, "seed": seed, "val_split": val_split,
        "l2": l2, "l1": l1, "clip_grad": clip_grad, "early_stopping": early_stopping, "min_delta": min_delta,
        "class_weight": class_weight, "target": target, "features": features, "header": header, "task": task,
        "standardize": standardize, "dtype": dtype,
        "out": str(out) if out is not None else None, "progress": progress,
        "plot": plot,
    }
    run_config = build_config(config, options)
    from lossfit import animate as animation

    animation.check_options(animate, frames, Path(run_config.out) if run_config.out else None)  # before any work
    # What a custom loss prints goes to stderr: stdout carries only the results (and stays valid --json).
    noted: set[str] = set()
    with warnings_as_notes(terminal, noted), contextlib.redirect_stdout(sys.stderr):
        prepared = api.prepare(run_config)  # warns, e.g., "no gradient given: differentiating numerically"
    if run_config.out:
        out_dir = Path(run_config.out)
        runs.check_out_dir(out_dir)
    else:
        out_dir = runs.default_run_dir(prepared.dataset.name, prepared.loss.name, run_config.optimizer)
    stop = Stop(lambda text: terminal.err.print(text, style="yellow", highlight=False, markup=False))
    folder = runs.RunFolder(out_dir, plot=run_config.plot, stop=stop)
    folder.claim()  # before the live display starts, so a refusal is one clean line
    sinks: list[Any] = []
    shown = display.progress_sink(run_config.progress, terminal)
    if shown is not None:
        sinks.append(shown)
    sinks.append(folder)
    if animate is not None:  # closed after the folder: the GIF comes after metrics.json and the plots
        sinks.append(animation.AnimationSink(animate, frames, stop=stop, folder=folder))

    with on_signals(stop), warnings_as_notes(terminal, noted), contextlib.redirect_stdout(sys.stderr):
        summary = api.run(prepared, sinks, should_stop=stop)
    summary = _with_folder(summary, folder)
    if summary.status == "failed":  # a user error mid-run (a custom loss that raised): the folder says so too
        raise LossfitError(f"{summary.message} (The run folder {out_dir}/ keeps the epochs before it.)")
    for warning in folder.warnings:
        terminal.err.print(f"Warning: {warning}", style="yellow", highlight=False, markup=False)

    if json_output:
        terminal.out.print_json(json.dumps(summary.to_json()), highlight=False) if terminal.out.is_terminal \
            else print(json.dumps(summary.to_json(), indent=2))
    else:
        _print_summary(terminal, prepared, summary)
    if stop.requested:
        raise typer.Exit(stop.exit_code)
    if summary.status == "diverged":
        raise typer.Exit(ExitCode.DIVERGED)


def _with_folder(summary: Any, folder: Any) -> Any:
    from dataclasses import replace

    return replace(summary, out_dir=folder.path, files=tuple(folder.files))


def _print_summary(terminal: Any, prepared: Any, summary: Any) -> None:
    from lossfit.display import METRIC_LABELS, format_number, terminal_width, wrap_line

    if summary.message:
        terminal.err.print(summary.message, style="yellow" if summary.status != "diverged" else "bold red",
                           highlight=False, markup=False)
    for diagnostic in summary.diagnostics:  # what the history says, and what to change
        terminal.err.print(diagnostic["message"], style="yellow", highlight=False, markup=False)
    final = summary.final or {}
    words = {"completed": "Finished", "interrupted": "Interrupted", "terminated": "Terminated",
             "diverged": "Diverged", "early_stopped": "Stopped early"}
    epochs = f"{summary.epochs} epoch{'s' if summary.epochs != 1 else ''}"
    lines = [f"{words.get(summary.status, summary.status)}: {epochs} in {summary.train_seconds:.3f} s."]
    parts = [f"train loss {format_number(final.get('train_loss', float('nan')))}"]
    if final.get("val_loss") is not None:
        parts.append(f"val loss {format_number(final['val_loss'])}")
    if final.get("penalty"):
        parts.append(f"penalty {format_number(final['penalty'])}")
    lines.append("  " + " · ".join(parts))
    scores = [f"{METRIC_LABELS.get(key, key)} {format_number(value)}" for key, value in summary.final_metrics.items()]
    if scores:
        lines.append("  " + " · ".join(scores))
    dropped = getattr(prepared.dataset, "dropped_rows", 0)
    if dropped:
        lines.append(f"  dropped {dropped} rows with missing values before the split")
    fitted = _fitted_line(prepared) if summary.status != "diverged" else None
    if fitted:
        lines.append(f"  fitted line: {fitted}")
    lines.append(f"Run folder: {summary.out_dir}/")
    lines.append(f"  {'  '.join(summary.files)}")
    width = terminal_width(terminal.out)  # on a terminal, lines break between fields, never inside one
    for line in lines:
        body = line.lstrip()
        margin = line[: len(line) - len(body)]
        wrapped = wrap_line(body, width - len(margin) if width else None, sep=" · " if " · " in body else "  ")
        for part in wrapped.splitlines():
            terminal.out.print(margin + part, highlight=False, markup=False)
    if summary.classes is not None:
        from lossfit import report

        table = report.render_class_report(summary.classes["report"])
        table.title = f"per class, {summary.classes['split']} split"
        terminal.out.print(table)


def _fitted_line(prepared: Any) -> str | None:
    """For one-feature linear regression: the line in the data's original units."""
    from lossfit.api import fitted_line

    line = fitted_line(prepared)
    if line is None:
        return None
    slope, intercept = line
    sign = "+" if intercept >= 0 else "-"
    text = f"{slope:.4g}·x {sign} {abs(intercept):.4g}"
    return f"log(rate) = {text}" if prepared.loss.probability_link == "exp" else f"y = {text}"


@contextmanager
def warnings_as_notes(terminal: Any, noted: set[str] | None = None, most: int = 20) -> Iterator[None]:
    """Python warnings raised in the block (NumPy, matplotlib, lossfit's own) become one `Note:` line
    each on stderr, printed when the block ends well: each distinct message once (not again if it is in
    `noted`, the messages earlier blocks printed), at most `most` of them."""
    import warnings

    noted = set() if noted is None else noted
    seen: dict[str, None] = {}

    def keep(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        if len(seen) < most and str(message) not in noted:
            seen[str(message)] = None

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = keep
        yield  # an error in the block drops the notes: its one line says what matters
    noted.update(seen)
    for text in seen:
        terminal.note(f"Note: {text}")


def _register_commands() -> None:
    from importlib import import_module

    from lossfit.commands import MODULES

    for name in MODULES:
        import_module(f"lossfit.commands.{name}").register(app)


_register_commands()


def main() -> None:
    """Console-script entry point; stdout is flushed here so that a failing last write is reported too."""
    try:
        try:
            app()
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
        sys.exit(ExitCode.BROKEN_PIPE)
    except OSError as err:
        if not _stdout_broken():
            raise
        _discard_stdout()
        print(f"Error: cannot write the output to stdout: {err.strerror or err} (errno {err.errno}).",
              file=sys.stderr)
        sys.exit(ExitCode.USAGE)


def _stdout_broken() -> bool:
    try:
        sys.stdout.flush()
    except OSError:
        return True
    return False


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so Python's own flush at exit does not fail again."""
    import os

    try:
        fileno = sys.stdout.fileno()
    except (OSError, ValueError):  # not a real file (a test runner's buffer)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)
