"""RunConfig: precedence (CLI > file > defaults), TOML errors, range checks."""

from __future__ import annotations

import math
import tomllib

import pytest
import tomli_w

from lossfit.config import RunConfig, build_config
from lossfit.errors import ConfigError


def write(tmp_path, text, name="run.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_are_a_meaningful_run():
    config = build_config(None, {})
    assert (config.loss, config.dataset, config.optimizer, config.model) == (None, None, "sgd", "auto")
    assert config.batch_size is None and config.val_split == 0.2 and config.lr > 0


def test_file_overrides_defaults_and_options_override_file(tmp_path):
    path = write(tmp_path, 'loss = "mae"\nlr = 1\nepochs = 7\nbatch-size = 16\nval_split = 0\n')
    config = build_config(path, {"epochs": 3, "lr": None})
    assert config.loss == "mae" and config.epochs == 3 and config.batch_size == 16
    assert config.lr == 1.0 and isinstance(config.lr, float)  # TOML int coerced
    assert config.val_split == 0.0


def test_batch_size_full(tmp_path):
    assert build_config(None, {"batch_size": "full"}).batch_size is None
    assert build_config(None, {"batch_size": "32"}).batch_size == 32
    assert build_config(write(tmp_path, 'batch_size = "full"\n'), {}).batch_size is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('lrr = 0.1\n', "Unknown key `lrr` in {path}. Did you mean `lr`?"),
        ('lr = "fast"\n', "`lr` in {path} must be a number, got 'fast' (str)"),
        ('epochs = 2.5\n', "`epochs` in {path} must be a whole number, got 2.5"),
        ('loss = 3\n', "`loss` in {path} must be a string, got 3"),
        ('plot = "yes"\n', "`plot` in {path} must be true or false"),
        ('lr = -1\n', "`lr` in {path} must be a positive finite number, got -1.0"),
        ('lr = nan\n', "`lr` in {path} must be a positive finite number, got nan"),
        ('val_split = 1\n', "`val_split` in {path} must be in [0, 1)"),
        ('epochs = 0\n', "`epochs` in {path} must be at least 1, got 0"),
        ('seed = -3\n', "`seed` in {path} must be 0 or more"),
        ('batch_size = 0\n', "`batch_size` in {path} must be a positive whole number or 'full'"),
        ('loss = "mse\n', "Cannot read {path}: invalid TOML"),
    ],
)
def test_file_errors_name_the_key_and_the_file(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        build_config(path, {})
    assert fragment.format(path=path) in str(info.value)
    assert "\n" not in str(info.value)


def test_option_overrides_a_bad_file_value(tmp_path):
    path = write(tmp_path, "lr = -1\n")
    assert build_config(path, {"lr": 0.5}).lr == 0.5


def test_missing_and_binary_config_files(tmp_path):
    with pytest.raises(ConfigError, match="Config file not found"):
        build_config(tmp_path / "nope.toml", {})
    with pytest.raises(ConfigError, match="is a folder"):
        build_config(tmp_path, {})
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ConfigError, match="not a text file"):
        build_config(binary, {})


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"lr": 0.0}, "--lr must be a positive finite number"),
        ({"lr": math.inf}, "--lr must be a positive finite number"),
        ({"epochs": 0}, "--epochs must be at least 1"),
        ({"seed": -1}, "--seed must be 0 or more"),
        ({"val_split": -0.1}, "--val-split must be in [0, 1)"),
        ({"l2": -1.0}, "--l2 must be 0 or a positive finite number"),
        ({"batch_size": "lots"}, "--batch-size must be a positive whole number or 'full'"),
        ({"progress": "fancy"}, "--progress must be one of auto, rich, plain, none"),
        ({"loss": "  "}, "--loss is empty"),
    ],
)
def test_option_errors(options, fragment):
    with pytest.raises(ConfigError) as info:
        build_config(None, options)
    assert fragment in str(info.value)


def test_experiment_dict_round_trips_through_toml(tmp_path):
    config = RunConfig(loss="huber(delta=0.5)", dataset="outliers", lr=0.05, batch_size=None, epochs=9)
    text = tomli_w.dumps(config.experiment_dict())
    assert tomllib.loads(text)["batch_size"] == "full"
    again = build_config(write(tmp_path, text), {})
    assert again == config
