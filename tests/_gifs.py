"""Reading the GIFs lossfit writes, for the animation tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def frames_of(path: Path) -> list[np.ndarray]:
    """Every frame of the GIF at `path`, as an RGB array."""
    with Image.open(path) as gif:
        pictures = []
        for index in range(gif.n_frames):
            gif.seek(index)
            pictures.append(np.asarray(gif.convert("RGB")))
        return pictures
