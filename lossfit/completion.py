"""Shell completion for option values: registry names, comma-separated lists, data files.

typer completes the commands and option names by itself; the functions here
complete the *values* and are passed to `typer.Option(autocompletion=...)`:

    >>> complete_loss("hu")
    [('huber', 'quadratic near 0, linear beyond delta: MSE that resists outliers')]
    >>> [value for value, _ in complete_losses("mse,hu")]   # compare: the part after the last comma
    ['mse,huber']
    >>> [value for value, _ in complete_optimizers("adam,nes")]
    ['adam,nesterov']

Each candidate is `(value, one-line help)`: zsh and fish show the help next to
the value, bash shows the values only.

Completion runs on every Tab press, so this module imports nothing but the
standard library: not numpy, and not the registries (they import numpy). The
names live in the static tables below; tests/test_completion.py checks them
against the live registries, names, aliases and summaries, so they cannot go
stale: when a registry changes, that test fails and prints the table to paste.
"""

from __future__ import annotations

import os
import sys

Choice = tuple[str, str]
"""A completion candidate: the value to insert and its one-line help."""

# --- the static tables (checked against the registries by tests/test_completion.py) ---------------

LOSSES: tuple[Choice, ...] = (
    ("mse", "mean squared error: quadratic everywhere, fits the conditional mean"),
    ("mae", "mean absolute error: linear everywhere, fits the conditional median"),
    ("huber", "quadratic near 0, linear beyond delta: MSE that resists outliers"),
    ("smooth_l1", "L1 with a rounded tip of width beta (Huber / beta); gradient bounded by 1"),
    ("log_cosh", "smooth everywhere, quadratic near 0 and linear far out; gradient bounded by 1"),
    ("quantile", "pinball loss: asymmetric L1 whose minimiser is the tau-quantile"),
    ("epsilon_insensitive", "zero inside a tube of half-width epsilon, linear outside (support vector regression)"),
    ("squared_epsilon_insensitive", "zero inside a tube of half-width epsilon, quadratic outside"),
    ("poisson", "Poisson NLL on a log-rate prediction: for counts"),
    ("bce", "binary cross-entropy (log loss) on logits: logistic regression's loss"),
    ("focal", "cross-entropy scaled down on easy, well-classified examples (class imbalance)"),
    ("hinge", "linear SVM loss: zero once the margin exceeds 1, linear penalty below"),
    ("squared_hinge", "hinge squared: smooth (C1) margin loss, quadratic penalty below margin 1"),
    ("modified_huber", "squared hinge with a linear tail: smooth, robust to flipped labels, gives probabilities"),
    ("perceptron", "hinge with zero margin: penalises only misclassified points"),
    ("exponential", "AdaBoost's loss: exp(-margin), very harsh on confident mistakes"),
    ("cross_entropy", "softmax cross-entropy on logits: multinomial logistic regression's loss"),
    ("multi_margin", "Weston-Watkins multiclass hinge: every wrong class must trail the true one by a margin"),
    ("crammer_singer", "multiclass hinge on the strongest wrong class only"),
    ("kl_div", "KL divergence to soft target distributions (distillation, label distributions)"),
)

OPTIMIZERS: tuple[Choice, ...] = (
    ("sgd", "gradient descent, optionally with (Nesterov) momentum"),
    ("gd", "plain gradient descent (sgd without momentum)"),
    ("momentum", "sgd with momentum=0.9"),
    ("nesterov", "sgd with Nesterov momentum=0.9"),
    ("adagrad", "per-coordinate steps that shrink with the sum of squared gradients"),
    ("rmsprop", "steps divided by a running root-mean-square of the gradient"),
    ("adam", "bias-corrected running means of the gradient and its square"),
    ("adamw", "Adam with decoupled weight decay (default 1e-2, scaled by lr)"),
    ("nadam", "Adam with Nesterov momentum and a momentum warm-up"),
    ("radam", "Adam with a rectified adaptive step (plain momentum while ρ_t ≤ 5)"),
    ("adamax", "Adam with a running max of |g| instead of the RMS"),
    ("adadelta", "steps sized by running RMS of past updates over running RMS of gradients"),
    ("momentum_ema", "textbook momentum: v = βv + (1-β)g, θ -= ηv (= sgd(lr=η(1-β), momentum=β))"),
    ("momentum_sutskever", "velocity momentum: v = μv - ηg, θ += v (Keras SGD; = sgd while lr is constant)"),
    ("adam_eps_inside", "Adam with eps inside the square root: θ -= γ m̂ / √(v̂ + ε) (not torch)"),
    ("adam_keras_eps", "Keras Adam: α_t = η√(1-β2^t)/(1-β1^t), θ -= α_t m/(√v + ε̂) (not torch)"),
    ("rmsprop_tf", "Keras/TensorFlow RMSprop: θ -= ηg/√(v + ε), rho=0.9, eps=1e-7 (not torch)"),
)

SCHEDULES: tuple[Choice, ...] = (
    ("constant", "keep the optimizer's lr"),
    ("step", "multiply the lr by gamma every step_size epochs"),
    ("exponential", "multiply the lr by gamma every epoch"),
    ("cosine", "cosine from the base lr down to eta_min over T_max epochs"),
    ("linear", "scale the lr linearly from start_factor to end_factor (warm-up or decay)"),
    ("reduce_on_plateau", "multiply the lr by factor when the validation loss stops improving"),
    ("one_cycle", "warm up to max_lr, then anneal far below the start (momentum cycled inversely)"),
)

MODELS: tuple[Choice, ...] = (
    ("linear", "affine map X @ W + b: linear regression, linear classifier, softmax"),
    ("mlp", "hidden layers with relu, tanh or sigmoid, then a linear output"),
)

DATASETS: tuple[Choice, ...] = (  # the generators, then the bundled datasets
    ("linear", "noisy line y = 2x + 1 + N(0, 0.3^2), 1 feature"),
    ("outliers", "noisy line with 10% gross outliers against the trend, 1 feature"),
    ("polynomial", "cos(1.5 pi x) + noise, features x .. x^degree (degree 4), 30 points"),
    ("sine", "sin(2 pi x) + N(0, 0.3^2), x in [0, 1], 1 feature (Bishop, PRML)"),
    ("heavy_tailed", "line y = 2x + 1 with Student-t noise (df=2), 1 feature"),
    ("heteroscedastic", "line y = 10 + 0.5x whose noise std grows as 0.5(1 + x), x in [0, 10]"),
    ("friedman1", "Friedman #1: non-linear in 5 of 10 uniform features (make_friedman1)"),
    ("counts", "event counts y ~ Poisson(exp(x + 1)), 1 feature"),
    ("moons", "two interleaving half circles, 2 features (sklearn make_moons)"),
    ("circles", "a circle inside a circle (factor 0.5), 2 features (make_circles)"),
    ("xor", "XOR of the signs of two Gaussian features (quadrants), 2 features"),
    ("separable", "two blobs with an empty band between: linearly separable, 40 points"),
    ("imbalanced", "95/5 imbalanced binary classes, 2 features (make_classification)"),
    ("classification", "20 features: 2 informative, 2 redundant, 16 noise; 1% label noise"),
    ("blobs", "3 Gaussian clusters (std = noise), 2 features (sklearn make_blobs)"),
    ("spirals", "3 interleaved spiral arms, 2 features (cs231n case study)"),
    ("iris", "Fisher's iris: 150 flowers, 4 measurements (cm), 3 species"),
    ("wine", "178 Italian wines, 13 chemical measurements, 3 cultivars"),
    ("breast_cancer", "Wisconsin diagnostic breast cancer: 569 tumours, 30 features, benign/malignant"),
    ("penguins", "Palmer penguins: 344 birds (333 complete), island and sex one-hot, 3 species"),
    ("auto_mpg", "Auto MPG: fuel economy of 406 cars (392 complete) from 7 attributes, origin one-hot"),
    ("anscombe", "Anscombe's quartet pooled: 4 x 11 points that share the fit y = 3 + 0.5x"),
)

REGISTRIES: dict[str, tuple[Choice, ...]] = {
    "loss": LOSSES,
    "optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
    "model": MODELS,
    "dataset": DATASETS,
}
"""Registry kind -> its canonical names and summaries, in registration order."""

ALIASES: dict[str, dict[str, str]] = {
    "loss": {
        "l2": "mse", "squared_error": "mse", "l1": "mae", "pinball": "quantile", "log_loss": "bce",
        "logistic": "bce", "binary_cross_entropy": "bce", "svm": "hinge", "ce": "cross_entropy",
        "softmax": "cross_entropy",
    },
    "optimizer": {},
    "schedule": {},
    "model": {},
    "dataset": {},
}
"""Registry kind -> alias -> canonical name. Offered once the user has typed a letter."""

EXTRA: dict[str, tuple[Choice, ...]] = {
    "model": (("auto", "the model the loss's task needs (the default)"),),
}
"""Values an option accepts besides its registry's names."""

DATA_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt", ".npz")
"""Data files `--dataset` reads (lossfit.data.files.FILE_SUFFIXES)."""

PROGRESS: tuple[Choice, ...] = (
    ("auto", "a live table on a terminal, plain lines otherwise (the default)"),
    ("rich", "the live table"),
    ("plain", "plain lines"),
    ("none", "no progress output"),
)

DTYPES: tuple[Choice, ...] = (
    ("float64", "double precision, the default"),
    ("float32", "single precision: half the memory, faster on large data"),
)

TASKS: tuple[Choice, ...] = (
    ("regression", "a real-valued target"),
    ("binary", "two classes"),
    ("multiclass", "three or more classes"),
)

METRICS: tuple[Choice, ...] = (
    ("mae", "MAE (regression)"),
    ("rmse", "RMSE (regression)"),
    ("mse", "MSE (regression)"),
    ("r2", "R² (regression)"),
    ("f1", "F1 (binary, multiclass)"),
    ("accuracy", "accuracy (binary, multiclass)"),
    ("precision", "precision (binary, multiclass)"),
    ("recall", "recall (binary, multiclass)"),
    ("roc_auc", "ROC AUC (binary)"),
    ("log_loss", "log loss (binary, multiclass)"),
    ("truth_rmse", "RMSE to the noiseless truth (regression)"),
)
"""`compare --metric`: every metric, with the tasks it ranks (lossfit.comparison.TASK_METRICS)."""

MAX_PATHS = 500
"""At most this many file-system candidates: a Tab in a huge folder stays fast."""


# --- the building blocks ---------------------------------------------------------------------------

def split_last(text: str) -> tuple[str, str]:
    """Split a value list before its last element: (everything up to the last top-level comma, the rest).

    Commas inside (), [], {} and quotes do not split, as in `lossfit.spec.split_top_level`;
    unlike it, a half-typed value (an unclosed parenthesis) is no error.

    >>> split_last("mse,hu")
    ('mse,', 'hu')
    >>> split_last("huber(delta=0.5), sm")
    ('huber(delta=0.5), ', 'sm')
    >>> split_last("mlp(hidden=(16, 1")
    ('', 'mlp(hidden=(16, 1')
    """
    depth, quote, cut = 0, "", 0
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            cut = index + 1
    rest = text[cut:]
    stripped = rest.lstrip()
    return text[: cut + len(rest) - len(stripped)], stripped


def names(kind: str, prefix: str, *, exclude: frozenset[str] = frozenset()) -> list[Choice]:
    """The names of a registry (`kind`: loss, optimizer, schedule, model, dataset) that start with `prefix`.

    Canonical names first, in registration order; aliases only once something is
    typed (so an empty prefix lists each loss once). Names in `exclude`, and the
    aliases of excluded names, are left out.

    >>> names("loss", "l")
    [('log_cosh', 'smooth everywhere, quadratic near 0 and linear far out; gradient bounded by 1'), \
('l2', 'alias of mse'), ('l1', 'alias of mae'), ('log_loss', 'alias of bce'), ('logistic', 'alias of bce')]
    """
    aliases = ALIASES.get(kind, {})
    chosen = exclude | {aliases[name] for name in exclude if name in aliases}
    out = [(name, text) for name, text in (*EXTRA.get(kind, ()), *REGISTRIES[kind])
           if name.startswith(prefix) and name not in chosen]
    if prefix:
        out += [(alias, f"alias of {name}") for alias, name in aliases.items()
                if alias.startswith(prefix) and name not in chosen and alias not in chosen]
    return out


def paths(incomplete: str, suffixes: tuple[str, ...] = (), *, dirs_only: bool = False,
          look_inside: bool = True) -> list[Choice]:
    """Files ending in one of `suffixes` (any case) and folders whose path starts with `incomplete`.

    Folders end in `/`. Hidden entries appear only once a `.` is typed. When the
    only match is a folder (and `look_inside`), its entries are listed with it,
    so that bash and zsh insert the folder without a trailing space and the next
    Tab goes inside it.
    """
    head, base = os.path.split(incomplete)
    where = os.path.expanduser(head) if head else "."
    out: list[Choice] = []
    try:
        with os.scandir(where) as entries:
            for entry in entries:
                name = entry.name
                if not name.startswith(base) or (name.startswith(".") and not base.startswith(".")):
                    continue
                value = os.path.join(head, name) if head else name
                try:
                    is_dir = entry.is_dir()
                except OSError:  # a dangling link, no permission
                    continue
                if is_dir:
                    out.append((value + "/", "folder"))
                elif not dirs_only and name.lower().endswith(suffixes):
                    out.append((value, "file"))
                if len(out) >= MAX_PATHS:
                    break
    except OSError:  # no such folder, not a folder, no permission
        return []
    out.sort()
    if look_inside and len(out) == 1 and out[0][0].endswith("/"):
        out += paths(out[0][0], suffixes, dirs_only=dirs_only, look_inside=False)
    return out


def values(kind: str, incomplete: str, *, several: bool = False) -> list[Choice]:
    """Candidates for an option taking a `kind` name; with `several`, a comma-separated list of them.

    A list is completed after its last top-level comma, and the values already
    given are not offered again. A loss may also be a `path/to/file.py:function`:
    once the value looks like a path (it has a `/` or starts with `.` or `~`), its
    `.py` files and folders are offered. A dataset is also a data file: its files
    (.csv, .tsv, .txt, .npz) and folders are always offered with the names.
    """
    head, fragment = split_last(incomplete) if several else ("", incomplete)
    if "(" in fragment or (kind == "loss" and ":" in fragment):  # in a spec's arguments; a custom loss's function
        return []
    exclude = frozenset(_earlier(head))
    found = [] if _looks_like_path(fragment) else names(kind, fragment, exclude=exclude)
    if kind == "dataset":
        found += paths(fragment, DATA_SUFFIXES, look_inside=not found)
    elif kind == "loss" and _looks_like_path(fragment):
        found += paths(fragment, (".py",))
    return [(head + value, _printable(text)) for value, text in found]


def _earlier(head: str) -> list[str]:
    """The names of the values before the last comma (their spec arguments stripped)."""
    out, rest = [], head.rstrip().rstrip(",")
    while rest:
        rest, last = split_last(rest)
        out.append(last.split("(", 1)[0].strip().strip("'\""))
        rest = rest.rstrip().rstrip(",")
    return out


def _looks_like_path(fragment: str) -> bool:
    return "/" in fragment or fragment.startswith((".", "~")) or os.sep in fragment


def _printable(text: str) -> str:
    """The help as the shell can show it.

    typer's zsh output loses a plain apostrophe (`Fisher's` shows as `Fishers`), so
    it becomes a typographic one; a stream that cannot encode it, or θ and √ (a C
    locale), gets ASCII with `?` for the rest, rather than a traceback on Tab.
    """
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    shown = text.replace("'", "\u2019")
    try:
        shown.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return text.encode("ascii", "replace").decode("ascii")
    return shown


def _static(choices: tuple[Choice, ...], incomplete: str) -> list[Choice]:
    return [(value, _printable(text)) for value, text in choices if value.startswith(incomplete)]


# --- the callbacks for typer.Option(autocompletion=...) --------------------------------------------
# typer passes the text typed so far as `incomplete` (found by its `str` annotation).

def complete_loss(incomplete: str) -> list[Choice]:
    """`train --loss`: one loss name, or a custom loss file."""
    return values("loss", incomplete)


def complete_losses(incomplete: str) -> list[Choice]:
    """`compare --loss`: a comma-separated list of losses."""
    return values("loss", incomplete, several=True)


def complete_optimizer(incomplete: str) -> list[Choice]:
    """`train --optimizer`."""
    return values("optimizer", incomplete)


def complete_optimizers(incomplete: str) -> list[Choice]:
    """`compare --optimizer`: a comma-separated list."""
    return values("optimizer", incomplete, several=True)


def complete_schedule(incomplete: str) -> list[Choice]:
    """`train --schedule`."""
    return values("schedule", incomplete)


def complete_schedules(incomplete: str) -> list[Choice]:
    """`compare --schedule`: a comma-separated list."""
    return values("schedule", incomplete, several=True)


def complete_model(incomplete: str) -> list[Choice]:
    """`train --model`: auto, linear, mlp."""
    return values("model", incomplete)


def complete_models(incomplete: str) -> list[Choice]:
    """`compare --model`: a comma-separated list."""
    return values("model", incomplete, several=True)


def complete_dataset(incomplete: str) -> list[Choice]:
    """`--dataset` (train and compare: one value): a generator, a bundled dataset, or a data file."""
    return values("dataset", incomplete)


def complete_config(incomplete: str) -> list[Choice]:
    """`--config`: .toml files and folders."""
    return paths(incomplete, (".toml",))


def complete_out(incomplete: str) -> list[Choice]:
    """`--out`: folders (the run folder itself is new, so only its parent can be completed)."""
    return paths(incomplete, dirs_only=True)


def complete_progress(incomplete: str) -> list[Choice]:
    """`--progress`: auto, rich, plain, none."""
    return _static(PROGRESS, incomplete)


def complete_dtype(incomplete: str) -> list[Choice]:
    """`--dtype`: float64, float32."""
    return _static(DTYPES, incomplete)


def complete_task(incomplete: str) -> list[Choice]:
    """`--task`: regression, binary, multiclass."""
    return _static(TASKS, incomplete)


def complete_metric(incomplete: str) -> list[Choice]:
    """`compare --metric`: the metric that ranks the variants."""
    return _static(METRICS, incomplete)
