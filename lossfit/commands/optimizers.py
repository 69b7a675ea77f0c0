"""`lossfit optimizers`, and `explain_optimizer` for `lossfit explain NAME`.

- `lossfit optimizers` prints two tables on stdout: every optimizer (name, what it
  is, its defaults as `key=value`, a one-line summary) and every learning-rate
  schedule (required parameters shown as `key=?`).
- `explain_optimizer(name, terminal)` prints what one optimizer or schedule does:
  the update rule exactly as its class docstring documents it, the defaults
  (preset applied), the state kept per parameter, and how it relates to
  torch.optim. For the momentum presets of sgd it puts the PyTorch rule and the
  textbook EMA rule side by side; for a schedule it draws the lr of 100 epochs.

Everything shown is read from the registries and the class docstrings, so the
text cannot drift from the code (the listing through the static tables of
`lossfit.catalog`, which a test holds equal to the registries). numpy (imported by `lossfit.optimizers`) and
`lossfit.display` are imported inside the functions: `lossfit --help` stays fast.
"""

from __future__ import annotations

import inspect
import math
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from lossfit.display import Terminal
    from lossfit.registry import Entry

# The torch optimizer each textbook variant should be compared with (shared/reference/optimizers.md §7).
# A class may declare it itself as a `torch_counterpart` ClassVar; this table is the fallback.
TORCH_COUNTERPART = {
    "momentum_ema": "sgd",
    "momentum_sutskever": "sgd",
    "adam_eps_inside": "adam",
    "adam_keras_eps": "adam",
    "rmsprop_tf": "rmsprop",
}

# What each optimizer keeps per parameter array, keyed by the class's canonical name:
# (key in opt.state[i], meaning, when it exists). tests/test_cli_optimizers.py checks
# these keys against the state the optimizers really create.
STATE: dict[str, list[tuple[str, str, str]]] = {
    "sgd": [("momentum_buffer", "b, the momentum buffer (b_1 = g_1)", "momentum > 0")],
    "adagrad": [("step", "t, the step count", ""),
                ("sum", "state_sum, the running sum of g² (starts at initial_accumulator_value)", "")],
    "rmsprop": [("step", "t, the step count", ""),
                ("square_avg", "v, the running mean of g²", ""),
                ("grad_avg", "g^ave, the running mean of g", "centered"),
                ("momentum_buffer", "b, the momentum buffer", "momentum > 0")],
    "adam": [("step", "t, the step count", ""),
             ("exp_avg", "m, the running mean of g (first moment)", ""),
             ("exp_avg_sq", "v, the running mean of g² (second moment)", ""),
             ("max_exp_avg_sq", "v^max, the largest v so far", "amsgrad")],
    "adamw": [("step", "t, the step count", ""),
              ("exp_avg", "m, the running mean of g (first moment)", ""),
              ("exp_avg_sq", "v, the running mean of g² (second moment)", ""),
              ("max_exp_avg_sq", "v^max, the largest v so far", "amsgrad")],
    "nadam": [("step", "t, the step count", ""),
              ("mu_product", "∏ μ_i, the running product of the momentum schedule (a number)", ""),
              ("exp_avg", "m, the running mean of g", ""),
              ("exp_avg_sq", "v, the running mean of g²", "")],
    "radam": [("step", "t, the step count", ""),
              ("exp_avg", "m, the running mean of g", ""),
              ("exp_avg_sq", "v, the running mean of g²", "")],
    "adamax": [("step", "t, the step count", ""),
               ("exp_avg", "m, the running mean of g", ""),
               ("exp_inf", "u, the decaying running max of |g|", "")],
    "adadelta": [("step", "t, the step count", ""),
                 ("square_avg", "v, the running mean of g²", ""),
                 ("acc_delta", "u, the running mean of the squared updates Δx²", "")],
    "momentum_ema": [("velocity", "v, the moving average of g", "")],
    "momentum_sutskever": [("velocity", "v, the velocity (carries the lr of past steps)", "")],
    "adam_eps_inside": [("step", "t, the step count", ""),
                        ("exp_avg", "m, the running mean of g", ""),
                        ("exp_avg_sq", "v, the running mean of g²", "")],
    "adam_keras_eps": [("step", "t, the step count", ""),
                       ("exp_avg", "m, the running mean of g", ""),
                       ("exp_avg_sq", "v, the running mean of g²", "")],
    "rmsprop_tf": [("square_avg", "v, the running mean of g²", "")],
}

# Measured differences from shared/reference/optimizers.md §7 (50 noisy steps of a
# 10-dimensional quadratic, §4; max |Δθ| between trajectories, torch 2.13).
EMA_VS_TORCH = (
    "The textbook form is exactly sgd(lr=η(1-β), momentum=β): the (1-β) moves from the buffer into "
    "the learning rate. On the reference problem (shared/reference/optimizers.md §7) the two "
    "trajectories agree to 8.9e-16, that is, to rounding error. Writing it as sgd(lr=η, momentum=β, "
    "dampening=β) is not the same: those trajectories differ by 1.81, because torch's first buffer "
    "is b_1 = g_1, not (1-β)·g_1."
)
SUTSKEVER_VS_TORCH = (
    "The velocity form v ← μv - ηg, θ ← θ + v (Sutskever 2013, Keras SGD; `momentum_sutskever`) "
    "gives torch's iterates while the lr is constant (they agree to 5.6e-16) but not once a "
    "schedule changes it (a difference of 1.33 with a step schedule): the old lr stays inside v."
)
NESTEROV_VS_TORCH = (
    "torch's Nesterov iterates are exactly the look-ahead points φ = θ + μv of the classic "
    "formulation v ← μv - η∇f(θ + μv), θ ← θ + v (they agree to 8.9e-16); the classic θ "
    "itself differs from them by 0.66 (Bengio et al.'s reparametrization)."
)

# Schedule parameters that `lossfit train` fills in when they are not given (lossfit/api.py).
TRAIN_FILLS = {"one_cycle": "`lossfit train` fills in max_lr from --lr and total_steps from --epochs."}

# Values for required parameters in the preview of `explain_optimizer` (100 epochs from lr=0.1).
PREVIEW_EPOCHS = 100
PREVIEW_LR = 0.1
PREVIEW_ARGS: dict[str, dict[str, Any]] = {
    "step": {"step_size": 30},
    "exponential": {"gamma": 0.95},
    "cosine": {"T_max": PREVIEW_EPOCHS},
    "one_cycle": {"max_lr": PREVIEW_LR, "total_steps": PREVIEW_EPOCHS},
}
PLATEAU_AFTER = 20  # the preview's validation loss stops improving after this epoch
BARS = " ▁▂▃▄▅▆▇█"


def register(app: Any) -> None:
    """Add `lossfit optimizers` to the typer app."""
    app.command(name="optimizers")(list_optimizers)


def list_optimizers() -> None:
    """List every optimizer and learning-rate schedule with its defaults."""
    from lossfit.display import Terminal

    terminal = Terminal.create()
    print_catalogue(terminal.out)


def print_catalogue(out: Console) -> None:
    """The two tables of `lossfit optimizers`, each in the widest layout that fits `out` (names never cut).

    The rows come from the static tables of `lossfit.catalog` (checked against the
    registries by tests/test_startup_catalog.py): listing builds no registry.
    """
    from rich.text import Text

    from lossfit import catalog
    from lossfit.display import fit

    out.print(fit(out, [_optimizer_table(folded) for folded in (False, True)]), soft_wrap=False)
    out.print(Text("lr: torch's default; `lossfit train` takes the learning rate from --lr. "
                   "Details: lossfit explain NAME.", style="dim"), soft_wrap=False, highlight=False)
    out.print()

    table = _table("Learning-rate schedules")
    table.add_column("name", no_wrap=True, style="cyan")
    table.add_column("summary, then defaults")
    for row in catalog.SCHEDULES:
        table.add_row(row.name, _summary_and_defaults(row.summary, row.defaults))
    out.print(table, soft_wrap=False)
    notes = ["?: required, e.g. --schedule 'cosine(T_max=100)'.", *TRAIN_FILLS.values()]
    out.print(Text(" ".join(notes), style="dim"), soft_wrap=False, highlight=False)


def _optimizer_table(folded: bool) -> Table:
    """name | what it is | summary and defaults; `folded`: what it is goes under the name (narrow terminals)."""
    from rich.text import Text

    from lossfit import catalog

    table = _table("Optimizers")
    table.add_column("name", no_wrap=True, style="cyan")
    if not folded:
        table.add_column("what it is")
    table.add_column("summary, then defaults")
    for row in catalog.OPTIMIZERS:
        if folded:
            name = Text(row.name)
            name.append("\n" + row.kind, style="dim not cyan")
            table.add_row(name, _summary_and_defaults(row.summary, row.defaults))
        else:
            table.add_row(row.name, row.kind, _summary_and_defaults(row.summary, row.defaults))
    return table


def _summary_and_defaults(summary: str, defaults: str) -> Text:
    """One cell: the summary, and the defaults below it (dim)."""
    from rich.text import Text

    cell = Text(summary)
    if defaults:
        cell.append("\n" + defaults, style="dim")
    return cell


def _table(title: str) -> Table:
    from rich import box
    from rich.table import Table

    return Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, show_lines=True,
                 show_edge=False, pad_edge=False, header_style="bold")


# ---------------------------------------------------------------------------
# explain
# ---------------------------------------------------------------------------


def explain_optimizer(name: str, terminal: Terminal) -> None:
    """Print to `terminal.out` what the optimizer or schedule `name` does.

    `name` may be a spec such as ``cosine(T_max=50)``: its values are checked,
    shown instead of the defaults and used for the schedule preview.
    Raises `lossfit.errors.UnknownNameError` when `name` is neither an optimizer
    nor a schedule, with the closest name of either registry as a suggestion.
    """
    from lossfit import optimizers, schedules
    from lossfit.errors import UnknownNameError
    from lossfit.spec import parse_spec

    base, kwargs = parse_spec(name, what="optimizer or schedule spec")
    for registry, build, show in ((optimizers.registry, optimizers.get, _explain_optimizer),
                                  (schedules.registry, schedules.get, _explain_schedule)):
        try:
            entry = registry.entry(base)  # the registry's own lookup: case, `-` for `_`, aliases
        except UnknownNameError:
            continue
        given = {}
        if kwargs:  # check the values (a SpecError or ConfigError if wrong) and show them coerced
            built = build(entry.name, **kwargs)
            given = {key: getattr(built, key) for key in kwargs}
        show(entry, terminal.out, given)
        return
    raise _unknown(base)


def _unknown(name: str) -> Exception:
    import difflib

    from lossfit import optimizers, schedules
    from lossfit.errors import UnknownNameError

    choices = [*optimizers.registry.names(), *schedules.registry.names()]
    key = name.strip().lower().replace("-", "_")
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    return UnknownNameError(
        f"Unknown optimizer or schedule `{name}`.{hint} Optimizers: {', '.join(optimizers.registry.names())}. "
        f"Schedules: {', '.join(schedules.registry.names())}."
    )


@dataclass(frozen=True)
class DocParts:
    """A class docstring taken apart: first line, the rule block and its lead-in, the notes."""

    title: str
    lead: str  # the sentence that introduces the block, e.g. "The update, as ... states it:"
    block: str  # the `::` block, dedented, exactly as written
    notes: list[str]  # the paragraphs after the block, before the examples


def doc_parts(cls: Any) -> DocParts:
    """Split `cls.__doc__` into the parts `explain` shows."""
    lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
    title = lines[0].strip() if lines else ""
    start = next((i for i, line in enumerate(lines) if line.rstrip().endswith("::")), None)
    if start is None:
        return DocParts(title, "", "", [])
    lead = lines[start].rstrip()[:-2].strip()
    lead = f"{lead}:" if lead else ""
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    block = textwrap.dedent("\n".join(lines[start + 1:end])).strip("\n")
    notes: list[str] = []
    paragraph: list[str] = []
    for line in [*lines[end:], ""]:
        text = line.strip()
        if text == "Examples" or text.startswith(">>>"):
            break
        if not text or set(text) == {"-"}:
            if paragraph:
                notes.append(" ".join(paragraph).replace("``", "`"))
            paragraph = []
        else:
            paragraph.append(text)
    return DocParts(title, lead, block, notes)


def format_value(value: Any) -> str:
    """A default as the user would type it: 0.001, 1e-8, (0.9, 0.999), True, 'cos'."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        if value == 0:
            return "0"
        text = f"{value:g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}e{int(exponent)}"
        return text
    if isinstance(value, (tuple, list)):
        inner = ", ".join(format_value(v) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _defaults(entry: Entry[Any], given: dict[str, Any] | None = None) -> str:
    """Every parameter as `key=value` (preset applied, then `given`), `key=?` when it must be given."""
    values = _values(entry, given)
    return ", ".join(f"{key}={'?' if value is _REQUIRED else format_value(value)}" for key, value in values.items())


_REQUIRED = object()


def _values(entry: Entry[Any], given: dict[str, Any] | None = None) -> dict[str, Any]:
    """Each parameter's default (preset applied; _REQUIRED when it has none), overridden by `given`."""
    values = {key: _REQUIRED if p.required else p.default for key, p in entry.parameters().items()}
    return {**values, **(given or {})}


def _defaults_heading(given: dict[str, Any]) -> str:
    return "Values (yours, then the defaults)" if given else "Defaults"


def _is_preset(entry: Entry[Any]) -> bool:
    return entry.name != getattr(entry.factory, "name", entry.name)


def _counterpart(entry: Entry[Any]) -> str | None:
    """The torch optimizer a textbook variant differs from; None for torch optimizers."""
    if not hasattr(entry.factory, "torch_difference"):
        return None
    declared = getattr(entry.factory, "torch_counterpart", None)
    return str(declared) if declared else TORCH_COUNTERPART.get(entry.name, "its torch counterpart")


def _kind(entry: Entry[Any]) -> str:
    """The "what it is" column: torch.optim.X, preset of sgd, textbook variant of adam."""
    counterpart = _counterpart(entry)
    if counterpart is not None:
        return f"textbook variant\nof {counterpart}"
    cls_name = getattr(entry.factory, "name", entry.name)
    if _is_preset(entry):
        return f"preset of {cls_name}"
    return f"torch.optim.{entry.factory.__name__}"


def _heading(out: Console, text: str) -> None:
    from rich.text import Text

    out.print()
    out.print(Text(text, style="bold"), soft_wrap=False, highlight=False)


def _paragraph(out: Console, text: str, style: str = "") -> None:
    from rich.text import Text

    wrapped = textwrap.fill(text, width=max(40, out.width - 1), initial_indent="  ", subsequent_indent="  ",
                            break_long_words=False, break_on_hyphens=False)
    out.print(Text(wrapped, style=style), soft_wrap=True, highlight=False)


def _block(out: Console, block: str) -> None:
    """A rule block, line for line as documented; a line wider than `out` continues below, indented."""
    from rich.text import Text

    from lossfit.display import wrap_line

    for line in block.splitlines():
        indent = " " * (2 + len(line) - len(line.lstrip()) + 4)
        out.print(Text(wrap_line("  " + line, out.width, indent=indent)), soft_wrap=True, highlight=False,
                  markup=False)


def _explain_optimizer(entry: Entry[Any], out: Console, given: dict[str, Any]) -> None:
    from rich.text import Text

    cls = entry.factory
    parts = doc_parts(cls)
    cls_name = getattr(cls, "name", entry.name)
    out.print(Text.assemble((entry.name, "bold cyan"), f"  {entry.summary}"), soft_wrap=False, highlight=False)
    out.print(Text(parts.title), soft_wrap=False, highlight=False)

    counterpart = _counterpart(entry)
    torch_class = f"torch.optim.{cls.__name__}"
    if counterpart is not None:
        torch_line = (f"Not torch: a textbook variant of `{counterpart}` (lossfit explain {counterpart}). "
                      f"{getattr(cls, 'torch_difference')}")
    elif _is_preset(entry):
        preset = ", ".join(f"{k}={format_value(v)}" for k, v in entry.preset.items())
        torch_line = (f"This is {torch_class}({preset}): `{cls_name}` with preset defaults, the same update "
                      f"step for step." if preset else
                      f"This is {torch_class}: `{cls_name}` under another name, the same update step for step.")
    else:
        torch_line = f"This is {torch_class}: the same parameter names, defaults and update, step for step."
    out.print(Text(torch_line), soft_wrap=False, highlight=False)

    _heading(out, _defaults_heading(given))
    _paragraph(out, _defaults(entry, given))
    _paragraph(out, "lr is torch's default; `lossfit train` takes the learning rate from --lr.", style="dim")

    defaults = _values(entry, given)
    momentum = defaults.get("momentum", 0.0)
    side_by_side = cls_name == "sgd" and _is_preset(entry) and isinstance(momentum, float) and momentum > 0
    if side_by_side:
        _heading(out, "Update rule: PyTorch and textbook momentum, side by side")
        if parts.lead:
            _paragraph(out, f"Left: {parts.lead[0].lower()}{parts.lead[1:]}", style="dim")
        _side_by_side(out, parts.block, momentum)
    else:
        _heading(out, f"Update rule ({torch_class if counterpart is None else entry.name})")
        if parts.lead:
            _paragraph(out, parts.lead, style="dim")
        _block(out, parts.block or parts.title)
    for note in parts.notes:
        _paragraph(out, note)
    if side_by_side:
        _compare_momentum(entry, out, momentum, bool(defaults.get("nesterov")))
    elif cls_name == "sgd" and _is_preset(entry):
        out.print()
        _paragraph(out, "With momentum=0 this is θ_t ← θ_{t-1} - γ g_t (plus λ θ_{t-1} in g_t with weight "
                        "decay): textbook gradient descent, identical to torch.")
    elif entry.name == "sgd":
        out.print()
        _paragraph(out, "Textbook momentum forms and how they map onto sgd: lossfit explain momentum.")

    _heading(out, "State kept per parameter")
    state = STATE.get(cls_name)
    if state is None:
        _paragraph(out, "Not documented here: look at opt.state[i] after a step.")
    elif not any(_condition_holds(when, defaults) for _, _, when in state):
        _paragraph(out, "With these defaults, nothing: each step uses the current gradient only.")
    for key, meaning, when in state or []:
        active = _condition_holds(when, defaults)
        suffix = "" if not when else (f"  (since {when})" if active else f"  (only when {when})")
        _paragraph(out, f"{key}: {meaning}{suffix}", style="" if active else "dim")
    if state:
        _paragraph(out, "One array shaped like the parameter per buffer (step counts are numbers), "
                        "created on the parameter's first step; opt.reset() forgets them.", style="dim")

    _heading(out, "Try it")
    _paragraph(out, f"lossfit train --optimizer {entry.name} --lr 0.05")


def _condition_holds(when: str, defaults: dict[str, Any]) -> bool:
    """Whether a STATE condition ("", "amsgrad", "momentum > 0") holds for these defaults."""
    if not when:
        return True
    key, _, rest = when.partition(" ")
    value = defaults.get(key)
    if rest == "> 0":
        return isinstance(value, (int, float)) and value > 0
    return bool(value)


def _side_by_side(out: Console, torch_block: str, beta: float) -> None:
    """The PyTorch rule block next to the textbook EMA rule block, both exactly as documented."""
    from rich import box
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    from lossfit.optimizers import MomentumEMA

    table = Table(box=box.MINIMAL, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column(f"PyTorch: torch.optim.SGD, μ={format_value(beta)}")
    table.add_column(f"Textbook EMA: momentum_ema, β={format_value(beta)}")
    left, right = torch_block.splitlines(), doc_parts(MomentumEMA).block.splitlines()
    loop = "for t = 1 to ... do"
    if loop in left and loop in right:  # line the two loops up, so equal steps sit side by side
        shift = left.index(loop) - right.index(loop)
        left, right = [""] * -shift + left, [""] * shift + right
    for row in range(max(len(left), len(right))):
        table.add_row(Text(left[row] if row < len(left) else ""), Text(right[row] if row < len(right) else ""))
    out.print(Padding(table, (0, 0, 0, 2), expand=False), soft_wrap=False, highlight=False)


def _compare_momentum(entry: Entry[Any], out: Console, beta: float, nesterov: bool) -> None:
    """How the textbook momentum forms relate to torch's, with the numbers of reference §7."""
    _heading(out, "PyTorch and textbook, compared")
    scale = format_value(float(f"{1 - beta:.6g}"))
    equivalence = f"momentum_ema(lr=η, beta={format_value(beta)}) ≡ sgd(lr={scale}·η, momentum={format_value(beta)})"
    if nesterov:
        _paragraph(out, f"{equivalence}, without Nesterov: the textbook EMA form has no Nesterov step; "
                        f"with nesterov=True torch adds μ b_t to g_t (left rule).")
    else:
        _paragraph(out, f"{equivalence}: with the same lr, `{entry.name}` takes steps "
                        f"{format_value(float(f'{1 / (1 - beta):.6g}'))}× larger than momentum_ema.")
    for text in (EMA_VS_TORCH, SUTSKEVER_VS_TORCH):
        out.print()
        _paragraph(out, text)
    if nesterov:
        out.print()
        _paragraph(out, NESTEROV_VS_TORCH)


def _explain_schedule(entry: Entry[Any], out: Console, given: dict[str, Any]) -> None:
    from rich.text import Text

    cls = entry.factory
    parts = doc_parts(cls)
    out.print(Text.assemble((entry.name, "bold cyan"), f"  {entry.summary}"), soft_wrap=False, highlight=False)
    if parts.block:  # otherwise the first line is the formula, shown below
        out.print(Text(parts.title), soft_wrap=False, highlight=False)
    if entry.name != "constant":
        out.print(Text(f"This is torch.optim.lr_scheduler.{cls.__name__}, stepped once per epoch."),
                  soft_wrap=False, highlight=False)

    _heading(out, "Formula")
    _block(out, parts.block or parts.title)
    for note in parts.notes:
        _paragraph(out, note)

    _heading(out, _defaults_heading(given))
    _paragraph(out, _defaults(entry, given) or "none: it has no parameters")
    required = [key for key, value in _values(entry, given).items() if value is _REQUIRED]
    if required:
        example = ", ".join(f"{key}={format_value(PREVIEW_ARGS.get(entry.name, {}).get(key, '...'))}"
                            for key in required)
        _paragraph(out, f"?: required, e.g. --schedule '{entry.name}({example})'.", style="dim")
    if entry.name in TRAIN_FILLS:
        _paragraph(out, TRAIN_FILLS[entry.name], style="dim")

    _preview(entry, out, given)


def _preview(entry: Entry[Any], out: Console, given: dict[str, Any]) -> None:
    """The lr over PREVIEW_EPOCHS epochs from PREVIEW_LR, as a small bar chart."""
    from lossfit import schedules
    from lossfit.spec import format_spec

    kwargs = {**PREVIEW_ARGS.get(entry.name, {}), **given}
    sched = schedules.get(entry.name, **kwargs)
    metrics = None
    spec = format_spec(entry.name, kwargs)
    caption = f"Preview: {spec} from lr={format_value(PREVIEW_LR)}, {PREVIEW_EPOCHS} epochs"
    if entry.name == "reduce_on_plateau":
        metrics = [1.0 / (1 + min(k, PLATEAU_AFTER)) for k in range(PREVIEW_EPOCHS)]
        caption += f"; the val loss stops improving after epoch {PLATEAU_AFTER}"
    lrs = sched.preview(PREVIEW_LR, PREVIEW_EPOCHS, metrics=metrics)
    _heading(out, caption)
    _block(out, "\n".join(lr_chart(lrs)))
    marks = sorted({0, len(lrs) // 4, len(lrs) // 2, 3 * len(lrs) // 4, len(lrs) - 1})
    _paragraph(out, "  ".join(f"epoch {k}: {_short(lrs[k])}" for k in marks), style="dim")


def _short(value: float) -> str:
    return format_value(float(f"{value:.3g}"))


def lr_chart(values: list[float], width: int = 50, height: int = 6) -> list[str]:
    """A bar chart of `values` on a linear scale from 0: `height` rows of `width` columns, plus an axis."""
    if not values:
        return []
    top = max((v for v in values if math.isfinite(v)), default=0.0)
    columns = min(width, len(values))
    sampled = [values[round(i * (len(values) - 1) / max(1, columns - 1))] for i in range(columns)]
    eighths = [0 if top <= 0 or not math.isfinite(v) else round(max(0.0, v) / top * height * 8) for v in sampled]
    label = _short(top)
    pad = max(len(label), 1)
    rows = []
    for row in range(height, 0, -1):
        floor = (row - 1) * 8
        cells = "".join(BARS[min(8, max(0, e - floor))] for e in eighths)
        prefix = label if row == height else ("0" if row == 1 else "")
        rows.append(f"{prefix:>{pad}} ┤{cells}")
    rows.append(f"{'':>{pad}} └{'─' * columns}")
    last = f"{len(values) - 1}"
    rows.append(f"{'':>{pad}}  0{'epoch'.center(columns - 1 - len(last))}{last}")
    return rows
