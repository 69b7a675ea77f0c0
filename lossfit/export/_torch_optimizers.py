"""Optimizer templates for `--to torch`: the run's optimizer as `torch.optim` code.

lossfit's torch-named optimizers (and the presets gd, momentum, nesterov, which
are SGD) become the `torch.optim` class of that name, with the arguments that
differ from torch's defaults. The textbook and Keras variants torch lacks
(momentum_ema, momentum_sutskever, adam_eps_inside, rmsprop_tf, adam_keras_eps)
become a small `torch.optim.Optimizer` subclass written in the script, with
lossfit's update rule in the same operations and order. Their hyper-parameters
keep torch's names (`momentum`, `betas`), so that OneCycleLR can cycle them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lossfit import optimizers
from lossfit.errors import ConfigError
from lossfit.export._text import first_line, indent, num

BETAS = (0.9, 0.999)

# torch.optim's class for each lossfit class name, and torch's defaults (only other values are written)
TORCH: dict[str, tuple[str, dict[str, Any]]] = {
    "sgd": ("SGD", {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}),
    "adagrad": ("Adagrad", {"lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10}),
    "rmsprop": ("RMSprop", {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False}),
    "adam": ("Adam", {"betas": BETAS, "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
                      "decoupled_weight_decay": False}),
    "adamw": ("AdamW", {"betas": BETAS, "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False}),
    "nadam": ("NAdam", {"betas": BETAS, "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 4e-3,
                        "decoupled_weight_decay": False}),
    "radam": ("RAdam", {"betas": BETAS, "eps": 1e-8, "weight_decay": 0.0, "decoupled_weight_decay": False}),
    "adamax": ("Adamax", {"betas": BETAS, "eps": 1e-8, "weight_decay": 0.0}),
    "adadelta": ("Adadelta", {"rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}),
}


def _literal(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v) for v in value) + ")"
    return num(value)


def _arguments(opt: Any, defaults: dict[str, Any]) -> list[str]:
    return [f"{key}={_literal(getattr(opt, key))}" for key, default in defaults.items()
            if getattr(opt, key) != default]


def builtin(opt: Any) -> list[str]:
    cls, defaults = TORCH[opt.name]
    args = ", ".join(["model.parameters()", "lr=LR", *_arguments(opt, defaults)])
    return [f"opt = torch.optim.{cls}({args})"]


def _subclass(opt: Any, cls: str, doc: list[str], hyper: dict[str, str], state: list[str], update: list[str],
              counter: bool = False) -> list[str]:
    """A torch.optim.Optimizer subclass: `hyper` (name -> default literal), `state` lines that fill
    `state` on the first step, `update` lines for one parameter p with gradient g."""
    signature = ", ".join(["self", "params", "lr", *(f"{k}={v}" for k, v in hyper.items())])
    defaults = ", ".join(["lr=lr", *(f"{k}={k}" for k in hyper)])
    values = [f'{key} = group["{key}"]' for key in hyper]
    if "betas" in hyper:
        values = ['beta1, beta2 = group["betas"]', *(v for v in values if not v.startswith("betas"))]
    body = [
        "@torch.no_grad()",
        "def step(self):",
        "    for group in self.param_groups:",
        '        lr = group["lr"]',
        *("        " + line for line in values),
        '        for p in group["params"]:',
        "            g = p.grad",
        "            state = self.state[p]",
        "            if not state:  # the first step: zero state",
        *("                " + line for line in state),
        *(["            state[\"step\"] += 1", "            t = state[\"step\"]"] if counter else []),
        *("            " + line for line in update),
    ]
    call = ", ".join(["model.parameters()", "lr=LR", *(f"{k}={_literal(getattr(opt, k))}" for k in hyper)])
    return [
        f"class {cls}(torch.optim.Optimizer):",
        '    """' + doc[0],
        *("    " + line if line else "" for line in doc[1:]),
        '    """',
        "",
        f"    def __init__({signature}):",
        f"        super().__init__(params, dict({defaults}))",
        "",
        *indent(body),
        "",
        "",
        f"opt = {cls}({call})",
    ]


def momentum_ema(opt: Any) -> list[str]:
    return _subclass(opt, "MomentumEMA", [
        "Momentum as an exponential moving average:  v <- beta v + (1 - beta) g,  theta <- theta - lr v.",
        "",
        "torch.optim.SGD has no such option (SGD(lr=lr (1 - beta), momentum=beta) is the same",
        "only while the lr is constant), so it is written here.",
    ], {"beta": num(opt.beta)}, ['state["velocity"] = torch.zeros_like(p)'], [
        'v = state["velocity"]',
        "v.mul_(beta)",
        "v.add_((1.0 - beta) * g)",
        "p.sub_(lr * v)",
    ])


def momentum_sutskever(opt: Any) -> list[str]:
    return _subclass(opt, "MomentumSutskever", [
        "Sutskever (Keras) momentum:  v <- momentum v - lr g,  theta <- theta + v.",
        "",
        "torch.optim.SGD keeps lr out of its buffer; this form bakes the lr of past steps into v,",
        "which differs once a schedule changes the lr, so it is written here.",
    ], {"momentum": num(opt.momentum)}, ['state["velocity"] = torch.zeros_like(p)'], [
        'v = state["velocity"]',
        "v.mul_(momentum)",
        "v.sub_(lr * g)",
        "p.add_(v)",
    ])


def _adam_state() -> list[str]:
    return ['state["step"] = 0', 'state["m"] = torch.zeros_like(p)  # first moment',
            'state["v"] = torch.zeros_like(p)  # second moment']


def adam_eps_inside(opt: Any) -> list[str]:
    hyper = {"betas": _literal(opt.betas), "eps": num(opt.eps)}
    decay = []
    if opt.weight_decay:
        hyper["weight_decay"] = num(opt.weight_decay)
        decay = ["g = g + weight_decay * p  # L2 weight decay, added to the gradient"]
    return _subclass(opt, "AdamEpsInside", [
        "Adam with eps inside the square root:  theta <- theta - lr m_hat / sqrt(v_hat + eps).",
        "",
        "torch.optim.Adam adds eps outside the root (sqrt(v_hat) + eps), so this variant is written here.",
    ], hyper, _adam_state(), [
        *decay,
        'm, v = state["m"], state["v"]',
        "m.lerp_(g, 1.0 - beta1)  # m <- beta1 m + (1 - beta1) g",
        "v.mul_(beta2)",
        "v.add_((1.0 - beta2) * g * g)",
        "m_hat = m / (1.0 - beta1**t)",
        "v_hat = v / (1.0 - beta2**t)",
        "p.sub_(lr * m_hat / torch.sqrt(v_hat + eps))",
    ], counter=True)


def rmsprop_tf(opt: Any) -> list[str]:
    return _subclass(opt, "RMSpropTF", [
        "RMSprop as Keras/TensorFlow write it:  v <- rho v + (1 - rho) g^2,  theta <- theta - lr g / sqrt(v + eps).",
        "",
        "torch.optim.RMSprop adds eps outside the root (sqrt(v) + eps), so this variant is written here.",
    ], {"rho": num(opt.rho), "eps": num(opt.eps)}, ['state["v"] = torch.zeros_like(p)'], [
        'v = state["v"]',
        "v.mul_(rho)",
        "v.add_((1.0 - rho) * g * g)",
        "p.sub_(lr * g / torch.sqrt(v + eps))",
    ])


def adam_keras_eps(opt: Any) -> list[str]:
    return _subclass(opt, "AdamKerasEps", [
        "Adam as Keras writes it:  theta <- theta - alpha m / (sqrt(v) + eps),",
        "with alpha = lr sqrt(1 - beta2^t) / (1 - beta1^t) and the raw moments m, v.",
        "",
        "The same as torch.optim.Adam with eps scaled by sqrt(1 - beta2^t) at every step, which torch",
        "cannot express, so it is written here.",
    ], {"betas": _literal(opt.betas), "eps": num(opt.eps)}, _adam_state(), [
        'm, v = state["m"], state["v"]',
        "m.mul_(beta1)",
        "m.add_((1.0 - beta1) * g)",
        "v.mul_(beta2)",
        "v.add_((1.0 - beta2) * g * g)",
        "alpha = lr * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)",
        "p.sub_(alpha * m / (torch.sqrt(v) + eps))",
    ], counter=True)


Template = Callable[[Any], list[str]]

TEMPLATES: dict[str, Template] = {
    **{name: builtin for name in TORCH},
    "momentum_ema": momentum_ema, "momentum_sutskever": momentum_sutskever,
    "adam_eps_inside": adam_eps_inside, "rmsprop_tf": rmsprop_tf, "adam_keras_eps": adam_keras_eps,
}


def code(opt: Any) -> list[str]:
    """The lines that build `opt` (and define its class when torch.optim has none)."""
    template = TEMPLATES.get(opt.name)
    if template is None or not isinstance(opt, optimizers.Optimizer):
        raise ConfigError(f"cannot export optimizer `{opt.name}` to torch: it has no torch template; "
                          "use --to numpy.")
    head = [f"# {first_line(type(opt))}"]
    return [*head, *template(opt)]
