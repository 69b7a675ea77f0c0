"""Classification generators: binary targets float64 in {0., 1.}, multiclass int64 indices.

    >>> import numpy as np
    >>> X, y = Moons(n_samples=6).generate(np.random.default_rng(0))
    >>> X.shape, y.dtype, sorted(set(y.tolist()))
    ((6, 2), dtype('float64'), [0.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from lossfit._typing import Array, Task
from lossfit.data._base import Generator, split_counts


@dataclass(frozen=True)
class Moons(Generator):
    """Two interleaving half circles (scikit-learn ``make_moons``).

    n_out = n // 2 points on the outer moon (cos t, sin t), t = linspace(0, pi, n_out),
    label 0; n_in = n - n_out on the inner moon (1 - cos t, 1 - sin t - 0.5), label 1.
    The rows are shuffled, then N(0, noise^2) is added to every coordinate.

    >>> import numpy as np
    >>> X, y = Moons(n_samples=4, noise=0.0).generate(np.random.default_rng(0))
    >>> int(y.sum())
    2
    """

    n_samples: int = 200
    noise: float = 0.2

    name: ClassVar[str] = "moons"
    task: ClassVar[Task] = "binary"
    summary: ClassVar[str] = "two interleaving half circles, 2 features (sklearn make_moons)"
    lesson: ClassVar[str] = (
        "Not linearly separable: logistic regression stalls near 86% accuracy, an MLP "
        "bends its decision boundary around the moons."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("noise", 0.0)

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        n_out = self.n_samples // 2
        n_in = self.n_samples - n_out
        t_out = np.linspace(0.0, np.pi, n_out)
        t_in = np.linspace(0.0, np.pi, n_in)
        X = np.concatenate(
            [
                np.column_stack([np.cos(t_out), np.sin(t_out)]),
                np.column_stack([1.0 - np.cos(t_in), 1.0 - np.sin(t_in) - 0.5]),
            ]
        )
        y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
        order = rng.permutation(self.n_samples)
        X, y = X[order], y[order]
        X += self.noise * rng.standard_normal(X.shape)  # noise after shuffling, as sklearn
        return X, y


@dataclass(frozen=True)
class Blobs(Generator):
    """Isotropic Gaussian clusters (scikit-learn ``make_blobs`` with ``centers`` an int).

    The `centers` cluster centres are drawn from U(-center_box, center_box)^d; each
    centre gets n // centers points, the first n % centers one more; points are
    N(centre, noise^2 I) (`noise` is scikit-learn's ``cluster_std``) and labelled by
    their centre's index. The rows are shuffled.

    >>> import numpy as np
    >>> X, y = Blobs(n_samples=7).generate(np.random.default_rng(0))
    >>> np.bincount(y).tolist(), y.dtype
    ([3, 2, 2], dtype('int64'))
    """

    n_samples: int = 300
    noise: float = 1.0
    centers: int = 3
    n_features: int = 2  # shadows the base-class property
    center_box: float = 10.0

    name: ClassVar[str] = "blobs"
    task: ClassVar[Task] = "multiclass"
    summary: ClassVar[str] = "3 Gaussian clusters (std = noise), 2 features (sklearn make_blobs)"
    lesson: ClassVar[str] = (
        "Multiclass classification: softmax cross-entropy vs one-vs-rest logistic vs "
        "multiclass hinge; well separated clusters are easy for a linear model."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("noise", 0.0)
        self._check_int("centers", 2)
        self._check_int("n_features", 1)
        self._check_float("center_box", 0.0, low_open=True)
        if self.n_samples < 2 * self.centers:
            self._fail("n_samples", f"n_samples >= 2 * centers = {2 * self.centers}")

    @property
    def n_classes(self) -> int:
        return self.centers

    def generate(self, rng: np.random.Generator) -> tuple[Array, npt.NDArray[np.int64]]:
        box = self.center_box
        centres = rng.uniform(-box, box, size=(self.centers, self.n_features))
        counts = split_counts(self.n_samples, self.centers)
        y = np.repeat(np.arange(self.centers, dtype=np.int64), counts)
        X = centres[y] + self.noise * rng.standard_normal((self.n_samples, self.n_features))
        order = rng.permutation(self.n_samples)
        return X[order], y[order]


@dataclass(frozen=True)
class Circles(Generator):
    """A small circle inside a large one (scikit-learn ``make_circles``).

    n_out = n // 2 points on the unit circle, t = linspace(0, 2 pi, n_out, endpoint=False),
    label 0; n_in = n - n_out on the circle of radius `factor`, label 1. The rows
    are shuffled, then N(0, noise^2) is added to every coordinate.

    >>> import numpy as np
    >>> X, y = Circles(n_samples=8, noise=0.0).generate(np.random.default_rng(0))
    >>> np.round(np.hypot(X[:, 0], X[:, 1])[np.argsort(y, kind="stable")], 3).tolist()
    [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    """

    n_samples: int = 200
    noise: float = 0.1
    factor: float = 0.5

    name: ClassVar[str] = "circles"
    task: ClassVar[Task] = "binary"
    summary: ClassVar[str] = "a circle inside a circle (factor 0.5), 2 features (make_circles)"
    lesson: ClassVar[str] = (
        "No line separates the classes: logistic regression stays at chance (~50%); adding "
        "the feature x1^2 + x2^2, or a hidden layer, solves it (feature engineering)."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("noise", 0.0)
        self._check_float("factor", 0.0, 1.0, low_open=True, high_open=True)

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        n_out = self.n_samples // 2
        n_in = self.n_samples - n_out
        t_out = np.linspace(0.0, 2 * np.pi, n_out, endpoint=False)
        t_in = np.linspace(0.0, 2 * np.pi, n_in, endpoint=False)
        X = np.concatenate(
            [
                np.column_stack([np.cos(t_out), np.sin(t_out)]),
                self.factor * np.column_stack([np.cos(t_in), np.sin(t_in)]),
            ]
        )
        y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
        order = rng.permutation(self.n_samples)
        X, y = X[order], y[order]
        X += self.noise * rng.standard_normal(X.shape)  # noise after shuffling, as sklearn
        return X, y


@dataclass(frozen=True)
class Xor(Generator):
    """XOR of two signs: X ~ N(0, 1)^2, y = xor(x1 > 0, x2 > 0), then N(0, noise^2) jitter on X.

    The recipe of scikit-learn's ``plot_gpc_xor.py`` example. With noise > 0 the
    jitter is added after labelling, so points near the axes may cross them.

    >>> import numpy as np
    >>> X, y = Xor(n_samples=6).generate(np.random.default_rng(0))
    >>> bool(np.all(y == ((X[:, 0] > 0) != (X[:, 1] > 0))))
    True
    """

    n_samples: int = 200
    noise: float = 0.0

    name: ClassVar[str] = "xor"
    task: ClassVar[Task] = "binary"
    summary: ClassVar[str] = "XOR of the signs of two Gaussian features (quadrants), 2 features"
    lesson: ClassVar[str] = (
        "The minimal problem no linear model can fit (about 50%): an MLP needs at least "
        "two hidden units to carve the quadrants."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("noise", 0.0)

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        X = rng.standard_normal((self.n_samples, 2))
        y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.float64)
        X += self.noise * rng.standard_normal(X.shape)
        return X, y


@dataclass(frozen=True)
class Spirals(Generator):
    """K interleaved spiral arms (cs231n "Neural Networks Case Study").

    Class j gets n // K points (the first n % K one more): r = linspace(0, 1, N),
    t = linspace(4j, 4(j + 1), N) + noise * N(0, 1), point (r sin t, r cos t). Rows shuffled.

    >>> import numpy as np
    >>> X, y = Spirals(n_samples=10, classes=2).generate(np.random.default_rng(0))
    >>> np.bincount(y).tolist()
    [5, 5]
    """

    n_samples: int = 300
    noise: float = 0.2
    classes: int = 3

    name: ClassVar[str] = "spirals"
    task: ClassVar[Task] = "multiclass"
    summary: ClassVar[str] = "3 interleaved spiral arms, 2 features (cs231n case study)"
    lesson: ClassVar[str] = (
        "A hard non-linear multiclass problem: linear softmax reaches about 50%, a small "
        "MLP about 98%; training is sensitive to the optimizer (Adam vs plain SGD)."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("noise", 0.0)
        self._check_int("classes", 2)
        if self.n_samples < 2 * self.classes:
            self._fail("n_samples", f"n_samples >= 2 * classes = {2 * self.classes}")

    @property
    def n_classes(self) -> int:
        return self.classes

    def generate(self, rng: np.random.Generator) -> tuple[Array, npt.NDArray[np.int64]]:
        counts = split_counts(self.n_samples, self.classes)
        r = np.concatenate([np.linspace(0.0, 1.0, m) for m in counts])
        t = np.concatenate([np.linspace(4.0 * j, 4.0 * (j + 1), m) for j, m in enumerate(counts)])
        t = t + self.noise * rng.standard_normal(self.n_samples)
        X = np.column_stack([r * np.sin(t), r * np.cos(t)])
        y = np.repeat(np.arange(self.classes, dtype=np.int64), counts)
        order = rng.permutation(self.n_samples)
        return X[order], y[order]


def hypercube_classification(
    rng: np.random.Generator,
    *,
    cluster_sizes: list[int],
    n_classes: int,
    n_features: int,
    n_informative: int,
    n_redundant: int,
    class_sep: float,
    flip_y: float,
) -> tuple[Array, npt.NDArray[np.int64]]:
    """scikit-learn's ``make_classification`` recipe (no repeated features, no feature shuffle).

    Cluster k (class k % n_classes) sits on a distinct vertex of the hypercube
    [-class_sep, class_sep]^n_informative; its points are N(0, I) A_k + vertex with
    A_k ~ U(-1, 1). Redundant features are random linear combinations of the
    informative ones; the remaining features are N(0, 1) noise. A fraction
    `flip_y` of labels is redrawn uniformly (it may land on the same label).
    Columns stay in the order informative, redundant, noise.
    """
    n_samples = sum(cluster_sizes)
    n_clusters = len(cluster_sizes)
    vertices = rng.choice(2**n_informative, size=n_clusters, replace=False)
    bits = (vertices[:, None] >> np.arange(n_informative)) & 1
    centroids = (2 * class_sep) * bits.astype(np.float64) - class_sep
    X = np.zeros((n_samples, n_features))
    y = np.zeros(n_samples, dtype=np.int64)
    X[:, :n_informative] = rng.standard_normal((n_samples, n_informative))
    stop = 0
    for k, centroid in enumerate(centroids):
        start, stop = stop, stop + cluster_sizes[k]
        y[start:stop] = k % n_classes
        A = 2 * rng.uniform(size=(n_informative, n_informative)) - 1
        X[start:stop, :n_informative] = X[start:stop, :n_informative] @ A + centroid
    if n_redundant > 0:
        B = 2 * rng.uniform(size=(n_informative, n_redundant)) - 1
        X[:, n_informative : n_informative + n_redundant] = X[:, :n_informative] @ B
    n_useless = n_features - n_informative - n_redundant
    if n_useless > 0:
        X[:, n_features - n_useless :] = rng.standard_normal((n_samples, n_useless))
    if flip_y > 0:
        flip = rng.uniform(size=n_samples) < flip_y
        y[flip] = rng.integers(0, n_classes, size=int(flip.sum()))
    order = rng.permutation(n_samples)
    return X[order], y[order]


def cluster_sizes(n_samples: int, weights: list[float], n_clusters_per_class: int) -> list[int]:
    """Points per cluster as make_classification: int(n w_c / clusters), leftovers round-robin.

    >>> cluster_sizes(1000, [0.95, 0.05], 1)
    [950, 50]
    """
    n_classes = len(weights)
    n_clusters = n_classes * n_clusters_per_class
    sizes = [
        int(n_samples * weights[k % n_classes] / n_clusters_per_class) for k in range(n_clusters)
    ]
    for i in range(n_samples - sum(sizes)):
        sizes[i % n_clusters] += 1
    return sizes


@dataclass(frozen=True)
class Imbalanced(Generator):
    """Binary classes in proportion ratio : 1 - ratio (class 0 the majority).

    Exactly round(n_samples * (1 - ratio)) points of class 1 (before label noise).

    scikit-learn's ``make_classification(n_features=2, n_informative=2,
    n_redundant=0, n_clusters_per_class=1, weights=[ratio], flip_y=label_noise)``:
    with the defaults exactly 950 and 50 points.

    >>> import numpy as np
    >>> X, y = Imbalanced().generate(np.random.default_rng(0))
    >>> np.bincount(y.astype(int)).tolist()
    [950, 50]
    """

    n_samples: int = 1000
    ratio: float = 0.95
    class_sep: float = 1.0
    label_noise: float = 0.0

    name: ClassVar[str] = "imbalanced"
    task: ClassVar[Task] = "binary"
    summary: ClassVar[str] = "95/5 imbalanced binary classes, 2 features (make_classification)"
    lesson: ClassVar[str] = (
        "The accuracy paradox: always predicting the majority scores 95%. Class weights "
        "(n / (K n_c)) or focal loss help; judge with F1 and ROC AUC, not accuracy."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("ratio", 0.0, 1.0, low_open=True, high_open=True)
        self._check_float("class_sep", 0.0, low_open=True)
        self._check_float("label_noise", 0.0, 1.0)
        if min(self._sizes()) < 2:
            self._fail("ratio", f"a ratio leaving each class 2 of the {self.n_samples} samples")

    def _sizes(self) -> list[int]:
        # round(n (1 - ratio)) minority points; sklearn's int() truncation would turn
        # ratio=0.8, n=200 into 161/39 because 1 - 0.8 = 0.19999999999999996
        minority = int(round(self.n_samples * (1.0 - self.ratio)))
        return [self.n_samples - minority, minority]

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        X, y = hypercube_classification(
            rng,
            cluster_sizes=self._sizes(),
            n_classes=2,
            n_features=2,
            n_informative=2,
            n_redundant=0,
            class_sep=self.class_sep,
            flip_y=self.label_noise,
        )
        return X, y.astype(np.float64)


@dataclass(frozen=True)
class Separable(Generator):
    """Two Gaussian blobs with an empty band between them: always linearly separable.

    The centres sit at +-(distance / 2) u along a random unit direction u; points
    are N(centre, noise^2 I), and any point closer than margin / 2 to the
    mid-plane (or on the wrong side of it) is redrawn. In the spirit of
    scikit-learn's ``make_blobs(n_samples=40, centers=2, random_state=6)`` example.

    >>> import numpy as np
    >>> X, y = Separable().generate(np.random.default_rng(0))
    >>> X.shape, int(y.sum())
    ((40, 2), 20)
    """

    n_samples: int = 40
    noise: float = 1.0
    distance: float = 5.0
    margin: float = 1.0

    name: ClassVar[str] = "separable"
    task: ClassVar[Task] = "binary"
    summary: ClassVar[str] = "two blobs with an empty band between: linearly separable, 40 points"
    lesson: ClassVar[str] = (
        "Hinge loss reaches exactly zero at a finite weight norm; unregularized logistic "
        "loss keeps growing the weights towards infinity, which is why L2 is needed."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("noise", 0.0)
        self._check_float("margin", 0.0)
        self._check_float("distance", 0.0, low_open=True)
        if self.distance <= self.margin:
            self._fail("distance", f"distance > margin = {self.margin:g}")

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        angle = rng.uniform(0.0, 2 * np.pi)
        u = np.array([np.cos(angle), np.sin(angle)])
        counts = split_counts(self.n_samples, 2)
        y = np.repeat([0.0, 1.0], counts)
        sign = 2 * y - 1
        X = np.empty((self.n_samples, 2))
        todo = np.arange(self.n_samples)
        while len(todo):  # each draw lands beyond the band with probability >= 1/2
            jitter = self.noise * rng.standard_normal((len(todo), 2))
            X[todo] = sign[todo, None] * (self.distance / 2) * u + jitter
            todo = todo[sign[todo] * (X[todo] @ u) < self.margin / 2]
        order = rng.permutation(self.n_samples)
        return X[order], y[order]


@dataclass(frozen=True)
class Classification(Generator):
    """Many features, few of them useful (scikit-learn ``make_classification``, binary).

    `n_informative` features carry the classes (clusters on hypercube vertices,
    side 2 * class_sep), `n_redundant` are random linear combinations of them, the
    rest are pure N(0, 1) noise; a fraction `label_noise` of labels is redrawn at
    random (sklearn's ``flip_y``). Columns are not shuffled, and their names say
    which is which: inf1.., red1.., noise1...

    >>> import numpy as np
    >>> gen = Classification(n_features=5)
    >>> gen.feature_names
    ('inf1', 'inf2', 'red1', 'red2', 'noise1')
    >>> gen.generate(np.random.default_rng(0))[0].shape
    (500, 5)
    """

    n_samples: int = 500
    n_features: int = 20  # shadows the base-class property
    n_informative: int = 2
    n_redundant: int = 2
    n_clusters_per_class: int = 2
    class_sep: float = 1.0
    label_noise: float = 0.01

    name: ClassVar[str] = "classification"
    task: ClassVar[Task] = "binary"
    summary: ClassVar[str] = "20 features: 2 informative, 2 redundant, 16 noise; 1% label noise"
    lesson: ClassVar[str] = (
        "Irrelevant and correlated features: L1 zeroes the noise features, L2 shrinks all; "
        "label noise caps the reachable accuracy, and class_sep sets how hard the problem is."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_int("n_features", 1)
        self._check_int("n_informative", 1, 30)
        self._check_int("n_redundant", 0)
        self._check_int("n_clusters_per_class", 1)
        self._check_float("class_sep", 0.0, low_open=True)
        self._check_float("label_noise", 0.0, 1.0)
        if self.n_informative + self.n_redundant > self.n_features:
            self._fail(
                "n_features",
                "n_features >= n_informative + n_redundant = "
                f"{self.n_informative + self.n_redundant}",
            )
        if 2 * self.n_clusters_per_class > 2**self.n_informative:
            self._fail(
                "n_clusters_per_class",
                f"2 * n_clusters_per_class <= 2 ** n_informative = {2**self.n_informative}",
            )
        if self.n_samples < 4 * self.n_clusters_per_class:
            minimum = 4 * self.n_clusters_per_class
            self._fail("n_samples", f"n_samples >= 4 * n_clusters_per_class = {minimum}")

    @property
    def feature_names(self) -> tuple[str, ...]:
        n_noise = self.n_features - self.n_informative - self.n_redundant
        return (
            *(f"inf{i + 1}" for i in range(self.n_informative)),
            *(f"red{i + 1}" for i in range(self.n_redundant)),
            *(f"noise{i + 1}" for i in range(n_noise)),
        )

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        X, y = hypercube_classification(
            rng,
            cluster_sizes=cluster_sizes(self.n_samples, [0.5, 0.5], self.n_clusters_per_class),
            n_classes=2,
            n_features=self.n_features,
            n_informative=self.n_informative,
            n_redundant=self.n_redundant,
            class_sep=self.class_sep,
            flip_y=self.label_noise,
        )
        return X, y.astype(np.float64)
