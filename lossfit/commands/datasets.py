"""`lossfit datasets`: list every generator and bundled dataset; `lossfit datasets show` previews one.

`datasets` is a group that also runs on its own (``invoke_without_command``):
``lossfit datasets`` prints the table, ``lossfit datasets show NAME`` previews a
generator, a bundled dataset or a file and saves a scatter plot. numpy and
matplotlib are imported inside the functions.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from lossfit.errors import ConfigError

if TYPE_CHECKING:
    from lossfit.catalog import DatasetRow

PREVIEW_ROWS = 5
MAX_COLUMNS = 8  # features shown in the first-rows table
MAX_RANGES = 15  # features listed in the ranges table
PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def register(app: Any) -> None:
    """Add `lossfit datasets` and `lossfit datasets show` to the typer app."""
    sub = typer.Typer(
        name="datasets",
        help="List the dataset generators and bundled real datasets; `show NAME` previews one.",
        invoke_without_command=True,
        add_completion=False,
        rich_markup_mode=None,
    )

    @sub.callback(invoke_without_command=True)
    def datasets(ctx: typer.Context) -> None:
        """List every dataset generator and bundled real dataset (task, size, features, classes).

        Train on one with `lossfit train --dataset NAME`, or on your own file with
        `--dataset path.csv`. `lossfit datasets show NAME` previews one and plots it.
        """
        if ctx.invoked_subcommand is None:
            list_datasets()

    @sub.command("show")
    def show(
        name: Annotated[str, typer.Argument(help="A generator spec ('spirals', 'moons(noise=0.1)'), a bundled dataset ('iris') or a file (.csv, .tsv, .txt, .npz).")],
        seed: Annotated[int, typer.Option(help="Seed of a generated sample.")] = 0,
        plot: Annotated[Optional[Path], typer.Option(help="Where to save the scatter plot (.png, .svg or .pdf). [default: NAME.png in the current folder]")] = None,
        no_plot: Annotated[bool, typer.Option("--no-plot", help="Print the preview only.")] = False,
        target: Annotated[Optional[str], typer.Option(help="Files: the target column, by name or 0-based index. [default: the last column]")] = None,
        features: Annotated[Optional[str], typer.Option(help="Files: the feature columns, comma-separated. [default: every other column]")] = None,
        header: Annotated[Optional[bool], typer.Option("--header/--no-header", help="Files: whether the first row holds column names. [default: detected]")] = None,
        task: Annotated[Optional[str], typer.Option(help="Files: regression, binary or multiclass. [default: inferred from the target]")] = None,
    ) -> None:
        """Preview a dataset: first rows, class balance or target summary, feature ranges; save a scatter plot."""
        show_dataset(name, seed=seed, plot=plot, no_plot=no_plot, target=target, features=features,
                     header=header, task=task)

    app.add_typer(sub, name="datasets")


def list_datasets() -> None:
    """Print two tables on stdout: the generators, then the bundled real datasets.

    Each in the widest layout that fits the terminal: one column per figure with the
    summary beside them, or (narrow) the figures and the summary under each other.
    """
    from lossfit import catalog
    from lossfit.display import Terminal, fits

    out = Terminal.create().out
    groups = [  # static rows (lossfit.catalog, checked against lossfit.data by tests): nothing is loaded
        ("generators (seeded; parameters as in `moons(noise=0.1)`)", catalog.GENERATORS),
        ("bundled real datasets (no parameters; see datasets/ATTRIBUTION.md)", catalog.BUNDLED)]
    # One layout for both tables: the widest that fits them both.
    stacked = not all(fits(out, _datasets_table(*group, stacked=False)) for group in groups)
    for group in groups:
        out.print(_datasets_table(*group, stacked=stacked))
        out.print()
    out.print("`lossfit datasets show NAME` previews and plots one; `lossfit train --dataset path.csv` "
              "trains on your own file.", highlight=False, markup=False)


SUMMARY_MIN_WIDTH = 24  # narrower than this, the summary goes under the figures instead


def _datasets_table(title: str, rows: tuple[DatasetRow, ...], *, stacked: bool) -> Any:
    """name | task | samples | features | classes | summary, or (stacked) name | about."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", title_style="bold", header_style="bold", box=None,
                  pad_edge=False, padding=(0, 1), collapse_padding=True)
    table.add_column("name", no_wrap=True)
    if stacked:
        table.add_column("about")
    else:
        for column in ("task", "samples", "features", "classes"):
            table.add_column(column, justify="left" if column == "task" else "right", no_wrap=True)
        table.add_column("summary", min_width=SUMMARY_MIN_WIDTH)
    for one in rows:
        classes = str(one.classes) if one.task != "regression" else "–"
        if stacked:
            figures = [one.task, f"{one.samples} samples", f"{one.features} feature{'s' if one.features != 1 else ''}"]
            if one.task != "regression":
                figures.append(f"{one.classes} classes")
            about = Text(", ".join(figures) + "\n", style="dim")
            about.append(one.summary, style="")
            table.add_row(one.name, about)
        else:
            table.add_row(one.name, one.task, one.samples, str(one.features), classes, one.summary)
    return table


def _split_features(features: str | None) -> list[str] | None:
    if features is None:
        return None
    names = [f.strip() for f in features.split(",") if f.strip()]
    if not names:
        raise ConfigError("--features is empty; give column names separated by commas, e.g. --features age,income.")
    return names


def _plot_path(plot: Path | None, name: str) -> Path:
    from lossfit.loss_plots import check_plot_folder

    path = plot if plot is not None else Path.cwd() / f"{name}.png"
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError(f"--plot {path}: expected a file ending in {', '.join(PLOT_SUFFIXES)}.")
    check_plot_folder(path, example=f"{name}.png")  # a file, in a folder that exists and can be written
    return path


def _fmt(value: float) -> str:
    """Up to 5 significant digits, without trailing zeros: 39.1, 0.0022, 3750, 1.2346e+07."""
    return f"{float(value):.5g}"


def show_dataset(
    spec: str,
    *,
    seed: int = 0,
    plot: Path | None = None,
    no_plot: bool = False,
    target: str | None = None,
    features: str | None = None,
    header: bool | None = None,
    task: str | None = None,
) -> None:
    """The body of `lossfit datasets show` (everything checked before anything is written)."""
    from rich.table import Table
    from rich.text import Text

    from lossfit import data
    from lossfit.data import preview
    from lossfit.display import Terminal, fits

    if seed < 0:
        raise ConfigError(f"--seed {seed} is out of range; expected a whole number >= 0.")
    src = data.read(spec, seed=seed, target=target, features=_split_features(features), header=header,
                    task=task)  # type: ignore[arg-type]
    t = src.table
    path = None if no_plot else _plot_path(plot, src.name)
    out = Terminal.create().out
    n, d = t.X.shape

    kind = {"generator": "generated", "bundled": "bundled dataset", "file": "file"}[src.source]
    parts = [kind, t.task, f"{n} rows", f"{d} feature{'s' if d != 1 else ''}"]
    if t.task != "regression":
        parts.append(f"{t.n_classes} classes")
    out.print(Text.assemble((src.name, "bold"), "  ", " · ".join(parts)), highlight=False)
    if src.spec != src.name:
        out.print(Text(f"spec: {src.spec}", style="dim"), highlight=False)
    if src.source != "file":
        made = data.generator(src.name)
        out.print(Text(made.summary), highlight=False)
        out.print(Text(made.lesson, style="italic"), highlight=False)
    if t.dropped_rows:
        out.print(Text(f"dropped {t.dropped_rows} row{'s' if t.dropped_rows != 1 else ''} with missing values",
                       style="yellow"), highlight=False)

    shown: list[int] = []  # as many leading features as fit beside the target, at least one
    for j in range(min(d, MAX_COLUMNS)):
        if shown and not fits(out, _rows_table(t, [*shown, j])):
            break
        shown.append(j)
    out.print()
    out.print(_rows_table(t, shown))

    out.print()
    if t.task != "regression":
        out.print(_balance_table(t, preview.class_balance(t), out.width))
    else:
        summary = preview.target_summary(t)
        target_table = Table(title=f"target `{t.target_name}`", title_justify="left", box=None, header_style="bold",
                             pad_edge=False, padding=(0, 1))
        for column in ("mean", "std", "min", "max"):
            target_table.add_column(column, justify="right", no_wrap=True)
        target_table.add_row(*(_fmt(summary[c]) for c in ("mean", "std", "min", "max")))
        out.print(target_table)

    out.print()
    ranges = Table(title="feature ranges", title_justify="left", box=None, header_style="bold", pad_edge=False,
                   padding=(0, 1))
    for column in ("feature", "min", "mean", "max", "std"):
        if column == "feature":  # a name too long for the terminal continues on the next line, never cut
            ranges.add_column(column, overflow="fold")
        else:
            ranges.add_column(column, justify="right", no_wrap=True)
    every = preview.feature_ranges(t)
    for name, low, mean, high, std in every[:MAX_RANGES]:
        ranges.add_row(name, _fmt(low), _fmt(mean), _fmt(high), _fmt(std))
    if len(every) > MAX_RANGES:
        ranges.add_row(f"… {len(every) - MAX_RANGES} more", "", "", "", "")
    out.print(ranges)

    if path is None:
        return
    title = f"{src.name} · {t.task} · {n} rows"
    subtitle = src.spec if src.spec != src.name and src.source != "file" else ""
    figure, axes = preview.scatter_figure(t, title=title, subtitle=subtitle)
    _save(figure, path)
    out.print()
    out.print(Text(f"Saved {path} (scatter of {axes}).", style="green"), highlight=False)


def _rows_table(t: Any, shown: list[int]) -> Any:
    """The first PREVIEW_ROWS rows: the `shown` features, `… k more` for the rest, then the target."""
    from rich.table import Table

    n, d = t.X.shape
    rows = Table(title=f"first {min(PREVIEW_ROWS, n)} rows", title_justify="left", box=None,
                 header_style="bold", pad_edge=False, padding=(0, 1))
    for j in shown:  # a name wider than the terminal folds onto the next line rather than being cut
        rows.add_column(t.feature_names[j], justify="right", overflow="fold")
    if d > len(shown):
        rows.add_column(f"… {d - len(shown)} more", justify="left", no_wrap=True)
    rows.add_column(t.target_name, justify="right", style="bold", overflow="fold")
    for i in range(min(PREVIEW_ROWS, n)):
        cells = [_fmt(t.X[i, j]) for j in shown] + (["…"] if d > len(shown) else [])
        label = t.class_names[int(t.y[i])] if t.task != "regression" else _fmt(float(t.y[i]))
        rows.add_row(*cells, label)
    return rows


BAR_WIDTH = 20  # the longest class-balance bar, narrower when the terminal is


def _balance_table(t: Any, balance: list[tuple[str, int, float]], width: int) -> Any:
    """index | class | count | share | a bar as long as the count (the largest class gets the longest)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="class balance", title_justify="left", box=None, header_style="bold",
                  pad_edge=False, padding=(0, 1))
    for column in ("index", "class", "count", "share", ""):
        right = column in ("index", "count", "share")
        table.add_column(column, justify="right" if right else "left", no_wrap=column != "class",
                         overflow="fold")
    widest = max([len("class"), *(len(name) for name, _, _ in balance)])
    counts = max(len("count"), *(len(str(count)) for _, count, _ in balance))
    fixed = len("index") + widest + counts + len("share") + 8  # four gaps of two spaces
    bar = max(5, min(BAR_WIDTH, width - fixed))
    largest = max(count for _, count, _ in balance) or 1
    for k, (name, count, share) in enumerate(balance):
        table.add_row(str(k), name, str(count), f"{share:.1%}",
                      Text("█" * max(1, round(bar * count / largest)), style="cyan"))
    return table


def _save(figure: Any, path: Path) -> None:
    """Write the scatter plot atomically (`lossfit.plots._style.save`); an OSError is one line, exit 2."""
    from lossfit.loss_plots import write_error
    from lossfit.plots import _style

    try:
        _style.save(figure, path)
    except OSError as err:
        tmp = path.with_name(f".{path.stem}.tmp{path.suffix or '.png'}")  # the name _style.save writes first
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise write_error(path, err) from None
