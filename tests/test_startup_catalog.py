"""`lossfit losses` and `lossfit explain mse` start light: static tables (lossfit.catalog), no matplotlib.

No timing here: these tests hold the properties that keep the commands fast
(which modules a run imports, and that the static tables equal the registries).
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys


from lossfit import catalog

# Runs the app as the `lossfit` script would, then prints which of these modules the run imported.
WATCHED = ("numpy", "matplotlib", "lossfit.losses", "lossfit.data", "lossfit.optimizers", "lossfit.schedules",
           "pydantic")
_RUN = (
    "import atexit, json, sys\n"
    f"atexit.register(lambda: print(json.dumps([m for m in {WATCHED!r} if m in sys.modules]), file=sys.stderr))\n"
    "from lossfit.cli import app\n"
    "app(prog_name='lossfit')\n"
)


def imported_by(*args: str) -> list[str]:
    """The WATCHED modules that `lossfit ARGS...` imports."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    result = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stderr.strip().splitlines()[-1]))


def test_the_catalog_equals_the_live_registries():
    stored, live = catalog.stored_block(), catalog.generated_block()
    diff = "".join(difflib.unified_diff(stored.splitlines(True), live.splitlines(True), "stored", "live"))
    assert stored == live, (
        f"lossfit/catalog.py is stale (a loss, optimizer, schedule or dataset was added or changed). Regenerate it with\n\n"
        f"    {catalog.REGENERATE}\n\nand commit the result. The difference:\n{diff}"
    )


def test_the_catalog_rows_follow_the_registry_order_and_tasks():
    from lossfit import losses, optimizers, schedules

    assert [row.name for row in catalog.LOSSES] == losses.names()
    assert [row.name for row in catalog.OPTIMIZERS] == optimizers.registry.names()
    assert [row.name for row in catalog.SCHEDULES] == schedules.registry.names()
    from lossfit import data

    assert [row.name for row in catalog.GENERATORS] == data.names()
    assert [row.name for row in catalog.BUNDLED] == data.bundled_names()
    for task in ("regression", "binary", "multiclass"):
        assert [row.name for row in catalog.for_task(task)] == losses.for_task(task)


def test_stored_block_finds_the_block_in_a_source(tmp_path):
    text = tmp_path / "x.py"
    block = catalog.stored_block()
    text.write_text(f"before\n{block}after\n", encoding="utf-8")
    assert catalog.stored_block(text.read_text(encoding="utf-8")) == block


def test_the_catalog_imports_only_the_standard_library():
    code = "import sys, lossfit.catalog; print([m for m in sys.modules if m.startswith(('numpy', 'lossfit.'))])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['lossfit.catalog']"


def test_losses_builds_no_registry_and_imports_no_matplotlib():
    modules = imported_by("losses")
    assert "matplotlib" not in modules
    assert "lossfit.losses" not in modules and "lossfit.optimizers" not in modules


def test_explain_mse_imports_no_matplotlib_and_no_datasets():
    modules = imported_by("explain", "mse")
    assert "matplotlib" not in modules
    assert "lossfit.data" not in modules  # the "Try:" line's dataset comes from catalog.DEFAULT_DATASETS


def test_losses_imports_no_numpy():
    assert "numpy" not in imported_by("losses")


def test_optimizers_builds_no_registry_and_imports_no_matplotlib():
    modules = imported_by("optimizers")
    assert "matplotlib" not in modules
    assert not {"lossfit.optimizers", "lossfit.schedules", "lossfit.losses"} & set(modules)


def test_datasets_loads_no_dataset_module_and_imports_no_matplotlib():
    modules = imported_by("datasets")
    assert "matplotlib" not in modules and "lossfit.data" not in modules


def test_a_training_run_imports_no_pydantic(tmp_path):
    """typer 0.29 validates every option with pydantic (+110 ms a command): pyproject keeps typer below it."""
    modules = imported_by("train", "--epochs", "2", "--no-plot", "--progress", "none", "--out", str(tmp_path / "r"))
    assert "pydantic" not in modules and "matplotlib" not in modules
