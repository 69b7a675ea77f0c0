"""The loss battery: every registered loss (plus hyper-parameter variants) gets the same tests.

(a) hand-computed rows, kinks included   (b) grad == central finite difference
(c) zero loss/grad at a perfect prediction (d) grad shape and dtype
(g) sample weights                         (h) permutation invariance
(i) value_and_grad == (__call__, grad)     (l) convexity and bounded gradients
Reference numbers (torch, scikit-learn) are in test_losses_reference.py, input
errors in test_losses_errors.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lossfit import losses
from lossfit.spec import format_spec

LOG2 = math.log(2.0)
E = math.e
W4 = (1.0, 2.0, 0.5, 3.0)  # class weights for 4-class variants


@dataclass(frozen=True)
class Case:
    name: str
    kwargs: tuple[tuple[str, Any], ...] = ()

    def build(self) -> losses.Loss:
        return losses.get(self.name, **dict(self.kwargs))

    @property
    def id(self) -> str:
        return format_spec(self.name, dict(self.kwargs))


def case(name: str, **kwargs: Any) -> Case:
    return Case(name, tuple(kwargs.items()))


CASES = [
    case("mse"),
    case("mae"),
    case("huber"),
    case("huber", delta=0.5),
    case("huber", delta=2.0),
    case("smooth_l1"),
    case("smooth_l1", beta=0.5),
    case("smooth_l1", beta=0.0),
    case("log_cosh"),
    case("quantile"),
    case("quantile", tau=0.1),
    case("quantile", tau=0.9),
    case("epsilon_insensitive"),
    case("epsilon_insensitive", epsilon=0.5),
    case("squared_epsilon_insensitive"),
    case("squared_epsilon_insensitive", epsilon=0.5),
    case("poisson"),
    case("bce"),
    case("bce", pos_weight=3.0),
    case("focal"),
    case("focal", gamma=0.5, alpha=None),
    case("focal", gamma=0.0, alpha=None),
    case("hinge"),
    case("squared_hinge"),
    case("modified_huber"),
    case("perceptron"),
    case("exponential"),
    case("cross_entropy"),
    case("cross_entropy", label_smoothing=0.2),
    case("cross_entropy", class_weight=W4),
    case("cross_entropy", label_smoothing=0.1, class_weight=W4),
    case("multi_margin"),
    case("multi_margin", p=2, margin=0.5),
    case("crammer_singer"),
    case("kl_div"),
]
IDS = [c.id for c in CASES]
DEFAULT_CASES = [case(name) for name in losses.names()]


def test_every_registered_loss_is_under_test() -> None:
    assert {c.name for c in CASES} == set(losses.names())


# ---------------------------------------------------------------- random inputs
def n_classes_for(loss: losses.Loss, rng: np.random.Generator) -> int:
    if getattr(loss, "class_weight", None) is not None:
        return len(loss.class_weight)
    return int(rng.integers(2, 5))


def make_batch(loss: losses.Loss, rng: np.random.Generator, n: int, scale: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Random (y_pred, y_true) for a loss: predictions spread over +-scale, valid targets."""
    if loss.task == "regression":
        if loss.name == "poisson":
            return rng.normal(1.0, 1.0, n), rng.poisson(3.0, n).astype(float)
        return rng.normal(0.0, scale, n), rng.normal(0.0, scale, n)
    if loss.task == "binary":
        return rng.normal(0.0, scale, n), rng.integers(0, 2, n).astype(float)
    k = n_classes_for(loss, rng)
    z = rng.normal(0.0, scale, (n, k))
    if loss.name == "kl_div":
        q = rng.dirichlet(np.ones(k), n)
        q[rng.random((n, k)) < 0.2] = 0.0  # some exact zeros (0 log 0 = 0)
        q[np.arange(n), rng.integers(0, k, n)] += 0.1
        return z, q / q.sum(axis=1, keepdims=True)
    return z, rng.integers(0, k, n)


@pytest.mark.parametrize("task_case", [case("mse"), case("poisson"), case("hinge"), case("cross_entropy"), case("kl_div")], ids=lambda c: c.id)
def test_random_helper_spreads_its_values(task_case: Case) -> None:
    # the scikit-learn pitfall: a helper drawing uniform(low, low) makes every test trivial
    loss = task_case.build()
    rng = np.random.default_rng(0)
    preds, targets = zip(*(make_batch(loss, rng, 50) for _ in range(20)))
    p = np.concatenate([pp.ravel() for pp in preds])
    assert np.unique(p).size == p.size  # continuous, no repeats
    assert 0.5 < p.std()
    for pp in preds:  # every batch spread, not only the union
        assert np.ptp(pp) > 1.0
    if loss.name == "kl_div":
        for q in targets:
            assert (q == 0).any() and (q > 0.5).any() and np.allclose(q.sum(axis=1), 1.0)
        return
    t = np.concatenate(targets)
    if loss.task == "regression":
        assert np.unique(t).size > 5 and t.std() > 0.5
    if loss.task == "binary":
        assert set(np.unique(t)) == {0.0, 1.0}
    if loss.task == "multiclass":
        assert {pp.shape[1] for pp in preds} == {2, 3, 4}  # k varies
        assert set(np.unique(t)) == {0, 1, 2, 3}


# ------------------------------------------------------------- (a) by hand
# (spec, y_pred, y_true, value, grad): computed by hand from the formulas in
# reference/losses.md, not by the code under test. Single-row batches, so the
# grad is the per-element derivative. Rows marked "kink" pin the subgradient.
HAND_ROWS = [
    ("mse", [3.0], [1.0], 4.0, [4.0]),
    ("mse", [-1.0], [1.0], 4.0, [-4.0]),
    ("mse", [2.0, 0.0], [2.0, 1.0], 0.5, [0.0, -1.0]),
    ("mae", [3.0], [1.0], 2.0, [1.0]),
    ("mae", [-1.0], [1.0], 2.0, [-1.0]),
    ("mae", [1.0], [1.0], 0.0, [0.0]),  # kink r = 0 -> 0
    ("huber", [1.5], [0.0], 1.0, [1.0]),
    ("huber", [0.5], [0.0], 0.125, [0.5]),
    ("huber", [1.0], [0.0], 0.5, [1.0]),  # |r| = delta
    ("huber", [-3.0], [0.0], 2.5, [-1.0]),
    ("huber(delta=0.5)", [2.0], [0.0], 0.875, [0.5]),
    ("huber(delta=0.5)", [0.2], [0.0], 0.02, [0.2]),
    ("smooth_l1", [0.5], [0.0], 0.125, [0.5]),
    ("smooth_l1", [1.0], [0.0], 0.5, [1.0]),  # |r| = beta
    ("smooth_l1", [-2.0], [0.0], 1.5, [-1.0]),
    ("smooth_l1(beta=0.5)", [0.25], [0.0], 0.0625, [0.5]),
    ("smooth_l1(beta=0.5)", [1.0], [0.0], 0.75, [1.0]),
    ("smooth_l1(beta=0.0)", [2.0], [0.0], 2.0, [1.0]),
    ("smooth_l1(beta=0.0)", [0.0], [0.0], 0.0, [0.0]),  # kink r = 0 -> 0
    ("smooth_l1(beta=0.0)", [-1.5], [0.0], 1.5, [-1.0]),
    ("log_cosh", [0.0], [0.0], 0.0, [0.0]),
    ("log_cosh", [1.0], [0.0], 0.4337808304830271, [0.7615941559557649]),  # log cosh 1, tanh 1
    ("log_cosh", [1000.0], [0.0], 1000.0 - LOG2, [1.0]),
    ("log_cosh", [-1000.0], [0.0], 1000.0 - LOG2, [-1.0]),
    ("quantile", [0.0], [1.0], 0.5, [-0.5]),
    ("quantile", [1.0], [0.0], 0.5, [0.5]),
    ("quantile", [1.0], [1.0], 0.0, [-0.5]),  # kink u = 0 -> -tau
    ("quantile(tau=0.9)", [0.0], [2.0], 1.8, [-0.9]),
    ("quantile(tau=0.9)", [2.0], [0.0], 0.2, [0.1]),
    ("quantile(tau=0.9)", [3.0], [3.0], 0.0, [-0.9]),  # kink
    ("quantile(tau=0.1)", [1.0], [0.0], 0.9, [0.9]),
    ("quantile(tau=0.1)", [0.0], [0.0], 0.0, [-0.1]),  # kink
    ("epsilon_insensitive(epsilon=0.5)", [2.0], [0.5], 1.0, [1.0]),
    ("epsilon_insensitive(epsilon=0.5)", [-2.0], [0.0], 1.5, [-1.0]),
    ("epsilon_insensitive(epsilon=0.5)", [0.5], [0.0], 0.0, [0.0]),  # kink |r| = eps -> 0
    ("epsilon_insensitive(epsilon=0.5)", [-0.5], [0.0], 0.0, [0.0]),  # kink
    ("epsilon_insensitive(epsilon=0.5)", [0.25], [0.0], 0.0, [0.0]),
    ("squared_epsilon_insensitive(epsilon=0.5)", [2.0], [0.0], 2.25, [3.0]),
    ("squared_epsilon_insensitive(epsilon=0.5)", [-2.0], [0.0], 2.25, [-3.0]),
    ("squared_epsilon_insensitive(epsilon=0.5)", [0.5], [0.0], 0.0, [0.0]),
    ("poisson", [0.0], [1.0], 1.0, [0.0]),
    ("poisson", [0.0], [3.0], 1.0, [-2.0]),
    ("poisson", [1.0], [0.0], E, [E]),
    ("poisson", [1.0], [2.0], E - 2.0, [E - 2.0]),
    ("bce", [0.0], [1.0], LOG2, [-0.5]),
    ("bce", [0.0], [0.0], LOG2, [0.5]),
    ("bce", [0.0], [0.5], LOG2, [0.0]),  # soft target
    ("bce", [1000.0], [1.0], 0.0, [0.0]),
    ("bce", [-1000.0], [1.0], 1000.0, [-1.0]),
    ("bce(pos_weight=3.0)", [0.0], [1.0], 3 * LOG2, [-1.5]),
    ("bce(pos_weight=3.0)", [0.0], [0.0], LOG2, [0.5]),
    ("bce(pos_weight=3.0)", [-1000.0], [1.0], 3000.0, [-3.0]),
    # focal at z = 0: p_t = 1/2, (1 - p_t)**2 = 1/4, CE = log 2; bracket = 2 (1/2) log(1/2) - 1/2
    ("focal", [0.0], [1.0], 0.25 * 0.25 * LOG2, [0.25 * 0.25 * (-LOG2 - 0.5)]),
    ("focal", [0.0], [0.0], 0.75 * 0.25 * LOG2, [-0.75 * 0.25 * (-LOG2 - 0.5)]),
    ("focal(gamma=0.0, alpha=None)", [0.0], [1.0], LOG2, [-0.5]),
    ("hinge", [0.5], [1.0], 0.5, [-1.0]),
    ("hinge", [1.0], [1.0], 0.0, [-1.0]),  # kink m = 1 -> -y_pm
    ("hinge", [2.0], [1.0], 0.0, [0.0]),
    ("hinge", [0.5], [0.0], 1.5, [1.0]),
    ("hinge", [-1.0], [-1.0], 0.0, [1.0]),  # {-1, +1} labels, kink m = 1
    ("hinge", [0.5, -2.0], [1.0, -1.0], 0.25, [-0.5, 0.0]),
    ("squared_hinge", [0.5], [1.0], 0.25, [-1.0]),
    ("squared_hinge", [1.0], [1.0], 0.0, [0.0]),
    ("squared_hinge", [-1.0], [1.0], 4.0, [-4.0]),
    ("squared_hinge", [0.5], [0.0], 2.25, [3.0]),
    ("modified_huber", [0.0], [1.0], 1.0, [-2.0]),
    ("modified_huber", [-1.0], [1.0], 4.0, [-4.0]),  # m = -1: both branches agree
    ("modified_huber", [-3.0], [1.0], 12.0, [-4.0]),
    ("modified_huber", [2.0], [1.0], 0.0, [0.0]),
    ("modified_huber", [3.0], [0.0], 12.0, [4.0]),
    ("perceptron", [0.0], [1.0], 0.0, [-1.0]),  # kink m = 0 -> -y_pm
    ("perceptron", [0.0], [0.0], 0.0, [1.0]),  # kink
    ("perceptron", [-2.0], [1.0], 2.0, [-1.0]),
    ("perceptron", [1.0], [1.0], 0.0, [0.0]),
    ("exponential", [0.0], [1.0], 1.0, [-1.0]),
    ("exponential", [0.0], [0.0], 1.0, [1.0]),
    ("exponential", [1.0], [1.0], 1 / E, [-1 / E]),
    ("exponential", [-1.0], [1.0], E, [-E]),
    ("cross_entropy", [[0.0, 0.0]], [0], LOG2, [[-0.5, 0.5]]),
    ("cross_entropy", [[0.0, 0.0, 0.0]], [1], math.log(3), [[1 / 3, -2 / 3, 1 / 3]]),
    ("cross_entropy", [[1000.0, -1000.0, 0.0]], [0], 0.0, [[0.0, 0.0, 0.0]]),
    ("cross_entropy", [[-1000.0, 1000.0, 0.0]], [0], 2000.0, [[-1.0, 1.0, 0.0]]),
    # q = [0.85, 0.15]: L = log 2 - 0, grad = [0.5 - 0.85, 0.5 - 0.15]
    ("cross_entropy(label_smoothing=0.3)", [[0.0, 0.0]], [0], LOG2, [[-0.35, 0.35]]),
    # weights (1, 3): (1 log 2 + 3 log 2) / 4; rows 1/4 [-0.5, 0.5] and 3/4 [0.5, -0.5]
    ("cross_entropy(class_weight=(1.0, 3.0))", [[0.0, 0.0], [0.0, 0.0]], [0, 1], LOG2, [[-0.125, 0.125], [0.375, -0.375]]),
    ("multi_margin", [[2.0, 1.5, 0.0]], [0], 0.5 / 3, [[-1 / 3, 1 / 3, 0.0]]),
    ("multi_margin", [[1.0, 0.0, -3.0]], [0], 0.0, [[0.0, 0.0, 0.0]]),  # exactly at the margin -> 0 (torch)
    ("multi_margin(p=2)", [[0.0, 0.0, 0.0]], [2], 2 / 3, [[2 / 3, 2 / 3, -4 / 3]]),
    ("multi_margin(margin=0.5)", [[0.0, 0.0]], [1], 0.25, [[0.5, -0.5]]),
    ("crammer_singer", [[2.0, 1.5, 0.0]], [0], 0.5, [[-1.0, 1.0, 0.0]]),
    ("crammer_singer", [[1.0, 0.0, -3.0]], [0], 0.0, [[-1.0, 1.0, 0.0]]),  # kink: margin exactly 1 -> active
    ("crammer_singer", [[3.0, 0.0, 0.0]], [0], 0.0, [[0.0, 0.0, 0.0]]),
    ("crammer_singer", [[0.0, 1.0, 1.0]], [0], 2.0, [[-1.0, 1.0, 0.0]]),  # tie: lowest index
    ("kl_div", [[0.0, 0.0]], [[0.5, 0.5]], 0.0, [[0.0, 0.0]]),
    ("kl_div", [[0.0, 0.0]], [[1.0, 0.0]], LOG2, [[-0.5, 0.5]]),
    ("kl_div", [[math.log(3), 0.0]], [[0.75, 0.25]], 0.0, [[0.0, 0.0]]),
]


@pytest.mark.parametrize(
    "spec, y_pred, y_true, value, grad", HAND_ROWS,
    ids=[f"{row[0]}-{row[1]}-{row[2]}" for row in HAND_ROWS],
)
def test_value_and_grad_by_hand(spec: str, y_pred: list, y_true: list, value: float, grad: list) -> None:
    loss = losses.get(spec)
    assert loss(y_pred, y_true) == pytest.approx(value, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(loss.grad(y_pred, y_true), grad, rtol=1e-12, atol=1e-15)


def test_hand_rows_cover_every_loss() -> None:
    assert {losses.get(row[0]).name for row in HAND_ROWS} == set(losses.names())


# ------------------------------------------------------- (b) finite differences
def kink_distance(loss: Any, y_pred: np.ndarray, y_true: np.ndarray) -> float:
    """Distance (in y_pred units) from the nearest kink or C1 seam; inf for smooth losses."""
    name = loss.name
    if loss.task == "regression":
        r = np.abs(y_pred - y_true)
        seams = {
            "mae": [r],
            "quantile": [r],
            "huber": [np.abs(r - getattr(loss, "delta", 0))],
            "smooth_l1": [r, np.abs(r - getattr(loss, "beta", 0))],
            "epsilon_insensitive": [np.abs(r - getattr(loss, "epsilon", 0))],
            "squared_epsilon_insensitive": [np.abs(r - getattr(loss, "epsilon", 0))],
        }.get(name, [])
    elif loss.task == "binary":
        m = (2 * y_true - 1) * y_pred
        seams = {
            "hinge": [np.abs(m - 1)],
            "squared_hinge": [np.abs(m - 1)],
            "modified_huber": [np.abs(m - 1), np.abs(m + 1)],
            "perceptron": [np.abs(m)],
        }.get(name, [])
    else:
        if name not in ("multi_margin", "crammer_singer"):
            return math.inf
        rows = np.arange(y_pred.shape[0])
        others = y_pred.copy()
        others[rows, y_true] = -np.inf
        top = np.sort(others, axis=1)
        margin = getattr(loss, "margin", 1.0)
        if name == "multi_margin":
            h = margin - y_pred[rows, y_true][:, None] + y_pred
            h[rows, y_true] = np.inf
            seams = [np.abs(h) / 2]  # moving z_t and z_j together halves the distance
        else:
            seams = [np.abs(1 + top[:, -1] - y_pred[rows, y_true]) / 2, (top[:, -1] - top[:, -2]) / 2]
    return min((float(np.min(s)) for s in seams), default=math.inf)


def central_difference(f: Any, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central finite differences of accuracy 4 (as sklearn's test_loss.numerical_derivative)."""
    out = np.empty_like(x)
    for i in np.ndindex(x.shape):
        def at(step: float) -> float:
            shifted = x.copy()
            shifted[i] += step
            return f(shifted)
        out[i] = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)
    return out


@pytest.mark.parametrize("loss_case", CASES, ids=IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_grad_matches_central_difference(loss_case: Case, data: st.DataObject) -> None:
    loss = loss_case.build()
    n = data.draw(st.integers(1, 6), label="n")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    y_pred_shape, y_true = make_batch(loss, rng, n)
    y_pred = data.draw(
        arrays(np.float64, np.shape(y_pred_shape), elements=st.floats(-6, 6, allow_nan=False, allow_subnormal=False)),
        label="y_pred",
    )
    assume(kink_distance(loss, y_pred, y_true) > 1e-3)
    target = loss.prepare_targets(y_true)
    numeric = central_difference(lambda p: loss.value_and_grad(p, target)[0], y_pred)
    np.testing.assert_allclose(loss.grad(y_pred, y_true), numeric, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------ (c) perfect prediction
def perfect_prediction(loss: Any) -> tuple[Any, Any]:
    y01 = np.array([0.0, 1.0, 1.0, 0.0])
    t = np.array([0, 2, 1, 2])
    if loss.task == "regression":
        y = np.array([-1.5, 0.0, 2.25])
        return y.copy(), y
    if loss.task == "binary":
        return 40.0 * (2 * y01 - 1), y01  # margin 40: past every hinge, sigmoid saturated
    if loss.name == "kl_div":
        q = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
        return np.log(q), q
    k = len(loss.class_weight) if getattr(loss, "class_weight", None) else 3
    return 40.0 * np.eye(k)[t], t


EXACT_ZERO = {"mse", "mae", "huber", "smooth_l1", "log_cosh", "epsilon_insensitive",
              "squared_epsilon_insensitive", "hinge", "squared_hinge", "modified_huber",
              "perceptron", "multi_margin", "crammer_singer"}
NEAR_ZERO = {"bce", "focal", "exponential", "cross_entropy", "kl_div"}  # -> 0 as logits grow


@pytest.mark.parametrize(
    "loss_case", [c for c in CASES if c.name in EXACT_ZERO | NEAR_ZERO and "label_smoothing" not in dict(c.kwargs)],
    ids=lambda c: c.id,
)
def test_perfect_prediction_gives_zero_loss_and_zero_grad(loss_case: Case) -> None:
    loss = loss_case.build()
    y_pred, y_true = perfect_prediction(loss)
    tol = 0.0 if loss.name in EXACT_ZERO else 1e-15
    assert abs(loss(y_pred, y_true)) <= tol
    assert np.max(np.abs(loss.grad(y_pred, y_true))) <= tol


def test_perfect_prediction_exceptions() -> None:
    # quantile: zero loss, but the kink rule gives -tau / n
    np.testing.assert_array_equal(losses.get("quantile(tau=0.9)").grad([1.0, 2.0], [1.0, 2.0]), [-0.45, -0.45])
    # poisson: the gradient vanishes at log-rate = log y; the minimum is y - y log y, not 0
    y = np.array([1.0, E, 4.0])
    assert np.max(np.abs(losses.get("poisson").grad(np.log(y), y))) < 1e-15
    assert losses.get("poisson")(np.log(y), y) == pytest.approx(np.mean(y - y * np.log(y)), rel=1e-14)
    # label smoothing: the floor is the entropy of q, reached at z = log q
    q = np.array([0.85, 0.05, 0.05, 0.05])  # eps = 0.2, k = 4, class 0
    loss = losses.get("cross_entropy", label_smoothing=0.2)
    assert loss(np.log(q)[None], [0]) == pytest.approx(-(0.85 * math.log(0.85) + 0.15 * math.log(0.05)), rel=1e-14)
    assert np.max(np.abs(loss.grad(np.log(q)[None], [0]))) < 1e-15


# ------------------------------------------------------------ (d) shape, dtype
@pytest.mark.parametrize("loss_case", CASES, ids=IDS)
def test_grad_has_the_shape_and_dtype_of_y_pred(loss_case: Case) -> None:
    loss = loss_case.build()
    rng = np.random.default_rng(1)
    y_pred, y_true = make_batch(loss, rng, 7)
    for p in (y_pred, y_pred.astype(np.float32), y_pred.tolist()):
        g = loss.grad(p, y_true)
        assert g.shape == np.shape(y_pred) and g.dtype == np.float64
        assert isinstance(loss(p, y_true), float)
    if loss.task == "regression":  # (n, d) targets: mean over all n*d elements
        p2, t2 = rng.normal(size=(5, 3)), rng.poisson(2.0, (5, 3)).astype(float)
        assert loss.grad(p2, t2).shape == (5, 3)
        assert loss(p2, t2) == pytest.approx(loss(p2.ravel(), t2.ravel()), rel=1e-14)
    assert loss.n_outputs(5) == (5 if loss.task == "multiclass" else 1)


# ------------------------------------------------------------ (e) extreme logits
@pytest.mark.parametrize("loss_case", [c for c in CASES if c.name not in ("exponential", "poisson")], ids=lambda c: c.id)
def test_extreme_inputs_stay_finite(loss_case: Case) -> None:
    loss = loss_case.build()
    if loss.task == "multiclass":
        k = 4 if getattr(loss, "class_weight", None) else 3
        z = np.array([[1000.0, -1000.0, 0.0, 500.0][:k], [-1000.0, 1000.0, 0.0, -500.0][:k]])
        y = np.array([[1.0, 0, 0, 0][:k], [0.5, 0.5, 0, 0][:k]]) if loss.name == "kl_div" else np.array([0, 0])
    else:
        z = np.array([1000.0, -1000.0, 1000.0, -1000.0])
        y = np.array([1.0, 0.0, 0.0, 1.0]) if loss.task == "binary" else np.zeros(4)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow, NaN or log(0)
        value, g = loss.value_and_grad(z, loss.prepare_targets(y))
    assert np.isfinite(value) and np.isfinite(g).all()


def test_extreme_reference_numbers() -> None:
    # reference/losses.md section 6.1 (torch 2.13 values, exact)
    z, y = [1000.0, -1000.0, 1000.0, -1000.0], [1.0, 0.0, 0.0, 1.0]
    bce = losses.get("bce")
    assert bce(z, y) == 500.0  # per-element [0, 0, 1000, 1000]
    np.testing.assert_array_equal(bce.grad(z, y) * 4, [0.0, 0.0, 1.0, -1.0])
    ce = losses.get("cross_entropy")
    rows = [[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]]
    assert ce(rows, [0, 0]) == 1000.0  # per-row [0, 2000]
    np.testing.assert_array_equal(ce.grad(rows, [0, 0]) * 2, [[0.0, 0.0, 0.0], [-1.0, 1.0, 0.0]])
    assert losses.get("log_cosh")([1000.0], [0.0]) == pytest.approx(999.3069, abs=5e-5)
    assert losses.get("log_cosh")([-1000.0], [0.0]) == 1000.0 - LOG2
    assert losses.get("logistic")([-1000.0], [1.0]) == 1000.0  # logistic margin m = -1000
    g = losses.get("focal", gamma=0.5, alpha=None).grad([100.0, -100.0, 40.0, -40.0], [1.0, 0.0, 1.0, 0.0])
    assert np.isfinite(g).all() and 0 < np.max(np.abs(g)) < 1e-20  # tiny, not NaN (log-space)


def test_overflowing_losses_return_inf_without_clipping() -> None:
    with np.errstate(over="ignore"):
        assert losses.get("exponential")([-1000.0], [1.0]) == math.inf
        assert losses.get("poisson")([1000.0], [1.0]) == math.inf


# -------------------------------------------------------------- (g) weights
@pytest.mark.parametrize("loss_case", CASES, ids=IDS)
def test_sample_weight_ones_and_duplicated_rows(loss_case: Case) -> None:
    loss = loss_case.build()
    rng = np.random.default_rng(2)
    y_pred, y_true = make_batch(loss, rng, 6)
    ones = np.ones(6)
    assert loss(y_pred, y_true, sample_weight=ones) == pytest.approx(loss(y_pred, y_true), rel=1e-13)
    np.testing.assert_allclose(loss.grad(y_pred, y_true, ones), loss.grad(y_pred, y_true), rtol=1e-13, atol=1e-16)
    counts = np.array([1, 0, 3, 2, 1, 1])
    rep_pred, rep_true = np.repeat(y_pred, counts, axis=0), np.repeat(y_true, counts, axis=0)
    assert loss(y_pred, y_true, counts) == pytest.approx(loss(rep_pred, rep_true), rel=1e-13)
    # gradient: each row's weighted gradient equals the sum over its copies
    g_rep = loss.grad(rep_pred, rep_true)
    summed = np.zeros_like(y_pred)
    np.add.at(summed, np.repeat(np.arange(6), counts), g_rep)
    np.testing.assert_allclose(loss.grad(y_pred, y_true, counts), summed, rtol=1e-12, atol=1e-16)
    # scaling all weights changes nothing
    assert loss(y_pred, y_true, 2.5 * counts) == pytest.approx(loss(y_pred, y_true, counts), rel=1e-13)


# -------------------------------------------------------------- (h) permutation
@pytest.mark.parametrize("loss_case", CASES, ids=IDS)
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 8))
def test_permuting_samples_permutes_the_grad(loss_case: Case, seed: int, n: int) -> None:
    loss = loss_case.build()
    rng = np.random.default_rng(seed)
    y_pred, y_true = make_batch(loss, rng, n)
    perm = rng.permutation(n)
    assert loss(y_pred[perm], y_true[perm]) == pytest.approx(loss(y_pred, y_true), rel=1e-12)
    np.testing.assert_allclose(loss.grad(y_pred[perm], y_true[perm]), loss.grad(y_pred, y_true)[perm], rtol=1e-12, atol=1e-300)


# ----------------------------------------------------- (i) fused == public calls
@pytest.mark.parametrize("loss_case", CASES, ids=IDS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_value_and_grad_equals_call_and_grad(loss_case: Case, weighted: bool) -> None:
    loss = loss_case.build()
    rng = np.random.default_rng(3)
    y_pred, y_true = make_batch(loss, rng, 9)
    w = rng.random(9) if weighted else None
    value, g = loss.value_and_grad(y_pred.copy(), loss.prepare_targets(y_true), w)
    assert value == loss(y_pred, y_true, w)
    np.testing.assert_array_equal(g, loss.grad(y_pred, y_true, w))


def test_value_and_grad_does_not_modify_its_inputs() -> None:
    for loss_case in CASES:
        loss = loss_case.build()
        y_pred, y_true = make_batch(loss, np.random.default_rng(4), 5)
        target = loss.prepare_targets(y_true)
        before = (y_pred.copy(), np.copy(target))
        loss.value_and_grad(y_pred, target, np.ones(5))
        np.testing.assert_array_equal(y_pred, before[0])
        np.testing.assert_array_equal(target, before[1])


# --------------------------------------------------- (l) convexity, robustness
def pointwise_grid(loss: Any) -> list[tuple[np.ndarray, Any]]:
    """Per-element (or per-row, along a random direction) loss curves on a fine grid."""
    x = np.linspace(-8.0, 8.0, 1601)
    if loss.task == "regression":
        targets = [0.0, 3.0] if loss.name == "poisson" else [-1.0, 0.0, 2.0]
        return [(x, loss.pointwise(x, np.full_like(x, y))[0]) for y in targets]
    if loss.task == "binary":
        return [(x, loss.pointwise(x, np.full_like(x, y))[0]) for y in (0.0, 1.0)]
    rng = np.random.default_rng(5)
    curves = []
    for _ in range(6):
        base, direction = rng.normal(0, 2, 3), rng.normal(0, 1, 3)
        z = base + x[:, None] * direction
        if loss.name == "kl_div":
            y = np.tile(rng.dirichlet(np.ones(3)), (x.size, 1))
        else:
            y = np.full(x.size, rng.integers(0, 3))
        if getattr(loss, "class_weight", None) is not None:
            loss = losses.get("cross_entropy", label_smoothing=loss.label_smoothing)
        curves.append((x, loss.pointwise(z, y)[0]))
    return curves


@pytest.mark.parametrize("loss_case", CASES, ids=IDS)
def test_convexity_claim_matches_sampled_second_differences(loss_case: Case) -> None:
    loss = loss_case.build()
    h2 = (16.0 / 1600) ** 2
    worst = min(float(np.min(l[2:] - 2 * l[1:-1] + l[:-2])) / h2 for _, l in pointwise_grid(loss))
    # focal's class claims non-convex; its gamma = 0 variant is bce, which is convex
    convex = loss.convex or (loss.name == "focal" and loss.gamma == 0)
    if convex:
        assert worst >= -1e-5
    else:
        assert worst < -1e-3  # focal: second derivative -0.047 near z = -3.9 (gamma 2, y = 1)


def test_focal_is_not_convex_but_gamma_zero_is() -> None:
    assert losses.get("focal").convex is False
    x = np.linspace(-8, 8, 1601)
    curve = losses.get("focal", gamma=2.0, alpha=None).pointwise(x, np.ones_like(x))[0]
    second = (curve[2:] - 2 * curve[1:-1] + curve[:-2]) / (x[1] - x[0]) ** 2
    assert second.min() == pytest.approx(-0.047, abs=0.005)  # reference: -0.047 at z ~ -3.9
    assert x[1:-1][second.argmin()] == pytest.approx(-3.9, abs=0.2)
    bce_like = losses.get("focal", gamma=0.0, alpha=None).pointwise(x, np.ones_like(x))[0]
    assert np.min(bce_like[2:] - 2 * bce_like[1:-1] + bce_like[:-2]) >= 0


@pytest.mark.parametrize("loss_case", DEFAULT_CASES, ids=lambda c: c.id)
def test_robust_means_bounded_gradient(loss_case: Case) -> None:
    loss = loss_case.build()

    def largest_grad(scale: float) -> float:
        x = np.linspace(-scale, scale, 401)
        if loss.task == "multiclass":
            z = np.stack([x, -x, 0.5 * x], axis=1)
            y = np.tile([0.2, 0.3, 0.5], (x.size, 1)) if loss.name == "kl_div" else np.full(x.size, 2)
            return float(np.abs(loss.pointwise(z, y)[1]).max())
        targets = [0.0, 1.0] if loss.task == "binary" else [0.0, 2.0]
        return max(float(np.abs(loss.pointwise(x, np.full_like(x, y))[1]).max()) for y in targets)

    with np.errstate(over="ignore"):
        bounded = largest_grad(1e4) <= 1.0001 * largest_grad(100.0)
    assert bounded == loss.robust


# ----------------------------------------------------------- teaching metadata
@pytest.mark.parametrize("name", losses.names())
def test_every_loss_carries_its_teaching_metadata(name: str) -> None:
    cls = losses.registry.entry(name).factory
    assert cls.name == name and cls.task in ("regression", "binary", "multiclass")
    for attr in ("summary", "formula", "gradient", "target_domain", "smooth", "bayes_optimal", "when_to_use", "pitfalls"):
        assert isinstance(getattr(cls, attr), str) and getattr(cls, attr), attr
    for attr in ("convex", "robust", "margin_based"):
        assert isinstance(getattr(cls, attr), bool), attr
    assert cls.probability_link is None or isinstance(cls.probability_link, str)
    assert set(cls.related) <= set(losses.names()) - {name}
    doc = cls.__doc__ or ""
    assert "Notes" in doc and "::" in doc and ">>>" in doc
    assert "mean" in doc.splitlines()[0] or "divided by n" in doc.splitlines()[0]
