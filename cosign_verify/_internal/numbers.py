"""Integers read from outside documents: one strict, bounded reader for every count, index, size and time.

JSON gives numbers as ``int`` or ``float`` (``1e400`` is a float infinity,
``7.0`` a float), and protobuf-JSON gives 64-bit integers as decimal strings.
:func:`read_int` accepts exactly an integer (or, where allowed, a decimal
string of one) in a range, and raises the caller's own error otherwise, so
that no ``int()`` of a float, an infinity or a huge string is ever attempted.
"""

from __future__ import annotations

from collections.abc import Callable

MAX_INT64 = 2**63 - 1
_MAX_DIGITS = 19  # digits of MAX_INT64; a longer decimal string is out of every range we read


def read_int(
    value: object,
    what: str,
    error: Callable[[str], Exception],
    *,
    highest: int = MAX_INT64,
    strings: bool = False,
) -> int:
    """``value`` as an integer from 0 to ``highest``; ``error(message)`` is raised for anything else.

    Booleans, floats (infinities included) and other types are refused;
    ``strings`` also accepts a decimal string (protobuf-JSON's int64).
    """
    if isinstance(value, str) and strings:
        digits = value[1:] if value.startswith("-") else value
        if not digits or not digits.isascii() or not digits.isdigit():
            raise error(f"{what} is not an integer")
        if len(digits.lstrip("0")) > _MAX_DIGITS:
            raise error(f"{what} is {'negative' if value.startswith('-') else _too_large(highest)}")
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise error(f"{what} is not an integer")
    if value < 0:
        raise error(f"{what} is negative")
    if value > highest:
        raise error(f"{what} is {_too_large(highest)}")
    return value


def _too_large(highest: int) -> str:
    return "larger than a 64-bit integer" if highest == MAX_INT64 else f"larger than {highest}"
