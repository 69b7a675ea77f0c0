"""`lossfit explain`: the loss page, the terminal chart and the PNG (lossfit.explain, lossfit.loss_plots)."""

from __future__ import annotations

import io
import shutil
import struct
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from lossfit import explain, losses

FIXTURES = Path(__file__).parent / "fixtures" / "custom_losses"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def squash(text: str) -> str:
    return " ".join(text.split())


def render(renderable, width: int = 100) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name", losses.names())
def test_every_loss_page_has_formula_gradient_and_hyper_parameters(run_cli, name):
    result = run_cli("explain", name)
    assert result.exit_code == 0, result.output
    page = squash(result.stdout)
    loss = losses.get(name)
    assert squash(loss.formula) in page and squash(loss.gradient) in page
    assert "Hyper-parameters" in page and "Bayes-optimal" in page and "Pitfalls" in page
    for param, spec in losses.registry.entry(name).parameters().items():
        assert f"{param} = {spec.default!r}" in page and f"(default {spec.default!r})" in page
    assert "loss L(" in page and "derivative dL/d" in page
    assert result.stderr == "" and "\x1b[" not in result.output


def test_explain_a_spec_shows_its_values_and_the_defaults(run_cli):
    result = run_cli("explain", "huber(delta=0.5)")
    assert result.exit_code == 0, result.output
    assert "huber(delta=0.5)" in result.stdout
    assert "delta = 0.5 (default 1.0)" in squash(result.stdout)


def test_explain_focal_reads_like_a_textbook_page(run_cli):
    out = squash(run_cli("explain", "focal").stdout)
    for fragment in ("focal (binary loss)", "NOT convex", "gamma = 2.0 (default 2.0)", "alpha = 0.25",
                     "not calibrated", "focal, y = 1", "focal, y = 0", "margin m = y_pm * f",
                     "In detail", "lossfit train --loss focal"):
        assert fragment in out, fragment


@pytest.mark.parametrize(
    ("name", "kind", "label"),
    [("huber", "residual", "residual r = y_pred - y"), ("poisson", "prediction", "log-rate, target y = 2"),
     ("hinge", "margin", "margin m = y_pm * f"), ("cross_entropy", "class_margin", "other logits 0"),
     ("kl_div", "class_margin", "q = (0.8, 0.1, 0.1)")],
)
def test_the_chart_axis_is_honest(name, kind, label):
    axis = explain.axis_for(losses.get(name))
    assert axis.kind == kind and label in axis.label


def test_curves_match_the_loss_on_the_axis():
    huber = losses.get("huber")
    axis = explain.axis_for(huber)
    [curve] = explain.curves(huber, axis)
    np.testing.assert_allclose(curve.derivative, np.clip(axis.x, -1, 1))
    hinge = losses.get("hinge")
    [curve] = explain.curves(hinge, explain.axis_for(hinge))  # symmetric in y: one curve
    np.testing.assert_allclose(curve.loss, np.maximum(0, 1 - curve.x))
    focal = explain.curves(losses.get("focal"), explain.axis_for(losses.get("focal")))
    assert [c.label for c in focal] == ["focal, y = 1", "focal, y = 0"]  # alpha treats the labels differently
    ce = losses.get("cross_entropy")
    [curve] = explain.curves(ce, explain.axis_for(ce))
    m = curve.x
    np.testing.assert_allclose(curve.loss, np.log(np.exp(m) + 2) - m)


def test_terminal_chart_is_plain_text_of_fixed_width():
    x = np.linspace(-3, 3, 101)
    text = explain.terminal_chart("loss L(r)", x, [("mse", x**2), ("mae", np.abs(x))], width=40, height=6,
                                  x_label="residual r")
    lines = render(text).splitlines()
    assert lines[0] == "loss L(r)"
    assert max(len(line) for line in lines) <= 40 + 8
    assert lines[1].startswith("9 ┤") and any(line.startswith("0 ┤") for line in lines)
    assert any("•" in line for line in lines)  # the second series
    assert any(0x2800 < ord(ch) <= 0x28FF for ch in "".join(lines))  # braille dots for the first
    assert "residual r" in lines[-1] and "-3" in lines[-2] and "3" in lines[-2]


def test_docstring_sections():
    notes = explain.docstring_section(losses.get("huber").__class__, "Notes")
    assert notes.splitlines()[0].startswith("L = r**2 / 2")
    assert "Examples" not in notes and ">>>" not in notes
    assert explain.parameter_docs(losses.get("huber").__class__) == {"delta": "Where the quadratic turns linear; > 0."}


def test_explain_huber_plot_writes_a_png(run_cli, workdir):
    result = run_cli("explain", "huber", "--plot", "h.png")
    assert result.exit_code == 0, result.output
    assert "Chart saved to h.png" in result.stdout
    width, height = png_size(workdir / "h.png")
    assert 1000 <= width <= 2000 and 400 <= height <= 800
    assert (workdir / "h.png").stat().st_size > 20_000
    assert [p.name for p in workdir.iterdir()] == ["h.png"]  # no temporary file left


def test_the_figure_overlays_the_related_losses():
    from lossfit import loss_plots

    fig = loss_plots.family_figure(losses.get("hinge"))
    ax_loss, ax_grad = fig.axes
    labels = [line.get_label() for line in ax_loss.get_lines() if not line.get_label().startswith("_")]
    assert labels[0].startswith("0-1 loss") and labels[-1] == "hinge"
    assert {"bce", "perceptron", "exponential"} <= set(labels)
    assert ax_loss.get_xlabel().startswith("margin m") and ax_grad.get_ylabel() == "dL/dm"
    huber_fig = loss_plots.family_figure(losses.get("huber"))
    labels = [line.get_label() for line in huber_fig.axes[0].get_lines()]
    assert {"mse", "mae", "huber"} <= set(labels)
    assert "smooth_l1  (same curve here)" in labels  # smooth_l1(beta=1) is huber(delta=1)


@pytest.mark.parametrize(
    ("path", "fragment"),
    [("nofolder/h.png", "folder nofolder does not exist"), ("h.jpg", "ending in .png"), (".", "ending in .png"),
     ("sub", "is a folder")],
)
def test_bad_plot_paths_fail_before_drawing(run_cli, workdir, path, fragment):
    (workdir / "sub.png").mkdir()
    result = run_cli("explain", "huber", "--plot", path if path != "sub" else "sub.png")
    assert result.exit_code == 2
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert sorted(p.name for p in workdir.iterdir()) == ["sub.png"]


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("hubber", "Did you mean `huber`?"), ("huber(delta=-1)", "`delta` must be > 0"),
     ("huber(gamma=1)", "Unknown parameter `gamma`"), ("huber(delta=", "Cannot read"),
     ("adamm", "Did you mean `adam`?")],
)
def test_explain_bad_names(run_cli, name, fragment):
    result = run_cli("explain", name)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_unknown_name_lists_losses_and_optimizers(run_cli):
    message = run_cli("explain", "zzz").stderr
    assert "Losses: mse, mae" in message and "Optimizers: sgd" in message


def test_explain_delegates_optimizers(run_cli, monkeypatch):
    calls = []
    fake = types.ModuleType("lossfit.commands.optimizers")
    fake.explain_optimizer = lambda name, terminal: calls.append(name)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "lossfit.commands.optimizers", fake)
    result = run_cli("explain", "adam")
    assert result.exit_code == 0, result.output
    assert calls == ["adam"]


def test_explain_optimizer_without_explainer(run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "lossfit.commands.optimizers", None)  # import fails
    result = run_cli("explain", "sgd")
    assert result.exit_code == 2
    assert "no explanation for optimizers yet" in result.stderr


def test_explain_plot_refuses_optimizers(run_cli, workdir):
    result = run_cli("explain", "adam", "--plot", "a.png")
    assert result.exit_code == 2 and "--plot draws loss curves" in result.stderr
    assert not (workdir / "a.png").exists()


def test_explain_a_custom_loss(run_cli, workdir):
    shutil.copy(FIXTURES / "asym.py", workdir / "my.py")
    result = run_cli("explain", "my.py:asym_exact", "--plot", "asym.png")
    assert result.exit_code == 0, result.output
    out = squash(result.stdout)
    assert "asym_exact (regression loss) my.py:asym_exact" in out
    assert "The same loss as asym" in out and "residual r = y_pred - y" in out
    png_size(workdir / "asym.png")
