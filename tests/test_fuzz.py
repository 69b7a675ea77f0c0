"""Fuzzing `lossfit train`: random option values and spec strings, in process, a few epochs each.

Whatever the command line, `lossfit train` keeps its contract (`_fuzzing.problems`):

- the exit code is 0 (finished), 2 (a user mistake) or 3 (diverged): never 1, never another;
- no traceback is printed and no exception but SystemExit escapes;
- exit 2: exactly one non-empty line, starting with "Error:" (besides what a custom loss prints),
  and nothing written, unless the mistake showed mid-run (a custom loss that raises at epoch 3):
  then one run folder whose metrics.json says status "failed";
- exit 0 or 3: one new metrics.json, valid JSON, status completed/early_stopped (0, with a finite
  final train loss) or diverged (3).

The command lines come from `_fuzzing.train_case` and `_fuzzing.config_case`: names and parameters
from the registries themselves (losses, optimizers, schedules, models, dataset generators), bundled
and fixture data files, generated CSV, .npz, TOML and custom-loss files; each option sensible,
extreme (0, 5e-324, 1e300, a one-unit layer: values validation may accept) or odd (misspelt,
broken brackets, unicode, over-long or deeply nested text, nan, inf, -0, 1e308, 1e-320, huge
integers, superscript digits). Epochs stay at 1 to 3, generators at 200 samples or fewer, plots are
drawn in about one case in 25, and every case runs in its own empty working folder.

A failing case does not stop the run: every example runs, each distinct failure (`signature`:
exit code, exception and where it was raised, rules broken, shape of the error message) is kept
once, cut down to a short command line (`minimise`), and the test fails once listing them all,
each with a command line to paste and the generated files it reads.

`FOUND` keeps the command lines the fuzzer found breaking the contract as plain examples
(`test_found_by_fuzzing`, one test each), so each stays fixed whatever the random draw.

In the suite the examples are derandomized (the same inputs on every run, no example database);
the file takes about 30 s (300 + 80 random cases, 17 found ones). For a long local hunt (random
inputs, a new set each run):

    LOSSFIT_FUZZ_EXAMPLES=3000 pytest tests/test_fuzz.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from _fuzzing import Case, config_case, fuzz_examples, long_run, minimise, problems, report, run_case, side_file, \
    signature, train_case

MOST_REPORTED = 25  # distinct failures listed (each minimised: a few dozen short runs at most)


def explore(strategy, examples: int) -> dict:
    """Run `examples` cases from `strategy`; return {signature: (outcome, problems)}, first case of each."""
    failures: dict = {}

    @settings(max_examples=fuzz_examples(examples), deadline=None, derandomize=not long_run(), database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(case=strategy)
    def run(case):
        workdir = Path(tempfile.mkdtemp(prefix="lossfit-fuzz-"))
        try:
            outcome = run_case(case, workdir)
            broken = problems(outcome)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if broken:
            failures.setdefault(signature(outcome, broken), (outcome, broken))

    run()
    return failures


def describe(failures: dict) -> str:
    shown = list(failures.values())[:MOST_REPORTED]
    parts = [f"{len(failures)} distinct contract violations (showing {len(shown)}, each cut down):"]
    for n, (outcome, broken) in enumerate(shown, 1):
        parts.append(f"--- {n}\n" + report(*minimise(outcome, broken)))
    return "\n".join(parts)


def check(case: Case) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="lossfit-fuzz-"))
    try:
        outcome = run_case(case, workdir)
        broken = problems(outcome)
        if broken:
            pytest.fail(report(outcome, broken), pytrace=False)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def custom_loss(body: str, extra: str = "") -> str:
    """`path.py:lossf` for a loss whose body is `body` (with `extra` source before it)."""
    source = f"import numpy as np\n{extra}\ndef lossf(y_pred, y_true):\n    {body}\n"
    return side_file(".py", source) + ":lossf"


def config(text: str) -> str:
    return side_file(".toml", text)


def found(*args: str, out: str | None = "run") -> Case:
    """A case with fast options first (later options win: `--epochs 3` overrides them) and `--out out`."""
    fast = ["--epochs", "1", "--progress", "none", "--no-plot"]
    if "--out" in args:
        out = args[list(args).index("--out") + 1]
    elif out == "run":
        fast += ["--out", "run"]
    return Case(args=[*fast, *args], out=out)


WEIRD = "class Weird:\n    def __array__(self, dtype=None, copy=None):\n        raise RuntimeError('weird')\n"
LATE = "CALLS = 0\ndef lossf_grad(y_pred, y_true):\n    return 2 * (y_pred - y_true)\n"
FAILS_LATE = "global CALLS; CALLS += 1\n    if CALLS > 6: raise RuntimeError('late')\n    return (y_pred - y_true) ** 2"
NO_HEADER = str(Path(__file__).parent / "fixtures" / "csv" / "no_header.csv")

# Command lines the fuzzer found breaking the contract, kept as plain examples so they stay fixed.
FOUND = {
    "superscript-batch-size": found("--batch-size", "\u00b2"),
    "custom-loss-huge-int": found("--loss", custom_loss("return [10 ** 400] * len(y_pred)")),
    "custom-loss-bad-array": found("--loss", custom_loss("return Weird()", WEIRD)),
    "custom-loss-fails-mid-run": found("--loss", custom_loss(FAILS_LATE, LATE), "--epochs", "3"),
    "zero-class-weight-batch": found("--dataset", "moons(n_samples=40)", "--class-weight", "0,1",
                                     "--batch-size", "1"),
    "cross-entropy-class-weight-short": found("--loss", "cross_entropy(class_weight=(1.0, 2.0))"),
    "one-cycle-total-steps-none": found("--schedule", "one_cycle(max_lr=0.1, total_steps=None)"),
    "one-cycle-without-momentum": found("--optimizer", "adagrad",
                                        "--schedule", "one_cycle(max_lr=1.0, total_steps=10)"),
    "out-name-too-long-in-new-folder": found("--out", "d/" + "x" * 256),
    "metric-on-inf-predictions": found("--loss", "mae", "--lr", "1.7976931348623157e308"),
    "roc-auc-on-inf-scores": found("--loss", "bce", "--schedule", "exponential(gamma=1e300)", "--epochs", "3"),
    "infinite-loss-finished": found("--loss", "mae", "--lr", "1e308"),
    "note-before-error-custom-loss": found("--loss", custom_loss("return (y_pred - y_true) ** 2"),
                                           "--dataset", "moons"),
    "note-before-error-integer-target": found("--dataset", NO_HEADER, "--optimizer", "rmsprop(alpha=1.0)"),
    "newline-in-echoed-name": found("--loss", "a\nb"),
    "nul-in-dataset-path-config": found("--config", config('dataset = "a\\u0000b.csv"\n')),
    "nul-in-out-config": found("--config", config('out = "a\\u0000b"\n'), out="a\x00b"),
}


@pytest.mark.parametrize("case", list(FOUND.values()), ids=list(FOUND))
def test_found_by_fuzzing(case):
    check(case)


def test_train_keeps_its_contract_whatever_the_options():
    failures = explore(train_case(), 300)
    if failures:
        pytest.fail(describe(failures), pytrace=False)


def test_train_keeps_its_contract_whatever_the_config_file():
    failures = explore(config_case(), 80)
    if failures:
        pytest.fail(describe(failures), pytrace=False)
