"""Optimizer templates: the run's update rule and its state, as NumPy code.

One entry per optimizer class name in `TEMPLATES` (the presets gd, momentum and
nesterov are `sgd` with parameters). Each returns the lines that set the
hyper-parameters and the state, and define `optimizer_step(params, grads)`,
which updates `params` in place reading the global `lr` (the schedule sets it).
The operations are those of `lossfit.optimizers`, in the same order, so the
numbers agree to the last bit; only the branches the run takes are written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lossfit import optimizers
from lossfit.errors import ConfigError
from lossfit.export._text import first_line, notes, num


@dataclass(frozen=True)
class OptimizerContext:
    """What the schedule does to the optimizer: one_cycle cycles `momentum` or beta1 between these values."""

    cycled: str | None = None  # "momentum", "beta1" or None
    low: float = 0.0  # the smallest and largest value the cycled attribute takes
    high: float = 0.0


def _header(opt: Any) -> list[str]:
    return [f"# {first_line(type(opt))}", *notes(type(opt))]


def _lerp(target: str, weight: str, weights: tuple[float, float]) -> list[str]:
    """target ← target + weight (g - target), exactly as torch's lerp_ computes it (which depends on the weight)."""
    low, high = min(weights), max(weights)
    if abs(low) < 0.5 and abs(high) < 0.5:
        return [f"{target} += ({weight}) * (g - {target})  # {target} + w (g - {target}), as torch's lerp_ computes it"]
    lines = [f"w = {weight}"]
    if abs(low) >= 0.5 and abs(high) >= 0.5:
        return lines + [f"{target}[...] = g - (g - {target}) * (1.0 - w)  # lerp with w >= 0.5, as torch computes it"]
    return lines + [
        "if abs(w) < 0.5:  # torch's lerp: two forms, by the size of w",
        f"    {target} += w * (g - {target})",
        "else:",
        f"    {target}[...] = g - (g - {target}) * (1.0 - w)",
    ]


def _beta1_weights(opt: Any, ctx: OptimizerContext) -> tuple[float, float]:
    if ctx.cycled == "beta1":
        return 1.0 - ctx.high, 1.0 - ctx.low
    return 1.0 - opt.betas[0], 1.0 - opt.betas[0]


MOMENTS = ["m = [np.zeros_like(p) for p in params]  # first moments",
           "v = [np.zeros_like(p) for p in params]  # second moments"]


def _first_moment(opt: Any, ctx: OptimizerContext) -> list[str]:
    """m ← β1 m + (1 - β1) g, inside the loop over parameters (m_i is this parameter's m)."""
    return ["    " + line for line in _lerp("m_i", "1.0 - beta1", _beta1_weights(opt, ctx))]


def _weight_decay(opt: Any) -> list[str]:
    return ["g = g + weight_decay * p  # L2 weight decay, added to the gradient"] if opt.weight_decay else []


def _betas(opt: Any, ctx: OptimizerContext) -> str:
    """The Adam family's `beta1, beta2` line (one_cycle may cycle beta1)."""
    cycled = "  # one_cycle changes beta1 every epoch" if ctx.cycled == "beta1" else ""
    return f"beta1, beta2 = {num(opt.betas[0])}, {num(opt.betas[1])}{cycled}"


def _decay_in_loop(opt: Any, decoupled: bool) -> list[str]:
    """Weight decay inside the per-parameter loop: decoupled (AdamW's) or added to the gradient."""
    if not opt.weight_decay:
        return []
    if decoupled:
        return ["    p *= 1.0 - lr * weight_decay  # decoupled weight decay"]
    return ["    " + line for line in _weight_decay(opt)]


def _step(doc: str, body: list[str], counter: bool = False, more_globals: str = "") -> list[str]:
    lines = ["def optimizer_step(params, grads):", f'    """{doc}"""']
    if counter:
        lines += [f"    global t{more_globals}", "    t += 1"]
    return lines + ["    " + line if line else line for line in body]


def sgd(opt: Any, ctx: OptimizerContext) -> list[str]:
    cycled = ctx.cycled == "momentum"
    uses_momentum = opt.momentum != 0.0 or cycled
    if not uses_momentum and not opt.weight_decay:
        return [
            "# Gradient descent (torch.optim.SGD without momentum): θ ← θ - lr g", "",
            "",
            *_step("θ ← θ - lr g, for every parameter array, in place.",
                   ["for p, g in zip(params, grads):", "    p -= lr * g"]),
        ]
    settings = []
    if uses_momentum:
        settings.append(f"momentum = {num(opt.momentum)}" + ("  # one_cycle changes it every epoch" if cycled else ""))
    if opt.dampening:
        settings.append(f"dampening = {num(opt.dampening)}")
    if opt.weight_decay:
        settings.append(f"weight_decay = {num(opt.weight_decay)}")
    body = ["for i, (p, g) in enumerate(zip(params, grads)):", *("    " + line for line in _weight_decay(opt))]
    if uses_momentum:
        add = "buffers[i] += (1.0 - dampening) * g" if opt.dampening else "buffers[i] += g  # dampening 0"
        update = ["if buffers[i] is None:", "    buffers[i] = g.copy()  # b_1 = g_1",
                  "else:", "    buffers[i] *= momentum  # b_t = μ b_{t-1} + (1 - τ) g_t", f"    {add}"]
        update += ["g = g + momentum * buffers[i]  # Nesterov: look ahead along the buffer"] if opt.nesterov else [
            "g = buffers[i]"]
        if cycled:
            update = ["if momentum != 0.0:", *("    " + line for line in update)]
        body += ["    " + line for line in update]
        settings.append("buffers = [None] * len(params)  # momentum buffers b, one per parameter, from the first step")
    body.append("    p -= lr * g")
    return [*_header(opt), *settings, "", "", *_step("One SGD update of every parameter array, in place.", body)]


def adagrad(opt: Any, ctx: OptimizerContext) -> list[str]:
    settings = [f"eps = {num(opt.eps)}"]
    if opt.lr_decay:
        settings.append(f"lr_decay = {num(opt.lr_decay)}")
    if opt.weight_decay:
        settings.append(f"weight_decay = {num(opt.weight_decay)}")
    settings += [f"sums = [np.full_like(p, {num(opt.initial_accumulator_value)}) for p in params]"
                 "  # running sums of squared gradients", "t = 0  # steps taken"]
    step_lr = "lr / (1 + (t - 1) * lr_decay)" if opt.lr_decay else "lr"
    body = [*([f"clr = {step_lr}  # the decayed step size"] if opt.lr_decay else []),
            "for p, g, state_sum in zip(params, grads, sums):",
            *("    " + line for line in _weight_decay(opt)),
            "    state_sum += g * g",
            f"    p -= {'clr' if opt.lr_decay else 'lr'} * g / (np.sqrt(state_sum) + eps)"]
    return [*_header(opt), *settings, "", "", *_step("One Adagrad update, in place.", body, counter=True)]


def rmsprop(opt: Any, ctx: OptimizerContext) -> list[str]:
    cycled = ctx.cycled == "momentum"
    uses_momentum = opt.momentum > 0.0 or cycled
    settings = [f"alpha = {num(opt.alpha)}", f"eps = {num(opt.eps)}"]
    if opt.weight_decay:
        settings.append(f"weight_decay = {num(opt.weight_decay)}")
    if uses_momentum:
        settings.append(f"momentum = {num(opt.momentum)}" + ("  # one_cycle changes it every epoch" if cycled else ""))
    settings.append("square_avg = [np.zeros_like(p) for p in params]  # v: running mean of g²")
    if opt.centered:
        settings.append("grad_avg = [np.zeros_like(p) for p in params]  # running mean of g (centered)")
    if uses_momentum:
        settings.append("buffers = [np.zeros_like(p) for p in params]  # momentum buffers b")
    body = ["for i, (p, g) in enumerate(zip(params, grads)):", *("    " + line for line in _weight_decay(opt)),
            "    v = square_avg[i]", "    v *= alpha", "    v += (1.0 - alpha) * g * g"]
    if opt.centered:
        body += ["    ga = grad_avg[i]", *("    " + line for line in _lerp("ga", "1.0 - alpha", (1 - opt.alpha,) * 2)),
                 "    avg = np.sqrt(v - ga * ga) + eps  # centered: the variance, not the raw second moment"]
    else:
        body += ["    avg = np.sqrt(v) + eps"]
    momentum_lines = ["buffers[i] *= momentum", "buffers[i] += g / avg", "p -= lr * buffers[i]"]
    if uses_momentum and cycled:
        body += ["    if momentum > 0.0:", *("        " + line for line in momentum_lines),
                 "    else:", "        p -= lr * g / avg"]
    elif uses_momentum:
        body += ["    " + line for line in momentum_lines]
    else:
        body += ["    p -= lr * g / avg"]
    return [*_header(opt), *settings, "", "", *_step("One RMSprop update, in place.", body)]


def adam(opt: Any, ctx: OptimizerContext) -> list[str]:
    decoupled = opt.name == "adamw" or getattr(opt, "decoupled_weight_decay", False)
    settings = [_betas(opt, ctx), f"eps = {num(opt.eps)}"]
    if opt.weight_decay:
        settings.append(f"weight_decay = {num(opt.weight_decay)}"
                        + ("  # decoupled: θ ← θ (1 - lr λ)" if decoupled else ""))
    settings += MOMENTS
    if opt.amsgrad:
        settings.append("v_max = [np.zeros_like(p) for p in params]  # AMSGrad: the largest v so far")
    settings.append("t = 0  # steps taken")
    body = ["bias_correction1 = 1.0 - beta1**t", "bias_correction2_sqrt = (1.0 - beta2**t) ** 0.5",
            "for i, (p, g) in enumerate(zip(params, grads)):"]
    body += _decay_in_loop(opt, decoupled)
    body += ["    m_i, v_i = m[i], v[i]", *_first_moment(opt, ctx),
             "    v_i *= beta2", "    v_i += (1.0 - beta2) * g * g"]
    if opt.amsgrad:
        body += ["    np.maximum(v_max[i], v_i, out=v_max[i])  # the max of the raw v, bias-corrected below",
                 "    denom = np.sqrt(v_max[i]) / bias_correction2_sqrt + eps"]
    else:
        body += ["    denom = np.sqrt(v_i) / bias_correction2_sqrt + eps  # √v̂ + ε"]
    body += ["    p -= (lr / bias_correction1) * m_i / denom  # θ ← θ - lr m̂ / (√v̂ + ε)"]
    return [*_header(opt), *settings, "", "", *_step(f"One {type(opt).__name__} update, in place.", body, counter=True)]


def nadam(opt: Any, ctx: OptimizerContext) -> list[str]:
    settings = [_betas(opt, ctx),
                f"eps = {num(opt.eps)}", f"momentum_decay = {num(opt.momentum_decay)}  # ψ"]
    if opt.weight_decay:
        settings.append(f"weight_decay = {num(opt.weight_decay)}")
    settings += [*MOMENTS,
                 "mu_product = 1.0  # ∏ μ_i", "t = 0  # steps taken"]
    body = ["bias_correction2 = 1.0 - beta2**t",
            "mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))",
            "mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))",
            "mu_product *= mu",
            "mu_product_next = mu_product * mu_next",
            "for i, (p, g) in enumerate(zip(params, grads)):"]
    body += _decay_in_loop(opt, opt.decoupled_weight_decay)
    body += ["    m_i, v_i = m[i], v[i]", *_first_moment(opt, ctx),
             "    v_i *= beta2", "    v_i += (1.0 - beta2) * g * g",
             "    denom = np.sqrt(v_i / bias_correction2) + eps",
             "    p += (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom",
             "    p += ((-lr * mu_next) / (1.0 - mu_product_next)) * m_i / denom"]
    return [*_header(opt), *settings, "", "",
            *_step("One NAdam update, in place.", body, counter=True, more_globals=", mu_product")]


def radam(opt: Any, ctx: OptimizerContext) -> list[str]:
    settings = [_betas(opt, ctx), f"eps = {num(opt.eps)}"]
    if opt.weight_decay:
        settings.append(f"weight_decay = {num(opt.weight_decay)}")
    settings += [*MOMENTS,
                 "t = 0  # steps taken"]
    body = ["rho_inf = 2.0 / (1.0 - beta2) - 1.0",
            "bias_correction1 = 1.0 - beta1**t",
            "bias_correction2 = 1.0 - beta2**t",
            "rho_t = rho_inf - 2.0 * t * (beta2**t) / bias_correction2",
            "for i, (p, g) in enumerate(zip(params, grads)):"]
    body += _decay_in_loop(opt, opt.decoupled_weight_decay)
    body += ["    m_i, v_i = m[i], v[i]", *_first_moment(opt, ctx),
             "    v_i *= beta2", "    v_i += (1.0 - beta2) * g * g",
             "    m_hat = m_i / bias_correction1",
             "    if rho_t > 5.0:  # the variance of the adaptive step is tractable: rectify it",
             "        adaptive = bias_correction2**0.5 / (np.sqrt(v_i) + eps)",
             "        r2 = (rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)",
             "        rect = r2**0.5  # the rectification term r_t",
             "        p -= m_hat * lr * adaptive * rect",
             "    else:  # early steps: plain momentum",
             "        p -= m_hat * lr"]
    return [*_header(opt), *settings, "", "", *_step("One RAdam update, in place.", body, counter=True)]


def adamax(opt: Any, ctx: OptimizerContext) -> list[str]:
    settings = [_betas(opt, ctx), f"eps = {num(opt.eps)}"]
    if opt.weight_decay:
        settings.append(f"weight_decay = {num(opt.weight_decay)}")
    settings += ["m = [np.zeros_like(p) for p in params]  # first moments",
                 "u = [np.zeros_like(p) for p in params]  # infinity norms", "t = 0  # steps taken"]
    body = ["for i, (p, g) in enumerate(zip(params, grads)):", *("    " + line for line in _weight_decay(opt)),
            "    m_i, u_i = m[i], u[i]", *_first_moment(opt, ctx),
            "    u_i *= beta2",
            "    np.maximum(u_i, np.abs(g) + eps, out=u_i)  # u ← max(β2 u, |g| + ε)",
            "    p -= (lr / (1.0 - beta1**t)) * m_i / u_i"]
    return [*_header(opt), *settings, "", "", *_step("One Adamax update, in place.", body, counter=True)]


def adadelta(opt: Any, ctx: OptimizerContext) -> list[str]:
    settings = [f"rho = {num(opt.rho)}", f"eps = {num(opt.eps)}"]
    if opt.weight_decay:
        settings.append(f"weight_decay = {num(opt.weight_decay)}")
    settings += ["square_avg = [np.zeros_like(p) for p in params]  # v: running mean of g²",
                 "acc_delta = [np.zeros_like(p) for p in params]  # u: running mean of the squared updates"]
    body = ["for i, (p, g) in enumerate(zip(params, grads)):", *("    " + line for line in _weight_decay(opt)),
            "    v_i, u_i = square_avg[i], acc_delta[i]",
            "    v_i *= rho", "    v_i += (1.0 - rho) * g * g",
            "    delta = np.sqrt(u_i + eps) / np.sqrt(v_i + eps) * g",
            "    u_i *= rho", "    u_i += (1.0 - rho) * delta * delta",
            "    p -= lr * delta"]
    return [*_header(opt), *settings, "", "", *_step("One Adadelta update, in place.", body)]


def momentum_ema(opt: Any, ctx: OptimizerContext) -> list[str]:
    settings = [f"beta = {num(opt.beta)}", "velocity = [np.zeros_like(p) for p in params]"]
    body = ["for p, g, v in zip(params, grads, velocity):",
            "    v *= beta", "    v += (1.0 - beta) * g", "    p -= lr * v"]
    return [*_header(opt), *settings, "", "", *_step("One update: v ← βv + (1 - β)g, θ ← θ - lr v.", body)]


def momentum_sutskever(opt: Any, ctx: OptimizerContext) -> list[str]:
    cycled = ctx.cycled == "momentum"
    settings = [f"momentum = {num(opt.momentum)}" + ("  # one_cycle changes it every epoch" if cycled else ""),
                "velocity = [np.zeros_like(p) for p in params]"]
    body = ["for p, g, v in zip(params, grads, velocity):", "    v *= momentum", "    v -= lr * g", "    p += v"]
    return [*_header(opt), *settings, "", "", *_step("One update: v ← μv - lr g, θ ← θ + v.", body)]


def adam_eps_inside(opt: Any, ctx: OptimizerContext) -> list[str]:
    settings = [_betas(opt, ctx), f"eps = {num(opt.eps)}"]
    if opt.weight_decay:
        settings.append(f"weight_decay = {num(opt.weight_decay)}")
    settings += [*MOMENTS, "t = 0  # steps taken"]
    body = ["for i, (p, g) in enumerate(zip(params, grads)):", *("    " + line for line in _weight_decay(opt)),
            "    m_i, v_i = m[i], v[i]", *_first_moment(opt, ctx),
            "    v_i *= beta2", "    v_i += (1.0 - beta2) * g * g",
            "    m_hat = m_i / (1.0 - beta1**t)", "    v_hat = v_i / (1.0 - beta2**t)",
            "    p -= lr * m_hat / np.sqrt(v_hat + eps)  # ε inside the square root"]
    return [*_header(opt), *settings, "", "", *_step("One update, in place.", body, counter=True)]


def rmsprop_tf(opt: Any, ctx: OptimizerContext) -> list[str]:
    settings = [f"rho = {num(opt.rho)}", f"eps = {num(opt.eps)}", "square_avg = [np.zeros_like(p) for p in params]"]
    body = ["for p, g, v in zip(params, grads, square_avg):", "    v *= rho", "    v += (1.0 - rho) * g * g",
            "    p -= lr * g / np.sqrt(v + eps)  # ε inside the square root"]
    return [*_header(opt), *settings, "", "", *_step("One update, in place.", body)]


def adam_keras_eps(opt: Any, ctx: OptimizerContext) -> list[str]:
    settings = [_betas(opt, ctx), f"eps = {num(opt.eps)}",
                *MOMENTS, "t = 0  # steps taken"]
    body = ["for p, g, m_i, v_i in zip(params, grads, m, v):",
            "    m_i *= beta1", "    m_i += (1.0 - beta1) * g", "    v_i *= beta2", "    v_i += (1.0 - beta2) * g * g",
            "    alpha = lr * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)",
            "    p -= alpha * m_i / (np.sqrt(v_i) + eps)"]
    return [*_header(opt), *settings, "", "", *_step("One update, in place.", body, counter=True)]


Template = Callable[[Any, OptimizerContext], list[str]]

TEMPLATES: dict[str, Template] = {
    "sgd": sgd, "adagrad": adagrad, "rmsprop": rmsprop, "adam": adam, "adamw": adam, "nadam": nadam,
    "radam": radam, "adamax": adamax, "adadelta": adadelta, "momentum_ema": momentum_ema,
    "momentum_sutskever": momentum_sutskever, "adam_eps_inside": adam_eps_inside, "rmsprop_tf": rmsprop_tf,
    "adam_keras_eps": adam_keras_eps,
}


def code(opt: Any, ctx: OptimizerContext) -> list[str]:
    template = TEMPLATES.get(opt.name)
    if template is None or not isinstance(opt, optimizers.Optimizer):
        raise ConfigError(f"cannot export optimizer `{opt.name}` to NumPy yet.")
    return template(opt, ctx)
