"""`export_numpy`: the exported script, run without lossfit, prints the run's history.

Every run of the matrix below is trained with lossfit, exported, and its script
run in ONE isolated subprocess (python -I, with `import lossfit` blocked) that
captures what each script prints; every epoch's loss must equal history.csv's
train_loss to 1e-9 relative.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lossfit
from _exporting import export_and_run, history_losses, loss_inputs, printed_losses
from lossfit import losses, optimizers, schedules
from lossfit.errors import ConfigError
from lossfit.export import _losses, _optimizers, _schedules, export_numpy

EPOCHS = 25

CUSTOM_LOSSES = '''\
"""Custom losses for the export tests."""
import numpy as np


def asym(y_pred, y_true):
    """Over-predicting costs twice as much."""
    r = y_pred - y_true
    return np.where(r > 0, 2.0, 1.0) * r**2


def asym_grad(y_pred, y_true):
    r = y_pred - y_true
    return np.where(r > 0, 4.0, 2.0) * r


class SquaredHingeByHand:
    """Squared hinge, written by hand."""

    task = "binary"

    def __call__(self, y_pred, y_true):
        slack = np.maximum(0.0, 1.0 - (2.0 * y_true - 1.0) * y_pred)
        return slack * slack

    def grad(self, y_pred, y_true):
        y_pm = 2.0 * y_true - 1.0
        return -2.0 * y_pm * np.maximum(0.0, 1.0 - y_pm * y_pred)


def no_grad(y_pred, y_true):
    return (y_pred - y_true) ** 2
'''

# (id, options of lossfit.train): every loss family, optimizer, schedule, model and option that exports.
RUNS: list[tuple[str, dict[str, Any]]] = [
    # the example
    ("huber-adam-cosine", dict(loss="huber", optimizer="adam", schedule="cosine(T_max=200)", epochs=60)),
    # losses (each on its default dataset)
    *[(f"loss-{name}", dict(loss=name)) for name in (
        "mse", "mae", "huber(delta=0.5)", "smooth_l1(beta=0.5)", "smooth_l1(beta=0)", "log_cosh",
        "quantile(tau=0.8)", "epsilon_insensitive", "squared_epsilon_insensitive(epsilon=0.2)", "poisson",
        "bce", "bce(pos_weight=2)", "focal", "focal(alpha=None, gamma=1)", "hinge", "squared_hinge",
        "modified_huber", "perceptron", "exponential", "cross_entropy", "cross_entropy(label_smoothing=0.1)",
        "cross_entropy(class_weight=(1, 2, 0.5))", "multi_margin", "multi_margin(p=2, margin=0.5)", "crammer_singer",
    )],
    # optimizers, on a binary problem
    *[(f"opt-{name}", dict(loss="bce", optimizer=name, lr=0.05)) for name in (
        "sgd", "gd", "momentum", "nesterov", "sgd(momentum=0.5, dampening=0.3, weight_decay=0.01)",
        "adagrad", "adagrad(lr_decay=0.1, weight_decay=0.01, initial_accumulator_value=0.1)",
        "rmsprop", "rmsprop(momentum=0.5, centered=True, weight_decay=0.01)",
        "adam", "adam(amsgrad=True, weight_decay=0.01)", "adam(decoupled_weight_decay=True, weight_decay=0.1)",
        "adam(betas=(0.3, 0.9))", "adamw", "nadam", "nadam(weight_decay=0.01, decoupled_weight_decay=True)",
        "radam", "radam(weight_decay=0.01)", "adamax", "adadelta", "momentum_ema", "momentum_sutskever",
        "adam_eps_inside", "rmsprop_tf", "adam_keras_eps",
    )],
    # schedules
    ("sched-step", dict(schedule="step(step_size=5, gamma=0.5)")),
    ("sched-exponential", dict(schedule="exponential(gamma=0.9)")),
    ("sched-cosine", dict(schedule="cosine(T_max=10, eta_min=0.01)")),
    ("sched-linear", dict(schedule="linear(start_factor=0.2, total_iters=10)")),
    ("sched-plateau", dict(schedule="reduce_on_plateau(patience=2, factor=0.5)", optimizer="momentum", lr=0.3)),
    ("sched-plateau-max-abs", dict(schedule="reduce_on_plateau(patience=1, mode='max', threshold_mode='abs', "
                                            "cooldown=2)", val_split=0.0)),
    ("sched-one_cycle-sgd", dict(schedule="one_cycle", optimizer="momentum")),
    ("sched-one_cycle-adam", dict(schedule="one_cycle(three_phase=True, anneal_strategy='linear')",
                                  optimizer="adam")),
    ("sched-one_cycle-rmsprop", dict(schedule="one_cycle", optimizer="rmsprop", lr=0.01)),
    ("sched-one_cycle-no-momentum", dict(schedule="one_cycle(cycle_momentum=False)", optimizer="adagrad")),
    # models
    ("mlp-tanh-bce", dict(model="mlp(hidden=(8,))", loss="bce", optimizer="adam", lr=0.01)),
    ("mlp-relu-mse", dict(model="mlp(hidden=(8, 4), activation='relu')", loss="mse", lr=0.05)),
    ("mlp-sigmoid-ce", dict(model="mlp(hidden=(5,), activation='sigmoid')", loss="cross_entropy",
                            optimizer="adam", lr=0.01)),
    # penalties, clipping, class weights, mini-batches, early stopping
    ("l2-hinge", dict(loss="hinge", l2=0.1)),
    ("l1-l2-mse", dict(loss="mse", l1=0.05, l2=0.01)),
    ("clip-mse", dict(loss="mse", clip_grad=0.5, lr=0.5)),
    ("class-weight-bce", dict(loss="bce", class_weight="balanced")),
    ("class-weight-hinge-batches", dict(loss="hinge", class_weight="1,3", batch_size=10)),
    ("class-weight-ce-batches", dict(loss="cross_entropy", class_weight="balanced", batch_size=20)),
    ("batches-huber-adam", dict(loss="huber", optimizer="adam", batch_size=16)),
    ("batches-mlp-ce-nesterov", dict(model="mlp(hidden=(6,))", loss="cross_entropy", optimizer="nesterov",
                                     batch_size=16)),
    ("early-stop-batches", dict(loss="mse", batch_size=16, early_stopping=3, epochs=60, lr=0.5)),
    ("early-stop-full", dict(early_stopping=2, min_delta=0.01, epochs=60)),
    ("early-stop-no-val", dict(early_stopping=2, min_delta=0.001, val_split=0.0, batch_size=30, epochs=60)),
    ("everything", dict(model="mlp(hidden=(8,), activation='relu')", loss="bce", class_weight="balanced",
                        batch_size=32, l2=0.01, l1=0.001, clip_grad=1.0, early_stopping=5, optimizer="nesterov",
                        lr=0.05, schedule="step(step_size=10)", epochs=40)),
    # diverged runs stop where lossfit stopped them (a NaN/inf loss; a loss that stays 10x too high)
    ("diverged-overflow", dict(loss="mse", lr=5.0)),
    ("diverged-growth", dict(loss="mae", optimizer="momentum", lr=30.0, epochs=60)),
    # custom losses with a gradient
    ("custom-function", dict(loss="{custom}:asym")),
    ("custom-class", dict(loss="{custom}:SquaredHingeByHand", dataset="moons")),
]

@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, list[Path]]]:
    """Train every run of RUNS, export it, and run all the scripts in one isolated subprocess."""
    root = tmp_path_factory.mktemp("export")
    custom = root / "custom_losses.py"
    custom.write_text(CUSTOM_LOSSES)
    runs = [(run_id, {"epochs": EPOCHS, **options, "loss": options.get("loss", "mse").replace("{custom}", str(custom))})
            for run_id, options in RUNS]
    return export_and_run(root, runs, export_numpy, timeout=120)


@pytest.mark.parametrize("run_id", [run_id for run_id, _ in RUNS])
def test_script_prints_the_history(exported: dict[str, Any], run_id: str) -> None:
    run, script, written, stdout, error = exported[run_id]
    assert error is None, error
    assert written == [script, script.with_suffix(".npz")]
    expected, got = history_losses(run), printed_losses(stdout)
    assert len(got) == len(expected)
    assert got == pytest.approx(expected, rel=1e-9, abs=0.0)


def test_scripts_import_only_numpy(exported: dict[str, Any]) -> None:
    for run_id, (run, script, *_rest) in exported.items():
        text = script.read_text()
        imports = {line.split()[1] for line in text.splitlines() if line.startswith(("import ", "from "))}
        allowed = {"math", "sys", "pathlib", "numpy", "importlib.util"}
        assert imports <= allowed, (run_id, imports - allowed)
        assert "lossfit export" in text  # said where it came from, in the docstring
        assert "import lossfit" not in text and "from lossfit" not in text


def test_only_the_pieces_the_run_uses(exported: dict[str, Any]) -> None:
    def code_of(run_id: str) -> str:  # the script without its comments
        text = exported[run_id][1].read_text()
        return "\n".join(line.split("#")[0] for line in text.splitlines())

    adam = code_of("huber-adam-cosine")
    assert "momentum" not in adam and "buffers" not in adam and "nesterov" not in adam
    assert "cosine_lr" in adam and "beta1" in adam and "DELTA" in adam
    for absent in ("pointwise(out, y):\n    r = out - y\n    return r * r", "L2", "L1", "CLIP_GRAD",
                   "BATCH_SIZE", "rng", "w_train", "EARLY_STOPPING", "activation", "STEP_SIZE"):
        assert absent not in adam, absent
    sgd = code_of("opt-sgd")
    assert "beta1" not in sgd and "buffers" not in sgd and "lr = " in sgd and "p -= lr * g" in sgd
    assert "schedule" not in exported["opt-sgd"][1].read_text().lower()  # constant: no schedule code
    everything = code_of("everything")
    for present in ("L2", "L1", "CLIP_GRAD", "BATCH_SIZE", "rng.permutation", "w_train[rows]", "EARLY_STOPPING",
                    "activation_grad", "STEP_SIZE", "buffers"):
        assert present in everything, present
    assert "import importlib.util" in exported["custom-function"][1].read_text()


def test_the_data_file_holds_the_prepared_arrays(exported: dict[str, Any]) -> None:
    run, script, *_ = exported["class-weight-bce"]
    with np.load(script.with_suffix(".npz")) as data:
        assert {"X_train", "y_train", "X_val", "y_val", "w_train", "w_val", "W", "b"} <= set(data.files)
        assert data["X_train"].mean(axis=0) == pytest.approx(0.0, abs=1e-12)  # standardized on the training split
        assert set(np.unique(data["y_train"])) <= {0.0, 1.0}
    run, script, *_ = exported["mlp-relu-mse"]
    with np.load(script.with_suffix(".npz")) as data:
        assert {"W1", "b1", "W2", "b2", "W3", "b3"} <= set(data.files)


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(dtype="float32"), "float32"),
        (dict(loss="{custom}:no_grad"), "no gradient"),
    ],
    ids=["float32", "custom-without-gradient"],
)
def test_what_cannot_be_exported_raises_and_writes_nothing(tmp_path: Path, options: dict[str, Any],
                                                             message: str) -> None:
    custom = tmp_path / "custom_losses.py"
    custom.write_text(CUSTOM_LOSSES)
    options = {"epochs": 3, **options}
    options["loss"] = options.get("loss", "mse").replace("{custom}", str(custom))
    run = tmp_path / "run"
    out = tmp_path / "out"
    out.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the custom loss without a gradient warns when it is loaded
        lossfit.train(out=run, plot=False, **options)
        with pytest.raises(ConfigError, match=message):
            export_numpy(run, out / "run.py")
    assert list(out.iterdir()) == []


def test_a_folder_without_a_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config.toml"):
        export_numpy(tmp_path, tmp_path / "x.py")
    assert list(tmp_path.iterdir()) == []



def test_every_registry_entry_has_a_template() -> None:
    assert set(losses.names()) <= set(_losses.TEMPLATES)
    assert {entry.factory.name for entry in optimizers.registry} <= set(_optimizers.TEMPLATES)
    assert set(schedules.names()) <= set(_schedules.TEMPLATES)


LOSS_SPECS = [
    "mse", "mae", "huber(delta=0.5)", "smooth_l1(beta=0.5)", "smooth_l1(beta=0)", "log_cosh", "quantile(tau=0.3)",
    "epsilon_insensitive", "squared_epsilon_insensitive", "poisson", "bce", "bce(pos_weight=3)", "focal",
    "focal(alpha=None, gamma=0.5)", "hinge", "squared_hinge", "modified_huber", "perceptron", "exponential",
    "cross_entropy", "cross_entropy(label_smoothing=0.2)", "cross_entropy(class_weight=(1, 0, 2.5))",
    "cross_entropy(class_weight=(1, 2, 3), label_smoothing=0.1)", "multi_margin", "multi_margin(p=2)",
    "crammer_singer", "kl_div",
]


@pytest.mark.parametrize("spec", LOSS_SPECS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_loss_code_computes_what_the_loss_computes(spec: str, weighted: bool) -> None:
    """The generated `loss_and_grad`, run on its own, equals the loss's value_and_grad bit for bit
    (kinks and large logits included; kl_div, which no bundled dataset trains, is checked here)."""
    loss = losses.get(spec)
    out, y, w = loss_inputs(loss, weighted)
    code = _losses.code(loss, _losses.LossContext(weighted, out.ndim == 2, loss.task == "multiclass"))
    namespace: dict[str, Any] = {"np": np}
    exec("\n".join(code), namespace)
    value, grad = namespace["loss_and_grad"](out.copy(), y, *([w] if weighted else []))
    want_value, want_grad = loss.value_and_grad(out.copy(), y, w)
    assert value == want_value
    np.testing.assert_array_equal(grad, want_grad)


def test_an_interrupted_run_exports_the_epochs_it_ran(tmp_path: Path) -> None:
    """A run stopped by Ctrl-C after k epochs: its script runs those k (its schedule as the run had it)."""
    from lossfit import api
    from lossfit.config import build_config
    from lossfit.runs import RunFolder

    prepared = api.prepare(build_config(None, {"epochs": 50, "optimizer": "adam", "lr": 0.05, "plot": False,
                                               "schedule": "cosine(T_max=50)", "progress": "none"}))
    calls = iter(range(10**6))
    summary = api.run(prepared, [RunFolder(tmp_path / "r", plot=False)], should_stop=lambda: next(calls) >= 7)
    assert summary.status == "interrupted" and 0 < summary.epochs < 50
    script = tmp_path / "r.py"
    export_numpy(tmp_path / "r", script)
    assert "EPOCHS = 50" not in script.read_text()
    done = subprocess.run([sys.executable, "-I", str(script)], capture_output=True, text=True, cwd=tmp_path,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    history = history_losses(tmp_path / "r")
    assert printed_losses(done.stdout) == history and len(history) == summary.epochs
