"""Strict readers and linear scanners for text a registry, a signature or an operator hands us.

Integers, JSON, URLs and token answers are read strictly (anything else is
our error, never ``OverflowError`` or ``UnicodeEncodeError``). The
WWW-Authenticate and PEM scanners replaced regular expressions whose search
took time quadratic in the input; 64 KiB (and 1 MiB) of the worst shapes for
the old ones must now take milliseconds. The bound asserted is a generous
2 s (the old code took from seconds to minutes), so that a slow machine
never makes the test flaky.
"""

from __future__ import annotations

import pytest

from cosign_verify._internal.failure import Failure
from cosign_verify._internal.numbers import MAX_INT64, read_int
from cosign_verify._internal.strict_json import loads_strict

# --- strict readers: integers and JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "strings", "message"),
    [
        (True, False, "not an integer"),
        (7.0, False, "not an integer"),
        (float("inf"), False, "not an integer"),
        ("7", False, "not an integer"),
        ("7.5", True, "not an integer"),
        ("\u0663", True, "not an integer"),  # an Arabic-Indic digit: int() would take it
        ("9" * 400, True, "larger than a 64-bit integer"),
        ("-" + "9" * 400, True, "negative"),
        (-1, False, "negative"),
        (MAX_INT64 + 1, False, "larger than a 64-bit integer"),
    ],
)
def test_read_int_refuses(value: object, strings: bool, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_int(value, "n", ValueError, strings=strings)


def test_read_int_accepts() -> None:
    assert read_int(MAX_INT64, "n", ValueError) == MAX_INT64
    assert read_int("0042", "n", ValueError, strings=True) == 42
    with pytest.raises(ValueError, match="larger than 10"):
        read_int(11, "n", ValueError, highest=10)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ('{"n": 1e400}', "out of range"),
        ('{"n": -1e400}', "out of range"),
        ('{"s": "\\ud800"}', "lone surrogate"),
        ('{"\\udc00": 1}', "lone surrogate"),
        ('["x", ["\\ud800x"]]', "lone surrogate"),
        ('"\ud800"', "lone surrogate"),  # a str given to us holding one
    ],
)
def test_strict_json_refuses(text: str, detail: str) -> None:
    with pytest.raises(Failure, match=detail):
        loads_strict(text, "doc")
    if text.isascii():
        with pytest.raises(Failure, match=detail):
            loads_strict(text.encode(), "doc")


def test_strict_json_keeps_surrogate_pairs_and_escaped_backslashes() -> None:
    assert loads_strict('{"s": "\\ud83d\\ude00"}', "doc") == {"s": "\U0001f600"}
    assert loads_strict('{"s": "\\\\ud800"}', "doc") == {"s": "\\ud800"}
    assert loads_strict('{"n": 1e300}', "doc") == {"n": 1e300}
