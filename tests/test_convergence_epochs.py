"""Issue 12, target 7: convergence, not only speed.

Full-batch `gd`, `momentum` and `adam` from zero weights reach within 1e-3 of the optimal
training loss in the same number of epochs as a hand-written reference with the same
hyper-parameters, through the whole training loop (`api.prepare` + `api.run`).

test_optimizers_convergence.py drives each optimizer's `step` directly on a parabola and
Rosenbrock (does it get there at all); test_training.py / test_training_control.py check
the weights gd ends at. This file counts epochs through the loop, against independent code:

- the optimum is computed without lossfit: least squares on [X, 1] (mse), Newton's method
  (bce), and its gradient norm checked;
- the reference loop is written here from the update rules of
  shared/reference/optimizers.md (torch's docstrings), not by calling lossfit's optimizers;
- the count uses lossfit's convention: a full-batch epoch's train_loss is measured at the
  weights the epoch starts from (after epoch - 1 updates), and the reference records its
  loss at the same point.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from lossfit import api
from lossfit.config import build_config

TOL = 1e-3  # "within 1e-3 of the optimal training loss"
EPOCHS = 300  # every case gets there well before this
SAME = 1e-12  # lossfit and the reference do the same arithmetic: their losses agree to rounding

GD = {"rule": "gd"}
MOMENTUM = {"rule": "momentum", "momentum": 0.9, "dampening": 0.0}
ADAM = {"rule": "adam", "betas": (0.9, 0.999), "eps": 1e-8}

# (dataset, loss, lossfit's optimizer spec, the reference's rule and hyper-parameters, lr)
CASES: list[tuple[str, str, str, dict[str, Any], float]] = [
    ("linear", "mse", "gd", GD, 0.1),
    ("linear", "mse", "momentum", MOMENTUM, 0.01),
    ("linear", "mse", "adam", ADAM, 0.05),
    ("linear", "mse", "adam(betas=(0.8, 0.99), eps=1e-6)", {"rule": "adam", "betas": (0.8, 0.99), "eps": 1e-6},
     0.05),
    ("moons", "bce", "gd", GD, 0.5),
    ("moons", "bce", "sgd", GD, 0.5),  # plain sgd over the full batch is gd
    ("moons", "bce", "momentum", MOMENTUM, 0.05),
    ("moons", "bce", "sgd(momentum=0.9)", MOMENTUM, 0.05),
    ("moons", "bce", "adam", ADAM, 0.1),
]


def prepared_run(dataset: str, loss: str, optimizer: str, lr: float, epochs: int = EPOCHS) -> api.Prepared:
    options = {"dataset": dataset, "loss": loss, "optimizer": optimizer, "lr": lr, "epochs": epochs,
               "val_split": 0.0, "seed": 0, "plot": False, "progress": "none"}
    return api.prepare(build_config(None, options))


# --- independent code -----------------------------------------------------------------------


def mean_loss(z: np.ndarray, y: np.ndarray, loss: str) -> tuple[float, np.ndarray]:
    """Mean loss of the outputs z and its derivative with respect to z (already divided by n)."""
    n = len(y)
    if loss == "mse":
        r = z - y
        return float(r @ r) / n, 2.0 * r / n
    # bce on logits: softplus(z) - y z, written stably; d/dz = sigmoid(z) - y
    value = float(np.mean(np.logaddexp(0.0, z) - y * z))
    return value, (0.5 * (1.0 + np.tanh(0.5 * z)) - y) / n


def optimum(X: np.ndarray, y: np.ndarray, loss: str) -> tuple[float, float]:
    """The minimal mean training loss over (w, b) and the gradient norm where it is reached."""
    A = np.column_stack([X, np.ones(len(X))])
    if loss == "mse":
        theta = np.linalg.lstsq(A, y, rcond=None)[0]
    else:  # Newton's method from zero; the logistic loss is convex and moons is not separable
        theta = np.zeros(A.shape[1])
        for _ in range(50):
            z = A @ theta
            p = 0.5 * (1.0 + np.tanh(0.5 * z))
            grad = A.T @ (p - y) / len(y)
            if np.linalg.norm(grad) < 1e-15:
                break
            theta -= np.linalg.solve((A * (p * (1.0 - p))[:, None]).T @ A / len(y), grad)
    value, d = mean_loss(A @ theta, y, loss)
    return value, float(np.linalg.norm(A.T @ d))


def reference_losses(X: np.ndarray, y: np.ndarray, loss: str, hyper: dict[str, Any], lr: float,
                     epochs: int, bias_correction: bool = True) -> list[float]:
    """Each epoch's loss at the weights it starts from, then one full-batch update (torch's rules).

    gd:       θ ← θ - γ g
    momentum: b_1 = g_1, b_t = μ b_{t-1} + (1 - τ) g_t;  θ ← θ - γ b_t
    adam:     m_t = β1 m + (1 - β1) g, v_t = β2 v + (1 - β2) g², m̂ = m_t / (1 - β1^t),
              v̂ = v_t / (1 - β2^t);  θ ← θ - γ m̂ / (√v̂ + ε)
    """
    n, d = X.shape
    w, b = np.zeros(d), 0.0  # lossfit's linear model starts from zero weights (checked below)
    state: dict[str, Any] = {}
    losses = []
    for t in range(1, epochs + 1):
        value, dz = mean_loss(X @ w + b, y, loss)
        losses.append(value)
        g = np.append(X.T @ dz, dz.sum())
        rule = hyper["rule"]
        if rule == "gd":
            step = g
        elif rule == "momentum":
            state["b"] = g.copy() if t == 1 else hyper["momentum"] * state["b"] + (1.0 - hyper["dampening"]) * g
            step = state["b"]
        else:
            beta1, beta2 = hyper["betas"]
            state["m"] = beta1 * state.get("m", 0.0) + (1.0 - beta1) * g
            state["v"] = beta2 * state.get("v", 0.0) + (1.0 - beta2) * g * g
            m_hat, v_hat = state["m"], state["v"]
            if bias_correction:
                m_hat, v_hat = m_hat / (1.0 - beta1**t), v_hat / (1.0 - beta2**t)
            step = m_hat / (np.sqrt(v_hat) + hyper["eps"])
        w = w - lr * step[:-1]
        b = b - lr * step[-1]
    return losses


def epochs_to(losses: list[float], level: float) -> int | None:
    """The first epoch (1-based) whose loss is within the level, None if none is."""
    return next((epoch for epoch, value in enumerate(losses, 1) if value <= level), None)


# --- lossfit ----------------------------------------------------------------------------------


def lossfit_losses(prepared: api.Prepared) -> list[float]:
    recorder = api.Recorder()
    summary = api.run(prepared, [recorder])
    assert summary.status == "completed", summary.message
    return [record.train_loss for record in recorder.records]


def first_difference(ours: list[float], ref: list[float]) -> str:
    for epoch, (a, b) in enumerate(zip(ours, ref), 1):
        if abs(a - b) > SAME:
            return f"the losses first differ at epoch {epoch}: lossfit {a!r}, reference {b!r} ({a - b:+.3g})"
    return "the losses agree at every epoch"


@pytest.mark.parametrize(("dataset", "loss", "spec", "hyper", "lr"), CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_same_epochs_to_the_optimum_as_the_reference(dataset: str, loss: str, spec: str, hyper: dict[str, Any],
                                                     lr: float) -> None:
    prepared = prepared_run(dataset, loss, spec, lr)
    X, y = prepared.data.X_train, prepared.data.y_train
    assert all(np.all(p == 0.0) for p in prepared.model.params), "the reference starts from zero weights"
    for key, value in hyper.items():  # the reference is given what lossfit was given
        if key != "rule":
            assert getattr(prepared.optimizer, key) == value, key
    assert prepared.optimizer.lr == lr and getattr(prepared.optimizer, "momentum", 0.0) == hyper.get("momentum", 0.0)

    best, grad_norm = optimum(X, y, loss)
    assert grad_norm < 1e-10, f"the optimum is not one: gradient norm {grad_norm:.3g}"
    level = best + TOL

    ours = lossfit_losses(prepared)
    ref = reference_losses(X, y, loss, hyper, lr, EPOCHS)
    ours_epochs, ref_epochs = epochs_to(ours, level), epochs_to(ref, level)
    assert ref_epochs is not None and 1 < ref_epochs < EPOCHS, ref_epochs
    assert ours_epochs == ref_epochs, (f"lossfit needs {ours_epochs} epochs, the reference {ref_epochs}; "
                                       + first_difference(ours, ref))
    gap = max(abs(a - b) for a, b in zip(ours, ref))
    assert gap <= SAME, first_difference(ours, ref)

    # where the run ends: the last record, and the loss of the weights the model returns
    assert best - SAME <= min(ours) and ours[-1] - best <= TOL
    final, _ = mean_loss(prepared.model.predict(X), y, loss)
    assert best - SAME <= final <= level


def test_the_count_tells_a_different_rule_apart() -> None:
    """The comparison is not vacuous: Adam without bias correction needs another number of epochs."""
    prepared = prepared_run("linear", "mse", "adam", 0.05)
    X, y = prepared.data.X_train, prepared.data.y_train
    level = optimum(X, y, "mse")[0] + TOL
    ours = epochs_to(lossfit_losses(prepared), level)
    uncorrected = epochs_to(reference_losses(X, y, "mse", ADAM, 0.05, EPOCHS, bias_correction=False), level)
    assert ours == epochs_to(reference_losses(X, y, "mse", ADAM, 0.05, EPOCHS), level)
    assert uncorrected != ours and ours is not None and math.isfinite(ours)
