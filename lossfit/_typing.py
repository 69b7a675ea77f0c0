"""Type aliases shared across lossfit."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Targets = npt.NDArray[np.float64 | np.int64]  # float64: regression values, binary labels; int64: class indices
Task = Literal["regression", "binary", "multiclass"]
TASKS: tuple[Task, ...] = ("regression", "binary", "multiclass")
