"""Dataset generators, load, split and standardization (lossfit.data)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossfit import data
from lossfit.data.dataset import fit_standardizer, split_indices
from lossfit.errors import ConfigError, DataError, SpecError, UnknownNameError

NAMES = data.names()


def _generate(spec: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return data.generator(spec).generate(np.random.default_rng(seed))


def _linear_fit_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    """Training accuracy of a least-squares linear classifier (with intercept) on {0,1} labels."""
    A = np.column_stack([X, np.ones(len(X))])
    w, *_ = np.linalg.lstsq(A, 2 * y - 1, rcond=None)
    return float(np.mean((A @ w > 0) == (y == 1)))


# --- every generator ---------------------------------------------------------------------


def test_registry_names_and_defaults() -> None:
    assert {"linear", "outliers", "moons", "blobs"} <= set(NAMES)
    assert data.default_for_task("regression") == "linear"
    assert data.default_for_task("binary") == "moons"
    assert data.default_for_task("multiclass") == "blobs"
    for task in ("regression", "binary", "multiclass"):
        assert data.task_of(data.default_for_task(task)) == task
    with pytest.raises(ConfigError, match="Unknown task `ranking`"):
        data.default_for_task("ranking")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", NAMES)
def test_generator_shape_dtype_task(name: str) -> None:
    gen = data.generator(name)
    assert gen.summary and "\n" not in gen.summary
    assert gen.lesson
    assert data.registry.entry(name).summary == gen.summary
    params = data.registry.entry(name).parameters()
    assert "n_samples" in params
    X, y = gen.generate(np.random.default_rng(0))
    assert X.dtype == np.float64 and X.ndim == 2
    assert X.shape == (gen.n_samples, gen.n_features)
    assert len(gen.feature_names) == gen.n_features
    assert y.shape == (gen.n_samples,)
    assert np.isfinite(X).all() and np.isfinite(y).all()
    if gen.task == "regression":
        assert y.dtype == np.float64 and gen.n_classes == 0
    elif gen.task == "binary":
        assert y.dtype == np.float64 and set(np.unique(y)) == {0.0, 1.0} and gen.n_classes == 2
    else:
        assert y.dtype == np.int64
        assert set(np.unique(y)) == set(range(gen.n_classes)) and gen.n_classes >= 2


@pytest.mark.parametrize("name", NAMES)
def test_generator_seeded_determinism(name: str) -> None:
    X1, y1 = _generate(name, seed=3)
    X2, y2 = _generate(name, seed=3)
    X3, _ = _generate(name, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", NAMES)
def test_load_round_trips_through_its_spec(name: str) -> None:
    ds = data.load(name, seed=5, val_split=0.2)
    assert ds.name == name and data.spec_of(ds) == ds.spec
    assert data.task_of(ds.spec) == ds.task == data.task_of(name)
    again = data.load(ds.spec, seed=5, val_split=0.2)
    assert again.spec == ds.spec
    for field in ("X_train", "y_train", "X_val", "y_val", "x_mean", "x_std"):
        np.testing.assert_array_equal(getattr(again, field), getattr(ds, field))


@pytest.mark.parametrize("name", NAMES)
def test_n_samples_is_validated(name: str) -> None:
    with pytest.raises(ConfigError, match=rf"Dataset `{name}`: n_samples=1 is out of range; expected n_samples >= \d"):
        data.generator(f"{name}(n_samples=1)")


def test_load_does_not_touch_global_random_state() -> None:
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    data.load("moons", seed=0, val_split=0.2)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# --- the property each generator exists for ----------------------------------------------


def test_linear_is_a_noisy_line() -> None:
    X, y = _generate("linear(n_samples=2000, noise=0.3, slope=2, intercept=1)")
    assert X.min() >= -1 and X.max() <= 1
    residual = y - (2 * X[:, 0] + 1)
    assert abs(residual.mean()) < 0.03
    assert residual.std() == pytest.approx(0.3, rel=0.1)
    X0, y0 = _generate("linear(n_samples=10, noise=0)")
    np.testing.assert_allclose(y0, 2 * X0[:, 0] + 1)


def test_outliers_have_the_stated_fraction_far_from_the_line() -> None:
    for fraction in (0.05, 0.1, 0.3):
        X, y = _generate(f"outliers(n_samples=200, fraction={fraction})", seed=1)
        far = np.abs(y - (2 * X[:, 0] + 1)) > 3.0  # noise 0.3 never goes 10 sigma; outliers move >= 5
        assert far.sum() == round(fraction * 200)
    # the outliers flatten the least-squares line: that is the lesson
    X, y = _generate("outliers(n_samples=400, fraction=0.1)", seed=2)
    slope, _ = np.polyfit(X[:, 0], y, 1)
    assert slope < 1.0
    inliers = np.abs(y - (2 * X[:, 0] + 1)) < 3.0
    assert np.polyfit(X[inliers, 0], y[inliers], 1)[0] == pytest.approx(2.0, abs=0.15)


def test_outliers_validation() -> None:
    with pytest.raises(ConfigError, match=r"Dataset `outliers`: fraction=1.5 is out of range; expected 0 < fraction < 1\."):
        data.generator("outliers(fraction=1.5)")
    with pytest.raises(ConfigError, match=r"fraction=0.0 is out of range"):
        data.generator("outliers(fraction=0)")
    with pytest.raises(ConfigError, match=r"Dataset `outliers`: noise=-0.1 is out of range; expected noise >= 0\."):
        data.generator("outliers(noise=-0.1)")
    with pytest.raises(ConfigError, match=r"offset=0.0 is out of range; expected offset > 0"):
        data.generator("outliers(offset=0)")


def test_moons_definition_and_not_linearly_separable() -> None:
    X, y = _generate("moons(n_samples=9, noise=0)")
    outer, inner = X[y == 0], X[y == 1]
    assert len(outer) == 4 and len(inner) == 5
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0)
    X, y = _generate("moons(n_samples=1000, noise=0.2)")
    assert 0.75 < _linear_fit_accuracy(X, y) < 0.92


def test_moons_matches_sklearn_definition() -> None:
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = _generate("moons(n_samples=11, noise=0)")
    X_ref, y_ref = datasets.make_moons(n_samples=11, noise=None, shuffle=False)
    order = np.lexsort((X[:, 1], X[:, 0], y))
    ref_order = np.lexsort((X_ref[:, 1], X_ref[:, 0], y_ref))
    np.testing.assert_allclose(X[order], X_ref[ref_order], atol=1e-12)
    np.testing.assert_array_equal(y[order], y_ref[ref_order])


def test_blobs_three_balanced_classes() -> None:
    gen = data.generator("blobs")
    assert (gen.n_samples, gen.n_features, gen.n_classes, gen.noise) == (300, 2, 3, 1.0)
    X, y = gen.generate(np.random.default_rng(0))
    assert np.bincount(y).tolist() == [100, 100, 100]
    for k in range(3):  # cluster std is `noise`
        assert X[y == k].std(axis=0) == pytest.approx([1.0, 1.0], rel=0.25)
    X, y = _generate("blobs(n_samples=301, centers=4, n_features=3)")
    assert X.shape == (301, 3) and np.bincount(y).tolist() == [76, 75, 75, 75]
    with pytest.raises(ConfigError, match=r"Dataset `blobs`: centers=1 is out of range; expected centers >= 2\."):
        data.generator("blobs(centers=1)")


# --- spec and name errors ------------------------------------------------------------------


def test_unknown_dataset_and_parameter() -> None:
    with pytest.raises(UnknownNameError, match=r"Unknown dataset `moon`\. Did you mean `moons`\?"):
        data.load("moon", seed=0, val_split=0.2)
    with pytest.raises(SpecError, match="Unknown parameter `nosie` for dataset `moons`. Did you mean `noise`"):
        data.task_of("moons(nosie=0.1)")
    with pytest.raises(SpecError, match="`n_samples` must be a whole number"):
        data.generator("moons(n_samples=10.5)")


def test_load_validates_seed_and_val_split() -> None:
    with pytest.raises(ConfigError, match=r"val_split=1.0 is out of range; expected 0 <= val_split < 1\."):
        data.load("moons", seed=0, val_split=1.0)
    with pytest.raises(ConfigError, match=r"val_split=-0.1 is out of range"):
        data.load("moons", seed=0, val_split=-0.1)
    with pytest.raises(ConfigError, match=r"seed=-1 is out of range"):
        data.load("moons", seed=-1, val_split=0.2)


# --- split -----------------------------------------------------------------------------------


def test_split_sizes_regression() -> None:
    ds = data.load("linear(n_samples=101)", seed=0, val_split=0.2)
    assert len(ds.y_val) == 21 and len(ds.y_train) == 80  # ceil(0.2 * 101), as train_test_split
    assert ds.X_train.shape == (80, 1) and ds.X_val.shape == (21, 1)


def test_split_is_a_partition_and_deterministic() -> None:
    y = np.repeat([0, 1, 2], [50, 30, 20])
    a = split_indices(y, "multiclass", 0.3, np.random.default_rng(7))
    b = split_indices(y, "multiclass", 0.3, np.random.default_rng(7))
    c = split_indices(y, "multiclass", 0.3, np.random.default_rng(8))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    assert sorted(np.concatenate(a).tolist()) == list(range(100))


def test_split_is_stratified() -> None:
    y = np.repeat([0, 1, 2], [50, 30, 20])
    train, val = split_indices(y, "multiclass", 0.3, np.random.default_rng(0))
    assert np.bincount(y[val]).tolist() == [15, 9, 6]
    assert np.bincount(y[train]).tolist() == [35, 21, 14]
    # scikit-learn's example: 5 positives with a validation fraction of 0.2 put exactly 1 in validation
    y = np.array([0] * 20 + [1] * 5)
    _, val = split_indices(y, "binary", 0.2, np.random.default_rng(0))
    assert int(y[val].sum()) == 1 and len(val) == 5


def test_split_keeps_every_class_in_train_and_val() -> None:
    y = np.array([0] * 96 + [1] * 2 + [2] * 1 + [3] * 3)
    train, val = split_indices(y, "multiclass", 0.1, np.random.default_rng(0))
    assert set(y[train]) == {0, 1, 2, 3}
    assert set(y[val]) == {0, 1, 3}  # class 2 has a single row: it stays in train
    train, val = split_indices(y, "multiclass", 0.9, np.random.default_rng(0))
    assert set(y[train]) == {0, 1, 2, 3}


def test_imbalanced_split_via_load_keeps_minority_in_both() -> None:
    ds = data.load("blobs(n_samples=12, centers=3)", seed=0, val_split=0.1)
    assert set(ds.y_val.tolist()) == {0, 1, 2}
    assert set(ds.y_train.tolist()) == {0, 1, 2}


def test_val_split_zero_gives_empty_validation() -> None:
    ds = data.load("blobs", seed=0, val_split=0.0)
    assert ds.X_val.shape == (0, 2) and ds.y_val.shape == (0,)
    assert ds.y_val.dtype == np.int64 and len(ds.y_train) == 300
    ds = data.load("linear", seed=0, val_split=0)
    assert ds.X_val.shape == (0, 1)


def test_impossible_splits_are_data_errors() -> None:
    with pytest.raises(DataError, match=r"val_split=0.6 leaves 1 training row\(s\) out of 4; lower val_split"):
        data.load("linear(n_samples=4)", seed=0, val_split=0.6)
    with pytest.raises(DataError, match="leaves an empty validation set"):
        split_indices(np.array([0, 1, 2]), "multiclass", 0.2, np.random.default_rng(0))


# --- dataset fields and standardization ------------------------------------------------------


def test_dataset_fields() -> None:
    ds = data.load("moons", seed=0, val_split=0.2)
    assert (ds.name, ds.task, ds.n_classes, ds.n_features) == ("moons", "binary", 2, 2)
    assert ds.spec == "moons(n_samples=200, noise=0.2)"
    assert ds.feature_names == ("x1", "x2") and ds.class_names == ("0", "1")
    assert ds.y_train.dtype == np.float64 and set(np.unique(ds.y_train)) == {0.0, 1.0}
    assert len(ds.y_train) == 160 and len(ds.y_val) == 40
    assert np.bincount(ds.y_val.astype(int)).tolist() == [20, 20]
    reg = data.load("linear", seed=0, val_split=0.2)
    assert reg.class_names == () and reg.n_classes == 0 and reg.feature_names == ("x",)
    assert not ds.X_train.flags.writeable
    with pytest.raises(ValueError):
        ds.X_train[0, 0] = 1.0
    assert "moons(n_samples=200, noise=0.2)" in repr(ds)


def test_standardization_uses_train_statistics_only() -> None:
    raw = data.load("blobs", seed=0, val_split=0.25, standardize=False)
    ds = data.load("blobs", seed=0, val_split=0.25)
    np.testing.assert_array_equal(raw.x_mean, [0.0, 0.0])
    np.testing.assert_array_equal(raw.x_std, [1.0, 1.0])
    np.testing.assert_allclose(ds.x_mean, raw.X_train.mean(axis=0))
    np.testing.assert_allclose(ds.x_std, raw.X_train.std(axis=0))
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1.0)
    assert np.all(np.abs(ds.X_val.mean(axis=0)) > 1e-6)  # validation is not re-centred
    np.testing.assert_allclose(ds.X_val, (raw.X_val - ds.x_mean) / ds.x_std)
    np.testing.assert_allclose(ds.raw_X(ds.X_val), raw.X_val)
    np.testing.assert_array_equal(ds.y_val, raw.y_val)


def test_zero_variance_column_keeps_std_one() -> None:
    X = np.array([[1.0, 3.0], [2.0, 3.0], [3.0, 3.0]])
    mean, std = fit_standardizer(X)
    np.testing.assert_allclose(mean, [2.0, 3.0])
    np.testing.assert_allclose(std, [np.sqrt(2 / 3), 1.0])


def test_standardizer_matches_sklearn() -> None:
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    X = np.random.default_rng(0).normal(5, 3, size=(50, 4))
    X[:, 2] = 7.0
    scaler = preprocessing.StandardScaler().fit(X)
    mean, std = fit_standardizer(X)
    np.testing.assert_allclose(mean, scaler.mean_)
    np.testing.assert_allclose(std, scaler.scale_)


def test_generators_validate_types_when_built_directly() -> None:
    from lossfit.data.classification import Blobs, Moons

    with pytest.raises(ConfigError, match=r"Dataset `moons`: n_samples='many' must be a whole number; expected n_samples >= 4\."):
        Moons(n_samples="many")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"Dataset `moons`: noise=nan is out of range; expected noise >= 0\."):
        Moons(noise=float("nan"))
    with pytest.raises(ConfigError, match=r"Dataset `blobs`: n_samples=5 is out of range; expected n_samples >= 2 \* centers = 6"):
        Blobs(n_samples=5)


def test_resolved_spec_lists_every_parameter() -> None:
    ds = data.load("blobs(centers=4)", seed=0, val_split=0.2)
    assert ds.spec == "blobs(n_samples=300, noise=1.0, centers=4, n_features=2, center_box=10.0)"
    assert ds.n_classes == 4 and ds.class_names == ("0", "1", "2", "3")
    assert data.load("outliers", seed=0, val_split=0.2).spec == (
        "outliers(n_samples=200, noise=0.3, slope=2.0, intercept=1.0, fraction=0.1, offset=10.0)"
    )


@settings(max_examples=80, deadline=None)
@given(
    counts=st.lists(st.integers(1, 40), min_size=2, max_size=6),
    val_split=st.floats(0.0, 0.95),
    seed=st.integers(0, 2**32 - 1),
)
def test_stratified_split_invariants(counts: list[int], val_split: float, seed: int) -> None:
    y = np.repeat(np.arange(len(counts)), counts)
    n = len(y)
    try:
        train, val = split_indices(y, "multiclass", val_split, np.random.default_rng(seed))
    except DataError as error:  # only the impossible cases
        assert "lower val_split" in str(error) or "empty validation set" in str(error)
        assert max(counts) == 1 or n < 4 or val_split > 0.5
        return
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(n))
    assert set(y[train]) == set(range(len(counts)))  # every class trains
    if val_split > 0:
        assert set(y[val]) == {c for c, m in enumerate(counts) if m >= 2}
    else:
        assert len(val) == 0
    assert abs(len(val) - math.ceil(val_split * n)) <= len(counts)
