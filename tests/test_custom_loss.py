"""Custom losses: `--loss path/to/file.py:name` and `losses.get("file.py:name")`."""

from __future__ import annotations

import json
import shutil
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest

from lossfit import gradcheck, losses
from lossfit.custom_loss import NumericalGradientWarning, is_custom_spec
from lossfit.errors import ConfigError, LossfitError, SpecError

FIXTURES = Path(__file__).parent / "fixtures" / "custom_losses"
ASYM = FIXTURES / "asym.py"


def load(spec: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalGradientWarning)
        return losses.get(spec)


@pytest.fixture
def my_py(workdir, monkeypatch):
    """asym.py copied into the (current) working folder as my.py, so the spec is `my.py:asym`."""
    monkeypatch.chdir(workdir)
    shutil.copy(ASYM, workdir / "my.py")
    return workdir / "my.py"


def test_a_function_without_gradient_is_differentiated_numerically_and_says_so_once():
    with pytest.warns(NumericalGradientWarning, match="no gradient") as record:
        loss = losses.get(f"{ASYM}:asym")
    assert len(record) == 1
    assert loss.name == "asym" and loss.task == "regression" and loss.numerical_gradient
    assert losses.spec_of(loss) == f"{ASYM}:asym"
    assert loss([1.0, -1.0], [0.0, 0.0]) == pytest.approx((2.0 + 1.0) / 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # using it warns no more
        loss.grad([1.0, -1.0], [0.0, 0.0])


def test_numerical_gradient_matches_the_analytic_one_within_1e_6():
    numerical = load(f"{ASYM}:asym")
    exact = load(f"{ASYM}:asym_exact")
    assert not exact.numerical_gradient
    rng = np.random.default_rng(0)
    y_true = rng.normal(0, 3, 500)
    y_pred = y_true + rng.normal(0, 3, 500)
    got = numerical.grad(y_pred, y_true)
    want = exact.grad(y_pred, y_true)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12)
    assert numerical(y_pred, y_true) == exact(y_pred, y_true)


def test_a_class_with_call_and_grad():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = losses.get(f"{ASYM}:Cubic")
    np.testing.assert_allclose(loss.grad([2.0, -1.0], [0.0, 0.0]), [3 * 4 / 2, -3 / 2])
    assert gradcheck.check(loss).passed


def test_task_declared_by_module_constant_or_attribute():
    binary = load(f"{FIXTURES / 'binary_logistic.py'}:logistic")
    assert binary.task == "binary" and binary.n_outputs(2) == 1
    np.testing.assert_allclose(binary.grad([0.0, 0.0], [1, 0]), [-0.25, 0.25], atol=1e-9)
    assert losses.get("bce")([0.3, -2.0], [1, 0]) == pytest.approx(binary([0.3, -2.0], [1, 0]))
    with pytest.raises(LossfitError, match=r"\{0, 1\}"):
        binary([0.0], [3])
    multiclass = load(f"{FIXTURES / 'multiclass_ce.py'}:ce")
    assert multiclass.task == "multiclass" and multiclass.n_outputs(4) == 4
    z = np.random.default_rng(1).normal(size=(8, 3))
    t = np.arange(8) % 3
    ce = losses.get("cross_entropy")
    assert multiclass(z, t) == pytest.approx(ce(z, t))
    np.testing.assert_allclose(multiclass.grad(z, t), ce.grad(z, t), atol=1e-9)
    assert gradcheck.check(multiclass).passed


def test_is_custom_spec():
    assert is_custom_spec("my.py:asym") and is_custom_spec("dir/sub/x.PY:f")
    assert not is_custom_spec("huber(delta=0.5)") and not is_custom_spec("my.py") and not is_custom_spec("x.txt:f")


@pytest.mark.parametrize(
    ("spec", "error", "fragment"),
    [
        ("nofile.py:f", ConfigError, "file nofile.py not found"),
        ("asym.txt:f", SpecError, "asym.txt is not a .py file"),
        ("my.py", SpecError, "no function name after the file; a custom loss is written path/to/file.py:name"),
        ("my.py:", SpecError, "is not a Python name"),
        ("my.py:nope", ConfigError, "has no function or class `nope`. It defines: Cubic, asym"),
        ("my.py:NOT_A_FUNCTION", ConfigError, "is not a function or class"),
        ("my.py:raises", ConfigError, "raised ZeroDivisionError: division by zero at my.py line"),
        ("my.py:scalar", ConfigError, "return one loss per element, not their mean"),
        ("my.py:nonfinite", ConfigError, "NaN or inf losses"),
        ("broken.py:f", ConfigError, "running broken.py raised RuntimeError: this file refuses to load"),
        ("bad_task.py:f", ConfigError, "task 'ranking' is not one of regression, binary, multiclass"),
        ("syntax.py:f", ConfigError, "syntax error"),
    ],
)
def test_loading_errors_are_one_line(workdir, my_py, spec, error, fragment):
    shutil.copy(FIXTURES / "broken.py", workdir / "broken.py")
    (workdir / "asym.txt").write_text("def f(y_pred, y_true):\n    return y_pred\n")
    (workdir / "bad_task.py").write_text("TASK = 'ranking'\ndef f(y_pred, y_true):\n    return y_pred\n")
    (workdir / "syntax.py").write_text("def f(y_pred, y_true)\n    return y_pred\n")
    with pytest.raises(error) as info:
        load(spec)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_custom_losses_take_no_parameters():
    with pytest.raises(SpecError, match="takes no parameters"):
        losses.get(f"{ASYM}:asym_exact", delta=1.0)


def test_train_with_a_custom_loss_end_to_end(run_cli, workdir, my_py):
    result = run_cli("train", "--loss", "my.py:asym", "--epochs", "40", "--progress", "none", "--out", "run1")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "differentiates it numerically" in line]
    assert len(notes) == 1 and notes[0].startswith("Note: custom loss my.py:asym")  # said once, on one line
    assert "Finished: 40 epochs" in result.stdout
    config = tomllib.loads((workdir / "run1" / "config.toml").read_text())
    assert config["loss"] == f"{workdir / 'my.py'}:asym"  # absolute: the config reruns from any folder
    summary = json.loads((workdir / "run1" / "metrics.json").read_text())
    assert summary["status"] == "completed" and summary["final"]["r2"] > 0.8
    again = run_cli("train", "--config", "run1/config.toml", "--out", "run2", "--progress", "none")
    assert again.exit_code == 0, again.output
    last = [(workdir / run / "history.csv").read_text().splitlines()[-1].split(",")[:3] for run in ("run1", "run2")]
    assert last[0] == last[1]  # config.toml reproduces the run


def test_train_with_a_binary_custom_loss(run_cli, workdir):
    shutil.copy(FIXTURES / "binary_logistic.py", workdir / "logit.py")
    result = run_cli("train", "--loss", "logit.py:logistic", "--epochs", "30", "--progress", "none",
                     "--no-plot", "--json")
    assert result.exit_code == 0, result.output
    assert "Note: custom loss logit.py:logistic" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["config"]["loss"] == f"{workdir / 'logit.py'}:logistic" and summary["final"]["accuracy"] > 0.7


def test_train_quantile_on_outliers(run_cli, workdir):
    result = run_cli("train", "--loss", "quantile(tau=0.9)", "--dataset", "outliers", "--epochs", "60",
                     "--progress", "none", "--out", "q")
    assert result.exit_code == 0, result.output
    assert tomllib.loads((workdir / "q" / "config.toml").read_text())["loss"] == "quantile(tau=0.9)"


@pytest.mark.parametrize("spec", ["my.py:raises", "my.py:nope", "missing.py:asym", "my.py"])
def test_train_refuses_a_bad_custom_loss_before_writing_anything(run_cli, workdir, my_py, spec):
    result = run_cli("train", "--loss", spec, "--progress", "none")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output
    assert not (workdir / "runs").exists()


def test_an_instance_with_a_grad_method_uses_it(run_cli, workdir):
    (workdir / "inst.py").write_text(
        "import numpy as np\n"
        "class Sq:\n"
        "    def __call__(self, y_pred, y_true):\n"
        "        return (y_pred - y_true) ** 2\n"
        "    def grad(self, y_pred, y_true):\n"
        "        return 2 * (y_pred - y_true)\n"
        "sq = Sq()\n"
    )
    result = run_cli("gradcheck", "inst.py:sq")
    assert result.exit_code == 0, result.output
    assert "numerically" not in result.stderr


def test_a_custom_loss_config_reruns_from_another_folder(run_cli, workdir, my_py, tmp_path_factory, monkeypatch):
    assert run_cli("train", "--loss", "my.py:asym", "--epochs", "5", "--no-plot", "--out", "a").exit_code == 0
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)
    again = run_cli("train", "--config", str(workdir / "a" / "config.toml"), "--out", "b", "--no-plot")
    assert again.exit_code == 0, again.output
