"""Shell completion: the static name tables, the value completers, and a Tab press that never imports numpy."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lossfit
from lossfit import completion
from lossfit.completion import (
    complete_config,
    complete_dataset,
    complete_loss,
    complete_losses,
    complete_metric,
    complete_model,
    complete_models,
    complete_optimizers,
    complete_out,
    complete_progress,
    complete_schedule,
    complete_task,
    split_last,
)

HEAVY = ("numpy", "matplotlib")


def _values(choices: list[tuple[str, str]]) -> list[str]:
    return [value for value, _ in choices]


def _registries() -> dict[str, object]:
    from lossfit import data, losses, models, optimizers, schedules

    return {"loss": losses.registry, "optimizer": optimizers.registry, "schedule": schedules.registry,
            "model": models.registry, "dataset": data.registry}


# --- the static tables cannot go stale ----------------------------------------------------------------

@pytest.mark.parametrize("kind", ["loss", "optimizer", "schedule", "model", "dataset"])
def test_table_equals_the_live_registry(kind):
    registry = _registries()[kind]
    live = tuple((entry.name, entry.summary) for entry in registry)  # type: ignore[attr-defined]
    paste = "\n".join(f"    ({name!r}, {summary!r})," for name, summary in live)
    assert completion.REGISTRIES[kind] == live, (
        f"lossfit/completion.py's table for `{kind}` differs from the registry; paste this:\n{paste}"
    )
    aliases = {alias: entry.name for entry in registry for alias in entry.aliases}  # type: ignore[attr-defined]
    assert completion.ALIASES[kind] == aliases


def test_extra_values_and_suffixes_match_the_library():
    from lossfit.config import DTYPES, PROGRESS_MODES, RunConfig
    from lossfit.data.files import FILE_SUFFIXES

    assert completion.DATA_SUFFIXES == FILE_SUFFIXES
    assert _values(list(completion.EXTRA["model"])) == [RunConfig.model]  # "auto", the default
    assert tuple(_values(list(completion.PROGRESS))) == PROGRESS_MODES
    assert tuple(_values(list(completion.DTYPES))) == DTYPES


def test_task_and_metric_tables_match_the_library():
    from lossfit._typing import TASKS
    from lossfit.comparison import METRIC_NAMES, TASK_METRICS

    assert tuple(_values(list(completion.TASKS))) == TASKS
    expected = tuple(
        (name, f"{label} ({', '.join(t for t in TASK_METRICS if name in TASK_METRICS[t])})")
        for name, label in METRIC_NAMES.items()
    )
    assert completion.METRICS == expected


# --- registry names ------------------------------------------------------------------------------------

def test_a_loss_completes_from_its_prefix():
    assert complete_loss("hu") == [("huber", "quadratic near 0, linear beyond delta: MSE that resists outliers")]
    assert complete_loss("nope") == []


def test_aliases_are_offered_once_a_letter_is_typed():
    assert "l2" not in _values(complete_loss(""))
    assert _values(complete_loss("")) == [name for name, _ in completion.LOSSES]
    assert ("l2", "alias of mse") in complete_loss("l")
    assert complete_loss("sv") == [("svm", "alias of hinge")]


def test_every_registry_kind_completes():
    assert _values(complete_model("")) == ["auto", "linear", "mlp"]
    assert _values(complete_schedule("co")) == ["constant", "cosine"]
    assert _values(complete_progress("")) == ["auto", "rich", "plain", "none"]
    assert _values(complete_task("m")) == ["multiclass"]
    assert _values(complete_metric("r")) == ["rmse", "r2", "recall", "roc_auc"]


def test_help_is_printable_by_any_shell(monkeypatch):
    assert complete_dataset("iri") == [("iris", "Fisher\u2019s iris: 150 flowers, 4 measurements (cm), 3 species")]
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    ((_, text),) = completion.complete_optimizer("adam_keras")
    text.encode("ascii")  # a C locale gets `?` for θ and √, not a traceback on Tab


# --- comma-separated lists (compare) -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("", ("", "")),
        ("hu", ("", "hu")),
        ("mse,hu", ("mse,", "hu")),
        ("mse, hu", ("mse, ", "hu")),
        ("mse,", ("mse,", "")),
        ("huber(delta=0.5),sm", ("huber(delta=0.5),", "sm")),
        ("mlp(hidden=(16, 16)),li", ("mlp(hidden=(16, 16)),", "li")),
        ("mlp(hidden=(16, 1", ("", "mlp(hidden=(16, 1")),  # half typed: no error
        ("'a,b',c", ("'a,b',", "c")),
    ],
)
def test_split_last_cuts_at_the_last_top_level_comma(text, split):
    assert split_last(text) == split


def test_a_list_completes_its_last_element():
    assert _values(complete_losses("mse,hu")) == ["mse,huber"]
    assert _values(complete_optimizers("adam,nes")) == ["adam,nesterov"]
    assert _values(complete_losses("huber(delta=0.5),sm")) == ["huber(delta=0.5),smooth_l1"]
    assert _values(complete_models("linear,")) == ["linear,auto", "linear,mlp"]


def test_a_list_does_not_offer_what_it_already_has():
    offered = _values(complete_losses("mse,mae,"))
    assert "mse,mae,mse" not in offered and "mse,mae,mae" not in offered and "mse,mae,huber" in offered
    assert "mse,l2" not in _values(complete_losses("mse,l"))  # nor an alias of it
    assert "l2,mse" not in _values(complete_losses("l2,"))


def test_no_guess_inside_a_spec_or_for_a_single_value_list():
    assert complete_losses("huber(de") == []
    assert complete_loss("mse,hu") == []  # `train --loss` takes one value


# --- files ---------------------------------------------------------------------------------------------

@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    for name in ("data/points.csv", "data/notes.md", "table.TSV", "arrays.npz", "my_loss.py", "run.toml",
                 ".hidden.csv"):
        (tmp_path / name).write_text("x\n")
    return tmp_path


def test_dataset_completes_names_and_data_files(files):
    offered = _values(complete_dataset(""))
    assert "moons" in offered and "iris" in offered
    assert {"data/", "table.TSV", "arrays.npz"} <= set(offered)
    assert "my_loss.py" not in offered and ".hidden.csv" not in offered
    assert _values(complete_dataset("data/")) == ["data/points.csv"]  # notes.md is no data file
    assert ".hidden.csv" in _values(complete_dataset(".h"))
    absolute = _values(complete_dataset(str(files / "data" / "po")))
    assert absolute == [str(files / "data" / "points.csv")]


def test_a_lone_folder_is_opened_so_the_shell_adds_no_space(files):
    assert _values(complete_dataset("da")) == ["data/", "data/points.csv"]
    assert _values(complete_out("da")) == ["data/"]


def test_a_custom_loss_file_completes_once_it_looks_like_a_path(files):
    assert _values(complete_loss("./")) == ["./data/", "./my_loss.py"]
    assert _values(complete_losses("mse,./my")) == ["mse,./my_loss.py"]
    assert complete_loss("./my_loss.py:") == []


def test_config_and_out_complete_paths(files):
    assert _values(complete_config("")) == ["data/", "run.toml"]
    assert complete_config("missing/") == []


# --- a Tab press is fast: no numpy, no matplotlib ------------------------------------------------------

def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(lossfit.__file__).resolve().parents[1])  # the lossfit under test, installed or not
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra)
    return env


def test_completing_imports_neither_numpy_nor_matplotlib():
    code = (
        "import json, sys\n"
        "from lossfit import completion as c\n"
        "out = [c.complete_loss('hu'), c.complete_losses('mse,hu'), c.complete_dataset('mo'),\n"
        "       c.complete_optimizers(''), c.complete_schedule(''), c.complete_models(''), c.complete_metric('')]\n"
        f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules], 'first': out[0][0][0]}}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"heavy": [], "first": "huber"}


# --- through the CLI: active once lossfit.cli enables completion -----------------------------------------

def _cli_has_completion() -> bool:
    from lossfit.cli import app

    return bool(getattr(app, "_add_completion", False))


wired = pytest.mark.skipif(not _cli_has_completion(), reason="lossfit.cli.app has add_completion=False")

# Runs the app as the `lossfit` script would, and reports on stderr which heavy modules a Tab press imported.
_TAB = (
    "import atexit, sys\n"
    f"atexit.register(lambda: print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr))\n"
    "from lossfit.cli import app\n"
    "app(prog_name='lossfit')\n"
)


def _tab(shell: str, line: str) -> tuple[list[str], str]:
    """Press Tab after `line` in `shell`: (the lines lossfit prints, its stderr)."""
    if shell == "bash":
        words = line.split(" ")
        extra = {"COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    else:
        extra = {"_TYPER_COMPLETE_ARGS": line, "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    env = _env(_LOSSFIT_COMPLETE=f"complete_{shell}", **extra)
    result = subprocess.run([sys.executable, "-c", _TAB], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines(), result.stderr


@wired
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("lossfit tr", ["train"]),
        ("lossfit train --loss hu", ["huber"]),
        ("lossfit train --optimizer nes", ["nesterov"]),
        ("lossfit train --schedule one", ["one_cycle"]),
        ("lossfit train --model ml", ["mlp"]),
        ("lossfit train --dataset moo", ["moons"]),
        ("lossfit compare --loss mse,hu", ["mse,huber"]),
        ("lossfit compare --optimizer sgd,ada", ["sgd,adagrad", "sgd,adam", "sgd,adamw", "sgd,adamax",
                                                 "sgd,adadelta", "sgd,adam_eps_inside", "sgd,adam_keras_eps"]),
        ("lossfit compare --schedule constant,cos", ["constant,cosine"]),
        ("lossfit compare --model linear,m", ["linear,mlp"]),
        ("lossfit compare --dataset spi", ["spirals"]),
    ],
)
def test_bash_tab_completes_names_without_numpy(line, expected):
    printed, stderr = _tab("bash", line)
    assert printed == expected
    assert "HEAVY []" in stderr


@wired
def test_zsh_and_fish_show_the_help():
    printed, stderr = _tab("fish", "lossfit train --loss hu")
    assert printed == ["huber\tquadratic near 0, linear beyond delta: MSE that resists outliers"]
    assert "HEAVY []" in stderr
    printed, _ = _tab("zsh", "lossfit compare --loss mse,hu")
    assert printed == ["_arguments '*: :((\"mse,huber\":\"quadratic near 0, linear beyond delta\\\\: MSE that "
                       "resists outliers\"))'"]


@wired
def test_show_completion_prints_a_script_for_each_shell():
    for shell, marker in (("bash", "complete -o default -F _lossfit_completion lossfit"),
                          ("zsh", "compdef _lossfit_completion lossfit"), ("fish", "complete --command lossfit")):
        env = _env(_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
        code = "from lossfit.cli import app; app(prog_name='lossfit')"
        result = subprocess.run([sys.executable, "-c", code, "--show-completion", shell], capture_output=True,
                                text=True, env=env, timeout=60)
        assert result.returncode == 0, result.stderr
        assert marker in result.stdout
