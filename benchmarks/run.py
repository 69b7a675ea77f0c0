"""lossfit against the bare NumPy it performs: one table for the targets of issue 12.

    python benchmarks/run.py              # every row (about 2-4 minutes on 2 cores)
    python benchmarks/run.py --quick      # no 200,000 x 100 epoch row, fewer repeats
    python benchmarks/run.py --repeats 9  # more interleaved repeats (steadier medians)
    python benchmarks/run.py --only epoch # only the rows whose section name contains "epoch"

Sections (the row's "ref" is what lossfit is compared against):

- epoch   per-epoch time of full-batch training, measured the way
          `lossfit train --progress none --no-plot --val-split 0` runs: `api.prepare` +
          `api.run` with a `RunFolder` sink (plot=False) writing into a temp dir; the time is
          the loop's own (`summary.train_seconds / epochs`, what metrics.json reports).
          Reference "bare": a hand-written loop doing the training arithmetic only (forward,
          stable loss, gradient, update). Reference "+metrics": the same loop also computing
          what lossfit records per epoch (the task's metrics and the gradient norm).
          Same arrays (taken from the prepared run), same initial weights, same lr, same
          process, interleaved (the order rotates every repeat).
- dtype   (target 6) the same full-batch bce run in --dtype float32 against float64 on 200,000 x 100
          (50,000 x 100 with --quick): the per-epoch time ratio, target at most 0.6 (about 2x faster).
- batch   mini-batch SGD, batch 32 on 10,000 x 20 (logistic), against a hand-written
          mini-batch loop (permutation, gathered batch, forward, loss, gradient, update);
          the MLP (16-16 tanh, moons, 200 samples, full batch) against a hand-written
          NumPy MLP doing the same arithmetic.
- process CPU time (user + system, `getrusage(RUSAGE_CHILDREN)`) of whole processes:
          the default `lossfit train` (it draws its PNGs) against a process that only imports
          numpy and matplotlib.pyplot (Agg); `lossfit --help`, `lossfit losses`,
          `lossfit explain mse` against a minimal typer app's `--help`; and whether `--help`
          imports matplotlib (`-X importtime`).
- memory  peak RSS (ru_maxrss of a fresh worker started by a fresh, small launcher) of
          `lossfit train` on a 200,000 x 100 .npz with --val-split 0, minus the peak of
          the same kind of process that only imports lossfit's CLI, divided by the size
          of the float64 feature array.
- convergence  (target 7) full-batch gd, momentum and adam from zero weights on seeded 1,000 x 10
          problems (mse, bce) and the bundled `linear` and `moons`: the first epoch whose train_loss
          (full batch: measured before that epoch's update) is within 1e-3 of the optimal training
          loss, lossfit (`api.run`, its records) against a hand-written loop with the same rule,
          lr, betas and eps on the same prepared arrays. The optimum is computed without lossfit
          (least squares on [X, 1]; Newton's method for bce) and its gradient norm checked. The
          target is equal counts; the row's ratio is the larger count over the smaller.

Optional columns: scikit-learn's SGDClassifier/SGDRegressor and PyTorch CPU (the same
linear model, loss and full-batch SGD, autograd), each per epoch, when installed (never
required). BLAS and OpenMP threads are pinned to 1 (set before NumPy is imported), so
the figures are single-core and steadier; the table's header says so.

Every figure is a median of interleaved repeats; "spread" is the min-max of the
per-repeat ratios (lossfit / reference, each pair measured back to back).
"""

from __future__ import annotations

import os

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
for _name in THREAD_VARS:  # before NumPy is imported, here and in every child process
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import copy  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

SEED = 12
HERE = Path(__file__).resolve()


# --- data ---------------------------------------------------------------------------------


def write_npz(folder: Path, n: int, d: int, task: str, seed: int) -> Path:
    """A seeded problem: Gaussian features, a linear signal, logistic labels or a noisy target."""
    path = folder / f"{task}_{n}x{d}_s{seed}.npz"
    if path.exists():
        return path
    rng = np.random.default_rng([seed, n, d])
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d) / math.sqrt(d)
    z = X @ w + 0.5
    if task == "binary":
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-2.0 * z))).astype(np.float64)
    else:
        y = z + 0.3 * rng.standard_normal(n)
    np.savez(path, X=X, y=y)
    return path


def prepare(options: dict[str, Any]) -> Any:
    from lossfit import api
    from lossfit.config import build_config

    if str(options.get("dataset", "")).endswith(".npz"):
        options = {**options, "task": "binary" if options.get("loss") == "bce" else "regression"}
    base = {"val_split": 0.0, "plot": False, "progress": "none", "seed": SEED}
    return api.prepare(build_config(None, {**base, **options}))


def fresh(prepared: Any, epochs: int) -> Any:
    """The same prepared run (data shared) with untouched weights, optimizer and schedule."""
    config = dataclasses.replace(prepared.config, epochs=epochs)
    return dataclasses.replace(prepared, config=config, model=copy.deepcopy(prepared.model),
                               optimizer=copy.deepcopy(prepared.optimizer),
                               schedule=copy.deepcopy(prepared.schedule))


WALL: list[float] = []  # the whole api.run per epoch (sink writes, opening and closing the folder included)


# --- lossfit, measured as `lossfit train --progress none --no-plot` runs ------------------


def lossfit_epoch(prepared: Any, epochs: int, scratch: Path) -> float:
    from lossfit import api
    from lossfit.runs import RunFolder

    run = fresh(prepared, epochs)
    folder = Path(tempfile.mkdtemp(dir=scratch))
    try:
        start = time.perf_counter()
        summary = api.run(run, [RunFolder(folder / "run", plot=False)])
        WALL.append((time.perf_counter() - start) / epochs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if summary.status != "completed" or summary.epochs != epochs:
        raise SystemExit(f"lossfit run ended {summary.status} after {summary.epochs} epochs: {summary.message}")
    return float(summary.train_seconds) / epochs


# --- hand-written references --------------------------------------------------------------


def _linear_init(prepared: Any) -> tuple[np.ndarray, float]:
    w0, b0 = prepared.model.params
    return w0.copy(), float(b0[0])


def bce(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Stable mean bce on logits and sigmoid(z) - y: one exp, one log1p (the tightest stable form)."""
    e = np.exp(-np.abs(z))
    loss = float(np.mean(np.maximum(z, 0.0) - y * z + np.log1p(e)))
    inv = 1.0 / (1.0 + e)
    return loss, np.where(z >= 0.0, inv, e * inv) - y


def bare_logistic(prepared: Any, epochs: int, metrics: bool) -> float:
    """Full-batch logistic regression: z = Xw + b, mean(log(1+e^z) - yz), its gradient, a step."""
    X, y, lr = prepared.data.X_train, prepared.data.y_train, prepared.config.lr
    w, b = _linear_init(prepared)
    n = len(X)
    positives = y > 0.5
    n_pos = int(positives.sum())
    start = time.perf_counter()
    for _ in range(epochs):
        z = X @ w
        z += b
        loss, g = bce(z, y)
        g *= 1.0 / n
        gw = X.T @ g
        gb = float(g.sum())
        if metrics:  # what lossfit records: accuracy, precision, recall, f1, gradient norm
            predicted = z > 0.0
            tp = int(np.count_nonzero(predicted & positives))
            n_pred = int(np.count_nonzero(predicted))
            tn = n - n_pred - n_pos + tp
            precision = tp / n_pred if n_pred else 0.0
            recall = tp / n_pos if n_pos else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            norm = math.sqrt(float(gw @ gw) + gb * gb)
            _ = (loss, (tp + tn) / n, precision, recall, f1, norm)
        w -= lr * gw
        b -= lr * gb
    return (time.perf_counter() - start) / epochs


def bare_linear(prepared: Any, epochs: int, metrics: bool) -> float:
    """Full-batch least squares: r = Xw + b - y, mean(r^2), gradient 2X^T r / n, a step."""
    X, y, lr = prepared.data.X_train, prepared.data.y_train, prepared.config.lr
    w, b = _linear_init(prepared)
    n = len(X)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    start = time.perf_counter()
    for _ in range(epochs):
        r = X @ w
        r += b
        r -= y
        ss_res = float(r @ r)
        loss = ss_res / n
        g = r * (2.0 / n)
        gw = X.T @ g
        gb = float(g.sum())
        if metrics:  # r2, mse, rmse, mae, gradient norm
            mae = float(np.abs(r).sum()) / n
            norm = math.sqrt(float(gw @ gw) + gb * gb)
            _ = (loss, 1.0 - ss_res / ss_tot, math.sqrt(loss), mae, norm)
        w -= lr * gw
        b -= lr * gb
    return (time.perf_counter() - start) / epochs


def bare_minibatch_logistic(prepared: Any, epochs: int, metrics: bool) -> float:
    X, y, lr = prepared.data.X_train, prepared.data.y_train, prepared.config.lr
    batch = prepared.config.batch_size
    w, b = _linear_init(prepared)
    n = len(X)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for begin in range(0, n, batch):
            rows = order[begin:begin + batch]
            Xb, yb = X[rows], y[rows]
            z = Xb @ w + b
            value, g = bce(z, yb)
            total += value
            g *= 1.0 / len(rows)
            w -= lr * (Xb.T @ g)
            b -= lr * float(g.sum())
        if metrics:  # what lossfit adds per mini-batch epoch without a split: loss and metrics on all of X
            z = X @ w + b
            loss, g = bce(z, y)
            predicted = z > 0.0
            tp = int(np.count_nonzero(predicted & (y > 0.5)))
            _ = (loss, tp, int(np.count_nonzero(predicted)))
        _ = total
    return (time.perf_counter() - start) / epochs


def bare_mlp(prepared: Any, epochs: int, metrics: bool) -> float:
    """Full-batch MLP, tanh hidden layers, one logit out, bce: forward, loss, backprop, step."""
    X, y, lr = prepared.data.X_train, prepared.data.y_train, prepared.config.lr
    params = [p.copy() for p in prepared.model.params]
    n = len(X)
    layers = len(params) // 2
    start = time.perf_counter()
    for _ in range(epochs):
        acts = [X]
        a = X
        for i in range(layers - 1):
            a = np.tanh(a @ params[2 * i] + params[2 * i + 1])
            acts.append(a)
        z = a @ params[-2] + params[-1]
        loss, g = bce(z, y)
        g *= 1.0 / n
        grads: list[np.ndarray] = [g] * len(params)
        grads[-2], grads[-1] = acts[-1].T @ g, g.sum(keepdims=True)
        g = np.outer(g, params[-2]) * (1.0 - acts[-1] * acts[-1])
        for i in range(layers - 2, -1, -1):
            grads[2 * i], grads[2 * i + 1] = acts[i].T @ g, g.sum(axis=0)
            if i:
                g = (g @ params[2 * i].T) * (1.0 - acts[i] * acts[i])
        if metrics:
            predicted = z > 0.0
            _ = (loss, float(np.mean(predicted == (y > 0.5))), math.sqrt(sum(float(np.vdot(q, q)) for q in grads)))
        for p, q in zip(params, grads):
            p -= lr * q
    return (time.perf_counter() - start) / epochs


# --- optional: scikit-learn and PyTorch ---------------------------------------------------


def sklearn_epoch(prepared: Any, epochs: int) -> float | None:
    try:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import SGDClassifier, SGDRegressor
    except ImportError:
        return None
    X, y, lr = prepared.data.X_train, prepared.data.y_train, prepared.config.lr
    common = dict(penalty=None, learning_rate="constant", eta0=lr, max_iter=epochs, tol=None, shuffle=True,
                  random_state=0)
    model = (SGDClassifier(loss="log_loss", **common) if prepared.data.task == "binary"
             else SGDRegressor(loss="squared_error", **common))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        return (time.perf_counter() - start) / epochs


def torch_epoch(prepared: Any, epochs: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    X = torch.from_numpy(prepared.data.X_train.copy())  # lossfit's arrays are read-only; torch warns
    y = torch.from_numpy(prepared.data.y_train.copy())
    w0, b0 = _linear_init(prepared)
    w = torch.tensor(w0, requires_grad=True)
    b = torch.tensor([b0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=prepared.config.lr)
    binary = prepared.data.task == "binary"
    start = time.perf_counter()
    for _ in range(epochs):
        opt.zero_grad()
        z = X @ w + b
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(z, y) if binary
                else torch.mean((z - y) ** 2))
        loss.backward()
        opt.step()
    return (time.perf_counter() - start) / epochs


# --- the table ----------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    name: str
    unit: str  # "us", "ms", "s", "x"
    ours: float
    ref: float
    ratios: list[float]
    target: float
    ref_name: str
    extra: dict[str, float | None] = dataclasses.field(default_factory=dict)
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.ref if self.ref else math.inf


ROWS: list[Row] = []


def fmt(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    scale = {"us": 1e6, "ms": 1e3, "s": 1.0, "MB": 1.0, "x": 1.0}[unit]
    v = value * scale
    text = f"{v:.3g}" if v < 100 else f"{v:.0f}"
    return f"{text} {unit}" if unit != "x" else text


def print_row(row: Row) -> None:
    ok = "✓" if row.ratio <= row.target else "✗"
    spread = f"{min(row.ratios):.2f}-{max(row.ratios):.2f}" if row.ratios else "-"
    extra = "  ".join(f"{k} {fmt(v, row.unit)}" for k, v in row.extra.items() if v is not None)
    print(f"{row.name:<38} {fmt(row.ours, row.unit):>10} {fmt(row.ref, row.unit):>10} {row.ratio:>6.2f}x "
          f"{spread:>11} {'<= ' + format(row.target, 'g') + 'x':>8} {ok}  {row.ref_name}"
          + (f"  | {extra}" if extra else "") + (f"  ({row.note})" if row.note else ""), flush=True)


def add(row: Row) -> None:
    ROWS.append(row)
    print_row(row)


def header() -> None:
    print(f"{'target':<38} {'lossfit':>10} {'ref':>10} {'ratio':>7} {'spread':>11} {'target':>8}    reference",
          flush=True)
    print("-" * 110, flush=True)


def interleave(variants: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Every variant once per repeat, the order rotated each time; the first one warms up, discarded."""
    names = list(variants)
    for name in names:
        variants[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(repeats):
        for name in names[i % len(names):] + names[:i % len(names)]:
            times[name].append(variants[name]())
    return times


def compare_rows(label: str, times: dict[str, list[float]], refs: dict[str, tuple[str, float]],
                 extra: dict[str, float | None] | None = None) -> None:
    ours = times["lossfit"]
    for key, (ref_name, target) in refs.items():
        ref = times[key]
        ratios = [a / b for a, b in zip(ours, ref)]
        add(Row(f"{label} vs {key}", "us", statistics.median(ours), statistics.median(ref), ratios, target,
                ref_name, (extra or {}) if key == "bare" else {}))


# --- sections -----------------------------------------------------------------------------


EPOCH_TARGETS = {(200, 2): 1.6, (10_000, 20): 1.1, (200_000, 100): 1.03}
EPOCHS = {(200, 2): 5_000, (10_000, 20): 600, (200_000, 100): 12}


def section_epoch(args: argparse.Namespace, scratch: Path) -> None:
    sizes = [(200, 2), (10_000, 20)] + ([] if args.quick else [(200_000, 100)])
    for n, d in sizes:
        cases = [("binary", "bce", bare_logistic), ("regression", "mse", bare_linear)]
        if (n, d) == (200_000, 100):
            cases = cases[:1]  # one loss on the large problem: it is the bandwidth floor either way
        for task, loss, bare in cases:
            path = write_npz(scratch, n, d, task, args.seed)
            epochs = EPOCHS[(n, d)] // (2 if args.quick else 1)
            prepared = prepare({"dataset": str(path), "loss": loss, "optimizer": "sgd", "lr": 0.1,
                                "epochs": epochs})
            variants = {
                "lossfit": lambda: lossfit_epoch(prepared, epochs, scratch),
                "bare": lambda: bare(prepared, epochs, False),
                "+metrics": lambda: bare(prepared, epochs, True),
            }
            WALL.clear()
            times = interleave(variants, args.repeats)
            extra: dict[str, float | None] = {"api.run wall": statistics.median(WALL[1:])}
            if n * d <= 200_000 or not args.quick:
                extra["sklearn SGD"] = sklearn_epoch(prepared, max(2, min(epochs, 2_000_000 // n)))
                extra["torch"] = torch_epoch(prepared, max(2, epochs // 2))
            label = f"epoch {n:,}x{d} {loss}"
            compare_rows(label, times, {"bare": ("bare loop: forward, loss, gradient, update",
                                                 EPOCH_TARGETS[(n, d)]),
                                        "+metrics": ("bare loop + the same metrics and gradient norm", 1.15)},
                         extra)


def section_dtype(args: argparse.Namespace, scratch: Path) -> None:
    """Target 6: a float32 epoch on the large problem about half a float64 one (memory bandwidth)."""
    n, d = (50_000, 100) if args.quick else (200_000, 100)
    path = write_npz(scratch, n, d, "binary", args.seed)
    epochs = 6 if args.quick else 12
    runs = {dtype: prepare({"dataset": str(path), "loss": "bce", "optimizer": "sgd", "lr": 0.1, "epochs": epochs,
                            "dtype": dtype}) for dtype in ("float32", "float64")}
    times = interleave({dtype: (lambda run=run: lossfit_epoch(run, epochs, scratch)) for dtype, run in runs.items()},
                       args.repeats)
    ratios = [a / b for a, b in zip(times["float32"], times["float64"])]
    add(Row(f"epoch {n:,}x{d} bce float32", "us", statistics.median(times["float32"]),
            statistics.median(times["float64"]), ratios, 0.6, "the same run in float64 (--dtype float64)"))


def section_batch(args: argparse.Namespace, scratch: Path) -> None:
    path = write_npz(scratch, 10_000, 20, "binary", args.seed)
    epochs = 10 if args.quick else 20
    prepared = prepare({"dataset": str(path), "loss": "bce", "optimizer": "sgd", "lr": 0.05, "batch_size": 32,
                        "epochs": epochs})
    times = interleave({"lossfit": lambda: lossfit_epoch(prepared, epochs, scratch),
                        "bare": lambda: bare_minibatch_logistic(prepared, epochs, False),
                        "+metrics": lambda: bare_minibatch_logistic(prepared, epochs, True)}, args.repeats)
    ours = times["lossfit"]
    for key, ref_name in (("bare", "hand-written mini-batch loop (permute, gather, step)"),
                          ("+metrics", "the same + end-of-epoch loss and metrics on all of X")):
        ref = times[key]
        add(Row(f"mini-batch 32, 10,000x20 bce vs {key}", "ms", statistics.median(ours), statistics.median(ref),
                [a / b for a, b in zip(ours, ref)], 1.3, ref_name,
                {"sklearn SGD": sklearn_epoch(prepared, epochs)} if key == "bare" else {}))

    epochs = 1_000 if args.quick else 2_000
    prepared = prepare({"dataset": "moons", "model": "mlp", "loss": "bce", "optimizer": "sgd", "lr": 0.1,
                        "epochs": epochs})
    times = interleave({"lossfit": lambda: lossfit_epoch(prepared, epochs, scratch),
                        "bare": lambda: bare_mlp(prepared, epochs, False),
                        "+metrics": lambda: bare_mlp(prepared, epochs, True)}, args.repeats)
    compare_rows("MLP 16-16 tanh moons", times,
                 {"bare": ("hand-written NumPy MLP (forward, backprop, step)", 1.5),
                  "+metrics": ("the same + accuracy and gradient norm", 1.5)})


# Children write and use bytecode caches, as on a user's machine: with PYTHONDONTWRITEBYTECODE set (as
# some sandboxes do) an editable lossfit is recompiled on every run while site-packages is not.
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def cpu_of(cmd: list[str], cwd: Path) -> float:
    """User + system CPU seconds of one child process (and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=CHILD_ENV)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def lossfit_cmd() -> list[str]:
    script = Path(sys.executable).with_name("lossfit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "lossfit"]


TYPER_APP = '''import typer
app = typer.Typer()
@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    print(name)
@app.command()
def bye() -> None:
    """Say bye."""
if __name__ == "__main__":
    app()
'''


def section_process(args: argparse.Namespace, scratch: Path) -> None:
    lossfit = lossfit_cmd()
    work = scratch / "proc"
    work.mkdir(exist_ok=True)
    app = work / "minimal_typer.py"
    app.write_text(TYPER_APP)
    counter = iter(range(10**6))
    plotting = [sys.executable, "-c",
                "import numpy, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"]
    variants: dict[str, Callable[[], float]] = {
        "train": lambda: cpu_of([*lossfit, "train", "--out", str(work / f"r{next(counter)}")], work),
        "plt": lambda: cpu_of(plotting, work),
        "help": lambda: cpu_of([*lossfit, "--help"], work),
        "losses": lambda: cpu_of([*lossfit, "losses"], work),
        "explain": lambda: cpu_of([*lossfit, "explain", "mse"], work),
        "typer": lambda: cpu_of([sys.executable, str(app), "--help"], work),
    }
    times = interleave(variants, args.repeats)
    med = {k: statistics.median(v) for k, v in times.items()}

    def pair(name: str, ours: str, ref: str, target: float, ref_name: str) -> None:
        ratios = [a / b for a, b in zip(times[ours], times[ref])]
        add(Row(name, "ms", med[ours], med[ref], ratios, target, ref_name))

    pair("process: lossfit train (default)", "train", "plt", 1.4, "CPU of python importing numpy + pyplot (Agg)")
    pair("process: lossfit --help", "help", "typer", 1.1, "CPU of a minimal typer app --help")
    pair("process: lossfit losses", "losses", "typer", 1.1, "CPU of a minimal typer app --help")
    pair("process: lossfit explain mse", "explain", "typer", 1.1, "CPU of a minimal typer app --help")
    for argv in (["--help"], ["losses"], ["explain", "mse"]):
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "lossfit", *argv], cwd=work,
                              capture_output=True, text=True, check=False)
        heavy = any(line.rsplit("|", 1)[-1].strip() == "matplotlib" for line in done.stderr.splitlines())
        print(f"{'  matplotlib imported: ' + ' '.join(argv):<38} {'yes' if heavy else 'no':>10}"
              f" {'':>10} {'':>7} {'':>11} {'no':>8} {'✗' if heavy else '✓'}", flush=True)


# memory: a fresh worker per measurement, started by a fresh small launcher (see load_csv.py)

MEMORY_CHILD = {
    "baseline": "import numpy, lossfit.cli, lossfit.api, lossfit.runs",
}


def memory_launch(argv: list[str]) -> None:
    """Launcher: run one worker and print its peak RSS in MB (this process stays small)."""
    subprocess.run(argv, check=True, capture_output=True)
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6)


def peak_mb(argv: list[str]) -> float:
    done = subprocess.run([sys.executable, str(HERE), "--launch", json.dumps(argv)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"memory worker failed: {done.stderr}")
    return float(done.stdout.strip().splitlines()[-1])


def section_memory(args: argparse.Namespace, scratch: Path) -> None:
    n, d = 200_000, 100
    subprocess.run([sys.executable, str(HERE), "--make", str(scratch), str(n), str(d), str(args.seed)],
                   check=True)  # in a child: this process (and the launchers it forks) stay small
    path = write_npz(scratch, n, d, "regression", args.seed)
    array_mb = n * d * 8 / 1e6
    train = [*lossfit_cmd(), "train", "--dataset", str(path), "--val-split", "0", "--epochs", "3",
             "--progress", "none", "--no-plot", "--out", str(scratch / "memrun")]
    base = [sys.executable, "-c", MEMORY_CHILD["baseline"]]
    repeats = max(1, min(args.repeats, 3))
    peaks: dict[str, list[float]] = {"train": [], "base": []}
    for i in range(repeats):
        shutil.rmtree(scratch / "memrun", ignore_errors=True)
        peaks["train"].append(peak_mb(train))
        peaks["base"].append(peak_mb(base))
    shutil.rmtree(scratch / "memrun", ignore_errors=True)
    over = [(t - b) / array_mb for t, b in zip(peaks["train"], peaks["base"])]
    med_t, med_b = statistics.median(peaks["train"]), statistics.median(peaks["base"])
    row = Row("memory: train 200,000x100 npz", "x", (med_t - med_b) / array_mb, 1.0, over, 1.25,
              f"(peak RSS - import baseline) / X array; X {array_mb:.0f} MB, baseline {med_b:.0f} MB, "
              f"peak {med_t:.0f} MB")
    add(row)


def pty_train_seconds(argv: list[str], out: Path) -> float:
    """Run `lossfit train ... --out OUT` on a pseudo-terminal (drained as it writes); its loop time."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: a real terminal on stdin/stdout/stderr
        os.environ.update({"TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"})
        os.execv(argv[0], [*argv, "--out", str(out)])
    try:
        while True:
            try:
                if not os.read(fd, 65536):
                    break
            except OSError:  # EIO: the child closed the terminal
                break
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed on the pty ({status})")
    seconds = float(json.loads((out / "metrics.json").read_text())["train_seconds"])
    shutil.rmtree(out, ignore_errors=True)
    return seconds


def section_live(args: argparse.Namespace, scratch: Path) -> None:
    epochs = 10_000 if args.quick else 20_000
    base = [*lossfit_cmd(), "train", "--dataset", "linear", "--loss", "mse", "--epochs", str(epochs), "--no-plot"]
    if len(base) != 8 + 1:  # `python -m lossfit`: pty_train_seconds execs argv[0] directly
        print("live view: skipped (no lossfit script next to the interpreter)")
        return
    counter = iter(range(10**6))
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])  # the other core busy, as the issue asks
    try:
        times = interleave({
            "none": lambda: pty_train_seconds([*base, "--progress", "none"], scratch / f"live{next(counter)}"),
            "live": lambda: pty_train_seconds([*base, "--progress", "rich"], scratch / f"live{next(counter)}"),
        }, args.repeats)
    finally:
        busy.kill()
        busy.wait()
    ratios = [a / b for a, b in zip(times["live"], times["none"])]
    add(Row(f"live table on a pty, {epochs:,} epochs", "ms", statistics.median(times["live"]),
            statistics.median(times["none"]), ratios, 1.03,
            "loop time of --progress none on the pty; other core busy"))


def section_compare(args: argparse.Namespace, scratch: Path) -> None:
    """compare_overhead.py's cases: N variants raced in turn against the same N runs one after another (CPU)."""
    sys.path.insert(0, str(HERE.parent))
    import compare_overhead as co

    epochs = 1_000 if args.quick else 5_000
    for name, (single, lists) in co.CASES.items():
        single = {**single, "epochs": epochs}
        times = interleave({
            "alone": lambda: co.one_by_one_seconds(single, lists),
            "race": lambda: co.race_seconds(single, lists, board=False),
            "live": lambda: co.race_seconds(single, lists, board=True),
        }, args.repeats)
        for key, target, what in (("race", 1.15, "the same runs one by one (api.run), CPU"),
                                  ("live", 1.05, "the same, leaderboard drawn to /dev/null, CPU")):
            ratios = [a / b for a, b in zip(times[key], times["alone"])]
            add(Row(f"compare {key}: {name.split(',')[0]}", "ms", statistics.median(times[key]),
                    statistics.median(times["alone"]), ratios, target, what))


# convergence (target 7): epochs to within 1e-3 of the optimal training loss, lossfit against a
# hand-written loop with the same update rule (shared/reference/optimizers.md, torch's docs)

CONVERGENCE_TOL = 1e-3
CONVERGENCE_BUDGET = 50_000  # the reference's epoch limit; lossfit gets twice the reference's count + 10
# (lossfit's optimizer spec, the rule and hyper-parameters the reference is given, lr)
CONVERGENCE_OPTIMIZERS: list[tuple[str, dict[str, Any], float]] = [
    ("gd", {"rule": "gd"}, 0.1),
    ("momentum", {"rule": "momentum", "momentum": 0.9, "dampening": 0.0}, 0.01),  # lr / (1 - μ) = gd's 0.1
    ("adam", {"rule": "adam", "betas": (0.9, 0.999), "eps": 1e-8}, 0.05),
]


def _with_bias(X: np.ndarray) -> np.ndarray:
    return np.column_stack([X, np.ones(len(X))])


def optimal_loss(X: np.ndarray, y: np.ndarray, loss: str) -> tuple[float, float]:
    """The minimum of the mean training loss over (w, b), found without lossfit, and its gradient norm.

    mse: closed-form least squares on [X, 1]. bce: Newton's method from zero with step halving
    (the logistic loss is convex; the data must not be separable, or there is no minimum).
    """
    A = _with_bias(X)
    n = len(y)
    if loss == "mse":
        theta = np.linalg.lstsq(A, y, rcond=None)[0]
        r = A @ theta - y
        return float(r @ r) / n, float(np.linalg.norm(A.T @ r * (2.0 / n)))

    def value_grad(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        value, g = bce(A @ theta, y)
        return value, A.T @ g / n, g + y  # g + y = sigmoid(z)

    theta = np.zeros(A.shape[1])
    value, grad, p = value_grad(theta)
    for _ in range(100):
        if np.linalg.norm(grad) < 1e-14:
            break
        hessian = (A * (p * (1.0 - p))[:, None]).T @ A / n
        direction = np.linalg.solve(hessian, grad)
        step = 1.0
        while step > 1e-10:  # Newton's full step, halved while it does not decrease the loss
            trial = value_grad(theta - step * direction)
            if trial[0] <= value:
                break
            step /= 2.0
        theta = theta - step * direction
        value, grad, p = trial
    return value, float(np.linalg.norm(grad))


def reference_losses(prepared: Any, loss: str, hyper: dict[str, Any], lr: float, epochs: int,
                     stop_below: float = -math.inf) -> list[float]:
    """Full-batch training written out by hand: each epoch's loss at the weights it starts from, then the update.

    The update rules are torch's (shared/reference/optimizers.md): gd θ -= γg; momentum b_1 = g_1,
    b_t = μb_{t-1} + (1-τ)g_t, θ -= γb_t; adam m, v running means, bias-corrected, θ -= γm̂/(√v̂ + ε).
    Stops after the first epoch whose loss is <= stop_below.
    """
    X, y = prepared.data.X_train, prepared.data.y_train
    w0, b0 = _linear_init(prepared)
    theta = np.append(w0, b0)  # one vector: every rule is element-wise, the step count t is shared
    n = len(X)
    rule = hyper["rule"]
    buf = m = v = np.zeros_like(theta)
    values: list[float] = []
    for t in range(1, epochs + 1):
        z = X @ theta[:-1] + theta[-1]
        if loss == "mse":
            r = z - y
            value, g = float(r @ r) / n, r * (2.0 / n)
        else:
            value, g = bce(z, y)
            g *= 1.0 / n
        values.append(value)
        if value <= stop_below:
            break
        grad = np.append(X.T @ g, g.sum())
        if rule == "gd":
            theta -= lr * grad
        elif rule == "momentum":
            buf = grad.copy() if t == 1 else hyper["momentum"] * buf + (1.0 - hyper["dampening"]) * grad
            theta -= lr * buf
        else:
            beta1, beta2 = hyper["betas"]
            m = beta1 * m + (1.0 - beta1) * grad
            v = beta2 * v + (1.0 - beta2) * grad * grad
            m_hat, v_hat = m / (1.0 - beta1**t), v / (1.0 - beta2**t)
            theta -= lr * m_hat / (np.sqrt(v_hat) + hyper["eps"])
    return values


def epochs_to(values: list[float], level: float) -> float:
    """The first epoch (1-based) whose loss is <= level; inf if none."""
    return next((float(i) for i, value in enumerate(values, 1) if value <= level), math.inf)


def lossfit_losses(prepared: Any, epochs: int) -> list[float]:
    """The train_loss of every epoch of `api.run` (full batch: measured before that epoch's update)."""
    from lossfit import api

    recorder = api.Recorder()
    summary = api.run(fresh(prepared, epochs), [recorder])
    if summary.status != "completed":
        raise SystemExit(f"lossfit run ended {summary.status} after {summary.epochs} epochs: {summary.message}")
    return [r.train_loss for r in recorder.records]


@dataclasses.dataclass
class EpochsRow(Row):
    """Epoch counts, whose target is equality: the ratio is the larger count over the smaller (1 when equal)."""

    @property
    def ratio(self) -> float:
        if not (math.isfinite(self.ours) and math.isfinite(self.ref)):
            return math.inf
        return max(self.ours / self.ref, self.ref / self.ours)


def section_convergence(args: argparse.Namespace, scratch: Path) -> None:
    problems = [(str(write_npz(scratch, 1_000, 10, "regression", args.seed)), "1,000x10", "mse"),
                (str(write_npz(scratch, 1_000, 10, "binary", args.seed)), "1,000x10", "bce"),
                ("linear", "linear", "mse"), ("moons", "moons", "bce")]
    for dataset, label, loss in problems:
        for spec, hyper, lr in CONVERGENCE_OPTIMIZERS:
            prepared = prepare({"dataset": dataset, "loss": loss, "optimizer": spec, "lr": lr, "epochs": 1})
            if any(np.any(p != 0.0) for p in prepared.model.params):
                raise SystemExit(f"{label}: lossfit's linear model does not start from zero weights")
            optimum, grad_norm = optimal_loss(prepared.data.X_train, prepared.data.y_train, loss)
            level = optimum + CONVERGENCE_TOL
            ref = reference_losses(prepared, loss, hyper, lr, CONVERGENCE_BUDGET, stop_below=level)
            ref_epochs = epochs_to(ref, level)
            ours = lossfit_losses(prepared, min(2 * len(ref) + 10, CONVERGENCE_BUDGET))
            ours_epochs = epochs_to(ours, level)
            common = min(len(ours), len(ref))
            gap = max(abs(a - b) for a, b in zip(ours[:common], ref[:common]))
            # how far the losses of the crossing (the epoch before the count and the count's) are from the
            # level: far above max |dloss|, the count cannot be a rounding coin flip
            last = int(ours_epochs) if math.isfinite(ours_epochs) else 0
            margin = min((abs(value - level) for value in ours[max(last - 2, 0):last]), default=math.nan)
            below = min(min(ours), min(ref)) - optimum  # no run may go below the optimum (beyond rounding)
            if grad_norm > 1e-8 or below < -1e-9:
                raise SystemExit(f"{label} {loss}: the optimum is wrong (gradient norm {grad_norm:.2g}, "
                                 f"a run went {-below:.2g} below it)")
            add(EpochsRow(f"convergence {label} {loss} {spec}", "x", ours_epochs, ref_epochs,
                          [], 1.0,  # deterministic: no repeats, no spread
                          f"hand-written {hyper['rule']}, lr {lr:g}: epochs to optimum + 1e-3 (equal counts)",
                          {"optimum": optimum, "|grad| there": grad_norm, "max |dloss|": gap,
                           "crossing margin": margin}))


SECTIONS = {"epoch": section_epoch, "dtype": section_dtype, "batch": section_batch, "process": section_process, "memory": section_memory,
            "live": section_live, "compare": section_compare, "convergence": section_convergence}


def machine() -> str:
    import io
    from contextlib import redirect_stdout

    blas = "?"
    try:
        config = np.show_config(mode="dicts")
        deps = config.get("Build Dependencies", {})
        b = deps.get("blas", {})
        blas = f"{b.get('name', '?')} {b.get('version', '')}".strip()
    except Exception:  # older NumPy: parse the printed form
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            np.show_config()
        blas = buffer.getvalue().split("blas", 1)[-1][:60].replace("\n", " ")
    threads = ", ".join(f"{v}={os.environ[v]}" for v in THREAD_VARS[:2])
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{os.cpu_count()} cores ({cpu}), BLAS {blas}, "
            f"Python {platform.python_version()}, NumPy {np.__version__}; threads pinned: {threads} "
            f"(set before NumPy is imported)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 200,000 x 100 epoch row, fewer epochs")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats (default 7, --quick 3)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--only", default="", help="only the sections whose name contains this text")
    parser.add_argument("--launch", help=argparse.SUPPRESS)
    parser.add_argument("--make", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.launch:
        memory_launch(json.loads(args.launch))
        return
    if args.make:
        write_npz(Path(args.make[0]), int(args.make[1]), int(args.make[2]), "regression", int(args.make[3]))
        return
    if args.repeats is None:
        args.repeats = 3 if args.quick else 7
    start = time.perf_counter()
    import lossfit

    print(f"lossfit {getattr(lossfit, '__version__', '?')} benchmark, seed {args.seed}, {args.repeats} interleaved "
          f"repeats{' (--quick)' if args.quick else ''}; medians, spread = min-max of per-repeat ratios")
    print(machine())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"Load average at start: {load}. The machine may be shared: absolute times drift; "
          "the ratios are measured back to back.")
    header()
    with tempfile.TemporaryDirectory(prefix="lossfit-bench-") as scratch:
        for name, section in SECTIONS.items():
            if args.only in name:
                section(args, Path(scratch))
    met = sum(r.ratio <= r.target for r in ROWS)
    print("-" * 110)
    print(f"{met} of {len(ROWS)} targets met; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
