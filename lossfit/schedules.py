r"""Learning-rate schedules with torch.optim.lr_scheduler's names, defaults and numbers.

A schedule changes ``opt.lr`` (and, for one-cycle, ``opt.momentum`` or
``opt.betas[0]``) between epochs. ``sched.start(opt)`` records the base lr and
applies the value for epoch 0, like the torch scheduler's constructor;
``sched.step(opt, metric=None)`` is called once after every epoch, after the
optimizer has stepped, and sets the lr for the next epoch (``metric`` is the
validation loss, used by ``reduce_on_plateau``). η_k below is the lr used in
epoch k = 0, 1, ... and η₀ the base lr (the optimizer's lr at ``start``).

    >>> from lossfit import optimizers, schedules
    >>> opt = optimizers.get("sgd", lr=0.1)
    >>> sched = schedules.get("cosine(T_max=4)")
    >>> sched.start(opt)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(round(opt.lr, 6))   # ... train one epoch with opt ...
    ...     sched.step(opt)
    >>> lrs
    [0.1, 0.085355, 0.05, 0.014645, 0.0]
    >>> schedules.spec_of(sched)
    'cosine(T_max=4, eta_min=0.0)'

Where torch computes the lr recursively from the optimizer's current lr, so
does lossfit, in the same order of operations: the sequences equal torch
2.13's (tests/fixtures/optim/schedules.json) to the last bit or within 1e-15.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal

from lossfit.errors import ConfigError, SpecError
from lossfit.registry import Registry

__all__ = [
    "Schedule",
    "Constant",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "ReduceLROnPlateau",
    "OneCycleLR",
    "registry",
    "get",
    "names",
    "spec_of",
]


class Schedule:
    """Shared machinery: validation, start/step bookkeeping, config, preview."""

    name: ClassVar[str]
    summary: ClassVar[str]

    def __post_init__(self) -> None:
        self._validate()
        self.base_lr: float | None = None  # the optimizer's lr at start()
        self.last_epoch = -1  # k of the lr currently set; 0 after start()

    def _validate(self) -> None:
        """Check the hyper-parameters (each subclass)."""

    def start(self, opt: Any) -> None:
        """Record the base lr and set the lr (and momentum) for epoch 0, like torch's constructor."""
        self.base_lr = float(opt.lr)
        self.last_epoch = 0
        self._on_start(opt)

    def _on_start(self, opt: Any) -> None:
        """Most torch schedulers leave the lr unchanged at k = 0."""

    def step(self, opt: Any, metric: float | None = None) -> None:
        """Set the lr for the next epoch; call once after each epoch's optimizer steps."""
        if self.base_lr is None:
            raise RuntimeError(f"schedule `{self.name}`: call start(opt) once before step(opt).")
        self.last_epoch += 1
        self._on_step(opt, metric)

    def _on_step(self, opt: Any, metric: float | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """Every hyper-parameter, as plain Python values."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    def preview(self, lr: float, epochs: int, metrics: list[float] | None = None) -> list[float]:
        """The lr of each of the first `epochs` epochs for base lr `lr` (this schedule is not changed).

        >>> get("step(step_size=2, gamma=0.5)").preview(0.1, 5)
        [0.1, 0.1, 0.05, 0.05, 0.025]
        """
        sched = copy.deepcopy(self)
        probe = _Probe(lr)
        sched.start(probe)
        out = []
        for k in range(epochs):
            out.append(probe.lr)
            sched.step(probe, None if metrics is None else metrics[k])
        return out

    # -- validation helpers ------------------------------------------------

    def _fail(self, key: str, expected: str) -> ConfigError:
        return ConfigError(
            f"schedule `{self.name}`: {key}={getattr(self, key)!r} is out of range; expected {expected}."
        )

    def _number(self, key: str, low: float, high: float = math.inf, *, low_open: bool = False,
                high_open: bool = False, expected: str) -> None:
        value = getattr(self, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(
                f"schedule `{self.name}`: `{key}` must be a number, got {value!r} ({type(value).__name__})."
            )
        value = float(value)
        above = value > low if low_open else value >= low
        below = value < high if high_open else value <= high
        if not (math.isfinite(value) and above and below):
            raise self._fail(key, expected)
        setattr(self, key, value)

    def _integer(self, key: str, low: int) -> None:
        value = getattr(self, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(
                f"schedule `{self.name}`: {key}={value!r} is out of range; expected a whole number >= {low}."
            )

    def _choice(self, key: str, options: tuple[Any, ...]) -> None:
        value = getattr(self, key)
        if value not in options or isinstance(value, bool) != isinstance(options[0], bool):
            shown = ", ".join(repr(o) for o in options)
            raise ConfigError(f"schedule `{self.name}`: {key}={value!r} is not valid; expected one of {shown}.")


class _Probe:
    """A stand-in optimizer for `preview`: only the attributes a schedule sets."""

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self.momentum = 0.0


# ---------------------------------------------------------------------------
# schedules
# ---------------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class Constant(Schedule):
    r"""A constant learning rate: η_k = η₀ (no schedule).

    >>> get("constant").preview(0.1, 3)
    [0.1, 0.1, 0.1]
    """

    name: ClassVar[str] = "constant"
    summary: ClassVar[str] = "keep the optimizer's lr"

    def _on_step(self, opt: Any, metric: float | None) -> None:
        pass


@dataclass(kw_only=True, eq=False)
class StepLR(Schedule):
    r"""Multiply the lr by gamma every step_size epochs (torch.optim.lr_scheduler.StepLR).

    Notes
    -----
    ::

        η_k = η₀ · γ^⌊k / step_size⌋

    Computed as torch does, recursively: at every multiple of step_size,
    lr ← lr · γ.

    >>> get("step(step_size=2)").preview(1.0, 5)
    [1.0, 1.0, 0.1, 0.1, 0.010000000000000002]
    """

    name: ClassVar[str] = "step"
    summary: ClassVar[str] = "multiply the lr by gamma every step_size epochs"

    step_size: int
    gamma: float = 0.1

    def _validate(self) -> None:
        self._integer("step_size", 1)
        self._number("gamma", 0.0, low_open=True, expected="gamma > 0")

    def _on_step(self, opt: Any, metric: float | None) -> None:
        if self.last_epoch % self.step_size == 0:
            opt.lr = opt.lr * self.gamma


@dataclass(kw_only=True, eq=False)
class ExponentialLR(Schedule):
    r"""Multiply the lr by gamma every epoch (torch.optim.lr_scheduler.ExponentialLR).

    Notes
    -----
    ::

        η_k = η₀ · γ^k

    Computed as torch does, recursively: lr ← lr · γ.

    >>> [round(lr, 6) for lr in get("exponential(gamma=0.5)").preview(1.0, 4)]
    [1.0, 0.5, 0.25, 0.125]
    """

    name: ClassVar[str] = "exponential"
    summary: ClassVar[str] = "multiply the lr by gamma every epoch"

    gamma: float

    def _validate(self) -> None:
        self._number("gamma", 0.0, low_open=True, expected="gamma > 0")

    def _on_step(self, opt: Any, metric: float | None) -> None:
        opt.lr = opt.lr * self.gamma


@dataclass(kw_only=True, eq=False)
class CosineAnnealingLR(Schedule):
    r"""Cosine annealing from η₀ down to eta_min over T_max epochs (torch.optim.lr_scheduler.CosineAnnealingLR).

    Notes
    -----
    ::

        η_k = η_min + (η₀ - η_min) · (1 + cos(π k / T_max)) / 2

    torch updates recursively,
    ``η_k = (1 + cos(πk/T)) / (1 + cos(π(k-1)/T)) · (η_{k-1} - η_min) + η_min``,
    (with a special case at k = T_max + 1 + 2jT_max), and so does lossfit; it
    matches the closed form to ~1e-17. Past T_max the lr rises again (the
    cosine is periodic): set T_max to the number of epochs.

    >>> [round(lr, 4) for lr in get("cosine(T_max=2)").preview(1.0, 5)]
    [1.0, 0.5, 0.0, 0.5, 1.0]
    """

    name: ClassVar[str] = "cosine"
    summary: ClassVar[str] = "cosine from the base lr down to eta_min over T_max epochs"

    T_max: int
    eta_min: float = 0.0

    def _validate(self) -> None:
        self._integer("T_max", 1)
        self._number("eta_min", 0.0, expected="eta_min >= 0 (and finite)")

    def _on_step(self, opt: Any, metric: float | None) -> None:
        k, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        assert self.base_lr is not None
        if (k - 1 - T) % (2 * T) == 0:
            opt.lr = opt.lr + (self.base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
        else:
            opt.lr = (
                (1 + math.cos(math.pi * k / T)) / (1 + math.cos(math.pi * (k - 1) / T)) * (opt.lr - eta_min)
                + eta_min
            )


@dataclass(kw_only=True, eq=False)
class LinearLR(Schedule):
    r"""Scale the lr linearly from start_factor·η₀ to end_factor·η₀ over total_iters epochs (torch LinearLR).

    Notes
    -----
    ::

        η_k = η₀ · (s + (e - s) · min(k, T) / T)      s = start_factor, e = end_factor, T = total_iters

    For a warm-up use e.g. ``linear(start_factor=0.01, total_iters=5)``.
    Computed as torch does, recursively from the current lr.

    >>> [round(lr, 6) for lr in get("linear(start_factor=0.25, total_iters=3)").preview(1.0, 5)]
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    name: ClassVar[str] = "linear"
    summary: ClassVar[str] = "scale the lr linearly from start_factor to end_factor (warm-up or decay)"

    start_factor: float = 1.0 / 3
    end_factor: float = 1.0
    total_iters: int = 5

    def _validate(self) -> None:
        self._number("start_factor", 0.0, 1.0, low_open=True, expected="0 < start_factor <= 1")
        self._number("end_factor", 0.0, 1.0, expected="0 <= end_factor <= 1")
        self._integer("total_iters", 1)

    def _on_start(self, opt: Any) -> None:
        opt.lr = opt.lr * self.start_factor

    def _on_step(self, opt: Any, metric: float | None) -> None:
        k, s, e, T = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if k > T:
            return
        opt.lr = opt.lr * (1.0 + (e - s) / (T * s + (k - 1) * (e - s)))


@dataclass(kw_only=True, eq=False)
class ReduceLROnPlateau(Schedule):
    r"""Cut the lr by factor when the validation loss stops improving (torch ReduceLROnPlateau).

    Notes
    -----
    After each epoch, with the metric a (the validation loss)::

        improved  = a < best·(1 - threshold)      (threshold_mode 'rel', mode 'min')
                    a < best - threshold          (threshold_mode 'abs', mode 'min')
                    (mode 'max' mirrors these: a > best·(1 + threshold), a > best + threshold)
        if improved:  best = a, bad = 0   else: bad = bad + 1
        if in cooldown (counter > 0):  counter = counter - 1, bad = 0
        if bad > patience:
            new = max(lr · factor, min_lr); set lr = new only if lr - new > eps
            counter = cooldown, bad = 0

    ``step(opt, metric)`` needs the metric every epoch.

    >>> get("reduce_on_plateau(patience=1, factor=0.5)").preview(1.0, 6, metrics=[3, 2, 2, 2, 2, 2])
    [1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
    """

    name: ClassVar[str] = "reduce_on_plateau"
    summary: ClassVar[str] = "multiply the lr by factor when the validation loss stops improving"

    mode: Literal["min", "max"] = "min"
    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: Literal["rel", "abs"] = "rel"
    cooldown: int = 0
    min_lr: float = 0.0
    eps: float = 1e-8

    def _validate(self) -> None:
        self._choice("mode", ("min", "max"))
        self._number("factor", 0.0, 1.0, high_open=True, expected="0 <= factor < 1")
        self._integer("patience", 0)
        self._number("threshold", 0.0, expected="threshold >= 0 (and finite)")
        self._choice("threshold_mode", ("rel", "abs"))
        self._integer("cooldown", 0)
        self._number("min_lr", 0.0, expected="min_lr >= 0 (and finite)")
        self._number("eps", 0.0, expected="eps >= 0 (and finite)")

    def _on_start(self, opt: Any) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _on_step(self, opt: Any, metric: float | None) -> None:
        if metric is None:
            raise ConfigError(
                f"schedule `{self.name}` needs the validation loss after every epoch: "
                f"call step(opt, metric=val_loss), or choose another schedule when there is no validation set."
            )
        current = float(metric)
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            old_lr = float(opt.lr)
            new_lr = max(old_lr * self.factor, self.min_lr)
            if old_lr - new_lr > self.eps:
                opt.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0


@dataclass(kw_only=True, eq=False)
class OneCycleLR(Schedule):
    r"""The one-cycle policy: lr up to max_lr and back down, momentum the opposite way (torch OneCycleLR).

    Notes
    -----
    ::

        initial = max_lr / div_factor,  min_lr = initial / final_div_factor,  T = total_steps
        two phases:   initial → max_lr  over epochs [0, pct_start·T - 1]
                      max_lr  → min_lr  up to epoch T - 1
        three phases: initial → max_lr  over [0, pct_start·T - 1]
                      max_lr  → initial up to 2·pct_start·T - 2
                      initial → min_lr  up to T - 1
        within a phase, p = (k - start) / (end - start):
            cos:    end + (start - end) · (1 + cos(π p)) / 2
            linear: start + (end - start) · p
        momentum (cycle_momentum): max_momentum → base_momentum → max_momentum,
        opposite to the lr (the third phase of three_phase keeps max_momentum)

    The base lr of the optimizer is ignored: ``start`` sets lr = initial (and the
    momentum to max_momentum). The optimizer's ``momentum`` is cycled (sgd,
    rmsprop), or ``betas[0]`` for the Adam family. In lossfit the schedule
    steps once per epoch, so total_steps counts epochs; stepping it more than
    total_steps times is an error.

    >>> sched = get("one_cycle(max_lr=1.0, total_steps=5, pct_start=0.6, anneal_strategy='linear')")
    >>> [round(lr, 4) for lr in sched.preview(0.1, 5)]
    [0.04, 0.52, 1.0, 0.5, 0.0]
    """

    name: ClassVar[str] = "one_cycle"
    summary: ClassVar[str] = "warm up to max_lr, then anneal far below the start (momentum cycled inversely)"

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    anneal_strategy: Literal["cos", "linear"] = "cos"
    cycle_momentum: bool = True
    base_momentum: float = 0.85
    max_momentum: float = 0.95
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False

    def _validate(self) -> None:
        self._number("max_lr", 0.0, low_open=True, expected="max_lr > 0 (and finite)")
        self._integer("total_steps", 2)  # warm-up and annealing need an epoch each
        self._number("pct_start", 0.0, 1.0, expected="0 <= pct_start <= 1")
        self._choice("anneal_strategy", ("cos", "linear"))
        self._choice("cycle_momentum", (True, False))
        self._number("base_momentum", 0.0, 1.0, high_open=True, expected="0 <= base_momentum < 1")
        self._number("max_momentum", 0.0, 1.0, high_open=True, expected="0 <= max_momentum < 1")
        self._number("div_factor", 0.0, low_open=True, expected="div_factor > 0 (and finite)")
        self._number("final_div_factor", 0.0, low_open=True, expected="final_div_factor > 0 (and finite)")
        self._choice("three_phase", (True, False))
        T, pct = self.total_steps, self.pct_start
        ends = [float(pct * T) - 1, float(2 * pct * T) - 2, T - 1] if self.three_phase else [float(pct * T) - 1, T - 1]
        if not all(b > a for a, b in zip([0.0, *ends], ends)):
            raise ConfigError(
                f"schedule `one_cycle`: pct_start={pct!r} with total_steps={T} leaves a phase with no "
                f"epochs (phase ends {ends}); use a larger total_steps or a pct_start strictly between "
                f"{1 / T:.3g} and {(T + 1) / (2 * T) if self.three_phase else 1:.3g}."
            )
        self._phases = [
            (ends[0], "initial", "max_lr", self.max_momentum, self.base_momentum),
        ]
        if self.three_phase:
            self._phases += [
                (ends[1], "max_lr", "initial", self.base_momentum, self.max_momentum),
                (ends[2], "initial", "min_lr", self.max_momentum, self.max_momentum),
            ]
        else:
            self._phases += [(ends[1], "max_lr", "min_lr", self.base_momentum, self.max_momentum)]

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _on_start(self, opt: Any) -> None:
        self._target = None
        if self.cycle_momentum:
            if hasattr(opt, "betas"):
                self._target = "betas"
            elif hasattr(opt, "momentum"):
                self._target = "momentum"
            else:
                name = getattr(opt, "name", type(opt).__name__)
                raise ConfigError(
                    f"schedule `one_cycle`: cycle_momentum=True needs an optimizer with `momentum` or "
                    f"`betas`, and `{name}` has neither; use one_cycle(..., cycle_momentum=False)."
                )
        self._apply(opt)

    def _on_step(self, opt: Any, metric: float | None) -> None:
        if self.last_epoch > self.total_steps:
            raise ConfigError(
                f"schedule `one_cycle`: stepped {self.last_epoch} times but total_steps={self.total_steps}; "
                f"set total_steps to at least the number of epochs."
            )
        self._apply(opt)

    def _apply(self, opt: Any) -> None:
        values = {"initial": self.max_lr / self.div_factor, "max_lr": self.max_lr}
        values["min_lr"] = values["initial"] / self.final_div_factor
        k = self.last_epoch
        start_step = 0.0
        for i, (end_step, lr_from, lr_to, m_from, m_to) in enumerate(self._phases):
            if k <= end_step or i == len(self._phases) - 1:
                pct = (k - start_step) / (end_step - start_step)
                opt.lr = self._anneal(values[lr_from], values[lr_to], pct)
                if self._target == "betas":
                    opt.betas = (self._anneal(m_from, m_to, pct), *opt.betas[1:])
                elif self._target == "momentum":
                    opt.momentum = self._anneal(m_from, m_to, pct)
                return
            start_step = end_step


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------

registry: Registry[Schedule] = Registry("schedule")


def get(name: str, **kwargs: Any) -> Schedule:
    """Build a schedule from a name or spec string, e.g. ``get("cosine(T_max=100)")``."""
    name, kwargs = registry.merge_spec(name, kwargs)
    entry = registry.entry(name)
    params = entry.parameters()
    missing = [key for key, p in params.items() if p.required and key not in kwargs]
    if missing and kwargs.keys() <= params.keys():  # unknown keys: the registry's message comes first
        needed = ", ".join(f"`{key}`" for key in missing)
        example = ", ".join(f"{key}=..." for key in missing)
        raise SpecError(f"schedule `{entry.name}` needs {needed}, e.g. {entry.name}({example}).")
    return registry.create(name, **kwargs)


def names() -> list[str]:
    """Every registered schedule name, in registration order."""
    return registry.names()


def spec_of(sched: Schedule) -> str:
    """The spec that rebuilds `sched`: its name and every parameter's value."""
    return registry.resolved_spec(sched.name, sched)


for _cls in (Constant, StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, ReduceLROnPlateau, OneCycleLR):
    registry.register(_cls.name, _cls, summary=_cls.summary)
del _cls
