"""The records of a run in bounded memory, however many epochs it runs.

A million tiny epochs would otherwise keep a million EpochRecords (about 0.6 KB
each). `RecordLog` keeps:

- a uniform sample: epochs 1, 1 + s, 1 + 2s, ... with the stride s starting at 1
  and doubling whenever the sample outgrows `keep` records (so it holds between
  keep/2 and keep of them);
- the last `tail` records, every one of them (the live view and the end-of-run
  diagnostics look at the recent epochs one by one);
- the records with the lowest finite train and validation loss.

Up to `keep` epochs nothing is dropped, so `kept()` is the whole history. The
full history is in the run folder's history.csv, row by row.
"""

from __future__ import annotations

import math
from collections import deque

from lossfit.training import EpochRecord

KEEP = 2048
TAIL = 512


class RecordLog:
    """Append-only, bounded: `kept()` gives the records held, in epoch order."""

    def __init__(self, keep: int = KEEP, tail: int = TAIL) -> None:
        self.keep = keep
        self.stride = 1
        self.count = 0  # records appended
        self.last: EpochRecord | None = None
        self.best: dict[str, EpochRecord] = {}  # "train_loss" / "val_loss" -> the record where it was lowest
        self._best_train = self._best_val = math.inf  # their values
        self._sample: list[EpochRecord] = []
        self._tail: deque[EpochRecord] = deque(maxlen=tail)

    def __len__(self) -> int:
        return self.count

    def append(self, record: EpochRecord) -> None:
        self.count += 1
        self.last = record
        if (record.epoch - 1) % self.stride == 0:
            self._sample.append(record)
            if len(self._sample) > self.keep:
                self.stride *= 2
                self._sample = [r for r in self._sample if (r.epoch - 1) % self.stride == 0]
        self._tail.append(record)
        best = self.best
        value = record.train_loss
        if -math.inf < value < self._best_train:  # false for NaN and +-inf: only finite values count
            self._best_train, best["train_loss"] = value, record
        value = record.val_loss
        if -math.inf < value < self._best_val:
            self._best_val, best["val_loss"] = value, record

    def kept(self) -> list[EpochRecord]:
        """The records held, in epoch order: the sample up to where the tail starts, then the tail."""
        if not self._tail:
            return []
        start = self._tail[0].epoch
        return [r for r in self._sample if r.epoch < start] + list(self._tail)

    @property
    def complete(self) -> bool:
        """True while `kept()` still holds every record."""
        return self.stride == 1
