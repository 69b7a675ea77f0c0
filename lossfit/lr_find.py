r"""The learning-rate range test (Smith 2017, "Cyclical learning rates"; fastai's `lr_find`).

A short run from the initial weights in which the learning rate grows
exponentially, one step per batch, while the training loss is recorded after
every step. Where the loss falls fastest is a good learning rate to train with;
where it blows up is too large. Nothing here prints, draws or writes a file.

Notes
-----
The schedule, for steps k = 0, 1, ..., K-1 (K = `steps`)::

    lr_k = start * (end / start) ** (k / (K - 1))     lr_0 = start, lr_{K-1} = end,
                                                      lr_{k+1} / lr_k = (end/start)^(1/(K-1)) for every k

Step k is one optimizer update with lr_k: on the whole training split (full
batch, plain gradient descent) or on the next mini-batch (--batch-size, batches
in the seed's order, a new shuffle every pass). The loss recorded for step k is
the data loss on the whole training split at the weights *after* the update::

    L_k = loss(model_{theta_k}(X_train), y_train)     theta_k = theta_{k-1} - update(lr_k)

(the same figure as `train`'s "train loss" column, exact, not a batch's loss).
The run stops early after the first step whose loss is not finite or exceeds
4 times the best loss so far (L_k > 4 * min(L_{-1}..L_{k-1}), L_{-1} the initial
loss): that step's lr is the *divergence point*.

Smoothing, as fastai (beta = 0.98), an exponential moving average with bias correction::

    a_{-1} = 0,   a_k = beta * a_{k-1} + (1 - beta) * L_k,   S_k = a_k / (1 - beta^(k+1))

Suggested lr, the steepest descent of the smoothed curve against log lr::

    slope_k = (S_k - S_{k-1}) / (ln lr_k - ln lr_{k-1})         k = 1 .. m
    k* = argmin_k slope_k (a slope_k < 0),   suggestion = lr_{k*-1}

where m is the step of the smoothed curve's minimum, the step that stopped the
run left out (so the suggestion lies below the divergence point). Of the two
ends of the steepest interval the lower one, lr_{k*-1}, is returned (fastai's
`steep`). When the smoothed curve never falls there is no suggestion.

The moving average lags the raw curve (with beta = 0.98 it remembers about 50
steps), so its steepest drop comes at a higher lr than the raw curve's. One case
has an exact answer to check against: full-batch gradient descent without
momentum on a quadratic objective (mse on a linear model) converges with a
constant lr iff lr < 2 / lambda_max (`lossfit.api.stable_lr_limit`). The range
test is a transient, and on an ill-conditioned problem the loss can keep
falling past that limit for a while (the unstable direction starts with little
error and grows slowly). So when the limit is known and the steepest point is
at or above it, the suggestion is instead the largest tested lr at or below
1 / lambda_max, the step size that takes the steepest direction to its
minimum in one step (`capped`)::

    suggestion = max { lr_k : lr_k <= 1 / lambda_max }      if lr_{k*} >= 2 / lambda_max
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from lossfit import api, training
from lossfit._typing import Array
from lossfit.errors import ConfigError

BETA = 0.98  # fastai's smoothing of the loss
DIVERGENCE_FACTOR = 4.0  # stop once the loss exceeds this many times its best (fastai, Smith)
DEFAULT_START, DEFAULT_END, DEFAULT_STEPS = 1e-7, 10.0, 100
MAX_STEPS = 100_000
RULE = "steepest descent of the smoothed loss"
CAPPED_RULE = "largest tested lr <= 1/lambda_max (the steepest descent lay beyond the stability limit)"


@dataclass(frozen=True)
class LRFindResult:
    """What a range test measured. Arrays have one entry per step taken (fewer than `steps` after a stop).

    `losses[k]` is the training loss after the update with `lrs[k]`; `smoothed[k]` its moving average
    (NaN where the loss was not finite). `stop` is "completed", "diverged" (loss above 4x its best) or
    "non-finite"; `divergence_lr` is the lr of the step that stopped the run (None if it completed).
    `suggestion_index` indexes `lrs` (None: the loss never fell). `stability_limit` is 2/lambda_max
    when it applies (`stability_limit`), else None.
    """

    lrs: Array
    losses: Array
    smoothed: Array
    initial_loss: float
    steps: int  # steps planned
    start_lr: float
    end_lr: float
    stop: str
    suggestion_index: int | None
    stability_limit: float | None
    lambda_max: float | None
    steepest_index: int | None = None  # the steepest descent of the smoothed loss, before any cap

    @property
    def capped(self) -> bool:
        """The steepest point lay at or beyond the stability limit, so about 1/lambda_max is suggested instead."""
        return self.suggestion_index != self.steepest_index

    @property
    def suggestion(self) -> float | None:
        return None if self.suggestion_index is None else float(self.lrs[self.suggestion_index])

    @property
    def divergence_lr(self) -> float | None:
        return None if self.stop == "completed" else float(self.lrs[-1])

    @property
    def best_index(self) -> int:
        """The step of the lowest raw loss."""
        finite = np.where(np.isfinite(self.losses), self.losses, np.inf)
        return int(np.argmin(finite))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (non-finite losses become null)."""
        def clean(values: Array) -> list[float | None]:
            return [float(v) if math.isfinite(v) else None for v in values]

        return {
            "start_lr": self.start_lr, "end_lr": self.end_lr, "steps_planned": self.steps,
            "steps_taken": len(self.lrs), "stop": self.stop, "divergence_lr": self.divergence_lr,
            "initial_loss": self.initial_loss if math.isfinite(self.initial_loss) else None,
            "suggestion": self.suggestion, "rule": RULE if not self.capped else CAPPED_RULE,
            "steepest": None if self.steepest_index is None else float(self.lrs[self.steepest_index]),
            "stability_limit": self.stability_limit, "lambda_max": self.lambda_max,
            "lrs": [float(v) for v in self.lrs], "losses": clean(self.losses), "smoothed": clean(self.smoothed),
        }


def round_down(lr: float, digits: int = 3) -> float:
    """`lr` cut (never rounded up) to `digits` significant digits: what is printed and suggested.

    >>> round_down(0.11497), round_down(2.0)
    (0.114, 2.0)
    """
    if not (math.isfinite(lr) and lr > 0):
        return lr
    scale = 10.0 ** (math.floor(math.log10(lr)) - digits + 1)
    cut = math.floor(lr / scale * (1 + 1e-12)) * scale
    return float(f"{cut:.{digits}g}")


def check_range(start_lr: float, end_lr: float, steps: int) -> None:
    """ConfigError (one line, with the fix) unless 0 < start_lr < end_lr, both finite, and 2 <= steps."""
    for flag, value in (("--start-lr", start_lr), ("--end-lr", end_lr)):
        if not (math.isfinite(value) and value > 0):
            raise ConfigError(f"{flag} must be a positive finite learning rate, got {value:g}. "
                              f"Try the defaults: --start-lr {DEFAULT_START:g} --end-lr {DEFAULT_END:g}.")
    if start_lr >= end_lr:
        raise ConfigError(f"--start-lr {start_lr:g} must be below --end-lr {end_lr:g}: the learning rate grows "
                          f"from start to end. Swap them, or try --start-lr {DEFAULT_START:g} --end-lr {DEFAULT_END:g}.")
    if not 2 <= steps <= MAX_STEPS:
        raise ConfigError(f"--steps must be between 2 and {MAX_STEPS:,} (one lr per step, start and end included), "
                          f"got {steps}. Try --steps {DEFAULT_STEPS}.")


def lr_schedule(start_lr: float, end_lr: float, steps: int) -> Array:
    """lr_k = start * (end/start)^(k/(steps-1)), k = 0..steps-1: exponential, both ends exact.

    >>> [f"{lr:g}" for lr in lr_schedule(0.01, 1.0, 3)]
    ['0.01', '0.1', '1']
    """
    check_range(start_lr, end_lr, steps)
    k = np.arange(steps, dtype=np.float64)
    lrs = start_lr * np.exp(k / (steps - 1) * math.log(end_lr / start_lr))
    lrs[0], lrs[-1] = start_lr, end_lr
    return lrs


def smooth(losses: Array, beta: float = BETA) -> Array:
    """Exponential moving average with bias correction: S_k = a_k / (1 - beta^(k+1)) (module Notes).

    Non-finite losses are left out (NaN in the result); the average carries on over them.

    >>> smooth(np.array([4.0, 4.0, 1.0]), beta=0.5).tolist()
    [4.0, 4.0, 2.2857142857142856]
    """
    out = np.full(len(losses), np.nan)
    average, count = 0.0, 0
    for k, value in enumerate(losses):
        if not math.isfinite(float(value)):
            continue
        count += 1
        average = beta * average + (1 - beta) * float(value)
        out[k] = average / (1 - beta**count)
    return out


def suggest(lrs: Array, smoothed: Array) -> int | None:
    """Index of the suggested lr: the lower end of the steepest falling interval of the smoothed loss
    against ln lr, searched up to the smoothed minimum (module Notes); None if it never falls.

    >>> suggest(np.array([0.01, 0.1, 1.0, 10.0]), np.array([5.0, 4.0, 1.0, 9.0]))
    1
    """
    finite = np.flatnonzero(np.isfinite(smoothed))
    if len(finite) < 2:
        return None
    last = int(finite[np.argmin(smoothed[finite])])  # the search stops at the smoothed minimum
    index = finite[finite <= last]
    if len(index) < 2:
        return None
    slopes = np.diff(smoothed[index]) / np.diff(np.log(lrs[index]))
    steepest = int(np.argmin(slopes))
    if not slopes[steepest] < 0:
        return None
    return int(index[steepest])


def stability_limit(prepared: api.Prepared) -> float | None:
    """2/lambda_max for full-batch gradient descent without momentum on a quadratic objective, else None.

    `api.stable_lr_limit` also knows heavy-ball momentum's 2(1 + mu)/lambda_max, but a range test
    with momentum stops on the overshoots of an underdamped run long before that limit, so the
    line would mislead: it is drawn for plain gradient descent only.
    """
    if getattr(prepared.optimizer, "momentum", 0.0):
        return None
    return api.stable_lr_limit(prepared)  # None unless mse on a linear model, full batch, no l1, plain sgd


def find(prepared: api.Prepared, start_lr: float = DEFAULT_START, end_lr: float = DEFAULT_END,
         steps: int = DEFAULT_STEPS, beta: float = BETA) -> LRFindResult:
    """Run the range test on a prepared run (its model is trained in place from its initial weights).

    Same seed, same numbers: the batches come from the run's own batch stream.
    """
    lrs_planned = lr_schedule(start_lr, end_lr, steps)
    config, data = prepared.config, prepared.data
    model, optimizer = prepared.model, prepared.optimizer
    limit = stability_limit(prepared)
    reg = training.Regularization(config.l2, config.l1, config.clip_grad)
    weight_index = [i for i, is_weight in enumerate(model.is_weight) if is_weight]
    stepper = training.Stepper(model, prepared.loss, optimizer, reg, weight_index)
    X, y, w = data.X_train, data.y_train, data.w_train
    n = len(X)
    batch = config.batch_size if config.batch_size is not None and config.batch_size < n else None
    rng = np.random.default_rng([config.seed, api.STREAM_BATCHES])
    order: np.ndarray[Any, np.dtype[np.int64]] | None = None
    position = 0

    def full_loss() -> float:
        return float(prepared.loss.value(model.predict(X), y, w))

    losses: list[float] = []
    stop = "completed"
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        initial = full_loss()
        best = initial
        for lr in lrs_planned:
            optimizer.lr = float(lr)
            if batch is None:
                _, d_out, _ = stepper.loss(X, y, w)
            else:
                if order is None or position >= n:
                    order, position = rng.permutation(n), 0
                rows = order[position: position + batch]
                position += batch
                _, d_out, _ = stepper.loss(X[rows], y[rows], None if w is None else w[rows])
            stepper.update(d_out)
            value = full_loss()
            losses.append(value)
            if not math.isfinite(value):
                stop = "non-finite"
                break
            if value > DIVERGENCE_FACTOR * best:
                stop = "diverged"
                break
            best = min(best, value)
    lrs = lrs_planned[: len(losses)].copy()
    loss_array = np.asarray(losses, dtype=np.float64)
    smoothed = smooth(loss_array, beta)
    index, steepest = choose(lrs, smoothed, stopped=stop != "completed", limit=limit)
    return LRFindResult(
        lrs=lrs, losses=loss_array, smoothed=smoothed, initial_loss=initial, steps=steps, start_lr=start_lr,
        end_lr=end_lr, stop=stop, suggestion_index=index, stability_limit=limit,
        lambda_max=prepared.lambda_max if limit is not None else None, steepest_index=steepest,
    )


def choose(lrs: Array, smoothed: Array, stopped: bool, limit: float | None) -> tuple[int | None, int | None]:
    """(suggested index, steepest index): `suggest` without the step that stopped the run (so the
    suggestion lies below the divergence point), then `cap` when the steepest lr is at or past `limit`.

    >>> lrs, smoothed = np.array([0.01, 0.1, 1.0, 10.0]), np.array([5.0, 4.9, 4.0, 0.5])
    >>> choose(lrs, smoothed, stopped=False, limit=None), choose(lrs, smoothed, stopped=True, limit=None)
    ((2, 2), (1, 1))
    >>> choose(lrs, smoothed, stopped=True, limit=0.1)
    (0, 1)
    """
    searched = len(lrs) - stopped
    steepest = suggest(lrs[:searched], smoothed[:searched])
    if limit is not None and steepest is not None and lrs[steepest] >= limit:
        return cap(lrs, limit), steepest
    return steepest, steepest


def cap(lrs: Array, limit: float) -> int | None:
    """Index of the largest tested lr at or below limit/2 = 1/lambda_max; None if every lr is above it.

    >>> cap(np.array([0.1, 0.2, 0.4, 0.8]), 0.5)
    1
    """
    below = np.flatnonzero(lrs <= limit / 2)
    return int(below[-1]) if len(below) else None
