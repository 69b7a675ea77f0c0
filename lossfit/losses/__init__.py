"""The loss registry: every loss lossfit knows, by name.

    >>> from lossfit import losses
    >>> loss = losses.get("huber(delta=0.5)")
    >>> losses.spec_of(loss)
    'huber(delta=0.5)'
    >>> losses.get("l2").name                  # aliases resolve to the canonical name
    'mse'
    >>> losses.for_task("multiclass")
    ['cross_entropy', 'multi_margin', 'crammer_singer', 'kl_div']

Every loss is called prediction first: `loss(y_pred, y_true)` is the mean,
`loss.grad(y_pred, y_true)` its gradient in y_pred (see `lossfit.losses.base`).
"""

from __future__ import annotations

from typing import Any

from lossfit._typing import TASKS
from lossfit.errors import ConfigError, SpecError
from lossfit.losses.base import Loss
from lossfit.losses.binary import (
    BCE,
    Exponential,
    Focal,
    Hinge,
    ModifiedHuber,
    Perceptron,
    SquaredHinge,
)
from lossfit.losses.multiclass import CrammerSinger, CrossEntropy, KLDiv, MultiMargin
from lossfit.losses.regression import (
    MAE,
    MSE,
    EpsilonInsensitive,
    Huber,
    LogCosh,
    Poisson,
    Quantile,
    SmoothL1,
    SquaredEpsilonInsensitive,
)
from lossfit.registry import Registry
from lossfit.spec import check_limits, shorten


def get(name: str, **kwargs: Any) -> Loss:
    """Build a loss from its name (or alias) and keyword arguments, or from a spec string.

    `get("huber", delta=0.5)` and `get("huber(delta=0.5)")` are the same loss.
    Unknown names raise UnknownNameError with a suggestion; unknown or ill-typed
    keys raise SpecError; out-of-range values raise ConfigError.

    `get("path/to/file.py:name")` loads a custom loss from a Python file, running
    its code (see `lossfit.custom_loss`).
    """
    if "(" not in name and (":" in name or name.strip().lower().endswith(".py")):
        from lossfit import custom_loss  # only when asked for: it runs user code

        check_limits(name, "loss", limit=4096)  # a path may be long, not unbounded
        if not custom_loss.is_custom_spec(name):
            path = name.strip().rpartition(":")[0]
            what = f"{shorten(path)} is not a .py file" if path else "no function name after the file"
            raise SpecError(
                f"Cannot read loss `{shorten(name)}`: {what}; a custom loss is written path/to/file.py:name, "
                "e.g. my_losses.py:asym (a .py file, a colon, the function's name)."
            )
        return custom_loss.load(name, **kwargs)
    return registry.from_spec(name, **kwargs)


def names() -> list[str]:
    """Canonical loss names, in registration order."""
    return registry.names()


def spec_of(loss: Loss) -> str:
    """The spec string that rebuilds `loss`, e.g. 'huber(delta=0.5)' (or 'my.py:asym' for a custom loss)."""
    if type(loss).__module__ == "lossfit.custom_loss":  # a custom loss: its file.py:name, absolute
        name = str(loss.spec).rpartition(":")[2]  # type: ignore[attr-defined]
        return f"{loss.path.resolve()}:{name}"  # type: ignore[attr-defined]  # reruns from any folder
    return registry.resolved_spec(loss.name, loss)


def for_task(task: str) -> list[str]:
    """Canonical names of the losses for a task: 'regression', 'binary' or 'multiclass'."""
    if task not in TASKS:
        raise ConfigError(f"Unknown task `{task}`. Expected one of: {', '.join(TASKS)}.")
    return [entry.name for entry in registry if getattr(entry.factory, "task", None) == task]


# The registry: one explicit list, in the order `lossfit losses` shows them.
registry: Registry[Loss] = Registry("loss")
# regression
registry.register("mse", MSE, aliases=("l2", "squared_error"), summary=MSE.summary)
registry.register("mae", MAE, aliases=("l1",), summary=MAE.summary)
registry.register("huber", Huber, summary=Huber.summary)
registry.register("smooth_l1", SmoothL1, summary=SmoothL1.summary)
registry.register("log_cosh", LogCosh, summary=LogCosh.summary)
registry.register("quantile", Quantile, aliases=("pinball",), summary=Quantile.summary)
registry.register("epsilon_insensitive", EpsilonInsensitive, summary=EpsilonInsensitive.summary)
registry.register(
    "squared_epsilon_insensitive", SquaredEpsilonInsensitive, summary=SquaredEpsilonInsensitive.summary
)
registry.register("poisson", Poisson, summary=Poisson.summary)
# binary
registry.register(
    "bce", BCE, aliases=("log_loss", "logistic", "binary_cross_entropy"), summary=BCE.summary
)
registry.register("focal", Focal, summary=Focal.summary)
registry.register("hinge", Hinge, aliases=("svm",), summary=Hinge.summary)
registry.register("squared_hinge", SquaredHinge, summary=SquaredHinge.summary)
registry.register("modified_huber", ModifiedHuber, summary=ModifiedHuber.summary)
registry.register("perceptron", Perceptron, summary=Perceptron.summary)
registry.register("exponential", Exponential, summary=Exponential.summary)
# multiclass
registry.register("cross_entropy", CrossEntropy, aliases=("ce", "softmax"), summary=CrossEntropy.summary)
registry.register("multi_margin", MultiMargin, summary=MultiMargin.summary)
registry.register("crammer_singer", CrammerSinger, summary=CrammerSinger.summary)
registry.register("kl_div", KLDiv, summary=KLDiv.summary)

__all__ = ["Loss", "for_task", "get", "names", "registry", "spec_of"]
