"""Loss registry API, hyper-parameter checks and input-domain errors (messages asserted on text)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lossfit import losses
from lossfit.errors import (
    ConfigError,
    DataError,
    LabelError,
    LossfitError,
    ShapeError,
    SpecError,
    UnknownNameError,
)


# ------------------------------------------------------------------ registry
def test_names_are_canonical_in_registration_order() -> None:
    assert losses.names() == [
        "mse", "mae", "huber", "smooth_l1", "log_cosh", "quantile", "epsilon_insensitive",
        "squared_epsilon_insensitive", "poisson",
        "bce", "focal", "hinge", "squared_hinge", "modified_huber", "perceptron", "exponential",
        "cross_entropy", "multi_margin", "crammer_singer", "kl_div",
    ]
    assert losses.registry.kind == "loss"


@pytest.mark.parametrize(
    "alias, canonical",
    [("l2", "mse"), ("squared_error", "mse"), ("l1", "mae"), ("log_loss", "bce"), ("logistic", "bce"),
     ("binary_cross_entropy", "bce"), ("ce", "cross_entropy"), ("softmax", "cross_entropy"),
     ("svm", "hinge"), ("pinball", "quantile"), ("Smooth-L1", "smooth_l1")],
)
def test_aliases_resolve_to_the_canonical_name(alias: str, canonical: str) -> None:
    loss = losses.get(alias)
    assert loss.name == canonical
    assert losses.spec_of(loss).split("(")[0] == canonical


@pytest.mark.parametrize(
    "spec",
    ["mse", "huber(delta=0.5)", "smooth_l1(beta=0.0)", "quantile(tau=0.9)", "bce(pos_weight=3.0)",
     "focal(gamma=0.5, alpha=None)", "cross_entropy(label_smoothing=0.1, class_weight=(1.0, 2.0))",
     "multi_margin(p=2, margin=0.5)", "epsilon_insensitive(epsilon=0.0)"],
)
def test_spec_strings_round_trip(spec: str) -> None:
    loss = losses.get(spec)
    assert losses.get(losses.spec_of(loss)) == loss
    assert losses.spec_of(losses.get(losses.spec_of(loss))) == losses.spec_of(loss)


def test_get_with_keywords_equals_spec_string() -> None:
    assert losses.get("huber", delta=0.5) == losses.get("huber(delta=0.5)")
    assert losses.spec_of(losses.get("huber", delta=0.5)) == "huber(delta=0.5)"
    assert losses.spec_of(losses.get("huber", delta=2)) == "huber(delta=2.0)"  # ints coerced
    assert losses.get("cross_entropy", class_weight=[1, 2]).class_weight == (1.0, 2.0)
    with pytest.raises(SpecError, match=r"sets delta=0.5 but delta=1.0 was also given; set it in one place"):
        losses.get("huber(delta=0.5)", delta=1.0)


def test_for_task_partitions_the_registry() -> None:
    parts = {task: losses.for_task(task) for task in ("regression", "binary", "multiclass")}
    assert parts["binary"] == ["bce", "focal", "hinge", "squared_hinge", "modified_huber", "perceptron", "exponential"]
    assert parts["multiclass"] == ["cross_entropy", "multi_margin", "crammer_singer", "kl_div"]
    assert sum(parts.values(), []) == losses.names()
    for task, names in parts.items():
        assert all(losses.get(name).task == task for name in names)
    with pytest.raises(ConfigError, match=r"Unknown task `ranking`. Expected one of: regression, binary, multiclass."):
        losses.for_task("ranking")


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(UnknownNameError, match=r"Unknown loss `hubber`. Did you mean `huber`\? Expected one of: mse, mae, huber"):
        losses.get("hubber")


def test_unknown_parameter_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match=r"Unknown parameter `detla` for loss `huber`. Did you mean `delta`\?"):
        losses.get("huber", detla=1.0)
    with pytest.raises(SpecError, match=r"loss `mse`.*It accepts: no parameters"):
        losses.get("mse", delta=1.0)
    with pytest.raises(SpecError, match=r"`delta` must be a number, got 'big'"):
        losses.get("huber(delta='big')")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("huber(delta=0)", "huber: `delta` must be > 0; got 0.0."),
        ("huber(delta=-1)", "huber: `delta` must be > 0; got -1.0."),
        ("smooth_l1(beta=-0.5)", "smooth_l1: `beta` must be >= 0; got -0.5."),
        ("quantile(tau=1.0)", "quantile: `tau` must be in (0, 1); got 1.0."),
        ("quantile(tau=0)", "quantile: `tau` must be in (0, 1); got 0.0."),
        ("epsilon_insensitive(epsilon=-0.1)", "epsilon_insensitive: `epsilon` must be >= 0; got -0.1."),
        ("squared_epsilon_insensitive(epsilon=-1)", "squared_epsilon_insensitive: `epsilon` must be >= 0; got -1.0."),
        ("bce(pos_weight=0)", "bce: `pos_weight` must be > 0 or None; got 0.0."),
        ("focal(gamma=-1)", "focal: `gamma` must be >= 0; got -1.0."),
        ("focal(alpha=1.5)", "focal: `alpha` must be in [0, 1] or None; got 1.5."),
        ("cross_entropy(label_smoothing=1.5)", "cross_entropy: `label_smoothing` must be in [0, 1]; got 1.5."),
        ("cross_entropy(class_weight=(1.0, -1.0))", "cross_entropy: `class_weight` must be a tuple of at least 2 finite weights >= 0, not all zero; got (1.0, -1.0)."),
        ("cross_entropy(class_weight=(0.0, 0.0))", "cross_entropy: `class_weight` must be a tuple of at least 2 finite weights >= 0, not all zero; got (0.0, 0.0)."),
        ("multi_margin(p=3)", "multi_margin: `p` must be 1 or 2; got 3."),
        ("multi_margin(margin=-1)", "multi_margin: `margin` must be >= 0; got -1.0."),
    ],
)
def test_out_of_range_hyper_parameters(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        losses.get(spec)


def test_direct_construction_is_validated_too() -> None:
    from lossfit.losses.regression import Huber

    with pytest.raises(ConfigError, match=re.escape("huber: `delta` must be > 0; got nan.")):
        Huber(delta=float("nan"))
    with pytest.raises(ConfigError, match=re.escape("huber: `delta` must be > 0; got True.")):
        Huber(delta=True)


def test_losses_are_frozen_and_hashable() -> None:
    loss = losses.get("huber")
    with pytest.raises(AttributeError):
        loss.delta = 2.0  # type: ignore[misc]
    assert len({losses.get("huber"), losses.get("huber(delta=1.0)"), losses.get("huber", delta=2.0)}) == 2
    assert hash(losses.get("cross_entropy", class_weight=(1.0, 2.0)))


# -------------------------------------------------------------- input errors
def raises(error: type[LossfitError], message: str):  # noqa: ANN201
    return pytest.raises(error, match=re.escape(message))


def test_shape_mismatch_never_broadcasts() -> None:
    with raises(ShapeError, "mse: shape mismatch: got y_pred (4, 1) and y_true (4,). Squeeze the model output or reshape the target."):
        losses.get("mse")(np.zeros((4, 1)), np.zeros(4))
    with raises(ShapeError, "bce: shape mismatch: got y_pred (3,) and y_true (4,)."):
        losses.get("bce").grad(np.zeros(3), np.zeros(4))
    with raises(ShapeError, "huber: expected an array of predictions of shape (n,), got a scalar."):
        losses.get("huber")(1.0, 0.0)


def test_multiclass_shapes() -> None:
    ce = losses.get("cross_entropy")
    with raises(ShapeError, "cross_entropy: expected y_pred of shape (n, k) with one logit column per class (k >= 2); got (4,)."):
        ce(np.zeros(4), np.zeros(4, dtype=int))
    with raises(ShapeError, "cross_entropy: shape mismatch: got y_pred (4, 3) and y_true (5,). Expected y_true of shape (4,)"):
        ce(np.zeros((4, 3)), np.zeros(5, dtype=int))
    with raises(LabelError, "cross_entropy expects class indices of shape (4,); got a (4, 3) array, which looks like one-hot or probability targets. Pass indices (y.argmax(axis=1))"):
        ce(np.zeros((4, 3)), np.eye(3)[[0, 1, 2, 0]])
    with raises(LabelError, "cross_entropy expects class indices of shape (n,); got a (4, 3) array (one-hot or probabilities?). Pass indices"):
        ce.prepare_targets(np.eye(3)[[0, 1, 2, 0]])
    with raises(ShapeError, "kl_div expects soft targets of shape (4, 3) (one probability row per sample); got class indices (4,). For class indices use cross_entropy."):
        losses.get("kl_div")(np.zeros((4, 3)), np.zeros(4, dtype=int))
    with raises(ShapeError, "cross_entropy: class_weight has 2 entries but y_pred has 3 logit columns; give one weight per class."):
        losses.get("cross_entropy", class_weight=(1.0, 2.0))(np.zeros((2, 3)), [0, 1])


@pytest.mark.parametrize("name", losses.names())
def test_empty_batch(name: str) -> None:
    loss = losses.get(name)
    y_pred = np.zeros((0, 3)) if loss.task == "multiclass" else np.zeros(0)
    y_true = np.zeros((0, 3)) if name == "kl_div" else np.zeros(0, dtype=int)
    with raises(DataError, f"{name}: got an empty batch (0 samples). Check --batch-size and --val-split."):
        loss(y_pred, y_true)
    with raises(DataError, f"{name}: got an empty batch (0 samples)."):
        loss.prepare_targets(y_true)


@pytest.mark.parametrize("name", ["mse", "poisson", "bce", "hinge", "focal", "cross_entropy", "multi_margin"])
def test_nan_targets_name_the_rows(name: str) -> None:
    loss = losses.get(name)
    y_true = np.zeros(398)
    y_true[[32, 126]] = np.nan
    y_pred = np.zeros((398, 3)) if loss.task == "multiclass" else np.zeros(398)
    message = f"{name}: target contains NaN in rows 32, 126 (2 of 398); drop or impute them before training."
    with raises(DataError, message):
        loss(y_pred, y_true)
    with raises(DataError, message):
        loss.prepare_targets(y_true)


def test_inf_targets_and_many_bad_rows() -> None:
    y = np.arange(10.0)
    y[[1, 2, 3, 5, 7, 9]] = np.inf
    with raises(DataError, "mse: target contains inf in rows 1, 2, 3, 5, 7, ... (6 of 10);"):
        losses.get("mse")(np.zeros(10), y)
    q = np.full((2, 2), 0.5)
    q[1, 0] = np.nan
    with raises(DataError, "kl_div: target contains NaN in rows 1 (1 of 2)"):
        losses.get("kl_div")(np.zeros((2, 2)), q)


def test_non_numeric_targets() -> None:
    with raises(DataError, "hinge: target must be numeric; got dtype <U3 (e.g. 'cat'). Encode the labels as numbers first."):
        losses.get("hinge")(np.zeros(2), np.array(["cat", "dog"]))


@pytest.mark.parametrize("name", ["hinge", "squared_hinge", "modified_huber", "perceptron", "exponential"])
def test_margin_losses_take_01_or_pm1_labels(name: str) -> None:
    loss = losses.get(name)
    f = np.array([0.3, -1.2, 2.0, 0.7])
    assert loss(f, [1, 0, 1, 0]) == loss(f, [1, -1, 1, -1])
    np.testing.assert_array_equal(loss.grad(f, [1, 0, 1, 0]), loss.grad(f, [1.0, -1.0, 1.0, -1.0]))
    np.testing.assert_array_equal(loss.prepare_targets([1, -1, -1]), [1.0, 0.0, 0.0])
    assert loss.prepare_targets([1, -1]).dtype == np.float64
    with raises(LabelError, f"{name} expects binary labels in {{0, 1}} or {{-1, +1}}; got {{-1, 0, 1}}. For 3 classes use cross_entropy."):
        loss(np.zeros(3), [-1, 0, 1])
    with raises(LabelError, f"{name} expects binary labels in {{0, 1}} or {{-1, +1}}; got {{0, 0.5, 1}}. Threshold the target"):
        loss.prepare_targets([0, 0.5, 1])
    with raises(LabelError, "got {0, 1, 2, 3, 4, 5, ... (7 distinct values)}. For 7 classes use cross_entropy."):
        loss.prepare_targets(np.arange(7))


def test_bce_targets_must_lie_in_01() -> None:
    bce = losses.get("bce")
    assert bce([0.0, 0.0], [0.25, 1.0]) == pytest.approx(np.log(2))  # soft targets are fine
    with raises(LabelError, "bce expects targets in [0, 1] (labels 0/1 or probabilities); got -1 in row 0 (2 of 4 outside, values from -1 to 1). For {-1, +1} labels convert with (y + 1) / 2."):
        bce(np.zeros(4), [-1, 1, -1, 1])
    with raises(LabelError, "bce expects targets in [0, 1] (labels 0/1 or probabilities); got 2 in row 1"):
        bce.prepare_targets([0, 2, 1])


def test_focal_takes_hard_01_labels() -> None:
    focal = losses.get("focal")
    with raises(LabelError, "focal expects binary labels in {0, 1}; got {-1, 1}. Convert {-1, +1} labels with (y + 1) / 2."):
        focal(np.zeros(2), [-1, 1])
    with raises(LabelError, "focal expects binary labels in {0, 1}; got {0, 0.3}."):
        focal.prepare_targets([0, 0.3])


def test_class_indices() -> None:
    ce = losses.get("cross_entropy")
    z = np.zeros((20, 3))
    t = np.zeros(20, dtype=int)
    t[17] = 3
    with raises(LabelError, "cross_entropy: class index 3 in row 17 is out of range for 3 logit columns (expected 0..2)."):
        ce(z, t)
    t[17] = -1
    with raises(LabelError, "cross_entropy: class index -1 in row 17 is negative; expected indices 0..k-1 (there is no ignore_index)."):
        ce.grad(z, t)
    with raises(LabelError, "multi_margin: class indices must be whole numbers; got 0.5 in row 2 (1 of 3 non-integral)."):
        losses.get("multi_margin")(np.zeros((3, 2)), [0.0, 1.0, 0.5])
    with raises(LabelError, "crammer_singer: class index 2 in row 0 is out of range for 2 logit columns (expected 0..1)."):
        losses.get("crammer_singer")(np.zeros((1, 2)), [2])
    # float indices that are whole numbers are accepted and become integers
    assert ce.prepare_targets([0.0, 2.0]).dtype.kind == "i"
    assert ce(np.zeros((2, 3)), [0.0, 2.0]) == ce(np.zeros((2, 3)), [0, 2])
    # prepare_targets checks the range when told the class count (or from class_weight)
    with raises(LabelError, "out of range for 2 logit columns"):
        losses.get("cross_entropy", class_weight=(1.0, 1.0)).prepare_targets([0, 1, 2])
    with raises(LabelError, "class index 5 in row 0 is out of range for 4 logit columns"):
        ce.prepare_targets([5], n_classes=4)


def test_class_weight_zero_for_every_sample_in_the_batch() -> None:
    loss = losses.get("cross_entropy", class_weight=(0.0, 1.0))
    with raises(LabelError, "cross_entropy: every sample in this batch has weight 0"):
        loss(np.zeros((2, 2)), [0, 0])


def test_kl_div_targets_are_probability_rows() -> None:
    kl = losses.get("kl_div")
    with raises(LabelError, "kl_div expects probability rows summing to 1; row 1 sums to 0.8 (rows 1: 1 of 2). Normalise with q / q.sum(axis=1, keepdims=True)."):
        kl(np.zeros((2, 2)), [[0.5, 0.5], [0.4, 0.4]])
    with raises(LabelError, "kl_div expects probability rows (entries >= 0, summing to 1); row 0 has a negative entry"):
        kl(np.zeros((1, 2)), [[1.5, -0.5]])


def test_poisson_targets_are_counts() -> None:
    with raises(LabelError, "poisson expects counts >= 0; got -2 in row 3 (rows 3: 1 of 4). Use a regression loss such as mse for signed targets."):
        losses.get("poisson")(np.zeros(4), [0.0, 1.0, 2.0, -2.0])


def test_sample_weight_errors() -> None:
    mse = losses.get("mse")
    with raises(ShapeError, "mse: sample_weight must have shape (3,), one weight per sample; got (3, 1)."):
        mse(np.zeros(3), np.zeros(3), np.ones((3, 1)))
    with raises(DataError, "mse: sample_weight must be >= 0; got -1 in row 2 (1 negative)."):
        mse(np.zeros(3), np.zeros(3), [1.0, 1.0, -1.0])
    with raises(DataError, "mse: sample_weight is all zero; at least one sample needs a positive weight."):
        mse.grad(np.zeros(3), np.zeros(3), np.zeros(3))
    with raises(DataError, "mse: sample_weight contains NaN or inf in rows 0."):
        mse(np.zeros(3), np.zeros(3), [np.nan, 1.0, 1.0])
    with raises(ShapeError, "cross_entropy: sample_weight must have shape (2,)"):
        losses.get("cross_entropy")(np.zeros((2, 3)), [0, 1], np.ones(3))


def test_non_numeric_predictions() -> None:
    with raises(DataError, "mse: y_pred must be numeric; got an array of dtype <U1. Encode it as numbers first."):
        losses.get("mse")(["a"], [1.0])


def test_every_error_is_one_line() -> None:
    bad_calls = [
        lambda: losses.get("mse")(np.zeros((4, 1)), np.zeros(4)),
        lambda: losses.get("hinge")(np.zeros(3), [-1, 0, 1]),
        lambda: losses.get("cross_entropy")(np.zeros((2, 3)), [0, 7]),
        lambda: losses.get("quantile(tau=2)"),
    ]
    for call in bad_calls:
        with pytest.raises(LossfitError) as info:
            call()
        assert "\n" not in str(info.value)
