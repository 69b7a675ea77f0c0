"""Learning-rate schedules: torch 2.13 golden sequences, closed forms, state, errors.

tests/fixtures/optim/schedules.json was generated offline with torch 2.13.0 by
tests/fixtures/make_optim_golden.py: the lr (and momentum / β1) that the
optimizer used in each epoch, in the loop ``opt.step(); sched.step()``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lossfit import optimizers, schedules
from lossfit.errors import ConfigError, SpecError, UnknownNameError

GOLDEN = json.loads((Path(__file__).parent / "fixtures" / "optim" / "schedules.json").read_text())
CASES = GOLDEN["cases"]


def momentum_of(opt: Any) -> float | None:
    return opt.betas[0] if hasattr(opt, "betas") else getattr(opt, "momentum", None)


def run(case: dict[str, Any]) -> tuple[list[float], list[float | None], optimizers.Optimizer, schedules.Schedule]:
    opt = optimizers.get(case["optimizer"], lr=case["base_lr"])
    sched = schedules.get(case["lossfit"])
    sched.start(opt)
    w = np.zeros(3)
    lrs: list[float] = []
    momenta: list[float | None] = []
    metrics = case.get("metrics")
    for k in range(len(case["lr"])):
        lrs.append(opt.lr)
        momenta.append(momentum_of(opt))
        opt.step([w], [np.ones(3)])
        sched.step(opt, None if metrics is None else metrics[k])
    return lrs, momenta, opt, sched


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_lr_sequence_matches_torch(case: dict[str, Any]) -> None:
    lrs, momenta, opt, sched = run(case)
    np.testing.assert_allclose(lrs, case["lr"], rtol=0, atol=1e-15)
    assert opt.lr == pytest.approx(case["final_lr"], abs=1e-15)
    if case.get("momentum") is not None:
        np.testing.assert_allclose(momenta, case["momentum"], rtol=0, atol=1e-15)
    if case.get("raises_after") is not None:  # torch raises on the (total_steps + 1)-th step
        with pytest.raises(ConfigError, match=r"stepped \d+ times but total_steps="):
            sched.step(opt)
    # the sequence must actually change (except the plateau's flat start), or the test proves nothing
    assert len(set(case["lr"])) > 1


def test_golden_cases_cover_every_schedule_but_constant() -> None:
    covered = {c["lossfit"].split("(")[0] for c in CASES}
    assert covered == set(schedules.names()) - {"constant"}


def test_plateau_fixture_reduces_more_than_once() -> None:
    plateau = next(c for c in CASES if c["id"] == "plateau")
    # 0.1 -> 0.05 -> 0.025 -> 0.0125 -> 0.01 (min_lr)
    assert sorted(set(plateau["lr"])) == pytest.approx([0.01, 0.0125, 0.025, 0.05, 0.1])


# ---------------------------------------------------------------------------
# closed forms (reference §6)
# ---------------------------------------------------------------------------


def test_closed_forms() -> None:
    lr0, n = 0.3, 40
    k = np.arange(n)
    expected = {
        "step(step_size=7, gamma=0.5)": lr0 * 0.5 ** (k // 7),
        "exponential(gamma=0.9)": lr0 * 0.9**k,
        "cosine(T_max=10, eta_min=0.01)": 0.01 + (lr0 - 0.01) * (1 + np.cos(np.pi * k / 10)) / 2,  # past T_max too
        "linear(start_factor=0.1, end_factor=0.9, total_iters=8)": lr0 * (0.1 + 0.8 * np.minimum(k, 8) / 8),
        "constant": np.full(n, lr0),
    }
    for spec, values in expected.items():
        np.testing.assert_allclose(schedules.get(spec).preview(lr0, n), values, rtol=1e-13, atol=1e-16, err_msg=spec)


def test_one_cycle_shape() -> None:
    sched = schedules.get("one_cycle(max_lr=1.0, total_steps=100)")
    opt = optimizers.get("sgd(momentum=0.9)", lr=0.5)
    sched.start(opt)
    assert opt.lr == pytest.approx(1.0 / 25) and opt.momentum == pytest.approx(0.95)
    lrs, momenta = [], []
    for _ in range(100):
        lrs.append(opt.lr)
        momenta.append(opt.momentum)
        sched.step(opt)
    peak = int(np.argmax(lrs))
    assert peak == 29  # end of phase 1: pct_start·T - 1
    assert lrs[peak] == pytest.approx(1.0) and momenta[peak] == pytest.approx(0.85)
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4) and momenta[-1] == pytest.approx(0.95)
    assert all(a <= b for a, b in zip(lrs[:peak], lrs[1 : peak + 1]))


def test_one_cycle_cycles_beta1_and_keeps_beta2() -> None:
    opt = optimizers.get("adam(betas=(0.9, 0.99))", lr=1e-3)
    sched = schedules.get("one_cycle(max_lr=0.01, total_steps=10)")
    sched.start(opt)
    assert opt.betas == (pytest.approx(0.95), 0.99)
    sched.step(opt)
    assert opt.betas[0] < 0.95 and opt.betas[1] == 0.99


# ---------------------------------------------------------------------------
# API and state
# ---------------------------------------------------------------------------


def test_names_and_registry() -> None:
    assert schedules.names() == [
        "constant",
        "step",
        "exponential",
        "cosine",
        "linear",
        "reduce_on_plateau",
        "one_cycle",
    ]
    assert schedules.registry.kind == "schedule"


@pytest.mark.parametrize(
    "spec",
    [
        "constant",
        "step(step_size=3, gamma=0.5)",
        "exponential(gamma=0.95)",
        "cosine(T_max=100)",
        "linear",
        "reduce_on_plateau(patience=2, threshold_mode='abs')",
        "one_cycle(max_lr=0.1, total_steps=50, three_phase=True)",
    ],
)
def test_spec_of_round_trips(spec: str) -> None:
    sched = schedules.get(spec)
    again = schedules.get(schedules.spec_of(sched))
    assert again.config() == sched.config()
    assert schedules.spec_of(again) == schedules.spec_of(sched)


def test_spec_of_lists_every_parameter() -> None:
    assert schedules.spec_of(schedules.get("cosine(T_max=100)")) == "cosine(T_max=100, eta_min=0.0)"
    assert schedules.spec_of(schedules.get("step", step_size=2)) == "step(step_size=2, gamma=0.1)"


def test_start_applies_the_epoch_0_value() -> None:
    opt = optimizers.get("sgd", lr=0.3)
    schedules.get("linear").start(opt)  # start_factor 1/3
    assert opt.lr == pytest.approx(0.1)
    opt.lr = 0.3
    sched = schedules.get("cosine(T_max=10)")
    sched.start(opt)
    assert opt.lr == 0.3 and sched.base_lr == 0.3 and sched.last_epoch == 0


def test_preview_leaves_the_schedule_alone() -> None:
    sched = schedules.get("step(step_size=1, gamma=0.5)")
    assert sched.preview(1.0, 3) == [1.0, 0.5, 0.25]
    assert sched.base_lr is None and sched.last_epoch == -1


def test_plateau_by_hand_with_cooldown() -> None:
    # patience 1, cooldown 1, factor 0.5: losses 1, 1, 1 -> bad=2 > 1 at epoch 3: lr 0.5, cooldown
    sched = schedules.get("reduce_on_plateau(patience=1, cooldown=1, factor=0.5)")
    lrs = sched.preview(1.0, 8, metrics=[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5])
    # epoch: 0    1    2    3     4     5     6     7
    # after epoch 2: reduce (bad 2); epoch 3: cooldown (bad reset); epoch 4: bad 1; epoch 5: bad 2 -> reduce
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_plateau_respects_min_lr_and_eps() -> None:
    lrs = schedules.get("reduce_on_plateau(patience=0, factor=0.1, min_lr=0.05)").preview(1.0, 5, metrics=[1.0] * 5)
    assert lrs == [1.0, 1.0, 0.1, 0.05, 0.05]


def test_plateau_max_mode() -> None:
    lrs = schedules.get("reduce_on_plateau(mode='max', patience=0, factor=0.5)").preview(1.0, 4, metrics=[1, 2, 2, 3])
    assert lrs == [1.0, 1.0, 1.0, 0.5]


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("exponential", r"schedule `exponential` needs `gamma`, e\.g\. exponential\(gamma=\.\.\.\)\."),
        ("one_cycle(max_lr=0.1)", r"schedule `one_cycle` needs `total_steps`"),
        ("step(step_size=0)", r"schedule `step`: step_size=0 is out of range; expected a whole number >= 1\."),
        ("step(step_size=2, gamma=-1)", r"gamma=-1.0 is out of range; expected gamma > 0"),
        ("cosine(T_max=10, eta_min=-0.1)", r"eta_min=-0.1 is out of range"),
        ("linear(start_factor=0)", r"start_factor=0.0 is out of range; expected 0 < start_factor <= 1"),
        ("reduce_on_plateau(factor=1.0)", r"factor=1.0 is out of range; expected 0 <= factor < 1"),
        ("reduce_on_plateau(patience=-1)", r"patience=-1 is out of range"),
        ("one_cycle(max_lr=0.1, total_steps=10, pct_start=0.05)", r"leaves a phase with no epochs"),
        ("one_cycle(max_lr=0.1, total_steps=10, max_momentum=1.2)", r"max_momentum=1.2 is out of range"),
    ],
)
def test_config_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        schedules.get(spec)


def test_bad_literal_and_unknown_parameter_are_spec_errors() -> None:
    with pytest.raises(SpecError, match=r"`threshold_mode` must be one of 'rel', 'abs', got 'relative'"):
        schedules.get("reduce_on_plateau(threshold_mode='relative')")
    with pytest.raises(SpecError, match=r"Unknown parameter `tmax` for schedule `cosine`"):
        schedules.get("cosine(tmax=3)")
    with pytest.raises(UnknownNameError, match=r"Unknown schedule `cosin`\. Did you mean `cosine`\?"):
        schedules.get("cosin")


def test_plateau_needs_a_metric() -> None:
    sched = schedules.get("reduce_on_plateau")
    opt = optimizers.get("sgd", lr=0.1)
    sched.start(opt)
    with pytest.raises(ConfigError, match=r"needs the validation loss after every epoch"):
        sched.step(opt)


def test_one_cycle_momentum_needs_an_optimizer_with_momentum() -> None:
    with pytest.raises(ConfigError, match=r"`adagrad` has neither; use one_cycle\(\.\.\., cycle_momentum=False\)"):
        schedules.get("one_cycle(max_lr=0.1, total_steps=10)").start(optimizers.get("adagrad"))


def test_step_before_start_is_a_bug() -> None:
    with pytest.raises(RuntimeError, match=r"call start\(opt\) once before step\(opt\)"):
        schedules.get("exponential(gamma=0.9)").step(optimizers.get("sgd"))


def test_cosine_is_periodic_past_T_max() -> None:
    lrs = schedules.get("cosine(T_max=5)").preview(1.0, 11)
    assert lrs[5] == pytest.approx(0.0, abs=1e-15) and lrs[10] == pytest.approx(1.0)
    assert math.isclose(lrs[7], lrs[3])
