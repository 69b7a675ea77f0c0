"""Any width (issue 10, item 8): tables fit the terminal without cutting names; text wraps at spaces only.

Commands run in process with COLUMNS=60..120. With TTY_COMPATIBLE=1 rich treats the
stream as a terminal, so printed text wraps too (into a pipe it stays whole, one line).
"""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from typer.testing import CliRunner

from lossfit import data, losses, optimizers, schedules
from lossfit.cli import app
from lossfit.display import Terminal, make_console, wrap_line

WIDTHS = (60, 80, 100, 120)
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run(width: int, *args: str, terminal: bool = True):
    env = {"NO_COLOR": "1", "COLUMNS": str(width), "TERM": "xterm" if terminal else "dumb",
           "TTY_COMPATIBLE": "1" if terminal else "0"}
    return CliRunner().invoke(app, list(args), env=env)


def lines_of(text: str) -> list[str]:
    return ESCAPES.sub("", text).splitlines()


def assert_fits(text: str, width: int) -> None:
    wide = [line for line in lines_of(text) if cell_len(line) > width]
    assert not wide, f"{len(wide)} lines wider than {width}: {wide[:3]}"


def tokens(text: str) -> set[str]:
    return set(ESCAPES.sub("", text).split())


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("args", [("losses",), ("optimizers",), ("datasets",), ("explain", "huber"),
                                  ("explain", "focal"), ("explain", "adam"), ("explain", "momentum"),
                                  ("explain", "cosine"), ("datasets", "show", "penguins", "--no-plot"),
                                  ("gradcheck", "--all")])
def test_every_command_fits_the_terminal(args, width):
    result = run(width, *args)
    assert result.exit_code == 0, result.output
    assert_fits(result.stdout, width)
    assert_nothing_cut(result.stdout)


def assert_nothing_cut(text: str) -> None:
    """No `abc…`: an ellipsis may only stand alone (the `… 6 more` column of a preview)."""
    cut = [word for word in ESCAPES.sub("", text).split() if "…" in word and word != "…"]
    assert not cut, cut


@pytest.mark.parametrize("width", WIDTHS)
def test_losses_shows_every_name_and_alias_whole(width):
    text = run(width, "losses").stdout
    words = {word.strip(",") for word in tokens(text)}
    for entry in losses.registry:
        assert entry.name in words
        assert set(entry.aliases) <= words, (width, entry.aliases)  # 80 columns used to show `ali…`


@pytest.mark.parametrize("width", WIDTHS)
def test_optimizers_and_datasets_show_every_name_whole(width):
    words = tokens(run(width, "optimizers").stdout) | tokens(run(width, "datasets").stdout)
    names = [*optimizers.registry.names(), *schedules.registry.names(), *data.names(), *data.bundled_names()]
    assert set(names) <= words


@pytest.mark.parametrize("width", [60, 80])
def test_the_tables_fit_when_piped_too(width):
    """Into a pipe text is not wrapped, but tables still fit COLUMNS (a log stays readable)."""
    for args in (("losses",), ("optimizers",), ("datasets",)):
        text = run(width, *args, terminal=False).stdout
        table = [line for line in lines_of(text) if line.startswith(("  ", "name", "sgd", "linear", "iris"))]
        assert table and all(cell_len(line) <= width for line in table), args


def test_long_feature_and_class_names_wrap_instead_of_being_cut(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = [f"a_very_long_feature_name_number_{i}_with_more_words" for i in range(3)]
    label = "the_first_class_has_a_really_long_label"
    rows = [",".join([*names, "target"])] + [f"{i}.5,{-i}.25,{i * 2},{label if i % 2 else 'b'}" for i in range(12)]
    (tmp_path / "long.csv").write_text("\n".join(rows) + "\n")
    for width in (60, 80):
        result = run(width, "datasets", "show", "long.csv", "--no-plot")
        assert result.exit_code == 0, result.output
        assert_fits(result.stdout, width)
        assert_nothing_cut(result.stdout)  # folded across lines, never cut to `…`
        ranges = lines_of(result.stdout)[-3 * 2:]  # each long feature name folds onto a second line
        assert "".join(line.split()[0] for line in ranges[-6:] if line.strip()).count("with_more_words") == 3


def test_the_class_report_keeps_long_class_names():
    from lossfit.report import class_report, render_class_report

    long = "a_class_name_much_longer_than_the_space_left_for_it_in_sixty_columns"
    console = make_console(io.StringIO(), width=60)
    console.print(render_class_report(class_report([0, 1, 1], [0, 1, 0], ["short", long])))
    text = console.file.getvalue()
    assert_fits(text, 60)
    assert long in "".join(line.split("  ")[0].strip() for line in text.splitlines())


# ------------------------------------------------------------------ messages
WORDS = st.one_of(
    st.from_regex(r"[a-z_]{1,22}", fullmatch=True),
    st.from_regex(r"-?[0-9]{1,4}\.[0-9]{1,6}(e-?[0-9]{1,2})?", fullmatch=True),
    st.sampled_from(["`epsilon_insensitive`", "--lr", "1.05", "lr=0.1", "(see", "`lossfit", "--help`)", "·"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=60), st.sampled_from(WIDTHS))
def test_a_message_wraps_at_spaces_only_on_a_terminal(words, width):
    message = " ".join(words)
    for piped in (False, True):
        err = io.StringIO()
        terminal = Terminal(make_console(io.StringIO(), width=width),
                            make_console(err, stderr=True, width=width, force_terminal=not piped))
        terminal.error(message)
        terminal.note(message)
        text = ESCAPES.sub("", err.getvalue())
        if piped:  # whole lines: one per message, for grep and logs
            assert text.splitlines() == [f"Error: {message}", message]
            continue
        assert_fits(text, width)
        assert sorted(text.split()) == sorted(["Error:", *words, *words])  # no word or number split


def test_the_issue_examples_at_60_columns(tmp_path):
    """`lr 1.05` used to break as `lr 1.0` / `5.`, `epsilon_insensitive` as `eps` / `ilon_insensitive`."""
    result = run(60, "train", "--loss", "epsilon_insensitve", "--lr", "1.05")
    assert result.exit_code == 2
    stderr = lines_of(result.stderr)
    assert len(stderr) > 1 and all(cell_len(line) <= 60 for line in stderr)
    assert {"`epsilon_insensitive`?", "epsilon_insensitive,"} <= tokens(result.stderr)
    result = run(60, "train", "--lr", "1.05", "--epochs", "3", "--no-plot", "--out", str(tmp_path / "run"),
                 "--progress", "plain")
    assert result.exit_code == 0, result.output
    assert_fits(result.output, 60)
    assert "lr 1.0500" in result.stderr  # a field of the plain log stays on one line


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(WORDS, min_size=1, max_size=4).map(" ".join), min_size=1, max_size=12),
       st.integers(20, 120))
def test_wrap_line_keeps_fields_together_when_it_can(fields, width):
    line = "  ".join(fields)
    wrapped = wrap_line(line, width, sep="  ")
    assert wrapped.split() == line.split()  # nothing lost, nothing split
    for out in wrapped.splitlines():
        assert len(out) <= width or " " not in out.strip()  # only a single over-long word may overflow
    if all(len(field) + 2 <= width for field in fields):
        assert all(field in wrapped.replace("\n  ", "  ") for field in fields)
    assert wrap_line(line, None) == line
