"""`lossfit explain LOSS`: a loss's textbook page, rendered for the terminal.

- `shape_curves(loss)`: the loss and its derivative along one honest axis:
  the residual r = y_pred - y (regression losses that depend on r only), the
  prediction with a fixed target (poisson, or any loss that is not a function of
  r), the margin m = y_pm * f (binary), or the true-class margin
  z_t - max_{j != t} z_j with 3 classes and the other logits at 0 (multiclass).
  Losses that treat y = 1 and y = 0 differently (focal's alpha, bce's pos_weight)
  get one curve per label.
- `terminal_chart(...)`: those curves drawn with braille dots in rich `Text`
  (no extra dependency), with labelled axes.
- `page(loss)`: the whole page as rich renderables (formula, gradient,
  hyper-parameters, properties, Bayes-optimal predictor, link, when to use,
  pitfalls, the docstring's Notes block, the chart).

`lossfit.loss_plots` draws the same curves with matplotlib.
"""

from __future__ import annotations

import inspect
import math
import re
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from lossfit._typing import Array
from lossfit.errors import LossfitError

POINTS = 601  # samples along the x-axis (odd: x = 0 is one of them)
CHART_WIDTH = 60  # characters of plotting area (braille: 2 dots per character)
CHART_HEIGHT = 9  # lines per panel (braille: 4 dots per line)
POISSON_TARGET = 2.0  # the fixed target for losses plotted against the prediction
SOFT_TARGET = (0.8, 0.1, 0.1)  # the fixed target row for losses that need a distribution (kl_div)
SERIES_STYLES = ("bold cyan", "magenta", "green", "yellow")
SECOND_MARK = "•"  # later series are drawn with this mark where the first has no dots


@dataclass(frozen=True)
class Curve:
    """One loss along the chart's x-axis: values and the derivative d L / d x."""

    label: str
    x: Array
    loss: Array
    derivative: Array


@dataclass(frozen=True)
class Axis:
    """The x-axis every curve of a chart shares."""

    kind: str  # "residual" | "prediction" | "margin" | "class_margin"
    label: str  # e.g. "residual r = y_pred - y"
    symbol: str  # r, y_pred, m
    note: str  # how the other inputs are fixed
    x: Array


# ------------------------------------------------------------------ curves
def _span(loss: Any) -> float:
    """Half-width of the x range: 3, or 3x a width parameter (delta, beta, epsilon) when larger."""
    widths = [float(getattr(loss, key)) for key in ("delta", "beta", "epsilon", "margin")
              if isinstance(getattr(loss, key, None), (int, float)) and not isinstance(getattr(loss, key), bool)]
    return max([3.0] + [3.0 * w for w in widths if math.isfinite(w)])


def _pointwise(loss: Any, y_pred: Array, y_true: Any) -> tuple[Array, Array]:
    with np.errstate(all="ignore"):
        values, derivative = loss.pointwise(np.array(y_pred, dtype=np.float64), y_true)
    return np.asarray(values, dtype=np.float64), np.asarray(derivative, dtype=np.float64)


def axis_for(loss: Any) -> Axis:
    """The honest x-axis for a loss (see the module docstring)."""
    if loss.task == "regression":
        if _depends_on_residual_only(loss):
            s = _span(loss)
            return Axis("residual", "residual r = y_pred - y", "r", "any target y", np.linspace(-s, s, POINTS))
        target = POISSON_TARGET
        log_rate = loss.probability_link == "exp"
        note = f"target y = {target:g}"
        what = "prediction y_pred = log-rate" if log_rate else "prediction y_pred"
        x = np.linspace(-2.0, 3.0, POINTS) if log_rate else np.linspace(target - 3.0, target + 3.0, POINTS)
        return Axis("prediction", f"{what}, {note}", "y_pred", note, x)
    if loss.task == "binary":
        return Axis("margin", "margin m = y_pm * f  (f raw score, y_pm = +1 if y = 1, -1 if y = 0)", "m",
                    "f is the raw score", np.linspace(-3.0, 3.0, POINTS))
    soft = _needs_soft_target(loss)
    note = "3 classes, other logits 0" + (f", q = {SOFT_TARGET}" if soft else "")
    return Axis("class_margin", f"true-class margin m = z_t - max_(j != t) z_j  ({note})", "m", note,
                np.linspace(-3.0, 3.0, POINTS))


def _depends_on_residual_only(loss: Any) -> bool:
    r = np.linspace(-2.5, 2.5, 11)
    try:
        base = _pointwise(loss, r, loss.prepare_targets(np.zeros_like(r)))[0]
        shifted = _pointwise(loss, r + 1.7, loss.prepare_targets(np.full_like(r, 1.7)))[0]
    except LossfitError:
        return False
    return bool(np.allclose(base, shifted, rtol=1e-9, atol=1e-12))


def _needs_soft_target(loss: Any) -> bool:
    try:
        loss.prepare_targets(np.zeros(1, dtype=np.intp), n_classes=3)
        return False
    except LossfitError:
        return True


def curves(loss: Any, axis: Axis, label: str | None = None, both_labels: bool = True) -> list[Curve]:
    """The loss and d L / d x along `axis` (two curves for a binary loss that is not symmetric)."""
    x = axis.x
    name = label or display_spec(loss)
    if axis.kind == "residual":
        values, d = _pointwise(loss, x, loss.prepare_targets(np.zeros_like(x)))
        return [Curve(name, x, values, d)]
    if axis.kind == "prediction":
        values, d = _pointwise(loss, x, loss.prepare_targets(np.full_like(x, POISSON_TARGET)))
        return [Curve(name, x, values, d)]
    if axis.kind == "margin":
        pos, dpos = _pointwise(loss, x, loss.prepare_targets(np.ones_like(x)))
        neg, dneg = _pointwise(loss, -x, loss.prepare_targets(np.zeros_like(x)))
        dneg = -dneg  # f = -m for y = 0, so dL/dm = -dL/df
        if np.allclose(pos, neg, rtol=1e-9, atol=1e-12, equal_nan=True) or not both_labels:
            return [Curve(name, x, pos, dpos)]
        return [Curve(f"{name}, y = 1", x, pos, dpos), Curve(f"{name}, y = 0", x, neg, dneg)]
    logits = np.zeros((x.size, 3))
    logits[:, 0] = x
    if _needs_soft_target(loss):
        target = loss.prepare_targets(np.tile(SOFT_TARGET, (x.size, 1)), n_classes=3)
        if "q =" not in axis.label:
            name += f" (target q = {SOFT_TARGET})"
    else:
        target = loss.prepare_targets(np.zeros(x.size, dtype=np.intp), n_classes=3)
    values, d = _pointwise(loss, logits, target)
    return [Curve(name, x, values, d[:, 0])]  # the other logits stay at 0: dL/dm = dL/dz_t


def related_losses(loss: Any) -> list[Any]:
    """The loss's `related` losses that share its task (built with their defaults)."""
    from lossfit import losses

    found = []
    for name in getattr(loss, "related", ()):
        if name in losses.registry:
            other = losses.get(name)
            if other.task == loss.task and other.name != loss.name:
                found.append(other)
    return found


def _spec(loss: Any) -> str:
    from lossfit import losses

    if type(loss).__module__ == "lossfit.custom_loss":
        return str(loss.spec)  # as the user typed it (spec_of gives the absolute path, for config files)
    return losses.spec_of(loss)


def display_spec(loss: Any) -> str:
    """The loss's spec, or just its name when every hyper-parameter has its default."""
    from lossfit import losses

    spec = _spec(loss)
    if type(loss).__module__ != "lossfit.custom_loss" and loss.name in losses.registry:
        if losses.get(loss.name) == loss:
            return str(loss.name)
    return spec


# ------------------------------------------------------------ terminal chart
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row within cell][column within cell]


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.1e}"
    return f"{value:.3g}"


def terminal_chart(title: str, xs: Array, series: list[tuple[str, Array]], *, width: int = CHART_WIDTH,
                   height: int = CHART_HEIGHT, x_label: str = "") -> Text:
    """Curves drawn with braille dots: y labels on the left, x labels and name below.

    The first series is drawn with braille dots (2 x 4 per character); later
    series with `SECOND_MARK` where the first left the cell empty, so the chart
    stays readable without colour.
    """
    finite = np.concatenate([y[np.isfinite(y)] for _, y in series]) if series else np.zeros(1)
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if high - low < 1e-12:
        low, high = low - 1.0, high + 1.0
    if 0 < low < 0.25 * (high - low):  # show 0 when it is nearly in range
        low = 0.0
    elif 0 < -high < 0.25 * (high - low):
        high = 0.0
    px_w, px_h = 2 * width, 4 * height
    x0, x1 = float(xs[0]), float(xs[-1])

    def col(x: float) -> int:
        return min(px_w - 1, max(0, int(round((x - x0) / (x1 - x0) * (px_w - 1)))))

    def row(y: float) -> int:  # 0 at the top
        return min(px_h - 1, max(0, int(round((high - y) / (high - low) * (px_h - 1)))))

    cells = [[0] * width for _ in range(height)]
    marks: list[list[int | None]] = [[None] * width for _ in range(height)]
    for index, (_, ys) in enumerate(series):
        pixels = set()
        previous = None
        columns = np.linspace(x0, x1, px_w)
        values = np.interp(columns, xs, ys)
        for c, y in enumerate(values):
            if not math.isfinite(y):
                previous = None
                continue
            r = row(y)
            if previous is not None and abs(r - previous) > 1:  # a steep stretch: a vertical run
                for rr in range(min(r, previous), max(r, previous) + 1):
                    pixels.add((rr, c))
            pixels.add((r, c))
            previous = r
        for r, c in pixels:
            if index == 0:
                cells[r // 4][c // 2] |= _DOTS[r % 4][c % 2]
            elif marks[r // 4][c // 2] is None:
                marks[r // 4][c // 2] = index
    zero_row = row(0.0) // 4 if low <= 0 <= high else None
    zero_col = col(0.0) // 2 if x0 <= 0 <= x1 else None

    labels = {0: _fmt(high), height - 1: _fmt(low)}
    if zero_row is not None and zero_row not in labels:
        labels[zero_row] = "0"
    label_width = max(len(v) for v in labels.values())
    text = Text()
    text.append(f"{title}\n", style="bold")
    for r in range(height):
        text.append(f"{labels.get(r, ''):>{label_width}} ┤" if r in labels else " " * label_width + " │", style="dim")
        for c in range(width):
            if cells[r][c]:
                text.append(chr(0x2800 + cells[r][c]), style=SERIES_STYLES[0])
            elif marks[r][c] is not None:
                text.append(SECOND_MARK, style=SERIES_STYLES[int(marks[r][c] or 0) % len(SERIES_STYLES)])
            elif r == zero_row:
                text.append("┼" if c == zero_col else "─", style="dim")
            elif c == zero_col:
                text.append("│", style="dim")
            else:
                text.append(" ")
        text.append("\n")
    text.append(" " * label_width + " └" + "─" * width + "\n", style="dim")
    left, right = _fmt(x0), _fmt(x1)
    ticks = [" "] * (width + 2)
    for pos, label in ((0, left), (width + 2 - len(right), right)):
        ticks[pos : pos + len(label)] = list(label)
    if zero_col is not None:
        start = zero_col + 2 - 0
        if start > len(left) + 1 and start + 1 < width + 2 - len(right):
            ticks[start] = "0"
    text.append(" " * label_width + "".join(ticks) + "\n", style="dim")
    if x_label:
        text.append(" " * (label_width + 2) + x_label + "\n", style="dim")
    text.rstrip()
    return text


def chart(loss: Any, width: int = CHART_WIDTH) -> Group:
    """The loss and its derivative, stacked, with a legend when there are two curves; `width` plot columns."""
    axis = axis_for(loss)
    found = curves(loss, axis)
    parts: list[RenderableType] = []
    if len(found) > 1:
        legend = Text("curves: ")
        legend.append("⣿ ", style=SERIES_STYLES[0])
        legend.append(found[0].label)
        legend.append(f"   {SECOND_MARK} ", style=SERIES_STYLES[1])
        legend.append(found[1].label)
        parts.append(legend)
    symbol = axis.symbol
    parts.append(terminal_chart(f"loss L({symbol})", axis.x, [(c.label, c.loss) for c in found], width=width))
    parts.append(Text(""))
    parts.append(terminal_chart(f"derivative dL/d{symbol}", axis.x, [(c.label, c.derivative) for c in found],
                                width=width, x_label=axis.label))
    return Group(*parts)


# ------------------------------------------------------------------ the page
def docstring_section(cls: type, section: str) -> str:
    """A numpydoc section of a class docstring (e.g. "Notes"), dedented; "" if absent."""
    doc = inspect.getdoc(cls) or ""
    match = re.search(rf"^{section}\n-+\n(.*?)(?=^\S[^\n]*\n-+\n|\Z)", doc, flags=re.S | re.M)
    if not match:
        return ""
    body = match.group(1)
    body = re.sub(r"^::\s*\n", "", body.strip("\n") + "\n")
    return textwrap.dedent(body).strip("\n")


def parameter_docs(cls: type) -> dict[str, str]:
    """{name: description} from the numpydoc Parameters section."""
    docs: dict[str, str] = {}
    current = None
    for line in docstring_section(cls, "Parameters").splitlines():
        if line and not line.startswith(" "):
            current = line.split(":")[0].strip()
            docs[current] = ""
        elif current and line.strip():
            docs[current] = (docs[current] + " " + line.strip()).strip()
    return docs


_LINKS = {
    "sigmoid": "sigmoid(f) = P(y = 1 | x): calibrated probabilities",
    "softmax": "softmax(z)_k = P(y = k | x): calibrated probabilities",
    "exp": "exp(y_pred) = the predicted rate (mean count)",
}


def describe_link(loss: Any) -> str:
    link = loss.probability_link
    if link in (None, "none"):
        return ("none: y_pred is the prediction itself, in the target's units" if loss.task == "regression"
                else "none: scores only, no probabilities (classify by the sign / the largest score)")
    text = _LINKS.get(link, f"{link} = P(y = 1 | x)" if loss.task == "binary" else link)
    if loss.name == "focal":
        text = "sigmoid(f) gives probabilities, but not calibrated ones (focal pushes them toward 1/2)"
    return text


def properties(loss: Any) -> str:
    custom = type(loss).__module__ == "lossfit.custom_loss"
    if custom:
        return "unknown: lossfit cannot tell convexity or robustness of user code (gradcheck tests the gradient)"
    parts = ["convex" if loss.convex else "NOT convex", f"smoothness: {loss.smooth}"]
    parts.append("robust: bounded gradient, one outlier has bounded influence" if loss.robust
                 else "not robust: the gradient grows with the error")
    if loss.margin_based:
        parts.append("margin-based")
    return " · ".join(parts)


HYPER_DOC_MIN = 30  # narrower than this, a parameter's description goes under its value


def hyper_parameters(loss: Any, width: int | None = None) -> Table | Text:
    """delta = 0.5  (default 1.0)  description..., one row per parameter.

    Given the `width` it may take, the descriptions move under the values when beside them
    they would have fewer than HYPER_DOC_MIN columns.
    """
    from lossfit import losses

    if loss.name not in losses.registry or type(loss).__module__ == "lossfit.custom_loss":
        return Text("none (a custom loss: set its constants inside the file)")
    params = losses.registry.entry(loss.name).parameters()
    if not params:
        return Text("none")
    docs = parameter_docs(type(loss))
    rows = []
    for name, param in params.items():
        value = getattr(loss, name, param.default)
        default = "required" if param.required else f"default {param.default!r}"
        rows.append((f"{name} = {value!r}", f"({default})", docs.get(name, "")))
    beside = max(len(setting) for setting, _, _ in rows) + max(len(default) for _, default, _ in rows) + 4
    stacked = width is not None and width - beside < HYPER_DOC_MIN
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=not stacked, style="bold")
    if not stacked:
        table.add_column(no_wrap=True)
        table.add_column()
    for setting, default, doc in rows:
        if stacked:
            cell = Text(setting, style="bold")
            cell.append(f"  {default}", style="not bold")
            if doc:
                cell.append(f"\n{doc}", style="not bold")
            table.add_row(cell)
        else:
            table.add_row(setting, default, doc)
    return table


CHART_MARGIN = 10  # the chart's y labels and axis beside its plotting area
MIN_CHART_WIDTH = 24


def page(loss: Any, width: int | None = None) -> Group:
    """The whole explain page for a loss, as rich renderables; `width`: the terminal's, to fit the chart to."""
    from lossfit import losses

    custom = type(loss).__module__ == "lossfit.custom_loss"
    entry = None if custom or loss.name not in losses.registry else losses.registry.entry(loss.name)
    header = Text()
    header.append(loss.name, style="bold")
    header.append(f"  ({loss.task} loss)", style="dim")
    shown = display_spec(loss)
    header.append(f"  {shown}\n" if shown != loss.name else "\n", style="dim")
    summary = loss.summary[:1].upper() + loss.summary[1:]
    header.append(summary + ("" if summary.endswith((".", "!", "?")) else "."), style="italic")

    rows = Table.grid(padding=(0, 2))
    rows.add_column(style="bold cyan", no_wrap=True)
    rows.add_column()
    rows.add_row("Formula", Text(loss.formula))
    rows.add_row("Gradient", Text(loss.gradient))
    label_width = len("Hyper-parameters") + 2
    rows.add_row("Hyper-parameters", hyper_parameters(loss, None if width is None else width - label_width))
    rows.add_row("Targets", Text(loss.target_domain or "-"))
    rows.add_row("Properties", Text(properties(loss)))
    rows.add_row("Bayes-optimal", Text(loss.bayes_optimal))
    rows.add_row("Probabilities", Text(describe_link(loss)))
    rows.add_row("When to use", Text(loss.when_to_use))
    rows.add_row("Pitfalls", Text(loss.pitfalls))
    if entry is not None and entry.aliases:
        rows.add_row("Aliases", Text(", ".join(entry.aliases)))
    if loss.related:
        rows.add_row("Related", Text(", ".join(loss.related)))

    parts: list[RenderableType] = [header, Text(""), rows]
    notes = docstring_section(type(loss), "Notes")
    if notes:
        lines = textwrap.indent(notes, "    ").splitlines()
        if width is not None:  # a long formula line continues below itself, indented, never at column 0
            from lossfit.display import wrap_line

            lines = [wrap_line(line, width, indent=" " * (len(line) - len(line.lstrip()) + 4)) for line in lines]
        parts += [Text(""), Text("In detail (mean reduction, as lossfit computes it)", style="bold"),
                  Text("\n".join(lines))]
    plot_width = CHART_WIDTH if width is None else max(MIN_CHART_WIDTH, min(CHART_WIDTH, width - CHART_MARGIN))
    parts += [Text(""), chart(loss, plot_width)]
    dataset = loss.default_dataset or ("outliers" if loss.task == "regression" and loss.robust and not custom
                                       else _default_dataset(loss.task))
    try_it = Text("Try: ", style="dim")
    shown = display_spec(loss)
    quoted = f"'{shown}'" if "(" in shown else shown
    try_it.append(f"lossfit train --loss {quoted} --dataset {dataset}", style="bold")
    if not custom:
        plot = f"lossfit explain {loss.name} --plot {loss.name}.png"
        if width is not None and len(try_it.plain) + len(plot) + 7 > width:  # one command per line
            try_it.append("\n     " + plot, style="bold")
        else:
            try_it.append(f"   ·   {plot}", style="bold")
    parts += [Text(""), try_it]
    return Group(*parts)


def _default_dataset(task: str) -> str:
    """lossfit.data.default_for_task, from the static table (importing lossfit.data costs ~50 ms)."""
    from lossfit.catalog import DEFAULT_DATASETS

    if task in DEFAULT_DATASETS:
        return DEFAULT_DATASETS[task]
    from lossfit import data

    return data.default_for_task(task)  # type: ignore[arg-type]
