"""Running lossfit as a user would, in a subprocess, for the tests that need real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def signal_running(*args: str, header: str, signals: tuple[int, ...] = (signal.SIGINT,), gap: float = 0.05,
                   wait_for_epoch: bool = True) -> tuple[int, str, str]:
    """Run `python -m lossfit ARGS` (plain progress) and send it `signals` once it trains.

    Waits for the stderr header (starting with `header`) and, with `wait_for_epoch`, the first
    epoch line; then sends each signal `gap` seconds apart. Returns (exit code, stdout, stderr).
    """
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen([sys.executable, "-m", "lossfit", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stderr is not None and process.stderr.readline().startswith(header)
        if wait_for_epoch:
            assert process.stderr.readline().startswith("epoch")
        time.sleep(0.3)
        for signum in signals:
            process.send_signal(signum)
            time.sleep(gap)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, stdout, stderr


def ctrl_c_once_running(*args: str, header: str) -> tuple[int, str, str]:
    """Run `python -m lossfit ARGS` (plain progress), press Ctrl-C once its first epoch line is out."""
    return signal_running(*args, header=header)
