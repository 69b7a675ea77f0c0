"""Code generation for `lossfit export`: a run as a standalone program.

    >>> from lossfit.export import export_numpy
    >>> export_numpy(Path("runs/huber"), Path("huber.py"))      # doctest: +SKIP
    [PosixPath('huber.py'), PosixPath('huber.npz')]
    >>> export_torch(Path("runs/huber"), Path("huber_torch.py"))  # doctest: +SKIP
    [PosixPath('huber_torch.py'), PosixPath('huber_torch.npz')]

One module per target (`numpy_script`, `torch_script`), each fed by one template
per loss, optimizer, schedule and model (`_losses`, `_optimizers`, `_schedules`,
`_models`; for torch `_torch_losses`, `_torch_optimizers`, `_torch_schedules`,
`_torch_models`). torch is never imported by lossfit: the templates are text.
"""

from __future__ import annotations

from lossfit.export.numpy_script import export_numpy
from lossfit.export.torch_script import export_torch

__all__ = ["export_numpy", "export_torch"]
