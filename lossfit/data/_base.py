"""What every dataset generator shares: its class attributes and parameter checks.

A generator is a frozen dataclass whose fields are its parameters (the keys a
user writes in a spec such as ``moons(noise=0.1)``). It validates them in
``__post_init__`` and draws a sample only when ``generate(rng)`` is called, so
its task, class count and feature names are known without generating anything.

    >>> from lossfit.data.classification import Moons
    >>> Moons(noise=0.1).n_classes, Moons().feature_names
    (2, ('x1', 'x2'))
    >>> Moons(noise=-1)
    Traceback (most recent call last):
    ...
    lossfit.errors.ConfigError: Dataset `moons`: noise=-1 is out of range; expected noise >= 0.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from lossfit._typing import Array, Targets, Task
from lossfit.errors import ConfigError

_DEFAULT_CLASSES = {"regression": 0, "binary": 2}


class Generator:
    """Base class of the dataset generators (the dataclass fields are the parameters)."""

    name: ClassVar[str]  # the registry key
    task: ClassVar[Task]
    summary: ClassVar[str]  # one line for `lossfit list datasets`
    lesson: ClassVar[str]  # what the dataset demonstrates
    kind: ClassVar[str] = "generator"  # bundled real datasets have kind "dataset"

    @property
    def n_classes(self) -> int:
        """0 for regression, 2 for binary, k for multiclass; known without generating."""
        return _DEFAULT_CLASSES[self.task]

    @property
    def n_features(self) -> int:
        return 2

    @property
    def feature_names(self) -> tuple[str, ...]:
        if self.n_features == 1:
            return ("x",)
        return tuple(f"x{i + 1}" for i in range(self.n_features))

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(str(k) for k in range(self.n_classes))

    def generate(self, rng: np.random.Generator) -> tuple[Array, Targets]:
        """Draw ``(X, y)``: X (n, d) float64; y float64 (regression, binary) or int64 indices."""
        raise NotImplementedError

    def truth(self, X: Array, quantile: float | None = None) -> Array | None:
        """The noiseless target at raw inputs X (n, d), or its `quantile` under the noise; None if unknown.

        Regression generators that know their signal override this: it is what a
        loss *should* recover, free of the noise a sample happens to hold.
        """
        return None

    def true_line(self, quantile: float | None = None) -> tuple[float, float] | None:
        """(slope, intercept) of a one-feature linear truth (or of its `quantile`), else None."""
        return None

    # -- parameter checks, called from __post_init__ -------------------------------
    def _fail(self, key: str, expected: str) -> None:
        value = getattr(self, key)
        raise ConfigError(
            f"Dataset `{self.name}`: {key}={value!r} is out of range; expected {expected}."
        )

    def _check_int(self, key: str, low: int, high: int | None = None) -> None:
        value: Any = getattr(self, key)
        expected = f"{key} >= {low}" if high is None else f"{low} <= {key} <= {high}"
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ConfigError(
                f"Dataset `{self.name}`: {key}={value!r} must be a whole number; "
                f"expected {expected}."
            )
        if value < low or (high is not None and value > high):
            self._fail(key, expected)

    def _check_float(
        self,
        key: str,
        low: float = -math.inf,
        high: float = math.inf,
        *,
        low_open: bool = False,
        high_open: bool = False,
    ) -> None:
        value: Any = getattr(self, key)
        parts = []
        if low > -math.inf:
            parts.append(f"{low:g} {'<' if low_open else '<='} ")
        parts.append(key)
        if high < math.inf:
            parts.append(f" {'<' if high_open else '<='} {high:g}")
        expected = "".join(parts)
        if low > -math.inf and high == math.inf:  # read "noise >= 0" rather than "0 <= noise"
            expected = f"{key} {'>' if low_open else '>='} {low:g}"
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise ConfigError(
                f"Dataset `{self.name}`: {key}={value!r} must be a number; expected {expected}."
            )
        ok = math.isfinite(value) or (value == high == math.inf)
        ok = ok and (value > low if low_open else value >= low)
        ok = ok and (value < high if high_open else value <= high)
        if not ok:
            self._fail(key, expected)


def split_counts(n: int, k: int) -> list[int]:
    """n items over k groups as make_blobs does: n // k each, the first n % k one more.

    >>> split_counts(10, 3)
    [4, 3, 3]
    """
    return [n // k + (1 if i < n % k else 0) for i in range(k)]
