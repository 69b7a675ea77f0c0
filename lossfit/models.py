"""Models: a parameter list, a forward pass and a hand-written backward pass.

Every model follows one small contract, so the training loop, the optimizers and
the tests never need to know which model they hold:

    model.build(n_features, n_outputs, rng)   # create the parameters (seeded)
    model.params                              # list of arrays, always in the same order
    model.is_weight                           # which params are weights (L2/L1 apply) vs biases
    out = model.forward(X)                    # raw output: (n,) for one output, (n, k) otherwise
    grads = model.backward(d_out)             # d loss / d params for the last forward, same order
    model.predict(X)                          # forward without keeping anything for backward

The output is always raw (a value, a score or logits), never a probability:
losses apply sigmoid/softmax themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from lossfit._typing import Array
from lossfit.registry import Registry


@dataclass
class Linear:
    """Affine model: out = X @ W + b.

    With one output it is linear regression (with a regression loss) or a
    binary linear classifier (one score per sample: logistic regression with
    bce, a linear SVM with hinge). With k outputs it is the softmax linear
    classifier (one logit per class, for cross_entropy).

    Parameters start at zero: every loss lossfit pairs with a linear model is
    convex in (W, b), so the starting point does not change the optimum, and
    zero makes runs comparable across losses.

    Notes
    -----
    ::

        forward:   out = X W + b                 X (n, d), W (d,) or (d, k), b (1,) or (k,)
        backward:  dL/dW = X^T g,  dL/db = sum_i g_i      with g = dL/d out

    >>> m = Linear(); m.build(n_features=2, n_outputs=1, rng=np.random.default_rng(0))
    >>> m.params[0][:] = [1.0, -1.0]
    >>> m.forward(np.array([[3.0, 1.0]]))
    array([2.])
    >>> [g.tolist() for g in m.backward(np.array([0.5]))]
    [[1.5, 0.5], [0.5]]
    """

    name: ClassVar[str] = "linear"
    summary: ClassVar[str] = "affine map X @ W + b: linear regression, linear classifier, softmax"

    params: list[Array] = field(default_factory=list, init=False, repr=False)
    is_weight: list[bool] = field(default_factory=list, init=False, repr=False)
    _X: Array | None = field(default=None, init=False, repr=False)

    def build(self, n_features: int, n_outputs: int, rng: np.random.Generator) -> None:
        shape = (n_features,) if n_outputs == 1 else (n_features, n_outputs)
        self.params = [np.zeros(shape), np.zeros(max(n_outputs, 1))]
        self.is_weight = [True, False]

    def forward(self, X: Array) -> Array:
        self._X = X
        return self.predict(X)

    def predict(self, X: Array) -> Array:
        W, b = self.params
        return X @ W + b

    def backward(self, d_out: Array) -> list[Array]:
        assert self._X is not None, "backward() needs a forward() first"
        d_b = d_out.sum(axis=0, keepdims=d_out.ndim == 1)
        return [self._X.T @ d_out, d_b]

    def describe(self, task: str) -> str:
        return {
            "regression": "linear regression",
            "binary": "binary linear classifier",
            "multiclass": "softmax linear classifier",
        }[task]


registry: Registry[Linear] = Registry("model")
registry.register("linear", Linear, summary=Linear.summary)


def names() -> list[str]:
    return registry.names()


def get(spec: str) -> Linear:
    """Build an (unsized) model from a name or spec; call `build` before use."""
    return registry.from_spec(spec)


def spec_of(model: Linear) -> str:
    return registry.resolved_spec(model.name, model)
