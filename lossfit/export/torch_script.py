"""`export_torch`: a lossfit run as one standalone, readable PyTorch script plus its data.

The script is the run written the way a PyTorch user writes a training loop:
`model = nn.Sequential(nn.Linear(...))`, a `torch.nn` loss (or the few lines of
torch ops for a loss torch lacks), a `torch.optim` optimizer (or a small
`torch.optim.Optimizer` subclass for a variant torch lacks), a
`torch.optim.lr_scheduler` stepped once per epoch, and `opt.zero_grad();
loss.backward(); opt.step()`. It computes in float64 from lossfit's initial
weights, in lossfit's batch order (drawn with NumPy from the run's seed), so
`python script.py` prints, for every epoch, the training loss of the run's
history.csv (to rounding: autograd's operations are not lossfit's, in the same
order, so the last bits can differ). The arrays are saved beside it as an
`.npz`, the same file `--to numpy` writes.

The pieces come from one template per loss, optimizer, schedule and model
(`_torch_losses`, `_torch_optimizers`, `_torch_schedules`, `_torch_models`);
anything torch cannot express raises a `ConfigError` naming it and why, before
a file is written. torch is never imported here: the templates are text.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from lossfit.api import STREAM_BATCHES, Prepared
from lossfit.errors import ConfigError
from lossfit.export import _torch_losses, _torch_models, _torch_optimizers, _torch_schedules
from lossfit.export._losses import LossContext
from lossfit.export._text import first_line, indent
from lossfit.export.numpy_script import PLOT_CURVE, RULE, epoch_end, settings_section, write_export


def export_torch(run_dir: Path, script: Path) -> list[Path]:
    """Write `script` (a standalone PyTorch script reproducing the run in `run_dir`) and its data file.

    The data goes to `script.with_suffix(".npz")`. Returns the paths written.
    Raises `ConfigError` for a run that cannot be exported (naming the piece and
    why), before anything is written; both files are written completely or not at all.
    """
    return write_export(run_dir, script, script_text)


def check_exportable(prepared: Prepared) -> None:
    """A ConfigError for a run this exporter cannot reproduce (before any code is generated)."""
    if prepared.config.dtype != "float64":
        raise ConfigError(f"cannot export a {prepared.config.dtype} run to torch: the script computes in float64 "
                          "(lossfit's float32 arithmetic is NumPy's, not torch's); train with --dtype float64 "
                          "to export it.")


def script_text(prepared: Prepared, data_name: str, source: str = "RUN", diverged: bool = False,
                script_name: str = "script.py") -> str:
    """The whole script for `prepared`, loading its arrays from `data_name` (a file beside it).

    `diverged`: the run ended diverged, so the script carries lossfit's whole divergence check.
    """
    check_exportable(prepared)
    config, data, model = prepared.config, prepared.data, prepared.model
    weighted = data.w_train is not None
    two_d = model.params[-2].ndim == 2
    loss_lines, functional = _torch_losses.code(
        prepared.loss, LossContext(weighted, two_d, prepared.loss.task == "multiclass"))
    optimizer_lines = _torch_optimizers.code(prepared.optimizer)
    sched = _torch_schedules.code(prepared.schedule)
    model_lines = _torch_models.code(model, config.seed)
    n = len(data.X_train)
    mini_batch = config.batch_size is not None and config.batch_size < n

    lines = _head(prepared, source, data_name, script_name, functional)
    lines += settings_section(config, mini_batch)
    lines += ["", ""]
    lines += _data_section(prepared, data_name, weighted)
    lines += ["", "", RULE, "# model", RULE, *model_lines]
    if config.l1 or config.l2:
        lines += ["", "", *_penalty(config.l2, config.l1)]
    lines += ["", "", RULE, f"# loss: {first_line(type(prepared.loss))}", RULE, *loss_lines, "", ""]
    lines += [RULE, "# optimizer", RULE, *optimizer_lines, "", ""]
    if sched.lines:
        lines += [RULE, "# learning-rate schedule, stepped once per epoch", RULE, *sched.lines, "", ""]
    lines += [RULE, "# training", RULE]
    lines += _loop(prepared, sched, mini_batch, weighted, diverged)
    return "\n".join(lines) + "\n"


def _head(prepared: Prepared, source: str, data_name: str, script_name: str, functional: bool) -> list[str]:
    title = textwrap.wrap(prepared.title + ".", width=100, break_long_words=False, break_on_hyphens=False)
    return [
        '"""' + title[0],
        *title[1:],
        "",
        "Exported by `lossfit export RUN_DIR --to torch` from the run folder",
        f"`{source}`.",
        "It needs PyTorch and NumPy (and matplotlib for --plot), and the arrays saved beside it in",
        f"{data_name}.",
        f"`python {script_name}` prints, for every epoch, the epoch and its training loss:",
        "the numbers of the run's history.csv (train_loss). `--plot` also draws them.",
        '"""',
        "",
        "import math",
        "import sys",
        "from pathlib import Path",
        "",
        "import numpy as np",
        "import torch",
        *(["import torch.nn.functional as F"] if functional else []),
        "from torch import nn",
        "",
        "torch.set_default_dtype(torch.float64)  # lossfit computes in float64",
        "",
        "",
    ]


def _data_section(prepared: Prepared, data_name: str, weighted: bool) -> list[str]:
    data, dataset = prepared.data, prepared.dataset
    scaled = "standardized with the training split's mean and std" if prepared.config.standardize \
        else "not standardized"
    lines = [
        RULE, "# data", RULE,
        f"# dataset {dataset.spec}:",
        f"# {len(data.X_train)} training and {len(data.X_val)} validation samples, "
        f"{data.X_train.shape[1]} feature{'s' if data.X_train.shape[1] != 1 else ''}, {scaled}.",
        f"# Targets are in the loss's encoding ({prepared.loss.target_domain}).",
        f'data = np.load(Path(__file__).with_name("{data_name}"))',
        'X_train, y_train = torch.from_numpy(data["X_train"]), torch.from_numpy(data["y_train"])',
        'X_val, y_val = torch.from_numpy(data["X_val"]), torch.from_numpy(data["y_val"])',
    ]
    if weighted:
        lines.append(f'w_train, w_val = torch.from_numpy(data["w_train"]), torch.from_numpy(data["w_val"])  '
                     f'# class weights {prepared.config.class_weight}, one per sample')
    return lines


def _penalty(l2: float, l1: float) -> list[str]:
    terms, grads = [], []
    if l2:
        terms.append("L2 / 2 * sum((W**2).sum() for W in weights)")
        grads.append("l2 W")
    if l1:
        terms.append("L1 * sum(W.abs().sum() for W in weights)")
        grads.append("l1 sign(W)")
    note = ["# abs's gradient at 0 is 0, as lossfit's sign(0) = 0"] if l1 else []
    return [
        "weights = [layer.weight for layer in model if isinstance(layer, nn.Linear)]  # not the biases",
        "",
        "",
        "def penalty():",
        '    """The penalties on the weights: autograd adds ' + " + ".join(grads) + ' to their gradients."""',
        *indent(note),
        f"    return {' + '.join(terms)}",
    ]


def _update(prepared: Prepared, norm: str | None) -> list[str]:
    """zero_grad, backward, clipping and the optimizer step, for a batch whose data loss is `loss`."""
    config = prepared.config
    objective = "(loss + penalty()).backward()  # the data loss plus the penalties" if config.l1 or config.l2 \
        else "loss.backward()"
    lines = ["opt.zero_grad()", objective]
    if config.clip_grad or norm:
        target = norm or "grad_norm"
        lines.append(f"{target} = math.sqrt(sum(float((p.grad * p.grad).sum()) for p in model.parameters()))"
                     "  # all parameters together")
    if config.clip_grad:
        target = norm or "grad_norm"
        lines += [
            "# lossfit's clipping, written out: torch.nn.utils.clip_grad_norm_ scales by max_norm / (norm + 1e-6),",
            "# a relative difference of about 1e-6 that would show in the losses",
            f"if {target} > CLIP_GRAD:",
            "    for p in model.parameters():",
            f"        p.grad.mul_(CLIP_GRAD / {target})",
        ]
    return lines + ["opt.step()"]


def _loop(prepared: Prepared, sched: _torch_schedules.TorchSchedule, mini_batch: bool, weighted: bool,
          watch: bool) -> list[str]:
    config, data = prepared.config, prepared.data
    has_val = len(data.X_val) > 0
    monitor = config.early_stopping > 0 or sched.uses_metric
    need_val = has_val and (monitor or watch)
    w_val = ", w_val" if weighted else ""
    val_loss = f"val_loss = loss_fn(model(X_val), y_val{w_val}).item()"
    lines: list[str] = []
    if mini_batch:
        lines += [f"rng = np.random.default_rng([SEED, {STREAM_BATCHES}])  # lossfit's random stream for batch orders",
                  "n = len(X_train)"]
    lines += ["history = []"]
    if config.early_stopping:
        lines += ["best, improved_epoch = math.inf, 0  # early stopping: the best monitored loss, and when"]
    if watch:
        lines += ["first_loss, best_loss, high_epochs = math.inf, math.inf, 0  # the divergence check"]
    body: list[str] = []
    if mini_batch:
        w_rows = ", w_train[rows]" if weighted else ""
        body += [
            "# mini-batches in a fresh random order (NumPy draws it, as lossfit does); the epoch's loss is",
            "# the mean of the batches' losses, each measured before its own update",
            "order = torch.from_numpy(rng.permutation(n))",
            "batch_losses = []",
            *(["norms = []"] if watch else []),
            "for begin in range(0, n, BATCH_SIZE):",
            "    rows = order[begin:begin + BATCH_SIZE]",
            f"    loss = loss_fn(model(X_train[rows]), y_train[rows]{w_rows})",
            *indent(_update(prepared, "norm" if watch else None)),
            "    batch_losses.append(loss.item())",
            *(["    norms.append(norm)"] if watch else []),
            "train_loss = sum(batch_losses) / len(batch_losses)",
            *(["grad_norm = sum(norms) / len(norms)"] if watch else []),
        ]
        if need_val or (monitor and not has_val):
            body += ["with torch.no_grad():  # after the epoch"]
            if need_val:
                body += [f"    {val_loss}"]
            if monitor and not has_val:
                w_train = ", w_train" if weighted else ""
                body += [f"    monitored = loss_fn(model(X_train), y_train{w_train}).item()"
                         "  # training loss after the epoch"]
        if monitor and has_val:
            body += ["monitored = val_loss"]
    else:
        body += [
            "# full batch: the loss at the weights the epoch starts from, then one update",
            f"loss = loss_fn(model(X_train), y_train{', w_train' if weighted else ''})",
        ]
        if need_val:
            body += ["with torch.no_grad():  # the same weights", f"    {val_loss}"]
        body += _update(prepared, "grad_norm" if watch else None)
        body += ["train_loss = loss.item()"]
        if monitor:
            body += ["monitored = val_loss" if has_val else "monitored = train_loss"]
    body += epoch_end(watch, has_val, bool(config.early_stopping))
    if sched.lines:
        if sched.last_step:
            body += [sched.step + "  # the lr of the next epoch"]
        else:
            body += ["if epoch < EPOCHS:  # the lr of the next epoch (OneCycleLR counts its steps: none past the last)",
                     "    " + sched.step]
    lines += ["for epoch in range(1, EPOCHS + 1):", *indent(body), ""]
    lines += PLOT_CURVE
    return lines
