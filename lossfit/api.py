"""The Python API behind the command line: build a run from a RunConfig, then run it.

    >>> import lossfit
    >>> result = lossfit.train(loss="mse", dataset="linear", epochs=100)   # doctest: +SKIP
    >>> result.summary.status, result.records[-1].train_loss                # doctest: +SKIP

`prepare` does every check and builds every object *before* anything is
written, so a user mistake never leaves a half-made run folder behind. `run`
drives the training loop and hands each record to the sinks.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lossfit import data as datasets
from lossfit import losses, metrics, models, optimizers, schedules, training
from lossfit._typing import Task
from lossfit.config import RunConfig, build_config, parse_class_weight
from lossfit.diagnostics import Diagnostic, diagnose
from lossfit.record_log import RecordLog
from lossfit.errors import ConfigError, DivergenceError, LabelError, LossfitError, TaskMismatchError
from lossfit.sinks import RunInfo, RunSummary, Sink
from lossfit.spec import parse_spec
from lossfit.training import EpochRecord, TrainingData

# Independent random streams derived from the run's seed (data streams live in lossfit.data).
STREAM_INIT, STREAM_BATCHES = 2, 3


@dataclass
class Prepared:
    """A run ready to start: validated config and every built object."""

    config: RunConfig
    resolved: dict[str, Any]  # the experiment config with every spec fully resolved
    dataset: Any
    data: TrainingData
    model: Any
    loss: Any
    optimizer: Any
    schedule: Any
    title: str
    lambda_max: float | None = None  # largest curvature of a quadratic objective, once computed


@dataclass
class TrainResult:
    """What `lossfit.train` returns: the summary, every epoch's record, and the trained run.

    `history` holds history.csv's columns as NumPy arrays, `to_pandas()` the same as a
    DataFrame (when pandas is installed), and `plot()` draws the run folder's figures
    (shown inline in a notebook).
    """

    summary: RunSummary
    records: list[EpochRecord]
    prepared: Prepared = field(repr=False)

    @property
    def model(self) -> Any:
        return self.prepared.model

    @property
    def history(self) -> dict[str, np.ndarray]:
        """One array per history.csv column (epoch, train_loss, val_loss, penalty, the metrics, lr,
        grad_norm, seconds), one entry per epoch, built from `records`."""
        from lossfit.notebook import history_of

        return history_of(self.records)

    def to_pandas(self) -> Any:
        """`history` as a pandas DataFrame, one row per epoch (a MissingPackageError without pandas)."""
        from lossfit.notebook import require_pandas

        return require_pandas().DataFrame(self.history)

    def plot(self) -> Any:
        """The run folder's figures (loss curve, confusion matrix, fit or decision boundary) as a list of
        matplotlib Figures (`notebook.Figures`), which a notebook shows inline."""
        from lossfit.notebook import draw
        from lossfit.plots.run import run_figures

        return draw(run_figures(Runner(self.prepared, []).info(), self.records, self.summary))


def prepare(config: RunConfig, dataset: Any = None) -> Prepared:
    """Check everything and build dataset, loss, model and optimizer; nothing is written.

    `dataset` is an already loaded `Dataset` to use instead of loading `config.dataset`
    (compare loads the data once for all its variants); it must be what `config` describes.
    """
    loss_spec = config.loss or default_loss(config)
    loss = losses.get(loss_spec)
    if dataset is None:
        dataset_spec = config.dataset or loss.default_dataset or datasets.default_for_task(loss.task)
        check_task(loss, dataset_spec, file_options(config))
    else:
        check_loss_fits(loss, dataset.task, dataset.name, dataset.source == "file")
    optimizer_name, optimizer_kwargs = parse_spec(config.optimizer, what="optimizer spec")
    if "lr" in optimizer_kwargs:
        raise ConfigError(
            f"Give the learning rate with --lr (or `lr` in the config), not inside the optimizer spec "
            f"`{config.optimizer}`."
        )
    optimizer = optimizers.get(optimizer_name, lr=config.lr, **optimizer_kwargs)
    if optimizers.registry.canonical(optimizer_name) == "gd" and config.batch_size is not None:
        raise ConfigError(
            f"`gd` is gradient descent over the full batch, but --batch-size is {config.batch_size}; "
            "use --optimizer sgd for mini-batches, or leave --batch-size out."
        )
    schedule = build_schedule(config)
    copy.deepcopy(schedule).start(copy.deepcopy(optimizer))  # does it fit the optimizer? (one_cycle needs momentum)
    model = models.get("linear" if config.model == "auto" else config.model)

    if dataset is None:
        dataset = datasets.load(dataset_spec, seed=config.seed, val_split=config.val_split,
                                standardize=config.standardize, **file_options(config))
    dataset = datasets.with_dtype(dataset, config.dtype)
    y_train, y_val = dataset.y_train, dataset.y_val
    n_classes = dataset.n_classes
    if loss.task == "multiclass" and dataset.task == "binary":  # softmax over two classes
        y_train, y_val = y_train.astype(np.int64), y_val.astype(np.int64)
    y_train = loss.prepare_targets(y_train, n_classes=n_classes)
    y_val = loss.prepare_targets(y_val, n_classes=n_classes) if len(y_val) else y_val
    check_loss_class_weight(loss, loss_spec, dataset)
    class_weights = resolve_class_weight(config.class_weight, dataset, y_train)
    for key in ("class_weight", "pos_weight"):
        if class_weights is not None and getattr(loss, key, None) is not None:
            raise ConfigError(
                f"Give class weights once: --class-weight {config.class_weight} and {loss.name}({key}=...) "
                f"would multiply together. Keep one of them."
            )
    dtype = np.dtype(config.dtype)
    y_train, y_val = _as_float(y_train, dtype), _as_float(y_val, dtype)  # prepare_targets gives float64
    if class_weights is not None:
        class_weights = class_weights.astype(dtype)
    data = TrainingData(
        dataset.X_train, y_train, dataset.X_val, y_val, task=_metric_task(loss, dataset),
        w_train=_sample_weights(class_weights, y_train), w_val=_sample_weights(class_weights, y_val),
    )
    model.build(dataset.n_features, loss.n_outputs(n_classes), np.random.default_rng([config.seed, STREAM_INIT]))
    model.params[:] = [p.astype(dtype, copy=False) for p in model.params]  # drawn in float64, then cast

    specs = {"loss": losses.spec_of(loss), "dataset": dataset.spec, "model": models.spec_of(model),
             "optimizer": optimizers.spec_of(optimizer), "schedule": schedules.spec_of(schedule)}
    resolved = {key: specs.get(key, value) for key, value in config.experiment_dict().items()}
    shape = model.describe(loss.task) + (" (log link: it predicts log(rate))" if loss.probability_link == "exp" else "")
    return Prepared(config, resolved, dataset, data, model, loss, optimizer, schedule,
                    run_title(config, resolved, loss_spec, dataset, shape))


def run_title(config: RunConfig, resolved: dict[str, Any], loss_spec: str, dataset: Any, shape: str) -> str:
    """What was run, on one line of `·`-separated parts (plots wrap it at the dots): loss with its
    parameters on dataset · model · optimizer with the parameters that differ from its defaults, lr,
    then schedule, batch size, class weights, L2/L1 and clipping when they are set.

    `huber(delta=0.5) on linear · linear regression · sgd(momentum=0.9) lr=0.05 · cosine(T_max=200) · batch 32`
    """

    def brief(registry: Any, spec: str, keep_set: bool = False) -> str:
        try:
            name, values = parse_spec(spec)
            params = registry.entry(name).parameters()
        except LossfitError:
            return spec
        shown = {}
        for key, value in values.items():
            default = params[key].default if key in params else None
            if value is None or value == default and not (keep_set and default not in (0, False, None)):
                continue  # keep_set: a loss shows its shape parameters (delta, tau...) even at their default
            shown[key] = f"{value:g}" if isinstance(value, float) else repr(value)
        return f"{name}({', '.join(f'{k}={v}' for k, v in shown.items())})" if shown else name

    custom = ":" in loss_spec  # my.py:name, as given
    loss_text = loss_spec if custom else brief(losses.registry, resolved["loss"], keep_set=True)
    data_text = brief(datasets.registry, dataset.spec) if dataset.source == "generator" else dataset.name
    parts = [f"{loss_text} on {data_text}", shape, f"{brief(optimizers.registry, resolved['optimizer'])} lr={config.lr:g}"]
    if schedules.registry.canonical(parse_spec(resolved["schedule"])[0]) != "constant":
        parts.append(brief(schedules.registry, resolved["schedule"]))
    if config.batch_size is not None:
        parts.append(f"batch {config.batch_size}")
    if config.class_weight is not None:
        parts.append(f"class_weight {config.class_weight}")
    parts += [f"{key} {getattr(config, key):g}" for key in ("l2", "l1", "clip_grad") if getattr(config, key)]
    return " · ".join(parts)


DEFAULT_LOSS = {"regression": "mse", "binary": "bce", "multiclass": "cross_entropy"}


def default_loss(config: RunConfig) -> str:
    """With no --loss: the usual loss for the dataset's task, or mse when no dataset is given either."""
    if config.dataset is None:
        return "mse"
    return DEFAULT_LOSS[datasets.task_of(config.dataset, **file_options(config))]


def file_options(config: RunConfig) -> dict[str, Any]:
    """Options that only data files take; passed only when given."""
    options: dict[str, Any] = {}
    if config.target is not None:
        options["target"] = config.target  # the loader tries a column name first, then an index
    if config.features is not None:
        options["features"] = [name.strip() for name in config.features.split(",") if name.strip()]
    if config.header is not None:
        options["header"] = config.header
    if config.task is not None:
        options["task"] = config.task
    return options


def build_schedule(config: RunConfig) -> Any:
    """The schedule; one_cycle's total_steps defaults to the number of epochs (one step per epoch)."""
    name, kwargs = parse_spec(config.schedule, what="schedule spec")
    if schedules.registry.canonical(name) == "one_cycle":
        if kwargs.get("total_steps") is None:
            if config.epochs < 2:
                raise ConfigError(f"one_cycle warms up and then anneals, one epoch each at least, but --epochs is "
                                  f"{config.epochs}; give --epochs 2 or more, or another --schedule.")
            kwargs["total_steps"] = config.epochs
        if kwargs.get("max_lr") is None:
            kwargs["max_lr"] = config.lr
        if kwargs["total_steps"] < config.epochs:
            raise ConfigError(
                f"one_cycle(total_steps={kwargs['total_steps']}) is shorter than --epochs {config.epochs}: the "
                f"schedule steps once per epoch. Leave total_steps out (it defaults to the number of epochs)."
            )
    return schedules.get(name, **kwargs)


def resolve_class_weight(setting: str | None, dataset: Any, y_train: np.ndarray) -> np.ndarray | None:
    """Per-class weights: 'balanced' gives n / (k * n_c) on the training split (scikit-learn's rule)."""
    if setting is None:
        return None
    if dataset.task == "regression":
        raise ConfigError("--class-weight applies to classification; this dataset is a regression dataset.")
    k: int = max(dataset.n_classes, 2)
    labels = np.asarray(y_train).astype(np.int64)
    counts = np.bincount(labels, minlength=k)
    weights = parse_class_weight(setting)
    if weights == "balanced":
        if (counts == 0).any():
            raise LabelError(f"--class-weight balanced: class {int(np.argmin(counts))} has no training samples.")
        return len(labels) / (k * counts.astype(np.float64))
    if len(weights) != k:
        raise ConfigError(f"--class-weight needs one weight per class ({k} classes: {', '.join(dataset.class_names)}), "
                          f"got {len(weights)}.")
    return np.asarray(weights, dtype=float)


def check_loss_class_weight(loss: Any, loss_spec: str, dataset: Any) -> None:
    """A softmax loss's own class_weight needs one weight per class of the data."""
    weights = getattr(loss, "class_weight", None)
    if loss.task != "multiclass" or not isinstance(weights, tuple):
        return
    k = loss.n_outputs(dataset.n_classes)
    if len(weights) != k:
        names = ", ".join(map(str, dataset.class_names)) if dataset.class_names else ""
        raise ConfigError(
            f"`{loss_spec}` gives {len(weights)} class weights but dataset `{dataset.name}` has {k} classes"
            f"{f' ({names})' if names else ''}; give one weight per class."
        )


def _sample_weights(class_weights: np.ndarray | None, y: np.ndarray) -> np.ndarray | None:
    if class_weights is None or not len(y):
        return None
    return class_weights[np.asarray(y).astype(np.int64)]


def _as_float(targets: Any, dtype: np.dtype[Any]) -> Any:
    """Real-valued targets in the run's dtype; class indices as they are."""
    if isinstance(targets, np.ndarray) and targets.dtype.kind == "f" and targets.dtype != dtype:
        return targets.astype(dtype)
    return targets


def _metric_task(loss: Any, dataset: Any) -> Task:
    return "multiclass" if loss.task == "multiclass" else dataset.task


def check_task(loss: Any, dataset_spec: str, file_options: dict[str, Any] | None = None) -> None:
    """Refuse a loss that does not fit the dataset's task, listing the losses that do."""
    dataset_task = datasets.task_of(dataset_spec, **(file_options or {}))
    check_loss_fits(loss, dataset_task, datasets.name_of(dataset_spec), datasets.is_file(dataset_spec))


def check_loss_fits(loss: Any, dataset_task: str, dataset_name: str, is_file: bool = False) -> None:
    """TaskMismatchError unless `loss` trains on a dataset of `dataset_task` (softmax also fits binary)."""
    fits = loss.task == dataset_task or (loss.task == "multiclass" and dataset_task == "binary")
    if fits:
        return
    suitable = ", ".join(losses.for_task(dataset_task))
    if is_file:
        other = f"Or, if its target is really {loss.task}, say so with --task {loss.task}."
    else:
        other = f"Or pick a {loss.task} dataset such as `{datasets.default_for_task(loss.task)}`."
    raise TaskMismatchError(
        f"Loss `{loss.name}` is for {loss.task} but dataset `{dataset_name}` is a {dataset_task} dataset. "
        f"Losses for {dataset_task}: {suitable}. {other}"
    )


def run(
    prepared: Prepared, sinks: Sequence[Sink], should_stop: Callable[[], bool | str] = lambda: False
) -> RunSummary:
    """Train, feeding every record to every sink; the sinks are closed however the run ends.

    A user error raised mid-run (a custom loss that fails in epoch 3) ends the run as
    "failed": its folder is completed with that message, and the caller reports it.
    """
    runner = Runner(prepared, sinks, should_stop)
    runner.start()
    try:
        with np.errstate(all="ignore"):  # a diverging run overflows: the divergence check says so
            while True:
                try:
                    if runner.advance_silenced() is None:
                        break
                except LossfitError as err:
                    runner.fail(str(err))
                    break
    except BaseException:
        runner.abort()
        raise
    return runner.finish()


class Runner:
    """One run, driven one epoch at a time.

    `run` drives a single Runner to its end; `compare` advances several in turn,
    so their epochs interleave. `advance` returns the epoch's record, or None once
    the run has ended (completed, early stopped, interrupted or diverged); then
    `finish` builds the summary and closes the sinks. `abort` closes them after
    an error, leaving what was written.
    """

    def __init__(self, prepared: Prepared, sinks: Sequence[Sink],
                 should_stop: Callable[[], bool | str] = lambda: False) -> None:
        self.prepared, self.sinks, self.should_stop = prepared, list(sinks), should_stop
        self.log = RecordLog()  # bounded: the full history is in the run folder's history.csv
        self.diagnostics: list[Diagnostic] = []  # what the history says, found when the run ends
        self.status: str | None = None  # set when the run ends
        self.message: str | None = None
        self.restored_epoch: int | None = None
        self.restored: EpochRecord | None = None
        self.partial: tuple[int, int, int] | None = None  # stopped inside an epoch: (epoch, batches done, of)
        self.train_seconds = 0.0
        self._opened: list[Sink] = []
        self._loop: Any = None

    @property
    def records(self) -> list[EpochRecord]:
        """The records held: every one up to record_log.KEEP epochs, a uniform sample and the tail beyond."""
        return self.log.kept()

    def info(self) -> RunInfo:
        prepared, config = self.prepared, self.prepared.config
        return RunInfo(
            title=prepared.title, task=prepared.data.task, main_metric=metrics.MAIN[prepared.data.task],
            epochs=config.epochs, n_train=len(prepared.data.X_train), n_val=len(prepared.data.X_val),
            config=prepared.resolved, prepared=prepared, log=self.log,
        )

    def start(self) -> None:
        """Open the sinks (a failing sink closes those already open) and set up the loop."""
        info = self.info()
        try:
            for sink in self.sinks:
                sink.open(info)
                self._opened.append(sink)
        except BaseException:
            self.abort()
            raise
        prepared, config = self.prepared, self.prepared.config
        self._loop = training.train(
            prepared.model, prepared.loss, prepared.optimizer, prepared.data, epochs=config.epochs,
            rng=np.random.default_rng([config.seed, STREAM_BATCHES]), batch_size=config.batch_size,
            regularization=training.Regularization(config.l2, config.l1, config.clip_grad),
            schedule=prepared.schedule, early_stopping=config.early_stopping, min_delta=config.min_delta,
            should_stop=self.should_stop,
        )

    def advance(self) -> EpochRecord | None:
        """Train one epoch and hand its record to the sinks; None when the run has ended."""
        with np.errstate(all="ignore"):  # a diverging run overflows: the divergence check says so
            return self.advance_silenced()

    def advance_silenced(self) -> EpochRecord | None:
        """`advance` for a caller that silences NumPy's floating-point warnings around many epochs
        (`np.errstate(all="ignore")`, as `run` does): entering it costs about 1 us, a tenth of a tiny epoch."""
        if self.status is not None:
            return None
        start = time.perf_counter()
        try:
            record: EpochRecord = next(self._loop)
        except StopIteration as stop:
            self.train_seconds += time.perf_counter() - start
            outcome: training.Outcome = stop.value
            self.restored, self.partial = outcome.restored, outcome.partial
            self._end(outcome.status, restored_epoch=outcome.restored_epoch)
            return None
        except DivergenceError as err:
            self.train_seconds += time.perf_counter() - start
            self._end("diverged", message=divergence_message(self.prepared, err))
            return None
        self.train_seconds += time.perf_counter() - start
        self.log.append(record)
        for sink in self._opened:
            sink.write(record)
        return record

    def _end(self, status: str, message: str | None = None, restored_epoch: int | None = None) -> None:
        config, last = self.prepared.config, self.log.last
        self.status, self.restored_epoch = status, restored_epoch
        self.diagnostics = diagnose(self.prepared, self.log.kept(), status, lambda: stable_lr_limit(self.prepared))
        if status in ("interrupted", "terminated"):
            message = self._stop_message(status)
        elif status == "early_stopped":
            assert last is not None  # early stopping needs at least one epoch
            message = (f"Stopped early at epoch {last.epoch}: no improvement for {config.early_stopping} "
                       f"epochs; restored the weights of epoch {restored_epoch}.")
        self.message = message

    def _stop_message(self, status: str) -> str:
        what = getattr(self.should_stop, "what", "")  # a stopping.Stop knows which signal it was
        text = f"{status.capitalize()}{' by ' + what if what else ''}"
        done = self.log.last.epoch if self.log.last else 0
        if self.partial is None:
            return f"{text} after epoch {done} of {self.prepared.config.epochs}."
        epoch, batches, of = self.partial
        held = f"epochs 1-{done}" if done > 1 else "epoch 1" if done else "no epoch"
        return (f"{text} in epoch {epoch} of {self.prepared.config.epochs}, after {batches:,} of {of:,} batches: "
                f"history.csv holds {held}; the final figures describe the weights where they stopped.")

    def fail(self, message: str) -> None:
        """End the run as "failed" after a user error mid-run (a custom loss that raised): `finish` still works."""
        self.status, self.message = "failed", message

    def finish(self) -> RunSummary:
        """The run's summary, after closing every sink with it."""
        if self.status is None:
            self._end("interrupted")
        summary = _summary(self.prepared, self.log, self.status or "interrupted", self.train_seconds,
                           self.message, self.restored, self.diagnostics, measure=self.partial is not None)
        self.status, self.message = summary.status, summary.message  # "diverged" if the last update overflowed
        opened, self._opened = self._opened, []
        for sink in opened:
            sink.close(summary)
        return summary

    def abort(self) -> None:
        """After an error: close the open sinks quietly with an "interrupted" summary."""
        summary = _summary(self.prepared, self.log, "interrupted", self.train_seconds, "Stopped by an error.")
        opened, self._opened = self._opened, []
        for sink in opened:
            _close_quietly(sink, summary)


def _close_quietly(sink: Sink, summary: RunSummary) -> None:
    try:
        sink.close(summary)
    except Exception:  # the original error matters more than a failing sink
        pass


def _summary(
    prepared: Prepared, log: RecordLog, status: str, seconds: float, message: str | None,
    restored: EpochRecord | None = None, diagnostics: Sequence[Diagnostic] = (), measure: bool = False,
) -> RunSummary:
    """The run's summary; the final figures are measured on the model's weights when it trained at all
    (or `measure`: stopped inside its first epoch), except after a divergence or a failure."""
    data = prepared.data
    X, y = (data.X_val, data.y_val) if len(data.X_val) else (data.X_train, data.y_train)
    final_metrics: dict[str, float] = {}
    classes: dict[str, Any] | None = None
    final_figures = None
    if (log.last is not None or measure) and status not in ("diverged", "failed"):
        # Everything below describes the weights the run returns.
        config = prepared.config
        with np.errstate(all="ignore"):
            output = prepared.loss.predict(prepared.model.predict(X))
            final_figures = training.final_state(prepared.model, prepared.loss, data,
                                                 training.Regularization(config.l2, config.l1, config.clip_grad))
        losses = (final_figures["train_loss"], final_figures["val_loss"] or 0.0, final_figures["penalty"])
        if not (np.isfinite(output).all() and all(math.isfinite(v) for v in losses)):
            # the last update overflowed the model or its loss: no record saw it
            epoch = log.last.epoch if log.last else 1
            status, final_figures, diagnostics = "diverged", None, ()
            message = divergence_message(prepared, DivergenceError(
                epoch, "the model's outputs or its loss overflowed after the last update"))
        else:
            final_metrics = metrics.final_metrics(data.task, output, y)
            if prepared.loss.probability_link not in ("sigmoid", "softmax"):
                # log loss reads the scores as sigmoid/softmax probabilities: meaningless for, e.g., hinge
                final_metrics.pop("log_loss", None)
            if data.task != "regression":
                classes = class_summary(prepared, output, y)
    parts = training.summarize(log, restored, final_figures)
    return RunSummary(
        status=status, epochs=log.last.epoch if log.last else 0, train_seconds=seconds,
        final=parts["final"], best=parts["best"], final_metrics=final_metrics,
        config=prepared.resolved, message=message, data=_describe(prepared.dataset), classes=classes,
        diagnostics=tuple(d.to_json() for d in diagnostics),
    )


def fitted_line(prepared: Prepared) -> tuple[float, float] | None:
    """(slope, intercept) of a one-feature linear regression, in the data's original units; else None.

    The model sees standardized x' = (x - mean) / std, so y = w x' + b = (w / std) x + (b - w mean / std).
    For the poisson loss the line is the log-rate's.
    """
    dataset, model = prepared.dataset, prepared.model
    if dataset.task != "regression" or dataset.n_features != 1 or not isinstance(model, models.Linear):
        return None
    if model.params[0].shape != (1,):
        return None
    w, b = float(model.params[0][0]), float(model.params[1][0])
    slope = w / float(dataset.x_std[0])
    return slope, b - slope * float(dataset.x_mean[0])


def class_summary(prepared: Prepared, output: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Per-class precision/recall/F1/support and the confusion matrix, on the validation split."""
    from lossfit import report

    labels = (output > 0).astype(np.int64) if output.ndim == 1 else output.argmax(axis=1)
    names = _class_names(prepared)
    rows = report.class_report(labels, y, names)
    return {
        "split": "validation" if len(prepared.data.X_val) else "training",
        "report": rows,
        "averages": report.averages(rows),
        "confusion_matrix": report.confusion_matrix(labels, y, len(names)).tolist(),
    }


def _class_names(prepared: Prepared) -> list[str]:
    names = list(prepared.dataset.class_names)
    k = max(len(names), prepared.dataset.n_classes, 2)
    return names if len(names) == k else [str(c) for c in range(k)]


def _describe(dataset: Any) -> dict[str, Any] | None:
    describe = getattr(dataset, "describe", None)
    return describe() if describe is not None else None


def divergence_message(prepared: Prepared, err: DivergenceError) -> str:
    """One or two lines: what happened, and a learning rate that would work."""
    lr = prepared.config.lr
    text = f"Training diverged at epoch {err.epoch}: {err}, with lr {lr:g}."
    limit = stable_lr_limit(prepared)
    if limit is not None and lr >= limit:
        momentum = prepared.optimizer.momentum
        rule = "2/lambda_max" if not momentum else f"2(1 + {momentum:g})/lambda_max"
        text += (
            f" For this problem {'heavy-ball ' if momentum else ''}gradient descent is stable only for "
            f"lr < {rule} = {limit:.3g} (lambda_max = {prepared.lambda_max:.3g}, the largest curvature of the loss); "
            f"try --lr {_nice_below(limit)}."
        )
    elif lr > 1:
        text += " Try --lr 0.1 and go up from there."
    else:
        text += f" Try a learning rate ten times smaller, --lr {lr / 10:.3g}."
    return text


QUADRATIC_LOSSES = ("mse",)  # with a linear model these make the objective quadratic in (W, b)


def stable_lr_limit(prepared: Prepared) -> float | None:
    """The largest stable learning rate for a quadratic objective (MSE on a linear model), else None.

    Full-batch gradient descent on a quadratic converges iff lr < 2/lambda_max,
    lambda_max being the largest eigenvalue of its (constant) Hessian; with
    heavy-ball momentum mu (torch's sgd momentum) the limit is 2(1 + mu)/lambda_max.
    """
    if prepared.loss.name not in QUADRATIC_LOSSES or not isinstance(prepared.model, models.Linear):
        return None
    optimizer = prepared.optimizer
    plain_or_heavy_ball = (
        isinstance(optimizer, optimizers.SGD) and not optimizer.nesterov and not optimizer.dampening
        and not optimizer.weight_decay
    )
    if prepared.config.l1 or prepared.config.batch_size is not None or not plain_or_heavy_ball:
        return None  # the bound below is for full-batch gradient descent, with or without heavy-ball momentum
    if prepared.lambda_max is None:
        prepared.lambda_max = largest_curvature(prepared)
    if prepared.lambda_max <= 0:
        return None
    momentum: float = optimizer.momentum
    return 2.0 * (1.0 + momentum) / prepared.lambda_max


def largest_curvature(prepared: Prepared, iterations: int = 500, tol: float = 1e-12) -> float:
    """lambda_max of the full-batch objective's Hessian, by power iteration on Hessian-vector products.

    H v is the difference of two gradients, (g(h v) - g(-h v)) / (2 h). The objective
    is quadratic (see `stable_lr_limit`), so its Hessian is the same everywhere:
    the products are taken around zero with a unit step, which is exact up to
    rounding and does not suffer from cancellation when the parameters have
    blown up. The model's parameters are left as they were.
    """
    model, data, config = prepared.model, prepared.data, prepared.config
    saved = [p.copy() for p in model.params]
    rng = np.random.default_rng([config.seed, 4])
    v = [rng.standard_normal(p.shape) for p in saved]

    def gradient(shift: float, direction: list[np.ndarray]) -> list[np.ndarray]:
        for p, d in zip(model.params, direction):
            p[...] = shift * d
        d_out = prepared.loss.value_and_grad(model.forward(data.X_train), data.y_train, data.w_train)[1]
        grads: list[np.ndarray] = model.backward(d_out)
        for i, is_weight in enumerate(model.is_weight):
            if is_weight and config.l2:
                grads[i] = grads[i] + config.l2 * model.params[i]
        return grads

    try:
        estimate = 0.0
        for _ in range(iterations):
            norm = np.sqrt(sum(float(np.vdot(d, d)) for d in v))
            v = [d / norm for d in v]
            Hv = [(a - b) / 2 for a, b in zip(gradient(1.0, v), gradient(-1.0, v))]
            new = sum(float(np.vdot(d, hd)) for d, hd in zip(v, Hv))  # Rayleigh quotient v.Hv
            v = Hv
            if abs(new - estimate) <= tol * abs(new):
                return new
            estimate = new
        return estimate
    finally:
        for p, p0 in zip(model.params, saved):
            p[...] = p0


def _nice_below(value: float) -> str:
    """A round number a bit below `value`: 0.87 -> 0.5, 0.1 -> 0.05."""
    exponent = math.floor(math.log10(value))
    for mantissa in (5, 2, 1):
        candidate = mantissa * 10.0**exponent
        if candidate < value * 0.95:
            return f"{candidate:g}"
    return f"{10.0 ** (exponent - 1) * 5:g}"


def train(*, out: str | Path | None = None, progress: str | None = None, plot: bool = True,
          **options: Any) -> TrainResult:
    """Train from Python with the same options as `lossfit train`.

    Writes a run folder only when `out` is given. `progress`: by default a live loss plot
    in a Jupyter notebook's cell (`lossfit.notebook`) and nothing elsewhere; "rich" or
    "plain" show the terminal's progress on stderr, "none" nothing.
    """
    from lossfit import display, notebook, runs

    mode = notebook.resolve_progress(progress)
    config = build_config(None, {**options, "progress": "none" if mode == "notebook" else mode, "plot": plot,
                                 "out": str(out) if out is not None else None})
    if out is not None:
        runs.check_out_dir(Path(out))
    prepared = prepare(config)
    sinks: list[Sink] = []
    shown: Sink | None = notebook.LiveCurve() if mode == "notebook" else \
        display.progress_sink(mode, display.Terminal.create())
    if shown is not None:
        sinks.append(shown)
    recorder = Recorder()
    sinks.append(recorder)
    if out is not None:
        sinks.append(runs.RunFolder(Path(out), plot=plot))
    summary = run(prepared, sinks)
    return TrainResult(summary, recorder.records, prepared)


class Recorder:
    """Sink that keeps every record in memory."""

    def __init__(self) -> None:
        self.records: list[EpochRecord] = []

    def open(self, info: RunInfo) -> None:
        self.records = []

    def write(self, record: EpochRecord) -> None:
        self.records.append(record)

    def close(self, summary: RunSummary) -> None:
        pass
