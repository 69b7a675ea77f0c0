"""What the export tests share: run exported scripts with lossfit unimportable, and read their losses."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import lossfit

# Runs the scripts given on the command line, each in a fresh namespace, with lossfit made unimportable;
# prints {script: [stdout, error]} as JSON. One process for all of them (torch is imported once).
DRIVER = textwrap.dedent('''\
    import contextlib, io, json, runpy, sys, traceback

    class NoLossfit:
        def find_spec(self, name, path=None, target=None):
            if name == "lossfit" or name.startswith("lossfit."):
                raise ImportError("lossfit must not be imported by an exported script")
            return None

    sys.meta_path.insert(0, NoLossfit())
    results = {}
    for script in sys.argv[1:]:
        out = io.StringIO()
        error = None
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                runpy.run_path(script, run_name="__main__")
        except BaseException:
            error = traceback.format_exc()
        results[script] = [out.getvalue(), error]
    assert not any(name.split(".")[0] == "lossfit" for name in sys.modules)
    print(json.dumps(results))
''')


def history_losses(run: Path) -> list[float]:
    """The train_loss column of a run's history.csv."""
    with open(run / "history.csv", newline="") as f:
        return [float(row["train_loss"]) for row in csv.DictReader(f)]


def printed_losses(stdout: str) -> list[float]:
    """The losses an exported script printed, one `epoch loss` line per epoch (epochs checked)."""
    values = []
    for epoch, line in enumerate(stdout.splitlines(), start=1):
        number, loss = line.split()
        assert int(number) == epoch
        values.append(float(loss))
    return values


def export_and_run(root: Path, runs: list[tuple[str, dict[str, Any]]], export: Callable[[Path, Path], list[Path]],
                   timeout: float) -> dict[str, tuple[Any, ...]]:
    """Train each run into `root`, export it with `export`, run every script in one isolated process.

    Returns run id -> (run folder, script, paths written, stdout, error or None).
    """
    out: dict[str, tuple[Path, Path, list[Path]]] = {}
    for run_id, options in runs:
        run = root / run_id
        lossfit.train(out=run, plot=False, **options)
        script = root / f"{re.sub(r'[^a-z0-9]+', '_', run_id).strip('_')}.py"
        out[run_id] = (run, script, export(run, script))
    driver = root / "driver.py"
    driver.write_text(DRIVER)
    result = subprocess.run([sys.executable, "-I", str(driver), *(str(s) for _, s, _ in out.values())],
                            cwd=root, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    return {run_id: (run, script, written, *printed[str(script)]) for run_id, (run, script, written) in out.items()}


def loss_inputs(loss: Any, weighted: bool) -> tuple[np.ndarray, Any, np.ndarray | None]:
    """Outputs, targets and (weighted) sample weights that reach a loss's edges: logits of +-1000, a tie,
    a row at the margin, a residual of 0, a margin at the kink."""
    rng = np.random.default_rng(7)
    n, k = 9, 3
    if loss.task == "multiclass":
        out = rng.normal(0.0, 3.0, (n, k))
        out[0] = [1000.0, -1000.0, 0.0]
        out[1] = [2.0, 1.0, 2.0]  # a tie, and a row exactly at the margin
        if loss.name == "kl_div":
            y: Any = rng.dirichlet(np.ones(k), n)
            y[2] = [0.0, 1.0, 0.0]
        else:
            y = rng.integers(0, k, n)
            y[1] = 1
    else:
        out = rng.normal(0.0, 2.0, n)
        y = rng.integers(0, 2, n).astype(float) if loss.task == "binary" else rng.normal(0.0, 2.0, n)
        if loss.name == "poisson":
            y = rng.poisson(2.0, n).astype(float)
        out[0], out[1] = y[0], 1.0 - 2.0 * y[1]  # r = 0 (regression), a margin at the kink (binary)
    return out, y, rng.uniform(0.5, 2.0, n) if weighted else None
