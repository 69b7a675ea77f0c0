"""What racing costs: N variants in one `compare` against the same N runs trained one after another.

    python benchmarks/compare_overhead.py [--epochs 5000] [--repeats 7]

Both sides run in this process, interleaved, with no files written: the same
training loops (`api.Runner`), once advanced in turn by `comparison.race` and
once each to its end by `api.run`. A third column adds the live leaderboard,
drawn on a forced terminal into /dev/null (the refresh thread competes with the
loop for the interpreter as it would on a real terminal). CPU time of the process
(the refresh thread included; steadier than wall time on a shared machine), medians of the
repeats; the spread is the min-max range.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from rich.console import Console  # noqa: E402

from lossfit import api, comparison  # noqa: E402
from lossfit.leaderboard import LiveBoard  # noqa: E402

CASES = {
    "3 losses, linear 200x1, full batch": ({"dataset": "outliers"}, {"loss": ["mse", "mae", "huber"]}),
    "4 optimizers, moons 200x2, full batch": ({"dataset": "moons", "loss": "bce"},
                                              {"optimizer": ["sgd", "momentum", "rmsprop", "adam"]}),
    "3 batch sizes, linear 200x1": ({"dataset": "linear", "lr": 0.05}, {"batch_size": [None, 32, 8]}),
}


def race_seconds(single: dict, lists: dict, board: bool) -> float:
    plan = comparison.plan(single, lists)
    live = LiveBoard(Console(file=open(os.devnull, "w"), force_terminal=True, width=100)) if board else None
    start = time.process_time()
    comparison.race(plan, [[] for _ in plan.entries], live)
    return time.process_time() - start


def one_by_one_seconds(single: dict, lists: dict) -> float:
    plan = comparison.plan(single, lists)  # the same prepared runs, shared data and weights
    start = time.process_time()
    for entry in plan.entries:
        api.run(entry.prepared, [])
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"{'case':<40} {'one by one':>11} {'race':>9} {'ratio':>6} {'+ live':>9} {'ratio':>6}   (ms, median)")
    for name, (single, lists) in CASES.items():
        single = {**single, "epochs": args.epochs}
        times: dict[str, list[float]] = {"alone": [], "race": [], "live": []}
        for _ in range(args.repeats):  # interleaved, so drift hits all three alike
            times["alone"].append(one_by_one_seconds(single, lists))
            times["race"].append(race_seconds(single, lists, board=False))
            times["live"].append(race_seconds(single, lists, board=True))
        med = {key: statistics.median(values) * 1e3 for key, values in times.items()}
        spread = {key: (min(v) * 1e3, max(v) * 1e3) for key, v in times.items()}
        print(f"{name:<40} {med['alone']:>11.1f} {med['race']:>9.1f} {med['race'] / med['alone']:>6.3f} "
              f"{med['live']:>9.1f} {med['live'] / med['alone']:>6.3f}")
        print(f"{'  spread (min-max)':<40} {spread['alone'][0]:>5.0f}-{spread['alone'][1]:<5.0f} "
              f"{spread['race'][0]:>4.0f}-{spread['race'][1]:<4.0f} {'':>6} "
              f"{spread['live'][0]:>4.0f}-{spread['live'][1]:<4.0f}")


if __name__ == "__main__":
    main()
