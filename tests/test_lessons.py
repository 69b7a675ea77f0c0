"""Every lesson in configs/ (and docs/lessons.md) still comes out as it says.

Each test runs one lesson config exactly as written (the whole run, as a user
would) and checks the outcome its comments and docs/lessons.md state, measured
independently where it can be: from the trained weights, the data and the history.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lossfit

CONFIGS = Path(__file__).parent.parent / "configs"


def lesson(name: str, **options):
    result = lossfit.compare(config=CONFIGS / f"{name}.toml", plot=False, **options)
    standings = {s.label: s for s in result.verdict.standings}
    records = {e.label: rows for e, rows in zip(result.race.entries, result.records)}
    entries = {e.label: e for e in result.race.entries}
    return result, standings, records, entries


def test_01_robust_regression_mae_and_huber_recover_the_line_mse_is_dragged():
    result, s, _, _ = lesson("01_robust_regression")
    assert abs(s["mae"].slope - 2) < 0.2 and abs(s["huber"].slope - 2) < 0.4  # the true slope is 2
    assert s["mse"].slope < 1.0  # dragged flat by the outliers
    assert s["mae"].truth_rmse < s["huber"].truth_rmse < s["mse"].truth_rmse / 3
    assert [x.label for x in result.verdict.ranked][-1] == "mse"


def test_02_quantile_lines_leave_their_share_of_points_below():
    _, s, _, entries = lesson("02_quantiles")
    for tau in (0.1, 0.5, 0.9):
        standing = s[f"quantile(tau={tau})"]
        assert standing.share_below == pytest.approx(tau, abs=0.03)
        # measured here from the weights: the share of training targets under the line
        prepared = entries[f"quantile(tau={tau})"].prepared
        line = prepared.model.predict(prepared.data.X_train)
        assert np.mean(prepared.data.y_train < line) == pytest.approx(standing.share_below)
    assert s["quantile(tau=0.1)"].slope < s["quantile(tau=0.5)"].slope < s["quantile(tau=0.9)"].slope  # they fan out


def test_03_imbalanced_accuracy_lies_weighted_bce_finds_the_rare_class():
    result, s, _, _ = lesson("03_imbalanced")
    weighted, plain, focal = s["bce(pos_weight=19)"], s["bce"], s["focal"]
    assert all(x.metrics["accuracy"] > 0.95 for x in (weighted, plain, focal))
    assert weighted.metrics["recall"] >= 0.8 > 0.5 > plain.metrics["recall"] > focal.metrics["recall"]
    assert weighted.rank == 1 and focal.rank == 3
    assert all(x.metrics["roc_auc"] > 0.9 for x in (weighted, plain, focal))


def test_04_margins_all_separate_then_differ():
    result, s, records, entries = lesson("04_margins")
    assert all(x.metrics["accuracy"] == 1.0 for x in s.values())
    assert {x.rank for x in s.values()} == {1}
    hinge, bce, perceptron = (records[k] for k in ("hinge", "bce", "perceptron"))
    assert hinge[-1].train_loss == 0.0 and perceptron[-1].train_loss == 0.0 and bce[-1].train_loss > 0
    assert perceptron[1].train_loss == 0.0  # zero almost at once
    scores = {}
    for name, entry in entries.items():
        data = entry.prepared.data
        y = np.where(np.asarray(data.y_train) > 0.5, 1.0, -1.0)
        scores[name] = y * entry.prepared.model.predict(data.X_train)
    assert 1.0 <= scores["hinge"].min() < 1.1  # the closest points sit on hinge's margin lines
    assert scores["bce"].min() > 1.5  # bce's scores keep growing past them
    assert np.abs(scores["perceptron"]).max() < 1.0  # the perceptron's stay near 0
    w = {name: np.linalg.norm(entry.prepared.model.params[0]) for name, entry in entries.items()}
    assert w["perceptron"] < w["hinge"] < w["bce"]


def test_05_optimizers_momentum_and_adam_cross_the_valley_gd_crawls():
    _, s, records, _ = lesson("05_optimizers")
    final = {name: rows[-1].train_loss for name, rows in records.items()}
    best = min(final.values())
    assert final["gd"] > 2 * best
    for name in ("momentum", "nesterov", "adam"):
        assert final[name] < 1.01 * best
    assert s["gd"].rank == 4
    # and with standardized features the valley is round: gd keeps up
    _, s, records, _ = lesson("05_optimizers", standardize=True)
    final = {name: rows[-1].train_loss for name, rows in records.items()}
    assert final["gd"] < 1.01 * min(final.values())


def test_06_learning_rates_too_small_right_too_large():
    result, s, records, _ = lesson("06_learning_rates")
    assert s["lr=1.2"].status == "diverged" and len(records["lr=1.2"]) < 20
    assert "lr < 2/lambda_max = 1" in s["lr=1.2"].message
    assert s["lr=0.5"].status == s["lr=0.002"].status == "completed" and len(records["lr=0.5"]) == 200
    assert s["lr=0.002"].truth_rmse > 10 * s["lr=0.5"].truth_rmse
    assert result.status == "completed"  # exit code 0: at least one variant finished


def test_07_batch_size_more_steps_per_epoch_but_single_samples_jitter():
    _, s, records, _ = lesson("07_batch_size")
    assert s["batch 32"].truth_rmse < s["full batch"].truth_rmse
    assert s["batch 32"].truth_rmse < s["batch 1"].truth_rmse
    full = [r.train_loss for r in records["full batch"]]
    assert all(b < a for a, b in zip(full[-6:], full[-5:]))  # full batch still on its way down
    assert records["batch 1"][0].train_loss < 0.2 * full[0]  # batch 1 is down within its first epoch
    jitter = {name: np.std([r.metrics["mae"] for r in rows[-10:]]) for name, rows in records.items()}
    assert jitter["batch 1"] > 10 * jitter["batch 32"]


def test_08_nonlinear_an_mlp_bends_around_the_moons():
    result, s, _, _ = lesson("08_nonlinear")
    assert s["mlp(hidden=(16, 16))"].metrics["accuracy"] == 1.0 and s["mlp(hidden=(16, 16))"].rank == 1
    assert 0.8 < s["linear"].metrics["accuracy"] < 0.92
    assert any("different shapes" in note for note in result.race.notes)


def test_every_lesson_has_a_test():
    names = {path.stem for path in CONFIGS.glob("*.toml")}
    tested = {name[5:].split("_", 1)[0] for name in globals() if name.startswith("test_0")}
    assert {name.split("_", 1)[0] for name in names} == tested


def test_01_exercise_huber_delta_slides_between_mae_and_mse():
    result = lossfit.compare(dataset="outliers", loss='huber(delta=0.3),huber,"huber(delta=3)"')
    slopes = [s.slope for s in result.verdict.standings]
    assert 1.8 < slopes[0] and slopes[0] > slopes[1] > slopes[2] > 1.0  # docs/lessons.md: about 1.87, 1.73, 1.31
    ds = result.race.dataset
    x = ds.raw_X(ds.X_train)[:, 0]
    assert int((np.abs(ds.y_train - (2 * x + 1)) >= 5).sum()) == 16  # "the 16 outliers among the 160 training points"
    assert len(ds.y_train) == 160
