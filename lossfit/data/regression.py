"""Regression generators: a real-valued target y (n,) float64.

    >>> import numpy as np
    >>> X, y = Linear(n_samples=5).generate(np.random.default_rng(0))
    >>> X.shape, X.dtype, y.shape, y.dtype
    ((5, 1), dtype('float64'), (5,), dtype('float64'))
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import ClassVar

import numpy as np

from lossfit._typing import Array, Task
from lossfit.data._base import Generator


@dataclass(frozen=True)
class Linear(Generator):
    """A noisy line: x ~ U(-1, 1), y = slope*x + intercept + N(0, noise^2).

    >>> import numpy as np
    >>> X, y = Linear(n_samples=4, noise=0.0).generate(np.random.default_rng(0))
    >>> bool(np.allclose(y, 2 * X[:, 0] + 1))
    True
    """

    n_samples: int = 200
    noise: float = 0.3
    slope: float = 2.0
    intercept: float = 1.0

    name: ClassVar[str] = "linear"
    task: ClassVar[Task] = "regression"
    summary: ClassVar[str] = "noisy line y = 2x + 1 + N(0, 0.3^2), 1 feature"
    lesson: ClassVar[str] = (
        "MSE is the Gaussian maximum-likelihood loss and is convex here: gradient descent "
        "reaches the least-squares line, and diverges once the learning rate exceeds "
        "2 / (largest eigenvalue of the Hessian)."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("noise", 0.0)
        self._check_float("slope")
        self._check_float("intercept")

    @property
    def n_features(self) -> int:
        return 1

    def _line(self, rng: np.random.Generator) -> tuple[Array, Array]:
        x = rng.uniform(-1.0, 1.0, size=self.n_samples)
        y = self.slope * x + self.intercept + self.noise * rng.standard_normal(self.n_samples)
        return x[:, None], y

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        return self._line(rng)

    def true_line(self, quantile: float | None = None) -> tuple[float, float] | None:
        """The line; its tau-quantile under N(0, noise^2) is shifted by noise * Phi^-1(tau)."""
        return self.slope, self.intercept + self.noise * _z(quantile)

    def truth(self, X: Array, quantile: float | None = None) -> Array | None:
        line = self.true_line(quantile)
        return None if line is None else line[0] * X[:, 0] + line[1]


@dataclass(frozen=True)
class Outliers(Linear):
    """The `linear` line with a `fraction` of gross outliers pushed against the trend.

    round(fraction * n_samples) points, chosen at random, have their y moved by
    a distance drawn from U(offset/2, offset), downwards where x > 0 and upwards
    where x <= 0 (for a positive slope; the other way for a negative one). The
    outliers pull the MSE fit towards a flatter line, while MAE and Huber stay
    close to the true one. Every outlier is at least offset/2 from the line.

    >>> import numpy as np
    >>> gen = Outliers(n_samples=100, noise=0.0)
    >>> X, y = gen.generate(np.random.default_rng(0))
    >>> int((np.abs(y - (2 * X[:, 0] + 1)) >= gen.offset / 2).sum())
    10
    """

    fraction: float = 0.1
    offset: float = 10.0

    name: ClassVar[str] = "outliers"
    summary: ClassVar[str] = "noisy line with 10% gross outliers against the trend, 1 feature"
    lesson: ClassVar[str] = (
        "The robust-loss demo: a few outliers drag the MSE line (unbounded influence), "
        "MAE ignores them, Huber(delta) sits between."
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_float("fraction", 0.0, 1.0, low_open=True, high_open=True)
        self._check_float("offset", 0.0, low_open=True)

    @property
    def n_outliers(self) -> int:
        return int(round(self.fraction * self.n_samples))

    # truth and true_line: those of the clean line (the outliers are corruption, not signal)

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        X, y = self._line(rng)
        which = rng.choice(self.n_samples, size=self.n_outliers, replace=False)
        distance = rng.uniform(self.offset / 2, self.offset, size=self.n_outliers)
        trend = 1.0 if self.slope >= 0 else -1.0
        side = np.where(X[which, 0] > 0, 1.0, -1.0)
        y[which] -= trend * side * distance
        return X, y


@dataclass(frozen=True)
class Polynomial(Generator):
    """cos(1.5 pi x) + noise with the features x, x^2, ..., x^degree (polynomial regression).

    x ~ U(0, 1), y = cos(1.5 pi x) + N(0, noise^2): scikit-learn's
    "Underfitting vs. Overfitting" example, which fits degrees 1, 4 and 15 to
    30 points. A linear model on these features *is* a polynomial fit.

    >>> import numpy as np
    >>> X, y = Polynomial(degree=3).generate(np.random.default_rng(0))
    >>> X.shape, bool(np.allclose(X[:, 2], X[:, 0] ** 3))
    ((30, 3), True)
    """

    n_samples: int = 30
    noise: float = 0.1
    degree: int = 4

    name: ClassVar[str] = "polynomial"
    task: ClassVar[Task] = "regression"
    summary: ClassVar[str] = "cos(1.5 pi x) + noise, features x .. x^degree (degree 4), 30 points"
    lesson: ClassVar[str] = (
        "Capacity: degree 1 underfits, 4 fits, 15 overfits 30 points; L2 tames the high "
        "degrees. Unstandardized powers of x make gradient descent badly conditioned."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("noise", 0.0)
        self._check_int("degree", 1, 30)

    @property
    def n_features(self) -> int:
        return self.degree

    @property
    def feature_names(self) -> tuple[str, ...]:
        return ("x", *(f"x^{k}" for k in range(2, self.degree + 1)))

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        x = rng.uniform(0.0, 1.0, size=self.n_samples)
        y = np.cos(1.5 * np.pi * x) + self.noise * rng.standard_normal(self.n_samples)
        X = x[:, None] ** np.arange(1, self.degree + 1)
        return X, y

    def truth(self, X: Array, quantile: float | None = None) -> Array | None:
        return np.cos(1.5 * np.pi * X[:, 0]) + self.noise * _z(quantile)


@dataclass(frozen=True)
class Sine(Generator):
    """Bishop's sinusoid: x ~ U(0, 1), y = sin(2 pi x) + N(0, noise^2) (PRML, Appendix A).

    >>> import numpy as np
    >>> X, y = Sine(noise=0.0).generate(np.random.default_rng(0))
    >>> bool(np.allclose(y, np.sin(2 * np.pi * X[:, 0])))
    True
    """

    n_samples: int = 100
    noise: float = 0.3

    name: ClassVar[str] = "sine"
    task: ClassVar[Task] = "regression"
    summary: ClassVar[str] = "sin(2 pi x) + N(0, 0.3^2), x in [0, 1], 1 feature (Bishop, PRML)"
    lesson: ClassVar[str] = (
        "A non-linear target: a line cannot follow it, an MLP can; with few points "
        "(n_samples=10) a flexible model overfits the noise."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("noise", 0.0)

    @property
    def n_features(self) -> int:
        return 1

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        x = rng.uniform(0.0, 1.0, size=self.n_samples)
        y = np.sin(2 * np.pi * x) + self.noise * rng.standard_normal(self.n_samples)
        return x[:, None], y

    def truth(self, X: Array, quantile: float | None = None) -> Array | None:
        return np.sin(2 * np.pi * X[:, 0]) + self.noise * _z(quantile)


@dataclass(frozen=True)
class HeavyTailed(Linear):
    """The `linear` line with Student-t noise: y = slope*x + intercept + noise * t(df).

    df = 1 is Cauchy noise (no mean); df = 2 has no variance; large df approaches Gaussian.

    >>> import numpy as np
    >>> X, y = HeavyTailed(n_samples=4).generate(np.random.default_rng(0))
    >>> X.shape
    (4, 1)
    """

    df: float = 2.0

    name: ClassVar[str] = "heavy_tailed"
    summary: ClassVar[str] = "line y = 2x + 1 with Student-t noise (df=2), 1 feature"
    lesson: ClassVar[str] = (
        "Heavy tails: rare huge errors give MSE unbounded influence and noisy gradients; "
        "MAE and Huber fit the line, and the median-based fit is far more stable."
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_float("df", 0.0, low_open=True)

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        x = rng.uniform(-1.0, 1.0, size=self.n_samples)
        y = self.slope * x + self.intercept + self.noise * rng.standard_t(self.df, self.n_samples)
        return x[:, None], y

    def true_line(self, quantile: float | None = None) -> tuple[float, float] | None:
        """The line is the median of the symmetric t noise (and its mean for df > 1); other quantiles: None."""
        if quantile is not None and quantile != 0.5:
            return None
        return self.slope, self.intercept


@dataclass(frozen=True)
class Heteroscedastic(Generator):
    """Noise that grows with x: x ~ U(0, 10), y = intercept + slope*x + N(0, (noise (1 + x))^2).

    The defaults give scikit-learn's quantile-regression example,
    y = 10 + 0.5 x + N(0, (0.5 + 0.5 x)^2).

    >>> import numpy as np
    >>> X, y = Heteroscedastic(noise=0.0).generate(np.random.default_rng(0))
    >>> bool(np.allclose(y, 10 + 0.5 * X[:, 0]))
    True
    """

    n_samples: int = 100
    noise: float = 0.5
    slope: float = 0.5
    intercept: float = 10.0

    name: ClassVar[str] = "heteroscedastic"
    task: ClassVar[Task] = "regression"
    summary: ClassVar[str] = "line y = 10 + 0.5x whose noise std grows as 0.5(1 + x), x in [0, 10]"
    lesson: ClassVar[str] = (
        "MSE still recovers the mean line, but one constant noise level is wrong: quantile "
        "(pinball) losses fan out with x, Gaussian NLL with a predicted variance fits it."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("noise", 0.0)
        self._check_float("slope")
        self._check_float("intercept")

    @property
    def n_features(self) -> int:
        return 1

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        x = rng.uniform(0.0, 10.0, size=self.n_samples)
        scale = self.noise * (1.0 + x)
        y = self.intercept + self.slope * x + scale * rng.standard_normal(self.n_samples)
        return x[:, None], y

    def true_line(self, quantile: float | None = None) -> tuple[float, float] | None:
        """The mean line; its tau-quantile adds noise * (1 + x) * Phi^-1(tau): a steeper or flatter line."""
        z = self.noise * _z(quantile)
        return self.slope + z, self.intercept + z

    def truth(self, X: Array, quantile: float | None = None) -> Array | None:
        line = self.true_line(quantile)
        return None if line is None else line[0] * X[:, 0] + line[1]


@dataclass(frozen=True)
class Friedman1(Generator):
    """Friedman #1 (scikit-learn ``make_friedman1``): X ~ U(0, 1)^d, d >= 5,
    y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + noise * N(0, 1);
    features x6 onward are irrelevant.

    >>> import numpy as np
    >>> X, y = Friedman1(n_samples=4, noise=0.0).generate(np.random.default_rng(0))
    >>> X.shape
    (4, 10)
    """

    n_samples: int = 200
    noise: float = 1.0
    n_features: int = 10  # shadows the base-class property

    name: ClassVar[str] = "friedman1"
    task: ClassVar[Task] = "regression"
    summary: ClassVar[str] = "Friedman #1: non-linear in 5 of 10 uniform features (make_friedman1)"
    lesson: ClassVar[str] = (
        "A non-linear target with irrelevant features: an MLP beats linear regression, "
        "and L1 drives the weights of the 5 useless features towards zero."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("noise", 0.0)
        self._check_int("n_features", 5)

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        X = rng.uniform(0.0, 1.0, size=(self.n_samples, self.n_features))
        y = (
            10 * np.sin(np.pi * X[:, 0] * X[:, 1])
            + 20 * (X[:, 2] - 0.5) ** 2
            + 10 * X[:, 3]
            + 5 * X[:, 4]
            + self.noise * rng.standard_normal(self.n_samples)
        )
        return X, y

    def truth(self, X: Array, quantile: float | None = None) -> Array | None:
        signal = 10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2 + 10 * X[:, 3] + 5 * X[:, 4]
        return signal + self.noise * _z(quantile)


@dataclass(frozen=True)
class Counts(Generator):
    """Poisson counts with a log-linear rate: x ~ U(-1, 1), y ~ Poisson(exp(slope*x + intercept)).

    The target for the `poisson` loss (whose prediction is the log-rate): its
    optimum is the true (slope, intercept) in the limit of many samples.

    >>> import numpy as np
    >>> X, y = Counts(n_samples=6).generate(np.random.default_rng(0))
    >>> X.shape, bool((y >= 0).all()), bool(np.all(y == np.round(y)))
    ((6, 1), True, True)
    """

    n_samples: int = 200
    slope: float = 1.0
    intercept: float = 1.0

    name: ClassVar[str] = "counts"
    task: ClassVar[Task] = "regression"
    summary: ClassVar[str] = "event counts y ~ Poisson(exp(x + 1)), 1 feature"
    lesson: ClassVar[str] = (
        "Counts are not Gaussian: their variance grows with the mean. The Poisson loss on a "
        "log-rate prediction is the matching likelihood; MSE over-weights the large counts."
    )

    def __post_init__(self) -> None:
        self._check_int("n_samples", 4)
        self._check_float("slope")
        self._check_float("intercept")
        if abs(self.slope) + self.intercept > 20:
            self._fail("intercept", "|slope| + intercept <= 20 (rates up to exp(20))")

    @property
    def n_features(self) -> int:
        return 1

    def generate(self, rng: np.random.Generator) -> tuple[Array, Array]:
        x = rng.uniform(-1.0, 1.0, size=self.n_samples)
        y = rng.poisson(np.exp(self.slope * x + self.intercept)).astype(np.float64)
        return x[:, None], y

    def truth(self, X: Array, quantile: float | None = None) -> Array | None:
        """The rate exp(slope*x + intercept), the mean count (Poisson quantiles: None)."""
        if quantile is not None:
            return None
        return np.exp(self.slope * X[:, 0] + self.intercept)


def _z(quantile: float | None) -> float:
    """Phi^-1(quantile), the standard normal quantile; 0 for the mean (quantile None)."""
    return 0.0 if quantile is None or quantile == 0.5 else NormalDist().inv_cdf(quantile)
