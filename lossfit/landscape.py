"""Loss landscapes: the exact loss over a two-parameter plane, and optimizer paths drawn on it.

A one-feature linear regression has two parameters, the slope w and the
intercept b of the line fitted to the standardized feature x'::

    out_i = w x'_i + b
    L(w, b) = loss(out, y)        the registry's loss: a mean over the training split

Because there are only two parameters, the whole surface can be evaluated
exactly on a grid, and every optimizer step is a point of that plane. The
optimizer paths are lossfit's own training loop (`api.Runner`, full batch, so
each step uses the exact gradient of L) started from one point `--start`::

    theta_0 = start,   theta_k = the parameters after epoch k (one update per epoch)

A binary linear classifier on a two-feature dataset, drawn without its bias (the bias stays at 0), has
two parameters too, the weights w1 and w2 of the score::

    out_i = w1 x1_i + w2 x2_i          (a logit for bce, a margin score for hinge)

Both cases are written as out = A theta with a design matrix A of two columns: [x', 1] for the line,
[x1, x2] for the classifier.

The marked minimum is, for mse, the least-squares solution (closed form)::

    [w*, b*] = argmin mean((w x' + b - y)^2) = lstsq([x', 1], y)

and for every other loss the argmin of nested grids: a grid over the window,
then finer grids around the best point, each a quarter of the size of the one
before (exact to about 1e-7 of the window for the convex losses lossfit has).
On separable classification data the loss keeps falling as |theta| grows: there
is no finite minimum, and the picture says so instead of marking one.

Nothing here prints, draws or writes files: `lossfit.plots.landscape` draws,
`lossfit.commands.landscape` parses and saves.

    >>> import numpy as np
    >>> from lossfit import losses
    >>> X = np.array([[-1.0], [0.0], [1.0]]); y = np.array([-1.0, 1.0, 3.0])
    >>> A = design(X, "line")
    >>> grid = loss_surface(losses.get("mse"), A, y, None, np.array([2.0]), np.array([1.0]))
    >>> float(grid[0, 0])   # the line 2x + 1 fits exactly
    0.0
    >>> least_squares(A, y).round(12).tolist()
    [2.0, 1.0]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lossfit import api
from lossfit import data as datasets
from lossfit._typing import Array
from lossfit.config import RunConfig
from lossfit.errors import ConfigError, LossfitError
from lossfit.variants import Variant

MIN_RESOLUTION, MAX_RESOLUTION = 20, 400
DEFAULT_RESOLUTION = 121
MAX_PANELS = 6  # losses side by side
MAX_PATHS = 9  # optimizer x lr paths per panel (one colour each)
NEAR = 1e-3  # a path "reached" the minimum once L - L* <= NEAR * (L(start) - L*)
PARAMETERS = {"line": ("w", "b"), "classifier": ("w1", "w2")}  # the two parameters of each kind of problem


@dataclass
class Trajectory:
    """One optimizer's path from the start: points[k] are (w, b) after k updates (points[0] is the start)."""

    label: str  # "adam lr=0.5": what the legend says
    optimizer: str  # the resolved spec, e.g. "adam(betas=(0.9, 0.999), ...)" (for --json)
    lr: float
    points: Array  # (steps + 1, 2); only finite points
    status: str  # "completed" or "diverged" (or what the run ended with)
    final_loss: float  # L at the last finite point
    left_window: bool = False  # set once the window is chosen
    reached_at: int | None = None  # the step from which it stays within NEAR of the minimum (set by `compute`)

    @property
    def steps(self) -> int:
        return len(self.points) - 1

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "optimizer": self.optimizer, "lr": self.lr, "status": self.status,
                "steps": self.steps, "left_window": self.left_window, "reached_minimum_at": self.reached_at, "final_loss": _finite_or_none(self.final_loss),
                "end": [float(v) for v in self.points[-1]], "points": self.points.tolist()}


@dataclass
class Panel:
    """One loss: its surface on the window's grid, its minimum and the paths trained on it."""

    loss_label: str  # as the user gave it: "huber", "huber(delta=0.5)"
    loss: Any
    minimum: Array  # (2,) the (w, b) of the lowest loss
    min_value: float
    how_minimum: str  # "least squares (closed form)" or "argmin of nested grids"
    finite_minimum: bool  # False: the loss keeps falling towards the edge (separable data); `minimum` is only
    #                       the lowest point found
    paths: list[Trajectory]
    values: Array = field(default_factory=lambda: np.zeros((0, 0)))  # (len(bs), len(ws)): L(ws[j], bs[i]) at [i, j]

    def to_json(self) -> dict[str, Any]:
        return {"loss": self.loss_label, "minimum": [float(v) for v in self.minimum],
                "min_loss": float(self.min_value), "minimum_from": self.how_minimum,
                "finite_minimum": self.finite_minimum,
                "paths": [p.to_json() for p in self.paths]}


@dataclass
class Landscape:
    """Everything the picture needs: one panel per loss over one shared window."""

    panels: list[Panel]
    dataset_label: str
    n_train: int
    start: Array  # (2,)
    start_given: bool  # False: the default start was chosen
    epochs: int
    ws: Array  # grid of the first parameter (columns): the slope w, or w1
    bs: Array  # grid of the second parameter (rows): the intercept b, or w2
    features: tuple[str, ...]  # the features' names
    standardized: bool = True  # the features were standardized on the training split
    kind: str = "line"  # "line" (w, b) or "classifier" (w1, w2, no bias)

    @property
    def parameters(self) -> tuple[str, str]:
        first, second = PARAMETERS[self.kind]
        return first, second

    @property
    def model(self) -> str:
        """`w·x' + b (x' standardized)`, `w1·x1' + w2·x2', no bias`: what the two parameters multiply."""
        mark = "'" if self.standardized else ""
        units = "standardized" if self.standardized else "raw units"
        if self.kind == "line":
            return f"w·{self.features[0]}{mark} + b ({units})"
        f1, f2 = self.features[:2]
        return f"w1·{f1}{mark} + w2·{f2}{mark}, no bias ({units})"

    @property
    def window(self) -> tuple[float, float, float, float]:
        return float(self.ws[0]), float(self.ws[-1]), float(self.bs[0]), float(self.bs[-1])

    def to_json(self) -> dict[str, Any]:
        w_lo, w_hi, b_lo, b_hi = self.window
        first, second = self.parameters
        return {"dataset": self.dataset_label, "n_train": self.n_train, "parameters": [first, second],
                "model": f"out = {self.model}", "start": [float(v) for v in self.start],
                "start_given": self.start_given, "epochs": self.epochs,
                "window": {first: [w_lo, w_hi], second: [b_lo, b_hi]}, "resolution": len(self.ws),
                "panels": [p.to_json() for p in self.panels]}


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


# ------------------------------------------------------------------------------ the math
def design(X: Array, kind: str) -> Array:
    """The design matrix A (n, 2) with out = A @ theta: [x', 1] for a line, [x1, x2] for a classifier."""
    if kind == "line":
        return np.column_stack([X[:, 0], np.ones(len(X))])
    return np.asarray(X[:, :2], dtype=float)


def loss_surface(loss: Any, A: Array, y: Any, sample_weight: Array | None, ws: Array, bs: Array) -> Array:
    """L(theta) = loss.value(A theta, y) at every grid point theta = (ws[j], bs[i]): (len(bs), len(ws)).

    Each point is the registry's own mean loss over the training split, one call per point (no shortcut
    that could disagree with what training minimises).
    """
    a0, a1 = A[:, 0], A[:, 1]
    out = np.empty((len(bs), len(ws)))
    with np.errstate(over="ignore", invalid="ignore"):
        for i, b in enumerate(bs):
            for j, w in enumerate(ws):
                out[i, j] = loss.value(w * a0 + b * a1, y, sample_weight)
    return out


def least_squares(A: Array, y: Any, sample_weight: Array | None = None) -> Array:
    """The theta minimising the (weighted) mean of (A theta - y)^2: numpy's least squares."""
    target = np.asarray(y, dtype=float)
    if sample_weight is not None:
        root = np.sqrt(sample_weight)
        A, target = A * root[:, None], target * root
    theta, *_ = np.linalg.lstsq(A, target, rcond=None)
    return np.asarray(theta, dtype=float)


def nested_grid_minimum(loss: Any, A: Array, y: Any, sample_weight: Array | None, centre: Array,
                        half_width: float, rounds: int = 12, points: int = 21) -> tuple[Array, float, bool]:
    """The argmin of L by nested grids: a `points` x `points` grid of half-width `half_width` around
    `centre`, then grids a quarter as wide around its best point, `rounds` times.

    For a convex L the best grid point of each round is within one grid spacing of the true minimum, so the
    next grid (2.5 spacings wide on each side) still holds it. Returns (theta, L(theta), inside): `inside` is
    False when the first grid's best point is on its edge (the minimum may lie beyond, or not exist): then
    it stops there.
    """
    best, width = np.asarray(centre, dtype=float), float(half_width)
    value = math.inf
    for round_ in range(rounds):
        ws = np.linspace(best[0] - width, best[0] + width, points)
        bs = np.linspace(best[1] - width, best[1] + width, points)
        grid = loss_surface(loss, A, y, sample_weight, ws, bs)
        grid = np.where(np.isfinite(grid), grid, np.inf)
        i, j = np.unravel_index(int(np.argmin(grid)), grid.shape)
        best, value = np.array([ws[j], bs[i]]), float(grid[i, j])
        if round_ == 0 and not (0 < i < points - 1 and 0 < j < points - 1):
            return best, value, False
        width /= 4.0
    return best, value, True


def find_minimum(loss: Any, A: Array, y: Any, sample_weight: Array | None, scale: float,
                 kind: str = "line") -> tuple[Array, float, str, bool]:
    """(theta*, L(theta*), how it was found, finite): least squares for mse; otherwise nested grids around the
    least-squares line (regression) or the origin (classifier), widened 4x up to 3 times while the best point
    sits on the grid's edge. `finite` is False when it still does: the loss keeps falling (separable data)."""
    centre = least_squares(A, y, sample_weight) if kind == "line" else np.zeros(2)
    if getattr(loss, "name", "") == "mse" and kind == "line":
        value = float(loss.value(A @ centre, y, sample_weight))
        return centre, value, "least squares (closed form)", True
    half = 2.0 * scale
    for _ in range(4):
        theta, value, inside = nested_grid_minimum(loss, A, y, sample_weight, centre, half)
        if inside:
            return theta, value, "argmin of nested grids", True
        half *= 4.0
    return (theta, value, f"no finite minimum: the loss still falls at |theta| = {half / 4:.3g} (separable data)",
            False)


def spread(y: Array) -> float:
    """The target's spread, robust to outliers: the interquartile range / 1.349 (the std of a normal), or 1."""
    q1, q3 = np.percentile(y, [25, 75])
    return float(q3 - q1) / 1.349 or float(np.std(y)) or 1.0


def default_start(minimum: Array, scale: float, kind: str = "line") -> Array:
    """A start that shows the lesson: well away from the minimum (3 scales in w, 2 in b), so the paths are long
    and their direction is not the diagonal that sign-like steps (Adam) take; `scale` is the target's
    `spread`."""
    if kind == "classifier" and np.linalg.norm(minimum) > 6 * scale:  # no finite minimum: start near the origin
        return np.array([-3.0, 2.0]) * scale
    return np.asarray(minimum, dtype=float) + np.array([-3.0, 2.0]) * scale


# ------------------------------------------------------------------------------ planning
@dataclass
class Plan:
    """Everything checked and built; nothing trained or written yet."""

    losses: list[str]  # one panel each, in order
    runs: list[list[tuple[Variant, api.Prepared]]]  # per loss: one prepared run per (optimizer, lr)
    dataset: Any
    dataset_label: str
    start: Array | None  # None: the default start
    resolution: int
    epochs: int
    kind: str = "line"  # "line" or "classifier"


def parse_start(text: str | None) -> Array | None:
    """`--start w,b` (w1,w2 for a classifier) -> a (2,) array; None when not given."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ConfigError(f"--start takes two numbers (w,b for a line, w1,w2 for a classifier), e.g. "
                          f"--start=-2,3; got `{text}`.") from None
    if len(values) != 2:
        raise ConfigError(f"--start takes 2 numbers (w,b: slope and intercept of a line; w1,w2: the weights of a "
                          f"classifier), got {len(values)}: `{text}`. E.g. --start=-2,3.")
    if not all(math.isfinite(v) for v in values):
        raise ConfigError(f"--start needs finite numbers, got `{text}`.")
    return np.array(values)


def check_resolution(resolution: int) -> int:
    if not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
        raise ConfigError(f"--resolution must be between {MIN_RESOLUTION} and {MAX_RESOLUTION} grid points per "
                          f"axis, got {resolution}.")
    return resolution


DRAWABLE = ("landscape draws the exact loss of two-parameter problems only: a one-feature regression dataset "
            "(linear, outliers, heavy_tailed, heteroscedastic, sine, counts, or a file with --features COLUMN), or a "
            "two-feature binary dataset (moons, circles, xor, separable, imbalanced) with a one-score loss such as "
            "bce or hinge (drawn without bias), with --model linear")


def plan(single: dict[str, Any], lists: dict[str, list[Any]], start: Array | None, resolution: int) -> Plan:
    """Check every option and build every run (api.prepare); raise a LossfitError for any user mistake.

    `single` holds the shared settings (dataset, epochs, seed, ...); `lists` the losses, optimizers and lrs,
    each a list (several losses give several panels; optimizer x lr give the paths of each panel).
    """
    check_resolution(resolution)
    given = lists.get("loss") or ([single["loss"]] if single.get("loss") else [])
    shared = {k: v for k, v in single.items() if k in ("dataset", "target", "features", "header", "task")}
    loss_specs = list(given) or [api.default_loss(RunConfig(**shared))]  # the dataset's usual loss (mse for none)
    paths = {k: list(lists.get(k) or [single.get(k, getattr(RunConfig, k))]) for k in ("optimizer", "lr")}
    if len(loss_specs) > MAX_PANELS:
        raise ConfigError(f"--loss has {len(loss_specs)} losses; landscape draws at most {MAX_PANELS} panels. "
                          "Give fewer losses.")
    n_paths = len(paths["optimizer"]) * len(paths["lr"])
    if n_paths > MAX_PATHS:
        raise ConfigError(f"That is {n_paths} paths per panel ({len(paths['optimizer'])} --optimizer x "
                          f"{len(paths['lr'])} --lr); landscape draws at most {MAX_PATHS}. Give fewer values.")
    model = single.get("model", "auto")
    model_spec = "linear" if model in ("auto", "linear") else str(model)
    if single.get("batch_size") is not None:
        raise ConfigError("landscape draws full-batch paths (each step uses the exact gradient of the drawn "
                          "surface); leave --batch-size out.")
    base = {k: v for k, v in single.items() if k not in ("loss", "optimizer", "lr", "out", "model")}
    # every path carries both settings (compare's `expand` keeps only the ones that vary)
    variants = [Variant(i, {"optimizer": o, "lr": float(lr)})
                for i, (o, lr) in enumerate(itertools.product(paths["optimizer"], paths["lr"]))]
    first = RunConfig(**{**base, "loss": loss_specs[0], "model": "linear"})
    dataset_spec = first.dataset or _dataset_for(first)
    dataset = datasets.load(dataset_spec, seed=first.seed, val_split=first.val_split,
                            standardize=first.standardize, **api.file_options(first))
    kind = problem_kind(dataset) if model_spec == "linear" else "slice"
    if kind == "slice":
        _check_slice(loss_specs, variants, start)
    runs: list[list[tuple[Variant, api.Prepared]]] = []
    for loss_spec in loss_specs:
        row = []
        for variant in variants:
            config = RunConfig(**{**base, "dataset": dataset_spec, "model": model_spec, "loss": loss_spec,
                                  **variant.settings})
            try:
                row.append((variant, api.prepare(config, dataset=dataset)))
            except LossfitError as err:
                where = f"--loss {loss_spec}, {variant.label}" if len(loss_specs) > 1 or len(variants) > 1 else ""
                raise type(err)(f"{where}: {err}" if where else str(err)) from None
        loss = row[0][1].loss
        if kind == "classifier" and loss.n_outputs(dataset.n_classes) != 1:
            kind = "slice"  # one logit per class: 2 x 2 weights and 2 biases
            _check_slice(loss_specs, variants, start)
        runs.append(row)
    label = dataset_spec if not datasets.is_file(dataset_spec) else str(dataset.name)
    return Plan(loss_specs, runs, dataset, label, start, resolution, first.epochs, kind)


def problem_kind(dataset: Any) -> str:
    """"line" for a one-feature regression, "classifier" for a two-feature binary dataset, else "slice"."""
    if dataset.task == "regression" and dataset.n_features == 1:
        return "line"
    if dataset.task == "binary" and dataset.n_features == 2:
        return "classifier"
    return "slice"


SLICE_NOTE = ("this model has {n} parameters, too many to draw exactly: using random filter-normalised directions "
              "(Li et al. 2018). For an exact landscape use --model linear on a one-feature regression or a "
              "two-feature binary dataset.")
SLICE_RESOLUTION = 51  # at most, per axis: each point is a forward pass of the whole model


def _check_slice(loss_specs: list[str], variants: list[Variant], start: Array | None) -> None:
    if len(loss_specs) > 1 or len(variants) > 1:
        raise ConfigError("A random-direction slice (a model with more than two parameters) draws one run: give one "
                          "--loss, one --optimizer and one --lr. " + DRAWABLE[0].upper() + DRAWABLE[1:] +
                          " (those take several).")
    if start is not None:
        raise ConfigError("--start sets the two parameters of an exact landscape; a model with more parameters starts "
                          "from its seeded initial weights (change them with --seed). Leave --start out.")


def _dataset_for(config: RunConfig) -> str:
    """The dataset when none is given: the loss's default (`linear` for regression, `moons` for binary)."""
    from lossfit import losses

    loss = losses.get(config.loss or "mse")
    return loss.default_dataset or datasets.default_for_task(loss.task)


# ------------------------------------------------------------------------------ running
def run_path(prepared: api.Prepared, start: Array, label: str, kind: str = "line") -> Trajectory:
    """Train from `start`, full batch, and collect theta after every update.

    A line trains with lossfit's own loop (`api.Runner`: the same loop, divergence rule and optimizer as
    `lossfit train`). A classifier without bias steps only the weights::

        out = X w;  g = dL/d out;  grad_w = X^T g;  optimizer.step([w], [grad_w])      (b stays 0)

    stopping, as training does, when theta or L turns non-finite or L stays above 10x both its best and its
    first value for 5 steps.
    """
    if kind == "classifier":
        points, status = _classifier_points(prepared, start)
    else:
        points, status = _line_points(prepared, start)
    finite = [p for p in points if np.isfinite(p).all()]
    if len(finite) < len(points):
        status = "diverged"
    final = _loss_at(prepared, finite[-1], kind)
    if not math.isfinite(final):
        status = "diverged"
    return Trajectory(label, prepared.resolved["optimizer"], float(prepared.config.lr), np.array(finite), status,
                      final)


def _line_points(prepared: api.Prepared, start: Array) -> tuple[list[Array], str]:
    model = prepared.model
    model.params[0][...] = start[0]
    model.params[1][...] = start[1]
    runner = api.Runner(prepared, [])
    runner.start()
    points = [np.array(start, dtype=float)]
    try:
        while runner.advance() is not None:
            points.append(np.array([model.params[0][0], model.params[1][0]], dtype=float))
    finally:
        summary = runner.finish()
    return points, summary.status


def _classifier_points(prepared: api.Prepared, start: Array) -> tuple[list[Array], str]:
    from lossfit.training import DIVERGED_EPOCHS, GROWTH_LIMIT

    model, loss, optimizer, data = prepared.model, prepared.loss, prepared.optimizer, prepared.data
    model.params[0][...] = start
    model.params[1][...] = 0.0
    weights = model.params[0]
    points = [np.array(start, dtype=float)]
    best = first = math.inf
    above = 0
    with np.errstate(all="ignore"):
        for _ in range(prepared.config.epochs):
            value, d_out = loss.value_and_grad(model.forward(data.X_train), data.y_train, data.w_train)
            first = value if first == math.inf else first
            best = min(best, value)
            above = above + 1 if value > GROWTH_LIMIT * best and value > GROWTH_LIMIT * first else 0
            if not math.isfinite(value) or above >= DIVERGED_EPOCHS:
                return points, "diverged"
            optimizer.step([weights], [model.backward(d_out)[0]])
            points.append(np.array(weights, dtype=float))
            if not np.isfinite(weights).all():
                return points, "diverged"
    return points, "completed"


def _loss_at(prepared: api.Prepared, theta: Array, kind: str = "line") -> float:
    A = design(prepared.data.X_train, kind)
    with np.errstate(all="ignore"):
        return float(prepared.loss.value(A @ np.asarray(theta, dtype=float), prepared.data.y_train,
                                         prepared.data.w_train))


def reached_at(prepared: api.Prepared, points: Array, min_value: float, start_value: float,
               kind: str = "line") -> int | None:
    """The step k from which the path stays at the minimum: L(theta_j) - L* <= NEAR * (L(start) - L*) for every
    j >= k; None if its last point is not there (a path that passes the minimum and swings out has not settled)."""
    tolerance = NEAR * max(start_value - min_value, 0.0)
    settled = None
    for k in range(len(points) - 1, -1, -1):
        if _loss_at(prepared, points[k], kind) - min_value > tolerance:
            break
        settled = k
    return settled


def compute(plan_: Plan) -> Landscape:
    """Find each loss's minimum, choose the start, run every path, choose the window, evaluate the surfaces."""
    kind = plan_.kind
    data = plan_.runs[0][0][1].data
    A, y, sw = design(data.X_train, kind), data.y_train, data.w_train
    scale = spread(np.asarray(y, dtype=float)) if kind == "line" else 1.0  # features are standardized
    found = [find_minimum(row[0][1].loss, A, y, sw, scale, kind) for row in plan_.runs]
    start = plan_.start if plan_.start is not None else default_start(found[0][0], scale, kind)
    panels = []
    for loss_label, row, (theta, value, how, finite) in zip(plan_.losses, plan_.runs, found):
        paths = [run_path(prepared, start, path_label(prepared.config), kind) for _, prepared in row]
        start_value = _loss_at(row[0][1], start, kind)
        for path in paths:
            path.reached_at = reached_at(row[0][1], path.points, value, start_value, kind) if finite else None
        panels.append(Panel(loss_label, row[0][1].loss, theta, value, how, finite, paths))
    # Without a finite minimum (separable data) the paths themselves say where the lesson is: hold them all.
    reach = 2.5 if all(p.finite_minimum for p in panels) else math.inf
    ws, bs = window(start, [p.minimum for p in panels if p.finite_minimum],
                    [t.points for p in panels for t in p.paths if t.status != "diverged" or reach < math.inf],
                    plan_.resolution, reach=reach)
    for panel in panels:
        panel.values = loss_surface(panel.loss, A, y, sw, ws, bs)
        for path in panel.paths:
            path.left_window = not bool(((path.points[:, 0] >= ws[0]) & (path.points[:, 0] <= ws[-1])
                                         & (path.points[:, 1] >= bs[0]) & (path.points[:, 1] <= bs[-1])).all())
    default_names = ["x"] if kind == "line" else ["x1", "x2"]
    names = tuple(str(n) for n in (plan_.dataset.feature_names or default_names))
    return Landscape(panels, plan_.dataset_label, len(A), np.asarray(start, dtype=float), plan_.start is not None,
                     plan_.epochs, ws, bs, names, bool(plan_.runs[0][0][1].config.standardize), kind)


def path_label(config: RunConfig) -> str:
    """`adam lr=0.5`: the optimizer as given and the learning rate."""
    return f"{' '.join(config.optimizer.split())} lr={config.lr:g}"


def window(start: Array, minima: Sequence[Array], paths: Sequence[Array], resolution: int,
           reach: float = 2.5, margin: float = 0.12) -> tuple[Array, Array]:
    """A square window (equal units on both axes, so the contours' true shape shows) around the start and
    every minimum, widened to hold the paths' points that stay within `reach` times the distance from the
    start to the farthest minimum; points farther out (a diverging path) are left out and said so.

    Returns the grids of slopes and intercepts, `resolution` points each.
    """
    anchors = np.vstack([np.asarray(start, dtype=float)[None, :], *[np.asarray(m)[None, :] for m in minima]])
    centre = anchors.mean(axis=0)
    radius = max(float(np.max(np.abs(anchors - centre))), 1e-3)
    limit = reach * max(float(np.max(np.linalg.norm(anchors - np.asarray(start), axis=1))), 1.0)
    keep = [anchors]
    for points in paths:
        near = points[np.linalg.norm(points - np.asarray(start), axis=1) <= limit]
        if len(near):
            keep.append(near)
    every = np.vstack(keep)
    low, high = every.min(axis=0), every.max(axis=0)
    centre = (low + high) / 2
    half = max(float(np.max(high - low)) / 2, radius) * (1 + margin)
    return (np.linspace(centre[0] - half, centre[0] + half, resolution),
            np.linspace(centre[1] - half, centre[1] + half, resolution))



# ------------------------------------------------------------------------------ models with more parameters
def flatten(params: Sequence[Array]) -> Array:
    """The parameters as one vector, in the model's order."""
    return np.concatenate([np.ravel(p) for p in params]) if params else np.zeros(0)


def unflatten(vector: Array, like: Sequence[Array]) -> list[Array]:
    """The vector cut back into arrays shaped like `like`."""
    out, at = [], 0
    for p in like:
        out.append(vector[at : at + p.size].reshape(p.shape))
        at += p.size
    return out


def filter_normalized_direction(params: Sequence[Array], is_weight: Sequence[bool],
                                rng: np.random.Generator) -> list[Array]:
    """A random direction with the scale of the weights, filter by filter (Li et al. 2018, `normalize_direction`)::

        d ~ N(0, I);   for each filter j of a weight matrix W (fan_in, fan_out): d[:, j] *= ||W[:, j]|| / ||d[:, j]||
        a weight vector (one output: shape (fan_in,)) is one filter;  biases: d = 0 (their `ignore='biasbn'`)

    A filter is one unit's incoming weights, so a step of 1 along d changes every unit by as much as its own
    weights: slices of differently scaled networks become comparable.
    """
    direction = []
    for p, weight in zip(params, is_weight):
        d = rng.standard_normal(p.shape)
        if not weight:
            d[...] = 0.0
        elif p.ndim == 1:
            d *= np.linalg.norm(p) / (np.linalg.norm(d) + 1e-10)
        else:
            d *= np.linalg.norm(p, axis=0, keepdims=True) / (np.linalg.norm(d, axis=0, keepdims=True) + 1e-10)
        direction.append(d)
    return direction


def loss_at_vector(prepared: api.Prepared, vector: Array) -> float:
    """The training loss with the model's parameters set to `vector` (the model keeps them)."""
    model, data = prepared.model, prepared.data
    for p, value in zip(model.params, unflatten(vector, model.params)):
        p[...] = value
    with np.errstate(all="ignore"):
        return float(prepared.loss.value(model.predict(data.X_train), data.y_train, data.w_train))


def plane_values(prepared: api.Prepared, centre: Array, d1: Array, d2: Array, alphas: Array, betas: Array) -> Array:
    """L(centre + a d1 + b d2) at every (alphas[j], betas[i]): (len(betas), len(alphas))."""
    out = np.empty((len(betas), len(alphas)))
    for i, b in enumerate(betas):
        for j, a in enumerate(alphas):
            out[i, j] = loss_at_vector(prepared, centre + a * d1 + b * d2)
    return out


def pca_directions(trajectory: Array) -> tuple[Array, Array, Array]:
    """The first two principal directions of the path's offsets from its last point (Li et al.'s
    `plot_trajectory`), the path's coordinates in them (steps+1, 2), and the share of variance each explains."""
    offsets = trajectory - trajectory[-1]
    _, singular, vt = np.linalg.svd(offsets, full_matrices=False)
    d1 = vt[0]
    d2 = vt[1] if len(vt) > 1 else np.zeros_like(d1)
    total = float(np.sum(singular**2)) or 1.0
    explained = np.array([singular[0] ** 2, singular[1] ** 2 if len(singular) > 1 else 0.0]) / total
    return np.vstack([d1, d2]), offsets @ np.vstack([d1, d2]).T, explained


@dataclass
class Slice:
    """A model with more parameters: a random-direction slice, the PCA plane of its path, the 1-D interpolation."""

    loss_label: str
    dataset_label: str
    model: str  # `MLP 16-16 tanh`
    path_label: str
    status: str
    epochs: int
    n_params: int
    n_train: int
    final_loss: float
    initial_loss: float
    span: float  # the random slice covers alpha, beta in [-span, span]
    alphas: Array
    random_values: Array  # (len(alphas), len(alphas))
    pca_a: Array
    pca_b: Array
    pca_values: Array
    path_xy: Array  # the path in PCA coordinates (steps + 1, 2); the last point is (0, 0)
    explained: Array  # (2,)
    interp_t: Array
    interp_values: Array
    final_weights: Array = field(default_factory=lambda: np.zeros(0))  # where training stopped, flattened
    direction_norms: list[tuple[Array, Array]] = field(default_factory=list)  # (per-filter norms of d1, of W)

    def to_json(self) -> dict[str, Any]:
        return {"kind": "slice", "dataset": self.dataset_label, "loss": self.loss_label, "model": self.model,
                "path": self.path_label, "status": self.status, "epochs": self.epochs, "n_params": self.n_params,
                "initial_loss": _finite_or_none(self.initial_loss), "final_loss": _finite_or_none(self.final_loss),
                "random_slice": {"span": self.span, "resolution": len(self.alphas),
                                 "min_loss": float(np.nanmin(self.random_values))},
                "pca": {"explained_variance": [float(v) for v in self.explained], "path": self.path_xy.tolist()},
                "interpolation": {"t": self.interp_t.tolist(),
                                  "loss": [_finite_or_none(float(v)) for v in self.interp_values]}}


def compute_slice(plan_: Plan, span: float = 1.0) -> Slice:
    """Train the one run from its seeded initial weights, then measure the three views of its landscape."""
    prepared = plan_.runs[0][0][1]
    model = prepared.model
    runner = api.Runner(prepared, [])
    runner.start()
    trajectory = [flatten(model.params).copy()]
    try:
        while runner.advance() is not None:
            trajectory.append(flatten(model.params).copy())
    finally:
        summary = runner.finish()
    path = np.array([t for t in trajectory if np.isfinite(t).all()])
    final = path[-1]
    shapes = [p.copy() for p in model.params]
    rng = np.random.default_rng([prepared.config.seed, 7])
    final_params = unflatten(final, shapes)
    d1_parts = filter_normalized_direction(final_params, model.is_weight, rng)
    d2_parts = filter_normalized_direction(final_params, model.is_weight, rng)
    d1, d2 = flatten(d1_parts), flatten(d2_parts)
    n = min(plan_.resolution, SLICE_RESOLUTION)
    alphas = np.linspace(-span, span, n)
    random_values = plane_values(prepared, final, d1, d2, alphas, alphas)
    directions, xy, explained = pca_directions(path)
    (low_a, high_a), (low_b, high_b) = [_padded(xy[:, k]) for k in (0, 1)]
    pca_a, pca_b = np.linspace(low_a, high_a, n), np.linspace(low_b, high_b, n)
    pca_values = plane_values(prepared, final, directions[0], directions[1], pca_a, pca_b)
    interp_t = np.linspace(-0.25, 1.25, 61)
    interp_values = np.array([loss_at_vector(prepared, (1 - t) * path[0] + t * final) for t in interp_t])
    initial_loss = loss_at_vector(prepared, path[0])
    final_loss = loss_at_vector(prepared, final)  # and the model keeps its trained weights
    norms = [(np.linalg.norm(d, axis=0), np.linalg.norm(w, axis=0))
             for d, w, weight in zip(d1_parts, final_params, model.is_weight) if weight]
    status = "diverged" if len(path) < len(trajectory) else summary.status
    return Slice(plan_.losses[0], plan_.dataset_label, model.describe(prepared.loss.task),
                 path_label(prepared.config), status, plan_.epochs, int(final.size), len(prepared.data.X_train),
                 final_loss, initial_loss, span, alphas, random_values,
                 pca_a, pca_b, pca_values, xy, explained, interp_t, interp_values, final, norms)


def _padded(values: Array, margin: float = 0.25) -> tuple[float, float]:
    low, high = float(np.min(values)), float(np.max(values))
    pad = max((high - low) * margin, 1e-3)
    return low - pad, high + pad
