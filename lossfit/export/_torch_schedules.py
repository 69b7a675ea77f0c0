"""Schedule templates for `--to torch`: the run's lr schedule as a `torch.optim.lr_scheduler` class.

Every lossfit schedule is torch's scheduler of that name, stepped once per
epoch, so each template only writes the constructor with the arguments that
differ from torch's defaults. `TorchSchedule.step` is the call the loop makes
after each epoch; ReduceLROnPlateau reads the monitored loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lossfit.errors import ConfigError
from lossfit.export._text import first_line, num


@dataclass(frozen=True)
class TorchSchedule:
    lines: list[str]  # the header comment and `sched = ...`; empty for a constant lr
    step: str = "sched.step()"
    uses_metric: bool = False  # step reads `monitored` (the validation loss, else the training loss)
    last_step: bool = True  # may step after the last epoch (OneCycleLR may not: it counts its steps)


# torch's class for each schedule name: (class, the arguments always written, torch's defaults of the others)
TORCH: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {
    "step": ("StepLR", ("step_size",), {"gamma": 0.1}),
    "exponential": ("ExponentialLR", ("gamma",), {}),
    "cosine": ("CosineAnnealingLR", ("T_max",), {"eta_min": 0.0}),
    "linear": ("LinearLR", (), {"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5}),
    "reduce_on_plateau": ("ReduceLROnPlateau", (), {
        "mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4, "threshold_mode": "rel", "cooldown": 0,
        "min_lr": 0.0, "eps": 1e-8}),
    "one_cycle": ("OneCycleLR", ("max_lr", "total_steps"), {
        "pct_start": 0.3, "anneal_strategy": "cos", "cycle_momentum": True, "base_momentum": 0.85,
        "max_momentum": 0.95, "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": False}),
}


def _literal(value: Any) -> str:
    return repr(value) if isinstance(value, str) else num(value)


def code(sched: Any) -> TorchSchedule:
    if sched.name == "constant":
        return TorchSchedule([])
    entry = TORCH.get(sched.name)
    if entry is None:
        raise ConfigError(f"cannot export schedule `{sched.name}` to torch: it has no torch template; "
                          "use --to numpy.")
    cls, always, defaults = entry
    args = ["opt", *(f"{key}={_literal(getattr(sched, key))}" for key in always),
            *(f"{key}={_literal(getattr(sched, key))}" for key, default in defaults.items()
              if getattr(sched, key) != default)]
    lines = [f"# {first_line(type(sched))}", f"sched = torch.optim.lr_scheduler.{cls}({', '.join(args)})"]
    if sched.name == "one_cycle":
        lines[1] += "  # sets the first epoch's lr (and momentum)"
    if sched.name == "reduce_on_plateau":
        return TorchSchedule(lines, "sched.step(monitored)", uses_metric=True)
    return TorchSchedule(lines, last_step=sched.name != "one_cycle")
