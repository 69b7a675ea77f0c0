"""The training loop: batches -> forward -> loss gradient -> backward -> optimizer step.

`train` is a generator: it yields one `EpochRecord` per epoch and never prints
or writes anything. Whoever iterates it (the CLI, a notebook, a test) decides
what to do with the records: the sinks in display.py and runs.py only receive them.

Stopping:
- after `epochs` epochs;
- when `should_stop()` returns True after an epoch (Ctrl-C in the CLI);
- on divergence: the epoch's record is yielded, then `DivergenceError` is raised.
  A run diverges when a loss or the gradient norm is NaN/inf, or when the
  training loss has risen for 3 epochs in a row to more than 10x its best
  (positive) value and above where it started.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from lossfit import metrics as metrics_module
from lossfit._typing import Array, Task
from lossfit.errors import DivergenceError

GROWTH_LIMIT = 10.0  # divergence: the loss grew past 10x its best (and above where it started)...
RISING_EPOCHS = 3  # ...while rising for this many epochs in a row (a single noisy spike is not divergence)


@dataclass(frozen=True, slots=True)
class EpochRecord:
    """What one epoch did. `val_loss` is NaN when there is no validation split."""

    epoch: int
    train_loss: float  # mean data loss over the epoch's batches (before each batch's update)
    val_loss: float  # data loss on the validation split after the epoch
    penalty: float  # the regularization term (l2/2)*||w||^2 after the epoch
    metrics: dict[str, float]  # validation metrics (training metrics when there is no split)
    lr: float
    grad_norm: float  # norm of the full gradient (data + penalty) of the epoch's last batch
    seconds: float  # time since training started


class Model(Protocol):
    params: list[Array]
    is_weight: list[bool]

    def forward(self, X: Array) -> Array: ...
    def predict(self, X: Array) -> Array: ...
    def backward(self, d_out: Array) -> list[Array]: ...


class Loss(Protocol):
    def value_and_grad(self, y_pred: Array, y_true: Array) -> tuple[float, Array]: ...
    def predict(self, y_pred: Array) -> Array: ...


class Optimizer(Protocol):
    lr: float

    def step(self, params: list[Array], grads: list[Array]) -> None: ...


@dataclass(frozen=True)
class TrainingData:
    """Arrays the loop needs; targets already in the loss's canonical encoding."""

    X_train: Array
    y_train: Array
    X_val: Array
    y_val: Array
    task: Task


def train(
    model: Model,
    loss: Loss,
    optimizer: Optimizer,
    data: TrainingData,
    *,
    epochs: int,
    rng: np.random.Generator,
    batch_size: int | None = None,
    l2: float = 0.0,
    should_stop: Callable[[], bool] = lambda: False,
) -> Iterator[EpochRecord]:
    """Train `model` in place, yielding one EpochRecord per epoch (see module docstring)."""
    X, y = data.X_train, data.y_train
    n = len(X)
    full_batch = batch_size is None or batch_size >= n
    has_val = len(data.X_val) > 0
    params = model.params
    weights = [p for p, is_weight in zip(params, model.is_weight) if is_weight]
    weight_index = [i for i, is_weight in enumerate(model.is_weight) if is_weight]
    first_loss = best_loss = previous_loss = math.inf
    rising = 0
    start = time.perf_counter()

    for epoch in range(1, epochs + 1):
        if full_batch:
            train_loss, grad_norm, train_out = _step(model, loss, optimizer, X, y, l2, weight_index)
        else:
            order = rng.permutation(n)
            batch_losses = []
            for begin in range(0, n, batch_size):  # type: ignore[arg-type]
                rows = order[begin : begin + batch_size]
                value, grad_norm, _ = _step(model, loss, optimizer, X[rows], y[rows], l2, weight_index)
                batch_losses.append(value)
            train_loss = float(np.mean(batch_losses))
            train_out = None

        if has_val:
            val_out = model.predict(data.X_val)
            val_loss = loss.value_and_grad(val_out, data.y_val)[0]
            epoch_metrics = metrics_module.epoch_metrics(data.task, loss.predict(val_out), data.y_val)
        else:
            val_loss = math.nan
            if train_out is None:
                train_out = model.predict(X)
            epoch_metrics = metrics_module.epoch_metrics(data.task, loss.predict(train_out), y)
        penalty = 0.5 * l2 * sum(float(np.vdot(w, w)) for w in weights) if l2 else 0.0

        record = EpochRecord(
            epoch, train_loss, val_loss, penalty, epoch_metrics, optimizer.lr, grad_norm,
            time.perf_counter() - start,
        )
        yield record

        if not math.isfinite(train_loss + grad_norm + (val_loss if has_val else 0.0)):
            raise DivergenceError(epoch, "the loss or its gradient became NaN or infinite")
        rising = rising + 1 if train_loss > previous_loss else 0
        previous_loss = train_loss
        first_loss = train_loss if epoch == 1 else first_loss
        best_loss = min(best_loss, train_loss)
        if rising >= RISING_EPOCHS and best_loss > 0 and train_loss > max(GROWTH_LIMIT * best_loss, first_loss):
            raise DivergenceError(
                epoch, f"the training loss grew from its best {best_loss:.4g} to {train_loss:.4g}"
            )
        if should_stop():
            return


def _step(
    model: Model, loss: Loss, optimizer: Optimizer, X: Array, y: Array, l2: float, weight_index: list[int]
) -> tuple[float, float, Array]:
    """One gradient step on one batch; returns the batch loss, gradient norm and output."""
    out = model.forward(X)
    value, d_out = loss.value_and_grad(out, y)
    grads = model.backward(d_out)
    if l2:
        for i in weight_index:  # d/dw of (l2/2)*||w||^2 is l2*w; biases are not penalized
            grads[i] += l2 * model.params[i]
    grad_norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    optimizer.step(model.params, grads)
    return float(value), grad_norm, out


def summarize(records: list[EpochRecord]) -> dict[str, Any]:
    """The `final` and `best` parts of metrics.json, from the records of a run."""
    if not records:
        return {"final": None, "best": None}
    last = records[-1]
    final = {"epoch": last.epoch, "train_loss": last.train_loss, "val_loss": _none_if_nan(last.val_loss)}
    final.update(last.metrics)
    key = "val_loss" if not math.isnan(last.val_loss) else "train_loss"
    finite = [r for r in records if math.isfinite(getattr(r, key))]
    best_record = min(finite, key=lambda r: getattr(r, key)) if finite else last
    best = {"epoch": best_record.epoch, "by": key, key: _none_if_nan(getattr(best_record, key))}
    if key == "val_loss":
        best["val_loss"] = best_record.val_loss
    return {"final": final, "best": best}


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else value
