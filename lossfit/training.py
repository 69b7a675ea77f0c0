"""The training loop: batches -> forward -> loss gradient -> backward -> optimizer step.

`train` is a generator: it yields one `EpochRecord` per epoch and never prints
or writes anything. Whoever iterates it (the CLI, a notebook, a test) decides
what to do with the records: the sinks in display.py and runs.py only receive
them. Its return value (`StopIteration.value`) says why it stopped.

Per batch, with w the weights (not the biases) of the model::

    objective  = loss(out, y) + (l2/2)*||w||^2 + l1*||w||_1
    gradient   = d loss/d params + l2*w + l1*sign(w)      (sign(0) = 0: a subgradient)
    if clip_grad and ||gradient|| > clip_grad: gradient *= clip_grad / ||gradient||
    optimizer.step(params, gradient)

Stopping:
- "completed" after `epochs` epochs;
- "early_stopped" when the monitored loss (validation, else training) has not
  improved by more than `min_delta` for `early_stopping` epochs; the best
  weights are restored;
- "interrupted" when `should_stop()` returns True after an epoch (Ctrl-C);
- divergence: the epoch's record is yielded, then `DivergenceError` is raised.
  A run diverges when a loss or the gradient norm is NaN/inf, or when the
  training loss has risen for 3 epochs in a row to more than 10x its best
  (positive) value and 10x its first value. (Momentum makes the loss swing
  far above its best on the way down; it rarely climbs 10x above the start.)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from lossfit import metrics as metrics_module
from lossfit._typing import Array, Task
from lossfit.errors import DivergenceError

GROWTH_LIMIT = 10.0  # divergence: the loss grew past 10x its best and 10x where it started...
RISING_EPOCHS = 3  # ...while rising for this many epochs in a row (a single noisy spike is not divergence)


@dataclass(frozen=True, slots=True)
class EpochRecord:
    """What one epoch did. `val_loss` is NaN when there is no validation split."""

    epoch: int
    train_loss: float  # mean data loss over the epoch's batches (each before its update)
    val_loss: float  # data loss on the validation split after the epoch
    penalty: float  # the regularization term (l2/2)*||w||^2 + l1*||w||_1 after the epoch
    metrics: dict[str, float]  # validation metrics (training metrics when there is no split)
    lr: float  # the learning rate used in this epoch
    grad_norm: float  # norm of the full gradient (data + penalty, before clipping), last batch
    seconds: float  # time since training started


class Model(Protocol):
    params: list[Array]
    is_weight: list[bool]

    def forward(self, X: Array) -> Array: ...
    def predict(self, X: Array) -> Array: ...
    def backward(self, d_out: Array) -> list[Array]: ...


class Loss(Protocol):
    def value_and_grad(
        self, y_pred: Array, y_true: Array, sample_weight: Array | None = None
    ) -> tuple[float, Array]: ...
    def value(self, y_pred: Array, y_true: Array, sample_weight: Array | None = None) -> float: ...
    def predict(self, y_pred: Array) -> Array: ...


class Optimizer(Protocol):
    lr: float

    def step(self, params: list[Array], grads: list[Array]) -> None: ...


class Schedule(Protocol):
    def start(self, opt: Any) -> None: ...
    def step(self, opt: Any, metric: float | None = None) -> None: ...


@dataclass(frozen=True)
class TrainingData:
    """Arrays the loop needs; targets already in the loss's canonical encoding.

    `w_train`/`w_val` are per-sample weights (class weights), or None.
    """

    X_train: Array
    y_train: Array
    X_val: Array
    y_val: Array
    task: Task
    w_train: Array | None = None
    w_val: Array | None = None


@dataclass(frozen=True)
class Regularization:
    """Penalties on the weights (never the biases) and gradient clipping."""

    l2: float = 0.0
    l1: float = 0.0
    clip_grad: float = 0.0  # 0: no clipping


def train(
    model: Model,
    loss: Loss,
    optimizer: Optimizer,
    data: TrainingData,
    *,
    epochs: int,
    rng: np.random.Generator,
    batch_size: int | None = None,
    regularization: Regularization = Regularization(),
    schedule: Schedule | None = None,
    early_stopping: int = 0,
    min_delta: float = 0.0,
    should_stop: Callable[[], bool] = lambda: False,
) -> Generator[EpochRecord, None, str]:
    """Train `model` in place, yielding one EpochRecord per epoch (see module docstring)."""
    X, y, w = data.X_train, data.y_train, data.w_train
    n = len(X)
    full_batch = batch_size is None or batch_size >= n
    has_val = len(data.X_val) > 0
    weight_index = [i for i, is_weight in enumerate(model.is_weight) if is_weight]
    step = _Stepper(model, loss, optimizer, regularization, weight_index)
    score = metrics_module.epoch_scorer(data.task, data.y_val if has_val else y)
    first_loss = best_loss = previous_loss = math.inf
    rising = 0
    best_monitored = reference = math.inf
    improved_epoch, best_params = 0, None
    if schedule is not None:
        schedule.start(optimizer)
    start = time.perf_counter()

    for epoch in range(1, epochs + 1):
        lr = optimizer.lr
        if full_batch:
            train_loss, grad_norm, train_out = step(X, y, w)
        else:
            order = rng.permutation(n)
            total = 0.0
            for begin in range(0, n, batch_size):  # type: ignore[arg-type]
                rows = order[begin : begin + batch_size]
                value, grad_norm, _ = step(X[rows], y[rows], None if w is None else w[rows])
                total += value
            train_loss = total / math.ceil(n / batch_size)  # type: ignore[operator]
            train_out = None

        if has_val:
            val_out = model.predict(data.X_val)
            val_loss = loss.value(val_out, data.y_val, data.w_val)
            epoch_metrics = score(loss.predict(val_out))
        else:
            val_loss = math.nan
            if train_out is None:
                train_out = model.predict(X)
            epoch_metrics = score(loss.predict(train_out))

        yield EpochRecord(
            epoch, train_loss, val_loss, step.penalty(), epoch_metrics, lr, grad_norm,
            time.perf_counter() - start,
        )

        if not math.isfinite(train_loss + grad_norm + (val_loss if has_val else 0.0)):
            raise DivergenceError(epoch, "the loss or its gradient became NaN or infinite")
        rising = rising + 1 if train_loss > previous_loss else 0
        previous_loss = train_loss
        first_loss = train_loss if epoch == 1 else first_loss
        best_loss = min(best_loss, train_loss)
        if rising >= RISING_EPOCHS and best_loss > 0 and train_loss > GROWTH_LIMIT * max(best_loss, first_loss):
            raise DivergenceError(
                epoch, f"the training loss grew from its best {best_loss:.4g} to {train_loss:.4g}"
            )

        monitored = val_loss if has_val else train_loss
        if early_stopping:
            if monitored < best_monitored:  # keep the best weights seen...
                best_monitored, best_params = monitored, [p.copy() for p in model.params]
            if monitored < reference - min_delta:  # ...but only improvements > min_delta reset the patience
                reference, improved_epoch = monitored, epoch
            elif epoch - improved_epoch >= early_stopping:
                for p, best in zip(model.params, best_params or []):
                    p[...] = best
                return "early_stopped"
        if schedule is not None and epoch < epochs:  # sets the lr of the next epoch
            schedule.step(optimizer, monitored)
        if should_stop() and epoch < epochs:
            return "interrupted"
    return "completed"


class _Stepper:
    """One gradient step on one batch: forward, loss, backward, penalties, clipping, update."""

    def __init__(self, model: Model, loss: Loss, optimizer: Optimizer, reg: Regularization,
                 weight_index: list[int]) -> None:
        self.model, self.loss, self.optimizer, self.reg = model, loss, optimizer, reg
        self.weights = [model.params[i] for i in weight_index]
        self.weight_index = weight_index

    def __call__(self, X: Array, y: Array, w: Array | None) -> tuple[float, float, Array]:
        """Returns the batch's data loss (before the update), the gradient norm and the output."""
        model, reg = self.model, self.reg
        out = model.forward(X)
        value, d_out = self.loss.value_and_grad(out, y, w)
        grads = model.backward(d_out)
        if reg.l2:
            for i in self.weight_index:  # d/dw (l2/2)*||w||^2 = l2*w
                grads[i] += reg.l2 * model.params[i]
        if reg.l1:
            for i in self.weight_index:  # a subgradient of l1*||w||_1: l1*sign(w), 0 at w = 0
                grads[i] += reg.l1 * np.sign(model.params[i])
        grad_norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
        if reg.clip_grad and grad_norm > reg.clip_grad:
            scale = reg.clip_grad / grad_norm
            for g in grads:
                g *= scale
        self.optimizer.step(model.params, grads)
        return float(value), grad_norm, out

    def penalty(self) -> float:
        reg = self.reg
        total = 0.0
        if reg.l2:
            total += 0.5 * reg.l2 * sum(float(np.vdot(w, w)) for w in self.weights)
        if reg.l1:
            total += reg.l1 * sum(float(np.abs(w).sum()) for w in self.weights)
        return total


def summarize(records: list[EpochRecord]) -> dict[str, Any]:
    """The `final` and `best` parts of metrics.json, from the records of a run."""
    if not records:
        return {"final": None, "best": None}
    last = records[-1]
    final = {"epoch": last.epoch, "train_loss": last.train_loss, "val_loss": _none_if_nan(last.val_loss),
             "penalty": last.penalty}
    final.update(last.metrics)
    key = "val_loss" if not math.isnan(last.val_loss) else "train_loss"
    finite = [r for r in records if math.isfinite(getattr(r, key))]
    best_record = min(finite, key=lambda r: getattr(r, key)) if finite else last
    best = {"epoch": best_record.epoch, "by": key, key: getattr(best_record, key)}
    return {"final": final, "best": best}


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else value
