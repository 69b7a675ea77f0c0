"""`lossfit compare`: a fair race (same data, start and batches), an honest verdict, a complete folder."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import lossfit
from lossfit import api, comparison, metrics
from lossfit.cli import app

from _running import ctrl_c_once_running
from lossfit.config import RunConfig
from lossfit.errors import ConfigError
from lossfit.leaderboard import BoardState, PlainBoard, render_board
from lossfit.variants import expand


CONFIGS = sorted((Path(__file__).parent.parent / "configs").glob("*.toml"))


def plan(single=None, **lists):
    return comparison.plan(single or {}, {k: v for k, v in lists.items()})


def run(race, stop_requested=lambda: False):
    summaries, records = comparison.race(race, [[] for _ in race.entries], None, stop_requested)
    return summaries, records


# ------------------------------------------------------------------------------- fairness
def test_every_variant_trains_on_the_same_split_and_scaling():
    race = plan({"dataset": "moons(n_samples=120)"}, loss=["bce", "hinge", "focal"])
    first = race.entries[0].prepared.data
    for entry in race.entries[1:]:
        data = entry.prepared.data
        assert np.array_equal(data.X_train, first.X_train) and np.array_equal(data.X_val, first.X_val)
        assert entry.prepared.dataset is race.dataset  # loaded once
    # the same arrays `lossfit train` would use with this seed
    alone = api.prepare(RunConfig(loss="bce", dataset="moons(n_samples=120)"))
    assert np.array_equal(alone.data.X_train, first.X_train)
    assert np.array_equal(alone.dataset.x_mean, race.dataset.x_mean)


def test_models_of_the_same_shape_start_from_the_same_weights():
    relu, tanh = "mlp(hidden=(8,), activation='relu')", "mlp(hidden=(8,), activation='tanh')"
    # built alone, He (relu) and Glorot (tanh) initialisations differ...
    alone = [api.prepare(RunConfig(loss="bce", dataset="moons", model=m)).model.params for m in (relu, tanh)]
    assert not np.array_equal(alone[0][0], alone[1][0])
    # ...in a race, every model of the same shape starts from the first one's weights
    race = plan({"loss": "bce", "dataset": "moons"}, model=[relu, tanh])
    a, b = (e.prepared.model.params for e in race.entries)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert all(np.array_equal(p, q) for p, q in zip(a, alone[0]))
    assert race.notes == []


def test_models_of_different_shapes_say_so():
    race = plan({"loss": "bce", "dataset": "moons"},
                model=["linear", "mlp(hidden=(4,))", "mlp(hidden=(4,), activation='relu')"])
    assert len(race.notes) == 1 and "2 different shapes" in race.notes[0]
    assert "mlp(hidden=(4,)) and mlp(hidden=(4,), activation='relu')" in race.notes[0]
    linear, tanh, relu = (e.prepared.model.params for e in race.entries)
    assert all(np.array_equal(p, q) for p, q in zip(tanh, relu))


def test_each_variant_runs_exactly_as_lossfit_train_would_batches_included():
    """Interleaving changes nothing: same data, start and mini-batch order as separate `train` runs."""
    shared = {"dataset": "linear(n_samples=80)", "optimizer": "sgd(momentum=0.9)", "batch_size": 16,
              "epochs": 15, "lr": 0.05}
    race = plan(shared, loss=["mse", "mae", "huber(delta=0.5)"])
    summaries, records = run(race)
    for entry, rows in zip(race.entries, records):
        alone = lossfit.train(**shared, loss=entry.variant.settings["loss"])
        assert [r.train_loss for r in rows] == [r.train_loss for r in alone.records]
        assert [r.val_loss for r in rows] == [r.val_loss for r in alone.records]
        assert all(np.array_equal(p, q) for p, q in zip(entry.prepared.model.params, alone.model.params))


# ---------------------------------------------------------------------------- the race
def test_a_diverging_variant_ends_and_the_others_finish():
    race = plan({"epochs": 60}, lr=[0.1, 5.0, 0.5])
    summaries, records = run(race)
    assert [s.status for s in summaries] == ["completed", "diverged", "completed"]
    assert len(records[0]) == len(records[2]) == 60 and len(records[1]) < 60
    verdict = comparison.judge(race, summaries)
    assert verdict.standings[1].rank is None and {s.rank for s in verdict.standings} == {1, 2, None}
    assert comparison.overall_status(summaries) == "completed"
    assert comparison.overall_status([summaries[1]]) == "diverged"


def test_a_stop_request_ends_every_variant_at_the_same_epoch_keeping_their_epochs():
    calls = []
    race = plan({"epochs": 1000}, loss=["mse", "mae", "huber"])
    summaries, records = run(race, stop_requested=lambda: calls.append(1) or len(calls) >= 7)
    assert [s.status for s in summaries] == ["interrupted"] * 3
    assert {len(rows) for rows in records} == {7}  # the round in progress finishes, no variant runs ahead
    assert all(s.epochs == 7 for s in summaries)


def test_a_stop_request_after_one_variant_ended_keeps_its_status():
    calls = []
    race = plan({"epochs": 1000}, lr=[0.1, 5.0])  # lr 5 diverges within about ten epochs
    summaries, records = run(race, stop_requested=lambda: calls.append(1) or len(calls) >= 40)
    assert [s.status for s in summaries] == ["interrupted", "diverged"]
    assert len(records[0]) == 40


# ---------------------------------------------------------------------------- the verdict
def test_the_verdict_measures_every_variant_on_the_validation_split_independently():
    race = plan({"dataset": "outliers"}, loss=["mse", "mae", "huber"])
    summaries, _ = run(race)
    verdict = comparison.judge(race, summaries)
    ds = race.dataset
    x_val = ds.raw_X(ds.X_val)[:, 0]
    for entry, standing in zip(race.entries, verdict.standings):
        w, b = (float(p[0]) for p in entry.prepared.model.params)
        prediction = w * ds.X_val[:, 0] + b
        assert standing.metrics["mae"] == pytest.approx(np.mean(np.abs(prediction - ds.y_val)), rel=1e-12)
        truth = 2.0 * x_val + 1.0  # outliers: the clean line y = 2x + 1
        assert standing.truth_rmse == pytest.approx(np.sqrt(np.mean((prediction - truth) ** 2)), rel=1e-12)
        slope = w / ds.x_std[0]
        assert standing.slope == pytest.approx(slope) and standing.true_slope == 2.0
        assert standing.intercept == pytest.approx(b - slope * ds.x_mean[0]) and standing.true_intercept == 1.0
    ranks = {s.label: s.rank for s in verdict.standings}
    by_mae = sorted(verdict.standings, key=lambda s: s.metrics["mae"])
    assert [ranks[s.label] for s in by_mae] == [1, 2, 3]
    assert "MAE on the validation split (40 samples; lower is better)" in verdict.basis


def test_higher_is_better_metrics_rank_the_other_way_and_ties_share_a_rank():
    race = comparison.plan({"dataset": "separable", "epochs": 50}, {"loss": ["bce", "hinge"]}, metric="accuracy")
    verdict = comparison.judge(race, run(race)[0])
    assert [s.rank for s in verdict.standings] == [1, 1]  # both separate the data perfectly
    race = comparison.plan({"dataset": "moons", "epochs": 30}, {"lr": [0.001, 1.0]}, metric="roc_auc")
    verdict = comparison.judge(race, run(race)[0])
    slow, fast = verdict.standings
    assert fast.metrics["roc_auc"] >= slow.metrics["roc_auc"] and fast.rank == 1
    assert "higher is better" in verdict.basis


def test_softmax_and_logistic_on_binary_data_are_judged_by_the_same_binary_metrics():
    race = plan({"dataset": "moons", "epochs": 50}, loss=["bce", "cross_entropy"])
    summaries, _ = run(race)
    verdict = comparison.judge(race, summaries)
    ce = race.entries[1].prepared
    logits = ce.model.predict(race.dataset.X_val)
    labels = logits.argmax(axis=1)
    assert verdict.standings[1].metrics["f1"] == metrics.f1(labels, race.dataset.y_val.astype(int))
    assert set(verdict.standings[0].metrics) == set(verdict.standings[1].metrics)


def test_quantile_variants_report_the_share_below_and_their_own_truth():
    race = plan({"dataset": "heteroscedastic", "lr": 0.5, "epochs": 500},
                loss=["quantile(tau=0.1)", "quantile(tau=0.9)"])
    verdict = comparison.judge(race, run(race)[0])
    low, high = verdict.standings
    assert low.share_below == pytest.approx(0.1, abs=0.03) and high.share_below == pytest.approx(0.9, abs=0.03)
    z = 1.2815515655446004  # Phi^-1(0.9)
    assert high.true_slope == pytest.approx(0.5 + 0.5 * z) and low.true_slope == pytest.approx(0.5 - 0.5 * z)


def test_truth_rmse_as_the_ranking_metric_and_where_it_does_not_exist():
    race = comparison.plan({"dataset": "outliers"}, {"loss": ["mse", "mae", "huber"]}, metric="truth_rmse")
    verdict = comparison.judge(race, run(race)[0])
    ranked = [s.label for s in verdict.ranked]
    assert ranked[-1] == "mse" and "RMSE to the noiseless truth" in verdict.basis
    with pytest.raises(ConfigError, match="noiseless target"):
        comparison.plan({"dataset": "auto_mpg"}, {"loss": ["mse", "mae"]}, metric="truth_rmse")


# ------------------------------------------------------------------------------- the CLI
@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, ["compare", *args], env={"NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"})

    return invoke


def read_csv(path):
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_compare_writes_the_whole_folder_and_ranks_by_the_metric(cli, tmp_path):
    result = cli("--loss", "mse,mae", "--loss", "huber(delta=0.5)", "--dataset", "outliers", "--out", "c",
                 "--progress", "none")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "c"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["loss=mse", "loss=mae", "loss=huber(delta=0.5)", "summary.csv", "summary.json", "curves.png", "fits.png"])
    for sub in ("loss=mse", "loss=mae", "loss=huber(delta=0.5)"):
        assert {"config.toml", "history.csv", "metrics.json", "loss_curve.png", "fit.png"} <= {
            p.name for p in (folder / sub).iterdir()}
    rows = read_csv(folder / "summary.csv")
    assert [int(r["rank"]) for r in rows] == [1, 2, 3]
    maes = [float(r["mae"]) for r in rows]
    assert maes == sorted(maes)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["compared"] == ["loss"] and summary["metric"] == "mae" and summary["status"] == "completed"
    by_label = {v["label"]: v for v in summary["variants"]}
    for row in rows:  # the csv and the json say the same, and the json matches each run's own metrics.json
        variant = by_label[row["variant"]]
        assert variant["rank"] == int(row["rank"]) and variant["metrics"]["mae"] == float(row["mae"])
        own = json.loads((folder / variant["folder"] / "metrics.json").read_text())
        assert own["final_metrics"]["mae"] == pytest.approx(variant["metrics"]["mae"], rel=1e-12)
    assert "Verdict · loss: mse vs mae vs huber(delta=0.5) on outliers" in result.stdout
    assert "Ranked by MAE on the validation split" in result.stdout


def test_huber_and_mae_beat_mse_by_distance_to_the_true_line(cli, tmp_path):
    result = cli("--loss", "mse,mae,huber", "--dataset", "outliers", "--out", "c", "--progress", "none",
                 "--no-plot")
    assert result.exit_code == 0, result.output
    truth = {v["label"]: v["truth_rmse"] for v in json.loads((tmp_path / "c" / "summary.json").read_text())["variants"]}
    assert truth["mae"] < truth["mse"] / 3 and truth["huber"] < truth["mse"] / 3


def test_json_prints_summary_json_and_nothing_else(cli, tmp_path):
    result = cli("--lr", "0.1,0.5", "--epochs", "20", "--out", "c", "--json", "--progress", "none", "--no-plot")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads((tmp_path / "c" / "summary.json").read_text())
    assert [v["label"] for v in printed["variants"]] == ["lr=0.1", "lr=0.5"]


def test_a_diverging_variant_is_marked_and_the_race_exits_0(cli, tmp_path):
    result = cli("--lr", "0.1,5", "--epochs", "40", "--out", "c", "--progress", "plain", "--no-plot")
    assert result.exit_code == 0, result.output
    assert "lr=5: diverged at epoch" in result.output  # the leaderboard says so as it happens
    assert "lr=5: Training diverged" in result.output  # and the verdict says why
    summary = json.loads((tmp_path / "c" / "summary.json").read_text())
    assert [v["status"] for v in summary["variants"]] == ["completed", "diverged"]
    assert len(read_csv(tmp_path / "c" / "lr=5" / "history.csv")) < 40


def test_all_diverged_exits_3(cli):
    result = cli("--lr", "5,10", "--epochs", "40", "--progress", "none", "--no-plot")
    assert result.exit_code == 3, result.output


def test_plain_progress_is_a_short_race_log(cli):
    result = cli("--loss", "mse,mae", "--epochs", "100", "--progress", "plain", "--no-plot")
    lines = [line for line in result.stderr.splitlines() if line.startswith("epoch")]
    assert 8 <= len(lines) <= 12 and lines[-1].startswith("epoch 100/100")
    assert "mse " in lines[-1] and "mae " in lines[-1] and lines[-1].count("*") == 1  # the leader is starred


def test_lists_in_a_config_and_options_that_win(cli, tmp_path):
    config = tmp_path / "lesson.toml"
    config.write_text('loss = ["mse", "mae"]\ndataset = "outliers"\nepochs = 10\nmetric = "rmse"\n')
    result = cli("--config", str(config), "--out", "a", "--progress", "none", "--no-plot")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert [v["label"] for v in summary["variants"]] == ["mse", "mae"] and summary["metric"] == "rmse"
    result = cli("--config", str(config), "--loss", "huber,mae", "--metric", "mae", "--out", "b", "--progress",
                 "none", "--no-plot")
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert [v["label"] for v in summary["variants"]] == ["huber", "mae"] and summary["metric"] == "mae"


def test_train_refuses_a_compare_config_with_a_pointer(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("lesson.toml").write_text('loss = ["mse", "mae"]\n')
    result = CliRunner().invoke(app, ["train", "--config", "lesson.toml"], env={"NO_COLOR": "1"})
    assert result.exit_code == 2 and "lists are for `lossfit compare --config" in result.output
    assert list(tmp_path.iterdir()) == [tmp_path / "lesson.toml"]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_every_lesson_config_runs(cli, config):
    result = cli("--config", str(config), "--epochs", "3", "--no-plot", "--progress", "none")
    assert result.exit_code == 0, result.output


def test_every_lesson_config_starts_by_saying_what_it_teaches_and_how_to_run_it():
    for config in CONFIGS:
        lines = config.read_text().splitlines()
        comments = lines[: next(i for i, line in enumerate(lines) if not line.startswith("#"))]
        assert comments[0].startswith("# Lesson "), config.name
        assert any(f"lossfit compare --config configs/{config.name}" in line for line in comments), config.name
        assert any(line.startswith("# Look:") for line in comments), config.name


def test_ctrl_c_stops_every_variant_and_keeps_what_finished(tmp_path):
    returncode, _, stderr = ctrl_c_once_running(
        "compare", "--loss", "mse,mae", "--epochs", "100000000", "--progress", "plain", "--out", str(tmp_path / "c"),
        "--no-plot", header="lossfit compare")  # the race has started
    assert returncode == 130, stderr
    summary = json.loads((tmp_path / "c" / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    epochs = {v["epochs"] for v in summary["variants"]}
    assert len(epochs) == 1 and epochs.pop() >= 1  # every variant stopped after the same round
    for variant in summary["variants"]:
        own = json.loads((tmp_path / "c" / variant["folder"] / "metrics.json").read_text())
        assert own["status"] == "interrupted"
        assert len(read_csv(tmp_path / "c" / variant["folder"] / "history.csv")) == variant["epochs"]
    assert "Traceback" not in stderr


# --------------------------------------------------------------------------- the boards
def _state(race):
    state = BoardState.of(race)
    summaries, records = run(race)
    for index, rows in enumerate(records):
        for record in rows:
            state.update(index, record)
        state.lanes[index].status = summaries[index].status
    return state


def test_the_live_board_shows_every_variant_and_marks_the_single_leader():
    from rich.console import Console

    race = plan({"dataset": "outliers", "epochs": 50}, loss=["mse", "mae"])
    state = _state(race)
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(render_board(state, 0.5))
    text = console.file.getvalue()
    rows = [line for line in text.splitlines() if "50/50" in line]
    assert len(rows) == 2 and rows[1].startswith("▶ mae") and rows[0].startswith("  mse")
    assert "val MAE" in text and "done" in text


def test_a_tie_has_no_leader():
    race = plan({"epochs": 1}, loss=["mse", "mae"])  # after epoch 1 both still sit at the shared start
    assert _state(race).leader() is None


def test_the_plain_board_writes_about_ten_lines_and_the_last_epoch():
    race = plan({"epochs": 95}, lr=[0.1, 0.5])
    stream = io.StringIO()
    board = PlainBoard(stream)
    comparison.race(race, [[], []], board)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("lossfit compare lr: lr=0.1 vs lr=0.5 on linear")
    epochs = [line.split()[1] for line in lines[1:]]
    assert epochs[0] == "1/95" and epochs[-1] == "95/95" and 8 <= len(epochs) <= 12


def test_python_api_takes_lists_or_comma_strings():
    result = lossfit.compare(loss=["mse", "mae"], lr="0.1,0.2", dataset="outliers", epochs=5)
    assert [s.label for s in result.verdict.standings] == ["mse · lr=0.1", "mse · lr=0.2", "mae · lr=0.1",
                                                           "mae · lr=0.2"]
    assert result.out_dir is None and result.status == "completed"
    assert len(result.records[0]) == 5 and math.isfinite(result.records[0][-1].train_loss)


def test_expand_is_what_plan_races():
    race = plan({"epochs": 2}, loss=["mse", "mae"], lr=[0.1, 0.2])
    assert [e.variant for e in race.entries] == expand({"loss": ["mse", "mae"], "lr": [0.1, 0.2]})
