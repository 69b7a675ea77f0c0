"""What every sink receives: RunInfo at open, EpochRecords while training, RunSummary at close.

A sink only receives; none of them drives training. The live table, the plain
log lines and the run folder are sinks (display.py, runs.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from lossfit.training import EpochRecord


@dataclass(frozen=True)
class RunInfo:
    """Describes a run before it starts (built objects included, for the plots)."""

    title: str  # "mse on linear · linear regression · sgd lr=0.1"
    task: str
    main_metric: str  # "r2" or "accuracy"
    epochs: int
    n_train: int
    n_val: int
    config: dict[str, Any]  # the resolved experiment config (what config.toml holds)
    prepared: Any = field(repr=False, default=None)  # api.Prepared: dataset, model, loss, optimizer
    log: Any = field(repr=False, default=None)  # record_log.RecordLog: the run's records, bounded


@dataclass(frozen=True)
class RunSummary:
    """How a run ended; `to_json()` is metrics.json and what --json prints."""

    status: str  # completed | early_stopped | diverged | interrupted | terminated | failed
    epochs: int  # epochs run
    train_seconds: float  # time inside the training loop only
    final: dict[str, Any] | None
    best: dict[str, Any] | None
    final_metrics: dict[str, float]
    config: dict[str, Any]
    message: str | None = None
    data: dict[str, Any] | None = None  # the dataset: size, features, classes, scaling, dropped rows
    classes: dict[str, Any] | None = None  # classification: per-class report and confusion matrix
    out_dir: Path | None = None
    files: tuple[str, ...] = ()
    diagnostics: tuple[dict[str, str], ...] = ()  # what the history says: {"kind", "message"} (diagnostics.py)

    def to_json(self) -> dict[str, Any]:
        from lossfit import __version__

        safe: dict[str, Any] = json_safe(  # a dict stays a dict
            {
                "status": self.status,
                "epochs": self.epochs,
                "train_seconds": self.train_seconds,
                "final": self.final,
                "best": self.best,
                "final_metrics": self.final_metrics,
                "classes": self.classes,
                "message": self.message,
                "diagnostics": list(self.diagnostics),
                "data": self.data,
                "run_dir": str(self.out_dir) if self.out_dir else None,
                "files": list(self.files),
                "config": self.config,
                "lossfit_version": __version__,
            }
        )
        return safe


def json_safe(value: Any) -> Any:
    """NaN/inf are not JSON: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


class Sink(Protocol):
    def open(self, info: RunInfo) -> None: ...
    def write(self, record: EpochRecord) -> None: ...
    def close(self, summary: RunSummary) -> None: ...
