"""How much does lossfit's training loop cost over the bare NumPy arithmetic it performs?

Compares, per epoch of full-batch gradient descent with MSE on a linear model:
- `bare`: a tight hand-written loop doing the same arithmetic (forward, loss and
  gradient, backward, gradient norm, update, validation loss, and the metrics
  lossfit reports every epoch for regression: R^2, MSE, RMSE, MAE);
- `loop`: lossfit.training.train with the same model, loss and optimizer;
- `run`: lossfit.api.run with the history.csv sink and the in-memory recorder
  (what `lossfit train --progress none --no-plot` does per epoch).

    python benchmarks/epoch_overhead.py            # 200 samples (160 train / 40 val), 1 feature
    python benchmarks/epoch_overhead.py --big      # 200,000 x 100 (160,000 train / 40,000 val)

Each variant is timed several times and the best (least disturbed) time is kept.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from lossfit import api, losses, metrics, models, optimizers, training
from lossfit.config import RunConfig
from lossfit.runs import RunFolder


def make_data(n: int, d: int, seed: int = 0) -> training.TrainingData:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + 1.0 + 0.3 * rng.standard_normal(n)
    n_val = n // 5
    return training.TrainingData(X[n_val:], y[n_val:], X[:n_val], y[:n_val], task="regression")


def bare(data: training.TrainingData, epochs: int, lr: float) -> float:
    X, y, Xv, yv = data.X_train, data.y_train, data.X_val, data.y_val
    n = len(X)
    w = np.zeros(X.shape[1])
    b = np.zeros(1)
    ss_tot = float(np.sum((yv - yv.mean()) ** 2))
    start = time.perf_counter()
    for _ in range(epochs):
        r = X @ w + b - y
        loss = float(np.mean(r * r))
        g = r * (2.0 / n)
        gw = X.T @ g
        gb = g.sum(keepdims=True)
        norm = math.sqrt(float(gw @ gw) + float(gb @ gb))
        w -= lr * gw
        b -= lr * gb
        rv = Xv @ w + b - yv
        val = float(np.mean(rv * rv))
        r2 = 1.0 - float(rv @ rv) / ss_tot
        rmse = math.sqrt(val)
        mae = float(np.mean(np.abs(rv)))
        _ = (loss, norm, val, r2, rmse, mae)
    return time.perf_counter() - start


def build(data: training.TrainingData, lr: float):
    model = models.get("linear")
    model.build(data.X_train.shape[1], 1, np.random.default_rng(0))
    return model, losses.get("mse"), optimizers.get("sgd", lr=lr)


def loop(data: training.TrainingData, epochs: int, lr: float) -> float:
    model, loss, optimizer = build(data, lr)
    start = time.perf_counter()
    for _ in training.train(model, loss, optimizer, data, epochs=epochs, rng=np.random.default_rng(0)):
        pass
    return time.perf_counter() - start


def run(data: training.TrainingData, epochs: int, lr: float) -> float:
    model, loss, optimizer = build(data, lr)
    config = RunConfig(epochs=epochs, lr=lr, plot=False)
    prepared = api.Prepared(config, config.experiment_dict(), None, data, model, loss, optimizer, None, "bench")
    with tempfile.TemporaryDirectory() as folder:
        sinks = [api.Recorder(), RunFolder(Path(folder) / "run", plot=False)]
        start = time.perf_counter()
        api.run(prepared, sinks)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", action="store_true", help="200,000 x 100 instead of 200 x 1")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n, d, epochs = (200_000, 100, 30) if args.big else (200, 1, 5_000)
    data = make_data(n, d)
    print(f"{n} samples x {d} features, {epochs} epochs, best of {args.repeats}")
    variants = {"bare": bare, "loop": loop, "run": run}
    for fn in variants.values():
        fn(data, max(epochs // 10, 2), 0.1)  # warm up
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeats):  # interleaved, so a busy moment hurts every variant alike
        for name, fn in variants.items():
            timings[name].append(fn(data, epochs, 0.1) / epochs)
    results = {name: min(values) for name, values in timings.items()}
    for name, seconds in results.items():
        print(f"{name:>5}: {seconds * 1e6:10.1f} us/epoch   {seconds / results['bare']:.3f}x bare")


if __name__ == "__main__":
    main()
