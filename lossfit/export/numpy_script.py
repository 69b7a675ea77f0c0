"""`export_numpy`: a lossfit run as one standalone, readable NumPy script plus its data.

The script is plain top-to-bottom code a learner can read next to `lossfit
explain`: the data, the model's forward and backward passes, the loss's value
and gradient, the optimizer's update rule, the schedule, the penalties and the
epoch loop, each written out for this run only (an Adam run has no SGD code).
Run with `python script.py`, it prints one line per epoch, `epoch train_loss`,
equal to the run's history.csv (to rounding: the operations are lossfit's own,
in the same order). The arrays (standardized data, targets in the loss's
encoding, class weights as per-sample weights, initial weights) are saved
beside it as an `.npz`.

The pieces come from one template per loss, optimizer, schedule and model
(`_losses`, `_optimizers`, `_schedules`, `_models`); anything without a template
raises a `ConfigError` naming it, before a file is written.
"""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from lossfit.api import STREAM_BATCHES, Prepared, prepare
from lossfit.config import build_config
from lossfit.errors import ConfigError
from lossfit.export import _losses, _models, _optimizers, _schedules
from lossfit.export._text import first_line, indent, notes, num
from lossfit.rerun import count_epochs, saved_status

RULE = "# " + "-" * 76


def export_numpy(run_dir: Path, script: Path) -> list[Path]:
    """Write `script` (a standalone NumPy script reproducing the run in `run_dir`) and its data file.

    The data goes to `script.with_suffix(".npz")`. Returns the paths written.
    Raises `ConfigError` for a run that cannot be exported (naming the piece and
    why), before anything is written; both files are written completely or not at all.
    """
    return write_export(run_dir, script, script_text)


def write_export(run_dir: Path, script: Path, make_text: Callable[..., str]) -> list[Path]:
    """Rebuild the run of `run_dir`, write the script `make_text` makes of it and the data beside it.

    `make_text(prepared, data_name, source=, diverged=, script_name=)` is a module's `script_text`
    (NumPy's or torch's). Nothing is written when it raises.
    """
    run_dir, script = Path(run_dir), Path(script)
    config_file = run_dir / "config.toml"
    if not config_file.is_file():
        raise ConfigError(
            f"{run_dir} holds no config.toml: give the folder of a lossfit run (lossfit train --out DIR)."
        )
    prepared = prepare(build_config(config_file, {}))
    status = saved_status(run_dir)
    if status in ("interrupted", "terminated"):  # a stopped run's script runs the epochs its history holds
        done = count_epochs(run_dir / "history.csv")
        if 0 < done < prepared.config.epochs:  # the schedule was built for the whole run: it stays as it was
            prepared = replace(prepared, config=replace(prepared.config, epochs=done))
    data_file = script.with_suffix(".npz")
    if data_file == script:
        raise ConfigError(f"the script {script} needs a name ending in .py (its data goes to a .npz beside it).")
    text = make_text(prepared, data_file.name, source=str(run_dir), diverged=status == "diverged",
                     script_name=script.name)
    buffer = io.BytesIO()
    np.savez(buffer, **data_arrays(prepared))  # type: ignore[arg-type]
    _write_all({script: text.encode("utf-8"), data_file: buffer.getvalue()})
    return [script, data_file]


def _write_all(contents: dict[Path, bytes]) -> None:
    """Write every file under a temporary name, then rename them all: no file is left half written."""
    written: list[Path] = []
    try:
        for path, content in contents.items():
            temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
            written.append(temporary)
            temporary.write_bytes(content)
        for path, temporary in zip(contents, written):
            os.replace(temporary, path)
    finally:
        for temporary in written:
            temporary.unlink(missing_ok=True)


def data_arrays(prepared: Prepared) -> dict[str, np.ndarray]:
    """What the script loads: the prepared splits, per-sample weights (if any) and the initial parameters."""
    data = prepared.data
    arrays: dict[str, np.ndarray] = {"X_train": data.X_train, "y_train": np.asarray(data.y_train),
                                     "X_val": data.X_val, "y_val": np.asarray(data.y_val)}
    if data.w_train is not None:
        arrays["w_train"] = data.w_train
        arrays["w_val"] = data.w_val if data.w_val is not None else np.zeros(0)
    for name, p in zip(_models.param_names(prepared.model), prepared.model.params):
        arrays[name] = p
    return arrays


def check_exportable(prepared: Prepared) -> None:
    """A ConfigError for a run this exporter cannot reproduce (before any code is generated)."""
    config = prepared.config
    if config.dtype != "float64":
        raise ConfigError(f"cannot export a {config.dtype} run to NumPy: the script computes in float64; "
                          "train with --dtype float64 to export it.")


def script_text(prepared: Prepared, data_name: str, source: str = "RUN", diverged: bool = False,
                script_name: str = "script.py") -> str:
    """The whole script for `prepared`, loading its arrays from `data_name` (a file beside it).

    `diverged`: the run ended diverged, so the script carries lossfit's whole divergence check
    (a run that did not diverge never meets it: it stops only on a NaN/inf loss).
    """
    watch = diverged
    check_exportable(prepared)
    config, data, model = prepared.config, prepared.data, prepared.model
    weighted = data.w_train is not None
    two_d = model.params[-2].ndim == 2
    has_val = len(data.X_val) > 0
    n = len(data.X_train)
    mini_batch = config.batch_size is not None and config.batch_size < n
    sched = _schedules.code(prepared.schedule, prepared.optimizer)
    ctx = _optimizers.OptimizerContext()
    if sched.cycles is not None:
        low, high = sorted((prepared.schedule.base_momentum, prepared.schedule.max_momentum))
        ctx = _optimizers.OptimizerContext(sched.cycles, low, high)
    loss_lines = _losses.code(prepared.loss, _losses.LossContext(weighted, two_d, prepared.loss.task == "multiclass"))
    optimizer_lines = _optimizers.code(prepared.optimizer, ctx)
    model_lines = _models.code(model)
    monitor = config.early_stopping > 0 or sched.uses_metric
    w = ", w" if weighted else ""

    lines = _head(prepared, source, data_name, script_name)
    lines += settings_section(config, mini_batch)
    lines += ["", ""]
    lines += _data_section(prepared, data_name, weighted)
    lines += ["", "", RULE, "# model", RULE, *model_lines, "", ""]
    lines += [RULE, *_loss_header(prepared.loss), RULE, *loss_lines, "", ""]
    lr_comment = "the learning rate of the current epoch (the schedule sets it)" if sched.definitions or sched.start \
        else "the learning rate: constant"
    comments = next(i for i, line in enumerate(optimizer_lines) if not line.startswith("#"))
    lines += [RULE, "# optimizer", RULE, *optimizer_lines[:comments], f"lr = LR  # {lr_comment}",
              *optimizer_lines[comments:], "", ""]
    if sched.definitions:
        lines += [RULE, "# learning-rate schedule", RULE, *sched.definitions, "", ""]
    lines += [RULE, "# one gradient step", RULE, *_step_functions(prepared, weighted, watch), "", ""]
    lines += [RULE, "# training", RULE]
    lines += _loop(prepared, sched, mini_batch, has_val, monitor, w, watch)
    return "\n".join(lines) + "\n"


def _head(prepared: Prepared, source: str, data_name: str, script_name: str) -> list[str]:
    imports = ["import math", "import sys", "from pathlib import Path", "", "import numpy as np"]
    title = textwrap.wrap(prepared.title + ".", width=100, break_long_words=False, break_on_hyphens=False)
    return [
        '"""' + title[0],
        *title[1:],
        "",
        "Exported by `lossfit export RUN_DIR --to numpy` from the run folder",
        f"`{source}`.",
        "It needs only NumPy (and matplotlib for --plot), and the arrays saved beside it in",
        f"{data_name}.",
        f"`python {script_name}` prints, for every epoch, the epoch and its training loss:",
        "the numbers of the run's history.csv (train_loss). `--plot` also draws them.",
        '"""',
        "",
        *imports,
        "",
        "",
    ]


def _loss_header(loss: Any) -> list[str]:
    """What the loss is, and its formulas as its docstring states them (what `lossfit explain` shows)."""
    if type(loss).__module__ == "lossfit.custom_loss":
        name = str(loss.spec).rpartition(":")[2]
        return [f"# loss: custom loss `{name}`" + (f": {loss.summary}" if loss.summary else ""),
                "# value = mean(L) over all elements (one per row for multiclass)    grad = D / n"]
    return [f"# loss: {first_line(type(loss))}", *notes(type(loss))]


def _data_section(prepared: Prepared, data_name: str, weighted: bool) -> list[str]:
    data, dataset, model = prepared.data, prepared.dataset, prepared.model
    names = _models.param_names(model)
    scaled = "standardized with the training split's mean and std" if prepared.config.standardize \
        else "not standardized"
    lines = [
        RULE, "# data", RULE,
        f"# dataset {dataset.spec}:",
        f"# {len(data.X_train)} training and {len(data.X_val)} validation samples, "
        f"{data.X_train.shape[1]} feature{'s' if data.X_train.shape[1] != 1 else ''}, {scaled}.",
        f"# Targets are in the loss's encoding ({prepared.loss.target_domain}).",
        f'data = np.load(Path(__file__).with_name("{data_name}"))',
        'X_train, y_train = data["X_train"], data["y_train"]',
        'X_val, y_val = data["X_val"], data["y_val"]',
    ]
    if weighted:
        lines.append(f'w_train, w_val = data["w_train"], data["w_val"]  '
                     f'# class weights {prepared.config.class_weight}, one per sample')
    lines += [f"# the initial weights {', '.join(names)}, as lossfit drew them (seed {prepared.config.seed})",
              f"params = [{', '.join(f'data[{chr(34)}{name}{chr(34)}]' for name in names)}]"]
    if prepared.config.l1 or prepared.config.l2:
        weights = [i for i, is_weight in enumerate(model.is_weight) if is_weight]
        lines.append(f"WEIGHTS = {weights}  # which params are weights (the penalties apply to them), not biases")
    return lines


def _step_functions(prepared: Prepared, weighted: bool, watch: bool) -> list[str]:
    config = prepared.config
    w = ", w" if weighted else ""
    body = ["grads = backward(params, cache, g)"]
    if config.l2:
        body += ["for i in WEIGHTS:", "    grads[i] += L2 * params[i]  # d/dW (l2/2)||W||² = l2 W"]
    if config.l1:
        body += ["for i in WEIGHTS:",
                 "    grads[i] += L1 * np.sign(params[i])  # a subgradient of l1 ||W||_1 (0 at W = 0)"]
    if config.clip_grad or watch:
        body += ["grad_norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))  # of all parameters together"]
    if config.clip_grad:
        body += ["if grad_norm > CLIP_GRAD:",
                 "    scale = CLIP_GRAD / grad_norm",
                 "    for g in grads:",
                 "        g *= scale"]
    body += ["optimizer_step(params, grads)"]
    if watch:
        body += ["return grad_norm  # before clipping"] if config.clip_grad else ["return grad_norm"]
    return [
        f"def batch_loss(X, y{w}):",
        '    """The mean loss of a batch at the current weights, its gradient g = dL/d out, and the cache."""',
        "    out, cache = forward(params, X)",
        f"    value, g = loss_and_grad(out, y{w})",
        "    return value, g, cache",
        "",
        "",
        "def update(g, cache):",
        '    """Backward pass' + (", penalties" if config.l1 or config.l2 else "")
        + (", clipping" if config.clip_grad else "") + ' and one optimizer step'
        + ("; returns the gradient norm" if watch else "") + '."""',
        *indent(body),
    ]


def _loop(prepared: Prepared, sched: _schedules.ScheduleCode, mini_batch: bool, has_val: bool,
          monitor: bool, w: str, watch: bool) -> list[str]:
    config = prepared.config
    weighted = bool(w)
    val_loss = f"loss_and_grad(forward(params, X_val)[0], y_val{', w_val' if weighted else ''})[0]"
    need_val = has_val and (monitor or watch)
    lines: list[str] = []
    if mini_batch:
        lines += [f"rng = np.random.default_rng([SEED, {STREAM_BATCHES}])  # lossfit's random stream for batch orders",
                  "n = len(X_train)"]
    lines += ["history = []", *sched.start]
    if config.early_stopping:
        lines += ["best, improved_epoch = math.inf, 0  # early stopping: the best monitored loss, and when"]
    if watch:
        lines += ["first_loss, best_loss, high_epochs = math.inf, math.inf, 0  # the divergence check"]
    body: list[str] = []
    if mini_batch:
        body += [
            "# mini-batches in a fresh random order; the epoch's loss is the mean of the batches' losses,",
            "# each measured before its own update",
            "order = rng.permutation(n)",
            "batch_losses = []",
            *(["norms = []"] if watch else []),
            "for begin in range(0, n, BATCH_SIZE):",
            "    rows = order[begin:begin + BATCH_SIZE]",
            f"    value, g, cache = batch_loss(X_train[rows], y_train[rows]{', w_train[rows]' if weighted else ''})",
            "    norms.append(update(g, cache))" if watch else "    update(g, cache)",
            "    batch_losses.append(value)",
            "train_loss = sum(batch_losses) / len(batch_losses)",
            *(["grad_norm = sum(norms) / len(norms)"] if watch else []),
        ]
        if need_val:
            body += [f"val_loss = {val_loss}  # after the epoch"]
        if monitor:
            train_w = ", w_train" if weighted else ""
            body += ["monitored = val_loss" if has_val else
                     f"monitored = loss_and_grad(forward(params, X_train)[0], y_train{train_w})[0]"
                     "  # training loss after the epoch"]
    else:
        body += [
            "# full batch: the loss at the weights the epoch starts from, then one update",
            f"train_loss, g, cache = batch_loss(X_train, y_train{', w_train' if weighted else ''})",
        ]
        if need_val:
            body += [f"val_loss = {val_loss}  # the same weights"]
        if monitor:
            body += ["monitored = val_loss" if has_val else "monitored = train_loss"]
        body += ["grad_norm = update(g, cache)" if watch else "update(g, cache)"]
    body += epoch_end(watch, has_val, bool(config.early_stopping))
    if sched.step:
        body += ["if epoch < EPOCHS:  # the lr of the next epoch", *indent(sched.step)]
    lines += ["for epoch in range(1, EPOCHS + 1):", *indent(body), ""]
    lines += PLOT_CURVE
    return lines


def epoch_end(watch: bool, has_val: bool, early_stopping: bool) -> list[str]:
    """The end of an epoch in both exported scripts: print the loss, then lossfit's checks in its order.

    `watch`: the run diverged, so the script carries the whole divergence check; otherwise it
    stops only on a NaN/inf loss.
    """
    lines = ['print(f"{epoch} {train_loss!r}")', "history.append(train_loss)"]
    if watch:
        total = "train_loss + grad_norm" + (" + val_loss" if has_val else "")
        lines += [
            "# lossfit's divergence check (this run diverged): a NaN/inf loss or gradient, or a training loss",
            "# above 10x both its best and its first value for 5 epochs in a row, ends the run",
            f"if not math.isfinite({total}):",
            "    break",
            "if epoch == 1:",
            "    first_loss = train_loss",
            "best_loss = min(best_loss, train_loss)",
            "reference = max(best_loss, first_loss)",
            "high_epochs = high_epochs + 1 if reference > 0 and train_loss > 10.0 * reference else 0",
            "if high_epochs >= 5:",
            "    break",
        ]
    else:
        lines += ["if not math.isfinite(train_loss):  # lossfit stops a run whose loss is NaN or inf", "    break"]
    if early_stopping:
        lines += [
            "if monitored < best - MIN_DELTA:  # only improvements larger than min_delta reset the patience",
            "    best, improved_epoch = monitored, epoch",
            "elif epoch - improved_epoch >= EARLY_STOPPING and epoch < EPOCHS:",
            '    print(f"early stop: no improvement for {EARLY_STOPPING} epochs", file=sys.stderr)',
            "    break",
        ]
    return lines


def settings_section(config: Any, mini_batch: bool) -> list[str]:
    """The constants at the top of both exported scripts: epochs, lr, and what the run set."""
    lines = [RULE, "# settings", RULE, f"EPOCHS = {config.epochs}", f"LR = {num(config.lr)}  # the base learning rate"]
    if mini_batch:
        lines += [f"BATCH_SIZE = {config.batch_size}",
                  f"SEED = {config.seed}  # the run's seed: it orders the mini-batches"]
    for key, what in (("l2", "L2 penalty (l2/2)||W||² on the weights, not the biases"),
                      ("l1", "L1 penalty l1 ||W||_1 on the weights, not the biases"),
                      ("clip_grad", "clip the gradient to this norm")):
        if getattr(config, key):
            lines.append(f"{key.upper()} = {num(getattr(config, key))}  # {what}")
    if config.early_stopping:
        lines += [f"EARLY_STOPPING = {config.early_stopping}  # stop after this many epochs without improvement",
                  f"MIN_DELTA = {num(config.min_delta)}  # ...by more than this"]
    return lines


PLOT_CURVE = [  # the last lines of both exported scripts
    'if __name__ == "__main__" and "--plot" in sys.argv:  # the training curve (needs matplotlib)',
    "    import matplotlib.pyplot as plt",
    "",
    "    plt.plot(range(1, len(history) + 1), history)",
    '    plt.xlabel("epoch")',
    '    plt.ylabel("training loss")',
    "    plt.show()",
]
