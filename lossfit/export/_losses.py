"""Loss templates: the run's loss as NumPy code, value and gradient, with its formula as comments.

One entry per registry name in `TEMPLATES`: a function of the loss object that
returns the lines of `pointwise(out, y)` (per-element losses L and dL/d out),
written with the same operations, in the same order, as `lossfit.losses`, so
the numbers agree to the last bit. The mean (or weighted mean) over the batch
is added by `reduction`; a loss that reduces in its own way (mse's dot
product) returns the whole `loss_and_grad` instead and says so in `OWN_REDUCTION`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lossfit.errors import ConfigError
from lossfit.export._text import indent, num


@dataclass(frozen=True)
class LossContext:
    """What the loss code needs to know about the run besides the loss."""

    weighted: bool  # class weights given as per-sample weights
    two_d: bool  # the model's output is (n, k), not (n,)
    per_row: bool = False  # one loss per row (multiclass losses), not per element


def _def(body: list[str], *consts: str) -> list[str]:
    """`pointwise(out, y)` with `body`, after the loss's parameters (`consts`)."""
    head = [*consts, "", ""] if consts else []
    doc = '    """Per-element losses L and their derivatives D = dL/d out."""'
    return [*head, "def pointwise(out, y):", doc, *indent(body)]


# ---------------------------------------------------------------- regression
def mse(loss: Any, ctx: LossContext) -> list[str]:
    if ctx.weighted or ctx.two_d:
        return _def(["r = out - y", "return r * r, 2.0 * r"])
    return [
        "def loss_and_grad(out, y):",
        '    """The mean of r**2 and its gradient 2 r / n (r = out - y): a dot product, no per-element array."""',
        "    r = out - y",
        "    n = r.size",
        "    value = float(np.dot(r, r)) / n",
        "    return value, r * (2.0 / n)",
    ]


def mae(loss: Any, ctx: LossContext) -> list[str]:
    return _def(["r = out - y", "return np.abs(r), np.sign(r)  # sign(0) = 0, torch's choice at the kink"])


def huber(loss: Any, ctx: LossContext) -> list[str]:
    return _def([
        "r = out - y",
        "a = np.abs(r)",
        "L = np.where(a <= DELTA, 0.5 * r * r, DELTA * (a - 0.5 * DELTA))",
        "return L, np.clip(r, -DELTA, DELTA)",
    ], f"DELTA = {num(loss.delta)}")


def smooth_l1(loss: Any, ctx: LossContext) -> list[str]:
    if loss.beta == 0:
        return _def(["r = out - y", "return np.abs(r), np.sign(r)  # beta = 0 is plain L1"])
    return _def([
        "r = out - y",
        "a = np.abs(r)",
        "L = np.where(a < BETA, (0.5 / BETA) * r * r, a - 0.5 * BETA)",
        "return L, np.clip(r / BETA, -1.0, 1.0)",
    ], f"BETA = {num(loss.beta)}")


def log_cosh(loss: Any, ctx: LossContext) -> list[str]:
    return _def([
        "r = out - y",
        "a = np.abs(r)",
        "# large |r|: log(cosh r) = |r| + log(1 + exp(-2|r|)) - log 2, where exp(-2|r|) <= 1 never overflows;",
        "# small |r| (where that form cancels): log(cosh r) = log1p(2 sinh(r/2)**2), exact near 0",
        "large = a + np.log1p(np.exp(-2.0 * a)) - np.log(2.0)",
        "small = np.log1p(2.0 * np.sinh(0.5 * np.minimum(a, 1.0)) ** 2)",
        "return np.where(a < 1.0, small, large), np.tanh(r)",
    ])


def quantile(loss: Any, ctx: LossContext) -> list[str]:
    return _def([
        "u = y - out",
        "under = u >= 0  # under-prediction (the kink u = 0 counts here)",
        "return np.where(under, TAU * u, (TAU - 1.0) * u), np.where(under, -TAU, 1.0 - TAU)",
    ], f"TAU = {num(loss.tau)}")


def epsilon_insensitive(loss: Any, ctx: LossContext) -> list[str]:
    return _def([
        "r = out - y",
        "excess = np.abs(r) - EPSILON",
        "outside = excess > 0  # the tube's edge has gradient 0",
        "return np.where(outside, excess, 0.0), np.where(outside, np.sign(r), 0.0)",
    ], f"EPSILON = {num(loss.epsilon)}")


def squared_epsilon_insensitive(loss: Any, ctx: LossContext) -> list[str]:
    return _def([
        "r = out - y",
        "excess = np.maximum(np.abs(r) - EPSILON, 0.0)",
        "return excess * excess, 2.0 * np.sign(r) * excess",
    ], f"EPSILON = {num(loss.epsilon)}")


def poisson(loss: Any, ctx: LossContext) -> list[str]:
    return _def([
        "rate = np.exp(out)  # out is the log of the rate",
        "return rate - y * out, rate - y",
    ])


# ---------------------------------------------------------------- binary
def bce(loss: Any, ctx: LossContext) -> list[str]:
    head = [
        "z = out",
        "e = np.exp(-np.abs(z))  # in (0, 1]: never overflows",
        "log1p_e = np.log1p(e)",
    ]
    if loss.pos_weight is None:
        return _def(head + [
            "small = e * (1.0 / (1.0 + e))  # sigmoid(-|z|)",
            "# softplus(z) - y z = (max(z, 0) - y z) + log1p(exp(-|z|)), the small term added last",
            "L = (np.maximum(z, 0.0) - y * z) + log1p_e",
            "# sigmoid(z) - y, written as (1 - y) - sigmoid(-z) for z >= 0 (no cancellation at y = 1)",
            "return L, np.where(z >= 0, (1.0 - y) - small, small - y)",
        ])
    return _def(head + [
        "inv = 1.0 / (1.0 + e)",
        "small = e * inv  # sigmoid(-|z|)",
        "L = (1.0 - y) * (np.maximum(z, 0.0) + log1p_e) + POS_WEIGHT * y * (np.maximum(-z, 0.0) + log1p_e)",
        "positive = z >= 0",
        "sigmoid_z, sigmoid_minus_z = np.where(positive, inv, small), np.where(positive, small, inv)",
        "return L, (1.0 - y) * sigmoid_z - POS_WEIGHT * y * sigmoid_minus_z",
    ], f"POS_WEIGHT = {num(loss.pos_weight)}")


def focal(loss: Any, ctx: LossContext) -> list[str]:
    if loss.alpha is None:
        weight = ["weight = modulator"]
    else:
        weight = ["weight = (ALPHA * y + (1.0 - ALPHA) * (1.0 - y)) * modulator  # alpha_t (1 - p_t)**gamma"]
    consts = [f"GAMMA = {num(loss.gamma)}"] + ([] if loss.alpha is None else [f"ALPHA = {num(loss.alpha)}"])
    return _def([
        "s = 2.0 * y - 1.0",
        "m = s * out  # margin: positive when the true class is favoured",
        "log1p_e = np.log1p(np.exp(-np.abs(m)))",
        "ce = np.maximum(-m, 0.0) + log1p_e  # softplus(-m) = -log p_t",
        "sp_m = np.maximum(m, 0.0) + log1p_e  # softplus(m) = -log(1 - p_t)",
        "p_t = np.exp(-ce)",
        "modulator = np.exp(-GAMMA * sp_m)  # (1 - p_t)**gamma, in log space",
        "one_minus_p_t = np.exp(-sp_m)",
        *weight,
        "return weight * ce, s * weight * (-GAMMA * p_t * ce - one_minus_p_t)",
    ], *consts)


def hinge(loss: Any, ctx: LossContext) -> list[str]:
    return _def([
        "y_pm = 2.0 * y - 1.0  # labels {0, 1} -> {-1, +1}",
        "slack = 1.0 - y_pm * out",
        "active = slack >= 0  # margin <= 1 (the kink counts as active)",
        "return np.where(active, slack, 0.0), np.where(active, -y_pm, 0.0)",
    ])


def squared_hinge(loss: Any, ctx: LossContext) -> list[str]:
    return _def([
        "y_pm = 2.0 * y - 1.0  # labels {0, 1} -> {-1, +1}",
        "slack = np.maximum(1.0 - y_pm * out, 0.0)",
        "return slack * slack, -2.0 * y_pm * slack",
    ])


def modified_huber(loss: Any, ctx: LossContext) -> list[str]:
    return _def([
        "y_pm = 2.0 * y - 1.0  # labels {0, 1} -> {-1, +1}",
        "m = y_pm * out",
        "slack = np.maximum(1.0 - m, 0.0)",
        "inner = m >= -1.0",
        "return np.where(inner, slack * slack, -4.0 * m), np.where(inner, -2.0 * slack, -4.0) * y_pm",
    ])


def perceptron(loss: Any, ctx: LossContext) -> list[str]:
    return _def([
        "y_pm = 2.0 * y - 1.0  # labels {0, 1} -> {-1, +1}",
        "neg_m = -y_pm * out",
        "active = neg_m >= 0  # margin <= 0 (the kink counts as active)",
        "return np.where(active, neg_m, 0.0), np.where(active, -y_pm, 0.0)",
    ])


def exponential(loss: Any, ctx: LossContext) -> list[str]:
    return _def([
        "y_pm = 2.0 * y - 1.0  # labels {0, 1} -> {-1, +1}",
        "L = np.exp(-y_pm * out)",
        "return L, -y_pm * L",
    ])


# ---------------------------------------------------------------- multiclass
_LOG_SOFTMAX = [
    "def log_softmax_parts(z):",
    '    """Shifted logits s = z - max(z), softmax p, log(sum exp s) and rest = sum exp s - 1, per row.',
    "",
    "    logsumexp(z) = max(z) + log(sum(exp(z - max(z)))): every exponent is <= 0, nothing overflows.",
    "    The largest term is exactly 1, so the sum is 1 + rest, and log1p(rest) keeps the digits of a small rest.",
    '    """',
    "    s = z - z.max(axis=1, keepdims=True)",
    "    e = np.exp(s)",
    '    total = np.einsum("ij->i", e)[:, None]',
    '    below = np.einsum("ij,ij->i", e, s < 0.0)[:, None]  # the sum without the maxima',
    "    rest = np.where(total < 2.0, below, total - 1.0)",
    "    return s, e / (1.0 + rest), np.log1p(rest), rest",
    "",
]


def cross_entropy(loss: Any, ctx: LossContext) -> list[str]:
    if loss.class_weight is not None:
        return _cross_entropy_weighted(loss)
    eps = loss.label_smoothing
    if eps == 0.0:
        body = [
            "s, p, log_total, rest = log_softmax_parts(out)",
            "rows = np.arange(len(s))",
            "s_y = s[rows, y]",
            "L = log_total[:, 0] - s_y  # logsumexp(z) - z_t (the max cancels)",
            "# D = p - onehot(t); where t holds the maximum, p_t - 1 = -rest / (1 + rest) keeps its digits",
            "p[rows, y] = np.where(s_y == 0.0, 0.0 - rest[:, 0] / (1.0 + rest[:, 0]), p[rows, y] - 1.0)",
            "return L, p",
        ]
        return _LOG_SOFTMAX + _def(body)
    body = [
        "s, p, log_total, rest = log_softmax_parts(out)",
        "rows = np.arange(len(s))",
        "k = s.shape[1]",
        "# q = (1 - eps) onehot(t) + eps / k;  L = logsumexp(z) - sum_k q_k z_k,  D = p - q",
        "L = log_total[:, 0] - (1.0 - EPS) * s[rows, y] - (EPS / k) * s.sum(axis=1)",
        "p -= EPS / k",
        "p[rows, y] -= 1.0 - EPS",
        "return L, p",
    ]
    return _LOG_SOFTMAX + _def(body, f"EPS = {num(eps)}  # label smoothing")


def _cross_entropy_weighted(loss: Any) -> list[str]:
    """cross_entropy(class_weight=...): its own weighted mean, as torch computes it."""
    eps = loss.label_smoothing
    smooth = "(1.0 - EPS) * " if eps else ""
    weights = ", ".join(num(w) for w in loss.class_weight)
    lines = [
        *_LOG_SOFTMAX,
        f"CLASS_WEIGHT = np.array([{weights}])  # torch's `weight`: one per class",
        *([f"EPS = {num(eps)}  # label smoothing"] if eps else []),
        "",
        "",
        "def loss_and_grad(out, y, w=None):",
        '    """sum_i L_i / sum_i w[t_i] and its gradient: the mean weighted by the class weight of each target."""',
        "    s, p, log_total, rest = log_softmax_parts(out)",
        "    n, k = s.shape",
        "    rows = np.arange(n)",
        "    row_w = np.ones(n) if w is None else w",
        "    w_t = CLASS_WEIGHT[y] * row_w  # each row's weight: the class weight of its target",
        "    nll = log_total - s  # -log softmax",
        f"    L = {smooth}w_t * nll[rows, y]",
        f"    D = ({smooth}w_t)[:, None] * p",
        "    s_y = s[rows, y]",
        "    p_minus_one = np.where(s_y == 0.0, 0.0 - rest[:, 0] / (1.0 + rest[:, 0]), p[rows, y] - 1.0)",
        f"    D[rows, y] = {smooth}w_t * p_minus_one  # (p - onehot) at the target",
    ]
    if eps:
        lines += [
            "    # torch weights the smoothing term per class: eps/k sum_k w_k (-log p_k)",
            "    r = (EPS / k) * row_w",
            "    L += r * (nll @ CLASS_WEIGHT)",
            "    D += (r * CLASS_WEIGHT.sum())[:, None] * p - np.outer(r, CLASS_WEIGHT)",
        ]
    return lines + ["    total = float(w_t.sum())", "    return float(L.sum()) / total, D / total"]


def custom(loss: Any, ctx: LossContext) -> list[str]:
    """A loss from the user's file (`path.py:name`): the script imports that file, as lossfit did."""
    name = str(loss.spec).rpartition(":")[2]
    if loss.grad_function is None:
        raise ConfigError(
            f"cannot export custom loss `{loss.spec}` to NumPy: it has no gradient ({name}_grad or a grad "
            "method), and lossfit differentiated it numerically; add the gradient to the file to export it."
        )
    path = str(Path(loss.path).resolve())
    function = loss.function
    if getattr(loss.grad_function, "__name__", "") == f"{name}_grad":
        value, grad = f"custom_file.{name}(out, y)", f"custom_file.{name}_grad(out, y)"
        made = []
    elif type(function).__name__ == name:  # a class: lossfit built one instance with no arguments
        value, grad = "custom_loss(out, y)", "custom_loss.grad(out, y)"
        made = [f"custom_loss = custom_file.{name}()"]
    else:  # an object with __call__ and grad
        value, grad = f"custom_file.{name}(out, y)", f"custom_file.{name}.grad(out, y)"
        made = []
    return [
        f"# The loss is `{name}` from your file {path}: imported from there, which runs its code (as lossfit did).",
        "# It returns one loss per element; the mean is taken below, as lossfit does.",
        "import importlib.util  # noqa: E402",
        "",
        f"CUSTOM_FILE = {path!r}",
        '_spec = importlib.util.spec_from_file_location("custom_file", CUSTOM_FILE)',
        "custom_file = importlib.util.module_from_spec(_spec)",
        "_spec.loader.exec_module(custom_file)",
        *made,
        "",
        "",
        "def pointwise(out, y):",
        '    """Per-element losses L and their derivatives D = dL/d out, from your file."""',
        f"    L = np.asarray({value}, dtype=np.float64)",
        f"    D = np.array({grad}, dtype=np.float64)",
        "    return L, D",
    ]


def multi_margin(loss: Any, ctx: LossContext) -> list[str]:
    if loss.p == 1:
        powers = [
            "L = h.sum(axis=1) / k",
            "D = (h > 0).astype(h.dtype) / k  # 0 exactly at the margin",
        ]
    else:
        powers = ["L = (h * h).sum(axis=1) / k", "D = (2.0 / k) * h"]
    return _def([
        "n, k = out.shape",
        "rows = np.arange(n)",
        "h = (MARGIN - out[rows, y])[:, None] + out",
        "h[rows, y] = 0.0  # the true class is not a competitor",
        "h = np.maximum(h, 0.0)",
        *powers,
        "D[rows, y] = -D.sum(axis=1)",
        "return L, D",
    ], f"MARGIN = {num(loss.margin)}")


def crammer_singer(loss: Any, ctx: LossContext) -> list[str]:
    return _def([
        "rows = np.arange(len(out))",
        "others = out.copy()",
        "others[rows, y] = -np.inf  # mask the true class",
        "rival = others.argmax(axis=1)  # strongest wrong class (first index on ties)",
        "slack = 1.0 + others[rows, rival] - out[rows, y]",
        "active = slack >= 0",
        "D = np.zeros_like(out)",
        "a = active.astype(out.dtype)",
        "D[rows, rival] = a",
        "D[rows, y] = -a",
        "return np.where(active, slack, 0.0), D",
    ])


def kl_div(loss: Any, ctx: LossContext) -> list[str]:
    return _LOG_SOFTMAX + _def([
        "s, p, log_total, _ = log_softmax_parts(out)",
        "q = y  # probability rows",
        "log_p = s - log_total",
        "entropy_term = q * np.log(np.where(q > 0, q, 1.0))  # q log q, with 0 log 0 = 0",
        "L = (entropy_term - q * log_p).sum(axis=1)",
        "return L, p * q.sum(axis=1, keepdims=True) - q  # = p - q for rows summing to 1",
    ])


def reduction(ctx: LossContext) -> list[str]:
    """`loss_and_grad`: the mean of the pointwise losses (weighted by the sample weights when given)."""
    lines = [
        f"def loss_and_grad(out, y{', w=None' if ctx.weighted else ''}):",
        '    """The mean loss over the batch and its gradient with respect to out (the 1/n included)."""',
        "    L, D = pointwise(out, y)",
    ]
    if ctx.weighted:
        shape = "[:, None]" if ctx.two_d else ""
        loss_shape = "" if ctx.per_row else shape
        lines += [
            "    if w is None:",
            "        return float(L.sum()) / L.size, D / L.size",
            "    # weighted mean sum(w L) / sum(w), per element; a batch whose weights are all 0 gives 0",
            "    total = float(w.sum()) * (L.size // L.shape[0])",
            "    if total == 0:",
            "        return 0.0, np.zeros_like(D)",
            f"    return float((w{loss_shape} * L).sum()) / total, D * (w / total){shape}",
        ]
    else:
        lines += ["    return float(L.sum()) / L.size, D / L.size"]
    return lines


Template = Callable[[Any, LossContext], list[str]]

TEMPLATES: dict[str, Template] = {
    "mse": mse, "mae": mae, "huber": huber, "smooth_l1": smooth_l1, "log_cosh": log_cosh,
    "quantile": quantile, "epsilon_insensitive": epsilon_insensitive,
    "squared_epsilon_insensitive": squared_epsilon_insensitive, "poisson": poisson,
    "bce": bce, "focal": focal, "hinge": hinge, "squared_hinge": squared_hinge,
    "modified_huber": modified_huber, "perceptron": perceptron, "exponential": exponential,
    "cross_entropy": cross_entropy, "multi_margin": multi_margin, "crammer_singer": crammer_singer,
    "kl_div": kl_div,
}


def code(loss: Any, ctx: LossContext) -> list[str]:
    """The loss's code: `pointwise` and `loss_and_grad` (or mse's own `loss_and_grad`)."""
    template = custom if type(loss).__module__ == "lossfit.custom_loss" else TEMPLATES.get(loss.name)
    if template is None:
        raise ConfigError(f"cannot export loss `{loss.name}` to NumPy yet.")
    lines = template(loss, ctx)
    if any(line.startswith("def loss_and_grad(") for line in lines):
        return lines
    return lines + ["", ""] + reduction(ctx)
