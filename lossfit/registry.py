"""One small generic registry, used for losses, optimizers, models and datasets.

A registry maps a snake_case name (the value a user types, and the name saved in
config.toml) to a factory, usually a dataclass. Aliases resolve to the canonical
name; a preset lets one factory serve several names with different defaults
(`momentum` is `sgd` with momentum=0.9).

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Huber:
    ...     delta: float = 1.0
    >>> reg = Registry("loss")
    >>> reg.register("huber", Huber, summary="quadratic near 0, linear beyond delta")
    >>> reg.create("huber", delta=2)        # ints are accepted where floats are meant
    Huber(delta=2.0)
    >>> reg.create("hubber")
    Traceback (most recent call last):
    ...
    lossfit.errors.UnknownNameError: Unknown loss `hubber`. Did you mean `huber`? Expected one of: huber.

Keyword arguments are checked against the factory's signature: an unknown key,
or a value of the wrong type, is a `SpecError` that names the key and the choices.
"""

from __future__ import annotations

import difflib
import inspect
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

from lossfit.errors import SpecError, UnknownNameError
from lossfit.spec import MAX_SPEC_CHARS, check_limits, format_spec, parse_spec, shorten

T = TypeVar("T")
_NOT_PARAMETERS = {"self", "rng"}


@dataclass(frozen=True)
class Parameter:
    """One keyword argument of a registered factory."""

    name: str
    default: Any
    hint: Any  # the resolved type annotation, or inspect.Parameter.empty

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A registered name: its factory, preset arguments, aliases and a one-line summary."""

    name: str
    factory: Callable[..., T]
    preset: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    summary: str = ""

    def parameters(self) -> dict[str, Parameter]:
        """The factory's keyword arguments, with this entry's preset applied as defaults."""
        params = signature_parameters(self.factory)
        for key, value in self.preset.items():
            params[key] = Parameter(key, value, params[key].hint)
        return params


class Registry(Generic[T]):
    """Names -> factories, with "did you mean" lookup and checked keyword arguments."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "loss", "optimizer", ...: used in messages
        self._entries: dict[str, Entry[T]] = {}
        self._aliases: dict[str, str] = {}

    def register(
        self,
        name: str,
        factory: Callable[..., T],
        *,
        preset: dict[str, Any] | None = None,
        aliases: tuple[str, ...] = (),
        summary: str = "",
    ) -> None:
        for key in (name, *aliases):
            if key in self._entries or key in self._aliases:
                raise ValueError(f"{self.kind} `{key}` is registered twice")
        entry = Entry(name, factory, dict(preset or {}), tuple(aliases), summary)
        unknown = set(entry.preset) - set(signature_parameters(factory))
        if unknown:
            raise ValueError(f"preset of {self.kind} `{name}` has unknown keys {sorted(unknown)}")
        self._entries[name] = entry
        for alias in aliases:
            self._aliases[alias] = name

    def names(self) -> list[str]:
        """Canonical names, in registration order."""
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._aliases

    def __iter__(self) -> typing.Iterator[Entry[T]]:
        return iter(self._entries.values())

    def canonical(self, name: str) -> str:
        """The canonical name for `name` or one of its aliases; UnknownNameError otherwise."""
        key = name.strip().lower().replace("-", "_")
        if key in self._entries:
            return key
        if key in self._aliases:
            return self._aliases[key]
        candidates = [*self._entries, *self._aliases]
        close = closest(key, candidates) if len(key) <= MAX_SPEC_CHARS else None
        hint = f" Did you mean `{close}`?" if close else ""
        raise UnknownNameError(
            f"Unknown {self.kind} `{shorten(name)}`.{hint} Expected one of: {', '.join(self._entries)}."
        )

    def entry(self, name: str) -> Entry[T]:
        return self._entries[self.canonical(name)]

    def create(self, name: str, **kwargs: Any) -> T:
        """Build the named object; unknown keys and ill-typed values are SpecErrors."""
        entry = self.entry(name)
        arguments = dict(entry.preset)
        arguments.update(check_arguments(f"{self.kind} `{entry.name}`", entry.parameters(), kwargs))
        return entry.factory(**arguments)

    def from_spec(self, text: str, **kwargs: Any) -> T:
        """Build from a name or a spec string such as `huber(delta=0.5)`, plus keyword arguments."""
        name, merged = self.merge_spec(text, kwargs)
        return self.create(name, **merged)

    def merge_spec(self, text: str, kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Split a spec into its name and arguments, merged with `kwargs`.

        A key given both ways with different values is an error, not a silent choice.
        Over-long or deeply nested text is a SpecError naming the limit (`lossfit.spec.check_limits`).
        """
        check_limits(text.strip(), f"{self.kind} spec")
        if "(" not in text:
            return text, dict(kwargs)
        name, spec_kwargs = parse_spec(text, what=f"{self.kind} spec")
        for key in sorted(spec_kwargs.keys() & kwargs.keys()):
            if spec_kwargs[key] != kwargs[key]:
                raise SpecError(
                    f"{self.kind} spec `{shorten(text)}` sets {key}={spec_kwargs[key]!r} but {key}={kwargs[key]!r} "
                    f"was also given; set it in one place only."
                )
        return name, {**spec_kwargs, **kwargs}

    def resolved_spec(self, name: str, obj: Any) -> str:
        """The spec that rebuilds `obj` exactly: canonical name and every parameter's value."""
        entry = self.entry(name)
        values = {key: getattr(obj, key) for key in entry.parameters() if hasattr(obj, key)}
        return format_spec(entry.name, values)


def signature_parameters(factory: Callable[..., Any]) -> dict[str, Parameter]:
    """Keyword parameters of a class or function, with resolved type hints."""
    target = factory.__init__ if inspect.isclass(factory) else factory
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # unresolved forward references: fall back to no type checks
        hints = {}
    params = {}
    for param in inspect.signature(factory).parameters.values():
        if param.name in _NOT_PARAMETERS or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        params[param.name] = Parameter(param.name, param.default, hints.get(param.name, param.empty))
    return params


def check_arguments(owner: str, params: dict[str, Parameter], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Reject unknown keys and coerce values to the parameters' annotated types."""
    checked = {}
    for key, value in kwargs.items():
        if key not in params:
            close = difflib.get_close_matches(key, params, n=1)
            hint = f" Did you mean `{close[0]}`?" if close else ""
            accepted = ", ".join(params) or "no parameters"
            raise SpecError(f"Unknown parameter `{key}` for {owner}.{hint} It accepts: {accepted}.")
        checked[key] = coerce(owner, key, value, params[key].hint)
    return checked


def coerce(owner: str, key: str, value: Any, hint: Any) -> Any:
    """Check `value` against a type hint; ints become floats where a float is meant."""
    if hint is inspect.Parameter.empty or hint is Any:
        return value
    options = typing.get_args(hint) if _is_union(hint) else (hint,)
    if value is None:
        if type(None) in options:
            return None
        raise SpecError(f"{owner}: `{key}` cannot be None; expected {_describe(hint)}.")
    for option in options:
        ok, converted = _try_coerce(value, option)
        if ok:
            return converted
    raise SpecError(
        f"{owner}: `{key}` must be {_describe(hint)}, got {value!r} ({type(value).__name__})."
    )


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _try_coerce(value: Any, option: Any) -> tuple[bool, Any]:
    origin = typing.get_origin(option) or option
    if option is type(None):
        return False, None
    if option is bool:
        return isinstance(value, bool), value
    if option is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if option is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok, float(value) if ok else None
    if option is str:
        return isinstance(value, str), value
    if origin is typing.Literal:
        return value in typing.get_args(option), value
    if origin in (tuple, list):
        if not isinstance(value, (tuple, list)):
            return False, None
        args = typing.get_args(option)
        item = args[0] if args else Any
        converted = []
        for element in value:
            ok, new = (True, element) if item is Any else _try_coerce(element, item)
            if not ok:
                return False, None
            converted.append(new)
        return True, origin(converted)
    return True, value  # a type we do not check (e.g. a Protocol): let the factory validate


def _describe(hint: Any) -> str:
    if _is_union(hint):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return "None"
    if typing.get_origin(hint) is typing.Literal:
        return "one of " + ", ".join(repr(arg) for arg in typing.get_args(hint))
    if typing.get_origin(hint) in (tuple, list):
        args = typing.get_args(hint)
        plural = {bool: "booleans", int: "whole numbers", float: "numbers", str: "strings"}
        return f"a tuple of {plural.get(args[0], 'values')}" if args else "a tuple"
    names = {bool: "True or False", int: "a whole number", float: "a number", str: "a string"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def closest(word: str, candidates: list[str]) -> str | None:
    """The likeliest intended name: difflib's close matches, a candidate with the same letters first.

    Same letters catch transposed typos, which difflib alone ranks below longer names:

    >>> closest("adma", ["adam", "adamax", "adamw"])
    'adam'
    >>> closest("hubber", ["huber", "mse"]), closest("xyz", ["mse"])
    ('huber', None)
    """
    close = difflib.get_close_matches(word, candidates, n=3, cutoff=0.6)
    same_letters = [c for c in close if sorted(c) == sorted(word)]
    return (same_letters or close)[0] if close else None
