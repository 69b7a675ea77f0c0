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

import bisect
import math
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only annotations: importing the loop would import NumPy (`lossfit losses` needs neither)
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
        return self.since(0)

    def since(self, after: int) -> list[EpochRecord]:
        """The records held with epochs after `after`, in epoch order, without copying the others.

        Safe to call from another thread while training appends (the live view does): the tail
        is copied in one C call, and the sample list is only ever appended to or replaced.
        """
        sample, tail = self._sample, list(self._tail)
        if not tail:
            return []
        cut = bisect.bisect_left(sample, tail[0].epoch, key=_epoch_of)  # the sample's records before the tail
        start = bisect.bisect_right(sample, after, hi=cut, key=_epoch_of)
        if tail[0].epoch <= after:
            return tail[bisect.bisect_right(tail, after, key=_epoch_of):]
        return sample[start:cut] + tail

    @property
    def complete(self) -> bool:
        """True while `kept()` still holds every record."""
        return self.stride == 1


def _epoch_of(record: EpochRecord) -> int:
    return record.epoch
