"""Code generation for `lossfit export`: a run as a standalone program.

    >>> from lossfit.export import export_numpy
    >>> export_numpy(Path("runs/huber"), Path("huber.py"))      # doctest: +SKIP
    [PosixPath('huber.py'), PosixPath('huber.npz')]

One module per target (`numpy_script`), fed by one template per loss,
optimizer, schedule and model (`_losses`, `_optimizers`, `_schedules`, `_models`).
"""

from __future__ import annotations

from lossfit.export.numpy_script import export_numpy

__all__ = ["export_numpy"]
