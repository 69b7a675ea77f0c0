"""Execute docs/tour.ipynb and save it with its outputs (the figures embedded), as it is committed.

    pip install nbclient nbformat ipykernel pandas   # not lossfit dependencies: only for this script
    python docs/run_tour.py                          # from the repository root, with lossfit installed

The notebook runs in a scratch folder (it writes nothing, but a stray file would land
there, not in docs/), on the `python3` kernel of the Python that runs this script. Its
lessons are `assert`s, so a claim that no longer holds stops the script with the failing
cell. tests/test_notebook.py executes the notebook the same way when nbclient and
ipykernel are installed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

TOUR = Path(__file__).resolve().parent / "tour.ipynb"
TIMEOUT = 300  # seconds per cell
MAX_BYTES = 1_000_000


def main() -> None:
    try:
        import nbclient
        import nbformat
    except ImportError as err:
        raise SystemExit(f"{err.name} is missing: pip install nbclient nbformat ipykernel pandas") from None
    notebook = nbformat.read(TOUR, as_version=4)
    with tempfile.TemporaryDirectory(prefix="lossfit-tour-") as scratch:
        client = nbclient.NotebookClient(notebook, timeout=TIMEOUT, kernel_name="python3", record_timing=False,
                                         resources={"metadata": {"path": scratch}})
        client.execute()
    for cell in notebook.cells:
        cell.get("metadata", {}).pop("execution", None)  # no timestamps: a re-run changes only what changed
    nbformat.validate(notebook)
    nbformat.write(notebook, TOUR)
    size = TOUR.stat().st_size
    print(f"wrote {TOUR} ({size / 1000:.0f} kB)")
    if size > MAX_BYTES:
        sys.exit(f"{TOUR} is over {MAX_BYTES / 1e6:g} MB: make its figures smaller")


if __name__ == "__main__":
    main()
