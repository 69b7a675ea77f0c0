"""`lossfit` commands about losses: `losses`, `explain`, `gradcheck`.

numpy and matplotlib are imported inside the command functions only, so
`lossfit --help` stays instant; `lossfit losses` reads the static rows of
`lossfit.catalog` and builds no registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from lossfit.errors import ConfigError, LossfitError, UnknownNameError

if TYPE_CHECKING:
    from lossfit.catalog import LossRow

TASKS = ("regression", "binary", "multiclass")
GRADCHECK_EXIT_HELP = "Exit codes: 0 every gradient matches · 1 a gradient does not match · 2 user mistake."


def register(app: Any) -> None:
    """Add this module's commands to the typer app."""
    app.command("losses")(losses_command)
    app.command("explain")(explain_command)
    app.command("gradcheck", epilog=GRADCHECK_EXIT_HELP)(gradcheck_command)


# ------------------------------------------------------------------- losses
def losses_command(
    task: Annotated[Optional[str], typer.Option(help="Only the losses for this task: regression, binary or multiclass.")] = None,
) -> None:
    """List every loss, by task: name, aliases, targets and key properties."""
    from rich.text import Text

    from lossfit import catalog
    from lossfit.display import Terminal, fit

    if task is not None and task.strip().lower() not in TASKS:
        raise ConfigError(f"Unknown task `{task}` for --task. Expected one of: {', '.join(TASKS)}.")
    chosen = [task.strip().lower()] if task else list(TASKS)
    terminal = Terminal.create()
    sections = [(t, catalog.for_task(t)) for t in chosen]  # static rows: no registry is built
    # Widest first; the first layout that fits the terminal without cutting a name is printed.
    table = fit(terminal.out, [_losses_table(sections, layout) for layout in ("columns", "folded", "narrow")])
    count = sum(len(rows) for _, rows in sections)
    terminal.out.print(table)
    legend = (
        "targets: {0,1}|±1 = labels in {0, 1} or {-1, +1}; index = class index. smooth: C∞ / C1 / kinks. "
        "robust: bounded gradient (one outlier has bounded pull). margin: a function of the margin y·f. "
        "probs: the link that turns scores into probabilities (- = none)."
    )
    terminal.out.print(Text(legend, style="dim"), soft_wrap=False)
    terminal.out.print(
        f"{count} losses. Details: lossfit explain NAME · check a gradient: lossfit gradcheck NAME",
        highlight=False, markup=False,
    )


def _losses_table(sections: list[tuple[str, list[LossRow]]], layout: str) -> Any:
    """The table of `lossfit losses` in one of three layouts, widest first.

    - "columns": name, aliases, targets, convex, smooth, robust, margin, probs.
    - "folded": the aliases go under the name ("aka l2, squared_error").
    - "narrow": aliases folded, and the four property columns become one list of words.
    Names are never wrapped or cut: their column is as wide as the longest.
    The rows come from `lossfit.catalog` (class-level facts, checked against the registry by tests).
    """
    import textwrap

    from rich.table import Table
    from rich.text import Text

    widest = max(len(row.name) for _, rows in sections for row in rows) + 2
    table = Table(header_style="bold", box=None, pad_edge=False, padding=(0, 1), collapse_padding=True,
                  show_edge=False)
    table.add_column("name", style="bold", min_width=widest, no_wrap=True)  # aliases below are pre-wrapped
    if layout == "columns":
        table.add_column("aliases", style="dim")
    table.add_column("targets", no_wrap=layout != "narrow")
    flags = ("convex", "smooth", "robust", "margin")
    if layout == "narrow":
        table.add_column("properties")
    else:
        for flag in flags:
            table.add_column(flag, no_wrap=True)
    table.add_column("probs", no_wrap=True)
    for t, rows in sections:  # one section per task, under a title row
        table.add_row(Text(f"{t} ({len(rows)})", style="bold underline"))
        for i, row in enumerate(rows):
            cell: str | Text = f"  {row.name}"
            if layout != "columns" and row.aliases:
                aka = textwrap.wrap(f"aka {', '.join(row.aliases)}", width=widest - 4, break_long_words=False,
                                    break_on_hyphens=False)
                cell = Text(f"  {row.name}", style="bold")
                cell.append("".join(f"\n    {line}" for line in aka), style="dim not bold")
            if layout == "narrow":
                words = ["convex" if row.convex else "non-convex", row.smooth]
                words += [word for word, flag in (("robust", row.robust), ("margin", row.margin)) if flag]
                properties = [", ".join(words)]
            else:
                properties = [_yes(row.convex), row.smooth, _yes(row.robust), _yes(row.margin)]
            aliases = [", ".join(row.aliases)] if layout == "columns" else []
            table.add_row(cell, *aliases, row.targets, *properties, row.probs, end_section=i == len(rows) - 1)
    return table


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


# ------------------------------------------------------------------ explain
def explain_command(
    name: Annotated[str, typer.Argument(help="A loss (name, alias or spec such as 'huber(delta=0.5)'), "
                                        "a custom loss path/to/file.py:name (loading it runs the file's "
                                        "code), or an optimizer / schedule.")],
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Also save the chart as a PNG, overlaid with "
                                                 "the related losses (e.g. huber beside mse and mae).")] = None,
) -> None:
    """Explain a loss like a textbook page: formula, gradient, hyper-parameters, properties, a chart.

    Also explains optimizers and learning-rate schedules. A custom loss
    path/to/file.py:name is loaded by RUNNING that file's code: only load files you trust.
    """
    import warnings

    from lossfit import losses
    from lossfit.display import Terminal

    terminal = Terminal.create()
    if plot is not None:
        from lossfit.loss_plots import check_png_path

        check_png_path(plot)
    from lossfit.custom_loss import is_custom_spec, looks_like_path
    from lossfit.spec import parse_spec

    text = name.strip()
    if is_custom_spec(text) or looks_like_path(text):
        loss = _load_noting_warnings(text, terminal)
    else:
        bare = parse_spec(text, what="name")[0]
        if bare in losses.registry:
            loss = losses.get(text)
        else:
            kind = _other_kind(bare)
            if kind is None:
                raise _unknown(text)
            if plot is not None:
                raise ConfigError(f"--plot draws loss curves; `{bare}` is {_a(kind)}. Drop --plot.")
            try:
                from lossfit.commands.optimizers import explain_optimizer
            except ImportError:
                raise LossfitError(
                    f"`{bare}` is {_a(kind)}: there is no explanation for optimizers yet."
                ) from None
            explain_optimizer(text, terminal)
            return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy overflow warnings far out on the x-axis
        from lossfit import explain

        terminal.out.print(explain.page(loss, width=terminal.out.width))
        if plot is not None:
            from lossfit import loss_plots

            loss_plots.save_png(loss_plots.family_figure(loss), plot)
    if plot is not None:
        terminal.out.print(f"Chart saved to {plot}", highlight=False, markup=False)


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _other_kind(name: str) -> str | None:
    """'optimizer' or 'schedule' if `name` is in those registries, else None."""
    key = name.strip().lower().replace("-", "_")
    try:
        from lossfit import optimizers

        if key in optimizers.registry:
            return "optimizer"
    except ImportError:  # pragma: no cover - the module is being written
        pass
    try:
        from lossfit import schedules

        if key in schedules.registry:
            return "schedule"
    except ImportError:  # pragma: no cover
        pass
    return None


def _unknown(name: str) -> UnknownNameError:
    import difflib

    from lossfit import losses

    groups: list[tuple[str, list[str], list[str]]] = [
        ("losses", losses.names(), [a for e in losses.registry for a in e.aliases])
    ]
    for module_name, label in (("optimizers", "optimizers"), ("schedules", "schedules")):
        try:
            module = __import__(f"lossfit.{module_name}", fromlist=["registry"])
            registry = module.registry
            groups.append((label, registry.names(), [a for e in registry for a in e.aliases]))
        except (ImportError, AttributeError):  # pragma: no cover
            continue
    key = name.strip().lower().replace("-", "_")
    candidates = [n for _, names, aliases in groups for n in names + aliases]
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    listing = " ".join(f"{label.capitalize()}: {', '.join(names)}." for label, names, _ in groups)
    return UnknownNameError(f"Nothing to explain for `{name}`.{hint} {listing}")


def _load_noting_warnings(spec: str, terminal: Any) -> Any:
    """losses.get(spec), with a custom loss's warnings shown as one dim line on stderr."""
    import warnings

    from lossfit import losses

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = losses.get(spec)
    for warning in caught:
        terminal.note(f"Note: {warning.message}")
    return loss


# ---------------------------------------------------------------- gradcheck
def gradcheck_command(
    loss: Annotated[Optional[str], typer.Argument(
        help="A loss name or spec (e.g. 'huber(delta=0.5)'), or a custom loss path/to/file.py:name "
        "(loading it runs the file's code).", show_default=False, metavar="LOSS")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the random test points.")] = 0,
    samples: Annotated[int, typer.Option(help="How many random samples (rows) to check, 1 to 100.")] = 5,
    check_all: Annotated[bool, typer.Option("--all", help="Check every registered loss; one summary row each.")] = False,
) -> None:
    """Compare a loss's gradient with central differences of its mean value.

    Prints y_pred, the analytic and the numerical gradient and their relative
    error at random points off kinks, then the maximum relative error and PASS
    or FAIL. Exits with 1 when a gradient does not match (0 when all match).
    A custom loss path/to/file.py:name is loaded by RUNNING that file's code:
    only load files you trust.
    """
    from lossfit.display import Terminal

    terminal = Terminal.create()
    if check_all == (loss is not None):
        raise ConfigError(
            "gradcheck: give one LOSS (e.g. `lossfit gradcheck huber`) or --all, not both."
            if check_all else "gradcheck: give a LOSS to check (e.g. `lossfit gradcheck huber`) or --all."
        )
    if not 1 <= samples <= 100:
        raise ConfigError(f"--samples must be between 1 and 100, got {samples}.")
    if seed < 0:
        raise ConfigError(f"--seed must be 0 or more, got {seed}.")
    passed = _check_all(terminal, seed, samples) if check_all else _check_one(terminal, loss or "", seed, samples)
    if not passed:
        raise typer.Exit(1)


def _gradcheck_table(loss: Any, result: Any, digits: int, gap: int) -> Any:
    """One row per checked element: y_true, y_pred, both gradients with `digits` decimals, their error."""
    import numpy as np
    from rich.table import Table

    table = Table(header_style="bold", box=None, pad_edge=False, padding=(0, gap), show_edge=False,
                  collapse_padding=gap == 1)
    multiclass = loss.task == "multiclass"
    for title in (["row", "class"] if multiclass else ["i"]) + ["y_true", "y_pred", "analytic", "numerical", "rel. error"]:
        table.add_column(title, justify="right", no_wrap=True)
    for index in np.ndindex(result.y_pred.shape):
        i = index[0]
        target = result.y_true[index] if np.ndim(result.y_true) == len(index) else result.y_true[i]
        if multiclass and np.ndim(result.y_true) == 1:
            target_text = f"{int(target)}"
        else:
            target_text = f"{float(target):.4g}"
        error = float(result.errors[index])
        table.add_row(
            *([str(i), str(index[1])] if multiclass else [str(i)]), target_text,
            f"{result.y_pred[index]:+.5f}", f"{result.analytic[index]:+.{digits}e}",
            f"{result.numerical[index]:+.{digits}e}", f"{error:.1e}",
            style=None if error <= result.tolerance else "bold red",
        )
    return table


def _check_one(terminal: Any, spec: str, seed: int, samples: int) -> bool:
    from lossfit import gradcheck
    from lossfit.display import fit

    loss = _load_noting_warnings(spec, terminal)
    result = gradcheck.check(loss, seed=seed, samples=samples)
    # Full precision when it fits; on a narrow terminal fewer digits (never numbers cut to `…`).
    layouts = [(digits, gap) for digits in (9, 6, 4, 2) for gap in (2, 1)]
    table = fit(terminal.out, [_gradcheck_table(loss, result, digits, gap) for digits, gap in layouts])
    terminal.out.print(f"gradcheck {result.loss}: {samples} random samples (seed {seed}), "
                       "gradient of the mean loss", highlight=False, markup=False)
    terminal.out.print(table)
    if result.numerical_only:
        terminal.out.print("analytic = lossfit's per-element numerical gradient (the file defines no gradient)",
                           style="dim", highlight=False)
    verdict = "PASS" if result.passed else "FAIL"
    terminal.out.print(
        f"max relative error {result.max_error:.2e} (tolerance {result.tolerance:g}): {verdict}",
        style="bold green" if result.passed else "bold red", highlight=False,
    )
    if not result.passed:
        terminal.out.print("The gradient does not match the value: check the derivative formula "
                           "(d loss_i / d y_pred_i, per element, before the mean).", highlight=False, markup=False)
    return result.passed


def _check_all_table(rows: list[tuple[str, str, Any]], elements: bool) -> Any:
    """loss | task | elements | max rel. error | result, one row per loss (`elements` False: without it)."""
    from rich.table import Table

    table = Table(header_style="bold", box=None, pad_edge=False, padding=(0, 1), collapse_padding=True,
                  show_edge=False)
    table.add_column("loss", no_wrap=True, min_width=max(len(name) for name, _, _ in rows))
    table.add_column("task", no_wrap=True)
    if elements:
        table.add_column("elements", justify="right", no_wrap=True)
    table.add_column("max rel. error", justify="right", no_wrap=True)
    table.add_column("result", no_wrap=True)
    for name, task, result in rows:
        size = [str(result.analytic.size)] if elements else []
        table.add_row(name, task, *size, f"{result.max_error:.1e}", "PASS" if result.passed else "FAIL",
                      style=None if result.passed else "bold red")
    return table


def _check_all(terminal: Any, seed: int, samples: int) -> bool:
    from lossfit import gradcheck, losses
    from lossfit.display import fit

    failed = []
    rows: list[tuple[str, str, Any]] = []
    for name in losses.names():
        loss = losses.get(name)
        result = gradcheck.check(loss, seed=seed, samples=samples)
        if not result.passed:
            failed.append(name)
        rows.append((name, loss.task, result))
    # The element counts are the first thing a narrow terminal does without.
    terminal.out.print(fit(terminal.out, [_check_all_table(rows, elements) for elements in (True, False)]))
    total = len(losses.names())
    summary = (f"all {total} losses PASS (tolerance {gradcheck.TOLERANCE:g})" if not failed
               else f"{len(failed)} of {total} FAIL: {', '.join(failed)}")
    terminal.out.print(summary, style="bold green" if not failed else "bold red", highlight=False)
    return not failed
