"""`lossfit export` and `lossfit rerun`: what a saved run folder can become, and whether it reproduces.

`export RUN_DIR --to config|numpy|torch` writes the run in another form: its
config.toml as it is, a NumPy script (`export_numpy`, see EXPORTERS) or a PyTorch
script (`lossfit.export.export_torch`; torch is needed to run it, never by lossfit). `rerun RUN_DIR`
trains again from the folder's config.toml, exactly as `lossfit train --config
RUN_DIR/config.toml` does, into a new folder, and compares the two history.csv
files (`lossfit.rerun`). Everything is checked before anything is written.
numpy and matplotlib are imported inside the commands only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, cast

import typer

from lossfit import completion
from lossfit.commands.options import HELP
from lossfit.errors import ConfigError, DataError, ExitCode, LossfitError

TARGETS: tuple[tuple[str, str], ...] = (
    ("numpy", "a Python script that needs only NumPy, with the weights in an .npz beside it"),
    ("torch", "a PyTorch script (torch.nn, torch.optim), with the weights in an .npz beside it"),
    ("config", "the run's config.toml, as `lossfit train --config` reads it"),
)
RUN_DIR_HELP = "A run folder written by `lossfit train` (it holds config.toml and history.csv)."
EXPORT_EXIT_HELP = (
    "Exit codes: 0 written · 1 internal error (a bug) · 2 user mistake (not a run folder, an invalid config.toml, "
    "an unknown --to, an --out that exists, a run the target cannot express; nothing is written) · "
    "141 stdout closed early."
)
RERUN_EXIT_HELP = (
    "Exit codes: 0 the history came out identical (also when the run diverged again, as the saved one did) · "
    "1 internal error (a bug) · 2 user mistake (not a run folder, an invalid config.toml, an --out that exists; "
    "nothing is written) · 4 the history differs (the new run folder is kept) · 130 Ctrl-C, 143 SIGTERM, "
    "129 SIGHUP (the new folder keeps what was trained; nothing is compared) · 141 stdout closed early."
)


def register(app: Any) -> None:
    """Add `export` and `rerun` to the typer app."""
    app.command("export", epilog=EXPORT_EXIT_HELP)(export_command)
    app.command("rerun", epilog=RERUN_EXIT_HELP)(rerun_command)


def complete_target(incomplete: str) -> list[tuple[str, str]]:
    """`export --to`: numpy, torch, config."""
    return [(name, text) for name, text in TARGETS if name.startswith(incomplete)]


def export_command(
    run_dir: Annotated[Path, typer.Argument(help=RUN_DIR_HELP, metavar="RUN_DIR", show_default=False)],
    to: Annotated[str, typer.Option(
        "--to", help="What to write: numpy (a Python script that needs only NumPy and reproduces the run, with its "
        "data and starting weights in an .npz beside it), torch (the same with torch.nn, torch.optim and "
        "torch.optim.lr_scheduler; running it needs PyTorch) or config (the run's config.toml).",
        metavar="numpy|torch|config",
        show_default=False, autocompletion=complete_target)],
    out: Annotated[Optional[Path], typer.Option(
        help="The file to write; never overwritten. [default: numpy: <run folder name>.py in the current folder; "
        "torch: <run folder name>_torch.py; config: standard output]", metavar="FILE", show_default=False,
        autocompletion=completion.complete_out)] = None,
) -> None:
    """Write a saved run in another form: a NumPy script, a PyTorch script, or its config.

    Example: lossfit export runs/my-run --to torch --out fit_torch.py
    """
    target = _target(to)
    from lossfit.rerun import check_config, check_run_dir

    config_path = check_run_dir(run_dir)
    check_config(config_path)  # an edited config.toml that `lossfit train --config` would refuse
    if target == "config":
        _export_config(config_path, out)
    else:
        _export_script(run_dir, out, target)


def _target(to: str) -> str:
    name = to.strip().lower()
    valid = [name for name, _ in TARGETS]
    if name not in valid:
        raise ConfigError(f"--to `{to}` is not an export target; expected one of: {', '.join(valid)}.")
    return name


def _export_config(config_path: Path, out: Path | None) -> None:
    import sys

    from lossfit.display import Terminal
    from lossfit.runs import write_atomic

    try:
        text = config_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"Cannot read {config_path}: {getattr(err, 'strerror', None) or err}.") from None
    if out is None:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        return
    write_atomic(check_file_out(out), text)
    Terminal.create().out.print(f"Wrote {out} (the config of {config_path.parent}).", highlight=False, markup=False)


def _export_script(run_dir: Path, out: Path | None, target: str) -> None:
    """--to numpy or --to torch: the script and its .npz, through the target's exporter."""
    import contextlib
    import sys

    from lossfit.cli import warnings_as_notes
    from lossfit.display import Terminal

    suffix = "_torch" if target == "torch" else ""
    script = out if out is not None else Path(f"{run_dir.resolve().name}{suffix}.py")
    check_file_out(script, given=out is not None, suffix=".py")
    beside = script.with_suffix(".npz")
    if beside.exists():
        raise ConfigError(f"{beside} already exists (the weights go beside the script); lossfit never "
                          "overwrites a file: choose another --out.")
    exporter = torch_exporter() if target == "torch" else numpy_exporter()
    terminal = Terminal.create()
    with warnings_as_notes(terminal), contextlib.redirect_stdout(sys.stderr):  # what a custom loss prints
        written = exporter(run_dir, script)
    names = [str(path) for path in written]
    terminal.out.print(f"Wrote {' and '.join(names)}. Run it with: python {script}", highlight=False, markup=False)


EXPORTERS = ("lossfit.export_numpy", "lossfit.export")
"""Where `export_numpy(run_dir: Path, script: Path) -> list[Path]` may live (issue 13 names the first; the
`lossfit/export/` package of DESIGN.md holds it too); the first one found is used."""


def numpy_exporter() -> Callable[[Path, Path], list[Path]]:
    """The library function behind `--to numpy`; a one-line ConfigError when this lossfit has none."""
    from importlib import import_module

    for name in EXPORTERS:
        try:
            module = import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:  # the module exists but something it imports does not: a bug, with its traceback
                raise
            continue
        function = getattr(module, "export_numpy", None)
        if callable(function):
            return cast(Callable[[Path, Path], list[Path]], function)
    raise ConfigError("export --to numpy is not available in this lossfit (no lossfit.export_numpy); "
                      "use --to config.")


def torch_exporter() -> Callable[[Path, Path], list[Path]]:
    """The library function behind `--to torch` (it writes text: lossfit never imports torch)."""
    from lossfit.export import export_torch

    return export_torch


def check_file_out(path: Path, given: bool = True, suffix: str | None = None) -> Path:
    """`path` when a new file can be written there; a one-line ConfigError when it is taken or cannot be."""
    option = f"--out {path}" if given else f"The default output {path}"
    fix = "choose a new name" if given else "pass --out FILE with a new name"
    if suffix is not None and path.suffix.lower() != suffix:
        raise ConfigError(f"{option}: expected a file name ending in {suffix}.")
    if path.is_dir():
        raise ConfigError(f"{option} is a folder; give a file name such as {path / ('export' + (suffix or ''))}.")
    if path.exists() or path.is_symlink():
        raise ConfigError(f"{option} already exists; lossfit never overwrites a file: {fix}.")
    if not path.parent.is_dir():
        raise ConfigError(f"{option}: the folder {path.parent} does not exist; create it first.")
    return path


def rerun_command(
    run_dir: Annotated[Path, typer.Argument(help=RUN_DIR_HELP, metavar="RUN_DIR", show_default=False)],
    out: Annotated[Optional[Path], typer.Option(
        help="Run folder to create for the new run; never overwritten. "
        "[default: runs/<dataset>-<loss>-<optimizer>-<time>]", metavar="DIR", show_default=False,
        autocompletion=completion.complete_out)] = None,
    progress: Annotated[Optional[str], typer.Option(
        help=HELP["progress"], show_default=False, autocompletion=completion.complete_progress)] = None,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print the new run's summary (metrics.json) as JSON on stdout, with a `rerun` entry: "
        "identical or not, epochs compared, the first difference.")] = False,
    plot: Annotated[Optional[bool], typer.Option("--plot/--no-plot", help=HELP["plot"], show_default=False)] = None,
) -> None:
    """Train a saved run again from its config.toml and check that its history comes out identical.

    The same as `lossfit train --config RUN_DIR/config.toml`, into a new run
    folder; then every history.csv column but `seconds` is compared, epoch by
    epoch, and the first difference is shown with both values.

    Example: lossfit rerun runs/my-run --progress plain
    """
    import contextlib
    import io
    import json

    from lossfit import cli, runs
    from lossfit.config import build_config
    from lossfit.display import Terminal
    from lossfit.rerun import HISTORY, check_config, check_run_dir, compare_histories, count_epochs, saved_status

    terminal = Terminal.create()
    config_path = check_run_dir(run_dir)
    build_config(None, {"progress": progress, "out": str(out) if out is not None else None})  # the options
    config = check_config(config_path)
    made: list[Path] = []
    if out is not None:
        runs.check_out_dir(out)
        new_dir = out
    else:  # train's default folder, created now (empty) so that its name is known; removed if the run never starts
        made = [] if Path("runs").exists() else [Path("runs")]
        new_dir = runs.default_run_dir(config.dataset or "", config.loss or "", config.optimizer)
        made.insert(0, new_dir)
    if (progress or config.progress) != "none":
        terminal.note(f"Rerun of {run_dir} (its config.toml) into {new_dir}")
    try:
        with contextlib.redirect_stdout(io.StringIO()) if json_output else contextlib.nullcontext():
            cli.train(config=config_path, out=new_dir, progress=progress, plot=plot)
    except typer.Exit as stop:
        if stop.exit_code != ExitCode.DIVERGED:  # interrupted: a partial history says nothing about reproducibility
            terminal.note("Not compared: the rerun did not finish.")
            raise
    except (ConfigError, DataError) as err:
        started = (new_dir / HISTORY).exists()
        if started or str(err).startswith(str(config_path)):
            raise
        raise LossfitError(f"{config_path}: {err}") from None  # refused before it started: the config's fault
    finally:
        for path in made:  # only while empty: a run that started keeps its folder
            with contextlib.suppress(OSError):
                path.rmdir()

    saved, new = run_dir / HISTORY, new_dir / HISTORY
    difference = compare_histories(saved, new)
    epochs = count_epochs(new)
    if difference is None:
        verdict = (f"identical: {epochs} epoch{'s' if epochs != 1 else ''}, every column equal "
                   f"(seconds aside) in {saved} and {new}.")
    else:
        verdict = f"different: {difference.describe()} ({saved} vs {new})."
        status = saved_status(run_dir)
        if difference.kind == "length" and status in ("interrupted", "terminated", "failed"):
            verdict += f" The saved run was {status}: its history stops early."
    if json_output:
        summary = json.loads((new_dir / "metrics.json").read_text(encoding="utf-8"))
        summary["rerun"] = {
            "of": str(run_dir), "identical": difference is None, "epochs": epochs,
            "difference": None if difference is None else {
                "kind": difference.kind, "epoch": difference.epoch, "column": difference.column,
                "saved": difference.saved, "new": difference.new, "message": difference.describe()},
        }
        text = json.dumps(summary, indent=2)
        terminal.out.print_json(text, highlight=False) if terminal.out.is_terminal else print(text)
    else:
        terminal.out.print(verdict, highlight=False, markup=False)
    if difference is not None:  # identical: 0, even for a run that diverged again exactly as the saved one did
        raise typer.Exit(ExitCode.DIFFERENT)
