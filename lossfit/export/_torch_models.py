"""Model templates for `--to torch`: the run's model as an `nn.Sequential` of `nn.Linear` layers.

lossfit stores a layer's weights as W (inputs, outputs) and computes X W + b;
`nn.Linear` stores weight (outputs, inputs) and computes X weight^T + bias. The
script loads lossfit's initial W transposed, so both start from the same model.
A model with one output ends with `nn.Flatten(0)`: (n, 1) -> (n,), the shape
of the targets, as lossfit's model returns it.
"""

from __future__ import annotations

from typing import Any

from lossfit import models
from lossfit.errors import ConfigError
from lossfit.export._models import param_names

ACTIVATIONS = {"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()"}


def code(model: Any, seed: int) -> list[str]:
    """`model = nn.Sequential(...)`, then the lines that load the initial weights from `data`."""
    if isinstance(model, models.Linear):
        sizes: list[int] = []
        activation, what = "", "Linear model: out = X W + b"
    elif isinstance(model, models.MLP):
        sizes, activation = list(model.hidden), ACTIVATIONS[model.activation]
        hidden = "-".join(str(units) for units in model.hidden)
        what = f"MLP {hidden} with {model.activation}, then a linear output layer"
    else:
        raise ConfigError(f"cannot export model `{getattr(model, 'name', type(model).__name__)}` to torch: "
                          "it has no torch template; use --to numpy.")
    one = model.params[-2].ndim == 1
    n_in = model.params[0].shape[0]
    n_out = 1 if one else model.params[-2].shape[1]
    widths = [n_in, *sizes, n_out]
    layers: list[str] = []
    for i in range(len(widths) - 1):
        layers.append(f"nn.Linear({widths[i]}, {widths[i + 1]})")
        if i < len(widths) - 2:
            layers.append(activation)
    if one:
        layers.append("nn.Flatten(0)")
    shape = "one output per sample: (n, 1) -> (n,)" if one else f"{n_out} logits per sample"
    lines = [f"# {what}; {shape}", "model = nn.Sequential("]
    lines += [f"    {layer}," for layer in layers] + [")"]
    names = param_names(model)
    lines += [f"with torch.no_grad():  # the initial weights, as lossfit drew them (seed {seed});"
              " nn.Linear stores W transposed"]
    for layer, (w_name, b_name) in enumerate(zip(names[0::2], names[1::2])):
        index = 2 * layer
        last = layer == len(names) // 2 - 1
        weight = f'torch.from_numpy(data["{w_name}"])' + (".reshape(1, -1)" if last and one else ".T")
        lines += [f"    model[{index}].weight.copy_({weight})",
                  f'    model[{index}].bias.copy_(torch.from_numpy(data["{b_name}"]))']
    return lines
