"""Losses written by the user: `--loss path/to/file.py:name`.

Loading a file RUNS ITS CODE, like `python file.py` would: only load files you trust.

The file defines, at module level, one of:

- a function `name(y_pred, y_true)` returning the per-element losses (an array
  shaped like `y_pred`: one loss per element, NOT their mean), and optionally
  `name_grad(y_pred, y_true)` returning d loss_i / d y_pred_i, element by element;
- a class `name` (built with no arguments) whose instances have
  `__call__(y_pred, y_true)` (per-element losses) and optionally `grad(y_pred, y_true)`.

lossfit takes the mean, exactly as for its own losses, so `grad` is divided by
the number of elements for you. Without a gradient lossfit differentiates
numerically, element by element (central differences, two extra calls per step:
element i of the losses must depend on y_pred[i] only), and warns once with a
`NumericalGradientWarning` (the `warnings` module).

The task is regression unless the file says otherwise: a module-level
`TASK = "binary"` (or `"multiclass"`), or a `task` attribute on the function or
class, which wins. Binary losses receive raw scores and labels in {0, 1};
multiclass losses receive (n, k) logits and (n,) class indices and return one
loss per row (their gradient is (n, k)).

    # asym.py: over-predicting costs twice as much as under-predicting
    import numpy as np

    def asym(y_pred, y_true):
        r = y_pred - y_true
        return np.where(r > 0, 2.0, 1.0) * r**2

    $ lossfit train --loss asym.py:asym --dataset outliers

The spec `asym.py:asym` is recorded as is in config.toml (a relative path is
read from the working folder), so `--config` reproduces the run.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import traceback
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

import numpy as np

from lossfit._typing import TASKS, Array
from lossfit.errors import ConfigError, LossfitError, SpecError
from lossfit.losses.base import Loss
from lossfit.losses.binary import BinaryLoss
from lossfit.losses.multiclass import MulticlassLoss
from lossfit.losses.regression import RegressionLoss

LOADS_CODE_NOTE = "Loading a .py file runs its code: only load files you trust."
_FAMILIES: dict[str, type[Loss]] = {"regression": RegressionLoss, "binary": BinaryLoss, "multiclass": MulticlassLoss}


class NumericalGradientWarning(UserWarning):
    """A custom loss has no gradient function: lossfit differentiates it numerically."""


def is_custom_spec(text: str) -> bool:
    """True for `path/to/file.py:name` (the part before the last colon ends with .py)."""
    path, colon, _ = text.strip().rpartition(":")
    return bool(colon) and path.lower().endswith(".py")


def looks_like_path(text: str) -> bool:
    """A spec that is clearly meant as a file (a .py, a slash, or a colon), custom or not."""
    text = text.strip()
    return ":" in text or text.lower().endswith(".py") or "/" in text or "\\" in text


@dataclass(frozen=True)
class CustomLoss(Loss):
    """A user-defined loss: per-element values from user code, mean and checks from lossfit.

    Each loaded loss gets its own subclass (the family's target checks, its
    `name` and `task`), see `load`.
    """

    spec: str
    path: Path = field(compare=False)
    function: Callable[..., Any] = field(compare=False, repr=False)
    grad_function: Callable[..., Any] | None = field(default=None, compare=False, repr=False)

    numerical_gradient: ClassVar[bool] = False

    def pointwise(self, y_pred: Array, y_true: Any) -> tuple[Array, Array]:
        values = self._values(y_pred, y_true)
        if self.grad_function is None:
            from lossfit.gradcheck import elementwise_derivative

            derivative = elementwise_derivative(lambda p: self._values(p, y_true), y_pred)
        else:
            derivative = self._call(self.grad_function, "gradient", y_pred, y_true, y_pred.shape)
        return values, np.array(derivative, dtype=np.float64)

    def _values(self, y_pred: Array, y_true: Any) -> Array:
        shape = (y_pred.shape[0],) if self.task == "multiclass" else y_pred.shape
        return self._call(self.function, "loss", y_pred, y_true, shape)

    def _call(self, fn: Callable[..., Any], what: str, y_pred: Array, y_true: Any, shape: tuple[int, ...]) -> Array:
        where = f"{self.spec}"
        try:
            out = fn(y_pred, y_true)
        except LossfitError:
            raise
        except (Exception, SystemExit, KeyboardInterrupt) as err:  # user code never decides how lossfit ends
            raise ConfigError(
                f"custom loss {where}: its {what} function raised {_describe_exception(err, self.path)}; "
                "fix the function (it gets numpy arrays y_pred, y_true)."
            ) from None
        try:
            array = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConfigError(
                f"custom loss {where}: its {what} function returned {type(out).__name__}, not numbers; "
                "return a numpy array."
            ) from None
        except (Exception, SystemExit, KeyboardInterrupt) as err:  # e.g. ints too large for a float
            raise ConfigError(
                f"custom loss {where}: its {what} function returned {type(out).__name__}, which cannot be read as "
                f"float64 numbers ({_describe_exception(err, self.path)}); return a numpy array of floats."
            ) from None
        if array.shape != shape:
            hint = (" (a single number: return one loss per element, not their mean)" if array.ndim == 0
                    else "")
            raise ConfigError(
                f"custom loss {where}: its {what} function returned shape {array.shape}{hint}; "
                f"expected {shape} for this y_pred of shape {y_pred.shape}: {_shape_rule(self.task, what)}."
            )
        return array


def _shape_rule(task: str, what: str) -> str:
    if task == "multiclass" and what == "loss":
        return "one loss per row of the (n, k) logits"
    return "one value per element of y_pred"


def _describe_exception(err: BaseException, path: Path) -> str:
    """`ZeroDivisionError: division by zero at my.py line 4` (the innermost frame in the user's file)."""
    line = ""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if Path(frame.filename).resolve() == path.resolve():
            line = f" at {path.name} line {frame.lineno}"
            break
    message = str(err).splitlines()[0] if str(err) else ""
    return f"{type(err).__name__}{': ' + message if message else ''}{line}"


def load(spec: str, **kwargs: Any) -> CustomLoss:
    """Load `path/to/file.py:name` as a lossfit loss (runs the file's code)."""
    spec = spec.strip()
    if kwargs:
        raise SpecError(
            f"custom loss {spec} takes no parameters (got {', '.join(sorted(kwargs))}); "
            "set them inside the file."
        )
    text_path, _, name = spec.rpartition(":")
    path = Path(text_path).expanduser()
    if not name.isidentifier():
        raise SpecError(
            f"custom loss {spec}: `{name}` is not a Python name; write path/to/file.py:function_name."
        )
    if not path.exists():
        raise ConfigError(
            f"custom loss {spec}: file {text_path} not found (looked in {Path.cwd()}); "
            "check the path, relative to the working folder."
        )
    if not path.is_file():
        raise ConfigError(f"custom loss {spec}: {text_path} is not a file; give a .py file.")
    module = _run_module(spec, path)
    obj = getattr(module, name, None)
    if obj is None:
        defined = sorted(
            key for key, value in vars(module).items()
            if not key.startswith("_") and callable(value) and getattr(value, "__module__", None) == module.__name__
        )
        listing = f" It defines: {', '.join(defined)}." if defined else " It defines no functions."
        raise ConfigError(f"custom loss {spec}: {path.name} has no function or class `{name}`.{listing}")
    if inspect.isclass(obj):
        try:
            instance = obj()
        except (Exception, SystemExit, KeyboardInterrupt) as err:  # user code never decides how lossfit ends
            raise ConfigError(
                f"custom loss {spec}: building class {name}() raised {_describe_exception(err, path)}; "
                "the class must be constructible without arguments."
            ) from None
        if not callable(instance):
            raise ConfigError(f"custom loss {spec}: class {name} has no __call__(y_pred, y_true) method.")
        function: Callable[..., Any] = instance
        grad = getattr(instance, "grad", None)
        doc_owner: Any = obj
    elif callable(obj):
        function = obj
        grad = getattr(module, f"{name}_grad", None)
        if grad is None and not inspect.isroutine(obj):  # an instance: its own grad method, if any
            grad = getattr(obj, "grad", None)
        doc_owner = obj
    else:
        raise ConfigError(
            f"custom loss {spec}: `{name}` in {path.name} is not a function or class "
            f"(it is a {type(obj).__name__} value); name the loss function after the colon."
        )
    if grad is not None and not callable(grad):
        raise ConfigError(f"custom loss {spec}: `{name}_grad` in {path.name} is not a function.")
    task = getattr(obj, "task", None) or getattr(module, "TASK", None) or "regression"
    if task not in TASKS:
        raise ConfigError(
            f"custom loss {spec}: task {task!r} is not one of {', '.join(TASKS)}; "
            "set TASK = \"regression\", \"binary\" or \"multiclass\" in the file."
        )
    summary = (inspect.getdoc(doc_owner) or "").strip().splitlines()
    cls = _loss_class(name, task, grad is None, summary[0] if summary else "", spec)
    loss = cls(spec=spec, path=path, function=function, grad_function=grad)
    _probe(loss)
    if grad is None:
        line = _definition_line(obj)
        warnings.warn_explicit(
            f"custom loss {spec} has no gradient ({name}_grad or a grad method): lossfit differentiates "
            "it numerically, element by element (central differences, 2 extra calls per step).",
            NumericalGradientWarning, filename=str(path), lineno=line, module=module.__name__,
        )
    return loss


def _definition_line(obj: Any) -> int:
    try:
        return inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        return 1


def _loss_class(name: str, task: str, numerical: bool, summary: str, spec: str) -> type[CustomLoss]:
    family = _FAMILIES[task]
    namespace: dict[str, Any] = {
        "name": name,
        "task": task,
        "numerical_gradient": numerical,
        "summary": summary or f"custom loss from {spec}",
        "formula": f"L = {name}(y_pred, y_true)   (user code in {spec})",
        "gradient": (f"dL/dy_pred = numerical central difference of {name}, per element" if numerical
                     else f"dL/dy_pred = {name}'s gradient function (user code)"),
        "convex": False,  # unknown: claim nothing
        "smooth": "unknown (user code)",
        "robust": False,
        "probability_link": "none",
        "bayes_optimal": "unknown (user code)",
        "when_to_use": "your own experiments",
        "pitfalls": "check the gradient with `lossfit gradcheck " + spec + "`",
        "related": (),
        "__module__": __name__,
        "__qualname__": f"CustomLoss[{name}]",
    }
    if task == "binary":
        namespace["labels"] = "labels"  # {0, 1} only: the function sees exactly what the data holds
        namespace["target_domain"] = "labels in {0, 1}, shape (n,) like y_pred (raw scores)"
    return type(f"CustomLoss[{name}]", (CustomLoss, family), namespace)


def _probe(loss: CustomLoss) -> None:
    """Call the user's functions once on typical inputs: fail now, not mid-training."""
    from lossfit.gradcheck import target_candidates

    rng = np.random.default_rng(0)
    k = 3
    shape = (6, k) if loss.task == "multiclass" else (6,)
    first: LossfitError | None = None
    for raw in target_candidates(loss.task, 6, k, rng)[:2]:
        try:
            target = loss.prepare_targets(raw, n_classes=k if loss.task == "multiclass" else None)
        except LossfitError:
            continue
        y_pred = rng.normal(0.0, 1.0, shape) + (target if loss.task == "regression" else 0.0)
        try:
            with np.errstate(all="ignore"):  # non-finite results are reported below, in one line
                values, derivative = loss.pointwise(y_pred, target)
        except LossfitError as err:
            first = first or err
            continue
        bad = "losses" if not np.all(np.isfinite(values)) else ("gradient" if not np.all(np.isfinite(derivative)) else None)
        if bad is None:
            return
        first = first or ConfigError(
            f"custom loss {loss.spec}: it returned NaN or inf {bad} for ordinary inputs "
            f"(y_pred near the targets); make it finite (e.g. np.log1p, np.logaddexp instead of log(1 + exp))."
        )
    assert first is not None
    raise first


def _run_module(spec: str, path: Path) -> Any:
    if path.suffix.lower() != ".py":
        raise ConfigError(f"custom loss {spec}: {path.name} is not a .py file; write path/to/file.py:name.")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    module_name = f"lossfit_custom_{path.stem}_{digest}"
    module = types.ModuleType(module_name)
    module.__file__ = str(path)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up here
    try:
        source = path.read_text(encoding="utf-8")
        # compile + exec rather than an import: no __pycache__ is written next to the user's file
        exec(compile(source, str(path), "exec"), module.__dict__)
    except SyntaxError as err:
        sys.modules.pop(module_name, None)
        raise ConfigError(
            f"custom loss {spec}: {path.name} line {err.lineno}: syntax error ({err.msg}); fix the file."
        ) from None
    except UnicodeDecodeError:
        sys.modules.pop(module_name, None)
        raise ConfigError(f"custom loss {spec}: {path.name} is not UTF-8 text; save it as UTF-8.") from None
    except (Exception, SystemExit, KeyboardInterrupt) as err:  # user code never decides how lossfit ends
        sys.modules.pop(module_name, None)
        raise ConfigError(
            f"custom loss {spec}: running {path.name} raised {_describe_exception(err, path)}; fix the file."
        ) from None
    return module
