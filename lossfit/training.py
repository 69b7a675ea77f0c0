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

What a record describes:
- full batch (plain gradient descent): every figure of epoch e (train and
  validation loss, metrics, penalty, gradient norm) is measured at the weights
  the epoch starts from, i.e. after e - 1 updates; then the update is made;
- mini-batches: the train loss and gradient norm are means over the epoch's
  batches (each measured before its update); validation loss, metrics and
  penalty describe the weights at the end of the epoch.

Stopping:
- "completed" after `epochs` epochs;
- "early_stopped" when the monitored loss (validation, else training) has not
  improved by more than `min_delta` for `early_stopping` epochs; the weights
  of the best monitored epoch are restored (also when the run completes);
- "interrupted" when `should_stop()` turns true (Ctrl-C), checked after every batch:
  a run stopped inside an epoch keeps the updates of its finished batches, and the
  epoch gets no record (`Outcome.partial` says how far it got); should_stop() may
  return the status to end with instead ("terminated" for SIGTERM);
- divergence: the epoch's record is yielded, then `DivergenceError` is raised,
  when a loss or the gradient norm is NaN/inf, or when the training loss stays
  above 10x both its best and its first value for 5 epochs in a row.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from lossfit import metrics as metrics_module
from lossfit._typing import Array, Targets, Task
from lossfit.errors import DivergenceError

if TYPE_CHECKING:
    from lossfit.record_log import RecordLog

GROWTH_LIMIT = 10.0  # divergence: the loss stays above 10x its best and 10x where it started...
DIVERGED_EPOCHS = 5  # ...for this many epochs in a row (momentum can swing that high for an epoch or two)


@dataclass(slots=True)
class EpochRecord:
    """What one epoch did. `val_loss` is NaN when there is no validation split.

    Every sink receives the same record: treat it as read-only. (Not a frozen dataclass:
    its constructor would cost 1.4 us instead of 0.35, a tenth of a tiny epoch.)
    """

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
        self, y_pred: Array, y_true: Targets, sample_weight: Array | None = None
    ) -> tuple[float, Array]: ...
    def value(self, y_pred: Array, y_true: Targets, sample_weight: Array | None = None) -> float: ...
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
    y_train: Targets
    X_val: Array
    y_val: Targets
    task: Task
    w_train: Array | None = None
    w_val: Array | None = None


@dataclass(frozen=True)
class Outcome:
    """Why training stopped, and which epoch's weights the model holds if not the last one's."""

    status: str  # "completed", "early_stopped", "interrupted" (or the status should_stop() returned)
    restored_epoch: int | None  # early stopping restored the weights described by this epoch's record
    restored: EpochRecord | None = None  # ...and that record
    partial: tuple[int, int, int] | None = None  # stopped inside an epoch: (epoch, batches done, batches)


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
    should_stop: Callable[[], bool | str] = lambda: False,
) -> Generator[EpochRecord, None, Outcome]:
    """Train `model` in place, yielding one EpochRecord per epoch (see module docstring)."""
    X, y, w = data.X_train, data.y_train, data.w_train
    n = len(X)
    full_batch = batch_size is None or batch_size >= n
    has_val = len(data.X_val) > 0
    weight_index = [i for i, is_weight in enumerate(model.is_weight) if is_weight]
    step = Stepper(model, loss, optimizer, regularization, weight_index)
    score = metrics_module.epoch_scorer(data.task, data.y_val if has_val else y)
    watch = _DivergenceWatch()
    best_monitored = reference = math.inf
    improved_epoch, best_epoch, best_params = 0, 0, None
    best_record: EpochRecord | None = None
    if schedule is not None:
        schedule.start(optimizer)
    start = time.perf_counter()

    for epoch in range(1, epochs + 1):
        lr = optimizer.lr
        if full_batch:
            # Every number of this row describes the same weights: those the epoch starts from.
            train_loss, d_out, train_out = step.loss(X, y, w)
            val_loss, epoch_metrics = _evaluate(model, loss, data, score, has_val, train_out)
            penalty = step.penalty()
            monitored = val_loss if has_val else train_loss
            if early_stopping and monitored < best_monitored:
                best_monitored, best_epoch, best_params = monitored, epoch, [p.copy() for p in model.params]
            grad_norm = step.update(d_out)
        else:
            # Mini-batches: the train loss is the mean over the epoch's batches (each before its
            # update); the validation figures describe the weights at the end of the epoch.
            assert batch_size is not None  # full_batch is False only when a batch size is given
            order = rng.permutation(n)
            total_loss = total_norm = 0.0
            batches = 0
            for begin in range(0, n, batch_size):
                rows = order[begin : begin + batch_size]
                value, d_out, _ = step.loss(X[rows], y[rows], None if w is None else w[rows])
                total_norm += step.update(d_out)
                total_loss += value
                batches += 1
                if begin + batch_size < n and should_stop():
                    return Outcome(_stop_status(should_stop()), None, partial=(epoch, batches, -(-n // batch_size)))
            train_loss, grad_norm = total_loss / batches, total_norm / batches
            val_loss, epoch_metrics = _evaluate(model, loss, data, score, has_val, None)
            penalty = step.penalty()
            monitored = val_loss if has_val else epoch_metrics.pop("_loss")
            if early_stopping and monitored < best_monitored:
                best_monitored, best_epoch, best_params = monitored, epoch, [p.copy() for p in model.params]

        record = EpochRecord(epoch, train_loss, val_loss, penalty, epoch_metrics, lr, grad_norm,
                             time.perf_counter() - start)
        if best_epoch == epoch:
            best_record = record
        yield record

        watch.check(epoch, train_loss, grad_norm, val_loss)
        if early_stopping:
            if monitored < reference - min_delta:  # only improvements > min_delta reset the patience
                reference, improved_epoch = monitored, epoch
            elif epoch - improved_epoch >= early_stopping and epoch < epochs:
                _restore(model, best_params)
                return Outcome("early_stopped", best_epoch, best_record)
        if schedule is not None and epoch < epochs:  # sets the lr of the next epoch
            schedule.step(optimizer, monitored)
        if should_stop() and epoch < epochs:
            return Outcome(_stop_status(should_stop()), None)
    if early_stopping and best_params is not None:  # the last epoch may not be the best one
        _restore(model, best_params)
        return Outcome("completed", best_epoch, best_record)
    return Outcome("completed", None)


def _stop_status(said: bool | str) -> str:
    return said if isinstance(said, str) and said else "interrupted"


def _restore(model: Model, saved: list[Array] | None) -> None:
    for p, best in zip(model.params, saved or []):
        p[...] = best


def _evaluate(
    model: Model, loss: Loss, data: TrainingData, score: Callable[[Array], dict[str, float]], has_val: bool,
    train_out: Array | None,
) -> tuple[float, dict[str, float]]:
    """Validation loss and metrics; without a split, training metrics (and "_loss" for mini-batches).

    The metrics of predictions that overflowed are NaN (`metrics.epoch_scorer`); the
    divergence check reports the run.
    """
    if has_val:
        val_out = model.predict(data.X_val)
        return loss.value(val_out, data.y_val, data.w_val), score(loss.predict(val_out))
    if train_out is not None:
        return math.nan, score(loss.predict(train_out))
    train_out = model.predict(data.X_train)
    epoch_metrics = score(loss.predict(train_out))
    epoch_metrics["_loss"] = loss.value(train_out, data.y_train, data.w_train)
    return math.nan, epoch_metrics


class _DivergenceWatch:
    """Stops a run whose loss became NaN/inf, or stayed far above where it started.

    "Far above" is GROWTH_LIMIT times both its best and its first value, for
    DIVERGED_EPOCHS epochs in a row: momentum can swing the loss that high for an
    epoch or two on its way to the optimum, a diverging run stays there.
    """

    def __init__(self) -> None:
        self.first = self.best = math.inf
        self.high_epochs = 0

    def check(self, epoch: int, train_loss: float, grad_norm: float, val_loss: float) -> None:
        if not math.isfinite(train_loss + grad_norm + (0.0 if math.isnan(val_loss) else val_loss)):
            raise DivergenceError(epoch, "the loss or its gradient became NaN or infinite")
        if epoch == 1:
            self.first = train_loss
        self.best = min(self.best, train_loss)
        reference = max(self.best, self.first)
        self.high_epochs = self.high_epochs + 1 if reference > 0 and train_loss > GROWTH_LIMIT * reference else 0
        if self.high_epochs >= DIVERGED_EPOCHS:
            best = f" (best {self.best:.4g})" if self.best < self.first else ""
            raise DivergenceError(
                epoch, f"the training loss grew from {self.first:.4g}{best} to {train_loss:.4g} "
                f"and stayed above {GROWTH_LIMIT:g}x for {DIVERGED_EPOCHS} epochs"
            )


class Stepper:
    """One gradient step on one batch, in two halves: `loss` (forward) and `update` (backward, step)."""

    def __init__(self, model: Model, loss: Loss, optimizer: Optimizer, reg: Regularization,
                 weight_index: list[int]) -> None:
        self.model, self.loss_fn, self.optimizer, self.reg = model, loss, optimizer, reg
        self.weights = [model.params[i] for i in weight_index]
        self.weight_index = weight_index

    def loss(self, X: Array, y: Targets, w: Array | None) -> tuple[float, Array, Array]:
        """The batch's data loss, its gradient with respect to the output, and the output."""
        out = self.model.forward(X)
        value, d_out = self.loss_fn.value_and_grad(out, y, w)
        return float(value), d_out, out

    def update(self, d_out: Array) -> float:
        """Backward pass, penalties, clipping and the optimizer step; returns the gradient norm."""
        model, reg = self.model, self.reg
        grads = model.backward(d_out)
        if reg.l2:
            for i in self.weight_index:  # d/dw (l2/2)*||w||^2 = l2*w
                grads[i] += reg.l2 * model.params[i]
        if reg.l1:
            for i in self.weight_index:  # a subgradient of l1*||w||_1: l1*sign(w), 0 at w = 0
                grads[i] += reg.l1 * np.sign(model.params[i])
        squares = 0.0
        for g in grads:
            squares += float(np.vdot(g, g))
        grad_norm = math.sqrt(squares)
        if reg.clip_grad and grad_norm > reg.clip_grad:
            scale = reg.clip_grad / grad_norm
            for g in grads:
                g *= scale
        self.optimizer.step(model.params, grads)
        return grad_norm

    def penalty(self) -> float:
        reg = self.reg
        total = 0.0
        if reg.l2:
            total += 0.5 * reg.l2 * sum(float(np.vdot(w, w)) for w in self.weights)
        if reg.l1:
            total += reg.l1 * sum(float(np.abs(w).sum()) for w in self.weights)
        return total


def final_state(model: Model, loss: Loss, data: TrainingData, regularization: Regularization = Regularization()
                ) -> dict[str, Any]:
    """Every figure of the weights the model holds now: what "final" means everywhere in lossfit.

    The summary, metrics.json's `final` and `final_metrics`, the fitted line and
    the plots all describe the weights a run returns: after its last update, or
    the ones early stopping restored. A history row cannot always say that (with
    full batches it is measured *before* its epoch's update; with mini-batches its
    train loss is a mean along the way), so this measures them afresh:

        train_loss = loss(model(X_train), y_train)     val_loss likewise (None without a split)
        penalty    = (l2/2)*||w||^2 + l1*||w||_1       metrics: the history's, on validation (else training)
    """
    train_out = model.predict(data.X_train)
    has_val = len(data.X_val) > 0
    val_out = model.predict(data.X_val) if has_val else train_out
    weights = [p for p, is_weight in zip(model.params, model.is_weight) if is_weight]
    reg = regularization
    penalty = 0.5 * reg.l2 * sum(float(np.vdot(w, w)) for w in weights) + reg.l1 * sum(
        float(np.abs(w).sum()) for w in weights)
    score = metrics_module.epoch_scorer(data.task, data.y_val if has_val else data.y_train)
    return {
        "train_loss": float(loss.value(train_out, data.y_train, data.w_train)),
        "val_loss": float(loss.value(val_out, data.y_val, data.w_val)) if has_val else None,
        "penalty": penalty,
        **score(loss.predict(val_out)),
    }


def summarize(log: RecordLog, restored: EpochRecord | None = None,
              final_figures: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `final` and `best` parts of metrics.json, from the records of a run.

    `final` describes the weights the model ends with (`final_state`, given as
    `final_figures`; without it, the last record's figures): after the last epoch,
    or those of the epoch early stopping restored (`restored`; `final["epoch"]`
    says which). `best` is the epoch of the lowest validation loss (training loss
    without a split).
    """
    if log.last is None:  # stopped inside the first epoch: the weights may still have moved
        return {"final": None if final_figures is None else {"epoch": 0, **final_figures}, "best": None}
    last = restored or log.last
    final: dict[str, Any] = {"epoch": last.epoch}
    if final_figures is not None:
        final.update(final_figures)
    else:
        final.update({"train_loss": last.train_loss, "val_loss": _none_if_nan(last.val_loss),
                      "penalty": last.penalty, **last.metrics})
    key = "val_loss" if not math.isnan(last.val_loss) else "train_loss"
    best_record = log.best.get(key, last)
    best = {"epoch": best_record.epoch, "by": key, key: getattr(best_record, key)}
    return {"final": final, "best": best}


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else value
