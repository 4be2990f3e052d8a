"""Reading configuration fields: typed getters and converters whose errors carry the field's JSON path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import ConfigError


def compile_pattern(pattern: str | None, field: str) -> None:
    if pattern is None:
        return
    from .regex import RegexError, compile_go

    try:
        compile_go(pattern)
    except RegexError as exc:
        raise ConfigError(
            f"{pattern!r} is not a regular expression RE2 (Go's regexp, as cosign uses) accepts: {exc}",
            path=field,
            remediation="write it in RE2 syntax: no lookarounds or backreferences",
        ) from None


def empty_to_none(value: str | None) -> str | None:
    return value or None


def pairs(values: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Name/value requirements as a hashable value, in the order given."""
    return tuple(
        (str(name), str(value)) for name, value in (values.items() if isinstance(values, Mapping) else values)
    )


def build(cls: Any, path: str, **kwargs: Any) -> Any:
    """Construct ``cls``; its validation errors get their path placed under ``path``."""
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        raise exc.under(path) from None


def expect_mapping(value: object, path: str) -> None:
    if not isinstance(value, Mapping):
        raise ConfigError(f"expected an object, got {type(value).__name__}", path=path)


def reject_unknown(data: Mapping[str, Any], known: Sequence[str], path: str) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown field(s) {', '.join(map(repr, unknown))}",
            path=path,
            remediation=f"known fields are {', '.join(known)}",
        )


def optional_str(data: Mapping[str, Any], key: str, path: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"expected a string, got {type(value).__name__}", path=f"{path}.{key}")


def optional_bool(data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = data.get(key, default)
    if isinstance(value, bool):
        return value
    raise ConfigError(f"expected true or false, got {value!r}", path=f"{path}.{key}")


def str_map(data: Mapping[str, Any], key: str, path: str) -> list[tuple[str, str]]:
    value = data.get(key)
    if value is None:
        return []
    expect_mapping(value, f"{path}.{key}")
    for name, item in value.items():
        if not isinstance(item, str):
            raise ConfigError(f"expected a string, got {type(item).__name__}", path=f"{path}.{key}.{name}")
    return list(value.items())


def str_list(value: object, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ConfigError(f"expected a list of strings, got {type(value).__name__}", path=path)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ConfigError(f"expected a string, got {type(item).__name__}", path=f"{path}[{index}]")
    return list(value)
