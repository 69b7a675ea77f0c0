"""End-of-run diagnostics that teach: what the history says about how training went, and what to change.

Each finding is one line for the user and one entry of metrics.json's
`diagnostics`. They read the records (and the run's settings), never the data:

- `still_improving`: the training loss was still falling at the end. Over the
  last window (10% of the epochs, at least 5) it fell by more than 1% of its
  value, or by more than 2% of the whole run's progress. Quiet for a classifier
  that already gets every training point right: on separable data a logistic
  loss creeps towards zero for ever.
- `oscillating`: full-batch training of a smooth loss whose loss stopped falling
  while its gradient did not vanish (still above 1% of its first value), or whose
  loss zig-zags up and down without the swings shrinking. Gradient descent is
  bouncing between two points: the edge of stability, lr = 2/lambda_max on a
  quadratic. (Mini-batch noise and the kinks of MAE or hinge bounce by design.)
- `schedule_period`: a cosine schedule whose T_max is shorter than the run sends
  the learning rate back up (the cosine is periodic).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lossfit.training import EpochRecord

WINDOW = 0.1  # the last 10% of the epochs...
MIN_WINDOW = 5  # ...but at least this many
STILL_FALLING = 0.01  # relative fall over the window that counts as "still improving"
PROGRESS_SHARE = 0.02  # or this share of the run's whole progress
FLAT = 1e-6  # relative change over the window that counts as "stopped"
GRADIENT_LEFT = 0.01  # a gradient norm above this share of its first value has not vanished


@dataclass(frozen=True)
class Diagnostic:
    kind: str  # "still_improving", "oscillating", "schedule_period"
    message: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


def diagnose(prepared: Any, records: Sequence[EpochRecord], status: str,
             stable_lr: Callable[[], float | None] = lambda: None) -> list[Diagnostic]:
    """The findings for a finished run (none for a diverged, failed or too short one).

    `stable_lr()` gives the exact stability limit of gradient descent when the
    problem is quadratic (api.stable_lr_limit), asked only when it is needed.
    """
    if status not in ("completed", "early_stopped", "interrupted", "terminated") or not records:
        return []
    found = [_oscillating(prepared, records, stable_lr) or _still_improving(prepared, records),
             _schedule_period(prepared)]
    return [d for d in found if d is not None]


def _window(records: Sequence[EpochRecord]) -> int | None:
    """The window in epochs (records may be a sample of a long run: record_log.RecordLog)."""
    epochs = records[-1].epoch
    span = max(MIN_WINDOW, int(epochs * WINDOW))
    return span if epochs > span else None


def _since(records: Sequence[EpochRecord], epoch: int) -> Sequence[EpochRecord]:
    """The records from the last one at or before `epoch` to the end."""
    start = len(records) - 1
    while start > 0 and records[start].epoch > epoch:
        start -= 1
    return records[start:]


def _consecutive_tail(records: Sequence[EpochRecord]) -> Sequence[EpochRecord]:
    """The longest run of consecutive epochs at the end (all of them unless the log was thinned)."""
    start = len(records) - 1
    while start > 0 and records[start - 1].epoch == records[start].epoch - 1:
        start -= 1
    return records[start:]


def _still_improving(prepared: Any, records: Sequence[EpochRecord]) -> Diagnostic | None:
    span = _window(records)
    if span is None:
        return None
    window = _since(records, records[-1].epoch - span)
    first, before, last = records[0].train_loss, window[0].train_loss, records[-1].train_loss
    if not all(math.isfinite(v) for v in (first, before, last)) or before <= last:
        return None
    fall = (before - last) / abs(last) if last else math.inf
    share = (before - last) / (first - last) if first > last else 0.0
    if last == 0 or (fall <= STILL_FALLING and share <= PROGRESS_SHARE):
        return None
    if prepared.data.task != "regression" and _fits_every_training_point(prepared):
        return None
    return Diagnostic("still_improving", (
        f"The training loss was still falling at the end (down {min(fall, 9.99):.1%} over the last {span} "
        f"epochs): try more --epochs or a larger --lr."
    ))


def _fits_every_training_point(prepared: Any) -> bool:
    data = prepared.data
    with np.errstate(all="ignore"):
        output = prepared.model.predict(data.X_train)
    labels = (output > 0).astype(np.int64) if output.ndim == 1 else output.argmax(axis=1)
    truth = np.asarray(data.y_train)
    truth = (truth > 0).astype(np.int64) if output.ndim == 1 else truth.astype(np.int64)
    return bool(np.array_equal(labels, truth))


def _oscillating(prepared: Any, records: Sequence[EpochRecord], stable_lr: Callable[[], float | None]
                 ) -> Diagnostic | None:
    span = _window(records)
    config = prepared.config
    if span is None or config.batch_size is not None and config.batch_size < len(prepared.data.X_train):
        return None
    if not str(getattr(prepared.loss, "smooth", "")).startswith("C"):
        return None  # a kink (MAE, hinge) makes full-batch steps bounce around it by design
    window = _since(records, records[-1].epoch - span)
    losses = np.array([r.train_loss for r in window], dtype=float)
    if not np.isfinite(losses).all():
        return None
    gradient_left = records[-1].grad_norm / records[0].grad_norm if records[0].grad_norm > 0 else 0.0
    change = abs(losses[0] - losses[-1]) / max(abs(losses[-1]), 1e-300)
    stalled = change < FLAT and gradient_left > GRADIENT_LEFT
    steps = np.diff(losses[len(window) - len(_consecutive_tail(window)):])
    zigzag = (len(steps) >= 4 and bool(np.all(steps[1:] * steps[:-1] < 0))
              and abs(steps[-1]) >= 0.5 * abs(steps[0]) and abs(steps[-1]) > FLAT * abs(losses[-1]))
    if not (stalled or zigzag):
        return None
    what = (f"the loss stopped falling while its gradient did not vanish (|grad| still {gradient_left:.0%} of "
            "its start)" if stalled else "the loss zig-zags up and down and the swings do not shrink")
    limit = stable_lr()
    if limit is not None:
        where = f"lr {config.lr:g} sits at that limit. " if config.lr >= 0.98 * limit else ""
        fix = (f"For this problem gradient descent is stable only for lr < 2/lambda_max = {limit:.3g}; "
               f"{where}Try --lr {limit / 2:.3g}.")
    else:
        fix = f"Try a smaller --lr (say {config.lr / 2:g})."
    return Diagnostic("oscillating", (
        f"Oscillating: {what}. The weights are bouncing between two points instead of settling: the edge of "
        f"stability. {fix}"
    ))


def _schedule_period(prepared: Any) -> Diagnostic | None:
    schedule = prepared.schedule
    if getattr(schedule, "name", "") != "cosine":
        return None
    t_max = int(schedule.T_max)
    epochs = prepared.config.epochs
    if t_max >= epochs:
        return None
    return Diagnostic("schedule_period", (
        f"cosine(T_max={t_max}) is shorter than the {epochs} epochs of the run: past epoch {t_max + 1} the "
        f"learning rate rises again (the cosine is periodic). Set T_max to the number of epochs: "
        f"--schedule 'cosine(T_max={epochs})'."
    ))
