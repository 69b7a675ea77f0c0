"""Every optimizer other than SGD: one or two steps by hand, and the contract over the whole registry.

The expected values are written out from the update rules in
shared/reference/optimizers.md §3 (and §7 for the textbook variants), with
w0 = 1 and small fixed gradients, so each line of arithmetic can be checked
on paper. torch's trajectories are compared in test_optimizers_golden.py.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np
import pytest

from lossfit import optimizers
from lossfit.errors import ConfigError, ShapeError, SpecError


def steps(spec: str, lr: float, grads: list[float], w0: float = 1.0) -> list[float]:
    """w after each step, for a one-element parameter and a fixed gradient sequence."""
    opt = optimizers.get(spec, lr=lr)
    w = np.array([w0])
    out = []
    for g in grads:
        opt.step([w], [np.array([g])])
        out.append(float(w[0]))
    return out


def close(actual: list[float], expected: list[float]) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-13, atol=0)


# ---------------------------------------------------------------------------
# torch optimizers, by hand
# ---------------------------------------------------------------------------


def test_adagrad_by_hand() -> None:
    # s1 = 0 + 2² = 4; w1 = 1 - 0.1·2/(√4 + 1e-10)
    w1 = 1 - 0.1 * 2 / (2 + 1e-10)
    # lr_decay 0.5: step 2 uses 0.1/(1 + 1·0.5); s2 = 4 + 1² = 5
    w2 = w1 - 0.1 / 1.5 * 1 / (math.sqrt(5) + 1e-10)
    close(steps("adagrad(lr_decay=0.5)", 0.1, [2.0, 1.0]), [w1, w2])


def test_adagrad_initial_accumulator_and_weight_decay_by_hand() -> None:
    # g' = 2 + 0.5·1 = 2.5; s1 = 1 + 6.25 = 7.25; w1 = 1 - 0.1·2.5/(√7.25 + 1e-10)
    close(
        steps("adagrad(initial_accumulator_value=1.0, weight_decay=0.5)", 0.1, [2.0]),
        [1 - 0.1 * 2.5 / (math.sqrt(7.25) + 1e-10)],
    )


def test_rmsprop_by_hand() -> None:
    # v1 = 0.01·4 = 0.04; w1 = 1 - 0.01·2/(√0.04 + 1e-8)
    w1 = 1 - 0.01 * 2 / (0.2 + 1e-8)
    # v2 = 0.99·0.04 + 0.01·1 = 0.0496
    w2 = w1 - 0.01 * 1 / (math.sqrt(0.0496) + 1e-8)
    close(steps("rmsprop", 0.01, [2.0, 1.0]), [w1, w2])


def test_rmsprop_centered_by_hand() -> None:
    # v1 = 0.04; ḡ1 = 0.01·2 = 0.02; ṽ = 0.04 - 0.0004 = 0.0396
    close(steps("rmsprop(centered=True)", 0.01, [2.0]), [1 - 0.01 * 2 / (math.sqrt(0.0396) + 1e-8)])


def test_rmsprop_momentum_by_hand() -> None:
    # b1 = 2/(0.2 + 1e-8); w1 = 1 - 0.01·b1
    b1 = 2 / (0.2 + 1e-8)
    # v2 = 0.0496; b2 = 0.9·b1 + 1/(√0.0496 + 1e-8)
    b2 = 0.9 * b1 + 1 / (math.sqrt(0.0496) + 1e-8)
    close(steps("rmsprop(momentum=0.9)", 0.01, [2.0, 1.0]), [1 - 0.01 * b1, 1 - 0.01 * b1 - 0.01 * b2])


def test_adam_by_hand() -> None:
    # m1 = 0.1·2 = 0.2, v1 = 0.001·4 = 0.004; m̂ = 0.2/0.1 = 2, v̂ = 0.004/0.001 = 4
    w1 = 1 - 0.1 * 2 / (2 + 1e-8)
    # m2 = 0.18 + 0.1 = 0.28, v2 = 0.003996 + 0.001 = 0.004996; corrections 1 - 0.81, 1 - 0.998001
    w2 = w1 - 0.1 * (0.28 / 0.19) / (math.sqrt(0.004996 / 0.001999) + 1e-8)
    close(steps("adam", 0.1, [2.0, 1.0]), [w1, w2])


def test_adam_amsgrad_takes_the_max_of_raw_v() -> None:
    # g = 2 then 0: v1 = 0.004, v2 = 0.999·0.004 = 0.003996 < v1, so v_max = 0.004 (raw)
    # v̂2 = 0.004/(1 - 0.999²) = 0.004/0.001999; m2 = 0.18, m̂2 = 0.18/0.19
    w1 = 1 - 0.1 * 2 / (2 + 1e-8)
    w2 = w1 - 0.1 * (0.18 / 0.19) / (math.sqrt(0.004 / 0.001999) + 1e-8)
    close(steps("adam(amsgrad=True)", 0.1, [2.0, 0.0]), [w1, w2])


def test_adam_l2_and_decoupled_weight_decay_by_hand() -> None:
    # L2: g' = 2 + 0.5·1 = 2.5; first Adam step is then 0.1·2.5/(2.5 + 1e-8)
    close(steps("adam(weight_decay=0.5)", 0.1, [2.0]), [1 - 0.1 * 2.5 / (2.5 + 1e-8)])
    # decoupled: w ← 1·(1 - 0.1·0.5) = 0.95, then the plain step 0.1·2/(2 + 1e-8)
    expected = [0.95 - 0.1 * 2 / (2 + 1e-8)]
    close(steps("adam(weight_decay=0.5, decoupled_weight_decay=True)", 0.1, [2.0]), expected)
    close(steps("adamw(weight_decay=0.5)", 0.1, [2.0]), expected)


def test_adamw_default_weight_decay_is_1e_2() -> None:
    opt = optimizers.get("adamw")
    assert opt.weight_decay == 1e-2 and optimizers.get("adam").weight_decay == 0.0
    # zero gradient: only the decay acts, w ← w·(1 - lr·λ) = 1 - 0.1·0.01
    close(steps("adamw", 0.1, [0.0]), [0.999])


def test_nadam_by_hand() -> None:
    # μ_t = 0.9·(1 - ½·0.96^(0.004 t)); ∏ includes μ_{t+1}
    mu1 = 0.9 * (1 - 0.5 * 0.96 ** (1 * 0.004))
    mu2 = 0.9 * (1 - 0.5 * 0.96 ** (2 * 0.004))
    # m1 = 0.2, v̂1 = 4: w1 = 1 - 0.1·[(1 - μ1)·2/(1 - μ1) + μ2·0.2/(1 - μ1μ2)]/(2 + 1e-8)
    denom = 2 + 1e-8
    w1 = 1 - 0.1 * (1 - mu1) * 2 / (1 - mu1) / denom - 0.1 * mu2 * 0.2 / (1 - mu1 * mu2) / denom
    close(steps("nadam", 0.1, [2.0]), [w1])


def test_radam_switches_to_the_rectified_step_after_five_steps() -> None:
    # constant g = 1: m̂_t = 1 and v_t = 1 - 0.999^t. ρ_t ≤ 5 for t ≤ 5: plain steps of lr.
    rho_inf = 2 / (1 - 0.999) - 1
    t = 6
    rho6 = rho_inf - 2 * t * 0.999**t / (1 - 0.999**t)
    assert rho6 > 5
    l6 = math.sqrt(1 - 0.999**t) / (math.sqrt(1 - 0.999**t) + 1e-8)
    r6 = math.sqrt((rho6 - 4) * (rho6 - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho6))
    expected = [1 - 0.1 * k for k in range(1, 6)]
    expected.append(expected[-1] - 0.1 * r6 * l6)
    close(steps("radam", 0.1, [1.0] * 6), expected)


def test_adamax_by_hand() -> None:
    # m1 = 0.2, u1 = max(0, 2 + 1e-8); w1 = 1 - (0.1/0.1)·0.2/u1
    u1 = 2 + 1e-8
    w1 = 1 - 1.0 * 0.2 / u1
    # m2 = 0.28, u2 = max(0.999·u1, 1 + 1e-8) = 0.999·u1; step 0.1/0.19
    w2 = w1 - 0.1 / 0.19 * 0.28 / (0.999 * u1)
    close(steps("adamax", 0.1, [2.0, 1.0]), [w1, w2])


def test_adadelta_by_hand() -> None:
    # v1 = 0.1·4 = 0.4; Δ1 = √(0 + 1e-6)/√(0.4 + 1e-6)·2; u1 = 0.1·Δ1²
    d1 = math.sqrt(1e-6) / math.sqrt(0.4 + 1e-6) * 2
    u1 = 0.1 * d1**2
    # v2 = 0.36 + 0.1 = 0.46; Δ2 = √(u1 + 1e-6)/√(0.46 + 1e-6)·1
    d2 = math.sqrt(u1 + 1e-6) / math.sqrt(0.46 + 1e-6)
    close(steps("adadelta", 1.0, [2.0, 1.0]), [1 - d1, 1 - d1 - d2])


# ---------------------------------------------------------------------------
# textbook variants, by hand
# ---------------------------------------------------------------------------


def test_momentum_ema_by_hand() -> None:
    # v1 = 0.1·2 = 0.2, w1 = 1 - 0.5·0.2 = 0.9; v2 = 0.18 + 0.1 = 0.28, w2 = 0.9 - 0.14 = 0.76
    close(steps("momentum_ema(beta=0.9)", 0.5, [2.0, 1.0]), [0.9, 0.76])


def test_momentum_sutskever_by_hand() -> None:
    # v1 = -0.1·2 = -0.2, w1 = 0.8; v2 = -0.18 - 0.1 = -0.28, w2 = 0.52
    close(steps("momentum_sutskever(momentum=0.9)", 0.1, [2.0, 1.0]), [0.8, 0.52])


def test_adam_eps_inside_by_hand() -> None:
    # m̂ = 2, v̂ = 4: w1 = 1 - 0.1·2/√(4 + 1e-8)
    close(steps("adam_eps_inside", 0.1, [2.0]), [1 - 0.1 * 2 / math.sqrt(4 + 1e-8)])


def test_adam_keras_eps_by_hand() -> None:
    # α1 = 0.1·√0.001/0.1; m1 = 0.2, v1 = 0.004: w1 = 1 - α1·0.2/(√0.004 + 1e-7)
    alpha1 = 0.1 * math.sqrt(1 - 0.999) / (1 - 0.9)
    close(steps("adam_keras_eps", 0.1, [2.0]), [1 - alpha1 * 0.2 / (math.sqrt(0.004) + 1e-7)])


def test_rmsprop_tf_by_hand() -> None:
    # v1 = 0.1·4 = 0.4: w1 = 1 - 0.01·2/√(0.4 + 1e-7)
    close(steps("rmsprop_tf", 0.01, [2.0]), [1 - 0.01 * 2 / math.sqrt(0.4 + 1e-7)])


# ---------------------------------------------------------------------------
# the contract, over the whole registry
# ---------------------------------------------------------------------------

ALL = optimizers.names()
TORCH_LR = {
    "sgd": 1e-3, "gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "adagrad": 1e-2, "rmsprop": 1e-2,
    "adam": 1e-3, "adamw": 1e-3, "nadam": 2e-3, "radam": 1e-3, "adamax": 2e-3, "adadelta": 1.0,
}  # fmt: skip


@pytest.mark.parametrize("name", list(TORCH_LR))
def test_default_lr_is_torchs(name: str) -> None:
    assert optimizers.get(name).lr == TORCH_LR[name]


@pytest.mark.parametrize("name", ALL)
def test_documented(name: str) -> None:
    cls = optimizers.registry.entry(name).factory
    doc = inspect.getdoc(cls) or ""
    assert "θ_t" in doc and "::" in doc, f"{name}: the update rule belongs in the docstring"
    assert ">>>" in doc, f"{name}: one runnable example"
    assert isinstance(cls.summary, str) and cls.summary
    assert optimizers.registry.entry(name).summary


@pytest.mark.parametrize("name", ALL)
def test_in_place_and_separate_state(name: str) -> None:
    rng = np.random.default_rng(7)
    w1, w2 = rng.normal(size=3), rng.normal(size=(2, 2))
    v1, v2, start = w1.copy(), w2.copy(), w1.copy()
    together, alone1, alone2 = (optimizers.get(name, lr=0.01) for _ in range(3))
    params = [w1, w2]
    for _ in range(4):
        g1, g2 = rng.normal(size=3), rng.normal(size=(2, 2))
        g1_before = g1.copy()
        together.step(params, [g1, g2])
        alone1.step([v1], [g1])
        alone2.step([v2], [g2])
        np.testing.assert_array_equal(g1, g1_before)  # gradients are never modified
    assert params[0] is w1 and params[1] is w2
    np.testing.assert_array_equal(w1, v1)
    np.testing.assert_array_equal(w2, v2)
    assert len(together.state) == 2 and np.all(w1 != start)


@pytest.mark.parametrize("name", [n for n in ALL if "weight_decay" in optimizers.registry.entry(n).parameters()])
def test_weight_decay_never_touches_the_gradient(name: str) -> None:
    opt = optimizers.get(name, lr=0.1, weight_decay=0.5)
    g = np.array([1.0, -1.0])
    opt.step([np.array([2.0, 3.0])], [g])
    np.testing.assert_array_equal(g, [1.0, -1.0])


@pytest.mark.parametrize("name", ALL)
def test_state_is_created_on_the_first_step_and_reset(name: str) -> None:
    opt = optimizers.get(name, lr=0.01)
    assert opt.state == []
    opt.step([np.ones(2)], [np.ones(2)])
    assert len(opt.state) == 1 and isinstance(opt.state[0], dict)
    opt.reset()
    assert opt.state == []
    opt.step([np.ones(2), np.ones(3)], [np.ones(2), np.ones(3)])
    assert len(opt.state) == 2


@pytest.mark.parametrize("name", ALL)
def test_shape_errors(name: str) -> None:
    opt = optimizers.get(name)
    with pytest.raises(ShapeError, match=f"optimizer `{opt.name}`: gradient 0 has shape"):
        opt.step([np.ones(2)], [np.ones((2, 1))])
    with pytest.raises(ShapeError, match="parameter arrays but"):
        opt.step([np.ones(2)], [])


@pytest.mark.parametrize("name", ALL)
def test_config_spec_and_repr(name: str) -> None:
    opt = optimizers.get(name, lr=0.05)
    entry = optimizers.registry.entry(name)
    config = opt.config()
    assert list(config) == list(entry.parameters())
    assert config["lr"] == 0.05
    spec = optimizers.spec_of(opt)
    assert "lr=" not in spec and spec.startswith(opt.name)
    again = optimizers.get(spec, lr=0.05)
    assert again.config() == config and type(again) is type(opt)
    assert eval(repr(opt), vars(optimizers)).config() == config  # __repr__ rebuilds the call


@pytest.mark.parametrize("name", ALL)
def test_float32_parameters_stay_float32(name: str) -> None:
    w = np.ones(3, dtype=np.float32)
    optimizers.get(name, lr=0.01).step([w], [np.ones(3, dtype=np.float32)])
    assert w.dtype == np.float32 and np.all(w < 1)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("adam(eps=0)", r"optimizer `adam`: eps=0.0 is out of range; expected eps > 0"),
        ("adam(betas=(0.9, 1.0))", r"optimizer `adam`: betas\[1\]=1.0 is out of range; expected 0 <= beta2 < 1\."),
        ("nadam(betas=(-0.1, 0.9))", r"betas\[0\]=-0.1 is out of range; expected 0 <= beta1 < 1\."),
        ("adamw(betas=(0.9,))", r"betas=\(0.9,\) must be a pair \(beta1, beta2\)"),
        ("rmsprop(alpha=1.0)", r"optimizer `rmsprop`: alpha=1.0 is out of range; expected 0 <= alpha < 1\."),
        ("rmsprop(momentum=1.5)", r"momentum=1.5 is out of range"),
        ("adagrad(lr_decay=-1)", r"lr_decay=-1.0 is out of range; expected lr_decay >= 0"),
        ("adagrad(initial_accumulator_value=-0.5)", r"initial_accumulator_value=-0.5 is out of range"),
        ("adadelta(rho=1.5)", r"rho=1.5 is out of range; expected 0 <= rho <= 1\."),
        ("nadam(momentum_decay=-0.1)", r"momentum_decay=-0.1 is out of range"),
        ("radam(weight_decay=-0.1)", r"weight_decay=-0.1 is out of range"),
        ("adamax(eps=-1e-8)", r"eps=-1e-08 is out of range"),
        ("momentum_ema(beta=1.0)", r"optimizer `momentum_ema`: beta=1.0 is out of range"),
        ("adam(lr=-1)", r"optimizer `adam`: lr=-1.0 is out of range; expected lr >= 0"),
    ],
)
def test_config_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        optimizers.get(spec)


def test_wrong_types_are_spec_errors() -> None:
    with pytest.raises(SpecError, match=r"`amsgrad` must be True or False, got 'yes'"):
        optimizers.get("adam(amsgrad='yes')")
    with pytest.raises(SpecError, match=r"Unknown parameter `decoupled_weight_decay` for optimizer `adamw`"):
        optimizers.get("adamw(decoupled_weight_decay=True)")


def test_betas_are_settable_for_one_cycle() -> None:
    opt: Any = optimizers.get("adam", lr=0.1)
    opt.betas = (0.0, 0.999)  # β1 = 0: m̂ = g, the first step is still lr·sign(g)
    w = np.array([1.0])
    opt.step([w], [np.array([2.0])])
    np.testing.assert_allclose(w, [1 - 0.1 * 2 / (2 + 1e-8)], rtol=1e-14)
