"""Plots, drawn with matplotlib's object API (`Figure`, Agg) and never pyplot.

Imported only when a plot is drawn, so `lossfit --help` never pays for matplotlib.
One module per kind of picture, each drawing on a `Figure` (or an axes) it is
given or creates, shared by `train`, `compare`, `plot` and the Python API:

- `curves`: loss against epochs, one run or several overlaid;
- `models`: fitted line, predicted against actual, decision boundary;
- `run`: the plots of one run folder (`draw_run`);
- `compare`: the plots of a compare folder (curves.png, fits.png, models.png);
- `history`: curves redrawn from saved run folders (`lossfit plot`);
- `animation`: a run's GIF, frame by frame (`lossfit train --animate`);
- `landscape`: loss surfaces with optimizer paths, or Li et al.'s slices (`lossfit landscape`);
- `lr_find`: the learning-rate range test's curve (`lossfit lr-find`).
"""

from lossfit.plots._style import save
from lossfit.plots.curves import loss_curve
from lossfit.plots.models import decision_boundary, fit_plot
from lossfit.plots.run import draw_run

__all__ = ["decision_boundary", "draw_run", "fit_plot", "loss_curve", "save"]
