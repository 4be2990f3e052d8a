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


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants)


def loads_strict(data: bytes | str, what: str) -> Any:
    """Parse JSON, refusing duplicate keys, NaN/Infinity and invalid UTF-8.

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
