"""The `lossfit` subcommands other than `train`, one module per topic.

Each module defines `register(app)`, which adds its commands to the typer app.
Modules are imported when the CLI starts, so they must not import numpy or
matplotlib at module level: import them inside the command functions.
"""

MODULES = ("compare", "landscape", "lr_find", "losses", "optimizers", "datasets", "plot", "export")
