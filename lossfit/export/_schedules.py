"""Schedule templates: how the run's learning rate changes between epochs, as NumPy code.

One entry per schedule name in `TEMPLATES`, returning a `ScheduleCode`: the
definitions, the lines that set the lr for epoch 0 (like torch's constructor)
and the lines run after each epoch but the last (with `epoch` = k, the number
of epochs done). They compute the lr as `lossfit.schedules` does: recursively,
as torch does, so the numbers agree to the last bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lossfit import schedules
from lossfit.errors import ConfigError
from lossfit.export._text import first_line, notes, num


@dataclass(frozen=True)
class ScheduleCode:
    definitions: list[str] = field(default_factory=list)
    start: list[str] = field(default_factory=list)  # sets lr (and momentum) for the first epoch
    step: list[str] = field(default_factory=list)  # after epoch `epoch`: sets the lr of the next one
    uses_metric: bool = False  # step reads `monitored` (the validation loss, else the training loss)
    cycles: str | None = None  # the optimizer setting it also changes: "momentum" or "beta1"


def _header(sched: Any) -> list[str]:
    return [f"# {first_line(type(sched))}", *notes(type(sched))]


def constant(sched: Any, cycles: str | None) -> ScheduleCode:
    return ScheduleCode()


def step(sched: Any, cycles: str | None) -> ScheduleCode:
    return ScheduleCode(
        [*_header(sched), f"STEP_SIZE, GAMMA = {num(sched.step_size)}, {num(sched.gamma)}"],
        step=["if epoch % STEP_SIZE == 0:", "    lr = lr * GAMMA"],
    )


def exponential(sched: Any, cycles: str | None) -> ScheduleCode:
    return ScheduleCode([*_header(sched), f"GAMMA = {num(sched.gamma)}"], step=["lr = lr * GAMMA"])


def cosine(sched: Any, cycles: str | None) -> ScheduleCode:
    return ScheduleCode([
        *_header(sched),
        f"T_MAX, ETA_MIN = {num(sched.T_max)}, {num(sched.eta_min)}",
        "",
        "",
        "def cosine_lr(k, lr):",
        '    """The lr of epoch k from that of epoch k - 1, in torch\'s recursive form."""',
        "    if (k - 1 - T_MAX) % (2 * T_MAX) == 0:  # the bottom of the cosine: where the ratio below is 0/0",
        "        return lr + (LR - ETA_MIN) * (1 - math.cos(math.pi / T_MAX)) / 2",
        "    ratio = (1 + math.cos(math.pi * k / T_MAX)) / (1 + math.cos(math.pi * (k - 1) / T_MAX))",
        "    return ratio * (lr - ETA_MIN) + ETA_MIN",
    ], step=["lr = cosine_lr(epoch, lr)"])


def linear(sched: Any, cycles: str | None) -> ScheduleCode:
    return ScheduleCode([
        *_header(sched),
        f"START_FACTOR, END_FACTOR = {num(sched.start_factor)}, {num(sched.end_factor)}",
        f"TOTAL_ITERS = {num(sched.total_iters)}",
        "",
        "",
        "def linear_lr(k, lr):",
        '    """The lr of epoch k from that of epoch k - 1, in torch\'s recursive form; constant after total_iters."""',
        "    if k > TOTAL_ITERS:",
        "        return lr",
        "    s, e = START_FACTOR, END_FACTOR",
        "    return lr * (1.0 + (e - s) / (TOTAL_ITERS * s + (k - 1) * (e - s)))",
    ], start=["lr = lr * START_FACTOR  # the first epoch's lr"], step=["lr = linear_lr(epoch, lr)"])


def reduce_on_plateau(sched: Any, cycles: str | None) -> ScheduleCode:
    if sched.mode == "min" and sched.threshold_mode == "rel":
        better = "a < best * (1.0 - THRESHOLD)"
    elif sched.mode == "min":
        better = "a < best - THRESHOLD"
    elif sched.threshold_mode == "rel":
        better = "a > best * (THRESHOLD + 1.0)"
    else:
        better = "a > best + THRESHOLD"
    better = better.replace("best", 'plateau["best"]')
    start_best = "math.inf" if sched.mode == "min" else "-math.inf"
    return ScheduleCode([
        *_header(sched),
        f"FACTOR, PATIENCE, THRESHOLD = {num(sched.factor)}, {num(sched.patience)}, {num(sched.threshold)}",
        f"COOLDOWN, MIN_LR, EPS = {num(sched.cooldown)}, {num(sched.min_lr)}, {num(sched.eps)}",
        f"plateau = {{\"best\": {start_best}, \"bad_epochs\": 0, \"cooldown\": 0}}",
        "",
        "",
        "def plateau_lr(a, lr):",
        '    """The next lr, given this epoch\'s monitored loss a."""',
        f"    if {better}:",
        '        plateau["best"], plateau["bad_epochs"] = a, 0',
        "    else:",
        '        plateau["bad_epochs"] += 1',
        '    if plateau["cooldown"] > 0:  # bad epochs in cooldown do not count',
        '        plateau["cooldown"] -= 1',
        '        plateau["bad_epochs"] = 0',
        '    if plateau["bad_epochs"] > PATIENCE:',
        "        new_lr = max(lr * FACTOR, MIN_LR)",
        "        if lr - new_lr > EPS:",
        "            lr = new_lr",
        '        plateau["cooldown"], plateau["bad_epochs"] = COOLDOWN, 0',
        "    return lr",
    ], step=["lr = plateau_lr(monitored, lr)"], uses_metric=True)


def one_cycle(sched: Any, cycles: str | None) -> ScheduleCode:
    values = {"initial": sched.max_lr / sched.div_factor, "max_lr": sched.max_lr}
    values["min_lr"] = values["initial"] / sched.final_div_factor
    names = {"initial": "INITIAL_LR", "max_lr": "MAX_LR", "min_lr": "MIN_LR"}
    phases = [f"    ({num(end)}, {names[lr_from]}, {names[lr_to]}, {num(m_from)}, {num(m_to)}),"
              for end, lr_from, lr_to, m_from, m_to in sched._phases]
    if sched.anneal_strategy == "cos":
        anneal = ["def anneal(start, end, pct):", '    """Cosine from start (pct = 0) to end (pct = 1)."""',
                  "    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)"]
    else:
        anneal = ["def anneal(start, end, pct):", '    """Straight line from start (pct = 0) to end (pct = 1)."""',
                  "    return (end - start) * pct + start"]
    setter = f"lr, {cycles} = one_cycle(epoch)" if cycles else "lr = one_cycle(epoch)[0]"
    return ScheduleCode([
        *_header(sched),
        f"MAX_LR = {num(sched.max_lr)}",
        f"INITIAL_LR = {num(values['initial'])}  # max_lr / div_factor",
        f"MIN_LR = {num(values['min_lr'])}  # initial_lr / final_div_factor",
        "PHASES = [  # (last epoch of the phase, lr from, lr to, momentum from, momentum to)",
        *phases,
        "]",
        "",
        "",
        *anneal,
        "",
        "",
        "def one_cycle(k):",
        '    """The lr and the momentum of epoch k."""',
        "    start = 0.0",
        "    for i, (end, lr_from, lr_to, m_from, m_to) in enumerate(PHASES):",
        "        if k <= end or i == len(PHASES) - 1:",
        "            pct = (k - start) / (end - start)",
        "            return anneal(lr_from, lr_to, pct), anneal(m_from, m_to, pct)",
        "        start = end",
    ], start=[setter.replace("epoch", "0") + "  # the base lr is not used: one_cycle starts at initial_lr"],
        step=[setter], cycles=cycles)


Template = Callable[[Any, "str | None"], ScheduleCode]

TEMPLATES: dict[str, Template] = {
    "constant": constant, "step": step, "exponential": exponential, "cosine": cosine, "linear": linear,
    "reduce_on_plateau": reduce_on_plateau, "one_cycle": one_cycle,
}


def cycled_setting(sched: Any, opt: Any) -> str | None:
    """What one_cycle cycles besides the lr: "beta1" (the Adam family), "momentum", or None."""
    if not isinstance(sched, schedules.OneCycleLR) or not sched.cycle_momentum:
        return None
    return "beta1" if hasattr(opt, "betas") else "momentum"


def code(sched: Any, opt: Any) -> ScheduleCode:
    template = TEMPLATES.get(sched.name)
    if template is None:
        raise ConfigError(f"cannot export schedule `{sched.name}` to NumPy yet.")
    return template(sched, cycled_setting(sched, opt))
