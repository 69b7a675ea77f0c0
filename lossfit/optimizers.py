r"""Optimizers written from scratch in NumPy, with torch.optim's names, defaults and updates.

Every optimizer registered under a ``torch.optim`` name (``sgd``, ``adam``, ...)
takes the same keyword arguments with the same defaults and performs the same
update, step for step, as the PyTorch class of that name (torch 2.13; see
``shared/reference/optimizers.md``). The tests compare 50-step trajectories
with torch's to 1e-12. Textbook and Keras forms that differ from torch
(``momentum_ema``, ``momentum_sutskever``, ``adam_eps_inside``,
``adam_keras_eps``, ``rmsprop_tf``) are separate entries whose
``torch_difference`` says how.

    >>> import numpy as np
    >>> from lossfit import optimizers
    >>> opt = optimizers.get("sgd(momentum=0.9)", lr=0.1)
    >>> w = np.array([1.0, -2.0])
    >>> opt.step([w], [2 * w])          # gradient of sum(w**2); w changes in place
    >>> w
    array([ 0.8, -1.6])
    >>> optimizers.spec_of(opt)
    'sgd(momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0)'

Contract (DESIGN.md): ``opt.step(params, grads)`` takes matching lists of
float arrays and updates ``params`` in place. Per-parameter state lives in
``opt.state[i]`` (a dict, keyed by list position, created on the first step);
``opt.reset()`` forgets it. ``opt.lr`` (and ``momentum`` / ``betas``, which the
one-cycle schedule cycles) are plain attributes that schedules set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from lossfit._typing import Array
from lossfit.errors import ConfigError, DataError, ShapeError
from lossfit.registry import Registry
from lossfit.spec import format_spec

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "NAdam",
    "RAdam",
    "Adamax",
    "Adadelta",
    "MomentumEMA",
    "MomentumSutskever",
    "AdamEpsInside",
    "AdamKerasEps",
    "RMSpropTF",
    "registry",
    "get",
    "names",
    "spec_of",
]


class Optimizer:
    """Shared machinery: argument checks, lazily created per-parameter state, config.

    Subclasses are keyword-only dataclasses whose fields are the
    hyper-parameters; they implement ``_validate`` and ``step``. ``step`` starts
    with the two-line guard ``if len(params) != self._n or len(grads) != self._n:
    self._start(params, grads)``, so the shape checks and the state allocation
    happen once, on the first step, and later steps pay one length comparison.
    """

    name: ClassVar[str]  # the canonical registry name
    summary: ClassVar[str]
    lr: float

    def __post_init__(self) -> None:
        self._validate()
        self.reset()

    def _validate(self) -> None:
        """Check (and coerce) the hyper-parameters; each subclass lists its own."""

    # -- state -------------------------------------------------------------

    def reset(self) -> None:
        """Forget all per-parameter state (momentum buffers, moments, step counts)."""
        self.state: list[dict[str, Any]] = []
        self._n = -1  # number of parameter arrays; -1 until the first step

    def _init_state(self, p: Array) -> dict[str, Any]:
        """The state of one parameter before its first update."""
        return {}

    def _start(self, params: list[Array], grads: list[Array]) -> None:
        """First step (or a length mismatch): check shapes and create the state."""
        where = f"optimizer `{self.name}`"
        if len(params) != len(grads):
            raise ShapeError(
                f"{where}: got {len(params)} parameter arrays but {len(grads)} gradients; "
                f"step(params, grads) needs one gradient per parameter, in the same order."
            )
        if self._n >= 0:
            raise ShapeError(
                f"{where} was started on {self._n} parameter arrays but now got {len(params)}; "
                f"call reset() before using it on another model."
            )
        for i, (p, g) in enumerate(zip(params, grads)):
            if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
                kind = p.dtype if isinstance(p, np.ndarray) else type(p).__name__
                raise DataError(
                    f"{where}: parameter {i} must be a float NumPy array (updated in place), got {kind}."
                )
            if np.shape(g) != p.shape:
                raise ShapeError(
                    f"{where}: gradient {i} has shape {np.shape(g)} but parameter {i} has shape "
                    f"{p.shape}; they must be equal."
                )
        self.state = [self._init_state(p) for p in params]
        self._n = len(params)

    def step(self, params: list[Array], grads: list[Array]) -> None:  # pragma: no cover
        raise NotImplementedError

    # -- description -------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """Every hyper-parameter, lr included, as plain Python values."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    # -- validation helpers ------------------------------------------------

    def _number(
        self,
        key: str,
        low: float = -math.inf,
        high: float = math.inf,
        *,
        low_open: bool = False,
        high_open: bool = False,
        valid: str | None = None,
    ) -> None:
        """Check that attribute `key` is a finite real number in the given interval; store it as float."""
        value = getattr(self, key)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise ConfigError(
                f"optimizer `{self.name}`: `{key}` must be a number, got {value!r} ({type(value).__name__})."
            )
        value = float(value)
        above = value > low if low_open else value >= low
        below = value < high if high_open else value <= high
        if not (math.isfinite(value) and above and below):
            raise ConfigError(
                f"optimizer `{self.name}`: {key}={value!r} is out of range; "
                f"expected {valid or _interval(key, low, high, low_open, high_open)}."
            )
        setattr(self, key, value)

    def _betas(self) -> None:
        betas = getattr(self, "betas")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ConfigError(
                f"optimizer `{self.name}`: betas={betas!r} must be a pair (beta1, beta2), "
                f"e.g. betas=(0.9, 0.999)."
            )
        checked = []
        for i, beta in enumerate(betas):
            ok = isinstance(beta, (int, float)) and not isinstance(beta, bool)
            if not ok or not 0.0 <= float(beta) < 1.0:
                raise ConfigError(
                    f"optimizer `{self.name}`: betas[{i}]={beta!r} is out of range; "
                    f"expected 0 <= beta{i + 1} < 1."
                )
            checked.append(float(beta))
        self.betas = (checked[0], checked[1])

    def _flag(self, key: str) -> None:
        value = getattr(self, key)
        if not isinstance(value, (bool, np.bool_)):
            raise ConfigError(
                f"optimizer `{self.name}`: `{key}` must be True or False, got {value!r}."
            )
        setattr(self, key, bool(value))


def _interval(key: str, low: float, high: float, low_open: bool, high_open: bool) -> str:
    def show(x: float) -> str:
        return f"{x:g}"

    if high == math.inf:
        return f"{key} {'>' if low_open else '>='} {show(low)} (and finite)"
    return f"{show(low)} {'<' if low_open else '<='} {key} {'<' if high_open else '<='} {show(high)}"


# ---------------------------------------------------------------------------
# SGD
# ---------------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (torch.optim.SGD).

    Parameters
    ----------
    lr : float
        Learning rate γ (torch's default 1e-3).
    momentum : float
        Momentum factor μ in [0, 1); 0 turns momentum off.
    dampening : float
        Dampening τ of the momentum buffer (not applied on the first step).
    nesterov : bool
        Nesterov momentum; needs momentum > 0 and dampening = 0.
    weight_decay : float
        L2 penalty λ, added to the gradient.

    Notes
    -----
    The update, as the torch 2.13 documentation states it::

        input: γ (lr), θ_0 (params), f(θ) (objective), λ (weight decay),
               μ (momentum), τ (dampening), nesterov
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            if λ ≠ 0
                g_t ← g_t + λ θ_{t-1}
            if μ ≠ 0
                if t > 1
                    b_t ← μ b_{t-1} + (1 - τ) g_t
                else
                    b_t ← g_t
                if nesterov
                    g_t ← g_t + μ b_t
                else
                    g_t ← b_t
            θ_t ← θ_{t-1} - γ g_t
        return θ_t

    The first momentum buffer is b_1 = g_1: dampening is not applied on step 1.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([3.0])
    >>> opt = SGD(lr=0.25)
    >>> for _ in range(3):
    ...     opt.step([w], [2 * w])      # f(w) = w², g = 2w, so w halves each step
    >>> w
    array([0.375])
    """

    name: ClassVar[str] = "sgd"
    summary: ClassVar[str] = "gradient descent, optionally with (Nesterov) momentum"

    lr: float = 1e-3
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._number("momentum", 0.0, 1.0, high_open=True)
        self._number("dampening", 0.0, 1.0)
        self._flag("nesterov")
        self._number("weight_decay", 0.0)
        if self.nesterov and (self.momentum <= 0.0 or self.dampening != 0.0):
            raise ConfigError(
                f"optimizer `sgd`: nesterov=True needs momentum > 0 and dampening = 0, "
                f"got momentum={self.momentum!r}, dampening={self.dampening!r}."
            )

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"momentum_buffer": None}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr = self.lr
        momentum = self.momentum
        weight_decay = self.weight_decay
        if momentum == 0.0 and weight_decay == 0.0:  # plain gradient descent: the hot path
            for p, g in zip(params, grads):
                p -= lr * g
            return
        for p, g, state in zip(params, grads, self.state):
            if weight_decay != 0.0:
                g = g + weight_decay * p
            if momentum != 0.0:
                buf = state["momentum_buffer"]
                if buf is None:  # b_1 = g_1
                    buf = state["momentum_buffer"] = np.array(g, dtype=p.dtype, copy=True)
                else:
                    buf *= momentum
                    buf += (1.0 - self.dampening) * g
                g = g + momentum * buf if self.nesterov else buf
            p -= lr * g


# ---------------------------------------------------------------------------
# adaptive methods
# ---------------------------------------------------------------------------


def _lerp_(a: Array, b: Array, weight: float) -> None:
    """a ← a + weight (b - a), in place, computed exactly as torch's ``lerp_``."""
    if abs(weight) < 0.5:
        a += weight * (b - a)
    else:
        a[...] = b - (b - a) * (1.0 - weight)


def _weight_decay_coupled(g: Array, p: Array, weight_decay: float) -> Array:
    """L2 weight decay: g ← g + λθ (a new array; the caller's gradient is never changed)."""
    return g + weight_decay * p


@dataclass(kw_only=True, eq=False)
class Adagrad(Optimizer):
    r"""Adagrad: per-coordinate steps shrinking with the summed squared gradients (torch.optim.Adagrad).

    Notes
    -----
    The update, as the torch 2.13 documentation states it::

        input: γ (lr), θ_0 (params), f(θ) (objective), λ (weight decay),
               τ (initial accumulator value), η (lr decay)
        initialize: state_sum_0 ← τ
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            γ̃ ← γ / (1 + (t - 1) η)
            if λ ≠ 0
                g_t ← g_t + λ θ_{t-1}
            state_sum_t ← state_sum_{t-1} + g_t²
            θ_t ← θ_{t-1} - γ̃ g_t / (√state_sum_t + ε)
        return θ_t

    ε (eps) is added *outside* the square root.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0])
    >>> Adagrad(lr=0.1).step([w], [2 * w])   # first step: about lr·sign(g) per coordinate
    >>> w
    array([ 0.9, -1.9])
    """

    name: ClassVar[str] = "adagrad"
    summary: ClassVar[str] = "per-coordinate steps that shrink with the sum of squared gradients"

    lr: float = 1e-2
    lr_decay: float = 0.0
    weight_decay: float = 0.0
    initial_accumulator_value: float = 0.0
    eps: float = 1e-10

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._number("lr_decay", 0.0)
        self._number("weight_decay", 0.0)
        self._number("initial_accumulator_value", 0.0)
        self._number("eps", 0.0, low_open=True)

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"step": 0, "sum": np.full_like(p, self.initial_accumulator_value)}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr, weight_decay, eps = self.lr, self.weight_decay, self.eps
        for p, g, state in zip(params, grads, self.state):
            state["step"] += 1
            t = state["step"]
            if weight_decay != 0.0:
                g = _weight_decay_coupled(g, p, weight_decay)
            clr = lr / (1 + (t - 1) * self.lr_decay)
            state_sum = state["sum"]
            state_sum += g * g
            std = np.sqrt(state_sum)
            std += eps
            p -= clr * g / std


@dataclass(kw_only=True, eq=False)
class RMSprop(Optimizer):
    r"""RMSprop: steps divided by a running RMS of the gradient (torch.optim.RMSprop).

    Notes
    -----
    The update, as the torch 2.13 documentation states it::

        input: α (alpha), γ (lr), θ_0 (params), f(θ) (objective),
               λ (weight decay), μ (momentum), centered, ε (epsilon)
        initialize: v_0 ← 0 (square average), b_0 ← 0 (buffer), g^ave_0 ← 0
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            if λ ≠ 0
                g_t ← g_t + λ θ_{t-1}
            v_t ← α v_{t-1} + (1 - α) g_t²
            ṽ_t ← v_t
            if centered
                g^ave_t ← g^ave_{t-1} α + (1 - α) g_t
                ṽ_t ← ṽ_t - (g^ave_t)²
            if μ > 0
                b_t ← μ b_{t-1} + g_t / (√ṽ_t + ε)
                θ_t ← θ_{t-1} - γ b_t
            else
                θ_t ← θ_{t-1} - γ g_t / (√ṽ_t + ε)
        return θ_t

    ε is added *outside* the square root (TensorFlow/Keras put it inside).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0])
    >>> RMSprop(lr=0.01).step([w], [2 * w])  # v_1 = 0.01 g², so the first step is 10·lr·sign(g)
    >>> w
    array([ 0.9, -1.9])
    """

    name: ClassVar[str] = "rmsprop"
    summary: ClassVar[str] = "steps divided by a running root-mean-square of the gradient"

    lr: float = 1e-2
    alpha: float = 0.99
    eps: float = 1e-8
    weight_decay: float = 0.0
    momentum: float = 0.0
    centered: bool = False

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._number("alpha", 0.0, 1.0, high_open=True)
        self._number("eps", 0.0, low_open=True)
        self._number("weight_decay", 0.0)
        self._number("momentum", 0.0, 1.0, high_open=True)
        self._flag("centered")

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"step": 0, "square_avg": np.zeros_like(p)}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr, alpha, eps = self.lr, self.alpha, self.eps
        weight_decay, momentum = self.weight_decay, self.momentum
        for p, g, state in zip(params, grads, self.state):
            state["step"] += 1
            if weight_decay != 0.0:
                g = _weight_decay_coupled(g, p, weight_decay)
            square_avg = state["square_avg"]
            square_avg *= alpha
            square_avg += (1.0 - alpha) * g * g
            if self.centered:
                grad_avg = state.get("grad_avg")
                if grad_avg is None:
                    grad_avg = state["grad_avg"] = np.zeros_like(p)
                _lerp_(grad_avg, g, 1.0 - alpha)
                avg = np.sqrt(square_avg - grad_avg * grad_avg)
            else:
                avg = np.sqrt(square_avg)
            avg += eps
            if momentum > 0.0:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = np.zeros_like(p)
                buf *= momentum
                buf += g / avg
                p -= lr * buf
            else:
                p -= lr * g / avg


@dataclass(kw_only=True, eq=False)
class _AdamCore(Optimizer):
    """The Adam update shared by Adam and AdamW (which differ in defaults only)."""

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    amsgrad: bool = False

    def _decoupled(self) -> bool:
        """Decoupled weight decay: a field of Adam, always on for AdamW."""
        raise NotImplementedError

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._betas()
        self._number("eps", 0.0, low_open=True)
        self._number("weight_decay", 0.0)
        self._flag("amsgrad")

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr, eps, weight_decay = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        decoupled = self._decoupled()
        for p, g, state in zip(params, grads, self.state):
            state["step"] += 1
            t = state["step"]
            if weight_decay != 0.0:
                if decoupled:
                    p *= 1.0 - lr * weight_decay
                else:
                    g = _weight_decay_coupled(g, p, weight_decay)
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            _lerp_(exp_avg, g, 1.0 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1.0 - beta2) * g * g
            bias_correction1 = 1.0 - beta1**t
            bias_correction2_sqrt = (1.0 - beta2**t) ** 0.5
            if self.amsgrad:  # the max of the *raw* v, bias-corrected afterwards
                max_sq = state.get("max_exp_avg_sq")
                if max_sq is None:
                    max_sq = state["max_exp_avg_sq"] = np.zeros_like(p)
                np.maximum(max_sq, exp_avg_sq, out=max_sq)
                denom = np.sqrt(max_sq) / bias_correction2_sqrt
            else:
                denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt
            denom += eps
            p -= (lr / bias_correction1) * exp_avg / denom


@dataclass(kw_only=True, eq=False)
class Adam(_AdamCore):
    r"""Adam: bias-corrected running means of g and g² (torch.optim.Adam).

    Notes
    -----
    The update, as the torch 2.13 documentation states it::

        input: γ (lr), β1, β2 (betas), θ_0 (params), f(θ) (objective),
               λ (weight decay), amsgrad, decoupled (decoupled_weight_decay)
        initialize: m_0 ← 0 (first moment), v_0 ← 0 (second moment), v_0^max ← 0
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            θ_t ← θ_{t-1}
            if λ ≠ 0
                if decoupled
                    θ_t ← θ_{t-1} - γ λ θ_{t-1}
                else
                    g_t ← g_t + λ θ_{t-1}
            m_t ← β1 m_{t-1} + (1 - β1) g_t
            v_t ← β2 v_{t-1} + (1 - β2) g_t²
            m̂_t ← m_t / (1 - β1^t)
            if amsgrad
                v_t^max ← max(v_{t-1}^max, v_t)
                v̂_t ← v_t^max / (1 - β2^t)
            else
                v̂_t ← v_t / (1 - β2^t)
            θ_t ← θ_t - γ m̂_t / (√v̂_t + ε)
        return θ_t

    ε is added *outside* the square root; AMSGrad takes the max of the raw v_t
    (torch docs before 2.6 wrongly showed the max after bias correction).
    ``adam(decoupled_weight_decay=True)`` is exactly ``adamw``.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0])
    >>> Adam(lr=0.1).step([w], [2 * w])      # first step: m̂ = g, v̂ = g², so about lr·sign(g)
    >>> w
    array([ 0.9, -1.9])
    """

    name: ClassVar[str] = "adam"
    summary: ClassVar[str] = "bias-corrected running means of the gradient and its square"

    decoupled_weight_decay: bool = False

    def _validate(self) -> None:
        super()._validate()
        self._flag("decoupled_weight_decay")

    def _decoupled(self) -> bool:
        return self.decoupled_weight_decay


@dataclass(kw_only=True, eq=False)
class AdamW(_AdamCore):
    r"""AdamW: Adam with decoupled weight decay, scaled by lr (torch.optim.AdamW).

    Notes
    -----
    The update, as the torch 2.13 documentation states it::

        input: γ (lr), β1, β2 (betas), θ_0 (params), f(θ) (objective),
               λ (weight decay), amsgrad
        initialize: m_0 ← 0 (first moment), v_0 ← 0 (second moment), v_0^max ← 0
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            θ_t ← θ_{t-1} - γ λ θ_{t-1}
            m_t ← β1 m_{t-1} + (1 - β1) g_t
            v_t ← β2 v_{t-1} + (1 - β2) g_t²
            m̂_t ← m_t / (1 - β1^t)
            if amsgrad
                v_t^max ← max(v_{t-1}^max, v_t)
                v̂_t ← v_t^max / (1 - β2^t)
            else
                v̂_t ← v_t / (1 - β2^t)
            θ_t ← θ_t - γ m̂_t / (√v̂_t + ε)
        return θ_t

    The default weight decay is λ = 1e-2 (Adam's is 0), and the decay is
    multiplied by the learning rate γ.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0])
    >>> AdamW(lr=0.1, weight_decay=0.5).step([w], [np.zeros(2)])   # no gradient: only the decay
    >>> w                                                          # θ (1 - γλ) = 0.95 θ
    array([ 0.95, -1.9 ])
    """

    name: ClassVar[str] = "adamw"
    summary: ClassVar[str] = "Adam with decoupled weight decay (default 1e-2, scaled by lr)"
    decoupled_weight_decay: ClassVar[bool] = True

    weight_decay: float = 1e-2

    def _decoupled(self) -> bool:
        return True


@dataclass(kw_only=True, eq=False)
class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum and a momentum warm-up (torch.optim.NAdam).

    Notes
    -----
    The update, as the torch 2.13 documentation states it::

        input: γ (lr), β1, β2 (betas), θ_0 (params), f(θ) (objective),
               λ (weight decay), ψ (momentum decay), decoupled (decoupled_weight_decay)
        initialize: m_0 ← 0 (first moment), v_0 ← 0 (second moment)
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            θ_t ← θ_{t-1}
            if λ ≠ 0
                if decoupled
                    θ_t ← θ_{t-1} - γ λ θ_{t-1}
                else
                    g_t ← g_t + λ θ_{t-1}
            μ_t ← β1 (1 - ½ 0.96^(t ψ))
            μ_{t+1} ← β1 (1 - ½ 0.96^((t+1) ψ))
            m_t ← β1 m_{t-1} + (1 - β1) g_t
            v_t ← β2 v_{t-1} + (1 - β2) g_t²
            m̂_t ← μ_{t+1} m_t / (1 - ∏_{i=1}^{t+1} μ_i) + (1 - μ_t) g_t / (1 - ∏_{i=1}^{t} μ_i)
            v̂_t ← v_t / (1 - β2^t)
            θ_t ← θ_t - γ m̂_t / (√v̂_t + ε)
        return θ_t

    The running product ∏ μ_i is per-parameter state (``mu_product``).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0])
    >>> NAdam(lr=0.1).step([w], [2 * w])
    >>> np.round(w, 4)
    array([ 0.8944, -1.8944])
    """

    name: ClassVar[str] = "nadam"
    summary: ClassVar[str] = "Adam with Nesterov momentum and a momentum warm-up"

    lr: float = 2e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    momentum_decay: float = 4e-3
    decoupled_weight_decay: bool = False

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._betas()
        self._number("eps", 0.0, low_open=True)
        self._number("weight_decay", 0.0)
        self._number("momentum_decay", 0.0)
        self._flag("decoupled_weight_decay")

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"step": 0, "mu_product": 1.0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr, eps, weight_decay, psi = self.lr, self.eps, self.weight_decay, self.momentum_decay
        beta1, beta2 = self.betas
        for p, g, state in zip(params, grads, self.state):
            state["step"] += 1
            t = state["step"]
            bias_correction2 = 1.0 - beta2**t
            if weight_decay != 0.0:
                if self.decoupled_weight_decay:
                    p *= 1.0 - lr * weight_decay
                else:
                    g = _weight_decay_coupled(g, p, weight_decay)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
            state["mu_product"] *= mu
            mu_product = state["mu_product"]
            mu_product_next = mu_product * mu_next
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            _lerp_(exp_avg, g, 1.0 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1.0 - beta2) * g * g
            denom = np.sqrt(exp_avg_sq / bias_correction2)
            denom += eps
            p += (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
            p += ((-lr * mu_next) / (1.0 - mu_product_next)) * exp_avg / denom


@dataclass(kw_only=True, eq=False)
class RAdam(Optimizer):
    r"""RAdam: Adam with the variance of the adaptive step rectified (torch.optim.RAdam).

    Notes
    -----
    The update, as the torch 2.13 documentation states it::

        input: γ (lr), β1, β2 (betas), θ_0 (params), f(θ) (objective),
               λ (weight decay), ε (epsilon), decoupled (decoupled_weight_decay)
        initialize: m_0 ← 0 (first moment), v_0 ← 0 (second moment),
                    ρ_∞ ← 2 / (1 - β2) - 1
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            θ_t ← θ_{t-1}
            if λ ≠ 0
                if decoupled
                    θ_t ← θ_t - γ λ θ_t
                else
                    g_t ← g_t + λ θ_t
            m_t ← β1 m_{t-1} + (1 - β1) g_t
            v_t ← β2 v_{t-1} + (1 - β2) g_t²
            m̂_t ← m_t / (1 - β1^t)
            ρ_t ← ρ_∞ - 2 t β2^t / (1 - β2^t)
            if ρ_t > 5
                l_t ← √(1 - β2^t) / (√v_t + ε)
                r_t ← √((ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t))
                θ_t ← θ_t - γ m̂_t r_t l_t
            else
                θ_t ← θ_t - γ m̂_t
        return θ_t

    With β2 = 0.999 the first 5 steps take the plain-momentum branch (ρ_t ≤ 5).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0])
    >>> RAdam(lr=0.1).step([w], [2 * w])     # ρ_1 = 1 ≤ 5: θ - γ m̂ with m̂ = g
    >>> w
    array([ 0.8, -1.6])
    """

    name: ClassVar[str] = "radam"
    summary: ClassVar[str] = "Adam with a rectified adaptive step (plain momentum while ρ_t ≤ 5)"

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    decoupled_weight_decay: bool = False

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._betas()
        self._number("eps", 0.0, low_open=True)
        self._number("weight_decay", 0.0)
        self._flag("decoupled_weight_decay")

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr, eps, weight_decay = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        for p, g, state in zip(params, grads, self.state):
            state["step"] += 1
            t = state["step"]
            if weight_decay != 0.0:
                if self.decoupled_weight_decay:
                    p *= 1.0 - lr * weight_decay
                else:
                    g = _weight_decay_coupled(g, p, weight_decay)
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            _lerp_(exp_avg, g, 1.0 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1.0 - beta2) * g * g
            bias_correction1 = 1.0 - beta1**t
            bias_correction2 = 1.0 - beta2**t
            m_hat = exp_avg / bias_correction1
            rho_t = rho_inf - 2.0 * t * (beta2**t) / bias_correction2
            if rho_t > 5.0:
                adaptive = bias_correction2**0.5 / (np.sqrt(exp_avg_sq) + eps)
                rect = (
                    (rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)
                ) ** 0.5
                p -= m_hat * lr * adaptive * rect
            else:
                p -= m_hat * lr


@dataclass(kw_only=True, eq=False)
class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm in place of the RMS (torch.optim.Adamax).

    Notes
    -----
    The update, as the torch 2.13 documentation states it::

        input: γ (lr), β1, β2 (betas), θ_0 (params), f(θ) (objective),
               λ (weight decay), ε (epsilon)
        initialize: m_0 ← 0 (first moment), u_0 ← 0 (infinity norm)
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            if λ ≠ 0
                g_t ← g_t + λ θ_{t-1}
            m_t ← β1 m_{t-1} + (1 - β1) g_t
            u_t ← max(β2 u_{t-1}, |g_t| + ε)
            θ_t ← θ_{t-1} - γ m_t / ((1 - β1^t) u_t)
        return θ_t

    ε is added *inside* the max.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0])
    >>> Adamax(lr=0.1).step([w], [2 * w])    # first step: about lr·sign(g)
    >>> w
    array([ 0.9, -1.9])
    """

    name: ClassVar[str] = "adamax"
    summary: ClassVar[str] = "Adam with a running max of |g| instead of the RMS"

    lr: float = 2e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._betas()
        self._number("eps", 0.0, low_open=True)
        self._number("weight_decay", 0.0)

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(p), "exp_inf": np.zeros_like(p)}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr, eps, weight_decay = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        for p, g, state in zip(params, grads, self.state):
            state["step"] += 1
            t = state["step"]
            if weight_decay != 0.0:
                g = _weight_decay_coupled(g, p, weight_decay)
            exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
            _lerp_(exp_avg, g, 1.0 - beta1)
            exp_inf *= beta2
            np.maximum(exp_inf, np.abs(g) + eps, out=exp_inf)
            clr = lr / (1.0 - beta1**t)
            p -= clr * exp_avg / exp_inf


@dataclass(kw_only=True, eq=False)
class Adadelta(Optimizer):
    r"""Adadelta: steps scaled by the ratio of running RMS of updates and gradients (torch.optim.Adadelta).

    Notes
    -----
    The update, as the torch 2.13 documentation states it::

        input: γ (lr), θ_0 (params), f(θ) (objective), ρ (decay),
               λ (weight decay), ε (epsilon)
        initialize: v_0 ← 0 (square avg), u_0 ← 0 (accumulate variables)
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            if λ ≠ 0
                g_t ← g_t + λ θ_{t-1}
            v_t ← v_{t-1} ρ + g_t² (1 - ρ)
            Δx_t ← √(u_{t-1} + ε) / √(v_t + ε) · g_t
            u_t ← u_{t-1} ρ + Δx_t² (1 - ρ)
            θ_t ← θ_{t-1} - γ Δx_t
        return θ_t

    ε is added *inside* both square roots; the default lr is 1.0.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0])
    >>> Adadelta().step([w], [2 * w])        # Δx_1 = √1e-6 / √(0.1·4 + 1e-6) · 2
    >>> np.round(w, 6)
    array([0.996838])
    """

    name: ClassVar[str] = "adadelta"
    summary: ClassVar[str] = "steps sized by running RMS of past updates over running RMS of gradients"

    lr: float = 1.0
    rho: float = 0.9
    eps: float = 1e-6
    weight_decay: float = 0.0

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._number("rho", 0.0, 1.0)
        self._number("eps", 0.0, low_open=True)
        self._number("weight_decay", 0.0)

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"step": 0, "square_avg": np.zeros_like(p), "acc_delta": np.zeros_like(p)}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr, rho, eps, weight_decay = self.lr, self.rho, self.eps, self.weight_decay
        for p, g, state in zip(params, grads, self.state):
            state["step"] += 1
            if weight_decay != 0.0:
                g = _weight_decay_coupled(g, p, weight_decay)
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            square_avg *= rho
            square_avg += (1.0 - rho) * g * g
            std = np.sqrt(square_avg + eps)
            delta = np.sqrt(acc_delta + eps) / std * g
            acc_delta *= rho
            acc_delta += (1.0 - rho) * delta * delta
            p -= lr * delta


# ---------------------------------------------------------------------------
# textbook variants (not torch): each says how it differs
# ---------------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class MomentumEMA(Optimizer):
    r"""Momentum as an exponential moving average of gradients (Ng / deeplearning.ai), not torch.

    Notes
    -----
    The update::

        initialize: v_0 ← 0
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            v_t ← β v_{t-1} + (1 - β) g_t
            θ_t ← θ_{t-1} - η v_t
        return θ_t

    It is *exactly* ``sgd(lr=η(1 - β), momentum=β)``: the (1 - β) moves from
    the buffer into the learning rate. It is *not* ``sgd(lr=η, momentum=β,
    dampening=β)``, because torch's first buffer is b_1 = g_1, not (1 - β) g_1.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0])
    >>> MomentumEMA(lr=0.5, beta=0.9).step([w], [np.array([2.0])])  # v_1 = 0.1·2 = 0.2
    >>> w                                                             # 1 - 0.5·0.2
    array([0.9])
    """

    name: ClassVar[str] = "momentum_ema"
    summary: ClassVar[str] = "textbook momentum: v = βv + (1-β)g, θ -= ηv (= sgd(lr=η(1-β), momentum=β))"
    torch_difference: ClassVar[str] = (
        "Equals torch sgd(lr=lr*(1-beta), momentum=beta) exactly; not sgd(lr=lr, momentum=beta, "
        "dampening=beta), whose first buffer is b_1 = g_1 instead of (1-beta) g_1."
    )

    lr: float = 1e-3
    beta: float = 0.9

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._number("beta", 0.0, 1.0, high_open=True)

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"velocity": np.zeros_like(p)}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr, beta = self.lr, self.beta
        for p, g, state in zip(params, grads, self.state):
            v = state["velocity"]
            v *= beta
            v += (1.0 - beta) * g
            p -= lr * v


@dataclass(kw_only=True, eq=False)
class AdamEpsInside(Optimizer):
    r"""Adam with ε inside the square root, a common textbook/implementation variant, not torch.

    Notes
    -----
    The update::

        initialize: m_0 ← 0, v_0 ← 0
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            if λ ≠ 0
                g_t ← g_t + λ θ_{t-1}
            m_t ← β1 m_{t-1} + (1 - β1) g_t
            v_t ← β2 v_{t-1} + (1 - β2) g_t²
            m̂_t ← m_t / (1 - β1^t)
            v̂_t ← v_t / (1 - β2^t)
            θ_t ← θ_{t-1} - γ m̂_t / √(v̂_t + ε)
        return θ_t

    For gradients of order 1 it is within ~1e-8 of ``adam``; for tiny gradients
    (order 1e-6) ε dominates and the steps become much smaller than Adam's.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0])
    >>> AdamEpsInside(lr=0.1).step([w], [2 * w])
    >>> w
    array([ 0.9, -1.9])
    """

    name: ClassVar[str] = "adam_eps_inside"
    summary: ClassVar[str] = "Adam with eps inside the square root: θ -= γ m̂ / √(v̂ + ε) (not torch)"
    torch_difference: ClassVar[str] = (
        "torch adam divides by (√v̂ + ε); this divides by √(v̂ + ε). Within ~4e-9 of adam for "
        "gradients of order 1, but for gradients of order 1e-6 ε dominates (max difference 1.84 "
        "on the reference problem)."
    )

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._betas()
        self._number("eps", 0.0, low_open=True)
        self._number("weight_decay", 0.0)

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr, eps, weight_decay = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        for p, g, state in zip(params, grads, self.state):
            state["step"] += 1
            t = state["step"]
            if weight_decay != 0.0:
                g = _weight_decay_coupled(g, p, weight_decay)
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            _lerp_(exp_avg, g, 1.0 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1.0 - beta2) * g * g
            m_hat = exp_avg / (1.0 - beta1**t)
            v_hat = exp_avg_sq / (1.0 - beta2**t)
            p -= lr * m_hat / np.sqrt(v_hat + eps)


@dataclass(kw_only=True, eq=False)
class MomentumSutskever(Optimizer):
    r"""Momentum as a velocity that carries the learning rate (Sutskever et al. 2013; Keras SGD), not torch.

    Notes
    -----
    The update::

        initialize: v_0 ← 0
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            v_t ← μ v_{t-1} - η g_t
            θ_t ← θ_{t-1} + v_t
        return θ_t

    While η is constant this gives exactly the iterates of ``sgd(lr=η,
    momentum=μ)`` (v_t = -η b_t). When η changes (a schedule), the old η stays
    baked into v, whereas torch multiplies the whole buffer by the new η.
    Defaults follow Keras (lr=0.01) with momentum 0.9.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0])
    >>> opt = MomentumSutskever(lr=0.1, momentum=0.9)
    >>> opt.step([w], [np.array([1.0])])     # v_1 = -0.1
    >>> opt.step([w], [np.array([2.0])])     # v_2 = 0.9·(-0.1) - 0.2 = -0.29
    >>> np.round(w, 12)
    array([0.61])
    """

    name: ClassVar[str] = "momentum_sutskever"
    summary: ClassVar[str] = "velocity momentum: v = μv - ηg, θ += v (Keras SGD; = sgd while lr is constant)"
    torch_difference: ClassVar[str] = (
        "Same iterates as torch sgd(lr, momentum) while lr is constant (within 1e-15 on the reference "
        "problem); once lr changes the old lr stays inside v and they differ (by 3.0 on the reference "
        "problem with lr=0.05 and step(step_size=10))."
    )

    lr: float = 1e-2
    momentum: float = 0.9

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._number("momentum", 0.0, 1.0, high_open=True)

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"velocity": np.zeros_like(p)}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr, momentum = self.lr, self.momentum
        for p, g, state in zip(params, grads, self.state):
            v = state["velocity"]
            v *= momentum
            v -= lr * g
            p += v


@dataclass(kw_only=True, eq=False)
class RMSpropTF(Optimizer):
    r"""RMSprop as TensorFlow/Keras write it: ε inside the square root, rho=0.9, ε=1e-7; not torch.

    Notes
    -----
    The update::

        initialize: v_0 ← 0
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            v_t ← ρ v_{t-1} + (1 - ρ) g_t²
            θ_t ← θ_{t-1} - η g_t / √(v_t + ε)
        return θ_t

    Defaults are Keras's (lr=1e-3, rho=0.9, epsilon=1e-7).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0])
    >>> RMSpropTF(lr=0.01).step([w], [np.array([2.0])])   # v_1 = 0.1·4: step 0.01·2/√(0.4 + 1e-7)
    >>> np.round(w, 6)
    array([0.968377])
    """

    name: ClassVar[str] = "rmsprop_tf"
    summary: ClassVar[str] = "Keras/TensorFlow RMSprop: θ -= ηg/√(v + ε), rho=0.9, eps=1e-7 (not torch)"
    torch_difference: ClassVar[str] = (
        "torch rmsprop divides by (√v + ε) with alpha=0.99, eps=1e-8 by default; this divides by "
        "√(v + ε) with rho=0.9, eps=1e-7. The ε placement alone changes the reference trajectory by "
        "6e-8; the different defaults by 0.60."
    )

    lr: float = 1e-3
    rho: float = 0.9
    eps: float = 1e-7

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._number("rho", 0.0, 1.0, high_open=True)
        self._number("eps", 0.0, low_open=True)

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"square_avg": np.zeros_like(p)}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr, rho, eps = self.lr, self.rho, self.eps
        for p, g, state in zip(params, grads, self.state):
            v = state["square_avg"]
            v *= rho
            v += (1.0 - rho) * g * g
            p -= lr * g / np.sqrt(v + eps)


@dataclass(kw_only=True, eq=False)
class AdamKerasEps(Optimizer):
    r"""Adam as Keras writes it, with the bias correction folded into the step size ("ε hat"); not torch.

    Notes
    -----
    The update (Kingma & Ba, end of section 2; keras.optimizers.Adam)::

        initialize: m_0 ← 0, v_0 ← 0
        for t = 1 to ... do
            g_t ← ∇_θ f_t(θ_{t-1})
            m_t ← β1 m_{t-1} + (1 - β1) g_t
            v_t ← β2 v_{t-1} + (1 - β2) g_t²
            α_t ← η √(1 - β2^t) / (1 - β1^t)
            θ_t ← θ_{t-1} - α_t m_t / (√v_t + ε̂)
        return θ_t

    This is torch's Adam with a step-dependent ε_t = ε̂ / √(1 - β2^t), which
    is much larger than ε̂ in the first steps. Defaults are Keras's (ε̂ = 1e-7).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0])
    >>> AdamKerasEps(lr=0.1).step([w], [2 * w])    # first step: about lr·sign(g)
    >>> np.round(w, 6)
    array([ 0.9, -1.9])
    """

    name: ClassVar[str] = "adam_keras_eps"
    summary: ClassVar[str] = "Keras Adam: α_t = η√(1-β2^t)/(1-β1^t), θ -= α_t m/(√v + ε̂) (not torch)"
    torch_difference: ClassVar[str] = (
        "Equals torch adam with eps replaced by eps/√(1 - β2^t). For gradients of order 1 the "
        "reference trajectories differ by 6.7e-7; for gradients scaled by 1e-6 by 0.39."
    )

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-7

    def _validate(self) -> None:
        self._number("lr", 0.0)
        self._betas()
        self._number("eps", 0.0, low_open=True)

    def _init_state(self, p: Array) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}

    def step(self, params: list[Array], grads: list[Array]) -> None:
        """Update every array of `params` in place from the matching gradient."""
        if len(params) != self._n or len(grads) != self._n:
            self._start(params, grads)
        lr, eps = self.lr, self.eps
        beta1, beta2 = self.betas
        for p, g, state in zip(params, grads, self.state):
            state["step"] += 1
            t = state["step"]
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m *= beta1
            m += (1.0 - beta1) * g
            v *= beta2
            v += (1.0 - beta2) * g * g
            alpha = lr * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
            p -= alpha * m / (np.sqrt(v) + eps)


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------

registry: Registry[Optimizer] = Registry("optimizer")


def get(name: str, **kwargs: Any) -> Optimizer:
    """Build an optimizer from a name or spec string, e.g. ``get("sgd(momentum=0.9)", lr=0.1)``.

    Keyword arguments are merged with the spec's; giving one key both ways with
    different values is an error rather than a silent choice.
    """
    return registry.from_spec(name, **kwargs)


def names() -> list[str]:
    """Every registered optimizer name, in registration order."""
    return registry.names()


def spec_of(opt: Optimizer) -> str:
    """The spec that rebuilds `opt` (with ``get(spec, lr=opt.lr)``): every parameter except lr."""
    entry = registry.entry(opt.name)
    values = {key: getattr(opt, key) for key in entry.parameters() if key != "lr"}
    return format_spec(entry.name, values)


def _register(cls: type[Optimizer], *presets: tuple[str, dict[str, Any], str]) -> None:
    registry.register(cls.name, cls, summary=cls.summary)
    for name, preset, summary in presets:
        registry.register(name, cls, preset=preset, summary=summary)


_register(
    SGD,
    ("gd", {}, "plain gradient descent (sgd without momentum)"),
    ("momentum", {"momentum": 0.9}, "sgd with momentum=0.9"),
    ("nesterov", {"momentum": 0.9, "nesterov": True}, "sgd with Nesterov momentum=0.9"),
)
for _cls in (
    Adagrad, RMSprop, Adam, AdamW, NAdam, RAdam, Adamax, Adadelta,
    MomentumEMA, MomentumSutskever, AdamEpsInside, AdamKerasEps, RMSpropTF,
):
    _register(_cls)
del _cls
