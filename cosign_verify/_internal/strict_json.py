"""Strict JSON for content that an attacker may have written."""

from __future__ import annotations

import json
import math
import re
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
    value = float(text)
    if not math.isfinite(value):  # 1e400: no double holds it
        raise _RefusedError(f"number {text} is out of range")
    return value


# A surrogate code point in a string: written raw in a str we were given, or escaped in JSON (\ud800). A
# pair of escapes makes one character, never a surrogate; a lone one is text no UTF-8 encoder accepts.
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _lone_surrogate(document: Any) -> bool:
    """Whether a string (or key) anywhere in ``document`` holds a lone surrogate (iteratively: no recursion)."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_no_constants, parse_int=_int, parse_float=_float
)


def loads_strict(data: bytes | str, what: str) -> Any:
    """Parse JSON, refusing duplicate keys, NaN/Infinity, numbers of more than 64 digits or out of a
    double's range, invalid UTF-8 and strings holding a lone surrogate (``"\\ud800"``).

    Raises :class:`Failure` (``MALFORMED``): "``what`` is not valid JSON: ...".
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        if isinstance(data, str) and _SURROGATE.search(text):
            raise _RefusedError("a lone surrogate (not Unicode text)")
        document = _DECODER.decode(text)
        if "\\u" in text and _ESCAPED_SURROGATE.search(text) and _lone_surrogate(document):
            raise _RefusedError("a string holds a lone surrogate (\\ud800-\\udfff without its pair)")
        return document
    except UnicodeDecodeError:
        detail = "not UTF-8"
    except RecursionError:
        detail = "nested too deeply"
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg} at position {exc.pos}"
    except _RefusedError as exc:
        detail = str(exc)
    raise Failure(FailureReason.MALFORMED, f"{what} is not valid JSON: {detail}")
