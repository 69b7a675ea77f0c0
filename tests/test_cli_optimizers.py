"""`lossfit optimizers` and `explain_optimizer`: every registered name, its rule, defaults and state."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.cells import cell_len
from rich.console import Console

from lossfit import optimizers, schedules
from lossfit.commands.optimizers import (
    STATE,
    doc_parts,
    explain_optimizer,
    format_value,
    lr_chart,
    print_catalogue,
)
from lossfit.display import Terminal
from lossfit.errors import UnknownNameError

OPTIMIZER_NAMES = optimizers.names()
SCHEDULE_NAMES = schedules.names()
MOMENTUM_PRESETS = ("momentum", "nesterov")  # sgd presets shown side by side with the textbook EMA rule


def console(width: int = 100) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None)


def explain(name: str, width: int = 100) -> str:
    out = console(width)
    explain_optimizer(name, Terminal(out, console(width)))
    return out.file.getvalue()  # type: ignore[attr-defined]


def squashed(text: str) -> str:
    """Whitespace collapsed, so wrapped paragraphs can be compared with their source."""
    return " ".join(text.split())


def defaults_of(entry) -> list[str]:
    return [f"{key}={'?' if p.required else format_value(p.default)}" for key, p in entry.parameters().items()]


def test_registries_have_the_expected_sizes():
    assert len(OPTIMIZER_NAMES) == 17 and len(SCHEDULE_NAMES) == 7


# ---------------------------------------------------------------------------
# lossfit optimizers
# ---------------------------------------------------------------------------


def test_optimizers_command_lists_every_optimizer_and_schedule(run_cli):
    result = run_cli("optimizers")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    first_words = {line.split()[0] for line in lines if line.strip()}
    assert set(OPTIMIZER_NAMES) <= first_words
    assert set(SCHEDULE_NAMES) <= first_words
    text = result.stdout
    assert "torch.optim.Adam" in text and "preset of sgd" in text and "textbook variant" in text
    assert any(line.split()[:2] == ["adam_eps_inside", "textbook"] for line in lines if line.strip())
    assert "of adam" in text and "of rmsprop" in text
    assert "weight_decay=0.01" in text and "momentum=0.9" in text
    assert "T_max=?" in text and "max_lr=?" in text and "step_size=?" in text
    assert "\x1b[" not in result.output  # piped: no escape codes


def test_catalogue_is_readable_at_100_columns():
    out = console(100)
    print_catalogue(out)
    text = out.file.getvalue()  # type: ignore[attr-defined]
    assert all(cell_len(line) <= 100 for line in text.splitlines())
    assert "…" not in text  # nothing cut off
    flat = squashed(text)
    for entry in [*optimizers.registry, *schedules.registry]:
        for item in defaults_of(entry):
            assert item in flat, (entry.name, item)
    wide = console(200)
    print_catalogue(wide)
    for entry in [*optimizers.registry, *schedules.registry]:
        assert entry.summary in wide.file.getvalue(), entry.name  # type: ignore[attr-defined]


def test_optimizers_help(run_cli):
    result = run_cli("optimizers", "--help")
    assert result.exit_code == 0 and "optimizer" in result.stdout


# ---------------------------------------------------------------------------
# explain_optimizer: optimizers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_explain_every_optimizer_shows_rule_defaults_and_state(name):
    entry = optimizers.registry.entry(name)
    text = explain(name)
    assert text.startswith(name)
    parts = doc_parts(entry.factory)
    assert parts.block, f"{entry.factory.__name__} has no rule block in its docstring"
    for line in parts.block.splitlines():
        if name in MOMENTUM_PRESETS and len(line) > 60:
            continue  # next to the textbook rule, the one long `input:` line wraps at 100 columns
        assert line.rstrip() in text, (name, line)  # the documented rule, indentation included
    flat = squashed(text)
    for item in defaults_of(entry):
        assert item in flat, (name, item)
    for key, _, _ in STATE[entry.factory.name]:
        assert f"{key}: " in text, (name, key)
    assert all(cell_len(line) <= 100 for line in text.splitlines())


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_explain_says_how_each_optimizer_relates_to_torch(name):
    cls = optimizers.registry.entry(name).factory
    text = squashed(explain(name))
    if hasattr(cls, "torch_difference"):
        assert "Not torch" in text and squashed(cls.torch_difference) in text
    else:
        assert f"This is torch.optim.{cls.__name__}" in text


def test_explain_momentum_shows_pytorch_and_textbook_rules_side_by_side():
    text = explain("momentum")
    lines = text.splitlines()
    assert "momentum=0.9" in text
    assert "This is torch.optim.SGD(momentum=0.9)" in text
    header = next(line for line in lines if "PyTorch: torch.optim.SGD" in line)
    assert "Textbook EMA: momentum_ema" in header  # same line: side by side
    # the two loops are lined up: the same first step on one line, left and right
    assert any(line.count("g_t ← ∇_θ f_t(θ_{t-1})") == 2 and "│" in line for line in lines)
    assert any("│" in line and line.split("│")[1].strip() == "v_t ← β v_{t-1} + (1 - β) g_t" for line in lines)
    assert "b_t ← μ b_{t-1} + (1 - τ) g_t" in text
    flat = squashed(text)
    assert "momentum_ema(lr=η, beta=0.9) ≡ sgd(lr=0.1·η, momentum=0.9)" in flat
    assert "8.9e-16" in flat and "1.81" in flat and "b_1 = g_1" in flat  # reference §7, in words


def test_explain_momentum_rules_are_exact_when_the_terminal_is_wide_enough():
    text = explain("momentum", width=120)
    for cls in (optimizers.SGD, optimizers.MomentumEMA):
        for line in doc_parts(cls).block.splitlines():
            assert line.rstrip() in text, line


def test_explain_nesterov_adds_the_look_ahead_note():
    flat = squashed(explain("nesterov"))
    assert "nesterov=True" in flat and "Textbook EMA" in flat and "0.66" in flat


def test_explain_adamw_shows_its_weight_decay_default():
    text = explain("adamw")
    assert "weight_decay=0.01" in text and "This is torch.optim.AdamW" in text
    assert "max_exp_avg_sq" in text and "(only when amsgrad)" in text


def test_explain_gd_says_it_keeps_no_state():
    assert "With these defaults, nothing" in explain("gd")


def test_state_table_matches_the_state_optimizers_really_keep():
    # every option that adds state turned on, so every documented key must appear
    everything = {"sgd": {"momentum": 0.9}, "rmsprop": {"centered": True, "momentum": 0.9},
                  "adam": {"amsgrad": True}, "adamw": {"amsgrad": True}}
    for cls_name in {optimizers.registry.entry(n).factory.name for n in OPTIMIZER_NAMES}:
        opt = optimizers.get(cls_name, **everything.get(cls_name, {}))
        w = np.ones(3)
        for _ in range(2):
            opt.step([w], [np.full(3, 0.5)])
        assert set(opt.state[0]) == {key for key, _, _ in STATE[cls_name]}, cls_name


# ---------------------------------------------------------------------------
# explain_optimizer: schedules
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCHEDULE_NAMES)
def test_explain_every_schedule_shows_formula_defaults_and_preview(name):
    entry = schedules.registry.entry(name)
    text = explain(name)
    assert text.startswith(name)
    parts = doc_parts(entry.factory)
    for line in (parts.block or parts.title).splitlines():
        assert line.rstrip() in text, (name, line)
    flat = squashed(text)
    for item in defaults_of(entry):
        assert item in flat, (name, item)
    assert "Preview:" in text and "┤" in text and "epoch 0: " in text
    if name != "constant":
        assert f"torch.optim.lr_scheduler.{entry.factory.__name__}" in text
    assert all(cell_len(line) <= 100 for line in text.splitlines())


def test_explain_cosine_previews_100_epochs_from_lr_0_1():
    text = explain("cosine")
    assert "η_k = η_min + (η₀ - η_min) · (1 + cos(π k / T_max)) / 2" in text
    assert "T_max=?" in text and "cosine(T_max=100)" in text
    assert "epoch 0: 0.1" in text and "epoch 50: 0.05" in text and "epoch 99:" in text


def test_explain_reduce_on_plateau_previews_a_plateau():
    text = explain("reduce_on_plateau")
    assert "stops improving after epoch 20" in text and "epoch 50: 0.001" in text


def test_lr_chart_is_a_linear_bar_chart():
    rows = lr_chart([1.0, 0.5, 0.0], width=3, height=2)
    assert rows[0] == "1 ┤█  " and rows[1] == "0 ┤██ "
    assert rows[2] == "  └───"


# ---------------------------------------------------------------------------
# errors and formatting
# ---------------------------------------------------------------------------


def test_unknown_name_raises_unknown_name_error_with_a_suggestion():
    with pytest.raises(UnknownNameError, match="Did you mean `cosine`"):
        explain("cosin")
    with pytest.raises(UnknownNameError, match="Unknown optimizer or schedule `nope`"):
        explain("nope")


def test_aliases_and_case_resolve_like_the_registry():
    assert explain("AdamW").startswith("adamw")


@pytest.mark.parametrize(("value", "shown"), [
    (1e-3, "0.001"), (1e-8, "1e-8"), (0.0, "0"), (0.01, "0.01"), (1.0, "1"), (10000.0, "10000"),
    ((0.9, 0.999), "(0.9, 0.999)"), (True, "True"), ("cos", "'cos'"), (5, "5"),
])
def test_format_value(value, shown):
    assert format_value(value) == shown


def test_a_spec_shows_its_values_and_previews_with_them():
    text = explain("cosine(T_max=50)")
    assert "T_max=50, eta_min=0" in text and "Preview: cosine(T_max=50)" in text
    assert "epoch 50: 0 " in text + " "  # the lr reaches eta_min at T_max, then rises again
    assert "betas=(0.8, 0.99)" in explain("adam(betas=(0.8, 0.99))")


def test_a_spec_with_a_bad_value_is_a_user_error():
    from lossfit.errors import LossfitError

    with pytest.raises(LossfitError, match="T_max=-1"):
        explain("cosine(T_max=-1)")
    with pytest.raises(LossfitError, match="Unknown parameter `foo`"):
        explain("adam(foo=1)")
