"""The help text of every run option, shared by `train` and `compare` (which accepts several values for some).

Pure text: importing this costs nothing.
"""

SPEC_HELP = "NAME or NAME(key=value, ...)"

HELP = {
    "loss": f"Loss, {SPEC_HELP}, e.g. mse, 'huber(delta=0.5)', or your own path/to/file.py:function (loading a .py file runs its code: only load files you trust). [default: follows the dataset's task: mse, bce or cross_entropy; mse without --dataset]",
    "dataset": f"Dataset: a generator ({SPEC_HELP}, e.g. 'moons(noise=0.3)'), a bundled dataset (iris, wine, penguins, ...; see `lossfit datasets`) or a .csv/.npz file. [default: follows the loss's task: linear, moons or blobs]",
    "model": "Model; 'auto' picks the one the loss's task needs. [default: auto]",
    "optimizer": f"Optimizer, {SPEC_HELP}, e.g. 'sgd(momentum=0.9)'. [default: sgd]",
    "lr": "Learning rate. [default: 0.1]",
    "epochs": "Passes over the training data. [default: 200]",
    "batch_size": "Samples per step, or 'full' for plain gradient descent. [default: full]",
    "seed": "Seed for data, split, initialisation and batches. [default: 0]",
    "val_split": "Fraction held out for validation; 0 trains on everything. [default: 0.2]",
    "schedule": f"Learning-rate schedule, {SPEC_HELP}, e.g. 'cosine(T_max=100)'. [default: constant]",
    "l2": "L2 penalty (l2/2)*||w||^2 on the weights (not biases). [default: 0]",
    "l1": "L1 penalty l1*||w||_1 on the weights (not biases). [default: 0]",
    "clip_grad": "Rescale the gradient to this norm when it is larger; 0 is off. [default: 0]",
    "early_stopping": "Stop after this many epochs without improvement of the validation loss (the training loss with --val-split 0) and restore the best weights; 0 is off. [default: 0]",
    "min_delta": "Smallest decrease that counts as an improvement for --early-stopping. [default: 0]",
    "class_weight": "Per-class sample weights: 'balanced' (n / (k * n_c)) or 'w0,w1,...'.",
    "target": "Data files: the target column, by name or index. [default: the last column]",
    "features": "Data files: feature columns, 'a,b,c'. [default: all other columns]",
    "header": "Data files: whether the first row is a header. [default: detected]",
    "task": "Data files: regression, binary or multiclass. [default: inferred from the target]",
    "standardize": "Scale features to mean 0, std 1 on the training split; --no-standardize keeps their own units (see why scaling matters). [default: standardize]",
    "dtype": "Floating-point type of the data, weights and optimizer state: float64, or float32 (half the memory, faster on large data, about 7 significant digits). [default: float64]",
    "out": "Run folder to create. [default: runs/<dataset>-<loss>-<optimizer>-<time>]",
    "config": "TOML file with the same keys as these options; options given here win.",
    "progress": "auto (a live table on a terminal, plain lines otherwise), rich, plain or none. [default: auto]",
    "json_output": "Print the run summary (metrics.json) as JSON on stdout.",
    "plot": "Draw the PNG plots into the run folder. [default: plot]",
    "animate": "Also write an animated GIF of the training to this path (.gif): the fit or decision boundary beside the loss curve so far, drawn after the run.",
    "frames": "Frames in the --animate GIF: snapshots every k epochs, from the first epoch to the last. [default: 100]",
}
