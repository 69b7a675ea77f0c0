"""The variants of a comparison: splitting option values, the cartesian product, labels and folders."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossfit.errors import ConfigError
from lossfit.variants import (
    MAX_VARIANTS,
    expand,
    options_from_cli,
    single_value,
    split_top_level,
    values_from_options,
)


@pytest.mark.parametrize(
    "text, parts",
    [
        ("mse", ["mse"]),
        ("mse,mae", ["mse", "mae"]),
        (" mse , mae ,huber ", ["mse", "mae", "huber"]),
        ("mse,mae,huber(delta=0.5)", ["mse", "mae", "huber(delta=0.5)"]),
        ('mse,"huber(delta=0.5)"', ["mse", "huber(delta=0.5)"]),
        ("mlp(hidden=(16, 16)),linear", ["mlp(hidden=(16, 16))", "linear"]),
        ("mlp(hidden=(16, (4, 2))), mlp(hidden=[3, 3])", ["mlp(hidden=(16, (4, 2)))", "mlp(hidden=[3, 3])"]),
        ("mlp(activation='a,b'),linear", ["mlp(activation='a,b')", "linear"]),
        ('x(s="),("),y', ['x(s="),(")', "y"]),
    ],
)
def test_split_top_level_keeps_commas_inside_brackets_and_quotes(text, parts):
    assert split_top_level(text, "--loss") == parts


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("mse,,mae", "empty element"),
        (",mse", "empty element"),
        ("mse,", "empty element"),
        ("huber(delta=0.5", "closing parenthesis is missing"),
        ("huber(delta=0.5))", "closes nothing"),
        ("mse,'mae", "closing ' is missing"),
    ],
)
def test_split_top_level_refuses_broken_lists(text, fragment):
    with pytest.raises(ConfigError, match=fragment):
        split_top_level(text, "--loss")


@given(st.lists(st.sampled_from(["mse", "mae", "huber(delta=0.5)", "mlp(hidden=(4, 4))", "sgd(momentum=0.9)",
                                 "quantile(tau=0.1)"]), min_size=1, max_size=6))
def test_split_inverts_joining_with_commas(parts):
    assert split_top_level(",".join(parts), "--loss") == parts
    assert split_top_level(" , ".join(parts), "--loss") == parts


def test_repeated_and_comma_separated_values_add_up():
    assert values_from_options("loss", ["mse,mae", "huber(delta=0.5)"]) == ["mse", "mae", "huber(delta=0.5)"]
    assert values_from_options("lr", ["0.1,1e-2", "1"]) == [0.1, 0.01, 1.0]
    assert values_from_options("batch_size", ["full,32", "1"]) == [None, 32, 1]


@pytest.mark.parametrize(
    "given, expected",
    [
        (["balanced"], ["balanced"]),
        (["1,5"], ["1,5"]),  # a list of numbers is ONE weight vector
        (["none,balanced,(1,5)"], [None, "balanced", "1,5"]),
        (["balanced", "1,5"], ["balanced", "1,5"]),  # repeated options: one value each
        (["[1, 2],(3,4)"], ["1,2", "3,4"]),
    ],
)
def test_class_weight_lists(given, expected):
    assert values_from_options("class_weight", given) == expected


def test_class_weight_mixing_names_and_bare_numbers_is_refused():
    with pytest.raises(ConfigError, match="in parentheses"):
        values_from_options("class_weight", ["balanced,1,5"])


@pytest.mark.parametrize("key, given", [("lr", ["abc"]), ("lr", ["0.1,x"]), ("batch_size", ["full,abc"])])
def test_non_numbers_are_refused(key, given):
    with pytest.raises(ConfigError):
        values_from_options(key, given)


def test_options_that_cannot_vary_refuse_lists_and_repeats():
    with pytest.raises(ConfigError, match="--dataset cannot vary"):
        single_value("dataset", ["moons,circles"])
    with pytest.raises(ConfigError, match="--seed cannot vary"):
        single_value("seed", ["0", "1"])
    assert single_value("dataset", ["moons(noise=0.1, n_samples=50)"]) == "moons(noise=0.1, n_samples=50)"
    assert single_value("features", ["a,b,c"]) == "a,b,c"  # a list of columns is one value
    with pytest.raises(ConfigError, match="--epochs cannot vary"):
        options_from_cli({"epochs": ["10,20"]})
    with pytest.raises(ConfigError, match="whole number"):
        options_from_cli({"epochs": ["ten"]})
    assert options_from_cli({"epochs": ["10"], "val_split": ["0.3"], "loss": ["mse,mae"]}) == (
        {"epochs": 10, "val_split": 0.3}, {"loss": ["mse", "mae"]}
    )


def test_the_variants_are_the_cartesian_product_in_order():
    variants = expand({"loss": ["mse", "mae", "huber"], "lr": [0.1, 0.5], "optimizer": ["sgd"]})
    assert [v.settings for v in variants] == [
        {"loss": loss, "lr": lr} for loss in ("mse", "mae", "huber") for lr in (0.1, 0.5)
    ]
    assert [v.index for v in variants] == list(range(6))
    assert variants[1].label == "mse · lr=0.5"
    assert variants[1].folder == "loss=mse,lr=0.5"


def test_more_than_the_cap_says_how_many():
    assert len(expand({"loss": [str(i) for i in range(4)], "lr": [float(i) for i in range(6)]})) == MAX_VARIANTS
    with pytest.raises(ConfigError, match=r"25 variants \(5 --loss x 5 --lr\).*at most 24"):
        expand({"loss": [str(i) for i in range(5)], "lr": [float(i) for i in range(5)]})


def test_labels_and_folders_name_what_varies():
    (variant,) = expand({"loss": ["huber(delta=0.5)"], "lr": [0.1]}) or [None]
    assert variant is not None and variant.settings == {}  # nothing varies with one value each
    full, small = expand({"batch_size": [None, 32]})
    assert (full.label, small.label) == ("full batch", "batch 32")
    assert (full.folder, small.folder) == ("batch_size=full", "batch_size=32")
    spaced, custom = expand({"model": ["mlp(hidden=(16, 16))", "linear"]})[0], expand({"loss": ["a/b.py:f", "mse"]})[0]
    assert spaced.folder == "model=mlp(hidden=(16,16))"  # no spaces, no path separators in a folder name
    assert "/" not in custom.folder and ":" not in custom.folder
    none, balanced = expand({"class_weight": [None, "balanced"]})
    assert (none.label, balanced.label) == ("class_weight=none", "class_weight=balanced")
