"""The lesson each issue-#5 generator exists for, and its parameter checks."""

from __future__ import annotations

import numpy as np
import pytest

from lossfit import data
from lossfit.errors import ConfigError


def _generate(spec: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return data.generator(spec).generate(np.random.default_rng(seed))


def _linear_fit_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    """Training accuracy of a least-squares linear classifier (with intercept), one column per class."""
    A = np.column_stack([X, np.ones(len(X))])
    labels = y.astype(int)
    k = max(2, labels.max() + 1)
    targets = np.eye(k)[labels]
    W, *_ = np.linalg.lstsq(A, targets, rcond=None)
    return float(np.mean((A @ W).argmax(axis=1) == labels))


def _logistic_fit_accuracy(X: np.ndarray, y: np.ndarray, steps: int = 2000) -> float:
    """Training accuracy of logistic regression by full-batch gradient descent."""
    A = np.column_stack([(X - X.mean(0)) / X.std(0), np.ones(len(X))])
    w = np.zeros(A.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-A @ w))
        w -= 0.5 * A.T @ (p - y) / len(y)
    return float(np.mean((A @ w > 0) == (y == 1)))


# --- regression ----------------------------------------------------------------------------


def test_polynomial_features_are_powers_of_x() -> None:
    gen = data.generator("polynomial(degree=5)")
    assert (gen.n_samples, gen.noise, gen.n_features) == (30, 0.1, 5)
    assert gen.feature_names == ("x", "x^2", "x^3", "x^4", "x^5")
    X, y = gen.generate(np.random.default_rng(0))
    for k in range(5):
        np.testing.assert_allclose(X[:, k], X[:, 0] ** (k + 1))
    X, y = _generate("polynomial(n_samples=50, noise=0, degree=1)")
    np.testing.assert_allclose(y, np.cos(1.5 * np.pi * X[:, 0]))
    with pytest.raises(ConfigError, match=r"Dataset `polynomial`: degree=0 is out of range; expected 1 <= degree <= 30\."):
        data.generator("polynomial(degree=0)")


def test_polynomial_degree_controls_the_fit() -> None:
    X, y = _generate("polynomial(n_samples=200, degree=1)")
    line = np.linalg.lstsq(np.column_stack([X, np.ones(200)]), y, rcond=None)[1][0] / 200
    X, y = _generate("polynomial(n_samples=200, degree=4)")
    quartic = np.linalg.lstsq(np.column_stack([X, np.ones(200)]), y, rcond=None)[1][0] / 200
    assert line > 0.1 and quartic < 0.02  # degree 1 underfits; degree 4 reaches the noise (0.01)


def test_sine_is_a_noisy_sinusoid() -> None:
    X, y = _generate("sine(n_samples=3000)")
    assert X.min() >= 0 and X.max() <= 1
    residual = y - np.sin(2 * np.pi * X[:, 0])
    assert residual.std() == pytest.approx(0.3, rel=0.1)


def test_heavy_tailed_noise_has_heavy_tails() -> None:
    X, y = _generate("heavy_tailed(n_samples=4000, noise=1.0, df=2)")
    residual = y - (2 * X[:, 0] + 1)
    # P(|t_2| > 5) = 0.038; a Gaussian would give 6e-7
    assert 0.02 < np.mean(np.abs(residual) > 5) < 0.06
    assert np.median(np.abs(residual)) == pytest.approx(0.816, rel=0.1)  # median |t_2| = sqrt(2/3)
    X, y = _generate("heavy_tailed(n_samples=4000, noise=1.0, df=1000)")
    assert np.mean(np.abs(y - (2 * X[:, 0] + 1)) > 5) < 0.001  # large df: nearly Gaussian
    with pytest.raises(ConfigError, match=r"Dataset `heavy_tailed`: df=0.0 is out of range; expected df > 0\."):
        data.generator("heavy_tailed(df=0)")


def test_heteroscedastic_noise_grows_with_x() -> None:
    X, y = _generate("heteroscedastic(n_samples=5000)")
    x = X[:, 0]
    assert x.min() >= 0 and x.max() <= 10
    residual = y - (10 + 0.5 * x)
    assert residual[x < 1].std() == pytest.approx(0.5 * 1.5, rel=0.2)  # std 0.5 (1 + x)
    assert residual[x > 9].std() == pytest.approx(0.5 * 10.5, rel=0.2)
    slope, intercept = np.polyfit(x, y, 1)  # the mean line is still right
    assert slope == pytest.approx(0.5, abs=0.1) and intercept == pytest.approx(10, abs=0.5)


def test_friedman1_definition() -> None:
    X, y = _generate("friedman1(n_samples=50, noise=0, n_features=7)")
    assert X.shape == (50, 7) and X.min() >= 0 and X.max() <= 1
    expected = 10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2 + 10 * X[:, 3] + 5 * X[:, 4]
    np.testing.assert_allclose(y, expected)
    with pytest.raises(ConfigError, match=r"Dataset `friedman1`: n_features=4 is out of range; expected n_features >= 5\."):
        data.generator("friedman1(n_features=4)")


def test_friedman1_matches_sklearn_distribution() -> None:
    datasets = pytest.importorskip("sklearn.datasets")
    _, y = _generate("friedman1(n_samples=20000, noise=1.0)")
    _, y_ref = datasets.make_friedman1(n_samples=20000, noise=1.0, random_state=0)
    assert y.mean() == pytest.approx(y_ref.mean(), abs=0.15)
    assert y.std() == pytest.approx(y_ref.std(), rel=0.03)


# --- classification ------------------------------------------------------------------------


def test_circles_definition_and_not_linearly_separable() -> None:
    X, y = _generate("circles(n_samples=9, noise=0, factor=0.3)")
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)
    assert (y == 0).sum() == 4 and (y == 1).sum() == 5
    X, y = _generate("circles(n_samples=1000, noise=0.1, factor=0.5)")
    assert _logistic_fit_accuracy(X, y) < 0.6  # chance
    squared = np.column_stack([X, (X**2).sum(axis=1)])  # the feature-engineering fix
    assert _logistic_fit_accuracy(squared, y) > 0.97
    with pytest.raises(ConfigError, match=r"Dataset `circles`: factor=1.0 is out of range; expected 0 < factor < 1\."):
        data.generator("circles(factor=1)")


def test_circles_matches_sklearn_definition() -> None:
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = _generate("circles(n_samples=12, noise=0, factor=0.5)")
    X_ref, y_ref = datasets.make_circles(n_samples=12, noise=None, factor=0.5, shuffle=False)
    order = np.lexsort((X[:, 1].round(12), X[:, 0].round(12), y))
    ref_order = np.lexsort((X_ref[:, 1].round(12), X_ref[:, 0].round(12), y_ref))
    np.testing.assert_allclose(X[order], X_ref[ref_order], atol=1e-12)


def test_xor_labels_and_not_linearly_separable() -> None:
    X, y = _generate("xor(n_samples=2000)")
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(float))
    assert y.mean() == pytest.approx(0.5, abs=0.05)
    assert _logistic_fit_accuracy(X, y) < 0.72  # a line can at best cut off one quadrant: 75%
    X_noisy, y_noisy = _generate("xor(n_samples=2000, noise=0.5)")
    crossed = np.mean(y_noisy != (X_noisy[:, 0] * X_noisy[:, 1] < 0))
    assert 0.05 < crossed < 0.5  # jitter after labelling acts as label noise near the axes


def test_spirals_classes_and_hard_for_a_linear_model() -> None:
    gen = data.generator("spirals")
    assert (gen.n_samples, gen.n_classes, gen.noise) == (300, 3, 0.2)
    X, y = gen.generate(np.random.default_rng(0))
    assert np.bincount(y).tolist() == [100, 100, 100]
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1.0 + 1e-12
    assert _linear_fit_accuracy(X, y) < 0.7
    X, y = _generate("spirals(n_samples=11, classes=5, noise=0)")
    assert np.bincount(y).tolist() == [3, 2, 2, 2, 2] and data.task_of("spirals(classes=5)") == "multiclass"
    with pytest.raises(ConfigError, match=r"Dataset `spirals`: classes=1 is out of range; expected classes >= 2\."):
        data.generator("spirals(classes=1)")
    with pytest.raises(ConfigError, match=r"n_samples=5 is out of range; expected n_samples >= 2 \* classes = 6"):
        data.generator("spirals(n_samples=5, classes=3)")


def test_imbalanced_ratio_gives_exact_class_counts() -> None:
    X, y = _generate("imbalanced(ratio=0.95)")
    assert np.bincount(y.astype(int)).tolist() == [950, 50]  # as sklearn with weights=[0.95], flip_y=0
    assert np.mean(y == 0) == 0.95  # the accuracy of always predicting the majority
    X, y = _generate("imbalanced(n_samples=200, ratio=0.8)")
    assert np.bincount(y.astype(int)).tolist() == [160, 40]
    with pytest.raises(ConfigError, match=r"Dataset `imbalanced`: ratio=0.999 is out of range; expected a ratio leaving"):
        data.generator("imbalanced(n_samples=100, ratio=0.999)")
    with pytest.raises(ConfigError, match=r"ratio=1.0 is out of range; expected 0 < ratio < 1\."):
        data.generator("imbalanced(ratio=1)")


def test_imbalanced_split_is_stratified() -> None:
    ds = data.load("imbalanced", seed=0, val_split=0.2)
    assert int(ds.y_val.sum()) == 10 and int(ds.y_train.sum()) == 40


def test_imbalanced_class_counts_match_sklearn() -> None:
    datasets = pytest.importorskip("sklearn.datasets")
    _, y_ref = datasets.make_classification(
        n_samples=1000, n_features=2, n_informative=2, n_redundant=0,
        n_clusters_per_class=1, weights=[0.95], flip_y=0, random_state=0,
    )
    _, y = _generate("imbalanced")
    assert np.bincount(y.astype(int)).tolist() == np.bincount(y_ref).tolist()


@pytest.mark.parametrize("seed", range(5))
def test_separable_is_linearly_separable(seed: int) -> None:
    X, y = _generate("separable(noise=2.0, distance=3.0, margin=0.5)", seed=seed)
    sign = 2 * y - 1
    A = np.column_stack([X, np.ones(len(X))])
    w = np.zeros(3)
    for _ in range(10_000):  # the perceptron stops making mistakes iff the data are separable
        wrong = np.flatnonzero(sign * (A @ w) <= 0)
        if not len(wrong):
            break
        w += sign[wrong[0]] * A[wrong[0]]
    assert np.all(sign * (A @ w) > 0)
    assert np.bincount(y.astype(int)).tolist() == [20, 20]


def test_separable_validation() -> None:
    with pytest.raises(ConfigError, match=r"Dataset `separable`: distance=1.0 is out of range; expected distance > margin = 2"):
        data.generator("separable(distance=1, margin=2)")


def test_classification_feature_roles() -> None:
    gen = data.generator("classification")
    assert (gen.n_samples, gen.n_features, gen.n_informative, gen.n_redundant) == (500, 20, 2, 2)
    assert gen.feature_names[:5] == ("inf1", "inf2", "red1", "red2", "noise1")
    X, y = gen.generate(np.random.default_rng(0))
    assert np.linalg.matrix_rank(X[:, :4]) == 2  # redundant = combinations of informative
    assert np.linalg.matrix_rank(X) == 18
    assert abs(np.bincount(y.astype(int))[1] - 250) <= 20
    # noise features carry no signal; informative ones do
    corr = [abs(np.corrcoef(X[:, j], y)[0, 1]) for j in range(20)]
    assert max(corr[4:]) < 0.2


def test_classification_label_noise_caps_accuracy() -> None:
    X, y = _generate("classification(n_samples=2000, n_clusters_per_class=1, class_sep=3, label_noise=0)")
    clean = _logistic_fit_accuracy(X, y)
    X, y = _generate("classification(n_samples=2000, n_clusters_per_class=1, class_sep=3, label_noise=0.4)")
    noisy = _logistic_fit_accuracy(X, y)
    assert clean > 0.97 and noisy < 0.88  # 40% redrawn: about 20% of labels actually change


def test_classification_validation() -> None:
    with pytest.raises(ConfigError, match=r"n_features=3 is out of range; expected n_features >= n_informative \+ n_redundant = 4"):
        data.generator("classification(n_features=3)")
    with pytest.raises(ConfigError, match=r"n_clusters_per_class=3 is out of range; expected 2 \* n_clusters_per_class <= 2 \*\* n_informative = 4"):
        data.generator("classification(n_clusters_per_class=3)")
    with pytest.raises(ConfigError, match=r"label_noise=1.5 is out of range; expected 0 <= label_noise <= 1\."):
        data.generator("classification(label_noise=1.5)")


def test_every_generator_documents_its_lesson() -> None:
    for name in data.names():
        gen = data.generator(name)
        cls = type(gen)
        assert cls.name == name and cls.__doc__ and ">>>" in cls.__doc__
        assert len(gen.summary) <= 90 and gen.lesson.endswith(".")
