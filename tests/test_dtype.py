"""--dtype float32: data, weights, outputs, gradients and optimizer state stay float32 end to end.

float64 stays the default. float32 halves the memory and, on large problems, about halves
the epoch time (issue 12); its losses are the float64 ones rounded to about 7 digits, and
the stable forms stay finite at extreme logits.
"""

from __future__ import annotations

import json
import math
import tracemalloc

import numpy as np
import pytest
from typer.testing import CliRunner

from lossfit import api, data, losses, optimizers, training
from lossfit.cli import app
from lossfit.config import DTYPES, build_config

runner = CliRunner()


def prepared(dtype: str, **options: object) -> api.Prepared:
    return api.prepare(build_config(None, {"plot": False, "progress": "none", "dtype": dtype, **options}))


def float_arrays(value: object, path: str = "state"):
    """Every floating-point array inside an optimizer's state, with where it is."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from float_arrays(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from float_arrays(item, f"{path}[{i}]")


def _dataset_for(loss_name: str) -> dict[str, object]:
    loss = losses.get(loss_name)
    return {"dataset": loss.default_dataset} if loss.default_dataset else {}


# kl_div takes soft targets (n, k), which no dataset gives: its float32 gradient is checked at extreme logits below
@pytest.mark.parametrize("loss_name", [name for name in losses.names() if name != "kl_div"])
def test_every_loss_trains_in_float32_end_to_end(loss_name):
    run = prepared("float32", loss=loss_name, **_dataset_for(loss_name))
    d = run.data
    assert d.X_train.dtype == np.float32 and d.X_val.dtype == np.float32
    if np.asarray(d.y_train).dtype.kind == "f":
        assert d.y_train.dtype == np.float32
    regularization = training.Regularization(l2=0.01, l1=0.01, clip_grad=1.0)
    step = training.Stepper(run.model, run.loss, run.optimizer, regularization,
                            [i for i, w in enumerate(run.model.is_weight) if w])
    for _ in range(3):
        value, d_out, out = step.loss(d.X_train, d.y_train, d.w_train)
        assert out.dtype == np.float32 and d_out.dtype == np.float32, (out.dtype, d_out.dtype)
        assert math.isfinite(value)
        step.update(d_out)
    assert [p.dtype for p in run.model.params] == [np.float32] * len(run.model.params)


@pytest.mark.parametrize("optimizer", optimizers.names())
@pytest.mark.parametrize("model", ["linear", "mlp"])
def test_every_optimizer_keeps_its_state_in_float32(optimizer, model):
    options = {"loss": "bce", "dataset": "moons", "model": model, "optimizer": optimizer, "epochs": 4,
               "lr": 0.01, "batch_size": 64 if optimizer != "gd" else None}
    run = prepared("float32", **options)
    summary = api.run(run, [])
    assert summary.status == "completed", summary.message
    assert {p.dtype for p in run.model.params} == {np.dtype(np.float32)}
    wide = [(path, a.dtype) for path, a in float_arrays(getattr(run.optimizer, "state", [])) if a.dtype != np.float32]
    assert not wide


def test_float32_runs_follow_float64_runs_to_float32_precision():
    """The same run in both types: losses agree to float32 rounding (relative 1e-5 over 200 epochs)."""
    histories = {}
    for dtype in DTYPES:
        recorder = api.Recorder()
        api.run(prepared(dtype, loss="huber", dataset="outliers", optimizer="adam", lr=0.05), [recorder])
        histories[dtype] = np.array([r.train_loss for r in recorder.records])
    np.testing.assert_allclose(histories["float32"], histories["float64"], rtol=1e-5)
    assert not np.array_equal(histories["float32"], histories["float64"])  # it really ran in float32


@pytest.mark.parametrize("loss_name", [name for name in losses.names() if losses.get(name).task != "regression"])
@pytest.mark.parametrize("scale", [30.0, 1000.0])
def test_classification_losses_stay_finite_at_extreme_logits_in_float32(loss_name, scale):
    """Stable forms: at logits of +-1000 float32 gives float64's loss and gradient, to float32 precision.

    The exception is a loss that grows exponentially with the margin (exponential): it overflows
    float32 past a margin of 88, as it overflows float64 past 709, and is not clipped.
    """
    loss = losses.get(loss_name)
    rng = np.random.default_rng(3)
    if loss.task == "binary":
        z = scale * np.array([1.0, -1.0, 1.0, -1.0, 0.5, -0.5])
        y = loss.prepare_targets(np.array([1, 0, 0, 1, 1, 0]))
    else:
        z = scale * rng.choice([-1.0, 0.0, 1.0], size=(6, 3))
        if loss_name == "kl_div":
            y = loss.prepare_targets(rng.dirichlet(np.ones(3), size=6))
        else:
            y = loss.prepare_targets(np.array([0, 1, 2, 0, 1, 2]), n_classes=3)
    y32 = y.astype(np.float32) if y.dtype.kind == "f" else y
    with np.errstate(over="ignore"):  # exponential overflows, as documented
        value64, grad64 = loss.value_and_grad(z, y)
        value32, grad32 = loss.value_and_grad(z.astype(np.float32), y32)
    assert grad32.dtype == np.float32
    if value64 > float(np.finfo(np.float32).max) / 10:  # exponential past a margin of 88: inf, as documented
        assert loss_name == "exponential" and math.isinf(value32)
        return
    assert math.isfinite(value32) and np.isfinite(grad32).all()
    assert value32 == pytest.approx(value64, rel=1e-5, abs=1e-6)
    np.testing.assert_allclose(grad32, grad64, rtol=1e-5, atol=1e-6)


def test_dtype_is_saved_and_read_back(tmp_path):
    result = runner.invoke(app, ["train", "--dtype", "float32", "--epochs", "5", "--no-plot", "--progress", "none",
                                 "--out", str(tmp_path / "r"), "--json"])
    assert result.exit_code == 0, result.output
    assert 'dtype = "float32"' in (tmp_path / "r" / "config.toml").read_text()
    assert json.loads(result.stdout)["config"]["dtype"] == "float32"
    again = runner.invoke(app, ["train", "--config", str(tmp_path / "r" / "config.toml"), "--no-plot",
                                "--progress", "none", "--out", str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    first, second = ((tmp_path / name / "history.csv").read_text().splitlines() for name in ("r", "again"))
    assert [row.rsplit(",", 1)[0] for row in first] == [row.rsplit(",", 1)[0] for row in second]  # but seconds


def test_compare_races_float32_against_float64(tmp_path):
    result = runner.invoke(app, ["compare", "--dtype", "float32,float64", "--epochs", "20", "--no-plot",
                                 "--progress", "none", "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "dtype=float32" in result.output and "dtype=float64" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--dtype", "float16"], "--dtype must be one of float64, float32, got 'float16'."),
    (["--dtype", ""], "--dtype must be one of float64, float32"),
])
def test_a_wrong_dtype_is_one_line(tmp_path, args, message):
    result = runner.invoke(app, ["train", *args, "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_targets_too_large_for_float32_name_the_way_out(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "big.npz"
    np.savez(path, X=rng.random((50, 2)), y=rng.random(50) * 1e30)
    result = runner.invoke(app, ["train", "--dataset", str(path), "--dtype", "float32", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "overflow float32" in result.output and "--dtype float64" in result.output
    assert not (tmp_path / "r").exists()
    fine = runner.invoke(app, ["train", "--dataset", str(path), "--epochs", "3", "--no-plot", "--progress", "none",
                               "--out", str(tmp_path / "r64")])
    assert fine.exit_code in (0, 3), fine.output  # float64 holds 1e30 squared


def test_with_dtype_float64_is_the_dataset_itself():
    dataset = data.load("linear(n_samples=20)", seed=0, val_split=0.2)
    assert data.with_dtype(dataset, "float64") is dataset
    small = data.with_dtype(dataset, "float32")
    np.testing.assert_array_equal(small.X_train, dataset.X_train.astype(np.float32))
    assert not small.X_train.flags.writeable


def test_an_epoch_allocates_nothing_the_size_of_X(tmp_path):
    """Full batch on 4,000 x 50: after the first epoch, no epoch allocates an array as large as X.

    What an epoch may allocate: n-vectors (the output, the residual, the gradient with respect
    to it), a few d-vectors and the record. tracemalloc sees NumPy's buffers.
    """
    rng = np.random.default_rng(1)
    X, w = rng.standard_normal((4000, 50)), rng.standard_normal(50)
    np.savez(tmp_path / "xy.npz", X=X, y=X @ w + rng.standard_normal(4000))
    for options in ({"loss": "mse"}, {"loss": "huber"}, {"loss": "mse", "dtype": "float32", "l2": 0.1}):
        run = api.prepare(build_config(None, {"dataset": str(tmp_path / "xy.npz"), "epochs": 30, "val_split": 0.0,
                                              "plot": False, "progress": "none", **options}))
        x_bytes = run.data.X_train.nbytes
        driver = api.Runner(run, [])
        driver.start()
        driver.advance()  # the first epoch may set things up
        tracemalloc.start()
        try:
            while driver.advance() is not None:
                pass
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            driver.finish()
        assert peak < x_bytes / 4, f"{options}: an epoch peaked at {peak:,} bytes; X is {x_bytes:,}"
