"""Parsers with limits (issue 10, item 6): spec strings and config values are bounded before `ast` sees them.

Whatever the text (50,000 `+` terms, 20,000-part dotted names, brackets thousands deep,
a 2 MB config file), the outcome is a value or one `LossfitError` naming the limit:
never a RecursionError, MemoryError or any other traceback.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lossfit import losses
from lossfit.config import MAX_CONFIG_BYTES, MAX_OPTION_VALUES, MAX_VARIANTS, read_compare_toml, read_toml
from lossfit.errors import ConfigError, LossfitError, SpecError
from lossfit.spec import MAX_DEPTH, MAX_LIST_CHARS, MAX_SPEC_CHARS, nesting_depth, parse_spec, split_top_level
from lossfit.variants import values_from_options

# Pieces that, repeated, make each parser or `ast` recurse, allocate or choke.
PIECES = ["1+", "-", "~", "not ", "a.", "(", "[", "{", ")", "]", "**2", "a()", "lambda:", "'", '"', ",", "\\",
          "x=", "f(", "1 if 1 else ", "\x00", "é", " "]
ALPHABET = "()[]{}+-*/.,=:_'\"aZ19 \\\t\x00é"


def outcome(call, *args, most=1_000):
    """'ok', or the LossfitError subclass raised (one line of at most `most` characters); anything else fails."""
    try:
        call(*args)
    except LossfitError as err:
        assert "\n" not in str(err) and len(str(err)) <= most, "one short line"
        return type(err)
    return "ok"


def pathological():
    """`piece` repeated up to 300,000 times, bare or as a spec's value."""
    return st.builds(
        lambda piece, count, wrap: wrap.format(piece * count),
        st.sampled_from(PIECES), st.integers(1, 300_000),
        st.sampled_from(["{}", "huber(delta={}1)", "{}huber", "mlp(hidden=({}))", "sgd, {}"]),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(pathological(), st.text(ALPHABET, max_size=3_000)))
def test_any_text_is_a_spec_or_one_lossfit_error(text):
    # losses.get quotes a would-be custom loss path (`a:b`) whole: lossfit/losses/__init__.py, not a parser here.
    outcomes = {outcome(parse_spec, text, "loss spec"), outcome(split_top_level, text, "--loss"),
                outcome(losses.get, text, most=2 * len(text) + 1_000)}
    assert all(o == "ok" or issubclass(o, LossfitError) for o in outcomes), outcomes


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(PIECES[:4] + ["a."]), st.integers(MAX_SPEC_CHARS + 1, 300_000))
def test_a_spec_over_the_limit_names_the_limit(piece, count):
    text = f"huber(delta={piece * count}1)"
    with pytest.raises(SpecError, match=rf"is {len(text):,} characters; specs are limited to {MAX_SPEC_CHARS:,}"):
        parse_spec(text, "loss spec")


def test_the_issue_examples_are_one_line_each():
    with pytest.raises(SpecError, match="limited to 1,000"):
        losses.get("huber(delta=" + "+".join(["1"] * 50_000) + ")")
    with pytest.raises(SpecError, match="limited to 1,000"):
        losses.get(".".join(["a"] * 20_000))
    with pytest.raises(SpecError, match="limited to 1,000"):
        losses.get(".".join(["a"] * 20_000) + "()")


def test_within_the_limits_a_pathological_value_is_still_one_error():
    """Under 1,000 characters, `ast` parses 490 `+` terms; the error quotes them shortened, without ast.unparse."""
    for value in ("+".join(["1"] * 490), "-" * 980 + "1", ".".join(["a"] * 490), "**".join(["2"] * 320)):
        with pytest.raises(SpecError, match="is not a literal") as caught:
            parse_spec(f"huber(delta={value})", "loss spec")
        assert " ... " in str(caught.value) and len(str(caught.value)) < 400


def test_normal_specs_still_parse_up_to_the_limits():
    assert parse_spec("mlp(hidden=(16, 16), activation='tanh')") == ("mlp", {"hidden": (16, 16), "activation": "tanh"})
    name = "x" * (MAX_SPEC_CHARS - len("f(name='')"))
    assert parse_spec(f"f(name='{name}')") == ("f", {"name": name})  # exactly MAX_SPEC_CHARS
    deepest = "f(x=" + "(" * (MAX_DEPTH - 1) + "1," + ")" * (MAX_DEPTH - 1) + ")"
    assert nesting_depth(deepest) == MAX_DEPTH
    assert parse_spec(deepest)[0] == "f"
    with pytest.raises(SpecError, match=f"nests brackets {MAX_DEPTH + 1} deep; specs are limited to {MAX_DEPTH}"):
        parse_spec("f(x=" + "(" * MAX_DEPTH + "1," + ")" * MAX_DEPTH + ")")
    assert nesting_depth("f(name='((((')") == 1  # brackets inside quotes do not nest
    assert losses.get("huber(delta=0.5)").delta == 0.5
    assert split_top_level("mse, 'huber(delta=0.5)', mae") == ["mse", "huber(delta=0.5)", "mae"]


def test_lists_have_their_own_limits():
    with pytest.raises(SpecError, match=f"lists of values are limited to {MAX_LIST_CHARS:,}"):
        split_top_level("mse," * 3_000, "--loss")
    many = MAX_OPTION_VALUES + 1
    with pytest.raises(ConfigError, match=f"more than {MAX_OPTION_VALUES:,} values; compare races at most 24"):
        values_from_options("loss", [",".join(["mse"] * many)])
    with pytest.raises(ConfigError, match=f"more than {MAX_OPTION_VALUES:,} values"):
        values_from_options("lr", ["0.1"] * many)
    assert len(values_from_options("loss", [",".join(["mse"] * 30)])) == 30  # `expand` says "That is 30 variants"


# ------------------------------------------------------------------ config files
@pytest.mark.parametrize("text, message", [
    ('loss = "' + "x" * 300_000 + '"\n', "is 300,000 characters"),
    ("features = " + "[" * 3_000 + "1" + "]" * 3_000 + "\n", "nest too deeply"),
    ("x = " + "{a=" * 2_000 + "1" + "}" * 2_000 + "\n", "nest too deeply"),
    ("features = [" + ",".join(['"a"'] * 20_000) + "]\n", "lists are limited to 10,000"),
    ("epochs = " + "[" * 300 + "1" + "]" * 300 + "\n", "must be a whole number, got [[[[...]]]]"),
    ("# " + "x" * MAX_CONFIG_BYTES + "\n", f"larger than {MAX_CONFIG_BYTES:,} bytes"),
])
def test_config_values_have_limits(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    for read in (read_toml, read_compare_toml):
        with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")) as caught:
            read(path)
        assert len(str(caught.value)) < 300


def test_a_compare_config_lists_at_most_max_variants(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("loss = [" + ",".join(['"mse"'] * 50_000) + "]\n")  # refused before 50,000 values are parsed
    with pytest.raises(ConfigError, match=f"lists 50,000 values; compare races at most {MAX_VARIANTS} variants"):
        read_compare_toml(path)


# ------------------------------------------------------------------ the command line
LONG_PLUS = "huber(delta=" + "+".join(["1"] * 50_000) + ")"
DOTTED = ".".join(["a"] * 20_000)


@pytest.mark.parametrize("args, message", [
    (["train", "--loss", LONG_PLUS], "--loss is 100,012 characters"),
    (["train", "--dataset", DOTTED + "()"], "--dataset is 40,001 characters"),
    (["train", "--optimizer", "sgd(lr=" + "(" * 30 + "1" + ")" * 30 + ")"], "nests brackets 31 deep"),
    (["compare", "--loss", LONG_PLUS + ",mse", "--epochs", "1"], "lists of values are limited to 10,000"),
    (["compare", "--lr", ",".join(["0.1"] * 2_000), "--epochs", "1"], "more than 1,000 values"),
    (["compare", "--loss", ",".join(["mse"] * 30), "--epochs", "1"], "That is 30 variants"),
    (["explain", LONG_PLUS], "limited to 1,000"),
    (["explain", DOTTED], "limited to 1,000"),
    (["gradcheck", DOTTED + "(x=1)"], "limited to 1,000"),
    (["datasets", "show", DOTTED + "(x=1)"], "limited to 1,000"),
])
def test_the_cli_reports_a_limit_in_one_line(run_cli, args, message):
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines


def test_an_invalid_escape_in_a_quoted_value_warns_nothing():
    """`huber(delta="\\-")` is one clear error later, not a SyntaxWarning printed by Python 3.12's parser."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_spec(r'huber(delta="\-")', "loss spec") == ("huber", {"delta": "\\-"})
