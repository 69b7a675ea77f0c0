"""Loss templates for `--to torch`: the run's loss as `torch.nn` / `torch.nn.functional` code.

One entry per registry name in `TEMPLATES`, returning a `TorchLoss`: either a
`torch.nn` class with its arguments (`nn.HuberLoss(delta=0.5)`), or, for a loss
torch lacks (focal, log_cosh, quantile, the margin losses...), the few lines of
torch ops that compute it, one value per element (one per row for multiclass
losses). Autograd differentiates them; where a loss has a kink, the ops are
chosen so that autograd's subgradient is lossfit's (stated in a comment).
`code` adds the reduction: torch's mean, or the weighted mean sum(w L)/sum(w)
when the run has class weights (per-sample weights, as lossfit applies them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lossfit.errors import ConfigError
from lossfit.export._losses import LossContext
from lossfit.export._text import indent, num


@dataclass(frozen=True)
class TorchLoss:
    """A `torch.nn` loss (`module` with `args`), or the definition of a function `name(out, y)` (`lines`)."""

    module: str = ""  # e.g. "nn.HuberLoss"
    args: list[str] = field(default_factory=list)  # e.g. ["delta=0.5"]
    name: str = ""  # the written function's name
    lines: list[str] = field(default_factory=list)  # its definition (constants first)
    functional: bool = False  # the code uses F (torch.nn.functional)


def _nn(module: str, *args: str) -> TorchLoss:
    return TorchLoss(module=module, args=list(args))


def _written(name: str, doc: str, body: list[str], *consts: str, functional: bool = False) -> TorchLoss:
    head = [*consts, "", ""] if consts else []
    return TorchLoss(name=name, lines=[*head, f"def {name}(out, y):", f'    """{doc}"""', *indent(body)],
                     functional=functional)


# ---------------------------------------------------------------- regression
def mse(loss: Any) -> TorchLoss:
    return _nn("nn.MSELoss")


def mae(loss: Any) -> TorchLoss:
    return _nn("nn.L1Loss")  # its gradient at r = 0 is 0, as lossfit's sign(0)


def huber(loss: Any) -> TorchLoss:
    return _nn("nn.HuberLoss", f"delta={num(loss.delta)}")


def smooth_l1(loss: Any) -> TorchLoss:
    return _nn("nn.SmoothL1Loss", f"beta={num(loss.beta)}")


def log_cosh(loss: Any) -> TorchLoss:
    return _written("log_cosh_loss", "log(cosh(r)), r = out - y, per element (torch has no log-cosh loss).", [
        "r = out - y",
        "# log(cosh r) = log((e^r + e^-r) / 2) = logaddexp(r, -r) - log 2: no overflow for large |r|",
        "return torch.logaddexp(r, -r) - math.log(2.0)",
    ])


def quantile(loss: Any) -> TorchLoss:
    return _written("quantile_loss", "The pinball loss max(tau u, (tau - 1) u), u = y - out, per element.", [
        "u = y - out",
        "# torch.where, not torch.maximum: at u = 0 the gradient is -tau (lossfit's choice; maximum would average)",
        "return torch.where(u >= 0, TAU * u, (TAU - 1.0) * u)",
    ], f"TAU = {num(loss.tau)}")


def epsilon_insensitive(loss: Any) -> TorchLoss:
    return _written("epsilon_insensitive_loss", "max(0, |r| - epsilon), r = out - y, per element.", [
        "return F.relu((out - y).abs() - EPSILON)  # relu's gradient at 0 is 0: the tube's edge has gradient 0",
    ], f"EPSILON = {num(loss.epsilon)}", functional=True)


def squared_epsilon_insensitive(loss: Any) -> TorchLoss:
    return _written("squared_epsilon_insensitive_loss", "max(0, |r| - epsilon)**2, r = out - y, per element.", [
        "return F.relu((out - y).abs() - EPSILON) ** 2",
    ], f"EPSILON = {num(loss.epsilon)}", functional=True)


def poisson(loss: Any) -> TorchLoss:
    return _nn("nn.PoissonNLLLoss", "log_input=True")  # exp(out) - y out: out is the log of the rate


# ---------------------------------------------------------------- binary
def bce(loss: Any) -> TorchLoss:
    if loss.pos_weight is None:
        return _nn("nn.BCEWithLogitsLoss")
    return _nn("nn.BCEWithLogitsLoss", f"pos_weight=torch.tensor({num(loss.pos_weight)})")


_MARGIN = "m = (2.0 * y - 1.0) * out  # the margin, with the labels {0, 1} as {-1, +1}"


def focal(loss: Any) -> TorchLoss:
    consts = [f"GAMMA = {num(loss.gamma)}"] + ([] if loss.alpha is None else [f"ALPHA = {num(loss.alpha)}"])
    body = [
        _MARGIN,
        "ce = -F.logsigmoid(m)  # -log p_t: the cross-entropy",
        "# (1 - p_t)**gamma, as exp(gamma log(1 - p_t)) = exp(gamma logsigmoid(-m)): finite for easy examples",
        "modulator = torch.exp(GAMMA * F.logsigmoid(-m))",
    ]
    if loss.alpha is None:
        body.append("return modulator * ce")
    else:
        body += ["alpha_t = ALPHA * y + (1.0 - ALPHA) * (1.0 - y)", "return alpha_t * modulator * ce"]
    return _written("focal_loss", "The focal loss (torchvision's sigmoid_focal_loss), per element.", body, *consts,
                    functional=True)


def hinge(loss: Any) -> TorchLoss:
    return _written("hinge_loss", "max(0, 1 - m), m = the margin, per element.", [
        _MARGIN,
        "return torch.clamp(1.0 - m, min=0.0)  # clamp passes the gradient at m = 1: the kink counts as active",
    ])


def squared_hinge(loss: Any) -> TorchLoss:
    return _written("squared_hinge_loss", "max(0, 1 - m)**2, m = the margin, per element.", [
        _MARGIN,
        "return torch.clamp(1.0 - m, min=0.0) ** 2",
    ])


def modified_huber(loss: Any) -> TorchLoss:
    return _written("modified_huber_loss", "max(0, 1 - m)**2 for m >= -1, else -4 m; per element.", [
        _MARGIN,
        "return torch.where(m >= -1.0, torch.clamp(1.0 - m, min=0.0) ** 2, -4.0 * m)",
    ])


def perceptron(loss: Any) -> TorchLoss:
    return _written("perceptron_loss", "max(0, -m), m = the margin, per element.", [
        _MARGIN,
        "return torch.clamp(-m, min=0.0)  # the gradient passes at m = 0: a run started at 0 still moves",
    ])


def exponential(loss: Any) -> TorchLoss:
    return _written("exponential_loss", "exp(-m), m = the margin, per element (the AdaBoost loss).", [
        _MARGIN,
        "return torch.exp(-m)",
    ])


# ---------------------------------------------------------------- multiclass
def cross_entropy(loss: Any) -> TorchLoss:
    args = []
    if loss.class_weight is not None:
        args.append(f"weight=torch.tensor([{', '.join(num(w) for w in loss.class_weight)}])")
    if loss.label_smoothing:
        args.append(f"label_smoothing={num(loss.label_smoothing)}")
    return _nn("nn.CrossEntropyLoss", *args)


def multi_margin(loss: Any) -> TorchLoss:
    args = ([f"p={loss.p}"] if loss.p != 1 else []) + ([f"margin={num(loss.margin)}"] if loss.margin != 1 else [])
    return _nn("nn.MultiMarginLoss", *args)  # divides each row by the number of classes, as lossfit


def crammer_singer(loss: Any) -> TorchLoss:
    return _written("crammer_singer_loss", "max(0, 1 + max_{j != t} z_j - z_t), one per row (Crammer-Singer).", [
        "true = out.gather(1, y[:, None])[:, 0]  # z_t",
        "# the strongest wrong class: the true class masked with -inf (the first index wins a tie, as in lossfit)",
        "rival = out.masked_fill(F.one_hot(y, out.shape[1]).bool(), -math.inf).max(dim=1).values",
        "return torch.clamp(1.0 + rival - true, min=0.0)",
    ], functional=True)


def kl_div(loss: Any) -> TorchLoss:
    return _written("kl_div_loss", "KL(q || softmax(out)) for probability rows q = y, one per row.", [
        '# summed over the classes: its mean over the rows is nn.KLDivLoss(reduction="batchmean")',
        'return F.kl_div(F.log_softmax(out, dim=1), y, reduction="none").sum(dim=1)',
    ], functional=True)


Template = Callable[[Any], TorchLoss]

TEMPLATES: dict[str, Template] = {
    "mse": mse, "mae": mae, "huber": huber, "smooth_l1": smooth_l1, "log_cosh": log_cosh,
    "quantile": quantile, "epsilon_insensitive": epsilon_insensitive,
    "squared_epsilon_insensitive": squared_epsilon_insensitive, "poisson": poisson,
    "bce": bce, "focal": focal, "hinge": hinge, "squared_hinge": squared_hinge,
    "modified_huber": modified_huber, "perceptron": perceptron, "exponential": exponential,
    "cross_entropy": cross_entropy, "multi_margin": multi_margin, "crammer_singer": crammer_singer,
    "kl_div": kl_div,
}


def template(loss: Any) -> TorchLoss:
    """The loss's `TorchLoss`; a ConfigError for what cannot be written with torch."""
    if type(loss).__module__ == "lossfit.custom_loss":
        raise ConfigError(
            f"cannot export custom loss `{loss.spec}` to torch: it is NumPy code (a value and a gradient), which "
            "torch's autograd cannot run or differentiate; use --to numpy."
        )
    make = TEMPLATES.get(loss.name)
    if make is None:
        raise ConfigError(f"cannot export loss `{loss.name}` to torch: it has no torch template; use --to numpy.")
    return make(loss)


def code(loss: Any, ctx: LossContext) -> tuple[list[str], bool]:
    """The lines that define `loss_fn(out, y)` (or `loss_fn(out, y, w)` with class weights), and whether
    they use F (torch.nn.functional)."""
    spec = template(loss)
    if not ctx.weighted:
        if spec.module:
            return [f"loss_fn = {spec.module}({', '.join(spec.args)})"], False
        return [*spec.lines, "", "", "def loss_fn(out, y):", f"    return {spec.name}(out, y).mean()"], \
            spec.functional
    if spec.module:
        args = ", ".join([*spec.args, 'reduction="none"'])
        lines = [f"per_sample_loss = {spec.module}({args})"]
        name = "per_sample_loss"
    else:
        lines, name = list(spec.lines), spec.name
    if ctx.two_d and not ctx.per_row:
        mean = f"(w[:, None] * {name}(out, y)).sum() / (w.sum() * out.shape[1])"
    else:
        mean = f"(w * {name}(out, y)).sum() / w.sum()"
    return [*lines, "", "", "def loss_fn(out, y, w):",
            '    """The mean weighted by each sample\'s class weight: sum(w L) / sum(w)."""',
            f"    return {mean}"], spec.functional
