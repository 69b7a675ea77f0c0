"""How long does loading a big data file take, and how much memory, against plain NumPy?

    python benchmarks/load_csv.py                    # 200,000 x 100 features (+ target), 3 repeats
    python benchmarks/load_csv.py --rows 20000       # a quicker look
    python benchmarks/load_csv.py --dir /tmp/big     # keep (and reuse) the generated files there
    python benchmarks/load_csv.py --only load        # only the modes whose name contains "load"

It writes a numeric CSV (a header row, 100 features then the target, 6 decimals,
about 190 MB at the default size) and an .npz with the same arrays into a temporary
folder, then measures, each in a fresh Python process:

- ``numpy.loadtxt``            np.loadtxt(path, delimiter=",", skiprows=1): the yardstick;
- ``lossfit.data.load``        read, split (val_split 0.2) and standardize;
- ``lossfit train``            what the command does up to and including its first epoch
                               (``api.prepare`` then ``api.run`` of one epoch, without the
                               run folder: ``--epochs 1`` with no sinks);
- ``numpy.load npz``, ``lossfit.data.load npz``, ``lossfit train npz``: the same for the .npz;
- ``baseline``                 Python with numpy and lossfit.data imported, doing nothing.

Time is wall time around the call (imports excluded). Peak RSS is measured the way
the kernel reports it: each run is a fresh worker process started by a fresh, small
launcher process, which then reads ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` (the
largest resident size the worker ever had). The launcher matters: a child inherits
its parent's high-water mark across fork and exec, so a worker started directly by
this script (which holds nothing big either: the files are written by a child too)
could report the parent's size instead of its own. The ratio column is peak RSS
divided by the size of the float64 feature array (rows x features x 8 bytes);
"over baseline" subtracts the idle interpreter first. Repeats are interleaved
(every mode once, then again) so a disturbed moment spreads over all the modes;
the table shows medians and the min-max range.

To measure an older version of lossfit, put its package first on the path:
``PYTHONPATH=/path/to/old/checkout python benchmarks/load_csv.py``; the children
inherit the environment.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHUNK_ROWS = 10_000


def make_files(folder: Path, rows: int, cols: int) -> tuple[Path, Path]:
    """A numeric CSV (header x1..xd,y) and an .npz (X, y) holding the same numbers."""
    import numpy as np

    csv_path, npz_path = folder / f"big_{rows}x{cols}.csv", folder / f"big_{rows}x{cols}.npz"
    if csv_path.exists() and npz_path.exists():
        return csv_path, npz_path
    rng = np.random.default_rng(0)
    weights = rng.standard_normal(cols)
    Xs, ys = [], []
    with open(csv_path, "w") as out:
        out.write(",".join([*(f"x{j + 1}" for j in range(cols)), "y"]) + "\n")
        for start in range(0, rows, CHUNK_ROWS):
            X = np.round(rng.standard_normal((min(CHUNK_ROWS, rows - start), cols)), 6)
            y = np.round(X @ weights + 1.0 + 0.3 * rng.standard_normal(len(X)), 6)
            np.savetxt(out, np.column_stack([X, y]), fmt="%.6f", delimiter=",")
            Xs.append(X)
            ys.append(y)
    np.savez(npz_path, X=np.concatenate(Xs), y=np.concatenate(ys))
    return csv_path, npz_path


# --- the measured work, run in a child process -------------------------------------------


def child(mode: str, path: str) -> None:
    import numpy as np

    import lossfit.data

    start = time.perf_counter()
    if mode == "numpy.loadtxt":
        np.loadtxt(path, delimiter=",", skiprows=1)
    elif mode == "numpy.load npz":
        with np.load(path) as archive:
            archive["X"], archive["y"]
    elif mode.startswith("lossfit.data.load"):
        lossfit.data.load(path, seed=0, val_split=0.2)
    elif mode.startswith("lossfit train"):
        from lossfit import api
        from lossfit.config import build_config

        options = {"dataset": path, "epochs": 1, "plot": False, "progress": "none"}
        api.run(api.prepare(build_config(None, options)), [])  # what `lossfit train` does, minus the sinks
    elif mode != "baseline":
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds}))


def launch(mode: str, path: str) -> None:
    """Run one worker and report its time and peak RSS (this launcher is small and fresh)."""
    import resource

    done = subprocess.run([sys.executable, __file__, "--child", mode, path], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stdout}\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6  # KiB on Linux
    print(json.dumps(result))


def measure(mode: str, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--launch", mode, str(path)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr or done.stdout)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="keep the generated files here (and reuse them)")
    parser.add_argument("--only", default="", help="run only the modes whose name contains this text")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--launch", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--make", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.launch:
        launch(*args.launch)
        return
    if args.make:
        make_files(Path(args.make[0]), args.rows, args.cols)
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--make", str(folder), "--rows", str(args.rows),
                        "--cols", str(args.cols)], check=True)  # in a child: this process stays small
        csv_path, npz_path = folder / f"big_{args.rows}x{args.cols}.csv", folder / f"big_{args.rows}x{args.cols}.npz"
        print(f"data: {args.rows:,} x {args.cols} features + target; {csv_path.stat().st_size / 1e6:.0f} MB CSV, "
              f"{npz_path.stat().st_size / 1e6:.0f} MB npz (ready in {time.perf_counter() - start:.1f} s)")
        array_mb = args.rows * args.cols * 8 / 1e6
        modes = {
            "baseline": csv_path,
            "numpy.loadtxt": csv_path,
            "lossfit.data.load": csv_path,
            "lossfit train": csv_path,
            "numpy.load npz": npz_path,
            "lossfit.data.load npz": npz_path,
            "lossfit train npz": npz_path,
        }
        modes = {m: p for m, p in modes.items() if args.only in m or m == "baseline"}
        results: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
        for _ in range(args.repeats):
            for mode, path in modes.items():
                results[mode].append(measure(mode, path))
        base = statistics.median(r["peak_mb"] for r in results["baseline"])
        print(f"feature array: {array_mb:.0f} MB float64; idle interpreter: {base:.0f} MB; "
              f"{args.repeats} interleaved repeats, medians [min-max]")
        print(f"{'mode':<24} {'seconds':>18} {'peak RSS MB':>20} {'x array':>8} {'over baseline':>14}")
        for mode, runs in results.items():
            secs = [r["seconds"] for r in runs]
            peaks = [r["peak_mb"] for r in runs]
            peak = statistics.median(peaks)
            print(f"{mode:<24} {statistics.median(secs):>7.2f} [{min(secs):.2f}-{max(secs):.2f}]"
                  f" {peak:>8.0f} [{min(peaks):.0f}-{max(peaks):.0f}]"
                  f" {peak / array_mb:>7.2f}x {(peak - base) / array_mb:>13.2f}x")


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    main()
