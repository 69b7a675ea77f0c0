"""The small real datasets shipped with lossfit (``datasets/*.csv``, see ``datasets/ATTRIBUTION.md``).

Each is registered by name next to the generators; it takes no parameters and
always gives the same rows (the seed only shuffles and splits them).

    >>> IRIS.task, IRIS.n_samples, IRIS.n_features, IRIS.class_names
    ('multiclass', 150, 4, ('setosa', 'versicolor', 'virginica'))
    >>> bundled_path("iris.csv").name
    'iris.csv'

The files live in the installed package as ``lossfit/_bundled/`` (the wheel
force-includes the repository's ``datasets/`` folder there); in a source
checkout or an editable install they are read from ``datasets/`` next to the
package.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import ClassVar

from lossfit._typing import Task
from lossfit.data.files import Table, read_csv
from lossfit.errors import DataError


def bundled_path(filename: str) -> Path:
    """The path of a bundled file: the installed copy, else the repository's datasets/ folder."""
    try:
        installed = resources.files("lossfit") / "_bundled" / filename
        if installed.is_file():
            return Path(str(installed))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - unusual loaders
        pass
    source = Path(__file__).resolve().parents[2] / "datasets" / filename
    if source.is_file():
        return source
    raise DataError(
        f"Bundled dataset file {filename} is missing from this installation (looked in lossfit/_bundled/ "
        f"and {source.parent}); reinstall lossfit."
    )


@dataclass(frozen=True)
class Bundled:
    """A bundled real dataset: its file, target, feature columns and what it is for."""

    name: str
    filename: str
    task: Task
    target: str
    features: tuple[str, ...] | None  # None: every column but the target
    n_samples: int  # rows used (after dropping rows with missing values)
    n_features: int  # after one-hot encoding
    class_names: tuple[str, ...]
    summary: str
    lesson: str
    licence: str

    kind: ClassVar[str] = "dataset"

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def read(self) -> Table:
        """The whole table, in file order (rows with a missing value dropped)."""
        path = bundled_path(self.filename)
        return read_csv(
            path, target=self.target, features=list(self.features) if self.features else None,
            header=True, task=self.task, label=f"Bundled dataset `{self.name}` ({path})",
        )

    def __repr__(self) -> str:
        return f"Bundled({self.name})"


IRIS = Bundled(
    "iris", "iris.csv", "multiclass", "species", None, 150, 4, ("setosa", "versicolor", "virginica"),
    "Fisher's iris: 150 flowers, 4 measurements (cm), 3 species",
    "Multiclass softmax on real data: setosa is linearly separable, versicolor and virginica overlap.",
    "CC BY 4.0",
)
WINE = Bundled(
    "wine", "wine.csv", "multiclass", "cultivar", None, 178, 13, ("class_0", "class_1", "class_2"),
    "178 Italian wines, 13 chemical measurements, 3 cultivars",
    "Features span 0.1 (hue) to 1680 (proline): train with --no-standardize to see why scaling matters.",
    "CC BY 4.0",
)
BREAST_CANCER = Bundled(
    "breast_cancer", "breast_cancer.csv", "binary", "diagnosis", None, 569, 30, ("benign", "malignant"),
    "Wisconsin diagnostic breast cancer: 569 tumours, 30 features, benign/malignant",
    "Binary logistic or hinge loss on 30 correlated features; 'malignant' is the positive class (1).",
    "CC BY 4.0",
)
PENGUINS = Bundled(
    "penguins", "penguins.csv", "multiclass", "species",
    ("island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex"),
    333, 9, ("Adelie", "Chinstrap", "Gentoo"),
    "Palmer penguins: 344 birds (333 complete), island and sex one-hot, 3 species",
    "Real data with NA values (11 rows dropped) and categorical columns encoded one-hot.",
    "CC0 1.0",
)
AUTO_MPG = Bundled(
    "auto_mpg", "auto_mpg.csv", "regression", "mpg",
    ("cylinders", "displacement", "horsepower", "weight", "acceleration", "model_year", "origin"),
    392, 9, (),
    "Auto MPG: fuel economy of 406 cars (392 complete) from 7 attributes, origin one-hot",
    "Real-valued regression with missing values (14 rows dropped): compare MSE with Huber.",
    "CC BY 4.0",
)
ANSCOMBE = Bundled(
    "anscombe", "anscombe.csv", "regression", "y", ("x",), 44, 1, (),
    "Anscombe's quartet pooled: 4 x 11 points that share the fit y = 3 + 0.5x",
    "Same line, same r, very different data: set III's outlier and set IV's leverage point pull MSE.",
    "public domain (published numbers)",
)

BUNDLED: tuple[Bundled, ...] = (IRIS, WINE, BREAST_CANCER, PENGUINS, AUTO_MPG, ANSCOMBE)
