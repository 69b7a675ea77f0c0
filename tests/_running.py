"""Running lossfit as a user would, in a subprocess, for the tests that need real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def ctrl_c_once_running(*args: str, header: str) -> tuple[int, str, str]:
    """Run `python -m lossfit ARGS` (plain progress), press Ctrl-C once its first epoch line is out.

    Asserts the run started (its stderr header begins with `header`); returns (exit code, stdout, stderr).
    """
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen([sys.executable, "-m", "lossfit", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stderr is not None and process.stderr.readline().startswith(header)
        assert process.stderr.readline().startswith("epoch")
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, stdout, stderr
