"""Every user-facing failure, and the exit codes the command line maps them to.

The library raises a `LossfitError` subclass whenever the *user* got something
wrong (a name, a number, a file, a label set). The CLI catches `LossfitError`
once, prints its message on one line and exits with `ExitCode.USAGE`. Anything
else that escapes is a bug and exits with `ExitCode.INTERNAL` and a traceback.

Messages say what was wrong, what was expected, what was received and, where it
helps, the fix: "Unknown loss `hubber`. Did you mean `huber`? Expected one of: ...".
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of the `lossfit` command (documented in the README and --help)."""

    OK = 0
    INTERNAL = 1  # a bug: reported with a traceback
    USAGE = 2  # a user mistake: bad option, name, number, file or data
    DIVERGED = 3  # training produced NaN/inf; history and plots are still written
    DIFFERENT = 4  # `lossfit rerun`: the new history differs from the saved one (the new run folder is kept)
    HANGUP = 129  # SIGHUP (the terminal closed): as INTERRUPTED
    INTERRUPTED = 130  # Ctrl-C: training stops at the next batch; history, metrics.json and plots are written
    BROKEN_PIPE = 141  # the reader of stdout went away (`lossfit losses | head -2`): 128 + SIGPIPE, as shells say
    TERMINATED = 143  # SIGTERM (`timeout`, `docker stop`): as INTERRUPTED


class LossfitError(Exception):
    """A user mistake. The message is one line that names the problem and the fix."""


class ConfigError(LossfitError):
    """An invalid option or config value: wrong type, out of range, unknown key."""


class SpecError(ConfigError):
    """A registry spec such as `huber(delta=0.5)` that cannot be parsed or applied."""


class UnknownNameError(ConfigError):
    """A name that is not in a registry (a loss, optimizer, model or dataset)."""


class TaskMismatchError(ConfigError):
    """A loss, model and dataset that do not belong to the same task."""


class DataError(LossfitError):
    """Data that cannot be used: empty, NaN, wrong shape, missing file."""


class ShapeError(DataError):
    """Arrays whose shapes do not fit together (never silently broadcast)."""


class LabelError(DataError):
    """Targets outside a loss's domain: wrong label set, class index out of range."""


def reason(err: BaseException) -> str:
    """Why something failed, in one line: `No space left on device (errno 28)`, `ValueError: bad value`."""
    if isinstance(err, OSError):
        return f"{err.strerror or err} (errno {err.errno})"
    first = str(err).splitlines()[0] if str(err) else ""
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


class WriteError(LossfitError):
    """A file lossfit could not write: a full disk, no permission, a name too long."""

    FIXES = {28: "free some space, or choose another --out", 122: "free some space, or choose another --out",
             13: "choose a folder you can write to with --out", 30: "choose a folder you can write to with --out",
             36: "choose a shorter --out", 20: "a part of that path is a file, not a folder; choose another --out"}

    def __init__(self, path: object, err: OSError, fix: str | None = None) -> None:
        reason = err.strerror or str(err)
        fix = fix or self.FIXES.get(err.errno or 0, "choose another --out")
        super().__init__(f"Cannot write {path}: {reason} (errno {err.errno}); {fix}.")
        self.path, self.errno = path, err.errno


class DivergenceError(Exception):
    """Training produced a non-finite loss or parameters.

    Not a `LossfitError`: the run is not a user mistake in the usual sense and
    it is reported with its own exit code (`ExitCode.DIVERGED`) after the run
    folder has been written.
    """

    def __init__(self, epoch: int, message: str) -> None:
        super().__init__(message)
        self.epoch = epoch
