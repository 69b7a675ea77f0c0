"""Models: a parameter list, a forward pass and a hand-written backward pass.

Every model follows one small contract, so the training loop, the optimizers and
the tests never need to know which model they hold:

    model.build(n_features, n_outputs, rng)   # create the parameters (seeded)
    model.params                              # list of arrays, always in the same order
    model.is_weight                           # which params are weights (L2/L1 apply) vs biases
    out = model.forward(X)                    # raw output: (n,) for one output, (n, k) otherwise
    grads = model.backward(d_out)             # d loss / d params for the last forward, same order
    model.predict(X)                          # forward without disturbing what backward needs

The output is always raw (a value, a score or logits), never a probability:
losses apply sigmoid/softmax themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from lossfit._typing import Array
from lossfit.errors import ConfigError
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
        out = X @ W
        out += b  # in place: one array per call, not two
        return out

    def backward(self, d_out: Array) -> list[Array]:
        assert self._X is not None, "backward() needs a forward() first"
        if d_out.ndim == 1:  # X^T g as g X: the same sum, without matmul's overhead (a third of a tiny epoch's)
            return [np.dot(d_out, self._X), np.add.reduce(d_out, keepdims=True)]
        return [self._X.T @ d_out, np.add.reduce(d_out, axis=0)]

    def describe(self, task: str) -> str:
        return {
            "regression": "linear regression",
            "binary": "binary linear classifier",
            "multiclass": "softmax linear classifier",
        }[task]


Activation = Literal["relu", "tanh", "sigmoid"]
ACTIVATIONS: tuple[str, ...] = ("relu", "tanh", "sigmoid")
MAX_UNITS = 4096


@dataclass
class MLP:
    """A small multi-layer perceptron: hidden layers with one activation, then a linear output.

    Initialisation (seeded): He normal, std sqrt(2 / fan_in), for relu; Glorot
    (Xavier) uniform, limit sqrt(6 / (fan_in + fan_out)), for tanh and sigmoid;
    biases start at zero. The output layer is linear: raw values, scores or logits.

    Notes
    -----
    ::

        forward:   a_0 = X,   z_l = a_{l-1} W_l + b_l,   a_l = f(z_l)   (l = 1..L-1)
                   out = a_{L-1} W_L + b_L
        backward:  g_L = dLoss/d out
                   dW_l = a_{l-1}^T g_l,   db_l = sum_i g_l[i]
                   g_{l-1} = (g_l W_l^T) * f'(z_{l-1})
        f'(z):     relu: 1 if z > 0 else 0,   tanh: 1 - a^2,   sigmoid: a (1 - a)

    >>> m = MLP(hidden=(3,), activation="tanh")
    >>> m.build(n_features=2, n_outputs=1, rng=np.random.default_rng(0))
    >>> [p.shape for p in m.params], m.is_weight
    ([(2, 3), (3,), (3,), (1,)], [True, False, True, False])
    >>> m.forward(np.zeros((4, 2))).shape
    (4,)
    """

    hidden: tuple[int, ...] = (16, 16)
    activation: Activation = "tanh"

    name: ClassVar[str] = "mlp"
    summary: ClassVar[str] = "hidden layers with relu, tanh or sigmoid, then a linear output"

    params: list[Array] = field(default_factory=list, init=False, repr=False)
    is_weight: list[bool] = field(default_factory=list, init=False, repr=False)
    _activations: list[Array] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.hidden = tuple(self.hidden)
        if not self.hidden:
            raise ConfigError("mlp: `hidden` needs at least one layer, e.g. hidden=(16,); for none use --model linear.")
        for units in self.hidden:
            if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
                raise ConfigError(
                    f"mlp: every hidden layer needs 1 to {MAX_UNITS} units; got hidden={self.hidden!r}."
                )
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"mlp: unknown activation {self.activation!r}; expected one of {', '.join(ACTIVATIONS)}.")

    def build(self, n_features: int, n_outputs: int, rng: np.random.Generator) -> None:
        sizes = [n_features, *self.hidden, n_outputs]
        self.params, self.is_weight = [], []
        for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = layer == len(sizes) - 2
            shape = (fan_in,) if last and n_outputs == 1 else (fan_in, fan_out)
            if self.activation == "relu":
                W = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
            else:
                limit = np.sqrt(6.0 / (fan_in + fan_out))
                W = rng.uniform(-limit, limit, size=shape)
            self.params += [W, np.zeros(fan_out)]
            self.is_weight += [True, False]

    def _act(self, z: Array) -> Array:
        if self.activation == "relu":
            return np.maximum(z, 0.0)
        if self.activation == "tanh":
            return np.tanh(z)
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid without overflow in exp

    def _act_grad(self, a: Array) -> Array:
        """f'(z) written in terms of the activation's output a = f(z)."""
        if self.activation == "relu":
            return (a > 0).astype(a.dtype)
        if self.activation == "tanh":
            return 1.0 - a * a
        return a * (1.0 - a)

    def forward(self, X: Array) -> Array:
        a = X
        self._activations = [a]
        for W, b in zip(self.params[0:-2:2], self.params[1:-2:2]):
            a = self._act(a @ W + b)
            self._activations.append(a)
        return a @ self.params[-2] + self.params[-1]

    def predict(self, X: Array) -> Array:
        activations = self._activations
        try:
            return self.forward(X)
        finally:
            self._activations = activations

    def backward(self, d_out: Array) -> list[Array]:
        grads: list[Array] = [np.empty(0)] * len(self.params)
        g = d_out
        for layer in range(len(self.params) // 2 - 1, -1, -1):
            W = self.params[2 * layer]
            a_in = self._activations[layer]
            grads[2 * layer] = a_in.T @ g
            grads[2 * layer + 1] = g.sum(axis=0, keepdims=g.ndim == 1)
            if layer:
                g_in = np.outer(g, W) if g.ndim == 1 else g @ W.T
                g = g_in * self._act_grad(a_in)
        return grads

    def describe(self, task: str) -> str:
        layers = "-".join(str(units) for units in self.hidden)
        return f"MLP {layers} {self.activation}"


registry: Registry[Linear | MLP] = Registry("model")
registry.register("linear", Linear, summary=Linear.summary)
registry.register("mlp", MLP, summary=MLP.summary)


def names() -> list[str]:
    return registry.names()


def get(spec: str) -> Linear | MLP:
    """Build an (unsized) model from a name or spec; call `build` before use."""
    return registry.from_spec(spec)


def spec_of(model: Linear | MLP) -> str:
    return registry.resolved_spec(model.name, model)
