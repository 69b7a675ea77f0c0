"""`lossfit compare` as a hostile but realistic user meets it.

The rule for bad input: ONE line on stderr naming the problem and the fix, exit
code 2, no traceback and nothing written (no compare folder, no runs/ folder).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lossfit.cli import app

FIXTURES = Path(__file__).parent / "fixtures"


def fast(*args: str) -> list[str]:
    """args plus the fast options they do not set themselves (so `--epochs 10,20` stays the only --epochs)."""
    extra: list[str] = []
    for option, value in (("--epochs", "5"), ("--progress", "none")):
        if option not in args:
            extra += [option, value]
    if "--plot" not in args and "--no-plot" not in args:
        extra.append("--no-plot")
    return [*args, *extra]


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def assert_refused(result, fragment: str, folder: Path, before: list[str] | None = None) -> None:
    """Exit 2, one non-empty line holding `fragment`, no traceback, nothing written."""
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output, output
    assert result.exit_code == 2, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    line = lines[0].replace(str(folder.resolve()), "<cwd>").replace(str(folder), "<cwd>")  # a fragment must not
    assert fragment.lower() in line.lower(), output  # match the test's own temp path
    assert tree(folder) == (before or []), tree(folder)


@pytest.fixture
def config_file(tmp_path_factory):
    """Write a TOML file outside the working folder (which must stay empty); returns its path as text."""

    def write(text: str, name: str = "cfg.toml") -> str:
        path = tmp_path_factory.mktemp("config") / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def _case(args, fragment, id):
    return pytest.param(tuple(args), fragment, id=id)


# ------------------------------------------------------------------------ parsing the lists
PARSING = [
    _case(["--loss", "mse,,mae"], "empty element", "empty-middle"),
    _case(["--loss", ",mse"], "empty element", "empty-first"),
    _case(["--loss", "mse,"], "empty element", "empty-last"),
    _case(["--loss", "mse, ,mae"], "empty element", "blank-element"),
    _case(["--loss", ""], "empty", "empty-loss"),
    _case(["--loss", "   "], "empty", "blank-loss"),
    _case(["--loss", '""'], "empty", "quoted-empty-loss"),
    _case(["--loss", "mse,mae", "--loss", ""], "empty", "repeated-empty"),
    _case(["--loss", "huber(delta=0.5"], "closing parenthesis is missing", "open-paren"),
    _case(["--loss", "mse,huber(delta=0.5))"], "closes nothing", "extra-close-paren"),
    _case(["--loss", ")mse,mae"], "closes nothing", "leading-close-paren"),
    _case(["--model", "mlp(hidden=(16,16),linear"], "closing parenthesis is missing", "nested-open-paren"),
    _case(["--loss", '"mse,mae'], 'closing " is missing', "open-double-quote"),
    _case(["--loss", "mse,'mae"], "closing ' is missing", "open-single-quote"),
    _case(["--loss", "mse,huber(delta=0.5]"], "huber(delta=0.5]", "mismatched-bracket"),
]


@pytest.mark.parametrize(("args", "fragment"), PARSING)
def test_parsing_mistakes(run_cli, tmp_path, args, fragment):
    assert_refused(run_cli("compare", *fast(*args)), fragment, tmp_path)




@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("--lr", "0.1,,0.5"), id="lr"),
        pytest.param(("--batch-size", "8,,16"), id="batch-size"),
        pytest.param(("--optimizer", "sgd,,adam"), id="optimizer"),
        pytest.param(("--class-weight", "balanced,,none", "--dataset", "moons"), id="class-weight"),
    ],
)
def test_empty_element_example_fits_the_option(run_cli, tmp_path, args):
    result = run_cli("compare", *fast(*args))
    assert_refused(result, "empty element", tmp_path)
    assert "mse,mae" not in result.output, result.output




@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("--loss", "mse,mae", "--dataset", ""), id="dataset"),
        pytest.param(("--loss", "mse,mae", "--epochs", "", "--no-plot", "--progress", "none"), id="epochs"),
        pytest.param(("--loss", "mse,mae", "--epochs", "5,", "--no-plot", "--progress", "none"), id="epochs-comma"),
    ],
)
def test_empty_single_option_is_called_empty(run_cli, tmp_path, args):
    result = run_cli("compare", *fast(*args))
    assert_refused(result, "empty", tmp_path)
    assert "mse,mae" not in result.output and "separate values" not in result.output, result.output


# ----------------------------------------------------------------------- the same run twice
DUPLICATES = [
    _case(["--loss", "mse,mse"], "same run", "loss-twice"),
    _case(["--loss", "mse", "--loss", "mse"], "same run", "loss-repeated-option"),
    _case(["--loss", "mse,l2"], "same run", "alias"),
    _case(["--loss", "mse,MSE"], "same run", "case"),
    _case(["--loss", "huber,huber(delta=1.0)"], "same run", "default-parameter"),
    _case(["--lr", "0.1,0.10"], "same run", "lr-0.1-0.10"),
    _case(["--lr", "0.1,1e-1"], "same run", "lr-exponent"),
    _case(["--lr", "0.1", "--lr", "0.1,0.2"], "same run", "lr-repeated-option"),
    _case(["--batch-size", "32,032"], "same run", "batch-leading-zero"),
    _case(["--batch-size", "full,FULL"], "same run", "batch-full-twice"),
    _case(["--optimizer", "gd,sgd"], "same run", "gd-is-full-batch-sgd"),
    _case(["--optimizer", "sgd,sgd(momentum=0)"], "same run", "optimizer-default-parameter"),
    _case(["--optimizer", "momentum,sgd(momentum=0.9)"], "same run", "momentum-alias"),
    _case(["--model", "linear,auto"], "same run", "model-auto"),
    _case(["--schedule", "constant,constant()"], "same run", "schedule-empty-parens"),
    _case(["--class-weight", "none,NONE", "--dataset", "moons"], "same run", "class-weight-none-twice"),
    _case(["--batch-size", "full,1000"], "same run", "batch-larger-than-the-data"),
]


@pytest.mark.parametrize(("args", "fragment"), DUPLICATES)
def test_same_variant_twice(run_cli, tmp_path, args, fragment):
    assert_refused(run_cli("compare", *fast(*args)), fragment, tmp_path)


# --------------------------------------------------------------- options that cannot vary
CANNOT_VARY = [
    _case(["--loss", "mse,mae", "--dataset", "moons,circles"], "--dataset cannot vary", "dataset"),
    _case(["--loss", "mse,mae", "--dataset", "linear", "--dataset", "outliers"], "--dataset cannot vary",
          "dataset-repeated"),
    _case(["--loss", "mse,mae", "--epochs", "10,20", "--no-plot", "--progress", "none"], "--epochs cannot vary",
          "epochs"),
    _case(["--loss", "mse,mae", "--seed", "0", "--seed", "1"], "--seed cannot vary", "seed-repeated"),
    _case(["--loss", "mse,mae", "--val-split", "0.1,0.2"], "--val-split cannot vary", "val-split"),
    _case(["--loss", "mse,mae", "--l2", "0.1,0.2"], "--l2 cannot vary", "l2"),
    _case(["--loss", "mse,mae", "--task", "regression,binary"], "--task cannot vary", "task"),
    _case(["--loss", "mse,mae", "--out", "a", "--out", "b"], "--out cannot vary", "out-repeated"),
    _case(["--loss", "mse,mae", "--epochs", "5", "--no-plot", "--progress", "none", "--progress", "plain"],
          "--progress cannot vary", "progress-repeated"),
    _case(["--loss", "mse,mae", "--metric", "f1", "--metric", "mae"], "--metric", "metric-repeated"),
]


@pytest.mark.parametrize(("args", "fragment"), CANNOT_VARY)
def test_list_for_an_option_that_cannot_vary(run_cli, tmp_path, args, fragment):
    result = run_cli("compare", *fast(*args))
    assert_refused(result, fragment, tmp_path)


def test_config_given_twice(run_cli, tmp_path, config_file):
    first = config_file('loss = ["mse", "mae"]\n')
    second = config_file("epochs = 5\n")
    assert_refused(run_cli("compare", *fast("--config", first, "--config", second)), "--config", tmp_path)


# -------------------------------------------------------------------------- tasks and data
TASKS = [
    _case(["--loss", "mse,bce"], "different tasks", "regression-and-binary"),
    _case(["--loss", "mae,cross_entropy"], "different tasks", "regression-and-multiclass"),
    _case(["--loss", "mse,mae", "--dataset", "moons"], "is for regression", "regression-losses-on-moons"),
    _case(["--loss", "mse,mae", "--dataset", "iris"], "is for regression", "regression-losses-on-iris"),
    _case(["--loss", "bce,hinge", "--dataset", "blobs"], "is for binary", "binary-losses-on-blobs"),
    _case(["--loss", "cross_entropy,kl_div", "--dataset", "blobs"], "kl_div", "kl-div-on-class-indices"),
    _case(["--loss", "poisson,mse", "--dataset", "linear"], "counts", "poisson-on-signed-targets"),
    _case(["--loss", "mse,mae", "--dataset", "missing.csv"], "not found", "missing-data-file"),
    _case(["--loss", "mse,mae", "--dataset", "lineer"], "Did you mean `linear`", "dataset-typo"),
    _case(["--loss", "mse,mae", "--task", "binary"], "applies only to files", "task-on-a-generator"),
    _case(["--loss", "mse,mae", "--target", "y"], "does not take target", "target-on-a-generator"),
]


@pytest.mark.parametrize(("args", "fragment"), TASKS)
def test_losses_and_data_that_do_not_fit(run_cli, tmp_path, args, fragment):
    assert_refused(run_cli("compare", *fast(*args)), fragment, tmp_path)


# ---------------------------------------------------------------------- how many variants
COUNTS = [
    _case(["--loss", "mse,mae,huber,log_cosh,smooth_l1", "--lr", "0.01,0.1,0.2,0.3,0.5"], "25 variants",
          "25-variants"),
    _case(["--lr", "0.01,0.02,0.03,0.04,0.05", "--optimizer", "sgd,adam,rmsprop", "--batch-size", "8,16"],
          "30 variants", "30-variants"),
    _case(["--lr", ",".join(str(i / 1000) for i in range(1, 101))], "100 variants", "100-lrs"),
    _case(["--loss", "mse"], "at least two variants", "one-loss"),
    _case([], "at least two variants", "nothing"),
    _case(["--loss", "mse", "--lr", "0.1", "--optimizer", "sgd"], "at least two variants", "one-of-each"),
]


@pytest.mark.parametrize(("args", "fragment"), COUNTS)
def test_too_many_or_too_few_variants(run_cli, tmp_path, args, fragment):
    assert_refused(run_cli("compare", *fast(*args)), fragment, tmp_path)


# ------------------------------------------------------------------------------- --metric
METRICS = [
    _case(["--loss", "mse,mae", "--metric", "accuracy"], "regression comparison is ranked by", "accuracy-regression"),
    _case(["--loss", "mse,mae", "--metric", "nonsense"], "regression comparison is ranked by", "nonsense"),
    _case(["--loss", "mse,mae", "--metric", "rmse,mae"], "takes one metric", "metric-list"),
    _case(["--loss", "mse,mae", "--metric", "AUC"], "ranked by one of", "auc-on-regression"),
    _case(["--loss", "bce,hinge", "--metric", "rmse"], "binary comparison is ranked by", "rmse-binary"),
    _case(["--loss", "bce,hinge", "--metric", "truth_rmse"], "binary comparison", "truth-on-moons"),
    _case(["--loss", "cross_entropy,multi_margin", "--dataset", "iris", "--metric", "roc_auc"],
          "multiclass comparison", "roc-auc-multiclass"),
    _case(["--loss", "mse,mae", "--dataset", "auto_mpg", "--metric", "truth_rmse"], "`auto_mpg` has none",
          "truth-on-auto-mpg"),
    _case(["--loss", "mse,mae", "--dataset", "anscombe", "--metric", "truth"], "`anscombe` has none",
          "truth-alias-on-anscombe"),
    _case(["--loss", "mse,mae", "--metric", ""], "--metric", "empty-metric"),
    _case(["--loss", "hinge,perceptron", "--dataset", "moons", "--metric", "log_loss"], "log_loss",
           "log-loss-no-probs"),
]


@pytest.mark.parametrize(("args", "fragment"), METRICS)
def test_metric_mistakes(run_cli, tmp_path, args, fragment):
    assert_refused(run_cli("compare", *fast(*args)), fragment, tmp_path)


def test_truth_metric_on_a_data_file(run_cli, tmp_path, tmp_path_factory):
    data = tmp_path_factory.mktemp("data") / "prices.csv"
    data.write_text("a,b,y\n" + "".join(f"{i},{i % 7},{2 * i + 1}\n" for i in range(40)), encoding="utf-8")
    result = run_cli("compare", *fast("--loss", "mse,mae", "--dataset", str(data), "--metric", "truth_rmse"))
    assert_refused(result, "`prices` has none", tmp_path)


# ------------------------------------------------------------------------ numbers in lists
NUMBERS = [
    _case(["--lr", "abc,0.1"], "--lr takes numbers, got `abc`", "lr-abc"),
    _case(["--lr", "0.1,1/10"], "got `1/10`", "lr-fraction"),
    _case(["--lr", "0.1,(0.2)"], "got `(0.2)`", "lr-parenthesised"),
    _case(["--lr", "-0.1,0.1"], "positive finite", "lr-negative"),
    _case(["--lr", "0,0.1"], "positive finite", "lr-zero"),
    _case(["--lr", "nan,0.1"], "positive finite", "lr-nan"),
    _case(["--lr", "inf,0.1"], "positive finite", "lr-inf"),
    _case(["--lr", "0.1,-inf"], "positive finite", "lr-minus-inf"),
    _case(["--lr", "1e400,0.1"], "positive finite", "lr-overflow"),
    _case(["--batch-size", "0,32"], "positive whole number or 'full'", "batch-zero"),
    _case(["--batch-size", "full,abc"], "got 'abc'", "batch-abc"),
    _case(["--batch-size", "-1,32"], "positive whole number", "batch-negative"),
    _case(["--batch-size", "8.5,16"], "positive whole number", "batch-fraction"),
    _case(["--loss", "mse,mae", "--epochs", "abc", "--no-plot", "--progress", "none"], "whole number", "epochs-abc"),
    _case(["--loss", "mse,mae", "--epochs", "0", "--no-plot", "--progress", "none"], "at least 1", "epochs-zero"),
    _case(["--loss", "mse,mae", "--seed", "-1"], "0 or more", "seed-negative"),
    _case(["--loss", "mse,mae", "--val-split", "1"], "[0, 1)", "val-split-one"),
    _case(["--loss", "mse,mae", "--l2", "nan"], "--l2", "l2-nan"),
    _case(["--loss", "mse,mae", "--epochs", "5", "--no-plot", "--progress", "fancy"], "--progress must be one of",
          "progress-unknown"),
]


@pytest.mark.parametrize(("args", "fragment"), NUMBERS)
def test_bad_numbers(run_cli, tmp_path, args, fragment):
    assert_refused(run_cli("compare", *fast(*args)), fragment, tmp_path)


# --------------------------------------------------------------------------- class weights
CLASS_WEIGHTS = [
    _case(["--class-weight", "balanced,1,5", "--dataset", "moons"], "mixes names and numbers", "mixed"),
    _case(["--class-weight", "none,(1,2,3)", "--dataset", "moons"], "one weight per class", "three-on-binary"),
    _case(["--class-weight", "(1,2,3),balanced", "--dataset", "moons"], "one weight per class", "three-first"),
    _case(["--class-weight", "balanced,ballanced", "--dataset", "moons"], "ballanced", "typo"),
    _case(["--class-weight", "(1,-5),none", "--dataset", "moons"], "weights >= 0", "negative"),
    _case(["--class-weight", "(),none", "--dataset", "moons"], "--class-weight", "empty-parens"),
    _case(["--class-weight", "(1,,5),none", "--dataset", "moons"], "--class-weight", "empty-weight"),
    _case(["--class-weight", "balanced,none", "--loss", "mse,mae"], "applies to classification", "on-regression"),
]


@pytest.mark.parametrize(("args", "fragment"), CLASS_WEIGHTS)
def test_class_weight_mistakes(run_cli, tmp_path, args, fragment):
    assert_refused(run_cli("compare", *fast(*args)), fragment, tmp_path)


# --------------------------------------------------------------------------- unknown names
NAMES = [
    _case(["--loss", "mse,hubber"], "Did you mean `huber`", "loss-typo"),
    _case(["--optimizer", "sgd,adma"], "Unknown optimizer `adma`", "optimizer-typo"),
    _case(["--optimizer", "sgd,adma"], "Did you mean `adam`", "optimizer-typo-suggests-adam"),
    _case(["--model", "linear,mpl"], "Did you mean `mlp`", "model-typo"),
    _case(["--schedule", "constant,cosin"], "Did you mean `cosine`", "schedule-typo"),
    _case(["--loss", "mse,huber(dleta=1)"], "Did you mean `delta`", "parameter-typo"),
    _case(["--loss", "mse,huber(delta=-1)"], "delta", "parameter-range"),
    _case(["--loss", "mse,huber(delta=abc)"], "not a literal", "parameter-not-a-literal"),
    _case(["--optimizer", "sgd,sgd(momentum=2)"], "momentum", "optimizer-parameter-range"),
    _case(["--loss", "mse,nonexist.py:f"], "not found", "custom-loss-missing-file"),
    _case(["--optimizer", "gd,sgd", "--batch-size", "16,full"], "`gd` is gradient descent over the full batch",
          "gd-with-a-batch-in-the-product"),
    _case(["--optimizer", "gd,adam", "--batch-size", "16"], "`gd` is gradient descent over the full batch",
          "gd-with-a-shared-batch"),
]


@pytest.mark.parametrize(("args", "fragment"), NAMES)
def test_unknown_names_and_bad_specs(run_cli, tmp_path, args, fragment):
    assert_refused(run_cli("compare", *fast(*args)), fragment, tmp_path)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("asym.py:raises", "ZeroDivisionError"), ("asym.py:scalar", "one loss per element"),
     ("broken.py:f", "refuses to load")],
)
def test_broken_custom_loss_in_a_list(run_cli, tmp_path, name, fragment):
    spec = f"mse,{FIXTURES / 'custom_losses' / name}"
    assert_refused(run_cli("compare", *fast("--loss", spec)), fragment, tmp_path)


# -------------------------------------------------------------------------------- --config
CONFIGS = [
    _case(['loss = []'], "empty list", "empty-list"),
    _case(['loss = [1, 2]'], "must be a string", "numbers-as-losses"),
    _case(['loss = [["mse"], "mae"]'], "must be a string", "nested-list"),
    _case(['lr = ["a"]'], "must be a number", "lr-text"),
    _case(['lr = ["a", 0.1]'], "must be a number", "lr-text-in-list"),
    _case(['lr = [0.1, true]'], "must be a number", "lr-bool"),
    _case(['batch_size = [true, 8]'], "positive whole number", "batch-bool"),
    _case(['loss = ["mse", "mae"]', 'foo = 1'], "Unknown key `foo`", "unknown-key"),
    _case(['loss = ["mse", "mae"]', 'los = 1'], "Did you mean `loss`", "key-typo"),
    _case(['loss = ["mse", "mae"]', '[train]', 'epochs = 3'], "Unknown key `train`", "table"),
    _case(['loss = ["mse", "mae"]', 'metric = 3'], "must be a string", "metric-number"),
    _case(['loss = ["mse", "mae"]', 'metric = "accuracy"'], "regression comparison", "metric-wrong-task"),
    _case(['loss = ["mse", "mae"]', 'epochs = [5, 10]'], "epochs", "epochs-list"),
    _case(['loss = ["mse", "mae"]', 'dataset = ["moons", "linear"]'], "dataset", "dataset-list"),
    _case(['loss = ["mse", "mae"]', 'epochs = 0'], "at least 1", "epochs-zero"),
    _case(['loss = ["mse" "mae"]'], "invalid TOML", "invalid-toml"),
    _case(['loss = ["mse", "mse"]'], "same run", "duplicate"),
    _case(['loss = ["mse"]'], "at least two variants", "one-element"),
    _case(['loss = ["mse", "bce"]'], "different tasks", "different-tasks"),
    _case(['class_weight = [[1, 2, 3], "none"]', 'dataset = "moons"'], "one weight per class", "class-weights"),
    _case(['loss = "mse,mae"'], "list", "comma-string"),
    _case(['lr = [0.1, -1]'], "cfg.toml", "range-error-names-the-file"),
    _case(['batch_size = ["full", 0]'], "cfg.toml", "batch-range-names-the-file"),
    _case(['loss = ["mse", ""]'], "cfg.toml", "empty-name-names-the-file"),
    _case(['loss = ["mse", "mae"]', 'metric = "accuracy"'], "cfg.toml", "metric-names-the-file"),
    _case(['loss = ["mse", "mae"]', 'metric = ""'], "empty", "empty-metric-in-file"),
]


@pytest.mark.parametrize(("lines", "fragment"), CONFIGS)
def test_config_file_mistakes(run_cli, tmp_path, config_file, lines, fragment):
    path = config_file("\n".join(lines) + "\n")
    args = ["--config", path, "--no-plot", "--progress", "none"]
    if not any(line.startswith("epochs") for line in lines):
        args += ["--epochs", "5"]  # an --epochs option would win over the file's
    assert_refused(run_cli("compare", *args), fragment, tmp_path)


def test_config_file_missing(run_cli, tmp_path):
    assert_refused(run_cli("compare", *fast("--loss", "mse,mae", "--config", "missing.toml")), "not found", tmp_path)


def test_config_file_is_a_folder(run_cli, tmp_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("configdir")
    assert_refused(run_cli("compare", *fast("--loss", "mse,mae", "--config", str(folder))), "is a folder", tmp_path)


# ----------------------------------------------------------------------------------- --out
def test_out_exists_and_is_not_empty(run_cli, tmp_path):
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "keep.txt").write_text("mine")
    before = tree(tmp_path)
    result = run_cli("compare", *fast("--loss", "mse,mae", "--out", "o"))
    assert_refused(result, "already exists and is not empty", tmp_path, before)


def test_out_is_a_file(run_cli, tmp_path):
    (tmp_path / "o").write_text("mine")
    result = run_cli("compare", *fast("--loss", "mse,mae", "--out", "o"))
    assert_refused(result, "is an existing file", tmp_path, ["o"])


def test_out_inside_a_file(run_cli, tmp_path):
    (tmp_path / "f").write_text("mine")
    result = run_cli("compare", *fast("--loss", "mse,mae", "--out", "f/sub"))
    assert_refused(result, "file", tmp_path, ["f"])
    assert "not writable" not in result.output


def test_default_runs_is_a_file(run_cli, tmp_path):
    (tmp_path / "runs").write_text("mine")
    result = run_cli("compare", *fast("--loss", "mse,mae"))
    assert_refused(result, "file", tmp_path, ["runs"])
    assert "not writable" not in result.output


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write a read-only folder")
def test_out_in_a_read_only_folder(run_cli, tmp_path):
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o555)
    try:
        result = run_cli("compare", *fast("--loss", "mse,mae", "--out", "ro/sub"))
        assert_refused(result, "not writable", tmp_path, ["ro"])
    finally:
        (tmp_path / "ro").chmod(0o755)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux")
def test_out_where_nobody_can_write(run_cli, tmp_path):
    result = run_cli("compare", *fast("--loss", "mse,mae", "--out", "/proc/self/lossfit-compare"))
    assert_refused(result, "/proc/self", tmp_path)


def test_out_empty(run_cli, tmp_path):
    assert_refused(run_cli("compare", *fast("--loss", "mse,mae", "--out", "")), "--out", tmp_path)


# ---------------------------------------------------------- a variant that fails mid-race
def test_variant_failing_mid_race_leaves_no_half_made_folder(run_cli, tmp_path, tmp_path_factory):
    source = tmp_path_factory.mktemp("loss") / "late.py"
    source.write_text(
        "calls = {'n': 0}\n"
        "def late(y_pred, y_true):\n"
        "    calls['n'] += 1\n"
        "    if calls['n'] > 40:\n"
        "        raise ValueError('late failure')\n"
        "    return (y_pred - y_true) ** 2\n"
        "def late_grad(y_pred, y_true):\n"
        "    return 2 * (y_pred - y_true)\n",
        encoding="utf-8",
    )
    result = run_cli("compare", "--loss", f"mse,{source}:late", "--epochs", "50", "--no-plot", "--progress", "none",
                     "--out", "cmp")
    assert "Traceback" not in result.output and result.exit_code != 1, result.output
    assert not (tmp_path / "cmp").exists() or (tmp_path / "cmp" / "summary.json").exists(), tree(tmp_path)
    if (tmp_path / "cmp" / "summary.json").exists():
        statuses = [v["status"] for v in json.loads((tmp_path / "cmp" / "summary.json").read_text())["variants"]]
        assert "interrupted" not in statuses, statuses


# ======================================================================= what should work
def test_class_weight_variants_on_a_binary_dataset(run_cli, tmp_path):
    result = run_cli("compare", *fast("--class-weight", "none,balanced,(1,5)", "--dataset", "moons", "--json"))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [v["label"] for v in summary["variants"]] == [
        "class_weight=none", "class_weight=balanced", "class_weight=1,5"]
    assert summary["compared"] == ["class_weight"]


def test_mlp_and_linear_on_classification_note_the_initial_weights(run_cli, tmp_path):
    result = run_cli("compare", *fast("--model", "mlp,linear", "--dataset", "moons", "--json"))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {v["status"] for v in summary["variants"]} == {"completed"}
    assert summary["notes"] and "shape" in summary["notes"][0], summary["notes"]
    assert "Note:" in result.stderr and "weights" in result.stderr  # said once, on stderr, not in the JSON stream


def test_one_variant_diverges_the_others_finish(run_cli, tmp_path):
    result = run_cli("compare", "--lr", "0.1,5", "--epochs", "20", "--no-plot", "--progress", "none", "--out", "cmp")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "cmp" / "summary.json").read_text())
    statuses = {v["label"]: v["status"] for v in summary["variants"]}
    assert statuses == {"lr=0.1": "completed", "lr=5": "diverged"}
    assert summary["status"] == "completed"
    assert "lr=5: Training diverged" in result.stderr
    assert "Best by MAE: lr=0.1" in result.stdout


def test_all_variants_diverge_exit_3(run_cli, tmp_path):
    result = run_cli("compare", "--lr", "5,10", "--epochs", "20", "--no-plot", "--progress", "none", "--out", "cmp")
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    summary = json.loads((tmp_path / "cmp" / "summary.json").read_text())
    assert summary["status"] == "diverged"
    assert {v["status"] for v in summary["variants"]} == {"diverged"}


@pytest.mark.parametrize("progress", ["none", "plain", "auto"])
def test_json_output_is_only_json_on_stdout(run_cli, tmp_path, progress):
    result = run_cli("compare", "--loss", "mse,mae,huber(delta=0.5)", "--epochs", "5", "--no-plot",
                     "--progress", progress, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)  # nothing but JSON on stdout
    assert [v["label"] for v in summary["variants"]] == ["mse", "mae", "huber(delta=0.5)"]
    assert summary["metric"] == "mae" and summary["task"] == "regression"
    assert Path(summary["compare_dir"]).is_dir()


def test_piped_output_has_no_escape_codes_even_with_colors_allowed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = {"NO_COLOR": None, "FORCE_COLOR": None, "TERM": "xterm-256color", "COLUMNS": "120"}
    good = runner.invoke(app, ["compare", "--lr", "0.1,5", "--epochs", "20", "--no-plot"], env=env)
    bad = runner.invoke(app, ["compare", "--loss", "mse,hubber"], env=env)
    assert good.exit_code == 0 and bad.exit_code == 2, good.output + bad.output
    for result in (good, bad):
        assert "\x1b" not in result.output, repr(result.output)


def test_no_color(run_cli, tmp_path):
    result = run_cli("compare", "--loss", "bce,hinge", "--epochs", "5", "--no-plot", "--progress", "rich")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output, repr(result.output)
