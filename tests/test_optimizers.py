"""Optimizers: one step by hand per option, convergence, state, in-place updates, errors.

The torch golden trajectories are in test_optimizers_golden.py; the
parabola/Rosenbrock battery over every registered optimizer is in
test_optimizers_convergence.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from lossfit import optimizers
from lossfit.errors import ConfigError, DataError, ShapeError, SpecError, UnknownNameError


def run(opt: optimizers.Optimizer, w0: list[float], grads: list[list[float]]) -> list[np.ndarray]:
    """Step `opt` on one parameter through a fixed gradient sequence; return w after each step."""
    w = np.array(w0, dtype=float)
    out = []
    for g in grads:
        opt.step([w], [np.array(g, dtype=float)])
        out.append(w.copy())
    return out


# ---------------------------------------------------------------------------
# SGD, one step (or two) by hand
# ---------------------------------------------------------------------------


def test_sgd_plain_step_by_hand() -> None:
    # w = [1, -2], g = [0.5, 4], lr = 0.1: w - 0.1 g = [0.95, -2.4]
    (w1,) = run(optimizers.get("sgd", lr=0.1), [1.0, -2.0], [[0.5, 4.0]])
    np.testing.assert_allclose(w1, [0.95, -2.4], rtol=1e-15)


def test_sgd_default_lr_is_torch_default() -> None:
    # torch.optim.SGD: lr=1e-3. w = 1, g = 1: 1 - 0.001 = 0.999
    opt = optimizers.get("sgd")
    assert opt.lr == 1e-3
    (w1,) = run(opt, [1.0], [[1.0]])
    np.testing.assert_allclose(w1, [0.999], rtol=1e-15)


def test_sgd_weight_decay_step_by_hand() -> None:
    # g' = g + 0.5 w = [0.5 + 0.5, 4 - 1] = [1, 3]; w - 0.1 g' = [0.9, -2.3]
    (w1,) = run(optimizers.get("sgd", lr=0.1, weight_decay=0.5), [1.0, -2.0], [[0.5, 4.0]])
    np.testing.assert_allclose(w1, [0.9, -2.3], rtol=1e-15)


def test_sgd_momentum_two_steps_by_hand() -> None:
    # step 1: b1 = g1 = 1, w = 1 - 0.1*1 = 0.9
    # step 2: b2 = 0.9*1 + 2 = 2.9, w = 0.9 - 0.1*2.9 = 0.61
    w1, w2 = run(optimizers.get("sgd", lr=0.1, momentum=0.9), [1.0], [[1.0], [2.0]])
    np.testing.assert_allclose(w1, [0.9], rtol=1e-15)
    np.testing.assert_allclose(w2, [0.61], rtol=1e-15)


def test_sgd_dampening_is_not_applied_on_the_first_step() -> None:
    # step 1: b1 = g1 = 1 (no dampening), w = 0.9
    # step 2: b2 = 0.9*1 + (1 - 0.5)*2 = 1.9, w = 0.9 - 0.19 = 0.71
    w1, w2 = run(optimizers.get("sgd", lr=0.1, momentum=0.9, dampening=0.5), [1.0], [[1.0], [2.0]])
    np.testing.assert_allclose(w1, [0.9], rtol=1e-15)
    np.testing.assert_allclose(w2, [0.71], rtol=1e-15)


def test_sgd_nesterov_two_steps_by_hand() -> None:
    # step 1: b1 = 1, g = 1 + 0.9*1 = 1.9, w = 1 - 0.19 = 0.81
    # step 2: b2 = 0.9*1 + 2 = 2.9, g = 2 + 0.9*2.9 = 4.61, w = 0.81 - 0.461 = 0.349
    w1, w2 = run(optimizers.get("sgd", lr=0.1, momentum=0.9, nesterov=True), [1.0], [[1.0], [2.0]])
    np.testing.assert_allclose(w1, [0.81], rtol=1e-15)
    np.testing.assert_allclose(w2, [0.349], rtol=1e-14)


def test_sgd_momentum_with_weight_decay_by_hand() -> None:
    # w0 = 1, wd = 0.5, lr = 0.1, mu = 0.9
    # step 1: g' = 1 + 0.5 = 1.5, b1 = 1.5, w = 1 - 0.15 = 0.85
    # step 2: g' = 2 + 0.425 = 2.425, b2 = 1.35 + 2.425 = 3.775, w = 0.85 - 0.3775 = 0.4725
    w1, w2 = run(
        optimizers.get("sgd", lr=0.1, momentum=0.9, weight_decay=0.5), [1.0], [[1.0], [2.0]]
    )
    np.testing.assert_allclose(w1, [0.85], rtol=1e-15)
    np.testing.assert_allclose(w2, [0.4725], rtol=1e-14)


def test_presets() -> None:
    assert optimizers.spec_of(optimizers.get("gd")) == optimizers.spec_of(optimizers.get("sgd"))
    m = optimizers.get("momentum", lr=0.1)
    assert (m.momentum, m.nesterov) == (0.9, False)
    n = optimizers.get("nesterov")
    assert (n.momentum, n.nesterov) == (0.9, True)
    assert optimizers.spec_of(n) == "sgd(momentum=0.9, dampening=0.0, nesterov=True, weight_decay=0.0)"
    assert {"sgd", "gd", "momentum", "nesterov"} <= set(optimizers.names())


# ---------------------------------------------------------------------------
# behaviour shared by the contract
# ---------------------------------------------------------------------------


def test_sgd_converges_on_a_quadratic() -> None:
    # f(w) = 1/2 sum a (w - c)^2, minimum at c
    a = np.array([1.0, 3.0, 0.5])
    c = np.array([1.0, -2.0, 0.5])
    for spec in ["sgd", "sgd(momentum=0.9)", "sgd(momentum=0.9, nesterov=True)", "sgd(momentum=0.5, dampening=0.5)"]:
        opt = optimizers.get(spec, lr=0.1)
        w = np.zeros(3)
        for _ in range(500):
            opt.step([w], [a * (w - c)])
        np.testing.assert_allclose(w, c, atol=1e-8, err_msg=spec)


@pytest.mark.parametrize("spec", ["sgd", "sgd(momentum=0.9, dampening=0.3)", "sgd(momentum=0.9, nesterov=True, weight_decay=0.1)"])
def test_two_parameters_keep_separate_state(spec: str) -> None:
    rng = np.random.default_rng(1)
    w1, w2 = rng.normal(size=3), rng.normal(size=(2, 2))
    v1, v2 = w1.copy(), w2.copy()
    together = optimizers.get(spec, lr=0.05)
    alone1, alone2 = optimizers.get(spec, lr=0.05), optimizers.get(spec, lr=0.05)
    for _ in range(5):
        g1, g2 = rng.normal(size=3), rng.normal(size=(2, 2))
        together.step([w1, w2], [g1, g2])
        alone1.step([v1], [g1])
        alone2.step([v2], [g2])
    np.testing.assert_array_equal(w1, v1)
    np.testing.assert_array_equal(w2, v2)
    assert len(together.state) == 2


def test_update_is_in_place() -> None:
    buffer = np.arange(6, dtype=float)
    w, b = buffer[:4].reshape(2, 2), buffer[4:]  # views, as a model might hold them
    params = [w, b]
    for spec in ["sgd", "sgd(momentum=0.9)"]:
        opt = optimizers.get(spec, lr=0.5)
        opt.step(params, [np.ones((2, 2)), np.ones(2)])
        assert params[0] is w and params[1] is b
    np.testing.assert_allclose(buffer, np.arange(6) - 1.0)


def test_momentum_buffer_is_not_the_gradient_array() -> None:
    g = np.array([1.0])
    opt = optimizers.get("sgd", lr=0.1, momentum=0.9)
    w = np.array([0.0])
    opt.step([w], [g])
    opt.step([w], [g])  # b2 = 0.9 + 1 = 1.9; w = -0.1 - 0.19 = -0.29
    assert g[0] == 1.0
    np.testing.assert_allclose(w, [-0.29], rtol=1e-15)


def test_reset_forgets_state() -> None:
    opt = optimizers.get("sgd", lr=0.1, momentum=0.9)
    w = np.array([1.0])
    opt.step([w], [np.array([1.0])])
    assert opt.state[0]["momentum_buffer"] is not None
    opt.reset()
    assert opt.state == []
    (w1,) = run(opt, [1.0], [[1.0]])  # b1 = g1 again
    np.testing.assert_allclose(w1, [0.9], rtol=1e-15)
    opt.reset()
    opt.step([w1, w1.copy()], [np.ones(1), np.ones(1)])  # a new model after reset is fine
    assert len(opt.state) == 2


def test_lr_and_momentum_are_settable() -> None:
    opt = optimizers.get("sgd", lr=0.1, momentum=0.9)
    opt.lr = 0.5
    opt.momentum = 0.0
    (w1,) = run(opt, [1.0], [[1.0]])
    np.testing.assert_allclose(w1, [0.5], rtol=1e-15)


def test_config_and_repr() -> None:
    opt = optimizers.get("sgd(momentum=0.9)", lr=0.1)
    assert opt.config() == {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}
    assert repr(opt) == "SGD(lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0)"


def test_spec_of_round_trips() -> None:
    opt = optimizers.get("sgd", lr=0.1, momentum=0.9, dampening=0.25)
    spec = optimizers.spec_of(opt)
    assert spec == "sgd(momentum=0.9, dampening=0.25, nesterov=False, weight_decay=0.0)"
    again = optimizers.get(spec, lr=opt.lr)
    assert again.config() == opt.config()


def test_ints_become_floats() -> None:
    opt = optimizers.get("sgd(momentum=0)", lr=1)
    assert isinstance(opt.lr, float) and isinstance(opt.momentum, float)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


def test_length_mismatch_is_a_shape_error() -> None:
    opt = optimizers.get("sgd", lr=0.1)
    with pytest.raises(ShapeError, match=r"optimizer `sgd`: got 2 parameter arrays but 1 gradients"):
        opt.step([np.zeros(2), np.zeros(1)], [np.zeros(2)])


def test_shape_mismatch_is_a_shape_error() -> None:
    opt = optimizers.get("sgd", lr=0.1)
    with pytest.raises(ShapeError, match=r"gradient 1 has shape \(3,\) but parameter 1 has shape \(2,\)"):
        opt.step([np.zeros(2), np.zeros(2)], [np.zeros(2), np.zeros(3)])


def test_changing_the_number_of_parameters_is_a_shape_error() -> None:
    opt = optimizers.get("sgd", lr=0.1)
    opt.step([np.zeros(2)], [np.zeros(2)])
    with pytest.raises(ShapeError, match=r"started on 1 parameter arrays but now got 2; call reset\(\)"):
        opt.step([np.zeros(2), np.zeros(2)], [np.zeros(2), np.zeros(2)])


def test_integer_parameters_are_rejected() -> None:
    opt = optimizers.get("sgd", lr=0.1)
    with pytest.raises(DataError, match=r"parameter 0 must be a float NumPy array .* got int64"):
        opt.step([np.zeros(2, dtype=np.int64)], [np.zeros(2)])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -0.1}, r"optimizer `sgd`: lr=-0.1 is out of range; expected lr >= 0 \(and finite\)\."),
        ({"lr": float("nan")}, r"lr=nan is out of range"),
        ({"lr": float("inf")}, r"lr=inf is out of range"),
        ({"momentum": 1.0}, r"optimizer `sgd`: momentum=1.0 is out of range; expected 0 <= momentum < 1\."),
        ({"momentum": -0.5}, r"momentum=-0.5 is out of range"),
        ({"dampening": 1.5}, r"dampening=1.5 is out of range; expected 0 <= dampening <= 1\."),
        ({"weight_decay": -1.0}, r"weight_decay=-1.0 is out of range; expected weight_decay >= 0"),
        ({"nesterov": True}, r"nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.0"),
        ({"nesterov": True, "momentum": 0.9, "dampening": 0.1}, r"got momentum=0.9, dampening=0.1\."),
    ],
)
def test_out_of_range_values_are_config_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        optimizers.get("sgd", **kwargs)


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(ConfigError, match="momentum=2.0 is out of range"):
        optimizers.SGD(momentum=2.0)
    with pytest.raises(ConfigError, match="`lr` must be a number, got 'fast'"):
        optimizers.SGD(lr="fast")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        optimizers.SGD(0.1)  # type: ignore[misc]  # keyword-only


def test_unknown_keyword_is_a_spec_error_with_a_suggestion() -> None:
    with pytest.raises(SpecError, match=r"Unknown parameter `momentun` for optimizer `sgd`\. Did you mean `momentum`\?"):
        optimizers.get("sgd", momentun=0.9)


def test_unknown_name_suggests() -> None:
    with pytest.raises(UnknownNameError, match=r"Unknown optimizer `sdg`\. Did you mean `sgd`\?"):
        optimizers.get("sdg")


def test_conflicting_spec_and_keyword() -> None:
    with pytest.raises(SpecError, match=r"sets lr=0.1 but lr=0.2 was also given"):
        optimizers.get("sgd(lr=0.1)", lr=0.2)
    assert optimizers.get("sgd(lr=0.1)", lr=0.1).lr == 0.1


def test_registry_kind() -> None:
    assert optimizers.registry.kind == "optimizer"
