"""Model templates: forward and backward passes of the run's model, as NumPy code.

`forward(params, X)` returns the raw output and what backward needs (the
cache); `backward(params, cache, g)` returns dL/d params, in the order of
`params`. The operations are `lossfit.models`' own, so the numbers agree.
"""

from __future__ import annotations

from typing import Any

from lossfit import models
from lossfit.errors import ConfigError
from lossfit.export._text import notes

_ACTIVATIONS = {
    "relu": ("np.maximum(z, 0.0)", "(a > 0).astype(a.dtype)", "relu(z) = max(z, 0),  f'(z) = 1 if z > 0 else 0"),
    "tanh": ("np.tanh(z)", "1.0 - a * a", "tanh(z),  f'(z) = 1 - a**2"),
    "sigmoid": ("0.5 * (1.0 + np.tanh(0.5 * z))", "a * (1.0 - a)",
                "sigmoid(z) = (1 + tanh(z / 2)) / 2 (no overflow in exp),  f'(z) = a (1 - a)"),
}


def param_names(model: Any) -> list[str]:
    """Names of the parameters in the data file and the script: W, b or W1, b1, W2, b2, ..."""
    if isinstance(model, models.Linear):
        return ["W", "b"]
    return [f"{kind}{layer}" for layer in range(1, len(model.params) // 2 + 1) for kind in ("W", "b")]


def code(model: Any) -> list[str]:
    if isinstance(model, models.Linear):
        return _linear(model)
    if isinstance(model, models.MLP):
        return _mlp(model)
    raise ConfigError(f"cannot export model `{getattr(model, 'name', type(model).__name__)}` to NumPy yet.")


def _linear(model: Any) -> list[str]:
    one = model.params[0].ndim == 1
    shapes = "W (d,), b (1,): one output per sample" if one else "W (d, k), b (k,): one logit per class"
    backward = ["return [g @ X, g.sum(keepdims=True)]  # g @ X is X^T g for a vector g"] if one else [
        "return [X.T @ g, g.sum(axis=0)]"]
    return [
        f"# Linear model: out = X W + b      {shapes}",
        *notes(models.Linear),
        "",
        "",
        "def forward(params, X):",
        '    """The raw output X W + b, and what backward needs (X)."""',
        "    W, b = params",
        "    return X @ W + b, X",
        "",
        "",
        "def backward(params, X, g):",
        '    """dL/dW and dL/db from g = dL/d out."""',
        *["    " + line for line in backward],
    ]


def _mlp(model: Any) -> list[str]:
    act, act_grad, about = _ACTIVATIONS[model.activation]
    one = model.params[-2].ndim == 1
    layers = "-".join(str(units) for units in model.hidden)
    return [
        f"# MLP {layers} with {model.activation}, then a linear output layer ({'one output' if one else 'k logits'}).",
        *notes(models.MLP),
        f"# here f = {about}",
        "",
        "",
        "def activation(z):",
        f"    return {act}",
        "",
        "",
        "def activation_grad(a):",
        '    """f\'(z), written with the activation\'s output a = f(z)."""',
        f"    return {act_grad}",
        "",
        "",
        "def forward(params, X):",
        '    """The raw output, and the activations a_0 = X, a_1, ... that backward needs."""',
        "    a = X",
        "    activations = [a]",
        "    for W, b in zip(params[0:-2:2], params[1:-2:2]):  # the hidden layers",
        "        a = activation(a @ W + b)",
        "        activations.append(a)",
        "    return a @ params[-2] + params[-1], activations",
        "",
        "",
        "def backward(params, activations, g):",
        '    """dL/dW_l and dL/db_l for every layer, from g = dL/d out, last layer first."""',
        "    grads = [None] * len(params)",
        "    for layer in reversed(range(len(params) // 2)):",
        "        W, a_in = params[2 * layer], activations[layer]",
        "        grads[2 * layer] = a_in.T @ g",
        f"        grads[2 * layer + 1] = g.sum(axis=0{', keepdims=g.ndim == 1' if one else ''})",
        "        if layer:  # back through the activation into the layer below",
        *(["            g_in = np.outer(g, W) if g.ndim == 1 else g @ W.T  # g W^T (g is a vector at the top)",
           "            g = g_in * activation_grad(a_in)"] if one else
          ["            g = (g @ W.T) * activation_grad(a_in)"]),
        "    return grads",
    ]
