"""The spec syntax and the generic registry: parsing, did-you-mean, argument checks."""

from __future__ import annotations

import keyword
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossfit.errors import SpecError, UnknownNameError
from lossfit.registry import Registry
from lossfit.spec import format_spec, parse_spec


@pytest.mark.parametrize(
    ("text", "name", "kwargs"),
    [
        ("mse", "mse", {}),
        ("  mse ", "mse", {}),
        ("huber(delta=0.5)", "huber", {"delta": 0.5}),
        ("huber()", "huber", {}),
        ("moons(n_samples=500, noise=0.3)", "moons", {"n_samples": 500, "noise": 0.3}),
        ("sgd(momentum=0.9, nesterov=True)", "sgd", {"momentum": 0.9, "nesterov": True}),
        ("sgd(nesterov=true)", "sgd", {"nesterov": True}),
        ("bce(pos_weight=None)", "bce", {"pos_weight": None}),
        ("mlp(hidden=(16, 16), activation='tanh')", "mlp", {"hidden": (16, 16), "activation": "tanh"}),
        ("x(v=-1e-3)", "x", {"v": -0.001}),
    ],
)
def test_parse_spec(text, name, kwargs):
    assert parse_spec(text) == (name, kwargs)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("huber(delta=)", "expected NAME or NAME(key=value"),
        ("huber(0.5)", "arguments must be named"),
        ("huber(delta=__import__('os').system('echo hi'))", "is not a literal"),
        ("huber(delta=abs(-1))", "is not a literal"),
        ("huber(**{'delta': 1})", "`**` is not allowed"),
        ("huber(delta=1, delta=2)", "given twice"),
        ("1 + 2", "expected NAME"),
        ("a.b(c=1)", "expected NAME"),
        ("", "expected NAME"),
    ],
)
def test_parse_spec_rejects(text, fragment):
    with pytest.raises(SpecError, match=None) as info:
        parse_spec(text, what="loss spec")
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


_literals = st.one_of(
    st.integers(-10**6, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.text(alphabet="abcxyz _-", max_size=8),
    st.tuples(st.integers(1, 64), st.integers(1, 64)),
)


_keys = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True).filter(lambda k: not keyword.iskeyword(k))


@given(st.dictionaries(_keys, _literals, max_size=4))
def test_format_then_parse_round_trips(kwargs):
    assert parse_spec(format_spec("thing", kwargs)) == ("thing", kwargs)


@dataclass(frozen=True)
class Toy:
    delta: float = 1.0
    count: int = 3
    flag: bool = False
    label: str = "a"
    weight: float | None = None
    hidden: tuple[int, ...] = (4,)


@pytest.fixture
def registry():
    reg = Registry("toy")
    reg.register("toy", Toy, aliases=("plaything",), summary="a toy")
    reg.register("big_toy", Toy, preset={"count": 100})
    return reg


def test_registry_lookup_aliases_and_presets(registry):
    assert registry.names() == ["toy", "big_toy"]
    assert registry.canonical("Plaything") == "toy"
    assert registry.canonical("big-toy") == "big_toy"
    assert registry.create("big_toy").count == 100
    assert registry.create("big_toy", count=5).count == 5
    assert "plaything" in registry and "nothing" not in registry


def test_registry_did_you_mean(registry):
    with pytest.raises(UnknownNameError) as info:
        registry.create("tyo")
    assert str(info.value) == "Unknown toy `tyo`. Did you mean `toy`? Expected one of: toy, big_toy."
    with pytest.raises(UnknownNameError, match="Expected one of: toy, big_toy.$"):
        registry.create("zzzzzz")


def test_registry_coerces_and_checks_types(registry):
    toy = registry.create("toy", delta=2, weight=3, hidden=[8, 8])
    assert toy.delta == 2.0 and isinstance(toy.delta, float)
    assert toy.weight == 3.0 and toy.hidden == (8, 8)
    for kwargs, fragment in [
        ({"deltaa": 1.0}, "Unknown parameter `deltaa` for toy `toy`. Did you mean `delta`?"),
        ({"delta": "big"}, "`delta` must be a number, got 'big'"),
        ({"delta": True}, "`delta` must be a number"),
        ({"count": 2.5}, "`count` must be a whole number"),
        ({"flag": 1}, "`flag` must be True or False"),
        ({"delta": None}, "`delta` cannot be None"),
        ({"hidden": (4, "x")}, "`hidden` must be a tuple of whole numbers"),
    ]:
        with pytest.raises(SpecError) as info:
            registry.create("toy", **kwargs)
        assert fragment in str(info.value)


def test_registry_spec_round_trip(registry):
    toy = registry.from_spec("toy(delta=0.25, hidden=(2, 3))")
    spec = registry.resolved_spec("toy", toy)
    assert spec == "toy(delta=0.25, count=3, flag=False, label='a', weight=None, hidden=(2, 3))"
    assert registry.from_spec(spec) == toy


def test_registry_rejects_duplicates_and_bad_presets(registry):
    with pytest.raises(ValueError):
        registry.register("toy", Toy)
    with pytest.raises(ValueError):
        registry.register("other", Toy, aliases=("plaything",))
    with pytest.raises(ValueError):
        registry.register("third", Toy, preset={"nope": 1})
