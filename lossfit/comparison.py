"""Race several variants of one run on the same data, from the same start, and judge them fairly.

    >>> import lossfit
    >>> result = lossfit.compare(loss="mse,mae,huber", dataset="outliers")   # doctest: +SKIP
    >>> [(s.label, s.rank, s.metrics["mae"]) for s in result.verdict.standings]  # doctest: +SKIP

`plan` checks every variant and builds it (`api.prepare`) before anything is
written: the data is loaded once and shared, so every variant trains on the same
split with the same standardization; models of the same shape start from the
same weights; every variant draws its mini-batches from the same seeded stream,
so batch orders match too. `race` advances the variants' training loops in turn,
one epoch each, so a live view shows a race; a variant that diverges or stops
early ends and the others go on. `judge` ranks the variants by one metric that
means the same for all of them (raw values of different losses do not) and, when
the data comes from a generator whose noiseless target is known, measures each
variant's distance to that truth.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from lossfit import api, losses, metrics
from lossfit import data as datasets
from lossfit.config import VARYING_KEYS, RunConfig, read_compare_toml, validate
from lossfit.errors import ConfigError, LossfitError, TaskMismatchError, reason
from lossfit.sinks import RunSummary, Sink, json_safe
from lossfit.stopping import NEVER, Stop
from lossfit.training import EpochRecord
from lossfit.variants import Variant, expand, option_name

DEFAULT_METRIC = {"regression": "mae", "binary": "f1", "multiclass": "accuracy"}
TRUTH_METRIC = "truth_rmse"  # distance to the noiseless target, when the generator knows it
TASK_METRICS: dict[str, tuple[str, ...]] = {
    "regression": ("mae", "rmse", "mse", "r2", TRUTH_METRIC),
    "binary": ("f1", "accuracy", "precision", "recall", "roc_auc", "log_loss"),
    "multiclass": ("accuracy", "f1", "precision", "recall", "log_loss"),
}
LOWER_IS_BETTER = metrics.LOWER_IS_BETTER
METRIC_NAMES = metrics.NAMES


@dataclass
class Entry:
    """One variant of the race: its settings and the run built for it."""

    variant: Variant
    prepared: api.Prepared
    folder: str  # its run folder's name inside the compare folder
    initial_loss: float = math.nan  # its training loss at the initial weights (curves are drawn relative to it)

    @property
    def label(self) -> str:
        return self.variant.label


@dataclass
class Race:
    """Everything checked and built, nothing written yet."""

    entries: list[Entry]
    dataset: Any
    varying: list[str]  # the option keys that differ between variants
    metric: str  # the verdict's metric
    config: RunConfig  # the first variant's config: what all of them share
    notes: list[str] = field(default_factory=list)  # said once before the race (e.g. initial weights differ)

    @property
    def task(self) -> str:
        return str(self.dataset.task)

    @property
    def live_metric(self) -> str:
        """The metric shown while racing: the verdict's when it is measured every epoch."""
        per_epoch = ("mae", "rmse", "mse", "r2", "f1", "accuracy", "precision", "recall")
        return self.metric if self.metric in per_epoch else DEFAULT_METRIC[self.task]

    @property
    def dataset_label(self) -> str:
        """The dataset as the user gave it (`outliers`, `moons(noise=0.3)`), a file by its name."""
        if self.dataset.source == "file":
            return str(self.dataset.name)
        return self.config.dataset or str(self.dataset.name)

    @property
    def title(self) -> str:
        """`loss: mse vs mae vs huber on outliers`: what was compared, on what."""
        return f"{', '.join(self.varying)}: {' vs '.join(e.label for e in self.entries)} on {self.dataset_label}"

    @property
    def short_title(self) -> str:
        """`optimizer, lr: 8 variants on linear`, for narrow terminals."""
        return f"{', '.join(self.varying)}: {len(self.entries)} variants on {self.dataset_label}"

    def shared(self) -> dict[str, Any]:
        """The resolved settings every variant shares (the first's config without the varying keys)."""
        return {k: v for k, v in self.entries[0].prepared.resolved.items() if k not in self.varying}


# --------------------------------------------------------------------------------- plan
def merge_options(
    single: dict[str, Any], lists: dict[str, list[Any]], config_file: Path | None = None
) -> tuple[dict[str, Any], dict[str, list[Any]], dict[str, Any]]:
    """Defaults < config file < command line, for single values and variant lists alike.

    Returns (single values, variant lists, compare-only keys such as `metric`).
    """
    file_single, file_lists, extra = read_compare_toml(config_file) if config_file else ({}, {}, {})
    given = set(single) | set(lists)
    from_file = {k: v for k, v in file_single.items() if k not in given}
    validate(from_file, source=str(config_file))  # range errors name the file
    merged_lists = {k: v for k, v in file_lists.items() if k not in given}
    for key, values in merged_lists.items():
        for value in values:
            validate({key: value}, source=str(config_file))
    merged_lists.update(lists)
    merged_single = {**from_file, **single}
    for key, values in list(merged_lists.items()):
        if len(values) == 1:
            merged_single[key] = values[0]
            del merged_lists[key]
    return merged_single, merged_lists, extra


def plan(single: dict[str, Any], lists: dict[str, list[Any]], metric: str | None = None,
         metric_where: str = "--metric") -> Race:
    """Check and build every variant; raise a LossfitError (nothing written) for any user mistake.

    `metric_where` names where the metric came from in messages (the option, or a config file's key).
    """
    variants = expand(lists)
    if len(variants) < 2:
        raise ConfigError(
            "compare needs at least two variants: give several values to one of "
            f"{', '.join(option_name(k) for k in VARYING_KEYS)}, e.g. --loss mse,mae,huber."
        )
    base = {k: v for k, v in single.items() if k not in ("out",)}
    configs = [RunConfig(**{**base, **variant.settings}) for variant in variants]
    chosen = [losses.get(config.loss or api.default_loss(config)) for config in configs]
    _check_one_task(variants, chosen)
    first = configs[0]
    dataset_spec = first.dataset or chosen[0].default_dataset or datasets.default_for_task(chosen[0].task)
    dataset_task = datasets.task_of(dataset_spec, **api.file_options(first))
    for variant, loss in zip(variants, chosen):
        try:
            api.check_loss_fits(loss, dataset_task, datasets.name_of(dataset_spec), datasets.is_file(dataset_spec))
        except TaskMismatchError as err:
            raise TaskMismatchError(f"Variant `{variant.label}`: {err}") from None
    metric = _check_metric(metric, dataset_task, metric_where)
    dataset = datasets.load(dataset_spec, seed=first.seed, val_split=first.val_split,
                            standardize=first.standardize, **api.file_options(first))
    entries = []
    for variant, config in zip(variants, configs):
        config = replace(config, dataset=dataset_spec)
        entries.append(Entry(variant, _prepare(variant, config, dataset), ""))
    _refuse_duplicates(entries)
    _name_folders(entries)
    race = Race(entries, dataset, list(variants[0].settings), metric, entries[0].prepared.config)
    race.notes.extend(share_initial_weights(entries))
    for entry in entries:
        data, loss = entry.prepared.data, entry.prepared.loss
        entry.initial_loss = float(loss.value(entry.prepared.model.predict(data.X_train), data.y_train, data.w_train))
    race.notes.extend(_check_metric_applies(race, metric_where))
    return race


def _check_metric_applies(race: Race, where: str) -> list[str]:
    """Refuse a metric no variant can be ranked by; notes for the variants it cannot rank."""
    if race.metric == "log_loss":
        without = [e.label for e in race.entries if e.prepared.loss.probability_link not in ("sigmoid", "softmax")]
        if len(without) == len(race.entries):
            raise ConfigError(
                f"{where} log_loss: no variant gives probabilities ({', '.join(without)} give scores), so "
                f"none could be ranked. Rank by --metric {DEFAULT_METRIC[race.task]}."
            )
        if without:
            return [f"{', '.join(without)} give scores, not probabilities: no log loss, ranked last."]
    if race.metric == TRUTH_METRIC and datasets.true_target(race.dataset, race.dataset.X_train[:1]) is None:
        raise ConfigError(
            f"{where} {TRUTH_METRIC} needs a generated dataset whose noiseless target is known "
            "(linear, outliers, heavy_tailed, heteroscedastic, sine, polynomial, friedman1, counts); "
            f"`{race.dataset.name}` has none. Use --metric {DEFAULT_METRIC[race.task]}."
        )
    return []


def _prepare(variant: Variant, config: RunConfig, dataset: Any) -> api.Prepared:
    try:
        return api.prepare(config, dataset=dataset)
    except LossfitError as err:
        raise type(err)(f"Variant `{variant.label}`: {err}") from None


def _check_one_task(variants: Sequence[Variant], chosen: Sequence[Any]) -> None:
    """Regression losses and classification losses cannot share a dataset: say so in one line."""
    families = {("regression" if loss.task == "regression" else "classification") for loss in chosen}
    if len(families) > 1:
        parts = [f"{v.label} is for {loss.task}" for v, loss in zip(variants, chosen)]
        raise TaskMismatchError(
            f"Variants of different tasks: {'; '.join(parts)}. Every variant trains on the same data, so "
            "compare losses of one task (`lossfit losses` lists them by task)."
        )


def _check_metric(metric: str | None, task: str, where: str = "--metric") -> str:
    if metric is None:
        return DEFAULT_METRIC[task]
    if not metric.strip():
        raise ConfigError(f"{where} is empty; rank by one of {', '.join(TASK_METRICS[task])} (or leave it out).")
    key = metric.strip().lower().replace("-", "_")
    key = {"r²": "r2", "auc": "roc_auc", "truth": TRUTH_METRIC}.get(key, key)
    if key not in TASK_METRICS[task]:
        import difflib

        close = difflib.get_close_matches(key, TASK_METRICS[task], n=1)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        raise ConfigError(
            f"{where} {metric}: a {task} comparison is ranked by one of {', '.join(TASK_METRICS[task])}.{hint}"
        )
    return key


def _refuse_duplicates(entries: Sequence[Entry]) -> None:
    seen: dict[str, Entry] = {}
    for entry in entries:
        settings = dict(entry.prepared.resolved)
        batch = entry.prepared.config.batch_size
        if batch is not None and batch >= len(entry.prepared.data.X_train):
            settings["batch_size"] = "full"  # a batch as large as the data is the full batch
        key = json.dumps(settings, sort_keys=True, default=str)
        if key in seen:
            raise ConfigError(
                f"Variants `{seen[key].label}` and `{entry.label}` are the same run (both resolve to the same "
                "settings); give each value once."
            )
        seen[key] = entry


def _name_folders(entries: Sequence[Entry]) -> None:
    used: set[str] = set()
    for entry in entries:
        name, n = entry.variant.folder, 1
        while name.lower() in used:
            n += 1
            name = f"{entry.variant.folder}-{n}"
        used.add(name.lower())
        entry.folder = name


def share_initial_weights(entries: Sequence[Entry]) -> list[str]:
    """Give every model of the same shape the first such model's initial weights; notes if shapes differ."""
    groups: dict[tuple[tuple[int, ...], ...], list[Entry]] = {}
    for entry in entries:
        shapes = tuple(p.shape for p in entry.prepared.model.params)
        groups.setdefault(shapes, []).append(entry)
    for members in groups.values():
        source = members[0].prepared.model.params
        for other in members[1:]:
            for dst, src in zip(other.prepared.model.params, source):
                dst[...] = src
    if len(groups) == 1:
        return []
    shared = [" and ".join(e.label for e in members) for members in groups.values() if len(members) > 1]
    text = f"The models have {len(groups)} different shapes, so they cannot start from the same weights"
    text += f"; these share theirs: {'; '.join(shared)}." if shared else " (each starts from its own seeded weights)."
    return [text]


# --------------------------------------------------------------------------------- race
class Board(Protocol):
    """What the live leaderboard receives (leaderboard.py): it only watches the race."""

    def open(self, race: Race) -> None: ...
    def update(self, index: int, record: EpochRecord) -> None: ...
    def ended(self, index: int, status: str) -> None: ...
    def close(self) -> None: ...


def race(
    plan_: Race, sinks: Sequence[Sequence[Sink]], board: Board | None = None,
    stop_requested: Callable[[], bool | str] = lambda: False,
) -> tuple[list[RunSummary], list[list[EpochRecord]]]:
    """Advance every variant one epoch in turn until all have ended; each variant's summary and records.

    When `stop_requested()` turns true the current round finishes, then every
    variant stops (status "interrupted", or the status it returns: "terminated")
    with all its finished epochs kept. A
    variant whose own code raises a user error (a custom loss) ends as "failed";
    the others go on.
    """
    stopping: bool | str = False

    def should_stop() -> bool | str:
        return stopping

    runners = [api.Runner(e.prepared, list(s), should_stop) for e, s in zip(plan_.entries, sinks)]
    started: list[api.Runner] = []
    try:
        for runner in runners:
            runner.start()
            started.append(runner)
        if board is not None:
            board.open(plan_)
        # A round is one epoch of every variant still running. The loop stays thin (bound methods, no copies)
        # and NumPy's floating-point warnings are silenced once around it, as `api.run` does (a diverging
        # run overflows: its divergence check says so), not once per epoch: for tiny epochs the race's own
        # Python work is what it adds on top of the runs one by one.
        active = [(index, runner.advance_silenced) for index, runner in enumerate(runners)]
        update = board.update if board is not None else None
        with np.errstate(all="ignore"):
            while active:
                ended: list[int] = []
                for index, advance in active:
                    try:
                        record = advance()
                    except LossfitError as err:  # this variant's own mistake (a custom loss that raised): it alone ends
                        runners[index].fail(str(err))
                        record = None
                    if record is None:
                        ended.append(index)
                        if board is not None:
                            board.ended(index, runners[index].status or "interrupted")
                    elif update is not None:
                        update(index, record)
                if ended:
                    active = [(index, advance) for index, advance in active if index not in ended]
                if not stopping:
                    stopping = stop_requested() or False
        summaries = [runner.finish() for runner in runners]
    except BaseException:
        for runner in started:
            runner.abort()
        if board is not None:
            board.close()
        raise
    if board is not None:
        board.close()
    return summaries, [runner.records for runner in runners]


# -------------------------------------------------------------------------------- judge
@dataclass
class Standing:
    """One variant in the verdict."""

    label: str
    folder: str
    settings: dict[str, Any]  # the varying options, resolved (e.g. loss = "huber(delta=1.0)")
    status: str
    epochs: int
    seconds: float
    metrics: dict[str, float]  # every common metric on the judged split (the dataset's task)
    rank: int | None = None  # 1 is best; None: not ranked (diverged, or the metric is missing)
    truth_rmse: float | None = None  # RMSE between the prediction and the noiseless target
    slope: float | None = None  # one-feature linear regression: the fitted line in original units
    intercept: float | None = None
    true_slope: float | None = None
    true_intercept: float | None = None
    share_below: float | None = None  # regression: share of training targets below the prediction
    quantile: float | None = None  # the quantile the loss estimates (quantile tau; mae 0.5)
    message: str | None = None
    diagnostics: tuple[dict[str, str], ...] = ()  # what its history says (lossfit.diagnostics)

    def score(self, metric: str) -> float | None:
        value = self.truth_rmse if metric == TRUTH_METRIC else self.metrics.get(metric)
        return value if value is not None and math.isfinite(value) else None


@dataclass
class Verdict:
    """The standings, ranked by one metric, and the sentence that says on what."""

    metric: str
    split: str  # "validation" or "training"
    n_judged: int
    standings: list[Standing]
    basis: str  # one line: what the ranking is based on
    truth: str | None = None  # one line describing the truth, when known

    @property
    def ranked(self) -> list[Standing]:
        """Best first; unranked variants last, in their original order."""
        return sorted(self.standings, key=lambda s: (s.rank is None, s.rank or 0))


def judge(plan_: Race, summaries: Sequence[RunSummary]) -> Verdict:
    """Every variant's common metrics on the validation split (training without one), ranked."""
    dataset = plan_.dataset
    has_val = len(dataset.X_val) > 0
    X, y = (dataset.X_val, dataset.y_val) if has_val else (dataset.X_train, dataset.y_train)
    standings = []
    for entry, summary in zip(plan_.entries, summaries):
        standings.append(_standing(plan_, entry, summary, X, y))
    metric = plan_.metric
    better = 1.0 if metric in LOWER_IS_BETTER else -1.0
    scored = sorted((s for s in standings if s.score(metric) is not None and s.status not in ("diverged", "failed")),
                    key=lambda s: better * (s.score(metric) or 0.0))
    previous, rank = math.nan, 0
    for position, standing in enumerate(scored, start=1):
        value = standing.score(metric) or 0.0
        if not same_value(value, previous):  # runs that reach one optimum differ only in the last bits
            rank, previous = position, value
        standing.rank = rank
    split = "validation" if has_val else "training"
    direction = "lower" if metric in LOWER_IS_BETTER else "higher"
    basis = (f"Ranked by {METRIC_NAMES[metric]} on the {split} split ({len(y)} samples; {direction} is better): "
             "one measure for all, since each variant's own loss is on its own scale.")
    return Verdict(metric, split, len(y), standings, basis, _describe_truth(dataset, standings))


def _standing(plan_: Race, entry: Entry, summary: RunSummary, X: np.ndarray, y: np.ndarray) -> Standing:
    prepared, dataset = entry.prepared, plan_.dataset
    settings = {key: prepared.resolved.get(key) for key in plan_.varying}
    standing = Standing(entry.label, entry.folder, settings, summary.status, summary.epochs,
                        summary.train_seconds, {}, message=summary.message, quantile=quantile_of(prepared.loss),
                        diagnostics=summary.diagnostics)
    if summary.status in ("diverged", "failed") or not summary.epochs:
        return standing
    with np.errstate(all="ignore"):
        output = common_output(prepared.loss.predict(prepared.model.predict(X)), dataset.task)
        if not np.isfinite(output).all():
            return standing
        standing.metrics = metrics.final_metrics(dataset.task, output, y)
        if prepared.loss.probability_link not in ("sigmoid", "softmax"):
            standing.metrics.pop("log_loss", None)  # scores are not probabilities (hinge, perceptron...)
        if dataset.task != "regression":
            return standing
        truth = datasets.true_target(dataset, X, standing.quantile)
        if truth is not None:
            standing.truth_rmse = float(np.sqrt(np.mean((output - truth) ** 2)))
        train_output = prepared.loss.predict(prepared.model.predict(dataset.X_train))
        standing.share_below = float(np.mean(np.asarray(dataset.y_train) < train_output))
    line = api.fitted_line(prepared)
    if line is not None and prepared.loss.probability_link != "exp":
        standing.slope, standing.intercept = line
        known = datasets.true_line(dataset, standing.quantile)
        if known is not None:
            standing.true_slope, standing.true_intercept = known
    return standing


def same_value(a: float, b: float) -> bool:
    """Equal up to rounding (1e-9 relative): ties in the ranking.

    >>> same_value(0.2403, 0.2403 * (1 + 1e-12)), same_value(0.2403, 0.2404)
    (True, False)
    """
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


def common_output(output: np.ndarray, task: str) -> np.ndarray:
    """Model output in the dataset task's terms: a softmax over two classes becomes one score."""
    if task == "binary" and output.ndim == 2 and output.shape[1] == 2:
        return np.asarray(output[:, 1] - output[:, 0])  # log-odds of class 1: positive iff class 1 wins
    return output


def quantile_of(loss: Any) -> float | None:
    """The quantile of the target a loss estimates: quantile(tau) -> tau, mae -> the median; else None (mean)."""
    if loss.name == "quantile":
        return float(loss.tau)
    if loss.name == "mae":
        return 0.5
    return None


def _describe_truth(dataset: Any, standings: Sequence[Standing]) -> str | None:
    if dataset.task != "regression" or all(s.truth_rmse is None for s in standings):
        return None
    line = datasets.true_line(dataset)
    what = f"the noiseless line y = {line[0]:g}·x + {line[1]:g}" if line else f"the noiseless target of {dataset.name}"
    quantiles = sorted({s.quantile for s in standings if s.quantile not in (None, 0.5)})
    extra = " (for a quantile loss, the true quantile line at its tau)" if quantiles else ""
    return f"to truth: RMSE between each prediction and {what}{extra}, free of the sample's noise."


# ------------------------------------------------------------------------------- files
SUMMARY_FILES = ("summary.csv", "summary.json")


def summary_json(plan_: Race, verdict: Verdict, summaries: Sequence[RunSummary], out_dir: Path | None,
                 files: Sequence[str] = ()) -> dict[str, Any]:
    """What summary.json holds and `lossfit compare --json` prints."""
    from lossfit import __version__

    variants = []
    for standing, summary in zip(verdict.standings, summaries):
        item = {
            "label": standing.label, "folder": standing.folder, "settings": standing.settings,
            "rank": standing.rank, "status": standing.status, "epochs": standing.epochs,
            "train_seconds": standing.seconds, "metrics": standing.metrics, "message": standing.message,
            "diagnostics": list(standing.diagnostics),
            "final": summary.final,
        }
        if plan_.task == "regression":
            item.update(truth_rmse=standing.truth_rmse, share_below=standing.share_below, quantile=standing.quantile,
                        slope=standing.slope, intercept=standing.intercept, true_slope=standing.true_slope,
                        true_intercept=standing.true_intercept)
        variants.append(item)
    safe: dict[str, Any] = json_safe({
        "compared": plan_.varying, "title": plan_.title, "dataset": plan_.dataset.spec, "task": plan_.task,
        "metric": verdict.metric, "split": verdict.split, "n_judged": verdict.n_judged, "ranked_by": verdict.basis,
        "truth": verdict.truth, "status": overall_status(summaries), "notes": plan_.notes,
        "variants": variants, "shared": plan_.shared(), "compare_dir": str(out_dir) if out_dir else None,
        "files": list(files), "lossfit_version": __version__,
    })
    return safe


def summary_csv(plan_: Race, verdict: Verdict) -> str:
    """One row per variant: rank, label, its varying settings, status, epochs, seconds, the metrics."""
    metric_keys = TASK_METRICS[plan_.task]
    extra = ("share_below", "slope", "intercept") if plan_.task == "regression" else ()
    header = ["rank", "variant", *plan_.varying, "status", "epochs", "train_seconds", *metric_keys, *extra]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for s in verdict.ranked:
        values = [s.truth_rmse if key == TRUTH_METRIC else s.metrics.get(key) for key in metric_keys]
        values += [getattr(s, key) for key in extra]
        writer.writerow([s.rank if s.rank is not None else "", s.label, *[s.settings.get(k) for k in plan_.varying],
                         s.status, s.epochs, f"{s.seconds:.6f}", *["" if v is None else repr(v) for v in values]])
    return buffer.getvalue()


def overall_status(summaries: Sequence[RunSummary]) -> str:
    """interrupted (or terminated) if any was; completed if any variant finished; else failed (if one did)
    or diverged."""
    statuses = [s.status for s in summaries]
    for stopped in ("terminated", "interrupted"):
        if stopped in statuses:
            return stopped
    if any(s in ("completed", "early_stopped") for s in statuses):
        return "completed"
    return "failed" if "failed" in statuses else "diverged"


def default_compare_dir(race_: Race, root: Path = Path("runs")) -> Path:
    """runs/compare-<dataset>-<what varies>-<timestamp>, with -2, -3... if that exists."""
    from lossfit.runs import stamped_dir

    return stamped_dir(f"compare-{race_.dataset.name}-{'-'.join(race_.varying)}", root)


def write_summary(path: Path, plan_: Race, verdict: Verdict, summaries: Sequence[RunSummary],
                  files: Sequence[str]) -> None:
    from lossfit.runs import write_atomic

    write_atomic(path / "summary.csv", summary_csv(plan_, verdict))
    payload = summary_json(plan_, verdict, summaries, path, files)
    write_atomic(path / "summary.json", json.dumps(payload, indent=2) + "\n")


# ---------------------------------------------------------------------- the whole job
@dataclass
class CompareResult:
    """What `lossfit.compare` returns (and the CLI prints)."""

    race: Race
    verdict: Verdict
    summaries: list[RunSummary]
    records: list[list[EpochRecord]] = field(repr=False)
    out_dir: Path | None = None
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a plot that could not be drawn

    @property
    def status(self) -> str:
        return overall_status(self.summaries)

    def to_json(self) -> dict[str, Any]:
        return summary_json(self.race, self.verdict, self.summaries, self.out_dir, self.files)

    @property
    def history(self) -> dict[str, dict[str, np.ndarray]]:
        """Each variant's history by its label: history.csv's columns as NumPy arrays (`TrainResult.history`).

        Built from the records the race kept: every epoch up to record_log.KEEP epochs, a sample beyond
        (each variant's history.csv, with `out`, has every row)."""
        from lossfit.notebook import history_of

        return {entry.label: history_of(rows) for entry, rows in zip(self.race.entries, self.records)}

    def to_pandas(self) -> Any:
        """Every variant's history in one long DataFrame, a `variant` column first (needs pandas)."""
        from lossfit.notebook import require_pandas

        pandas = require_pandas()
        frames = [pandas.DataFrame({"variant": label, **columns}) for label, columns in self.history.items()]
        return pandas.concat(frames, ignore_index=True)

    def plot(self) -> Any:
        """The compare folder's figures (curves, and fits or models) as matplotlib Figures
        (`notebook.Figures`), which a notebook shows inline."""
        from lossfit.notebook import draw
        from lossfit.plots import compare as plots

        return draw(plots.compare_figures(self.race, self.verdict, self.records))


def execute(plan_: Race, out_dir: Path | None, board: Board | None = None, plot: bool = True,
            stop: Stop = NEVER, animate: Path | None = None, frames: int | None = None) -> CompareResult:
    """Race, judge and (with `out_dir`, already created) write the compare folder.

    The folder gets one run folder per variant (the same files as `train`), then
    summary.csv and summary.json, then the comparison plots. Every variant's folder
    is claimed before the race starts. A first signal (`stop`) ends the race after
    the current round; a second one skips the plots (and the animation).

    With `animate` (a .gif path checked by `animate.check_options`), every variant's weights are
    snapshotted as it trains and, after the plots, one GIF shows them all at each snapshot epoch.
    """
    from lossfit.animate import SnapshotSink
    from lossfit.runs import RunFolder

    folders = [RunFolder(out_dir / entry.folder, plot=plot, stop=stop) for entry in plan_.entries] \
        if out_dir is not None else []
    for folder in folders:
        folder.claim()
    sinks: list[list[Sink]] = [[folder] for folder in folders] if folders else [[] for _ in plan_.entries]
    tracks = [SnapshotSink(frames) for _ in plan_.entries] if animate is not None and out_dir is not None else []
    for own, track in zip(sinks, tracks):
        own.append(track)
    summaries, records = race(plan_, sinks, board, stop)
    verdict = judge(plan_, summaries)
    result = CompareResult(plan_, verdict, summaries, records, out_dir)
    result.warnings.extend(warning for folder in folders for warning in folder.warnings)
    if out_dir is None:
        return result
    result.files = [*(e.folder + "/" for e in plan_.entries), *SUMMARY_FILES]
    write_summary(out_dir, plan_, verdict, summaries, result.files)
    if plot or tracks:
        with stop.plotting() as drawing:
            if drawing and plot:
                _draw(result)
            if drawing and tracks and animate is not None:
                _animate(result, tracks, animate)
    return result


def _animate(result: CompareResult, tracks: Sequence[Any], path: Path) -> None:
    """The GIF of every variant at each snapshot epoch, then summary.json listing it (a failure is a warning)."""
    from lossfit.animate import common_epochs

    assert result.out_dir is not None
    epochs = common_epochs(list(tracks))
    if not epochs:
        result.warnings.append(f"{path} was not written: no variant ran an epoch")
        return
    try:
        from lossfit.plots import animation  # matplotlib, only now

        animation.write_compare_gif(path, result.race, tracks, epochs, result.records,
                                    planned=max(track.planned for track in tracks))
    except Exception as err:
        result.warnings.append(f"{path} could not be written: {reason(err)}")
        return
    resolved = path.resolve()
    try:
        name = str(resolved.relative_to(result.out_dir.resolve()))  # inside the compare folder: its name there
    except ValueError:
        name = str(resolved)
    result.files.append(name)
    write_summary(result.out_dir, result.race, result.verdict, result.summaries, result.files)


def _draw(result: CompareResult) -> None:
    """The comparison plots, then summary.json again listing them (a failed plot is a warning)."""
    try:
        from lossfit.plots import compare as compare_plots
    except Exception as err:  # e.g. MPLBACKEND=bogus
        result.warnings.append(f"no plots: matplotlib could not be loaded ({type(err).__name__}: {err})")
        return
    assert result.out_dir is not None
    try:
        for name, error in compare_plots.draw_compare(result.out_dir, result.race, result.verdict, result.records):
            if error is None:
                result.files.append(name)
            else:
                result.warnings.append(f"{result.out_dir / name} could not be drawn: {error}")
    finally:  # also when a second signal skips the rest of the plots
        write_summary(result.out_dir, result.race, result.verdict, result.summaries, result.files)


def compare(*, out: str | Path | None = None, progress: str | None = None, plot: bool = True,
            metric: str | None = None, config: str | Path | None = None, **options: Any) -> CompareResult:
    """Compare from Python with the same options as `lossfit compare`.

    A varying option takes a list (`loss=["mse", "mae"]`, `lr=[0.01, 0.1]`) or a
    comma-separated string (`loss="mse,mae,huber(delta=0.5)"`). Writes a compare
    folder only when `out` is given. `progress`: by default a live plot of every
    variant's loss in a Jupyter notebook's cell (`lossfit.notebook`) and nothing
    elsewhere; "rich" or "plain" show the leaderboard on stderr, "none" nothing.
    """
    from lossfit import display, notebook, runs
    from lossfit.config import coerce_value
    from lossfit.leaderboard import board_for
    from lossfit.variants import values_from_options

    mode = notebook.resolve_progress(progress)
    single: dict[str, Any] = {"progress": "none" if mode == "notebook" else mode, "plot": plot}
    lists: dict[str, list[Any]] = {}
    for key, value in options.items():
        if value is None:
            continue
        if key in VARYING_KEYS:
            items = list(value) if isinstance(value, (list, tuple)) and key != "class_weight" else [value]
            lists[key] = [v for item in items for v in (
                values_from_options(key, [item]) if isinstance(item, str) else [coerce_value(key, item, "option")]
            )]
        else:
            single[key] = coerce_value(key, value, "option")
    merged, merged_lists, extra = merge_options(single, lists, Path(config) if config is not None else None)
    plan_ = plan(merged, merged_lists, metric or extra.get("metric"))
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        runs.check_out_dir(out_dir)
        runs.create_run_dir(out_dir)
    board: Board | None = notebook.LiveRace() if mode == "notebook" else board_for(mode, display.Terminal.create())
    return execute(plan_, out_dir, board, plot)
