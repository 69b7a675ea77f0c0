"""Rebuild the bundled CSVs from their upstream copies (run once; kept as the record of the conversion).

    python datasets/convert.py SKLEARN_DATA_DIR PALMERPENGUINS_CSV VEGA_DATA_DIR

- iris, wine, breast_cancer: scikit-learn 1.9.1 ``sklearn/datasets/data/*.csv``. Their first
  line is metadata (n_samples, n_features, class names), not a header: it is replaced by a
  header of snake_case column names (scikit-learn's ``feature_names``), and the integer target
  in the last column is replaced by its class name (scikit-learn's ``target_names``).
  Every number is copied as the original text, character for character.
- penguins: palmerpenguins 0.1.6 (PyPI) ``palmerpenguins/data/penguins.csv``, copied unchanged.
- auto_mpg: vega_datasets 0.9.0 (PyPI) ``vega_datasets/_data/cars.json`` (Auto MPG, 406 rows),
  written as CSV with UCI's column names; JSON null -> empty field (missing); ``Year``
  "1970-01-01" -> ``model_year`` 70 (UCI's encoding); ``Origin`` kept as text (USA, Europe, Japan).
- anscombe: vega_datasets 0.9.0 ``anscombe.json`` (44 rows, long format), columns
  Series, X, Y renamed series, x, y; values unchanged.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

IRIS = ["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"]
WINE = [
    "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
    "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
    "od280_od315_of_diluted_wines", "proline",
]
_CANCER_BASE = [
    "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
    "concave_points", "symmetry", "fractal_dimension",
]
CANCER = [f"mean_{b}" for b in _CANCER_BASE] + [f"{b}_error" for b in _CANCER_BASE] + [
    f"worst_{b}" for b in _CANCER_BASE
]


def _sklearn(src: Path, out: str, features: list[str], target: str) -> None:
    rows = list(csv.reader(src.read_text().splitlines()))
    meta, body = rows[0], rows[1:]
    n, d, classes = int(meta[0]), int(meta[1]), meta[2:]
    assert len(body) == n and all(len(r) == d + 1 for r in body) and d == len(features)
    with open(HERE / out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([*features, target])
        for r in body:
            w.writerow([*r[:-1], classes[int(r[-1])]])


def main(sk: Path, penguins: Path, vega: Path) -> None:
    _sklearn(sk / "iris.csv", "iris.csv", IRIS, "species")
    _sklearn(sk / "wine_data.csv", "wine.csv", WINE, "cultivar")
    _sklearn(sk / "breast_cancer.csv", "breast_cancer.csv", CANCER, "diagnosis")
    (HERE / "penguins.csv").write_bytes(penguins.read_bytes())
    cars = json.loads((vega / "cars.json").read_text())
    keys = ["Miles_per_Gallon", "Cylinders", "Displacement", "Horsepower", "Weight_in_lbs",
            "Acceleration", "Year", "Origin", "Name"]
    names = ["mpg", "cylinders", "displacement", "horsepower", "weight", "acceleration",
             "model_year", "origin", "name"]
    with open(HERE / "auto_mpg.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for car in cars:
            row = []
            for key in keys:
                value = car[key]
                if value is None:
                    value = ""
                elif key == "Year":
                    value = int(value[:4]) - 1900
                row.append(value)
            w.writerow(row)
    quartet = json.loads((vega / "anscombe.json").read_text())
    with open(HERE / "anscombe.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["series", "x", "y"])
        for p in quartet:
            w.writerow([p["Series"], p["X"], p["Y"]])


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:4]))
