"""What the export tests share: run exported scripts with lossfit unimportable, and read their losses."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

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
