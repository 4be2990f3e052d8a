"""Strict JSON for content that an attacker may have written."""

from __future__ import annotations

import json
from typing import Any

from .failure import Failure, FailureReason


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _RefusedError(f"duplicate key {key!r}")
        out[key] = value
    return out


class _RefusedError(ValueError):
    pass


def _no_constants(name: str) -> Any:
    raise _RefusedError(f"non-standard constant {name}")


MAX_NUMBER_DIGITS = 64  # far beyond any count, size, time or index a signature carries


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_DIGITS:
        raise _RefusedError(f"number of {len(text)} digits (at most {MAX_NUMBER_DIGITS})")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS:
        raise _RefusedError(f"number of {len(text)} characters (at most {MAX_NUMBER_DIGITS})")
    return float(text)


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_no_constants, parse_int=_int, parse_float=_float
)


def loads_strict(data: bytes | str, what: str) -> Any:
    """Parse JSON, refusing duplicate keys, NaN/Infinity, numbers of more than 64 digits, and invalid UTF-8.

    Raises :class:`Failure` (``MALFORMED``): "``what`` is not valid JSON: ...".
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return _DECODER.decode(text)
    except UnicodeDecodeError:
        detail = "not UTF-8"
    except RecursionError:
        detail = "nested too deeply"
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg} at position {exc.pos}"
    except _RefusedError as exc:
        detail = str(exc)
    raise Failure(FailureReason.MALFORMED, f"{what} is not valid JSON: {detail}")
