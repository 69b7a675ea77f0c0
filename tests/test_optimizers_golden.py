"""50-step trajectories against torch 2.13 golden data (shared/reference/optimizers.md §4).

The fixtures in tests/fixtures/optim/ were generated offline with torch 2.13.0
(CPU, for-loop implementation, float64) by tests/fixtures/make_optim_golden.py;
each JSON file records the torch version and the call used. torch itself is
never imported here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lossfit import optimizers

FIXTURES = Path(__file__).parent / "fixtures" / "optim"
GROUPS = ["sgd", "adagrad", "rmsprop", "adam", "adamw", "nadam", "radam", "adamax", "adadelta"]
ATOL = 1e-12


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


PROBLEM = load("problem")
A, B = np.array(PROBLEM["A"]), np.array(PROBLEM["b"])
THETA0, XI, NOISE = np.array(PROBLEM["theta0"]), np.array(PROBLEM["xi"]), PROBLEM["noise"]
CASES = [(group, case) for group in GROUPS for case in load(group)["cases"]]


def trajectory(spec: str, lr: float, schedule: str | None = None) -> np.ndarray:
    """Run lossfit's optimizer on the reference problem, with the generator's gradient expression."""
    opt = optimizers.get(spec, lr=lr)
    sched = None
    if schedule is not None:
        from lossfit import schedules

        sched = schedules.get(schedule)
        sched.start(opt)
    theta = THETA0.copy()
    out = []
    for t in range(PROBLEM["steps"]):
        g = A @ theta - B + NOISE * XI[t]
        opt.step([theta], [g])
        if sched is not None:
            sched.step(opt)
        out.append(theta.copy())
    return np.array(out)


def test_fixtures_record_their_provenance() -> None:
    for name in ["problem", *GROUPS, "schedules"]:
        data = load(name)
        assert data["torch_version"].startswith("2.13"), name
        assert data["generated_by"] == "tests/fixtures/make_optim_golden.py"
    assert (Path(__file__).parent / "fixtures" / "make_optim_golden.py").exists()


def test_problem_is_the_reference_problem() -> None:
    assert A.shape == (10, 10) and XI.shape == (PROBLEM["steps"], 10) and PROBLEM["steps"] == 50
    assert np.all(np.linalg.eigvalsh(A) > 0.5 - 1e-12)  # A = MᵀM/10 + 0.5 I


@pytest.mark.parametrize(("group", "case"), CASES, ids=[f"{g}-{c['id']}" for g, c in CASES])
def test_trajectory_matches_torch(group: str, case: dict[str, Any]) -> None:
    ours = trajectory(case["lossfit"], case["lr"], case.get("schedule"))
    theirs = np.array(case["trajectory"])
    assert ours.shape == theirs.shape == (50, 10)
    err = np.max(np.abs(ours - theirs))
    assert err <= ATOL, f"{case['lossfit']} vs {case['torch']}: max |Δθ| = {err:.3g}"
    # the trajectory must actually move, or the comparison proves nothing
    assert np.max(np.abs(theirs[-1] - THETA0)) > 0.05


def test_every_torch_optimizer_has_golden_data() -> None:
    torch_named = {"sgd", "adagrad", "rmsprop", "adam", "adamw", "nadam", "radam", "adamax", "adadelta"}
    assert torch_named <= set(optimizers.names())
    assert set(GROUPS) == torch_named


def test_adam_decoupled_equals_adamw() -> None:
    a = trajectory("adam(weight_decay=0.1, decoupled_weight_decay=True)", 0.05)
    w = trajectory("adamw(weight_decay=0.1)", 0.05)
    np.testing.assert_array_equal(a, w)


def test_momentum_ema_equals_rescaled_sgd() -> None:
    # reference §7: momentum_ema(η, β) ≡ sgd(lr=η(1-β), momentum=β), but not dampening=β
    ema = trajectory("momentum_ema(beta=0.9)", 0.5)
    sgd = trajectory("sgd(momentum=0.9)", 0.5 * (1 - 0.9))
    np.testing.assert_allclose(ema, sgd, rtol=0, atol=1e-12)
    damped = trajectory("sgd(momentum=0.9, dampening=0.9)", 0.5)
    assert np.max(np.abs(ema - damped)) > 0.1


def scaled_trajectory(spec: str, lr: float, scale: float) -> np.ndarray:
    """As `trajectory`, with every gradient multiplied by `scale`."""
    opt = optimizers.get(spec, lr=lr)
    theta = THETA0.copy()
    out = []
    for t in range(PROBLEM["steps"]):
        opt.step([theta], [scale * (A @ theta - B + NOISE * XI[t])])
        out.append(theta.copy())
    return np.array(out)


def max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)))


@pytest.mark.parametrize("variant", ["adam_eps_inside", "adam_keras_eps"])
def test_adam_eps_variants_differ_for_tiny_gradients(variant: str) -> None:
    # reference §7: order-1 gradients: within 1e-6 of adam; gradients scaled by 1e-6: eps dominates
    assert max_diff(scaled_trajectory("adam", 0.05, 1.0), scaled_trajectory(variant, 0.05, 1.0)) < 1e-6
    assert max_diff(scaled_trajectory("adam", 0.05, 1e-6), scaled_trajectory(variant, 0.05, 1e-6)) > 0.1


def test_momentum_sutskever_equals_sgd_until_the_lr_changes() -> None:
    def run(spec: str, schedule: str) -> np.ndarray:
        from lossfit import schedules

        opt, sched = optimizers.get(spec, lr=0.05), schedules.get(schedule)
        sched.start(opt)
        theta = THETA0.copy()
        for t in range(PROBLEM["steps"]):
            opt.step([theta], [A @ theta - B + NOISE * XI[t]])
            sched.step(opt)
        return theta

    assert max_diff(run("momentum_sutskever(momentum=0.9)", "constant"), run("sgd(momentum=0.9)", "constant")) < 1e-12
    changed = max_diff(run("momentum_sutskever(momentum=0.9)", "step(step_size=10)"), run("sgd(momentum=0.9)", "step(step_size=10)"))
    assert changed > 0.1


def test_rmsprop_tf_differs_by_eps_placement_and_defaults() -> None:
    torch_like = scaled_trajectory("rmsprop", 0.01, 1.0)
    assert max_diff(scaled_trajectory("rmsprop_tf(rho=0.99, eps=1e-8)", 0.01, 1.0), torch_like) < 1e-6
    assert max_diff(scaled_trajectory("rmsprop_tf", 0.01, 1.0), torch_like) > 0.1


def test_every_variant_states_its_torch_difference() -> None:
    torch_named = {"sgd", "gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "nadam",
                   "radam", "adamax", "adadelta"}
    for entry in optimizers.registry:
        cls = entry.factory
        if entry.name in torch_named:
            assert not hasattr(cls, "torch_difference"), entry.name
        else:
            assert isinstance(getattr(cls, "torch_difference", None), str) and "torch" in cls.torch_difference
